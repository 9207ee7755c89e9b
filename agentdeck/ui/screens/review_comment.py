"""A modal screen for writing one review comment on a line or a range of lines."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Static, TextArea

from agentdeck.ui.widgets.key_footer import KeyFooter


class CommentScreen(ModalScreen[str | None]):
    """A modal screen for writing a review comment; dismissed with the text, or None when cancelled.

    | Key | Action |
    | :- | :- |
    | `ctrl+s` | Keep the comment. |
    | `escape` | Cancel. |
    """

    BINDINGS = [
        Binding("ctrl+s", "save", "Keep comment", id="comment.save", tooltip="Keep the comment until the round is sent with r"),
        Binding("escape", "cancel", "Cancel", id="comment.cancel", tooltip="Close without keeping the comment"),
    ]

    DEFAULT_CSS = """
    CommentScreen {
        align: center middle;
        #comment-box { width: 80%; max-width: 100; height: auto; max-height: 90%; border: round $accent; background: $surface; padding: 0 1; }
        #comment-location { text-style: bold; }
        #comment-quote { color: $text-muted; max-height: 8; }
        #comment-text { height: 8; }
        #comment-error { color: $text-error; height: auto; }
    }
    """

    def __init__(self, location: str, quoted: tuple[str, ...]) -> None:
        super().__init__()
        self._location = location
        self._quoted = quoted

    def compose(self) -> ComposeResult:
        with Vertical(id="comment-box"):
            yield Static(f"Comment on {self._location}", id="comment-location", markup=False)
            shown = self._quoted[:6]
            more = len(self._quoted) - len(shown)
            quote = "\n".join(f"> {line}" for line in shown) + (f"\n> \N{HORIZONTAL ELLIPSIS} {more} more lines" if more else "")
            yield Static(quote, id="comment-quote", markup=False)
            yield TextArea(id="comment-text", soft_wrap=True, show_line_numbers=False)
            yield Static("", id="comment-error", markup=False)
        yield KeyFooter(compact=True)

    def on_mount(self) -> None:
        self.query_one(TextArea).focus()

    def action_save(self) -> None:
        text = self.query_one(TextArea).text.strip()
        if not text:
            self.query_one("#comment-error", Static).update("The comment is empty; type what the agent should change, or press escape.")
            return
        self.dismiss(text)

    def action_cancel(self) -> None:
        self.dismiss(None)
