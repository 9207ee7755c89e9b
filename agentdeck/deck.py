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
from dataclasses import dataclass
from pathlib import Path

from agentdeck import review as review_module
from agentdeck.config import Config
from agentdeck.errors import TaskError
from agentdeck.merge_queue import LandOutcome, QueueRow, land_queue, merge_message
from agentdeck.repository import RepositoryInfo, current_branch, local_branches
from agentdeck.sessions import Session, agent_environment
from agentdeck.state import DeckState, StateStore
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
    ) -> Task:
        """Create the task's branch and worktree, start its agent and save it.

        Raises:
            TaskError: the title and prompt are both empty.
            ConfigError: the agent is unknown.
            WorktreeError: the branch or worktree could not be made.
            SessionError: the agent could not be started; the task is kept, stopped.
        """
        title = title.strip()
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
            )
            self.state.tasks.append(task)
            self.save()
        log.info("task %s: created %r on %s", task.id, title, task.branch)
        self.start_session(task.id, columns, rows)
        return task

    def start_session(self, task_id: str, columns: int = 80, rows: int = 24, with_prompt: bool = True) -> Session:
        """Start (or restart) the agent of a task at the given terminal size."""
        task = self.task(task_id)
        old = self.sessions.get(task_id)
        if old is not None and old.is_alive:
            raise TaskError(f"task {task.title!r} is still running; stop it first (x)")

        profile = self.config.agent(task.agent)
        prompt = task.prompt if with_prompt else ""
        if profile.takes_prompt_in_argv:
            argv = profile.argv(prompt)
            terminal_prompt = None
        else:
            argv = list(profile.command)
            terminal_prompt = prompt or None

        environment = agent_environment(
            os.environ,
            {
                "AGENTDECK_TASK_ID": task.id,
                "AGENTDECK_TASK_SLUG": task.slug,
                "AGENTDECK_BRANCH": task.branch,
                "AGENTDECK_BASE_BRANCH": task.base_branch,
                "AGENTDECK_WORKTREE": task.worktree,
                "AGENTDECK_REPOSITORY": str(self.repository.root),
            },
        )

        session = Session(task.id, argv, Path(task.worktree), environment, columns, rows, terminal_prompt)
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

    def stop_session(self, task_id: str) -> None:
        """Stop a task's agent; it can be started again with ``start_session``."""
        session = self.sessions.get(task_id)
        if session is not None:
            session.stop()
        self.refresh_statuses()

    def delete_task(self, task_id: str, force: bool = False) -> None:
        """Stop the task's agent, remove its worktree and, when fully landed, its branch.

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
        if branch is not None and unlanded_commits(repo, task.branch, task.base_branch) == 0:
            branch.delete()
            log.info("task %s: deleted branch %s", task.id, task.branch)
        with self.lock:
            self.state.tasks = [item for item in self.state.tasks if item.id != task_id]
            for entry in self.state.queue:
                if entry.task_id == task_id and entry.state is not EntryState.LANDED:
                    entry.state = EntryState.REMOVED
            self.sessions.pop(task_id, None)
            self.save()

    def refresh_statuses(self) -> list[Task]:
        """Update every task's status from its session; return the tasks whose status changed."""
        now = time.monotonic()
        changed: list[Task] = []
        with self.lock:
            for task in self.state.tasks:
                session = self.sessions.get(task.id)
                if session is None:
                    continue
                status = session.update_status(now)
                if status != task.status:
                    task.status = status
                    if not status.is_running:
                        task.exit_status = session.exit_status
                        task.finished_at = time.time()
                    changed.append(task)
            if any(not task.status.is_running for task in changed):
                self.save()
        return changed

    def refresh_diff_stats(self) -> None:
        """Recount the lines added and removed by every task; slow, so call it from a worker."""
        for task in self.tasks:
            if not Path(task.worktree).is_dir():
                continue
            try:
                added, removed = review_module.diff_stat(Path(task.worktree), task.branch, task.base_branch)
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

    def review(self, task_id: str) -> review_module.Review:
        """Compute the task's changes against the merge-base with its base branch."""
        task = self.task(task_id)
        return review_module.compute_review(Path(task.worktree), task.branch, task.base_branch)

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
                rows.append(QueueRow(entry.id, title, branch, entry.base_branch, entry.state, detail))
        return rows

    def land_queue(self) -> list[LandOutcome]:
        """Land every queued entry in order, saving after each step.

        Landing stops at an entry that is refused without a conflict (uncommitted
        work in the way), so no later entry lands ahead of it.
        """

        def lookup(entry: QueueEntry) -> tuple[str, str] | None:
            task = self.state.task(entry.task_id)
            if task is None:
                return None
            return task.branch, merge_message(task.branch, task.title)

        def before(entry: QueueEntry) -> None:
            self.save()

        # The deck lock is taken only to save: landing can take a second on a large
        # repository, and the UI thread takes the same lock to refresh statuses.
        outcomes: list[LandOutcome] = []
        for entry, outcome in land_queue(self.repository.root, list(self.state.queue), lookup, before):
            self.save()
            log.info("entry %s (task %s): %s %s", entry.id, entry.task_id, outcome.state.value, outcome.message)
            outcomes.append(outcome)
        return outcomes

    def remove_entry(self, entry_id: str) -> None:
        with self.lock:
            for entry in self.state.queue:
                if entry.id == entry_id and entry.state is not EntryState.LANDED:
                    entry.state = EntryState.REMOVED
            self.save()
