"""Crash safety: a deck landing the queue in a child process is killed with SIGKILL at random moments.

After each kill the repository must be consistent (fsck clean, the base branch
at a tip some landing produced, a readable index), and a new deck must settle
the interrupted entry, leave no lock, scratch ref or scratch worktree behind,
and land the rest of the queue.
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pygit2
import pytest

from agentdeck.checkouts import checkouts_of_branch, undo_interrupted_update
from agentdeck.config import load_config
from agentdeck.deck import Deck
from agentdeck.landings import read_records
from agentdeck.repository import find_repository
from agentdeck.state import DeckState, StateStore
from agentdeck.tasks import EntryState, QueueEntry, Task
from tests.test_merge_queue import commit_on, git, make_repo, status

TASK_COUNT = 6
STRATEGIES = ["merge", "squash", "rebase"]

LANDER = """
import json, sys
from pathlib import Path
from agentdeck.config import load_config
from agentdeck.deck import Deck
from agentdeck.repository import find_repository

root = Path(sys.argv[1])
deck = Deck(find_repository(root), load_config(root, json.loads(sys.argv[2])))
print("started", flush=True)
deck.land_queue()
print("finished", flush=True)
"""


def build(tmp_path: Path) -> tuple[Path, dict[str, bytes]]:
    """Create a repository with main checked out and TASK_COUNT queued tasks that each change their own file."""
    files = {f"f{number}.txt": b"".join(b"line %d\n" % line for line in range(50)) for number in range(TASK_COUNT)}
    repo = make_repo(tmp_path / "app", files)
    root = Path(repo.workdir)
    expected: dict[str, bytes] = {}
    tasks, queue = [], []
    for number in range(TASK_COUNT):
        branch = f"agentdeck/task-{number}"
        changed = files[f"f{number}.txt"].replace(b"line 7\n", b"line 7 by task %d\n" % number)
        commit_on(repo, branch, {f"f{number}.txt": changed}, start="main")
        commit_on(repo, branch, {f"new{number}.txt": b"added by task %d\n" % number})
        expected[f"f{number}.txt"] = changed
        expected[f"new{number}.txt"] = b"added by task %d\n" % number
        task = Task(
            title=f"Task {number}", prompt="p", agent="demo", base_branch="main", slug=f"task-{number}",
            branch=branch, worktree=str(tmp_path / "worktrees" / f"task-{number}"),
        )
        tasks.append(task)
        queue.append(QueueEntry(task_id=task.id, base_branch="main", strategy=STRATEGIES[number % len(STRATEGIES)]))
    StateStore(Path(repo.path) / "agentdeck").save(DeckState(tasks=tasks, queue=queue))
    return root, expected


def child_environment() -> dict[str, str]:
    environment = dict(os.environ)
    source = str(Path(__file__).resolve().parents[1])
    environment["PYTHONPATH"] = source + os.pathsep + environment.get("PYTHONPATH", "")
    return environment


def wait_for_group_exit(group: int, timeout: float = 20.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            os.killpg(group, 0)
        except ProcessLookupError:
            return True
        time.sleep(0.02)
    return False


def wait_for_no_process_in(folder: Path, timeout: float = 20.0) -> bool:
    """Wait until no process has its working directory inside *folder*."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        inside = []
        for cwd in Path("/proc").glob("[0-9]*/cwd"):
            try:
                target = os.readlink(cwd)
            except OSError:
                continue
            if target.startswith(str(folder)):
                inside.append(target)
        if not inside:
            return True
        time.sleep(0.02)
    return False


def blob_at(repo: pygit2.Repository, commit: pygit2.Oid, path: str) -> bytes | None:
    tree = repo[commit].peel(pygit2.Tree)
    return repo[tree[path].id].data if path in tree else None


def assert_consistent(root: Path, initial: str, label: str) -> None:
    fsck = subprocess.run(["git", "fsck", "--no-progress"], cwd=root, capture_output=True, text=True)
    assert fsck.returncode == 0, f"{label}: {fsck.stdout}{fsck.stderr}"
    tip = git(root, "rev-parse", "main").strip()
    assert git(root, "merge-base", "--is-ancestor", initial, tip) == "", label
    # The index must parse: git refuses to read a torn one.
    subprocess.run(["git", "ls-files", "--stage"], cwd=root, capture_output=True, check=True)


def assert_settled(root: Path, deck: Deck, expected: dict[str, bytes], label: str) -> None:
    repo = pygit2.Repository(str(root))
    tip = repo.branches.local["main"].target
    git_dir = Path(repo.path)
    assert not (git_dir / "refs/heads/main.lock").exists(), label
    assert not (git_dir / "index.lock").exists(), label
    assert [name for name in repo.references if name.startswith("refs/agentdeck/")] == [], label
    assert not any((git_dir / "agentdeck" / "checks").glob("*")), label
    assert git(root, "worktree", "list", "--porcelain").count("worktree ") == 1, label
    assert status(root) == "", label
    for entry in deck.state.queue:
        task = deck.state.task(entry.task_id)
        number = task.slug.split("-")[1]
        landed = blob_at(repo, tip, f"new{number}.txt") is not None
        assert entry.state in (EntryState.LANDED, EntryState.QUEUED), f"{label}: {entry.state}"
        assert landed == (entry.state is EntryState.LANDED), f"{label}: task {number} landed={landed} state={entry.state}"
        if landed:
            assert blob_at(repo, tip, f"f{number}.txt") == expected[f"f{number}.txt"], label


@pytest.mark.slow
@pytest.mark.parametrize("with_check", [False, True], ids=["no-check", "check"])
def test_kill_during_landing_then_resume(tmp_path: Path, with_check: bool) -> None:
    seed = int(os.environ.get("AGENTDECK_CRASH_SEED", "20261204")) + with_check
    rng = random.Random(seed)
    extra = {"check": [sys.executable, "-c", "import time; time.sleep(0.05)"]} if with_check else {}
    kills = 0
    window = 0.0
    for round_number in range(14):
        workdir = tmp_path / f"round-{round_number}"
        root, expected = build(workdir)
        initial = git(root, "rev-parse", "main").strip()
        child = subprocess.Popen(
            [sys.executable, "-c", LANDER, str(root), json.dumps(extra)],
            env=child_environment(),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            start_new_session=True,
        )
        assert child.stdout.readline().strip() == "started", child.stderr.read()
        started = time.monotonic()
        if round_number < 2:
            # The first rounds run to the end, to measure the window the other rounds kill in.
            delay = 0.0
            child.wait()
            duration = time.monotonic() - started
            window = duration if round_number == 0 else min(window, duration)
        else:
            delay = rng.uniform(0.0, window)
            time.sleep(delay)
            if child.poll() is None:
                child.send_signal(signal.SIGKILL)
                kills += 1
            child.wait()
        child.stdout.close()
        child.stderr.close()
        label = f"seed {seed} round {round_number} killed after {delay:.3f} s"
        # A git command the killed deck started runs on to its end, as after
        # a real crash; the repository is judged once it has finished.
        assert wait_for_group_exit(child.pid), f"{label}: a git command of the killed deck still runs"
        # The check runs in a process group of its own, which its guard stops
        # once the deck is gone; the next deck starts after that.
        assert wait_for_no_process_in(root / ".git" / "agentdeck" / "checks"), f"{label}: the check outlived the deck"

        assert_consistent(root, initial, label)
        deck = Deck(find_repository(root), load_config(root, extra))
        assert_settled(root, deck, expected, label)

        deck.land_queue()
        assert [entry.state for entry in deck.state.queue] == [EntryState.LANDED] * TASK_COUNT, label
        assert_settled(root, deck, expected, label)
        assert_consistent(root, initial, label)
        records = read_records(root / ".git" / "agentdeck")
        assert sorted(record.entry_id for record in records) == sorted(entry.id for entry in deck.state.queue), label
    # A seed whose every delay outlasts the landing would test nothing.
    assert kills >= 6, f"only {kills} of 12 rounds were killed before the landing ended"


def test_undo_puts_back_only_landing_writes(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "app", {"a.txt": b"one\n", "b.txt": b"bee\n", "user.txt": b"mine\n"})
    root = Path(repo.workdir)
    old_tree = repo.branches.local["main"].peel(pygit2.Tree)
    task = commit_on(
        repo, "agentdeck/task", {"a.txt": b"one changed\n", "b.txt": b"bee changed\n", "new.txt": b"new file\n"},
        start="main",
    )
    new_tree = repo[task].peel(pygit2.Tree)
    # What a kill in the middle of the checkout update leaves: one file whole, one cut short,
    # one added file not yet in the index, and an edit the user made elsewhere meanwhile.
    (root / "a.txt").write_bytes(b"one changed\n")
    (root / "b.txt").write_bytes(b"bee ch")
    (root / "new.txt").write_bytes(b"new file\n")
    (root / "user.txt").write_bytes(b"mine, edited\n")
    checkout = checkouts_of_branch(repo, "main")[0]

    undone = undo_interrupted_update(checkout, old_tree, new_tree, ["a.txt", "b.txt", "new.txt"])

    assert undone == ["a.txt", "b.txt", "new.txt"]
    assert status(root) == " M user.txt\n"
    assert (root / "user.txt").read_bytes() == b"mine, edited\n"


def test_undo_keeps_user_content(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "app", {"a.txt": b"one\n"})
    root = Path(repo.workdir)
    old_tree = repo.branches.local["main"].peel(pygit2.Tree)
    new_tree = repo[commit_on(repo, "agentdeck/task", {"a.txt": b"two\n"}, start="main")].peel(pygit2.Tree)
    (root / "a.txt").write_bytes(b"the user's own text\n")

    undone = undo_interrupted_update(checkouts_of_branch(repo, "main")[0], old_tree, new_tree, ["a.txt"])

    assert undone == []
    assert (root / "a.txt").read_bytes() == b"the user's own text\n"


def test_resume_marks_landed_commit(tmp_path: Path) -> None:
    root, _expected = build(tmp_path)
    store = StateStore(root / ".git" / "agentdeck")
    state = store.load()
    deck = Deck(find_repository(root), load_config(root))
    deck.land_queue()
    landed_entry = deck.state.queue[0]
    # The saved state from just before the compare-and-swap: landing, with the commit about to land.
    for entry in state.queue:
        entry.state = EntryState.QUEUED
    state.queue[0].state = EntryState.LANDING
    state.queue[0].candidate_commit = landed_entry.landed_commit
    state.queue[0].base_commit = git(root, "rev-parse", f"{landed_entry.landed_commit}^1").strip()
    store.save(state)
    (root / ".git" / "agentdeck" / "landings.jsonl").unlink()

    reopened = Deck(find_repository(root), load_config(root))

    assert reopened.state.queue[0].state is EntryState.LANDED
    assert reopened.state.queue[0].landed_commit == landed_entry.landed_commit
    assert [entry.state for entry in reopened.state.queue[1:]] == [EntryState.QUEUED] * (TASK_COUNT - 1)
    records = read_records(root / ".git" / "agentdeck")
    assert [(record.entry_id, record.check) for record in records] == [(landed_entry.id, "not run")]
    assert records[0].files_changed == 2


def test_reused_pid_counts_as_gone() -> None:
    from agentdeck.merge_queue import _process_alive

    other = subprocess.Popen(["sleep", "30"])
    try:
        # The landing "started" long before this process did, so its pid was reused.
        assert not _process_alive(other.pid, time.time() - 3600)
        assert _process_alive(other.pid, time.time() + 5)
    finally:
        other.kill()
        other.wait()
    assert not _process_alive(other.pid, time.time())


def test_resume_keeps_lock_a_process_holds(tmp_path: Path) -> None:
    from agentdeck.merge_queue import resume_entries

    root, _ = build(tmp_path)
    repo = pygit2.Repository(str(root))
    lock = Path(repo.path) / "refs/heads/main.lock"
    finished = subprocess.Popen(["true"])
    finished.wait()
    entry = QueueEntry(task_id="t", base_branch="main", strategy="merge")
    entry.state = EntryState.LANDING
    entry.landing_pid = finished.pid
    entry.landing_started = time.time() - 5
    holder = subprocess.Popen(
        [sys.executable, "-c", f"import sys, time; f = open({str(lock)!r}, 'w'); print('ok', flush=True); time.sleep(30)"],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "ok"
        resume_entries(root, Path(repo.path) / "agentdeck", [entry], lambda entry: None)
        assert lock.exists()
    finally:
        holder.kill()
        holder.wait()
        holder.stdout.close()
    # Once no process has it open, the next start removes it.
    entry.state = EntryState.LANDING
    entry.landing_pid = finished.pid
    resume_entries(root, Path(repo.path) / "agentdeck", [entry], lambda entry: None)
    assert not lock.exists()
