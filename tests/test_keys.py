"""Key encoding: xterm's bytes without kitty flags, the kitty protocol with them."""

from __future__ import annotations

import pytest

from agentdeck.keys import KITTY_ALL_KEYS_AS_ESCAPES, KITTY_DISAMBIGUATE, encode_key, encode_paste


@pytest.mark.parametrize(
    ("key", "character", "expected"),
    [
        ("a", "a", b"a"),
        ("A", "A", b"A"),
        ("space", " ", b" "),
        ("ctrl+c", None, b"\x03"),
        ("ctrl+a", None, b"\x01"),
        ("ctrl+right_square_bracket", None, b"\x1d"),
        ("ctrl+left_square_bracket", None, b"\x1b"),
        ("ctrl+backslash", None, b"\x1c"),
        ("ctrl+underscore", None, b"\x1f"),
        ("ctrl+@", None, b"\x00"),
        ("ctrl+space", None, b"\x00"),
        ("enter", "\r", b"\r"),
        ("shift+enter", None, b"\r"),
        ("alt+enter", None, b"\x1b\r"),
        ("escape", "\x1b", b"\x1b"),
        ("tab", "\t", b"\t"),
        ("shift+tab", None, b"\x1b[Z"),
        ("backspace", "\x7f", b"\x7f"),
        ("ctrl+backspace", None, b"\x08"),
        ("alt+x", "x", b"\x1bx"),
        ("alt+shift+x", "X", b"\x1bX"),
        ("ctrl+alt+x", None, b"\x1b\x18"),
        ("up", None, b"\x1b[A"),
        ("down", None, b"\x1b[B"),
        ("right", None, b"\x1b[C"),
        ("left", None, b"\x1b[D"),
        ("home", None, b"\x1b[H"),
        ("end", None, b"\x1b[F"),
        ("ctrl+right", None, b"\x1b[1;5C"),
        ("shift+up", None, b"\x1b[1;2A"),
        ("alt+left", None, b"\x1b[1;3D"),
        ("insert", None, b"\x1b[2~"),
        ("delete", None, b"\x1b[3~"),
        ("pageup", None, b"\x1b[5~"),
        ("pagedown", None, b"\x1b[6~"),
        ("shift+delete", None, b"\x1b[3;2~"),
        ("f1", None, b"\x1bOP"),
        ("f4", None, b"\x1bOS"),
        ("f5", None, b"\x1b[15~"),
        ("f12", None, b"\x1b[24~"),
        ("ctrl+f5", None, b"\x1b[15;5~"),
        ("shift+f1", None, b"\x1b[1;2P"),
        ("full_stop", ".", b"."),
        ("ü", "ü", "ü".encode()),
    ],
)
def test_xterm_encoding(key: str, character: str | None, expected: bytes) -> None:
    assert encode_key(key, character) == expected


@pytest.mark.parametrize(
    ("key", "expected"),
    [
        ("up", b"\x1bOA"),
        ("left", b"\x1bOD"),
        ("home", b"\x1bOH"),
        ("end", b"\x1bOF"),
        ("ctrl+up", b"\x1b[1;5A"),
        ("pageup", b"\x1b[5~"),
    ],
)
def test_application_cursor_mode(key: str, expected: bytes) -> None:
    assert encode_key(key, None, application_cursor=True) == expected


@pytest.mark.parametrize(
    ("key", "character", "expected"),
    [
        ("escape", "\x1b", b"\x1b[27u"),
        ("shift+enter", None, b"\x1b[13;2u"),
        ("ctrl+enter", None, b"\x1b[13;5u"),
        ("enter", "\r", b"\r"),
        ("tab", "\t", b"\t"),
        ("shift+tab", None, b"\x1b[9;2u"),
        ("backspace", "\x7f", b"\x7f"),
        ("ctrl+c", None, b"\x1b[99;5u"),
        ("ctrl+shift+a", None, b"\x1b[97;6u"),
        ("alt+x", "x", b"\x1b[120;3u"),
        ("a", "a", b"a"),
        ("A", "A", b"A"),
        ("up", None, b"\x1b[A"),
        ("ctrl+up", None, b"\x1b[1;5A"),
        ("f5", None, b"\x1b[15~"),
        ("ctrl+right_square_bracket", None, b"\x1b[93;5u"),
    ],
)
def test_kitty_disambiguate(key: str, character: str | None, expected: bytes) -> None:
    assert encode_key(key, character, kitty_flags=KITTY_DISAMBIGUATE) == expected


def test_kitty_ignores_application_cursor() -> None:
    assert encode_key("up", None, application_cursor=True, kitty_flags=KITTY_DISAMBIGUATE) == b"\x1b[A"


@pytest.mark.parametrize(
    ("key", "character", "expected"),
    [
        ("a", "a", b"\x1b[97u"),
        ("A", "A", b"\x1b[97;2u"),
        ("enter", "\r", b"\x1b[13u"),
        ("tab", "\t", b"\x1b[9u"),
        ("backspace", "\x7f", b"\x1b[127u"),
    ],
)
def test_kitty_all_keys_as_escapes(key: str, character: str | None, expected: bytes) -> None:
    flags = KITTY_DISAMBIGUATE | KITTY_ALL_KEYS_AS_ESCAPES
    assert encode_key(key, character, kitty_flags=flags) == expected


def test_paste_bracketed() -> None:
    assert encode_paste("one\ntwo", bracketed=True) == b"\x1b[200~one\rtwo\x1b[201~"


def test_paste_cannot_end_bracket_early() -> None:
    assert encode_paste("a\x1b[201~b", bracketed=True) == b"\x1b[200~ab\x1b[201~"


def test_paste_raw() -> None:
    assert encode_paste("one\r\ntwo", bracketed=False) == b"one\rtwo"
