"""Encode key presses, pastes and mouse events into the bytes a terminal program reads.

Keys arrive as Textual names them ("a", "ctrl+c", "shift+tab", "f5",
"alt+x", "ctrl+right_square_bracket") together with the event's character.
Without kitty keyboard flags the bytes are what xterm sends, with DECCKM
(application cursor mode) choosing SS3 or CSI for the cursor keys. When the
program pushed kitty keyboard flags, keys are encoded as the kitty keyboard
protocol describes for flags 1 (disambiguate escape codes), 4 (report
alternate keys), 8 (report all keys as escape codes) and 16 (report
associated text). Flag 2 (report event types) needs key release events,
which Textual does not deliver, so only presses are sent: a press is the
default event type and carries no event field.

Mouse reports follow xterm: the X10 form by default, and the UTF-8 (1005),
SGR (1006) and urxvt (1015) forms when the program enabled them.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

ESC = "\x1b"
CSI = ESC + "["
SS3 = ESC + "O"

KITTY_DISAMBIGUATE = 0b1
KITTY_REPORT_EVENTS = 0b10
KITTY_ALTERNATE_KEYS = 0b100
KITTY_ALL_KEYS_AS_ESCAPES = 0b1000
KITTY_ASSOCIATED_TEXT = 0b10000

# Bits of the modifier parameter (sent as 1 + bits), shared by xterm and kitty.
_SHIFT = 1
_ALT = 2
_CTRL = 4
_SUPER = 8
_HYPER = 16
_META = 32

_MODIFIER_BITS = {
    "shift": _SHIFT,
    "alt": _ALT,
    "ctrl": _CTRL,
    "super": _SUPER,
    "hyper": _HYPER,
    # Textual reports the Meta key of terminals that send it as its own
    # modifier, but terminal programs read Alt and Meta the same way.
    "meta": _ALT,
    # Textual names a key that arrived after an ESC ("escape+up") this way;
    # terminals send ESC first for Alt when they have no modifier code for it.
    "escape": _ALT,
}

# Textual's names for punctuation keys, mapped to their character.
_NAMED_CHARACTERS = {
    "space": " ",
    "exclamation_mark": "!",
    "quotation_mark": '"',
    "number_sign": "#",
    "dollar_sign": "$",
    "percent_sign": "%",
    "ampersand": "&",
    "apostrophe": "'",
    "left_parenthesis": "(",
    "right_parenthesis": ")",
    "asterisk": "*",
    "plus": "+",
    "comma": ",",
    "minus": "-",
    "full_stop": ".",
    "solidus": "/",
    "slash": "/",
    "colon": ":",
    "semicolon": ";",
    "less_than_sign": "<",
    "equals_sign": "=",
    "greater_than_sign": ">",
    "question_mark": "?",
    "at": "@",
    "commercial_at": "@",
    "left_square_bracket": "[",
    "backslash": "\\",
    "reverse_solidus": "\\",
    "right_square_bracket": "]",
    "circumflex_accent": "^",
    "underscore": "_",
    "low_line": "_",
    "grave_accent": "`",
    "left_curly_bracket": "{",
    "vertical_line": "|",
    "right_curly_bracket": "}",
    "tilde": "~",
}

# Keys sent as CSI <number> ~ (with ";<modifiers>" when modified).
_TILDE_KEYS = {
    "insert": 2,
    "delete": 3,
    "pageup": 5,
    "pagedown": 6,
    "f5": 15,
    "f6": 17,
    "f7": 18,
    "f8": 19,
    "f9": 20,
    "f10": 21,
    "f11": 23,
    "f12": 24,
}

# xterm sends F13 to F24 as Shift plus F1 to F12, which is also how the
# xterm-256color terminfo entry (kf13 to kf24) describes them.
_SHIFTED_FUNCTION_KEYS = {f"f{number}": f"f{number - 12}" for number in range(13, 25)}

# Keys sent as a final letter after CSI or SS3: cursor keys, Home, End, F1-F4.
_LETTER_KEYS = {
    "up": "A",
    "down": "B",
    "right": "C",
    "left": "D",
    "end": "F",
    "home": "H",
    "f1": "P",
    "f2": "Q",
    "f3": "R",
    "f4": "S",
}
_CURSOR_KEYS = frozenset({"up", "down", "right", "left", "end", "home"})

# Keys whose legacy encoding is one control character, with their kitty code.
_C0_KEYS = {
    "enter": ("\r", 13),
    "tab": ("\t", 9),
    "backspace": ("\x7f", 127),
    "escape": (ESC, 27),
}

# Kitty's code points for the functional keys that have no legacy CSI form.
_KITTY_FUNCTIONAL = {
    "f13": 57376,
    "f14": 57377,
    "f15": 57378,
    "f16": 57379,
    "f17": 57380,
    "f18": 57381,
    "f19": 57382,
    "f20": 57383,
    "f21": 57384,
    "f22": 57385,
    "f23": 57386,
    "f24": 57387,
}


@dataclass(frozen=True, slots=True)
class _Key:
    name: str
    modifiers: int


def _parse(key: str) -> _Key:
    parts = key.split("+")
    # "ctrl++" is not a name Textual produces ("plus" is), but a trailing
    # empty part would still mean the plus key.
    if parts[-1] == "" and len(parts) > 1:
        parts = [*parts[:-2], "+"]
    name = parts[-1]
    modifiers = 0
    for part in parts[:-1]:
        modifiers |= _MODIFIER_BITS.get(part.lower(), 0)
    return _Key(name, modifiers)


def _base_character(name: str) -> str | None:
    if len(name) == 1:
        return name
    named = _NAMED_CHARACTERS.get(name)
    if named is not None:
        return named
    # Textual names other characters after their Unicode name ("check_mark"
    # for ✓) and may report such a key without its character.
    try:
        return unicodedata.lookup(name.replace("_", " "))
    except KeyError:
        return None


def encode_key(
    key: str,
    character: str | None = None,
    *,
    application_cursor: bool = False,
    kitty_flags: int = 0,
) -> bytes:
    """Encode one key press into the bytes a terminal sends to the program.

    Args:
        key: Textual's key name, such as "a", "ctrl+c", "shift+tab" or "f5".
        character: The printable character of the event, if it has one.
        application_cursor: Whether the program enabled DECCKM.
        kitty_flags: The kitty keyboard flags the program pushed (0 for none).

    Returns:
        The bytes to write to the PTY, or b"" for a key that has no encoding.
    """
    parsed = _parse(key)
    if character is not None and not character.isprintable():
        character = None

    if kitty_flags & (KITTY_DISAMBIGUATE | KITTY_ALL_KEYS_AS_ESCAPES):
        encoded = _encode_kitty(parsed, character, kitty_flags)
    else:
        encoded = _encode_legacy(parsed, character, application_cursor)
    return encoded.encode("utf-8", "surrogateescape")


def _encode_legacy(key: _Key, character: str | None, application_cursor: bool) -> str:
    name, modifiers = key.name, key.modifiers
    if name in _SHIFTED_FUNCTION_KEYS:
        name, modifiers = _SHIFTED_FUNCTION_KEYS[name], modifiers | _SHIFT
    modifier_parameter = modifiers + 1

    if name in _LETTER_KEYS:
        final = _LETTER_KEYS[name]
        if modifiers:
            return f"{CSI}1;{modifier_parameter}{final}"
        if name in _CURSOR_KEYS and not application_cursor:
            return CSI + final
        return SS3 + final

    if name in _TILDE_KEYS:
        number = _TILDE_KEYS[name]
        if modifiers:
            return f"{CSI}{number};{modifier_parameter}~"
        return f"{CSI}{number}~"

    alt_prefix = ESC if modifiers & _ALT else ""

    if name == "tab" and modifiers & _SHIFT:
        return alt_prefix + CSI + "Z"
    if name in _C0_KEYS:
        if name == "backspace" and modifiers & _CTRL:
            return alt_prefix + "\x08"
        return alt_prefix + _C0_KEYS[name][0]

    base = _base_character(name)
    if modifiers & _CTRL and base is not None:
        control = _control_character(base)
        if control is not None:
            return alt_prefix + control

    if character:
        return alt_prefix + character
    if base is not None:
        return alt_prefix + (base.upper() if modifiers & _SHIFT else base)
    return ""


def _control_character(base: str) -> str | None:
    """Return the C0 character xterm sends for Ctrl plus ``base``, if there is one."""
    if base in (" ", "@", "2"):
        return "\x00"
    if "a" <= base.lower() <= "z":
        return chr(ord(base.lower()) & 0x1F)
    if base in "[\\]^_":
        return chr(ord(base) & 0x1F)
    # xterm maps the digit row to the same controls as the punctuation keys
    # that share those codes on old terminals.
    digit_controls = {"3": "\x1b", "4": "\x1c", "5": "\x1d", "6": "\x1e", "7": "\x1f", "8": "\x7f", "/": "\x1f", "?": "\x7f"}
    return digit_controls.get(base)


def _encode_kitty(key: _Key, character: str | None, flags: int) -> str:
    name, modifiers = key.name, key.modifiers
    all_keys = bool(flags & KITTY_ALL_KEYS_AS_ESCAPES)
    modifier_field = f";{modifiers + 1}" if modifiers else ""

    if name in _SHIFTED_FUNCTION_KEYS and name not in _KITTY_FUNCTIONAL:
        name = _SHIFTED_FUNCTION_KEYS[name]
        modifiers |= _SHIFT
        modifier_field = f";{modifiers + 1}"

    if name == "f3" and (modifiers or all_keys):
        # CSI R would read as a cursor position report, so kitty sends F3 as CSI 13 ~.
        return f"{CSI}13{modifier_field}~"
    if name in _LETTER_KEYS:
        final = _LETTER_KEYS[name]
        if modifiers:
            return f"{CSI}1;{modifiers + 1}{final}"
        if name in _CURSOR_KEYS:
            return CSI + final
        return SS3 + final if not all_keys else CSI + final

    if name in _KITTY_FUNCTIONAL:
        return f"{CSI}{_KITTY_FUNCTIONAL[name]}{modifier_field}u"
    if name in _TILDE_KEYS:
        return f"{CSI}{_TILDE_KEYS[name]}{modifier_field}~"

    if name in _C0_KEYS:
        legacy, code = _C0_KEYS[name]
        # Escape is always disambiguated. Enter, Tab and Backspace keep their
        # legacy byte unless modified or all keys are reported as escapes.
        if name == "escape" or modifiers or all_keys:
            return f"{CSI}{code}{modifier_field}u"
        return legacy

    base = _base_character(name)
    if base is None:
        base = character
    if base is None:
        return ""

    # Kitty reports the unshifted key; shift travels as a modifier.
    if len(base) == 1 and base.isupper():
        modifiers |= _SHIFT
        modifier_field = f";{modifiers + 1}"
    code = ord(base.lower()) if len(base) == 1 else ord(base[0])
    text_modifiers = modifiers & ~_SHIFT
    if not all_keys and not text_modifiers:
        if character:
            return character
        return base.upper() if modifiers & _SHIFT else base

    key_field = str(code)
    if flags & KITTY_ALTERNATE_KEYS and modifiers & _SHIFT:
        shifted = _shifted_character(base, character)
        if shifted is not None:
            key_field = f"{code}:{ord(shifted)}"

    text_field = ""
    if all_keys and flags & KITTY_ASSOCIATED_TEXT and character and not text_modifiers:
        text_field = ";" + ":".join(str(ord(c)) for c in character)
        if not modifier_field:
            return f"{CSI}{key_field};1{text_field}u"
    return f"{CSI}{key_field}{modifier_field}{text_field}u"


def _shifted_character(base: str, character: str | None) -> str | None:
    """Return the character Shift gives on the key, for kitty's alternate keys field."""
    if character and len(character) == 1 and character != base.lower():
        return character
    if len(base) == 1 and base.lower() != base.upper():
        return base.upper()
    return None


def encode_paste(text: str, *, bracketed: bool) -> bytes:
    """Encode pasted text, wrapped in bracketed paste markers when the program asked for them.

    Any end marker inside the text is removed so a paste cannot end the
    bracket early and have the rest read as typed keys.
    """
    data = text.replace("\r\n", "\r").replace("\n", "\r")
    if not bracketed:
        return data.encode("utf-8", "surrogateescape")
    data = data.replace(f"{CSI}201~", "")
    return f"{CSI}200~{data}{CSI}201~".encode("utf-8", "surrogateescape")


# Mouse reports.

MOUSE_SHIFT = 4
MOUSE_ALT = 8
MOUSE_CTRL = 16
MOUSE_MOTION = 32
"""Bits added to a button code: modifiers held, and motion with the button (or 3, none) pressed."""

MOUSE_WHEEL_UP = 64
MOUSE_WHEEL_DOWN = 65

_MOUSE_RELEASE = 3

# The X10 form sends each value as the byte 32 + value. The UTF-8 form sends
# the character 32 + value instead, which goes up to U+07FF in two bytes.
_X10_MAX = 255 - 32
_UTF8_MAX = 0x7FF - 32


def encode_mouse(code: int, column: int, row: int, *, encoding: str, release: bool = False) -> bytes:
    """Encode a mouse report as xterm sends it in ``encoding``.

    Args:
        code: The xterm button code (0 left, 1 middle, 2 right, 64/65 wheel)
            plus the ``MOUSE_*`` modifier and motion bits.
        column: 1-based column of the cell.
        row: 1-based row of the cell.
        encoding: "sgr" (mode 1006), "urxvt" (1015), "utf8" (1005) or "x10",
            as ``Terminal.mouse_encoding`` returns it.
        release: Whether a button was released. Only SGR reports which
            button, because the other forms send button code 3.

    Returns:
        The report, or b"" when the position cannot be expressed in the
        encoding: beyond 223 in X10 and beyond 2015 in UTF-8, where xterm
        sends nothing either.

    Raises:
        ValueError: ``encoding`` is not one of the four names.
    """
    if encoding == "sgr":
        return f"{CSI}<{code};{column};{row}{'m' if release else 'M'}".encode()
    if release:
        code = (code & ~0b11) | _MOUSE_RELEASE
    if encoding == "urxvt":
        return f"{CSI}{32 + code};{column};{row}M".encode()
    if encoding == "utf8":
        if max(code, column, row) > _UTF8_MAX:
            return b""
        return (CSI + "M" + "".join(chr(32 + value) for value in (code, column, row))).encode("utf-8")
    if encoding == "x10":
        if max(code, column, row) > _X10_MAX:
            return b""
        return (CSI + "M").encode() + bytes([32 + code, 32 + column, 32 + row])
    raise ValueError(f"unknown mouse encoding {encoding!r}; expected sgr, urxvt, utf8 or x10")
