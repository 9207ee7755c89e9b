"""Auto-accept answers real dialogs once, only when enabled, and never prose that looks like a question."""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import pytest

from agentdeck.screen_rules import CLAUDE_RULES, GENERIC_RULES
from agentdeck.sessions import Session, agent_environment
from agentdeck.tasks import SessionStatus

# The program prints SCREEN, then records every byte it reads for a few seconds.
RECORDER = """
import os, sys, time, tty
screen, out = sys.argv[1], sys.argv[2]
tty.setraw(0)
sys.stdout.write(screen.replace("\\n", "\\r\\n")); sys.stdout.flush()
data = b""
deadline = time.time() + {seconds}
while time.time() < deadline:
    import select
    ready, _, _ = select.select([0], [], [], 0.05)
    if ready:
        data += os.read(0, 100)
        open(out, "wb").write(data)
time.sleep(30)
"""

CLAUDE_DIALOG = (
    "Bash command\n\n  make test\n\nDo you want to proceed?\n❯ 1. Yes\n  2. Yes, and don't ask again\n  3. No (esc)\n"
)
CLAUDE_PROSE = 'The guide says "Do you want to proceed? 1. Yes" and I kept it.\n❯ \n'


def run_screen(tmp_path: Path, screen: str, rules, auto_accept: bool, seconds: float = 3.0) -> tuple[Session, Path]:
    out = tmp_path / "received.bin"
    argv = [sys.executable, "-c", RECORDER.format(seconds=seconds), screen, str(out)]
    session = Session("t", argv, tmp_path, agent_environment(os.environ, {}), 80, 24, rules=rules, auto_accept=auto_accept)
    session.start()
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        session.update_status()
        time.sleep(0.1)
    return session, out


@pytest.fixture
def stop_later():
    sessions: list[Session] = []
    yield sessions
    for session in sessions:
        session.stop()


def received(out: Path) -> bytes:
    return out.read_bytes() if out.exists() else b""


def test_yes_no_answered_once(tmp_path, stop_later):
    session, out = run_screen(tmp_path, "Apply 2 edits? [y/n] ", GENERIC_RULES, auto_accept=True)
    stop_later.append(session)
    assert received(out) == b"y\r"


def test_not_answered_when_off(tmp_path, stop_later):
    session, out = run_screen(tmp_path, "Apply 2 edits? [y/n] ", GENERIC_RULES, auto_accept=False)
    stop_later.append(session)
    assert session.status is SessionStatus.WAITING
    assert received(out) == b""


def test_claude_dialog_answered_with_enter(tmp_path, stop_later):
    session, out = run_screen(tmp_path, CLAUDE_DIALOG, CLAUDE_RULES, auto_accept=True)
    stop_later.append(session)
    assert received(out) == b"\r"


def test_prose_question_never_answered(tmp_path, stop_later):
    session, out = run_screen(tmp_path, CLAUDE_PROSE, CLAUDE_RULES, auto_accept=True)
    stop_later.append(session)
    assert session.status is not SessionStatus.WAITING
    assert received(out) == b""


# Codex-style: the dialog stays up while a timer line below it redraws ten times a second.
TICKING = """
import os, select, sys, time, tty
out = sys.argv[1]
tty.setraw(0)
sys.stdout.write("  Would you like to run the following command?\\r\\n\\r\\n  $ make test\\r\\n\\r\\n> 1. Yes, proceed (y)\\r\\n  2. No (esc)\\r\\n")
data = b""
start = time.time()
while time.time() - start < 3.0:
    sys.stdout.write(f"\\r  waiting {time.time() - start:4.1f}s"); sys.stdout.flush()
    ready, _, _ = select.select([0], [], [], 0.1)
    if ready:
        data += os.read(0, 100)
        open(out, "wb").write(data)
time.sleep(30)
"""


def test_redrawing_dialog_answered_once(tmp_path, stop_later):
    from agentdeck.screen_rules import CODEX_RULES

    out = tmp_path / "received.bin"
    argv = [sys.executable, "-c", TICKING, str(out)]
    session = Session("t", argv, tmp_path, agent_environment(os.environ, {}), 80, 24, rules=CODEX_RULES, auto_accept=True)
    stop_later.append(session)
    session.start()
    deadline = time.monotonic() + 3.5
    while time.monotonic() < deadline:
        session.update_status()
        time.sleep(0.1)
    assert received(out) == b"y"
