"""The review screen: a task's changed files beside a side-by-side diff, ending in approve or back."""

from __future__ import annotations

import logging
from collections.abc import Callable
from functools import partial

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.widgets import Footer, OptionList, Static
from textual.worker import Worker, WorkerState

from agentdeck.errors import AgentdeckError
from agentdeck.review import FileChange, Review
from agentdeck.ui.widgets.diff_view import DiffView, PreparedDiff, prepare_diff
from agentdeck.ui.widgets.file_list import FileList

log = logging.getLogger(__name__)

_LOAD_GROUP = "review-load"
_ROWS_GROUP = "review-rows"


def empty_diff_message(change: FileChange) -> str:
    """Explain why *change* has no lines to show side by side."""
    if change.binary:
        return "Binary file; its contents are not shown."
    if change.mode_changed:
        return f"Only the file mode changed: {change.old_mode:o} \N{RIGHTWARDS ARROW} {change.new_mode:o}."
    if change.status == "added":
        return "Empty file added."
    if change.status == "deleted":
        return "Empty file deleted."
    if change.status == "renamed":
        return f"Renamed from {change.old_path} without changes."
    return "No line changes."


def summary_line(review: Review) -> str:
    """Describe the size of *review* in one line."""
    count = len(review.files)
    files = "1 file" if count == 1 else f"{count} files"
    return (
        f"{files} changed, +{review.added} \N{MINUS SIGN}{review.removed} "
        f"against {review.base_branch} (merge-base {review.merge_base[:10]})"
    )


class ReviewScreen(Screen[str | None]):
    """A screen to review a task's changes file by file, dismissed with "approve" or with None to go back.

    | Key | Action |
    | :- | :- |
    | `j` / `k` | Next / previous file. |
    | `]` / `[` | Next / previous hunk. |
    | `a` | Approve: dismiss with "approve". |
    | `escape` | Back: dismiss with None. |
    """

    BINDINGS = [
        Binding("j", "next_file", "Next file", id="review.next_file", tooltip="Show the next changed file"),
        Binding("k", "previous_file", "Prev file", id="review.previous_file", tooltip="Show the previous changed file"),
        Binding("right_square_bracket", "next_hunk", "Next hunk", key_display="]", id="review.next_hunk", tooltip="Scroll to the next hunk"),
        Binding("left_square_bracket", "previous_hunk", "Prev hunk", key_display="[", id="review.previous_hunk", tooltip="Scroll to the previous hunk"),
        Binding("a", "approve", "Approve", id="review.approve", tooltip="Commit pending changes and add the task to the merge queue"),
        Binding("escape", "back", "Back", id="review.back", tooltip="Return to the deck without approving"),
    ]

    DEFAULT_CSS = """
    ReviewScreen {
        #review-title { height: 1; padding: 0 1; background: $panel; text-style: bold; }
        #review-status { height: auto; padding: 0 1; color: $text-muted; }
        #review-status.-error { color: $text-error; }
        #review-body { height: 1fr; }
        #review-files { width: 30%; min-width: 24; max-width: 60; border: none; }
        #review-file-header { height: 1; padding: 0 1; background: $boost; }
        #review-diff { height: 1fr; }
        .-hidden { display: none; }
    }
    """

    def __init__(self, title: str, load_review: Callable[[], Review]) -> None:
        super().__init__()
        self._title = title
        self._load_review = load_review
        self._review: Review | None = None
        self._prepared: dict[int, PreparedDiff] = {}
        self._selected: int | None = None

    @property
    def review(self) -> Review | None:
        """The loaded review, or None while loading or after an error."""
        return self._review

    @property
    def selected_file(self) -> FileChange | None:
        """The file whose diff is shown."""
        if self._review is None or self._selected is None:
            return None
        return self._review.files[self._selected]

    def compose(self) -> ComposeResult:
        yield Static(f"Review: {self._title}", id="review-title", markup=False)
        yield Static("Loading\N{HORIZONTAL ELLIPSIS}", id="review-status", markup=False)
        with Horizontal(id="review-body", classes="-hidden"):
            yield FileList(id="review-files")
            with Vertical():
                yield Static("", id="review-file-header", markup=False)
                yield DiffView(id="review-diff")
        yield Footer(compact=True)

    def on_mount(self) -> None:
        # The review runs git and parses patches, which can take seconds on a
        # big change, so it runs in a thread and never on the event loop.
        self.run_worker(self._load_review, name="load review", group=_LOAD_GROUP, thread=True, exit_on_error=False)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "approve" and self._review is None:
            # Shown disabled until there is a review to approve.
            return None
        return True

    def action_next_file(self) -> None:
        self.query_one(FileList).action_cursor_down()

    def action_previous_file(self) -> None:
        self.query_one(FileList).action_cursor_up()

    def action_next_hunk(self) -> None:
        self.query_one(DiffView).next_hunk()

    def action_previous_hunk(self) -> None:
        self.query_one(DiffView).previous_hunk()

    def action_approve(self) -> None:
        if self._review is None:
            return
        self.dismiss("approve")

    def action_back(self) -> None:
        self.dismiss(None)

    def on_option_list_option_highlighted(self, event: OptionList.OptionHighlighted) -> None:
        event.stop()
        self._select(event.option_index)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        worker = event.worker
        if worker.group == _LOAD_GROUP:
            if event.state == WorkerState.SUCCESS:
                self._show_review(worker.result)
            elif event.state == WorkerState.ERROR:
                self._show_load_error(worker.error)
        elif worker.group == _ROWS_GROUP and event.state == WorkerState.SUCCESS:
            index, prepared = worker.result
            self._prepared[index] = prepared
            if index == self._selected:
                self._show_prepared(index, prepared)
        elif worker.group == _ROWS_GROUP and event.state == WorkerState.ERROR:
            log.error("laying out the diff of %s failed", worker.name, exc_info=worker.error)
            self.notify(f"Could not show this file's diff: {worker.error}", severity="error")

    def _show_review(self, review: Review) -> None:
        self._review = review
        self.refresh_bindings()
        status = self.query_one("#review-status", Static)
        if not review.files:
            status.update(f"No changes against {review.base_branch} yet.")
            return

        status.update(summary_line(review))
        self.query_one("#review-body").remove_class("-hidden")
        file_list = self.query_one(FileList)
        file_list.show_files(review.files)
        file_list.focus()
        self._select(0)

    def _show_load_error(self, error: BaseException | None) -> None:
        if isinstance(error, AgentdeckError):
            log.warning("review of %r failed: %s", self._title, error)
            message = str(error)
        else:
            log.error("review of %r failed", self._title, exc_info=error)
            message = f"Could not compute the review: {error}"
        status = self.query_one("#review-status", Static)
        status.update(message)
        status.add_class("-error")
        self.notify(message, title="Review failed", severity="error")

    def _select(self, index: int | None) -> None:
        if self._review is None or index is None or index == self._selected:
            return
        self._selected = index
        change = self._review.files[index]
        self.query_one("#review-file-header", Static).update(self._file_header(change))

        prepared = self._prepared.get(index)
        if prepared is not None:
            self._show_prepared(index, prepared)
            return
        self.query_one(DiffView).show(PreparedDiff([], [], 1, 0), "Loading\N{HORIZONTAL ELLIPSIS}")
        self.run_worker(
            partial(self._prepare, index, change),
            name=f"lay out {change.path}",
            group=_ROWS_GROUP,
            thread=True,
            exclusive=True,
            exit_on_error=False,
        )

    @staticmethod
    def _prepare(index: int, change: FileChange) -> tuple[int, PreparedDiff]:
        return index, prepare_diff(change)

    def _show_prepared(self, index: int, prepared: PreparedDiff) -> None:
        change = self._review.files[index] if self._review is not None else None
        message = empty_diff_message(change) if change is not None else ""
        self.query_one(DiffView).show(prepared, message)

    @staticmethod
    def _file_header(change: FileChange) -> str:
        header = f"{change.status} {change.path}"
        if change.old_path:
            header += f" (from {change.old_path})"
        if change.mode_changed:
            header += f"  mode {change.old_mode:o} \N{RIGHTWARDS ARROW} {change.new_mode:o}"
        if change.binary:
            return header + "  binary"
        return header + f"  +{change.added} \N{MINUS SIGN}{change.removed}"
