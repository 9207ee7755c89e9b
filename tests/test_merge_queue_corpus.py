"""A corpus of merges built from real released sources, each verdict compared with git's.

The released source archives of two public packages are fetched from the
package index with `pip download` (the only network the tests use). Each
version becomes one commit. For every three versions a < b < c of a package,
b and c each branch from a, and the queue lands c onto b three ways: whole
versions, each side's changes limited to half of the files (so many merges are
clean), and with the sides swapped. agentdeck's verdict (clean or conflict)
and its set of conflicting paths must equal what `git merge-tree --write-tree`
reports for the same two commits.
"""

from __future__ import annotations

import concurrent.futures
import itertools
import subprocess
import sys
import tarfile
from pathlib import Path

import pygit2
import pytest

from agentdeck.merge_queue import LandRequest, land_entry
from agentdeck.tasks import EntryState, QueueEntry
from tests.test_merge_queue import SIGNATURE

VERSIONS = {
    "packaging": ["20.9", "21.0", "21.3", "22.0", "23.0", "23.2", "24.0"],
    "tomli": ["1.0.0", "1.1.0", "1.2.0", "1.2.3", "2.0.0", "2.0.1"],
}


def download(folder: Path, package: str, version: str) -> Path | None:
    result = subprocess.run(
        [sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", "--no-binary", ":all:",
         f"{package}=={version}", "--dest", str(folder)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    found = sorted(folder.glob(f"{package}-{version}.tar.gz"))
    return found[0] if result.returncode == 0 and found else None


@pytest.fixture(scope="module")
def archives(tmp_path_factory) -> dict[str, list[Path]]:
    folder = tmp_path_factory.mktemp("sdists")
    jobs = [(package, version) for package, versions in VERSIONS.items() for version in versions]
    with concurrent.futures.ThreadPoolExecutor(max_workers=8) as pool:
        paths = list(pool.map(lambda job: download(folder, *job), jobs))
    missing = [f"{package}=={version}" for (package, version), path in zip(jobs, paths) if path is None]
    if missing:
        pytest.skip(f"pip download failed for {', '.join(missing)}; the corpus needs the package index")
    grouped: dict[str, list[Path]] = {package: [] for package in VERSIONS}
    for (package, _version), path in zip(jobs, paths):
        grouped[package].append(path)
    return grouped


def read_archive(path: Path) -> dict[str, tuple[bytes, int]]:
    """Return every regular file of a source archive without its top folder, with its git file mode."""
    files: dict[str, tuple[bytes, int]] = {}
    with tarfile.open(path) as archive:
        for member in archive.getmembers():
            if not member.isfile() or "/" not in member.name:
                continue
            name = member.name.split("/", 1)[1]
            mode = pygit2.enums.FileMode.BLOB_EXECUTABLE if member.mode & 0o111 else pygit2.enums.FileMode.BLOB
            files[name] = (archive.extractfile(member).read(), mode)
    return files


def write_commit(repo: pygit2.Repository, files: dict[str, tuple[bytes, int]], parents: list[pygit2.Oid], message: str) -> pygit2.Oid:
    index = pygit2.Index()
    for name, (data, mode) in files.items():
        index.add(pygit2.IndexEntry(name, repo.create_blob(data), mode))
    return repo.create_commit(None, SIGNATURE, SIGNATURE, message, index.write_tree(repo), parents)


def limited(base: dict, side: dict, keep: set[str]) -> dict:
    """Return *base* with *side*'s changes applied only to the paths in *keep*."""
    result = {name: value for name, value in base.items() if name not in keep}
    result.update({name: value for name, value in side.items() if name in keep})
    return result


def git_verdict(root: Path, ours: str, theirs: str) -> tuple[bool, set[str]]:
    result = subprocess.run(
        ["git", "merge-tree", "--write-tree", "--name-only", "--no-messages", ours, theirs],
        cwd=root,
        capture_output=True,
        text=True,
    )
    assert result.returncode in (0, 1), result.stderr
    lines = result.stdout.splitlines()
    return result.returncode == 0, {line for line in lines[1:] if line}


@pytest.mark.slow
@pytest.mark.parametrize("package", sorted(VERSIONS))
def test_corpus_matches_git(tmp_path: Path, archives: dict[str, list[Path]], package: str) -> None:
    repo = pygit2.init_repository(str(tmp_path / "corpus"), bare=False, initial_head="main")
    root = Path(repo.workdir)
    trees = [read_archive(path) for path in archives[package]]
    compared = clean = 0
    mismatches: list[str] = []

    for a, b, c in itertools.combinations(range(len(trees)), 3):
        ancestor = write_commit(repo, trees[a], [], f"{package} {a}")
        paths = sorted(set(trees[a]) | set(trees[b]) | set(trees[c]))
        first_half = set(paths[: len(paths) // 2])
        second_half = set(paths) - first_half
        variants = {
            "whole": (trees[b], trees[c]),
            "halves": (limited(trees[a], trees[b], first_half), limited(trees[a], trees[c], second_half)),
            "swapped": (trees[c], trees[b]),
        }
        for variant, (ours_files, theirs_files) in variants.items():
            name = f"{a}-{b}-{c}-{variant}"
            base_branch, task_branch = f"base/{name}", f"task/{name}"
            repo.references.create(f"refs/heads/{base_branch}", write_commit(repo, ours_files, [ancestor], "ours"))
            repo.references.create(f"refs/heads/{task_branch}", write_commit(repo, theirs_files, [ancestor], "theirs"))
            git_clean, git_paths = git_verdict(root, base_branch, task_branch)

            outcome = land_entry(root, QueueEntry(task_id=name, base_branch=base_branch), LandRequest(task_branch, name))

            ours_clean = outcome.state == EntryState.LANDED
            ours_paths = {conflict.path for conflict in outcome.conflicts}
            assert outcome.state in (EntryState.LANDED, EntryState.CONFLICT), f"{name}: {outcome.message}"
            if (ours_clean, ours_paths) != (git_clean, git_paths):
                mismatches.append(
                    f"{name}: clean agentdeck={ours_clean} git={git_clean}; only agentdeck lists "
                    f"{sorted(ours_paths - git_paths)}, only git lists {sorted(git_paths - ours_paths)}"
                )
            compared += 1
            clean += git_clean

    assert mismatches == []
    # The corpus must hold both verdicts, or it would not test the comparison.
    assert 0 < clean < compared
