"""The check before landing: a scratch ref and worktree, a live log, a timeout and a base that moves meanwhile."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pygit2
import pytest

from agentdeck.checks import CHECK_REF_PREFIX, CheckSettings, check_log_path, remove_scratch, scratch_worktree_path
from agentdeck.landings import read_records
from agentdeck.merge_queue import LandOptions, LandRequest, land_entry
from agentdeck.tasks import EntryState, QueueEntry
from tests.test_merge_queue import commit_on, git, make_repo, status, tip

# Passes unless a.txt in the checked tree contains "bad"; counts its runs in a file next to the repository.
CHECK_SCRIPT = """
import pathlib, sys
counter = pathlib.Path(sys.argv[1])
counter.write_text(str(int(counter.read_text() or "0") + 1) if counter.exists() else "1")
text = pathlib.Path("a.txt").read_text()
print("checking a.txt:", text.strip().replace("\\n", " | "))
sys.exit(3 if "bad" in text else 0)
"""


@pytest.fixture
def repo(tmp_path: Path) -> pygit2.Repository:
    return make_repo(tmp_path / "app", {"a.txt": b"one\ntwo\nthree\n", "c.txt": b"sea\n"})


def settings(repo: pygit2.Repository, tmp_path: Path, command: list[str], timeout: float | None = 60) -> CheckSettings:
    return CheckSettings(tuple(command), timeout, Path(repo.path) / "agentdeck")


def land_checked(repo: pygit2.Repository, check: CheckSettings, branch: str = "agentdeck/task", base: str = "main"):
    entry = QueueEntry(task_id="task-1", base_branch=base)
    states: list[str] = []
    options = LandOptions(check=check, state_dir=check.state_dir, on_change=lambda item: states.append(item.state.value))
    outcome = land_entry(Path(repo.workdir), entry, LandRequest(branch, "Task one"), options)
    return entry, outcome, states


def scratch_left(repo: pygit2.Repository, check: CheckSettings, entry: QueueEntry) -> list[str]:
    left = [name for name in repo.references if name.startswith(CHECK_REF_PREFIX)]
    if scratch_worktree_path(check.state_dir, entry.id).exists():
        left.append("worktree folder")
    worktrees = git(Path(repo.workdir), "worktree", "list", "--porcelain")
    left += [line for line in worktrees.splitlines() if line.startswith("worktree ") and "checks" in line]
    return left


def test_passing_check_lands_and_records(repo: pygit2.Repository, tmp_path: Path) -> None:
    commit_on(repo, "agentdeck/task", {"a.txt": b"one\ngood\nthree\n"}, start="main")
    counter = tmp_path / "runs"
    check = settings(repo, tmp_path, [sys.executable, "-c", CHECK_SCRIPT, str(counter)])

    entry, outcome, states = land_checked(repo, check)

    assert outcome.state == EntryState.LANDED, outcome.message
    assert states == ["checking", "landing"]
    assert counter.read_text() == "1"
    log_text = check_log_path(check.state_dir, entry.id).read_text()
    assert "checking a.txt: one | good | three" in log_text
    assert "check passed" in log_text
    assert scratch_left(repo, check, entry) == []
    assert status(Path(repo.workdir)) == ""
    records = read_records(check.state_dir)
    assert [(record.entry_id, record.check, record.files_changed) for record in records] == [(entry.id, "passed", 1)]
    assert records[0].new_tip == tip(repo, "main")
    assert records[0].task_commits == [tip(repo, "agentdeck/task")]
    assert (records[0].insertions, records[0].deletions) == (1, 1)


def test_failing_check_parks_entry(repo: pygit2.Repository, tmp_path: Path) -> None:
    commit_on(repo, "agentdeck/task", {"a.txt": b"one\nbad\nthree\n"}, start="main")
    before = tip(repo, "main")
    check = settings(repo, tmp_path, [sys.executable, "-c", CHECK_SCRIPT, str(tmp_path / "runs")])

    entry, outcome, states = land_checked(repo, check)

    assert outcome.state == EntryState.FAILED
    assert "exit status 3" in outcome.message
    assert str(check_log_path(check.state_dir, entry.id)) in outcome.message
    assert entry.check_log == str(check_log_path(check.state_dir, entry.id))
    assert "checking a.txt: one | bad | three" in Path(entry.check_log).read_text()
    assert states == ["checking"]
    assert tip(repo, "main") == before
    assert scratch_left(repo, check, entry) == []
    assert read_records(check.state_dir) == []


def test_check_runs_merge_result_not_branch(repo: pygit2.Repository, tmp_path: Path) -> None:
    # main gains "bad" after the task started: only the merge result has both changes.
    commit_on(repo, "agentdeck/task", {"c.txt": b"sea task\n"}, start="main")
    root = Path(repo.workdir)
    (root / "a.txt").write_bytes(b"one\nbad\nthree\n")
    git(root, "commit", "--quiet", "-am", "main turns bad")
    before = tip(repo, "main")
    check = settings(repo, tmp_path, [sys.executable, "-c", CHECK_SCRIPT, str(tmp_path / "runs")])

    entry, outcome, _states = land_checked(repo, check)

    assert outcome.state == EntryState.FAILED
    assert tip(repo, "main") == before
    assert "# commit " in Path(entry.check_log).read_text()


def test_check_timeout_fails_entry(repo: pygit2.Repository, tmp_path: Path) -> None:
    commit_on(repo, "agentdeck/task", {"a.txt": b"one\ngood\nthree\n"}, start="main")
    before = tip(repo, "main")
    check = settings(repo, tmp_path, [sys.executable, "-c", "import time; time.sleep(60)"], timeout=0.5)

    entry, outcome, _states = land_checked(repo, check)

    assert outcome.state == EntryState.FAILED
    assert "timed out" in outcome.message
    assert tip(repo, "main") == before
    assert scratch_left(repo, check, entry) == []


def test_missing_check_command_fails(repo: pygit2.Repository, tmp_path: Path) -> None:
    commit_on(repo, "agentdeck/task", {"a.txt": b"one\ngood\nthree\n"}, start="main")
    check = settings(repo, tmp_path, [str(tmp_path / "no-such-program")])

    entry, outcome, _states = land_checked(repo, check)

    assert outcome.state == EntryState.FAILED
    assert "could not start" in outcome.message
    assert "cannot start" in Path(entry.check_log).read_text()


def test_base_moving_during_check_rechecks(repo: pygit2.Repository, tmp_path: Path) -> None:
    commit_on(repo, "agentdeck/task", {"a.txt": b"one\ngood\nthree\n"}, start="main")
    repo.branches.local.create("base", repo.branches.local["main"].peel(pygit2.Commit))
    mover = commit_on(repo, "elsewhere", {"c.txt": b"sea moved\n"}, start="main")
    marker = tmp_path / "moved-once"
    # The first run moves `base` the way another user pushing would; the second run finds it quiet.
    script = (
        "import pathlib, subprocess, sys\n"
        f"marker = pathlib.Path({str(marker)!r})\n"
        "if not marker.exists():\n"
        f"    subprocess.run(['git', 'update-ref', 'refs/heads/base', {str(mover)!r}], check=True)\n"
        "    marker.write_text('x')\n"
        "print(pathlib.Path('c.txt').read_text())\n"
    )
    check = settings(repo, tmp_path, [sys.executable, "-c", script])

    entry, outcome, states = land_checked(repo, check, base="base")

    assert outcome.state == EntryState.LANDED, outcome.message
    assert states == ["checking", "checking", "landing"]
    landed = repo[tip(repo, "base")]
    assert str(landed.parents[0].id) == str(mover)
    assert repo[landed.tree["c.txt"].id].data == b"sea moved\n"
    assert repo[landed.tree["a.txt"].id].data == b"one\ngood\nthree\n"
    # The log is of the last run, which saw the moved base.
    assert "sea moved" in Path(entry.check_log).read_text()
    assert scratch_left(repo, check, entry) == []


def test_check_worktree_outside_worktree_root(repo: pygit2.Repository, tmp_path: Path) -> None:
    commit_on(repo, "agentdeck/task", {"a.txt": b"one\ngood\nthree\n"}, start="main")
    check = settings(repo, tmp_path, [sys.executable, "-c", "import os; print(os.getcwd())"])

    entry, outcome, _states = land_checked(repo, check)

    assert outcome.state == EntryState.LANDED
    first_line = Path(entry.check_log).read_text().splitlines()[2]
    assert Path(first_line) == scratch_worktree_path(check.state_dir, entry.id).resolve()
    assert Path(first_line).is_relative_to(Path(repo.path).resolve())


def test_check_log_grows_while_running(repo: pygit2.Repository, tmp_path: Path) -> None:
    commit_on(repo, "agentdeck/task", {"a.txt": b"one\ngood\nthree\n"}, start="main")
    release = tmp_path / "release"
    script = (
        "import pathlib, sys, time\n"
        "print('started', flush=True)\n"
        f"while not pathlib.Path({str(release)!r}).exists(): time.sleep(0.02)\n"
    )
    check = settings(repo, tmp_path, [sys.executable, "-c", script])
    entry = QueueEntry(task_id="task-1", base_branch="main")
    log_path = check_log_path(check.state_dir, entry.id)

    def on_change(item: QueueEntry) -> None:
        if item.state == EntryState.CHECKING:
            watcher = subprocess.Popen(
                [
                    sys.executable, "-c",
                    "import pathlib, sys, time\n"
                    "log, release = map(pathlib.Path, sys.argv[1:])\n"
                    "while not (log.exists() and 'started' in log.read_text()): time.sleep(0.02)\n"
                    "print(log.read_text()); release.write_text('go')\n",
                    str(log_path), str(release),
                ],
                stdout=subprocess.PIPE,
                text=True,
            )
            on_change.watcher = watcher  # type: ignore[attr-defined]

    outcome = land_entry(Path(repo.workdir), entry, LandRequest("agentdeck/task", "t"), LandOptions(check=check, on_change=on_change))

    output, _ = on_change.watcher.communicate(timeout=30)  # type: ignore[attr-defined]
    assert outcome.state == EntryState.LANDED
    assert "started" in output
    assert "check passed" not in output


def test_cleanup_spares_other_missing_worktrees(repo: pygit2.Repository, tmp_path: Path) -> None:
    root = Path(repo.workdir)
    state_dir = Path(repo.path) / "agentdeck"
    scratch = scratch_worktree_path(state_dir, "entry-1")
    scratch.parent.mkdir(parents=True)
    git(root, "worktree", "add", "--quiet", "--detach", str(scratch), "main")
    users = tmp_path / "on-unmounted-disk"
    git(root, "worktree", "add", "--quiet", "-b", "user-branch", str(users), "main")
    for folder in (scratch, users):
        subprocess.run(["rm", "-rf", str(folder)], check=True)

    remove_scratch(root, state_dir, "entry-1")

    listed = git(root, "worktree", "list", "--porcelain")
    assert str(users) in listed
    assert str(scratch) not in listed
