"""The new task dialog: title, prompt, agent and base branch."""

from __future__ import annotations

import time
from dataclasses import dataclass

from textual import events
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widget import Widget
from textual.widgets import Checkbox, Input, Label, Select, TextArea

DEMO_PROMPT_HINT = (
    "The demo agent understands lines such as:\n"
    "  append \"print('hi')\" to greet.py\n"
    "  create docs/usage.md with \"# Usage\"\n"
    "  replace Hello with Hi in greet.py"
)


@dataclass(frozen=True)
class NewTaskRequest:
    """The fields the user filled in the new task dialog."""

    title: str
    prompt: str
    agent: str
    base_branch: str
    auto_accept: bool = False


class NewTaskScreen(ModalScreen[NewTaskRequest | None]):
    """A modal dialog that collects a new task; dismisses with the request or None."""

    AUTO_FOCUS = "#title"

    # None of these is a priority binding: Textual runs those as a key arrives,
    # ahead of the characters typed before it that are still queued.
    BINDINGS = [
        Binding("ctrl+s", "create", "Create", id="create_task"),
        Binding("escape", "cancel", "Cancel", id="cancel_task"),
    ]

    FIELD_ORDER = ("#title", "#prompt", "#agent", "#base", "#auto-accept")

    DEFAULT_CSS = """
    NewTaskScreen { align: center middle; }
    NewTaskScreen > Vertical {
        width: 90; max-width: 100%; height: auto; max-height: 100%;
        border: thick $primary; background: $surface; padding: 0 1;
    }
    NewTaskScreen .field-label { color: $text-muted; }
    NewTaskScreen TextArea { height: 6; }
    NewTaskScreen Horizontal { height: auto; }
    NewTaskScreen Horizontal > Vertical { width: 1fr; height: auto; }
    NewTaskScreen #error { color: $error; height: auto; }
    NewTaskScreen #keys { color: $text-muted; }
    """

    def __init__(self, agents: list[str], default_agent: str, branches: list[str], default_branch: str) -> None:
        super().__init__()
        self.agents = agents
        self.default_agent = default_agent if default_agent in agents else agents[0]
        self.branches = branches or [default_branch]
        self.default_branch = default_branch if default_branch in self.branches else self.branches[0]
        self._focus_moves: list[tuple[float, Widget]] = []

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label("New task", classes="field-label")
            yield _TitleInput(placeholder="Title, e.g. Add a --json flag to status", id="title")
            yield Label("Prompt (sent to the agent exactly as typed)", classes="field-label")
            placeholder = DEMO_PROMPT_HINT if self.default_agent == "demo" else "What should the agent do?"
            yield _PromptArea(id="prompt", tab_behavior="focus", soft_wrap=True, placeholder=placeholder)
            with Horizontal():
                with Vertical():
                    yield Label("Agent", classes="field-label")
                    yield Select([(name, name) for name in self.agents], value=self.default_agent, allow_blank=False, id="agent")
                with Vertical():
                    yield Label("Base branch", classes="field-label")
                    yield Select([(name, name) for name in self.branches], value=self.default_branch, allow_blank=False, id="base")
            yield _MarkedCheckbox("Auto-accept the agent's permission prompts", value=False, id="auto-accept", compact=True)
            yield Label("", id="error")
            yield Label("ctrl+s create · tab next field · escape cancel", id="keys")

    def on_select_changed(self, event: Select.Changed) -> None:
        if event.select.id == "agent":
            prompt = self.query_one("#prompt", TextArea)
            prompt.placeholder = DEMO_PROMPT_HINT if event.value == "demo" else "What should the agent do?"

    def action_create(self) -> None:
        title = self.query_one("#title", Input).value
        prompt = self.query_one("#prompt", TextArea).text
        if not title.strip() and not prompt.strip():
            self.query_one("#error", Label).update("Type a title or a prompt first.")
            self.query_one("#title", Input).focus()
            return
        agent = self.query_one("#agent", Select).value
        base = self.query_one("#base", Select).value
        auto_accept = self.query_one("#auto-accept", Checkbox).value
        self.dismiss(NewTaskRequest(title=title, prompt=prompt, agent=str(agent), base_branch=str(base), auto_accept=auto_accept))

    def action_move_field(self, step: int, since: float | None = None) -> None:
        """Move focus to the next or previous field, in a fixed order.

        ``since`` is the time of the tab that asked for the move: keys typed
        after it belong to the new field even if they were queued for the old one.
        """
        fields = [self.query_one(selector) for selector in self.FIELD_ORDER]
        current = self.focused if self.focused in fields else fields[0]
        target = fields[(fields.index(current) + step) % len(fields)]
        self.set_focus(target)
        self._focus_moves.append((time.monotonic() if since is None else since, target))

    def take_key(self, receiver: Widget, event: events.Key) -> bool:
        """Route one key typed into the dialog; return True when it was handled here.

        Textual hands each key to whatever has focus when the key arrives.
        Keys sent in one burst, as a paste or ``tmux send-keys`` does, all
        arrive before the focus moves. So the characters after the key that
        opened the dialog reach the screen itself, and those after a tab reach
        the field the tab left. Such a key goes instead to the field that had
        focus when it was typed, judged by its timestamp against the tabs
        before it.
        """
        if event.key in ("tab", "shift+tab"):
            self.action_move_field(-1 if event.key == "shift+tab" else 1, since=event.time)
            return True
        title = self.query_one("#title", Input)
        prompt = self.query_one("#prompt", TextArea)
        typed = event.key in ("enter", "backspace") or (event.is_printable and bool(event.character))
        if not typed:
            # Keys such as ctrl+s and escape go on to the bindings, in order.
            return False
        if receiver is self and self.focused not in (None, title, prompt):
            return False
        intended: Widget = title
        if receiver is self.focused:
            intended = receiver
        else:
            latest = float("-inf")
            for moved_at, field in self._focus_moves:
                if latest <= moved_at < event.time:
                    intended, latest = field, moved_at
        if intended is title and event.key == "enter":
            # Enter in the title moves on to the prompt rather than creating a
            # task half-typed. It moves at once, like a tab, for the keys queued behind it.
            self.set_focus(prompt)
            self._focus_moves.append((event.time, prompt))
            return True
        if intended is receiver and event.key != "backspace":
            return False
        if intended not in (title, prompt):
            # Keys queued for a list or a checkbox are dropped, not replayed:
            # a wrong agent or branch is worse than a lost key.
            return receiver is not self
        if self.focused is not intended:
            self.set_focus(intended)
        if event.key == "backspace":
            # Deleted here, not by the field's binding: the binding would run
            # after the keys queued behind it, against whatever has focus then.
            intended.action_delete_left()
        elif intended is title:
            title.insert_text_at_cursor(event.character or "")
        else:
            prompt.insert("\n" if event.key == "enter" else event.character or "")
        return True

    def on_key(self, event: events.Key) -> None:
        if self.take_key(self, event):
            event.stop()
            event.prevent_default()

    def action_cancel(self) -> None:
        self.dismiss(None)


def _route_key(field: Widget, event: events.Key) -> None:
    # Textual calls each class's key handler along the MRO, so preventing the
    # default stops the field's own handler when the dialog took the key.
    screen = field.screen
    if isinstance(screen, NewTaskScreen) and screen.take_key(field, event):
        event.stop()
        event.prevent_default()


class _MarkedCheckbox(Checkbox):
    """A checkbox whose box is empty when off and shows an X when on.

    Textual's checkbox draws the X in both states and distinguishes them by
    colour alone, which a colour-blind user or a monochrome terminal cannot see.
    """

    @property
    def BUTTON_INNER(self) -> str:  # noqa: N802 - replaces the class attribute Textual reads
        return "X" if self.value else " "


class _TitleInput(Input):
    def _on_key(self, event: events.Key) -> None:
        _route_key(self, event)


class _PromptArea(TextArea):
    def _on_key(self, event: events.Key) -> None:
        _route_key(self, event)
