"""The deck's merge queue methods: order, re-queue, strategy, check, records, tidying and sending conflicts to the agent."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from agentdeck.config import load_config
from agentdeck.deck import Deck
from agentdeck.errors import ConfigError, TaskError
from agentdeck.landings import read_records
from agentdeck.repository import find_repository
from agentdeck.tasks import EntryState
from tests.conftest import git, run_demo_task, screen_text, wait_for


def open_deck(repo_path: Path, extra: dict | None = None) -> Deck:
    return Deck(find_repository(repo_path), load_config(repo_path, extra))


@pytest.mark.slow
def test_send_conflict_reaches_agent(demo_repo):
    deck = open_deck(demo_repo)
    try:
        first = run_demo_task(deck, "Say hello", "replace 'hi' with 'hello' in greet.py")
        second = run_demo_task(deck, "Say hey", "replace 'hi' with 'hey' in greet.py")
        deck.approve(first.id)
        entry = deck.approve(second.id).entry
        deck.land_queue()
        assert entry.state is EntryState.CONFLICT

        text = deck.send_conflict_to_agent(entry.id)

        assert "- greet.py (content conflict)" in text
        # The terminal wraps long lines mid-word, so the text is compared without whitespace.
        expected_text = "".join("resolve the conflicts in exactly these files".split())
        wait_for(lambda: expected_text in "".join(screen_text(deck, second.id).split()))
        with pytest.raises(TaskError, match="no conflicts to send"):
            deck.send_conflict_to_agent(deck.state.queue[0].id)

        deck.stop_session(second.id)
        with pytest.raises(TaskError, match="not running"):
            deck.send_conflict_to_agent(entry.id)
    finally:
        deck.shutdown()


@pytest.mark.slow
def test_order_strategy_and_requeue(demo_repo, repo):
    deck = open_deck(demo_repo)
    try:
        first = run_demo_task(deck, "Say hello", "replace 'hi' with 'hello' in greet.py")
        second = run_demo_task(deck, "Say hey", "replace 'hi' with 'hey' in greet.py")
        one = deck.approve(first.id).entry
        two = deck.approve(second.id).entry

        deck.move_entry(two.id, -1)
        assert [row.entry_id for row in deck.queue_rows()] == [two.id, one.id]
        deck.move_entry(two.id, -5)
        assert [row.entry_id for row in deck.queue_rows()] == [two.id, one.id]
        deck.set_strategy(two.id, "squash")
        with pytest.raises(TaskError, match="invalid"):
            deck.set_strategy(two.id, "octopus")
        with pytest.raises(TaskError, match="only a conflict or failed entry"):
            deck.requeue_entry(two.id)

        deck.land_queue()

        assert two.state is EntryState.LANDED
        assert one.state is EntryState.CONFLICT
        assert len(repo.revparse_single("main").parents) == 1
        assert "hey" in (demo_repo / "greet.py").read_text()
        with pytest.raises(TaskError, match="can no longer change"):
            deck.set_strategy(two.id, "merge")

        deck.requeue_entry(one.id)
        assert one.state is EntryState.QUEUED
        assert one.conflicts == []
        reopened = open_deck(demo_repo)
        assert [row.strategy for row in reopened.queue_rows()] == ["squash", "merge"]
    finally:
        deck.shutdown()


@pytest.mark.slow
def test_check_and_record_through_deck(demo_repo, repo):
    check = [sys.executable, "-c", "import pathlib; assert 'hello' in pathlib.Path('greet.py').read_text()"]
    deck = open_deck(demo_repo, {"check": check, "check_timeout": "2m"})
    try:
        task = run_demo_task(deck, "Say hello", "replace 'hi' with 'hello' in greet.py")
        entry = deck.approve(task.id).entry

        outcomes = deck.land_queue()

        assert outcomes[0].state is EntryState.LANDED, outcomes[0].message
        records = read_records(deck.repository.state_dir)
        assert [(record.task_id, record.check, record.branch) for record in records] == [(task.id, "passed", task.branch)]
        assert records[0].new_tip == str(repo.revparse_single("main").id)
        assert Path(entry.check_log).is_file()
        assert Path(entry.check_log).parent == deck.repository.state_dir / "logs"
        assert deck.queue_rows()[0].log_path == entry.check_log
    finally:
        deck.shutdown()


@pytest.mark.slow
def test_remove_after_landing_keeps_unmerged_branch(demo_repo, repo):
    deck = open_deck(demo_repo, {"remove_after_landing": True})
    try:
        merged = run_demo_task(deck, "Say hello", 'append "# hello" to greet.py')
        squashed = run_demo_task(deck, "Write docs", 'create docs.md with "# Docs"')
        deck.approve(merged.id)
        deck.set_strategy(deck.approve(squashed.id).entry.id, "squash")

        deck.land_queue()

        assert not Path(merged.worktree).exists()
        assert merged.branch not in repo.branches.local
        # A squash leaves the task's own commits off main, so its branch stays.
        assert not Path(squashed.worktree).exists()
        assert squashed.branch in repo.branches.local
        assert git(demo_repo, "status", "--porcelain") == ""
    finally:
        deck.shutdown()


def test_keep_after_landing_by_default(demo_repo, repo):
    deck = open_deck(demo_repo)
    assert deck.config.remove_after_landing is False
    assert deck.config.check_timeout == 15 * 60


@pytest.mark.parametrize(
    ("value", "message"),
    [("15", "is not a duration"), (15, "must be a duration string"), ("0m", "longer than zero"), ("1h 2m", "is not a duration")],
)
def test_check_timeout_rejects_bad_values(repo_path, value, message):
    with pytest.raises(ConfigError, match=message):
        load_config(repo_path, {"check_timeout": value})


@pytest.mark.parametrize(("value", "seconds"), [("15m", 900), ("90s", 90), ("1h30m", 5400), ("2h", 7200)])
def test_check_timeout_parses_durations(repo_path, value, seconds):
    assert load_config(repo_path, {"check_timeout": value}).check_timeout == seconds


def test_remove_after_landing_must_be_bool(repo_path):
    with pytest.raises(ConfigError, match="true or false"):
        load_config(repo_path, {"remove_after_landing": "yes"})
