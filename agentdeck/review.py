"""The changes of a task: what its branch and worktree hold beyond the merge-base.

A review covers the commits on the task's branch since the merge-base with the
base branch, plus everything uncommitted or untracked (but not ignored) in the
task's worktree. The working directory is captured by loading the worktree's
index into memory, adding every file to that copy and writing it out as a tree
object. The index file itself is never written, so reviewing a task cannot
disturb an agent that is staging changes in the same worktree at that moment.

The merge-base tree is then diffed against that snapshot with libgit2, rename
detection on, and each file's unified patch is parsed with ``unidiff``.
"""

from __future__ import annotations

import difflib
import logging
import os
import re
import shutil
import subprocess
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

import pygit2
from pygit2.enums import DiffFind
from unidiff import PatchSet
from unidiff.errors import UnidiffParseError
from unidiff.patch import Hunk as UnidiffHunk

from agentdeck.errors import ReviewError

log = logging.getLogger(__name__)

TAB_SIZE = 8
CR_MARKER = "\N{SYMBOL FOR CARRIAGE RETURN}"
NO_NEWLINE_MARKER = "\N{CIRCLED DIVISION SLASH}"
"""Appended to the last line of a file that does not end with a newline."""

# Lines longer than this get no word-level highlight, because matching tokens
# is quadratic in the worst case and such lines are rarely read word by word.
WORD_DIFF_MAX_CHARS = 1000

_STATUS_WORDS = {
    "A": "added",
    "D": "deleted",
    "M": "modified",
    "R": "renamed",
    "C": "copied",
    # A type change (file to symlink, say) is shown as a modification.
    "T": "modified",
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

# Control characters other than tab, mapped to the Control Pictures block.
_CONTROL = re.compile("[\x00-\x08\x0a-\x1f\x7f]")
_CONTROL_PICTURES = {code: 0x2400 + code for code in range(0x20) if code != 0x09} | {0x7F: 0x2421}


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


@dataclass(slots=True)
class FileChange:
    """The change to one file between the merge-base and the worktree."""

    path: str
    """The new path, or the old one for a deleted file."""
    old_path: str | None
    """The path before a rename or copy, or None for other changes."""
    status: str
    """"added", "deleted", "modified", "renamed" or "copied"."""
    added: int
    removed: int
    binary: bool
    old_mode: int | None
    """The git file mode before the change (0o100644, 0o100755, 0o120000...); None when added."""
    new_mode: int | None
    """The git file mode after the change; None when deleted."""
    hunks: list[Hunk] = field(default_factory=list)

    @property
    def mode_changed(self) -> bool:
        """True when both sides exist and their file modes differ."""
        return self.old_mode is not None and self.new_mode is not None and self.old_mode != self.new_mode


@dataclass(slots=True)
class Review:
    """All changes of a task against the merge-base with its base branch."""

    merge_base: str
    files: list[FileChange]
    added: int
    removed: int
    branch: str
    base_branch: str


@dataclass(frozen=True, slots=True)
class Row:
    """One row of a side-by-side diff.

    A side without a line has its number set to None and its text empty, so
    the view can fill it. ``*_spans`` are ``(start, end)`` character ranges of
    the display text that differ inside a changed pair.
    """

    kind: str
    """"context", "changed", "added", "removed" or "hunk" (a hunk header in old_text)."""
    old_no: int | None
    old_text: str
    new_no: int | None
    new_text: str
    old_spans: tuple[tuple[int, int], ...] = ()
    new_spans: tuple[tuple[int, int], ...] = ()


@dataclass(frozen=True, slots=True)
class CommitResult:
    """The outcome of committing a worktree's pending changes."""

    commit: str | None
    """The new commit's id, or None when there was nothing to commit."""
    hooks_skipped: bool
    """True when the commit was made without running the repository's hooks."""
    output: str
    """The output of git and the hooks, or the reason the hooks were skipped."""


def compute_review(worktree: Path, branch: str, base_branch: str) -> Review:
    """Compute the changes of *branch* and its *worktree* against the merge-base with *base_branch*.

    Raises:
        ReviewError: the worktree cannot be opened, is not on *branch*, a
            branch is missing, the branches share no history, or a patch
            cannot be parsed.
    """
    merge_base, diff = _diff_worktree(worktree, branch, base_branch)
    try:
        files = [_file_change(patch) for patch in diff]
    except pygit2.GitError as error:
        raise ReviewError(f"{worktree}: git could not produce the diff: {error}; check the worktree with `git status`") from error

    return Review(
        merge_base=merge_base,
        files=files,
        added=sum(change.added for change in files),
        removed=sum(change.removed for change in files),
        branch=branch,
        base_branch=base_branch,
    )


def diff_stat(worktree: Path, branch: str, base_branch: str) -> tuple[int, int]:
    """Return the (added, removed) line totals of the same changes as :func:`compute_review`.

    No patch text is built or parsed, so this is cheap enough to poll.

    Raises:
        ReviewError: as for :func:`compute_review`.
    """
    _, diff = _diff_worktree(worktree, branch, base_branch)
    stats = diff.stats
    return stats.insertions, stats.deletions


def side_by_side(change: FileChange) -> list[Row]:
    """Lay out the hunks of *change* as rows of old and new lines.

    Within a hunk, each block of removed lines followed by added lines is
    paired line by line. The extra lines of the longer block get rows whose
    other side is empty. Text is prepared with :func:`display_text`.
    """
    rows: list[Row] = []
    for hunk in change.hunks:
        rows.append(Row("hunk", None, hunk.header, None, ""))
        removed: list[HunkLine] = []
        added: list[HunkLine] = []
        for line in hunk.lines:
            if line.kind == "removed":
                if added:
                    rows.extend(_pair_block(removed, added))
                    removed, added = [], []
                removed.append(line)
            elif line.kind == "added":
                added.append(line)
            else:
                rows.extend(_pair_block(removed, added))
                removed, added = [], []
                text = display_text(line.text, line.no_newline)
                rows.append(Row("context", line.old_no, text, line.new_no, text))
        rows.extend(_pair_block(removed, added))
    return rows


def display_text(text: str, no_newline: bool = False) -> str:
    """Make a line safe and visible for a terminal cell grid.

    Tabs become spaces up to the next 8-column stop, counting wide characters
    as two columns. Other control characters become their Unicode control
    pictures, so a CR shows as a marker instead of moving the cursor. With
    *no_newline* set, :data:`NO_NEWLINE_MARKER` is appended.
    """
    if "\t" in text:
        text = _expand_tabs(text)
    if _CONTROL.search(text):
        text = text.translate(_CONTROL_PICTURES)
    return text + NO_NEWLINE_MARKER if no_newline else text


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


def _diff_worktree(worktree: Path, branch: str, base_branch: str) -> tuple[str, pygit2.Diff]:
    repo = _open_worktree(worktree)
    _check_checked_out(repo, worktree, branch)
    branch_commit = _local_branch_commit(repo, branch, worktree)
    base_commit = _local_branch_commit(repo, base_branch, worktree)

    merge_base = repo.merge_base(branch_commit.id, base_commit.id)
    if merge_base is None:
        raise ReviewError(
            f"branches {branch!r} and {base_branch!r} share no commit; "
            f"pick a base branch that {branch!r} was created from"
        )

    try:
        snapshot = _snapshot_working_tree(repo)
        base_tree = repo[merge_base].peel(pygit2.Tree)
        diff = base_tree.diff_to_tree(snapshot)
        diff.find_similar(flags=DiffFind.FIND_RENAMES)
    except pygit2.GitError as error:
        raise ReviewError(f"{worktree}: could not read the working tree: {error}; check the worktree with `git status`") from error
    return str(merge_base), diff


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


def _snapshot_working_tree(repo: pygit2.Repository) -> pygit2.Tree:
    # repo.index is an in-memory copy of the index file. add_all() stages
    # every change (deletions included, ignored files skipped) in that copy,
    # and write_tree() only adds tree and blob objects to the object database.
    # Never call index.write(), because the file belongs to the agent working there.
    index = repo.index
    index.add_all()
    return repo[index.write_tree()].peel(pygit2.Tree)


def _file_change(patch: pygit2.Patch) -> FileChange:
    delta = patch.delta
    status_char = delta.status_char()
    status = _STATUS_WORDS.get(status_char, "modified")
    old_path = delta.old_file.path
    new_path = delta.new_file.path
    path = old_path if status == "deleted" else new_path

    hunks: list[Hunk] = []
    added = removed = 0
    if not delta.is_binary:
        hunks, added, removed = _parse_patch(patch.data.decode("utf-8", errors="replace"), path)

    return FileChange(
        path=path,
        old_path=old_path if status in ("renamed", "copied") else None,
        status=status,
        added=added,
        removed=removed,
        binary=delta.is_binary,
        old_mode=None if status == "added" else delta.old_file.mode,
        new_mode=None if status == "deleted" else delta.new_file.mode,
        hunks=hunks,
    )


def _parse_patch(text: str, path: str) -> tuple[list[Hunk], int, int]:
    try:
        patch_set = PatchSet(text)
    except UnidiffParseError as error:
        raise ReviewError(f"{path}: could not parse its patch ({error}); report this file's diff as a bug") from error
    if not patch_set:
        return [], 0, 0

    patched_file = patch_set[0]
    hunks = [_convert_hunk(hunk) for hunk in patched_file]
    return hunks, patched_file.added, patched_file.removed


def _convert_hunk(source: UnidiffHunk) -> Hunk:
    hunk = Hunk(
        old_start=source.source_start,
        old_count=source.source_length,
        new_start=source.target_start,
        new_count=source.target_length,
        section=source.section_header,
    )
    kinds = {"+": "added", "-": "removed", " ": "context"}
    for line in source:
        if line.line_type == "\\":
            # "\ No newline at end of file" follows the line it is about.
            if hunk.lines:
                hunk.lines[-1].no_newline = True
            continue
        kind = kinds.get(line.line_type)
        if kind is None:
            continue
        text = line.value[:-1] if line.value.endswith("\n") else line.value
        hunk.lines.append(HunkLine(kind, line.source_line_no, line.target_line_no, text))
    return hunk


def _pair_block(removed: list[HunkLine], added: list[HunkLine]) -> list[Row]:
    rows: list[Row] = []
    for index in range(max(len(removed), len(added))):
        old = removed[index] if index < len(removed) else None
        new = added[index] if index < len(added) else None
        if old is not None and new is not None:
            old_text = display_text(old.text, old.no_newline)
            new_text = display_text(new.text, new.no_newline)
            old_spans, new_spans = word_spans(old_text, new_text)
            rows.append(Row("changed", old.old_no, old_text, new.new_no, new_text, old_spans, new_spans))
        elif old is not None:
            rows.append(Row("removed", old.old_no, display_text(old.text, old.no_newline), None, ""))
        elif new is not None:
            rows.append(Row("added", None, "", new.new_no, display_text(new.text, new.no_newline)))
    return rows


def _hunk_range(start: int, count: int) -> str:
    # git leaves out a count of one.
    return str(start) if count == 1 else f"{start},{count}"


def _expand_tabs(text: str) -> str:
    parts = text.split("\t")
    out = [parts[0]]
    column = _text_width(parts[0])
    for part in parts[1:]:
        spaces = TAB_SIZE - column % TAB_SIZE
        out.append(" " * spaces)
        out.append(part)
        column += spaces + _text_width(part)
    return "".join(out)


def _text_width(text: str) -> int:
    # Control characters count one cell each: the width of their pictures.
    if text.isascii():
        return len(text)
    return sum(_cell_width(char) for char in text)


def _cell_width(char: str) -> int:
    # NOTE: an approximation of terminal cell width that needs no UI library;
    # it only decides where tab stops fall after wide or combining characters.
    if unicodedata.combining(char) or unicodedata.category(char) in ("Mn", "Me", "Cf"):
        return 0
    if unicodedata.east_asian_width(char) in ("W", "F"):
        return 2
    return 1


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
