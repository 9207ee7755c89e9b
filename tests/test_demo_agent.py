"""The demo agent takes a pasted prompt of several lines as one turn, as agentdeck sends review comments."""

from __future__ import annotations

from pathlib import Path

from tests.conftest import run_demo_task, screen_text, wait_for

FOLLOW_UP = "Please address these review comments:\ngreet.py line 2: say hello\nappend '# reviewed' to greet.py\n"


def test_pasted_prompt_is_one_turn(deck) -> None:
    task = run_demo_task(deck, "Greet", "append '# first' to greet.py")
    session = deck.session(task.id)
    session.send_prompt(FOLLOW_UP)
    wait_for(lambda: screen_text(deck, task.id).count("[y/n]") == 2)
    text = screen_text(deck, task.id)
    assert "Planned 2 edit(s)" in text
    assert "write 2 note line(s) to NOTES.md" in text
    # The paste brackets are not echoed as text.
    assert "[200~" not in text
    assert "[201~" not in text
    session.write(b"y\r")
    wait_for(lambda: screen_text(deck, task.id).count("Done.") == 2)
    worktree = Path(task.worktree)
    notes = (worktree / "NOTES.md").read_text()
    assert "- Please address these review comments:" in notes
    assert "- greet.py line 2: say hello" in notes
    assert (worktree / "greet.py").read_text().endswith("# first\n# reviewed\n")
