"""The help screen: every key of the deck, the review screen and the merge queue."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Markdown

HELP_TEXT = """\
# agentdeck keys

## Deck
| key | action |
| --- | --- |
| `n` | new task: a branch, a linked worktree and an agent session |
| `j` / `k`, `down` / `up` | select the next / previous task |
| `enter` | focus the task's terminal: every key goes to the agent |
| `ctrl+]` | leave the terminal, back to the deck |
| `d` | review the selected task's changes |
| `m` | merge queue |
| `x` | stop the selected agent (asks first) |
| `r` | resume the selected task's agent (its conversation, where the agent supports it) |
| `A` | turn auto-accept of the selected agent's permission prompts on or off |
| `D` | delete the task: worktree, and branch if landed (asks first) |
| `?` | this help |
| `q` | quit (asks first while agents run) |
| `ctrl+p` | command palette |

## New task dialog
`tab` / `shift+tab` move between fields, `ctrl+s` creates the task, `escape` cancels.

## Review
`j` / `k` next / previous file, `[` / `]` previous / next hunk (on into the previous or next file at either end), `c` comment on the cursor line (`shift+up` / `shift+down` select lines first), `r` send the pending comments to the agent as one prompt, `a` approve (commit pending changes and queue the task), `u` unified or side by side, `w` wrap, `e` show or fold unchanged lines, `W` hide whitespace-only changes, `?` this help, `escape` back.

## Merge queue
`l` land the queue in order, `x` remove the selected entry, `r` queue a parked entry again, `s` change its strategy, `a` send a conflict to its agent, `K` / `J` move the entry up / down, `escape` back.

## Statuses
`◌ starting` · `● working` · `? waiting` (the agent needs you) · `○ idle` · `✓ exited` · `✗ failed` · `■ stopped`
"""


class HelpScreen(ModalScreen[None]):
    """A modal list of every key binding."""

    BINDINGS = [Binding("escape,q,question_mark", "dismiss_help", "Close", id="close_help")]

    DEFAULT_CSS = """
    HelpScreen { align: center middle; }
    HelpScreen > VerticalScroll {
        width: 90; max-width: 100%; height: 90%;
        border: thick $primary; background: $surface;
    }
    """

    def compose(self) -> ComposeResult:
        with VerticalScroll():
            yield Markdown(HELP_TEXT)

    def action_dismiss_help(self) -> None:
        self.dismiss(None)
