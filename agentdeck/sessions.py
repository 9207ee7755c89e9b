"""Agent sessions: one agent process in a pseudo-terminal, read by a background thread.

The reader thread feeds every byte the program writes into the session's
terminal emulator and writes the emulator's replies to queries (cursor
position, colours, device attributes) straight back, so replies are never
delayed by the UI. Listeners hear about new output from that thread; the UI
coalesces those calls into redraws.

Sessions without a listener (no pane shows them) share a budget of PTY reads
per second and parse their output in batches. A read from a PTY returns at
most about 4 KiB on Linux, so a flooding program costs thousands of reads a
second, and each read makes the reader thread take the GIL back. A thread
that returns from a system call takes a free GIL at once, while the UI
thread, woken on the GIL's condition variable, loses that race and waits for
the switch interval (5 ms) before it may force a switch. Eight flooding
readers made typing in the shown pane wait for tens of such intervals; see
docs/terminal.md for the measurements.
"""

from __future__ import annotations

import errno
import logging
import os
import select
import signal
import threading
import time
from collections.abc import Callable, Mapping
from pathlib import Path

import pexpect

from agentdeck.errors import SessionError
from agentdeck.hooks import EventReader
from agentdeck.screen_rules import GENERIC_RULES, ScreenReading, ScreenRules, read_screen
from agentdeck.tasks import SessionStatus
from agentdeck.terminal import Terminal, TerminalEvent

log = logging.getLogger(__name__)

SETTLE_SECONDS = 1.5
"""How long output must pause before a working session counts as idle."""

PROMPT_QUIET_SECONDS = 0.8
"""How long a starting agent must be quiet before a terminal prompt is pasted in."""

PROMPT_MAX_WAIT_SECONDS = 20.0
"""Paste the prompt after this long even if the agent never goes quiet."""

AUTO_ACCEPT_STABLE_SECONDS = 0.5
"""How long a dialog must stay on screen before auto-accept sends its keys, so a half-drawn dialog gets none.

Output need not pause: Codex CLI keeps redrawing a timer while its approval waits.
"""

READ_CHUNK = 65536

BACKGROUND_READS_PER_SECOND = 2000
"""PTY reads per second shared by all sessions that no pane shows, about 8 MB/s of output in total.

A program that writes faster waits on its full PTY until its reader's turn
comes. The wait for a read slot is at most (flooding background sessions) /
2000 seconds, which is 4 ms with eight of them.
"""

BACKGROUND_BATCH_BYTES = 65536
BACKGROUND_BATCH_SECONDS = 0.02
"""A background session's output is parsed once the program pauses, or once this much is read or this long has passed.

The reply to a query inside a flood is therefore written within 20 ms plus
the wait for a read slot, inside the 100 ms that Codex CLI allows its
start-up probes.
"""

READER_NICENESS = 5
"""Reader threads run this much nicer than the UI, so a flooding agent yields to typing and drawing."""

# Variables an agent must not inherit: with them it would open panes in the user's tmux.
_DROPPED_VARIABLES = ("TMUX", "TMUX_PANE")


OutputListener = Callable[[], None]


class ReadPacer:
    """Spaces reads evenly so that all callers together read at most ``rate`` times a second.

    Thread-safe. A caller that finds a free slot does not wait, so a session
    that prints now and then is not slowed down. Only back-to-back reads queue.
    """

    def __init__(self, rate: float) -> None:
        self._interval = 1.0 / rate
        self._next_slot = 0.0
        self._lock = threading.Lock()

    def wait(self) -> None:
        """Block until this caller's slot comes."""
        with self._lock:
            now = time.monotonic()
            slot = max(now, self._next_slot)
            self._next_slot = slot + self._interval
        if slot > now:
            time.sleep(slot - now)


_background_reads = ReadPacer(BACKGROUND_READS_PER_SECOND)


def agent_environment(base: Mapping[str, str], extra: Mapping[str, str]) -> dict[str, str]:
    """Return the environment for an agent: *base* without tmux variables, with terminal settings and *extra*."""
    environment = {key: value for key, value in base.items() if key not in _DROPPED_VARIABLES}
    environment["TERM"] = "xterm-256color"
    environment["COLORTERM"] = "truecolor"
    environment.update(extra)
    return environment


def bracketed(text: str, enabled: bool) -> bytes:
    """Return *text* as a paste: wrapped in bracketed-paste markers when the program enabled them."""
    payload = text.encode("utf-8")
    if enabled:
        # A marker inside the text would end the paste early; drop it so the paste stays one unit.
        payload = payload.replace(b"\x1b[201~", b"")
        return b"\x1b[200~" + payload + b"\x1b[201~"
    return payload


class Session:
    """One agent process running in a pseudo-terminal, with its screen kept in a terminal emulator."""

    def __init__(
        self,
        task_id: str,
        argv: list[str],
        cwd: Path,
        environment: Mapping[str, str],
        columns: int = 80,
        rows: int = 24,
        terminal_prompt: str | None = None,
        rules: ScreenRules = GENERIC_RULES,
        events_path: Path | None = None,
        auto_accept: bool = False,
    ) -> None:
        self.task_id = task_id
        self.argv = list(argv)
        self.cwd = cwd
        self.environment = dict(environment)
        self.terminal = Terminal(columns, rows)
        self.lock = threading.RLock()
        """Held while the terminal is fed or read; the UI takes it to draw."""

        self.status = SessionStatus.STARTING
        self.exit_status: int | None = None
        self.exit_signal: int | None = None
        self.started_at: float | None = None
        self.last_output_at: float | None = None
        self.bytes_read = 0

        self.rules = rules
        self.events = EventReader(events_path) if events_path is not None else None
        self.auto_accept = auto_accept
        self.status_detail = ""
        """What decided the current status: a hook event, a screen marker or output activity."""

        self._terminal_prompt = terminal_prompt
        self._answered_prompt: str | None = None
        self._prompt_key: str | None = None
        self._reading = ScreenReading(None)
        self._reading_version: int | None = None
        self._prompt_since = 0.0
        self._process: pexpect.spawn | None = None
        self._reader: threading.Thread | None = None
        self._listeners: list[OutputListener] = []
        self._stop_requested = False
        self._exited = threading.Event()

    # -- life cycle -----------------------------------------------------------------

    def start(self) -> None:
        """Spawn the agent at the terminal's size and start the reader thread.

        Raises:
            SessionError: the program is not found or cannot be started.
        """
        if not self.cwd.is_dir():
            raise SessionError(f"{self.cwd}: the task's worktree is missing; delete the task or restore the folder")
        program, *arguments = self.argv
        try:
            self._process = pexpect.spawn(
                program,
                arguments,
                cwd=str(self.cwd),
                env=self.environment,
                dimensions=(self.terminal.rows, self.terminal.columns),
                echo=True,
            )
        except pexpect.ExceptionPexpect as error:
            raise SessionError(
                f"cannot start {program!r}: {error}; install it or change the agent's command in .agentdeck/config.toml"
            ) from error
        self.started_at = time.monotonic()
        self.status = SessionStatus.STARTING
        log.info("task %s: started %s (pid %s) in %s", self.task_id, program, self._process.pid, self.cwd)
        self._reader = threading.Thread(target=self._read_loop, name=f"pty-{self.task_id}", daemon=True)
        self._reader.start()

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process is not None else None

    @property
    def is_alive(self) -> bool:
        """True until the process has exited and its output is drained."""
        return self._process is not None and not self._exited.is_set()

    def wait(self, timeout: float | None = None) -> bool:
        """Block until the process has exited; return False on timeout."""
        return self._exited.wait(timeout)

    def stop(self, timeout: float = 3.0) -> None:
        """End the agent and every process in its process group, gently first.

        The group gets SIGHUP (as when a terminal closes), then SIGTERM, then SIGKILL,
        each after *timeout* / 3 seconds without an exit.
        """
        if self._process is None or self._exited.is_set():
            return
        self._stop_requested = True
        step = timeout / 3
        for sent in (signal.SIGHUP, signal.SIGTERM, signal.SIGKILL):
            self._signal_group(sent)
            if self._exited.wait(step):
                break
        else:
            log.error("task %s: pid %s did not exit after SIGKILL", self.task_id, self._process.pid)
        log.info("task %s: stopped", self.task_id)

    def _signal_group(self, sent: signal.Signals) -> None:
        assert self._process is not None
        try:
            os.killpg(self._process.pid, sent)
        except ProcessLookupError:
            pass
        except PermissionError as error:
            log.error("task %s: cannot send %s: %s", self.task_id, sent.name, error)

    # -- input and size ---------------------------------------------------------------

    def write(self, data: bytes) -> None:
        """Send *data* to the program as if typed. Writing to an exited session does nothing."""
        if self._process is None or self._exited.is_set():
            return
        view = memoryview(data)
        while view:
            try:
                written = os.write(self._process.child_fd, view)
            except BlockingIOError:
                select.select([], [self._process.child_fd], [], 0.05)
                continue
            except OSError as error:
                if error.errno in (errno.EIO, errno.EBADF):
                    return
                raise SessionError(f"task {self.task_id}: cannot write to the agent: {error.strerror}") from error
            view = view[written:]

    def send_prompt(self, text: str) -> None:
        """Send *text* as one paste followed by one Enter."""
        with self.lock:
            enabled = self.terminal.bracketed_paste
        self.write(bracketed(text, enabled))
        # A separate write, so the program reads Enter after the paste rather than inside it.
        time.sleep(0.05)
        self.write(b"\r")

    def resize(self, columns: int, rows: int) -> None:
        """Resize the terminal and the PTY (TIOCSWINSZ); the program gets SIGWINCH."""
        columns = max(columns, 2)
        rows = max(rows, 1)
        with self.lock:
            if (columns, rows) == (self.terminal.columns, self.terminal.rows):
                return
            self.terminal.resize(columns, rows)
        if self._process is not None and not self._exited.is_set():
            try:
                self._process.setwinsize(rows, columns)
            except OSError as error:
                log.warning("task %s: resize to %sx%s failed: %s", self.task_id, columns, rows, error)
        self._notify()

    # -- output -------------------------------------------------------------------------

    def add_output_listener(self, listener: OutputListener) -> None:
        """Call *listener* (from the reader thread) after each chunk of output and at exit."""
        self._listeners.append(listener)

    def remove_output_listener(self, listener: OutputListener) -> None:
        if listener in self._listeners:
            self._listeners.remove(listener)

    def take_events(self) -> list[TerminalEvent]:
        """Return the title changes, bells and desktop notifications since the last call, and forget them.

        Works for every session, shown in a pane or not, from any thread; see
        ``Terminal.take_events``.
        """
        return self.terminal.take_events()

    def _notify(self) -> None:
        for listener in list(self._listeners):
            try:
                listener()
            except Exception:
                log.exception("task %s: output listener failed", self.task_id)

    def _read_loop(self) -> None:
        assert self._process is not None
        descriptor = self._process.child_fd
        try:
            # On Linux a thread has its own nice value, set through its native id.
            os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), READER_NICENESS)
        except (OSError, AttributeError) as error:
            log.debug("task %s: reader priority unchanged: %s", self.task_id, error)
        # Non-blocking, so that a background reader learns from a read that the program paused.
        os.set_blocking(descriptor, False)
        pending = bytearray()
        pending_since = 0.0
        while True:
            background = not self._listeners
            if background:
                _background_reads.wait()
                data = self._read(descriptor, wait=False)
                if data is None:
                    # The program paused, perhaps for the reply to a query, so what it wrote is parsed now.
                    self._consume_pending(pending)
                    data = self._read(descriptor, wait=True)
            else:
                self._consume_pending(pending)
                data = self._read(descriptor, wait=True)

            if data is None:
                self._maybe_send_terminal_prompt()
                continue
            if not data:
                break
            if not background:
                self._consume(data)
                continue

            # A background session's chunks are parsed in batches, which saves
            # the reader one GIL hand-over per chunk.
            if not pending:
                pending_since = time.monotonic()
            pending += data
            if len(pending) >= BACKGROUND_BATCH_BYTES or time.monotonic() - pending_since >= BACKGROUND_BATCH_SECONDS:
                self._consume_pending(pending)
        self._consume_pending(pending)
        self._finish()

    def _read(self, descriptor: int, wait: bool) -> bytes | None:
        """Read a chunk of output: None when there is none yet, b"" when the PTY is closed.

        With ``wait`` it blocks until output arrives, or for at most 0.1 s
        while a prompt waits to be pasted.
        """
        if wait:
            timeout = 0.1 if self._terminal_prompt is not None else None
            try:
                ready, _, _ = select.select([descriptor], [], [], timeout)
            except (OSError, ValueError):
                return b""
            if not ready:
                return None
        try:
            return os.read(descriptor, READ_CHUNK)
        except BlockingIOError:
            return None
        except OSError as error:
            if error.errno != errno.EIO:
                log.error("task %s: PTY read failed: %s", self.task_id, error)
            return b""

    def _consume_pending(self, pending: bytearray) -> None:
        if pending:
            self._consume(bytes(pending))
            pending.clear()

    def _consume(self, data: bytes) -> None:
        with self.lock:
            replies = self.terminal.feed(data)
        if replies:
            self.write(replies)
        self.bytes_read += len(data)
        self.last_output_at = time.monotonic()
        self._notify()

    def _maybe_send_terminal_prompt(self) -> None:
        if self._terminal_prompt is None or self.started_at is None:
            return
        now = time.monotonic()
        quiet = self.last_output_at is not None and now - self.last_output_at >= PROMPT_QUIET_SECONDS
        if quiet:
            with self.lock:
                screen = self.terminal.text()
            # A busy agent or an open dialog is not ready for a prompt yet.
            quiet = read_screen(screen, self.rules).status is None
        if quiet or now - self.started_at >= PROMPT_MAX_WAIT_SECONDS:
            prompt, self._terminal_prompt = self._terminal_prompt, None
            log.info("task %s: sending the prompt through the terminal", self.task_id)
            self.send_prompt(prompt)

    def _finish(self) -> None:
        assert self._process is not None
        try:
            self._process.wait()
        except pexpect.ExceptionPexpect:
            pass
        self._process.close(force=True)
        self.exit_status = self._process.exitstatus
        self.exit_signal = self._process.signalstatus
        with self.lock:
            self.terminal.reset_input_modes()
        if self._stop_requested:
            self.status = SessionStatus.STOPPED
        elif self.exit_status == 0:
            self.status = SessionStatus.EXITED
        else:
            self.status = SessionStatus.FAILED
        log.info(
            "task %s: process ended (status %s, signal %s)", self.task_id, self.exit_status, self.exit_signal
        )
        self._exited.set()
        self._notify()

    # -- status -------------------------------------------------------------------------

    def update_status(self, now: float | None = None) -> SessionStatus:
        """Recompute the status of a live session.

        Sources, strongest first: a dialog or fatal error on screen; the agent's
        own hooks; its busy marker on screen; output activity with a settle delay.
        """
        if self._exited.is_set() or self._process is None:
            return self.status
        now = time.monotonic() if now is None else now
        if self.last_output_at is None:
            self.status = SessionStatus.STARTING
            return self.status

        reading = self._read_screen()
        hook_status = self.events.poll() if self.events is not None else None
        quiet = now - self.last_output_at

        if reading.status in (SessionStatus.FAILED, SessionStatus.WAITING):
            status, detail = reading.status, f"screen: {reading.detail}"
        elif hook_status is not None and not self._busy_since_hook(reading, hook_status):
            status, detail = hook_status, "hook"
        elif reading.status is SessionStatus.WORKING:
            status, detail = SessionStatus.WORKING, f"screen: {reading.detail}"
        elif quiet < SETTLE_SECONDS:
            # Output is still flowing. An agent with a busy marker is not working
            # just because it prints (a dev server log, a redraw), so it keeps its status.
            if self.rules.has_busy_marker:
                status = self.status if self.status is not SessionStatus.WAITING else SessionStatus.IDLE
            else:
                status = SessionStatus.WORKING
            detail = "output"
        else:
            status, detail = SessionStatus.IDLE, "output settled"

        if status is not self.status:
            log.info("task %s: %s -> %s (%s)", self.task_id, self.status.value, status.value, detail)
        self.status = status
        self.status_detail = detail

        if status is SessionStatus.WAITING and reading.prompt is not None:
            self._maybe_accept(reading, now)
        else:
            # The dialog is gone, so the next one, even with the same text, is a new question.
            self._prompt_key = None
            self._answered_prompt = None
        return self.status

    def _read_screen(self) -> ScreenReading:
        """Apply the screen rules, reusing the last result while the terminal has not changed."""
        with self.lock:
            version = self.terminal.version
            if version != self._reading_version:
                screen = self.terminal.text()
            else:
                screen = None
        if screen is not None:
            self._reading = read_screen(screen, self.rules)
            self._reading_version = version
        return self._reading

    def _busy_since_hook(self, reading, hook_status: SessionStatus) -> bool:
        """True when a hook reported the end of a turn but the screen still shows the busy marker.

        Codex CLI's notify reports only turn ends, and it also fires for side
        threads such as title generation while the main turn goes on, so the
        busy marker on screen wins over it.
        """
        return hook_status is SessionStatus.IDLE and reading.status is SessionStatus.WORKING

    def _maybe_accept(self, reading, now: float) -> None:
        # The matched dialog text identifies the dialog; the lines around it may hold a ticking timer.
        key = reading.detail
        if key != self._prompt_key:
            self._prompt_key = key
            self._prompt_since = now
        prompt = reading.prompt
        if not self.auto_accept or prompt.accept is None or now - self._prompt_since < AUTO_ACCEPT_STABLE_SECONDS:
            return
        if key == self._answered_prompt:
            return
        self._answered_prompt = key
        log.info("task %s: auto-accepting %r", self.task_id, reading.detail[:80])
        self.write(prompt.accept)
