"""Review comments on a task's diff, the follow-up prompt they become, and the rounds already sent.

Each task has one JSON file, ``<state dir>/reviews/<task id>.json``, with the
comments not yet sent and every earlier round. It is replaced atomically on
each change, so a crash leaves either the old or the new file.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from agentdeck.errors import ReviewError
from agentdeck.state import write_atomically
from agentdeck.tasks import new_id

log = logging.getLogger(__name__)

REVIEWS_VERSION = 1


@dataclass(frozen=True, slots=True)
class ReviewComment:
    """A reviewer's note on one line or a range of lines of one side of a file's diff."""

    path: str
    side: str
    """"new" for lines of the task's version, "old" for lines of the merge-base version."""
    start_line: int
    end_line: int
    quoted: tuple[str, ...]
    """The text of the lines commented on, as it is in the file."""
    text: str
    id: str = field(default_factory=new_id)
    created_at: float = field(default_factory=time.time)

    @property
    def location(self) -> str:
        """``path, line 12`` or ``path, lines 12-14``, plus "(removed)" for lines of the old side."""
        lines = f"line {self.start_line}" if self.start_line == self.end_line else f"lines {self.start_line}-{self.end_line}"
        where = f"{self.path}, {lines}"
        return f"{where} (removed)" if self.side == "old" else where

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["quoted"] = list(self.quoted)
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ReviewComment:
        return cls(
            path=str(data["path"]),
            side=str(data["side"]),
            start_line=int(data["start_line"]),
            end_line=int(data["end_line"]),
            quoted=tuple(str(line) for line in data.get("quoted", ())),
            text=str(data["text"]),
            id=str(data.get("id") or new_id()),
            created_at=float(data.get("created_at", 0.0)),
        )


@dataclass(frozen=True, slots=True)
class ReviewRound:
    """Comments sent to the agent together as one follow-up prompt."""

    number: int
    sent_at: float
    comments: tuple[ReviewComment, ...]
    prompt: str
    """The prompt exactly as it was sent."""

    def to_dict(self) -> dict[str, Any]:
        return {
            "number": self.number,
            "sent_at": self.sent_at,
            "comments": [comment.to_dict() for comment in self.comments],
            "prompt": self.prompt,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ReviewRound:
        return cls(
            number=int(data["number"]),
            sent_at=float(data["sent_at"]),
            comments=tuple(ReviewComment.from_dict(item) for item in data.get("comments", [])),
            prompt=str(data.get("prompt", "")),
        )


@dataclass(slots=True)
class TaskReviews:
    """The pending comments and the earlier rounds of one task."""

    task_id: str
    pending: list[ReviewComment] = field(default_factory=list)
    rounds: list[ReviewRound] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "version": REVIEWS_VERSION,
            "task_id": self.task_id,
            "pending": [comment.to_dict() for comment in self.pending],
            "rounds": [item.to_dict() for item in self.rounds],
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> TaskReviews:
        return cls(
            task_id=str(data["task_id"]),
            pending=[ReviewComment.from_dict(item) for item in data.get("pending", [])],
            rounds=[ReviewRound.from_dict(item) for item in data.get("rounds", [])],
        )


def format_prompt(comments: Sequence[ReviewComment], round_number: int) -> str:
    """Write *comments* as one follow-up prompt that quotes each file, line and text.

    Raises:
        ReviewError: there are no comments to send.
    """
    if not comments:
        raise ReviewError("there are no review comments to send; press c on a line to write one")
    count = "1 comment" if len(comments) == 1 else f"{len(comments)} comments"
    parts = [f"Code review round {round_number} of your changes: {count}. Address each one, then say what you changed."]
    for number, comment in enumerate(comments, start=1):
        quoted = "\n".join(f"    > {line}" for line in comment.quoted)
        block = f"{number}. {comment.location}:"
        if quoted:
            block += f"\n{quoted}"
        text = "\n".join(f"   {line}" if line else "" for line in comment.text.strip().splitlines())
        parts.append(f"{block}\n{text}")
    return "\n\n".join(parts)


class ReviewStore:
    """Reads and writes the review file of each task; safe to call from any thread."""

    def __init__(self, state_dir: Path) -> None:
        self.folder = state_dir / "reviews"
        self._lock = threading.Lock()

    def path(self, task_id: str) -> Path:
        """Return the JSON file of *task_id*."""
        return self.folder / f"{task_id}.json"

    def load(self, task_id: str) -> TaskReviews:
        """Return the comments and rounds of *task_id*; a task never reviewed has none.

        Raises:
            ReviewError: the file exists but cannot be read or parsed.
        """
        path = self.path(task_id)
        try:
            raw = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return TaskReviews(task_id)
        except OSError as error:
            raise ReviewError(f"{path}: cannot read review comments: {error.strerror}; check the file's permissions") from error
        try:
            return TaskReviews.from_dict(json.loads(raw))
        except (ValueError, KeyError, TypeError) as error:
            raise ReviewError(f"{path}: invalid review comments file ({error}); move it aside to start the task's review afresh") from error

    def save(self, reviews: TaskReviews) -> None:
        """Replace the file of ``reviews.task_id`` atomically."""
        with self._lock:
            self._write(reviews)

    def add_comment(self, task_id: str, comment: ReviewComment) -> TaskReviews:
        """Add *comment* to the pending comments of *task_id* and save."""
        with self._lock:
            reviews = self.load(task_id)
            reviews.pending.append(comment)
            self._write(reviews)
        return reviews

    def remove_comment(self, task_id: str, comment_id: str) -> TaskReviews:
        """Drop the pending comment with *comment_id*, if there is one, and save."""
        with self._lock:
            reviews = self.load(task_id)
            reviews.pending = [comment for comment in reviews.pending if comment.id != comment_id]
            self._write(reviews)
        return reviews

    def record_round(self, task_id: str, comments: Sequence[ReviewComment], prompt: str, sent_at: float | None = None) -> ReviewRound:
        """Save *comments* as the next round of *task_id* and drop them from the pending ones."""
        with self._lock:
            reviews = self.load(task_id)
            sent = ReviewRound(len(reviews.rounds) + 1, time.time() if sent_at is None else sent_at, tuple(comments), prompt)
            sent_ids = {comment.id for comment in comments}
            reviews.pending = [comment for comment in reviews.pending if comment.id not in sent_ids]
            reviews.rounds.append(sent)
            self._write(reviews)
        log.info("task %s: review round %d recorded with %d comment(s)", task_id, sent.number, len(comments))
        return sent

    def _write(self, reviews: TaskReviews) -> None:
        data = json.dumps(reviews.to_dict(), ensure_ascii=False, indent=2).encode("utf-8")
        write_atomically(self.path(reviews.task_id), data)
