"""The whole loop through the UI, driven by Pilot with the demo agent in real PTYs."""

from __future__ import annotations

import time

import pytest

from agentdeck.config import load_config
from agentdeck.deck import Deck
from agentdeck.repository import find_repository
from agentdeck.tasks import EntryState, SessionStatus
from agentdeck.ui.app import AgentdeckApp
from agentdeck.ui.screens.confirm import ConfirmScreen
from agentdeck.ui.screens.deck import DeckScreen
from agentdeck.ui.screens.help import HelpScreen
from agentdeck.ui.screens.merge_queue import MergeQueueScreen
from agentdeck.ui.screens.new_task import NewTaskScreen
from agentdeck.ui.screens.review import ReviewScreen
from agentdeck.ui.widgets.terminal_pane import TerminalPane
from textual.widgets import Checkbox, Input, TextArea
from tests.conftest import commit_files, git

pytestmark = pytest.mark.slow


async def wait_until(pilot, predicate, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        await pilot.pause(0.05)
    raise AssertionError(f"condition not met within {timeout}s")


def pane_text(app) -> str:
    session = app.screen.query_one(TerminalPane).session
    if session is None:
        return ""
    with session.lock:
        return session.terminal.text()


async def type_text(pilot, text: str) -> None:
    await pilot.press(*["space" if char == " " else char for char in text])


async def new_task(pilot, title: str, prompt: str) -> None:
    await pilot.press("n")
    await wait_until(pilot, lambda: isinstance(pilot.app.screen, NewTaskScreen))
    await type_text(pilot, title)
    await pilot.press("tab")
    pilot.app.screen.query_one("#prompt", TextArea).load_text(prompt)
    await pilot.press("ctrl+s")


async def answer_yes(pilot, app, deck: Deck, title: str) -> None:
    """Wait for the demo agent's question in the selected task's pane, then type y through the pane."""
    await wait_until(pilot, lambda: "[y/n]" in pane_text(app))
    await pilot.press("enter")
    assert app.focused is app.screen.query_one(TerminalPane)
    await pilot.press("y", "enter")
    await wait_until(pilot, lambda: "Done." in pane_text(app))
    await pilot.press("ctrl+right_square_bracket")
    assert app.focused is not app.screen.query_one(TerminalPane)


async def review_and_approve(pilot, app) -> None:
    await pilot.press("d")
    await wait_until(pilot, lambda: isinstance(app.screen, ReviewScreen))
    await wait_until(pilot, lambda: app.screen.review is not None)
    await pilot.press("a")
    await wait_until(pilot, lambda: isinstance(app.screen, DeckScreen))


async def test_whole_loop_two_tasks(deck, repo, repo_path):
    app = AgentdeckApp(deck)
    async with app.run_test(size=(120, 40)) as pilot:
        await new_task(pilot, "Add farewell", "append '# farewell' to greet.py")
        await wait_until(pilot, lambda: len(deck.tasks) == 1)
        first = deck.tasks[0]
        await answer_yes(pilot, app, deck, first.title)

        await new_task(pilot, "Usage docs", "create docs/usage.md with '# Usage'")
        await wait_until(pilot, lambda: len(deck.tasks) == 2)
        second = deck.tasks[1]
        # The new task is selected, so its terminal is the one on screen.
        await wait_until(pilot, lambda: app.screen.query_one(TerminalPane).session is deck.session(second.id))
        await answer_yes(pilot, app, deck, second.title)
        # Statuses refresh twice a second, so the reply to the question shows within one refresh.
        await wait_until(pilot, lambda: {task.status for task in deck.tasks} <= {SessionStatus.WORKING, SessionStatus.IDLE}, timeout=5)

        await review_and_approve(pilot, app)
        await pilot.press("k")
        await wait_until(pilot, lambda: app.screen.query_one(TerminalPane).session is deck.session(first.id))
        await review_and_approve(pilot, app)
        await wait_until(pilot, lambda: len(deck.queue_rows()) == 2)

        await pilot.press("m")
        await wait_until(pilot, lambda: isinstance(app.screen, MergeQueueScreen))
        await pilot.press("l")
        await wait_until(pilot, lambda: all(row.state is EntryState.LANDED for row in deck.queue_rows()))
        await pilot.press("escape")
        await wait_until(pilot, lambda: isinstance(app.screen, DeckScreen))

        await pilot.press("q")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        await pilot.press("y")
        await wait_until(pilot, lambda: not app.is_running)

    assert deck.running_sessions() == []
    assert (repo_path / "greet.py").read_text().endswith("# farewell\n")
    assert (repo_path / "docs" / "usage.md").read_text() == "# Usage\n"
    assert git(repo_path, "status", "--porcelain") == ""
    assert git(repo_path, "fsck", "--strict") == ""
    log = git(repo_path, "log", "--format=%s", "main")
    assert "Usage docs" in log
    assert "Add farewell" in log


async def test_new_task_dialog_needs_title_or_prompt(deck):
    app = AgentdeckApp(deck)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("n")
        await wait_until(pilot, lambda: isinstance(app.screen, NewTaskScreen))
        assert app.focused is app.screen.query_one("#title", Input)
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: "Type a title or a prompt" in str(app.screen.query_one("#error").render()), timeout=3)
        assert isinstance(app.screen, NewTaskScreen)
        await pilot.press("escape")
        await wait_until(pilot, lambda: isinstance(app.screen, DeckScreen))
    assert deck.tasks == []


async def test_auto_accept_box_marked_when_on(deck):
    app = AgentdeckApp(deck)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("n")
        await wait_until(pilot, lambda: isinstance(app.screen, NewTaskScreen))
        box = app.screen.query_one("#auto-accept", Checkbox)
        off = str(box.render())
        box.value = True
        await pilot.pause()
        on = str(box.render())

    # The state shows as a character, not only as a colour.
    assert "X" not in off.split("Auto-accept")[0]
    assert "X" in on.split("Auto-accept")[0]


async def test_quit_without_agents_does_not_ask(deck):
    app = AgentdeckApp(deck)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("q")
        await wait_until(pilot, lambda: not app.is_running)


async def test_quit_can_be_cancelled(deck):
    app = AgentdeckApp(deck)
    async with app.run_test(size=(80, 24)) as pilot:
        await new_task(pilot, "Stay", "append 'x' to greet.py")
        await wait_until(pilot, lambda: deck.running_sessions())
        await pilot.press("q")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        await pilot.press("n")
        await wait_until(pilot, lambda: isinstance(app.screen, DeckScreen))
        assert deck.running_sessions()


async def test_help_lists_keys(deck):
    app = AgentdeckApp(deck)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("question_mark")
        await wait_until(pilot, lambda: isinstance(app.screen, HelpScreen))
        await pilot.press("escape")
        await wait_until(pilot, lambda: isinstance(app.screen, DeckScreen))


async def test_keys_without_task_warn(deck):
    app = AgentdeckApp(deck)
    async with app.run_test(size=(80, 24)) as pilot:
        for key in ("d", "enter", "x", "D", "r"):
            await pilot.press(key)
        assert isinstance(app.screen, DeckScreen)
        assert any("No task selected" in str(n.message) for n in app._notifications)


async def test_remapped_key_from_config(repo, repo_path, monkeypatch):
    commit_files(repo, {".agentdeck/config.toml": 'default_agent = "demo"\n[keys]\nhelp = "h"\n'}, "Remap help")
    deck = Deck(find_repository(repo_path), load_config(repo_path))
    app = AgentdeckApp(deck)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("h")
        await wait_until(pilot, lambda: isinstance(app.screen, HelpScreen))


async def test_terminal_gets_pane_content_size_after_resize(deck):
    app = AgentdeckApp(deck)
    async with app.run_test(size=(120, 40)) as pilot:
        await new_task(pilot, "Sizes", "append 'x' to greet.py")
        await wait_until(pilot, lambda: deck.tasks and deck.session(deck.tasks[0].id))
        pane = app.screen.query_one(TerminalPane)
        session = deck.session(deck.tasks[0].id)

        await pilot.resize_terminal(80, 24)
        await wait_until(pilot, lambda: pane.size.width < 100)
        await pilot.pause(0.2)

        with session.lock:
            assert (session.terminal.columns, session.terminal.rows) == (pane.size.width, pane.size.height)
        assert pane.size.width == 80 - 2  # the border takes one column on each side


async def test_new_task_dialog_fits_80x24(deck):
    app = AgentdeckApp(deck)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("n")
        await wait_until(pilot, lambda: isinstance(app.screen, NewTaskScreen))
        await pilot.pause(0.2)
        keys = app.screen.query_one("#keys")
        assert keys.region.height == 1
        assert keys.region.bottom <= 24



async def test_command_palette_offers_deck_actions(deck):
    app = AgentdeckApp(deck)
    async with app.run_test(size=(120, 40)) as pilot:
        titles = [command.title for command in app.get_system_commands(app.screen)]
        assert titles.count("Quit") == 1
        for title in ("New task", "Review", "Merge queue", "Help"):
            assert title in titles
        await pilot.press("ctrl+p")
        await pilot.pause(0.2)
        await type_text(pilot, "New task")
        await pilot.pause(0.3)
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, NewTaskScreen))


async def test_new_task_burst_keeps_key_order(deck):
    """Keys sent in one burst, as `tmux send-keys` or a paste-happy user does, land in the fields they were typed for."""
    from textual import events

    app = AgentdeckApp(deck)
    async with app.run_test(size=(120, 40)) as pilot:
        burst = ["n", *"Fixx", "backspace", "tab", *"do it", "tab"]
        for key in burst:
            event = events.Key("space" if key == " " else key, key if len(key) == 1 else None)
            event.set_sender(app)
            app._driver.send_message(event)
        await wait_until(pilot, lambda: isinstance(app.screen, NewTaskScreen))
        await pilot.pause(0.3)
        screen = app.screen
        assert screen.query_one("#title", Input).value == "Fix"
        assert screen.query_one("#prompt", TextArea).text == "do it"
        assert screen.focused is screen.query_one("#agent")


async def test_new_task_burst_with_enter_and_save(deck):
    from textual import events

    app = AgentdeckApp(deck)
    async with app.run_test(size=(120, 40)) as pilot:
        for key in ["n", *"Two", "enter", *"append '# two' to greet.py", "ctrl+s"]:
            character = {"enter": "\r", "ctrl+s": "\x13"}.get(key, key)
            event = events.Key("space" if key == " " else key, character)
            event.set_sender(app)
            app._driver.send_message(event)
        await wait_until(pilot, lambda: len(deck.tasks) == 1)
        task = deck.tasks[0]
        assert task.title == "Two"
        assert task.prompt == "append '# two' to greet.py"
        assert isinstance(app.screen, DeckScreen)


async def test_terminal_pane_keeps_n_key(deck):
    """`n` opens the dialog from the deck, but typed into the pane it is the agent's."""
    task = deck.create_task("Ask", "append '# x' to greet.py")
    app = AgentdeckApp(deck)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_until(pilot, lambda: "[y/n]" in pane_text(app))
        await pilot.press("enter")
        assert isinstance(app.focused, TerminalPane)
        await pilot.press("n", "enter")
        await wait_until(pilot, lambda: "Skipped; nothing was written." in pane_text(app))
        assert isinstance(app.screen, DeckScreen)
    assert deck.session(task.id) is not None
