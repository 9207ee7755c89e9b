"""The terminal emulator behind each session pane.

The screen model is libghostty-vt, reached through the ``pyghostty`` cffi
binding: it parses the program's output, keeps the main and alternate screens,
the scrollback, the modes and the kitty keyboard flag stacks, and writes the
replies to queries (cursor position, device attributes, OSC 10/11 colours,
kitty flags, mode reports). This module adds what a pane needs on top of it.
It collects the replies of each ``feed`` call, counts changes, queues title
changes, bells and desktop notifications as events, and resets input modes
when the program exits. It
reads rows through libghostty's render-state API as spans of equally styled
cells, copying each row's packed cells in one call. The per-cell style API of
the binding costs several calls per cell and is not used.

A ``Terminal`` is not thread-safe. The session's reader thread calls ``feed``
while holding the session lock, and the UI holds the same lock while it reads,
except for ``render_captured``, which reads only the snapshot that
``capture`` took under the lock, and ``take_events``, which has a lock of its own.
"""

from __future__ import annotations

import enum
import logging
import threading
import weakref
from dataclasses import dataclass
from typing import Union

from pyghostty import ffi, lib
from pyghostty.core import Terminal as _GhosttyTerminal
from pyghostty.core import check, init_sized

log = logging.getLogger(__name__)

RGB = tuple[int, int, int]
Color = Union[int, RGB, None]
"""A cell colour: a palette index (0-255), an RGB triple, or None for the default."""

DEFAULT_FOREGROUND: RGB = (0xE0, 0xE0, 0xE0)
DEFAULT_BACKGROUND: RGB = (0x1E, 0x1E, 0x1E)

# The kitty graphics protocol stores images in the emulator, but a pane draws
# text cells only, so its "OK" reply would make programs send images that
# never appear. Dropping the reply makes them fall back to text.
_KITTY_GRAPHICS_REPLY = b"\x1b_G"

# Sequences fed to the emulator when the program exits. Mouse reporting (X10,
# normal, button, any-motion, focus, UTF-8, SGR, urxvt, SGR-pixels) and
# bracketed paste are switched off, and the kitty keyboard flags of the
# current screen are set to 0 with the "set all" form of CSI = flags ; 1 u.
_RESET_INPUT_MODES = (
    b"\x1b[?9l\x1b[?1000l\x1b[?1002l\x1b[?1003l\x1b[?1004l"
    b"\x1b[?1005l\x1b[?1006l\x1b[?1015l\x1b[?1016l"
    b"\x1b[?2004l\x1b[=0;1u"
)
# Mode 47 switches screens without clearing or saving the cursor, which makes
# it the way to reach the other screen's kitty flag stack and come back.
_RESET_OTHER_SCREEN_FLAGS = b"\x1b[?47l\x1b[=0;1u\x1b[?47h"

_MAX_EVENTS = 100

_UNLIMITED_BYTES = 1 << 40
_DECODED_CACHE_SIZE = 65536
_WIDE = lib.GHOSTTY_CELL_WIDE_WIDE
_SPACER_TAIL = lib.GHOSTTY_CELL_WIDE_SPACER_TAIL
_SPACER_HEAD = lib.GHOSTTY_CELL_WIDE_SPACER_HEAD
_SCROLLBACK_PAGE_MARGIN = 4096

# Pixel size of one cell in size reports (CSI 14 t, CSI 16 t). A text pane
# has no pixels, so these are the values most terminals report by default.
_CELL_WIDTH_PX = 8
_CELL_HEIGHT_PX = 16

# pyghostty's cffi runs in ABI mode, which cannot pass a struct that contains
# a union by value. This struct has the same size, alignment and calling
# convention as GhosttyTerminalScrollViewport, whose union contains a delta.
ffi.cdef(
    """
    typedef struct {
        GhosttyTerminalScrollViewportTag tag;
        intptr_t delta;
        uint64_t _pad;
    } AgentdeckScrollViewport;
    """
)
assert ffi.sizeof("AgentdeckScrollViewport") == ffi.sizeof("GhosttyTerminalScrollViewport")
_scroll_viewport = ffi.cast(
    "void(*)(GhosttyTerminal, AgentdeckScrollViewport)",
    ffi.addressof(lib, "ghostty_terminal_scroll_viewport"),
)


@dataclass(frozen=True, slots=True)
class CellStyle:
    """The drawing attributes of one cell."""

    foreground: Color = None
    background: Color = None
    bold: bool = False
    dim: bool = False
    italic: bool = False
    underline: bool = False
    blink: bool = False
    reverse: bool = False
    strike: bool = False
    invisible: bool = False


DEFAULT_STYLE = CellStyle()


@dataclass(frozen=True, slots=True)
class Span:
    """A run of adjacent cells of one row that share a style.

    ``cells`` counts screen columns, so a wide character adds 2 while adding
    one character to ``text``. ``cell_text`` has one entry per column: the
    grapheme cluster drawn there, or "" for the right half of a wide character.
    """

    text: str
    cells: int
    style: CellStyle
    cell_text: tuple[str, ...] = ()


Row = tuple[Span, ...]


class EventKind(enum.StrEnum):
    """The kind of a ``TerminalEvent``."""

    TITLE = "title"
    """The program set its window title with OSC 0 or OSC 2; ``title`` is the new title."""
    BELL = "bell"
    """The program rang the bell (BEL); ``title`` and ``body`` are empty."""
    NOTIFICATION = "notification"
    """The program asked for a desktop notification with OSC 9 (body only) or OSC 777 (title and body)."""


@dataclass(frozen=True, slots=True)
class TerminalEvent:
    """A title change, bell or desktop notification, recorded while the program's output was parsed."""

    kind: EventKind
    title: str = ""
    body: str = ""


@dataclass(frozen=True, slots=True)
class Frame:
    """The viewport as last read by ``Terminal.render``.

    ``generations[y]`` changes whenever row ``y`` was read again with a
    different content, so a view can cache what it drew per generation.
    ``cursor`` is the cursor's (column, row) in the viewport, or None when the
    cursor is hidden or outside the viewport (the view is scrolled back).
    ``top`` is the line number of the viewport's first row, counted from the
    oldest scrollback line, as ``Terminal.viewport_top`` returns it.
    """

    columns: int
    rows: tuple[Row, ...]
    generations: tuple[int, ...]
    cursor: tuple[int, int] | None
    top: int = 0


class Terminal:
    """A virtual terminal fed with a program's output.

    Args:
        columns: Width in cells.
        rows: Height in cells.
        scrollback: Maximum number of lines kept above the screen.
    """

    def __init__(self, columns: int = 80, rows: int = 24, scrollback: int = 10_000) -> None:
        self.columns = columns
        self.rows = rows
        self.version = 0
        """Counter that increases whenever content, cursor, viewport or modes may have changed."""
        self.bell_count = 0
        """How many times the program rang the bell (BEL)."""

        self._vt = _GhosttyTerminal(columns, rows, scrollback, fg=DEFAULT_FOREGROUND, bg=DEFAULT_BACKGROUND)
        self._set_scrollback_limit(scrollback)
        self._replies: list[bytes] = []
        self._events: list[TerminalEvent] = []
        self._events_lock = threading.Lock()
        self._title_changed = False
        self._callbacks = self._install_callbacks()
        self._renderer = _RowReader(self._vt)

    def _set_scrollback_limit(self, lines: int) -> None:
        # pyghostty 0.1.3 also passes the line count as the byte limit, which
        # keeps only a few hundred lines, so the byte limit is lifted here.
        # libghostty drops scrollback a whole page at a time, and a page contains
        # more rows the narrower the screen, so the line limit gets a margin
        # that keeps at least ``lines`` lines down to about 20 columns.
        # NOTE: below about 20 columns fewer than ``lines`` lines may remain.
        handle = self._vt._t[0]
        limits = (
            (lib.GHOSTTY_TERMINAL_OPT_SCROLLBACK_MAX_BYTES, _UNLIMITED_BYTES),
            (lib.GHOSTTY_TERMINAL_OPT_SCROLLBACK_MAX_LINES, lines + _SCROLLBACK_PAGE_MARGIN if lines else 0),
        )
        for option, value in limits:
            check(lib.ghostty_terminal_set(handle, option, ffi.new("size_t*", value)), f"terminal_set {option}")

    def _install_callbacks(self) -> list[object]:
        handle = self._vt._t[0]
        self._vt.on_reply(self._on_reply)

        def on_bell(terminal, userdata):
            self.bell_count += 1
            self._queue_event(TerminalEvent(EventKind.BELL))

        def on_notification(terminal, userdata, notification):
            self._queue_event(
                TerminalEvent(EventKind.NOTIFICATION, _string(notification.title), _string(notification.body))
            )

        def on_title_changed(terminal, userdata):
            # The title is read once the chunk is parsed, so a program that
            # sets it many times in one chunk yields one event.
            self._title_changed = True

        def on_size(terminal, userdata, out_size):
            out_size.rows = self.rows
            out_size.columns = self.columns
            out_size.cell_width = _CELL_WIDTH_PX
            out_size.cell_height = _CELL_HEIGHT_PX
            return True

        callbacks = [
            (lib.GHOSTTY_TERMINAL_OPT_BELL, ffi.callback("GhosttyTerminalBellFn", on_bell)),
            (
                lib.GHOSTTY_TERMINAL_OPT_DESKTOP_NOTIFICATION,
                ffi.callback("GhosttyTerminalDesktopNotificationFn", on_notification),
            ),
            (lib.GHOSTTY_TERMINAL_OPT_SIZE, ffi.callback("GhosttyTerminalSizeFn", on_size)),
            (lib.GHOSTTY_TERMINAL_OPT_TITLE_CHANGED, ffi.callback("GhosttyTerminalTitleChangedFn", on_title_changed)),
        ]
        for option, callback in callbacks:
            check(lib.ghostty_terminal_set(handle, option, callback), f"terminal_set {option}")

        # cffi frees a callback's trampoline with the Python object, so the
        # terminal keeps them alive for as long as libghostty may call them.
        return [callback for _, callback in callbacks]

    def _queue_event(self, event: TerminalEvent) -> None:
        with self._events_lock:
            pending = self._events
            if event.kind is not EventKind.NOTIFICATION:
                # Only the latest title matters, and a burst of bells is one bell.
                for index, queued in enumerate(pending):
                    if queued.kind is event.kind:
                        if event.kind is EventKind.TITLE:
                            del pending[index]
                            break
                        return
            if len(pending) >= _MAX_EVENTS:
                # A program that floods notifications loses its oldest ones, not the memory.
                del pending[0]
            pending.append(event)

    def _on_reply(self, data: bytes) -> None:
        if data.startswith(_KITTY_GRAPHICS_REPLY):
            return
        self._replies.append(data)

    # Feeding and sizing.

    def feed(self, data: bytes) -> bytes:
        """Parse program output and return the bytes to write back to the PTY.

        Chunks may split escape sequences and UTF-8 characters anywhere. The
        returned bytes are the replies to the queries in ``data``, in request
        order; they are never drawn on the screen.
        """
        if not data:
            return b""

        self._vt.feed(data)
        self.version += 1
        if self._title_changed:
            self._title_changed = False
            self._queue_event(TerminalEvent(EventKind.TITLE, self.title))

        replies = b"".join(self._replies)
        self._replies.clear()
        return replies

    def resize(self, columns: int, rows: int) -> None:
        """Change the screen size, reflowing the main screen and keeping the scrollback."""
        if columns < 1 or rows < 1:
            raise ValueError(f"terminal size must be at least 1x1, got {columns}x{rows}")
        if (columns, rows) == (self.columns, self.rows):
            return

        self._vt.resize(columns, rows, _CELL_WIDTH_PX, _CELL_HEIGHT_PX)
        self.columns = columns
        self.rows = rows
        self.version += 1

    def set_default_colors(self, foreground: RGB, background: RGB) -> None:
        """Set the colours reported to OSC 10 and OSC 11 queries, e.g. from the UI theme."""
        handle = self._vt._t[0]
        for option, rgb in (
            (lib.GHOSTTY_TERMINAL_OPT_COLOR_FOREGROUND, foreground),
            (lib.GHOSTTY_TERMINAL_OPT_COLOR_BACKGROUND, background),
        ):
            value = ffi.new("GhosttyColorRgb*", dict(zip("rgb", rgb)))
            check(lib.ghostty_terminal_set(handle, option, value), "terminal_set color")

    def reset_input_modes(self) -> None:
        """Drop the input modes a program set: mouse reporting, bracketed paste and kitty flags.

        Called when the program exits, so that neither the next program nor
        the deck receives mouse reports or kitty-encoded keys it did not ask for.
        """
        self._vt.feed(_RESET_INPUT_MODES)
        if self.alternate_screen:
            self._vt.feed(_RESET_OTHER_SCREEN_FLAGS)
        self._replies.clear()
        self.version += 1

    # Plain text.

    def text(self) -> str:
        """Return the visible screen as plain text.

        Rows are joined with newlines, trailing spaces of each row are removed
        and trailing empty rows are dropped. Soft-wrapped lines stay split.
        """
        lines = [line.rstrip() for line in self._vt.text().split("\n")]
        while lines and not lines[-1]:
            lines.pop()
        return "\n".join(lines)

    def row_text(self, y: int) -> str:
        """Return row ``y`` of the visible screen as plain text without trailing spaces."""
        if not 0 <= y < self.rows:
            raise IndexError(f"row {y} is outside the screen of {self.rows} rows")
        lines = self._vt.text().split("\n")
        return lines[y].rstrip() if y < len(lines) else ""

    def history_text(self) -> str:
        """Return the scrollback and the screen as plain text, joining soft-wrapped lines."""
        return self._vt.contents()

    def selection_text(self, start: tuple[int, int], end: tuple[int, int]) -> str:
        """Return the text between two (column, line) cells, both included.

        Lines are counted from the oldest scrollback line, so a selection
        keeps its text while the viewport scrolls; ``viewport_top`` converts
        viewport rows. Selection runs in reading order, as in a terminal: from
        ``start`` to the end of its line, whole lines between, then up to
        ``end``. Soft-wrapped lines are joined and trailing spaces are removed.
        """
        if (start[1], start[0]) > (end[1], end[0]):
            start, end = end, start
        columns = self.columns
        last_line = self._scrollbar().total - 1
        start_x, start_y = min(max(start[0], 0), columns - 1), min(max(start[1], 0), last_line)
        end_x, end_y = min(max(end[0], 0), columns - 1), min(max(end[1], 0), last_line)
        selection = init_sized("GhosttySelection")
        selection.start = self._vt.ref(start_x, start_y, "screen")[0]
        selection.end = self._vt.ref(end_x, end_y, "screen")[0]
        return self._vt._format_sel(selection, unwrap=True)

    # Modes.

    @property
    def bracketed_paste(self) -> bool:
        """Whether the program enabled bracketed paste (mode 2004)."""
        return self._vt.mode(2004)

    @property
    def application_cursor(self) -> bool:
        """Whether cursor keys send application sequences (DECCKM, mode 1)."""
        return self._vt.mode(1)

    @property
    def synchronized_output(self) -> bool:
        """Whether the program is inside a synchronized update (mode 2026)."""
        return self._vt.mode(2026)

    @property
    def mouse_tracking(self) -> int:
        """The mouse reporting mode in force: 1003, 1002, 1000 or 9, or 0 when off."""
        for mode in (1003, 1002, 1000, 9):
            if self._vt.mode(mode):
                return mode
        return 0

    @property
    def mouse_encoding(self) -> str:
        """Mouse report encoding the program chose: "sgr" (1006), "urxvt" (1015), "utf8" (1005) or "x10".

        When a program sets several of these modes, the first in that order
        wins, as in xterm.
        """
        for mode, encoding in ((1006, "sgr"), (1015, "urxvt"), (1005, "utf8")):
            if self._vt.mode(mode):
                return encoding
        return "x10"

    @property
    def focus_events(self) -> bool:
        """Whether the program asked for focus in/out reports (mode 1004)."""
        return self._vt.mode(1004)

    @property
    def kitty_flags(self) -> int:
        """The kitty keyboard protocol flags on top of the current screen's stack."""
        return self._vt.get("kitty_keyboard_flags", "uint8_t")

    @property
    def alternate_screen(self) -> bool:
        """Whether the alternate screen is shown."""
        return self._vt.get("active_screen", "GhosttyTerminalScreen") == lib.GHOSTTY_TERMINAL_SCREEN_ALTERNATE

    @property
    def cursor(self) -> tuple[int, int]:
        """The cursor's (column, row) on the screen, 0-based."""
        return self._vt.cursor

    @property
    def cursor_visible(self) -> bool:
        """Whether the program shows the cursor (DECTCEM)."""
        return self._vt.get("cursor_visible", "bool")

    @property
    def title(self) -> str:
        """The window title the program set with OSC 0 or OSC 2."""
        value = ffi.new("GhosttyString*")
        check(lib.ghostty_terminal_get(self._vt._t[0], lib.GHOSTTY_TERMINAL_DATA_TITLE, value), "terminal_get title")
        return _string(value[0])

    def take_events(self) -> list[TerminalEvent]:
        """Return the title changes, bells and notifications recorded since the last call, oldest first, and forget them.

        Thread-safe: it needs no session lock, so any thread may drain the
        events of any session, shown or not. Between two calls, bells count as
        one event, title changes as one event with the latest title, and at
        most 100 events are kept.
        """
        with self._events_lock:
            events, self._events = self._events, []
        return events

    # Scrollback.

    @property
    def scrollback_rows(self) -> int:
        """How many lines are stored above the screen."""
        return self._vt.get("scrollback_rows", "size_t")

    @property
    def viewport_top(self) -> int:
        """The line number of the viewport's first row, counted from the oldest scrollback line.

        NOTE: when the scrollback is full, libghostty drops its oldest page,
        and the numbers of the lines kept go down by that page's rows.
        """
        return self._scrollbar().offset

    def _scrollbar(self):
        scrollbar = ffi.new("GhosttyTerminalScrollbar*")
        check(lib.ghostty_terminal_get(self._vt._t[0], lib.GHOSTTY_TERMINAL_DATA_SCROLLBAR, scrollbar), "scrollbar")
        return scrollbar

    @property
    def scrolled_back(self) -> bool:
        """Whether the viewport shows scrollback instead of following the screen."""
        return not self._vt.get("viewport_active", "bool")

    def scroll_viewport(self, delta: int) -> None:
        """Move the viewport by ``delta`` lines: negative goes back into the scrollback."""
        value = ffi.new("AgentdeckScrollViewport*")
        value.tag = lib.GHOSTTY_SCROLL_VIEWPORT_DELTA
        value.delta = delta
        _scroll_viewport(self._vt._t[0], value[0])
        self.version += 1

    def scroll_to_bottom(self) -> None:
        """Make the viewport follow the screen again."""
        value = ffi.new("AgentdeckScrollViewport*")
        value.tag = lib.GHOSTTY_SCROLL_VIEWPORT_BOTTOM
        _scroll_viewport(self._vt._t[0], value[0])
        self.version += 1

    # Styled rows.

    def render(self) -> Frame:
        """Read the viewport's rows, re-reading only those libghostty marks as changed."""
        self._renderer.capture()
        return self._renderer.read()

    def capture(self) -> None:
        """Copy the viewport into the render state, a snapshot that ``render_captured`` reads.

        Only this step touches the emulator, so a caller that shares the
        terminal with a feeding thread holds the lock for this call alone and
        converts the rows without it.
        """
        self._renderer.capture()

    def render_captured(self) -> Frame:
        """Read the rows of the last ``capture``; safe while another thread feeds the terminal.

        Calls to ``render`` and ``render_captured`` must not overlap each
        other, because they share the snapshot.
        """
        return self._renderer.read()


def _string(value) -> str:
    if not value.len:
        return ""
    return ffi.buffer(value.ptr, value.len)[:].decode("utf-8", "replace")


class _RowReader:
    """Reads rows through libghostty's render state, keeping the last frame.

    The render state tracks which rows changed since the last read, so a
    frame after a one-line update costs one row, not the whole screen.
    """

    def __init__(self, vt: _GhosttyTerminal) -> None:
        self._vt = vt
        self._state = ffi.new("GhosttyRenderState*")
        self._rows = ffi.new("GhosttyRenderStateRowIterator*")
        self._cells = ffi.new("GhosttyRenderStateRowCells*")
        check(lib.ghostty_render_state_new(ffi.NULL, self._state), "render_state_new")
        check(lib.ghostty_render_state_row_iterator_new(ffi.NULL, self._rows), "row_iterator_new")
        check(lib.ghostty_render_state_row_cells_new(ffi.NULL, self._cells), "row_cells_new")

        # The per-cell out-values are allocated once and reused.
        self._codepoint = ffi.new("uint32_t*")
        self._content = ffi.new("GhosttyCellContentTag*")
        self._wide = ffi.new("GhosttyCellWide*")
        self._style_id = ffi.new("uint16_t*")
        self._keys = ffi.new(
            "GhosttyCellData[4]",
            [
                lib.GHOSTTY_CELL_DATA_CODEPOINT,
                lib.GHOSTTY_CELL_DATA_CONTENT_TAG,
                lib.GHOSTTY_CELL_DATA_WIDE,
                lib.GHOSTTY_CELL_DATA_STYLE_ID,
            ],
        )
        self._values = ffi.new("void*[4]", [self._codepoint, self._content, self._wide, self._style_id])
        self._written = ffi.new("size_t*")
        self._grapheme_length = ffi.new("size_t*")
        self._grapheme = ffi.new("uint32_t[64]")
        self._style = init_sized("GhosttyStyle")
        self._row_dirty = ffi.new("bool*")
        self._not_dirty = ffi.new("bool*", False)
        self._dirty = ffi.new("GhosttyRenderStateDirty*")
        self._clean = ffi.new("GhosttyRenderStateDirty*", lib.GHOSTTY_RENDER_STATE_DIRTY_FALSE)
        self._cursor = init_sized("GhosttyRenderStateCursor")
        self._columns = ffi.new("uint16_t*")
        self._cells_view = ffi.new("GhosttyCellsView*")
        self._decoded: dict[int, tuple[str, int, bool, int]] = {}
        self._scrollbar = ffi.new("GhosttyTerminalScrollbar*")
        self._top = 0

        # Palette entries the program changed with OSC 4 are drawn in its
        # colours; the others stay indexes, which the view draws in its theme.
        self._palette = ffi.new("GhosttyColorRgb[256]")
        check(
            lib.ghostty_terminal_get(vt._t[0], lib.GHOSTTY_TERMINAL_DATA_COLOR_PALETTE_DEFAULT, self._palette),
            "palette_default",
        )
        self._default_palette = ffi.buffer(self._palette)[:]
        self._palette_bytes = self._default_palette
        self._palette_overrides: dict[int, RGB] = {}
        self._palette_changed = False

        self._frame = Frame(0, (), (), None)
        self._next_generation = 0

        state, rows, cells = self._state[0], self._rows[0], self._cells[0]
        weakref.finalize(self, lib.ghostty_render_state_row_cells_free, cells)
        weakref.finalize(self, lib.ghostty_render_state_row_iterator_free, rows)
        weakref.finalize(self, lib.ghostty_render_state_free, state)

    def capture(self) -> None:
        state, handle = self._state[0], self._vt._t[0]
        check(lib.ghostty_render_state_update(state, handle), "render_state_update")
        check(lib.ghostty_render_state_get(state, lib.GHOSTTY_RENDER_STATE_DATA_COLS, self._columns), "cols")
        check(lib.ghostty_terminal_get(handle, lib.GHOSTTY_TERMINAL_DATA_SCROLLBAR, self._scrollbar), "scrollbar")
        self._top = self._scrollbar.offset
        check(lib.ghostty_terminal_get(handle, lib.GHOSTTY_TERMINAL_DATA_COLOR_PALETTE, self._palette), "palette")
        palette = ffi.buffer(self._palette)[:]
        if palette != self._palette_bytes:
            self._palette_bytes = palette
            self._palette_overrides = {
                index: (color.r, color.g, color.b)
                for index, color in enumerate(self._palette)
                if palette[3 * index : 3 * index + 3] != self._default_palette[3 * index : 3 * index + 3]
            }
            self._palette_changed = True

    def read(self) -> Frame:
        state = self._state[0]
        check(lib.ghostty_render_state_get(state, lib.GHOSTTY_RENDER_STATE_DATA_DIRTY, self._dirty), "dirty")
        cursor = self._read_cursor()
        previous = self._frame
        palette_changed = self._palette_changed
        if self._dirty[0] == lib.GHOSTTY_RENDER_STATE_DIRTY_FALSE and previous.rows and not palette_changed:
            if cursor != previous.cursor or self._top != previous.top:
                self._frame = Frame(previous.columns, previous.rows, previous.generations, cursor, self._top)
            return self._frame

        # A palette change recolours cells that libghostty does not mark as dirty.
        full = self._dirty[0] == lib.GHOSTTY_RENDER_STATE_DIRTY_FULL or palette_changed
        self._palette_changed = False
        rows, generations = self._read_rows(full, previous)
        self._frame = Frame(self._columns[0], tuple(rows), tuple(generations), cursor, self._top)
        check(lib.ghostty_render_state_set(state, lib.GHOSTTY_RENDER_STATE_OPTION_DIRTY, self._clean), "clean")
        return self._frame

    def _read_cursor(self) -> tuple[int, int] | None:
        check(
            lib.ghostty_render_state_get(self._state[0], lib.GHOSTTY_RENDER_STATE_DATA_CURSOR, self._cursor),
            "cursor",
        )
        cursor = self._cursor
        if not (cursor.visible and cursor.viewport_has_value):
            return None
        return (cursor.viewport_x, cursor.viewport_y)

    def _read_rows(self, full: bool, previous: Frame) -> tuple[list[Row], list[int]]:
        iterator = self._rows[0]
        check(
            lib.ghostty_render_state_get(self._state[0], lib.GHOSTTY_RENDER_STATE_DATA_ROW_ITERATOR, self._rows),
            "row_iterator",
        )
        rows: list[Row] = []
        generations: list[int] = []
        y = 0
        while lib.ghostty_render_state_row_iterator_next(iterator):
            known = y < len(previous.rows) and previous.columns == self._columns[0]
            if not full and known:
                lib.ghostty_render_state_row_get(iterator, lib.GHOSTTY_RENDER_STATE_ROW_DATA_DIRTY, self._row_dirty)
                if not self._row_dirty[0]:
                    rows.append(previous.rows[y])
                    generations.append(previous.generations[y])
                    y += 1
                    continue

            row = self._read_row(iterator)
            if known and previous.rows[y] == row:
                generations.append(previous.generations[y])
            else:
                self._next_generation += 1
                generations.append(self._next_generation)
            rows.append(row)
            lib.ghostty_render_state_row_set(iterator, lib.GHOSTTY_RENDER_STATE_ROW_OPTION_DIRTY, self._not_dirty)
            y += 1
        return rows, generations

    def _read_row(self, iterator) -> Row:
        row_get = lib.ghostty_render_state_row_get
        check(row_get(iterator, lib.GHOSTTY_RENDER_STATE_ROW_DATA_CELLS_RAW, self._cells_view), "cells_raw")
        check(row_get(iterator, lib.GHOSTTY_RENDER_STATE_ROW_DATA_CELLS, self._cells), "cells")
        # One call copies the row's packed cells; decoding them one by one
        # through cffi costs more than the rest of the read together.
        raw_cells = ffi.unpack(self._cells_view.ptr, self._cells_view.len)
        cells = self._cells[0]
        select = lib.ghostty_render_state_row_cells_select
        get = lib.ghostty_render_state_row_cells_get
        decode = self._decode

        spans: list[Span] = []
        # One entry per column, "" for the right half of a wide character.
        text: list[str] = []
        width = 0
        style = DEFAULT_STYLE
        last_style_id = -1
        for x, raw in enumerate(raw_cells):
            character, wide, grapheme, style_id = decode(raw)
            if wide == _SPACER_TAIL:
                # The wide character before it already counted 2 cells.
                text.append("")
                continue

            if style_id != last_style_id:
                last_style_id = style_id
                select(cells, x)
                get(cells, lib.GHOSTTY_RENDER_STATE_ROW_CELLS_DATA_STYLE, self._style)
                cell_style = _convert_style(self._style, self._palette_overrides)
                if cell_style != style:
                    if text:
                        spans.append(Span("".join(text), width, style, tuple(text)))
                    text, width, style = [], 0, cell_style

            if grapheme:
                select(cells, x)
                character = self._read_grapheme(cells)
            text.append(character)
            width += 2 if wide == _WIDE else 1

        if text:
            spans.append(Span("".join(text), width, style, tuple(text)))
        return tuple(spans)

    def _decode(self, raw: int) -> tuple[str, int, bool, int]:
        """Return a packed cell's character, width tag, whether it contains a grapheme cluster, and style id.

        Many cells of a screen share one packed value (blanks, repeated
        letters in one style), so decoded values are cached.
        """
        decoded = self._decoded.get(raw)
        if decoded is not None:
            return decoded
        lib.ghostty_cell_get_multi(raw, 4, self._keys, self._values, self._written)
        wide = self._wide[0]
        codepoint = self._codepoint[0]
        grapheme = self._content[0] == lib.GHOSTTY_CELL_CONTENT_CODEPOINT_GRAPHEME
        character = chr(codepoint) if codepoint and wide != _SPACER_HEAD else " "
        decoded = (character, wide, grapheme, self._style_id[0])
        if len(self._decoded) >= _DECODED_CACHE_SIZE:
            self._decoded.clear()
        self._decoded[raw] = decoded
        return decoded

    def _read_grapheme(self, cells) -> str:
        get = lib.ghostty_render_state_row_cells_get
        get(cells, lib.GHOSTTY_RENDER_STATE_ROW_CELLS_DATA_GRAPHEMES_LEN, self._grapheme_length)
        length = self._grapheme_length[0]
        if length > len(self._grapheme):
            # A cell can carry any number of combining marks.
            self._grapheme = ffi.new("uint32_t[]", length)
        get(cells, lib.GHOSTTY_RENDER_STATE_ROW_CELLS_DATA_GRAPHEMES_BUF, self._grapheme)
        return "".join(chr(self._grapheme[i]) for i in range(length))


def _convert_color(color, palette_overrides: dict[int, RGB]) -> Color:
    if color.tag == lib.GHOSTTY_STYLE_COLOR_PALETTE:
        index = color.value.palette
        return palette_overrides.get(index, index)
    if color.tag == lib.GHOSTTY_STYLE_COLOR_RGB:
        rgb = color.value.rgb
        return (rgb.r, rgb.g, rgb.b)
    return None


def _convert_style(style, palette_overrides: dict[int, RGB]) -> CellStyle:
    return CellStyle(
        foreground=_convert_color(style.fg_color, palette_overrides),
        background=_convert_color(style.bg_color, palette_overrides),
        bold=bool(style.bold),
        dim=bool(style.faint),
        italic=bool(style.italic),
        underline=bool(style.underline),
        blink=bool(style.blink),
        reverse=bool(style.inverse),
        strike=bool(style.strikethrough),
        invisible=bool(style.invisible),
    )
