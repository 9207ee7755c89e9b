"""Reviews of real history: the released sources of requests, one release per commit.

There is no GitHub access here, so the history is rebuilt from the source
distributions on PyPI. Each release becomes one commit, so consecutive
releases give diffs of real, organically grown code: edits, added and deleted
modules, renames and copies. For every pair of releases the review's status
and line counts per file must equal ``git diff -M -C --name-status`` and
``--numstat``.

The archives come from ``$AGENTDECK_REVIEW_CORPUS`` when it names a folder
holding them, and are otherwise fetched with ``pip download``.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest

from agentdeck.review import compute_review
from tests.test_review_cases import BRANCH, git, git_reference, review_as_git, snapshot_tree

RELEASES = ("2.25.1", "2.26.0", "2.27.1", "2.28.2", "2.31.0", "2.32.3")

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(shutil.which("git") is None, reason="the git CLI is the reference these tests compare against"),
]


@pytest.fixture(scope="module")
def archives(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = Path(os.environ.get("AGENTDECK_REVIEW_CORPUS", "")) if os.environ.get("AGENTDECK_REVIEW_CORPUS") else None
    if folder is None or not folder.is_dir():
        folder = tmp_path_factory.mktemp("corpus")
    found: dict[str, Path] = {}
    for release in RELEASES:
        archive = folder / f"requests-{release}.tar.gz"
        if not archive.exists():
            fetched = subprocess.run(
                [sys.executable, "-m", "pip", "download", "--no-deps", "--no-binary", ":all:", "-q", "-d", str(folder), f"requests=={release}"],
                capture_output=True,
                text=True,
                timeout=300,
            )
            if fetched.returncode != 0 or not archive.exists():
                pytest.skip(f"requests {release} could not be downloaded from the package index: {fetched.stderr.strip()[-300:]}")
        found[release] = archive
    return found


def unpack_release(archive: Path, destination: Path) -> None:
    """Replace everything in *destination* except ``.git`` with the release's files."""
    for entry in destination.iterdir():
        if entry.name == ".git":
            continue
        if entry.is_dir() and not entry.is_symlink():
            shutil.rmtree(entry)
        else:
            entry.unlink()
    with tarfile.open(archive) as bundle:
        prefix = bundle.getnames()[0].split("/")[0] + "/"
        for member in bundle.getmembers():
            if not member.name.startswith(prefix) or not (member.isfile() or member.isdir()):
                continue
            member.name = member.name[len(prefix) :]
            if member.name:
                bundle.extract(member, destination, filter="data")


@pytest.fixture
def history(tmp_path: Path, archives: dict[str, Path]) -> tuple[Path, Path]:
    """A repository whose main holds the first release, and a task worktree ready for the next ones."""
    repo = tmp_path / "requests"
    repo.mkdir()
    git(repo, "init", "-q", "-b", "main")
    git(repo, "config", "user.name", "Test Author")
    git(repo, "config", "user.email", "author@example.com")
    unpack_release(archives[RELEASES[0]], repo)
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", f"requests {RELEASES[0]}")
    worktree = tmp_path / "requests.worktrees" / "task"
    git(repo, "worktree", "add", "-q", "-b", BRANCH, str(worktree))
    return repo, worktree


def test_release_history_matches_git(history: tuple[Path, Path], archives: dict[str, Path], tmp_path: Path) -> None:
    repo, worktree = history
    compared = 0
    for previous, release in zip(RELEASES, RELEASES[1:]):
        # Uncommitted first: the release sits in the worktree as an agent would leave it.
        unpack_release(archives[release], worktree)
        review = compute_review(worktree, BRANCH, "main")
        expected = git_reference(worktree, review.merge_base, snapshot_tree(worktree, tmp_path))
        assert review_as_git(review) == expected, f"{previous} -> {release}, uncommitted"
        compared += len(expected)

        # Then committed, with main moved up to the previous release, so the
        # merge-base is that release and the diff is exactly one step.
        git(worktree, "add", "-A")
        git(worktree, "commit", "-q", "-m", f"requests {release}")
        review = compute_review(worktree, BRANCH, "main")
        expected = git_reference(worktree, review.merge_base, snapshot_tree(worktree, tmp_path))
        assert review_as_git(review) == expected, f"{previous} -> {release}, committed"
        assert review.added == sum(int(added) for _, added, _ in expected.values() if added != "-")
        compared += len(expected)
        git(repo, "merge", "-q", "--ff-only", BRANCH)

    statuses = {letter for letter, _, _ in expected.values()}
    assert compared > 100
    assert statuses


def test_whole_span_matches_git(history: tuple[Path, Path], archives: dict[str, Path], tmp_path: Path) -> None:
    _, worktree = history
    for release in RELEASES[1:]:
        unpack_release(archives[release], worktree)
        git(worktree, "add", "-A")
        git(worktree, "commit", "-q", "-m", f"requests {release}")

    review = compute_review(worktree, BRANCH, "main")
    expected = git_reference(worktree, review.merge_base, snapshot_tree(worktree, tmp_path))
    whitespace = compute_review(worktree, BRANCH, "main", ignore_whitespace=True)
    expected_whitespace = git_reference(worktree, review.merge_base, snapshot_tree(worktree, tmp_path), "-w")

    assert review_as_git(review) == expected
    assert review_as_git(whitespace) == expected_whitespace
    assert {letter for letter, _, _ in expected.values()} >= {"A", "D", "M"}
