"""Notifications: escape sequences for the outer terminal, desktop pop-ups, and which agent events to relay."""

from __future__ import annotations

import logging
import shutil
import subprocess

from agentdeck.terminal import EventKind, TerminalEvent

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


RELAY_QUIET_SECONDS = 10.0
"""The quiet period: ProgramEventRelay.relay drops the same bell or message from one task within this many seconds."""


class ProgramEventRelay:
    """Choose which of an agent's own bells and desktop notifications reach the user.

    Agents ring the bell or send OSC 9 / OSC 777 notifications when they need
    attention, often at the moment their status turns waiting or idle, which
    the deck announces already. The relay drops a bell that comes with such an
    announcement, drops events of the terminal the user is typing in, and
    repeats the same text from one task at most once per quiet period.
    """

    def __init__(self, quiet_seconds: float = RELAY_QUIET_SECONDS) -> None:
        self.quiet_seconds = quiet_seconds
        self._last_relayed: dict[tuple[str, str], float] = {}

    def relay(
        self, task_id: str, events: list[TerminalEvent], *, announced: bool, typing_here: bool, now: float
    ) -> list[str]:
        """Return the texts to show for *events* of task *task_id*, such as ``rang the bell``.

        *announced* is whether the deck announced a status change of this
        task in the same refresh; *typing_here* whether the user's keys go to
        this task's terminal right now.
        """
        texts: list[str] = []
        for event in events:
            if event.kind is EventKind.TITLE or typing_here:
                continue
            if event.kind is EventKind.BELL:
                if announced:
                    continue
                text = "rang the bell"
            else:
                message = ": ".join(part for part in (event.title.strip(), event.body.strip()) if part)
                if not message:
                    continue
                text = f"says: {message}"
            key = (task_id, text)
            if now - self._last_relayed.get(key, float("-inf")) < self.quiet_seconds:
                continue
            self._last_relayed[key] = now
            texts.append(text)
        return texts
