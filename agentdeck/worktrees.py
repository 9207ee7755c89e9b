"""Create and remove the branch and linked worktree of a task, with pygit2 only."""

from __future__ import annotations

import logging
import shutil
from dataclasses import dataclass
from pathlib import Path

import pygit2

from agentdeck.errors import WorktreeError
from agentdeck.slugs import is_valid_branch_name, unique_slug

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class TaskCheckout:
    """The branch and linked worktree made for one task."""

    slug: str
    branch: str
    path: Path


def _branch_names_folded(repo: pygit2.Repository) -> set[str]:
    # Compared case-insensitively: on macOS and Windows `Fix` and `fix` are one ref file.
    return {name.casefold() for name in repo.branches.local}


def _worktree_names_folded(repo: pygit2.Repository) -> set[str]:
    names = {name.casefold() for name in repo.list_worktrees()}
    admin = Path(repo.path) / "worktrees"
    if admin.is_dir():
        names |= {entry.name.casefold() for entry in admin.iterdir()}
    return names


def create_task_checkout(
    repo: pygit2.Repository,
    title: str,
    base_branch: str,
    branch_prefix: str,
    worktree_root: Path,
) -> TaskCheckout:
    """Create ``<branch_prefix><slug>`` at the tip of *base_branch* and a linked worktree for it.

    The slug is unique among branches, worktrees and folders under *worktree_root*.

    Raises:
        WorktreeError: the base branch does not exist or git could not create
            the branch or worktree; nothing is left half-made.
    """
    base = repo.branches.local.get(base_branch)
    if base is None:
        raise WorktreeError(f"base branch {base_branch!r} not found; pick one of: {', '.join(sorted(repo.branches.local)) or 'none'}")
    base_commit = base.peel(pygit2.Commit)

    branches = _branch_names_folded(repo)
    worktrees = _worktree_names_folded(repo)

    def is_taken(slug: str) -> bool:
        branch = f"{branch_prefix}{slug}"
        return (
            branch.casefold() in branches
            or slug.casefold() in worktrees
            or (worktree_root / slug).exists()
            or not is_valid_branch_name(branch)
            or _conflicts_with_existing_ref(branch, branches)
        )

    slug = unique_slug(title, is_taken)
    branch_name = f"{branch_prefix}{slug}"
    path = worktree_root / slug

    try:
        worktree_root.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise WorktreeError(f"{worktree_root}: cannot create the worktree folder: {error.strerror}; set worktree_root in config") from error

    branch = repo.branches.local.create(branch_name, base_commit)
    try:
        repo.add_worktree(slug, str(path), branch)
    except (pygit2.GitError, OSError) as error:
        branch.delete()
        raise WorktreeError(f"{path}: cannot create the worktree: {error}") from error

    log.info("created branch %s and worktree %s at %s", branch_name, path, base_commit.id)
    return TaskCheckout(slug=slug, branch=branch_name, path=path)


def _conflicts_with_existing_ref(branch: str, existing: set[str]) -> bool:
    # `a/b` cannot exist beside a branch `a`, and `a` cannot exist beside `a/b`.
    folded = branch.casefold()
    return any(name.startswith(folded + "/") or folded.startswith(name + "/") for name in existing)


def has_uncommitted_changes(path: Path) -> list[str]:
    """Return the paths with uncommitted or untracked changes in the checkout at *path*."""
    repo = pygit2.Repository(str(path))
    changed: list[str] = []
    for file_path, flags in repo.status().items():
        if flags & pygit2.GIT_STATUS_IGNORED:
            continue
        if flags != pygit2.GIT_STATUS_CURRENT:
            changed.append(file_path)
    return sorted(changed)


def unlanded_commits(repo: pygit2.Repository, branch: str, base_branch: str) -> int:
    """Return how many commits on *branch* are not reachable from *base_branch*."""
    tip = repo.branches.local.get(branch)
    base = repo.branches.local.get(base_branch)
    if tip is None:
        return 0
    if base is None:
        return sum(1 for _ in repo.walk(tip.target))
    ahead, _behind = repo.ahead_behind(tip.target, base.target)
    return ahead


def remove_task_checkout(
    repo: pygit2.Repository,
    slug: str,
    path: Path,
    worktree_root: Path,
    repository_root: Path,
) -> None:
    """Delete a task's linked worktree folder and its administrative entry.

    The caller checks for uncommitted work first. This function only refuses
    paths that are not a linked worktree under *worktree_root*, so it can never
    delete the main checkout or anything outside the worktree folder.

    Raises:
        WorktreeError: *path* is not a task worktree of this repository.
    """
    resolved = path.resolve()
    root = worktree_root.resolve()
    main = repository_root.resolve()
    if resolved == main or main.is_relative_to(resolved) or not resolved.is_relative_to(root) or resolved == root:
        raise WorktreeError(f"{path}: not a task worktree under {worktree_root}; refusing to delete it")
    git_file = resolved / ".git"
    if resolved.exists() and not git_file.is_file():
        raise WorktreeError(f"{path}: has no .git file, so it is not a linked worktree; refusing to delete it")

    if resolved.exists():
        shutil.rmtree(resolved)
    try:
        worktree = repo.lookup_worktree(slug)
    except pygit2.GitError:
        worktree = None
    if worktree is not None:
        worktree.prune(True)
    log.info("removed worktree %s", path)
