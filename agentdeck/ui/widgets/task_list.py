"""The task list: one row per task with its status, agent, branch, elapsed time and line counts."""

from __future__ import annotations

import time

from rich.cells import cell_len
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
LINES_WIDTH = COLUMNS[-1][2]
"""The narrowest the +/- column gets; it widens when a row's counts need more."""

MIN_FLEXIBLE_WIDTH = 5
BRANCH_INDEX = [key for key, _, _ in COLUMNS].index("branch")

# The order in which flexible columns give up width when the table is narrow, each with its floor.
SHRINK_ORDER = (("branch", 12), ("agent", MIN_FLEXIBLE_WIDTH), ("branch", MIN_FLEXIBLE_WIDTH), ("title", MIN_FLEXIBLE_WIDTH))


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


def cut_left(text: str, width: int) -> str:
    """Return *text* cut to *width* cells from the left, marked with an ellipsis, when it is wider."""
    if cell_len(text) <= width or width < 2:
        return text
    tail = ""
    for character in reversed(text):
        if cell_len(tail) + cell_len(character) > width - 1:
            break
        tail = character + tail
    return "…" + tail


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
        self._natural_widths: dict[str, int] = {}
        self._branches: dict[str, str] = {}
        for key, label, width in COLUMNS:
            self.add_column(label, key=key, width=width if width is not None else len(label))

    def on_resize(self) -> None:
        self.fit_columns()

    def fit_columns(self) -> None:
        """Share the width left by the fixed columns between task, agent and branch.

        Each flexible column gets the width its content needs when everything
        fits. Otherwise the branch gives up width first, then the agent, and
        the task title last, because the title is what the user reads the list
        by. A cut branch keeps its end, where branches differ. The table never
        scrolls sideways, so the status and queue stay in view.
        """
        if not self.columns or self.size.width <= 0:
            return
        padding = 2 * self.cell_padding
        fixed = sum(self.columns[key].width + padding for key, _, width in COLUMNS if width is not None)
        flexible = [(key, label) for key, label, width in COLUMNS if width is None]
        available = max(self.size.width - fixed - padding * len(flexible) - 1, MIN_FLEXIBLE_WIDTH * len(flexible))
        widths = {key: max(self._natural_widths.get(key, 0), len(label), MIN_FLEXIBLE_WIDTH) for key, label in flexible}
        for key, floor in SHRINK_ORDER:
            excess = sum(widths.values()) - available
            if excess <= 0:
                break
            widths[key] = max(floor, widths[key] - excess)
        branch_width_changed = self.columns["branch"].width != widths["branch"]
        for key, _ in flexible:
            column = self.columns[key]
            column.auto_width = False
            column.width = widths[key]
        if branch_width_changed:
            for task_id, branch in self._branches.items():
                self.update_cell(task_id, "branch", cut_left(branch, widths["branch"]))
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
        self._branches = {task.id: task.branch for task in tasks}
        natural: dict[str, int] = {}
        branch_width = self.columns["branch"].width
        for task in tasks:
            cells = list(row_cells(task, now, queue_states.get(task.id)))
            for (column, _, width), value in zip(COLUMNS, cells):
                if width is None:
                    natural[column] = max(natural.get(column, 0), cell_len(str(value)))
            cells[BRANCH_INDEX] = cut_left(task.branch, branch_width)
            if task.id in self.rows:
                for (column, _, _), value in zip(COLUMNS, cells):
                    self.update_cell(task.id, column, value)
            else:
                self.add_row(*cells, key=task.id)
        self._natural_widths = natural
        # The line counts keep their width until a count outgrows it; a cut
        # "+25000 -250" would read as another number.
        counts = self.columns["lines"]
        counts_width = max([LINES_WIDTH, *(cell_len(line_counts(task).plain) for task in tasks)])
        if counts.width != counts_width:
            counts.auto_width = False
            counts.width = counts_width
            self.refresh()
        self.fit_columns()

    def select_task(self, task_id: str) -> None:
        """Move the highlight to the row of *task_id*."""
        if task_id in self.rows:
            self.move_cursor(row=self.get_row_index(task_id))
