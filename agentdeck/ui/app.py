"""The Textual application: wires the deck to its screens, themes and key map."""

from __future__ import annotations

import logging
from collections.abc import Iterable

from textual.app import App, SystemCommand
from textual.binding import Binding
from textual.screen import Screen

from agentdeck.deck import Deck
from agentdeck.ui import input_parser
from agentdeck.ui.bindings import DECK_BINDINGS, validate_keymap
from agentdeck.ui.screens.deck import DeckScreen
from agentdeck.ui.screens.merge_queue import MERGE_QUEUE_BINDINGS
from agentdeck.ui.screens.review import ReviewScreen
from agentdeck.ui.themes import discover_themes

log = logging.getLogger(__name__)


class AgentdeckApp(App[None], inherit_bindings=False):
    """agentdeck's full-screen UI for one repository.

    Textual's own ctrl+q and ctrl+p bindings take priority over the focused
    widget, so they would never reach an agent's terminal. They are replaced:
    quitting goes through the deck's ``q``, which requests confirmation while agents run,
    and the command palette keeps ctrl+p without priority.
    """

    TITLE = "agentdeck"
    BINDINGS = [Binding("ctrl+p", "command_palette", "Commands", show=False, id="command_palette")]

    def __init__(self, deck: Deck) -> None:
        """Create the app for *deck*.

        Raises:
            ConfigError: the ``[keys]`` table names an unknown action.
        """
        super().__init__()
        input_parser.install()
        self.deck = deck
        every_binding = [*DECK_BINDINGS, *ReviewScreen.BINDINGS, *MERGE_QUEUE_BINDINGS]
        known = {binding.id for binding in every_binding if binding.id}
        self.keymap_overrides = validate_keymap(deck.config.keys, known)

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        """Offer the deck's actions in the command palette; quitting goes through the deck's confirmation."""
        if isinstance(screen, DeckScreen):
            yield SystemCommand("New task", "Create a task: branch, worktree and agent (n)", screen.action_new_task)
            yield SystemCommand("Review", "Review the selected task's changes (d)", screen.action_review)
            yield SystemCommand("Merge queue", "Open the merge queue (m)", screen.action_merge_queue)
            yield SystemCommand("Stop agent", "Stop the selected task's agent (x)", screen.action_stop_task)
            yield SystemCommand("Resume agent", "Resume the selected task's agent (r)", screen.action_restart_task)
            yield SystemCommand("Auto-accept", "Turn auto-accept on or off for the selected task (A)", screen.action_toggle_auto_accept)
            yield SystemCommand("Delete task", "Delete the selected task (D)", screen.action_delete_task)
            yield SystemCommand("Help", "Show every key (?)", screen.action_help)
            yield SystemCommand("Quit", "Quit agentdeck, stopping its agents (q)", screen.action_quit_deck)
        for command in super().get_system_commands(screen):
            if command.title != "Quit":
                yield command

    def on_mount(self) -> None:
        for theme in discover_themes():
            self.register_theme(theme)
        theme_name = self.deck.config.theme
        if theme_name in self.available_themes:
            self.theme = theme_name
        else:
            log.error("theme %r not found", theme_name)
            self.notify(f"theme {theme_name!r} not found; using the default. Themes: {', '.join(sorted(self.available_themes))}", severity="warning")
        self.set_keymap(self.keymap_overrides)
        self.push_screen(DeckScreen(self.deck))
