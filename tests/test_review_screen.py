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
from agentdeck.review import Review, compute_review
from agentdeck.ui.screens.review import ReviewScreen
from agentdeck.ui.widgets.diff_view import SEPARATOR, DiffView
from agentdeck.ui.widgets.file_list import FileList

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

        await pilot.press("]", "]")
        await pilot.pause()
        after_last = (view.current_hunk, view.scroll_offset.y)

        await pilot.press("[", "[", "[")
        await pilot.pause()
        after_previous = (view.current_hunk, view.scroll_offset.y)

    assert len(hunk_rows) == 3
    assert after_next == (1, hunk_rows[1])
    assert "row 101 edited" in next_text
    # The last hunk is near the end, so the view stops at its bottom.
    assert after_last == (2, view.max_scroll_y)
    assert after_previous == (0, 0)


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
