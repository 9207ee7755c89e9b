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
