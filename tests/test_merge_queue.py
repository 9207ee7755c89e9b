"""Landing merge queue entries on real temporary repositories.

Commits are built with pygit2 without touching any working tree, the way an
agent's branch grows in its own worktree. The git command line only checks the
results: status, fsck, merge-tree and the commit graph.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pygit2
import pytest
from pygit2.enums import ConfigLevel, FileMode

from agentdeck.checkouts import checkouts_of_branch, list_checkouts, restore_checkout, update_checkout
from agentdeck.merge_queue import (
    LandOptions,
    LandOutcome,
    LandRequest,
    _BaseMoved,
    _move_base,
    land_entry,
    land_queue,
    summarize_outcomes,
)
from agentdeck.tasks import EntryState, QueueEntry

SIGNATURE = pygit2.Signature("Test", "test@example.com")


def git(cwd: Path, *args: str) -> str:
    result = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, check=True)
    return result.stdout


def make_repo(path: Path, files: dict[str, bytes]) -> pygit2.Repository:
    """Create a repository on branch main with one commit of *files*, checked out and clean."""
    repo = pygit2.init_repository(str(path), initial_head="main")
    repo.config["user.name"] = "Test"
    repo.config["user.email"] = "test@example.com"
    for name, data in files.items():
        target = path / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
        repo.index.add(name)
    repo.index.write()
    tree = repo.index.write_tree()
    repo.create_commit("HEAD", SIGNATURE, SIGNATURE, "initial", tree, [])
    return repo


def commit_on(
    repo: pygit2.Repository,
    branch: str,
    changes: dict[str, bytes | None],
    start: str | None = None,
    mode: FileMode = FileMode.BLOB,
) -> pygit2.Oid:
    """Commit *changes* on *branch* in memory (None deletes a path); create it at *start* if new."""
    existing = repo.branches.local.get(branch)
    if existing is None:
        repo.branches.local.create(branch, repo.branches.local[start].peel(pygit2.Commit))
        existing = repo.branches.local[branch]
    parent = existing.peel(pygit2.Commit)

    index = pygit2.Index()
    index.read_tree(parent.tree)
    for name, data in changes.items():
        if data is None:
            index.remove(name)
        else:
            index.add(pygit2.IndexEntry(name, repo.create_blob(data), mode))
    tree = index.write_tree(repo)
    return repo.create_commit(f"refs/heads/{branch}", SIGNATURE, SIGNATURE, f"change {branch}", tree, [parent.id])


def commit_in_checkout(repo: pygit2.Repository, changes: dict[str, bytes]) -> pygit2.Oid:
    """Commit *changes* on the branch checked out in the main checkout, as a user would."""
    root = Path(repo.workdir)
    for name, data in changes.items():
        (root / name).write_bytes(data)
        repo.index.add(name)
    repo.index.write()
    tree = repo.index.write_tree()
    return repo.create_commit("HEAD", SIGNATURE, SIGNATURE, "user commit", tree, [repo.head.target])


def tip(repo: pygit2.Repository, branch: str) -> str:
    return str(repo.branches.local[branch].target)


def land(root: Path, branch: str, base: str = "main") -> LandOutcome:
    entry = QueueEntry(task_id="t-" + branch, base_branch=base)
    return land_entry(root, entry, LandRequest(branch, f"title of {branch}"))


def status(path: Path) -> str:
    return git(path, "status", "--porcelain=v1", "--untracked-files=all")


@pytest.fixture
def repo(tmp_path: Path) -> pygit2.Repository:
    return make_repo(
        tmp_path / "app",
        {
            "a.txt": b"one\ntwo\nthree\n",
            "b.txt": b"bee\n",
            "c.txt": b"sea\n",
            "doomed.txt": b"going away\n",
        },
    )


def root_of(repo: pygit2.Repository) -> Path:
    return Path(repo.workdir)


def test_two_tasks_land_in_order(repo: pygit2.Repository) -> None:
    root = root_of(repo)
    commit_on(repo, "agentdeck/first", {"a.txt": b"one\nTWO\nthree\n", "doomed.txt": None}, start="main")
    commit_on(repo, "agentdeck/second", {"docs/new/guide.md": b"# guide\n"}, start="main")
    initial = tip(repo, "main")

    first = land(root, "agentdeck/first")
    second = land(root, "agentdeck/second")

    assert first.state == EntryState.LANDED
    assert second.state == EntryState.LANDED
    assert second.commit == tip(repo, "main")

    head = repo[second.commit]
    assert [str(parent) for parent in head.parent_ids] == [first.commit, tip(repo, "agentdeck/second")]
    assert [str(parent) for parent in repo[first.commit].parent_ids] == [initial, tip(repo, "agentdeck/first")]
    assert head.message == "Merge branch 'agentdeck/second': title of agentdeck/second"

    assert (root / "a.txt").read_bytes() == b"one\nTWO\nthree\n"
    assert (root / "docs/new/guide.md").read_bytes() == b"# guide\n"
    assert not (root / "doomed.txt").exists()
    assert status(root) == ""
    assert git(root, "diff", "--cached", "--name-only") == ""

    fsck = subprocess.run(["git", "fsck", "--strict"], cwd=root, capture_output=True, text=True)
    assert fsck.returncode == 0
    assert fsck.stdout == ""


def test_conflict_reports_path_and_changes_nothing(repo: pygit2.Repository) -> None:
    root = root_of(repo)
    commit_on(repo, "agentdeck/first", {"a.txt": b"one\nfirst\nthree\n"}, start="main")
    commit_on(repo, "agentdeck/second", {"a.txt": b"one\nsecond\nthree\n"}, start="main")
    assert land(root, "agentdeck/first").state == EntryState.LANDED
    main_before = tip(repo, "main")

    outcome = land(root, "agentdeck/second")

    assert outcome.state == EntryState.CONFLICT
    assert outcome.commit is None
    assert [(conflict.path, conflict.kind) for conflict in outcome.conflicts] == [("a.txt", "content")]
    assert "a.txt" not in outcome.message
    assert "1 file" in outcome.message
    assert tip(repo, "main") == main_before
    assert (root / "a.txt").read_bytes() == b"one\nfirst\nthree\n"
    assert status(root) == ""
    # The clean part of a merge may write blobs, but a conflict writes no commit.
    unreachable = git(root, "fsck", "--no-reflogs", "--unreachable")
    assert "unreachable commit" not in unreachable


def merge_tree_conflicts(root: Path, ours: str, theirs: str) -> set[str]:
    result = subprocess.run(
        ["git", "merge-tree", "--write-tree", "--name-only", "--no-messages", ours, theirs],
        cwd=root,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 1, result.stderr
    lines = result.stdout.splitlines()
    return {line for line in lines[1:] if line}


@pytest.mark.parametrize(
    ("ours", "theirs", "expected"),
    [
        pytest.param(
            {"a.txt": b"one\nours\nthree\n"}, {"a.txt": b"one\ntheirs\nthree\n"}, {("a.txt", "content")},
            id="content",
        ),
        pytest.param(
            {"b.txt": None}, {"b.txt": b"bee changed\n"}, {("b.txt", "delete/modify")}, id="delete-modify"
        ),
        pytest.param(
            {"fresh.txt": b"ours\n"}, {"fresh.txt": b"theirs\n"}, {("fresh.txt", "add/add")}, id="add-add"
        ),
        pytest.param(
            {"c.txt": b"\x00\x01ours"}, {"c.txt": b"\x00\x01theirs"}, {("c.txt", "binary")}, id="binary"
        ),
        pytest.param(
            {"a.txt": b"one\nours\nthree\n", "b.txt": None},
            {"a.txt": b"one\ntheirs\nthree\n", "b.txt": b"bee changed\n"},
            {("a.txt", "content"), ("b.txt", "delete/modify")},
            id="two-paths",
        ),
    ],
)
def test_conflict_paths_match_git_merge_tree(
    repo: pygit2.Repository, ours: dict, theirs: dict, expected: set[tuple[str, str]]
) -> None:
    root = root_of(repo)
    # `base` is checked out nowhere, so only the merge itself is under test.
    repo.branches.local.create("base", repo.branches.local["main"].peel(pygit2.Commit))
    commit_on(repo, "base", ours)
    commit_on(repo, "agentdeck/task", theirs, start="main")
    base_before = tip(repo, "base")

    outcome = land(root, "agentdeck/task", base="base")

    assert outcome.state == EntryState.CONFLICT
    assert {(conflict.path, conflict.kind) for conflict in outcome.conflicts} == expected
    assert {conflict.path for conflict in outcome.conflicts} == merge_tree_conflicts(root, "base", "agentdeck/task")
    assert tip(repo, "base") == base_before


def test_dirty_path_rejects_landing(repo: pygit2.Repository) -> None:
    root = root_of(repo)
    commit_on(repo, "agentdeck/task", {"a.txt": b"one\nTWO\nthree\n"}, start="main")
    users_bytes = b"one\ntwo\nthree\nmy own line\n"
    (root / "a.txt").write_bytes(users_bytes)
    main_before = tip(repo, "main")

    outcome = land(root, "agentdeck/task")

    assert outcome.state == EntryState.QUEUED
    assert "the main checkout" in outcome.message
    assert str(root.resolve()) in outcome.message
    assert "a.txt (modified)" in outcome.message
    assert (root / "a.txt").read_bytes() == users_bytes
    assert tip(repo, "main") == main_before
    assert status(root) == " M a.txt\n"


def test_staged_change_on_path_rejects_landing(repo: pygit2.Repository) -> None:
    root = root_of(repo)
    commit_on(repo, "agentdeck/task", {"a.txt": b"one\nTWO\nthree\n"}, start="main")
    (root / "a.txt").write_bytes(b"staged\n")
    git(root, "add", "a.txt")
    main_before = tip(repo, "main")

    outcome = land(root, "agentdeck/task")

    assert outcome.state == EntryState.QUEUED
    assert "a.txt (staged change)" in outcome.message
    assert tip(repo, "main") == main_before
    assert status(root) == "M  a.txt\n"


def test_unrelated_changes_survive_landing(repo: pygit2.Repository) -> None:
    root = root_of(repo)
    commit_on(repo, "agentdeck/task", {"a.txt": b"one\nTWO\nthree\n", "added.txt": b"new\n"}, start="main")
    (root / "b.txt").write_bytes(b"bee edited, not staged\n")
    (root / "c.txt").write_bytes(b"sea edited and staged\n")
    git(root, "add", "c.txt")
    (root / "scratch.txt").write_bytes(b"untracked notes\n")

    outcome = land(root, "agentdeck/task")

    assert outcome.state == EntryState.LANDED
    assert tip(repo, "main") == outcome.commit
    assert (root / "b.txt").read_bytes() == b"bee edited, not staged\n"
    assert (root / "c.txt").read_bytes() == b"sea edited and staged\n"
    assert (root / "scratch.txt").read_bytes() == b"untracked notes\n"
    assert (root / "a.txt").read_bytes() == b"one\nTWO\nthree\n"
    assert (root / "added.txt").read_bytes() == b"new\n"
    assert status(root) == " M b.txt\nM  c.txt\n?? scratch.txt\n"
    assert git(root, "diff", "--cached", "--name-only") == "c.txt\n"


def test_untracked_file_in_the_way_rejects_landing(repo: pygit2.Repository) -> None:
    root = root_of(repo)
    commit_on(repo, "agentdeck/task", {"notes/todo.md": b"from the task\n"}, start="main")
    (root / "notes").mkdir()
    (root / "notes/todo.md").write_bytes(b"the user's own notes\n")
    main_before = tip(repo, "main")

    outcome = land(root, "agentdeck/task")

    assert outcome.state == EntryState.QUEUED
    assert "notes/todo.md (untracked file in the way)" in outcome.message
    assert (root / "notes/todo.md").read_bytes() == b"the user's own notes\n"
    assert tip(repo, "main") == main_before


def test_untracked_file_at_parent_rejects_landing(repo: pygit2.Repository) -> None:
    root = root_of(repo)
    commit_on(repo, "agentdeck/task", {"notes/todo.md": b"from the task\n"}, start="main")
    (root / "notes").write_bytes(b"a file where the task needs a folder\n")
    main_before = tip(repo, "main")

    outcome = land(root, "agentdeck/task")

    assert outcome.state == EntryState.QUEUED
    assert "untracked file notes in the way" in outcome.message
    assert (root / "notes").read_bytes() == b"a file where the task needs a folder\n"
    assert tip(repo, "main") == main_before


def test_ignored_file_in_the_way_rejects_landing(repo: pygit2.Repository) -> None:
    root = root_of(repo)
    commit_in_checkout(repo, {".gitignore": b".env\n"})
    commit_on(repo, "agentdeck/task", {".env": b"FROM_TASK=1\n"}, start="main")
    (root / ".env").write_bytes(b"SECRET=mine\n")
    main_before = tip(repo, "main")

    outcome = land(root, "agentdeck/task")

    assert outcome.state == EntryState.QUEUED
    assert ".env" in outcome.message
    assert (root / ".env").read_bytes() == b"SECRET=mine\n"
    assert tip(repo, "main") == main_before


def test_executable_file_lands_with_its_mode(repo: pygit2.Repository) -> None:
    root = root_of(repo)
    commit_on(repo, "agentdeck/task", {"run.sh": b"#!/bin/sh\necho hi\n"}, start="main", mode=FileMode.BLOB_EXECUTABLE)

    outcome = land(root, "agentdeck/task")

    assert outcome.state == EntryState.LANDED
    assert os.access(root / "run.sh", os.X_OK)
    assert status(root) == ""


def add_release_worktree(repo: pygit2.Repository, tmp_path: Path) -> Path:
    """Check out a new branch `release` in a linked worktree and return its path."""
    release = repo.branches.local.create("release", repo.branches.local["main"].peel(pygit2.Commit))
    path = tmp_path / "app.worktrees" / "release"
    path.parent.mkdir()
    repo.add_worktree("release", str(path), release)
    return path


def test_linked_worktree_of_base_is_updated(repo: pygit2.Repository, tmp_path: Path) -> None:
    root = root_of(repo)
    worktree = add_release_worktree(repo, tmp_path)
    commit_on(repo, "agentdeck/task", {"a.txt": b"one\nTWO\nthree\n", "added.txt": b"new\n"}, start="release")
    (worktree / "b.txt").write_bytes(b"edited in the worktree\n")

    checkouts = checkouts_of_branch(repo, "release")
    assert [checkout.path for checkout in checkouts] == [worktree.resolve()]

    outcome = land(root, "agentdeck/task", base="release")

    assert outcome.state == EntryState.LANDED
    assert tip(repo, "release") == outcome.commit
    assert (worktree / "a.txt").read_bytes() == b"one\nTWO\nthree\n"
    assert (worktree / "added.txt").read_bytes() == b"new\n"
    assert (worktree / "b.txt").read_bytes() == b"edited in the worktree\n"
    assert status(worktree) == " M b.txt\n"
    # The main checkout is on main, which did not move.
    assert (root / "a.txt").read_bytes() == b"one\ntwo\nthree\n"
    assert status(root) == ""


def test_dirty_linked_worktree_rejects_landing(repo: pygit2.Repository, tmp_path: Path) -> None:
    root = root_of(repo)
    worktree = add_release_worktree(repo, tmp_path)
    commit_on(repo, "agentdeck/task", {"a.txt": b"one\nTWO\nthree\n"}, start="release")
    (worktree / "a.txt").write_bytes(b"worktree edit\n")
    release_before = tip(repo, "release")

    outcome = land(root, "agentdeck/task", base="release")

    assert outcome.state == EntryState.QUEUED
    assert "linked worktree 'release'" in outcome.message
    assert (worktree / "a.txt").read_bytes() == b"worktree edit\n"
    assert tip(repo, "release") == release_before


def test_base_checked_out_twice_updates_both(repo: pygit2.Repository, tmp_path: Path) -> None:
    root = root_of(repo)
    second = tmp_path / "second-main"
    git(root, "worktree", "add", "--force", str(second), "main")  # setup: git refuses this without --force
    commit_on(repo, "agentdeck/task", {"a.txt": b"one\nTWO\nthree\n"}, start="main")

    assert len(checkouts_of_branch(repo, "main")) == 2
    outcome = land(root, "agentdeck/task")

    assert outcome.state == EntryState.LANDED
    for checkout in (root, second):
        assert (checkout / "a.txt").read_bytes() == b"one\nTWO\nthree\n"
        assert status(checkout) == ""


def test_second_checkout_dirty_leaves_first_untouched(repo: pygit2.Repository, tmp_path: Path) -> None:
    root = root_of(repo)
    second = tmp_path / "second-main"
    git(root, "worktree", "add", "--force", str(second), "main")
    commit_on(repo, "agentdeck/task", {"a.txt": b"one\nTWO\nthree\n"}, start="main")
    (second / "a.txt").write_bytes(b"edit in the second checkout\n")
    main_before = tip(repo, "main")

    outcome = land(root, "agentdeck/task")

    assert outcome.state == EntryState.QUEUED
    assert tip(repo, "main") == main_before
    assert (root / "a.txt").read_bytes() == b"one\ntwo\nthree\n"
    assert status(root) == ""
    assert (second / "a.txt").read_bytes() == b"edit in the second checkout\n"


def test_base_moved_since_branching(repo: pygit2.Repository) -> None:
    root = root_of(repo)
    commit_on(repo, "agentdeck/task", {"a.txt": b"one\nTWO\nthree\n"}, start="main")
    commit_in_checkout(repo, {"b.txt": b"bee from main\n"})
    moved_main = tip(repo, "main")

    outcome = land(root, "agentdeck/task")

    assert outcome.state == EntryState.LANDED
    merge = repo[outcome.commit]
    assert [str(parent) for parent in merge.parent_ids] == [moved_main, tip(repo, "agentdeck/task")]
    assert (root / "a.txt").read_bytes() == b"one\nTWO\nthree\n"
    assert (root / "b.txt").read_bytes() == b"bee from main\n"
    assert status(root) == ""
    assert git(root, "rev-list", "--count", "--merges", "main") == "1\n"


def test_already_merged_branch_lands_nothing(repo: pygit2.Repository) -> None:
    root = root_of(repo)
    repo.branches.local.create("agentdeck/stale", repo.branches.local["main"].peel(pygit2.Commit))
    main_before = tip(repo, "main")

    outcome = land(root, "agentdeck/stale")

    assert outcome.state == EntryState.LANDED
    assert outcome.commit is None
    assert outcome.message.startswith("Nothing to land")
    assert tip(repo, "main") == main_before


def test_missing_branch_fails(repo: pygit2.Repository) -> None:
    outcome = land(root_of(repo), "agentdeck/gone")

    assert outcome.state == EntryState.FAILED
    assert "'agentdeck/gone' not found" in outcome.message


def test_base_moved_under_lock_changes_nothing(repo: pygit2.Repository) -> None:
    root = root_of(repo)
    commit_on(repo, "agentdeck/task", {"a.txt": b"one\nTWO\nthree\n"}, start="main")
    base = repo.branches.local["main"].peel(pygit2.Commit)
    task = repo.branches.local["agentdeck/task"].peel(pygit2.Commit)
    tree = repo[repo.merge_commits(base, task).write_tree(repo)]
    merge_id = repo.create_commit(None, SIGNATURE, SIGNATURE, "merge", tree.id, [base.id, task.id])
    stale = task.id  # any id but the real tip plays the tip read before another writer moved the branch
    checkouts = checkouts_of_branch(repo, "main")

    with pytest.raises(_BaseMoved):
        _move_base(repo, "refs/heads/main", stale, merge_id, checkouts, base.tree, tree, ["a.txt"], "agentdeck/task")

    assert tip(repo, "main") == str(base.id)
    assert (root / "a.txt").read_bytes() == b"one\ntwo\nthree\n"
    assert status(root) == ""
    assert not (Path(repo.path) / "refs/heads/main.lock").exists()


def test_land_queue_continues_after_conflict(repo: pygit2.Repository) -> None:
    root = root_of(repo)
    commit_on(repo, "agentdeck/one", {"a.txt": b"one\nfirst\nthree\n"}, start="main")
    commit_on(repo, "agentdeck/two", {"a.txt": b"one\nsecond\nthree\n"}, start="main")
    commit_on(repo, "agentdeck/three", {"c.txt": b"sea three\n"}, start="main")
    entries = [QueueEntry(task_id=name, base_branch="main") for name in ("one", "two", "three")]
    landing: list[str] = []

    results = list(
        land_queue(
            root,
            entries,
            lambda entry: LandRequest(f"agentdeck/{entry.task_id}", entry.task_id),
            LandOptions(on_change=lambda entry: landing.append(f"{entry.task_id}:{entry.state.value}")),
        )
    )

    assert [outcome.state for _, outcome in results] == [EntryState.LANDED, EntryState.CONFLICT, EntryState.LANDED]
    assert [entry.state for entry in entries] == [EntryState.LANDED, EntryState.CONFLICT, EntryState.LANDED]
    # The conflicting entry never reaches the compare-and-swap, so it is never saved as landing.
    assert landing == ["one:landing", "three:landing"]
    assert entries[2].landed_commit == tip(repo, "main")
    assert [conflict.path for conflict in entries[1].conflicts] == ["a.txt"]
    assert summarize_outcomes(outcome for _, outcome in results) == "Landed 2, 1 conflict"


def test_land_queue_stops_when_blocked(repo: pygit2.Repository) -> None:
    root = root_of(repo)
    commit_on(repo, "agentdeck/one", {"a.txt": b"one\nfirst\nthree\n"}, start="main")
    commit_on(repo, "agentdeck/two", {"c.txt": b"sea two\n"}, start="main")
    (root / "a.txt").write_bytes(b"user edit\n")
    entries = [QueueEntry(task_id=name, base_branch="main") for name in ("one", "two")]
    orphan = QueueEntry(task_id="missing", base_branch="main")

    results = list(
        land_queue(root, [orphan, *entries], lambda entry: None if entry is orphan else LandRequest(f"agentdeck/{entry.task_id}", "m"))
    )

    assert [outcome.state for _, outcome in results] == [EntryState.FAILED, EntryState.QUEUED]
    assert orphan.state == EntryState.FAILED
    assert entries[0].state == EntryState.QUEUED
    assert "a.txt (modified)" in entries[0].message
    assert entries[1].state == EntryState.QUEUED
    assert entries[1].message == ""
    assert summarize_outcomes(outcome for _, outcome in results) == "Landed 0, 1 failed, 1 still queued"


def test_list_checkouts_skips_missing_worktree(repo: pygit2.Repository, tmp_path: Path) -> None:
    worktree = add_release_worktree(repo, tmp_path)
    assert len(list_checkouts(repo)) == 2

    (worktree / ".git").unlink()
    for child in sorted(worktree.rglob("*"), reverse=True):
        child.unlink() if child.is_file() else child.rmdir()
    worktree.rmdir()

    assert [checkout.worktree_name for checkout in list_checkouts(repo)] == [None]


def test_merge_in_progress_rejects_landing(repo: pygit2.Repository) -> None:
    root = root_of(repo)
    commit_on(repo, "agentdeck/task", {"c.txt": b"sea from task\n"}, start="main")
    # A MERGE_HEAD file is how git marks a merge the user has not finished.
    (Path(repo.path) / "MERGE_HEAD").write_text(tip(repo, "agentdeck/task") + "\n")
    main_before = tip(repo, "main")

    outcome = land(root, "agentdeck/task")

    assert outcome.state == EntryState.QUEUED
    assert "in the middle of a merge" in outcome.message
    assert tip(repo, "main") == main_before


def test_restore_undoes_update(repo: pygit2.Repository) -> None:
    root = root_of(repo)
    commit_on(repo, "agentdeck/task", {"a.txt": b"one\nTWO\nthree\n", "new/file.txt": b"new\n", "doomed.txt": None}, start="main")
    (root / "b.txt").write_bytes(b"unrelated edit\n")
    old_tree = repo.branches.local["main"].peel(pygit2.Commit).tree
    new_tree = repo.branches.local["agentdeck/task"].peel(pygit2.Commit).tree
    paths = ["a.txt", "doomed.txt", "new/file.txt"]
    [checkout] = checkouts_of_branch(repo, "main")

    update_checkout(checkout, new_tree, paths)
    assert status(root) == "M  a.txt\n M b.txt\nD  doomed.txt\nA  new/file.txt\n"

    restore_checkout(checkout, old_tree, paths)
    assert status(root) == " M b.txt\n"
    assert (root / "doomed.txt").read_bytes() == b"going away\n"
    assert not (root / "new").exists()


def test_locked_base_keeps_entry_queued(repo: pygit2.Repository) -> None:
    root = root_of(repo)
    commit_on(repo, "agentdeck/task", {"c.txt": b"sea from task\n"}, start="main")
    lock_file = Path(repo.path) / "refs/heads/main.lock"
    lock_file.write_text("held by another process\n")
    main_before = tip(repo, "main")

    outcome = land(root, "agentdeck/task")

    assert outcome.state == EntryState.QUEUED
    assert "main is locked" in outcome.message
    assert str(lock_file) in outcome.message
    assert lock_file.read_text() == "held by another process\n"
    assert tip(repo, "main") == main_before
    assert (root / "c.txt").read_bytes() == b"sea\n"


@pytest.fixture
def no_global_git_config(tmp_path: Path):
    """Point libgit2's system, global and XDG config search at an empty folder for one test.

    libgit2 reads HOME once per process, so changing HOME in a test does not hide the user's identity.
    """
    empty = tmp_path / "empty-config"
    empty.mkdir()
    levels = (ConfigLevel.SYSTEM, ConfigLevel.GLOBAL, ConfigLevel.XDG)
    saved = {level: pygit2.settings.search_path[level] for level in levels}
    for level in levels:
        pygit2.settings.search_path[level] = str(empty)
    yield
    for level, value in saved.items():
        pygit2.settings.search_path[level] = value


def test_lands_without_user_identity(tmp_path: Path, no_global_git_config: None) -> None:
    repo = make_repo(tmp_path / "anonymous", {"a.txt": b"one\n"})
    del repo.config["user.name"]
    del repo.config["user.email"]
    commit_on(repo, "agentdeck/task", {"a.txt": b"two\n"}, start="main")

    outcome = land(Path(repo.workdir), "agentdeck/task")

    assert outcome.state == EntryState.LANDED
    merge = repo[outcome.commit]
    assert (merge.author.name, merge.author.email) == ("agentdeck", "agentdeck@localhost")
    assert git(Path(repo.workdir), "reflog", "-1", "--format=%gs", "main") == "merge agentdeck/task: landed by agentdeck\n"
