"""SVG snapshots of the review screen: split, unified and wrapped, at 120x40 and 80x24.

Run ``python -m pytest tests/test_review_snapshots.py --snapshot-update`` after
an intended change of the screen, look at the new SVG files, and commit them.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from agentdeck.review import compute_review
from agentdeck.review_comments import ReviewStore
from agentdeck.ui.screens.review import ReviewScreen, ReviewSource
from agentdeck.ui.widgets.diff_view import DiffView
from tests.test_review_screen import ReviewApp, settle

BRANCH = "agentdeck/tidy-greeting"
GIT = shutil.which("git")
SIZES = ((120, 40), (80, 24))

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(GIT is None, reason="the fixture repository is built with the git CLI"),
]

BASE_MODULE = '''"""Greetings for the command line."""

import sys

GREETING = "hello"


def greet(name):
    """Return the greeting for *name*."""
    return f"{GREETING}, {name}"


def main():
\tprint(greet(sys.argv[1]))
'''

TASK_MODULE = '''"""Greetings for the command line, in more than one language."""

import sys

GREETINGS = {"en": "hello", "de": "hallo", "ja": "こんにちは"}


def greet(name, language="en"):
    """Return the greeting for *name* in *language*, falling back to English when the language is unknown to us."""
    return f"{GREETINGS.get(language, GREETINGS['en'])}, {name}"


def main():
\tlanguage = sys.argv[2] if len(sys.argv) > 2 else "en"
\tprint(greet(sys.argv[1], language))
'''


def git(cwd: Path, *args: str) -> None:
    subprocess.run([GIT, *args], cwd=cwd, check=True, capture_output=True)


@pytest.fixture
def worktree(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    # Fixed dates make the merge-base id, which the screen shows, the same on every run.
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", os.devnull)
    monkeypatch.setenv("GIT_AUTHOR_DATE", "2026-01-01T00:00:00+00:00")
    monkeypatch.setenv("GIT_COMMITTER_DATE", "2026-01-01T00:00:00+00:00")
    repo = tmp_path / "repo"
    repo.mkdir()
    git(repo, "init", "-q", "-b", "main")
    git(repo, "config", "user.name", "Test Author")
    git(repo, "config", "user.email", "author@example.com")
    (repo / "greet.py").write_text(BASE_MODULE, encoding="utf-8")
    (repo / "notes.txt").write_text("".join(f"note {n}\n" for n in range(1, 31)))
    (repo / "run.sh").write_text("python greet.py world\n")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "base")

    worktree = tmp_path / "repo.worktrees" / "tidy-greeting"
    git(repo, "worktree", "add", "-q", "-b", BRANCH, str(worktree))
    (worktree / "greet.py").write_text(TASK_MODULE, encoding="utf-8")
    (worktree / "notes").mkdir()
    (worktree / "notes.txt").rename(worktree / "notes" / "release notes.txt")
    (worktree / "notes" / "release notes.txt").write_text("".join(f"note {n}\n" for n in range(1, 31)).replace("note 20\n", "note twenty\n"))
    (worktree / "run.sh").chmod(0o755)
    (worktree / "logo.bin").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00")
    return worktree


def make_app(worktree: Path) -> ReviewApp:
    source = ReviewSource(
        load=lambda ignore_whitespace: compute_review(worktree, BRANCH, "main", ignore_whitespace=ignore_whitespace),
        store=ReviewStore(worktree.parent / "state"),
        task_id="snapshot",
    )
    return ReviewApp(ReviewScreen("Greet in more languages", source, refresh_seconds=None))


async def loaded(pilot) -> None:
    await settle(pilot)
    view = pilot.app.screen.query_one(DiffView)
    for _ in range(200):
        if view.prepared.highlight is not None:
            break
        await pilot.pause(0.05)
    await settle(pilot)


def scene(*keys: str):
    async def run_before(pilot) -> None:
        await loaded(pilot)
        pilot.app.screen.query_one(DiffView).focus()
        if keys:
            await pilot.press(*keys)
        await settle(pilot)

    return run_before


SCENES = {"split": scene(), "unified": scene("u"), "wrapped": scene("w")}


@pytest.mark.parametrize("size", SIZES, ids=lambda size: f"{size[0]}x{size[1]}")
@pytest.mark.parametrize("mode", sorted(SCENES))
def test_review_snapshot(snap_compare, worktree: Path, mode: str, size: tuple[int, int]) -> None:
    assert snap_compare(make_app(worktree), terminal_size=size, run_before=SCENES[mode])
