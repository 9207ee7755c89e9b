"""Tasks, session statuses and merge queue entries: the records the deck keeps."""

from __future__ import annotations

import enum
import time
import uuid
from dataclasses import asdict, dataclass, field
from typing import Any


class SessionStatus(str, enum.Enum):
    """The state of a task's agent session, as shown in the task list."""

    STARTING = "starting"
    WORKING = "working"
    WAITING = "waiting"
    IDLE = "idle"
    EXITED = "exited"
    FAILED = "failed"
    STOPPED = "stopped"

    @property
    def is_running(self) -> bool:
        """True while the agent process is alive."""
        return self in (
            SessionStatus.STARTING,
            SessionStatus.WORKING,
            SessionStatus.WAITING,
            SessionStatus.IDLE,
        )


class EntryState(str, enum.Enum):
    """The state of a merge queue entry."""

    QUEUED = "queued"
    CHECKING = "checking"
    LANDING = "landing"
    LANDED = "landed"
    CONFLICT = "conflict"
    FAILED = "failed"
    REMOVED = "removed"


def new_id() -> str:
    """Return a short random id for a task or a queue entry."""
    return uuid.uuid4().hex[:12]


@dataclass
class Task:
    """One unit of work: its own branch, linked worktree and agent session."""

    title: str
    prompt: str
    agent: str
    base_branch: str
    slug: str
    branch: str
    worktree: str
    id: str = field(default_factory=new_id)
    created_at: float = field(default_factory=time.time)
    status: SessionStatus = SessionStatus.STARTING
    exit_status: int | None = None
    finished_at: float | None = None
    added: int = 0
    removed: int = 0
    agent_session_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    """The conversation id given to agents that accept one, so a restart can resume it."""

    auto_accept: bool = False
    """Answer the agent's permission prompts and trust dialogs automatically."""

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["status"] = self.status.value
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Task:
        known = {name for name in cls.__dataclass_fields__}
        values = {key: value for key, value in data.items() if key in known}
        values["status"] = SessionStatus(values.get("status", "stopped"))
        return cls(**values)


@dataclass
class ConflictPath:
    """One path that stops a merge, with the kind of conflict git would report."""

    path: str
    kind: str = "content"

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class QueueEntry:
    """An approved task waiting to land on its base branch."""

    task_id: str
    base_branch: str
    id: str = field(default_factory=new_id)
    state: EntryState = EntryState.QUEUED
    strategy: str = "merge"
    conflicts: list[ConflictPath] = field(default_factory=list)
    message: str = ""
    landed_commit: str | None = None
    queued_at: float = field(default_factory=time.time)
    candidate_commit: str | None = None
    """The commit the base branch is about to move to, saved before the move so a restart can tell if it did."""
    base_commit: str | None = None
    """The base tip that ``candidate_commit`` was computed from and checked against."""
    check_log: str = ""
    check_result: str = ""
    landing_pid: int | None = None
    """The process landing this entry, so a restart can tell its leftover lock files from another git's."""
    landing_started: float | None = None

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["state"] = self.state.value
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> QueueEntry:
        known = {name for name in cls.__dataclass_fields__}
        values = {key: value for key, value in data.items() if key in known}
        values["state"] = EntryState(values.get("state", "queued"))
        values["conflicts"] = [ConflictPath(**item) for item in values.get("conflicts", [])]
        return cls(**values)
