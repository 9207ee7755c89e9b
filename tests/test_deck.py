"""The deck without UI: tasks with the demo agent, approval, landing, conflicts and a dirty main checkout."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pygit2
import pytest

from agentdeck import review as review_module
from agentdeck.config import load_config
from agentdeck.deck import Deck
from agentdeck.errors import TaskError
from agentdeck.repository import find_repository
from agentdeck.tasks import EntryState, SessionStatus
from tests.conftest import git, run_demo_task, screen_text, wait_for


def test_task_gets_branch_worktree_and_session(deck, repo_path):
    task = deck.create_task("Add a farewell", 'append "# bye" to greet.py')

    assert task.branch == "agentdeck/add-a-farewell"
    assert Path(task.worktree) == repo_path.parent / "project.worktrees" / "add-a-farewell"
    assert git(Path(task.worktree), "rev-parse", "--abbrev-ref", "HEAD").strip() == task.branch
    wait_for(lambda: "[y/n]" in screen_text(deck, task.id))
    deck.refresh_statuses()
    assert deck.task(task.id).status is SessionStatus.WAITING


def test_two_tasks_land_on_main(deck, repo, repo_path):
    first = run_demo_task(deck, "Add a farewell", 'append "# farewell" to greet.py')
    second = run_demo_task(deck, "Write usage docs", 'create docs/usage.md with "# Usage"')

    review = deck.review(first.id)
    assert [change.path for change in review.files] == ["greet.py"]
    assert (review.added, review.removed) == (1, 0)

    for task in (first, second):
        result = deck.approve(task.id)
        assert result.commit is not None
        assert not result.hooks_skipped
    assert git(Path(first.worktree), "status", "--porcelain") == ""

    outcomes = deck.land_queue()

    assert [outcome.state for outcome in outcomes] == [EntryState.LANDED, EntryState.LANDED]
    assert (repo_path / "greet.py").read_text() == "def greet():\n    return 'hi'\n# farewell\n"
    assert (repo_path / "docs" / "usage.md").read_text() == "# Usage\n"
    assert git(repo_path, "status", "--porcelain") == ""
    assert git(repo_path, "fsck", "--strict") == ""
    head = repo.revparse_single("main")
    assert len(head.parents) == 2


def test_conflict_parks_second_and_leaves_main(deck, repo, repo_path):
    first = run_demo_task(deck, "Say hello", "replace 'hi' with 'hello' in greet.py")
    second = run_demo_task(deck, "Say hey", "replace 'hi' with 'hey' in greet.py")
    deck.approve(first.id)
    deck.approve(second.id)

    outcomes = deck.land_queue()

    assert [outcome.state for outcome in outcomes] == [EntryState.LANDED, EntryState.CONFLICT]
    landed_tip = repo.revparse_single("main").id
    assert [conflict.path for conflict in outcomes[1].conflicts] == ["greet.py"]
    assert "hello" in (repo_path / "greet.py").read_text()
    assert deck.state.queue[1].state is EntryState.CONFLICT
    assert repo.revparse_single("main").id == landed_tip


def test_dirty_main_checkout_refuses_then_lands_unrelated(deck, repo, repo_path):
    task = run_demo_task(deck, "Add a farewell", 'append "# farewell" to greet.py')
    deck.approve(task.id)
    before = repo.revparse_single("main").id
    (repo_path / "greet.py").write_text("user's own edit\n")

    refused = deck.land_queue()

    assert refused[0].state is not EntryState.LANDED
    assert "greet.py" in refused[0].message
    assert (repo_path / "greet.py").read_text() == "user's own edit\n"
    assert repo.revparse_single("main").id == before

    (repo_path / "greet.py").write_text("def greet():\n    return 'hi'\n")
    (repo_path / "README.md").write_text("# project\nuser notes\n")
    deck.approve(task.id)
    landed = deck.land_queue()

    assert landed[0].state is EntryState.LANDED
    assert (repo_path / "README.md").read_text() == "# project\nuser notes\n"
    assert (repo_path / "greet.py").read_text().endswith("# farewell\n")
    assert git(repo_path, "status", "--porcelain") == " M README.md\n"


def test_state_survives_reopen(deck, repo_path):
    task = run_demo_task(deck, "Add a farewell", 'append "# farewell" to greet.py')
    deck.approve(task.id)
    deck.shutdown()

    reopened = Deck(find_repository(repo_path), load_config(repo_path))

    assert [item.title for item in reopened.tasks] == ["Add a farewell"]
    assert reopened.tasks[0].status is SessionStatus.STOPPED
    assert [row.state for row in reopened.queue_rows()] == [EntryState.QUEUED]


def test_delete_refuses_unlanded_work(deck, repo):
    task = run_demo_task(deck, "Add a farewell", 'append "# farewell" to greet.py')

    with pytest.raises(TaskError, match="uncommitted change"):
        deck.delete_task(task.id)
    assert Path(task.worktree).exists()

    deck.approve(task.id)
    with pytest.raises(TaskError, match="not on main"):
        deck.delete_task(task.id)

    deck.delete_task(task.id, force=True)
    assert not Path(task.worktree).exists()
    assert task.branch in repo.branches.local  # unlanded commits are kept on the branch
    assert deck.tasks == []


def test_delete_after_landing_removes_branch(deck, repo):
    task = run_demo_task(deck, "Add a farewell", 'append "# farewell" to greet.py')
    deck.approve(task.id)
    deck.land_queue()

    deck.delete_task(task.id)

    assert task.branch not in repo.branches.local
    assert not Path(task.worktree).exists()


def test_empty_title_and_prompt_rejected(deck):
    with pytest.raises(TaskError, match="title or a prompt"):
        deck.create_task("  ", "\n")


def test_unknown_agent_rejected_before_any_branch(deck, repo):
    branches = set(repo.branches.local)
    with pytest.raises(Exception, match="unknown agent 'nope'"):
        deck.create_task("x", "y", agent="nope")
    assert set(pygit2.Repository(repo.workdir).branches.local) == branches


def test_no_orphans_after_shutdown(deck):
    task = deck.create_task("Long", 'append "x" to greet.py')
    pid = deck.session(task.id).pid
    deck.shutdown()
    assert subprocess.run(["kill", "-0", str(pid)], capture_output=True).returncode != 0


def test_line_counts_cache_selected_review(deck):
    first = deck.create_task("First", "say one")
    second = deck.create_task("Second", "say two")
    for task, text in ((first, "one\n"), (second, "two\nlines\n")):
        (Path(task.worktree) / "notes.txt").write_text(text)

    deck.refresh_diff_stats(selected=second.id)

    assert (deck.task(first.id).added, deck.task(second.id).added) == (1, 2)
    cached = review_module._reviews  # the reviews compute_review reuses while their worktree is unchanged
    assert (second.worktree, second.branch, second.base_branch, False) in cached
    assert (first.worktree, first.branch, first.base_branch, False) not in cached
    review = deck.review(second.id, lazy_hunks=True)
    assert review.fingerprint == cached[(second.worktree, second.branch, second.base_branch, False)].fingerprint
    assert [change.path for change in review.files] == ["notes.txt"]
