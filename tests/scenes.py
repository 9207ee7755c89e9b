"""Reproducible scenes of the deck for SVG snapshots and README screenshots.

Everything that would change between runs is pinned: commit times, the
repository's place under the (test) home folder, task start times and the
clock the task list reads.
"""

from __future__ import annotations

import time
from pathlib import Path

import pygit2

from agentdeck.config import load_config
from agentdeck.deck import Deck
from agentdeck.demo import init_demo_repository
from agentdeck.repository import find_repository
from agentdeck.tasks import SessionStatus
from agentdeck.ui.app import AgentdeckApp
from agentdeck.ui.screens.deck import DeckScreen
from agentdeck.ui.screens.review import ReviewScreen

FIXED_TIME = 1_767_225_600  # 2026-01-01 00:00:00 UTC
SIGNATURE = pygit2.Signature("agentdeck demo", "demo@agentdeck.invalid", FIXED_TIME, 0)


def make_demo_deck(home: Path) -> Deck:
    """Create the demo project at ``home/greet`` with a fixed commit, and a deck on it."""
    folder = init_demo_repository(home / "greet", SIGNATURE)
    return Deck(find_repository(folder), load_config(folder))


def _screen_text(deck: Deck, task_id: str) -> str:
    session = deck.session(task_id)
    with session.lock:
        return session.terminal.text()


async def _wait(pilot, predicate, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        await pilot.pause(0.05)
    raise AssertionError(f"scene not ready within {timeout}s")


async def two_tasks(pilot) -> None:
    """Two demo tasks: the first finished its edit and idles, the second waits for an answer."""
    app: AgentdeckApp = pilot.app
    deck = app.deck
    screen = app.screen
    assert isinstance(screen, DeckScreen)
    columns, rows = screen.terminal.terminal_size

    first = deck.create_task("Add a farewell", "append '# farewell' to greet.py", columns=columns, rows=rows)
    await _wait(pilot, lambda: "[y/n]" in _screen_text(deck, first.id))
    deck.session(first.id).write(b"y\r")
    await _wait(pilot, lambda: "Done." in _screen_text(deck, first.id))

    second = deck.create_task("Write usage docs", "create docs/usage.md with '# Usage'", columns=columns, rows=rows)
    await _wait(pilot, lambda: "[y/n]" in _screen_text(deck, second.id))

    for offset, task in enumerate((first, second)):
        task.created_at = FIXED_TIME - 95 + offset * 40
    screen.clock = lambda: FIXED_TIME
    await _wait(pilot, lambda: deck.task(first.id).status is SessionStatus.IDLE)
    await _wait(pilot, lambda: deck.task(second.id).status is SessionStatus.WAITING)
    screen.refresh_diff_stats()
    await _wait(pilot, lambda: deck.task(first.id).added == 1)
    screen.task_list.sync(deck.tasks, screen.clock(), deck.queue_states())
    screen.task_list.select_task(first.id)
    app.clear_notifications()
    await pilot.pause(0.3)


async def review_first_task(pilot) -> None:
    """The review screen of the first task of ``two_tasks``."""
    await two_tasks(pilot)
    app: AgentdeckApp = pilot.app
    await pilot.press("d")
    await _wait(pilot, lambda: isinstance(app.screen, ReviewScreen) and app.screen.review is not None)
    await pilot.pause(0.3)


SCENES = {"deck": two_tasks, "review": review_first_task}
SIZES = ((120, 40), (80, 24))
