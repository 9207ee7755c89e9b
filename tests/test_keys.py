"""Key encoding: xterm's bytes without kitty flags, the kitty protocol with them; mouse reports."""

from __future__ import annotations

from itertools import combinations

import pytest
from textual import events

# Textual's own input tables and parser serve as the reference decoder.
from textual._ansi_sequences import ANSI_SEQUENCES_KEYS, IGNORE_SEQUENCE
from textual._xterm_parser import XTermParser

from agentdeck.keys import (
    KITTY_ALL_KEYS_AS_ESCAPES,
    KITTY_ALTERNATE_KEYS,
    KITTY_DISAMBIGUATE,
    KITTY_REPORT_EVENTS,
    MOUSE_ALT,
    MOUSE_CTRL,
    MOUSE_MOTION,
    MOUSE_SHIFT,
    MOUSE_WHEEL_UP,
    encode_key,
    encode_mouse,
    encode_paste,
)


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


# Every key Textual can report, checked by decoding the bytes with Textual's
# own xterm input parser: a key must come back as the key that was pressed.



def textual_key_names() -> list[str]:
    """Return every key name Textual's xterm input tables can produce."""
    names = set()
    for value in ANSI_SEQUENCES_KEYS.values():
        if value is IGNORE_SEQUENCE or not isinstance(value, tuple):
            continue
        if any(str(getattr(key, "value", key)).startswith("<") for key in value):
            # "<scroll-up>" and "<scroll-down>" are wheel events, not keys.
            continue
        names.add("+".join(getattr(key, "value", key) for key in value))
    return sorted(names)


def decode(data: bytes) -> list[events.Key]:
    parser = XTermParser()
    return [event for event in parser.feed(data.decode("utf-8")) if isinstance(event, events.Key)]


def normalise(key: str) -> tuple[frozenset[str], str]:
    """Return a key's modifiers and base name, with Textual's ESC prefix read as Alt."""
    *modifiers, name = key.split("+")
    return frozenset("alt" if modifier == "escape" else modifier for modifier in modifiers), name


# Keys for which xterm sends bytes that Textual reads as another key.
LEGACY_ALIASES = {
    # Ctrl with a digit: xterm sends the control character of the matching
    # punctuation key, or the digit itself where there is none.
    "ctrl+0": "0",
    "ctrl+1": "1",
    "ctrl+2": "ctrl+@",
    "ctrl+4": "ctrl+backslash",
    "ctrl+5": "ctrl+right_square_bracket",
    "ctrl+6": "ctrl+circumflex_accent",
    "ctrl+7": "ctrl+underscore",
    "ctrl+8": "backspace",
    "ctrl+9": "9",
}


SHIFTED_FUNCTION_KEYS = {f"f{number}": f"f{number - 12}" for number in range(13, 25)}


def expected_legacy_key(name: str) -> str | None:
    """Return the key Textual should read back, or None when the bytes are ambiguous to it."""
    modifiers, base = normalise(name)
    if base in SHIFTED_FUNCTION_KEYS:
        # xterm sends F13 to F24 as Shift with F1 to F12.
        base = SHIFTED_FUNCTION_KEYS[base]
        modifiers = modifiers | {"shift"}
        name = "+".join(sorted(modifiers) + [base])
    plain = "+".join(sorted(modifiers - {"alt", "shift"}) + [base])
    if base in ("escape", "3") and ("ctrl" in modifiers or base == "escape"):
        # A lone ESC is only read as Escape after Textual's timeout.
        return None
    if base == "f3" and modifiers:
        # CSI 1 ; m R is also a cursor position report, which Textual reads as one.
        return None
    if "alt" in modifiers and plain in LEGACY_ALIASES:
        return None
    alias = LEGACY_ALIASES.get(plain)
    if alias is not None:
        return alias
    return name


@pytest.mark.parametrize("name", textual_key_names())
def test_textual_key_decodes_back(name: str) -> None:
    data = encode_key(name, name if len(name) == 1 else None)
    assert data, f"{name} has no encoding"
    expected = expected_legacy_key(name)
    if expected is None:
        return
    decoded = decode(data)
    assert len(decoded) == 1, f"{name} -> {data!r} -> {[event.key for event in decoded]}"
    if len(name) == 1:
        assert decoded[0].character == name
    else:
        assert normalise(decoded[0].key) == normalise(expected), f"{name} -> {data!r}"


BASE_KEYS = [
    *"az09",
    "comma",
    "full_stop",
    "slash",
    "left_square_bracket",
    "enter",
    "tab",
    "backspace",
    "escape",
    "space",
    "insert",
    "delete",
    "home",
    "end",
    "pageup",
    "pagedown",
    "up",
    "down",
    "left",
    "right",
    *(f"f{number}" for number in range(1, 25)),
]
MODIFIER_SETS = [
    combination for size in range(0, 5) for combination in combinations(("shift", "alt", "ctrl", "super"), size)
]


@pytest.mark.parametrize("modifiers", MODIFIER_SETS, ids=lambda modifiers: "+".join(modifiers) or "none")
def test_kitty_all_keys_decode_back(modifiers: tuple[str, ...]) -> None:
    flags = KITTY_DISAMBIGUATE | KITTY_ALL_KEYS_AS_ESCAPES
    for base in BASE_KEYS:
        name = "+".join([*modifiers, base])
        data = encode_key(name, None, kitty_flags=flags)
        decoded = decode(data)
        assert len(decoded) == 1, f"{name} -> {data!r} -> {[event.key for event in decoded]}"
        assert normalise(decoded[0].key) == normalise(name), f"{name} -> {data!r} -> {decoded[0].key}"


@pytest.mark.parametrize(
    ("key", "character", "flags", "expected"),
    [
        ("shift+a", "A", KITTY_ALTERNATE_KEYS | KITTY_ALL_KEYS_AS_ESCAPES, b"\x1b[97:65;2u"),
        ("A", "A", KITTY_ALTERNATE_KEYS | KITTY_ALL_KEYS_AS_ESCAPES, b"\x1b[97:65;2u"),
        ("exclamation_mark", "!", KITTY_ALTERNATE_KEYS | KITTY_ALL_KEYS_AS_ESCAPES, b"\x1b[33u"),
        ("shift+1", "!", KITTY_ALTERNATE_KEYS | KITTY_ALL_KEYS_AS_ESCAPES, b"\x1b[49:33;2u"),
        ("ctrl+shift+a", None, KITTY_ALTERNATE_KEYS | KITTY_DISAMBIGUATE, b"\x1b[97:65;6u"),
        ("ctrl+a", None, KITTY_ALTERNATE_KEYS | KITTY_DISAMBIGUATE, b"\x1b[97;5u"),
        ("shift+a", "A", KITTY_ALTERNATE_KEYS | KITTY_DISAMBIGUATE, b"A"),
    ],
)
def test_kitty_alternate_keys(key: str, character: str | None, flags: int, expected: bytes) -> None:
    assert encode_key(key, character, kitty_flags=flags) == expected


def test_kitty_report_events_sends_plain_presses() -> None:
    flags = KITTY_DISAMBIGUATE | KITTY_REPORT_EVENTS
    assert encode_key("ctrl+a", None, kitty_flags=flags) == b"\x1b[97;5u"
    assert encode_key("a", "a", kitty_flags=flags) == b"a"


@pytest.mark.parametrize(
    ("key", "expected"),
    [
        ("f13", b"\x1b[1;2P"),
        ("f15", b"\x1b[1;2R"),
        ("f17", b"\x1b[15;2~"),
        ("f24", b"\x1b[24;2~"),
        ("ctrl+f13", b"\x1b[1;6P"),
        ("escape+up", b"\x1b[1;3A"),
        ("escape+a", b"\x1ba"),
        ("shift+escape", b"\x1b"),
        ("check_mark", "✓".encode()),
    ],
)
def test_xterm_extra_keys(key: str, expected: bytes) -> None:
    assert encode_key(key, None) == expected


@pytest.mark.parametrize(("key", "expected"), [("f3", b"\x1b[13~"), ("ctrl+f3", b"\x1b[13;5~"), ("f21", b"\x1b[57384u")])
def test_kitty_function_keys(key: str, expected: bytes) -> None:
    assert encode_key(key, None, kitty_flags=KITTY_DISAMBIGUATE | KITTY_ALL_KEYS_AS_ESCAPES) == expected


@pytest.mark.parametrize(
    ("encoding", "code", "column", "row", "release", "expected"),
    [
        ("x10", 0, 1, 1, False, b"\x1b[M !!"),
        ("x10", 2, 95, 3, False, b"\x1b[M\"\x7f#"),
        ("x10", 0, 96, 3, False, b"\x1b[M \x80#"),
        ("x10", 0, 223, 223, False, b"\x1b[M \xff\xff"),
        ("x10", 0, 224, 3, False, b""),
        ("x10", 1, 10, 5, True, b"\x1b[M#*%"),
        ("utf8", 0, 95, 3, False, b"\x1b[M \x7f#"),
        ("utf8", 0, 96, 3, False, b"\x1b[M \xc2\x80#"),
        ("utf8", 0, 224, 300, False, b"\x1b[M \xc4\x80\xc5\x8c"),
        ("utf8", 0, 2015, 1, False, b"\x1b[M \xdf\xbf!"),
        ("utf8", 0, 2016, 1, False, b""),
        ("utf8", MOUSE_WHEEL_UP | MOUSE_CTRL, 1, 1, False, b"\x1b[Mp!!"),
        ("utf8", 2, 10, 5, True, b"\x1b[M#*%"),
        ("urxvt", 0, 96, 3, False, b"\x1b[32;96;3M"),
        ("urxvt", 0, 300, 250, False, b"\x1b[32;300;250M"),
        ("urxvt", 1 | MOUSE_SHIFT, 5, 6, True, b"\x1b[39;5;6M"),
        ("urxvt", 0 | MOUSE_MOTION, 5, 6, False, b"\x1b[64;5;6M"),
        ("sgr", 0, 300, 250, False, b"\x1b[<0;300;250M"),
        ("sgr", 2 | MOUSE_ALT, 300, 250, True, b"\x1b[<10;300;250m"),
    ],
)
def test_mouse_report_encodings(encoding: str, code: int, column: int, row: int, release: bool, expected: bytes) -> None:
    assert encode_mouse(code, column, row, encoding=encoding, release=release) == expected


def test_mouse_utf8_decodes_past_x10_limit() -> None:
    report = encode_mouse(MOUSE_MOTION, 1000, 400, encoding="utf8")
    text = report.decode("utf-8")
    assert text.startswith("\x1b[M")
    assert [ord(character) - 32 for character in text[3:]] == [MOUSE_MOTION, 1000, 400]


def test_mouse_unknown_encoding_rejected() -> None:
    with pytest.raises(ValueError, match="'dec'"):
        encode_mouse(0, 1, 1, encoding="dec")
