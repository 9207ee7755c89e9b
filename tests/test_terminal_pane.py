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


class EventApp(App[None]):
    """Records the messages a terminal pane posts."""

    def __init__(self) -> None:
        super().__init__()
        self.titles: list[str] = []
        self.copied: list[str] = []
        self.clipboard_writes: list[str] = []

    def compose(self) -> ComposeResult:
        yield TerminalPane()

    def copy_to_clipboard(self, text: str) -> None:
        self.clipboard_writes.append(text)
        super().copy_to_clipboard(text)

    def on_terminal_pane_title_changed(self, message: TerminalPane.TitleChanged) -> None:
        self.titles.append(message.title)

    def on_terminal_pane_copied(self, message: TerminalPane.Copied) -> None:
        self.copied.append(message.text)


def start_cat(tmp_path: Path, script: str, name: str = "pane", start: bool = True) -> Session:
    """Return a session running ``script`` and then cat, started unless ``start`` is False."""
    session = Session(name, [sys.executable, "-c", script + "os.execvp('cat', ['cat'])\n"], tmp_path, {"PATH": "/usr/bin:/bin"}, 100, 30)
    if start:
        session.start()
    return session


async def test_title_posted_and_events_left_queued(tmp_path: Path) -> None:
    script = (
        "import os, sys, time\n"
        "sys.stdout.write('\\x1b]2;build running\\x07ready\\r\\n')\n"
        "sys.stdout.flush()\n"
        "time.sleep(0.3)\n"
        "sys.stdout.write('\\x07\\x07\\x1b]9;tests passed\\x07\\x1b]777;notify;Deck;merge done\\x1b\\\\done\\r\\n')\n"
        "sys.stdout.flush()\n"
    )
    app = EventApp()
    session = start_cat(tmp_path, script, "events", start=False)
    try:
        async with app.run_test(size=(100, 30)) as pilot:
            # Attached first, so that the title set at start-up is a change the pane sees.
            pane = app.query_one(TerminalPane)
            pane.attach(session)
            session.start()
            await wait_for(pilot, lambda: any("done" in pane.render_line(y).text for y in range(3)))
            assert app.titles == ["build running"]
            # The pane drains nothing: the deck takes every session's events.
            assert [(event.kind, event.title, event.body) for event in session.take_events()] == [
                ("title", "build running", ""),
                ("bell", "", ""),
                ("notification", "", "tests passed"),
                ("notification", "Deck", "merge done"),
            ]
    finally:
        session.stop()


async def test_shift_pageup_pages_scrollback_on_main_screen(tmp_path: Path) -> None:
    script = "import os\nfor n in range(300): print('line', n)\n"
    session = start_cat(tmp_path, script, "page")
    app = PaneApp()
    try:
        async with app.run_test(size=(100, 30)) as pilot:
            pane = app.query_one(TerminalPane)
            pane.attach(session)
            pane.focus()
            await wait_for(pilot, lambda: "line 299" in screen_text(session))
            before = session.bytes_read

            await pilot.press("shift+pageup")
            drawn = [pane.render_line(y).text.rstrip() for y in range(pane.size.height)]
            assert "line 299" not in drawn
            assert "line 270" in drawn
            assert session.bytes_read == before

            await pilot.press("shift+pagedown")
            with session.lock:
                assert not session.terminal.scrolled_back

            await pilot.press("shift+pageup", "x")
            await wait_for(pilot, lambda: "x" in screen_text(session).splitlines()[-1])
            with session.lock:
                assert not session.terminal.scrolled_back
    finally:
        session.stop()


async def test_shift_pageup_reaches_program_on_alternate_screen(tmp_path: Path) -> None:
    script = "import os, sys\nsys.stdout.write('\\x1b[?1049hALT\\r\\n')\nsys.stdout.flush()\n"
    session = start_cat(tmp_path, script, "alt")
    app = PaneApp()
    try:
        async with app.run_test(size=(100, 30)) as pilot:
            pane = app.query_one(TerminalPane)
            pane.attach(session)
            pane.focus()
            await wait_for(pilot, lambda: "ALT" in screen_text(session))
            await pilot.press("shift+pageup")
            # cat echoes the key back through the PTY's echo as ^[[5;2~.
            await wait_for(pilot, lambda: "^[[5;2~" in screen_text(session))
    finally:
        session.stop()


async def test_drag_selects_and_copies(tmp_path: Path) -> None:
    script = "import os\nprint('alpha beta 中文 gamma')\nprint('second line')\n"
    session = start_cat(tmp_path, script, "select")
    app = EventApp()
    try:
        async with app.run_test(size=(100, 30)) as pilot:
            pane = app.query_one(TerminalPane)
            pane.attach(session)
            await wait_for(pilot, lambda: "second line" in screen_text(session))
            await pilot.pause(0.1)
            before = session.bytes_read

            await pilot.mouse_down(TerminalPane, offset=(6, 0))
            await pilot.hover(TerminalPane, offset=(5, 1))
            selected = [segment.text for segment in pane.render_line(0) if segment.style is not None and segment.style.reverse]
            assert "".join(selected) == "beta 中文 gamma" + " " * (100 - 21)
            await pilot.mouse_up(TerminalPane, offset=(5, 1))
            await pilot.pause()

            assert app.copied == ["beta 中文 gamma\nsecond"]
            assert app.clipboard_writes == ["beta 中文 gamma\nsecond"]
            assert pane.selected_text == "beta 中文 gamma\nsecond"
            assert session.bytes_read == before

            await pilot.press("z")
            assert pane.selected_text == ""
    finally:
        session.stop()


async def test_cursor_on_wide_character_keeps_it(tmp_path: Path) -> None:
    script = "import os, sys\nsys.stdout.write('ab中文cd\\x1b[1;5H')\nsys.stdout.flush()\n"
    session = start_cat(tmp_path, script, "wide")
    app = PaneApp()
    try:
        async with app.run_test(size=(100, 30)) as pilot:
            pane = app.query_one(TerminalPane)
            pane.attach(session)
            pane.focus()
            await wait_for(pilot, lambda: "cd" in screen_text(session))
            await wait_for(pilot, lambda: pane.render_line(0).text.startswith("ab中文cd"))
    finally:
        session.stop()


async def test_kitty_flags_change_key_encoding(tmp_path: Path) -> None:
    script = (
        "import os, sys, termios, tty\n"
        "tty.setraw(0)\n"
        "sys.stdout.write('READY\\r\\n')\n"
        "sys.stdout.flush()\n"
        "for _ in range(2):\n"
        "    data = os.read(0, 64)\n"
        "    sys.stdout.write('GOT ' + repr(data) + '\\r\\n')\n"
        "    sys.stdout.flush()\n"
        "sys.stdout.write('\\x1b[>1uPUSHED\\r\\n')\n"
        "sys.stdout.flush()\n"
        "data = os.read(0, 64)\n"
        "sys.stdout.write('GOT ' + repr(data) + '\\r\\n')\n"
        "sys.stdout.flush()\n"
    )
    session = start_cat(tmp_path, script, "kitty")
    app = PaneApp()
    try:
        async with app.run_test(size=(100, 30)) as pilot:
            pane = app.query_one(TerminalPane)
            pane.attach(session)
            pane.focus()
            await wait_for(pilot, lambda: "READY" in screen_text(session))
            await pilot.press("shift+enter")
            await wait_for(pilot, lambda: "GOT b'\\r'" in screen_text(session))
            await pilot.press("escape")
            await wait_for(pilot, lambda: "PUSHED" in screen_text(session))
            assert "GOT b'\\x1b'" in screen_text(session)

            await pilot.press("shift+enter")
            await wait_for(pilot, lambda: "GOT b'\\x1b[13;2u'" in screen_text(session))
    finally:
        session.stop()


def reversed_text(pane: TerminalPane, y: int) -> str:
    return "".join(segment.text for segment in pane.render_line(y) if segment.style is not None and segment.style.reverse)


def row_starting(pane: TerminalPane, text: str) -> int:
    rows = [y for y in range(pane.size.height) if pane.render_line(y).text.startswith(text)]
    assert len(rows) == 1, f"{text!r} is drawn on rows {rows}"
    return rows[0]


async def test_selection_follows_output_and_scrollback(tmp_path: Path) -> None:
    script = "import os\nfor n in range(60): print('line', n)\n"
    session = start_cat(tmp_path, script, "follow")
    app = EventApp()
    try:
        async with app.run_test(size=(100, 30)) as pilot:
            pane = app.query_one(TerminalPane)
            pane.attach(session)
            await wait_for(pilot, lambda: "line 59" in screen_text(session))
            await pilot.pause(0.1)

            y = row_starting(pane, "line 50")
            await pilot.mouse_down(TerminalPane, offset=(0, y))
            await pilot.hover(TerminalPane, offset=(6, y))
            await pilot.mouse_up(TerminalPane, offset=(6, y))
            await pilot.pause()
            assert app.copied == ["line 50"]
            assert reversed_text(pane, y) == "line 50"

            # cat and the PTY's echo print each typed line twice, so the view moves up 4 rows.
            session.write(b"next one\r")
            session.write(b"next two\r")
            await wait_for(pilot, lambda: screen_text(session).count("next two") == 2)
            await pilot.pause(0.1)
            moved = row_starting(pane, "line 50")
            assert moved == y - 4
            assert reversed_text(pane, moved) == "line 50"
            # The cursor is a reversed blank, so only rows with reversed text count.
            assert [row for row in range(pane.size.height) if reversed_text(pane, row).strip()] == [moved]
            assert pane.selected_text == "line 50"

            pane.post_message(events.MouseScrollUp(pane, 5, 5, 0, -1, 0, False, False, False))
            await pilot.pause()
            browsed = row_starting(pane, "line 50")
            assert browsed == moved + 3
            assert reversed_text(pane, browsed) == "line 50"
            assert pane.selected_text == "line 50"
    finally:
        session.stop()


async def test_mouse_reports_use_program_encoding(tmp_path: Path) -> None:
    # The program turns on button tracking and the urxvt form, then logs the raw bytes it reads.
    script = (
        "import os, sys, tty\n"
        "tty.setraw(0)\n"
        "sys.stdout.write('\\x1b[?1000h\\x1b[?1015hready\\r\\n')\n"
        "sys.stdout.flush()\n"
        "while True:\n"
        "    data = os.read(0, 100)\n"
        "    sys.stdout.write(repr(data) + '\\r\\n')\n"
        "    sys.stdout.flush()\n"
    )
    session = Session("mouse", [sys.executable, "-c", script], tmp_path, {"PATH": "/usr/bin:/bin"}, 100, 30)
    app = PaneApp()
    try:
        async with app.run_test(size=(120, 40)) as pilot:
            pane = app.query_one(TerminalPane)
            pane.attach(session)
            session.start()
            await wait_for(pilot, lambda: "ready" in screen_text(session))
            await pilot.click(TerminalPane, offset=(99, 3))
            await wait_for(pilot, lambda: "[35;100;4M" in screen_text(session))
            assert "[32;100;4M" in screen_text(session)
    finally:
        session.stop()
