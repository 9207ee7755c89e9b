"""The terminal emulator wrapper against the byte sequences real agents send."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest

from agentdeck.terminal import CellStyle, EventKind, Terminal, TerminalEvent


def feed(data: bytes | str, columns: int = 80, rows: int = 24) -> Terminal:
    terminal = Terminal(columns, rows)
    terminal.feed(data.encode() if isinstance(data, str) else data)
    return terminal


def cells(terminal: Terminal, y: int) -> list[tuple[str, CellStyle]]:
    """Return row ``y`` as one (text, style) pair per character."""
    return [(character, span.style) for span in terminal.render().rows[y] for character in span.text]


def test_alternate_screen_returns_to_main() -> None:
    terminal = feed(b"main\x1b[?1049h\x1b[2J\x1b[Halt\x1b[?1049l")
    assert terminal.row_text(0) == "main"
    assert "alt" not in terminal.text()
    assert not terminal.alternate_screen


def test_alternate_screen_is_separate() -> None:
    terminal = feed(b"main\x1b[?1049h\x1b[2J\x1b[Halt")
    assert terminal.alternate_screen
    assert terminal.text() == "alt"


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (b"before\x1b[?996nafter", "beforeafter"),
        (b"\x1b[?4mX", "X"),
        (b"\x1b[?1000rAB", "AB"),
    ],
)
def test_private_csi_does_not_stop_stream(data: bytes, expected: str) -> None:
    assert feed(data).text() == expected


def test_modify_other_keys_is_not_sgr() -> None:
    terminal = feed(b"\x1b[>4;2mX")
    assert terminal.text() == "X"
    character, style = cells(terminal, 0)[0]
    assert character == "X"
    assert not style.underline
    assert not style.bold


def test_kitty_keyboard_sequences_draw_nothing() -> None:
    assert feed(b"\x1b[=1;1uA").text() == "A"
    assert feed(b"\x1b[<uA").text() == "A"


def test_kitty_flags_query_reply() -> None:
    terminal = Terminal()
    assert terminal.feed(b"\x1b[?u") == b"\x1b[?0u"
    assert terminal.feed(b"\x1b[>5u\x1b[?u") == b"\x1b[?5u"
    assert terminal.kitty_flags == 5


def test_kitty_flags_stack_per_screen() -> None:
    terminal = Terminal()
    terminal.feed(b"\x1b[>1u\x1b[?1049h")
    assert terminal.kitty_flags == 0
    terminal.feed(b"\x1b[>3u")
    assert terminal.kitty_flags == 3
    terminal.feed(b"\x1b[?1049l")
    assert terminal.kitty_flags == 1
    terminal.feed(b"\x1b[<u")
    assert terminal.kitty_flags == 0


@pytest.mark.parametrize("emoji", ["❤\ufe0f", "👨\u200d👩\u200d👧"])
def test_emoji_sequence_keeps_text_after(emoji: str) -> None:
    terminal = feed(f"{emoji} ok")
    assert terminal.row_text(0).endswith(" ok")
    assert terminal.row_text(0).startswith(emoji[0])


def test_wide_emoji_take_two_cells() -> None:
    terminal = feed("⚡🤖✅|x")
    spans = terminal.render().rows[0]
    assert spans[0].text.startswith("⚡🤖✅|x")
    # Three wide characters then two narrow ones, so the cursor is at column 8.
    assert terminal.cursor == (8, 0)
    # Column 7 (1-based) is the "|" only if each emoji took two columns.
    terminal.feed(b"\x1b[7GZ")
    assert terminal.row_text(0) == "⚡🤖✅Zx"


def test_wide_character_wraps_whole() -> None:
    terminal = feed("x" * 19 + "中", columns=20)
    assert terminal.row_text(0) == "x" * 19
    assert terminal.row_text(1) == "中"


def test_writing_into_wide_character_clears_it() -> None:
    assert feed("中\x1b[2Gx").text() == " x"


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (b"\x1bP+q544e\x1b\\A", "A"),
        (b"\x1b_Gi=31337,s=1,v=1,a=q,t=d,f=24;AAAA\x1b\\", ""),
        (b"\x1bPtmux;\x1b\x1b]9;hi\x07\x1b\\A", "A"),
    ],
)
def test_string_sequences_are_swallowed(data: bytes, expected: str) -> None:
    assert feed(data).text() == expected


def test_kitty_graphics_query_gets_no_reply() -> None:
    terminal = Terminal()
    assert terminal.feed(b"\x1b_Gi=31337,s=1,v=1,a=q,t=d,f=24;AAAA\x1b\\") == b""


def test_startup_probe_replies_in_order() -> None:
    terminal = Terminal()
    terminal.feed(b"hi")
    replies = terminal.feed(b"\x1b[6n\x1b]10;?\x1b\\\x1b]11;?\x1b\\\x1b[?u\x1b[c")
    pattern = re.compile(
        rb"\x1b\[1;3R"
        rb"\x1b\]10;rgb:[0-9a-f]{4}/[0-9a-f]{4}/[0-9a-f]{4}(\x1b\\|\x07)"
        rb"\x1b\]11;rgb:[0-9a-f]{4}/[0-9a-f]{4}/[0-9a-f]{4}(\x1b\\|\x07)"
        rb"\x1b\[\?0u"
        rb"\x1b\[\?[0-9;]+c"
    )
    assert pattern.fullmatch(replies), replies
    assert terminal.text() == "hi"


def test_query_split_across_chunks() -> None:
    terminal = Terminal()
    assert terminal.feed(b"\x1b[") == b""
    assert terminal.feed(b"6n") == b"\x1b[1;1R"


def test_utf8_split_across_chunks() -> None:
    terminal = Terminal()
    data = "a中b".encode()
    for index in range(len(data)):
        terminal.feed(data[index : index + 1])
    assert terminal.text() == "a中b"


def test_default_colors_change_osc_replies() -> None:
    terminal = Terminal()
    terminal.set_default_colors((255, 255, 255), (0, 0, 0))
    assert terminal.feed(b"\x1b]11;?\x1b\\") == b"\x1b]11;rgb:0000/0000/0000\x1b\\"


def test_styles_per_cell() -> None:
    terminal = feed(
        b"\x1b[38;5;208ma\x1b[0m\x1b[38;2;1;2;3;48;2;4;5;6mb\x1b[0m"
        b"\x1b[1mc\x1b[0m\x1b[7md\x1b[0m\x1b[3;4;9;2me\x1b[0m\x1b[31mf\x1b[0mg"
    )
    row = cells(terminal, 0)
    assert row[0] == ("a", CellStyle(foreground=208))
    assert row[1] == ("b", CellStyle(foreground=(1, 2, 3), background=(4, 5, 6)))
    assert row[2] == ("c", CellStyle(bold=True))
    assert row[3] == ("d", CellStyle(reverse=True))
    assert row[4] == ("e", CellStyle(italic=True, underline=True, strike=True, dim=True))
    assert row[5] == ("f", CellStyle(foreground=1))
    assert row[6] == ("g", CellStyle())


def test_text_strips_trailing_spaces_and_rows() -> None:
    terminal = feed(b"a  \r\n\r\nb   \r\n\r\n")
    assert terminal.text() == "a\n\nb"
    assert terminal.row_text(2) == "b"
    assert terminal.row_text(23) == ""


def test_row_text_rejects_row_outside_screen() -> None:
    with pytest.raises(IndexError):
        Terminal().row_text(24)


def test_resize_keeps_scrollback() -> None:
    terminal = Terminal(40, 5)
    for number in range(30):
        terminal.feed(b"line %d\r\n" % number)
    assert terminal.scrollback_rows > 0
    terminal.resize(20, 3)
    terminal.resize(60, 10)
    assert (terminal.columns, terminal.rows) == (60, 10)
    terminal.scroll_viewport(-1000)
    assert terminal.scrolled_back
    first = terminal.render().rows[0]
    assert "".join(span.text for span in first).strip() == "line 0"
    terminal.scroll_to_bottom()
    assert not terminal.scrolled_back


def test_resize_changes_size_report() -> None:
    terminal = Terminal(80, 24)
    terminal.resize(100, 30)
    assert terminal.feed(b"\x1b[18t") == b"\x1b[8;30;100t"


def test_modes_tracked() -> None:
    terminal = Terminal()
    assert not terminal.bracketed_paste
    assert not terminal.application_cursor
    terminal.feed(b"\x1b[?2004h\x1b[?1h\x1b[?1002h\x1b[?1006h\x1b[?2026h\x1b[?1004h")
    assert terminal.bracketed_paste
    assert terminal.application_cursor
    assert terminal.mouse_tracking == 1002
    assert terminal.mouse_encoding == "sgr"
    assert terminal.synchronized_output
    assert terminal.focus_events
    terminal.feed(b"\x1b[?2026l")
    assert not terminal.synchronized_output


def test_reset_input_modes_drops_mouse_paste_and_kitty() -> None:
    terminal = Terminal()
    terminal.feed(b"\x1b[?1000h\x1b[?1003h\x1b[?1006h\x1b[?2004h\x1b[>1u\x1b[?1049h\x1b[>3u")
    terminal.reset_input_modes()
    assert terminal.mouse_tracking == 0
    assert terminal.mouse_encoding == "x10"
    assert not terminal.bracketed_paste
    assert terminal.kitty_flags == 0
    terminal.feed(b"\x1b[?1049l")
    assert terminal.kitty_flags == 0


def test_title_bell_and_notifications() -> None:
    terminal = feed(b"\x1b]0;agent title\x07\x07\x1b]9;done\x07\x1b]777;notify;Build;passed\x1b\\")
    assert terminal.title == "agent title"
    assert terminal.bell_count == 1
    assert terminal.take_events() == [
        TerminalEvent(EventKind.BELL),
        TerminalEvent(EventKind.NOTIFICATION, "", "done"),
        TerminalEvent(EventKind.NOTIFICATION, "Build", "passed"),
        TerminalEvent(EventKind.TITLE, "agent title"),
    ]
    assert terminal.take_events() == []


def test_events_coalesce_bells_and_titles() -> None:
    terminal = Terminal()
    terminal.feed(b"\x07\x1b]2;one\x07")
    terminal.feed(b"\x07\x07\x1b]2;two\x07\x07")
    assert terminal.take_events() == [TerminalEvent(EventKind.BELL), TerminalEvent(EventKind.TITLE, "two")]
    assert terminal.bell_count == 4

    terminal.feed(b"\x07")
    assert terminal.take_events() == [TerminalEvent(EventKind.BELL)]


def test_events_keep_newest_hundred() -> None:
    terminal = Terminal()
    terminal.feed(b"".join(b"\x1b]9;note %d\x07" % number for number in range(150)))
    events = terminal.take_events()
    assert len(events) == 100
    assert events[0].body == "note 50"
    assert events[-1].body == "note 149"


def test_mouse_encoding_priority() -> None:
    terminal = Terminal()
    assert terminal.mouse_encoding == "x10"
    terminal.feed(b"\x1b[?1005h")
    assert terminal.mouse_encoding == "utf8"
    terminal.feed(b"\x1b[?1015h")
    assert terminal.mouse_encoding == "urxvt"
    terminal.feed(b"\x1b[?1006h")
    assert terminal.mouse_encoding == "sgr"
    terminal.feed(b"\x1b[?1006l\x1b[?1015l")
    assert terminal.mouse_encoding == "utf8"


def test_osc4_palette_change_drawn_and_reported() -> None:
    terminal = feed(b"\x1b[31mred\x1b[0m \x1b[48;5;200m \x1b[0m")
    assert terminal.render().rows[0][0].style.foreground == 1

    replies = terminal.feed(b"\x1b]4;1;rgb:12/34/56\x07\x1b]4;200;#abcdef\x07\x1b]4;1;?\x07")
    assert replies == b"\x1b]4;1;rgb:1212/3434/5656\x07"
    spans = terminal.render().rows[0]
    assert spans[0].style.foreground == (0x12, 0x34, 0x56)
    assert [span.style.background for span in spans if span.text == " "] == [None, (0xAB, 0xCD, 0xEF)]

    terminal.feed(b"\x1b]104;1\x07")
    assert terminal.render().rows[0][0].style.foreground == 1


def test_version_increases_on_change() -> None:
    terminal = Terminal()
    before = terminal.version
    terminal.feed(b"x")
    assert terminal.version > before
    before = terminal.version
    terminal.resize(81, 24)
    assert terminal.version > before


def test_render_rereads_only_changed_rows() -> None:
    terminal = feed(b"one\r\ntwo\r\nthree")
    first = terminal.render()
    terminal.feed(b"\x1b[2;1HTWO")
    second = terminal.render()
    assert second.generations[0] == first.generations[0]
    assert second.generations[2] == first.generations[2]
    assert second.generations[1] != first.generations[1]
    assert second.cursor == (3, 1)


def test_hidden_cursor_not_rendered() -> None:
    terminal = feed(b"\x1b[?25l")
    assert terminal.render().cursor is None
    assert not terminal.cursor_visible


def test_many_combining_marks_in_one_cell() -> None:
    terminal = feed("e" + "\u0301" * 100 + "!")
    text = terminal.render().rows[0][0].text.rstrip()
    assert text.startswith("e\u0301\u0301")
    # libghostty keeps a bounded number of marks, but they stay in one cell.
    assert text.endswith("\u0301!")
    assert terminal.cursor == (2, 0)


def test_private_csi_in_large_chunk_keeps_rest() -> None:
    chunk = b"".join(b"\x1b[?%dn\x1b[?%d$p row %d\r\n" % (number, number, number) for number in range(20))
    terminal = Terminal()
    terminal.feed(chunk)
    assert terminal.row_text(19) == " row 19"


def test_domain_modules_import_no_ui() -> None:
    code = (
        "import sys, agentdeck.terminal, agentdeck.keys\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('textual', 'rich')))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"


def test_scrollback_keeps_ten_thousand_lines() -> None:
    terminal = Terminal(80, 24)
    terminal.feed(b"".join(b"line-%d\r\n" % number for number in range(12_000)))
    assert terminal.scrollback_rows >= 10_000
    history = terminal.history_text().splitlines()
    assert history[-1] == "line-11999"
    assert "line-1999" in history


def test_selection_text_reads_lines() -> None:
    terminal = feed("first line\r\nsecond 中文 line\r\nthird", columns=20, rows=3)
    assert terminal.selection_text((6, 0), (8, 1)) == "line\nsecond 中"
    assert terminal.selection_text((8, 1), (6, 0)) == "line\nsecond 中"
    assert terminal.selection_text((0, 2), (99, 2)) == "third"


def test_selection_lines_count_from_oldest_scrollback() -> None:
    terminal = feed(b"".join(b"line %d\r\n" % number for number in range(30)), columns=20, rows=5)
    assert terminal.viewport_top == 26
    assert terminal.selection_text((0, 3), (99, 4)) == "line 3\nline 4"

    terminal.scroll_viewport(-10)
    assert terminal.viewport_top == 16
    assert terminal.render().top == 16
    assert terminal.selection_text((0, 3), (99, 4)) == "line 3\nline 4"
