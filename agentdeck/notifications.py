"""Notifications outside the deck: escape sequences for the outer terminal and desktop pop-ups."""

from __future__ import annotations

import logging
import shutil
import subprocess

log = logging.getLogger(__name__)


def _clean(text: str) -> str:
    # Control characters would end or corrupt the escape sequence; ";" separates OSC 777 fields.
    return "".join(char if char.isprintable() else " " for char in text).replace(";", ",")


def terminal_notification(title: str, body: str, inside_tmux: bool) -> str:
    """Return OSC 9 and OSC 777 notifications for *title* and *body*.

    Terminals that know neither ignore them. Inside tmux each sequence is
    wrapped in tmux's passthrough (``DCS tmux; ... ST``, with every ESC
    doubled) so it reaches the terminal tmux runs in; tmux passes it on only
    when its ``allow-passthrough`` option is on.
    """
    title, body = _clean(title), _clean(body)
    sequences = [f"\x1b]9;{title}: {body}\x07", f"\x1b]777;notify;{title};{body}\x07"]
    if inside_tmux:
        sequences = ["\x1bPtmux;" + sequence.replace("\x1b", "\x1b\x1b") + "\x1b\\" for sequence in sequences]
    return "".join(sequences)


def desktop_notification(title: str, body: str) -> bool:
    """Show a desktop notification with ``notify-send`` when it exists; return whether it was started."""
    program = shutil.which("notify-send")
    if program is None:
        return False
    try:
        subprocess.Popen(
            [program, "--app-name=agentdeck", title, body],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
    except OSError as error:
        log.warning("notify-send failed: %s", error)
        return False
    return True
