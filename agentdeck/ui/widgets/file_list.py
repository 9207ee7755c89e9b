"""The list of changed files in a review."""

from __future__ import annotations

from collections.abc import Sequence

from textual.content import Content
from textual.widgets import OptionList
from textual.widgets.option_list import Option

from agentdeck.review import FileChange, entry_kind

# Letter and theme colour per status; the letter alone carries the meaning
# when colours are off. The letters are git's.
_STATUS_MARKS = {
    "added": ("A", "$text-success"),
    "deleted": ("D", "$text-error"),
    "modified": ("M", "$text-warning"),
    "renamed": ("R", "$text-primary"),
    "copied": ("C", "$text-primary"),
    "typechange": ("T", "$text-warning"),
}


def format_size(size: int) -> str:
    """Write a byte count the way file managers do: ``512 B``, ``3.4 KiB``, ``1.2 MiB``."""
    if size < 1024:
        return f"{size} B"
    value = float(size)
    for unit in ("KiB", "MiB", "GiB"):
        value /= 1024
        if value < 1024 or unit == "GiB":
            return f"{value:.1f} {unit}"
    return f"{size} B"


def change_details(change: FileChange) -> list[str]:
    """Describe what a change is besides its lines: similarity, kind, mode and binary size."""
    details: list[str] = []
    if change.similarity is not None:
        details.append(f"{change.similarity}%")
    if change.kind != "file" or change.status == "typechange":
        if change.status == "typechange":
            details.append(f"{entry_kind(change.old_mode)}\N{RIGHTWARDS ARROW}{entry_kind(change.new_mode)}")
        else:
            details.append(change.kind)
    if change.mode_changed and change.status != "typechange":
        details.append(f"mode {change.old_mode:o}\N{RIGHTWARDS ARROW}{change.new_mode:o}")
    if change.binary:
        if change.status == "added":
            details.append(f"binary {format_size(change.new_size)}")
        elif change.status == "deleted":
            details.append(f"binary {format_size(change.old_size)}")
        else:
            old_size, new_size = format_size(change.old_size), format_size(change.new_size)
            if old_size == new_size and change.old_size != change.new_size:
                # Rounded alike ("2.0 KiB→2.0 KiB"), the sizes would hide that the file grew or shrank.
                old_size, new_size = f"{change.old_size:,} B", f"{change.new_size:,} B"
            details.append(f"binary {old_size}\N{RIGHTWARDS ARROW}{new_size}")
    return details


def file_label(change: FileChange) -> Content:
    """Build the list entry of *change*: status letter, path, line counts and details."""
    letter, colour = _STATUS_MARKS.get(change.status, ("?", "$text-muted"))
    parts: list[tuple[str, str] | str] = [(letter, f"{colour} bold"), " ", change.display_path]
    if not change.binary:
        parts.extend([" ", (f"+{change.added} \N{MINUS SIGN}{change.removed}", "$text-muted")])
    for detail in change_details(change):
        parts.extend([" ", (detail, "$text-muted")])
    return Content.assemble(*parts)


class FileList(OptionList):
    """One option per changed file, in the order git lists them."""

    DEFAULT_CSS = """
    FileList {
        height: 1fr;
    }
    """

    def show_files(self, files: Sequence[FileChange], highlighted: int = 0) -> None:
        """Replace the options with *files* and highlight the one at *highlighted*."""
        self.clear_options()
        self.add_options(Option(file_label(change), id=f"file-{index}") for index, change in enumerate(files))
        self.highlighted = min(highlighted, len(files) - 1) if files else None
