"""Keep the Alt modifier on keys that Textual's input parser would report without it.

Terminals send Alt with a key as ESC followed by the key's bytes, in one
write. Textual 8.2's parser reports ``alt+x`` for a letter, but for any other
character (``.``, ``:``, Enter, Tab, Backspace) it drops the ESC and reports
the plain key. Escape followed at once by another key (as ``tmux send-keys``
or a paste sends them) arrives the same way. An agent then gets ``.`` for
Alt+. and, in vim, a ``:wq`` typed in insert mode instead of a command.

This parser reports those keys as ``alt+<name>`` instead (``alt+full_stop``,
``alt+enter``), which ``agentdeck.keys.encode_key`` turns back into the ESC
and the key's bytes, exactly what the terminal sent.
"""

from __future__ import annotations

from collections.abc import Iterable

from textual import events
from textual._xterm_parser import XTermParser


class AltKeepingParser(XTermParser):
    """Textual's xterm input parser, with Alt kept on every key that came after an ESC.

    NOTE: this overrides a private method of Textual 8.2's parser (the version
    pinned in .ci/constraints.txt); a Textual upgrade must rerun
    tests/test_input_parser.py.
    """

    def _sequence_to_key_events(self, sequence: str, alt: bool = False) -> Iterable[events.Key]:
        for event in super()._sequence_to_key_events(sequence, alt):
            if alt and not event.key.startswith("alt+") and event.key != "escape":
                yield events.Key(f"alt+{event.key}", event.character)
            else:
                yield event


def install() -> None:
    """Make Textual's POSIX driver read its input with :class:`AltKeepingParser`."""
    # The driver looks the parser class up in its own module when it starts reading.
    from textual.drivers import linux_driver

    linux_driver.XTermParser = AltKeepingParser
