"""Live programs in a terminal pane, compared cell by cell with tmux as the reference terminal.

Each test starts the same program twice at the same size and with the same
environment: once in a ``Session`` shown in a ``TerminalPane`` driven through
Pilot, and once in a private tmux server. Keys go to the pane as Textual key
events and to tmux with ``send-keys``, so the key encoding is compared too.
The tmux screen is read with ``capture-pane -e`` and replayed into a fresh
``Terminal``, which turns its text and SGR attributes into cells that compare
directly with the pane's.

``capture-pane`` stops each line after its last non-blank cell, so the
background colour of erased cells to the right of the text is not compared.
"""

from __future__ import annotations

import itertools

import os
import re
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
from textual.app import App, ComposeResult

from agentdeck.sessions import Session, agent_environment
from agentdeck.terminal import DEFAULT_BACKGROUND, DEFAULT_FOREGROUND, CellStyle, Terminal
from agentdeck.ui.widgets.terminal_pane import TerminalPane

def _hex(rgb: tuple[int, int, int]) -> str:
    return "#" + "".join(f"{component:02x}" for component in rgb)


pytestmark = pytest.mark.slow

needs_tmux = pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed")

# tmux replies to OSC 10/11 colour queries with the window style's colours,
# which are set to the pane's defaults so that programs choosing a dark or
# light palette from the reply (vim's 'background') choose the same in both.
TMUX_CONFIG = f"""\
set -g default-terminal xterm-256color
set -g status off
set -g escape-time 0
set -g history-limit 10000
set -g window-style 'fg={_hex(DEFAULT_FOREGROUND)},bg={_hex(DEFAULT_BACKGROUND)}'
"""

# Textual key names and the names tmux's send-keys gives the same keys.
TMUX_KEY_NAMES = {
    "escape": "Escape",
    "enter": "Enter",
    "backspace": "BSpace",
    "tab": "Tab",
    "space": "Space",
    "left": "Left",
    "right": "Right",
    "up": "Up",
    "down": "Down",
    "home": "Home",
    "end": "End",
    "pageup": "PPage",
    "pagedown": "NPage",
    "delete": "DC",
    "ctrl+a": "C-a",
    "ctrl+e": "C-e",
    "ctrl+k": "C-k",
    "ctrl+u": "C-u",
    "ctrl+w": "C-w",
    "ctrl+r": "C-r",
    "ctrl+c": "C-c",
    "ctrl+l": "C-l",
    "ctrl+left": "C-Left",
    "alt+b": "M-b",
    "alt+f": "M-f",
}

Cell = tuple[str, CellStyle]


@dataclass(frozen=True)
class Text:
    """Characters typed one key at a time."""

    value: str


def cell_grid(terminal: Terminal) -> list[list[Cell]]:
    """Return the viewport as rows of (text, style) cells; a wide character's second cell is ("", style)."""
    return [
        [(text, span.style) for span in row for text in span.cell_text]
        for row in terminal.render().rows
    ]


class TmuxReference:
    """A program running in a private tmux server at a fixed size."""

    def __init__(
        self,
        directory: Path,
        argv: list[str],
        columns: int,
        rows: int,
        environment: dict[str, str],
        cwd: Path | None = None,
    ) -> None:
        self.columns = columns
        self.rows = rows
        self.socket = directory / "tmux.sock"
        config = directory / "tmux.conf"
        config.write_text(TMUX_CONFIG)
        self._environment = dict(environment)
        # tmux puts TMUX and TMUX_PANE into the program's environment; the
        # pane's session never has them, so they are removed again.
        command = ["env", "-u", "TMUX", "-u", "TMUX_PANE", *argv]
        start = ["-c", str(cwd)] if cwd is not None else []
        self._tmux("-f", str(config), "new-session", "-d", *start, "-x", str(columns), "-y", str(rows), "--", *command)

    def _tmux(self, *arguments: str) -> str:
        result = subprocess.run(
            ["tmux", "-S", str(self.socket), *arguments],
            capture_output=True,
            text=True,
            env=self._environment,
            check=True,
        )
        return result.stdout

    def send(self, step: str | Text) -> None:
        if isinstance(step, Text):
            self._tmux("send-keys", "-l", step.value)
        else:
            self._tmux("send-keys", TMUX_KEY_NAMES.get(step, step))

    def resize(self, columns: int, rows: int) -> None:
        self._tmux("resize-window", "-x", str(columns), "-y", str(rows))
        self.columns, self.rows = columns, rows

    def screen(self) -> tuple[list[list[Cell]], tuple[int, int]]:
        """Return the visible screen as cells and the cursor's (column, row)."""
        captured = self._tmux("capture-pane", "-p", "-e")
        replay = Terminal(self.columns, self.rows)
        # capture-pane writes only changes of attributes, carried across lines.
        for y, line in enumerate(captured.split("\n")[: self.rows]):
            replay.feed(f"\x1b[{y + 1};1H{line}".encode())
        x, y = self._tmux("display-message", "-p", "#{cursor_x},#{cursor_y}").strip().split(",")
        return cell_grid(replay), (int(x), int(y))

    def close(self) -> None:
        subprocess.run(["tmux", "-S", str(self.socket), "kill-server"], capture_output=True, env=self._environment)


class PaneApp(App[None]):
    def compose(self) -> ComposeResult:
        yield TerminalPane()


def differences(reference: list[list[Cell]], actual: list[list[Cell]], limit: int = 8) -> list[str]:
    """List cells that differ, comparing styles only where tmux captured a cell."""
    found = []
    for y, reference_row in enumerate(reference):
        actual_row = actual[y] if y < len(actual) else []
        for x in range(max(len(reference_row), len(actual_row))):
            expected = reference_row[x] if x < len(reference_row) else None
            got = actual_row[x] if x < len(actual_row) else (" ", CellStyle())
            if expected is None:
                if got[0] not in (" ", ""):
                    found.append(f"({x},{y}): tmux blank, pane {got[0]!r}")
            elif expected != got and not (expected[0] == " " and got[0] == " " and expected[1].background == got[1].background and _blank_equal(expected[1], got[1])):
                found.append(f"({x},{y}): tmux {expected!r}, pane {got!r}")
            if len(found) >= limit:
                return found
    return found


def _without_styles(grid: list[list[Cell]]) -> list[list[Cell]]:
    return [[(text, CellStyle()) for text, _ in row] for row in grid]


def _blank_rows(
    reference: list[list[Cell]], pane: list[list[Cell]], pattern: str
) -> tuple[list[list[Cell]], list[list[Cell]]]:
    """Empty the rows where both screens match ``pattern``."""
    matcher = re.compile(pattern)
    reference, pane = [list(row) for row in reference], [list(row) for row in pane]
    for y, (reference_row, pane_row) in enumerate(zip(reference, pane)):
        if matcher.search(row_texts([reference_row])[0]) and matcher.search(row_texts([pane_row])[0]):
            reference[y], pane[y] = [], []
    return reference, pane


def _blank_equal(first: CellStyle, second: CellStyle) -> bool:
    # A blank cell looks the same whatever its foreground colour or bold, italic
    # and blink; only background, reverse and underline or strike are visible.
    return (first.reverse, first.underline, first.strike) == (second.reverse, second.underline, second.strike)


def row_texts(grid: list[list[Cell]]) -> list[str]:
    return ["".join(character for character, _ in row).rstrip() for row in grid]


class LiveComparison:
    """The same program in a pane (through Pilot) and in tmux."""

    def __init__(self, pilot, session: Session, tmux: TmuxReference) -> None:
        self.pilot = pilot
        self.session = session
        self.tmux = tmux

    def pane_screen(self) -> tuple[list[list[Cell]], tuple[int, int] | None]:
        # The lock is held only for the capture, as the pane does, so that the
        # reader thread's replies to start-up probes are not held up.
        terminal = self.session.terminal
        with self.session.lock:
            terminal.capture()
            cursor = terminal.cursor
        frame = terminal.render_captured()
        grid = [[(text, span.style) for span in row for text in span.cell_text] for row in frame.rows]
        return grid, cursor

    async def send(self, *steps: str | Text) -> None:
        for step in steps:
            if isinstance(step, Text):
                await self.pilot.press(*["space" if character == " " else character for character in step.value])
            else:
                await self.pilot.press(step)
            self.tmux.send(step)
            # Both programs get the key at about the same time, so neither
            # sees a burst of keys the other read one by one.
            await self.pilot.pause(0.01)

    async def wait_text(self, needle: str, timeout: float = 10.0) -> None:
        """Wait until both screens show ``needle``."""
        deadline = time.monotonic() + timeout
        while True:
            pane = "\n".join(row_texts(self.pane_screen()[0]))
            reference = "\n".join(row_texts(self.tmux.screen()[0]))
            if needle in pane and needle in reference:
                return
            if time.monotonic() > deadline:
                raise AssertionError(f"{needle!r} not on both screens.\npane:\n{pane}\ntmux:\n{reference}")
            await self.pilot.pause(0.05)

    async def wait_nonblank(self, timeout: float = 10.0) -> None:
        """Wait until both screens show some text."""
        deadline = time.monotonic() + timeout
        while True:
            pane = "".join(row_texts(self.pane_screen()[0])).strip()
            reference = "".join(row_texts(self.tmux.screen()[0])).strip()
            if pane and reference:
                return
            if time.monotonic() > deadline:
                raise AssertionError(f"a screen stayed blank: pane {pane!r}, tmux {reference!r}")
            await self.pilot.pause(0.05)

    async def assert_same_screen(
        self,
        timeout: float = 10.0,
        cursor: bool = True,
        styles: bool = True,
        ignored_rows: str | None = None,
    ) -> list[str]:
        """Wait until the pane's screen equals tmux's cell by cell, failing with the differences."""
        deadline = time.monotonic() + timeout
        while True:
            reference, reference_cursor = self.tmux.screen()
            pane, pane_cursor = self.pane_screen()
            if not styles:
                reference, pane = _without_styles(reference), _without_styles(pane)
            if ignored_rows is not None:
                reference, pane = _blank_rows(reference, pane, ignored_rows)
            found = differences(reference, pane)
            if cursor and pane_cursor != reference_cursor:
                found.append(f"cursor: tmux {reference_cursor}, pane {pane_cursor}")
            if not found:
                await self._assert_pane_draws_terminal()
                return row_texts(pane)
            if time.monotonic() > deadline:
                detail = "\n".join(found)
                pane_text = "\n".join(row_texts(pane))
                reference_text = "\n".join(row_texts(reference))
                raise AssertionError(f"screens differ:\n{detail}\npane:\n{pane_text}\ntmux:\n{reference_text}")
            await self.pilot.pause(0.05)

    async def _assert_pane_draws_terminal(self) -> None:
        """Check that the widget draws the rows the terminal holds."""
        pane = self.pilot.app.query_one(TerminalPane)
        deadline = time.monotonic() + 5
        while True:
            with self.session.lock:
                expected = row_texts(cell_grid(self.session.terminal))
            drawn = [pane.render_line(y).text.rstrip() for y in range(len(expected))]
            if drawn == expected:
                return
            if time.monotonic() > deadline:
                raise AssertionError(f"pane draws {drawn!r}, terminal holds {expected!r}")
            await self.pilot.pause(0.05)


def live_environment(home: Path) -> dict[str, str]:
    base = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(home),
        "LANG": "C.UTF-8",
        "LC_ALL": "C.UTF-8",
        "SHELL": "/bin/bash",
        "USER": os.environ.get("USER", "user"),
    }
    return agent_environment(base, {})


@pytest.fixture
def live(tmp_path: Path):
    """Start a program in a pane and in tmux: ``async with live(argv, files) as comparison``.

    Each side runs in its own directory holding the same ``files``, so a
    program that writes a file does not make the other one see a change.
    """
    started: list[tuple[Session, TmuxReference]] = []
    runs = itertools.count(1)

    class Runner:
        def __init__(
            self,
            argv: list[str],
            files: dict[str, str] | None = None,
            columns: int = 80,
            rows: int = 24,
        ) -> None:
            self.argv = argv
            self.columns = columns
            self.rows = rows
            self.directories = []
            # Each run gets its own folders, so a test can start a fresh run after a failed one.
            run = tmp_path / f"run-{next(runs)}"
            for side in ("pane", "tmux"):
                directory = run / side / "home" / "work"
                directory.mkdir(parents=True)
                for name, content in (files or {}).items():
                    (directory / name).write_text(content)
                self.directories.append(directory)
            self.app = PaneApp()
            self._context = None

        async def __aenter__(self) -> LiveComparison:
            pane_directory, tmux_directory = self.directories
            session = Session(
                "live", self.argv, pane_directory, live_environment(pane_directory.parent), self.columns, self.rows
            )
            tmux = TmuxReference(
                tmux_directory.parent,
                self.argv,
                self.columns,
                self.rows,
                live_environment(tmux_directory.parent),
                tmux_directory,
            )
            started.append((session, tmux))
            self._context = self.app.run_test(size=(self.columns, self.rows))
            pilot = await self._context.__aenter__()
            session.start()
            pane = self.app.query_one(TerminalPane)
            pane.attach(session)
            pane.focus()
            await pilot.pause()
            return LiveComparison(pilot, session, tmux)

        async def __aexit__(self, *exc_info) -> None:
            await self._context.__aexit__(*exc_info)

    yield Runner
    for session, tmux in started:
        session.stop()
        tmux.close()
    kill_processes_in(tmp_path)


def kill_processes_in(directory: Path) -> None:
    """Kill the processes whose working directory is inside ``directory``.

    Codex CLI starts an app-server daemon that leaves the session's process
    group and would outlive the test.
    """
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            working_directory = Path(os.readlink(entry / "cwd"))
        except OSError:
            continue
        if working_directory.is_relative_to(directory):
            try:
                os.kill(int(entry.name), signal.SIGKILL)
            except ProcessLookupError:
                pass


def test_cell_grid_places_wide_characters() -> None:
    terminal = Terminal(10, 1)
    terminal.feed("a中b".encode())
    grid = cell_grid(terminal)
    assert [character for character, _ in grid[0][:4]] == ["a", "中", "", "b"]


@needs_tmux
def test_tmux_capture_replay_keeps_styles(tmp_path: Path) -> None:
    script = (
        "import sys, time\n"
        "sys.stdout.write('\\x1b[1;31mred\\x1b[0m \\x1b[38;2;1;2;3mrgb\\x1b[0m 中x\\r\\n')\n"
        "sys.stdout.flush()\n"
        "time.sleep(30)\n"
    )
    tmux = TmuxReference(tmp_path, [sys.executable, "-c", script], 40, 5, live_environment(tmp_path))
    try:
        deadline = time.monotonic() + 5
        while "rgb" not in row_texts(tmux.screen()[0])[0] and time.monotonic() < deadline:
            time.sleep(0.05)
        grid, _ = tmux.screen()
    finally:
        tmux.close()
    assert row_texts(grid)[0] == "red rgb 中x"
    assert grid[0][0][1] == CellStyle(foreground=1, bold=True)
    assert grid[0][4][1] == CellStyle(foreground=(1, 2, 3))
    assert grid[0][9][0] == ""


@needs_tmux
@pytest.mark.skipif(shutil.which("vim") is None, reason="vim is not installed")
async def test_vim_edit_save_quit_matches_tmux(live) -> None:
    source = "def greet(name):\n    return f'hello {name}'  # comment\n\n\nprint(greet('deck'))\n"
    argv = ["bash", "--norc", "--noprofile", "-c", "echo MARKER; vim -N -n -i NONE -u DEFAULTS notes.py; exec sleep 60"]
    runner = live(argv, {"notes.py": source})
    async with runner as comparison:
        await comparison.wait_text("notes.py")
        # Under load, vim in tmux sometimes leaves the ruler undrawn until the
        # next key; Ctrl+L makes both redraw the whole screen first.
        await comparison.send("ctrl+l")
        await comparison.wait_text("All")
        await comparison.assert_same_screen()

        await comparison.send("G", "o", Text("x = [1, 2] ✓ 中文"), "escape")
        await comparison.wait_text("中文")
        await comparison.assert_same_screen()

        await comparison.send(Text(":w"), "enter")
        await comparison.wait_text("written")
        await comparison.assert_same_screen()

        await comparison.send(Text(":q"), "enter")
        rows = await comparison.assert_same_screen()

    assert rows[0] == "MARKER"
    assert not any("notes.py" in row for row in rows)
    for directory in runner.directories:
        assert "x = [1, 2] ✓ 中文" in (directory / "notes.py").read_text()


@needs_tmux
@pytest.mark.skipif(shutil.which("less") is None, reason="less is not installed")
async def test_less_page_search_quit_matches_tmux(live) -> None:
    lines = [f"\x1b[3{number % 7 + 1}mline {number:04d}\x1b[0m text {'word ' * (number % 9)}" for number in range(400)]
    argv = ["bash", "--norc", "--noprofile", "-c", "echo MARKER; less -R long.txt; exec sleep 60"]
    async with live(argv, {"long.txt": "\n".join(lines) + "\n"}) as comparison:
        await comparison.wait_text("line 0000")
        await comparison.assert_same_screen()

        await comparison.send("space")
        await comparison.wait_text("line 0030")
        await comparison.assert_same_screen()

        await comparison.send(Text("/line 0123"), "enter")
        await comparison.wait_text("line 0124")
        await comparison.assert_same_screen()

        await comparison.send("q")
        rows = await comparison.assert_same_screen()

    assert rows[0] == "MARKER"
    assert not any("line 0" in row for row in rows)


@needs_tmux
async def test_bash_readline_editing_matches_tmux(live) -> None:
    argv = ["bash", "--norc", "--noprofile", "-i"]
    async with live(argv) as comparison:
        await comparison.send(Text("PS1='\\[\\e[1;32m\\]deck\\[\\e[0m\\]$ '"), "enter")
        await comparison.wait_text("deck$")
        await comparison.send(Text("echo hello wrld"), "left", "left", "left", Text("o"))
        await comparison.send("ctrl+a", Text("X"), "delete", "end", Text(" again"))
        await comparison.assert_same_screen()

        await comparison.send("ctrl+left", "ctrl+w", "alt+b", "alt+f", Text("!"), "enter")
        await comparison.wait_text("hello")
        await comparison.assert_same_screen()

        await comparison.send(Text("printf '\\e[7mrev\\e[0m \\e[4;38;5;208mund\\e[0m \\e[9mstrike\\e[0m\\n'"), "enter")
        await comparison.wait_text("strike")
        await comparison.send("up", "ctrl+r", Text("echo"), "ctrl+e", "ctrl+u", Text("done"))
        rows = await comparison.assert_same_screen()

    assert "deck$ Xcho hello! again" in rows
    assert "rev und strike" in rows
    assert rows[5] == "deck$ done"


@dataclass(frozen=True)
class AgentCli:
    command: list[str]
    expected: str
    """Text the start-up screen shows offline and signed out."""
    styles: bool = True
    """Whether colours are compared as well as text."""
    ignored_rows: str | None = None
    """A pattern for rows whose text changes from run to run."""


AGENT_CLIS = {
    "codex": AgentCli(["codex"], "Sign in with ChatGPT"),
    # OpenCode picks its theme from the replies to OSC 4 palette queries,
    # which the pane sends and tmux 3.3a does not, so it draws other
    # colours in tmux. Its prompt shows a random example.
    "opencode": AgentCli(["opencode"], "Ask anything", styles=False, ignored_rows="Ask anything"),
    "gemini": AgentCli(["gemini"], "Do you trust the files in this folder?"),
    "claude": AgentCli(["claude"], "Unable to connect to Anthropic services"),
}


@needs_tmux
@pytest.mark.parametrize("name", sorted(AGENT_CLIS))
async def test_agent_cli_startup_screen_matches_tmux(live, name: str) -> None:
    cli = AGENT_CLIS[name]
    if shutil.which(cli.command[0]) is None:
        pytest.skip(f"{cli.command[0]} is not installed (npm install -g its package)")
    # Offline, some CLIs print an error and exit; the shell keeps the last screen up.
    argv = ["bash", "--norc", "--noprofile", "-c", '"$@"; exec sleep 600', "agent", *cli.command]
    # A CLI that probes the terminal and exits at once races our replies. Under load a
    # reply can arrive after it stopped reading, and the PTY then echoes it on screen.
    # tmux replies faster, so a mismatch is retried on a fresh run before it counts.
    attempts = 3
    for attempt in range(1, attempts + 1):
        try:
            async with live(argv, {"README.md": "# project\n"}, columns=100, rows=30) as comparison:
                await comparison.wait_text(cli.expected, timeout=30)
                rows = await comparison.assert_same_screen(
                    timeout=30, styles=cli.styles, ignored_rows=cli.ignored_rows
                )
            break
        except AssertionError:
            if attempt == attempts:
                raise
    assert sum(1 for row in rows if row.strip()) >= 3


# Programs run in a session without tmux.


def start_session(tmp_path: Path, script: str, columns: int = 80, rows: int = 24) -> Session:
    session = Session("case", ["bash", "--norc", "--noprofile", "-c", script], tmp_path, live_environment(tmp_path), columns, rows)
    session.start()
    return session


def wait_until(condition, timeout: float = 10.0, message: str = "condition") -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"{message} not met within {timeout} s")
        time.sleep(0.02)


def screen_text(session: Session) -> str:
    with session.lock:
        return session.terminal.text()


@pytest.mark.skipif(shutil.which("vim") is None, reason="vim is not installed")
def test_vim_exit_restores_main_screen(tmp_path: Path) -> None:
    session = start_session(tmp_path, "echo MARKER; vim -u NONE -N -n; exec sleep 60")
    try:
        wait_until(lambda: "~" in screen_text(session), message="vim drawn")
        session.write(b"ihello\x1b:q!\r")
        wait_until(lambda: screen_text(session) == "MARKER", message="main screen back")
        assert not session.terminal.alternate_screen
    finally:
        session.stop()


@pytest.mark.skipif(shutil.which("less") is None, reason="less is not installed")
def test_less_exit_restores_main_screen(tmp_path: Path) -> None:
    (tmp_path / "long.txt").write_text("".join(f"line {number}\n" for number in range(500)))
    session = start_session(tmp_path, "echo MARKER; less long.txt; exec sleep 60")
    try:
        wait_until(lambda: "line 0" in screen_text(session), message="less drawn")
        session.write(b" ")
        wait_until(lambda: "line 30" in screen_text(session), message="second page")
        session.write(b"q")
        wait_until(lambda: screen_text(session) == "MARKER", message="main screen back")
    finally:
        session.stop()


def test_shell_reads_cursor_position_report(tmp_path: Path) -> None:
    script = "printf 'ab\\033[6n'; read -d R -s r; echo \" got ${r#*[}\"; exec sleep 60"
    session = start_session(tmp_path, script)
    try:
        wait_until(lambda: "got" in screen_text(session), message="cursor report read")
        # The reply can arrive before read -s turns the PTY's echo off, and
        # then the line discipline echoes it as ^[[1;3R (tmux does the same).
        assert screen_text(session).endswith(" got 1;3")
    finally:
        session.stop()


def test_cursor_position_reply_not_drawn(tmp_path: Path) -> None:
    script = "stty -echo; printf 'ab\\033[6n'; read -d R r; echo \" got ${r#*[}\"; exec sleep 60"
    session = start_session(tmp_path, script)
    try:
        wait_until(lambda: "got" in screen_text(session), message="cursor report read")
        assert screen_text(session) == "ab got 1;3"
    finally:
        session.stop()


def test_stty_size_follows_pane_and_resize(tmp_path: Path) -> None:
    script = "for n in $(seq 1 150); do echo history-$n; done; stty size; read; stty size; exec sleep 60"
    session = start_session(tmp_path, script, columns=97, rows=31)
    try:
        wait_until(lambda: "31 97" in screen_text(session), message="first stty size")
        session.resize(110, 35)
        session.write(b"\r")
        wait_until(lambda: "35 110" in screen_text(session), message="stty size after resize")
        with session.lock:
            history = session.terminal.history_text().splitlines()
        assert [line for line in history if line.startswith("history-")] == [f"history-{n}" for n in range(1, 151)]
    finally:
        session.stop()


def test_resize_during_flood_keeps_every_line(tmp_path: Path) -> None:
    flood = (
        "import sys, time\n"
        "for n in range(1, 6001):\n"
        "    sys.stdout.write(f'flood-{n}-' + 'x' * (n % 50) + '\\n')\n"
        "    if n % 50 == 0:\n"
        "        sys.stdout.flush()\n"
        "        time.sleep(0.002)\n"
        "print('DONE', flush=True)\n"
    )
    script = f"{sys.executable} -c \"$0\"; exec sleep 60"
    session = Session(
        "flood",
        ["bash", "--norc", "--noprofile", "-c", script, flood],
        tmp_path,
        live_environment(tmp_path),
        100,
        30,
    )
    session.start()
    try:
        sizes = [(60, 20), (140, 45), (80, 24), (120, 40)]
        index = 0
        while "DONE" not in screen_text(session):
            session.resize(*sizes[index % len(sizes)])
            index += 1
            time.sleep(0.005)
        session.resize(200, 50)
        with session.lock:
            history = session.terminal.history_text().splitlines()
        flood = [line.split("-")[1] for line in history if line.startswith("flood-")]
        assert index > 4
        assert flood == [str(n) for n in range(1, 6001)]
    finally:
        session.stop()


MOUSE_PROGRAM = """
import os, sys, termios, tty
tty.setraw(0)
os.write(1, b"READY\\r\\n")
while True:
    data = os.read(0, 1024)
    if data == b"e":
        os.write(1, b"\\x1b[?1000h\\x1b[?1006h\\x1b[?2004h\\x1b[>1uENABLED\\r\\n")
    elif data == b"q":
        break
    else:
        os.write(1, b"GOT " + repr(data).encode() + b"\\r\\n")
"""


async def test_mouse_reports_only_while_enabled(tmp_path: Path) -> None:
    session = Session("mouse", [sys.executable, "-c", MOUSE_PROGRAM], tmp_path, live_environment(tmp_path), 80, 24)
    app = PaneApp()
    try:
        async with app.run_test(size=(80, 24)) as pilot:
            session.start()
            pane = app.query_one(TerminalPane)
            pane.attach(session)
            pane.focus()

            async def wait_screen(needle: str) -> None:
                deadline = time.monotonic() + 10
                while needle not in screen_text(session):
                    assert time.monotonic() < deadline, f"{needle!r} not shown:\n{screen_text(session)}"
                    await pilot.pause(0.02)

            await wait_screen("READY")
            await pilot.click(TerminalPane, offset=(4, 10))
            await pilot.press("z")
            await wait_screen("GOT b'z'")
            assert "\\x1b" not in screen_text(session)

            await pilot.press("e")
            await wait_screen("ENABLED")
            await pilot.click(TerminalPane, offset=(4, 10))
            await wait_screen("GOT b'\\x1b[<0;5;11M'")
            await wait_screen("GOT b'\\x1b[<0;5;11m'")

            await pilot.press("q")
            assert session.wait(10)
            await pilot.pause(0.1)
            with session.lock:
                assert session.terminal.mouse_tracking == 0
                assert session.terminal.mouse_encoding == "x10"
                assert not session.terminal.bracketed_paste
                assert session.terminal.kitty_flags == 0
            shown = screen_text(session)
            await pilot.click(TerminalPane, offset=(6, 12))
            await pilot.pause(0.1)
            assert screen_text(session) == shown
            assert "[<" not in shown.replace("GOT b'\\x1b[<0;5;11M'", "").replace("GOT b'\\x1b[<0;5;11m'", "")
    finally:
        session.stop()
