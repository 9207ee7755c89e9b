"""Memory of the review screen and the footer: what a big diff keeps while open, and what goes when closed or rebuilt."""

from __future__ import annotations

import gc
from pathlib import Path

import pytest
from textual.app import App
from textual.widget import Widget

from agentdeck.review import Row, compute_review
from agentdeck.ui.screens.review import FREEZE_FROM_LINES, ReviewScreen
from agentdeck.ui.widgets.diff_view import DiffView
from agentdeck.ui.widgets.key_footer import KeyFooter
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


class FooterApp(App[None]):
    BINDINGS = [("a", "bell", "Ring"), ("b", "bell", "Ring again")]

    def compose(self):
        yield KeyFooter()


async def test_footer_rebuild_lets_old_keys_go() -> None:
    gc.collect()
    before = {id(key) for key in footer_keys_alive()}
    app = FooterApp()
    async with app.run_test(size=(80, 24)) as pilot:
        footer = app.query_one(KeyFooter)
        await pilot.pause()
        for _ in range(5):
            footer.refresh(recompose=True)
            await pilot.pause()
        gc.collect()
        keys = [key for key in footer_keys_alive() if id(key) not in before]
        detached = [key for key in keys if not key.is_attached]

    assert len(keys) - len(detached) == 2
    assert detached == []


def footer_keys_alive() -> list[Widget]:
    return [thing for thing in gc.get_objects() if isinstance(thing, Widget) and type(thing).__name__ == "FooterKey"]
