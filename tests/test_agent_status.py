"""Real agents through the deck: the status sequence of one turn, from hooks and screen rules.

Each agent runs its built-in profile (screen rules and hook wiring) in a task
the deck created, against the scripted model server on 127.0.0.1. The turn
edits a file, requests permission for a shell command, and finishes. The deck
must show working, waiting, working and idle in that order, and the edit must
be in the task's worktree.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import tomli_w

from agentdeck.config import load_config
from agentdeck.deck import Deck
from agentdeck.repository import find_repository
from agentdeck.tasks import SessionStatus
from tests import agent_lab
from tests.conftest import python_env
from tests.model_server import ModelServer

pytestmark = pytest.mark.slow

TITLE = "Agent turn"
TURN_TIMEOUT = 240.0
EXPECTED_ORDER = [SessionStatus.WORKING, SessionStatus.WAITING, SessionStatus.WORKING, SessionStatus.IDLE]


@pytest.fixture
def server() -> Iterator[ModelServer]:
    # Slow streaming keeps each working phase long enough for a status refresh to see it.
    with ModelServer(chunk_delay=0.15) as running:
        yield running


def use_environment(monkeypatch, environment: dict[str, str]) -> None:
    """Make the deck (and so the agent) see *environment*, plus this checkout on PYTHONPATH for the hooks."""
    for key in list(os.environ):
        if key not in environment:
            monkeypatch.delenv(key)
    for key, value in environment.items():
        monkeypatch.setenv(key, value)
    monkeypatch.setenv("PYTHONPATH", python_env()["PYTHONPATH"])


def run_turn(
    repo_path: Path,
    tmp_path: Path,
    server: ModelServer,
    monkeypatch,
    make_run: Callable[[str, Path, Path], agent_lab.AgentRun],
    command_of: Callable[[agent_lab.AgentRun], list[str]],
    approve: bytes,
) -> tuple[list[SessionStatus], Path]:
    worktree = repo_path.parent / "project.worktrees" / "agent-turn"
    run = make_run(server.url, worktree, tmp_path / "home")
    server.script = run.script
    use_environment(monkeypatch, run.environment)
    config = {"agents": {run.name: {"command": command_of(run)}}, "default_agent": run.name}
    (repo_path / ".agentdeck").mkdir(exist_ok=True)
    (repo_path / ".agentdeck" / "config.local.toml").write_text(tomli_w.dumps(config))

    deck = Deck(find_repository(repo_path), load_config(repo_path))
    seen: list[SessionStatus] = []
    try:
        task = deck.create_task(TITLE, agent_lab.PROMPT, columns=120, rows=40)
        assert Path(task.worktree) == worktree
        session = deck.session(task.id)
        approved = False
        waiting_since: float | None = None
        deadline = time.monotonic() + TURN_TIMEOUT
        while time.monotonic() < deadline:
            deck.refresh_statuses()
            status = deck.task(task.id).status
            if not seen or seen[-1] is not status:
                seen.append(status)
            # Approve as a person would: once the dialog has been up for a second, and again if
            # it is still up five seconds later, because a key sent while it is drawn is lost.
            if status is SessionStatus.WAITING:
                waiting_since = waiting_since or time.monotonic()
                waited = time.monotonic() - waiting_since
                if (not approved and waited >= 1.0) or waited >= 6.0:
                    session.write(approve)
                    approved = True
                    waiting_since = time.monotonic() if waited >= 6.0 else waiting_since
            else:
                waiting_since = None
            if approved and status is SessionStatus.IDLE and (worktree / agent_lab.SHELL_MARKER).exists():
                break
            if not session.is_alive:
                break
            time.sleep(0.1)
        with session.lock:
            screen = session.terminal.text()
    finally:
        deck.shutdown()
    # Exactly this order, with no flap in between: a flap would also mean a notification too many.
    after_start = [status for status in seen if status is not SessionStatus.STARTING]
    assert after_start == EXPECTED_ORDER, f"statuses {[status.value for status in seen]}; screen:\n{screen}"
    return seen, worktree


def with_prompt_placeholder(run: agent_lab.AgentRun) -> list[str]:
    return [*run.argv, "{prompt}"]


def test_claude_code_status_sequence(repo_path, tmp_path, server, monkeypatch):
    if agent_lab.installed("claude") is None:
        pytest.skip("claude is not installed; npm install -g @anthropic-ai/claude-code")
    seen, worktree = run_turn(
        repo_path, tmp_path, server, monkeypatch,
        lambda url, tree, home: agent_lab.claude_run(url, tree, home, prompt=None),
        with_prompt_placeholder,
        b"\r",
    )
    assert (worktree / agent_lab.EDITED_FILE).read_text() == agent_lab.EDITED_TEXT
    events = list((repo_path / ".git" / "agentdeck" / "hooks").glob("*.events.jsonl"))
    assert events, "Claude Code's hooks reported nothing"
    assert '"PermissionRequest"' in events[0].read_text()


def test_codex_status_sequence(repo_path, tmp_path, server, monkeypatch):
    if agent_lab.installed("codex") is None:
        pytest.skip("codex is not installed; npm install -g @openai/codex")
    seen, worktree = run_turn(
        repo_path, tmp_path, server, monkeypatch,
        lambda url, tree, home: agent_lab.codex_run(url, tree, home, prompt=None),
        with_prompt_placeholder,
        b"\r",
    )
    assert (worktree / agent_lab.EDITED_FILE).read_text() == agent_lab.EDITED_TEXT
    assert agent_lab.processes_under(tmp_path / "home") == []


def test_aider_status_sequence(repo_path, tmp_path, server, monkeypatch):
    if agent_lab.installed("aider") is None:
        pytest.skip("aider is not installed; see docs/agents.md")
    # Aider takes no first prompt on its command line and stays interactive, so the deck
    # types the prompt into its terminal once it is ready.
    seen, worktree = run_turn(
        repo_path, tmp_path, server, monkeypatch,
        lambda url, tree, home: agent_lab.aider_run(url, tree, home, prompt=None),
        lambda run: list(run.argv),
        b"y\r",
    )
    assert (worktree / agent_lab.EDITED_FILE).read_text() == agent_lab.EDITED_TEXT
