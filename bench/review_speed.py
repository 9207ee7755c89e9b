"""Time the review of 1k, 10k and 50k-line diffs, next to `git diff` on the same change.

Run by hand: ``python bench/review_speed.py``. For each size it builds a
temporary repository whose task worktree rewrites half the lines of a Python
module, then measures, in one process:

- ``git diff``: the git CLI producing the same patch (merge-base to worktree snapshot);
- review: :func:`compute_review` (snapshot, ``git diff``, parsing);
- key to first screen: from the action of the key that opens the file to the
  first frame of its diff in a headless 120x40 app, the review being loaded;
- open to first screen: from pushing the review screen to the first frame
  of the big file, review computation included;
- full highlight: until the syntax colours of both whole files are attached;
- peak memory of the 50k case, as traced by tracemalloc (domain work only)
  and the process's maximum resident set size.
"""

from __future__ import annotations

import asyncio
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from textual.app import App  # noqa: E402

from agentdeck.review import compute_review  # noqa: E402
from agentdeck.ui.diff_highlight import highlight_file  # noqa: E402
from agentdeck.ui.screens.review import ReviewScreen, ReviewSource  # noqa: E402
from agentdeck.ui.widgets.diff_view import DiffView, prepare_diff  # noqa: E402

BRANCH = "agentdeck/bench"
SIZES = (1_000, 10_000, 50_000)
RUNS = 5


def git(cwd: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, text=True).stdout


def module_line(number: int, variant: str) -> str:
    if number % 20 == 0:
        return f'    """Docstring {number} {variant}\n'
    if number % 20 == 1:
        return f'    still inside the string {number}"""\n'
    return f"    value_{number} = compute({number}, '{variant}')  # step {number}\n"


def build(root: Path, diff_lines: int) -> Path:
    """Make a task whose diff has about *diff_lines* lines: half removed, half added, in 10-line runs."""
    repo = root / "repo"
    repo.mkdir()
    git(repo, "init", "-q", "-b", "main")
    git(repo, "config", "user.name", "Bench")
    git(repo, "config", "user.email", "bench@example.invalid")
    count = diff_lines // 2
    old = ["def big():\n"] + [module_line(n, "old") for n in range(count)]
    (repo / "big.py").write_text("".join(old))
    (repo / "small.txt").write_text("one\n")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "base")
    worktree = root / "task"
    git(repo, "worktree", "add", "-q", "-b", BRANCH, str(worktree))
    new = ["def big():\n"] + [module_line(n, "new") for n in range(count)]
    (worktree / "big.py").write_text("".join(new))
    (worktree / "small.txt").write_text("two\n")
    return worktree


def time_git_diff(worktree: Path, review) -> float:
    start = time.perf_counter()
    subprocess.run(["git", "diff", "-M", "-C", review.merge_base, review.snapshot], cwd=worktree, check=True, capture_output=True)
    return time.perf_counter() - start


class BenchApp(App[None]):
    def __init__(self, screen: ReviewScreen) -> None:
        super().__init__()
        self.review_screen = screen

    def on_mount(self) -> None:
        self.push_screen(self.review_screen)


async def wait_until(pilot, predicate, timeout: float = 60.0) -> None:
    deadline = time.perf_counter() + timeout
    while not predicate():
        if time.perf_counter() > deadline:
            raise TimeoutError("benchmark condition not reached")
        await asyncio.sleep(0.0005)


def big_shown(view: DiffView) -> bool:
    return view.prepared.path == "big.py" and bool(view.rows)


async def time_screens(worktree: Path) -> tuple[float, float, float]:
    """Return (key press to first screen, open to first screen, open to full highlight) in seconds."""
    source = ReviewSource(load=lambda ignore_whitespace: compute_review(worktree, BRANCH, "main", ignore_whitespace=ignore_whitespace))

    # small.txt sorts after big.py, so move to it first and press k to come back.
    screen = ReviewScreen("bench", source, refresh_seconds=None)
    app = BenchApp(screen)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_until(pilot, lambda: screen.review is not None and big_shown(app.screen.query_one(DiffView)))
        await pilot.press("j")
        await wait_until(pilot, lambda: app.screen.query_one(DiffView).prepared.path == "small.txt")
        view = app.screen.query_one(DiffView)
        # Timed from the action the k key runs: Pilot.press() adds its own
        # waits for idle, which are not part of what a user sees.
        start = time.perf_counter()
        screen.action_previous_file()
        await wait_until(pilot, lambda: big_shown(view))
        app.screen._compositor.render_strips()
        key_to_screen = time.perf_counter() - start

    screen = ReviewScreen("bench", source, refresh_seconds=None)
    app = BenchApp(screen)
    start = time.perf_counter()
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_until(pilot, lambda: isinstance(app.screen, ReviewScreen) and big_shown(app.screen.query_one(DiffView)))
        app.screen._compositor.render_strips()
        open_to_screen = time.perf_counter() - start
        view = app.screen.query_one(DiffView)
        await wait_until(pilot, lambda: view.prepared.highlight is not None)
        open_to_highlight = time.perf_counter() - start
    return key_to_screen, open_to_screen, open_to_highlight


def peak_memory(worktree: Path) -> int:
    tracemalloc.start()
    review = compute_review(worktree, BRANCH, "main")
    change = next(change for change in review.files if change.path == "big.py")
    prepared = prepare_diff(review, change)
    prepared.highlight = highlight_file(prepared.path, prepared.old_lines, prepared.new_lines, dark=True)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return peak


def main() -> None:
    os.environ["GIT_CONFIG_GLOBAL"] = os.devnull
    os.environ["GIT_CONFIG_NOSYSTEM"] = "1"
    print("| diff lines | `git diff` | review (git diff + parse) | key to first screen | open to first screen | open to full highlight |")
    print("| --- | --- | --- | --- | --- | --- |")
    for size in SIZES:
        root = Path(tempfile.mkdtemp(prefix="agentdeck-bench-"))
        try:
            worktree = build(root, size)
            review = compute_review(worktree, BRANCH, "main")
            change = next(change for change in review.files if change.path == "big.py")
            lines = sum(len(hunk.lines) for hunk in change.hunks)
            git_times, review_times = [], []
            for _ in range(RUNS):
                git_times.append(time_git_diff(worktree, review))
                start = time.perf_counter()
                compute_review(worktree, BRANCH, "main")
                review_times.append(time.perf_counter() - start)
            screens = [asyncio.run(time_screens(worktree)) for _ in range(3)]
            key, opened, highlighted = (statistics.median(values) for values in zip(*screens))
            print(
                f"| {lines:,} | {statistics.median(git_times) * 1000:.0f} ms | {statistics.median(review_times) * 1000:.0f} ms "
                f"| {key * 1000:.0f} ms | {opened * 1000:.0f} ms | {highlighted * 1000:.0f} ms |"
            )
            if size == SIZES[-1]:
                peak = peak_memory(worktree)
                rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
                print(f"\n{lines:,}-line diff: tracemalloc peak {peak / 2**20:.0f} MiB (review, layout, highlight); process max RSS {rss / 1024:.0f} MiB")
        finally:
            shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
