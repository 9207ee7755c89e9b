"""The program agents' hooks run: append one event to the task's event file.

Claude Code runs it with the event as JSON on standard input; Codex CLI's
``notify`` passes the JSON as the last argument. It must stay quiet and always
exit 0: Claude Code adds a hook's standard output to the conversation for some
events, and a failing hook can block the agent. Outside agentdeck, where
``AGENTDECK_EVENTS`` is unset, it does nothing.
"""

from __future__ import annotations

import json
import os
import sys
import time

# Fields kept from each event; the rest (prompts, tool inputs) may be large or private.
KEPT_FIELDS = ("hook_event_name", "notification_type", "agent_id", "session_id", "tool_name", "type", "turn-id")


def main(argv: list[str]) -> int:
    path = os.environ.get("AGENTDECK_EVENTS")
    if not path or not argv:
        return 0
    agent = argv[0]
    try:
        if len(argv) > 1:
            payload = json.loads(argv[-1])
        else:
            payload = json.loads(sys.stdin.read() or "{}")
    except (ValueError, OSError):
        payload = {}
    if not isinstance(payload, dict):
        payload = {}
    record = {"time": time.time(), "agent": agent}
    record.update({key: payload[key] for key in KEPT_FIELDS if key in payload})
    line = json.dumps(record, ensure_ascii=False) + "\n"
    try:
        # One write of one short line in append mode, so lines from parallel hooks never interleave.
        descriptor = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        try:
            os.write(descriptor, line.encode("utf-8"))
        finally:
            os.close(descriptor)
    except OSError:
        pass
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
