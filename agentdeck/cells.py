"""The width of text in terminal cells, without a UI library."""

from __future__ import annotations

import unicodedata


def text_width(text: str) -> int:
    """Return how many terminal cells *text* takes; control characters count one cell each, the width of their pictures."""
    if text.isascii():
        return len(text)
    return sum(_cell_width(char) for char in text)


def _cell_width(char: str) -> int:
    # NOTE: an approximation of terminal cell width that needs no UI library:
    # combining marks take none, East Asian wide and full-width characters two.
    if unicodedata.combining(char) or unicodedata.category(char) in ("Mn", "Me", "Cf"):
        return 0
    if unicodedata.east_asian_width(char) in ("W", "F"):
        return 2
    return 1


def pad(text: str, width: int) -> str:
    """Return *text* followed by spaces up to *width* cells."""
    return text + " " * max(0, width - text_width(text))
