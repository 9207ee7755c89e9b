"""Prompts reach the agent byte-exact through argv, and tasks get their environment."""

from __future__ import annotations

import os
import sys
import time

import tomli_w

from agentdeck.config import load_config
from agentdeck.deck import Deck
from agentdeck.notifications import terminal_notification
from agentdeck.repository import find_repository
from agentdeck.tasks import SessionStatus
from agentdeck.ui.screens.deck import notification_for
from tests.conftest import commit_files

AWKWARD_PROMPT = "Fix \"quotes\" and 'single' ones, $(whoami), `id`, \\back, a\ttab,\nline two: ünïcødé 中文 🚀 $HOME ; rm -rf / &"

WRITE_ARGV = "import sys; open(sys.argv[1], 'wb').write(sys.argv[2].encode('utf-8', 'surrogateescape'))"


def test_prompt_through_argv_is_byte_exact(repo, repo_path, tmp_path):
    out = tmp_path / "argv.bin"
    config = {"agents": {"writer": {"command": [sys.executable, "-c", WRITE_ARGV, str(out), "{prompt}"]}}}
    commit_files(repo, {".agentdeck/config.toml": tomli_w.dumps(config)}, "config")
    deck = Deck(find_repository(repo_path), load_config(repo_path))
    try:
        deck.create_task("Awkward", AWKWARD_PROMPT, agent="writer")
        deadline = time.monotonic() + 10
        while not out.exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert out.read_bytes() == AWKWARD_PROMPT.encode("utf-8")
    finally:
        deck.shutdown()


def test_agent_environment_names_the_task(repo, repo_path, tmp_path, monkeypatch):
    out = tmp_path / "env.txt"
    monkeypatch.setenv("TMUX", "/tmp/tmux-1/default,1,0")
    monkeypatch.setenv("TMUX_PANE", "%1")
    script = (
        "import os, sys; keys = ['AGENTDECK_TASK_ID', 'AGENTDECK_WORKTREE', 'AGENTDECK_REPOSITORY', 'AGENTDECK_BRANCH', "
        "'TERM', 'COLORTERM', 'TMUX', 'TMUX_PANE']; "
        "open(sys.argv[1], 'w').write('\\n'.join(k + '=' + os.environ.get(k, '-') for k in keys))"
    )
    config = {"agents": {"env": {"command": [sys.executable, "-c", script, str(out)]}}}
    commit_files(repo, {".agentdeck/config.toml": tomli_w.dumps(config)}, "config")
    deck = Deck(find_repository(repo_path), load_config(repo_path))
    try:
        task = deck.create_task("Env", "", agent="env")
        deadline = time.monotonic() + 10
        while not out.exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        values = dict(line.split("=", 1) for line in out.read_text().splitlines())
    finally:
        deck.shutdown()
    assert values["AGENTDECK_TASK_ID"] == task.id
    assert values["AGENTDECK_WORKTREE"] == task.worktree
    assert values["AGENTDECK_REPOSITORY"] == str(repo_path.resolve())
    assert values["AGENTDECK_BRANCH"] == "agentdeck/env"
    assert values["TERM"] == "xterm-256color"
    assert values["COLORTERM"] == "truecolor"
    assert values["TMUX"] == "-"
    assert values["TMUX_PANE"] == "-"


def test_terminal_notification_plain_and_in_tmux():
    plain = terminal_notification("agentdeck", "Fix; it\x07 waits", inside_tmux=False)
    assert plain == "\x1b]9;agentdeck: Fix, it  waits\x07\x1b]777;notify;agentdeck;Fix, it  waits\x07"
    wrapped = terminal_notification("agentdeck", "done", inside_tmux=True)
    assert wrapped.startswith("\x1bPtmux;\x1b\x1b]9;agentdeck: done\x07\x1b\\")
    assert wrapped.count("\x1bPtmux;") == 2


def test_one_notification_per_status_event():
    assert notification_for(SessionStatus.WORKING, SessionStatus.WAITING)[1] == "warning"
    assert notification_for(SessionStatus.WORKING, SessionStatus.IDLE)[0] == "finished its turn"
    assert notification_for(SessionStatus.STARTING, SessionStatus.IDLE) is None
    assert notification_for(SessionStatus.WAITING, SessionStatus.IDLE) is None
    assert notification_for(SessionStatus.IDLE, SessionStatus.WORKING) is None
    assert notification_for(SessionStatus.WORKING, SessionStatus.FAILED)[1] == "error"
    assert notification_for(SessionStatus.IDLE, SessionStatus.EXITED)[0] == "exited"
