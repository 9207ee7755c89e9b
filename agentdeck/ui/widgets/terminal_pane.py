"""The live terminal pane: draws a session's screen and sends it keys, pastes and mouse input.

The session's reader thread feeds the terminal and then calls the pane's
listener. The listener only schedules one redraw per frame on the event
loop, so a burst of output costs one screen read however many chunks it came
in. Rows are cached as strips per row generation, and only rows whose
generation changed are refreshed.

Title changes of the attached session are posted as ``TitleChanged``
messages when the pane redraws. Bells and desktop notifications are not
posted here: every session queues them, shown or not, and the deck drains
them with ``Session.take_events``.

A mouse selection is kept in line numbers counted from the oldest scrollback
line, so it stays on its text while output or scrollback browsing moves the
view.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from typing import Protocol

from rich.color import Color as RichColor
from rich.segment import Segment
from rich.style import Style
from textual import events
from textual.cache import LRUCache
from textual.geometry import Region
from textual.message import Message
from textual.strip import Strip
from textual.widget import Widget

from agentdeck.keys import (
    MOUSE_ALT,
    MOUSE_CTRL,
    MOUSE_MOTION,
    MOUSE_SHIFT,
    MOUSE_WHEEL_DOWN,
    MOUSE_WHEEL_UP,
    encode_key,
    encode_mouse,
    encode_paste,
)
from agentdeck.terminal import CellStyle, Color, Frame, Row, Terminal
from agentdeck.ui.caches import empty_cache

log = logging.getLogger(__name__)

LEAVE_KEY = "ctrl+right_square_bracket"
"""Textual's name for Ctrl+], the one key the pane does not pass to the program."""

FRAME_SECONDS = 1 / 60
"""Minimum time between two redraws caused by output."""

READ_COST_FACTOR = 10
"""Redraws caused by output are at least this many times the last screen read's duration apart."""

SYNC_HOLD_SECONDS = 1.0
"""Maximum time a synchronized update (mode 2026) may hold the redraw back."""

WHEEL_LINES = 3
"""Lines of scrollback one wheel step moves."""

SCROLLBACK_PAGE_UP = "shift+pageup"
SCROLLBACK_PAGE_DOWN = "shift+pagedown"
"""Keys that page through the scrollback while the main screen is shown.

Like xterm and most terminals, the pane keeps these two for itself on the
main screen, where the scrollback is. On the alternate screen (vim, less,
OpenCode) there is no scrollback, so they reach the program.
"""

NO_SESSION_HINT = "No task selected. Press n to start one."


class PaneSession(Protocol):
    """The session interface the pane uses."""

    terminal: Terminal
    lock: threading.RLock

    def write(self, data: bytes) -> None: ...

    def resize(self, columns: int, rows: int) -> None: ...

    def add_output_listener(self, listener) -> None: ...

    def remove_output_listener(self, listener) -> None: ...


class TerminalPane(Widget, can_focus=True):
    """A session's terminal screen; while focused, every key but Ctrl+] goes to the program.

    | Key | Effect |
    | --- | --- |
    | `ctrl+]` | Post `LeaveRequested`; the app moves focus back to the deck. |
    | `shift+pageup` / `shift+pagedown` | Page through the scrollback (main screen only). |
    | any other key | Encoded as a terminal would and written to the program; returns to the bottom. |

    The mouse wheel scrolls the scrollback unless the program enabled mouse
    reporting. Dragging with the left button selects text, and releasing the
    button copies it to the clipboard with OSC 52. While the program has
    mouse reporting on, Shift+drag selects instead of sending the drag.
    """

    ALLOW_SELECT = False


    DEFAULT_CSS = """
    TerminalPane {
        width: 1fr;
        height: 1fr;
    }
    """

    class LeaveRequested(Message):
        """The user pressed Ctrl+] to leave the terminal."""

    class OutputReady(Message, bubble=False):
        """The session produced output since the last redraw (internal)."""

    class TitleChanged(Message):
        """The program set its window title with OSC 0 or OSC 2."""

        def __init__(self, session: PaneSession, title: str) -> None:
            super().__init__()
            self.session = session
            self.title = title

    class Copied(Message):
        """The user selected text with the mouse and it was copied to the clipboard."""

        def __init__(self, text: str) -> None:
            super().__init__()
            self.text = text

    def __init__(self, *, name: str | None = None, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self._session: PaneSession | None = None
        self._frame: Frame | None = None
        self._strips: LRUCache[tuple, Strip] = LRUCache(1024)
        self._schedule_lock = threading.Lock()
        self._flush_scheduled = False
        self._last_flush = 0.0
        self._sync_since: float | None = None
        self._hint = NO_SESSION_HINT
        self._title = ""
        self._read_seconds = 0.0
        # Cells as (column, line), lines counted from the oldest scrollback line.
        self._selection_anchor: tuple[int, int] | None = None
        self._selection_end: tuple[int, int] | None = None
        self._selecting = False

    # Attaching a session.

    @property
    def session(self) -> PaneSession | None:
        """The session shown, or None."""
        return self._session

    @property
    def terminal_size(self) -> tuple[int, int]:
        """The (columns, rows) a session shown here should have."""
        width, height = self.size
        if width < 1 or height < 1:
            return (80, 24)
        return (width, height)

    def attach(self, session: PaneSession | None, hint: str = NO_SESSION_HINT) -> None:
        """Show ``session``, or *hint* when it is None."""
        if hint != self._hint:
            self._hint = hint
            self.refresh()
        if session is self._session:
            return
        if self._session is not None:
            self._session.remove_output_listener(self._on_output)
        self._session = session
        self._frame = None
        empty_cache(self._strips)
        self._clear_selection()
        if session is not None:
            with session.lock:
                # Only title changes made while the session is shown are posted.
                self._title = session.terminal.title
            session.add_output_listener(self._on_output)
            if self.size.width > 0 and self.size.height > 0:
                session.resize(*self.terminal_size)
            self._read_frame()
        self.refresh()

    def on_unmount(self) -> None:
        if self._session is not None:
            self._session.remove_output_listener(self._on_output)

    def on_resize(self, event: events.Resize) -> None:
        # The event's size includes the border; the program gets the content area only.
        if self._session is not None and self.size.width > 0 and self.size.height > 0:
            self._session.resize(*self.terminal_size)
            self._read_frame()
        empty_cache(self._strips)
        self.refresh()

    # Output from the reader thread.

    def _on_output(self) -> None:
        """Schedule a redraw; called from the session's reader thread."""
        with self._schedule_lock:
            if self._flush_scheduled:
                return
            self._flush_scheduled = True
        # post_message is safe from another thread, and its handler runs in
        # the app's context, where timers can be started.
        self.post_message(self.OutputReady())

    def on_terminal_pane_output_ready(self, message: OutputReady) -> None:
        message.stop()
        # A flood that dirties the whole screen makes each read expensive.
        # Spacing redraws by a multiple of that cost leaves most of the time
        # for parsing, so the last byte reaches the screen sooner.
        interval = max(FRAME_SECONDS, READ_COST_FACTOR * self._read_seconds)
        delay = self._last_flush + interval - time.monotonic()
        if delay > 0:
            self._flush_later(delay)
        else:
            self._flush()

    def _flush_later(self, delay: float) -> None:
        # Not set_timer: Textual's one-shot timer skips its only tick if the
        # delay has passed when its task first reads the clock, which happens
        # under load. The flush would stay marked as scheduled, and the pane
        # would never redraw again.
        asyncio.get_running_loop().call_later(delay, self._flush)

    def _flush(self) -> None:
        with self._schedule_lock:
            self._flush_scheduled = False
        session = self._session
        if session is None or not self.is_attached:
            return

        with session.lock:
            holding = session.terminal.synchronized_output
        self._post_title_change(session)
        now = time.monotonic()
        if holding:
            if self._sync_since is None:
                self._sync_since = now
            if now - self._sync_since < SYNC_HOLD_SECONDS:
                # The program is mid-frame, so check again one frame later.
                # With the flag set, output until then schedules nothing more.
                with self._schedule_lock:
                    self._flush_scheduled = True
                self._flush_later(FRAME_SECONDS)
                return
        self._sync_since = None
        self._last_flush = now

        previous = self._frame
        frame = self._read_frame()
        self._refresh_changed_rows(previous, frame)

    def _post_title_change(self, session: PaneSession) -> None:
        # The title is compared rather than taken from the session's events,
        # which the deck drains for every session.
        with session.lock:
            title = session.terminal.title
        if title != self._title:
            self._title = title
            self.post_message(self.TitleChanged(session, title))

    def _read_frame(self) -> Frame | None:
        session = self._session
        if session is None:
            return None
        started = time.perf_counter()
        with session.lock:
            session.terminal.capture()
        # Converting rows takes milliseconds on a busy screen; the reader
        # thread keeps parsing meanwhile because only the capture needs the lock.
        self._frame = session.terminal.render_captured()
        self._read_seconds = time.perf_counter() - started
        return self._frame

    def _refresh_changed_rows(self, previous: Frame | None, frame: Frame | None) -> None:
        if previous is None or frame is None or len(previous.rows) != len(frame.rows):
            self.refresh()
            return
        if previous.top != frame.top and self._selection_bounds() is not None:
            # The selection moves with its lines, across rows whose text did not change.
            self.refresh()
            return
        changed = {y for y, (old, new) in enumerate(zip(previous.generations, frame.generations)) if old != new}
        if previous.cursor != frame.cursor:
            changed.update(position[1] for position in (previous.cursor, frame.cursor) if position is not None)
        if len(changed) == len(frame.rows):
            # One refresh of the whole widget costs Textual less than one per row.
            self.refresh()
            return
        width = self.size.width
        for y in changed:
            self.refresh(Region(0, y, width, 1))

    # Drawing.

    def render_line(self, y: int) -> Strip:
        width = self.size.width
        base = self.rich_style
        frame = self._frame
        if self._session is None or frame is None:
            return self._render_hint(y, width, base)
        if y >= len(frame.rows):
            return Strip.blank(width, base)

        cursor_x = -1
        if self.has_focus and frame.cursor is not None and frame.cursor[1] == y:
            cursor_x = frame.cursor[0]
        selected = self._selected_columns(frame.top + y, width)
        key = (frame.generations[y], width, cursor_x, base, selected)
        strip = self._strips.get(key)
        if strip is None:
            strip = _row_strip(frame.rows[y], width, base, cursor_x)
            if selected is not None:
                strip = _reverse_columns(strip, *selected, width)
            self._strips[key] = strip
        return strip

    # Selection.

    def _selected_columns(self, line: int, width: int) -> tuple[int, int] | None:
        """Return the selected [start, end) columns of ``line`` (counted from the oldest scrollback line), or None."""
        bounds = self._selection_bounds()
        if bounds is None:
            return None
        (start_x, start_line), (end_x, end_line) = bounds
        if not start_line <= line <= end_line:
            return None
        first = start_x if line == start_line else 0
        last = end_x + 1 if line == end_line else width
        return (first, min(last, width)) if first < last else None

    def _selection_bounds(self) -> tuple[tuple[int, int], tuple[int, int]] | None:
        anchor, end = self._selection_anchor, self._selection_end
        if anchor is None or end is None or anchor == end:
            return None
        first, last = sorted([anchor, end], key=lambda cell: (cell[1], cell[0]))
        return first, last

    @property
    def selected_text(self) -> str:
        """The text selected with the mouse, or "" when nothing is selected."""
        bounds = self._selection_bounds()
        session = self._session
        if bounds is None or session is None:
            return ""
        with session.lock:
            return session.terminal.selection_text(*bounds)

    def _clear_selection(self) -> None:
        had_selection = self._selection_bounds() is not None
        self._selection_anchor = self._selection_end = None
        self._selecting = False
        if had_selection:
            self.refresh()

    def _wants_selection(self, event: events.MouseEvent) -> bool:
        """Return whether a left-button drag selects text instead of going to the program."""
        session = self._session
        if session is None:
            return False
        with session.lock:
            tracking = session.terminal.mouse_tracking
        return not tracking or event.shift

    def _cell_at(self, event: events.MouseEvent) -> tuple[int, int]:
        """Return the (column, line) under the mouse, the line counted from the oldest scrollback line."""
        width, height = self.size
        column = min(max(event.x, 0), max(width - 1, 0))
        row = min(max(event.y, 0), max(height - 1, 0))
        session = self._session
        if session is None:
            return (column, row)
        with session.lock:
            top = session.terminal.viewport_top
        return (column, top + row)

    def _render_hint(self, y: int, width: int, base: Style) -> Strip:
        if y != self.size.height // 2:
            return Strip.blank(width, base)
        hint = self._hint[:width]
        left = (width - len(hint)) // 2
        segments = [Segment(" " * left, base), Segment(hint, base + Style(dim=True))]
        return Strip(segments).extend_cell_length(width, base)

    def notify_style_update(self) -> None:
        super().notify_style_update()
        empty_cache(self._strips)

    def on_focus(self) -> None:
        self._send_focus_report(b"\x1b[I")
        self.refresh()

    def on_blur(self) -> None:
        self._send_focus_report(b"\x1b[O")
        self.refresh()

    def _send_focus_report(self, report: bytes) -> None:
        session = self._session
        if session is None:
            return
        with session.lock:
            requested = session.terminal.focus_events
        if requested:
            session.write(report)

    # Input.

    def check_consume_key(self, key: str, character: str | None) -> bool:
        # Claiming every key keeps the app's and screen's bindings, priority
        # ones included, from firing while the program has the keyboard.
        return self._session is not None and key != LEAVE_KEY

    def on_key(self, event: events.Key) -> None:
        if event.key == LEAVE_KEY:
            event.stop()
            event.prevent_default()
            self.post_message(self.LeaveRequested())
            return
        session = self._session
        if session is None:
            return

        event.stop()
        event.prevent_default()
        if event.key in (SCROLLBACK_PAGE_UP, SCROLLBACK_PAGE_DOWN) and self._page_scrollback(event.key):
            return
        self._clear_selection()
        with session.lock:
            terminal = session.terminal
            data = encode_key(
                event.key,
                event.character,
                application_cursor=terminal.application_cursor,
                kitty_flags=terminal.kitty_flags,
            )
            if data and terminal.scrolled_back:
                terminal.scroll_to_bottom()
                self._frame = terminal.render()
                self.refresh()
        if data:
            session.write(data)
        else:
            log.debug("no terminal encoding for key %r", event.key)

    def _page_scrollback(self, key: str) -> bool:
        """Page through the scrollback; return False on the alternate screen, where the key goes to the program."""
        session = self._session
        assert session is not None
        with session.lock:
            if session.terminal.alternate_screen:
                return False
        page = max(self.size.height - 1, 1)
        self._scroll_back(-page if key == SCROLLBACK_PAGE_UP else page)
        return True

    def on_paste(self, event: events.Paste) -> None:
        session = self._session
        if session is None:
            return
        event.stop()
        event.prevent_default()
        with session.lock:
            bracketed = session.terminal.bracketed_paste
        session.write(encode_paste(event.text, bracketed=bracketed))

    def _mouse_report(self, button: int, event: events.MouseEvent, release: bool = False) -> bytes | None:
        """Encode a mouse event as the program asked, or return None when it did not ask."""
        session = self._session
        if session is None:
            return None
        with session.lock:
            tracking = session.terminal.mouse_tracking
            encoding = session.terminal.mouse_encoding
        if not tracking:
            return None
        code = button
        if event.shift:
            code |= MOUSE_SHIFT
        if event.meta:
            code |= MOUSE_ALT
        if event.ctrl:
            code |= MOUSE_CTRL
        return encode_mouse(code, event.x + 1, event.y + 1, encoding=encoding, release=release)

    def _send_mouse(self, event: events.MouseEvent, button: int, release: bool = False) -> bool:
        report = self._mouse_report(button, event, release)
        if report is None:
            return False
        event.stop()
        if report and self._session is not None:
            self._session.write(report)
        return True

    def on_mouse_scroll_up(self, event: events.MouseScrollUp) -> None:
        if not self._send_mouse(event, MOUSE_WHEEL_UP):
            self._scroll_back(-WHEEL_LINES)
            event.stop()

    def on_mouse_scroll_down(self, event: events.MouseScrollDown) -> None:
        if not self._send_mouse(event, MOUSE_WHEEL_DOWN):
            self._scroll_back(WHEEL_LINES)
            event.stop()

    def on_mouse_down(self, event: events.MouseDown) -> None:
        if event.button == 1 and self._wants_selection(event):
            event.stop()
            self._clear_selection()
            self._selection_anchor = self._selection_end = self._cell_at(event)
            self._selecting = True
            self.capture_mouse()
            return
        self._send_mouse(event, _button_code(event.button))

    def on_mouse_up(self, event: events.MouseUp) -> None:
        if self._selecting:
            event.stop()
            self._selecting = False
            self.capture_mouse(False)
            self._selection_end = self._cell_at(event)
            self.refresh()
            text = self.selected_text
            if text:
                # Textual writes OSC 52, which reaches the system clipboard
                # through ssh and tmux as well.
                self.app.copy_to_clipboard(text)
                self.post_message(self.Copied(text))
            return
        self._send_mouse(event, _button_code(event.button), release=True)

    def on_mouse_move(self, event: events.MouseMove) -> None:
        if self._selecting:
            event.stop()
            cell = self._cell_at(event)
            if cell != self._selection_end:
                self._selection_end = cell
                self.refresh()
            return
        session = self._session
        if session is None:
            return
        with session.lock:
            tracking = session.terminal.mouse_tracking
        pressed = event.button != 0
        if tracking == 1003 or (tracking == 1002 and pressed):
            button = _button_code(event.button) if pressed else 3
            self._send_mouse(event, button | MOUSE_MOTION)

    def _scroll_back(self, delta: int) -> None:
        session = self._session
        if session is None:
            return
        with session.lock:
            session.terminal.scroll_viewport(delta)
            self._frame = session.terminal.render()
        self.refresh()


def _button_code(button: int) -> int:
    """Map Textual's button number (1 left, 2 middle, 3 right) to the xterm code."""
    return {1: 0, 2: 1, 3: 2}.get(button, 0)


def _rich_color(color: Color) -> RichColor | None:
    if color is None:
        return None
    if isinstance(color, int):
        return RichColor.from_ansi(color)
    return RichColor.from_rgb(*color)


_style_cache: dict[CellStyle, Style] = {}


def _rich_style(style: CellStyle) -> Style:
    cached = _style_cache.get(style)
    if cached is not None:
        return cached
    rich_style = Style(
        color=_rich_color(style.foreground),
        bgcolor=_rich_color(style.background),
        bold=style.bold or None,
        dim=style.dim or None,
        italic=style.italic or None,
        underline=style.underline or None,
        blink=style.blink or None,
        reverse=style.reverse or None,
        strike=style.strike or None,
    )
    if len(_style_cache) < 4096:
        _style_cache[style] = rich_style
    return rich_style


def _row_strip(row: Row, width: int, base: Style, cursor_x: int) -> Strip:
    segments = []
    for span in row:
        text = " " * span.cells if span.style.invisible else span.text
        segments.append(Segment(text, base + _rich_style(span.style)))
    # NOTE: when Rich measures a grapheme at another width than libghostty
    # stored (some emoji with variation selectors), the rest of that row
    # shifts. Cropping to the width keeps the other rows intact.
    strip = Strip(segments).crop_extend(0, width, base)
    if 0 <= cursor_x < width:
        strip = _draw_cursor(strip, cursor_x, _cell_width_at(row, cursor_x), width)
    return strip


def _cell_width_at(row: Row, x: int) -> int:
    """Return 2 when column ``x`` contains the left half of a wide character, else 1."""
    start = 0
    for span in row:
        if x < start + span.cells:
            cells = span.cell_text
            offset = x - start
            return 2 if offset + 1 < len(cells) and cells[offset + 1] == "" and cells[offset] != "" else 1
        start += span.cells
    return 1


def _reverse_columns(strip: Strip, start: int, end: int, width: int) -> Strip:
    """Draw columns [start, end) in reverse video, as the cursor and the selection are drawn."""
    before, selected, after = strip.divide([start, end, width])
    reversed_segments = [
        Segment(segment.text, (segment.style or Style()) + Style(reverse=not (segment.style and segment.style.reverse)))
        for segment in selected
    ]
    return Strip.join([before, Strip(reversed_segments), after])


def _draw_cursor(strip: Strip, x: int, cell_width: int, width: int) -> Strip:
    # Dividing a strip inside a wide character would drop the character, so
    # the cursor covers both of its cells.
    return _reverse_columns(strip, x, min(x + cell_width, width), width)
