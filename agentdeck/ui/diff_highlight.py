"""Syntax colours for the lines of a diff, computed over whole files with Pygments.

A file is lexed from its first line to its last, so a line inside a
multi-line string or comment gets the colour of that string or comment even
when the hunk shows only its middle. Each line's tokens then go through the
same display transform as the diff text (tab stops, control pictures,
truncation), so token lengths line up with the characters the view draws.

Lexing a large file takes seconds (about 3 s for 25,000 lines of Python on
the benchmark machine), and a thread doing it would hold the GIL against the
event loop, so :func:`highlight_file_in_process` runs it in a child process.
"""

from __future__ import annotations

import logging
import os
import pickle
import subprocess
import sys
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from pygments.lexer import Lexer
from pygments.lexers import get_lexer_for_filename
from pygments.token import _TokenType
from pygments.util import ClassNotFound
from rich.style import Style
from rich.syntax import PygmentsSyntaxTheme

from agentdeck.review import display_pieces

log = logging.getLogger(__name__)

DARK_THEME = "github-dark"
LIGHT_THEME = "default"

MAX_HIGHLIGHT_BYTES = 4 * 1024 * 1024
"""Files larger than this are shown without syntax colours."""

LineStyles = tuple[int, ...]
"""Flat ``(length, style index, length, style index, ...)`` runs of one display line."""


@dataclass(frozen=True, slots=True)
class FileHighlight:
    """Syntax colour runs for each line of both sides of one file."""

    styles: tuple[Style, ...]
    """The styles that style indexes in the runs refer to."""
    old: Sequence[LineStyles] | None
    """Runs per old line, by line number minus one; None when that side has no colours."""
    new: Sequence[LineStyles] | None


def lexer_for(path: str) -> Lexer | None:
    """Return a Pygments lexer chosen by *path*'s file name, or None when none matches."""
    try:
        # No stripping or newline fixing, so line numbers match the file.
        return get_lexer_for_filename(path, stripnl=False, stripall=False, ensurenl=False)
    except ClassNotFound:
        return None


def highlight_file(path: str, old_lines: Sequence[str] | None, new_lines: Sequence[str] | None, dark: bool) -> FileHighlight | None:
    """Colour both sides of a file; returns None when its type has no lexer."""
    lexer = lexer_for(path)
    if lexer is None:
        return None
    theme = PygmentsSyntaxTheme(DARK_THEME if dark else LIGHT_THEME)
    table: dict[_TokenType, int] = {}
    styles: list[Style] = [Style()]
    old = highlight_lines(lexer, old_lines, theme, table, styles) if old_lines is not None else None
    new = highlight_lines(lexer, new_lines, theme, table, styles) if new_lines is not None else None
    return FileHighlight(tuple(styles), old, new)


_children: set[subprocess.Popen[bytes]] = set()
_children_lock = threading.Lock()


def highlight_file_in_process(path: str, old_lines: Sequence[str] | None, new_lines: Sequence[str] | None, dark: bool) -> FileHighlight | None:
    """Run :func:`highlight_file` in a child Python process and wait for it; call it from a worker thread.

    The child is this module run as a script, fed and read through pipes, so
    the only data crossing is the file's lines and the colour runs. Falls
    back to this process when the child cannot be started or fails.
    """
    if lexer_for(path) is None:
        return None
    request = pickle.dumps((path, _as_list(old_lines), _as_list(new_lines), dark), protocol=pickle.HIGHEST_PROTOCOL)
    try:
        child = subprocess.Popen(
            [sys.executable, "-m", "agentdeck.ui.diff_highlight"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env={**os.environ, "PYTHONPATH": _package_root() + os.pathsep + os.environ.get("PYTHONPATH", "")},
        )
    except OSError as error:
        log.warning("cannot start a process to highlight %s (%s); highlighting in this process", path, error)
        return highlight_file(path, old_lines, new_lines, dark)
    with _children_lock:
        _children.add(child)
    try:
        output, errors = child.communicate(request)
    finally:
        with _children_lock:
            _children.discard(child)
    if child.returncode != 0:
        if child.returncode < 0:
            # Stopped by shutdown_highlighter(): the review screen closed.
            return None
        log.warning("highlighting %s in a child process failed (exit %s): %s", path, child.returncode, errors.decode(errors="replace")[-500:])
        return highlight_file(path, old_lines, new_lines, dark)
    return pickle.loads(output)


def shutdown_highlighter() -> None:
    """Stop every child process started by :func:`highlight_file_in_process` that is still running."""
    with _children_lock:
        children = list(_children)
    for child in children:
        child.kill()


def _as_list(lines: Sequence[str] | None) -> list[str] | None:
    return None if lines is None else list(lines)


def _package_root() -> str:
    return str(Path(__file__).resolve().parent.parent.parent)


def _serve() -> None:
    # Run as a script this module is __main__; the result must name the
    # importable module's classes so the parent can unpickle it.
    from agentdeck.ui import diff_highlight

    path, old_lines, new_lines, dark = pickle.loads(sys.stdin.buffer.read())
    result = diff_highlight.highlight_file(path, old_lines, new_lines, dark)
    sys.stdout.buffer.write(pickle.dumps(result, protocol=pickle.HIGHEST_PROTOCOL))


def highlight_lines(
    lexer: Lexer,
    lines: Sequence[str],
    theme: PygmentsSyntaxTheme,
    table: dict[_TokenType, int],
    styles: list[Style],
) -> list[LineStyles] | None:
    """Lex *lines* as one text and return the colour runs of each line.

    *table* and *styles* are shared between calls so both sides of a file
    use the same style indexes.
    """
    if sum(len(line) + 1 for line in lines) > MAX_HIGHLIGHT_BYTES:
        return None
    text = "\n".join(lines) + "\n"
    per_line: list[list[tuple[str, _TokenType]]] = [[]]
    # get_tokens() would turn a lone CR into a line break, shifting every
    # later line; the unprocessed stream keeps the text as it is.
    for _, token_type, value in lexer.get_tokens_unprocessed(text):
        parts = value.split("\n")
        for number, part in enumerate(parts):
            if number:
                per_line.append([])
            if part:
                per_line[-1].append((part, token_type))

    result: list[LineStyles] = []
    for pieces in per_line[: len(lines)]:
        runs: list[int] = []
        for piece, token_type in display_pieces(pieces):
            index = 0 if token_type is None else _style_index(token_type, theme, table, styles)
            if runs and runs[-1] == index:
                runs[-2] += len(piece)
            else:
                runs.extend((len(piece), index))
        result.append(tuple(runs))
    while len(result) < len(lines):
        result.append(())
    return result


def _style_index(token_type: _TokenType, theme: PygmentsSyntaxTheme, table: dict[_TokenType, int], styles: list[Style]) -> int:
    index = table.get(token_type)
    if index is None:
        style = theme.get_style_for_token(token_type)
        # Only the foreground and the font: the diff owns the background.
        styles.append(Style(color=style.color, bold=style.bold, italic=style.italic))
        index = len(styles) - 1
        table[token_type] = index
    return index



if __name__ == "__main__":
    _serve()
