"""Find every checkout of a branch and bring one up to date after the branch moves.

A branch can be checked out in the main checkout or in a linked worktree. When
agentdeck lands a merge on such a branch, that checkout's HEAD moves with the
ref, so its files and index must follow. Only the paths the merge changed are
written: everything else in the checkout is the user's work and stays as it is.

The update runs before the ref moves, while HEAD still names the old commit.
libgit2 takes HEAD as the baseline of a checkout, so a safe checkout of the new
tree then refuses any path whose file or index entry differs from the old
commit, and it refuses before writing anything.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

import pygit2
from pygit2.enums import CheckoutStrategy, FileStatus, ReferenceType, RepositoryState

from agentdeck.errors import MergeError

log = logging.getLogger(__name__)

# Pathspec matching is off so that a tracked file named `*.py` or `[ab]` is one path, not a pattern.
_UPDATE_STRATEGY = CheckoutStrategy.SAFE | CheckoutStrategy.DISABLE_PATHSPEC_MATCH
_RESTORE_STRATEGY = CheckoutStrategy.FORCE | CheckoutStrategy.DISABLE_PATHSPEC_MATCH

_OPERATION_NAMES = {
    RepositoryState.MERGE: "a merge",
    RepositoryState.REVERT: "a revert",
    RepositoryState.REVERT_SEQUENCE: "a revert",
    RepositoryState.CHERRYPICK: "a cherry-pick",
    RepositoryState.CHERRYPICK_SEQUENCE: "a cherry-pick",
    RepositoryState.BISECT: "a bisect",
    RepositoryState.REBASE: "a rebase",
    RepositoryState.REBASE_INTERACTIVE: "a rebase",
    RepositoryState.REBASE_MERGE: "a rebase",
    RepositoryState.APPLY_MAILBOX: "git am",
    RepositoryState.APPLY_MAILBOX_OR_REBASE: "git am or a rebase",
}


@dataclass(frozen=True)
class Checkout:
    """A working tree of the repository: the main checkout or one linked worktree."""

    path: Path
    worktree_name: str | None = None
    """The linked worktree's name, or None for the main checkout."""

    def describe(self) -> str:
        """Return a phrase naming this checkout for messages, such as ``the main checkout at /src/app``."""
        if self.worktree_name is None:
            return f"the main checkout at {self.path}"
        return f"the linked worktree {self.worktree_name!r} at {self.path}"

    def open(self) -> pygit2.Repository:
        """Open a fresh pygit2 handle on this working tree, with its own HEAD and index."""
        return pygit2.Repository(str(self.path))


@dataclass(frozen=True)
class BlockingPath:
    """A path the landing would write that contains uncommitted work in a checkout."""

    path: str
    reason: str

    def __str__(self) -> str:
        return f"{self.path} ({self.reason})"


def list_checkouts(repo: pygit2.Repository) -> list[Checkout]:
    """Return the main checkout and every linked worktree whose folder still exists."""
    common = pygit2.Repository(_common_dir(repo))
    checkouts: list[Checkout] = []
    if common.workdir is not None:
        checkouts.append(Checkout(Path(common.workdir).resolve()))

    for name in common.list_worktrees():
        try:
            worktree = common.lookup_worktree(name)
        except pygit2.GitError as error:
            log.warning("skipped linked worktree %s: %s", name, error)
            continue
        path = Path(worktree.path)
        if not path.is_dir():
            # A prunable entry has no files to keep in step, so nothing can go stale there.
            log.info("skipped linked worktree %s: its folder %s is missing", name, path)
            continue
        checkouts.append(Checkout(path.resolve(), worktree_name=name))
    return checkouts


def checkouts_of_branch(repo: pygit2.Repository, branch: str) -> list[Checkout]:
    """Return every checkout whose HEAD is *branch*, or which is rebasing *branch*."""
    refname = f"refs/heads/{branch}"
    found = []
    for checkout in list_checkouts(repo):
        try:
            worktree_repo = checkout.open()
        except pygit2.GitError as error:
            log.warning("skipped %s: %s", checkout.describe(), error)
            continue
        if _head_refname(worktree_repo) == refname or _rebasing_refname(worktree_repo) == refname:
            found.append(checkout)
    return found


def changed_paths(old_tree: pygit2.Tree, new_tree: pygit2.Tree) -> list[str]:
    """Return every path whose entry differs between *old_tree* and *new_tree*, sorted.

    A rename shows as the old path and the new path, because no rename detection runs.
    """
    paths: set[str] = set()
    for delta in old_tree.diff_to_tree(new_tree).deltas:
        paths.add(delta.old_file.path)
        paths.add(delta.new_file.path)
    return sorted(paths)


def operation_in_progress(checkout: Checkout) -> str | None:
    """Return the git operation under way in *checkout* (for example ``a merge``), or None."""
    state = RepositoryState(checkout.open().state())
    if state == RepositoryState.NONE:
        return None
    return _OPERATION_NAMES.get(state, "another git operation")


def blocking_paths(checkout: Checkout, old_tree: pygit2.Tree, paths: list[str]) -> list[BlockingPath]:
    """Return the paths among *paths* that contain uncommitted work in *checkout*.

    *old_tree* is the tree of the commit the checkout's HEAD names. A tracked
    path blocks when its file or its index entry differs from *old_tree*. A path
    *old_tree* lacks blocks when anything sits at that place on disk (an
    untracked or ignored file or folder) or in the index, or when an untracked
    file sits where one of its parent folders must go.
    """
    repo = checkout.open()
    index = repo.index
    index.read()
    workdir = Path(repo.workdir)

    found: list[BlockingPath] = []
    for path in paths:
        if path in old_tree:
            reason = _tracked_change(repo, path)
        else:
            reason = _obstruction(workdir, index, old_tree, path)
        if reason is not None:
            found.append(BlockingPath(path, reason))
    return found


def update_checkout(checkout: Checkout, new_tree: pygit2.Tree, paths: list[str]) -> None:
    """Write the files and index entries of *paths* in *checkout* as *new_tree* has them.

    Call it while the checkout's HEAD still names the commit whose tree the
    files match. Every other file and index entry, staged or not, is left alone.

    Raises:
        MergeError: a file or index entry among *paths* differs from HEAD, or
            writing failed. A refusal writes nothing.
    """
    if not paths:
        return
    try:
        worktree_repo = checkout.open()
        # libgit2 rejects a tree object that belongs to another repository handle.
        worktree_repo.checkout_tree(worktree_repo[new_tree.id], strategy=_UPDATE_STRATEGY, paths=paths)
    except pygit2.GitError as error:
        raise MergeError(
            f"{checkout.describe()}: cannot update the {len(paths)} paths the merge changes ({error}); "
            "commit or stash the changes there, then land again"
        ) from error
    log.info("updated %d paths in %s", len(paths), checkout.describe())


def restore_checkout(checkout: Checkout, old_tree: pygit2.Tree, paths: list[str]) -> None:
    """Put *paths* in *checkout* back as *old_tree* has them, after a landing that did not finish.

    Only paths that :func:`update_checkout` wrote go through here, and those
    held no user changes, so overwriting them loses nothing.
    """
    if not paths:
        return
    try:
        worktree_repo = checkout.open()
        worktree_repo.checkout_tree(worktree_repo[old_tree.id], strategy=_RESTORE_STRATEGY, paths=paths)
    except pygit2.GitError:
        log.exception("could not restore %d paths in %s", len(paths), checkout.describe())
        return
    log.info("restored %d paths in %s", len(paths), checkout.describe())


def _common_dir(repo: pygit2.Repository) -> str:
    git_dir = Path(repo.path)
    commondir_file = git_dir / "commondir"
    if commondir_file.is_file():
        return str((git_dir / commondir_file.read_text(encoding="utf-8").strip()).resolve())
    return str(git_dir)


def _head_refname(repo: pygit2.Repository) -> str | None:
    try:
        head = repo.lookup_reference("HEAD")
    except (KeyError, pygit2.GitError):
        return None
    if head.type != ReferenceType.SYMBOLIC:
        return None
    return head.target


def _rebasing_refname(repo: pygit2.Repository) -> str | None:
    # During a rebase HEAD is detached, so the branch that git moves at the end is read from here.
    git_dir = Path(repo.path)
    for folder in ("rebase-merge", "rebase-apply"):
        head_name = git_dir / folder / "head-name"
        if head_name.is_file():
            return head_name.read_text(encoding="utf-8").strip()
    return None


def _tracked_change(repo: pygit2.Repository, path: str) -> str | None:
    try:
        flags = FileStatus(repo.status_file(path))
    except (KeyError, pygit2.GitError) as error:
        # NOTE: submodule gitlinks are untested here. An unreadable status rejects the landing, which loses nothing.
        log.warning("cannot read the status of %s in %s: %s", path, repo.workdir, error)
        return "status unreadable"

    if flags & FileStatus.CONFLICTED:
        return "unmerged"
    if flags & (FileStatus.INDEX_NEW | FileStatus.INDEX_MODIFIED | FileStatus.INDEX_DELETED
                | FileStatus.INDEX_RENAMED | FileStatus.INDEX_TYPECHANGE):
        return "staged change"
    if flags & FileStatus.WT_DELETED:
        return "deleted"
    if flags & (FileStatus.WT_MODIFIED | FileStatus.WT_TYPECHANGE | FileStatus.WT_RENAMED
                | FileStatus.WT_UNREADABLE):
        return "modified"
    return None


def _obstruction(workdir: Path, index: pygit2.Index, old_tree: pygit2.Tree, path: str) -> str | None:
    if path in index:
        return "staged new file"
    target = workdir / path
    if target.is_symlink() or target.exists():
        return "untracked file in the way" if not target.is_dir() or target.is_symlink() else "untracked folder in the way"

    # A tracked parent is itself among the changed paths and checked there.
    for parent in reversed(PurePosixPath(path).parents[:-1]):
        on_disk = workdir / parent
        if str(parent) in old_tree:
            continue
        if on_disk.is_symlink() or (on_disk.exists() and not on_disk.is_dir()):
            return f"untracked file {parent} in the way"
    return None


def undo_interrupted_update(
    checkout: Checkout, old_tree: pygit2.Tree, new_tree: pygit2.Tree, paths: list[str]
) -> list[str]:
    """Put back the paths an interrupted :func:`update_checkout` wrote, while HEAD still names *old_tree*.

    Call it only for a landing that was killed after it found *paths* clean in
    this checkout. A path is put back when its index entry is what *old_tree*
    or *new_tree* has and its file is missing, is what *new_tree* has, or holds
    the start of it (libgit2 writes a file in place, so a kill can cut it short).
    Such a file holds nothing but what agentdeck wrote, so restoring it loses
    nothing; any other path is left alone. Returns the paths put back.
    """
    repo = checkout.open()
    index = repo.index
    index.read()
    workdir = Path(repo.workdir)

    restore: list[str] = []
    remove: list[str] = []
    for path in paths:
        old_id = _entry_id(old_tree, path)
        new_id = _entry_id(new_tree, path)
        index_id = index[path].id if path in index else None
        if index_id not in (old_id, new_id):
            continue
        on_disk = _file_id(workdir / path)
        if on_disk == old_id and index_id == old_id:
            continue
        if not _written_by_update(repo, workdir / path, on_disk, new_id):
            continue
        if old_id is None:
            remove.append(path)
        else:
            restore.append(path)

    for path in remove:
        (workdir / path).unlink(missing_ok=True)
        if path in index:
            index.remove(path)
    if remove:
        index.write()
    if restore:
        restore_checkout(checkout, old_tree, restore)
    return sorted(restore + remove)


def _written_by_update(repo: pygit2.Repository, path: Path, on_disk: pygit2.Oid | None, new_id: pygit2.Oid | None) -> bool:
    if on_disk is None or on_disk == new_id:
        return True
    if new_id is None or path.is_symlink() or not path.is_file():
        return False
    return repo[new_id].data.startswith(path.read_bytes())


def _entry_id(tree: pygit2.Tree, path: str) -> pygit2.Oid | None:
    try:
        return tree[path].id
    except KeyError:
        return None


def _file_id(path: Path) -> pygit2.Oid | None:
    if path.is_symlink():
        return pygit2.hash(os.fsencode(os.readlink(path)))
    if not path.is_file():
        return None
    return pygit2.hashfile(str(path))
