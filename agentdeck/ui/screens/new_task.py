"""The new task dialog: title, prompt, agent and base branch."""

from __future__ import annotations

from dataclasses import dataclass

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
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

    # Focused as the screen activates, before queued keys are handled, so fast typing lands in the title.
    AUTO_FOCUS = "#title"

    BINDINGS = [
        Binding("ctrl+s", "create", "Create", priority=True, id="create_task"),
        Binding("escape", "cancel", "Cancel", id="cancel_task"),
        Binding("tab", "move_field(1)", "Next field", show=False, priority=True, id="next_field"),
        Binding("shift+tab", "move_field(-1)", "Previous field", show=False, priority=True, id="previous_field"),
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

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label("New task", classes="field-label")
            yield Input(placeholder="Title, e.g. Add a --json flag to status", id="title")
            yield Label("Prompt (sent to the agent exactly as typed)", classes="field-label")
            placeholder = DEMO_PROMPT_HINT if self.default_agent == "demo" else "What should the agent do?"
            yield TextArea(id="prompt", tab_behavior="focus", soft_wrap=True, placeholder=placeholder)
            with Horizontal():
                with Vertical():
                    yield Label("Agent", classes="field-label")
                    yield Select([(name, name) for name in self.agents], value=self.default_agent, allow_blank=False, id="agent")
                with Vertical():
                    yield Label("Base branch", classes="field-label")
                    yield Select([(name, name) for name in self.branches], value=self.default_branch, allow_blank=False, id="base")
            yield Checkbox("Auto-accept the agent's permission prompts", value=False, id="auto-accept", compact=True)
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

    def action_move_field(self, step: int) -> None:
        """Move focus to the next or previous field, in a fixed order.

        A tab typed while the dialog is still opening arrives before any field
        has focus. It counts as typed in the title, because typing starts there.
        """
        fields = [self.query_one(selector) for selector in self.FIELD_ORDER]
        current = self.focused if self.focused in fields else fields[0]
        fields[(fields.index(current) + step) % len(fields)].focus()

    def action_cancel(self) -> None:
        self.dismiss(None)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        # Enter in the title moves on to the prompt rather than creating a task half-typed.
        event.stop()
        self.query_one("#prompt", TextArea).focus()
