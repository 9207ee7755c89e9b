"""Tasks and the merge queue, saved as one JSON file under the git common directory.

Every save writes a temporary file beside the real one, flushes it to disk and
renames it over the old file, so a crash at any moment leaves either the old
state or the new one, never a torn file.
"""

from __future__ import annotations

import json
import logging
import os
import tempfile
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from agentdeck.errors import StateError
from agentdeck.tasks import QueueEntry, Task

log = logging.getLogger(__name__)

STATE_VERSION = 1


@dataclass
class DeckState:
    """Everything the deck remembers between runs."""

    tasks: list[Task] = field(default_factory=list)
    queue: list[QueueEntry] = field(default_factory=list)

    def task(self, task_id: str) -> Task | None:
        """Return the task with *task_id*, or None."""
        return next((task for task in self.tasks if task.id == task_id), None)

    def to_dict(self) -> dict[str, Any]:
        return {
            "version": STATE_VERSION,
            "tasks": [task.to_dict() for task in self.tasks],
            "queue": [entry.to_dict() for entry in self.queue],
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> DeckState:
        return cls(
            tasks=[Task.from_dict(item) for item in data.get("tasks", [])],
            queue=[QueueEntry.from_dict(item) for item in data.get("queue", [])],
        )


def write_atomically(path: Path, data: bytes) -> None:
    """Replace *path* with *data* so that readers see the old or the new content, never a mix."""
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    directory = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(directory)
    finally:
        os.close(directory)


class StateStore:
    """Loads and saves the deck state of one repository; safe to call from any thread."""

    def __init__(self, state_dir: Path) -> None:
        self.state_dir = state_dir
        self.path = state_dir / "state.json"
        self._lock = threading.Lock()

    def load(self) -> DeckState:
        """Read the saved state; a missing file is an empty state.

        Raises:
            StateError: the file exists but cannot be read or parsed. The file
                is left in place so nothing is lost.
        """
        try:
            raw = self.path.read_bytes()
        except FileNotFoundError:
            return DeckState()
        except OSError as error:
            raise StateError(f"{self.path}: cannot read saved tasks: {error.strerror}") from error
        try:
            data = json.loads(raw)
            if not isinstance(data, dict):
                raise ValueError("top level is not an object")
            if data.get("version", STATE_VERSION) > STATE_VERSION:
                raise StateError(
                    f"{self.path}: written by a newer agentdeck (state version {data['version']}); upgrade agentdeck"
                )
            return DeckState.from_dict(data)
        except (ValueError, TypeError, KeyError) as error:
            raise StateError(
                f"{self.path}: saved tasks are unreadable ({error}); move the file aside to start with no tasks"
            ) from error

    def save(self, state: DeckState) -> None:
        """Write *state* atomically."""
        payload = json.dumps(state.to_dict(), indent=2, ensure_ascii=False).encode("utf-8")
        with self._lock:
            try:
                write_atomically(self.path, payload)
            except OSError as error:
                raise StateError(f"{self.path}: cannot save tasks: {error.strerror}") from error
