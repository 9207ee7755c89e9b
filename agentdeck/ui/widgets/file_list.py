"""The list of changed files in a review."""

from __future__ import annotations

from collections.abc import Sequence

from textual.content import Content
from textual.widgets import OptionList
from textual.widgets.option_list import Option

from agentdeck.review import FileChange

# Letter and theme colour per status; the letter alone carries the meaning
# when colours are off.
_STATUS_MARKS = {
    "added": ("A", "$text-success"),
    "deleted": ("D", "$text-error"),
    "modified": ("M", "$text-warning"),
    "renamed": ("R", "$text-primary"),
    "copied": ("C", "$text-primary"),
}


def file_label(change: FileChange) -> Content:
    """Build the list entry of *change*: status letter, path and line counts."""
    letter, colour = _STATUS_MARKS.get(change.status, ("?", "$text-muted"))
    path = f"{change.old_path} \N{RIGHTWARDS ARROW} {change.path}" if change.old_path else change.path
    if change.binary:
        counts = "binary"
    else:
        counts = f"+{change.added} \N{MINUS SIGN}{change.removed}"

    parts: list[tuple[str, str] | str] = [
        (letter, f"{colour} bold"),
        " ",
        path,
        " ",
        (counts, "$text-muted"),
    ]
    if change.mode_changed:
        parts.extend([" ", (f"mode {change.old_mode:o}\N{RIGHTWARDS ARROW}{change.new_mode:o}", "$text-muted")])
    return Content.assemble(*parts)


class FileList(OptionList):
    """One option per changed file, in the order git lists them."""

    DEFAULT_CSS = """
    FileList {
        height: 1fr;
    }
    """

    def show_files(self, files: Sequence[FileChange]) -> None:
        """Replace the options with *files* and highlight the first."""
        self.clear_options()
        self.add_options(Option(file_label(change), id=f"file-{index}") for index, change in enumerate(files))
        self.highlighted = 0 if files else None
