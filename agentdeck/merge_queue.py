"""Land approved tasks on their base branch, one merge commit per queue entry.

The merge is computed in memory with libgit2 (`merge_commits`), so a conflict
is found without touching any working tree or index file. A clean merge
becomes a commit that no ref names yet. Then the checkouts that have the base
branch checked out are checked for uncommitted work on the paths the merge
changes, and the base branch moves only if none has any.

The ref moves with a compare-and-swap: agentdeck locks it, checks that it still
names the tip the merge was computed from, brings those checkouts' files and
index up to date, and only then sets the new target. If another process moved
the branch meanwhile, the landing starts over from the new tip. No step runs
`git checkout`, resets, deletes a branch or discards uncommitted changes.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

import pygit2
from pygit2.enums import FileMode

from agentdeck.checkouts import (
    Checkout,
    blocking_paths,
    changed_paths,
    checkouts_of_branch,
    operation_in_progress,
    restore_checkout,
    update_checkout,
)
from agentdeck.errors import MergeError
from agentdeck.tasks import ConflictPath, EntryState, QueueEntry

log = logging.getLogger(__name__)

MAX_LAND_ATTEMPTS = 5
"""How many times one entry is recomputed when the base branch moves under it."""

_FALLBACK_SIGNATURE = ("agentdeck", "agentdeck@localhost")


@dataclass
class LandOutcome:
    """The result of landing one queue entry.

    ``state`` is LANDED, CONFLICT or FAILED, or QUEUED when something the user
    can clear (uncommitted changes in a checkout of the base branch, a base
    branch that kept moving) stopped the landing. Apart from LANDED, the
    repository is left exactly as it was.
    """

    state: EntryState
    commit: str | None = None
    conflicts: list[ConflictPath] = field(default_factory=list)
    message: str = ""


@dataclass(frozen=True)
class QueueRow:
    """One merge queue entry as the queue screen shows it."""

    entry_id: str
    title: str
    branch: str
    base_branch: str
    state: EntryState
    detail: str = ""
    """The conflict paths or the last message, shown for the selected entry."""


class QueueSource(Protocol):
    """The deck's merge queue, as the queue screen reads and drives it."""

    def queue_rows(self) -> list[QueueRow]:
        """Return the entries in queue order."""
        ...

    def land_queue(self) -> list[LandOutcome]:
        """Land every queued entry in order, saving state after each; blocks until done."""
        ...

    def remove_entry(self, entry_id: str) -> None:
        """Take the entry out of the queue; its branch and worktree stay."""
        ...


class _BaseMoved(Exception):
    """The base branch no longer names the tip the merge was computed from."""


class _BaseLocked(Exception):
    """Another process holds the lock file of the base branch."""


def merge_message(branch: str, title: str) -> str:
    """Return the commit message of the merge commit that lands *branch*."""
    return f"Merge branch '{branch}': {title}"


def land_entry(repository_root: Path, entry: QueueEntry, branch: str, message: str) -> LandOutcome:
    """Merge *branch* into ``entry.base_branch`` as one merge commit with *message*.

    Every expected failure comes back as an outcome instead of an exception.
    CONFLICT lists the conflicting paths. QUEUED means uncommitted work in a
    checkout of the base branch is in the way. FAILED means a branch is missing
    or git reported an error. Every outcome but LANDED leaves refs, files and
    indexes as they were.
    """
    try:
        repo = pygit2.Repository(str(repository_root))
    except pygit2.GitError as error:
        log.error("entry %s: cannot open %s: %s", entry.id, repository_root, error)
        return LandOutcome(EntryState.FAILED, message=f"{repository_root}: cannot open the repository: {error}")

    for attempt in range(1, MAX_LAND_ATTEMPTS + 1):
        try:
            return _land_once(repo, entry, branch, message)
        except _BaseMoved:
            log.info("entry %s: %s moved during landing (attempt %d); recomputing", entry.id, entry.base_branch, attempt)
        except (pygit2.GitError, OSError, MergeError) as error:
            log.error("entry %s: landing %s on %s failed: %s", entry.id, branch, entry.base_branch, error)
            return LandOutcome(EntryState.FAILED, message=f"Not landed: {error}")

    return LandOutcome(
        EntryState.QUEUED,
        message=(
            f"Not landed: {entry.base_branch} moved {MAX_LAND_ATTEMPTS} times while {branch} was landing; "
            "land the queue again once it is quiet"
        ),
    )


def land_queue(
    repository_root: Path,
    entries: Iterable[QueueEntry],
    lookup: Callable[[QueueEntry], tuple[str, str] | None],
    before: Callable[[QueueEntry], None] | None = None,
) -> Iterator[tuple[QueueEntry, LandOutcome]]:
    """Land the queued entries of *entries* in order, yielding each with its outcome.

    *lookup* returns the task branch and merge commit message of an entry, or
    None when its task is gone. *before* runs after an entry's state is set to
    LANDING and before the merge, so the caller can save that state. Each
    outcome is already applied to its entry when it is yielded.

    A QUEUED outcome stops the run: the entry stays at the head of the queue,
    and later entries must not land ahead of it.
    """
    for entry in entries:
        if entry.state != EntryState.QUEUED:
            continue

        request = lookup(entry)
        if request is None:
            outcome = LandOutcome(
                EntryState.FAILED,
                message=f"Not landed: the task {entry.task_id} of this entry no longer exists; remove the entry",
            )
            apply_outcome(entry, outcome)
            yield entry, outcome
            continue

        branch, message = request
        entry.state = EntryState.LANDING
        if before is not None:
            before(entry)
        outcome = land_entry(repository_root, entry, branch, message)
        apply_outcome(entry, outcome)
        yield entry, outcome
        if outcome.state == EntryState.QUEUED:
            return


def apply_outcome(entry: QueueEntry, outcome: LandOutcome) -> None:
    """Copy the state, conflicts, message and commit of *outcome* into *entry*."""
    entry.state = outcome.state
    entry.conflicts = list(outcome.conflicts)
    entry.message = outcome.message
    if outcome.commit is not None:
        entry.landed_commit = outcome.commit


def summarize_outcomes(outcomes: Iterable[LandOutcome]) -> str:
    """Return a one-line count of *outcomes*, such as ``Landed 2, 1 conflict``."""
    counts = Counter(outcome.state for outcome in outcomes)
    if not counts:
        return "Nothing to land: no entry is queued"

    parts = [f"Landed {counts[EntryState.LANDED]}"]
    if counts[EntryState.CONFLICT]:
        parts.append(_plural(counts[EntryState.CONFLICT], "conflict"))
    if counts[EntryState.FAILED]:
        parts.append(f"{counts[EntryState.FAILED]} failed")
    if counts[EntryState.QUEUED]:
        parts.append(f"{counts[EntryState.QUEUED]} still queued")
    return ", ".join(parts)


def find_conflicts(repo: pygit2.Repository, index: pygit2.Index) -> list[ConflictPath]:
    """Return each conflicting path of a merge *index* once, with the kind of conflict."""
    conflicts = index.conflicts
    if conflicts is None:
        return []

    found: dict[str, ConflictPath] = {}
    for ancestor, ours, theirs in conflicts:
        kind = _conflict_kind(repo, ancestor, ours, theirs)
        for side in (ours, theirs, ancestor):
            if side is not None and side.path not in found:
                found[side.path] = ConflictPath(side.path, kind)
    return sorted(found.values(), key=lambda conflict: conflict.path)


def _land_once(repo: pygit2.Repository, entry: QueueEntry, branch: str, message: str) -> LandOutcome:
    base = entry.base_branch
    base_refname = f"refs/heads/{base}"
    base_tip = _branch_tip(repo, base, "base branch")
    branch_tip = _branch_tip(repo, branch, "task branch")

    if branch_tip.id == base_tip.id or repo.descendant_of(base_tip.id, branch_tip.id):
        log.info("entry %s: %s is already merged into %s", entry.id, branch, base)
        return LandOutcome(EntryState.LANDED, message=f"Nothing to land: {branch} is already merged into {base}")

    index = repo.merge_commits(base_tip, branch_tip)
    conflicts = find_conflicts(repo, index)
    if conflicts:
        log.info("entry %s: %s conflicts with %s in %d paths", entry.id, branch, base, len(conflicts))
        return LandOutcome(
            EntryState.CONFLICT,
            conflicts=conflicts,
            message=f"Not landed: {branch} conflicts with {base} in {_plural(len(conflicts), 'file')}",
        )

    new_tree = repo[index.write_tree(repo)]
    paths = changed_paths(base_tip.tree, new_tree)
    checkouts = checkouts_of_branch(repo, base)
    rejection = _check_checkouts(checkouts, base, base_tip.tree, paths)
    if rejection is not None:
        log.info("entry %s: %s", entry.id, rejection)
        return LandOutcome(EntryState.QUEUED, message=rejection)

    signature = _signature(repo)
    merge_id = repo.create_commit(None, signature, signature, message, new_tree.id, [base_tip.id, branch_tip.id])

    try:
        _move_base(repo, base_refname, base_tip.id, merge_id, checkouts, base_tip.tree, new_tree, paths, branch)
    except MergeError as error:
        # Only a checkout update raises this. The ref did not move and updated checkouts were restored.
        log.info("entry %s: %s", entry.id, error)
        return LandOutcome(EntryState.QUEUED, message=f"Not landed: {error}")
    except _BaseLocked as error:
        log.warning("entry %s: cannot lock %s: %s", entry.id, base_refname, error)
        lock_file = Path(repo.path) / f"{base_refname}.lock"
        return LandOutcome(
            EntryState.QUEUED,
            message=(
                f"Not landed: {base} is locked by another git process ({error}); land the queue again when it "
                f"finishes, or delete {lock_file} if no git process is running"
            ),
        )
    log.info("entry %s: landed %s on %s as %s", entry.id, branch, base, merge_id)

    text = f"Landed {branch} on {base} as {str(merge_id)[:10]}"
    if checkouts:
        text += f"; updated {_plural(len(paths), 'file')} in {_plural(len(checkouts), 'checkout')}"
    return LandOutcome(EntryState.LANDED, commit=str(merge_id), message=text)


def _move_base(
    repo: pygit2.Repository,
    base_refname: str,
    expected: pygit2.Oid,
    merge_id: pygit2.Oid,
    checkouts: list[Checkout],
    old_tree: pygit2.Tree,
    new_tree: pygit2.Tree,
    paths: list[str],
    branch: str,
) -> None:
    # The lock is held while checkouts update, so no other git process can move the
    # branch between the compare and the set, and HEAD still names the old tip for
    # the safe checkout's baseline.
    updated: list[Checkout] = []
    try:
        with repo.transaction() as transaction:
            try:
                transaction.lock_ref(base_refname)
            except pygit2.GitError as error:
                raise _BaseLocked(str(error)) from error
            if repo.references[base_refname].target != expected:
                raise _BaseMoved
            for checkout in checkouts:
                update_checkout(checkout, new_tree, paths)
                updated.append(checkout)
            # No reflog signature is passed: pygit2 1.21 raises TypeError for one, and
            # libgit2 then takes the repository's identity itself.
            transaction.set_target(base_refname, merge_id, message=f"merge {branch}: landed by agentdeck")
    except BaseException:
        for checkout in reversed(updated):
            restore_checkout(checkout, old_tree, paths)
        raise


def _check_checkouts(checkouts: list[Checkout], base: str, old_tree: pygit2.Tree, paths: list[str]) -> str | None:
    for checkout in checkouts:
        operation = operation_in_progress(checkout)
        if operation is not None:
            return (
                f"Not landed: {checkout.describe()} is in the middle of {operation} on {base}; "
                "finish or abort it there, then land the queue again"
            )
        blocked = blocking_paths(checkout, old_tree, paths)
        if blocked:
            listed = ", ".join(str(item) for item in blocked)
            return (
                f"Not landed: {checkout.describe()} has {base} checked out with uncommitted work the merge "
                f"would overwrite: {listed}; commit, stash or move it, then land the queue again"
            )
    return None


def _branch_tip(repo: pygit2.Repository, name: str, role: str) -> pygit2.Commit:
    branch = repo.branches.local.get(name)
    if branch is None:
        raise MergeError(f"{role} {name!r} not found; restore it or remove the entry from the queue")
    return branch.peel(pygit2.Commit)


def _signature(repo: pygit2.Repository) -> pygit2.Signature:
    try:
        return repo.default_signature
    except (KeyError, pygit2.GitError):
        # Landing must work in a repository without user.name; the author is then agentdeck itself.
        return pygit2.Signature(*_FALLBACK_SIGNATURE)


def _conflict_kind(
    repo: pygit2.Repository,
    ancestor: pygit2.IndexEntry | None,
    ours: pygit2.IndexEntry | None,
    theirs: pygit2.IndexEntry | None,
) -> str:
    sides = [side for side in (ancestor, ours, theirs) if side is not None]
    if any(side.mode == FileMode.COMMIT for side in sides):
        return "submodule"
    if ours is None or theirs is None:
        # One side deleted or renamed away the path the other side changed.
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


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"
