"""Which of an agent's own bells and notifications reach the user, from a relay unit up to the running deck."""

from __future__ import annotations

import time
from pathlib import Path

from agentdeck.config import load_config
from agentdeck.deck import Deck
from agentdeck.notifications import ProgramEventRelay
from agentdeck.repository import find_repository
from agentdeck.terminal import EventKind, TerminalEvent
from agentdeck.ui.app import AgentdeckApp

BELL = TerminalEvent(EventKind.BELL)
DONE = TerminalEvent(EventKind.NOTIFICATION, "Build", "done")


def test_relay_bell_and_notification() -> None:
    relay = ProgramEventRelay()
    texts = relay.relay("t1", [BELL, DONE], announced=False, typing_here=False, now=100.0)
    assert texts == ["rang the bell", "says: Build: done"]


def test_relay_drops_bell_with_status_announcement() -> None:
    relay = ProgramEventRelay()
    texts = relay.relay("t1", [BELL, DONE], announced=True, typing_here=False, now=100.0)
    assert texts == ["says: Build: done"]


def test_relay_drops_events_of_typed_terminal() -> None:
    relay = ProgramEventRelay()
    assert relay.relay("t1", [BELL, DONE], announced=False, typing_here=True, now=100.0) == []


def test_relay_repeats_after_quiet_period() -> None:
    relay = ProgramEventRelay(quiet_seconds=10.0)
    assert relay.relay("t1", [BELL], announced=False, typing_here=False, now=100.0) == ["rang the bell"]
    assert relay.relay("t1", [BELL], announced=False, typing_here=False, now=105.0) == []
    # Another task's bell is its own.
    assert relay.relay("t2", [BELL], announced=False, typing_here=False, now=105.0) == ["rang the bell"]
    assert relay.relay("t1", [BELL], announced=False, typing_here=False, now=111.0) == ["rang the bell"]


def test_relay_skips_titles_and_empty_notifications() -> None:
    relay = ProgramEventRelay()
    events = [TerminalEvent(EventKind.TITLE, "✳ Claude Code"), TerminalEvent(EventKind.NOTIFICATION, " ", "")]
    assert relay.relay("t1", events, announced=False, typing_here=False, now=1.0) == []


# Prints an OSC 777 notification and rings the bell after a pause, then stays quiet.
NOTIFIER = "sleep 1.5; printf '\\033]777;notify;Build;done\\007'; sleep 1; printf '\\007'; exec sleep 60"
# Sets its window title, then stays quiet.
TITLER = "printf '\\033]2;compiling module 3\\007'; exec sleep 60"


async def test_hidden_task_notification_reaches_deck(demo_repo) -> None:
    agents = {"notifier": {"command": ["sh", "-c", NOTIFIER]}, "titler": {"command": ["sh", "-c", TITLER]}}
    deck = Deck(find_repository(demo_repo), load_config(demo_repo, {"agents": agents}))
    try:
        app = AgentdeckApp(deck)
        async with app.run_test(size=(120, 40)) as pilot:
            hidden = deck.create_task("Hidden build", "", agent="notifier")
            shown = deck.create_task("Shown task", "", agent="titler")
            screen = app.screen
            await pilot.pause(0.2)
            screen.task_list.sync(deck.tasks, screen.clock(), deck.queue_states())
            screen.task_list.select_task(shown.id)
            await pilot.pause(0.2)

            def messages() -> list[str]:
                return [str(notification.message) for notification in app._notifications]

            deadline = time.monotonic() + 15
            while time.monotonic() < deadline and not any("rang the bell" in text for text in messages()):
                await pilot.pause(0.1)
            assert "Hidden build says: Build: done." in messages()
            assert "Hidden build rang the bell." in messages()
            assert screen.terminal.session is deck.session(shown.id)
            assert screen.terminal.border_title == "Shown task · agentdeck/shown-task · compiling module 3"
            assert hidden.id != shown.id
    finally:
        deck.shutdown()


async def test_no_toast_for_terminal_being_typed_in(deck) -> None:
    from agentdeck.ui.widgets.terminal_pane import TerminalPane

    app = AgentdeckApp(deck)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = app.screen
        typed = deck.create_task("Typed", "append '# typed' to greet.py")
        screen.task_list.sync(deck.tasks, screen.clock(), deck.queue_states())
        screen.task_list.select_task(typed.id)
        await pilot.pause(0.2)
        await pilot.press("enter")
        assert isinstance(app.focused, TerminalPane)
        other = deck.create_task("Other", "append '# other' to greet.py")

        def messages() -> list[str]:
            return [str(notification.message) for notification in app._notifications]

        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and "Other is waiting for you." not in messages():
            await pilot.pause(0.1)
        # The task that is not typed into is announced; the one being typed into is not.
        assert "Other is waiting for you." in messages()
        assert "Typed is waiting for you." not in messages()
        await pilot.press("y", "enter")
        greet = Path(typed.worktree) / "greet.py"
        while time.monotonic() < deadline and "# typed" not in greet.read_text():
            await pilot.pause(0.1)
        await pilot.pause(2.5)
        assert "Typed finished its turn." not in messages()
        assert other.id != typed.id
