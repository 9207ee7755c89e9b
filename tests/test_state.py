"""Saved state: round trip, atomic replacement and unreadable files."""

from __future__ import annotations

import json

import pytest

from agentdeck.errors import StateError
from agentdeck.state import DeckState, StateStore
from agentdeck.tasks import ConflictPath, EntryState, QueueEntry, SessionStatus, Task


def sample_task(**changes) -> Task:
    values = dict(
        title="Fix “quotes” 中文", prompt="line 1\nline 2 $(x) `y`\t", agent="demo", base_branch="main",
        slug="fix", branch="agentdeck/fix", worktree="/tmp/x",
    )
    values.update(changes)
    return Task(**values)


def test_round_trip(tmp_path):
    store = StateStore(tmp_path / "agentdeck")
    task = sample_task(status=SessionStatus.IDLE, added=3, removed=1)
    entry = QueueEntry(task_id=task.id, base_branch="main", state=EntryState.CONFLICT, conflicts=[ConflictPath("a b.txt", "content")])
    store.save(DeckState(tasks=[task], queue=[entry]))

    loaded = StateStore(tmp_path / "agentdeck").load()

    assert loaded.tasks == [task]
    assert loaded.queue == [entry]


def test_missing_file_is_empty(tmp_path):
    assert StateStore(tmp_path / "none").load() == DeckState()


def test_save_leaves_no_temporary_files(tmp_path):
    store = StateStore(tmp_path / "agentdeck")
    for number in range(5):
        store.save(DeckState(tasks=[sample_task(title=f"t{number}")]))
    assert [path.name for path in (tmp_path / "agentdeck").iterdir()] == ["state.json"]


def test_corrupt_file_is_reported_and_kept(tmp_path):
    folder = tmp_path / "agentdeck"
    folder.mkdir()
    (folder / "state.json").write_text("{not json")
    with pytest.raises(StateError, match="unreadable.*move the file aside"):
        StateStore(folder).load()
    assert (folder / "state.json").read_text() == "{not json"


def test_newer_version_is_refused(tmp_path):
    folder = tmp_path / "agentdeck"
    folder.mkdir()
    (folder / "state.json").write_text(json.dumps({"version": 99, "tasks": []}))
    with pytest.raises(StateError, match="newer agentdeck"):
        StateStore(folder).load()
