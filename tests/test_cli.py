"""The command line: bad starting points, init, status and version, run as a user would."""

from __future__ import annotations

import json
import subprocess
import sys

import pygit2

from tests.conftest import python_env


def run_cli(*args: str, cwd=None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "agentdeck", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        env=python_env(),
        stdin=subprocess.DEVNULL,
        timeout=60,
    )


def assert_one_line_error(result: subprocess.CompletedProcess[str], *fragments: str) -> None:
    assert result.returncode == 2
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "Traceback" not in result.stderr
    for fragment in fragments:
        assert fragment in lines[0]


def test_outside_repository(tmp_path):
    folder = tmp_path / "plain"
    folder.mkdir()
    result = run_cli(str(folder))
    assert_one_line_error(result, str(folder), "not inside a git repository", "git init")


def test_missing_path(tmp_path):
    result = run_cli(str(tmp_path / "nowhere"))
    assert_one_line_error(result, "nowhere", "no such file or directory")


def test_empty_repository(tmp_path):
    path = tmp_path / "empty"
    pygit2.init_repository(str(path))
    result = run_cli(str(path))
    assert_one_line_error(result, str(path), "no commits", "first commit")


def test_bare_repository(tmp_path):
    path = tmp_path / "bare.git"
    pygit2.init_repository(str(path), bare=True)
    result = run_cli(str(path))
    assert_one_line_error(result, "bare.git", "bare repository")


def test_default_path_is_current_directory(tmp_path):
    folder = tmp_path / "plain"
    folder.mkdir()
    result = run_cli(cwd=folder)
    assert_one_line_error(result, str(folder), "not inside a git repository")


def test_invalid_config_exits_2(repo_path):
    (repo_path / ".agentdeck").mkdir()
    (repo_path / ".agentdeck" / "config.toml").write_text('default_agent = "claude"\nbranch_prefx = "x/"\n')
    result = run_cli(str(repo_path))
    assert_one_line_error(result, "config.toml", "branch_prefx")


def test_unknown_default_agent_exits_2(repo_path):
    (repo_path / ".agentdeck").mkdir()
    (repo_path / ".agentdeck" / "config.toml").write_text('default_agent = "nosuchagent"\n')
    result = run_cli(str(repo_path))
    assert_one_line_error(result, "nosuchagent", "[agents.nosuchagent]")


def test_status_warns_about_broken_config(repo_path):
    (repo_path / ".agentdeck").mkdir()
    (repo_path / ".agentdeck" / "config.toml").write_text("default_agent = \n")
    result = run_cli("status", str(repo_path))
    # The tasks are still listed: a broken config must not hide them.
    assert result.returncode == 0
    assert "no tasks" in result.stdout
    assert "invalid TOML" in result.stderr


def test_unknown_key_action_exits_2(repo_path):
    (repo_path / ".agentdeck").mkdir()
    (repo_path / ".agentdeck" / "config.toml").write_text('[keys]\nreveiw = "d"\n')
    result = run_cli(str(repo_path))
    assert_one_line_error(result, "reveiw", "unknown action")


def test_version():
    result = run_cli("--version")
    assert result.returncode == 0
    assert result.stdout.startswith("agentdeck ")


def test_init_writes_starter_config(repo_path):
    result = run_cli("init", str(repo_path))
    assert result.returncode == 0, result.stderr
    written = (repo_path / ".agentdeck" / "config.toml").read_text()
    assert 'default_agent = "claude"' in written

    again = run_cli("init", str(repo_path))
    assert again.returncode == 2
    assert "already exists" in again.stderr
    assert (repo_path / ".agentdeck" / "config.toml").read_text() == written


def test_status_without_tasks(repo_path):
    result = run_cli("status", str(repo_path))
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "no tasks"

    as_json = run_cli("status", "--json", str(repo_path))
    assert json.loads(as_json.stdout) == {"version": 1, "tasks": [], "queue": []}


def test_doctor_lists_agents(repo_path):
    result = run_cli("doctor", str(repo_path))
    assert "libgit2" in result.stdout
    for name in ("claude", "codex", "aider", "opencode", "gemini", "copilot", "demo"):
        assert f" {name} (" in result.stdout
    assert "no leftovers" in result.stdout


def test_doctor_reports_missing_worktree(repo_path):
    import shutil

    from agentdeck.config import load_config
    from agentdeck.deck import Deck
    from agentdeck.repository import find_repository

    deck = Deck(find_repository(repo_path), load_config(repo_path, {"default_agent": "demo"}))
    task = deck.create_task("Gone", "")
    deck.shutdown()
    shutil.rmtree(task.worktree)

    result = run_cli("doctor", str(repo_path))

    assert result.returncode == 1
    assert f"worktree {task.worktree} is missing" in result.stdout
    assert "git worktree prune" in result.stdout


def test_status_columns_line_up(deck, demo_repo):
    deck.create_task("Short", "say hi")
    deck.create_task("A much longer title 日本語", "say hello")
    deck.shutdown()

    result = run_cli("status", str(demo_repo))

    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].split() == ["STATUS", "TASK", "AGENT", "BRANCH", "+/-"]
    assert len(lines) == 3
    # Every column starts at the header's offset, counted in terminal cells (日本語 takes six).
    header = lines[0]
    starts = [header.index(name) for name in ("TASK", "AGENT", "BRANCH", "+/-")]
    for line in lines[1:]:
        cells = "".join(character * (2 if "\u3040" <= character <= "\u9fff" else 1) for character in line)
        assert [cells[start - 2 : start] for start in starts] == ["  "] * 4, line
        assert all(cells[start] != " " for start in starts), line
