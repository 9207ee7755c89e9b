"""Status hooks: wire an agent's own hooks to agentdeck for one session, and read what they report.

The wiring is per invocation only: Claude Code gets an extra settings file
through ``--settings`` and Codex CLI a ``notify`` override through ``-c``. The
user's own settings files are never read or written. Each hook runs
``python -m agentdeck.hook_event``, which appends a line to the task's event
file (``AGENTDECK_EVENTS``) and does nothing when that variable is unset.
"""

from __future__ import annotations

import json
import logging
import shlex
import sys
from dataclasses import dataclass
from pathlib import Path

from agentdeck.state import write_atomically
from agentdeck.tasks import SessionStatus

log = logging.getLogger(__name__)

CLAUDE_EVENTS = (
    "SessionStart",
    "UserPromptSubmit",
    "PreToolUse",
    "PostToolUse",
    "PermissionRequest",
    "Notification",
    "Stop",
    "SessionEnd",
)


@dataclass(frozen=True)
class HookWiring:
    """The argv and environment changes that connect one session's hooks to agentdeck."""

    argv: list[str]
    environment: dict[str, str]
    events_path: Path | None


def hook_command(agent: str) -> list[str]:
    """Return the command an agent's hook runs for *agent*'s events."""
    return [sys.executable, "-m", "agentdeck.hook_event", agent]


def claude_settings(agent: str = "claude") -> dict:
    """Return Claude Code settings that report every status event to agentdeck."""
    command = shlex.join(hook_command(agent))
    entry = [{"matcher": "*", "hooks": [{"type": "command", "command": command, "timeout": 10}]}]
    return {"hooks": {event: entry for event in CLAUDE_EVENTS}}


def wire_hooks(
    kind: str | None,
    argv: list[str],
    hooks_dir: Path,
    task_id: str,
    session_id: str,
    resuming: bool,
) -> HookWiring:
    """Return *argv* with the wiring for hook kind *kind* added after the program name.

    Claude Code also gets a fixed conversation id (``--session-id``), so the
    conversation can be resumed later. When *resuming*, the resume command
    already names it.
    """
    if kind is None:
        return HookWiring(list(argv), {}, None)

    hooks_dir.mkdir(parents=True, exist_ok=True)
    events_path = hooks_dir / f"{task_id}.events.jsonl"
    environment = {"AGENTDECK_EVENTS": str(events_path)}
    program, *rest = argv

    if kind == "claude":
        settings_path = hooks_dir / f"{task_id}.claude-settings.json"
        write_atomically(settings_path, json.dumps(claude_settings(), indent=2).encode("utf-8"))
        extra = ["--settings", str(settings_path)]
        if not resuming and "--session-id" not in rest:
            extra += ["--session-id", session_id]
        return HookWiring([program, *extra, *rest], environment, events_path)

    if kind == "codex":
        # The value is TOML; a JSON array of strings is a valid TOML array.
        notify = "notify=" + json.dumps(hook_command("codex"))
        return HookWiring([program, "-c", notify, *rest], environment, events_path)

    raise ValueError(f"unknown hook kind {kind!r}")


def status_for_event(event: dict) -> SessionStatus | None:
    """Return the status one hook event reports, or None when the event carries no status.

    Events from Claude Code's subagents carry ``agent_id`` and are ignored: the
    main agent's own events tell when the whole turn works, waits or ends.
    """
    if event.get("agent_id"):
        return None
    agent = event.get("agent")
    if agent == "codex":
        return SessionStatus.IDLE if event.get("type") == "agent-turn-complete" else None

    name = event.get("hook_event_name")
    if name in ("UserPromptSubmit", "PreToolUse", "PostToolUse"):
        return SessionStatus.WORKING
    if name == "PermissionRequest":
        return SessionStatus.WAITING
    if name == "Notification":
        kind = event.get("notification_type")
        if kind == "permission_prompt":
            return SessionStatus.WAITING
        if kind == "idle_prompt":
            return SessionStatus.IDLE
        return None
    if name == "Stop":
        return SessionStatus.IDLE
    return None


class EventReader:
    """Reads new lines from a session's event file and keeps the latest status they report."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._offset = 0
        self._partial = b""
        self.status: SessionStatus | None = None
        self.status_time: float | None = None
        self.events_read = 0

    def poll(self) -> SessionStatus | None:
        """Read what was appended since the last call; return the latest status reported so far."""
        try:
            with self.path.open("rb") as handle:
                handle.seek(self._offset)
                data = handle.read()
        except FileNotFoundError:
            return self.status
        except OSError as error:
            log.warning("cannot read hook events %s: %s", self.path, error)
            return self.status
        self._offset += len(data)
        lines = (self._partial + data).split(b"\n")
        self._partial = lines.pop()
        for line in lines:
            if not line.strip():
                continue
            try:
                event = json.loads(line)
            except ValueError:
                log.warning("ignored a malformed hook event line in %s", self.path)
                continue
            self.events_read += 1
            status = status_for_event(event)
            if status is not None:
                self.status = status
                self.status_time = float(event.get("time", 0.0))
        return self.status
