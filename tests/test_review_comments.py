"""Review comments: storage, the follow-up prompt, and sending it to a real agent process through a PTY."""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import pytest

from agentdeck.config import load_config
from agentdeck.deck import Deck
from agentdeck.errors import ReviewError
from agentdeck.repository import find_repository
from agentdeck.review_comments import ReviewComment, ReviewStore, format_prompt
from tests.conftest import commit_files, screen_text

# Turns on bracketed paste, reads raw input until the Enter that ends a
# prompt, and saves exactly the bytes it got.
CATCHER = """\
import os, sys, termios, tty
sys.stdout.write('\\x1b[?2004hready> ')
sys.stdout.flush()
fd = sys.stdin.fileno()
tty.setraw(fd)
data = b''
while not data.endswith(b'\\r'):
    data += os.read(fd, 4096)
open(sys.argv[1], 'wb').write(data)
sys.stdout.write('saved\\r\\n')
sys.stdout.flush()
os.read(fd, 1)
"""


def comment(path: str = "src/app.py", start: int = 3, end: int = 3, text: str = "Rename this.", side: str = "new") -> ReviewComment:
    return ReviewComment(path=path, side=side, start_line=start, end_line=end, quoted=("x = 1",) * (end - start + 1), text=text)


def wait_for(predicate, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.05)
    raise AssertionError(f"condition not met within {timeout}s")


def test_prompt_quotes_file_line_and_text() -> None:
    comments = [
        ReviewComment("src/app.py", "new", 12, 12, ("    return a + b",), "Use the helper."),
        ReviewComment("docs/release notes.md", "old", 3, 4, ("old one", "old two"), "Why remove these?\nKeep them."),
    ]

    prompt = format_prompt(comments, 2)

    assert prompt == (
        "Code review round 2 of your changes: 2 comments. Address each one, then say what you changed.\n"
        "\n"
        "1. src/app.py, line 12:\n"
        "    >     return a + b\n"
        "   Use the helper.\n"
        "\n"
        "2. docs/release notes.md, lines 3-4 (removed):\n"
        "    > old one\n"
        "    > old two\n"
        "   Why remove these?\n"
        "   Keep them."
    )


def test_prompt_without_comments_rejected() -> None:
    with pytest.raises(ReviewError, match="no review comments"):
        format_prompt([], 1)


def test_store_round_trip(tmp_path: Path) -> None:
    store = ReviewStore(tmp_path / "state")
    first = comment(text="Über naïve 中文 🚀")
    second = comment(start=5, end=7)
    store.add_comment("task1", first)
    store.add_comment("task1", second)

    loaded = ReviewStore(tmp_path / "state").load("task1")

    assert loaded.pending == [first, second]
    assert (tmp_path / "state" / "reviews" / "task1.json").is_file()
    assert json.loads((tmp_path / "state" / "reviews" / "task1.json").read_text(encoding="utf-8"))["pending"][0]["text"] == "Über naïve 中文 🚀"


def test_round_moves_comments_out_of_pending(tmp_path: Path) -> None:
    store = ReviewStore(tmp_path)
    kept = comment(text="later")
    sent = comment(text="now")
    store.add_comment("task1", kept)
    store.add_comment("task1", sent)

    first = store.record_round("task1", [sent], "prompt one", sent_at=100.0)
    second = store.record_round("task1", [kept], "prompt two", sent_at=200.0)
    reviews = store.load("task1")

    assert (first.number, second.number) == (1, 2)
    assert reviews.pending == []
    assert [item.prompt for item in reviews.rounds] == ["prompt one", "prompt two"]
    assert reviews.rounds[0].comments == (sent,)


def test_remove_comment(tmp_path: Path) -> None:
    store = ReviewStore(tmp_path)
    first, second = comment(text="one"), comment(text="two")
    store.add_comment("task1", first)
    store.add_comment("task1", second)

    reviews = store.remove_comment("task1", first.id)

    assert reviews.pending == [second]
    assert store.load("task1").pending == [second]


def test_unknown_task_has_no_rounds(tmp_path: Path) -> None:
    reviews = ReviewStore(tmp_path).load("never")

    assert (reviews.pending, reviews.rounds) == ([], [])


def test_corrupt_file_named_in_error(tmp_path: Path) -> None:
    store = ReviewStore(tmp_path)
    store.path("task1").parent.mkdir(parents=True)
    store.path("task1").write_text("{not json")

    with pytest.raises(ReviewError, match="task1.json"):
        store.load("task1")


@pytest.fixture
def catcher_deck(repo, repo_path, tmp_path):
    script = tmp_path / "catcher.py"
    script.write_text(CATCHER)
    received = tmp_path / "received.bin"
    config = f'default_agent = "catcher"\n[agents.catcher]\ncommand = [{json.dumps(sys.executable)}, {json.dumps(str(script))}, {json.dumps(str(received))}, "{{prompt}}"]\n'
    commit_files(repo, {".agentdeck/config.toml": config}, "Add config")
    deck = Deck(find_repository(repo_path), load_config(repo_path))
    yield deck, received
    deck.shutdown()


@pytest.mark.slow
def test_comments_reach_agent_byte_exact(catcher_deck) -> None:
    deck, received = catcher_deck
    task = deck.create_task("Tidy the app", "tidy src/app.py")
    wait_for(lambda: "ready>" in screen_text(deck, task.id))
    deck.add_review_comment(task.id, comment(text='Quote "this" and $(that) `id` \\back\ttab'))
    deck.add_review_comment(task.id, ReviewComment("日本語.txt", "old", 1, 2, ("こんにちは", "\tindented"), "zweite Zeile: ünïcødé 🚀\n\nsecond paragraph"))
    pending = deck.review_comments(task.id).pending

    sent = deck.send_review_comments(task.id)
    wait_for(received.exists)

    expected = b"\x1b[200~" + format_prompt(pending, 1).encode("utf-8") + b"\x1b[201~\r"
    wait_for(lambda: received.read_bytes() == expected)
    assert sent.number == 1
    assert sent.prompt == format_prompt(pending, 1)
    assert deck.review_rounds(task.id) == [sent]
    assert deck.review_comments(task.id).pending == []


def test_send_without_running_agent_keeps_comments(repo, repo_path) -> None:
    commit_files(repo, {".agentdeck/config.toml": 'default_agent = "idle"\n[agents.idle]\ncommand = ["true", "{prompt}"]\n'}, "Add config")
    deck = Deck(find_repository(repo_path), load_config(repo_path))
    try:
        task = deck.create_task("Nothing", "nothing")
        deck.session(task.id).wait(10)
        deck.add_review_comment(task.id, comment())

        with pytest.raises(ReviewError, match="not running"):
            deck.send_review_comments(task.id)
        reviews = deck.review_comments(task.id)
    finally:
        deck.shutdown()

    assert len(reviews.pending) == 1
    assert reviews.rounds == []


def test_send_to_waiting_agent_keeps_comments(deck) -> None:
    # The demo agent stops at "Apply 1 edit(s)? [y/n]", a question on its screen.
    task = deck.create_task("Ask first", "say hi")
    wait_for(lambda: "[y/n]" in screen_text(deck, task.id))
    deck.add_review_comment(task.id, comment(text="y\rplease"))
    before = screen_text(deck, task.id)

    with pytest.raises(ReviewError, match="waiting for input"):
        deck.send_review_comments(task.id)

    reviews = deck.review_comments(task.id)
    assert len(reviews.pending) == 1
    assert reviews.rounds == []
    assert screen_text(deck, task.id) == before
