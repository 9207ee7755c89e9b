"""Hook wiring: per-invocation settings, the hook program, event reading and the status they give."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest

from agentdeck.config import load_config
from agentdeck.deck import Deck
from agentdeck.hooks import EventReader, claude_settings, status_for_event, wire_hooks
from agentdeck.repository import find_repository
from agentdeck.tasks import SessionStatus
from tests.conftest import commit_files, python_env

FAKE_CLAUDE = Path(__file__).parent / "fixtures" / "fake_claude.py"


def run_hook(command: str, payload: dict, events: Path | None) -> subprocess.CompletedProcess[str]:
    environment = python_env()
    environment.pop("AGENTDECK_EVENTS", None)
    if events is not None:
        environment["AGENTDECK_EVENTS"] = str(events)
    return subprocess.run(command, shell=True, input=json.dumps(payload), text=True, capture_output=True, env=environment)


def test_claude_wiring_adds_settings_and_session_id(tmp_path):
    wiring = wire_hooks("claude", ["claude", "fix it"], tmp_path / "hooks", "t1", "uuid-1", resuming=False)

    program, flag, settings_path, id_flag, session_id, prompt = wiring.argv
    assert (program, flag, id_flag, session_id, prompt) == ("claude", "--settings", "--session-id", "uuid-1", "fix it")
    assert json.loads(Path(settings_path).read_text()) == claude_settings()
    assert wiring.environment == {"AGENTDECK_EVENTS": str(tmp_path / "hooks" / "t1.events.jsonl")}


def test_claude_resume_keeps_resume_arguments(tmp_path):
    wiring = wire_hooks("claude", ["claude", "--resume", "uuid-1"], tmp_path, "t1", "uuid-1", resuming=True)
    assert wiring.argv == ["claude", "--settings", str(tmp_path / "t1.claude-settings.json"), "--resume", "uuid-1"]


def test_codex_wiring_adds_notify_override(tmp_path):
    wiring = wire_hooks("codex", ["codex", "fix it"], tmp_path, "t1", "uuid-1", resuming=False)
    assert wiring.argv[:2] == ["codex", "-c"]
    key, value = wiring.argv[2].split("=", 1)
    assert key == "notify"
    assert json.loads(value)[1:] == ["-m", "agentdeck.hook_event", "codex"]
    assert wiring.argv[3] == "fix it"


def test_no_hooks_changes_nothing(tmp_path):
    wiring = wire_hooks(None, ["aider"], tmp_path, "t1", "uuid-1", resuming=False)
    assert wiring.argv == ["aider"]
    assert wiring.events_path is None
    assert not tmp_path.joinpath("t1.events.jsonl").exists()


def test_hook_program_appends_event_quietly(tmp_path):
    events = tmp_path / "events.jsonl"
    command = claude_settings()["hooks"]["Stop"][0]["hooks"][0]["command"]

    result = run_hook(command, {"hook_event_name": "Stop", "session_id": "s", "prompt": "secret"}, events)

    assert result.returncode == 0
    assert result.stdout == ""
    record = json.loads(events.read_text())
    assert record["hook_event_name"] == "Stop"
    assert record["agent"] == "claude"
    assert "prompt" not in record


def test_hook_program_is_noop_outside_agentdeck(tmp_path):
    command = claude_settings()["hooks"]["Stop"][0]["hooks"][0]["command"]
    result = run_hook(command, {"hook_event_name": "Stop"}, None)
    assert result.returncode == 0
    assert result.stdout == ""
    assert list(tmp_path.iterdir()) == []


def test_hook_program_survives_bad_input(tmp_path):
    events = tmp_path / "events.jsonl"
    environment = dict(python_env(), AGENTDECK_EVENTS=str(events))
    result = subprocess.run(
        [sys.executable, "-m", "agentdeck.hook_event", "claude"], input="not json", text=True, capture_output=True, env=environment
    )
    assert result.returncode == 0
    assert json.loads(events.read_text())["agent"] == "claude"


@pytest.mark.parametrize(
    ("event", "expected"),
    [
        ({"agent": "claude", "hook_event_name": "UserPromptSubmit"}, SessionStatus.WORKING),
        ({"agent": "claude", "hook_event_name": "PreToolUse"}, SessionStatus.WORKING),
        ({"agent": "claude", "hook_event_name": "PermissionRequest"}, SessionStatus.WAITING),
        ({"agent": "claude", "hook_event_name": "Notification", "notification_type": "permission_prompt"}, SessionStatus.WAITING),
        ({"agent": "claude", "hook_event_name": "Notification", "notification_type": "idle_prompt"}, SessionStatus.IDLE),
        ({"agent": "claude", "hook_event_name": "Notification", "notification_type": "auth_success"}, None),
        ({"agent": "claude", "hook_event_name": "Stop"}, SessionStatus.IDLE),
        ({"agent": "claude", "hook_event_name": "Stop", "agent_id": "sub-1"}, None),
        ({"agent": "claude", "hook_event_name": "PreToolUse", "agent_id": "sub-1"}, None),
        ({"agent": "claude", "hook_event_name": "SessionStart"}, None),
        ({"agent": "codex", "type": "agent-turn-complete"}, SessionStatus.IDLE),
        ({"agent": "codex", "type": "something-else"}, None),
    ],
)
def test_status_for_event(event, expected):
    assert status_for_event(event) is expected


def test_event_reader_handles_partial_and_bad_lines(tmp_path):
    path = tmp_path / "events.jsonl"
    reader = EventReader(path)
    assert reader.poll() is None

    with path.open("a") as handle:
        handle.write(json.dumps({"agent": "claude", "hook_event_name": "UserPromptSubmit", "time": 1}) + "\n")
        handle.write("garbage\n")
        handle.write('{"agent": "claude", "hook_event_name": "Sto')
    assert reader.poll() is SessionStatus.WORKING

    with path.open("a") as handle:
        handle.write('p", "time": 2}\n')
    assert reader.poll() is SessionStatus.IDLE
    assert reader.events_read == 2


def test_status_from_hooks_end_to_end(repo, repo_path, tmp_path, monkeypatch, isolated_home):
    # The user's own agent settings, which must come through byte for byte.
    user_files = {
        isolated_home / ".claude" / "settings.json": b'{"hooks": {"Stop": []}, "model": "mine"}\n',
        isolated_home / ".codex" / "config.toml": b'model = "mine"\n',
        repo_path / ".claude" / "settings.local.json": b'{"permissions": {}}\n',
    }
    for path, content in user_files.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content)

    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    claude = bin_dir / "claude"
    claude.write_text(f"#!{sys.executable}\n" + FAKE_CLAUDE.read_text())
    claude.chmod(claude.stat().st_mode | stat.S_IXUSR)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.setenv("PYTHONPATH", python_env()["PYTHONPATH"])
    commit_files(repo, {".agentdeck/config.toml": 'default_agent = "claude"\n'}, "config")

    deck = Deck(find_repository(repo_path), load_config(repo_path))
    try:
        task = deck.create_task("Hooks", "do the thing")
        seen: list[SessionStatus] = []

        def wait_status(expected: SessionStatus, timeout: float = 15.0) -> None:
            deadline = time.monotonic() + timeout
            while time.monotonic() < deadline:
                deck.refresh_statuses()
                status = deck.task(task.id).status
                if not seen or seen[-1] is not status:
                    seen.append(status)
                if status is expected:
                    return
                time.sleep(0.05)
            raise AssertionError(f"status {expected.value} not reached; saw {[item.value for item in seen]}")

        wait_status(SessionStatus.WAITING)
        deck.session(task.id).write(b"yes\r")
        wait_status(SessionStatus.WORKING)
        # The subagent's Stop fires at once, the main Stop a second later: until then the turn is still working.
        deadline = time.monotonic() + 0.6
        while time.monotonic() < deadline:
            deck.refresh_statuses()
            assert deck.task(task.id).status is SessionStatus.WORKING
            time.sleep(0.05)
        wait_status(SessionStatus.IDLE)

        assert deck.session(task.id).status_detail == "hook"
        assert SessionStatus.WORKING in seen
        events = (deck.repository.state_dir / "hooks" / f"{task.id}.events.jsonl").read_text().splitlines()
        assert any('"agent_id": "subagent-1"' in line for line in events)
    finally:
        deck.shutdown()

    for path, content in user_files.items():
        assert path.read_bytes() == content


def test_busy_marker_after_turn_end_wins(tmp_path):
    # Codex reports only turn ends; a new turn shows "esc to interrupt" and must read as working.
    from agentdeck.screen_rules import CODEX_RULES
    from agentdeck.sessions import Session, agent_environment

    events = tmp_path / "events.jsonl"
    events.write_text(json.dumps({"agent": "codex", "type": "agent-turn-complete", "time": time.time()}) + "\n")
    script = "import time; print('done', flush=True); time.sleep(1.2); print('• Working (0s • esc to interrupt)', flush=True); time.sleep(30)"
    session = Session("t", [sys.executable, "-c", script], tmp_path, agent_environment(os.environ, {}), rules=CODEX_RULES, events_path=events)
    session.start()
    try:
        deadline = time.monotonic() + 1.0
        while time.monotonic() < deadline:
            session.update_status()
            time.sleep(0.05)
        assert session.status is SessionStatus.IDLE
        deadline = time.monotonic() + 10
        while session.update_status() is not SessionStatus.WORKING and time.monotonic() < deadline:
            time.sleep(0.05)
        assert session.status is SessionStatus.WORKING
        assert session.status_detail.startswith("screen")
    finally:
        session.stop()
