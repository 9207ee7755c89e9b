"""The review screen: a task's changed files beside its diff, ending in approve or in comments sent back."""

from __future__ import annotations

import gc
import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING, Any

from textual._styles_cache import StylesCache  # private: see on_unmount
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.widgets import OptionList, Static
from textual.worker import Worker, WorkerState

from agentdeck.errors import AgentdeckError
from agentdeck.review import FileChange, Review
from agentdeck.review_comments import ReviewComment, ReviewRound, ReviewStore, TaskReviews
from agentdeck.ui.diff_highlight import highlight_file, highlight_file_in_process, shutdown_highlighter
from agentdeck.ui.screens.review_comment import CommentScreen
from agentdeck.ui.widgets.diff_view import EMPTY_DIFF, DiffView, PreparedDiff, prepare_diff, prepare_leading
from agentdeck.ui.widgets.file_list import FileList, change_details
from agentdeck.ui.widgets.key_footer import KeyFooter

if TYPE_CHECKING:
    from agentdeck.deck import Deck

log = logging.getLogger(__name__)

_LOAD_GROUP = "review-load"
_ROWS_GROUP = "review-rows"
_PREFETCH_GROUP = "review-prefetch"
_HIGHLIGHT_GROUP = "review-highlight"
_POLL_GROUP = "review-poll"
_COMMENTS_GROUP = "review-comments"

REFRESH_SECONDS = 2.0
"""How often the screen checks whether the agent changed the worktree."""

LEADING_ROWS = 500
"""Rows laid out first for a big file, so its first screen is drawn before the rest of it is parsed."""

LEADING_FROM_LINES = 2_000
"""Changed lines from which a file is shown in two steps: its leading rows, then all of it."""

GC_GENERATION0_THRESHOLD = 10_000
"""Allocations between two young-generation garbage collections while a review is open (Python's default is 700).

A 50,000-line diff keeps a few hundred thousand objects alive, and each full
collection walks all of them, taking 100 ms or more on the benchmark
machine. Scrolling allocates strips quickly, so with the default a full
collection ran every 17 frames or so. With this value, paging through such a
file ran 3 full collections in 736 frames instead of 68 (bench/review_speed.py).
"""

FREEZE_FROM_LINES = 2_000
"""Changed lines from which the objects alive once a file is laid out or coloured are kept out of garbage collection.

With ``gc.freeze()`` full collections skip the rows and colour runs of a
big diff, which otherwise walk all of them (about 100 ms for a 50,000-line
diff) every so often while the reader scrolls. ``gc.unfreeze()`` undoes it
when the screen closes.
"""

PREFETCH_LINES = 20_000
"""Changed lines of the other files up to which all of them are laid out in the background after the first one is shown."""

IN_PROCESS_HIGHLIGHT_LINES = 4_000
"""Files up to this many lines (both sides) are highlighted in a thread; larger ones in a child process."""


@dataclass
class ReviewSource:
    """The callables a review screen loads its diff with and sends its comments through; each runs in a worker thread."""

    load: Callable[[bool], Review]
    """Computes the review; the argument hides whitespace-only changes when True.

    Files may come with their patch text unparsed (``lazy_hunks``): the
    screen parses a file in a worker when it is shown.
    """
    fingerprint: Callable[[], str] | None = None
    """Returns :attr:`Review.fingerprint` as it would be now; None turns refreshing off."""
    store: ReviewStore | None = None
    """Keeps pending comments and earlier rounds; None turns comments off."""
    task_id: str = ""
    send: Callable[[list[ReviewComment]], ReviewRound] | None = None
    """Sends comments to the agent as one prompt and records the round."""

    @classmethod
    def for_deck(cls, deck: Deck, task_id: str) -> ReviewSource:
        """Build the source of a task of *deck*."""
        return cls(
            load=lambda ignore_whitespace: deck.review(task_id, ignore_whitespace, lazy_hunks=True),
            fingerprint=deck.review_watch(task_id).fingerprint,
            store=deck.review_store,
            task_id=task_id,
            send=lambda comments: deck.send_review_comments(task_id, comments),
        )


def empty_diff_message(change: FileChange) -> str:
    """Explain why *change* has no lines to show."""
    if change.binary:
        details = ", ".join(change_details(change))
        return f"Binary file ({details}); its contents are not shown."
    if change.status == "typechange":
        return f"Type changed: {', '.join(change_details(change))}."
    if change.mode_changed:
        return f"Only the file mode changed: {change.old_mode:o} \N{RIGHTWARDS ARROW} {change.new_mode:o}."
    if change.status == "added":
        return "Empty file added."
    if change.status == "deleted":
        return "Empty file deleted."
    if change.status in ("renamed", "copied"):
        return f"{change.status.capitalize()} from {change.old_path} without changes ({change.similarity}% similar)."
    return "No line changes left once whitespace-only changes are hidden (W shows them)."


def summary_line(review: Review) -> str:
    """Describe the size of *review* in one line."""
    count = len(review.files)
    files = "1 file" if count == 1 else f"{count} files"
    return (
        f"{files} changed, +{review.added} \N{MINUS SIGN}{review.removed} "
        f"against {review.base_branch} (merge-base {review.merge_base[:10]})"
    )


def rounds_text(reviews: TaskReviews) -> str:
    """Describe pending comments and earlier rounds for the panel under the file list."""
    # Short lines, because the side panel is 19 columns wide at 80.
    lines = [f"Pending: {len(reviews.pending)}"]
    for item in reversed(reviews.rounds):
        count = "1 comment" if len(item.comments) == 1 else f"{len(item.comments)} comments"
        sent = time.strftime("%Y-%m-%d %H:%M", time.localtime(item.sent_at))
        lines.append(f"Round {item.number}: {count}")
        lines.append(f"  sent {sent}")
        for comment in item.comments[:3]:
            lines.append(f"  {comment.location}")
        if len(item.comments) > 3:
            lines.append(f"  \N{HORIZONTAL ELLIPSIS} {len(item.comments) - 3} more")
    return "\n".join(lines)


_FILES = Binding.Group("Files", compact=True)
_HUNKS = Binding.Group("Hunks", compact=True)

_NARROW_HIDDEN = frozenset({"toggle_context", "toggle_whitespace"})
"""Actions whose keys leave the footer below 100 columns, so the others fit in 80."""


class _ReviewFooter(KeyFooter):
    """The footer, with the keys of :data:`_NARROW_HIDDEN` marked so CSS can hide them on narrow screens."""

    def compose(self) -> ComposeResult:
        for widget in super().compose():
            # Footer keys are FooterKey widgets, which Textual does not export; each carries its binding's action.
            if getattr(widget, "action", None) in _NARROW_HIDDEN:
                widget.add_class("-narrow-hidden")
            yield widget


class _Handoff:
    """A worker's job, and then its result, each handed over once.

    Textual's Worker and its task refer to each other, so a finished worker
    lives until a full garbage collection, holding its work and its result.
    Passed through this box, emptied on use, they leave a finished worker
    holding no diff, and a closed review's rows go at once.
    """

    __slots__ = ("_content",)

    def __init__(self, work: Callable[[], object]) -> None:
        self._content: object = work

    def run(self) -> _Handoff:
        """Run the job in the worker's thread and keep its result; returns the box."""
        work, self._content = self._content, None
        self._content = work()  # type: ignore[operator]
        return self

    def take(self) -> Any:
        """Return the result and empty the box."""
        content, self._content = self._content, None
        return content


class ReviewScreen(Screen[str | None]):
    """A screen to review a task's changes file by file, dismissed with "approve" or with None to go back.

    | Key | Action |
    | :- | :- |
    | `j` / `k` | Next / previous file. |
    | `]` / `[` | Next / previous hunk, going on into the next or previous file at either end. |
    | `u` | Unified or side by side. |
    | `w` | Wrap long lines or scroll sideways. |
    | `e` | Show or fold unchanged lines. |
    | `W` | Hide or show whitespace-only changes. |
    | `c` | Comment on the cursor line or the selected lines. |
    | `r` | Send the pending comments to the agent as one prompt. |
    | `a` | Approve: dismiss with "approve". |
    | `escape` | Back: dismiss with None. |
    """

    # The footer shows bindings in this order: the ones that end a review come
    # before the layout toggles, and below 100 columns the toggles marked in
    # _NARROW_HIDDEN leave the footer (the help screen still lists them).
    BINDINGS = [
        Binding("j", "next_file", "Next file", id="review.next_file", tooltip="Show the next changed file", group=_FILES),
        Binding("k", "previous_file", "Previous file", id="review.previous_file", tooltip="Show the previous changed file", group=_FILES),
        Binding("left_square_bracket", "previous_hunk", "Previous hunk", key_display="[", id="review.previous_hunk", tooltip="Scroll to the previous hunk, or to the last hunk of the previous file", group=_HUNKS),
        Binding("right_square_bracket", "next_hunk", "Next hunk", key_display="]", id="review.next_hunk", tooltip="Scroll to the next hunk, or to the first hunk of the next file", group=_HUNKS),
        Binding("c", "comment", "Comment", id="review.comment", tooltip="Comment on the cursor line or the selected lines (shift+up/down selects)"),
        Binding("r", "send_comments", "Send", id="review.send_comments", tooltip="Send the pending comments to the agent as one follow-up prompt"),
        Binding("a", "approve", "Approve", id="review.approve", tooltip="Commit pending changes and add the task to the merge queue"),
        Binding("escape", "back", "Back", id="review.back", tooltip="Return to the deck without approving"),
        Binding("u", "toggle_unified", "Unified", id="review.toggle_unified", tooltip="Switch between side by side and one column"),
        Binding("w", "toggle_wrap", "Wrap", id="review.toggle_wrap", tooltip="Wrap long lines, or scroll both sides sideways together"),
        Binding("e", "toggle_context", "Context", id="review.toggle_context", tooltip="Show or fold the unchanged lines between hunks"),
        Binding("W", "toggle_whitespace", "Whitespace", key_display="W", id="review.toggle_whitespace", tooltip="Hide or show changes that only touch whitespace"),
        Binding("question_mark", "help", "Help", key_display="?", show=False, id="review.help", tooltip="List every key"),
    ]

    DEFAULT_CSS = """
    ReviewScreen {
        #review-title { height: 1; padding: 0 1; background: $panel; text-style: bold; }
        #review-status { height: auto; padding: 0 1; color: $text-muted; }
        #review-status.-error { color: $text-error; }
        #review-body { height: 1fr; }
        #review-side { width: 24%; min-width: 16; max-width: 50; }
        #review-files { height: 1fr; border: none; }
        /* Below 100 columns a wrapped entry takes two to four rows; the header above the diff shows what is cut. */
        &.-narrow #review-files { text-wrap: nowrap; text-overflow: ellipsis; }
        &.-narrow #review-rounds { max-height: 4; text-wrap: nowrap; text-overflow: ellipsis; }
        #review-rounds { height: auto; max-height: 10; padding: 0 1; color: $text-muted; background: $panel; }
        #review-file-header { height: 1; padding: 0 1; background: $boost; text-wrap: nowrap; text-overflow: ellipsis; }
        #review-diff { height: 1fr; }
        #review-footer-placeholder { dock: bottom; height: 1; background: $footer-background; }
        .-hidden { display: none; }
        &.-narrow FooterKey.-narrow-hidden { display: none; }
        Footer.-compact FooterLabel { margin-right: 2; }
    }
    """

    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (100, "-wide")]

    def __init__(
        self,
        title: str,
        source: ReviewSource | Callable[[], Review],
        refresh_seconds: float | None = REFRESH_SECONDS,
    ) -> None:
        super().__init__()
        self._title = title
        if not isinstance(source, ReviewSource):
            plain = source
            source = ReviewSource(load=lambda ignore_whitespace: plain())
        self._source = source
        self._refresh_seconds = refresh_seconds
        self._review: Review | None = None
        self._reviews = TaskReviews(source.task_id)
        self._prepared: dict[str, PreparedDiff] = {}
        self._selected: int | None = None
        self._ignore_whitespace = False
        self._keep_place = False
        self._polling = False
        self._gc_threshold = gc.get_threshold()
        self._bindings_stale = False
        self._frozen = False
        self._hunk_on_show: tuple[str, int] | None = None
        """The file and hunk to put the cursor on once that file is shown whole, after ] or [ crossed into it."""
        # The first load starts now, while the screen is still being built:
        # most of it waits on git, so it overlaps the screen's own set-up.
        self._first_load: Future[tuple[Review, TaskReviews, dict[str, PreparedDiff]]] | None = Future()
        threading.Thread(target=self._run_first_load, args=(self._first_load,), name="agentdeck-review-load", daemon=True).start()

    # -- state -------------------------------------------------------------------------

    @property
    def review(self) -> Review | None:
        """The loaded review, or None while loading, after an error, and once the screen is closed."""
        return self._review

    @property
    def selected_file(self) -> FileChange | None:
        """The file whose diff is shown."""
        if self._review is None or self._selected is None:
            return None
        return self._review.files[self._selected]

    @property
    def task_reviews(self) -> TaskReviews:
        """Pending comments and earlier rounds, as last read from the store."""
        return self._reviews

    @property
    def ignore_whitespace(self) -> bool:
        """True when whitespace-only changes are hidden."""
        return self._ignore_whitespace

    def compose(self) -> ComposeResult:
        yield Static(f"Review: {self._title}", id="review-title", markup=False)
        yield Static("Loading\N{HORIZONTAL ELLIPSIS}", id="review-status", markup=False)
        # The body is laid out while the review loads, so the diff view
        # already has its size when the first rows arrive.
        with Horizontal(id="review-body"):
            with Vertical(id="review-side"):
                yield FileList(id="review-files")
                yield Static("", id="review-rounds", markup=False, classes="-hidden")
            with Vertical():
                yield Static("", id="review-file-header", markup=False)
                yield DiffView(id="review-diff")
        # The footer builds a widget per key, which takes the UI thread a few
        # tens of milliseconds that the first diff needs. It takes this
        # placeholder's row once the diff is drawn (on_diff_view_painted).
        yield Static("", id="review-footer-placeholder")

    def on_mount(self) -> None:
        # Collecting less often makes full collections rarer, each of which
        # walks every row of a big diff. Process-wide, so it ends with the screen.
        self._gc_threshold = gc.get_threshold()
        gc.set_threshold(max(GC_GENERATION0_THRESHOLD, self._gc_threshold[0]), *self._gc_threshold[1:])
        self._start_load()
        if self._source.fingerprint is not None and self._refresh_seconds:
            self.set_interval(self._refresh_seconds, self._poll)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "approve" and self._review is None:
            # Shown disabled until there is a review to approve.
            return None
        if action == "comment" and self._source.store is None:
            return False
        if action == "send_comments" and (self._source.send is None or not self._reviews.pending):
            return None if self._source.send is not None else False
        return True

    # -- actions -------------------------------------------------------------------------

    def action_next_file(self) -> None:
        self.query_one(FileList).action_cursor_down()

    def action_previous_file(self) -> None:
        self.query_one(FileList).action_cursor_up()

    def action_next_hunk(self) -> None:
        if not self.query_one(DiffView).next_hunk():
            self._step_file(1, hunk=0)

    def action_previous_hunk(self) -> None:
        if not self.query_one(DiffView).previous_hunk():
            self._step_file(-1, hunk=-1)

    def _step_file(self, step: int, hunk: int) -> None:
        """Show the next (*step* 1) or previous (-1) file with its cursor on hunk *hunk*, or ring the bell at the end of the list."""
        if self._review is None or self._selected is None:
            return
        if not 0 <= self._selected + step < len(self._review.files):
            self.app.bell()
            return
        self._hunk_on_show = (self._review.files[self._selected + step].path, hunk)
        file_list = self.query_one(FileList)
        if step > 0:
            file_list.action_cursor_down()
        else:
            file_list.action_cursor_up()

    def action_toggle_unified(self) -> None:
        view = self.query_one(DiffView)
        view.set_layout(unified=not view.unified)
        self._update_header()

    def action_toggle_wrap(self) -> None:
        view = self.query_one(DiffView)
        view.set_layout(wrap=not view.wrap)
        self._update_header()

    def action_toggle_context(self) -> None:
        view = self.query_one(DiffView)
        view.set_layout(expanded=not view.expanded)
        self._update_header()

    def action_toggle_whitespace(self) -> None:
        self._ignore_whitespace = not self._ignore_whitespace
        self._start_load(keep_place=True)

    def action_comment(self) -> None:
        change = self.selected_file
        selection = self.query_one(DiffView).selection()
        if change is None or selection is None or self._source.store is None:
            self.notify("Move the cursor to a line of the diff first.", severity="warning")
            return
        draft = ReviewComment(change.path, selection.side, selection.start, selection.end, selection.quoted, "")
        self.app.push_screen(CommentScreen(draft.location, selection.quoted), partial(self._comment_written, draft))

    def action_send_comments(self) -> None:
        if self._source.send is None or not self._reviews.pending:
            self.notify("No pending comments; press c on a line to write one.", severity="warning")
            return
        self.run_worker(partial(self._send, list(self._reviews.pending)), name="send comments", description="send comments", group=_COMMENTS_GROUP, thread=True, exit_on_error=False)

    def action_approve(self) -> None:
        if self._review is None:
            return
        self.dismiss("approve")

    def action_help(self) -> None:
        from agentdeck.ui.screens.help import HelpScreen

        self.app.push_screen(HelpScreen())

    def action_back(self) -> None:
        self.dismiss(None)

    # -- events ------------------------------------------------------------------------

    def on_option_list_option_highlighted(self, event: OptionList.OptionHighlighted) -> None:
        event.stop()
        self._select(event.option_index)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        worker = event.worker
        if event.state == WorkerState.ERROR:
            self._worker_failed(worker)
            return
        if event.state != WorkerState.SUCCESS:
            return
        if worker.group == _LOAD_GROUP:
            review, reviews, prepared = worker.result.take()
            self._show_review(review, reviews, prepared)
            change = self.selected_file
            if change is not None and change.path in prepared and not prepared[change.path].partial:
                # A reload lays the file out whole in the load itself.
                self._freeze_if_big()
        elif worker.group == _ROWS_GROUP:
            review, change, prepared = worker.result.take()
            if review is self._review:
                previous = self._prepared.get(change.path)
                self._prepared[change.path] = prepared
                if change is self.selected_file:
                    # Rows that replace a file's leading rows keep the reader's place in them.
                    replaces_leading = previous is not None and previous.partial
                    self._show_prepared(change, prepared, keep_place=self._keep_place or replaces_leading)
                    self._freeze_if_big()
                self._start_prefetch()
        elif worker.group == _PREFETCH_GROUP:
            review, prepared = worker.result.take()
            if review is self._review:
                for path, layout in prepared.items():
                    self._prepared.setdefault(path, layout)
        elif worker.group == _HIGHLIGHT_GROUP:
            prepared, highlight = worker.result.take()
            self.query_one(DiffView).set_highlight(prepared, highlight)
            self._freeze_if_big()
        elif worker.group == _POLL_GROUP:
            self._polling = False
            if self._review is not None and worker.result != self._review.fingerprint:
                log.info("review of %r: the worktree changed, reloading", self._title)
                self._start_load(keep_place=True)
        elif worker.group == _COMMENTS_GROUP:
            self._comments_changed(worker.result)

    # -- loading -----------------------------------------------------------------------

    def _start_load(self, keep_place: bool = False) -> None:
        # The review runs git and parses patches, which can take seconds on a
        # big change, so it runs in a thread and never on the event loop.
        self._keep_place = keep_place
        selected_path = self.selected_file.path if keep_place and self.selected_file is not None else None
        first_load, self._first_load = self._first_load, None
        if first_load is not None and not self._ignore_whitespace:
            # The load begun when the screen was made; the worker waits for its result.
            work: Callable[[], object] = first_load.result
        else:
            if first_load is not None:
                first_load.cancel()
            work = partial(self._load, self._ignore_whitespace, selected_path)
        self._run_job(work, "load review", _LOAD_GROUP)

    def _run_job(self, work: Callable[[], object], name: str, group: str) -> None:
        """Run *work* in a thread worker of *group*, replacing the group's earlier one; its result reaches on_worker_state_changed."""
        self.run_worker(_Handoff(work).run, name=name, description=name, group=group, thread=True, exclusive=True, exit_on_error=False)

    def _run_first_load(self, future: Future[tuple[Review, TaskReviews, dict[str, PreparedDiff]]]) -> None:
        if not future.set_running_or_notify_cancel():
            return
        try:
            result = self._load(False, None)
        except BaseException as error:  # noqa: BLE001 - handed to the load worker, which reports it
            future.set_exception(error)
        else:
            future.set_result(result)

    def _load(self, ignore_whitespace: bool, selected_path: str | None) -> tuple[Review, TaskReviews, dict[str, PreparedDiff]]:
        """Compute the review and lay out the file to show first: *selected_path* after a reload, else the first file.

        A big file gets only its leading rows here, and the rest in a second
        worker once they are on screen. After a reload the file is laid out
        whole, so the reader's place in it can be found again.
        """
        review = self._source.load(ignore_whitespace)
        reviews = self._source.store.load(self._source.task_id) if self._source.store is not None else TaskReviews("")
        if not review.files:
            return review, reviews, {}
        change = next((change for change in review.files if change.path == selected_path), review.files[0])
        if selected_path is None and change.added + change.removed >= LEADING_FROM_LINES:
            prepared = prepare_leading(change, LEADING_ROWS)
        else:
            prepared = prepare_diff(review, change)
        return review, reviews, {change.path: prepared}

    def _start_prefetch(self) -> None:
        review = self._review
        if review is None:
            return
        waiting = [change for change in review.files if change.path not in self._prepared]
        if not waiting or sum(change.added + change.removed for change in waiting) > PREFETCH_LINES:
            return
        self._run_job(partial(self._prefetch, review, waiting), "lay out the other files", _PREFETCH_GROUP)

    @staticmethod
    def _prefetch(review: Review, changes: list[FileChange]) -> tuple[Review, dict[str, PreparedDiff]]:
        return review, {change.path: prepare_diff(review, change) for change in changes}

    def _poll(self) -> None:
        if self._polling or self._review is None or self._source.fingerprint is None or self.app.screen is not self:
            return
        self._polling = True
        self.run_worker(self._source.fingerprint, name="check for changes", group=_POLL_GROUP, thread=True, exclusive=True, exit_on_error=False)

    def _worker_failed(self, worker: Worker) -> None:
        error = worker.error
        if worker.group == _LOAD_GROUP:
            self._show_load_error(error)
        elif worker.group == _POLL_GROUP:
            self._polling = False
            log.warning("review of %r: checking for changes failed: %s", self._title, error)
        elif worker.group == _COMMENTS_GROUP:
            message = str(error) if isinstance(error, AgentdeckError) else f"Could not save or send the comments: {error}"
            log.warning("review of %r: %s", self._title, message, exc_info=None if isinstance(error, AgentdeckError) else error)
            self.notify(message, title="Comments not sent", severity="error", timeout=10)
        else:
            log.error("review of %r: %s failed", self._title, worker.name, exc_info=error)
            self.notify(f"Could not show this file's diff: {error}", severity="error")

    def _show_review(self, review: Review, reviews: TaskReviews, prepared: dict[str, PreparedDiff]) -> None:
        keep_place = self._keep_place and self._review is not None
        previous_path = self.selected_file.path if keep_place and self.selected_file is not None else None
        self._review = review
        self._reviews = reviews
        self._prepared = prepared
        self._show_rounds()
        # The footer rebuilds all its keys when bindings change, so with files
        # to show that waits until their diff is drawn (on_diff_view_painted).
        self._bindings_stale = True
        status = self.query_one("#review-status", Static)
        status.remove_class("-error")
        if not review.files:
            self._bindings_stale = False
            self.refresh_bindings()
            status.update(f"No changes against {review.base_branch} yet.")
            self._mount_footer()
            self.query_one("#review-body").add_class("-hidden")
            self._selected = None
            return

        status.update(summary_line(review) + (" (whitespace-only changes hidden)" if review.ignore_whitespace else ""))
        self.query_one("#review-body").remove_class("-hidden")
        paths = [change.path for change in review.files]
        index = paths.index(previous_path) if previous_path in paths else 0
        file_list = self.query_one(FileList)
        self._selected = None
        with self.prevent(OptionList.OptionHighlighted):
            file_list.show_files(review.files, index)
        if not keep_place:
            file_list.focus()
        self._select(index, keep_place=keep_place)

    def _show_load_error(self, error: BaseException | None) -> None:
        self._mount_footer()
        if isinstance(error, AgentdeckError):
            log.warning("review of %r failed: %s", self._title, error)
            message = str(error)
        else:
            log.error("review of %r failed", self._title, exc_info=error)
            message = f"Could not compute the review: {error}"
        status = self.query_one("#review-status", Static)
        status.update(message)
        status.add_class("-error")
        if self._review is None:
            self.query_one("#review-body").add_class("-hidden")
        self.notify(message, title="Review failed", severity="error")

    def _select(self, index: int | None, keep_place: bool = False) -> None:
        if self._review is None or index is None or index == self._selected:
            return
        self._selected = index
        change = self._review.files[index]
        self._keep_place = keep_place
        self._update_header()

        prepared = self._prepared.get(change.path)
        if prepared is not None:
            self._show_prepared(change, prepared, keep_place=keep_place)
            if not prepared.partial:
                self._start_prefetch()
                return
        elif not keep_place:
            self.query_one(DiffView).show(EMPTY_DIFF, "Loading\N{HORIZONTAL ELLIPSIS}")
        if prepared is None:
            self._start_layout(change)
        # Else the thread would hold the GIL against drawing the leading
        # rows, so on_diff_view_painted starts it once they are on screen.

    def _start_layout(self, change: FileChange) -> None:
        if self._review is None or change is not self.selected_file:
            return
        self._run_job(partial(self._prepare, self._review, change), f"lay out {change.path}", _ROWS_GROUP)

    @staticmethod
    def _prepare(review: Review, change: FileChange) -> tuple[Review, FileChange, PreparedDiff]:
        return review, change, prepare_diff(review, change)

    def _show_prepared(self, change: FileChange, prepared: PreparedDiff, keep_place: bool = False) -> None:
        view = self.query_one(DiffView)
        message = "" if prepared.rows or prepared.partial else empty_diff_message(change)
        view.show(prepared, message, keep_place=keep_place)
        if self._hunk_on_show is not None and self._hunk_on_show[0] == change.path and not prepared.partial:
            # Reached with ] or [ from the file before or after.
            view.go_to_hunk(self._hunk_on_show[1])
            self._hunk_on_show = None
        self._keep_place = False
        self._mark_comments()

    def on_diff_view_painted(self, event: DiffView.Painted) -> None:
        # Laying out a whole file and lexing it run in threads that hold the
        # GIL for most of their time, so they start once the rows they follow
        # are on screen.
        event.stop()
        change = self.selected_file
        prepared = event.prepared
        if change is None or prepared is not self._prepared.get(change.path):
            return
        self._mount_footer()
        if self._bindings_stale:
            self._bindings_stale = False
            self.refresh_bindings()
        if prepared.partial:
            self._start_layout(change)
        elif prepared.highlight is None and (prepared.old_lines or prepared.new_lines):
            self._start_highlight(change, prepared)

    def _mount_footer(self) -> None:
        placeholders = self.query("#review-footer-placeholder")
        if placeholders:
            # ctrl+p still opens the command palette; its footer entry would overlap the keys at 80 columns.
            self.mount(_ReviewFooter(compact=True, show_command_palette=False), before=placeholders.first())
            placeholders.remove()

    def _start_highlight(self, change: FileChange, prepared: PreparedDiff) -> None:
        self._run_job(partial(self._highlight, prepared, self.app.current_theme.dark), f"highlight {change.path}", _HIGHLIGHT_GROUP)

    @staticmethod
    def _highlight(prepared: PreparedDiff, dark: bool):
        size = len(prepared.old_lines or ()) + len(prepared.new_lines or ())
        highlight = highlight_file if size <= IN_PROCESS_HIGHLIGHT_LINES else highlight_file_in_process
        return prepared, highlight(prepared.path, prepared.old_lines, prepared.new_lines, dark)

    def _freeze_if_big(self) -> None:
        change = self.selected_file
        if change is not None and change.added + change.removed >= FREEZE_FROM_LINES:
            gc.freeze()
            self._frozen = True

    def on_unmount(self) -> None:
        shutdown_highlighter()
        gc.set_threshold(*self._gc_threshold)
        # The diff's objects go by reference counting now, rather than waiting
        # for a full collection to find the screen's widgets unreachable.
        self._review = None
        self._prepared = {}
        if self._frozen:
            gc.unfreeze()
        # Textual 8.2 memoizes this method per widget style cache, up to 1,024
        # entries, so it keeps the closed widgets' cached strips alive.
        StylesCache.get_inner_outer.cache_clear()

    # -- comments ----------------------------------------------------------------------

    def _comment_written(self, draft: ReviewComment, text: str | None) -> None:
        if not text or self._source.store is None:
            return
        comment = ReviewComment(draft.path, draft.side, draft.start_line, draft.end_line, draft.quoted, text)
        store = self._source.store
        task_id = self._source.task_id
        self.run_worker(partial(store.add_comment, task_id, comment), name="save comment", description="save comment", group=_COMMENTS_GROUP, thread=True, exit_on_error=False)

    def _send(self, comments: list[ReviewComment]) -> TaskReviews:
        sent = self._source.send(comments)
        log.info("review of %r: sent round %d", self._title, sent.number)
        return self._source.store.load(self._source.task_id) if self._source.store is not None else TaskReviews("", rounds=[sent])

    def _comments_changed(self, reviews: TaskReviews) -> None:
        sent = len(reviews.rounds) > len(self._reviews.rounds)
        self._reviews = reviews
        self._show_rounds()
        self._mark_comments()
        self.refresh_bindings()
        if sent:
            latest = reviews.rounds[-1]
            self.notify(f"Round {latest.number}: {len(latest.comments)} comment(s) sent to the agent.", title="Comments sent")

    def _show_rounds(self) -> None:
        panel = self.query_one("#review-rounds", Static)
        if self._source.store is None:
            panel.add_class("-hidden")
            return
        panel.update(rounds_text(self._reviews))
        panel.remove_class("-hidden")

    def _mark_comments(self) -> None:
        change = self.selected_file
        if change is None:
            return
        lines = frozenset(
            (comment.side, number)
            for comment in self._reviews.pending
            if comment.path == change.path
            for number in range(comment.start_line, comment.end_line + 1)
        )
        self.query_one(DiffView).set_commented(lines)

    def _update_header(self) -> None:
        change = self.selected_file
        if change is None:
            return
        view = self.query_one(DiffView)
        modes = ["unified" if view.unified else "split"]
        if view.wrap:
            modes.append("wrap")
        if view.expanded:
            modes.append("all lines")
        header = f"{change.status} {change.display_path}"
        if not change.binary:
            header += f"  +{change.added} \N{MINUS SIGN}{change.removed}"
        details = change_details(change)
        if details:
            header += "  " + ", ".join(details)
        self.query_one("#review-file-header", Static).update(f"{header}  [{', '.join(modes)}]")
