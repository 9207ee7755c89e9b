"""Build the commit a queue entry would move its base branch to, in memory, for each merge strategy.

Nothing here touches a working tree, an index file or a ref. Every result is a
commit object that no ref names yet, or for a fast-forward the task's own tip.
So a conflict or a rejection leaves the repository as it was, apart from
unreferenced objects that `git gc` prunes.

| strategy | result |
| --- | --- |
| ``merge`` | a merge commit with the base tip and the task tip as parents |
| ``squash`` | one commit on the base tip with the merged tree |
| ``rebase`` | each non-merge commit of the task replayed on the base tip, in order (linear history) |
| ``ff-only`` | the task tip itself, only when the base tip is one of its ancestors |
"""

from __future__ import annotations

import functools
import logging
import re
import subprocess
from dataclasses import dataclass, field

import pygit2
from pygit2.enums import FileMode, SortMode

from agentdeck.tasks import ConflictPath

log = logging.getLogger(__name__)

STRATEGIES = ("merge", "squash", "rebase", "ff-only")


@dataclass
class Candidate:
    """The commit a landing would move the base branch to, or why there is none.

    Exactly one of ``commit``, ``conflicts`` and ``rejection`` is set.
    """

    commit: pygit2.Oid | None = None
    conflicts: list[ConflictPath] = field(default_factory=list)
    rejection: str = ""
    task_commits: list[str] = field(default_factory=list)
    """The task's commits that are not on the base tip, oldest first."""


def commit_message(strategy: str, branch: str, title: str, commit_count: int) -> str:
    """Return the message of the commit that lands *branch* with *strategy*."""
    if strategy == "squash":
        noun = "commit" if commit_count == 1 else "commits"
        return f"{title}\n\nSquashed from {commit_count} {noun} of branch '{branch}'."
    return f"Merge branch '{branch}': {title}"


def build_candidate(
    repo: pygit2.Repository,
    strategy: str,
    base_tip: pygit2.Commit,
    task_tip: pygit2.Commit,
    branch: str,
    title: str,
    signature: pygit2.Signature,
    base_branch: str = "ours",
) -> Candidate:
    """Compute the landing of *task_tip* on *base_tip* with *strategy*.

    *base_branch* and *branch* label the sides of a conflict as git labels them.

    Raises:
        ValueError: *strategy* is not one of STRATEGIES.
    """
    labels = (base_branch, branch)
    task_commits = commits_between(repo, base_tip.id, task_tip.id)
    hashes = [str(commit.id) for commit in task_commits]
    if strategy == "merge":
        message = commit_message("merge", branch, title, len(hashes))
        candidate = _merge(repo, base_tip, task_tip, message, signature, labels)
    elif strategy == "squash":
        message = commit_message("squash", branch, title, len(hashes))
        candidate = _squash(repo, base_tip, task_tip, message, signature, labels)
    elif strategy == "rebase":
        candidate = _rebase(repo, base_tip, task_tip, task_commits, signature, labels)
    elif strategy == "ff-only":
        candidate = _fast_forward(repo, base_tip, task_tip, branch)
    else:
        raise ValueError(f"unknown merge strategy {strategy!r}; use one of {', '.join(STRATEGIES)}")
    candidate.task_commits = hashes
    return candidate


def commits_between(repo: pygit2.Repository, base: pygit2.Oid, tip: pygit2.Oid) -> list[pygit2.Commit]:
    """Return the commits reachable from *tip* and not from *base*, parents before children."""
    walker = repo.walk(tip, SortMode.TOPOLOGICAL | SortMode.REVERSE)
    walker.hide(base)
    return list(walker)


def find_conflicts(
    repo: pygit2.Repository, index: pygit2.Index, labels: tuple[str, str] = ("ours", "theirs")
) -> list[ConflictPath]:
    """Return each path that `git merge-tree --write-tree` would list as conflicting, with its kind.

    *labels* name the two sides the way git names them (the branch names), because
    git records a regular file whose path has another type on the other side
    (symlink or submodule) as ``<path>~<label of the file's side>``.
    """
    conflicts = index.conflicts
    if conflicts is None:
        return []

    entries = list(conflicts)
    # libgit2 records a rename/delete as a lone ancestor entry plus a lone new-path entry, but
    # git lists only the new path. A rename/rename from one path lists the old path too.
    lone_ours = any(ours is not None and ancestor is None and theirs is None for ancestor, ours, theirs in entries)
    lone_theirs = any(theirs is not None and ancestor is None and ours is None for ancestor, ours, theirs in entries)
    found: dict[str, ConflictPath] = {}
    for ancestor, ours, theirs in entries:
        kind = _conflict_kind(repo, ancestor, ours, theirs)
        if ancestor is not None and ours is None and theirs is None and not (lone_ours and lone_theirs):
            continue
        for side in (ours, theirs, ancestor):
            if side is not None and side.path not in found:
                found[side.path] = ConflictPath(side.path, kind)
        for side, label in ((ours, labels[0]), (theirs, labels[1])):
            other = theirs if side is ours else ours
            if side is not None and other is not None and _is_regular(side.mode) and not _is_regular(other.mode):
                moved = f"{side.path}~{label}"
                found[moved] = ConflictPath(moved, "mode")
    return sorted(found.values(), key=lambda conflict: conflict.path)


def _is_regular(mode: int) -> bool:
    return mode in (FileMode.BLOB, FileMode.BLOB_EXECUTABLE)


def merge_trees_of(
    repo: pygit2.Repository, base_tip: pygit2.Commit, task_tip: pygit2.Commit, labels: tuple[str, str]
) -> tuple[pygit2.Oid | None, list[ConflictPath]]:
    """Merge two commits in memory; return the merged tree, or None and the conflicts.

    `git merge-tree --write-tree` (git 2.38 or later) does the merge when it is
    available, because its rename handling (including directory renames) is
    what users see from `git merge`; it writes objects only, never a working
    tree or an index. Without it, libgit2 merges, and a tree whose directory
    was renamed on one side can then conflict differently from git.
    """
    if _git_merge_tree_available():
        return _git_merge_tree(repo, base_tip.id, task_tip.id, labels)
    index = repo.merge_commits(base_tip, task_tip)
    conflicts = find_conflicts(repo, index, labels)
    if conflicts:
        return None, conflicts
    return index.write_tree(repo), []


def _merge(
    repo: pygit2.Repository,
    base_tip: pygit2.Commit,
    task_tip: pygit2.Commit,
    message: str,
    signature: pygit2.Signature,
    labels: tuple[str, str],
) -> Candidate:
    tree, conflicts = merge_trees_of(repo, base_tip, task_tip, labels)
    if tree is None:
        return Candidate(conflicts=conflicts)
    return Candidate(repo.create_commit(None, signature, signature, message, tree, [base_tip.id, task_tip.id]))


def _squash(
    repo: pygit2.Repository,
    base_tip: pygit2.Commit,
    task_tip: pygit2.Commit,
    message: str,
    signature: pygit2.Signature,
    labels: tuple[str, str],
) -> Candidate:
    tree, conflicts = merge_trees_of(repo, base_tip, task_tip, labels)
    if tree is None:
        return Candidate(conflicts=conflicts)
    return Candidate(repo.create_commit(None, signature, signature, message, tree, [base_tip.id]))


def _rebase(
    repo: pygit2.Repository,
    base_tip: pygit2.Commit,
    task_tip: pygit2.Commit,
    task_commits: list[pygit2.Commit],
    signature: pygit2.Signature,
    labels: tuple[str, str],
) -> Candidate:
    linear = all(len(commit.parents) == 1 for commit in task_commits)
    if linear and repo.descendant_of(task_tip.id, base_tip.id):
        # The task already sits on the current base tip: its own commits land unchanged.
        return Candidate(task_tip.id)

    # NOTE: each replayed commit is merged by libgit2: `git merge-tree --merge-base`, which
    # would match git here too, needs git 2.40, newer than some supported systems ship.
    current = base_tip
    for commit in task_commits:
        if len(commit.parents) != 1:
            # Like `git rebase` without --rebase-merges: a merge commit is dropped and the
            # commits it brought in are replayed on their own.
            continue
        index = repo.merge_trees(commit.parents[0].tree, current.tree, commit.tree)
        conflicts = find_conflicts(repo, index, labels)
        if conflicts:
            log.info("rebase of %s stops at %s with %d conflicts", task_tip.id, commit.id, len(conflicts))
            return Candidate(conflicts=conflicts)
        tree = index.write_tree(repo)
        if tree == current.tree_id:
            # The base already has this change, so git would drop the empty commit too.
            continue
        replayed = repo.create_commit(None, commit.author, signature, commit.message, tree, [current.id])
        current = repo[replayed]
    return Candidate(current.id)


def _fast_forward(repo: pygit2.Repository, base_tip: pygit2.Commit, task_tip: pygit2.Commit, branch: str) -> Candidate:
    if repo.descendant_of(task_tip.id, base_tip.id):
        return Candidate(task_tip.id)
    return Candidate(
        rejection=(
            f"cannot fast-forward: {branch} does not contain the current base tip {str(base_tip.id)[:10]}; "
            "change the entry's strategy to merge, squash or rebase (s), or merge the base into the branch"
        )
    )


# The kind of each `git merge-tree` conflict type, most telling first: a path named by
# several messages (a rename that also conflicts in content) takes the first match.
_GIT_CONFLICT_KINDS = (
    ("submodule", "submodule"),
    ("rename", "rename"),
    ("modify/delete", "delete/modify"),
    ("distinct", "mode"),
    ("file/directory", "file/directory"),
    ("binary", "binary"),
    ("add/add", "add/add"),
    ("content", "content"),
)


_MESSAGE_TYPE = re.compile(r"CONFLICT \(([^)]*)\)")


@functools.cache
def _git_merge_tree_available() -> bool:
    try:
        result = subprocess.run(["git", "version"], capture_output=True, text=True, check=True)
    except (OSError, subprocess.CalledProcessError) as error:
        log.warning("git is not usable (%s); merging with libgit2", error)
        return False
    match = re.search(r"(\d+)\.(\d+)", result.stdout)
    available = match is not None and (int(match.group(1)), int(match.group(2))) >= (2, 38)
    if not available:
        log.warning("%s has no `merge-tree --write-tree` (git 2.38 or later); merging with libgit2", result.stdout.strip())
    return available


def _git_merge_tree(
    repo: pygit2.Repository, ours: pygit2.Oid, theirs: pygit2.Oid, labels: tuple[str, str]
) -> tuple[pygit2.Oid | None, list[ConflictPath]]:
    result = subprocess.run(
        ["git", "--git-dir", repo.path, "merge-tree", "--write-tree", "-z", "--name-only", str(ours), str(theirs)],
        capture_output=True,
    )
    if result.returncode not in (0, 1):
        raise pygit2.GitError(f"git merge-tree failed: {result.stderr.decode(errors='replace').strip()}")
    fields = result.stdout.decode("utf-8", errors="surrogateescape").split("\0")
    tree = pygit2.Oid(hex=fields[0])
    if result.returncode == 0:
        return tree, []

    # After the tree: conflicted paths up to an empty field, then messages of the form
    # <count> <path>... <type> <text>.
    end = fields.index("", 1)
    names = fields[1:end]
    kinds: dict[str, str] = {}
    position = end + 1
    while position < len(fields) and fields[position].isdigit():
        count = int(fields[position])
        paths = fields[position + 1 : position + 1 + count]
        conflict_type = fields[position + 1 + count].lower()
        # The message repeats the type in its own words, which tell add/add apart from other content conflicts.
        prefix = _MESSAGE_TYPE.match(fields[position + 2 + count])
        position += count + 3
        if not conflict_type.startswith("conflict"):
            continue
        if prefix is not None:
            conflict_type += " " + prefix.group(1).lower()
        kind = next((kind for word, kind in _GIT_CONFLICT_KINDS if word in conflict_type), "content")
        for path in paths:
            known = kinds.get(path)
            if known is None or _kind_rank(kind) < _kind_rank(known):
                kinds[path] = kind

    # git names a side moved aside as <path>~<revision>; the revisions were commit ids here.
    renames = {f"~{ours}": f"~{labels[0]}", f"~{theirs}": f"~{labels[1]}"}
    conflicts: dict[str, ConflictPath] = {}
    for name in names:
        shown = name
        for suffix, label in renames.items():
            if name.endswith(suffix):
                shown = name[: -len(suffix)] + label
        conflicts[shown] = ConflictPath(shown, kinds.get(name, "mode" if shown != name else "content"))
    return None, sorted(conflicts.values(), key=lambda conflict: conflict.path)


def _kind_rank(kind: str) -> int:
    return next(index for index, (_word, known) in enumerate(_GIT_CONFLICT_KINDS) if known == kind)


def _conflict_kind(
    repo: pygit2.Repository,
    ancestor: pygit2.IndexEntry | None,
    ours: pygit2.IndexEntry | None,
    theirs: pygit2.IndexEntry | None,
) -> str:
    sides = [side for side in (ancestor, ours, theirs) if side is not None]
    if any(side.mode == FileMode.COMMIT for side in sides):
        return "submodule"
    if len(sides) == 1 or len({side.path for side in sides}) > 1:
        # libgit2 records a rename/rename or rename/delete conflict as entries that hold a
        # single side each (the ancestor's path, each side's new path); no other conflict does.
        return "rename"
    if ours is None or theirs is None:
        if ancestor is None:
            return "add/add"
        return "delete/modify"
    if ancestor is None:
        return "add/add"
    if ours.mode != theirs.mode and ancestor.mode not in (ours.mode, theirs.mode):
        return "mode"
    if any(_is_binary(repo, side) for side in sides):
        return "binary"
    return "content"


def _is_binary(repo: pygit2.Repository, side: pygit2.IndexEntry) -> bool:
    blob = repo.get(side.id)
    return isinstance(blob, pygit2.Blob) and blob.is_binary
