"""Slugs made from hard titles are valid branch names and distinct folders."""

from __future__ import annotations

import pygit2
import pytest

from agentdeck.slugs import MAX_SLUG_LENGTH, is_valid_branch_name, slugify
from agentdeck.worktrees import create_task_checkout

HARD_TITLES = [
    "Fix the login bug",
    "feature/add-login",
    "a/b/c",
    "v1.2.3 release",
    "..",
    "../../etc/passwd",
    "-rf --no-preserve-root",
    "--help",
    "config.lock",
    "refs.lock",
    "name.lock.",
    "$(rm -rf ~) `whoami` ; | & > < * ? [ ] { } ~ ^ : \\",
    "@{upstream}",
    "HEAD",
    "这是一个汉语句子",
    "修复登录错误",
    "Привет мир",
    "Crème brûlée à la carte",
    "日本語のタイトル",
    "🚀🔥",
    "",
    "   ",
    "---",
    "x" * 300,
    "My Task",
    "MyTask",
    "my task",
    "My  Task",
]


@pytest.mark.parametrize("title", HARD_TITLES)
def test_slug_is_valid_branch(title):
    slug = slugify(title)
    assert slug
    assert len(slug) <= MAX_SLUG_LENGTH
    assert is_valid_branch_name(f"agentdeck/{slug}")
    assert not slug.startswith("-")
    assert not slug.endswith(".lock")
    assert "/" not in slug
    assert ".." not in slug
    assert slug.isascii()


def test_slug_keeps_words_of_scripts():
    assert slugify("这是一个汉语句子") == "zhe-shi-yi-ge-han-yu-ju-zi"
    assert slugify("Привет мир") == "privet-mir"
    assert slugify("Crème brûlée") == "creme-brulee"


def test_slug_falls_back_when_nothing_usable():
    assert slugify("") == "task"
    assert slugify("!!!") == "task"


def test_slug_cuts_long_titles_at_a_word():
    slug = slugify("refactor " * 20)
    assert len(slug) <= MAX_SLUG_LENGTH
    assert not slug.endswith("-")
    assert slug.startswith("refactor-refactor")


def test_all_hard_titles_get_distinct_branches_and_folders(repo, repo_path):
    worktree_root = repo_path.parent / "project.worktrees"
    made = [create_task_checkout(repo, title, "main", "agentdeck/", worktree_root) for title in HARD_TITLES]

    branches = [item.branch for item in made]
    folders = [item.path for item in made]
    assert len(set(branches)) == len(HARD_TITLES)
    assert len({str(path).casefold() for path in folders}) == len(HARD_TITLES)
    for item in made:
        assert pygit2.reference_is_valid_name(f"refs/heads/{item.branch}")
        assert item.path.parent == worktree_root
        assert (item.path / ".git").is_file()
        assert (item.path / "README.md").read_text() == "# project\n"
        assert repo.branches.local[item.branch].target == repo.branches.local["main"].target


def test_slug_avoids_existing_branch_and_folder(repo, repo_path):
    worktree_root = repo_path.parent / "project.worktrees"
    repo.branches.local.create("agentdeck/fix-it", repo.head.peel(pygit2.Commit))
    (worktree_root / "fix-it-2").mkdir(parents=True)

    made = create_task_checkout(repo, "Fix it", "main", "agentdeck/", worktree_root)

    assert made.slug == "fix-it-3"
    assert made.branch == "agentdeck/fix-it-3"


def test_slug_avoids_branch_differing_in_case(repo, repo_path):
    repo.branches.local.create("agentdeck/Fix-It", repo.head.peel(pygit2.Commit))

    made = create_task_checkout(repo, "fix it", "main", "agentdeck/", repo_path.parent / "wt")

    assert made.branch == "agentdeck/fix-it-2"


def test_slug_avoids_nested_ref_clash(repo, repo_path):
    # A branch `agentdeck/x` exists as a file, so `agentdeck/x/...` cannot; and the reverse.
    repo.branches.local.create("agentdeck/api/v2", repo.head.peel(pygit2.Commit))

    made = create_task_checkout(repo, "api", "main", "agentdeck/", repo_path.parent / "wt")

    assert made.branch == "agentdeck/api-2"
