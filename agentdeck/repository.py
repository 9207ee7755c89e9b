"""Find and open the repository agentdeck works on.

A linked worktree leads back to its main repository, so starting agentdeck from
inside a task's worktree opens the same deck as starting it in the main checkout.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import pygit2

from agentdeck.errors import RepositoryError


@dataclass(frozen=True)
class RepositoryInfo:
    """Paths of an opened repository."""

    root: Path
    """The main checkout: the main working tree of the repository."""

    common_dir: Path
    """The git common directory, shared by the main checkout and every linked worktree."""

    @property
    def state_dir(self) -> Path:
        """Where agentdeck keeps tasks, the queue and logs; never committed."""
        return self.common_dir / "agentdeck"

    def open(self) -> pygit2.Repository:
        """Open a fresh pygit2 handle; handles are not shared between threads."""
        return pygit2.Repository(str(self.root))


def common_dir_of(repo: pygit2.Repository) -> Path:
    """Return the git common directory of a repository or of one of its linked worktrees."""
    git_dir = Path(repo.path)
    commondir_file = git_dir / "commondir"
    if commondir_file.is_file():
        return (git_dir / commondir_file.read_text(encoding="utf-8").strip()).resolve()
    return git_dir.resolve()


def find_repository(path: str | os.PathLike[str]) -> RepositoryInfo:
    """Locate the repository that contains *path*, as git does, and check it can host tasks.

    Raises:
        RepositoryError: the path is missing, not in a repository, in a bare
            repository, or in a repository without commits.
    """
    target = Path(path).expanduser()
    if not target.exists():
        raise RepositoryError(f"{target}: no such file or directory; pass the path of a git repository")

    found = pygit2.discover_repository(str(target.resolve()))
    if found is None:
        raise RepositoryError(
            f"{target.resolve()}: not inside a git repository; run agentdeck in a repository or `git init` one"
        )

    repo = pygit2.Repository(found)
    if repo.is_bare:
        raise RepositoryError(
            f"{Path(repo.path)}: is a bare repository with no working tree; run agentdeck in a clone with a checkout"
        )

    common_dir = common_dir_of(repo)
    main = pygit2.Repository(str(common_dir))
    if main.is_bare or main.workdir is None:
        raise RepositoryError(
            f"{common_dir}: is a bare repository with no main checkout; run agentdeck in a clone with a checkout"
        )
    if main.head_is_unborn:
        raise RepositoryError(
            f"{Path(main.workdir)}: the repository has no commits yet; make a first commit, then start agentdeck"
        )

    return RepositoryInfo(root=Path(main.workdir).resolve(), common_dir=common_dir)


def current_branch(repo: pygit2.Repository) -> str | None:
    """Return the short name of the branch checked out in *repo*'s working tree, or None if detached."""
    if repo.head_is_detached or repo.head_is_unborn:
        return None
    return repo.head.shorthand


def local_branches(repo: pygit2.Repository) -> list[str]:
    """Return the names of all local branches, sorted."""
    return sorted(repo.branches.local)
