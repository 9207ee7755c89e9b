"""Each merge strategy, and each kind of conflict, on real repositories where the base moved after the task started."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pygit2
import pytest
from pygit2.enums import FileMode

from agentdeck.merge_queue import LandOutcome, LandRequest, land_entry
from agentdeck.tasks import EntryState, QueueEntry
from tests.test_merge_queue import SIGNATURE, commit_on, git, make_repo, status, tip


def land(root: Path, branch: str, strategy: str, base: str = "main") -> LandOutcome:
    entry = QueueEntry(task_id="t-" + branch, base_branch=base, strategy=strategy)
    return land_entry(root, entry, LandRequest(branch, f"title of {branch}"))


@pytest.fixture
def moved(tmp_path: Path) -> pygit2.Repository:
    """A repository whose task branch has two commits and whose main moved after the branch started."""
    repo = make_repo(tmp_path / "app", {"a.txt": b"one\ntwo\nthree\n", "c.txt": b"sea\n"})
    commit_on(repo, "agentdeck/task", {"a.txt": b"one\nTWO\nthree\n"}, start="main")
    commit_on(repo, "agentdeck/task", {"new.txt": b"new\n"})
    (Path(repo.workdir) / "c.txt").write_bytes(b"sea moved\n")
    git(Path(repo.workdir), "commit", "--quiet", "-am", "main moves")
    return repo


def tree_files(repo: pygit2.Repository, commit: str) -> dict[str, bytes]:
    tree = repo[commit].peel(pygit2.Tree)
    return {entry.name: repo[entry.id].data for entry in tree if entry.type_str == "blob"}


def fsck_clean(root: Path) -> None:
    result = subprocess.run(["git", "fsck", "--no-progress"], cwd=root, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "error" not in result.stderr


EXPECTED_FILES = {"a.txt": b"one\nTWO\nthree\n", "c.txt": b"sea moved\n", "new.txt": b"new\n"}


def test_merge_strategy_makes_merge_commit(moved: pygit2.Repository) -> None:
    root = Path(moved.workdir)
    old = tip(moved, "main")

    outcome = land(root, "agentdeck/task", "merge")

    assert outcome.state == EntryState.LANDED, outcome.message
    landed = moved[tip(moved, "main")]
    assert [str(parent) for parent in landed.parent_ids] == [old, tip(moved, "agentdeck/task")]
    assert landed.message.startswith("Merge branch 'agentdeck/task'")
    assert tree_files(moved, str(landed.id)) == EXPECTED_FILES
    assert status(root) == ""
    fsck_clean(root)


def test_squash_strategy_makes_one_commit(moved: pygit2.Repository) -> None:
    root = Path(moved.workdir)
    old = tip(moved, "main")

    outcome = land(root, "agentdeck/task", "squash")

    assert outcome.state == EntryState.LANDED, outcome.message
    landed = moved[tip(moved, "main")]
    assert [str(parent) for parent in landed.parent_ids] == [old]
    assert landed.message.startswith("title of agentdeck/task\n")
    assert "2 commits" in landed.message
    assert tree_files(moved, str(landed.id)) == EXPECTED_FILES
    assert not moved.descendant_of(landed.id, moved.branches.local["agentdeck/task"].target)
    assert status(root) == ""
    fsck_clean(root)


def test_rebase_strategy_replays_linearly(moved: pygit2.Repository) -> None:
    root = Path(moved.workdir)
    old = tip(moved, "main")
    originals = git(root, "log", "--format=%s%x09%an", "main..agentdeck/task").splitlines()

    outcome = land(root, "agentdeck/task", "rebase")

    assert outcome.state == EntryState.LANDED, outcome.message
    replayed = git(root, "log", "--format=%s%x09%an", f"{old}..main").splitlines()
    assert replayed == originals
    assert git(root, "rev-list", "--merges", f"{old}..main") == ""
    first = git(root, "rev-list", "--reverse", f"{old}..main").split()[0]
    assert git(root, "rev-parse", f"{first}^").strip() == old
    assert tree_files(moved, tip(moved, "main")) == EXPECTED_FILES
    assert status(root) == ""
    fsck_clean(root)


def test_rebase_keeps_commits_when_base_unmoved(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "app", {"a.txt": b"one\n"})
    task_tip = commit_on(repo, "agentdeck/task", {"a.txt": b"two\n"}, start="main")

    outcome = land(Path(repo.workdir), "agentdeck/task", "rebase")

    assert outcome.state == EntryState.LANDED
    assert tip(repo, "main") == str(task_tip)


def test_rebase_drops_merge_commits(moved: pygit2.Repository) -> None:
    root = Path(moved.workdir)
    # The task merged main into itself once, as an agent resolving a conflict would.
    side = moved.branches.local["agentdeck/task"].peel(pygit2.Commit)
    main_then = moved.branches.local["main"].peel(pygit2.Commit)
    merged_tree = moved.merge_commits(side, main_then).write_tree(moved)
    moved.create_commit("refs/heads/agentdeck/task", SIGNATURE, SIGNATURE, "merge main", merged_tree, [side.id, main_then.id])
    commit_on(moved, "agentdeck/task", {"later.txt": b"later\n"})
    old = tip(moved, "main")

    outcome = land(root, "agentdeck/task", "rebase")

    assert outcome.state == EntryState.LANDED, outcome.message
    assert git(root, "rev-list", "--merges", f"{old}..main") == ""
    subjects = git(root, "log", "--format=%s", f"{old}..main").split("\n")
    assert "merge main" not in subjects
    assert tree_files(moved, tip(moved, "main"))["later.txt"] == b"later\n"


def test_rebase_conflict_changes_nothing(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "app", {"a.txt": b"one\ntwo\nthree\n"})
    root = Path(repo.workdir)
    commit_on(repo, "agentdeck/task", {"b.txt": b"fine\n"}, start="main")
    commit_on(repo, "agentdeck/task", {"a.txt": b"one\ntask\nthree\n"})
    (root / "a.txt").write_bytes(b"one\nmain\nthree\n")
    git(root, "commit", "--quiet", "-am", "main edits a")
    old = tip(repo, "main")

    outcome = land(root, "agentdeck/task", "rebase")

    assert outcome.state == EntryState.CONFLICT
    assert [(conflict.path, conflict.kind) for conflict in outcome.conflicts] == [("a.txt", "content")]
    assert tip(repo, "main") == old
    assert status(root) == ""


def test_ff_only_refuses_when_base_moved(moved: pygit2.Repository) -> None:
    root = Path(moved.workdir)
    old = tip(moved, "main")

    outcome = land(root, "agentdeck/task", "ff-only")

    assert outcome.state == EntryState.FAILED
    assert "cannot fast-forward" in outcome.message
    assert tip(moved, "main") == old
    assert status(root) == ""


def test_ff_only_moves_to_task_tip(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "app", {"a.txt": b"one\n"})
    task_tip = commit_on(repo, "agentdeck/task", {"a.txt": b"two\n"}, start="main")

    outcome = land(Path(repo.workdir), "agentdeck/task", "ff-only")

    assert outcome.state == EntryState.LANDED
    assert tip(repo, "main") == str(task_tip)
    assert (Path(repo.workdir) / "a.txt").read_bytes() == b"two\n"
    assert status(Path(repo.workdir)) == ""


@pytest.mark.parametrize("strategy", ["merge", "squash", "rebase"])
def test_strategy_updates_base_in_linked_worktree(moved: pygit2.Repository, tmp_path: Path, strategy: str) -> None:
    root = Path(moved.workdir)
    git(root, "switch", "--quiet", "--detach")
    linked = tmp_path / "main-wt"
    git(root, "worktree", "add", "--quiet", str(linked), "main")

    outcome = land(root, "agentdeck/task", strategy)

    assert outcome.state == EntryState.LANDED, outcome.message
    assert (linked / "a.txt").read_bytes() == EXPECTED_FILES["a.txt"]
    assert (linked / "new.txt").read_bytes() == b"new\n"
    assert status(linked) == ""


# -- conflicts of every kind, against git merge-tree --------------------------------------


def git_merge_tree(root: Path, ours: str, theirs: str) -> tuple[bool, set[str]]:
    result = subprocess.run(
        ["git", "merge-tree", "--write-tree", "--name-only", "--no-messages", ours, theirs],
        cwd=root,
        capture_output=True,
        text=True,
    )
    assert result.returncode in (0, 1), result.stderr
    lines = result.stdout.splitlines()
    return result.returncode == 0, {line for line in lines[1:] if line}


def gitlink(repo: pygit2.Repository, message: str) -> pygit2.Oid:
    """Return a commit id to record as a submodule; it need not be reachable."""
    tree = repo.TreeBuilder().write()
    return repo.create_commit(None, SIGNATURE, SIGNATURE, message, tree, [])


def commit_entries(repo: pygit2.Repository, branch: str, entries: dict[str, tuple[bytes | pygit2.Oid, int] | None]) -> None:
    parent = repo.branches.local[branch].peel(pygit2.Commit)
    index = pygit2.Index()
    index.read_tree(parent.tree)
    for name, value in entries.items():
        if value is None:
            index.remove(name)
            continue
        data, mode = value
        object_id = data if isinstance(data, pygit2.Oid) else repo.create_blob(data)
        index.add(pygit2.IndexEntry(name, object_id, mode))
    repo.create_commit(f"refs/heads/{branch}", SIGNATURE, SIGNATURE, branch, index.write_tree(repo), [parent.id])


LONG = b"".join(b"line %d of a file long enough for rename detection\n" % number for number in range(40))


def conflict_cases(repo: pygit2.Repository) -> dict[str, tuple[dict, dict, str]]:
    module_base = gitlink(repo, "sub base")
    return {
        "content": ({"a.txt": (b"one\nours\n", FileMode.BLOB)}, {"a.txt": (b"one\ntheirs\n", FileMode.BLOB)}, "content"),
        "delete-modify": ({"a.txt": None}, {"a.txt": (b"one\nchanged\n", FileMode.BLOB)}, "delete/modify"),
        "rename-rename": (
            {"long.txt": None, "ours.txt": (LONG, FileMode.BLOB)},
            {"long.txt": None, "theirs.txt": (LONG, FileMode.BLOB)},
            "rename",
        ),
        "rename-delete": (
            {"long.txt": None, "moved.txt": (LONG + b"ours\n", FileMode.BLOB)},
            {"long.txt": None},
            "rename",
        ),
        "mode": (
            {"run.sh": (b"#!/bin/sh\nours\n", FileMode.BLOB_EXECUTABLE)},
            {"run.sh": (b"#!/bin/sh\ntheirs\n", FileMode.BLOB)},
            "content",
        ),
        "mode-both": (
            {"run.sh": (b"#!/bin/sh\n", FileMode.BLOB_EXECUTABLE)},
            {"run.sh": (b"target", FileMode.LINK)},
            "mode",
        ),
        "symlink": ({"run.sh": (b"target-ours", FileMode.LINK)}, {"run.sh": (b"target-theirs", FileMode.LINK)}, "content"),
        "binary": ({"logo.bin": (b"\x00\x01ours", FileMode.BLOB)}, {"logo.bin": (b"\x00\x01theirs", FileMode.BLOB)}, "binary"),
        "submodule": (
            {"vendor": (gitlink(repo, "sub ours"), FileMode.COMMIT)},
            {"vendor": (gitlink(repo, "sub theirs"), FileMode.COMMIT)},
            "submodule",
        ),
        "_module_base": ({}, {}, str(module_base)),
    }


KINDS = [
    "content", "delete-modify", "rename-rename", "rename-delete", "mode", "mode-both", "symlink", "binary", "submodule"
]


@pytest.mark.parametrize("case", KINDS)
def test_conflict_kind_matches_merge_tree(tmp_path: Path, case: str) -> None:
    repo = make_repo(
        tmp_path / "app",
        {"a.txt": b"one\ntwo\n", "long.txt": LONG, "run.sh": b"#!/bin/sh\n", "logo.bin": b"\x00\x01base"},
    )
    root = Path(repo.workdir)
    cases = conflict_cases(repo)
    module_base = pygit2.Oid(hex=cases["_module_base"][2])
    repo.branches.local.create("base", repo.branches.local["main"].peel(pygit2.Commit))
    commit_entries(repo, "base", {"vendor": (module_base, FileMode.COMMIT)})
    repo.branches.local.create("agentdeck/task", repo.branches.local["base"].peel(pygit2.Commit))
    ours, theirs, kind = cases[case]
    commit_entries(repo, "base", ours)
    commit_entries(repo, "agentdeck/task", theirs)
    before = tip(repo, "base")

    outcome = land(root, "agentdeck/task", "merge", base="base")

    clean, git_paths = git_merge_tree(root, "base", "agentdeck/task")
    assert not clean
    assert outcome.state == EntryState.CONFLICT
    assert {conflict.path for conflict in outcome.conflicts} == git_paths
    assert kind in {conflict.kind for conflict in outcome.conflicts}
    assert tip(repo, "base") == before
    assert status(root) == ""
