"""Every kind of change git can produce, each made in a temporary repository and checked against git.

The reference is the git CLI: ``git diff -M -C --numstat`` and ``--name-status``
between the merge-base and a tree of the worktree staged into a scratch index,
which is what the review reads without touching the worktree's own index.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from agentdeck.review import (
    CR_MARKER,
    MAX_LINE_CHARS,
    NO_NEWLINE_MARKER,
    TRUNCATION_MARKER,
    FileChange,
    Review,
    compute_review,
    display_text,
    expand_folds,
    file_lines,
    side_by_side,
    unified,
    with_word_spans,
)

BRANCH = "agentdeck/case"
GIT = shutil.which("git")

pytestmark = pytest.mark.skipif(GIT is None, reason="the git CLI is the reference these tests compare against")


def git(cwd: Path, *args: str, env: dict[str, str] | None = None) -> str:
    result = subprocess.run([GIT, *args], cwd=cwd, env=env, check=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    return result.stdout.decode("utf-8")


def start_task(tmp_path: Path, files: dict[str, str | bytes]) -> tuple[Path, Path]:
    """Commit *files* on main and return the repository and a task worktree forked from it."""
    repo = tmp_path / "repo"
    repo.mkdir()
    git(repo, "init", "-q", "-b", "main")
    git(repo, "config", "user.name", "Test Author")
    git(repo, "config", "user.email", "author@example.com")
    write(repo, files)
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "base")
    worktree = tmp_path / "repo.worktrees" / "case"
    git(repo, "worktree", "add", "-q", "-b", BRANCH, str(worktree))
    return repo, worktree


def write(root: Path, files: dict[str, str | bytes]) -> None:
    for name, content in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_bytes(content.encode("utf-8"))


def snapshot_tree(worktree: Path, tmp_path: Path) -> str:
    """Stage the worktree into a scratch index, as `git add -A` would, and return its tree id."""
    # Read from HEAD, the index has no stat data, so git hashes every file. A copied index
    # would be newer than a same-second edit, so git would miss the edit.
    scratch = tmp_path / "scratch-index"
    scratch.unlink(missing_ok=True)
    env = {**os.environ, "GIT_INDEX_FILE": str(scratch)}
    git(worktree, "read-tree", "HEAD", env=env)
    git(worktree, "add", "-A", env=env)
    return git(worktree, "write-tree", env=env).strip()


def git_reference(worktree: Path, base: str, tree: str, *options: str) -> dict[str, tuple[str, str, str]]:
    """Map each path to (status letter, added, removed) as git prints them; binary counts are "-"."""
    numstat = git(worktree, "diff", "--numstat", "-z", "-M", "-C", *options, base, tree).split("\0")
    counts: dict[str, tuple[str, str]] = {}
    position = 0
    while position < len(numstat) - 1:
        added, removed, path = numstat[position].split("\t", 2)
        position += 1
        if path == "":
            path = numstat[position + 1]
            position += 2
        counts[path] = (added, removed)

    statuses = git(worktree, "diff", "--name-status", "-z", "-M", "-C", *options, base, tree).split("\0")
    reference: dict[str, tuple[str, str, str]] = {}
    position = 0
    while position < len(statuses) - 1:
        letter = statuses[position][0]
        if letter in "RC":
            path = statuses[position + 2]
            position += 3
        else:
            path = statuses[position + 1]
            position += 2
        # With -w, git's numstat leaves out a file whose changes are all whitespace.
        reference[path] = (letter, *counts.get(path, ("0", "0")))
    return reference


_LETTERS = {"added": "A", "deleted": "D", "modified": "M", "renamed": "R", "copied": "C", "typechange": "T"}


def review_as_git(review: Review) -> dict[str, tuple[str, str, str]]:
    return {
        change.path: (
            _LETTERS[change.status],
            "-" if change.binary else str(change.added),
            "-" if change.binary else str(change.removed),
        )
        for change in review.files
    }


def reviewed(worktree: Path, tmp_path: Path, *, ignore_whitespace: bool = False) -> tuple[Review, dict[str, FileChange]]:
    """Compute the review and check its statuses and counts against git before returning it."""
    review = compute_review(worktree, BRANCH, "main", ignore_whitespace=ignore_whitespace)
    options = ("-w",) if ignore_whitespace else ()
    expected = git_reference(worktree, review.merge_base, snapshot_tree(worktree, tmp_path), *options)
    assert review_as_git(review) == expected
    return review, {change.path: change for change in review.files}


def only_rows(change: FileChange, kind: str) -> list:
    return [row for row in side_by_side(change) if row.kind == kind]


def test_tabs_expand_to_same_columns(tmp_path: Path) -> None:
    old = "[section]\n\tname = x\n\tshow = true\n\tsize = 2\nHi\tWorld\n"
    new = "[section]\n\tname = x\n\tshow = false\n\tsize = 2\nHello\tWorld\n"
    _, worktree = start_task(tmp_path, {"conf.ini": old})
    write(worktree, {"conf.ini": new})

    _, files = reviewed(worktree, tmp_path)
    changed = only_rows(files["conf.ini"], "changed")

    assert [row.old_text for row in changed] == [" " * 8 + "show = true", "Hi      World"]
    assert [row.new_text for row in changed] == [" " * 8 + "show = false", "Hello   World"]
    assert changed[1].old_text.index("World") == changed[1].new_text.index("World") == 8


def test_crlf_line_shows_marker_both_sides(tmp_path: Path) -> None:
    _, worktree = start_task(tmp_path, {"dos.txt": b"one\r\ntwo\r\nthree\r\n"})
    write(worktree, {"dos.txt": b"one\r\nTWO\r\nthree\r\n"})

    _, files = reviewed(worktree, tmp_path)
    (row,) = only_rows(files["dos.txt"], "changed")

    assert row.old_text == "two" + CR_MARKER
    assert row.new_text == "TWO" + CR_MARKER


def test_lone_carriage_return_kept_in_line(tmp_path: Path) -> None:
    _, worktree = start_task(tmp_path, {"cr.txt": "start\nprogress 10%\rprogress 20%\nend\n"})
    write(worktree, {"cr.txt": "start\nprogress 10%\rprogress 30%\nend\n"})

    _, files = reviewed(worktree, tmp_path)
    (row,) = only_rows(files["cr.txt"], "changed")

    assert row.new_text == f"progress 10%{CR_MARKER}progress 30%"
    assert "\r" not in row.new_text


def test_no_newline_last_line_changed(tmp_path: Path) -> None:
    _, worktree = start_task(tmp_path, {"end.txt": "first\nlast old"})
    write(worktree, {"end.txt": "first\nlast new"})

    _, files = reviewed(worktree, tmp_path)
    rows = [row for row in side_by_side(files["end.txt"]) if row.kind != "hunk"]

    assert [row.kind for row in rows] == ["context", "changed"]
    assert rows[1].old_text == "last old" + NO_NEWLINE_MARKER
    assert rows[1].new_text == "last new" + NO_NEWLINE_MARKER


def test_adding_final_newline_changes_marker(tmp_path: Path) -> None:
    _, worktree = start_task(tmp_path, {"end.txt": "first\nlast"})
    write(worktree, {"end.txt": "first\nlast\n"})

    _, files = reviewed(worktree, tmp_path)
    (row,) = only_rows(files["end.txt"], "changed")

    assert (files["end.txt"].added, files["end.txt"].removed) == (1, 1)
    assert row.old_text == "last" + NO_NEWLINE_MARKER
    assert row.new_text == "last"


def test_binary_added_with_size(tmp_path: Path) -> None:
    _, worktree = start_task(tmp_path, {"readme.txt": "hi\n"})
    write(worktree, {"data.bin": b"H\x00I\x00"})

    _, files = reviewed(worktree, tmp_path)
    change = files["data.bin"]

    assert change.binary
    assert change.status == "added"
    assert change.new_size == 4
    assert change.hunks == []


def test_binary_modified_beside_added_text(tmp_path: Path) -> None:
    png = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(40))
    _, worktree = start_task(tmp_path, {"logo.png": png})
    write(worktree, {"logo.png": png + b"\x00more", "notes.txt": "new notes\n"})

    _, files = reviewed(worktree, tmp_path)

    assert (files["logo.png"].status, files["logo.png"].binary) == ("modified", True)
    assert files["logo.png"].old_size == len(png)
    assert (files["notes.txt"].status, files["notes.txt"].binary, files["notes.txt"].added) == ("added", False, 1)


def test_mode_only_change_listed(tmp_path: Path) -> None:
    _, worktree = start_task(tmp_path, {"script.sh": "echo hi\n"})
    (worktree / "script.sh").chmod(0o755)

    _, files = reviewed(worktree, tmp_path)
    change = files["script.sh"]

    assert change.mode_changed
    assert (change.old_mode, change.new_mode) == (0o100644, 0o100755)
    assert (change.added, change.removed, change.hunks) == (0, 0, [])


def test_mode_change_with_edit_one_entry(tmp_path: Path) -> None:
    _, worktree = start_task(tmp_path, {"script.sh": "echo hi\n"})
    write(worktree, {"script.sh": "echo bye\n"})
    (worktree / "script.sh").chmod(0o755)

    review, files = reviewed(worktree, tmp_path)

    assert [change.path for change in review.files] == ["script.sh"]
    assert files["script.sh"].mode_changed
    assert (files["script.sh"].added, files["script.sh"].removed) == (1, 1)


def test_wide_characters_word_spans(tmp_path: Path) -> None:
    _, worktree = start_task(tmp_path, {"zh.txt": "这是一个汉语句子。\n"})
    write(worktree, {"zh.txt": "这是一个中文句子。\n"})

    _, files = reviewed(worktree, tmp_path)
    (row,) = only_rows(files["zh.txt"], "changed")

    assert row.old_text == "这是一个汉语句子。"
    assert row.new_text == "这是一个中文句子。"


def test_emoji_line_changed(tmp_path: Path) -> None:
    _, worktree = start_task(tmp_path, {"emoji.md": "status: 🚀 launched\n"})
    write(worktree, {"emoji.md": "status: 🎉 landed\n"})

    _, files = reviewed(worktree, tmp_path)
    (row,) = only_rows(files["emoji.md"], "changed")

    assert row.new_text == "status: 🎉 landed"


def test_minified_line_truncated(tmp_path: Path) -> None:
    body = "".join(f"function f{n}(a,b){{return a+b*{n}}};" for n in range(9000))
    old = body[:300_000]
    new = old.replace("f4000(", "g4000(")
    _, worktree = start_task(tmp_path, {"app.min.js": old})
    write(worktree, {"app.min.js": new})

    _, files = reviewed(worktree, tmp_path)
    (row,) = only_rows(files["app.min.js"], "changed")

    assert len(old) == 300_000
    assert len(row.old_text) < MAX_LINE_CHARS + 100
    # The change lies past the cut, so both sides start shortly before it.
    skipped = old.index("f4000(") - 40
    assert row.old_text.startswith(f"{TRUNCATION_MARKER} {skipped:,} characters before {TRUNCATION_MARKER} ")
    assert "f4000(" in row.old_text[:120]
    assert "g4000(" in row.new_text[:120]
    assert f"{TRUNCATION_MARKER} {300_000 - skipped - MAX_LINE_CHARS:,} more characters" in row.old_text
    assert row.old_text.endswith(NO_NEWLINE_MARKER)


def test_minified_change_past_cut_shown(tmp_path: Path) -> None:
    body = "".join(f"x{n}:{n}," for n in range(20000))
    changed = body.replace("x6000:6000,", "x6000:6001,")
    _, worktree = start_task(tmp_path, {"rev.min.js": body})
    write(worktree, {"rev.min.js": changed})

    _, files = reviewed(worktree, tmp_path)
    (row,) = only_rows(files["rev.min.js"], "changed")
    first_difference = changed.index("6001,")

    assert first_difference > MAX_LINE_CHARS
    assert row.old_text.startswith(f"{TRUNCATION_MARKER} {first_difference + 3 - 40:,} characters before")
    assert "x6000:6000," in row.old_text[:200]
    assert "x6000:6001," in row.new_text[:200]
    assert f"{TRUNCATION_MARKER} " in row.new_text[200:]


def test_empty_file_added(tmp_path: Path) -> None:
    _, worktree = start_task(tmp_path, {"readme.txt": "hi\n"})
    write(worktree, {"new-empty.txt": ""})

    _, files = reviewed(worktree, tmp_path)

    assert (files["new-empty.txt"].status, files["new-empty.txt"].added, files["new-empty.txt"].removed) == ("added", 0, 0)


def test_empty_file_deleted(tmp_path: Path) -> None:
    _, worktree = start_task(tmp_path, {"old-empty.txt": ""})
    (worktree / "old-empty.txt").unlink()

    _, files = reviewed(worktree, tmp_path)

    assert (files["old-empty.txt"].status, files["old-empty.txt"].added, files["old-empty.txt"].removed) == ("deleted", 0, 0)


def test_unrelated_empty_files_not_paired(tmp_path: Path) -> None:
    # git pairs a deleted and an added empty file as a 100% rename. With no content and
    # different names nothing shows they are one file, so the review lists them apart.
    _, worktree = start_task(tmp_path, {"old-empty.txt": "", "readme.txt": "hi\n"})
    (worktree / "old-empty.txt").unlink()
    write(worktree, {"new-empty.txt": ""})

    review = compute_review(worktree, BRANCH, "main")
    files = {change.path: change for change in review.files}

    assert git(worktree, "diff", "-M", "--name-status", review.merge_base, snapshot_tree(worktree, tmp_path)).split() == [
        "R100", "old-empty.txt", "new-empty.txt",
    ]
    assert (files["old-empty.txt"].status, files["old-empty.txt"].added, files["old-empty.txt"].removed) == ("deleted", 0, 0)
    assert (files["new-empty.txt"].status, files["new-empty.txt"].added, files["new-empty.txt"].removed) == ("added", 0, 0)
    assert files["new-empty.txt"].old_path is None
    assert (review.added, review.removed) == (0, 0)


def test_empty_file_moved_keeps_rename(tmp_path: Path) -> None:
    # An empty marker file moved into another folder keeps its name, which is the only evidence it is one file.
    _, worktree = start_task(tmp_path, {"pkg/py.typed": "", "readme.txt": "hi\n"})
    (worktree / "src").mkdir()
    (worktree / "pkg" / "py.typed").rename(worktree / "src" / "py.typed")

    _, files = reviewed(worktree, tmp_path)

    assert (files["src/py.typed"].status, files["src/py.typed"].old_path) == ("renamed", "pkg/py.typed")


def test_paths_with_spaces_and_rename_edit(tmp_path: Path) -> None:
    lines = "".join(f"line {n}\n" for n in range(1, 21))
    _, worktree = start_task(tmp_path, {"docs/release notes.md": "# Notes\n", "a b.txt": lines})
    write(worktree, {"docs/release notes.md": "# Release notes\n"})
    (worktree / "a b.txt").rename(worktree / "c d.txt")
    write(worktree, {"c d.txt": lines.replace("line 7\n", "line seven\n")})

    review, files = reviewed(worktree, tmp_path)
    renamed = files["c d.txt"]

    assert sorted(change.path for change in review.files) == ["c d.txt", "docs/release notes.md"]
    assert (renamed.status, renamed.old_path, renamed.added, renamed.removed) == ("renamed", "a b.txt", 1, 1)
    assert renamed.similarity is not None and 80 <= renamed.similarity < 100
    assert renamed.display_path == "a b.txt \N{RIGHTWARDS ARROW} c d.txt"


def test_non_ascii_path(tmp_path: Path) -> None:
    _, worktree = start_task(tmp_path, {"données/résumé.txt": "un\n"})
    write(worktree, {"données/résumé.txt": "deux\n", "文档/说明.md": "新\n"})

    _, files = reviewed(worktree, tmp_path)

    assert files["données/résumé.txt"].status == "modified"
    assert files["文档/说明.md"].status == "added"


def test_pure_rename_without_edit(tmp_path: Path) -> None:
    _, worktree = start_task(tmp_path, {"old name.py": "print('same')\n"})
    (worktree / "old name.py").rename(worktree / "new name.py")

    _, files = reviewed(worktree, tmp_path)
    change = files["new name.py"]

    assert (change.status, change.old_path, change.similarity, change.hunks) == ("renamed", "old name.py", 100, [])


def test_copies_with_and_without_edit(tmp_path: Path) -> None:
    source = "".join(f"def step_{n}():\n    return {n}\n\n" for n in range(30))
    _, worktree = start_task(tmp_path, {"steps.py": source})
    # git -C takes copy sources only from files modified in the same change.
    write(worktree, {"steps.py": source + "# touched\n", "copy.py": source, "edited copy.py": source.replace("return 7", "return 70")})

    _, files = reviewed(worktree, tmp_path)

    assert (files["copy.py"].status, files["copy.py"].old_path, files["copy.py"].similarity) == ("copied", "steps.py", 100)
    assert (files["edited copy.py"].status, files["edited copy.py"].old_path) == ("copied", "steps.py")
    assert (files["edited copy.py"].added, files["edited copy.py"].removed) == (1, 1)


def test_symlink_added_and_retargeted(tmp_path: Path) -> None:
    _, worktree = start_task(tmp_path, {"target-a.txt": "a\n", "target-b.txt": "b\n"})
    (worktree / "current").symlink_to("target-a.txt")
    git(worktree, "add", "current")
    git(worktree, "commit", "-q", "-m", "link")
    (worktree / "current").unlink()
    (worktree / "current").symlink_to("target-b.txt")
    (worktree / "extra").symlink_to("target-a.txt")

    _, files = reviewed(worktree, tmp_path)

    assert (files["current"].kind, files["current"].status) == ("symlink", "added")
    assert only_rows(files["current"], "added")[0].new_text == "target-b.txt" + NO_NEWLINE_MARKER
    assert files["extra"].kind == "symlink"


def test_file_replaced_by_symlink(tmp_path: Path) -> None:
    _, worktree = start_task(tmp_path, {"config.toml": "x = 1\n", "real.toml": "x = 2\n"})
    (worktree / "config.toml").unlink()
    (worktree / "config.toml").symlink_to("real.toml")

    _, files = reviewed(worktree, tmp_path)
    change = files["config.toml"]

    assert change.status == "typechange"
    assert (change.old_mode, change.new_mode) == (0o100644, 0o120000)
    assert change.kind == "symlink"


def test_submodule_pointer_change(tmp_path: Path) -> None:
    library = tmp_path / "library"
    library.mkdir()
    git(library, "init", "-q", "-b", "main")
    git(library, "config", "user.name", "Test Author")
    git(library, "config", "user.email", "author@example.com")
    write(library, {"lib.txt": "v1\n"})
    git(library, "add", "-A")
    git(library, "commit", "-q", "-m", "v1")
    first = git(library, "rev-parse", "HEAD").strip()
    write(library, {"lib.txt": "v2\n"})
    git(library, "commit", "-q", "-am", "v2")
    second = git(library, "rev-parse", "HEAD").strip()

    repo, worktree = start_task(tmp_path, {"readme.txt": "hi\n"})
    git(repo, "-c", "protocol.file.allow=always", "clone", "-q", str(library), "vendor/library")
    git(repo / "vendor" / "library", "checkout", "-q", first)
    git(repo, "add", "vendor/library")
    git(repo, "commit", "-q", "-m", "add the library as a submodule")
    git(worktree, "merge", "-q", "--ff-only", "main")
    # The task checks out a newer library commit, as an agent bumping a dependency would.
    (worktree / "vendor" / "library").rmdir()
    git(worktree, "-c", "protocol.file.allow=always", "clone", "-q", str(library), "vendor/library")
    git(worktree / "vendor" / "library", "checkout", "-q", second)

    _, files = reviewed(worktree, tmp_path)
    change = files["vendor/library"]
    rows = side_by_side(change)

    assert (change.kind, change.status, change.old_id, change.new_id) == ("submodule", "modified", first, second)
    assert (change.added, change.removed) == (1, 1)
    assert rows[1].old_text == f"Subproject commit {first}"
    assert rows[1].new_text == f"Subproject commit {second}"


def test_whitespace_only_change_hidden(tmp_path: Path) -> None:
    _, worktree = start_task(tmp_path, {"code.py": "def f():\n    return 1\n\nx = f( )\n", "spaces.py": "a = 1\n"})
    write(worktree, {"code.py": "def f():\n        return 1\n\nx = f( 2 )\n", "spaces.py": "a  =  1\n"})

    _, shown = reviewed(worktree, tmp_path)
    _, hidden = reviewed(worktree, tmp_path, ignore_whitespace=True)

    assert (shown["code.py"].added, shown["code.py"].removed) == (2, 2)
    assert hidden["code.py"].added + hidden["code.py"].removed < 4
    assert (shown["spaces.py"].added, shown["spaces.py"].removed) == (1, 1)
    # git still lists the file as modified, with no lines left to show.
    assert (hidden["spaces.py"].status, hidden["spaces.py"].added, hidden["spaces.py"].hunks) == ("modified", 0, [])


def test_quoted_path_characters(tmp_path: Path) -> None:
    name = 'odd "name"\\with\ttab.txt'
    _, worktree = start_task(tmp_path, {name: "one\n"})
    write(worktree, {name: "two\n"})

    _, files = reviewed(worktree, tmp_path)

    assert (files[name].added, files[name].removed) == (1, 1)
    assert files[name].hunks[0].lines[1].text == "two"


def test_folds_hide_and_expand_context(tmp_path: Path) -> None:
    old = "".join(f"line {n}\n" for n in range(1, 41))
    new = old.replace("line 10\n", "line ten\n").replace("line 30\n", "line thirty\n")
    _, worktree = start_task(tmp_path, {"numbers.txt": old})
    write(worktree, {"numbers.txt": new})

    review, files = reviewed(worktree, tmp_path)
    change = files["numbers.txt"]
    old_lines, new_lines = file_lines(review, change)
    rows = side_by_side(change, old_lines=old_lines, new_lines=new_lines)
    folds = [(row.old_no, row.new_no, row.folded) for row in rows if row.kind == "fold"]
    expanded = expand_folds(rows, old_lines, new_lines)

    assert folds == [(1, 1, 6), (14, 14, 13), (34, 34, 7)]
    assert [row.old_no for row in expanded if row.kind != "hunk"] == list(range(1, 41))
    assert [row.new_text for row in expanded if row.new_no == 30] == ["line thirty"]


def test_unified_restores_patch_order() -> None:
    old = "a\nb\nc\n"
    change = FileChange("f", None, "modified", 3, 2, False, 0o100644, 0o100644)
    from agentdeck.review import _parse_patch

    change.hunks, _, _ = _parse_patch("@@ -1,3 +1,4 @@\n a\n-b\n-c\n+B\n+C\n+D\n")
    rows = unified(side_by_side(change))

    assert [(row.kind, row.old_no, row.new_no) for row in rows[1:]] == [
        ("context", 1, 1),
        ("removed", 2, None),
        ("removed", 3, None),
        ("added", None, 2),
        ("added", None, 3),
        ("added", None, 4),
    ]
    assert old.count("\n") == 3


def test_lazy_word_spans_match_eager() -> None:
    change = FileChange("f", None, "modified", 1, 1, False, 0o100644, 0o100644)
    from agentdeck.review import _parse_patch

    change.hunks, _, _ = _parse_patch("@@ -1 +1 @@\n-show = true\n+show = false\n")
    eager = side_by_side(change)
    lazy = [with_word_spans(row) for row in side_by_side(change, word_diff=False)]

    assert eager == lazy
    assert eager[1].new_spans == ((7, 12),)


def test_display_text_cuts_long_line() -> None:
    text = "x" * (MAX_LINE_CHARS + 10)

    assert display_text(text) == "x" * MAX_LINE_CHARS + f" {TRUNCATION_MARKER} 10 more characters"


def test_without_git_cli_libgit2_agrees(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    lines = "".join(f"line {n}\n" for n in range(1, 21))
    _, worktree = start_task(tmp_path, {"keep.txt": lines, "move me.txt": lines + "tail\n", "script.sh": "echo\n"})
    write(worktree, {"keep.txt": lines.replace("line 3\n", "line three\n"), "data.bin": b"H\x00I\x00"})
    (worktree / "move me.txt").rename(worktree / "moved.txt")
    (worktree / "script.sh").chmod(0o755)
    with_git = review_as_git(compute_review(worktree, BRANCH, "main"))

    monkeypatch.setenv("PATH", str(tmp_path / "no-git-here"))
    without_git = compute_review(worktree, BRANCH, "main")

    assert review_as_git(without_git) == with_git
    assert {change.path: change.status for change in without_git.files} == {
        "data.bin": "added",
        "keep.txt": "modified",
        "moved.txt": "renamed",
        "script.sh": "modified",
    }
