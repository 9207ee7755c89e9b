"""Tests of the review domain against real git repositories and the git CLI."""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from agentdeck.errors import ReviewError
from agentdeck.review import (
    CR_MARKER,
    NO_NEWLINE_MARKER,
    FileChange,
    Hunk,
    HunkLine,
    commit_pending,
    compute_review,
    diff_stat,
    display_text,
    side_by_side,
    word_spans,
)

BRANCH = "agentdeck/task"
GIT = shutil.which("git")

pytestmark = pytest.mark.skipif(GIT is None, reason="the git CLI is the reference these tests compare against")


def git(cwd: Path, *args: str, env: dict[str, str] | None = None) -> str:
    result = subprocess.run(
        [GIT, *args],
        cwd=cwd,
        env=env,
        check=True,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    return result.stdout.decode("utf-8")


@pytest.fixture(autouse=True)
def isolated_git_config(monkeypatch: pytest.MonkeyPatch) -> None:
    # The developer's own hooks path or identity must not leak into the tests.
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", os.devnull)
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")


def make_repository(root: Path) -> Path:
    repo = root / "repo"
    repo.mkdir()
    git(repo, "init", "-q", "-b", "main")
    git(repo, "config", "user.name", "Test Author")
    git(repo, "config", "user.email", "author@example.com")
    return repo


def make_task(tmp_path: Path) -> tuple[Path, Path]:
    """Build a repository with a base and a linked worktree holding every kind of change."""
    repo = make_repository(tmp_path)
    (repo / "edit.txt").write_text("alpha\nbeta\ngamma\n")
    (repo / "gone.txt").write_text("to be deleted\n")
    (repo / "before.txt").write_text("".join(f"line {n}\n" for n in range(1, 11)))
    (repo / "run.sh").write_text("echo hi\n")
    (repo / "image.bin").write_bytes(b"\x00\x01\x02binary")
    (repo / "committed.txt").write_text("one\n")
    (repo / "dos.txt").write_bytes(b"one\r\ntwo\r\n")
    (repo / ".gitignore").write_text("*.log\n")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "base")

    worktree = tmp_path / "repo.worktrees" / "task"
    git(repo, "worktree", "add", "-q", "-b", BRANCH, str(worktree))

    # A commit on the base branch after the fork must not show up in the review.
    (repo / "edit.txt").write_text("alpha\nbeta\ngamma\nmain only\n")
    git(repo, "commit", "-q", "-am", "main moves on")

    # A commit on the task branch.
    (worktree / "committed.txt").write_text("one\ntwo\n")
    git(worktree, "commit", "-q", "-am", "task commit")

    # Uncommitted and untracked changes.
    (worktree / "edit.txt").write_text("alpha\nBETA\ngamma\n")
    (worktree / "gone.txt").unlink()
    (worktree / "before.txt").rename(worktree / "after.txt")
    (worktree / "after.txt").write_text("".join(f"line {n}\n" for n in range(1, 10)) + "line ten\n")
    (worktree / "run.sh").chmod(0o755)
    (worktree / "image.bin").write_bytes(b"\x00\x01\x02binary, changed")
    (worktree / "empty.txt").write_text("")
    (worktree / "with space.txt").write_text("spaced\n")
    (worktree / "日本語.txt").write_text("こんにちは\nnaïve café\n", encoding="utf-8")
    (worktree / "dos.txt").write_bytes(b"one\r\nTWO\r\n\tthree")
    (worktree / "link").symlink_to("edit.txt")
    (worktree / "debug.log").write_text("ignored\n")
    return repo, worktree


def index_file(worktree: Path) -> Path:
    path = Path(git(worktree, "rev-parse", "--git-path", "index").strip())
    return path if path.is_absolute() else worktree / path


def git_numstat(worktree: Path, merge_base: str, tmp_path: Path) -> dict[str, tuple[str, str]]:
    """Run `git diff --numstat` between the merge-base and the worktree as `git add -A` would stage it."""
    # A fresh index read from HEAD has no stat data, so git hashes every file. A copy of the
    # worktree's index would be newer than a same-size edit made in the same second, and git
    # would then trust the stale stat data and miss the edit.
    scratch_index = tmp_path / "scratch-index"
    scratch_index.unlink(missing_ok=True)
    env = {**os.environ, "GIT_INDEX_FILE": str(scratch_index)}
    git(worktree, "read-tree", "HEAD", env=env)
    git(worktree, "add", "-A", env=env)
    tree = git(worktree, "write-tree", env=env).strip()

    output = git(worktree, "diff", "--numstat", "-z", "-M", merge_base, tree)
    fields = output.split("\0")
    stats: dict[str, tuple[str, str]] = {}
    position = 0
    while position < len(fields) - 1:
        added, removed, path = fields[position].split("\t")
        position += 1
        if path == "":
            # A rename: the old and new paths follow as separate fields.
            path = fields[position + 1]
            position += 2
        stats[path] = (added, removed)
    return stats


def by_path(files: list[FileChange]) -> dict[str, FileChange]:
    return {change.path: change for change in files}


def test_counts_match_git_numstat(tmp_path: Path) -> None:
    _, worktree = make_task(tmp_path)

    review = compute_review(worktree, BRANCH, "main")
    expected = git_numstat(worktree, review.merge_base, tmp_path)

    actual = {
        change.path: ("-", "-") if change.binary else (str(change.added), str(change.removed))
        for change in review.files
    }
    assert actual == expected


def test_statuses_and_paths(tmp_path: Path) -> None:
    _, worktree = make_task(tmp_path)

    files = by_path(compute_review(worktree, BRANCH, "main").files)

    assert files["edit.txt"].status == "modified"
    assert files["gone.txt"].status == "deleted"
    assert files["after.txt"].status == "renamed"
    assert files["after.txt"].old_path == "before.txt"
    assert files["empty.txt"].status == "added"
    assert files["empty.txt"].hunks == []
    assert files["with space.txt"].status == "added"
    assert files["日本語.txt"].status == "added"
    assert files["image.bin"].binary
    assert files["committed.txt"].added == 1
    assert "debug.log" not in files


def test_mode_change_recorded(tmp_path: Path) -> None:
    _, worktree = make_task(tmp_path)

    change = by_path(compute_review(worktree, BRANCH, "main").files)["run.sh"]

    assert change.old_mode == 0o100644
    assert change.new_mode == 0o100755
    assert change.mode_changed
    assert (change.added, change.removed) == (0, 0)


def test_added_and_deleted_modes(tmp_path: Path) -> None:
    _, worktree = make_task(tmp_path)

    files = by_path(compute_review(worktree, BRANCH, "main").files)

    assert files["empty.txt"].old_mode is None
    assert files["empty.txt"].new_mode == 0o100644
    assert files["gone.txt"].new_mode is None


def test_base_branch_commits_excluded(tmp_path: Path) -> None:
    repo, worktree = make_task(tmp_path)

    review = compute_review(worktree, BRANCH, "main")

    assert review.merge_base == git(repo, "merge-base", BRANCH, "main").strip()
    edit = by_path(review.files)["edit.txt"]
    new_texts = [line.text for hunk in edit.hunks for line in hunk.lines if line.kind != "removed"]
    assert "main only" not in new_texts


def test_non_ascii_content_parsed(tmp_path: Path) -> None:
    _, worktree = make_task(tmp_path)

    change = by_path(compute_review(worktree, BRANCH, "main").files)["日本語.txt"]

    texts = [line.text for line in change.hunks[0].lines]
    assert texts == ["こんにちは", "naïve café"]


def test_totals_and_diff_stat_agree(tmp_path: Path) -> None:
    _, worktree = make_task(tmp_path)

    review = compute_review(worktree, BRANCH, "main")

    assert review.added == sum(change.added for change in review.files)
    assert review.removed == sum(change.removed for change in review.files)
    assert diff_stat(worktree, BRANCH, "main") == (review.added, review.removed)


def test_index_file_untouched(tmp_path: Path) -> None:
    _, worktree = make_task(tmp_path)
    index = index_file(worktree)
    before_bytes = index.read_bytes()
    before_mtime = index.stat().st_mtime_ns
    before_status = git(worktree, "--no-optional-locks", "status", "--porcelain=v1", "-z")

    compute_review(worktree, BRANCH, "main")
    diff_stat(worktree, BRANCH, "main")

    assert index.read_bytes() == before_bytes
    assert index.stat().st_mtime_ns == before_mtime
    assert git(worktree, "--no-optional-locks", "status", "--porcelain=v1", "-z") == before_status


def test_staged_changes_included(tmp_path: Path) -> None:
    _, worktree = make_task(tmp_path)
    (worktree / "staged.txt").write_text("staged\n")
    git(worktree, "add", "staged.txt")
    (worktree / "staged.txt").write_text("staged\nthen edited\n")

    change = by_path(compute_review(worktree, BRANCH, "main").files)["staged.txt"]

    assert (change.status, change.added) == ("added", 2)


def test_no_changes_gives_empty_review(tmp_path: Path) -> None:
    repo = make_repository(tmp_path)
    (repo / "file.txt").write_text("content\n")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "base")
    worktree = tmp_path / "wt"
    git(repo, "worktree", "add", "-q", "-b", BRANCH, str(worktree))

    review = compute_review(worktree, BRANCH, "main")

    assert review.files == []
    assert (review.added, review.removed) == (0, 0)
    assert review.base_branch == "main"


def test_missing_branch_named_in_error(tmp_path: Path) -> None:
    _, worktree = make_task(tmp_path)

    with pytest.raises(ReviewError, match="'nosuch'"):
        compute_review(worktree, BRANCH, "nosuch")


def test_other_branch_checked_out_rejected(tmp_path: Path) -> None:
    repo, _ = make_task(tmp_path)

    with pytest.raises(ReviewError, match="git switch"):
        compute_review(repo, BRANCH, "main")


def test_unrelated_branches_rejected(tmp_path: Path) -> None:
    repo, worktree = make_task(tmp_path)
    git(repo, "checkout", "-q", "--orphan", "orphan")
    git(repo, "commit", "-q", "-m", "unrelated history")

    with pytest.raises(ReviewError, match="share no commit"):
        compute_review(worktree, BRANCH, "orphan")


def test_missing_worktree_rejected(tmp_path: Path) -> None:
    with pytest.raises(ReviewError, match="not a git worktree"):
        compute_review(tmp_path / "nowhere", BRANCH, "main")


def change_with(lines: list[HunkLine]) -> FileChange:
    hunk = Hunk(old_start=1, old_count=0, new_start=1, new_count=0, section="def f():", lines=lines)
    return FileChange("f.py", None, "modified", 0, 0, False, 0o100644, 0o100644, [hunk])


def test_side_by_side_longer_removed_block() -> None:
    rows = side_by_side(change_with([
        HunkLine("context", 1, 1, "keep"),
        HunkLine("removed", 2, None, "old a"),
        HunkLine("removed", 3, None, "old b"),
        HunkLine("removed", 4, None, "old c"),
        HunkLine("added", None, 2, "new a"),
        HunkLine("context", 5, 3, "tail"),
    ]))

    assert [row.kind for row in rows] == ["hunk", "context", "changed", "removed", "removed", "context"]
    assert (rows[2].old_no, rows[2].new_no) == (2, 2)
    assert (rows[3].old_no, rows[3].new_no, rows[3].new_text) == (3, None, "")
    assert rows[4].old_text == "old c"


def test_side_by_side_longer_added_block() -> None:
    rows = side_by_side(change_with([
        HunkLine("removed", 1, None, "x = 1"),
        HunkLine("added", None, 1, "x = 2"),
        HunkLine("added", None, 2, "y = 3"),
        HunkLine("added", None, 3, "z = 4"),
    ]))

    assert [row.kind for row in rows] == ["hunk", "changed", "added", "added"]
    assert (rows[2].old_no, rows[2].old_text, rows[2].new_no) == (None, "", 2)


def test_side_by_side_separate_blocks_not_merged() -> None:
    rows = side_by_side(change_with([
        HunkLine("removed", 1, None, "a"),
        HunkLine("added", None, 1, "A"),
        HunkLine("removed", 2, None, "b"),
        HunkLine("added", None, 2, "B"),
    ]))

    assert [(row.kind, row.old_text, row.new_text) for row in rows[1:]] == [
        ("changed", "a", "A"),
        ("changed", "b", "B"),
    ]


def test_hunk_header_row() -> None:
    rows = side_by_side(change_with([HunkLine("added", None, 1, "x")]))

    assert rows[0].kind == "hunk"
    assert rows[0].old_text == "@@ -1,0 +1,0 @@ def f():"


def test_tabs_expand_to_cell_stops() -> None:
    assert display_text("\tx") == " " * 8 + "x"
    assert display_text("ab\tx") == "ab" + " " * 6 + "x"
    # A wide character takes two of the eight columns.
    assert display_text("日\tx") == "日" + " " * 6 + "x"


def test_carriage_return_visible() -> None:
    assert display_text("crlf\r") == f"crlf{CR_MARKER}"


def test_no_newline_marker_shown(tmp_path: Path) -> None:
    repo = make_repository(tmp_path)
    (repo / "tail.txt").write_text("first\nlast\n")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "base")
    worktree = tmp_path / "wt"
    git(repo, "worktree", "add", "-q", "-b", BRANCH, str(worktree))
    (worktree / "tail.txt").write_text("first\nlast, no newline")

    change = compute_review(worktree, BRANCH, "main").files[0]
    rows = side_by_side(change)

    changed = [row for row in rows if row.kind == "changed"]
    assert changed[0].new_text == f"last, no newline{NO_NEWLINE_MARKER}"
    assert changed[0].old_text == "last"


def test_crlf_file_shows_markers(tmp_path: Path) -> None:
    repo = make_repository(tmp_path)
    (repo / "dos.txt").write_bytes(b"one\r\ntwo\r\n")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "base")
    worktree = tmp_path / "wt"
    git(repo, "worktree", "add", "-q", "-b", BRANCH, str(worktree))
    (worktree / "dos.txt").write_bytes(b"one\r\nTWO\r\n")

    review = compute_review(worktree, BRANCH, "main")
    rows = side_by_side(review.files[0])

    changed = [row for row in rows if row.kind == "changed"]
    assert (changed[0].old_text, changed[0].new_text) == (f"two{CR_MARKER}", f"TWO{CR_MARKER}")
    assert (review.added, review.removed) == (1, 1)


def test_word_spans_mark_changed_word() -> None:
    old_spans, new_spans = word_spans("total = price * count", "total = price * amount")

    assert old_spans == ((16, 21),)
    assert new_spans == ((16, 22),)


def test_word_spans_skip_unrelated_lines() -> None:
    assert word_spans("alpha beta", "gamma delta") == ((), ())


def test_changed_row_carries_spans() -> None:
    rows = side_by_side(change_with([
        HunkLine("removed", 1, None, "call(1, 2)"),
        HunkLine("added", None, 1, "call(1, 3)"),
    ]))

    assert rows[1].old_spans == ((8, 9),)
    assert rows[1].new_spans == ((8, 9),)


def test_commit_pending_runs_hooks(tmp_path: Path) -> None:
    repo, worktree = make_task(tmp_path)
    marker = tmp_path / "hook-ran"
    write_hook(repo, "pre-commit", f"touch '{marker}'\nexit 0\n")

    result = commit_pending(worktree, "Add the feature")

    assert result.commit == git(worktree, "rev-parse", "HEAD").strip()
    assert not result.hooks_skipped
    assert marker.exists()
    assert git(worktree, "log", "-1", "--format=%s").strip() == "Add the feature"
    assert git(worktree, "status", "--porcelain") == ""
    assert git(worktree, "rev-parse", "--abbrev-ref", "HEAD").strip() == BRANCH


def test_commit_pending_hook_rejection(tmp_path: Path) -> None:
    repo, worktree = make_task(tmp_path)
    head = git(worktree, "rev-parse", "HEAD").strip()
    write_hook(repo, "pre-commit", "echo 'lint failed: trailing whitespace in edit.txt'\nexit 1\n")

    with pytest.raises(ReviewError, match="lint failed: trailing whitespace") as raised:
        commit_pending(worktree, "Add the feature")

    assert str(worktree) in str(raised.value)
    assert git(worktree, "rev-parse", "HEAD").strip() == head


def test_commit_pending_nothing_to_commit(tmp_path: Path) -> None:
    _, worktree = make_task(tmp_path)
    commit_pending(worktree, "First")
    head = git(worktree, "rev-parse", "HEAD").strip()

    result = commit_pending(worktree, "Second")

    assert result.commit is None
    assert git(worktree, "rev-parse", "HEAD").strip() == head


def test_commit_pending_empty_message(tmp_path: Path) -> None:
    _, worktree = make_task(tmp_path)

    with pytest.raises(ReviewError, match="message is empty"):
        commit_pending(worktree, "  ")


def test_commit_pending_without_git(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    repo, worktree = make_task(tmp_path)
    marker = tmp_path / "hook-ran"
    write_hook(repo, "pre-commit", f"touch '{marker}'\nexit 0\n")
    no_tools = tmp_path / "empty-path"
    no_tools.mkdir()
    path = os.environ["PATH"]
    monkeypatch.setenv("PATH", str(no_tools))

    result = commit_pending(worktree, "Add the feature")
    nothing = commit_pending(worktree, "Again")

    monkeypatch.setenv("PATH", path)
    assert result.hooks_skipped
    assert "hooks did not run" in result.output
    assert not marker.exists()
    assert result.commit == git(worktree, "rev-parse", "HEAD").strip()
    assert git(worktree, "log", "-1", "--format=%B").strip() == "Add the feature"
    assert git(worktree, "status", "--porcelain") == ""
    assert nothing.commit is None


def test_domain_imports_no_ui_library() -> None:
    code = (
        "import sys, agentdeck.review\n"
        "loaded = sorted(m for m in sys.modules if m.split('.')[0] in ('textual', 'rich'))\n"
        "print(','.join(loaded))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True)

    assert result.stdout.strip() == ""


def write_hook(repo: Path, name: str, body: str) -> None:
    hook = repo / ".git" / "hooks" / name
    hook.write_text("#!/bin/sh\n" + body)
    hook.chmod(hook.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
