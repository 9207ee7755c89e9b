"""The task list: one row per task with its status, agent, branch, elapsed time and line counts."""

from __future__ import annotations

import time

from rich.text import Text
from textual.widgets import DataTable

from agentdeck.tasks import SessionStatus, Task

# Each status has a distinct symbol as well as a colour, so the list still reads
# in a 16-colour terminal or with NO_COLOR set.
STATUS_SYMBOLS = {
    SessionStatus.STARTING: ("◌", "dim"),
    SessionStatus.WORKING: ("●", "bold green"),
    SessionStatus.WAITING: ("?", "bold yellow"),
    SessionStatus.IDLE: ("○", "cyan"),
    SessionStatus.EXITED: ("✓", "green"),
    SessionStatus.FAILED: ("✗", "bold red"),
    SessionStatus.STOPPED: ("■", "dim"),
}

# Columns whose content changes over time get a fixed width, so the table does not
# shift as statuses change and the width never depends on which statuses a row passed through.
COLUMNS = (
    ("status", "Status", max(len(status.value) for status in SessionStatus) + 2),
    ("title", "Task", None),
    ("agent", "Agent", None),
    ("branch", "Branch", None),
    ("time", "Time", 6),
    ("lines", "+/-", 13),
)


def format_elapsed(seconds: float) -> str:
    """Return *seconds* as ``42s``, ``7m05s`` or ``3h12m``."""
    seconds = max(int(seconds), 0)
    if seconds < 60:
        return f"{seconds}s"
    if seconds < 3600:
        return f"{seconds // 60}m{seconds % 60:02d}s"
    return f"{seconds // 3600}h{seconds % 3600 // 60:02d}m"


def status_text(status: SessionStatus) -> Text:
    symbol, style = STATUS_SYMBOLS[status]
    return Text(f"{symbol} {status.value}", style=style)


def line_counts(task: Task) -> Text:
    text = Text()
    text.append(f"+{task.added}", style="green")
    text.append(" ")
    text.append(f"-{task.removed}", style="red")
    return text


def row_cells(task: Task, now: float) -> tuple[object, ...]:
    end = task.finished_at if task.finished_at and not task.status.is_running else now
    return (
        status_text(task.status),
        task.title,
        task.agent,
        task.branch,
        format_elapsed(end - task.created_at),
        line_counts(task),
    )


class TaskList(DataTable):
    """The deck's list of tasks; the highlighted row is the selected task."""

    DEFAULT_CSS = """
    TaskList {
        height: auto;
        max-height: 40%;
    }
    """

    def on_mount(self) -> None:
        self.cursor_type = "row"
        self.zebra_stripes = False
        for key, label, width in COLUMNS:
            self.add_column(label, key=key, width=width)

    @property
    def selected_task_id(self) -> str | None:
        """The id of the highlighted task, or None when the list is empty."""
        if self.row_count == 0:
            return None
        row_key, _ = self.coordinate_to_cell_key((self.cursor_row, 0))
        return row_key.value

    def sync(self, tasks: list[Task], now: float | None = None) -> None:
        """Bring the rows in line with *tasks*, keeping the highlighted task highlighted."""
        now = time.time() if now is None else now
        current_ids = {task.id for task in tasks}
        for row_key in list(self.rows):
            if row_key.value not in current_ids:
                self.remove_row(row_key)
        for task in tasks:
            cells = row_cells(task, now)
            if task.id in self.rows:
                for (column, _, width), value in zip(COLUMNS, cells):
                    self.update_cell(task.id, column, value, update_width=width is None)
            else:
                self.add_row(*cells, key=task.id)

    def select_task(self, task_id: str) -> None:
        """Move the highlight to the row of *task_id*."""
        if task_id in self.rows:
            self.move_cursor(row=self.get_row_index(task_id))
