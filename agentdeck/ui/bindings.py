"""Key bindings of the deck as data, so config can remap them by action id."""

from __future__ import annotations

from textual.binding import Binding

from agentdeck.errors import ConfigError

DECK_BINDINGS = [
    # A priority binding runs as the key arrives, so the dialog is open before the
    # keys typed right after it are handed out. The terminal pane still gets the
    # key while it has focus, because it claims every key (check_consume_key).
    Binding("n", "new_task", "New task", priority=True, id="new_task", tooltip="Create a task: branch, worktree and agent"),
    Binding("j,down", "cursor_down", "Next", show=False, id="next_task"),
    Binding("k,up", "cursor_up", "Previous", show=False, id="previous_task"),
    Binding("enter", "focus_terminal", "Terminal", id="focus_terminal", tooltip="Send every key to the agent; ctrl+] returns"),
    Binding("d", "review", "Review", id="review", tooltip="Review the selected task's changes"),
    Binding("m", "merge_queue", "Queue", id="merge_queue", tooltip="Open the merge queue"),
    Binding("x", "stop_task", "Stop", id="stop_task", tooltip="Stop the selected agent"),
    Binding("r", "restart_task", "Resume", id="restart_task", tooltip="Resume the selected task's agent, or start it again"),
    Binding("D", "delete_task", "Delete", id="delete_task", tooltip="Delete the task's worktree, and its branch if landed"),
    Binding("A", "toggle_auto_accept", "Auto-accept", show=False, id="toggle_auto_accept", tooltip="Answer the selected agent's permission prompts automatically"),
    Binding("question_mark", "help", "Help", id="help", key_display="?"),
    Binding("q", "quit_deck", "Quit", id="quit"),
]

# The terminal pane never passes this key on; it returns focus to the deck.
LEAVE_TERMINAL_KEY = "ctrl+right_square_bracket"


def validate_keymap(keys: dict[str, str], known_ids: set[str]) -> dict[str, str]:
    """Check a ``[keys]`` table from config; return it unchanged when every action id is known.

    Raises:
        ConfigError: an action id is unknown or a key is empty.
    """
    for action, key in keys.items():
        if action not in known_ids:
            raise ConfigError(f"[keys]: unknown action {action!r}; known actions are {', '.join(sorted(known_ids))}")
        if not key.strip():
            raise ConfigError(f"[keys]: {action} has an empty key; give a key such as \"d\" or \"ctrl+r\"")
    return keys
