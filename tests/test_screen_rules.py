"""Screen rules on recorded and reconstructed agent screens, one per status case."""

from __future__ import annotations

from pathlib import Path

import pytest

from agentdeck.agents import BUILTIN_AGENTS
from agentdeck.screen_rules import CLAUDE_RULES, CODEX_RULES, GENERIC_RULES, read_screen
from agentdeck.tasks import SessionStatus

FIXTURES = Path(__file__).parent / "fixtures" / "screens"

CLAUDE_BUSY_BARE = """\
❯ Create hello.txt, then create ran.txt with a shell command.

· Roosting…

────────────────────────────────────────
❯
────────────────────────────────────────
"""

CLAUDE_TURN_SUMMARY = """\
● Created hello.txt and ran the command.

✻ Churned for 0s

────────────────────────────────────────
❯
────────────────────────────────────────
"""

CLAUDE_BUSY = """\
> Refactor parse_args into its own module

⏺ Reading cli.py

✳ Refactoring parse_args… (2m 18s · ↓ 4.8k tokens)

╭──────────────────────────────────────────────────────────────╮
│ ❯                                                            │
╰──────────────────────────────────────────────────────────────╯
  ? for shortcuts
"""

CLAUDE_PERMISSION = """\
⏺ Bash(rm -rf build && make)
╭──────────────────────────────────────────────────────────────╮
│ Bash command                                                 │
│                                                              │
│   rm -rf build && make                                       │
│   Rebuild from scratch                                       │
│                                                              │
│ Do you want to proceed?                                      │
│ ❯ 1. Yes                                                     │
│   2. Yes, and don't ask again for this command               │
│   3. No, and tell Claude what to do differently (esc)        │
╰──────────────────────────────────────────────────────────────╯
"""

CLAUDE_TRUST = """\
╭──────────────────────────────────────────────────────────────╮
│ Do you trust the files in this folder?                       │
│                                                              │
│ /tmp/project.worktrees/fix-login                             │
│                                                              │
│ Claude Code may read, write, or execute files contained in   │
│ this directory.                                              │
│                                                              │
│ ❯ 1. Yes, proceed                                            │
│   2. No, exit                                                │
╰──────────────────────────────────────────────────────────────╯
   Enter to confirm · Esc to exit
"""

CLAUDE_AT_REST = """\
> Refactor parse_args into its own module

⏺ Done. parse_args now lives in args.py and cli.py imports it.

╭──────────────────────────────────────────────────────────────╮
│ ❯                                                            │
╰──────────────────────────────────────────────────────────────╯
  ? for shortcuts
"""

CLAUDE_PROSE_QUESTION = """\
⏺ The README asks: "Do you want to proceed? Press 1. Yes to continue."
  That sentence is part of the install guide, so I left it unchanged.

╭──────────────────────────────────────────────────────────────╮
│ ❯                                                            │
╰──────────────────────────────────────────────────────────────╯
"""

CODEX_BUSY = """\
› Add a --json flag to status

• Working (12s • esc to interrupt)

› Ask Codex to do anything
  ⏎ send   ⌃J newline   ⌃T transcript   ⌃C quit
"""

CODEX_IDLE = """\
• Added the --json flag and a test.

› Ask Codex to do anything
  ⏎ send   ⌃J newline   ⌃T transcript   ⌃C quit
"""

CODEX_APPROVAL = """\
• Running tests

  Would you like to run the following command?

  $ pytest -q

› 1. Yes, proceed
  2. Yes, and don't ask again for this command
  3. No, and tell Codex what to do differently (esc)
"""

CODEX_SIGN_IN = """\
  Welcome to Codex, OpenAI's command-line coding agent

  Choose how you want to use Codex.

> 1. Sign in with ChatGPT
     Usage included with Plus, Pro, Business, and Enterprise plans

  2. Sign in with Device Code
     Sign in from another device with a one-time code

  3. Sign in another way
     Use an API key or another provider

  Press enter to continue
"""

AIDER_RUN = """\
Run shell command? (Y)es/(N)o/(D)on't ask again [Yes]:"""

GEMINI_ALLOW = """\
╭──────────────────────────────────────────────────────────────╮
│ ?  Shell npm test                                            │
│                                                              │
│ Allow execution of: 'npm'?                                   │
│                                                              │
│ ● 1. Yes, allow once                                         │
│   2. Yes, allow always ...                                   │
│   3. No, suggest changes (esc)                               │
╰──────────────────────────────────────────────────────────────╯
"""


def status_of(agent: str, screen: str) -> SessionStatus | None:
    return read_screen(screen, BUILTIN_AGENTS[agent].rules).status


@pytest.mark.parametrize(
    ("agent", "screen", "expected"),
    [
        ("claude", CLAUDE_BUSY, SessionStatus.WORKING),
        ("claude", CLAUDE_BUSY_BARE, SessionStatus.WORKING),
        ("claude", CLAUDE_TURN_SUMMARY, None),
        ("claude", CLAUDE_PERMISSION, SessionStatus.WAITING),
        ("claude", CLAUDE_TRUST, SessionStatus.WAITING),
        ("claude", CLAUDE_AT_REST, None),
        ("claude", CLAUDE_PROSE_QUESTION, None),
        ("codex", CODEX_BUSY, SessionStatus.WORKING),
        ("codex", CODEX_IDLE, None),
        ("codex", CODEX_APPROVAL, SessionStatus.WAITING),
        ("codex", CODEX_SIGN_IN, SessionStatus.WAITING),
        ("aider", AIDER_RUN, SessionStatus.WAITING),
        ("gemini", GEMINI_ALLOW, SessionStatus.WAITING),
    ],
    ids=[
        "claude-busy", "claude-busy-bare", "claude-summary", "claude-permission", "claude-trust", "claude-at-rest", "claude-prose",
        "codex-busy", "codex-idle", "codex-approval", "codex-sign-in", "aider-run", "gemini-allow",
    ],
)
def test_screen_case(agent, screen, expected):
    assert status_of(agent, screen) is expected


def test_busy_marker_high_in_transcript_is_ignored():
    # The spinner text scrolled far up in the transcript is history, not the current state.
    screen = CLAUDE_BUSY + "\n".join(f"line {number}" for number in range(40)) + "\n" + CLAUDE_AT_REST
    assert read_screen(screen, CLAUDE_RULES).status is None


def test_permission_dialog_accept_keys():
    reading = read_screen(CLAUDE_PERMISSION, CLAUDE_RULES)
    assert reading.prompt is not None
    assert reading.prompt.accept == b"\r"
    assert read_screen(AIDER_RUN, BUILTIN_AGENTS["aider"].rules).prompt.accept == b"y\r"


def test_yes_no_only_on_last_line():
    assert read_screen("Apply? [y/n]", GENERIC_RULES).status is SessionStatus.WAITING
    assert read_screen("Apply? [y/n]\nok, applied", GENERIC_RULES).status is None


def test_claude_auth_error_is_failed():
    screen = "⏺ API Error: 401 {\"type\":\"error\",\"error\":{\"type\":\"authentication_error\"}}\n╭──╮\n│ ❯ │\n╰──╯"
    assert read_screen(screen, CLAUDE_RULES).status is SessionStatus.FAILED


def test_sign_in_never_auto_accepted():
    reading = read_screen(CODEX_SIGN_IN, CODEX_RULES)
    assert reading.prompt is not None
    assert reading.prompt.accept is None


def test_codex_rules_do_not_see_claude_spinner():
    assert read_screen(CLAUDE_BUSY, CODEX_RULES).status is None


# Recorded screens are named <agent>-<phase>.txt; the phase's status as screen rules see it.
# "start", "idle" and "exited" show no marker: idle and exited come from output settling and process exit.
PHASE_STATUS = {
    "start": None,
    "working": SessionStatus.WORKING,
    "permission": SessionStatus.WAITING,
    "idle": None,
    "exited": None,
    "trust": SessionStatus.WAITING,
    "sign-in": SessionStatus.WAITING,
}


@pytest.mark.parametrize("path", sorted(FIXTURES.glob("*.txt")), ids=lambda path: path.stem)
def test_recorded_screen(path):
    agent, phase = path.stem.split("-", 1)
    assert status_of(agent, path.read_text(encoding="utf-8")) is PHASE_STATUS[phase]


# Copilot CLI 1.0.102, from screens recorded at 120 columns and narrowed to 80: the footer while a
# turn runs, the dialog for a new file, and the footer at rest.
COPILOT_BUSY = """\
 /work/project [⎇ main]
╻▄▄▄▄▄▄▄▄▄▄▄▄▄▄▄▄▄▄▄▄▄▄▄▄▄▄▄▄▄▄▄▄▄▄▄▄▄▄
┃
╹▀▀▀▀▀▀▀▀▀▀▀▀▀▀▀▀▀▀▀▀▀▀▀▀▀▀▀▀▀▀▀▀▀▀▀▀▀▀
 ○ Working · 188 B esc esc interrupt                         scripted-model
"""

COPILOT_CREATE = """\
 ○ Create hello.txt
╭──────────────────────────────────────────────────────────────────────────────╮
│ Create file                                                                  │
│ ──────────────────────────────────────────────────────────────────────────── │
│ hello.txt +1 -0                                                              │
│ /work/project                                                                │
│                                                                              │
│ 1 +   hello from the scripted model                                          │
│                                                                              │
│ Do you want to create /work/project/hello.txt?                               │
│                                                                              │
│ ❯ 1. Yes                                                                     │
│   2. Yes, and don't ask again for file operations when in this repo          │
│   3. No, and tell Copilot what to do differently (Esc to stop)               │
│                                                                              │
│ ↑/↓ to navigate · enter to select · esc to cancel                            │
╰──────────────────────────────────────────────────────────────────────────────╯
"""

COPILOT_IDLE_FOOTER = """\
 /work/project [⎇ main]
╻▄▄▄▄▄▄▄▄▄▄▄▄▄▄▄▄▄▄▄▄▄▄▄▄▄▄▄▄▄▄▄▄▄▄▄▄▄▄
┃
╹▀▀▀▀▀▀▀▀▀▀▀▀▀▀▀▀▀▀▀▀▀▀▀▀▀▀▀▀▀▀▀▀▀▀▀▀▀▀
 ← open sidebar · Interactive · Manual Approval · / commands · ? help · tab next tab
"""


def copilot_reading(screen: str):
    return read_screen(screen, BUILTIN_AGENTS["copilot"].rules)


def test_copilot_busy_footer_is_working():
    assert copilot_reading(COPILOT_BUSY).status is SessionStatus.WORKING
    before_reply = COPILOT_BUSY.replace("· 188 B esc esc interrupt", "esc esc edit prompt")
    assert copilot_reading(before_reply).status is SessionStatus.WORKING


def test_copilot_dialog_footer_is_not_busy():
    # Every Copilot dialog ends with "esc to cancel", so without a known question it proves nothing.
    screen = "│ Pick a model                     │\n│ ↑/↓ to navigate · enter to select · esc to cancel │\n"
    assert copilot_reading(screen).status is None


def test_copilot_create_file_dialog_is_waiting():
    reading = copilot_reading(COPILOT_CREATE)
    assert reading.status is SessionStatus.WAITING
    assert reading.prompt.accept == b"\r"


def test_copilot_dialog_accept_keys():
    shell = copilot_reading((FIXTURES / "copilot-permission.txt").read_text(encoding="utf-8"))
    assert shell.prompt.accept == b"\r"
    trust = copilot_reading((FIXTURES / "copilot-trust.txt").read_text(encoding="utf-8"))
    assert trust.prompt.accept == b"\r"


def test_copilot_sign_in_never_auto_accepted():
    reading = copilot_reading((FIXTURES / "copilot-sign-in.txt").read_text(encoding="utf-8"))
    assert reading.status is SessionStatus.WAITING
    assert reading.prompt.accept is None


def test_copilot_sign_in_notice_scrolled_up_is_history():
    # A line drawn below the notice means the notice is part of the transcript, not the current state.
    screen = "Please use /login to sign in to use Copilot\n ● MCP Servers reloaded: 0 servers connected\n" + COPILOT_IDLE_FOOTER
    assert copilot_reading(screen).status is None


def test_copilot_sign_in_words_in_prose_ignored():
    screen = " ● The README says: Please use /login to sign in to use Copilot\n" + COPILOT_IDLE_FOOTER
    assert copilot_reading(screen).status is None
