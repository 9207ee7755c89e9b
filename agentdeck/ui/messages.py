"""Messages passed between the deck's widgets and screens."""

from __future__ import annotations

from dataclasses import dataclass

from textual.message import Message


@dataclass
class SessionOutput(Message):
    """A session produced output; posted at most once per redraw, not per chunk."""

    task_id: str

    def can_replace(self, message: Message) -> bool:
        return isinstance(message, SessionOutput) and message.task_id == self.task_id


@dataclass
class TaskCreated(Message):
    """A task was created and its agent started."""

    task_id: str


@dataclass
class TasksChanged(Message):
    """Tasks or their statuses changed; the task list redraws."""
