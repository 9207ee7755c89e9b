"""The deck: tasks, their sessions and the merge queue of one repository, without any UI.

The UI calls these methods. The slow ones (creating a worktree, reviewing,
approving, landing) run in worker threads, so every change to the shared
state happens under one lock and is saved before the call returns.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from agentdeck import review as review_module
from agentdeck.checks import CheckSettings
from agentdeck.config import Config
from agentdeck.errors import ReviewError, TaskError
from agentdeck.hooks import wire_hooks
from agentdeck.merge_queue import (
    LandOptions,
    LandOutcome,
    LandRequest,
    QueueRow,
    conflict_prompt,
    land_queue,
    resume_entries,
)
from agentdeck.repository import RepositoryInfo, current_branch, local_branches
from agentdeck.review_comments import ReviewComment, ReviewRound, ReviewStore, TaskReviews, format_prompt
from agentdeck.sessions import Session, agent_environment
from agentdeck.state import DeckState, StateStore
from agentdeck.strategies import STRATEGIES
from agentdeck.tasks import EntryState, QueueEntry, SessionStatus, Task
from agentdeck.worktrees import create_task_checkout, has_uncommitted_changes, remove_task_checkout, unlanded_commits

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ApproveResult:
    """The result of approving a task: the commit made, if any, and its queue entry."""

    commit: str | None
    hooks_skipped: bool
    entry: QueueEntry
    already_queued: bool


class Deck:
    """Tasks, sessions and merge queue of one repository."""

    def __init__(self, repository: RepositoryInfo, config: Config, store: StateStore | None = None) -> None:
        self.repository = repository
        self.config = config
        self.store = store or StateStore(repository.state_dir)
        self.lock = threading.RLock()
        self.sessions: dict[str, Session] = {}
        self.state: DeckState = self.store.load()
        self._mark_orphaned_sessions()
        self._resume_queue()

    def _mark_orphaned_sessions(self) -> None:
        # A task that was running when the last deck ended has no process now.
        changed = False
        for task in self.state.tasks:
            if task.status.is_running:
                task.status = SessionStatus.STOPPED
                changed = True
        if changed:
            self.save()

    # -- queries ----------------------------------------------------------------------

    @property
    def tasks(self) -> list[Task]:
        return list(self.state.tasks)

    def task(self, task_id: str) -> Task:
        """Return the task with *task_id*.

        Raises:
            TaskError: no such task.
        """
        task = self.state.task(task_id)
        if task is None:
            raise TaskError(f"task {task_id!r} not found; it may have been deleted")
        return task

    def session(self, task_id: str) -> Session | None:
        return self.sessions.get(task_id)

    def running_sessions(self) -> list[Session]:
        return [session for session in self.sessions.values() if session.is_alive]

    def queue_states(self) -> dict[str, EntryState]:
        """Return the state of each task's latest merge queue entry, by task id; removed entries are left out."""
        with self.lock:
            return {
                entry.task_id: entry.state for entry in self.state.queue if entry.state is not EntryState.REMOVED
            }

    def default_base_branch(self) -> str:
        """Return the branch checked out in the main checkout, or the first local branch."""
        repo = self.repository.open()
        branch = current_branch(repo)
        if branch is not None:
            return branch
        branches = local_branches(repo)
        return branches[0] if branches else "main"

    def branches(self) -> list[str]:
        return local_branches(self.repository.open())

    def agent_names(self) -> list[str]:
        return sorted(self.config.agents)

    def worktree_root(self) -> Path:
        return self.config.worktree_root_for(self.repository.root)

    def save(self) -> None:
        with self.lock:
            self.store.save(self.state)

    # -- tasks ------------------------------------------------------------------------

    def create_task(
        self,
        title: str,
        prompt: str,
        agent: str | None = None,
        base_branch: str | None = None,
        columns: int = 80,
        rows: int = 24,
        auto_accept: bool = False,
    ) -> Task:
        """Create the task's branch and worktree, start its agent and save it.

        Raises:
            TaskError: the title and prompt are both empty.
            ConfigError: the agent is unknown.
            WorktreeError: the branch or worktree could not be made.
            SessionError: the agent could not be started; the task is kept, stopped.
        """
        title = " ".join(title.split())
        if not title:
            first_line = next((line.strip() for line in prompt.splitlines() if line.strip()), "")
            title = first_line[:72]
        if not title:
            raise TaskError("the task needs a title or a prompt; type one of them")
        agent = agent or self.config.default_agent
        self.config.agent(agent)
        base_branch = base_branch or self.default_base_branch()

        with self.lock:
            checkout = create_task_checkout(
                self.repository.open(),
                title,
                base_branch,
                self.config.branch_prefix,
                self.worktree_root(),
            )
            task = Task(
                title=title,
                prompt=prompt,
                agent=agent,
                base_branch=base_branch,
                slug=checkout.slug,
                branch=checkout.branch,
                worktree=str(checkout.path),
                auto_accept=auto_accept,
            )
            self.state.tasks.append(task)
            self.save()
        log.info("task %s: created %r on %s", task.id, title, task.branch)
        self.start_session(task.id, columns, rows)
        return task

    def start_session(
        self,
        task_id: str,
        columns: int = 80,
        rows: int = 24,
        with_prompt: bool = True,
        resume: bool = False,
    ) -> Session:
        """Start (or restart) the agent of a task at the given terminal size.

        With *resume*, the profile's resume command continues the task's
        conversation instead of starting a new one with the prompt.
        """
        task = self.task(task_id)
        old = self.sessions.get(task_id)
        if old is not None and old.is_alive:
            raise TaskError(f"task {task.title!r} is still running; stop it first (x)")

        profile = self.config.agent(task.agent)
        terminal_prompt = None
        if resume:
            argv = profile.resume_argv(task.agent_session_id)
        elif profile.takes_prompt_in_argv:
            argv = profile.argv(task.prompt if with_prompt else "", task.agent_session_id)
        else:
            argv = profile.argv("", task.agent_session_id)
            terminal_prompt = (task.prompt if with_prompt else "") or None

        wiring = wire_hooks(
            profile.hooks, argv, self.repository.state_dir / "hooks", task.id, task.agent_session_id, resume
        )
        environment = agent_environment(
            os.environ,
            {
                "AGENTDECK_TASK_ID": task.id,
                "AGENTDECK_TASK_SLUG": task.slug,
                "AGENTDECK_BRANCH": task.branch,
                "AGENTDECK_BASE_BRANCH": task.base_branch,
                "AGENTDECK_WORKTREE": task.worktree,
                "AGENTDECK_REPOSITORY": str(self.repository.root),
                **wiring.environment,
            },
        )

        session = Session(
            task.id,
            wiring.argv,
            Path(task.worktree),
            environment,
            columns,
            rows,
            terminal_prompt,
            rules=profile.rules,
            events_path=wiring.events_path,
            auto_accept=task.auto_accept,
        )
        with self.lock:
            self.sessions[task.id] = session
            task.status = SessionStatus.STARTING
            task.exit_status = None
            task.finished_at = None
        try:
            session.start()
        except Exception:
            with self.lock:
                task.status = SessionStatus.FAILED
                self.save()
            raise
        self.save()
        return session

    def set_auto_accept(self, task_id: str, enabled: bool) -> None:
        """Turn auto-accept of permission prompts on or off for a task and its running session."""
        task = self.task(task_id)
        with self.lock:
            task.auto_accept = enabled
            session = self.sessions.get(task_id)
            if session is not None:
                session.auto_accept = enabled
            self.save()
        log.info("task %s: auto-accept %s", task_id, "on" if enabled else "off")

    def stop_session(self, task_id: str) -> None:
        """Stop a task's agent; it can be started again with ``start_session``."""
        session = self.sessions.get(task_id)
        if session is not None:
            session.stop()
        self.refresh_statuses()

    def delete_task(self, task_id: str, force: bool = False) -> bool:
        """Stop the task's agent, remove its worktree and, when fully landed, its branch.

        Returns True when the branch was deleted too.

        Without *force* the call raises when the worktree has uncommitted changes
        or the branch has commits that are not on the base branch.

        Raises:
            TaskError: unlanded or uncommitted work would be lost and *force* is False.
        """
        task = self.task(task_id)
        worktree = Path(task.worktree)
        repo = self.repository.open()
        if not force:
            dirty = has_uncommitted_changes(worktree) if worktree.exists() else []
            if dirty:
                raise TaskError(
                    f"{worktree}: {len(dirty)} uncommitted change(s) ({', '.join(dirty[:3])}); "
                    "approve or commit them first, or confirm deletion explicitly"
                )
            ahead = unlanded_commits(repo, task.branch, task.base_branch)
            if ahead:
                raise TaskError(
                    f"branch {task.branch} has {ahead} commit(s) not on {task.base_branch}; "
                    "land them first, or confirm deletion explicitly (the branch is kept)"
                )
        self.stop_session(task_id)
        remove_task_checkout(repo, task.slug, worktree, self.worktree_root(), self.repository.root)
        branch = repo.branches.local.get(task.branch)
        branch_deleted = False
        if branch is not None and unlanded_commits(repo, task.branch, task.base_branch) == 0:
            branch.delete()
            branch_deleted = True
            log.info("task %s: deleted branch %s", task.id, task.branch)
        with self.lock:
            self.state.tasks = [item for item in self.state.tasks if item.id != task_id]
            for entry in self.state.queue:
                if entry.task_id == task_id and entry.state is not EntryState.LANDED:
                    entry.state = EntryState.REMOVED
            self.sessions.pop(task_id, None)
            self.save()
        return branch_deleted

    def refresh_statuses(self) -> list[Task]:
        """Update every task's status from its session; return the tasks whose status changed."""
        return [task for task, _ in self.refresh_statuses_with_previous()]

    def refresh_statuses_with_previous(self) -> list[tuple[Task, SessionStatus]]:
        """Update every task's status; return each changed task with the status it had before."""
        now = time.monotonic()
        changed: list[tuple[Task, SessionStatus]] = []
        with self.lock:
            for task in self.state.tasks:
                session = self.sessions.get(task.id)
                if session is None:
                    continue
                previous = task.status
                status = session.update_status(now)
                if status != previous:
                    task.status = status
                    if not session.is_alive:
                        task.exit_status = session.exit_status
                        task.finished_at = time.time()
                    changed.append((task, previous))
            if changed:
                self.save()
        return changed

    def refresh_diff_stats(self, selected: str | None = None) -> None:
        """Recount the lines added and removed by every task; slow, so call it from a worker.

        The *selected* task's review is computed along the way and cached while
        its worktree stays as it is, so that review opens without waiting on git.
        """
        for task in self.tasks:
            if not Path(task.worktree).is_dir():
                continue
            try:
                added, removed = review_module.diff_stat(
                    Path(task.worktree), task.branch, task.base_branch, cache_review=task.id == selected
                )
            except Exception as error:  # a task mid-deletion or a broken worktree must not stop the others
                log.warning("task %s: cannot count changes: %s", task.id, error)
                continue
            with self.lock:
                task.added, task.removed = added, removed

    def shutdown(self) -> None:
        """Stop every running agent and save; no process outlives the deck."""
        sessions = self.running_sessions()
        threads = [threading.Thread(target=session.stop) for session in sessions]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        self.refresh_statuses()
        self.save()

    # -- review ---------------------------------------------------------------------------

    def review(self, task_id: str, ignore_whitespace: bool = False, lazy_hunks: bool = False) -> review_module.Review:
        """Compute the task's changes against the merge-base with its base branch; slow, so call it from a worker.

        With *lazy_hunks*, patches are parsed file by file on use, with
        :func:`agentdeck.review.load_hunks`.
        """
        task = self.task(task_id)
        return review_module.compute_review(
            Path(task.worktree), task.branch, task.base_branch, ignore_whitespace=ignore_whitespace, lazy_hunks=lazy_hunks
        )

    def review_fingerprint(self, task_id: str) -> str:
        """Return a value that changes whenever the task's review would; hashes the worktree, so call it from a worker."""
        task = self.task(task_id)
        return review_module.review_fingerprint(Path(task.worktree), task.branch, task.base_branch)

    def review_watch(self, task_id: str) -> review_module.ReviewWatch:
        """Return the task's watch, whose fingerprint hashes the worktree only after its files' stat data changed."""
        task = self.task(task_id)
        return review_module.watch_for(Path(task.worktree), task.branch, task.base_branch)

    @property
    def review_store(self) -> ReviewStore:
        """The review comments and rounds of every task, under the state directory."""

        with self.lock:
            store = getattr(self, "_review_store", None)
            if store is None:
                store = ReviewStore(self.repository.state_dir)
                self._review_store = store
        return store

    def review_comments(self, task_id: str) -> TaskReviews:
        """Return the task's pending review comments and earlier rounds."""
        return self.review_store.load(task_id)

    def add_review_comment(self, task_id: str, comment: ReviewComment) -> TaskReviews:
        """Keep *comment* as pending until the next round is sent."""
        self.task(task_id)
        return self.review_store.add_comment(task_id, comment)

    def remove_review_comment(self, task_id: str, comment_id: str) -> TaskReviews:
        """Drop a pending comment."""
        return self.review_store.remove_comment(task_id, comment_id)

    def review_rounds(self, task_id: str) -> list[ReviewRound]:
        """Return the rounds of comments already sent to the task's agent, oldest first."""
        return list(self.review_store.load(task_id).rounds)

    def send_review_comments(self, task_id: str, comments: Sequence[ReviewComment] | None = None) -> ReviewRound:
        """Send *comments* (default: every pending one) to the agent as one prompt and record the round.

        The prompt goes through the terminal as one bracketed paste and one
        Enter, with a 50 ms pause between them, so call this from a worker.

        Raises:
            TaskError: no such task.
            ReviewError: there is nothing to send, the agent is not running,
                or it is waiting for an answer (a permission dialog, say).
        """

        task = self.task(task_id)
        reviews = self.review_store.load(task_id)
        chosen = list(reviews.pending if comments is None else comments)
        prompt = format_prompt(chosen, len(reviews.rounds) + 1)
        session = self.sessions.get(task_id)
        if session is None or not session.is_alive:
            raise ReviewError(
                f"the agent of task {task.title!r} is not running, so the comments were kept but not sent; "
                "resume it with r on the deck, then send them again"
            )
        if session.update_status() is SessionStatus.WAITING:
            # Pasted into a permission dialog, the prompt would be read as
            # keys answering it, and a "y", "1" or Enter in it could approve.
            raise ReviewError(
                f"the agent of task {task.title!r} is waiting for input (a permission dialog, for example), so the comments were kept but not sent; "
                "reply to it in the task's terminal first, then send them again"
            )
        session.send_prompt(prompt)
        sent = self.review_store.record_round(task_id, chosen, prompt)
        log.info("task %s: sent review round %d (%d comments, %d characters)", task_id, sent.number, len(chosen), len(prompt))
        return sent

    def approve(self, task_id: str) -> ApproveResult:
        """Commit the task's pending changes and add it to the merge queue."""
        task = self.task(task_id)
        result = review_module.commit_pending(Path(task.worktree), task.title)
        with self.lock:
            existing = next(
                (
                    entry
                    for entry in self.state.queue
                    if entry.task_id == task_id and entry.state in (EntryState.QUEUED, EntryState.CONFLICT, EntryState.FAILED)
                ),
                None,
            )
            if existing is not None:
                existing.state = EntryState.QUEUED
                existing.conflicts = []
                existing.message = ""
                entry, already = existing, True
            else:
                entry = QueueEntry(task_id=task_id, base_branch=task.base_branch, strategy=self.config.merge_strategy)
                self.state.queue.append(entry)
                already = False
            self.save()
        log.info("task %s: approved (commit %s), queue entry %s", task_id, result.commit, entry.id)
        return ApproveResult(result.commit, result.hooks_skipped, entry, already)

    # -- merge queue ----------------------------------------------------------------------

    def queue_rows(self) -> list[QueueRow]:
        rows: list[QueueRow] = []
        with self.lock:
            for entry in self.state.queue:
                if entry.state is EntryState.REMOVED:
                    continue
                task = self.state.task(entry.task_id)
                title = task.title if task else "(deleted task)"
                branch = task.branch if task else ""
                detail = entry.message
                if entry.conflicts:
                    paths = "\n".join(f"{conflict.kind}: {conflict.path}" for conflict in entry.conflicts)
                    detail = f"{detail}\n{paths}".strip()
                rows.append(
                    QueueRow(
                        entry.id, title, branch, entry.base_branch, entry.state, detail, entry.strategy, entry.check_log
                    )
                )
        return rows

    def land_options(self) -> LandOptions:
        """Return how this deck lands: its check command, if any, and its state directory."""
        check = None
        if self.config.check:
            check = CheckSettings(tuple(self.config.check), self.config.check_timeout, self.repository.state_dir)
        return LandOptions(check=check, state_dir=self.repository.state_dir, on_change=lambda entry: self.save())

    def _land_request(self, entry: QueueEntry) -> LandRequest | None:
        task = self.state.task(entry.task_id)
        if task is None:
            return None
        return LandRequest(task.branch, task.title)

    def land_queue(self) -> list[LandOutcome]:
        """Land every queued entry in order, saving after each step.

        Landing stops at an entry that is refused without a conflict (uncommitted
        work in the way), so no later entry lands ahead of it.
        """
        # The deck lock is taken only to save: landing can take a second on a large
        # repository (minutes with a check), and the UI thread takes the same lock to refresh statuses.
        outcomes: list[LandOutcome] = []
        options = self.land_options()
        for entry, outcome in land_queue(self.repository.root, list(self.state.queue), self._land_request, options):
            self.save()
            log.info("entry %s (task %s): %s %s", entry.id, entry.task_id, outcome.state.value, outcome.message)
            if outcome.state is EntryState.LANDED and self.config.remove_after_landing:
                self._tidy_landed_task(entry)
            outcomes.append(outcome)
        return outcomes

    def _tidy_landed_task(self, entry: QueueEntry) -> None:
        # Removes only what holds nothing the base lacks: a clean worktree, and the branch
        # only when the base contains its tip (a squash or rebase landing leaves other commits).
        task = self.state.task(entry.task_id)
        if task is None:
            return
        repo = self.repository.open()
        worktree = Path(task.worktree)
        try:
            if worktree.exists() and not has_uncommitted_changes(worktree):
                self.stop_session(task.id)
                remove_task_checkout(repo, task.slug, worktree, self.worktree_root(), self.repository.root)
            branch = repo.branches.local.get(task.branch)
            if branch is not None and not worktree.exists() and unlanded_commits(repo, task.branch, task.base_branch) == 0:
                branch.delete()
                log.info("task %s: deleted landed branch %s", task.id, task.branch)
        except Exception as error:  # the landing is done; tidying up is best effort and must not undo it
            log.warning("task %s: cannot remove the landed worktree or branch: %s", task.id, error)

    def _resume_queue(self) -> None:
        # Entries left in checking or landing by a process that died are settled before anything runs.
        with self.lock:
            try:
                changed = resume_entries(
                    self.repository.root, self.repository.state_dir, self.state.queue, self._land_request
                )
            except Exception as error:  # a broken repository must not stop the deck from opening
                log.error("cannot re-examine interrupted queue entries: %s", error)
                return
            if changed:
                self.save()

    def _queue_entry(self, entry_id: str) -> QueueEntry:
        entry = next((item for item in self.state.queue if item.id == entry_id), None)
        if entry is None or entry.state is EntryState.REMOVED:
            raise TaskError(f"queue entry {entry_id!r} not found; it may have been removed")
        return entry

    def remove_entry(self, entry_id: str) -> None:
        with self.lock:
            for entry in self.state.queue:
                if entry.id == entry_id and entry.state is not EntryState.LANDED:
                    entry.state = EntryState.REMOVED
            self.save()

    def move_entry(self, entry_id: str, offset: int) -> None:
        """Move the entry *offset* places among the entries still shown (negative moves it earlier)."""
        with self.lock:
            entry = self._queue_entry(entry_id)
            shown = [item for item in self.state.queue if item.state is not EntryState.REMOVED]
            target = max(0, min(len(shown) - 1, shown.index(entry) + offset))
            shown.remove(entry)
            shown.insert(target, entry)
            removed = [item for item in self.state.queue if item.state is EntryState.REMOVED]
            self.state.queue = shown + removed
            self.save()

    def requeue_entry(self, entry_id: str) -> None:
        """Put a conflicting or failed entry back in the queue at its place.

        Raises:
            TaskError: the entry is not in conflict or failed.
        """
        with self.lock:
            entry = self._queue_entry(entry_id)
            if entry.state not in (EntryState.CONFLICT, EntryState.FAILED):
                raise TaskError(
                    f"queue entry {entry_id!r} is {entry.state.value}; only a conflict or failed entry can be queued again"
                )
            entry.state = EntryState.QUEUED
            entry.conflicts = []
            entry.message = ""
            self.save()

    def set_strategy(self, entry_id: str, strategy: str) -> None:
        """Change how the entry lands.

        Raises:
            TaskError: *strategy* is unknown, or the entry is checking, landing or landed.
        """
        if strategy not in STRATEGIES:
            raise TaskError(f"merge strategy {strategy!r} is invalid; use one of {', '.join(STRATEGIES)}")
        with self.lock:
            entry = self._queue_entry(entry_id)
            if entry.state in (EntryState.CHECKING, EntryState.LANDING, EntryState.LANDED):
                raise TaskError(f"queue entry {entry_id!r} is {entry.state.value}; its strategy can no longer change")
            entry.strategy = strategy
            self.save()

    def send_conflict_to_agent(self, entry_id: str) -> str:
        """Ask the entry's task agent to merge the base and resolve the listed conflicts; return the prompt.

        Blocks for a moment while the prompt is typed, so call it from a worker thread.

        Raises:
            TaskError: the entry has no conflicts, or its agent is not running.
        """
        with self.lock:
            entry = self._queue_entry(entry_id)
            if entry.state is not EntryState.CONFLICT or not entry.conflicts:
                raise TaskError(f"queue entry {entry_id!r} has no conflicts to send; only a conflict entry can be sent")
            text = conflict_prompt(entry.base_branch, entry.conflicts)
            session = self.sessions.get(entry.task_id)
        if session is None or not session.is_alive:
            raise TaskError(
                f"the agent of task {entry.task_id!r} is not running; start it on the deck (r), then send the conflicts again"
            )
        session.send_prompt(text)
        log.info("entry %s: sent %d conflicts to the agent of task %s", entry_id, len(entry.conflicts), entry.task_id)
        return text
