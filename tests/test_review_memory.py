"""The review screen's memory: a big diff leaves garbage collection alone while open, and goes at once when closed."""

from __future__ import annotations

import gc
from pathlib import Path

import pytest

from agentdeck.review import Row, compute_review
from agentdeck.ui.screens.review import FREEZE_FROM_LINES, ReviewScreen
from agentdeck.ui.widgets.diff_view import DiffView
from tests.test_review import BRANCH, GIT
from tests.test_review_lazy import rewrite_task
from tests.test_review_screen import ReviewApp, settle

pytestmark = pytest.mark.skipif(GIT is None, reason="the fixture repository is built with the git CLI")

LINES = FREEZE_FROM_LINES


def live_rows() -> int:
    return sum(1 for thing in gc.get_objects() if type(thing) is Row)


async def test_big_review_frozen_then_freed(tmp_path: Path) -> None:
    worktree = rewrite_task(tmp_path, LINES, lambda n: f"line {n} edited\n")
    screen = ReviewScreen("Big", lambda: compute_review(worktree, BRANCH, "main", lazy_hunks=True))
    app = ReviewApp(screen)
    gc.collect()
    before = live_rows()
    # Only reference counting may free the rows in this test.
    gc.disable()
    try:
        async with app.run_test(size=(120, 40)) as pilot:
            await settle(pilot)
            view = screen.query_one(DiffView)
            await pilot.app.workers.wait_for_complete()
            await pilot.pause()
            assert not view.prepared.partial
            assert len(view.rows) > LINES
            assert gc.get_freeze_count() > 0, "the laid-out rows were not kept out of garbage collection"

            await pilot.press("escape")
            await pilot.pause()
            assert app.dismissed_with is None
            assert gc.get_freeze_count() == 0
            assert live_rows() - before < 10, "a closed review's rows wait for a full collection"
    finally:
        gc.enable()
        gc.unfreeze()
