"""Tests of the parts of a review that are parsed or hashed late: lazy hunks, leading rows, the change watch."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from agentdeck.review import ReviewWatch, compute_review, diff_stat, leading_rows, load_hunks, side_by_side
from tests.test_review import BRANCH, GIT, by_path, git, index_file, make_repository, make_task

pytestmark = pytest.mark.skipif(GIT is None, reason="the git CLI is the reference these tests compare against")

HOUR_NS = 3600 * 10**9


def test_lazy_hunks_equal_eager(tmp_path: Path) -> None:
    _, worktree = make_task(tmp_path)

    eager = by_path(compute_review(worktree, BRANCH, "main").files)
    lazy = by_path(compute_review(worktree, BRANCH, "main", lazy_hunks=True).files)

    assert sorted(lazy) == sorted(eager)
    for path, change in lazy.items():
        assert (change.added, change.removed) == (eager[path].added, eager[path].removed), path
        assert load_hunks(change) == eager[path].hunks, path
        assert change.patch == b"", path


def test_lazy_counts_ignore_file_headers(tmp_path: Path) -> None:
    # Content lines that look like the "--- a/" and "+++ b/" headers must be counted once each.
    repo = make_repository(tmp_path)
    (repo / "dashes.txt").write_text("-- a\n++ b\nkeep\n")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "base")
    worktree = tmp_path / "wt"
    git(repo, "worktree", "add", "-q", "-b", BRANCH, str(worktree))
    (worktree / "dashes.txt").write_text("++ b\nkeep\n--- c\n+++ d\n")

    change = compute_review(worktree, BRANCH, "main", lazy_hunks=True).files[0]
    numstat = git(worktree, "diff", "--numstat", "main").split("\t")

    assert (change.added, change.removed) == (int(numstat[0]), int(numstat[1]))


def rewrite_task(tmp_path: Path, lines: int, edit) -> Path:
    repo = make_repository(tmp_path)
    (repo / "big.txt").write_text("".join(f"line {n}\n" for n in range(lines)))
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "base")
    worktree = tmp_path / "wt"
    git(repo, "worktree", "add", "-q", "-b", BRANCH, str(worktree))
    (worktree / "big.txt").write_text("".join(edit(n) for n in range(lines)))
    return worktree


def uneven_blocks(n: int) -> str:
    """Per ten lines: three removed against six added, then two removed against one added."""
    position = n % 10
    if position == 4:
        return f"new {n}\nnew {n}b\nnew {n}c\n"
    if position == 5:
        return f"new {n}\n"
    if position == 6:
        return f"new {n}\nnew {n}b\n"
    if position == 8:
        return f"changed {n}\n"
    if position == 9:
        return ""
    return f"line {n}\n"


EDITS = {
    "uneven blocks": uneven_blocks,
    "separate hunks": lambda n: f"changed {n}\n" if n % 40 == 0 else f"line {n}\n",
    "one long block": lambda n: f"other {n}\n" if n < 300 else f"line {n}\n",
    "added only": lambda n: f"line {n}\nextra {n}\n",
    # One removed line against an unrelated added line and its own edit, paired by similarity.
    "similar lines": lambda n: f"unrelated {n * 7919}\nline {n} edited\n" if n % 6 == 3 else f"line {n}\n",
}


@pytest.mark.parametrize("edit", sorted(EDITS))
@pytest.mark.parametrize("count", [1, 7, 40, 120])
def test_leading_rows_start_full_layout(tmp_path: Path, edit: str, count: int) -> None:
    worktree = rewrite_task(tmp_path, 400, EDITS[edit])
    review = compute_review(worktree, BRANCH, "main", lazy_hunks=True)
    change = review.files[0]
    lines = (worktree / "big.txt").read_text().split("\n")[:-1]
    old_lines = [f"line {n}" for n in range(400)]

    leading = leading_rows(change, count)
    assert change.patch != b"", "leading_rows must not parse the whole patch"
    full = side_by_side(change, word_diff=False, old_lines=old_lines, new_lines=lines)

    assert leading, "no rows for the first screen"
    assert len(leading) <= count
    assert leading == full[: len(leading)]
    # A second look at the same review finds the patch parsed; the cut is the same.
    load_hunks(change)
    assert leading_rows(change, count) == leading


def test_leading_rows_reach_past_removed_run(tmp_path: Path) -> None:
    # 300 removed lines come before the 300 added ones. Rows cut among the
    # removed lines would show them unpaired, so the leading rows read the
    # first added lines after the run and pair them by position, as the full
    # layout does for a block this big.
    worktree = rewrite_task(tmp_path, 400, EDITS["one long block"])
    change = compute_review(worktree, BRANCH, "main", lazy_hunks=True).files[0]
    lines = (worktree / "big.txt").read_text().split("\n")[:-1]
    full = side_by_side(change, word_diff=False, old_lines=[f"line {n}" for n in range(400)], new_lines=lines)

    rows = leading_rows(change, 40)
    few = leading_rows(change, 7)

    assert [row.kind for row in rows] == ["hunk"] + ["changed"] * 39
    assert rows == full[:40]
    assert (rows[1].old_text, rows[1].new_text) == ("line 0", "other 0")
    # Too few lines read to tell a big block from one paired by similarity: nothing is guessed.
    assert [row.kind for row in few] == ["hunk"]


def age_worktree(worktree: Path) -> None:
    """Set every file's modification time an hour back, so no stat data counts as racy."""
    past = time.time_ns() - HOUR_NS
    for path in [index_file(worktree), *worktree.rglob("*")]:
        os.utime(path, ns=(past, past), follow_symlinks=False)


def test_watch_skips_hashing_when_unchanged(tmp_path: Path) -> None:
    _, worktree = make_task(tmp_path)
    age_worktree(worktree)
    watch = ReviewWatch(worktree, BRANCH, "main")

    first = watch.fingerprint()
    second = watch.fingerprint()

    assert first == compute_review(worktree, BRANCH, "main").fingerprint
    assert second == first
    assert watch.snapshots == 1


def test_watch_sees_same_size_edit(tmp_path: Path) -> None:
    _, worktree = make_task(tmp_path)
    age_worktree(worktree)
    watch = ReviewWatch(worktree, BRANCH, "main")
    first = watch.fingerprint()

    (worktree / "edit.txt").write_text("alpha\nBETO\ngamma\n")
    second = watch.fingerprint()

    assert second != first
    assert second == compute_review(worktree, BRANCH, "main").fingerprint


def test_watch_sees_edit_in_same_tick(tmp_path: Path) -> None:
    # The second write keeps size, inode and modification time, as two writes
    # within one tick of the file system's clock do.
    _, worktree = make_task(tmp_path)
    path = worktree / "edit.txt"
    watch = ReviewWatch(worktree, BRANCH, "main")
    first = watch.fingerprint()
    before = path.stat()

    path.write_text("alpha\nBETO\ngamma\n")
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))
    after = path.stat()
    second = watch.fingerprint()

    assert (after.st_size, after.st_mtime_ns, after.st_ino) == (before.st_size, before.st_mtime_ns, before.st_ino)
    assert second != first
    assert second == compute_review(worktree, BRANCH, "main").fingerprint


def test_watch_sees_edit_of_clean_file(tmp_path: Path) -> None:
    _, worktree = make_task(tmp_path)
    age_worktree(worktree)
    watch = ReviewWatch(worktree, BRANCH, "main")
    first = watch.fingerprint()
    watch.fingerprint()

    (worktree / "committed.txt").write_text("one\nTWO\n")
    second = watch.fingerprint()

    assert second != first
    assert second == compute_review(worktree, BRANCH, "main").fingerprint


def test_watch_sees_base_branch_move(tmp_path: Path) -> None:
    repo, worktree = make_task(tmp_path)
    age_worktree(worktree)
    watch = ReviewWatch(worktree, BRANCH, "main")
    first = watch.fingerprint()
    watch.fingerprint()

    # The merge-base becomes the task's own commit, so the review shrinks.
    git(repo, "update-ref", "refs/heads/main", BRANCH)
    second = watch.fingerprint()

    assert second != first
    assert second == compute_review(worktree, BRANCH, "main").fingerprint


def test_watch_leaves_index_untouched(tmp_path: Path) -> None:
    _, worktree = make_task(tmp_path)
    index = index_file(worktree)
    before = (index.read_bytes(), index.stat().st_mtime_ns)
    watch = ReviewWatch(worktree, BRANCH, "main")

    watch.fingerprint()
    (worktree / "edit.txt").write_text("changed again\n")
    watch.fingerprint()

    assert (index.read_bytes(), index.stat().st_mtime_ns) == before


def test_similar_lines_paired(tmp_path: Path) -> None:
    worktree = rewrite_task(tmp_path, 10, EDITS["similar lines"])
    change = compute_review(worktree, BRANCH, "main").files[0]

    rows = side_by_side(change)
    changed = [(row.old_text, row.new_text) for row in rows if row.kind == "changed"]
    added = [row.new_text for row in rows if row.kind == "added"]

    assert changed == [("line 3", "line 3 edited"), ("line 9", "line 9 edited")]
    assert added == ["unrelated 23757", "unrelated 71271"]


def test_cached_review_reused_unparsed(tmp_path: Path) -> None:
    _, worktree = make_task(tmp_path)
    age_worktree(worktree)

    first = compute_review(worktree, BRANCH, "main", lazy_hunks=True)
    for change in first.files:
        load_hunks(change)
    second = compute_review(worktree, BRANCH, "main", lazy_hunks=True)

    assert second.fingerprint == first.fingerprint
    assert second is not first
    # Parsing the first copy left the cached review's patch text unparsed.
    assert any(change.patch for change in second.files)
    for left, right in zip(first.files, second.files, strict=True):
        assert load_hunks(right) == left.hunks, right.path


def test_cached_review_follows_edit(tmp_path: Path) -> None:
    _, worktree = make_task(tmp_path)
    age_worktree(worktree)
    before = by_path(compute_review(worktree, BRANCH, "main", lazy_hunks=True).files)

    (worktree / "run.sh").write_text("echo hi\necho again\n")
    after = by_path(compute_review(worktree, BRANCH, "main", lazy_hunks=True).files)

    assert (after["run.sh"].added, after["run.sh"].removed) != (before["run.sh"].added, before["run.sh"].removed)
    assert [line.text for line in load_hunks(after["run.sh"])[0].lines][-1] == "echo again"


def test_diff_stat_cached_review_counts(tmp_path: Path) -> None:
    _, worktree = make_task(tmp_path)

    counts = diff_stat(worktree, BRANCH, "main", cache_review=True)
    review = compute_review(worktree, BRANCH, "main")
    totals = [line.split("\t")[:2] for line in git(worktree, "diff", "--numstat", "-M", "-C", review.merge_base, review.snapshot).splitlines()]

    assert counts == (
        sum(int(added) for added, _ in totals if added != "-"),
        sum(int(removed) for _, removed in totals if removed != "-"),
    )
    assert diff_stat(worktree, BRANCH, "main") == counts
