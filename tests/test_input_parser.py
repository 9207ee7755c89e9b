"""Alt and Escape bursts read from the real terminal reach the agent as the bytes the terminal sent."""

from __future__ import annotations

import pytest
from textual import events

from agentdeck.keys import encode_key
from agentdeck.ui.input_parser import AltKeepingParser


def keys_of(data: str) -> list[tuple[str, str | None]]:
    parser = AltKeepingParser()
    parsed = list(parser.feed(data)) + list(parser.feed(""))
    return [(event.key, event.character) for event in parsed if isinstance(event, events.Key)]


@pytest.mark.parametrize(
    ("sent", "expected"),
    [
        ("\x1b.", [("alt+full_stop", ".")]),
        ("\x1b\r", [("alt+enter", "\r")]),
        ("\x1bx", [("alt+x", "x")]),
        ("\x1b:wq\r", [("alt+colon", ":"), ("w", "w"), ("q", "q"), ("enter", "\r")]),
        ("\x1b", [("escape", "\x1b")]),
        ("\x1b[A", [("up", None)]),
    ],
    ids=["alt-dot", "alt-enter", "alt-letter", "escape-then-command", "escape-alone", "arrow"],
)
def test_parser_keeps_alt(sent: str, expected: list[tuple[str, str | None]]) -> None:
    assert keys_of(sent) == expected


@pytest.mark.parametrize("sent", ["\x1b.", "\x1b\r", "\x1bx", "\x1b:wq\r", "a\x1b.b"])
def test_keys_encode_back_to_sent_bytes(sent: str) -> None:
    encoded = b"".join(encode_key(key, character) or b"" for key, character in keys_of(sent))
    assert encoded == sent.encode()


def test_app_installs_parser(deck) -> None:
    from textual.drivers import linux_driver

    from agentdeck.ui.app import AgentdeckApp

    AgentdeckApp(deck)
    assert linux_driver.XTermParser is AltKeepingParser
