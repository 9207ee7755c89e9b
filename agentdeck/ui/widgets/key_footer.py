"""A footer that rebuilds its keys only when they change, and lets go of the keys it replaced."""

from __future__ import annotations

from textual.screen import Screen
from textual.widgets import Footer


class KeyFooter(Footer):
    """Textual's footer, with two fixes for long sessions.

    - Focus moves and binding refreshes announce a change even when the keys
      stay the same, and each rebuild costs the UI thread a few milliseconds.
      Only a real change rebuilds them.
    - Each key binds the footer's ``compact`` value, which registers a watcher
      on the footer. Textual 8.2 drops the watchers of removed keys only when
      that value changes, so every rebuild kept the old keys alive, with
      their cached strips (about 23 keys per rebuild on the deck). They are
      dropped after each rebuild.
    """

    _shown_keys: tuple[tuple[object, ...], ...] = ()

    def on_mount(self) -> None:
        # Mounted after its screen announced the bindings, it shows them now.
        self.bindings_changed(self.screen)

    def bindings_changed(self, screen: Screen) -> None:
        keys = footer_keys(screen)
        if self._bindings_ready and keys == self._shown_keys:
            return
        if screen.app.app_focus and self.is_attached and screen is self.screen:
            # The rebuild is scheduled now (below); later calls before it runs have nothing new.
            self._shown_keys = keys
        super().bindings_changed(screen)

    async def recompose(self) -> None:
        if self._bindings_ready:
            self._shown_keys = footer_keys(self.screen)
        await super().recompose()
        # Textual keeps reactive watchers in this attribute of the watched object.
        watchers: dict[str, list[tuple[object, object]]] = getattr(self, "__watchers", {})
        for entries in watchers.values():
            entries[:] = [(node, callback) for node, callback in entries if getattr(node, "is_attached", True)]


def footer_keys(screen: Screen) -> tuple[tuple[object, ...], ...]:
    """Return what a footer shows for *screen*: each shown binding's key, action, description, state and tooltip."""
    return tuple(
        (binding.key, binding.action, binding.description, enabled, tooltip)
        for _, binding, enabled, tooltip in screen.active_bindings.values()
        if binding.show
    )
