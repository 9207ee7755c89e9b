"""A side-by-side diff drawn with the line API, so only visible rows are rendered."""

from __future__ import annotations

from dataclasses import dataclass

from rich.cells import cell_len
from rich.segment import Segment
from rich.style import Style
from textual.cache import LRUCache
from textual.geometry import Size
from textual.scroll_view import ScrollView
from textual.strip import Strip

from agentdeck.review import FileChange, Row, side_by_side

FILLER = "\N{BOX DRAWINGS LIGHT DIAGONAL UPPER RIGHT TO LOWER LEFT}"
SEPARATOR = "\N{BOX DRAWINGS LIGHT VERTICAL}"

# Gutter sign per side, so the change still reads without colour.
_OLD_SIGNS = {"context": " ", "changed": "-", "removed": "-", "added": " "}
_NEW_SIGNS = {"context": " ", "changed": "+", "removed": " ", "added": "+"}


@dataclass(frozen=True, slots=True)
class PreparedDiff:
    """Rows of one file plus the measurements the view needs, computed off the event loop."""

    rows: list[Row]
    hunk_rows: list[int]
    """Indexes of the hunk header rows."""
    number_width: int
    """Cells needed for the largest line number."""
    text_cells: int
    """Cells of the widest line on either side."""


def prepare_diff(change: FileChange) -> PreparedDiff:
    """Lay out *change* side by side and measure it. This is slow for big files, so call it from a worker."""
    rows = side_by_side(change)
    hunk_rows = [index for index, row in enumerate(rows) if row.kind == "hunk"]
    largest = max((max(row.old_no or 0, row.new_no or 0) for row in rows), default=0)
    text_cells = max(
        (max(cell_len(row.old_text), cell_len(row.new_text)) for row in rows if row.kind != "hunk"),
        default=0,
    )
    return PreparedDiff(rows, hunk_rows, len(str(largest)), text_cells)


class DiffView(ScrollView, can_focus=True):
    """Old lines on the left, new lines on the right, with line numbers on both sides.

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
    | `diff-view--message` | The note shown when a file has no text to compare. |
    """

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
        "diff-view--message",
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
        & > .diff-view--message { color: $text-muted; text-style: italic; }
    }
    """

    def __init__(self, *, name: str | None = None, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self._diff = PreparedDiff([], [], 1, 0)
        self._message = ""
        self._current_hunk = 0
        self._measured_width = 0
        self._strips: LRUCache[tuple[int, int, int, bool], Strip] = LRUCache(2048)
        self._styles: dict[str, Style] = {}

    @property
    def rows(self) -> list[Row]:
        """The rows on display."""
        return self._diff.rows

    @property
    def current_hunk(self) -> int:
        """Index of the hunk last reached with :meth:`next_hunk` or :meth:`previous_hunk`."""
        return self._current_hunk

    def show(self, diff: PreparedDiff, message: str = "") -> None:
        """Replace the content with *diff*, or with *message* when *diff* has no rows."""
        self._diff = diff
        self._message = message
        self._current_hunk = 0
        self._strips.clear()
        self._update_virtual_size()
        self.scroll_to(0, 0, animate=False, immediate=True)
        self.refresh()

    def next_hunk(self) -> None:
        """Scroll the next hunk header to the top."""
        self._go_to_hunk(self._current_hunk + 1)

    def previous_hunk(self) -> None:
        """Scroll the previous hunk header to the top."""
        self._go_to_hunk(self._current_hunk - 1)

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._styles.clear()
        self._strips.clear()

    def on_resize(self) -> None:
        self._strips.clear()
        self._update_virtual_size()

    def render_line(self, y: int) -> Strip:
        scroll_x, scroll_y = self.scroll_offset
        index = scroll_y + y
        width = self.scrollable_content_region.width
        if width != self._measured_width:
            # A vertical scrollbar came or went, which changes the width
            # without a resize event.
            self._update_virtual_size()
        if not self._diff.rows:
            if index == 0 and self._message:
                style = self._style("diff-view--message")
                return Strip([Segment(f" {self._message}", style)]).crop_extend(0, width, style)
            return Strip.blank(width, self.rich_style)
        if index >= len(self._diff.rows):
            return Strip.blank(width, self.rich_style)

        current = bool(self._diff.hunk_rows) and self._diff.hunk_rows[self._current_hunk] == index
        key = (index, scroll_x, width, current)
        strip = self._strips.get(key)
        if strip is None:
            strip = self._render_row(self._diff.rows[index], scroll_x, width, current)
            self._strips[key] = strip
        return strip.apply_offsets(scroll_x, index)

    def _go_to_hunk(self, hunk: int) -> None:
        hunk_rows = self._diff.hunk_rows
        if not hunk_rows:
            return
        self._current_hunk = max(0, min(hunk, len(hunk_rows) - 1))
        self.scroll_to(y=hunk_rows[self._current_hunk], animate=False)
        self.refresh()

    def _update_virtual_size(self) -> None:
        width = self.scrollable_content_region.width
        self._measured_width = width
        _, left_width, right_width = self._columns(width)
        overflow = max(0, self._diff.text_cells - min(left_width, right_width))
        self.virtual_size = Size(width + overflow, len(self._diff.rows) or 1)

    def _columns(self, width: int) -> tuple[int, int, int]:
        """Return the gutter width and the widths of the old and new text columns."""
        gutter = self._diff.number_width + 3
        text = max(2, width - 2 * gutter - 1)
        left = text // 2
        return gutter, left, text - left

    def _style(self, name: str) -> Style:
        style = self._styles.get(name)
        if style is None:
            style = self.get_component_rich_style(name)
            self._styles[name] = style
        return style

    def _render_row(self, row: Row, scroll_x: int, width: int, current: bool) -> Strip:
        if row.kind == "hunk":
            style = self._style("diff-view--hunk-current" if current else "diff-view--hunk")
            return Strip([Segment(f" {row.old_text}", style)]).crop_extend(0, width, style)

        gutter, left_width, right_width = self._columns(width)
        old_style, new_style = self._side_styles(row.kind)
        parts = [
            *self._side(row.old_no, row.old_text, row.old_spans, _OLD_SIGNS[row.kind], old_style, "diff-view--removed-word", gutter, left_width, scroll_x),
            Strip([Segment(SEPARATOR, self._style("diff-view--gutter"))], 1),
            *self._side(row.new_no, row.new_text, row.new_spans, _NEW_SIGNS[row.kind], new_style, "diff-view--added-word", gutter, right_width, scroll_x),
        ]
        return Strip.join(parts).crop_extend(0, width, self.rich_style)

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

    def _side(
        self,
        number: int | None,
        text: str,
        spans: tuple[tuple[int, int], ...],
        sign: str,
        style: Style,
        word_class: str,
        gutter: int,
        text_width: int,
        scroll_x: int,
    ) -> tuple[Strip, Strip]:
        if number is None:
            filler = self._style("diff-view--filler")
            return (
                Strip([Segment(" " * gutter, filler)], gutter),
                Strip([Segment(FILLER * text_width, filler)], text_width),
            )

        gutter_text = f"{number:>{gutter - 3}} {sign} "
        gutter_strip = Strip([Segment(gutter_text, self._style("diff-view--gutter"))], gutter)
        segments = _highlight(text, spans, style, style + self._style(word_class))
        text_strip = Strip(segments).crop_extend(scroll_x, scroll_x + text_width, style)
        return gutter_strip, text_strip


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
