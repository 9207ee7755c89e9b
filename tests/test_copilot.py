"""GitHub Copilot CLI in a real PTY: its start-up dialogs, one scripted turn, and its first screen in tmux.

Signed out and without a model provider, Copilot CLI first shows a dialog to trust the
folder, then tells the user to sign in with ``/login``. agentdeck must read both as
waiting and must never answer the sign-in for the user. With ``COPILOT_PROVIDER_BASE_URL``
pointing at the scripted model server on 127.0.0.1 ("bring your own key" mode), one
turn creates a file, asks before a shell command and ends, as for the agents in
``tests/test_real_agents.py``. With ``AGENTDECK_RECORD_SCREENS=1`` the screens are
written to ``tests/fixtures/screens/copilot-<phase>.txt``.

Copilot CLI unpacks about 235 MB into ``$XDG_CACHE_HOME/copilot`` on its first start,
so the tests share one temporary cache folder; settings and state stay in each test's
temporary HOME.
"""

from __future__ import annotations

import logging
import re
import subprocess
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from agentdeck.agents import BUILTIN_AGENTS
from agentdeck.screen_rules import bottom_lines, read_screen
from agentdeck.sessions import AUTO_ACCEPT_STABLE_SECONDS, Session, agent_environment
from agentdeck.tasks import SessionStatus
from tests import agent_lab
from tests.model_server import ModelServer
from tests.test_agent_status import run_turn
from tests.test_real_agents import (
    COLUMNS,
    ROWS,
    SCREEN_WORKTREE,
    STEP_TIMEOUT,
    save_screen,
    screen,
    turn_finished,
    wait_for_file,
    wait_for_model_request,
    wait_for_quiet,
    wait_for_screen,
)
from tests.test_terminal_live import live, needs_tmux  # noqa: F401 (live is a fixture)

pytestmark = pytest.mark.slow

PROFILE = BUILTIN_AGENTS["copilot"]

TRUST_QUESTION = "Do you trust the files in this folder?"
SIGN_IN_NOTICE = "Please use /login to sign in to use Copilot"
BUSY_MARKER = "esc esc"
"""The footer keys while a turn runs: "esc esc interrupt", or "esc esc edit prompt" before the first reply."""
SHELL_QUESTION = "Do you want to run this command?"


SHORTENED_PATH = re.compile(r"/tmp/[^\s()]*\.\.\.[^\s()]*")
"""A temporary path that Copilot shortened with "/.../", which :func:`save_screen` cannot recognise."""


def save(phase: str, text: str, worktree: Path) -> None:
    """Save the screen as ``copilot-<phase>``, with shortened temporary paths replaced as well."""
    text = SHORTENED_PATH.sub(lambda match: SCREEN_WORKTREE.ljust(len(match.group(0))), text)
    save_screen("copilot", phase, text, worktree)


def require_copilot() -> str:
    path = agent_lab.installed("copilot")
    if path is None:
        pytest.skip("copilot is not installed; npm install -g @github/copilot")
    return path


@pytest.fixture(scope="module")
def copilot_cache(tmp_path_factory) -> Path:
    """A cache folder holding the unpacked program, shared by the tests of this module."""
    program = require_copilot()
    cache = tmp_path_factory.mktemp("copilot-cache")
    home = tmp_path_factory.mktemp("copilot-unpack-home")
    environment = agent_lab.copilot_environment(home)
    environment["XDG_CACHE_HOME"] = str(cache)
    # Any command unpacks the program, and --version opens no network connection.
    subprocess.run([program, "--version"], env=environment, capture_output=True, check=True, timeout=120)
    return cache


@pytest.fixture
def worktree(repo_path: Path) -> Path:
    return repo_path


@pytest.fixture
def server() -> Iterator[ModelServer]:
    with ModelServer() as running:
        yield running


@pytest.fixture
def sessions(tmp_path, copilot_cache) -> Iterator[list[Session]]:
    """Started sessions. Each is stopped after the test, and no Copilot process may outlive it."""
    started: list[Session] = []
    yield started
    for session in started:
        session.stop()
    leftovers = agent_lab.processes_under(tmp_path / "home") + agent_lab.processes_under(copilot_cache)
    assert leftovers == [], f"processes outlived the session: {leftovers}"


def signed_out_environment(home: Path, cache: Path) -> dict[str, str]:
    """Return an environment with no GitHub token and no model provider, so Copilot CLI is signed out."""
    environment = agent_lab.copilot_environment(home)
    environment["XDG_CACHE_HOME"] = str(cache)
    return environment


def profile_argv(prompt: str, session_id: str | None = None) -> list[str]:
    """Return the built-in profile's command for *prompt*, with the flags that keep updates and telemetry off."""
    program, *arguments = PROFILE.argv(prompt, session_id or str(uuid.uuid4()))
    return [agent_lab.installed(program) or program, *agent_lab.COPILOT_FLAGS, *arguments]


def start(argv: list[str], environment: dict[str, str], worktree: Path, auto_accept: bool = False) -> Session:
    session = Session(
        "copilot", argv, worktree, agent_environment(environment, {}), COLUMNS, ROWS,
        rules=PROFILE.rules, auto_accept=auto_accept,
    )
    session.start()
    return session


def wait_for_status(session: Session, expected: SessionStatus, timeout: float = STEP_TIMEOUT) -> None:
    """Poll :meth:`Session.update_status` until it returns *expected*; fail with the screen otherwise."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if session.update_status() is expected:
            return
        time.sleep(0.1)
    pytest.fail(f"status stayed {session.status.value} ({session.status_detail}), expected {expected.value}; "
                f"the screen was:\n{screen(session)}")


def statuses_for(session: Session, seconds: float) -> list[SessionStatus]:
    """Call :meth:`Session.update_status` every 0.1 s for *seconds*, as the deck does, and return each result."""
    seen = []
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        seen.append(session.update_status())
        time.sleep(0.1)
    return seen


def test_first_screen_is_trust_dialog(worktree, tmp_path, copilot_cache, sessions):
    environment = signed_out_environment(tmp_path / "home", copilot_cache)
    session = start(profile_argv(agent_lab.PROMPT), environment, worktree)
    sessions.append(session)

    wait_for_screen(session, lambda text: TRUST_QUESTION in text, "the folder trust dialog")
    text = wait_for_quiet(session)
    save("trust", text, worktree)
    assert "Confirm folder trust" in text
    assert "❯ 1. Yes" in text
    assert str(worktree) in text

    wait_for_status(session, SessionStatus.WAITING)
    reading = read_screen(screen(session), PROFILE.rules)
    assert reading.prompt is not None
    assert reading.prompt.accept == b"\r"
    # Without auto-accept no keys are sent, so the dialog stays up.
    assert set(statuses_for(session, 1.0)) == {SessionStatus.WAITING}
    assert TRUST_QUESTION in screen(session)


def test_sign_in_never_auto_accepted(worktree, tmp_path, copilot_cache, sessions, caplog):
    caplog.set_level(logging.INFO, logger="agentdeck.sessions")
    environment = signed_out_environment(tmp_path / "home", copilot_cache)
    session = start(profile_argv(agent_lab.PROMPT), environment, worktree, auto_accept=True)
    sessions.append(session)

    # Auto-accept sends Enter to the trust dialog ("1. Yes", this session only). Then the sign-in notice shows.
    deadline = time.monotonic() + STEP_TIMEOUT
    while SIGN_IN_NOTICE not in screen(session) and time.monotonic() < deadline and session.is_alive:
        session.update_status()
        time.sleep(0.1)
    text = wait_for_quiet(session)
    assert SIGN_IN_NOTICE in text, f"no sign-in notice; the screen was:\n{text}"
    assert TRUST_QUESTION not in text
    save("sign-in", text, worktree)

    wait_for_status(session, SessionStatus.WAITING)
    reading = read_screen(screen(session), PROFILE.rules)
    assert reading.prompt is not None
    assert reading.prompt.accept is None
    bottom = bottom_lines(screen(session), 6)
    # Several times longer than auto-accept waits before it sends a dialog's keys.
    seen = statuses_for(session, 8 * AUTO_ACCEPT_STABLE_SECONDS)
    assert set(seen) == {SessionStatus.WAITING}
    assert bottom_lines(screen(session), 6) == bottom, "something was typed at the sign-in notice"
    # Auto-accept sent keys once in all, to the trust dialog.
    accepted = [record.getMessage() for record in caplog.records if "auto-accepting" in record.getMessage()]
    assert len(accepted) == 1, accepted


def test_copilot_turn(server, worktree, tmp_path, copilot_cache, sessions):
    run = agent_lab.copilot_run(server.url, worktree, tmp_path / "home", prompt=None)
    run.environment["XDG_CACHE_HOME"] = str(copilot_cache)
    server.script = run.script
    session = start(run.argv, run.environment, worktree)
    sessions.append(session)

    wait_for_screen(session, lambda text: "/ commands" in text, "the Copilot input box")
    save("start", wait_for_quiet(session), worktree)
    wait_for_status(session, SessionStatus.IDLE)

    server.hold()
    session.send_prompt(agent_lab.PROMPT)
    request = wait_for_model_request(server, session)
    assert request.path == "/v1/chat/completions"
    assert request.headers["authorization"] == f"Bearer {agent_lab.FAKE_KEY}"
    assert request.json["model"] == agent_lab.MODEL_NAME
    working = wait_for_screen(session, lambda text: BUSY_MARKER in text, "the busy marker")
    save("working", working, worktree)
    wait_for_status(session, SessionStatus.WORKING)
    server.release()

    wait_for_file(worktree / agent_lab.EDITED_FILE, session, text=agent_lab.EDITED_TEXT)
    assert (worktree / agent_lab.EDITED_FILE).read_text() == agent_lab.EDITED_TEXT
    prompt = wait_for_screen(session, lambda text: SHELL_QUESTION in text, "the permission prompt")
    save("permission", wait_for_quiet(session), worktree)
    assert "❯ 1. Yes" in prompt
    assert agent_lab.SHELL_COMMAND in prompt
    wait_for_status(session, SessionStatus.WAITING)
    assert not (worktree / agent_lab.SHELL_MARKER).exists()

    session.write(b"\r")
    wait_for_file(worktree / agent_lab.SHELL_MARKER, session)
    wait_for_screen(session, turn_finished(BUSY_MARKER), "the end of the turn")
    save("idle", wait_for_quiet(session), worktree)
    wait_for_status(session, SessionStatus.IDLE)

    # COPILOT_OFFLINE keeps every other request away, so the server saw only model requests.
    assert {path for path in server.paths()} == {"POST /v1/chat/completions"}


def test_resume_continues_same_conversation(server, worktree, tmp_path, copilot_cache, sessions):
    """The profile names the conversation at start, and its resume command reopens that one, not another folder's."""
    run = agent_lab.copilot_run(server.url, worktree, tmp_path / "home", prompt=None)
    run.environment["XDG_CACHE_HOME"] = str(copilot_cache)
    server.script = [agent_lab.Text("First answer, kept for later.")]
    conversation = str(uuid.uuid4())
    session = start(profile_argv("Say something.", conversation), run.environment, worktree)
    sessions.append(session)
    wait_for_screen(session, lambda text: "First answer, kept for later." in text, "the first answer")
    wait_for_status(session, SessionStatus.IDLE)
    session.stop()

    state = tmp_path / "home" / ".copilot" / "session-state"

    def conversations() -> list[str]:
        return sorted(path.name for path in state.iterdir() if not path.name.startswith("."))

    assert conversations() == [conversation]
    program, *arguments = PROFILE.resume_argv(conversation)
    resumed = start([agent_lab.installed(program) or program, *agent_lab.COPILOT_FLAGS, *arguments], run.environment, worktree)
    sessions.append(resumed)
    wait_for_screen(resumed, lambda text: "First answer, kept for later." in text, "the earlier answer after resuming")
    assert conversations() == [conversation]


@pytest.fixture
def slow_server() -> Iterator[ModelServer]:
    # Slow streaming keeps each working phase long enough for a status refresh to see it.
    with ModelServer(chunk_delay=0.15) as running:
        yield running


def test_status_sequence_through_deck(repo_path, tmp_path, slow_server, monkeypatch, copilot_cache):
    def make_run(url: str, tree: Path, home: Path) -> agent_lab.AgentRun:
        run = agent_lab.copilot_run(url, tree, home, prompt=None)
        run.environment["XDG_CACHE_HOME"] = str(copilot_cache)
        return run

    # The built-in profile's form: --interactive with the prompt, after the test's flags.
    def command_of(run: agent_lab.AgentRun) -> list[str]:
        return [*run.argv, *PROFILE.command[1:]]

    seen, worktree = run_turn(repo_path, tmp_path, slow_server, monkeypatch, make_run, command_of, b"\r")
    assert (worktree / agent_lab.EDITED_FILE).read_text() == agent_lab.EDITED_TEXT
    assert agent_lab.processes_under(tmp_path / "home") == []


STARTUP_SCRIPT = """\
mkdir -p "$HOME/.copilot"
printf '%s' '{"showTipsOnStartup": false}' > "$HOME/.copilot/settings.json"
COPILOT_AUTO_UPDATE=false XDG_CACHE_HOME="$1" "${@:2}"
exec sleep 600
"""
"""Start Copilot CLI in the test's HOME without the random start-up tip, which would differ between the two runs."""


@needs_tmux
async def test_startup_screen_matches_tmux(live, copilot_cache) -> None:  # noqa: F811 (live is a fixture)
    program = require_copilot()
    argv = ["bash", "--norc", "--noprofile", "-c", STARTUP_SCRIPT, "copilot-start", str(copilot_cache), program,
            *agent_lab.COPILOT_FLAGS]
    async with live(argv, {"README.md": "# project\n"}, columns=100, rows=30) as comparison:
        await comparison.wait_text(TRUST_QUESTION, timeout=60)
        # Each side runs in its own folder, and the dialog names it.
        rows = await comparison.assert_same_screen(timeout=30, ignored_rows="/home/work")
    assert any("Confirm folder trust" in row for row in rows)
    assert sum(1 for row in rows if row.strip()) >= 10
