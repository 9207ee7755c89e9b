"""Measure landing 20 non-conflicting queue entries against a shell loop of `git merge --no-ff`.

Run by hand: python bench/merge_queue_landing.py [--runs 5] [--entries 20] [--files 2000]

Both sides start from identical copies of one repository: main checked out
and clean in the main checkout, and one task branch per entry that changes
its own file, branched before main moved. agentdeck lands through
`land_queue` (merge strategy, no check command, every safety step included:
dirty-path checks, the checkout update and the compare-and-swap). The shell
loop runs `git merge --no-ff --quiet -m ... BRANCH` once per branch in one
`sh` process. Medians of --runs runs are printed, with the ratio.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

import pygit2

from agentdeck.merge_queue import LandOptions, LandRequest, land_queue
from agentdeck.tasks import EntryState, QueueEntry

SIGNATURE = pygit2.Signature("Bench", "bench@example.invalid")


def build(root: Path, entries: int, files: int) -> list[str]:
    """Create the repository at *root*; return the task branch names."""
    subprocess.run(["git", "init", "--quiet", "--initial-branch", "main", str(root)], check=True)
    subprocess.run(["git", "-C", str(root), "config", "user.name", "Bench"], check=True)
    subprocess.run(["git", "-C", str(root), "config", "user.email", "bench@example.invalid"], check=True)
    for number in range(files):
        path = root / f"pkg{number % 40}" / f"module{number}.py"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("".join(f"value_{line} = {line}\n" for line in range(30)))
    subprocess.run(["git", "-C", str(root), "add", "."], check=True)
    subprocess.run(["git", "-C", str(root), "commit", "--quiet", "-m", "initial"], check=True)

    repo = pygit2.Repository(str(root))
    start = repo.branches.local["main"].peel(pygit2.Commit)
    branches = []
    for number in range(entries):
        name = f"agentdeck/task-{number}"
        path = f"pkg{number % 40}/module{number}.py"
        index = pygit2.Index()
        index.read_tree(start.tree)
        data = repo[start.tree[path].id].data + f"added_by_task = {number}\n".encode()
        index.add(pygit2.IndexEntry(path, repo.create_blob(data), pygit2.enums.FileMode.BLOB))
        repo.create_commit(f"refs/heads/{name}", SIGNATURE, SIGNATURE, f"task {number}", index.write_tree(repo), [start.id])
        branches.append(name)

    # main moves after the tasks started, so every landing is a true merge.
    (root / "CHANGELOG").write_text("moved\n")
    subprocess.run(["git", "-C", str(root), "add", "CHANGELOG"], check=True)
    subprocess.run(["git", "-C", str(root), "commit", "--quiet", "-m", "main moves"], check=True)
    return branches


def time_agentdeck(root: Path, branches: list[str]) -> float:
    entries = [QueueEntry(task_id=branch, base_branch="main") for branch in branches]
    start = time.perf_counter()
    results = list(land_queue(root, entries, lambda entry: LandRequest(entry.task_id, entry.task_id), LandOptions()))
    elapsed = time.perf_counter() - start
    assert all(outcome.state == EntryState.LANDED for _entry, outcome in results), results
    return elapsed


def time_shell(root: Path, branches: list[str]) -> float:
    script = "".join(f"git merge --no-ff --quiet -m 'Merge {branch}' {branch} || exit 1\n" for branch in branches)
    start = time.perf_counter()
    subprocess.run(["sh", "-c", script], cwd=root, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="runs of each side (default 5)")
    parser.add_argument("--entries", type=int, default=20, help="queue entries, one branch each (default 20)")
    parser.add_argument("--files", type=int, default=2000, help="files in the repository (default 2000)")
    arguments = parser.parse_args()

    agentdeck_times, shell_times = [], []
    with tempfile.TemporaryDirectory() as folder:
        template = Path(folder) / "template"
        branches = build(template, arguments.entries, arguments.files)
        for run in range(arguments.runs):
            for name, timer, times in (("agentdeck", time_agentdeck, agentdeck_times), ("shell", time_shell, shell_times)):
                copy = Path(folder) / f"{name}-{run}"
                shutil.copytree(template, copy, symlinks=True)
                times.append(timer(copy, branches))
                shutil.rmtree(copy)

    agentdeck_median = statistics.median(agentdeck_times)
    shell_median = statistics.median(shell_times)
    print(f"{arguments.entries} entries, {arguments.files} files, {arguments.runs} runs")
    print(f"agentdeck land_queue: median {agentdeck_median * 1000:.0f} ms ({', '.join(f'{t * 1000:.0f}' for t in agentdeck_times)})")
    print(f"git merge --no-ff loop: median {shell_median * 1000:.0f} ms ({', '.join(f'{t * 1000:.0f}' for t in shell_times)})")
    print(f"ratio: {agentdeck_median / shell_median:.2f}x")


if __name__ == "__main__":
    main()
