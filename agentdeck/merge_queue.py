"""Land approved tasks on their base branch, one queue entry at a time.

For the entry at the head, the landing commit is computed in memory (see
`agentdeck.strategies`), so a conflict is found without touching any working
tree or index file. When config has a check command, that commit is checked in
a scratch worktree first (see `agentdeck.checks`). The base branch only ever
moves to a commit that was checked exactly as it lands, so if the base moved
during the check, the commit is computed and checked again.

Then the checkouts that have the base branch checked out are checked for
uncommitted work on the paths the landing changes, and the base branch moves
only if none has any. The ref moves with a compare-and-swap: agentdeck locks
it, checks that it still names the tip the commit was computed from, brings
those checkouts' files and index up to date, and only then sets the new target.
No step runs `git checkout`, resets, deletes a branch or discards uncommitted
changes.

Before the ref moves, the entry is saved as ``landing`` with the commit it is
about to land. If the process dies, `resume_entries` on the next start tells
from the base branch whether that commit landed, and otherwise puts the entry
back in the queue after undoing what the interrupted landing left behind.
"""

from __future__ import annotations

import logging
import os
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

import pygit2

from agentdeck.checks import CheckSettings, leftover_check_ids, remove_scratch, run_check
from agentdeck.checkouts import (
    Checkout,
    blocking_paths,
    changed_paths,
    checkouts_of_branch,
    operation_in_progress,
    restore_checkout,
    undo_interrupted_update,
    update_checkout,
)
from agentdeck.errors import MergeError
from agentdeck.landings import LandingRecord, append_record, diffstat, read_records
from agentdeck.strategies import STRATEGIES, build_candidate, commit_message, commits_between
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
class LandRequest:
    """What the queue needs to know about an entry's task to land it."""

    branch: str
    title: str


@dataclass(frozen=True)
class LandOptions:
    """How the queue lands: the check to run and where landings are recorded."""

    check: CheckSettings | None = None
    state_dir: Path | None = None
    """Where ``landings.jsonl`` is appended to; None records nothing."""
    on_change: Callable[[QueueEntry], None] | None = None
    """Called each time an entry enters ``checking`` or ``landing``, so the caller can save that state."""


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
    strategy: str = "merge"
    log_path: str = ""
    """The check log of the entry, empty before its first check."""


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

    def move_entry(self, entry_id: str, offset: int) -> None:
        """Move the entry *offset* places later in the queue (earlier when negative)."""
        ...

    def requeue_entry(self, entry_id: str) -> None:
        """Put a conflicting or failed entry back in the queue, at its place."""
        ...

    def set_strategy(self, entry_id: str, strategy: str) -> None:
        """Change how the entry lands: merge, squash, rebase or ff-only."""
        ...

    def send_conflict_to_agent(self, entry_id: str) -> str:
        """Send the entry's task agent a prompt to resolve its conflicts; return the prompt."""
        ...


class _BaseMoved(Exception):
    """The base branch no longer names the tip the merge was computed from."""


class _BaseLocked(Exception):
    """Another process holds the lock file of the base branch."""


def merge_message(branch: str, title: str) -> str:
    """Return the commit message of the merge commit that lands *branch*."""
    return commit_message("merge", branch, title, 0)


def next_strategy(strategy: str) -> str:
    """Return the strategy after *strategy* in the cycle merge, squash, rebase, ff-only."""
    index = STRATEGIES.index(strategy) if strategy in STRATEGIES else -1
    return STRATEGIES[(index + 1) % len(STRATEGIES)]


def conflict_prompt(base_branch: str, conflicts: Iterable[ConflictPath]) -> str:
    """Return the prompt that asks a task's agent to resolve its conflicts with *base_branch*."""
    listed = "\n".join(f"- {conflict.path} ({conflict.kind} conflict)" for conflict in conflicts)
    return (
        f"The merge queue could not land this branch: it conflicts with the current {base_branch}.\n"
        f"Merge {base_branch} into this branch (git merge {base_branch}) and resolve the conflicts in exactly "
        f"these files, keeping the intent of both sides:\n{listed}\n"
        "Change no other file. Run the tests, then commit the merge. "
        "Say when you are done so the entry can be queued again."
    )


def land_entry(
    repository_root: Path, entry: QueueEntry, request: LandRequest, options: LandOptions | None = None
) -> LandOutcome:
    """Land *request*'s branch on ``entry.base_branch`` with ``entry.strategy``.

    Every expected failure comes back as an outcome instead of an exception.
    CONFLICT lists the conflicting paths. QUEUED means uncommitted work in a
    checkout of the base branch is in the way. FAILED means a branch is missing,
    the check failed, a fast-forward is impossible or git reported an error.
    Every outcome but LANDED leaves refs, files and indexes as they were.
    """
    options = options or LandOptions()
    try:
        repo = pygit2.Repository(str(repository_root))
    except pygit2.GitError as error:
        log.error("entry %s: cannot open %s: %s", entry.id, repository_root, error)
        return LandOutcome(EntryState.FAILED, message=f"{repository_root}: cannot open the repository: {error}")

    for attempt in range(1, MAX_LAND_ATTEMPTS + 1):
        try:
            return _land_once(repository_root, repo, entry, request, options)
        except _BaseMoved:
            log.info("entry %s: %s moved during landing (attempt %d); recomputing", entry.id, entry.base_branch, attempt)
        except (pygit2.GitError, OSError, MergeError, ValueError) as error:
            log.error("entry %s: landing %s on %s failed: %s", entry.id, request.branch, entry.base_branch, error)
            return LandOutcome(EntryState.FAILED, message=f"Not landed: {error}")

    return LandOutcome(
        EntryState.QUEUED,
        message=(
            f"Not landed: {entry.base_branch} moved {MAX_LAND_ATTEMPTS} times while {request.branch} was landing; "
            "land the queue again once it is quiet"
        ),
    )


def land_queue(
    repository_root: Path,
    entries: Iterable[QueueEntry],
    lookup: Callable[[QueueEntry], LandRequest | None],
    options: LandOptions | None = None,
) -> Iterator[tuple[QueueEntry, LandOutcome]]:
    """Land the queued entries of *entries* in order, yielding each with its outcome.

    *lookup* returns the branch and title of an entry's task, or None when the
    task is gone. Each outcome is already applied to its entry when it is
    yielded.

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

        outcome = land_entry(repository_root, entry, request, options)
        apply_outcome(entry, outcome)
        yield entry, outcome
        if outcome.state == EntryState.QUEUED:
            return


def apply_outcome(entry: QueueEntry, outcome: LandOutcome) -> None:
    """Copy the state, conflicts, message and commit of *outcome* into *entry*."""
    entry.state = outcome.state
    entry.conflicts = list(outcome.conflicts)
    entry.message = outcome.message
    entry.landing_pid = None
    if outcome.commit is not None:
        entry.landed_commit = outcome.commit
    if outcome.state != EntryState.LANDED:
        entry.candidate_commit = None
        entry.base_commit = None


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


def resume_entries(
    repository_root: Path,
    state_dir: Path,
    entries: Iterable[QueueEntry],
    lookup: Callable[[QueueEntry], LandRequest | None],
) -> list[QueueEntry]:
    """Settle the entries a previous run left in ``checking`` or ``landing``; return those changed.

    An entry whose saved commit is on its base branch is marked landed (and
    recorded, if the crash came before the record). Any other goes back to
    ``queued``, after its scratch check worktree and ref are removed, lock files
    its dead process left are deleted, and checkout files it had already
    written are put back.
    """
    repo = pygit2.Repository(str(repository_root))
    changed: list[QueueEntry] = []
    for entry in entries:
        if entry.state not in (EntryState.CHECKING, EntryState.LANDING):
            continue
        remove_scratch(repository_root, state_dir, entry.id)
        _remove_stale_locks(repo, entry)
        if _candidate_landed(repo, entry):
            _finish_interrupted_landing(repo, state_dir, entry, lookup(entry))
        else:
            _undo_interrupted_landing(repo, entry)
        changed.append(entry)

    busy = {entry.id for entry in entries if entry.state in (EntryState.CHECKING, EntryState.LANDING)}
    for entry_id in leftover_check_ids(repository_root):
        if entry_id not in busy:
            remove_scratch(repository_root, state_dir, entry_id)
    return changed


def _land_once(
    root: Path, repo: pygit2.Repository, entry: QueueEntry, request: LandRequest, options: LandOptions
) -> LandOutcome:
    base = entry.base_branch
    branch = request.branch
    base_tip = _branch_tip(repo, base, "base branch")
    branch_tip = _branch_tip(repo, branch, "task branch")

    if branch_tip.id == base_tip.id or repo.descendant_of(base_tip.id, branch_tip.id):
        log.info("entry %s: %s is already merged into %s", entry.id, branch, base)
        return LandOutcome(EntryState.LANDED, message=f"Nothing to land: {branch} is already merged into {base}")

    candidate = build_candidate(
        repo, entry.strategy, base_tip, branch_tip, branch, request.title, _signature(repo), base_branch=base
    )
    if candidate.conflicts:
        count = len(candidate.conflicts)
        log.info("entry %s: %s conflicts with %s in %d paths", entry.id, branch, base, count)
        return LandOutcome(
            EntryState.CONFLICT,
            conflicts=candidate.conflicts,
            message=f"Not landed: {branch} conflicts with {base} in {_plural(count, 'file')}",
        )
    if candidate.rejection:
        log.info("entry %s: %s", entry.id, candidate.rejection)
        return LandOutcome(EntryState.FAILED, message=f"Not landed: {candidate.rejection}")

    new_commit = repo[candidate.commit]
    new_tree = new_commit.tree
    paths = changed_paths(base_tip.tree, new_tree)
    checkouts = checkouts_of_branch(repo, base)
    rejection = _check_checkouts(checkouts, base, base_tip.tree, paths)
    if rejection is not None:
        log.info("entry %s: %s", entry.id, rejection)
        return LandOutcome(EntryState.QUEUED, message=rejection)

    _remember_candidate(entry, base_tip.id, candidate.commit)
    check_text = "not run"
    if options.check is not None:
        failure = _run_check(root, repo, entry, options, base_tip.id)
        if failure is not None:
            return failure
        check_text = "passed"
    entry.check_result = check_text

    _set_state(entry, EntryState.LANDING, options)
    try:
        _move_base(repo, f"refs/heads/{base}", base_tip.id, candidate.commit, checkouts, base_tip.tree, new_tree, paths, branch)
    except MergeError as error:
        # Only a checkout update raises this. The ref did not move and updated checkouts were restored.
        log.info("entry %s: %s", entry.id, error)
        return LandOutcome(EntryState.QUEUED, message=f"Not landed: {error}")
    except _BaseLocked as error:
        log.warning("entry %s: cannot lock refs/heads/%s: %s", entry.id, base, error)
        lock_file = Path(repo.path) / f"refs/heads/{base}.lock"
        return LandOutcome(
            EntryState.QUEUED,
            message=(
                f"Not landed: {base} is locked by another git process ({error}); land the queue again when it "
                f"finishes, or delete {lock_file} if no git process is running"
            ),
        )
    log.info("entry %s: landed %s on %s as %s (%s)", entry.id, branch, base, candidate.commit, entry.strategy)

    if options.state_dir is not None:
        _record(repo, options.state_dir, entry, request, str(base_tip.id), str(candidate.commit), candidate.task_commits)

    text = f"Landed {branch} on {base} as {str(candidate.commit)[:10]} ({entry.strategy}"
    text += f", {check_text})" if options.check is not None else ")"
    if checkouts:
        text += f"; updated {_plural(len(paths), 'file')} in {_plural(len(checkouts), 'checkout')}"
    return LandOutcome(EntryState.LANDED, commit=str(candidate.commit), message=text)


def _run_check(
    root: Path, repo: pygit2.Repository, entry: QueueEntry, options: LandOptions, base_tip: pygit2.Oid
) -> LandOutcome | None:
    assert options.check is not None
    _set_state(entry, EntryState.CHECKING, options)
    result = run_check(root, options.check, entry.id, entry.candidate_commit or "")
    entry.check_log = str(result.log_path)
    if not result.passed:
        entry.check_result = "failed"
        return LandOutcome(EntryState.FAILED, message=f"Not landed: {result.describe()}; see {result.log_path}")

    if repo.references[f"refs/heads/{entry.base_branch}"].target != base_tip:
        # The checked commit is not what would land on the new tip, so it is computed and checked again.
        log.info("entry %s: %s moved during the check", entry.id, entry.base_branch)
        raise _BaseMoved
    return None


def _remember_candidate(entry: QueueEntry, base_tip: pygit2.Oid, candidate: pygit2.Oid) -> None:
    entry.base_commit = str(base_tip)
    entry.candidate_commit = str(candidate)
    entry.landing_pid = os.getpid()
    entry.landing_started = time.time()


def _set_state(entry: QueueEntry, state: EntryState, options: LandOptions) -> None:
    entry.state = state
    if options.on_change is not None:
        options.on_change(entry)


def _record(
    repo: pygit2.Repository,
    state_dir: Path,
    entry: QueueEntry,
    request: LandRequest | None,
    old_tip: str,
    new_tip: str,
    task_commits: list[str],
) -> None:
    files, insertions, deletions = diffstat(repo, old_tip, new_tip)
    record = LandingRecord(
        entry_id=entry.id,
        task_id=entry.task_id,
        title=request.title if request else "",
        branch=request.branch if request else "",
        base_branch=entry.base_branch,
        strategy=entry.strategy,
        old_tip=old_tip,
        new_tip=new_tip,
        task_commits=task_commits,
        files_changed=files,
        insertions=insertions,
        deletions=deletions,
        check=entry.check_result or "not run",
    )
    try:
        append_record(state_dir, record)
    except OSError as error:
        # The landing itself is done; a missing record must not turn it into a failure.
        log.error("entry %s: cannot record the landing in %s: %s", entry.id, state_dir, error)


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


def _candidate_landed(repo: pygit2.Repository, entry: QueueEntry) -> bool:
    if entry.state != EntryState.LANDING or not entry.candidate_commit:
        return False
    branch = repo.branches.local.get(entry.base_branch)
    if branch is None:
        return False
    tip = branch.target
    candidate = pygit2.Oid(hex=entry.candidate_commit)
    return tip == candidate or repo.descendant_of(tip, candidate)


def _finish_interrupted_landing(
    repo: pygit2.Repository, state_dir: Path, entry: QueueEntry, request: LandRequest | None
) -> None:
    log.info("entry %s: found %s on %s after a restart; marking it landed", entry.id, entry.candidate_commit, entry.base_branch)
    commit = entry.candidate_commit or ""
    task_commits: list[str] = []
    if request is not None and request.branch in repo.branches.local and entry.base_commit:
        tip = repo.branches.local[request.branch].target
        task_commits = [str(item.id) for item in commits_between(repo, pygit2.Oid(hex=entry.base_commit), tip)]
    recorded = any(record.entry_id == entry.id and record.new_tip == commit for record in read_records(state_dir))
    if entry.base_commit and not recorded:
        _record(repo, state_dir, entry, request, entry.base_commit, commit, task_commits)
    entry.state = EntryState.LANDED
    entry.landed_commit = commit
    entry.landing_pid = None
    entry.message = f"Landed on {entry.base_branch} as {commit[:10]}; agentdeck stopped before it could say so"


def _undo_interrupted_landing(repo: pygit2.Repository, entry: QueueEntry) -> None:
    if entry.candidate_commit and entry.base_commit and entry.base_commit in repo and entry.candidate_commit in repo:
        old_tree = repo[entry.base_commit].peel(pygit2.Tree)
        new_tree = repo[entry.candidate_commit].peel(pygit2.Tree)
        paths = changed_paths(old_tree, new_tree)
        branch = repo.branches.local.get(entry.base_branch)
        if branch is not None and branch.target == pygit2.Oid(hex=entry.base_commit):
            for checkout in checkouts_of_branch(repo, entry.base_branch):
                undone = undo_interrupted_update(checkout, old_tree, new_tree, paths)
                if undone:
                    log.info("entry %s: put back %d paths in %s", entry.id, len(undone), checkout.describe())
    log.info("entry %s: was %s when agentdeck stopped; queued again", entry.id, entry.state.value)
    entry.state = EntryState.QUEUED
    entry.candidate_commit = None
    entry.base_commit = None
    entry.landing_pid = None
    entry.message = "Queued again: agentdeck stopped before this entry landed"


def _remove_stale_locks(repo: pygit2.Repository, entry: QueueEntry) -> None:
    # A lock is removed only when the entry's own landing process could have
    # taken it: that process is gone, the lock is no older than the landing, no
    # process has it open, and it stays unchanged for a moment. Any other lock
    # belongs to a running git command.
    if entry.landing_pid is None or entry.landing_started is None:
        return
    if _process_alive(entry.landing_pid, entry.landing_started):
        return
    locks = [Path(repo.path) / f"refs/heads/{entry.base_branch}.lock"]
    for checkout in checkouts_of_branch(repo, entry.base_branch):
        locks.append(Path(checkout.open().path) / "index.lock")
    for lock in locks:
        try:
            before = lock.stat()
        except FileNotFoundError:
            continue
        if before.st_mtime < entry.landing_started - 1:
            continue
        if _open_by_a_process(lock) or not _unchanged_for(lock, before, LOCK_SETTLE_SECONDS):
            log.warning("entry %s: kept %s: a running git process may hold it", entry.id, lock)
            continue
        try:
            lock.unlink()
        except FileNotFoundError:
            continue
        log.warning("entry %s: removed %s, left by landing process %d", entry.id, lock, entry.landing_pid)


LOCK_SETTLE_SECONDS = 0.3
"""A lock that git renames or deletes within this time belongs to a running git command.

git holds a ref lock for milliseconds, from writing the new value to renaming
it into place."""


def _unchanged_for(path: Path, before: os.stat_result, seconds: float) -> bool:
    """Tell whether *path* is still the same file, unmodified, after *seconds*."""
    time.sleep(seconds)
    try:
        after = path.stat()
    except FileNotFoundError:
        return False
    return (after.st_ino, after.st_mtime_ns, after.st_size) == (before.st_ino, before.st_mtime_ns, before.st_size)


def _process_alive(pid: int, since: float) -> bool:
    """Tell whether process *pid* runs and is the one that was running at time *since*.

    After a crash and a reboot the saved pid may belong to another process.
    Where /proc gives process start times, a process that started after *since*
    counts as a different one. Elsewhere any process with that pid counts as alive.
    """
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass
    started = _process_start_time(pid)
    return started is None or started <= since + 1


def _process_start_time(pid: int) -> float | None:
    """Return when process *pid* started, in seconds since the epoch, or None where /proc cannot tell."""
    try:
        # The command name in field 2 may hold spaces and parentheses, so fields are counted from its end.
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        boot = next(
            float(line.split()[1]) for line in Path("/proc/stat").read_text().splitlines() if line.startswith("btime ")
        )
        return boot + int(fields[19]) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError, StopIteration):
        return None


def _open_by_a_process(path: Path) -> bool:
    """Tell whether any process has *path* open, as far as /proc shows; False where it cannot tell."""
    proc = Path("/proc")
    if not proc.is_dir():
        return False
    target = str(path.resolve())
    for descriptors in proc.glob("[0-9]*/fd"):
        try:
            links = [os.readlink(link) for link in descriptors.iterdir()]
        except OSError:
            continue
        if target in links:
            return True
    return False


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


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"
