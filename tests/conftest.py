"""Shared fixtures: real temporary git repositories, made with pygit2 and checked with the git CLI."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pygit2
import pytest

SIGNATURE = pygit2.Signature("Test User", "test@example.invalid")


@pytest.fixture(autouse=True)
def isolated_home(tmp_path_factory, monkeypatch):
    """Keep the user's own config, git identity and agent settings out of every test."""
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / ".config"))
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    monkeypatch.setenv("GIT_AUTHOR_NAME", "Test User")
    monkeypatch.setenv("GIT_AUTHOR_EMAIL", "test@example.invalid")
    monkeypatch.setenv("GIT_COMMITTER_NAME", "Test User")
    monkeypatch.setenv("GIT_COMMITTER_EMAIL", "test@example.invalid")
    monkeypatch.delenv("TMUX", raising=False)
    monkeypatch.delenv("TMUX_PANE", raising=False)
    return home


def commit_files(repo: pygit2.Repository, files: dict[str, str | bytes], message: str = "change") -> pygit2.Oid:
    """Write *files* into the working tree of *repo*, stage them and commit on HEAD."""
    root = Path(repo.workdir)
    for name, content in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
    index = repo.index
    index.add_all()
    index.write()
    parents = [] if repo.head_is_unborn else [repo.head.target]
    return repo.create_commit("HEAD", SIGNATURE, SIGNATURE, message, index.write_tree(), parents)


def git(cwd: Path, *args: str) -> str:
    """Run the git CLI (for checking results only) and return its standard output."""
    result = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, check=True)
    return result.stdout


@pytest.fixture
def repo_path(tmp_path) -> Path:
    """A repository at ``tmp_path/project`` with one commit on main and a user identity."""
    path = tmp_path / "project"
    repo = pygit2.init_repository(str(path), initial_head="main")
    repo.config["user.name"] = "Test User"
    repo.config["user.email"] = "test@example.invalid"
    commit_files(repo, {"README.md": "# project\n", "src/app.py": "print('hello')\n"}, "Initial commit")
    return path


@pytest.fixture
def repo(repo_path) -> pygit2.Repository:
    return pygit2.Repository(str(repo_path))


def python_env() -> dict[str, str]:
    """The environment for a child Python that must import agentdeck from this checkout."""
    environment = dict(os.environ)
    root = str(Path(__file__).resolve().parent.parent)
    environment["PYTHONPATH"] = root + os.pathsep + environment.get("PYTHONPATH", "")
    return environment


DEMO_CONFIG = {".agentdeck/config.toml": 'default_agent = "demo"\n', "greet.py": "def greet():\n    return 'hi'\n"}


@pytest.fixture
def demo_repo(repo, repo_path, monkeypatch) -> Path:
    """The repository with the demo agent as default and a greet.py to edit; the agent can import agentdeck."""
    monkeypatch.setenv("PYTHONPATH", python_env()["PYTHONPATH"])
    commit_files(repo, DEMO_CONFIG, "Add config")
    return repo_path


@pytest.fixture
def deck(demo_repo):
    """A deck on ``demo_repo``; every agent it started is stopped afterwards."""
    from agentdeck.config import load_config
    from agentdeck.deck import Deck
    from agentdeck.repository import find_repository

    made = Deck(find_repository(demo_repo), load_config(demo_repo))
    yield made
    made.shutdown()


def wait_for(predicate, timeout: float = 20.0) -> None:
    """Poll *predicate* until it is true; fail after *timeout* seconds."""
    import time

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.05)
    raise AssertionError(f"condition not met within {timeout}s")


def screen_text(deck, task_id: str) -> str:
    """Return the text on the terminal of a task's session."""
    session = deck.session(task_id)
    with session.lock:
        return session.terminal.text()


def run_demo_task(deck, title: str, prompt: str):
    """Create a demo-agent task, answer its question with y, and return it once its edit is done."""
    task = deck.create_task(title, prompt)
    wait_for(lambda: "[y/n]" in screen_text(deck, task.id))
    deck.session(task.id).write(b"y\r")
    wait_for(lambda: "Done." in screen_text(deck, task.id))
    return task
