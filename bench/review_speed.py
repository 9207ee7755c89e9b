"""Time the review of 1k, 10k and 50k-line diffs, next to `git diff` on the same change.

Run by hand: ``python bench/review_speed.py [--runs N] [--sizes 1000,10000,50000]``.
For each size it builds a temporary repository with a deck and one task
(the built-in demo agent, waiting at its question), whose worktree rewrites
every line of a Python module without committing. Measured in one process:

- ``git diff``: the git CLI producing the same patch (merge-base to worktree
  snapshot), and the parts of computing the review: the snapshot (merge-base
  and hashing the worktree), the review with unparsed hunks, and parsing
  every hunk;
- key to first frame: from the action of ``d`` on the deck to the first
  frame whose diff shows the big file's rows, in a headless 120x40 app. The
  frame is rendered to terminal bytes, as a real terminal would get it. Once
  with the module given a new last line just before each press, so the
  review has to hash and store a new blob, and once with the worktree
  unchanged since the deck's last poll of its line counts;
- the same from pushing the review screen onto an app that already runs;
- key to all rows: until the whole file's rows replace the leading ones;
- key to full highlight: until the syntax colours of both whole files are attached;
- page down: one frame per page-down through the whole big file once it is
  highlighted; the time from the key's action to its frame, the
  ``render_line`` calls of each frame alone, and the full (generation 2)
  garbage collections that ran meanwhile;
- memory of the 50k case: tracemalloc's peak (review, layout, highlight)
  and the process's maximum resident set size.

The load average is printed with each size, because the machine may be busy.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
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

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from textual.app import App  # noqa: E402

from agentdeck.config import load_config  # noqa: E402
from agentdeck.deck import Deck  # noqa: E402
from agentdeck.repository import find_repository  # noqa: E402
from agentdeck.review import compute_review, load_hunks, review_fingerprint  # noqa: E402
from agentdeck.ui.app import AgentdeckApp  # noqa: E402
from agentdeck.ui.diff_highlight import highlight_file  # noqa: E402
from agentdeck.ui.screens.deck import DeckScreen  # noqa: E402
from agentdeck.ui.screens.review import ReviewScreen, ReviewSource  # noqa: E402
from agentdeck.ui.widgets.diff_view import DiffView, prepare_diff  # noqa: E402

SIZES = (1_000, 10_000, 50_000)
RUNS = 5
BIG = "big.py"


def git(cwd: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, text=True).stdout


def module_line(number: int, variant: str) -> str:
    if number % 20 == 0:
        return f'    """Docstring {number} {variant}\n'
    if number % 20 == 1:
        return f'    still inside the string {number}"""\n'
    return f"    value_{number} = compute({number}, '{variant}')  # step {number}\n"


def module_text(count: int, variant: str, run: int = 0) -> str:
    return "".join(["def big():\n", *(module_line(n, variant) for n in range(count)), f"    # run {run}\n"])


def build(root: Path, diff_lines: int) -> tuple[Deck, Path]:
    """Make a deck with one task whose diff has about *diff_lines* lines, half removed and half added."""
    repo = root / "repo"
    repo.mkdir()
    git(repo, "init", "-q", "-b", "main")
    git(repo, "config", "user.name", "Bench")
    git(repo, "config", "user.email", "bench@example.invalid")
    (repo / ".agentdeck").mkdir()
    (repo / ".agentdeck" / "config.toml").write_text('default_agent = "demo"\n')
    (repo / BIG).write_text(module_text(diff_lines // 2, "old"))
    (repo / "small.txt").write_text("one\n")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "base")

    deck = Deck(find_repository(repo), load_config(repo))
    task = deck.create_task("Rewrite big", "rewrite big.py", columns=120, rows=40)
    worktree = Path(task.worktree)
    (worktree / BIG).write_text(module_text(diff_lines // 2, "new"))
    (worktree / "small.txt").write_text("two\n")
    return deck, worktree


def touch_big(worktree: Path, size: int, run: int) -> None:
    """Give the big file a new last line, so the next review stores and diffs a new blob."""
    (worktree / BIG).write_text(module_text(size // 2, "new", run))


class FrameClock:
    """Records when the first frame showing the big file's rows was composed and turned into terminal output."""

    def __init__(self, app: App) -> None:
        self.app = app
        self.rendered = False
        self.frames = 0
        self.last_frame = 0.0
        self.first_frame: float | None = None
        self._original_display = app._display
        app._display = self._display
        original_render_line = DiffView.render_line
        clock = self

        def render_line(view: DiffView, y: int):
            # Rows of the diff itself, not only its hunk header.
            if view.prepared.path == BIG and any(row.kind != "hunk" for row in view.rows[:2]):
                clock.rendered = True
            return original_render_line(view, y)

        DiffView.render_line = render_line
        self._restore = lambda: setattr(DiffView, "render_line", original_render_line)

    def _display(self, screen, renderable) -> None:
        if renderable is not None:
            # The headless driver writes nothing; rendering the update to
            # bytes is the part of a real frame that it skips.
            render = getattr(renderable, "render_segments", None)
            if render is not None:
                render(self.app.console)
            self.frames += 1
            self.last_frame = time.perf_counter()
            if self.rendered and self.first_frame is None:
                self.first_frame = self.last_frame
        self._original_display(screen, renderable)

    def reset(self) -> None:
        self.rendered = False
        self.first_frame = None

    def close(self) -> None:
        self._restore()


async def wait_until(predicate, timeout: float = 120.0) -> None:
    deadline = time.perf_counter() + timeout
    while not predicate():
        if time.perf_counter() > deadline:
            raise TimeoutError("benchmark condition not reached")
        await asyncio.sleep(0.0005)


def big_complete(screen: ReviewScreen) -> bool:
    views = screen.query(DiffView)
    if not views:
        return False
    view = views.first()
    return view.prepared.path == BIG and not view.prepared.partial and bool(view.rows)


async def time_deck_key(deck: Deck, worktree: Path, size: int, runs: int, edited: bool) -> list[tuple[float, float, float]]:
    """Press d on the deck *runs* times; return (first frame, all rows, full highlight) in seconds for each.

    With *edited*, the big file gets a new last line 0.3 s before each press,
    so the review hashes it again. Without, each press waits until the deck's
    line count poll (every 3 s) has hashed the unchanged worktree, as when an
    agent finished a while before the user looks.
    """
    app = AgentdeckApp(deck)
    results = []
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_until(lambda: isinstance(app.screen, DeckScreen))
        await pilot.pause(0.5)
        clock = FrameClock(app)
        try:
            for run in range(runs):
                if edited:
                    touch_big(worktree, size, run + 1)
                    await pilot.pause(0.3)
                else:
                    await pilot.pause(6.0)
                deck_screen = app.screen
                clock.reset()
                # Timed from the action the d key runs: Pilot.press() adds
                # its own waits for idle, which are no part of the user's wait.
                start = time.perf_counter()
                deck_screen.action_review()
                await wait_until(lambda: clock.first_frame is not None)
                first = clock.first_frame - start
                screen = app.screen
                await wait_until(lambda: big_complete(screen))
                rows = time.perf_counter() - start
                await wait_until(lambda: screen.query_one(DiffView).prepared.highlight is not None)
                highlighted = time.perf_counter() - start
                results.append((first, rows, highlighted))
                await pilot.press("escape")
                await wait_until(lambda: isinstance(app.screen, DeckScreen))
        finally:
            clock.close()
    return results


class BenchApp(App[None]):
    pass


class CollectionClock:
    """Records how long each full (generation 2) garbage collection takes."""

    def __init__(self) -> None:
        self.pauses: list[float] = []
        self._started = 0.0
        gc.callbacks.append(self._callback)

    def _callback(self, phase: str, info: dict) -> None:
        if phase == "start":
            self._started = time.perf_counter()
        elif info["generation"] == 2:
            self.pauses.append(time.perf_counter() - self._started)

    def close(self) -> None:
        gc.callbacks.remove(self._callback)


async def time_push_and_scroll(
    worktree: Path, branch: str, size: int, runs: int
) -> tuple[list[float], list[float], list[float], list[float]]:
    """Return first-frame times of pushing the review screen, the page-down frame and render_line times, and GC pauses."""
    source = ReviewSource(load=lambda ignore_whitespace: compute_review(worktree, branch, "main", ignore_whitespace=ignore_whitespace, lazy_hunks=True))
    app = BenchApp()
    pushes: list[float] = []
    frames: list[float] = []
    renders: list[float] = []
    async with app.run_test(size=(120, 40)) as pilot:
        clock = FrameClock(app)
        try:
            for run in range(runs):
                touch_big(worktree, size, 100 + run)
                await pilot.pause(0.3)
                screen = ReviewScreen("bench", source, refresh_seconds=None)
                clock.reset()
                start = time.perf_counter()
                app.push_screen(screen)
                await wait_until(lambda: clock.first_frame is not None)
                pushes.append(clock.first_frame - start)
                await wait_until(lambda: big_complete(screen) and screen.query_one(DiffView).prepared.highlight is not None)
                if run < runs - 1:
                    app.pop_screen()
                    await pilot.pause(0.1)

            view = screen.query_one(DiffView)
            view.focus()
            await pilot.pause(0.2)
            height = view.scrollable_content_region.height
            collections = CollectionClock()
            while view.cursor < len(view.rows) - 1:
                seen = clock.frames
                start = time.perf_counter()
                view.action_page_down()
                await wait_until(lambda: clock.frames > seen)
                frames.append(clock.last_frame - start)
                # The render_line calls of one frame alone, on a fresh strip cache.
                view._strips.clear()
                start = time.perf_counter()
                for y in range(height):
                    view.render_line(y)
                renders.append(time.perf_counter() - start)
            collections.close()
        finally:
            clock.close()
    return pushes, frames, renders, collections.pauses


def time_domain(worktree: Path, branch: str, size: int, runs: int) -> dict[str, list[float]]:
    times: dict[str, list[float]] = {"git diff": [], "snapshot": [], "review, hunks unparsed": [], "parse all hunks": [], "lay out big file": []}
    for run in range(runs):
        touch_big(worktree, size, 200 + run)
        start = time.perf_counter()
        fingerprint = review_fingerprint(worktree, branch, "main")
        times["snapshot"].append(time.perf_counter() - start)
        merge_base, snapshot = fingerprint.split(":")
        start = time.perf_counter()
        subprocess.run(["git", "diff", "--raw", "-p", "-z", "-M", "-C", merge_base, snapshot], cwd=worktree, check=True, capture_output=True)
        times["git diff"].append(time.perf_counter() - start)
        # The snapshot's blob is stored now, as on a second look at an unchanged worktree.
        start = time.perf_counter()
        review = compute_review(worktree, branch, "main", lazy_hunks=True)
        times["review, hunks unparsed"].append(time.perf_counter() - start)
        start = time.perf_counter()
        for change in review.files:
            load_hunks(change)
        times["parse all hunks"].append(time.perf_counter() - start)
        change = next(change for change in review.files if change.path == BIG)
        start = time.perf_counter()
        prepare_diff(review, change)
        times["lay out big file"].append(time.perf_counter() - start)
    return times


def peak_memory(worktree: Path, branch: str) -> int:
    tracemalloc.start()
    review = compute_review(worktree, branch, "main", lazy_hunks=True)
    change = next(change for change in review.files if change.path == BIG)
    prepared = prepare_diff(review, change)
    prepared.highlight = highlight_file(prepared.path, prepared.old_lines, prepared.new_lines, dark=True)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return peak


def ms(values: list[float]) -> str:
    return f"{statistics.median(values) * 1000:,.0f}"


def spread(values: list[float]) -> str:
    return f"{statistics.median(values) * 1000:,.0f} ({min(values) * 1000:,.0f}\N{EN DASH}{max(values) * 1000:,.0f})"


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=RUNS)
    parser.add_argument("--sizes", default=",".join(str(size) for size in SIZES))
    options = parser.parse_args()
    sizes = [int(size) for size in options.sizes.split(",")]

    home = Path(tempfile.mkdtemp(prefix="agentdeck-bench-home-"))
    os.environ.update(
        HOME=str(home),
        XDG_CONFIG_HOME=str(home / ".config"),
        GIT_CONFIG_GLOBAL=os.devnull,
        GIT_CONFIG_NOSYSTEM="1",
        PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""),
    )
    print(f"{options.runs} runs per figure; medians, with the range in brackets; times in ms\n")
    for size in sizes:
        root = Path(tempfile.mkdtemp(prefix="agentdeck-bench-"))
        deck = None
        try:
            deck, worktree = build(root, size)
            branch = deck.tasks[0].branch
            review = compute_review(worktree, branch, "main")
            lines = sum(len(hunk.lines) for change in review.files if change.path == BIG for hunk in change.hunks)
            print(f"## {lines:,} diff lines (load average {os.getloadavg()[0]:.1f} at the start)")

            domain = time_domain(worktree, branch, size, options.runs)
            print("  " + ", ".join(f"{name} {spread(values)}" for name, values in domain.items()))
            deck_runs = asyncio.run(time_deck_key(deck, worktree, size, options.runs, edited=True))
            first, rows, highlighted = (list(values) for values in zip(*deck_runs))
            print(f"  d on the deck, file just edited: first frame {spread(first)}, all rows {spread(rows)}, full highlight {spread(highlighted)}")
            print(f"    first press (imports the review screen) {first[0] * 1000:,.0f}, later presses {spread(first[1:]) if len(first) > 1 else '-'}")
            deck_runs = asyncio.run(time_deck_key(deck, worktree, size, options.runs, edited=False))
            first, rows, highlighted = (list(values) for values in zip(*deck_runs))
            print(f"  d on the deck, worktree hashed by the deck's last poll: first frame {spread(first)}, all rows {spread(rows)}")
            pushes, frames, renders, pauses = asyncio.run(time_push_and_scroll(worktree, branch, size, options.runs))
            print(f"  screen pushed in a running app: first frame {spread(pushes)}")
            print(
                f"  page down x{len(frames)}: key to frame median {ms(frames)}, p99 {percentile(frames, 0.99) * 1000:.1f}, max {max(frames) * 1000:.1f}; "
                f"render_line per frame median {ms(renders)}, max {max(renders) * 1000:.1f}; "
                f"{len(pauses)} full GCs, longest {max(pauses, default=0) * 1000:.0f}"
            )
            print(f"  load average at the end {os.getloadavg()[0]:.1f}")
            if size == sizes[-1]:
                peak = peak_memory(worktree, branch)
                rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
                print(f"  memory: tracemalloc peak {peak / 2**20:.0f} MiB (review, layout, highlight); process max RSS {rss / 1024:.0f} MiB")
        finally:
            if deck is not None:
                deck.shutdown()
            shutil.rmtree(root, ignore_errors=True)
    shutil.rmtree(home, ignore_errors=True)


if __name__ == "__main__":
    main()
