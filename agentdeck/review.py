"""The changes of a task: what its branch and worktree hold beyond the merge-base.

A review covers the commits on the task's branch since the merge-base with the
base branch, plus everything uncommitted or untracked (but not ignored) in the
task's worktree. The working directory is captured by staging every file
with ``git add -A`` into a scratch copy of the worktree's index and writing
that as a tree object (without git, libgit2 does the same in memory). The
index file itself is never written, so reviewing a task cannot disturb an
agent that is staging changes in the same worktree at that moment.

The merge-base tree is then compared with that snapshot by ``git diff -M -C
--raw -p``, so statuses, rename and copy pairs and line counts are git's own.
Without a ``git`` executable libgit2 compares them, with the same options.
Each file's patch text is parsed here. The parser splits lines on ``\\n`` only, so a lone CR
inside a line stays part of that line.
"""

from __future__ import annotations

import difflib
import itertools
import logging
import os
import re
import shutil
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path, PurePosixPath
from typing import TypeVar

import pygit2
from pygit2.enums import DiffFind, DiffOption

from agentdeck.cells import text_width
from agentdeck.errors import ReviewError

log = logging.getLogger(__name__)

TAB_SIZE = 8
CR_MARKER = "\N{SYMBOL FOR CARRIAGE RETURN}"
NO_NEWLINE_MARKER = "\N{CIRCLED DIVISION SLASH}"
"""Appended to the last line of a file that does not end with a newline."""

MAX_LINE_CHARS = 4000
"""Characters of one line shown before the rest is cut and counted in a marker.

Minified files put a whole program on one line. Cutting it keeps layout,
wrapping and highlighting of that row bounded in time and memory.
"""
TRUNCATION_MARKER = "\N{MIDLINE HORIZONTAL ELLIPSIS}"

# Lines longer than this get no word-level highlight, because matching tokens
# is quadratic in the worst case and such lines are rarely read word by word.
WORD_DIFF_MAX_CHARS = 1000

MAX_TEXT_BYTES = 8 * 1024 * 1024
"""Blobs larger than this are not loaded as whole files for context and highlighting."""

MODE_SYMLINK = 0o120000
MODE_SUBMODULE = 0o160000

_STATUS_WORDS = {
    "A": "added",
    "D": "deleted",
    "M": "modified",
    "R": "renamed",
    "C": "copied",
    "T": "typechange",
}

# Variables that would point git at another repository or index than the
# worktree's own; they leak in when agentdeck is started from a git hook.
_GIT_LOCATION_VARIABLES = (
    "GIT_DIR",
    "GIT_WORK_TREE",
    "GIT_INDEX_FILE",
    "GIT_OBJECT_DIRECTORY",
    "GIT_COMMON_DIR",
    "GIT_PREFIX",
)

_TOKEN = re.compile(r"\w+|\s+|[^\w\s]")
_HUNK_HEADER = re.compile(r"@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@ ?(.*)")

# Control characters other than tab, mapped to the Control Pictures block.
_CONTROL = re.compile("[\x00-\x08\x0a-\x1f\x7f]")
_CONTROL_PICTURES = {code: 0x2400 + code for code in range(0x20) if code != 0x09} | {0x7F: 0x2421}

Tag = TypeVar("Tag")


@dataclass(slots=True)
class HunkLine:
    """One line of a hunk, without its line terminator."""

    kind: str
    """"context", "added" or "removed"."""
    old_no: int | None
    new_no: int | None
    text: str
    no_newline: bool = False
    """True when the file ends on this line without a newline."""


@dataclass(slots=True)
class Hunk:
    """A run of changed lines with their surrounding context."""

    old_start: int
    old_count: int
    new_start: int
    new_count: int
    section: str
    """The text git prints after the ranges, usually the enclosing function."""
    lines: list[HunkLine] = field(default_factory=list)

    @property
    def header(self) -> str:
        """The ``@@ -a,b +c,d @@`` line of the hunk."""
        header = f"@@ -{_hunk_range(self.old_start, self.old_count)} +{_hunk_range(self.new_start, self.new_count)} @@"
        return f"{header} {self.section}" if self.section else header

    @property
    def old_first(self) -> int:
        """The first old line the hunk covers; git writes the line before an empty range as its start."""
        return self.old_start if self.old_count else self.old_start + 1

    @property
    def new_first(self) -> int:
        """The first new line the hunk covers."""
        return self.new_start if self.new_count else self.new_start + 1


@dataclass(slots=True)
class FileChange:
    """The change to one file between the merge-base and the worktree."""

    path: str
    """The new path, or the old one for a deleted file."""
    old_path: str | None
    """The path before a rename or copy, or None for other changes."""
    status: str
    """"added", "deleted", "modified", "renamed", "copied" or "typechange" (file to symlink, say)."""
    added: int
    removed: int
    binary: bool
    old_mode: int | None
    """The git file mode before the change (0o100644, 0o100755, 0o120000...); None when added."""
    new_mode: int | None
    """The git file mode after the change; None when deleted."""
    hunks: list[Hunk] = field(default_factory=list)
    similarity: int | None = None
    """Percent of content kept by a rename or copy, as git prints it after R or C."""
    old_id: str | None = None
    """The blob (or, for a submodule, commit) id before the change."""
    new_id: str | None = None
    """The blob (or, for a submodule, commit) id after the change."""
    old_size: int = 0
    """Bytes of the old blob; filled in for binary files only."""
    new_size: int = 0
    """Bytes of the new blob; filled in for binary files only."""
    patch: bytes = field(default=b"", repr=False)
    """The patch text while :attr:`hunks` is not parsed yet (see :func:`load_hunks`); empty once parsed."""

    @property
    def mode_changed(self) -> bool:
        """True when both sides exist and their file modes differ."""
        return self.old_mode is not None and self.new_mode is not None and self.old_mode != self.new_mode

    @property
    def kind(self) -> str:
        """"file", "symlink" or "submodule", for the side that exists after the change (or before, if deleted)."""
        mode = self.new_mode if self.new_mode is not None else self.old_mode
        return entry_kind(mode)

    @property
    def display_path(self) -> str:
        """``old → new`` for a rename or copy, else the path."""
        return f"{self.old_path} \N{RIGHTWARDS ARROW} {self.path}" if self.old_path else self.path


@dataclass(slots=True)
class Review:
    """All changes of a task against the merge-base with its base branch."""

    merge_base: str
    files: list[FileChange]
    added: int
    removed: int
    branch: str
    base_branch: str
    repository: str = ""
    """The worktree path, for reading blobs of this review with :func:`file_lines`."""
    snapshot: str = ""
    """The tree id of the worktree as reviewed; equal snapshots mean equal content."""
    ignore_whitespace: bool = False
    """True when lines that differ only in whitespace were treated as unchanged."""

    @property
    def fingerprint(self) -> str:
        """The merge-base and snapshot together; :func:`review_fingerprint` returns the same when nothing changed."""
        return f"{self.merge_base}:{self.snapshot}"


@dataclass(frozen=True, slots=True)
class Row:
    """One row of a side-by-side diff.

    A side without a line has its number set to None and its text empty, so
    the view can fill it. ``*_spans`` are ``(start, end)`` character ranges of
    the display text that differ inside a changed pair.
    """

    kind: str
    """"context", "changed", "added", "removed", "hunk" (a hunk header in
    old_text) or "fold" (``folded`` unchanged lines starting at old_no and new_no)."""
    old_no: int | None
    old_text: str
    new_no: int | None
    new_text: str
    old_spans: tuple[tuple[int, int], ...] = ()
    new_spans: tuple[tuple[int, int], ...] = ()
    folded: int = 0


@dataclass(frozen=True, slots=True)
class CommitResult:
    """The outcome of committing a worktree's pending changes."""

    commit: str | None
    """The new commit's id, or None when there was nothing to commit."""
    hooks_skipped: bool
    """True when the commit was made without running the repository's hooks."""
    output: str
    """The output of git and the hooks, or the reason the hooks were skipped."""


def entry_kind(mode: int | None) -> str:
    """Name the kind of tree entry a git file mode stands for: "file", "symlink" or "submodule"."""
    if mode == MODE_SYMLINK:
        return "symlink"
    if mode == MODE_SUBMODULE:
        return "submodule"
    return "file"


def compute_review(
    worktree: Path, branch: str, base_branch: str, *, ignore_whitespace: bool = False, lazy_hunks: bool = False
) -> Review:
    """Compute the changes of *branch* and its *worktree* against the merge-base with *base_branch*.

    With *ignore_whitespace*, lines that differ only in whitespace count as
    unchanged, as with ``git diff -w``. With the ``git`` executable on PATH the
    snapshot is diffed by ``git diff -M -C``, so statuses, rename and copy
    pairs and line counts are exactly git's. Without it libgit2 diffs, and its
    inexact rename and copy pairing can differ from git's.

    With git, the worktree's snapshot comes from the shared watch of
    :func:`watch_for`, so a worktree whose stat data did not change since its
    last check is not hashed again.

    With *lazy_hunks*, each file keeps its patch text and its line counts
    come from counting lines in that text, so a caller parses only the files
    it shows, with :func:`load_hunks`. Parsing is the slow part of a big
    review, because Python takes longer to parse a patch than git takes to produce it.

    Raises:
        ReviewError: the worktree cannot be opened, is not on *branch*, a
            branch is missing, the branches share no history, or git could
            not produce the diff.
    """
    review, cached = _cached_or_new_review(worktree, branch, base_branch, ignore_whitespace, lazy_hunks)
    return _unparsed_copy(review) if cached else review


def _cached_or_new_review(worktree: Path, branch: str, base_branch: str, ignore_whitespace: bool, lazy_hunks: bool) -> tuple[Review, bool]:
    """Return the review :func:`compute_review` describes, and whether it is the cached one, which callers must not change."""
    git = shutil.which("git")
    if git is not None:
        repo = _open_worktree(worktree)
        # The deck's line counts poll the same watch, so a worktree unchanged
        # since that poll is not hashed again here.
        fingerprint = watch_for(worktree, branch, base_branch).fingerprint()
        key = (str(worktree), branch, base_branch, ignore_whitespace)
        if lazy_hunks:
            with _registry_lock:
                cached = _reviews.get(key)
            if cached is not None and cached.fingerprint == fingerprint:
                return cached, True
        merge_base, snapshot = fingerprint.split(":")
        files = _changes_from_git(git, repo, worktree, merge_base, snapshot, ignore_whitespace, lazy_hunks)
    else:
        files, merge_base, snapshot = _changes_from_libgit2(worktree, branch, base_branch, ignore_whitespace)
    files = _split_unrelated_empty_renames(files)

    review = Review(
        merge_base=merge_base,
        files=files,
        added=sum(change.added for change in files),
        removed=sum(change.removed for change in files),
        branch=branch,
        base_branch=base_branch,
        repository=str(worktree),
        snapshot=snapshot,
        ignore_whitespace=ignore_whitespace,
    )
    if git is not None and lazy_hunks:
        with _registry_lock:
            _reviews.pop(key, None)
            _reviews[key] = review
            while len(_reviews) > REVIEW_CACHE_SIZE:
                del _reviews[next(iter(_reviews))]
        return review, True
    return review, False


def _unparsed_copy(review: Review) -> Review:
    """Copy *review* with its own file objects, so parsing them leaves the cached review's patch text unparsed.

    A cached review with parsed hunks would keep an object per patch line
    alive while it is cached, and every full garbage collection walks them all.
    The patch text is shared, not copied.
    """
    return replace(review, files=[replace(change, hunks=list(change.hunks)) for change in review.files])


EMPTY_BLOB_ID = str(pygit2.hash(b""))
"""The object id of an empty file's blob (SHA-1 repositories)."""


def _split_unrelated_empty_renames(files: list[FileChange]) -> list[FileChange]:
    """Show an empty file "renamed" or "copied" to an empty file of another name as deleted and added.

    git pairs any two empty files as a 100% rename, because their contents are
    equal. With no content, only the name says the files are one: an empty
    ``py.typed`` moved into ``src/`` stays a rename, while ``old.txt`` and an
    unrelated new ``notes.txt`` are shown as what they are. Line counts (+0 -0)
    agree with git either way.
    """
    result: list[FileChange] = []
    for change in files:
        unrelated = (
            change.status in ("renamed", "copied")
            and change.old_path is not None
            and change.old_id == EMPTY_BLOB_ID
            and change.new_id == EMPTY_BLOB_ID
            and PurePosixPath(change.old_path).name != PurePosixPath(change.path).name
        )
        if not unrelated:
            result.append(change)
            continue
        if change.status == "renamed":
            result.append(
                replace(change, path=change.old_path, old_path=None, status="deleted", new_mode=None, new_id=None, similarity=None, hunks=[])
            )
        result.append(replace(change, old_path=None, status="added", old_mode=None, old_id=None, similarity=None, hunks=[]))
    return result


def review_fingerprint(worktree: Path, branch: str, base_branch: str) -> str:
    """Return what :attr:`Review.fingerprint` would be now, without building any patch.

    Hashing the worktree's files is the expensive part, so poll this every
    few seconds at most.

    Raises:
        ReviewError: as for :func:`compute_review`.
    """
    repo = _open_worktree(worktree)
    merge_base = _merge_base(repo, worktree, branch, base_branch)
    return f"{merge_base}:{_snapshot_tree_id(repo, worktree)}"


RACY_MARGIN_NS = 2_000_000_000
"""The time before a check within which a file's modification time proves nothing.

A file system keeps modification times at some granularity (a few
milliseconds on ext4, two seconds on FAT), so a second write within the same
tick leaves the time unchanged. A file modified this close to the last check
is therefore hashed again, as git does with "racily clean" index entries.
"""


class ReviewWatch:
    """Tells whether a task's review may have changed, hashing the worktree only when its stat data moved.

    :meth:`fingerprint` returns what :func:`review_fingerprint` returns. It
    first compares a signature with the one of the last check. The signature
    contains the tips of the branch and the base branch, the worktree's index
    file, and the path, size, modification time and inode of every file that
    libgit2's status reports as changed against HEAD or untracked. Status itself finds edits
    of the other files by their stat data against the index, with git's own
    rule for racily clean entries. Only when the signature differs, or a
    file's modification time is within :data:`RACY_MARGIN_NS` of the last
    check, is the worktree snapshotted and hashed again. Neither step writes
    the index file.

    NOTE: like git's own index, this trusts stat data older than the margin.
    An edit that leaves size, modification time and inode as they were (a
    tool that copies times back, say) shows only with the next other change.
    """

    def __init__(self, worktree: Path, branch: str, base_branch: str) -> None:
        self.worktree = worktree
        self.branch = branch
        self.base_branch = base_branch
        self.snapshots = 0
        """How many times the worktree was hashed; for tests and benchmarks."""
        self._lock = threading.Lock()
        self._signature: tuple[object, ...] | None = None
        self._checked_at = 0
        self._fingerprint = ""

    def fingerprint(self) -> str:
        """Return the review's fingerprint, reusing the last one when nothing changed. Call it from a worker.

        Raises:
            ReviewError: as for :func:`compute_review`.
        """
        requested_at = time.time_ns()
        with self._lock:
            if self._signature is not None and self._checked_at >= requested_at:
                # Another thread checked after this call began, so its result is at least as new.
                return self._fingerprint
            repo = _open_worktree(self.worktree)
            checked_at = time.time_ns()
            signature = self._stat_signature(repo)
            if signature == self._signature and not _modified_since(signature, self._checked_at - RACY_MARGIN_NS):
                return self._fingerprint

            merge_base = _merge_base(repo, self.worktree, self.branch, self.base_branch)
            snapshot = _snapshot_tree_id(repo, self.worktree)
            self.snapshots += 1
            self._signature = signature
            self._checked_at = checked_at
            self._fingerprint = f"{merge_base}:{snapshot}"
            return self._fingerprint

    def _stat_signature(self, repo: pygit2.Repository) -> tuple[object, ...]:
        head = None if repo.head_is_unborn else (repo.head.name, str(repo.head.target))
        base = repo.branches.local.get(self.base_branch)
        try:
            status = repo.status(untracked_files="all", ignored=False)
        except pygit2.GitError as error:
            raise ReviewError(f"{self.worktree}: could not read the status of the worktree: {error}; check it with `git status`") from error
        files = tuple(sorted((path, flags, _stat_key(self.worktree / path)) for path, flags in status.items()))
        return (head, None if base is None else str(base.target), _stat_key(Path(repo.path) / "index"), files)


def _stat_key(path: Path) -> tuple[int, int, int] | None:
    """Return (size, mtime_ns, inode) of *path* itself (a symlink is not followed), or None when it is missing."""
    try:
        stat = path.lstat()
    except OSError:
        return None
    return stat.st_size, stat.st_mtime_ns, stat.st_ino


def _modified_since(signature: tuple[object, ...], since_ns: int) -> bool:
    _, _, index, files = signature
    keys = [index, *(key for _, _, key in files)]
    return any(key is not None and key[1] >= since_ns for key in keys)


_watches: dict[tuple[str, str, str], ReviewWatch] = {}
# The deck polls the line counts of every task every few seconds. Each
# worktree keeps its last counts here, so a poll of an unchanged worktree
# costs one status walk and no diff.
_counts: dict[tuple[str, str, str], tuple[str, tuple[int, int]]] = {}
# The last lazy reviews computed, by worktree, reused while their fingerprint
# stays the same. The deck computes the selected task's review as part of its line
# count poll, so opening that review needs only the stat check.
_reviews: dict[tuple[str, str, str, bool], Review] = {}
REVIEW_CACHE_SIZE = 4
"""The number of reviews :func:`compute_review` caches. Each contains its patch text, unparsed."""
_registry_lock = threading.Lock()


def watch_for(worktree: Path, branch: str, base_branch: str) -> ReviewWatch:
    """Return the one :class:`ReviewWatch` of a task's worktree, shared by reviews, refresh checks and line counts."""
    key = (str(worktree), branch, base_branch)
    with _registry_lock:
        watch = _watches.get(key)
        if watch is None:
            watch = ReviewWatch(worktree, branch, base_branch)
            _watches[key] = watch
    return watch


def diff_stat(worktree: Path, branch: str, base_branch: str, *, cache_review: bool = False) -> tuple[int, int]:
    """Return the (added, removed) line totals of the same changes as :func:`compute_review`.

    No patch text is built or parsed, and the totals are counted again only
    when :class:`ReviewWatch` reports a change, so this is cheap enough to poll.
    With the ``git`` executable the counting runs in ``git diff --numstat``,
    outside this process.

    With *cache_review* and git on PATH, the totals come from a lazy
    :func:`compute_review` instead, which then caches that review, so a review
    opened next on an unchanged worktree is ready at once. Its patch text is
    built but not parsed.

    Raises:
        ReviewError: as for :func:`compute_review`.
    """
    key = (str(worktree), branch, base_branch)
    git = shutil.which("git")
    if cache_review and git is not None:
        review, _ = _cached_or_new_review(worktree, branch, base_branch, False, True)
        counts = (review.added, review.removed)
        with _registry_lock:
            _counts[key] = (review.fingerprint, counts)
        return counts

    fingerprint = watch_for(worktree, branch, base_branch).fingerprint()
    with _registry_lock:
        cached = _counts.get(key)
    if cached is not None and cached[0] == fingerprint:
        return cached[1]

    if git is None:
        _, _, _, diff = _diff_worktree(worktree, branch, base_branch, False)
        counts = (diff.stats.insertions, diff.stats.deletions)
    else:
        merge_base, snapshot = fingerprint.split(":")
        counts = _numstat_totals(git, worktree, merge_base, snapshot)
    with _registry_lock:
        _counts[key] = (fingerprint, counts)
    return counts


def _numstat_totals(git: str, worktree: Path, merge_base: str, snapshot: str) -> tuple[int, int]:
    args = ["diff", "--numstat", "-z", "-M", "-C", "--no-ext-diff", "--no-textconv", "--submodule=short", merge_base, snapshot]
    completed = _run_git_bytes(git, worktree, args)
    if completed.returncode != 0:
        message = completed.stderr.decode("utf-8", errors="replace").strip()
        raise ReviewError(f"{worktree}: `git diff --numstat` failed (exit {completed.returncode}): {message}; check the worktree with `git status`")
    added = removed = 0
    # Each record starts "added<TAB>removed<TAB>"; binary files show "-" for both.
    for record in completed.stdout.split(b"\0"):
        fields = record.split(b"\t", 2)
        if len(fields) == 3 and fields[0].isdigit() and fields[1].isdigit():
            added += int(fields[0])
            removed += int(fields[1])
    return added, removed


def file_lines(review: Review, change: FileChange) -> tuple[list[str] | None, list[str] | None]:
    """Read the whole old and new text of *change*, split into lines on ``\\n``.

    A side is None when it does not exist, is binary, a submodule, larger
    than :data:`MAX_TEXT_BYTES`, or its blob can no longer be read.
    """
    if change.binary or change.kind == "submodule" or not review.repository:
        return None, None
    try:
        repo = pygit2.Repository(review.repository)
    except pygit2.GitError as error:
        log.warning("cannot open %s to read %s: %s", review.repository, change.path, error)
        return None, None
    old = _blob_lines(repo, change.old_id) if change.status != "added" else None
    new = _blob_lines(repo, change.new_id) if change.status != "deleted" else None
    return old, new


def side_by_side(
    change: FileChange,
    *,
    word_diff: bool = True,
    old_lines: Sequence[str] | None = None,
    new_lines: Sequence[str] | None = None,
) -> list[Row]:
    """Lay out the hunks of *change* as rows of old and new lines.

    Within a hunk, each block of removed lines followed by added lines is
    paired line by line. The extra lines of the longer block get rows whose
    other side is empty. Text is prepared with :func:`display_text`. Without
    *word_diff* the rows carry no word spans, so a caller can compute them
    later with :func:`word_spans` for the rows it shows. Given the whole old
    and new file as *old_lines* and *new_lines*, the unchanged lines between
    hunks are added as "fold" rows that :func:`expand_folds` opens.
    """
    hunks = load_hunks(change)
    folds = old_lines is not None and new_lines is not None and bool(hunks)
    rows: list[Row] = []
    old_next, new_next = _layout_hunks(rows, hunks, word_diff, folds)
    if folds:
        _add_fold(rows, old_next, len(old_lines) + 1, new_next, len(new_lines) + 1)
    return rows


def leading_rows(change: FileChange, count: int) -> list[Row]:
    """Lay out at most the first *count* rows of *change*, parsing only the start of its patch.

    The rows are the first rows :func:`side_by_side` returns when given the
    whole files, but no file is read. So the first screen of a big file can
    be drawn before its whole patch is parsed. Rows that later lines of the
    patch could still pair differently are left out.
    """
    # A row takes one or two patch lines, the file headers before the first hunk none.
    # A rewritten block lists all its removed lines before its added ones. So
    # when the cut falls among removed lines, the first added lines after that
    # run are read too, because the rows pair them with the removed lines by position.
    if not change.patch:
        # Parsed already (by an earlier look at this review): the same cut, on the parsed lines.
        hunks = []
        budget = 2 * count + 1
        for hunk in change.hunks:
            if budget <= 0:
                break
            lines = hunk.lines[:budget]
            budget -= len(lines) + 1
            if lines and lines[-1].kind == "removed" and len(lines) < len(hunk.lines):
                lines += _added_after_run(hunk.lines, len(lines), count)
            hunks.append(replace(hunk, lines=lines))
    else:
        body = change.patch[change.patch.find(b"\n@@ ") + 1 :]
        lines = body.split(b"\n", 2 * count + 1)[: 2 * count + 1]
        if len(lines) > 1 and lines[-1].startswith(b"-"):
            end = _END_OF_REMOVED_RUN.search(body, sum(len(line) + 1 for line in lines) - 1)
            if end is not None and body.startswith(b"+", end.start() + 1):
                following = body[end.start() + 1 :].split(b"\n", count)[:count]
                lines += itertools.takewhile(lambda line: line.startswith(b"+"), following)
        hunks = list(_patch_hunks(b"\n".join(lines).decode("utf-8", errors="replace")))
    if hunks:
        _drop_unsettled_lines(hunks[-1])
    rows: list[Row] = []
    _layout_hunks(rows, hunks, False, True, count)
    return rows[:count]


_END_OF_REMOVED_RUN = re.compile(rb"\n[^-\\]")
"""The end of a run of removed lines in patch text: the next line that is neither removed nor a "no newline" note."""


def _added_after_run(lines: list[HunkLine], start: int, count: int) -> list[HunkLine]:
    """Return up to *count* added lines that follow the run of removed lines going on at *start*."""
    end = start
    while end < len(lines) and lines[end].kind == "removed":
        end += 1
    return list(itertools.islice(itertools.takewhile(lambda line: line.kind == "added", lines[end:]), count))


def last_line_number(change: FileChange) -> int:
    """Return the largest old or new line number the last hunk of *change* covers, reading only its header."""
    if not change.patch:
        hunks = change.hunks
    else:
        start = change.patch.rfind(b"\n@@ ") + 1
        end = change.patch.find(b"\n", start)
        hunks = list(_patch_hunks(change.patch[start : len(change.patch) if end < 0 else end].decode("utf-8", errors="replace")))
    if not hunks:
        return 0
    last = hunks[-1]
    return max(last.old_start + last.old_count, last.new_start + last.new_count)


def load_hunks(change: FileChange) -> list[Hunk]:
    """Return the hunks of *change*, parsing its patch text first if :func:`compute_review` left it unparsed.

    Safe to call from more than one thread: each parses the same text, and
    :attr:`FileChange.hunks` is set before :attr:`FileChange.patch` is cleared.
    """
    patch = change.patch
    if patch:
        hunks, _, _ = _parse_patch(patch.decode("utf-8", errors="replace"))
        change.hunks = hunks
        change.patch = b""
    return change.hunks


def expand_folds(rows: Sequence[Row], old_lines: Sequence[str], new_lines: Sequence[str]) -> list[Row]:
    """Replace every fold row of *rows* with the unchanged lines it hides."""
    expanded: list[Row] = []
    for row in rows:
        if row.kind != "fold":
            expanded.append(row)
            continue
        for offset in range(row.folded):
            old_no = row.old_no + offset
            new_no = row.new_no + offset
            expanded.append(
                Row("context", old_no, _whole_file_text(old_lines, old_no), new_no, _whole_file_text(new_lines, new_no))
            )
    return expanded


def unified(rows: Sequence[Row]) -> list[Row]:
    """Turn side-by-side *rows* into one column: each block's old lines, then its new lines.

    Pairs were formed in order, so this restores the order of the patch.
    """
    result: list[Row] = []
    removed: list[Row] = []
    added: list[Row] = []

    def flush() -> None:
        result.extend(removed)
        result.extend(added)
        removed.clear()
        added.clear()

    for row in rows:
        if row.kind in ("changed", "removed", "added"):
            if row.old_no is not None:
                removed.append(Row("removed", row.old_no, row.old_text, None, "", old_spans=row.old_spans))
            if row.new_no is not None:
                added.append(Row("added", None, "", row.new_no, row.new_text, new_spans=row.new_spans))
        else:
            flush()
            result.append(row)
    flush()
    return result


def display_text(text: str, no_newline: bool = False) -> str:
    """Make a line safe and visible for a terminal cell grid.

    Tabs become spaces up to the next 8-column stop, counting wide characters
    as two columns. Other control characters become their Unicode control
    pictures, so a CR shows as a marker instead of moving the cursor. A line
    longer than :data:`MAX_LINE_CHARS` is cut, and a marker gives the number of
    characters were left out. With *no_newline* set, :data:`NO_NEWLINE_MARKER`
    is appended.
    """
    if len(text) <= MAX_LINE_CHARS and "\t" not in text and not _CONTROL.search(text):
        return text + NO_NEWLINE_MARKER if no_newline else text
    return "".join(piece for piece, _ in display_pieces([(text, None)], no_newline))


def display_pieces(pieces: Iterable[tuple[str, Tag]], no_newline: bool = False) -> list[tuple[str, Tag | None]]:
    """Apply :func:`display_text` to a line given as tagged pieces, keeping each piece's tag.

    Syntax highlighting uses this to carry token types through tab expansion
    and truncation. Markers added at the end are tagged None. Joining the
    returned pieces gives exactly ``display_text`` of the joined input.
    """
    result: list[tuple[str, Tag | None]] = []
    column = 0
    kept = 0
    cut = 0
    for text, tag in pieces:
        if kept + len(text) > MAX_LINE_CHARS:
            keep = max(0, MAX_LINE_CHARS - kept)
            cut += len(text) - keep
            text = text[:keep]
        if not text:
            continue
        kept += len(text)
        if "\t" in text:
            text, column = _expand_tabs(text, column)
        else:
            column += text_width(text)
        if _CONTROL.search(text):
            text = text.translate(_CONTROL_PICTURES)
        result.append((text, tag))
    if cut:
        result.append((f" {TRUNCATION_MARKER} {cut:,} more characters", None))
    if no_newline:
        result.append((NO_NEWLINE_MARKER, None))
    return result


def word_spans(old: str, new: str) -> tuple[tuple[tuple[int, int], ...], tuple[tuple[int, int], ...]]:
    """Return the character ranges of *old* and *new* that differ, word by word.

    Returns two empty tuples when the lines share no word, because then the
    whole line is the change and highlighting every word adds nothing.
    """
    if len(old) > WORD_DIFF_MAX_CHARS or len(new) > WORD_DIFF_MAX_CHARS:
        return (), ()

    old_tokens = _TOKEN.findall(old)
    new_tokens = _TOKEN.findall(new)
    matcher = difflib.SequenceMatcher(None, old_tokens, new_tokens, autojunk=False)
    opcodes = matcher.get_opcodes()
    shares_word = any(
        tag == "equal" and any(not token.isspace() for token in old_tokens[i1:i2])
        for tag, i1, i2, _, _ in opcodes
    )
    if not shares_word:
        return (), ()

    old_offsets = _token_offsets(old_tokens)
    new_offsets = _token_offsets(new_tokens)
    old_spans: list[tuple[int, int]] = []
    new_spans: list[tuple[int, int]] = []
    for tag, i1, i2, j1, j2 in opcodes:
        if tag == "equal":
            continue
        if i2 > i1:
            _add_span(old_spans, old_offsets[i1], old_offsets[i2])
        if j2 > j1:
            _add_span(new_spans, new_offsets[j1], new_offsets[j2])
    return tuple(old_spans), tuple(new_spans)


def with_word_spans(row: Row) -> Row:
    """Return *row* with its word spans filled in when it is a changed pair."""
    if row.kind != "changed" or row.old_spans or row.new_spans:
        return row
    old_spans, new_spans = word_spans(row.old_text, row.new_text)
    if not old_spans and not new_spans:
        return row
    return replace(row, old_spans=old_spans, new_spans=new_spans)


def commit_pending(worktree: Path, message: str) -> CommitResult:
    """Commit every uncommitted and untracked change in *worktree* on its branch.

    With the ``git`` executable on PATH this runs ``git add -A`` and ``git
    commit``, so the repository's hooks run as usual. Without it the commit is
    made with libgit2 and the result has ``hooks_skipped`` set.

    Raises:
        ReviewError: the message is empty, the worktree is not on a branch,
            git or a hook rejected the commit, or no committer identity is set.
    """
    if not message.strip():
        raise ReviewError(f"{worktree}: the commit message is empty; give the task a title before approving it")

    repo = _open_worktree(worktree)
    if repo.head_is_detached:
        raise ReviewError(f"{worktree}: HEAD is detached, so a commit would belong to no branch; check out the task's branch there")

    git = shutil.which("git")
    if git is None:
        return _commit_with_libgit2(repo, worktree, message)
    return _commit_with_git(git, worktree, message)


def _changes_from_libgit2(worktree: Path, branch: str, base_branch: str, ignore_whitespace: bool) -> tuple[list[FileChange], str, str]:
    repo, merge_base, snapshot, diff = _diff_worktree(worktree, branch, base_branch, ignore_whitespace)
    try:
        flags = DiffOption.IGNORE_WHITESPACE if ignore_whitespace else DiffOption.NORMAL
        files = [_file_change(repo, patch, flags) for patch in diff]
    except pygit2.GitError as error:
        raise ReviewError(f"{worktree}: git could not produce the diff: {error}; check the worktree with `git status`") from error
    return files, merge_base, snapshot


@dataclass(slots=True)
class _RawEntry:
    old_mode: int
    new_mode: int
    old_id: str
    new_id: str
    letter: str
    score: int | None
    old_path: bytes
    new_path: bytes


def _changes_from_git(
    git: str, repo: pygit2.Repository, worktree: Path, merge_base: str, snapshot: str, ignore_whitespace: bool, lazy_hunks: bool
) -> list[FileChange]:
    # Raw records give exact paths (-z leaves them unquoted), modes, ids and
    # scores; the patch that follows gives the lines, one section per record.
    args = [
        "-c", "core.quotepath=off", "diff", "--raw", "-p", "-z", "--no-abbrev", "-M", "-C",
        "--no-color", "--no-ext-diff", "--no-textconv", "--submodule=short", "--src-prefix=a/", "--dst-prefix=b/",
    ]
    if ignore_whitespace:
        args.append("-w")
    completed = _run_git_bytes(git, worktree, [*args, merge_base, snapshot])
    if completed.returncode != 0:
        message = completed.stderr.decode("utf-8", errors="replace").strip()
        raise ReviewError(f"{worktree}: `git diff` failed (exit {completed.returncode}): {message}; check the worktree with `git status`")

    entries, patch = _split_raw(completed.stdout)
    sections = _patch_sections(patch)
    changes: list[FileChange] = []
    position = 0
    for entry in entries:
        header = b"diff --git " + _git_quote(b"a/" + entry.old_path) + b" " + _git_quote(b"b/" + entry.new_path)
        own: list[bytes] = []
        # A type change comes as two sections (deletion, then addition) under one header.
        while position < len(sections) and sections[position].split(b"\n", 1)[0] == header:
            own.append(sections[position])
            position += 1
            if entry.letter != "T":
                break
        changes.append(_change_from_git(repo, entry, own, lazy_hunks))
    if position != len(sections):
        log.warning("%s: %d patch sections did not match a file of `git diff --raw`", worktree, len(sections) - position)
    return changes


def _split_raw(output: bytes) -> tuple[list[_RawEntry], bytes]:
    boundary = output.find(b"\0\0diff --git ")
    raw, patch = (output, b"") if boundary < 0 else (output[: boundary + 1], output[boundary + 2 :])
    fields = raw.split(b"\0")
    entries: list[_RawEntry] = []
    position = 0
    while position < len(fields) and fields[position].startswith(b":"):
        old_mode, new_mode, old_id, new_id, status = fields[position][1:].decode("ascii").split(" ")
        letter = status[0]
        if letter in "RC":
            old_path, new_path = fields[position + 1], fields[position + 2]
            position += 3
        else:
            old_path = new_path = fields[position + 1]
            position += 2
        entries.append(
            _RawEntry(int(old_mode, 8), int(new_mode, 8), old_id, new_id, letter, int(status[1:]) if len(status) > 1 else None, old_path, new_path)
        )
    return entries, patch


def _patch_sections(patch: bytes) -> list[bytes]:
    # Every patch line inside a hunk starts with " ", "+", "-" or "\\", so a
    # line starting with "diff --git " always opens the next file's section.
    if not patch:
        return []
    parts = patch.split(b"\ndiff --git ")
    return [parts[0]] + [b"diff --git " + part for part in parts[1:]]


_QUOTE_ESCAPES = {0x07: b"\\a", 0x08: b"\\b", 0x09: b"\\t", 0x0A: b"\\n", 0x0B: b"\\v", 0x0C: b"\\f", 0x0D: b"\\r", 0x22: b'\\"', 0x5C: b"\\\\"}


def _git_quote(path: bytes) -> bytes:
    # git quotes a path in patch headers, C style, when it contains a control
    # character, a double quote or a backslash (bytes above 0x7f stay as they
    # are with core.quotepath off).
    if not any(byte < 0x20 or byte in (0x22, 0x5C, 0x7F) for byte in path):
        return path
    out = bytearray(b'"')
    for byte in path:
        if byte in _QUOTE_ESCAPES:
            out += _QUOTE_ESCAPES[byte]
        elif byte < 0x20 or byte == 0x7F:
            out += b"\\%03o" % byte
        else:
            out.append(byte)
    out += b'"'
    return bytes(out)


def _change_from_git(repo: pygit2.Repository, entry: _RawEntry, sections: list[bytes], lazy_hunks: bool) -> FileChange:
    status = _STATUS_WORDS.get(entry.letter, "modified")
    old_path = entry.old_path.decode("utf-8", errors="replace")
    new_path = entry.new_path.decode("utf-8", errors="replace")
    binary = False
    texts: list[bytes] = []
    for section in sections:
        body_start = section.find(b"\n@@ ")
        head = section if body_start < 0 else section[:body_start]
        if b"\nBinary files " in head or head.startswith(b"Binary files "):
            binary = True
            continue
        texts.append(section)
    # A type change has two sections; its hunks are those of both in order.
    patch = b"\n".join(texts)
    hunks: list[Hunk] = []
    if lazy_hunks:
        added, removed = _count_patch_lines(patch)
    else:
        hunks, added, removed = _parse_patch(patch.decode("utf-8", errors="replace"))
        patch = b""

    change = FileChange(
        path=old_path if status == "deleted" else new_path,
        old_path=old_path if status in ("renamed", "copied") else None,
        status=status,
        added=added,
        removed=removed,
        binary=binary,
        old_mode=None if status == "added" else entry.old_mode,
        new_mode=None if status == "deleted" else entry.new_mode,
        hunks=hunks,
        similarity=entry.score if status in ("renamed", "copied") else None,
        old_id=None if status == "added" else entry.old_id,
        new_id=None if status == "deleted" else entry.new_id,
        patch=patch,
    )
    if binary:
        change.old_size = _blob_size(repo, change.old_id)
        change.new_size = _blob_size(repo, change.new_id)
    return change


def _diff_worktree(
    worktree: Path, branch: str, base_branch: str, ignore_whitespace: bool
) -> tuple[pygit2.Repository, str, str, pygit2.Diff]:
    repo = _open_worktree(worktree)
    merge_base = _merge_base(repo, worktree, branch, base_branch)
    flags = DiffOption.INCLUDE_TYPECHANGE
    if ignore_whitespace:
        flags |= DiffOption.IGNORE_WHITESPACE
    try:
        snapshot = _snapshot_working_tree(repo)
        base_tree = repo[merge_base].peel(pygit2.Tree)
        diff = base_tree.diff_to_tree(snapshot, flags=flags)
        diff.find_similar(flags=DiffFind.FIND_RENAMES | DiffFind.FIND_COPIES)
    except pygit2.GitError as error:
        raise ReviewError(f"{worktree}: could not read the working tree: {error}; check the worktree with `git status`") from error
    return repo, merge_base, str(snapshot.id), diff


def _merge_base(repo: pygit2.Repository, worktree: Path, branch: str, base_branch: str) -> str:
    _check_checked_out(repo, worktree, branch)
    branch_commit = _local_branch_commit(repo, branch, worktree)
    base_commit = _local_branch_commit(repo, base_branch, worktree)
    merge_base = repo.merge_base(branch_commit.id, base_commit.id)
    if merge_base is None:
        raise ReviewError(
            f"branches {branch!r} and {base_branch!r} share no commit; "
            f"pick a base branch that {branch!r} was created from"
        )
    return str(merge_base)


def _open_worktree(worktree: Path) -> pygit2.Repository:
    try:
        repo = pygit2.Repository(str(worktree))
    except pygit2.GitError as error:
        raise ReviewError(f"{worktree}: not a git worktree ({error}); recreate the task's worktree or delete the task") from error
    if repo.is_bare:
        raise ReviewError(f"{worktree}: is a bare repository without files to review; pass the task's worktree")
    return repo


def _check_checked_out(repo: pygit2.Repository, worktree: Path, branch: str) -> None:
    # The working directory belongs to the branch only when that branch is
    # checked out there. Otherwise the review would mix two lines of work.
    if repo.head_is_unborn or repo.head_is_detached:
        raise ReviewError(f"{worktree}: has no branch checked out; run `git switch {branch}` in it")
    if repo.head.name != f"refs/heads/{branch}":
        raise ReviewError(f"{worktree}: has {repo.head.shorthand!r} checked out, not {branch!r}; run `git switch {branch}` in it")


def _local_branch_commit(repo: pygit2.Repository, name: str, worktree: Path) -> pygit2.Commit:
    reference = repo.branches.local.get(name)
    if reference is None:
        raise ReviewError(f"branch {name!r} not found in the repository of {worktree}; check the task's branch and base branch")
    return reference.peel(pygit2.Commit)


def _snapshot_tree_id(repo: pygit2.Repository, worktree: Path) -> str:
    git = shutil.which("git")
    if git is not None:
        return _snapshot_with_git(git, repo, worktree)
    try:
        return str(_snapshot_working_tree(repo).id)
    except pygit2.GitError as error:
        raise ReviewError(f"{worktree}: could not read the working tree: {error}; check the worktree with `git status`") from error


def _snapshot_with_git(git: str, repo: pygit2.Repository, worktree: Path) -> str:
    """Write the worktree's files as a tree object with ``git add -A`` and ``git write-tree``; return its id.

    git stages into a scratch copy of the worktree's index, so the index
    file of the agent working there is never written. Running git outside
    this process keeps the hashing off the GIL, so the UI thread keeps
    drawing meanwhile, which libgit2's ``add_all`` does not allow.
    """
    index = Path(repo.path) / "index"
    with tempfile.TemporaryDirectory(prefix="agentdeck-snapshot-") as scratch:
        scratch_index = Path(scratch) / "index"
        if index.exists():
            # copy2 keeps the modification time. git hashes again the entries
            # modified at or after the index file's time ("racily clean"), so a
            # copy dated now would make it trust stat data older than a recent edit.
            shutil.copy2(index, scratch_index)
        environment = {**_git_environment(), "GIT_INDEX_FILE": str(scratch_index)}
        # No hook may run: writing the scratch index would fire post-index-change.
        for args in (["-c", "core.hooksPath=/dev/null", "add", "-A"], ["write-tree"]):
            completed = _run_git_bytes(git, worktree, args, environment)
            if completed.returncode != 0:
                message = completed.stderr.decode("utf-8", errors="replace").strip()
                raise ReviewError(
                    f"{worktree}: could not read the working tree: `git {' '.join(args)}` failed (exit {completed.returncode}): {message}; "
                    "check the worktree with `git status`"
                )
    return completed.stdout.decode("ascii").strip()


def _snapshot_working_tree(repo: pygit2.Repository) -> pygit2.Tree:
    # repo.index is an in-memory copy of the index file. add_all() stages
    # every change (deletions included, ignored files skipped) in that copy,
    # and write_tree() only adds tree and blob objects to the object database.
    # Never call index.write(), because the file belongs to the agent working there.
    index = repo.index
    index.add_all()
    return repo[index.write_tree()].peel(pygit2.Tree)


def _file_change(repo: pygit2.Repository, patch: pygit2.Patch, flags: DiffOption) -> FileChange:
    delta = patch.delta
    status = _STATUS_WORDS.get(delta.status_char(), "modified")
    old_file = delta.old_file
    new_file = delta.new_file
    path = old_file.path if status == "deleted" else new_file.path

    hunks: list[Hunk] = []
    added = removed = 0
    binary = delta.is_binary
    if not binary:
        data = patch.data
        if status == "typechange":
            data = _typechange_patch(repo, old_file, new_file, flags)
        hunks, added, removed = _parse_patch(data.decode("utf-8", errors="replace"))

    change = FileChange(
        path=path,
        old_path=old_file.path if status in ("renamed", "copied") else None,
        status=status,
        added=added,
        removed=removed,
        binary=binary,
        old_mode=None if status == "added" else old_file.mode,
        new_mode=None if status == "deleted" else new_file.mode,
        hunks=hunks,
        similarity=delta.similarity if status in ("renamed", "copied") else None,
        old_id=None if status == "added" else str(old_file.id),
        new_id=None if status == "deleted" else str(new_file.id),
    )
    if binary:
        change.old_size = _blob_size(repo, change.old_id)
        change.new_size = _blob_size(repo, change.new_id)
    return change


def _typechange_patch(repo: pygit2.Repository, old_file: pygit2.DiffFile, new_file: pygit2.DiffFile, flags: DiffOption) -> bytes:
    # libgit2 gives a type change (a file replaced by a symlink, say) only its
    # mode lines. git prints the content change too, so diff the two blobs.
    if MODE_SUBMODULE in (old_file.mode, new_file.mode):
        return b""
    old_blob = repo[old_file.id]
    new_blob = repo[new_file.id]
    return old_blob.diff(new_blob, flags, old_file.path, new_file.path).data


def _blob_size(repo: pygit2.Repository, blob_id: str | None) -> int:
    if blob_id is None:
        return 0
    try:
        return repo[blob_id].size
    except (KeyError, ValueError, pygit2.GitError):
        return 0


def _blob_lines(repo: pygit2.Repository, blob_id: str | None) -> list[str] | None:
    if blob_id is None:
        return None
    try:
        blob = repo[blob_id]
    except (KeyError, ValueError, pygit2.GitError) as error:
        log.warning("cannot read blob %s: %s", blob_id, error)
        return None
    if not isinstance(blob, pygit2.Blob) or blob.size > MAX_TEXT_BYTES or blob.is_binary:
        return None
    lines = blob.data.decode("utf-8", errors="replace").split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    return lines


def _parse_patch(text: str) -> tuple[list[Hunk], int, int]:
    """Parse one file's patch into hunks and count its added and removed lines."""
    hunks: list[Hunk] = []
    added = removed = 0
    for hunk in _patch_hunks(text):
        hunks.append(hunk)
        for line in hunk.lines:
            if line.kind == "added":
                added += 1
            elif line.kind == "removed":
                removed += 1
    return hunks, added, removed


def _count_patch_lines(patch: bytes) -> tuple[int, int]:
    """Count the added and removed lines of a patch without parsing it.

    Inside hunks every line starts with " ", "+", "-", "\\" or "@@", so after
    the first hunk header each line starting with "+" or "-" is a changed
    line. The ``---`` and ``+++`` file header lines come before it.
    """
    added = removed = 0
    start = patch.find(b"\n@@ ")
    while start >= 0:
        # A type change joins two sections, each with its own file headers.
        end = patch.find(b"\ndiff --git ", start)
        body = patch[start : len(patch) if end < 0 else end]
        added += body.count(b"\n+")
        removed += body.count(b"\n-")
        start = -1 if end < 0 else patch.find(b"\n@@ ", end)
    return added, removed


def _patch_hunks(text: str) -> Iterator[Hunk]:
    """Parse one file's patch into hunks, yielding each hunk once its lines are read.

    Each hunk ends when the line counts in its header are used up, so a
    content line that starts with ``---`` or ``@@`` is never taken for a header.
    """
    lines = text.split("\n")
    position = 0
    while position < len(lines):
        match = _HUNK_HEADER.match(lines[position])
        position += 1
        if match is None:
            continue
        old_start, old_count, new_start, new_count, section = match.groups()
        hunk = Hunk(
            int(old_start),
            1 if old_count is None else int(old_count),
            int(new_start),
            1 if new_count is None else int(new_count),
            section,
        )
        old_no, new_no = hunk.old_first, hunk.new_first
        old_left, new_left = hunk.old_count, hunk.new_count
        body = hunk.lines
        while position < len(lines):
            line = lines[position]
            tag = line[:1]
            if tag == "\\":
                # "\ No newline at end of file" follows the line it is about.
                if body:
                    body[-1].no_newline = True
            elif old_left <= 0 and new_left <= 0:
                break
            elif tag == " " or (tag == "" and old_left > 0 and new_left > 0):
                # diff.suppressBlankEmpty makes git print an empty context line without its space.
                body.append(HunkLine("context", old_no, new_no, line[1:]))
                old_no += 1
                new_no += 1
                old_left -= 1
                new_left -= 1
            elif tag == "-":
                body.append(HunkLine("removed", old_no, None, line[1:]))
                old_no += 1
                old_left -= 1
            elif tag == "+":
                body.append(HunkLine("added", None, new_no, line[1:]))
                new_no += 1
                new_left -= 1
            else:
                log.warning("patch line %d does not fit its hunk %s: %r", position, hunk.header, line[:80])
                break
            position += 1
        yield hunk


def _layout_hunks(rows: list[Row], hunks: Iterable[Hunk], word_diff: bool, folds: bool, limit: int | None = None) -> tuple[int, int]:
    """Append the rows of *hunks* to *rows*; return the first old and new line numbers after the last hunk."""
    old_next = new_next = 1
    for hunk in hunks:
        if limit is not None and len(rows) >= limit:
            break
        if folds:
            _add_fold(rows, old_next, hunk.old_first, new_next, hunk.new_first)
        old_next = hunk.old_first + hunk.old_count
        new_next = hunk.new_first + hunk.new_count
        rows.append(Row("hunk", None, hunk.header, None, ""))
        _hunk_rows(rows, hunk, word_diff)
    return old_next, new_next


def _drop_unsettled_lines(hunk: Hunk) -> None:
    """Remove the lines at the end of a hunk cut short whose rows depend on lines not read.

    A block of removed lines pairs with the added lines after it. When the
    cut falls among the removed lines, none of the block's rows are known.
    When it falls among the added lines of a block small enough to be paired
    by similarity, the lines not read may change every pair. In a bigger
    block, lines pair by position, so only the removed lines past the number
    of added lines read may still get a partner. The last line goes too, as
    the "no newline" mark that belongs to it may be past the cut.
    """
    lines = hunk.lines
    old = sum(1 for line in lines if line.kind != "added")
    new = sum(1 for line in lines if line.kind != "removed")
    if old == hunk.old_count and new == hunk.new_count:
        return
    if lines:
        lines.pop()
    added_from = len(lines)
    while added_from and lines[added_from - 1].kind == "added":
        added_from -= 1
    removed_from = added_from
    while removed_from and lines[removed_from - 1].kind == "removed":
        removed_from -= 1
    added = len(lines) - added_from
    removed = added_from - removed_from
    if removed and added <= ALIGN_MAX_LINES and removed <= ALIGN_MAX_LINES:
        del lines[removed_from:]
    else:
        del lines[removed_from + added : added_from]


def _hunk_rows(rows: list[Row], hunk: Hunk, word_diff: bool) -> None:
    removed: list[HunkLine] = []
    added: list[HunkLine] = []
    for line in hunk.lines:
        if line.kind == "removed":
            if added:
                rows.extend(_pair_block(removed, added, word_diff))
                removed, added = [], []
            removed.append(line)
        elif line.kind == "added":
            added.append(line)
        else:
            rows.extend(_pair_block(removed, added, word_diff))
            removed, added = [], []
            text = display_text(line.text, line.no_newline)
            rows.append(Row("context", line.old_no, text, line.new_no, text))
    rows.extend(_pair_block(removed, added, word_diff))


def _pair_block(removed: list[HunkLine], added: list[HunkLine], word_diff: bool) -> list[Row]:
    pairs = _similar_pairs(removed, added) if _aligned_by_similarity(len(removed), len(added)) else []
    if not pairs:
        pairs = list(zip(range(len(removed)), range(len(added))))
    # The end of both sides, so the lines after the last pair get their rows.
    pairs.append((len(removed), len(added)))

    rows: list[Row] = []
    old_next = new_next = 0
    for old_index, new_index in pairs:
        for old in removed[old_next:old_index]:
            rows.append(Row("removed", old.old_no, display_text(old.text, old.no_newline), None, ""))
        for new in added[new_next:new_index]:
            rows.append(Row("added", None, "", new.new_no, display_text(new.text, new.no_newline)))
        if old_index < len(removed) and new_index < len(added):
            old, new = removed[old_index], added[new_index]
            old_text, new_text = _changed_texts(old, new)
            old_spans, new_spans = word_spans(old_text, new_text) if word_diff else ((), ())
            rows.append(Row("changed", old.old_no, old_text, new.new_no, new_text, old_spans, new_spans))
        old_next, new_next = old_index + 1, new_index + 1
    return rows


ALIGN_MAX_LINES = 20
"""Blocks with more removed or added lines than this are paired by position only."""

WINDOW_CONTEXT = 40
"""Characters shown before the first difference of a changed pair that starts too far in to show from the line's start."""


def _changed_texts(old: HunkLine, new: HunkLine) -> tuple[str, str]:
    """Return the display texts of a changed pair.

    A line is cut at :data:`MAX_LINE_CHARS`, so in a long (minified) line a
    change further in would not show. When the first difference lies past
    the cut, both sides start :data:`WINDOW_CONTEXT` characters before it,
    after a marker giving the number of characters left out.
    """
    same = _common_prefix_length(old.text, new.text)
    if same <= MAX_LINE_CHARS - WINDOW_CONTEXT:
        return display_text(old.text, old.no_newline), display_text(new.text, new.no_newline)
    skip = same - WINDOW_CONTEXT
    mark = f"{TRUNCATION_MARKER} {skip:,} characters before {TRUNCATION_MARKER} "
    return mark + display_text(old.text[skip:], old.no_newline), mark + display_text(new.text[skip:], new.no_newline)


def _common_prefix_length(first: str, second: str) -> int:
    # Binary search on slice comparisons, which run in C: a Python loop over a
    # minified line's characters would take milliseconds per line.
    low, high = 0, min(len(first), len(second))
    while low < high:
        middle = (low + high + 1) // 2
        if first[:middle] == second[:middle]:
            low = middle
        else:
            high = middle - 1
    return low

ALIGN_MIN_SIMILARITY = 0.5
"""The smallest similarity (difflib's ratio, from 0 to 1) at which two lines of an unevenly sized block are paired."""


def _aligned_by_similarity(removed: int, added: int) -> bool:
    # Blocks of equal length, the usual result of editing each line, pair
    # by position. So does a block too big for the quadratic search.
    return 0 < removed != added > 0 and removed <= ALIGN_MAX_LINES and added <= ALIGN_MAX_LINES


def _similar_pairs(removed: list[HunkLine], added: list[HunkLine]) -> list[tuple[int, int]]:
    """Pair the lines of a block of unequal sides so that the paired lines are as alike as possible.

    Pairs keep the order of both sides. Lines less alike than
    :data:`ALIGN_MIN_SIMILARITY` are never paired, so a block whose lines
    are all unlike returns no pairs.
    """
    similarity = [[_similarity(old.text, new.text) for new in added] for old in removed]
    # best[i][j]: the largest total similarity pairing removed[i:] with added[j:].
    best = [[0.0] * (len(added) + 1) for _ in range(len(removed) + 1)]
    for i in range(len(removed) - 1, -1, -1):
        for j in range(len(added) - 1, -1, -1):
            paired = best[i + 1][j + 1] + similarity[i][j] if similarity[i][j] else 0.0
            best[i][j] = max(best[i + 1][j], best[i][j + 1], paired)
    pairs: list[tuple[int, int]] = []
    i = j = 0
    while i < len(removed) and j < len(added):
        if similarity[i][j] and best[i][j] == best[i + 1][j + 1] + similarity[i][j]:
            pairs.append((i, j))
            i += 1
            j += 1
        elif best[i][j] == best[i + 1][j]:
            i += 1
        else:
            j += 1
    return pairs


def _similarity(old: str, new: str) -> float:
    """Return difflib's ratio of two lines, or 0.0 when it is below :data:`ALIGN_MIN_SIMILARITY`."""
    matcher = difflib.SequenceMatcher(None, old.strip(), new.strip(), autojunk=False)
    if matcher.real_quick_ratio() < ALIGN_MIN_SIMILARITY or matcher.quick_ratio() < ALIGN_MIN_SIMILARITY:
        return 0.0
    ratio = matcher.ratio()
    return ratio if ratio >= ALIGN_MIN_SIMILARITY else 0.0


def _add_fold(rows: list[Row], old_from: int, old_to: int, new_from: int, new_to: int) -> None:
    count = old_to - old_from
    if count <= 0 or count != new_to - new_from:
        return
    label = "1 unchanged line" if count == 1 else f"{count:,} unchanged lines"
    rows.append(Row("fold", old_from, label, new_from, label, folded=count))


def _whole_file_text(lines: Sequence[str], number: int) -> str:
    # An unchanged line gets no end-of-file marker: both sides end the same
    # way there, so the marker would tell the reader nothing.
    return display_text(lines[number - 1]) if 0 < number <= len(lines) else ""


def _hunk_range(start: int, count: int) -> str:
    # git leaves out a count of one.
    return str(start) if count == 1 else f"{start},{count}"


def _expand_tabs(text: str, column: int) -> tuple[str, int]:
    parts = text.split("\t")
    out = [parts[0]]
    column += text_width(parts[0])
    for part in parts[1:]:
        spaces = TAB_SIZE - column % TAB_SIZE
        out.append(" " * spaces)
        out.append(part)
        column += spaces + text_width(part)
    return "".join(out), column


def _token_offsets(tokens: list[str]) -> list[int]:
    offsets = [0]
    for token in tokens:
        offsets.append(offsets[-1] + len(token))
    return offsets


def _add_span(spans: list[tuple[int, int]], start: int, end: int) -> None:
    if spans and spans[-1][1] == start:
        spans[-1] = (spans[-1][0], end)
    else:
        spans.append((start, end))


def _git_environment() -> dict[str, str]:
    env = {name: value for name, value in os.environ.items() if name not in _GIT_LOCATION_VARIABLES}
    env["GIT_TERMINAL_PROMPT"] = "0"
    return env


def _run_git(git: str, worktree: Path, args: list[str]) -> subprocess.CompletedProcess[str]:
    command = [git, *args]
    log.debug("running %s in %s", command, worktree)
    try:
        return subprocess.run(
            command,
            cwd=worktree,
            env=_git_environment(),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            encoding="utf-8",
            errors="replace",
            check=False,
        )
    except OSError as error:
        raise ReviewError(f"{worktree}: could not run {git}: {error.strerror}; check that git is installed and the worktree exists") from error


def _run_git_bytes(git: str, worktree: Path, args: list[str], environment: dict[str, str] | None = None) -> subprocess.CompletedProcess[bytes]:
    command = [git, *args]
    log.debug("running %s in %s", command, worktree)
    # git writes its output to a file, not a pipe. A thread reading a pipe
    # needs the GIL back for every chunk, and while the UI thread draws it can
    # wait a switch interval (5 ms by default) each time, over the hundreds of
    # chunks of a big patch.
    try:
        with tempfile.TemporaryFile() as output:
            completed = subprocess.run(
                command, cwd=worktree, env=environment or _git_environment(), stdin=subprocess.DEVNULL, stdout=output, stderr=subprocess.PIPE, check=False
            )
            output.seek(0)
            return subprocess.CompletedProcess(command, completed.returncode, output.read(), completed.stderr)
    except OSError as error:
        raise ReviewError(f"{worktree}: could not run {git}: {error.strerror}; check that git is installed and the worktree exists") from error


def _commit_with_git(git: str, worktree: Path, message: str) -> CommitResult:
    added = _run_git(git, worktree, ["add", "-A"])
    if added.returncode != 0:
        raise ReviewError(f"{worktree}: `git add -A` failed (exit {added.returncode}): {added.stdout.strip()}; fix it and approve again")

    staged = _run_git(git, worktree, ["diff", "--cached", "--quiet"])
    if staged.returncode == 0:
        log.info("nothing to commit in %s", worktree)
        return CommitResult(commit=None, hooks_skipped=False, output=added.stdout)
    if staged.returncode != 1:
        raise ReviewError(f"{worktree}: `git diff --cached` failed (exit {staged.returncode}): {staged.stdout.strip()}; check the worktree with `git status`")

    committed = _run_git(git, worktree, ["commit", "-m", message])
    output = added.stdout + committed.stdout
    if committed.returncode != 0:
        raise ReviewError(
            f"{worktree}: `git commit` failed (exit {committed.returncode}), rejected by a commit hook or by git; "
            f"fix what it reports and approve again. Output:\n{output.strip()}"
        )

    head = _run_git(git, worktree, ["rev-parse", "HEAD"])
    if head.returncode != 0:
        raise ReviewError(f"{worktree}: committed, but `git rev-parse HEAD` failed: {head.stdout.strip()}; check the branch with `git log`")
    commit = head.stdout.strip()
    log.info("committed pending changes in %s as %s", worktree, commit)
    return CommitResult(commit=commit, hooks_skipped=False, output=output)


def _commit_with_libgit2(repo: pygit2.Repository, worktree: Path, message: str) -> CommitResult:
    skipped = "git was not found on PATH, so the commit was made with libgit2 and the repository's commit hooks did not run"
    try:
        index = repo.index
        index.add_all()
        tree = index.write_tree()
        parents = [] if repo.head_is_unborn else [repo.head.target]
        if parents and repo[parents[0]].peel(pygit2.Tree).id == tree:
            log.info("nothing to commit in %s", worktree)
            return CommitResult(commit=None, hooks_skipped=True, output=skipped)

        try:
            signature = repo.default_signature
        except (KeyError, pygit2.GitError) as error:
            raise ReviewError(
                f"{worktree}: no committer identity is set; run `git config user.name NAME` and "
                f"`git config user.email EMAIL` in the repository"
            ) from error

        # Staging belongs to the commit here, as `git add -A` does, so the
        # worktree's status is clean afterwards.
        index.write()
        commit = repo.create_commit("HEAD", signature, signature, _clean_message(message), tree, parents)
    except pygit2.GitError as error:
        raise ReviewError(f"{worktree}: libgit2 could not commit: {error}; check the worktree with `git status`") from error

    log.warning("committed pending changes in %s as %s without running hooks: git not found", worktree, commit)
    return CommitResult(commit=str(commit), hooks_skipped=True, output=skipped)


def _clean_message(message: str) -> str:
    # The same whitespace clean-up `git commit -m` applies, so both paths
    # store the same message.
    lines = [line.rstrip() for line in message.strip("\n").splitlines()]
    collapsed: list[str] = []
    for line in lines:
        if line or (collapsed and collapsed[-1]):
            collapsed.append(line)
    return "\n".join(collapsed).strip("\n") + "\n"
