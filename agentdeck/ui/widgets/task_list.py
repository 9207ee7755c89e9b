"""The task list: one row per task with its status, agent, branch, elapsed time and line counts."""

from __future__ import annotations

import time

from rich.text import Text
from textual.widgets import DataTable

from agentdeck.tasks import EntryState, SessionStatus, Task

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
    ("queue", "Queue", 8),
    ("time", "Time", 6),
    ("lines", "+/-", 11),
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


QUEUE_STYLES = {
    EntryState.QUEUED: ("queued", "cyan"),
    EntryState.CHECKING: ("checking", "yellow"),
    EntryState.LANDING: ("landing", "yellow"),
    EntryState.LANDED: ("landed", "green"),
    EntryState.CONFLICT: ("conflict", "bold red"),
    EntryState.FAILED: ("failed", "bold red"),
}


def queue_text(state: EntryState | None) -> Text:
    if state is None or state not in QUEUE_STYLES:
        return Text("-", style="dim")
    word, style = QUEUE_STYLES[state]
    return Text(word, style=style)


def row_cells(task: Task, now: float, queue_state: EntryState | None = None) -> tuple[object, ...]:
    end = task.finished_at if task.finished_at and not task.status.is_running else now
    return (
        status_text(task.status),
        task.title,
        f"{task.agent} (auto)" if task.auto_accept else task.agent,
        task.branch,
        queue_text(queue_state),
        format_elapsed(end - task.created_at),
        line_counts(task),
    )


class TaskList(DataTable):
    """The deck's list of tasks; the highlighted row is the selected task."""

    DEFAULT_CSS = """
    TaskList {
        height: auto;
        max-height: 40%;
        overflow-x: hidden;
    }
    """

    def on_mount(self) -> None:
        self.cursor_type = "row"
        self.zebra_stripes = False
        for key, label, width in COLUMNS:
            self.add_column(label, key=key, width=width)

    def on_resize(self) -> None:
        self.fit_columns()

    def fit_columns(self) -> None:
        """Share the width left by the fixed columns between task, agent and branch.

        Each flexible column gets the width its content needs when everything
        fits. Otherwise they shrink in proportion and their text is cut, so the
        table never scrolls sideways and the status and queue stay in view.
        """
        if not self.columns or self.size.width <= 0:
            return
        padding = 2 * self.cell_padding
        fixed = sum(width + padding for _, _, width in COLUMNS if width is not None)
        flexible = [key for key, _, width in COLUMNS if width is None]
        available = max(self.size.width - fixed - padding * len(flexible) - 1, 3 * len(flexible))
        needed = {key: max(self.columns[key].content_width, len(str(self.columns[key].label)), 5) for key in flexible}
        total = sum(needed.values())
        for key in flexible:
            column = self.columns[key]
            column.auto_width = False
            column.width = needed[key] if total <= available else max(5, needed[key] * available // total)
        self._require_update_dimensions = True
        self.refresh()

    @property
    def selected_task_id(self) -> str | None:
        """The id of the highlighted task, or None when the list is empty."""
        if self.row_count == 0:
            return None
        row_key, _ = self.coordinate_to_cell_key((self.cursor_row, 0))
        return row_key.value

    def sync(self, tasks: list[Task], now: float | None = None, queue_states: dict[str, EntryState] | None = None) -> None:
        """Bring the rows in line with *tasks*, keeping the highlighted task highlighted."""
        now = time.time() if now is None else now
        queue_states = queue_states or {}
        current_ids = {task.id for task in tasks}
        for row_key in list(self.rows):
            if row_key.value not in current_ids:
                self.remove_row(row_key)
        for task in tasks:
            cells = row_cells(task, now, queue_states.get(task.id))
            if task.id in self.rows:
                for (column, _, width), value in zip(COLUMNS, cells):
                    self.update_cell(task.id, column, value, update_width=width is None)
            else:
                self.add_row(*cells, key=task.id)
        self.fit_columns()

    def select_task(self, task_id: str) -> None:
        """Move the highlight to the row of *task_id*."""
        if task_id in self.rows:
            self.move_cursor(row=self.get_row_index(task_id))
