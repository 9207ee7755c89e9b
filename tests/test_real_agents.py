"""Real agent CLIs in real PTYs, driven through one scripted turn against the local model server.

Each test starts the agent through :class:`agentdeck.sessions.Session` in a temporary git repository.
The server delays the first model reply so the busy screen can be captured. Then the agent creates
``hello.txt``, the test approves the scripted shell command at the permission prompt, and the test
waits for the end of the turn.

With ``AGENTDECK_RECORD_SCREENS=1`` the screen at each phase is written to
``tests/fixtures/screens/<agent>-<phase>.txt``, so status rules can be tested on real screens without
the agents installed. Otherwise the screens go to the test's temporary folder, so a test run leaves
the committed fixtures alone.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from agentdeck.sessions import Session, agent_environment
from tests import agent_lab
from tests.model_server import MODEL_PROTOCOLS, ModelServer, RecordedRequest

pytestmark = pytest.mark.slow

SCREENS = Path(__file__).parent / "fixtures" / "screens"
COLUMNS, ROWS = 120, 40
STEP_TIMEOUT = 180.0
"""Seconds one phase may take. OpenCode took 10 s to its first request on an idle 2-core machine and
over 60 s with the load average at 15, so the limit is generous."""

SCREEN_WORKTREE = "/work/project"
"""The path that replaces the temporary worktree in saved screens."""

SCREEN_TEMPORARY = "/work/tmp"
"""The path that replaces the test's temporary folder in saved screens."""


def require(program: str) -> str:
    path = agent_lab.installed(program)
    if path is None:
        pytest.skip(f"{program} is not installed; see docs/agents.md for how to install it")
    return path


@pytest.fixture
def server() -> Iterator[ModelServer]:
    with ModelServer() as running:
        yield running


@pytest.fixture
def worktree(repo_path: Path) -> Path:
    return repo_path


def screen(session: Session) -> str:
    with session.lock:
        return session.terminal.text()


def wait_for_screen(session: Session, condition: Callable[[str], bool], what: str,
                    timeout: float = STEP_TIMEOUT) -> str:
    """Poll the screen until *condition* is true and return its text; fail with the last screen otherwise."""
    deadline = time.monotonic() + timeout
    text = screen(session)
    while time.monotonic() < deadline:
        text = screen(session)
        if condition(text):
            return text
        if not session.is_alive:
            break
        time.sleep(0.2)
    pytest.fail(f"timed out waiting for {what}; the screen was:\n{text}")


def turn_finished(busy_marker: str) -> Callable[[str], bool]:
    """Return a screen condition: the final reply is shown and *busy_marker* is gone."""
    return lambda text: agent_lab.FINAL_REPLY in text and busy_marker not in text


def wait_for_quiet(session: Session, quiet: float = 1.0, timeout: float = 4.0) -> str:
    """Wait until the agent has written nothing for *quiet* seconds, or *timeout* passed; return the screen.

    Some screens never go quiet (Aider's spinner, the timer behind Codex's approval prompt), so the
    wait is bounded and only lets a frame that is being drawn finish.
    """
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        last = session.last_output_at
        if last is not None and time.monotonic() - last >= quiet:
            break
        time.sleep(0.1)
    return screen(session)


def wait_for_file(path: Path, session: Session, timeout: float = STEP_TIMEOUT, text: str | None = None) -> None:
    """Wait until *path* exists and, when *text* is given, contains it, because agents create a file before writing it."""

    def ready() -> bool:
        return path.exists() and (text is None or path.read_text() == text)

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and not ready():
        time.sleep(0.2)
    assert path.exists(), f"{path.name} was not created; the screen was:\n{screen(session)}"


def wait_for_model_request(server: ModelServer, session: Session) -> RecordedRequest:
    request = server.wait_for(lambda recorded: recorded.protocol in MODEL_PROTOCOLS,
                              STEP_TIMEOUT)
    assert request is not None, (
        f"no model request reached the server (got {server.paths()}); the screen was:\n{screen(session)}"
    )
    return request


def screens_folder(worktree: Path) -> Path:
    if os.environ.get("AGENTDECK_RECORD_SCREENS") == "1":
        return SCREENS
    return worktree.parent / "screens"


def save_screen(agent: str, phase: str, text: str, worktree: Path) -> None:
    """Write the screen to the fixtures, with temporary paths replaced so reruns match.

    Each replacement is padded to the length of the path it replaces, so columns after it stay put.
    The worktree's parent is the test's temporary folder, where hook logs live too.
    """
    folder = screens_folder(worktree)
    folder.mkdir(parents=True, exist_ok=True)
    text = text.replace(str(worktree), SCREEN_WORKTREE.ljust(len(str(worktree))))
    text = text.replace(str(worktree.parent), SCREEN_TEMPORARY.ljust(len(str(worktree.parent))))
    lines = [line.rstrip() for line in text.splitlines()]
    (folder / f"{agent}-{phase}.txt").write_text("\n".join(lines).rstrip("\n") + "\n", encoding="utf-8")


def start_session(run: agent_lab.AgentRun, worktree: Path) -> Session:
    session = Session(run.name, run.argv, worktree, agent_environment(run.environment, {}), COLUMNS, ROWS)
    session.start()
    return session


@pytest.fixture
def sessions(tmp_path) -> Iterator[list[Session]]:
    """Started sessions; each is stopped after the test, and no process may outlive it."""
    started: list[Session] = []
    yield started
    for session in started:
        session.stop()
    # Agents must not leave daemons behind: a deck that stops a task expects its processes gone.
    leftovers = agent_lab.processes_under(tmp_path / "home")
    assert leftovers == [], f"processes outlived the session: {leftovers}"


def test_claude_code_turn(server, worktree, tmp_path, sessions):
    require("claude")
    hook_log = tmp_path / "hooks.jsonl"
    run = agent_lab.claude_run(server.url, worktree, tmp_path / "home", hook_log=hook_log, prompt=None)
    server.script = run.script
    session = start_session(run, worktree)
    sessions.append(session)

    ready = wait_for_screen(session, lambda text: "accept edits on" in text, "the Claude Code input box")
    save_screen("claude", "start", wait_for_quiet(session), worktree)
    assert "Claude Code" in ready

    server.hold()
    session.send_prompt(agent_lab.PROMPT)
    request = wait_for_model_request(server, session)
    assert request.path == "/v1/messages"
    assert request.headers["x-api-key"] == agent_lab.FAKE_KEY
    working = wait_for_screen(session, lambda text: "esc to interrupt" in text, "the busy marker")
    save_screen("claude", "working", working, worktree)
    server.release()

    wait_for_file(worktree / agent_lab.EDITED_FILE, session, text=agent_lab.EDITED_TEXT)
    assert (worktree / agent_lab.EDITED_FILE).read_text() == agent_lab.EDITED_TEXT
    prompt = wait_for_screen(session, lambda text: "Do you want to proceed?" in text, "the permission prompt")
    save_screen("claude", "permission", wait_for_quiet(session), worktree)
    assert "This command requires approval" in prompt
    assert "1. Yes" in prompt
    assert not (worktree / agent_lab.SHELL_MARKER).exists()

    session.write(b"\r")
    wait_for_file(worktree / agent_lab.SHELL_MARKER, session)
    wait_for_screen(session, turn_finished("esc to interrupt"), "the end of the turn")
    save_screen("claude", "idle", wait_for_quiet(session), worktree)

    events = [json.loads(line) for line in hook_log.read_text().splitlines()]
    names = [event["event"] for event in events]
    for expected in ("SessionStart", "UserPromptSubmit", "PreToolUse", "PermissionRequest", "Stop"):
        assert expected in names, f"hook {expected} did not fire; got {names}"
    permission = json.loads(events[names.index("PermissionRequest")]["stdin"])
    assert permission["tool_name"] == "Bash"
    assert permission["tool_input"]["command"] == agent_lab.SHELL_COMMAND
    stop = json.loads(events[names.index("Stop")]["stdin"])
    assert stop["last_assistant_message"] == agent_lab.FINAL_REPLY


def test_codex_turn(server, worktree, tmp_path, sessions):
    require("codex")
    notify_log = tmp_path / "notify.jsonl"
    hook_log = tmp_path / "hooks.jsonl"
    run = agent_lab.codex_run(server.url, worktree, tmp_path / "home", notify_log=notify_log, prompt=None,
                              hook_log=hook_log)
    server.script = run.script
    session = start_session(run, worktree)
    sessions.append(session)

    wait_for_screen(session, lambda text: "Ask Codex to do anything" in text, "the Codex input box")
    save_screen("codex", "start", wait_for_quiet(session), worktree)

    server.hold()
    session.send_prompt(agent_lab.PROMPT)
    request = wait_for_model_request(server, session)
    assert request.path == "/v1/responses"
    assert request.headers["authorization"] == f"Bearer {agent_lab.FAKE_KEY}"
    working = wait_for_screen(session, lambda text: "esc to interrupt" in text, "the busy marker")
    save_screen("codex", "working", working, worktree)
    server.release()

    wait_for_file(worktree / agent_lab.EDITED_FILE, session, text=agent_lab.EDITED_TEXT)
    assert (worktree / agent_lab.EDITED_FILE).read_text() == agent_lab.EDITED_TEXT
    prompt = wait_for_screen(session, lambda text: "Would you like to run the following command?" in text,
                             "the permission prompt")
    save_screen("codex", "permission", wait_for_quiet(session), worktree)
    assert "1. Yes, proceed (y)" in prompt
    assert not (worktree / agent_lab.SHELL_MARKER).exists()

    session.write(b"\r")
    wait_for_file(worktree / agent_lab.SHELL_MARKER, session)
    wait_for_screen(session, turn_finished("esc to interrupt"), "the end of the turn")
    save_screen("codex", "idle", wait_for_quiet(session), worktree)

    deadline = time.monotonic() + STEP_TIMEOUT
    while time.monotonic() < deadline:
        if notify_log.exists() and agent_lab.FINAL_REPLY in notify_log.read_text():
            break
        time.sleep(0.2)
    notes = [json.loads(line) for line in notify_log.read_text().splitlines()]
    turns = [note for note in notes if note.get("last-assistant-message") == agent_lab.FINAL_REPLY]
    assert turns, f"notify did not report the scripted turn; got {notes}"
    assert turns[0]["type"] == "agent-turn-complete"
    assert turns[0]["input-messages"] == [agent_lab.PROMPT]

    events = [json.loads(line) for line in hook_log.read_text().splitlines()]
    names = [event["event"] for event in events]
    for expected in ("SessionStart", "UserPromptSubmit", "PreToolUse", "PermissionRequest", "Stop"):
        assert expected in names, f"hook {expected} did not fire; got {names}"
    permission = json.loads(events[names.index("PermissionRequest")]["stdin"])
    assert permission["tool_input"]["command"] == agent_lab.SHELL_COMMAND


def test_aider_turn(server, worktree, tmp_path, sessions):
    require("aider")
    run = agent_lab.aider_run(server.url, worktree, tmp_path / "home")
    server.script = run.script
    server.hold()
    session = start_session(run, worktree)
    sessions.append(session)

    request = wait_for_model_request(server, session)
    assert request.path == "/v1/chat/completions"
    assert request.headers["authorization"] == f"Bearer {agent_lab.FAKE_KEY}"
    working = wait_for_quiet(session)
    save_screen("aider", "working", working, worktree)
    assert "Model: openai/scripted-model" in working
    server.release()

    prompt = wait_for_screen(session, lambda text: "Run shell command?" in text, "the permission prompt")
    save_screen("aider", "permission", wait_for_quiet(session), worktree)
    assert "(Y)es/(N)o/(D)on't ask again [Yes]:" in prompt
    assert (worktree / agent_lab.EDITED_FILE).read_text() == agent_lab.EDITED_TEXT
    assert not (worktree / agent_lab.SHELL_MARKER).exists()

    session.write(b"y\r")
    wait_for_file(worktree / agent_lab.SHELL_MARKER, session)
    assert session.wait(STEP_TIMEOUT), f"aider --message did not exit; the screen was:\n{screen(session)}"
    save_screen("aider", "exited", screen(session), worktree)
    assert session.exit_status == 0


def test_opencode_turn(server, worktree, tmp_path, sessions):
    require("opencode")
    run = agent_lab.opencode_run(server.url, worktree, tmp_path / "home")
    server.script = run.script
    server.hold()
    session = start_session(run, worktree)
    sessions.append(session)

    # The first request is for a session title and declares no tools. The turn comes after it.
    def is_turn(recorded: RecordedRequest) -> bool:
        return recorded.protocol == "chat" and bool((recorded.json or {}).get("tools"))

    request = server.wait_for(is_turn, STEP_TIMEOUT)
    assert request is not None, f"no turn request reached the server (got {server.paths()})"
    assert request.headers["authorization"] == f"Bearer {agent_lab.FAKE_KEY}"
    working = wait_for_screen(session, lambda text: "esc interrupt" in text, "the busy marker")
    save_screen("opencode", "working", working, worktree)
    server.release()

    wait_for_file(worktree / agent_lab.EDITED_FILE, session, text=agent_lab.EDITED_TEXT)
    assert (worktree / agent_lab.EDITED_FILE).read_text() == agent_lab.EDITED_TEXT
    prompt = wait_for_screen(session, lambda text: "Permission required" in text, "the permission prompt")
    save_screen("opencode", "permission", wait_for_quiet(session), worktree)
    assert "Allow once" in prompt
    assert not (worktree / agent_lab.SHELL_MARKER).exists()

    session.write(b"\r")
    wait_for_file(worktree / agent_lab.SHELL_MARKER, session)
    wait_for_screen(session, turn_finished("esc interrupt"), "the end of the turn")
    save_screen("opencode", "idle", wait_for_quiet(session), worktree)


def test_gemini_cli_turn(server, worktree, tmp_path, sessions):
    require("gemini")
    hook_log = tmp_path / "hooks.jsonl"
    run = agent_lab.gemini_run(server.url, worktree, tmp_path / "home", hook_log=hook_log)
    server.script = run.script
    server.hold()
    session = start_session(run, worktree)
    sessions.append(session)

    request = wait_for_model_request(server, session)
    assert request.path == f"/v1beta/models/{agent_lab.MODEL_NAME}:streamGenerateContent"
    assert request.headers["x-goog-api-key"] == agent_lab.FAKE_KEY
    working = wait_for_screen(session, lambda text: "esc to cancel" in text, "the busy marker")
    save_screen("gemini", "working", working, worktree)
    server.release()

    wait_for_file(worktree / agent_lab.EDITED_FILE, session, text=agent_lab.EDITED_TEXT)
    assert (worktree / agent_lab.EDITED_FILE).read_text() == agent_lab.EDITED_TEXT
    prompt = wait_for_screen(session, lambda text: "Allow execution of [Shell]?" in text, "the permission prompt")
    save_screen("gemini", "permission", wait_for_quiet(session), worktree)
    assert "1. Allow once" in prompt
    assert not (worktree / agent_lab.SHELL_MARKER).exists()

    session.write(b"\r")
    wait_for_file(worktree / agent_lab.SHELL_MARKER, session)
    wait_for_screen(session, turn_finished("esc to cancel"), "the end of the turn")
    save_screen("gemini", "idle", wait_for_quiet(session), worktree)

    events = [json.loads(line) for line in hook_log.read_text().splitlines()]
    names = [event["event"] for event in events]
    for expected in ("SessionStart", "BeforeAgent", "BeforeTool", "Notification", "AfterAgent"):
        assert expected in names, f"hook {expected} did not fire; got {names}"
    notification = json.loads(events[names.index("Notification")]["stdin"])
    assert notification["notification_type"] == "ToolPermission"
    assert notification["details"]["command"] == agent_lab.SHELL_COMMAND
    finished = json.loads(events[names.index("AfterAgent")]["stdin"])
    assert finished["prompt_response"] == agent_lab.FINAL_REPLY
