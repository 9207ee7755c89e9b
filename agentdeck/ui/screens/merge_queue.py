"""The merge queue screen: approved tasks in landing order, reordered, re-queued and landed from the keyboard."""

from __future__ import annotations

import logging
from dataclasses import replace
from functools import partial

from rich.text import Text
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.reactive import reactive
from textual.screen import Screen
from textual.widgets import DataTable, Header, LoadingIndicator, Static

from agentdeck.errors import AgentdeckError
from agentdeck.merge_queue import LandOutcome, QueueRow, QueueSource, next_strategy, summarize_outcomes
from agentdeck.tasks import EntryState
from agentdeck.ui.widgets.key_footer import KeyFooter

log = logging.getLogger(__name__)

LAND_WORKER_GROUP = "land-queue"
SEND_WORKER_GROUP = "send-conflicts"

LOG_TAIL_LINES = 12
"""How many of the last check log lines the detail pane shows."""

REFRESH_SECONDS = 0.5
"""How often the states and the check log are read again while the queue lands."""

EMPTY_QUEUE_TEXT = "The merge queue is empty. Approve a task in review (d, then a) to queue it."

# Each state has its own symbol besides its colour, so the list reads without colour too.
STATE_SYMBOLS = {
    EntryState.QUEUED: ("○", "cyan"),
    EntryState.CHECKING: ("…", "yellow"),
    EntryState.LANDING: ("»", "bold yellow"),
    EntryState.LANDED: ("✓", "green"),
    EntryState.CONFLICT: ("✗", "bold red"),
    EntryState.FAILED: ("!", "bold red"),
    EntryState.REMOVED: ("–", "dim"),
}

MERGE_QUEUE_BINDINGS = [
    Binding("l", "land", "Land queue", id="land_queue", tooltip="Land every queued entry on its base branch, in order"),
    Binding("x", "remove_entry", "Remove", id="remove_queue_entry", tooltip="Take the selected entry out of the queue"),
    Binding("r", "requeue", "Re-queue", id="requeue_entry", tooltip="Queue a conflict or failed entry again"),
    Binding("s", "cycle_strategy", "Strategy", id="change_entry_strategy", tooltip="Cycle merge, squash, rebase, ff-only"),
    Binding(
        "a", "send_to_agent", "Send to agent", id="send_conflicts_to_agent",
        tooltip="Ask the task's agent to merge the base and resolve the conflicting files",
    ),
    Binding("K,shift+up", "move_up", "Move up", id="move_entry_up", tooltip="Land the selected entry earlier"),
    Binding("J,shift+down", "move_down", "Move down", id="move_entry_down", tooltip="Land the selected entry later"),
    Binding("j,down", "cursor_down", "Next", show=False, id="next_queue_entry"),
    Binding("k,up", "cursor_up", "Previous", show=False, id="previous_queue_entry"),
    Binding("escape", "back", "Back", id="close_merge_queue", tooltip="Return to the deck"),
]


def state_text(state: EntryState) -> Text:
    """Return the symbol and word of *state*, styled."""
    symbol, style = STATE_SYMBOLS[state]
    return Text(f"{symbol} {state.value}", style=style)


class MergeQueueScreen(Screen[None]):
    """The merge queue: every entry with its state, and the details of the selected one.

    | Key | Action |
    | --- | --- |
    | `l` | land the queue in order |
    | `x` | remove the selected entry |
    | `r` | queue a conflict or failed entry again |
    | `s` | change the selected entry's strategy (merge, squash, rebase, ff-only) |
    | `a` | send the conflicting files to the task's agent |
    | `K` / `J`, `shift+up` / `shift+down` | move the selected entry earlier / later |
    | `j` / `k`, `down` / `up` | select the next / previous entry |
    | `escape` | back to the deck |
    """

    BINDINGS = MERGE_QUEUE_BINDINGS

    DEFAULT_CSS = """
    MergeQueueScreen #queue-table { height: 1fr; border: round $primary-darken-2; }
    MergeQueueScreen #queue-table:focus { border: round $primary; }
    MergeQueueScreen #queue-empty { height: 1fr; padding: 1 2; }
    MergeQueueScreen #queue-detail {
        height: auto; max-height: 40%; padding: 0 1;
        border: round $panel-lighten-2; border-title-color: $text-muted;
    }
    MergeQueueScreen #queue-progress { height: 3; display: none; }
    MergeQueueScreen #queue-progress.-active { display: block; }
    MergeQueueScreen #queue-progress LoadingIndicator { height: 1; }
    MergeQueueScreen #queue-progress Static { height: 1; padding: 0 1; }
    """

    landing: reactive[bool] = reactive(False)
    """True while the queue lands in a worker thread."""

    def __init__(self, queue: QueueSource) -> None:
        super().__init__()
        self.queue = queue
        self.rows: list[QueueRow] = []

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(EMPTY_QUEUE_TEXT, id="queue-empty")
        yield DataTable(id="queue-table", cursor_type="row", zebra_stripes=True)
        with Vertical(id="queue-progress"):
            yield Static("", id="queue-progress-text")
            yield LoadingIndicator()
        yield Static("", id="queue-detail")
        yield KeyFooter()

    def on_mount(self) -> None:
        self.sub_title = "Merge queue"
        table = self.query_one(DataTable)
        table.add_column("State", key="state")
        table.add_column("Strategy", key="strategy")
        table.add_column("Task", key="title")
        table.add_column("Branch", key="branch")
        table.add_column("Base", key="base")
        self.query_one("#queue-detail", Static).border_title = "Details"
        self.refresh_rows()
        table.focus()
        self.set_interval(REFRESH_SECONDS, self.refresh_live)

    def refresh_live(self) -> None:
        """Read the entry states and the check log again while the queue lands."""
        if not self.landing:
            return
        # Entries still queued are part of this run, so they keep showing as landing.
        rows = [
            replace(row, state=EntryState.LANDING) if row.state == EntryState.QUEUED else row
            for row in self.queue.queue_rows()
        ]
        self.refresh_rows(rows)

    def refresh_rows(self, rows: list[QueueRow] | None = None) -> None:
        """Redraw the table from *rows*, or from the queue source, keeping the selection."""
        table = self.query_one(DataTable)
        selected = self.selected_row()
        self.rows = self.queue.queue_rows() if rows is None else rows

        table.clear()
        for row in self.rows:
            table.add_row(state_text(row.state), row.strategy, row.title, row.branch, row.base_branch, key=row.entry_id)

        empty = not self.rows
        self.query_one("#queue-empty", Static).display = empty
        table.display = not empty
        self.query_one("#queue-detail", Static).display = not empty

        ids = [row.entry_id for row in self.rows]
        if selected is not None and selected.entry_id in ids:
            table.move_cursor(row=ids.index(selected.entry_id))
        self.show_detail()

    def selected_row(self) -> QueueRow | None:
        """Return the row under the cursor, or None when the queue is empty."""
        if not self.rows:
            return None
        index = self.query_one(DataTable).cursor_row
        if 0 <= index < len(self.rows):
            return self.rows[index]
        return None

    def show_detail(self) -> None:
        """Show the conflict paths or message of the selected entry."""
        row = self.selected_row()
        detail = self.query_one("#queue-detail", Static)
        if row is None:
            detail.update("")
            return
        text = Text()
        text.append_text(state_text(row.state))
        text.append(f"  {row.title}  ", style="bold")
        text.append(f"{row.branch} → {row.base_branch}  ({row.strategy})", style="dim")
        text.append("\n")
        text.append(row.detail or _default_detail(row.state))
        tail = _log_tail(row.log_path)
        if tail:
            text.append(f"\n\nCheck log {row.log_path}:\n", style="bold")
            text.append(tail, style="dim")
        detail.update(text)

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        self.show_detail()

    def action_cursor_down(self) -> None:
        self.query_one(DataTable).action_cursor_down()

    def action_cursor_up(self) -> None:
        self.query_one(DataTable).action_cursor_up()

    def action_back(self) -> None:
        self.dismiss(None)

    def action_land(self) -> None:
        # A landing started from an earlier visit to this screen may still run on the app.
        running = any(worker.group == LAND_WORKER_GROUP and not worker.is_finished for worker in self.app.workers)
        if self.landing or running:
            self.notify("The queue is already landing", severity="warning")
            return
        queued = [row for row in self.rows if row.state == EntryState.QUEUED]
        if not queued:
            self.notify("Nothing to land: no entry is queued")
            return

        # The worker blocks until every entry is done, so queued rows show as landing meanwhile.
        self.refresh_rows(
            [replace(row, state=EntryState.LANDING) if row.state == EntryState.QUEUED else row for row in self.rows]
        )
        self.query_one("#queue-progress-text", Static).update(f"Landing {_count(len(queued), 'entry', 'entries')}…")
        self.landing = True
        # The app owns the worker so that leaving this screen does not abandon a landing half-reported.
        app = self.app
        app.run_worker(partial(self.land_blocking, app), name=LAND_WORKER_GROUP, group=LAND_WORKER_GROUP, thread=True)

    def land_blocking(self, app: App[object]) -> None:
        """Land the queue on a worker thread and hand the outcomes back to *app*'s event loop.

        *app* is passed in because a dismissed screen no longer reaches its app.
        """
        try:
            outcomes = self.queue.land_queue()
        except AgentdeckError as error:
            log.error("landing the queue failed: %s", error)
            app.call_from_thread(self.landing_failed, app, str(error))
            return
        app.call_from_thread(self.landing_done, app, outcomes)

    def landing_done(self, app: App[object], outcomes: list[LandOutcome]) -> None:
        """Redraw after a landing run and toast how it went."""
        summary = summarize_outcomes(outcomes)
        all_landed = all(outcome.state == EntryState.LANDED for outcome in outcomes)
        # The user may have left the screen while the queue landed; the toast still belongs to the app.
        app.notify(summary, title="Merge queue", severity="information" if all_landed else "warning")
        if self.is_attached:
            self.landing = False
            self.refresh_rows()

    def landing_failed(self, app: App[object], message: str) -> None:
        """Redraw after a landing run that raised, and show why."""
        app.notify(message, title="Landing failed", severity="error")
        if self.is_attached:
            self.landing = False
            self.refresh_rows()

    def watch_landing(self, landing: bool) -> None:
        self.query_one("#queue-progress").set_class(landing, "-active")

    def action_remove_entry(self) -> None:
        if self.landing:
            self.notify("Wait until the queue has landed, then remove the entry", severity="warning")
            return
        row = self.selected_row()
        if row is None:
            return
        try:
            self.queue.remove_entry(row.entry_id)
        except AgentdeckError as error:
            log.error("removing queue entry %s failed: %s", row.entry_id, error)
            self.notify(str(error), title="Not removed", severity="error")
            return
        self.refresh_rows()
        self.notify(f"Removed {row.title!r} from the merge queue; its branch is kept")

    def _change(self, verb: str, change, row: QueueRow) -> bool:
        """Run one change to the queue, toast its error, redraw; return True when it worked."""
        if self.landing:
            self.notify(f"Wait until the queue has landed, then {verb}", severity="warning")
            return False
        try:
            change()
        except AgentdeckError as error:
            log.error("queue entry %s: %s failed: %s", row.entry_id, verb, error)
            self.notify(str(error), title="Not changed", severity="error")
            return False
        self.refresh_rows()
        return True

    def action_move_up(self) -> None:
        self._move(-1)

    def action_move_down(self) -> None:
        self._move(1)

    def _move(self, offset: int) -> None:
        row = self.selected_row()
        if row is None:
            return
        if self._change("move the entry", partial(self.queue.move_entry, row.entry_id, offset), row):
            ids = [item.entry_id for item in self.rows]
            self.query_one(DataTable).move_cursor(row=ids.index(row.entry_id))

    def action_requeue(self) -> None:
        row = self.selected_row()
        if row is None:
            return
        if self._change("queue the entry again", partial(self.queue.requeue_entry, row.entry_id), row):
            self.notify(f"Queued {row.title!r} again")

    def action_cycle_strategy(self) -> None:
        row = self.selected_row()
        if row is None:
            return
        strategy = next_strategy(row.strategy)
        if self._change("change the strategy", partial(self.queue.set_strategy, row.entry_id, strategy), row):
            self.notify(f"{row.title!r} will land with {strategy}")

    def action_send_to_agent(self) -> None:
        row = self.selected_row()
        if row is None:
            return
        if row.state != EntryState.CONFLICT:
            self.notify("Only an entry in conflict can be sent to its agent", severity="warning")
            return
        app = self.app
        # Typing the prompt into the agent's terminal waits between paste and Enter, so it runs off the event loop.
        app.run_worker(partial(self.send_blocking, app, row), group=SEND_WORKER_GROUP, thread=True)

    def send_blocking(self, app: App[object], row: QueueRow) -> None:
        """Send the conflicts of *row* to its task's agent on a worker thread and toast how it went."""
        try:
            self.queue.send_conflict_to_agent(row.entry_id)
        except AgentdeckError as error:
            log.error("queue entry %s: cannot send the conflicts: %s", row.entry_id, error)
            app.call_from_thread(app.notify, str(error), title="Not sent", severity="error")
            return
        app.call_from_thread(
            app.notify, f"Asked the agent of {row.title!r} to resolve the conflicts; press r here when it is done"
        )


def _default_detail(state: EntryState) -> str:
    if state == EntryState.QUEUED:
        return "Waiting to land. Press l to land the queue."
    if state == EntryState.LANDING:
        return "Landing now."
    return ""


def _log_tail(path: str) -> str:
    if not path:
        return ""
    try:
        with open(path, "rb") as handle:
            # Only the end is shown, so a long log is not read whole on every refresh.
            handle.seek(0, 2)
            size = handle.tell()
            handle.seek(max(0, size - 8192))
            data = handle.read()
    except OSError:
        return ""
    lines = data.decode("utf-8", errors="replace").splitlines()
    return "\n".join(lines[-LOG_TAIL_LINES:])


def _count(count: int, singular: str, plural: str) -> str:
    return f"{count} {singular if count == 1 else plural}"
