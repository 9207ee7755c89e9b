"""The record of what landed, one JSON object a line in ``<git common dir>/agentdeck/landings.jsonl``.

Each landing appends one line and syncs it to disk. Appending keeps every
earlier record intact, so a crash can at worst leave a last line cut short,
which the reader skips.
"""

from __future__ import annotations

import json
import logging
import os
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import pygit2

log = logging.getLogger(__name__)

LANDINGS_FILE = "landings.jsonl"


@dataclass
class LandingRecord:
    """One landed queue entry."""

    entry_id: str
    task_id: str
    title: str
    branch: str
    base_branch: str
    strategy: str
    old_tip: str
    new_tip: str
    task_commits: list[str]
    files_changed: int
    insertions: int
    deletions: int
    check: str
    """``passed``, ``not run`` or, for a landing found after a crash, ``unknown``."""
    landed_at: float = field(default_factory=time.time)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def diffstat(repo: pygit2.Repository, old_tip: str, new_tip: str) -> tuple[int, int, int]:
    """Return files changed, lines inserted and lines deleted from *old_tip* to *new_tip*."""
    old_tree = repo[old_tip].peel(pygit2.Tree)
    new_tree = repo[new_tip].peel(pygit2.Tree)
    stats = old_tree.diff_to_tree(new_tree).stats
    return stats.files_changed, stats.insertions, stats.deletions


def append_record(state_dir: Path, record: LandingRecord) -> None:
    """Append *record* to the landings file and sync it to disk."""
    path = state_dir / LANDINGS_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    line = json.dumps(record.to_dict(), sort_keys=True) + "\n"
    with path.open("a", encoding="utf-8") as handle:
        handle.write(line)
        handle.flush()
        os.fsync(handle.fileno())


def read_records(state_dir: Path) -> list[LandingRecord]:
    """Return every complete record in the landings file, oldest first."""
    path = state_dir / LANDINGS_FILE
    if not path.is_file():
        return []
    known = set(LandingRecord.__dataclass_fields__)
    records = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        try:
            data = json.loads(line)
            records.append(LandingRecord(**{key: value for key, value in data.items() if key in known}))
        except (json.JSONDecodeError, TypeError) as error:
            log.warning("%s:%d: skipped an unreadable landing record: %s", path, number, error)
    return records
