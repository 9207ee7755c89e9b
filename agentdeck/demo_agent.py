"""A small stand-in for a coding agent, used by ``agentdeck demo`` and the tests.

It needs no model and no network. Like a real agent it prints progress with
colours, plans edits from its prompt, asks one yes/no question before writing,
edits files in its working directory, then waits at its prompt for more
instructions. Each instruction is one line in one of these forms:

    append TEXT to PATH
    create PATH with TEXT
    replace OLD with NEW in PATH

Anything else is written as a note to ``NOTES.md``. ``exit`` ends the agent.
A bracketed paste of several lines, as agentdeck sends review comments and
conflict prompts, is one prompt: each line is an instruction, and the lines
that are notes make one note.
"""

from __future__ import annotations

import re
import sys
import termios
import time
from dataclasses import dataclass
from pathlib import Path

BOLD = "\x1b[1m"
DIM = "\x1b[2m"
GREEN = "\x1b[32m"
CYAN = "\x1b[36m"
YELLOW = "\x1b[33m"
RESET = "\x1b[0m"

STEP_DELAY = 0.3

PASTE_START = "\x1b[200~"
PASTE_END = "\x1b[201~"

_APPEND = re.compile(r"^append\s+(?P<text>.+?)\s+to\s+(?P<path>\S+)$", re.IGNORECASE)
_CREATE = re.compile(r"^create\s+(?P<path>\S+)\s+with\s+(?P<text>.+)$", re.IGNORECASE)
_REPLACE = re.compile(r"^replace\s+(?P<old>.+?)\s+with\s+(?P<new>.+?)\s+in\s+(?P<path>\S+)$", re.IGNORECASE)


@dataclass
class Edit:
    """One planned change to one file."""

    path: Path
    describe: str
    new_content: str


def _unquote(text: str) -> str:
    text = text.strip()
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "\"'":
        return text[1:-1]
    return text


def plan(instruction: str, root: Path) -> Edit:
    """Turn one instruction line into an edit of a file under *root*."""
    line = instruction.strip()
    if match := _APPEND.match(line):
        path = root / match["path"]
        old = path.read_text(encoding="utf-8") if path.exists() else ""
        if old and not old.endswith("\n"):
            old += "\n"
        return Edit(path, f"append a line to {match['path']}", old + _unquote(match["text"]) + "\n")
    if match := _CREATE.match(line):
        return Edit(root / match["path"], f"create {match['path']}", _unquote(match["text"]) + "\n")
    if match := _REPLACE.match(line):
        path = root / match["path"]
        old = path.read_text(encoding="utf-8") if path.exists() else ""
        new = old.replace(_unquote(match["old"]), _unquote(match["new"]))
        return Edit(path, f"replace text in {match['path']}", new)
    notes = root / "NOTES.md"
    old = notes.read_text(encoding="utf-8") if notes.exists() else "# Notes\n\n"
    return Edit(notes, "write a note to NOTES.md", old + f"- {line}\n")


def say(text: str = "", delay: float = 0.0) -> None:
    sys.stdout.write(text + "\r\n")
    sys.stdout.flush()
    if delay:
        time.sleep(delay)


def ask_yes_no(question: str) -> bool:
    """Print *question* with a ``[y/n]`` suffix and read one answer line."""
    while True:
        sys.stdout.write(f"{YELLOW}?{RESET} {question} [y/n] ")
        sys.stdout.flush()
        answer = sys.stdin.readline()
        if not answer:
            return False
        answer = answer.strip().lower()
        if answer in ("y", "yes"):
            return True
        if answer in ("n", "no"):
            return False


def run_turn(prompt: str, root: Path) -> None:
    """Carry out one prompt: plan, ask, edit, report."""
    instructions = [line for line in prompt.splitlines() if line.strip()]
    say(f"{CYAN}●{RESET} {BOLD}Reading the project{RESET} {DIM}in {root.name}{RESET}", STEP_DELAY)
    files = sorted(path.name for path in root.iterdir() if not path.name.startswith("."))
    say(f"  {DIM}found {len(files)} entries: {', '.join(files[:6])}{RESET}", STEP_DELAY)
    edits: list[Edit] = []
    notes: list[str] = []
    for line in instructions:
        edit = plan(line, root)
        if edit.path == root / "NOTES.md" and edit.describe.startswith("write a note"):
            notes.append(line.strip())
        else:
            edits.append(edit)
    if notes:
        # One edit for all note lines, so each does not overwrite the one before.
        path = root / "NOTES.md"
        old = path.read_text(encoding="utf-8") if path.exists() else "# Notes\n\n"
        edits.append(Edit(path, f"write {len(notes)} note line(s) to NOTES.md", old + "".join(f"- {note}\n" for note in notes)))
    say(f"{CYAN}●{RESET} {BOLD}Planned {len(edits)} edit(s){RESET}", STEP_DELAY)
    for edit in edits:
        say(f"  - {edit.describe}")
    if not edits:
        say(f"{GREEN}✓{RESET} Nothing to do.")
        return
    if not ask_yes_no(f"Apply {len(edits)} edit(s)?"):
        say(f"{YELLOW}✗{RESET} Skipped; nothing was written.")
        return
    for edit in edits:
        edit.path.parent.mkdir(parents=True, exist_ok=True)
        edit.path.write_text(edit.new_content, encoding="utf-8")
        say(f"  {GREEN}✓{RESET} {edit.describe}", STEP_DELAY)
    say(f"{GREEN}●{RESET} {BOLD}Done.{RESET} Review the changes, or type another instruction.")


def read_prompt() -> str | None:
    """Read one prompt from the terminal: a line, or a whole bracketed paste; None at end of input."""
    text = sys.stdin.readline()
    if not text or PASTE_START not in text:
        return text or None
    while PASTE_END not in text:
        more = sys.stdin.readline()
        if not more:
            break
        text += more
    return text.replace(PASTE_START, "").replace(PASTE_END, "")


def _echo_control_characters_raw() -> None:
    # The terminal echoes typed input. Echoed raw, the paste brackets are
    # escape sequences the pane ignores, instead of a visible "^[[200~".
    try:
        attributes = termios.tcgetattr(sys.stdin.fileno())
    except (termios.error, OSError, ValueError):
        return
    attributes[3] &= ~termios.ECHOCTL
    termios.tcsetattr(sys.stdin.fileno(), termios.TCSANOW, attributes)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    root = Path.cwd()
    _echo_control_characters_raw()
    # Bracketed paste on: a pasted prompt of several lines arrives as one.
    sys.stdout.write("\x1b[?2004h")
    say(f"{BOLD}demo agent{RESET} {DIM}(no model, no network){RESET}")
    if argv and argv[0].strip():
        say(f"{DIM}> {argv[0].splitlines()[0]}{RESET}")
        run_turn(argv[0], root)
    while True:
        sys.stdout.write(f"{BOLD}›{RESET} ")
        sys.stdout.flush()
        prompt = read_prompt()
        if prompt is None or prompt.strip() == "exit":
            say("bye")
            return 0
        if prompt.strip():
            run_turn(prompt, root)


if __name__ == "__main__":
    raise SystemExit(main())
