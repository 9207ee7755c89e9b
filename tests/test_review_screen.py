"""Pilot tests of the review screen on a real repository with a linked worktree."""

from __future__ import annotations

import os
import shutil
import subprocess
import threading
from pathlib import Path

import pytest
from rich.cells import cell_len
from textual.app import App
from textual.pilot import Pilot

from agentdeck.errors import ReviewError
from agentdeck.review import Review, ReviewWatch, compute_review
from agentdeck.review_comments import ReviewStore, format_prompt
from agentdeck.ui.screens.review import ReviewScreen, ReviewSource
from agentdeck.ui.screens.review_comment import CommentScreen
from agentdeck.ui.widgets.diff_view import COMMENT_MARK, CONTINUATION, EMPTY_DIFF, MORE_LEFT, MORE_RIGHT, SEPARATOR, DiffView
from agentdeck.ui.widgets.file_list import FileList, change_details

BRANCH = "agentdeck/greeting"
GIT = shutil.which("git")
SIZES = [(120, 40), (80, 24)]

pytestmark = pytest.mark.skipif(GIT is None, reason="the fixture repository is built with the git CLI")


def git(cwd: Path, *args: str) -> None:
    subprocess.run([GIT, *args], cwd=cwd, check=True, capture_output=True)


@pytest.fixture
def worktree(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", os.devnull)
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    repo = tmp_path / "repo"
    repo.mkdir()
    git(repo, "init", "-q", "-b", "main")
    git(repo, "config", "user.name", "Test Author")
    git(repo, "config", "user.email", "author@example.com")
    (repo / "greeting.py").write_text('def greet():\n    return "hello"\n')
    (repo / "long.txt").write_text("".join(f"row {n}\n" for n in range(1, 201)))
    (repo / "wide.txt").write_text("日本\tend\nplain\nmixed 漢字 and ascii\n", encoding="utf-8")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "base")

    worktree = tmp_path / "repo.worktrees" / "greeting"
    git(repo, "worktree", "add", "-q", "-b", BRANCH, str(worktree))
    (worktree / "greeting.py").write_text('def greet():\n    return "goodbye"\n')
    # Three hunks, the first two long enough that the view has to scroll.
    lines = [f"row {n}\n" for n in range(1, 201)]
    for n in range(0, 60):
        lines[n] = f"row {n + 1} changed\n"
    for n in range(100, 160):
        lines[n] = f"row {n + 1} edited\n"
    lines[189] = "row one hundred ninety\n"
    (worktree / "long.txt").write_text("".join(lines))
    (worktree / "wide.txt").write_text("日本語のテキスト\tend\nplain 漢字\nmixed 漢字漢字 and ascii\nnew 新しい\n", encoding="utf-8")
    return worktree


class ReviewApp(App[None]):
    """A bare app that opens one review screen and records how it was dismissed."""

    def __init__(self, screen: ReviewScreen) -> None:
        super().__init__()
        self.review_screen = screen
        self.dismissed_with: object = "not dismissed"

    def on_mount(self) -> None:
        self.push_screen(self.review_screen, callback=self._record)

    def _record(self, result: str | None) -> None:
        self.dismissed_with = result


def loader(worktree: Path):
    return lambda: compute_review(worktree, BRANCH, "main")


async def settle(pilot: Pilot) -> None:
    # Loading the review starts a second worker for the first file's rows.
    for _ in range(3):
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()


def screen_text(app: App) -> str:
    # The compositor renders what the terminal would show, one strip per line.
    return "\n".join(strip.text for strip in app.screen._compositor.render_strips())


@pytest.mark.parametrize("size", SIZES)
async def test_files_and_changes_shown(worktree: Path, size: tuple[int, int]) -> None:
    app = ReviewApp(ReviewScreen("Say goodbye", loader(worktree)))
    async with app.run_test(size=size) as pilot:
        await settle(pilot)
        text = screen_text(app)

    assert "Say goodbye" in text
    assert "greeting.py" in text
    assert "long.txt" in text
    assert "wide.txt" in text
    assert '"hello"' in text
    assert '"goodbye"' in text
    assert "Approve" in text
    assert "Back" in text


@pytest.mark.parametrize("size", SIZES)
async def test_j_and_k_move_between_files(worktree: Path, size: tuple[int, int]) -> None:
    screen = ReviewScreen("Say goodbye", loader(worktree))
    app = ReviewApp(screen)
    async with app.run_test(size=size) as pilot:
        await settle(pilot)
        first = screen.selected_file.path

        await pilot.press("j")
        await settle(pilot)
        second = screen.selected_file.path
        second_text = screen_text(app)

        await pilot.press("k")
        await settle(pilot)
        back = screen.selected_file.path

    assert (first, second, back) == ("greeting.py", "long.txt", "greeting.py")
    assert "row 1 changed" in second_text


@pytest.mark.parametrize("size", SIZES)
async def test_approve_key_dismisses_screen(worktree: Path, size: tuple[int, int]) -> None:
    app = ReviewApp(ReviewScreen("Say goodbye", loader(worktree)))
    async with app.run_test(size=size) as pilot:
        await settle(pilot)
        await pilot.press("a")
        await pilot.pause()

    assert app.dismissed_with == "approve"


async def test_escape_dismisses_with_none(worktree: Path) -> None:
    app = ReviewApp(ReviewScreen("Say goodbye", loader(worktree)))
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("escape")
        await pilot.pause()

    assert app.dismissed_with is None


async def test_hunk_keys_scroll_to_hunks(worktree: Path) -> None:
    screen = ReviewScreen("Say goodbye", loader(worktree))
    app = ReviewApp(screen)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("j")
        await settle(pilot)
        view = app.screen.query_one(DiffView)
        hunk_rows = [index for index, row in enumerate(view.rows) if row.kind == "hunk"]

        await pilot.press("]")
        await pilot.pause()
        after_next = (view.current_hunk, view.scroll_offset.y)
        next_text = screen_text(app)

        await pilot.press("]")
        await pilot.pause()
        after_last = (view.current_hunk, view.scroll_offset.y)

        await pilot.press("[", "[")
        await pilot.pause()
        after_previous = (view.current_hunk, view.scroll_offset.y)
        still = screen.selected_file.path

    assert len(hunk_rows) == 3
    assert after_next == (1, hunk_rows[1])
    assert "row 101 edited" in next_text
    # The last hunk is near the end, so the view stops at its bottom.
    assert after_last == (2, view.max_scroll_y)
    assert after_previous == (0, 0)
    assert still == "long.txt"


async def test_hunk_keys_cross_files(worktree: Path) -> None:
    screen = ReviewScreen("Say goodbye", loader(worktree))
    app = ReviewApp(screen)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        view = app.screen.query_one(DiffView)
        # greeting.py has one hunk, so ] goes on to long.txt and its first hunk.
        await pilot.press("]")
        await settle(pilot)
        entered = (screen.selected_file.path, view.current_hunk, view.cursor, view.scroll_offset.y)
        first_change = next(index for index, row in enumerate(view.rows) if row.kind in ("changed", "added", "removed"))
        first_header = next(index for index, row in enumerate(view.rows) if row.kind == "hunk")

        await pilot.press("]", "]", "]")
        await settle(pilot)
        past_last = screen.selected_file.path

        await pilot.press("[")
        await settle(pilot)
        back = (screen.selected_file.path, view.current_hunk, len([row for row in view.rows if row.kind == "hunk"]))

        for _ in range(6):
            await pilot.press("[")
            await settle(pilot)
        start = (screen.selected_file.path, view.current_hunk, view.rows[view.cursor].kind)

    # The hunk's header is at the top and the cursor on its first changed line.
    assert entered == ("long.txt", 0, first_change, first_header)
    assert past_last == "wide.txt"
    # [ from the first hunk of wide.txt lands on the last hunk of long.txt.
    assert back == ("long.txt", 2, 3)
    assert start == ("greeting.py", 0, "changed")


async def test_comment_right_after_hunk_key(worktree: Path) -> None:
    screen = ReviewScreen("Say goodbye", ReviewSource(load=lambda ignore_whitespace: compute_review(worktree, BRANCH, "main"), store=ReviewStore(worktree.parent / "review-state"), task_id="t"))
    app = ReviewApp(screen)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("]")
        await settle(pilot)
        await pilot.press("c")
        await pilot.pause()
        opened = isinstance(app.screen, CommentScreen)

    assert opened


async def test_loading_shown_until_loaded(worktree: Path) -> None:
    release = threading.Event()

    def slow_load() -> Review:
        release.wait()
        return compute_review(worktree, BRANCH, "main")

    app = ReviewApp(ReviewScreen("Say goodbye", slow_load))
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        loading_text = screen_text(app)
        await pilot.press("a")
        await pilot.pause()
        dismissed_while_loading = app.dismissed_with

        release.set()
        await settle(pilot)
        loaded_text = screen_text(app)

    assert "Loading\N{HORIZONTAL ELLIPSIS}" in loading_text
    assert dismissed_while_loading == "not dismissed"
    assert "greeting.py" in loaded_text


async def test_whitespace_toggled_during_first_load(worktree: Path) -> None:
    (worktree / "greeting.py").write_text('def greet():\n    return "goodbye"\n\n\n')
    release = threading.Event()
    requested: list[bool] = []

    def slow_load(ignore_whitespace: bool) -> Review:
        requested.append(ignore_whitespace)
        release.wait()
        return compute_review(worktree, BRANCH, "main", ignore_whitespace=ignore_whitespace)

    screen = ReviewScreen("Say goodbye", ReviewSource(load=slow_load))
    app = ReviewApp(screen)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await pilot.press("W")
        await pilot.pause()
        release.set()
        await settle(pilot)
        loaded = screen.review
        footer = screen_text(app)

    # The load begun with the screen is dropped, and the one W requested is shown.
    assert sorted(requested) == [False, True]
    assert loaded is not None
    assert loaded.ignore_whitespace
    assert "Approve" in footer


async def test_no_changes_said_plainly(worktree: Path) -> None:
    git(worktree, "checkout", "--", ".")

    app = ReviewApp(ReviewScreen("Nothing yet", loader(worktree)))
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        text = screen_text(app)

    assert "No changes against main yet." in text


async def test_load_error_shown(worktree: Path) -> None:
    def failing_load() -> Review:
        raise ReviewError("branch 'gone' not found; check the task's branch")

    app = ReviewApp(ReviewScreen("Broken", failing_load))
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        text = screen_text(app)

    assert "branch 'gone' not found" in text


@pytest.mark.parametrize("size", SIZES)
async def test_wide_characters_keep_columns(worktree: Path, size: tuple[int, int]) -> None:
    screen = ReviewScreen("Say goodbye", loader(worktree))
    app = ReviewApp(screen)
    async with app.run_test(size=size) as pilot:
        await settle(pilot)
        for _ in range(2):
            await pilot.press("j")
            await settle(pilot)
        view = app.screen.query_one(DiffView)
        lines = [view.render_line(y).text for y in range(len(view.rows))]
        width = view.scrollable_content_region.width
        assert screen.selected_file.path == "wide.txt"

    assert "日本語" in lines[1]
    assert len(lines) == 5
    separator_columns = {cell_len(line[: line.index(SEPARATOR)]) for line in lines[1:]}
    assert len(separator_columns) == 1
    assert [cell_len(line) for line in lines] == [width] * len(lines)


async def test_file_list_shows_counts(worktree: Path) -> None:
    app = ReviewApp(ReviewScreen("Say goodbye", loader(worktree)))
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        file_list = app.screen.query_one(FileList)
        labels = [str(file_list.get_option_at_index(index).prompt) for index in range(file_list.option_count)]

    assert labels[0] == "M greeting.py +1 \N{MINUS SIGN}1"


async def test_theme_change_restyles_diff(worktree: Path) -> None:
    app = ReviewApp(ReviewScreen("Say goodbye", loader(worktree)))
    async with app.run_test(size=(120, 40)) as pilot:
        app.theme = "textual-dark"
        await settle(pilot)
        view = app.screen.query_one(DiffView)
        changed = next(index for index, row in enumerate(view.rows) if row.kind == "changed")
        dark = {segment.style.bgcolor for segment in view.render_line(changed)}

        app.theme = "textual-light"
        await pilot.pause()
        light = {segment.style.bgcolor for segment in view.render_line(changed)}

    assert dark.isdisjoint(light)


def source_for(worktree: Path, store_dir: Path, sent: list | None = None) -> ReviewSource:
    def send(comments):
        sent.append(list(comments))
        prompt = format_prompt(comments, len(store.load("task1").rounds) + 1)
        return store.record_round("task1", comments, prompt)

    store = ReviewStore(store_dir)
    return ReviewSource(
        load=lambda ignore_whitespace: compute_review(worktree, BRANCH, "main", ignore_whitespace=ignore_whitespace),
        fingerprint=ReviewWatch(worktree, BRANCH, "main").fingerprint,
        store=store,
        task_id="task1",
        send=send if sent is not None else None,
    )


async def open_file(pilot: Pilot, screen: ReviewScreen, path: str) -> DiffView:
    for _ in range(len(screen.review.files)):
        if screen.selected_file.path == path:
            break
        await pilot.press("j")
        await settle(pilot)
    assert screen.selected_file.path == path
    return pilot.app.screen.query_one(DiffView)


async def test_unified_toggle_one_column(worktree: Path) -> None:
    screen = ReviewScreen("Say goodbye", loader(worktree))
    app = ReviewApp(screen)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        view = app.screen.query_one(DiffView)
        split_kinds = [row.kind for row in view.rows]
        await pilot.press("u")
        await pilot.pause()
        unified_kinds = [row.kind for row in view.rows]
        unified_text = screen_text(app)
        await pilot.press("u")
        await pilot.pause()
        back = [row.kind for row in view.rows]

    assert split_kinds == ["hunk", "context", "changed"]
    assert unified_kinds == ["hunk", "context", "removed", "added"]
    assert SEPARATOR not in unified_text.split("\n")[4]
    assert '-     return "hello"' in unified_text
    assert '+     return "goodbye"' in unified_text
    assert back == split_kinds


async def test_wrap_marks_continuation(worktree: Path) -> None:
    (worktree / "greeting.py").write_text('def greet():\n    return "goodbye, ' + "and farewell " * 12 + '"\n')
    screen = ReviewScreen("Say goodbye", loader(worktree))
    app = ReviewApp(screen)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        view = app.screen.query_one(DiffView)
        before = screen_text(app)
        await pilot.press("w")
        await pilot.pause()
        wrapped = screen_text(app)
        lines = [view.render_line(y).text for y in range(view.virtual_size.height)]

    assert CONTINUATION not in before
    assert view.wrap
    assert any(CONTINUATION in line for line in lines)
    assert "farewell" in "".join(lines[3:])
    assert view.virtual_size.height > len(view.rows)
    assert "wrap" in wrapped


async def test_cut_lines_marked_at_edges(worktree: Path) -> None:
    (worktree / "greeting.py").write_text('def greet():\n    return "goodbye, ' + "and farewell " * 12 + '"\n')
    screen = ReviewScreen("Say goodbye", loader(worktree))
    app = ReviewApp(screen)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        view = app.screen.query_one(DiffView)
        long_row = next(index for index, row in enumerate(view.rows) if "farewell" in row.new_text)
        short_row = next(index for index, row in enumerate(view.rows) if row.new_text == "def greet():")
        at_start = view.render_line(long_row).text
        short = view.render_line(short_row).text
        view.focus()
        for _ in range(8):
            await pilot.press("right")
        await pilot.pause()
        scrolled = view.render_line(long_row).text
        await pilot.press("w")
        await pilot.pause()
        wrapped = [view.render_line(y).text for y in range(view.virtual_size.height)]

    assert at_start.endswith(MORE_RIGHT)
    assert MORE_LEFT not in at_start
    assert MORE_RIGHT not in short
    assert MORE_LEFT not in short
    new_side = scrolled.split(SEPARATOR)[-1]
    assert MORE_LEFT in new_side
    assert not any(MORE_RIGHT in line or MORE_LEFT in line for line in wrapped)


async def test_scrollbars_settled_on_show(worktree: Path) -> None:
    screen = ReviewScreen("Say goodbye", loader(worktree))
    app = ReviewApp(screen)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        view = await open_file(pilot, screen, "long.txt")
        long_diff = view.prepared
        view.show(EMPTY_DIFF, "nothing")
        await pilot.pause()
        hidden = view.vertical_scrollbar.display
        view.show(long_diff)
        # Checked before any layout pass: the rows' first frame already has its scrollbar and width.
        displayed = view.vertical_scrollbar.display
        width = view.scrollable_content_region.width
        await pilot.pause()
        width_after_layout = view.scrollable_content_region.width

    assert not hidden
    assert displayed
    assert width == width_after_layout


async def test_context_expands_and_folds(worktree: Path) -> None:
    screen = ReviewScreen("Say goodbye", loader(worktree))
    app = ReviewApp(screen)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        view = await open_file(pilot, screen, "long.txt")
        folded = [row.folded for row in view.rows if row.kind == "fold"]
        await pilot.press("e")
        await pilot.pause()
        expanded_numbers = [row.new_no for row in view.rows if row.kind not in ("hunk", "fold")]

    assert folded == [34, 23, 7]
    assert expanded_numbers == list(range(1, 201))


async def test_whitespace_toggle_reloads(worktree: Path) -> None:
    (worktree / "greeting.py").write_text('def greet():\n        return "hello"\n')
    screen = ReviewScreen("Indent", source_for(worktree, worktree.parent / "state"))
    app = ReviewApp(screen)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        shown = (screen.review.files[0].path, screen.review.files[0].added)
        await pilot.press("W")
        await settle(pilot)
        hidden = (screen.review.files[0].path, screen.review.files[0].added)
        text = screen_text(app)

    assert shown == ("greeting.py", 1)
    assert hidden == ("greeting.py", 0)
    assert "whitespace-only changes hidden" in text


async def test_comment_and_send_round(worktree: Path) -> None:
    sent: list = []
    screen = ReviewScreen("Say goodbye", source_for(worktree, worktree.parent / "state", sent))
    app = ReviewApp(screen)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("tab")
        await pilot.press("c")
        await pilot.pause()
        assert isinstance(app.screen, CommentScreen)
        await pilot.press(*"Say bye instead")
        await pilot.press("ctrl+s")
        await settle(pilot)
        pending = list(screen.task_reviews.pending)
        view = app.screen.query_one(DiffView)
        marked = view.render_line(view.cursor).text

        await pilot.press("r")
        await settle(pilot)
        panel = str(app.screen.query_one("#review-rounds").render())

    assert [(c.path, c.side, c.start_line, c.end_line, c.quoted, c.text) for c in pending] == [
        ("greeting.py", "new", 2, 2, ('    return "goodbye"',), "Say bye instead")
    ]
    assert COMMENT_MARK in marked
    assert sent == [pending]
    assert screen.task_reviews.pending == []
    assert [item.number for item in screen.task_reviews.rounds] == [1]
    assert "Round 1: 1 comment" in panel


async def test_selection_comment_covers_range(worktree: Path) -> None:
    screen = ReviewScreen("Say goodbye", source_for(worktree, worktree.parent / "state"))
    app = ReviewApp(screen)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        view = await open_file(pilot, screen, "long.txt")
        view.focus()
        await pilot.press("shift+down", "shift+down")
        selection = view.selection()

    assert selection is not None
    assert (selection.side, selection.start, selection.end) == ("new", 1, 3)
    assert selection.quoted == ("row 1 changed", "row 2 changed", "row 3 changed")


async def test_refresh_keeps_place(worktree: Path) -> None:
    screen = ReviewScreen("Say goodbye", source_for(worktree, worktree.parent / "state"), refresh_seconds=0.1)
    app = ReviewApp(screen)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        view = await open_file(pilot, screen, "long.txt")
        await pilot.press("]")
        await pilot.pause()
        top_before = view.rows[view.scroll_offset.y]
        first = screen.review

        text = (worktree / "long.txt").read_text().replace("row 190\n", "row 190 again\n").replace("row 105 edited", "row 105 edited twice")
        (worktree / "long.txt").write_text(text)
        for _ in range(100):
            await pilot.pause(0.05)
            if screen.review is not first and view.rows and view.prepared.path == "long.txt" and any("twice" in row.new_text for row in view.rows):
                break
        await settle(pilot)
        top_after = view.rows[view.scroll_offset.y]
        still = screen.selected_file.path

    assert screen.review is not first
    assert still == "long.txt"
    assert (top_after.old_no, top_after.new_no, top_after.kind) == (top_before.old_no, top_before.new_no, top_before.kind)


async def test_syntax_colours_after_highlight(worktree: Path) -> None:
    screen = ReviewScreen("Say goodbye", loader(worktree))
    app = ReviewApp(screen)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        view = app.screen.query_one(DiffView)
        context = next(index for index, row in enumerate(view.rows) if row.kind == "context")
        colours = {segment.style.color for segment in view.render_line(context) if segment.text.strip() and segment.style}
        assert view.prepared.highlight is not None

    assert len(colours) >= 3


async def test_binary_and_mode_messages(worktree: Path) -> None:
    (worktree / "data.bin").write_bytes(b"H\x00I\x00")
    (worktree / "greeting.py").chmod(0o755)
    screen = ReviewScreen("Mixed", loader(worktree))
    app = ReviewApp(screen)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await open_file(pilot, screen, "data.bin")
        text = screen_text(app)
        labels = [str(app.screen.query_one(FileList).get_option_at_index(index).prompt) for index in range(len(screen.review.files))]

    assert "Binary file (binary 4 B); its contents are not shown." in text
    assert "A data.bin binary 4 B" in labels
    assert "M greeting.py +1 \N{MINUS SIGN}1 mode 100644\N{RIGHTWARDS ARROW}100755" in labels


@pytest.mark.parametrize("size", SIZES)
async def test_narrow_file_list_one_row_each(worktree: Path, size: tuple[int, int]) -> None:
    (worktree / "docs").mkdir()
    (worktree / "docs" / "a rather long file name for a narrow list.md").write_text("note\n")
    screen = ReviewScreen("Say goodbye", loader(worktree))
    app = ReviewApp(screen)
    async with app.run_test(size=size) as pilot:
        await settle(pilot)
        rows = app.screen.query_one(FileList).virtual_size.height
        files = len(screen.review.files)
        text = screen_text(app)

    if size[0] < 100:
        # Below 100 columns each entry keeps to one row, cut with an ellipsis.
        assert rows == files
        assert "\N{HORIZONTAL ELLIPSIS}" in text
    else:
        assert rows > files


def test_binary_sizes_differ_visibly(worktree: Path) -> None:
    repo = worktree.parent.parent / "repo"
    (repo / "logo.bin").write_bytes(b"\x00" * 2000)
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "logo")
    git(worktree, "merge", "-q", "main")
    (worktree / "logo.bin").write_bytes(b"\x00" * 2002)

    change = next(change for change in compute_review(worktree, BRANCH, "main").files if change.path == "logo.bin")

    # Both round to 2.0 KiB, so exact byte counts show the change.
    assert change_details(change) == ["binary 2,000 B\N{RIGHTWARDS ARROW}2,002 B"]


async def test_big_file_shown_in_two_steps(worktree: Path) -> None:
    from agentdeck.ui.screens.review import LEADING_FROM_LINES, LEADING_ROWS
    from agentdeck.ui.widgets.diff_view import prepare_diff

    count = LEADING_FROM_LINES
    (worktree.parent.parent / "repo" / "aaa_big.txt").write_text("".join(f"old {n}\n" for n in range(count)))
    git(worktree.parent.parent / "repo", "add", "-A")
    git(worktree.parent.parent / "repo", "commit", "-q", "-m", "big file")
    git(worktree, "merge", "-q", "main")
    (worktree / "aaa_big.txt").write_text("".join(f"new {n}\n" for n in range(count)))
    source = ReviewSource(load=lambda ignore_whitespace: compute_review(worktree, BRANCH, "main", lazy_hunks=True))
    screen = ReviewScreen("Big", source, refresh_seconds=None)

    _, _, first = screen._load(False, None)
    leading = first["aaa_big.txt"]
    review = compute_review(worktree, BRANCH, "main")
    full = prepare_diff(review, next(change for change in review.files if change.path == "aaa_big.txt"))

    app = ReviewApp(screen)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        view = app.screen.query_one(DiffView)
        displayed = (view.prepared.path, view.prepared.partial, len(view.rows))

    assert leading.partial
    assert 0 < len(leading.rows) <= LEADING_ROWS
    assert leading.rows == full.rows[: len(leading.rows)]
    assert displayed == ("aaa_big.txt", False, len(full.rows))


async def test_gc_threshold_restored(worktree: Path) -> None:
    import gc

    from agentdeck.ui.screens.review import GC_GENERATION0_THRESHOLD

    before = gc.get_threshold()
    app = ReviewApp(ReviewScreen("Say goodbye", loader(worktree)))
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        during = gc.get_threshold()
        await pilot.press("escape")
        await pilot.pause()
        after = gc.get_threshold()

    assert during[0] == max(GC_GENERATION0_THRESHOLD, before[0])
    assert after == before


async def test_question_mark_opens_help(worktree: Path) -> None:
    from agentdeck.ui.screens.help import HelpScreen

    app = ReviewApp(ReviewScreen("Say goodbye", loader(worktree)))
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("question_mark")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, ReviewScreen)
    assert app.dismissed_with == "not dismissed"
