"""A diff of one file drawn with the line API, so only the rows on screen are rendered.

The rows come from :mod:`agentdeck.review` already laid out side by side. The
view derives the other layouts from them on demand (unified, context folds
opened) and keeps a prefix sum of row heights while wrapping, so a 50,000-row
diff costs the same to draw as a short one. Word spans and syntax colours are
looked up only for the rows being drawn.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass, field

from rich.cells import cell_len
from rich.segment import Segment
from rich.style import Style
from textual.binding import Binding
from textual.cache import LRUCache
from textual.geometry import Region, Size
from textual.message import Message
from textual.scroll_view import ScrollView
from textual.strip import Strip

from agentdeck.review import (
    FileChange,
    Review,
    TRUNCATION_MARKER,
    Row,
    expand_folds,
    file_lines,
    last_line_number,
    leading_rows,
    load_hunks,
    side_by_side,
    unified,
    with_word_spans,
)
from agentdeck.ui.caches import empty_cache
from agentdeck.ui.diff_highlight import FileHighlight, LineStyles

FILLER = "\N{BOX DRAWINGS LIGHT DIAGONAL UPPER RIGHT TO LOWER LEFT}"
SEPARATOR = "\N{BOX DRAWINGS LIGHT VERTICAL}"
CONTINUATION = "\N{RIGHTWARDS ARROW WITH HOOK}"
MORE_RIGHT = "\N{SINGLE RIGHT-POINTING ANGLE QUOTATION MARK}"
"""Drawn in a line's last column when, without wrapping, the line goes on past the right edge."""
MORE_LEFT = "\N{SINGLE LEFT-POINTING ANGLE QUOTATION MARK}"
"""Drawn in a line's first column when it is scrolled sideways past text on the left."""
"""Shown in the gutter of the second and later screen lines of a wrapped row."""
COMMENT_MARK = "\N{BLACK CIRCLE}"
"""Shown in the gutter of a line that has a pending review comment."""
STRIP_CACHE_SIZE = 1024
"""Rendered lines, and changed rows with their word spans, kept for scrolling back."""

# Gutter sign per side, so the change still reads without colour.
_OLD_SIGNS = {"context": " ", "changed": "-", "removed": "-", "added": " "}
_NEW_SIGNS = {"context": " ", "changed": "+", "removed": " ", "added": "+"}


@dataclass(slots=True, repr=False)
class PreparedDiff:
    """Rows of one file plus what the view needs to draw them, computed off the event loop."""

    rows: list[Row]
    """Side-by-side rows with unchanged stretches folded."""
    number_width: int
    """Cells needed for the largest line number."""
    old_lines: list[str] | None = None
    """The whole old file, when it could be read; opens folds and quotes comments."""
    new_lines: list[str] | None = None
    path: str = ""
    highlight: FileHighlight | None = None
    """Syntax colours, filled in by a second worker after the first screen is shown."""
    partial: bool = False
    """True when the rows are only the file's first rows (see :func:`prepare_leading`)."""
    _layouts: dict[tuple[bool, bool], list[Row]] = field(default_factory=dict)
    _widths: dict[tuple[bool, bool], int] = field(default_factory=dict)

    def __repr__(self) -> str:
        # Workers describe their callables with repr(); 50,000 rows would take a noticeable time.
        return f"PreparedDiff({self.path!r}, {len(self.rows)} rows)"

    def text_cells(self, unified_mode: bool, expanded: bool) -> int:
        """Return the cells of the widest line in a layout, measuring it on first use."""
        key = (unified_mode, expanded)
        cells = self._widths.get(key)
        if cells is None:
            rows = self.layout(unified_mode, expanded)
            cells = max((max(_cells(row.old_text), _cells(row.new_text)) for row in rows if row.kind not in ("hunk", "fold")), default=0)
            self._widths[key] = cells
        return cells

    def layout(self, unified_mode: bool, expanded: bool) -> list[Row]:
        """Return the rows for a layout, building and caching it on first use."""
        key = (unified_mode, expanded)
        rows = self._layouts.get(key)
        if rows is None:
            rows = self.rows
            if expanded and self.old_lines is not None and self.new_lines is not None:
                rows = expand_folds(rows, self.old_lines, self.new_lines)
            if unified_mode:
                rows = unified(rows)
            self._layouts[key] = rows
        return rows


EMPTY_DIFF = PreparedDiff([], 1)


def prepare_diff(review: Review | None, change: FileChange) -> PreparedDiff:
    """Lay out *change* side by side, with folds when the whole files can be read. Call it from a worker."""
    old_lines, new_lines = file_lines(review, change) if review is not None else (None, None)
    if old_lines is None and change.status == "added":
        old_lines = []
    if new_lines is None and change.status == "deleted":
        new_lines = []
    rows = side_by_side(change, word_diff=False, old_lines=old_lines, new_lines=new_lines)
    hunks = load_hunks(change)
    largest = max(
        len(old_lines or ()),
        len(new_lines or ()),
        max((hunk.old_start + hunk.old_count for hunk in hunks), default=0),
        max((hunk.new_start + hunk.new_count for hunk in hunks), default=0),
    )
    prepared = PreparedDiff(rows, max(2, len(str(largest))), old_lines, new_lines, change.path)
    prepared.text_cells(False, False)
    return prepared


def prepare_leading(change: FileChange, count: int) -> PreparedDiff:
    """Lay out only the first *count* rows of *change*, reading no file, so a big file's first screen shows early.

    The line number column is sized for the largest number in the rows
    and in the last hunk header, so it keeps its width when
    :func:`prepare_diff` replaces these rows, unless the unchanged lines
    after the last hunk need a wider column.
    """
    rows = leading_rows(change, count)
    numbers = [number for row in rows for number in (row.old_no, row.new_no) if number is not None]
    numbers.append(last_line_number(change))
    prepared = PreparedDiff(rows, max(2, len(str(max(numbers)))), path=change.path, partial=True)
    prepared.text_cells(False, False)
    return prepared


@dataclass(frozen=True, slots=True)
class LineSelection:
    """Lines chosen for a comment: one side of one file, from start to end."""

    side: str
    """"new" or "old"."""
    start: int
    end: int
    quoted: tuple[str, ...]


class DiffView(ScrollView, can_focus=True):
    """Old lines on the left, new lines on the right, with line numbers on both sides.

    | Key | Action |
    | :- | :- |
    | `up` / `down` | Move the cursor line. |
    | `shift+up` / `shift+down` | Extend the selection of lines to comment on. |
    | `pageup` / `pagedown`, `home` / `end` | Move the cursor by a page, to the start or end. |
    | `left` / `right` | Scroll both sides sideways together. |

    | Class | Description |
    | :- | :- |
    | `diff-view--gutter` | Line numbers and the separator. |
    | `diff-view--context` | Unchanged lines. |
    | `diff-view--removed` | Removed lines and the old side of changed lines. |
    | `diff-view--added` | Added lines and the new side of changed lines. |
    | `diff-view--removed-word` | The part of a changed line that was removed. |
    | `diff-view--added-word` | The part of a changed line that was added. |
    | `diff-view--filler` | The empty side of an added or removed line. |
    | `diff-view--hunk` | Hunk headers. |
    | `diff-view--hunk-current` | The hunk header reached with next or previous hunk. |
    | `diff-view--fold` | A run of unchanged lines folded into one row. |
    | `diff-view--cursor` | The gutter of the cursor line and the selected lines. |
    | `diff-view--comment` | The mark of a line with a pending comment. |
    | `diff-view--message` | The note shown when a file has no text to compare. |
    | `diff-view--more` | The marks at an edge where a line goes on out of view, without wrapping. |
    """

    BINDINGS = [
        Binding("up", "cursor_up", "Line up", show=False, id="diff.cursor_up"),
        Binding("down", "cursor_down", "Line down", show=False, id="diff.cursor_down"),
        Binding("shift+up", "select_up", "Select up", show=False, id="diff.select_up"),
        Binding("shift+down", "select_down", "Select down", show=False, id="diff.select_down"),
        Binding("pageup", "page_up", "Page up", show=False, id="diff.page_up"),
        Binding("pagedown", "page_down", "Page down", show=False, id="diff.page_down"),
        Binding("home", "first_line", "First line", show=False, id="diff.first_line"),
        Binding("end", "last_line", "Last line", show=False, id="diff.last_line"),
        Binding("left", "scroll_left", "Scroll left", show=False, id="diff.scroll_left"),
        Binding("right", "scroll_right", "Scroll right", show=False, id="diff.scroll_right"),
    ]

    COMPONENT_CLASSES = {
        "diff-view--gutter",
        "diff-view--context",
        "diff-view--removed",
        "diff-view--added",
        "diff-view--removed-word",
        "diff-view--added-word",
        "diff-view--filler",
        "diff-view--hunk",
        "diff-view--hunk-current",
        "diff-view--fold",
        "diff-view--cursor",
        "diff-view--comment",
        "diff-view--message",
        "diff-view--more",
    }

    DEFAULT_CSS = """
    DiffView {
        background: $surface;
        & > .diff-view--gutter { color: $text-muted; background: $panel; }
        & > .diff-view--context { color: $text; }
        & > .diff-view--removed { background: $error 20%; }
        & > .diff-view--added { background: $success 20%; }
        & > .diff-view--removed-word { background: $error 45%; text-style: bold; }
        & > .diff-view--added-word { background: $success 45%; text-style: bold; }
        & > .diff-view--filler { color: $text-disabled; background: $panel; }
        & > .diff-view--hunk { color: $text-accent; background: $boost; }
        & > .diff-view--hunk-current { color: $text; background: $accent 40%; text-style: bold; }
        & > .diff-view--fold { color: $text-muted; background: $boost; text-style: italic; }
        & > .diff-view--cursor { color: $text; background: $accent 60%; text-style: bold; }
        & > .diff-view--comment { color: $text-warning; background: $panel; text-style: bold; }
        & > .diff-view--message { color: $text-muted; text-style: italic; }
        & > .diff-view--more { color: $text-warning; text-style: bold; }
    }
    """

    class CursorMoved(Message):
        """Posted when the cursor line or the selection changes."""

    class Painted(Message):
        """Posted once a newly shown diff (rows or message) was first drawn, so slower work can start without delaying it."""

        def __init__(self, prepared: PreparedDiff) -> None:
            super().__init__()
            self.prepared = prepared

    def __init__(self, *, name: str | None = None, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self._diff = EMPTY_DIFF
        self._painted = False
        self._rows: list[Row] = []
        self._hunk_rows: list[int] = []
        self._message = ""
        self._current_hunk = 0
        self._unified = False
        self._wrap = False
        self._expanded = False
        self._cursor = 0
        self._anchor: int | None = None
        self._commented: frozenset[tuple[str, int]] = frozenset()
        self._measured_width = 0
        self._text_cells = 0
        self._line_starts: list[int] = []
        """While wrapping: the first screen line of each row, plus the total at the end."""
        self._version = 0
        # Each cached strip keeps a few dozen segments alive, and every live
        # object makes each full garbage collection take longer. 1,024 lines
        # are about 25 screens of 40 rows.
        self._strips: LRUCache[tuple[object, ...], Strip] = LRUCache(STRIP_CACHE_SIZE)
        self._spans: LRUCache[tuple[int | None, int | None], Row] = LRUCache(STRIP_CACHE_SIZE)
        self._pairs: dict[tuple[str, int | None], Row] = {}
        self._styles: dict[str, Style] = {}

    # -- state -------------------------------------------------------------------------

    @property
    def rows(self) -> list[Row]:
        """The rows in the current layout."""
        return self._rows

    @property
    def prepared(self) -> PreparedDiff:
        """The diff on display."""
        return self._diff

    @property
    def current_hunk(self) -> int:
        """Index of the hunk last reached with :meth:`next_hunk` or :meth:`previous_hunk`."""
        return self._current_hunk

    @property
    def cursor(self) -> int:
        """Index in :attr:`rows` of the cursor line."""
        return self._cursor

    @property
    def unified(self) -> bool:
        """True for one column of old then new lines, False for side by side."""
        return self._unified

    @property
    def wrap(self) -> bool:
        """True when long lines wrap onto continuation lines instead of scrolling sideways."""
        return self._wrap

    @property
    def expanded(self) -> bool:
        """True when folded unchanged lines are shown."""
        return self._expanded

    def show(self, diff: PreparedDiff, message: str = "", keep_place: bool = False) -> None:
        """Replace the content with *diff*, or with *message* when *diff* has no rows.

        With *keep_place*, the line at the top and the cursor line stay where
        they were when the same lines still exist, as after a refresh.
        """
        top = self._row_at_line(self.scroll_offset.y) if keep_place else None
        top_key = _line_key(self._rows[top]) if top is not None and top < len(self._rows) else None
        cursor_key = _line_key(self._rows[self._cursor]) if keep_place and self._cursor < len(self._rows) else None

        self._diff = diff
        self._painted = False
        self._message = message
        empty_cache(self._spans)
        self._relayout()

        if keep_place and top_key is not None:
            self._cursor = _find_line(self._rows, cursor_key) if cursor_key is not None else 0
            self._anchor = None
            self._current_hunk = self._hunk_at(self._cursor)
            self.scroll_to(y=self._line_of_row(_find_line(self._rows, top_key)), animate=False, immediate=True)
        else:
            self._cursor = self._first_change()
            self._anchor = None
            self._current_hunk = 0
            self.scroll_to(0, 0, animate=False, immediate=True)
        self.post_message(self.CursorMoved())
        self.refresh()

    def set_highlight(self, diff: PreparedDiff, highlight: FileHighlight | None) -> None:
        """Attach syntax colours computed in a worker, when *diff* is still the one on display."""
        diff.highlight = highlight
        if diff is self._diff:
            self._invalidate()

    def set_commented(self, lines: frozenset[tuple[str, int]]) -> None:
        """Mark the (side, line number) pairs that have pending comments."""
        if lines != self._commented:
            self._commented = lines
            self._invalidate()

    def set_layout(self, *, unified: bool | None = None, wrap: bool | None = None, expanded: bool | None = None) -> None:
        """Switch between side by side and unified, wrapping and scrolling, folded and open context."""
        key = _line_key(self._rows[self._cursor]) if self._cursor < len(self._rows) else None
        if unified is not None:
            self._unified = unified
        if wrap is not None:
            self._wrap = wrap
        if expanded is not None:
            self._expanded = expanded
        self._relayout()
        self._cursor = _find_line(self._rows, key) if key is not None else 0
        self._current_hunk = self._hunk_at(self._cursor)
        self._anchor = None
        self.scroll_to(x=0, animate=False, immediate=True)
        self._scroll_cursor_visible(center=True)
        self.refresh()

    def next_hunk(self) -> bool:
        """Scroll the next hunk's header to the top and put the cursor on its first changed line.

        Returns False, moving nothing, when the file has no later hunk. While
        only the leading rows are shown, the last of them counts as not last.
        """
        if self._current_hunk + 1 >= len(self._hunk_rows) and not self._diff.partial:
            return False
        self._go_to_hunk(self._current_hunk + 1)
        return True

    def previous_hunk(self) -> bool:
        """Go to the previous hunk as :meth:`next_hunk` goes to the next, or back to the start of the cursor's own hunk when past it.

        Returns False, moving nothing, when the cursor is at or above the first hunk's first changed line.
        """
        if not self._hunk_rows:
            return False
        current = self._hunk_at(self._cursor)
        if self._cursor > self._landing(current):
            self._go_to_hunk(current)
        elif current > 0:
            self._go_to_hunk(current - 1)
        else:
            return False
        return True

    def go_to_hunk(self, index: int) -> None:
        """Go to hunk *index* (negative counts from the last) as :meth:`next_hunk` does."""
        if self._hunk_rows:
            self._go_to_hunk(index % len(self._hunk_rows))

    def selection(self) -> LineSelection | None:
        """Return the lines under the cursor or the selection, on the new side when it has any."""
        if not self._rows:
            return None
        low, high = self._selected_range()
        rows = [row for row in self._rows[low : high + 1] if row.kind not in ("hunk", "fold")]
        if not rows:
            return None
        new_numbers = [row.new_no for row in rows if row.new_no is not None and row.kind != "removed"]
        if new_numbers:
            side, numbers, lines = "new", new_numbers, self._diff.new_lines
        else:
            side, numbers, lines = "old", [row.old_no for row in rows if row.old_no is not None], self._diff.old_lines
        if not numbers:
            return None
        start, end = min(numbers), max(numbers)
        if lines is not None and end <= len(lines):
            quoted = tuple(lines[start - 1 : end])
        else:
            # Without the whole file, quote the display text of the rows.
            texts: dict[int | None, str] = {}
            for row in rows:
                if side == "new":
                    texts[row.new_no] = row.new_text
                else:
                    texts[row.old_no] = row.old_text
            quoted = tuple(texts.get(number, "") for number in range(start, end + 1))
        return LineSelection(side, start, end, quoted)

    # -- actions -------------------------------------------------------------------------

    def action_cursor_up(self) -> None:
        self._move_cursor(self._cursor - 1)

    def action_cursor_down(self) -> None:
        self._move_cursor(self._cursor + 1)

    def action_select_up(self) -> None:
        self._move_cursor(self._cursor - 1, extend=True)

    def action_select_down(self) -> None:
        self._move_cursor(self._cursor + 1, extend=True)

    def action_page_up(self) -> None:
        self._move_cursor(self._cursor - max(1, self.scrollable_content_region.height - 1))

    def action_page_down(self) -> None:
        self._move_cursor(self._cursor + max(1, self.scrollable_content_region.height - 1))

    def action_first_line(self) -> None:
        self._move_cursor(0)

    def action_last_line(self) -> None:
        self._move_cursor(len(self._rows) - 1)

    def action_scroll_left(self) -> None:
        self.scroll_to(x=max(0, self.scroll_offset.x - 8), animate=False)

    def action_scroll_right(self) -> None:
        self.scroll_to(x=self.scroll_offset.x + 8, animate=False)

    def on_click(self, event) -> None:
        row = self._row_at_line(self.scroll_offset.y + event.y)
        if row is not None:
            self._move_cursor(row, extend=event.shift)

    # -- drawing -------------------------------------------------------------------------

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._styles.clear()
        self._invalidate()

    def on_mount(self) -> None:
        # Make both scrollbars now, hidden. Made with the first diff, each
        # would need another layout pass, a frame later, before the rows are
        # drawn. _relayout_size shows them when the rows need them.
        _ = self.vertical_scrollbar, self.horizontal_scrollbar

    def on_resize(self) -> None:
        self._relayout_size()

    def on_unmount(self) -> None:
        # Rows, strips and colours go by reference counting now, rather than
        # waiting for a full collection to find the widget unreachable.
        self._diff = EMPTY_DIFF
        self._rows = []
        self._hunk_rows = []
        self._pairs = {}
        self._line_starts = []
        empty_cache(self._strips)
        empty_cache(self._spans)

    def render_line(self, y: int) -> Strip:
        scroll_x, scroll_y = self.scroll_offset
        width = self.scrollable_content_region.width
        if width != self._measured_width:
            # A vertical scrollbar came or went, which changes the width
            # without a resize event.
            self._relayout_size()
        line = scroll_y + y
        if not self._painted:
            self._painted = True
            self.post_message(self.Painted(self._diff))
        if not self._rows:
            if line == 0 and self._message:
                style = self._style("diff-view--message")
                return Strip([Segment(f" {self._message}", style)]).crop_extend(0, width, style)
            return Strip.blank(width, self.rich_style)

        index, part = self._locate(line)
        if index is None:
            return Strip.blank(width, self.rich_style)
        low, high = self._selected_range()
        selected = low <= index <= high
        current = bool(self._hunk_rows) and self._hunk_rows[min(self._current_hunk, len(self._hunk_rows) - 1)] == index
        x = 0 if self._wrap else scroll_x
        key = (self._version, index, part, x, width, selected, current)
        strip = self._strips.get(key)
        if strip is None:
            strip = self._render_row(index, part, x, width, selected, current)
            self._strips[key] = strip
        return strip

    # -- layout ------------------------------------------------------------------------

    def _relayout(self) -> None:
        self._rows = self._diff.layout(self._unified, self._expanded)
        self._hunk_rows = [index for index, row in enumerate(self._rows) if row.kind == "hunk"]
        self._pairs = {}
        if self._unified:
            for row in self._diff.layout(False, self._expanded):
                if row.kind == "changed":
                    self._pairs[("old", row.old_no)] = row
                    self._pairs[("new", row.new_no)] = row
        self._text_cells = 0
        self._relayout_size()

    def _relayout_size(self) -> None:
        self._size_for_width()
        if not self.container_size:
            return
        # Settle the scrollbars now rather than in the screen's next layout
        # pass, so the rows are drawn in the very next frame. When one comes
        # or goes, the rows are sized again for the width that is left.
        self._refresh_scrollbars()
        if self.scrollable_content_region.width != self._measured_width:
            self._size_for_width()
            self._refresh_scrollbars()

    def _size_for_width(self) -> None:
        width = self.scrollable_content_region.width
        self._measured_width = width
        self._invalidate()
        if self._wrap:
            self._line_starts = self._wrapped_starts(width)
            self.virtual_size = Size(width, self._line_starts[-1] or 1)
            return
        self._line_starts = []
        if not self._text_cells:
            self._text_cells = self._diff.text_cells(self._unified, self._expanded)
        overflow = max(0, self._text_cells - self._narrowest_column(width))
        self.virtual_size = Size(width + overflow, len(self._rows) or 1)

    def _wrapped_starts(self, width: int) -> list[int]:
        starts = [0]
        total = 0
        if self._unified:
            column = max(1, self._unified_columns(width)[1])
            for row in self._rows:
                text = row.new_text if row.new_no is not None and row.kind != "removed" else row.old_text
                total += _height(text, column) if row.kind not in ("hunk", "fold") else 1
                starts.append(total)
        else:
            _, left, right = self._columns(width)
            for row in self._rows:
                if row.kind in ("hunk", "fold"):
                    total += 1
                else:
                    total += max(_height(row.old_text, left), _height(row.new_text, right))
                starts.append(total)
        return starts

    def _locate(self, line: int) -> tuple[int | None, int]:
        if not self._wrap:
            return (line, 0) if 0 <= line < len(self._rows) else (None, 0)
        if line < 0 or line >= self._line_starts[-1]:
            return None, 0
        index = bisect_right(self._line_starts, line) - 1
        return index, line - self._line_starts[index]

    def _row_at_line(self, line: int) -> int | None:
        index, _ = self._locate(line)
        return index

    def _line_of_row(self, index: int) -> int:
        if self._wrap and self._line_starts:
            return self._line_starts[max(0, min(index, len(self._line_starts) - 1))]
        return index

    def _columns(self, width: int) -> tuple[int, int, int]:
        """Return the gutter width and the widths of the old and new text columns."""
        gutter = self._diff.number_width + 3
        # Both sides get the same width, so a line is cut and wrapped at the
        # same place on each. An odd cell left over stays blank at the right.
        side = max(1, (width - 2 * gutter - 1) // 2)
        return gutter, side, side

    def _unified_columns(self, width: int) -> tuple[int, int]:
        gutter = 2 * self._diff.number_width + 4
        return gutter, max(2, width - gutter)

    def _narrowest_column(self, width: int) -> int:
        if self._unified:
            return self._unified_columns(width)[1]
        _, left, right = self._columns(width)
        return min(left, right)

    def _invalidate(self) -> None:
        self._version += 1
        self.refresh()

    # -- cursor ------------------------------------------------------------------------

    def _first_change(self) -> int:
        return next((index for index, row in enumerate(self._rows) if row.kind in ("changed", "added", "removed")), 0)

    def _selected_range(self) -> tuple[int, int]:
        anchor = self._cursor if self._anchor is None else self._anchor
        return min(anchor, self._cursor), max(anchor, self._cursor)

    def _move_cursor(self, index: int, extend: bool = False) -> None:
        if not self._rows:
            return
        if extend and self._anchor is None:
            self._anchor = self._cursor
        elif not extend:
            self._anchor = None
        self._cursor = max(0, min(index, len(self._rows) - 1))
        self._current_hunk = self._hunk_at(self._cursor)
        self._scroll_cursor_visible()
        self.post_message(self.CursorMoved())
        self.refresh()

    def _hunk_at(self, index: int) -> int:
        return max(0, bisect_right(self._hunk_rows, index) - 1)

    def _scroll_cursor_visible(self, center: bool = False) -> None:
        top = self._line_of_row(self._cursor)
        bottom = self._line_of_row(self._cursor + 1) if self._wrap else top + 1
        region = Region(self.scroll_offset.x, top, 1, max(1, bottom - top))
        self.scroll_to_region(region, animate=False, immediate=True, center=center, x_axis=False)

    def _landing(self, hunk: int) -> int:
        """Return the row the cursor goes to for *hunk*: its first changed line, else the line after its header."""
        header = self._hunk_rows[hunk]
        end = self._hunk_rows[hunk + 1] if hunk + 1 < len(self._hunk_rows) else len(self._rows)
        changed = (index for index in range(header + 1, end) if self._rows[index].kind in ("changed", "added", "removed"))
        return next(changed, header + 1 if header + 1 < end else header)

    def _go_to_hunk(self, hunk: int) -> None:
        if not self._hunk_rows:
            return
        self._current_hunk = max(0, min(hunk, len(self._hunk_rows) - 1))
        # The header goes to the top; the cursor to the first changed line
        # below it, where c can comment at once.
        self._cursor = self._landing(self._current_hunk)
        self._anchor = None
        self.scroll_to(y=self._line_of_row(self._hunk_rows[self._current_hunk]), animate=False, immediate=True)
        self.post_message(self.CursorMoved())
        self.refresh()

    # -- rendering ---------------------------------------------------------------------

    def _style(self, name: str) -> Style:
        style = self._styles.get(name)
        if style is None:
            style = self.get_component_rich_style(name)
            self._styles[name] = style
        return style

    def _row(self, index: int) -> Row:
        row = self._rows[index]
        if row.kind != "changed":
            return row
        key = (row.old_no, row.new_no)
        spanned = self._spans.get(key)
        if spanned is None:
            spanned = with_word_spans(row)
            self._spans[key] = spanned
        return spanned

    def _render_row(self, index: int, part: int, scroll_x: int, width: int, selected: bool, current: bool) -> Strip:
        row = self._row(index)
        if row.kind == "hunk":
            style = self._style("diff-view--hunk-current" if current or selected else "diff-view--hunk")
            return Strip([Segment(f" {row.old_text}", style)]).crop_extend(0, width, style)
        if row.kind == "fold":
            style = self._style("diff-view--cursor" if selected else "diff-view--fold")
            label = f" \N{MIDLINE HORIZONTAL ELLIPSIS} {row.old_text} (e shows them)"
            return Strip([Segment(label, style)]).crop_extend(0, width, style)
        if self._unified:
            return self._render_unified(index, row, part, scroll_x, width, selected)

        gutter, left_width, right_width = self._columns(width)
        old_style, new_style = self._side_styles(row.kind)
        parts = [
            *self._side("old", row.old_no, row.old_text, row.old_spans, _OLD_SIGNS[row.kind], old_style, "diff-view--removed-word", gutter, left_width, scroll_x, part, selected),
            Strip([Segment(SEPARATOR, self._style("diff-view--gutter"))], 1),
            *self._side("new", row.new_no, row.new_text, row.new_spans, _NEW_SIGNS[row.kind], new_style, "diff-view--added-word", gutter, right_width, scroll_x, part, selected),
        ]
        return Strip.join(parts).crop_extend(0, width, self.rich_style)

    def _render_unified(self, index: int, row: Row, part: int, scroll_x: int, width: int, selected: bool) -> Strip:
        gutter, column = self._unified_columns(width)
        number_width = self._diff.number_width
        if row.kind == "removed":
            side, number, text, spans, sign = "old", row.old_no, row.old_text, self._unified_spans(row), "-"
            style, word = self._style("diff-view--removed"), "diff-view--removed-word"
        elif row.kind == "added":
            side, number, text, spans, sign = "new", row.new_no, row.new_text, self._unified_spans(row), "+"
            style, word = self._style("diff-view--added"), "diff-view--added-word"
        else:
            side, number, text, spans, sign = "new", row.new_no, row.new_text, (), " "
            style, word = self._style("diff-view--context"), "diff-view--added-word"

        gutter_style = self._style("diff-view--cursor" if selected else "diff-view--gutter")
        if part:
            gutter_text = f"{'':>{number_width}} {'':>{number_width}} {CONTINUATION} "
        else:
            old_no = "" if row.old_no is None else str(row.old_no)
            new_no = "" if row.new_no is None else str(row.new_no)
            gutter_text = f"{old_no:>{number_width}} {new_no:>{number_width}} {sign} "
        segments = [Segment(gutter_text[: gutter - 1], gutter_style), self._comment_segment(side, number, part, gutter_style)]
        text_strip = self._text_strip(side, number, text, spans, style, word, column, scroll_x, part)
        return Strip.join([Strip(segments, gutter), text_strip]).crop_extend(0, width, self.rich_style)

    def _unified_spans(self, row: Row) -> tuple[tuple[int, int], ...]:
        # A unified row keeps the pairing of its side-by-side row, so the
        # word spans of the pair are computed once and shared by both lines.
        side = "old" if row.kind == "removed" else "new"
        number = row.old_no if side == "old" else row.new_no
        pair = self._pairs.get((side, number))
        if pair is None:
            return ()
        key = (pair.old_no, pair.new_no)
        spanned = self._spans.get(key)
        if spanned is None:
            spanned = with_word_spans(pair)
            self._spans[key] = spanned
        return spanned.old_spans if side == "old" else spanned.new_spans

    def _side_styles(self, kind: str) -> tuple[Style, Style]:
        context = self._style("diff-view--context")
        removed = self._style("diff-view--removed")
        added = self._style("diff-view--added")
        return {
            "context": (context, context),
            "changed": (removed, added),
            "removed": (removed, context),
            "added": (context, added),
        }[kind]

    def _comment_segment(self, side: str, number: int | None, part: int, gutter_style: Style) -> Segment:
        if number is not None and not part and (side, number) in self._commented:
            return Segment(COMMENT_MARK, self._style("diff-view--comment"))
        return Segment(" ", gutter_style)

    def _side(
        self,
        side: str,
        number: int | None,
        text: str,
        spans: tuple[tuple[int, int], ...],
        sign: str,
        style: Style,
        word_class: str,
        gutter: int,
        text_width: int,
        scroll_x: int,
        part: int,
        selected: bool,
    ) -> tuple[Strip, Strip]:
        if number is None:
            filler = self._style("diff-view--filler")
            return (
                Strip([Segment(" " * gutter, filler)], gutter),
                Strip([Segment(FILLER * text_width, filler)], text_width),
            )

        gutter_style = self._style("diff-view--cursor" if selected else "diff-view--gutter")
        if part:
            gutter_text = f"{'':>{gutter - 3}} {CONTINUATION}"
        else:
            gutter_text = f"{number:>{gutter - 3}} {sign}"
        gutter_strip = Strip([Segment(gutter_text, gutter_style), self._comment_segment(side, number, part, gutter_style)], gutter)
        return gutter_strip, self._text_strip(side, number, text, spans, style, word_class, text_width, scroll_x, part)

    def _text_strip(
        self,
        side: str,
        number: int | None,
        text: str,
        spans: tuple[tuple[int, int], ...],
        style: Style,
        word_class: str,
        text_width: int,
        scroll_x: int,
        part: int,
    ) -> Strip:
        if part and text_width > 0:
            # Wrapped continuation: cut the line into column-wide pieces by cells.
            start = part * text_width
            strip = Strip(self._segments(side, number, text, spans, style, word_class))
            return strip.crop_extend(start, start + text_width, style)
        strip = Strip(self._segments(side, number, text, spans, style, word_class))
        visible = strip.crop_extend(scroll_x, scroll_x + text_width, style)
        if self._wrap or text_width < 3:
            return visible
        # Without wrapping, a line cut at an edge gets a mark there, as in less -S.
        more = style + self._more_style()
        if strip.cell_length > scroll_x + text_width:
            visible = Strip.join([visible.crop(0, text_width - 1), Strip([Segment(MORE_RIGHT, more)], 1)])
        if scroll_x and strip.cell_length > 0:
            visible = Strip.join([Strip([Segment(MORE_LEFT, more)], 1), visible.crop(1, text_width)])
        return visible

    def _more_style(self) -> Style:
        # Only the marker's own colour and weight, so it keeps the line's background.
        style = self._styles.get("more")
        if style is None:
            style = self.get_component_rich_style("diff-view--more", partial=True)
            self._styles["more"] = style
        return style

    def _segments(
        self, side: str, number: int | None, text: str, spans: tuple[tuple[int, int], ...], style: Style, word_class: str
    ) -> list[Segment]:
        # A long changed pair shown from near its first difference starts with
        # the truncation marker. The file's colour runs count from the line's
        # start, so they would not fit and are left off.
        runs = () if text.startswith(TRUNCATION_MARKER) else self._syntax_runs(side, number)
        word_style = style + self._style(word_class)
        if not runs:
            return _highlight(text, spans, style, word_style)
        styles = self._diff.highlight.styles if self._diff.highlight is not None else ()
        return _merge(text, runs, styles, spans, style, word_style)

    def _syntax_runs(self, side: str, number: int | None) -> LineStyles:
        highlight = self._diff.highlight
        if highlight is None or number is None:
            return ()
        lines = highlight.new if side == "new" else highlight.old
        if lines is None or not 0 < number <= len(lines):
            return ()
        return lines[number - 1]


def _line_key(row: Row) -> tuple[int | None, int | None, str]:
    return (row.old_no, row.new_no, row.kind if row.kind in ("hunk", "fold") else "line")


def _find_line(rows: Sequence[Row], key: tuple[int | None, int | None, str]) -> int:
    """Return the index of the row with the same line numbers as *key*, or of the nearest one after it."""
    old_no, new_no, _ = key
    for index, row in enumerate(rows):
        if (row.old_no, row.new_no) == (old_no, new_no) and (row.kind in ("hunk", "fold")) == (key[2] != "line"):
            return index
    target = new_no if new_no is not None else old_no
    if target is None:
        return 0
    for index, row in enumerate(rows):
        number = row.new_no if new_no is not None else row.old_no
        if number is not None and number >= target:
            return index
    return max(0, len(rows) - 1)


def _cells(text: str) -> int:
    return len(text) if text.isascii() else cell_len(text)


def _height(text: str, column: int) -> int:
    cells = _cells(text)
    return max(1, -(-cells // max(1, column)))


def _highlight(text: str, spans: tuple[tuple[int, int], ...], style: Style, word_style: Style) -> list[Segment]:
    segments: list[Segment] = []
    position = 0
    for start, end in spans:
        if start > position:
            segments.append(Segment(text[position:start], style))
        segments.append(Segment(text[start:end], word_style))
        position = end
    if position < len(text):
        segments.append(Segment(text[position:], style))
    return segments


def _merge(
    text: str,
    runs: LineStyles,
    syntax_styles: Sequence[Style],
    spans: tuple[tuple[int, int], ...],
    style: Style,
    word_style: Style,
) -> list[Segment]:
    # Walk the syntax runs and the word spans together, cutting the text at
    # every boundary of either, so each piece gets one syntax colour on top
    # of the line's or the changed word's background.
    segments: list[Segment] = []
    position = 0
    span_index = 0
    for run in range(0, len(runs), 2):
        run_end = min(len(text), position + runs[run])
        syntax = syntax_styles[runs[run + 1]] if runs[run + 1] < len(syntax_styles) else Style()
        while position < run_end:
            while span_index < len(spans) and spans[span_index][1] <= position:
                span_index += 1
            if span_index < len(spans) and spans[span_index][0] <= position:
                end = min(run_end, spans[span_index][1])
                base = word_style
            else:
                end = min(run_end, spans[span_index][0]) if span_index < len(spans) else run_end
                base = style
            segments.append(Segment(text[position:end], base + syntax))
            position = end
    if position < len(text):
        # Markers after the file's own text have no syntax colour.
        segments.extend(_highlight(text[position:], tuple((max(0, start - position), end - position) for start, end in spans if end > position), style, word_style))
    return segments
