"""The terminal pane driven through Pilot, showing a real process in a real PTY."""

from __future__ import annotations

import sys
import time
from pathlib import Path

import pytest
from textual import events
from textual.app import App, ComposeResult

from agentdeck.sessions import Session
from agentdeck.ui.widgets.terminal_pane import NO_SESSION_HINT, TerminalPane

pytestmark = pytest.mark.slow

COLOURED_THEN_CAT = (
    "import os, sys\n"
    "sys.stdout.write('\\x1b[1;31mred text\\x1b[0m plain\\r\\n')\n"
    "sys.stdout.flush()\n"
    "os.execvp('cat', ['cat'])\n"
)


class PaneApp(App[None]):
    BINDINGS = [("x", "mark", "Mark")]

    def __init__(self) -> None:
        super().__init__()
        self.left = 0
        self.marked = 0

    def compose(self) -> ComposeResult:
        yield TerminalPane()

    def on_terminal_pane_leave_requested(self, message: TerminalPane.LeaveRequested) -> None:
        self.left += 1

    def action_mark(self) -> None:
        self.marked += 1


async def wait_for(pilot, condition, timeout: float = 10.0) -> None:
    """Let the app run until ``condition()`` holds, failing after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        await pilot.pause(0.02)


@pytest.fixture
def session(tmp_path: Path):
    session = Session("pane-test", [sys.executable, "-c", COLOURED_THEN_CAT], tmp_path, {"PATH": "/usr/bin:/bin", "TERM": "xterm-256color"}, 100, 30)
    yield session
    session.stop()


def screen_text(session: Session) -> str:
    with session.lock:
        return session.terminal.text()


async def test_pane_hint_without_session() -> None:
    app = PaneApp()
    async with app.run_test(size=(120, 40)) as pilot:
        pane = app.query_one(TerminalPane)
        await pilot.pause()
        lines = [pane.render_line(y).text for y in range(pane.size.height)]
        assert any(NO_SESSION_HINT in line for line in lines)


async def test_pane_without_session_passes_keys_to_bindings() -> None:
    app = PaneApp()
    async with app.run_test(size=(120, 40)) as pilot:
        app.query_one(TerminalPane).focus()
        await pilot.press("x")
        assert app.marked == 1


async def test_pane_shows_output_and_sends_keys(session: Session) -> None:
    app = PaneApp()
    async with app.run_test(size=(120, 40)) as pilot:
        pane = app.query_one(TerminalPane)
        session.start()
        pane.attach(session)
        pane.focus()
        await pilot.pause()

        # The pane resized the session to its own size on attach.
        assert (session.terminal.columns, session.terminal.rows) == pane.terminal_size
        await wait_for(pilot, lambda: "red text plain" in screen_text(session))
        await wait_for(pilot, lambda: "red text plain" in pane.render_line(0).text)
        first = pane.render_line(0)
        red = [segment for segment in first if segment.text.startswith("red")]
        assert red and red[0].style.bold

        await pilot.press("h", "i", "x", "enter")
        # The PTY echoes the line, then cat writes it back.
        await wait_for(pilot, lambda: screen_text(session).count("hix") == 2)
        assert app.marked == 0
        await wait_for(pilot, lambda: any("hix" in pane.render_line(y).text for y in range(3)))


async def test_pane_sends_control_keys(session: Session) -> None:
    app = PaneApp()
    async with app.run_test(size=(120, 40)) as pilot:
        pane = app.query_one(TerminalPane)
        session.start()
        pane.attach(session)
        pane.focus()
        await wait_for(pilot, lambda: "plain" in screen_text(session))

        await pilot.press("ctrl+c")
        assert session.wait(10)
        assert app.is_running


async def test_ctrl_bracket_posts_leave_and_is_not_sent(session: Session) -> None:
    app = PaneApp()
    async with app.run_test(size=(120, 40)) as pilot:
        pane = app.query_one(TerminalPane)
        session.start()
        pane.attach(session)
        pane.focus()
        await wait_for(pilot, lambda: "plain" in screen_text(session))

        await pilot.press("ctrl+right_square_bracket")
        await pilot.pause()
        assert app.left == 1

        await pilot.press("z", "enter")
        await wait_for(pilot, lambda: screen_text(session).count("z") >= 2)
        # With echoctl the PTY would have echoed a sent Ctrl+] as "^]".
        assert "^]" not in screen_text(session)


async def test_pane_paste_is_bracketed_when_enabled(session: Session) -> None:
    app = PaneApp()
    async with app.run_test(size=(120, 40)) as pilot:
        pane = app.query_one(TerminalPane)
        session.start()
        pane.attach(session)
        pane.focus()
        await wait_for(pilot, lambda: "plain" in screen_text(session))
        with session.lock:
            session.terminal.feed(b"\x1b[?2004h")

        pane.post_message(events.Paste("pasted"))
        await wait_for(pilot, lambda: "^[[200~pasted^[[201~" in screen_text(session))


async def test_pane_detach_shows_hint(session: Session) -> None:
    app = PaneApp()
    async with app.run_test(size=(120, 40)) as pilot:
        pane = app.query_one(TerminalPane)
        session.start()
        pane.attach(session)
        await wait_for(pilot, lambda: "plain" in screen_text(session))
        pane.attach(None)
        await pilot.pause()
        middle = pane.render_line(pane.size.height // 2).text
        assert NO_SESSION_HINT in middle


async def test_mouse_wheel_scrolls_back_without_input(tmp_path: Path) -> None:
    script = "import os\nfor n in range(200): print('line', n)\nos.execvp('cat', ['cat'])\n"
    session = Session("wheel", [sys.executable, "-c", script], tmp_path, {"PATH": "/usr/bin:/bin"}, 100, 30)
    app = PaneApp()
    try:
        async with app.run_test(size=(120, 40)) as pilot:
            pane = app.query_one(TerminalPane)
            session.start()
            pane.attach(session)
            await wait_for(pilot, lambda: "line 199" in screen_text(session))
            await pilot.pause(0.1)
            before = session.bytes_read

            # Pilot has no wheel helper, so the event goes to the pane directly.
            pane.post_message(events.MouseScrollUp(pane, 5, 5, 0, -1, 0, False, False, False))
            await pilot.pause()
            with session.lock:
                assert session.terminal.scrolled_back
            assert not any("line 199" in pane.render_line(y).text for y in range(pane.size.height))
            assert session.bytes_read == before
    finally:
        session.stop()
