"""A check command dies with agentdeck, even when agentdeck is killed with SIGKILL."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pygit2

from agentdeck.checks import CheckSettings, run_check
from tests.test_merge_queue import make_repo

RUNNER = """
import sys
from pathlib import Path
from agentdeck.checks import CheckSettings, run_check

root, state_dir, commit = Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3]
command = tuple(sys.argv[4:])
print(run_check(root, CheckSettings(command, None, state_dir), "entry1", commit).describe(), flush=True)
"""

# Starts a grandchild too, so the test checks that the whole group stops, not only the shell.
CHECK = "sleep 300 & echo $! > {pids}; echo $$ >> {pids}; wait"


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie is dead but still listed until its parent reaps it.
    stat = Path(f"/proc/{pid}/stat")
    return not (stat.exists() and stat.read_text().split(") ")[-1].startswith("Z"))


def wait_until(predicate, timeout: float = 15.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return False


def start_runner(tmp_path: Path) -> tuple[subprocess.Popen, Path]:
    repo = make_repo(tmp_path / "app", {"a.txt": b"a\n"})
    pids = tmp_path / "pids"
    environment = dict(os.environ)
    source = str(Path(__file__).resolve().parents[1])
    environment["PYTHONPATH"] = source + os.pathsep + environment.get("PYTHONPATH", "")
    command = ["sh", "-c", CHECK.format(pids=pids)]
    runner = subprocess.Popen(
        [sys.executable, "-c", RUNNER, repo.workdir, str(tmp_path / "state"), str(repo.head.target), *command],
        env=environment,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert wait_until(lambda: pids.exists() and len(pids.read_text().split()) == 2)
    return runner, pids


def test_sigkilled_deck_stops_its_check(tmp_path: Path) -> None:
    runner, pids = start_runner(tmp_path)
    sleeper, shell = (int(pid) for pid in pids.read_text().split())
    assert alive(sleeper)
    runner.send_signal(signal.SIGKILL)
    runner.wait()
    runner.stdout.close()
    assert wait_until(lambda: not alive(sleeper)), "the check's child outlived agentdeck"
    assert wait_until(lambda: not alive(shell)), "the check command outlived agentdeck"


def test_check_exit_status_passes_through(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "app", {"a.txt": b"a\n"})
    settings = CheckSettings(("sh", "-c", "echo out; exit 3"), None, tmp_path / "state")
    result = run_check(Path(repo.workdir), settings, "entry1", str(repo.head.target))
    assert result.exit_status == 3
    assert not result.passed
    assert "out" in result.log_path.read_text()


def test_check_killed_by_signal_reports_it(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "app", {"a.txt": b"a\n"})
    settings = CheckSettings(("sh", "-c", "kill -TERM $$"), None, tmp_path / "state")
    result = run_check(Path(repo.workdir), settings, "entry1", str(repo.head.target))
    assert result.exit_status == -signal.SIGTERM
    assert not result.passed


def test_check_not_executable_is_named(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "app", {"check.sh": b"#!/bin/sh\nexit 0\n"})
    settings = CheckSettings(("./check.sh",), None, tmp_path / "state")
    result = run_check(Path(repo.workdir), settings, "entry1", str(repo.head.target))
    assert result.exit_status is None
    assert "is not executable" in result.log_path.read_text()
    assert result.describe() == "check could not start"
