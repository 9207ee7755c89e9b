"""Screen rules: read an agent's status from the text its terminal shows.

Rules are the fallback for agents without hooks, and a cross-check for those
with them. They look only at the bottom of the screen, where agents draw their
spinners, prompts and dialogs, so that the same words inside the transcript
above (the agent quoting a question, a file that contains "esc to interrupt")
do not count.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from agentdeck.tasks import SessionStatus

BOTTOM_LINES = 30
"""How many non-blank lines, counted from the bottom, the rules read."""


@dataclass(frozen=True)
class Prompt:
    """A dialog that waits for the user, and the keys that accept it when auto-accept is on."""

    pattern: re.Pattern[str]
    accept: bytes | None = None
    """Bytes that choose the accepting option, or None when auto-accept must leave the dialog to the user."""

    within_lines: int = 12
    """The pattern must match within this many non-blank lines of the bottom."""


@dataclass(frozen=True)
class ScreenRules:
    """The markers one kind of agent draws for each status."""

    working: tuple[re.Pattern[str], ...] = ()
    waiting: tuple[Prompt, ...] = ()
    failed: tuple[re.Pattern[str], ...] = ()
    has_busy_marker: bool = False
    """True when the agent draws a marker while busy, so output alone does not mean working."""


@dataclass(frozen=True)
class ScreenReading:
    """The status one screen shows, with the dialog that decided it."""

    status: SessionStatus | None
    prompt: Prompt | None = None
    prompt_text: str = ""
    """The lines that matched a waiting prompt, so an answer is sent once per prompt."""

    detail: str = field(default="", compare=False)


def bottom_lines(screen: str, count: int = BOTTOM_LINES) -> list[str]:
    """Return the last *count* non-blank lines of *screen*."""
    lines = [line for line in screen.splitlines() if line.strip()]
    return lines[-count:]


def read_screen(screen: str, rules: ScreenRules) -> ScreenReading:
    """Classify one screen: failed, waiting or working, or None when no rule matches.

    None means the caller decides from output activity (or, for agents with
    a busy marker, that the agent is idle once output settles).
    """
    lines = bottom_lines(screen)
    text = "\n".join(lines)

    for pattern in rules.failed:
        match = pattern.search(text)
        if match:
            return ScreenReading(SessionStatus.FAILED, detail=match.group(0))

    for prompt in rules.waiting:
        region = "\n".join(lines[-prompt.within_lines :])
        match = prompt.pattern.search(region)
        if match:
            return ScreenReading(SessionStatus.WAITING, prompt, region, detail=match.group(0))

    for pattern in rules.working:
        match = pattern.search(text)
        if match:
            return ScreenReading(SessionStatus.WORKING, detail=match.group(0))

    return ScreenReading(None)


def _compile(*patterns: str) -> tuple[re.Pattern[str], ...]:
    return tuple(re.compile(pattern, re.MULTILINE) for pattern in patterns)


# A dialog's question and options each fill a line, inside an optional box border and
# possibly after a selection marker. The same words inside a sentence do not match.
_EDGE = r"^[\s│┃|]*"
_MARK = r"[❯›>●]?\s*"
_END = r"\s*[│┃|]?\s*$"


def _dialog(question: str, option: str) -> re.Pattern[str]:
    """Return a pattern for a question line followed, later, by an option line."""
    return re.compile(rf"{_EDGE}(?:{question}){_END}[\s\S]*?{_EDGE}{_MARK}(?:{option})", re.MULTILINE)


# A yes/no question on the last non-blank line, in the forms most CLIs print.
YES_NO_PROMPT = Prompt(
    re.compile(r"(\[y/n\]|\(y/n\)|\[Y/n\]|\[y/N\])[^\n]*\Z", re.IGNORECASE),
    accept=b"y\r",
    within_lines=1,
)

GENERIC_RULES = ScreenRules(waiting=(YES_NO_PROMPT,))

# Claude Code 2.x: while busy a spinner line reads like "✳ Refactoring parse_args… (2m 18s · ↓ 4.8k tokens)",
# and some releases add "esc to interrupt". The input box draws "❯" at all times, so the
# prompt alone proves nothing. Idle is "no spinner, no dialog, output settled".
CLAUDE_RULES = ScreenRules(
    working=_compile(
        # The spinner glyph, a word or phrase ending in "…", then optionally "(2m 18s · ↓ 4.8k tokens)".
        # A finished turn's summary ("✻ Churned for 0s") has no "…" and does not match.
        r"^\s*[✳✶✻✽✢·*]\s+\S[^\n]*…(\s*\([^\n]*\))?\s*$",
        r"esc to interrupt",
    ),
    waiting=(
        Prompt(
            _dialog(r"Do you want to (?:proceed|make this edit|create|allow|run)[^\n]*\?", r"1\.\s+Yes"),
            accept=b"\r",
            within_lines=14,
        ),
        Prompt(
            _dialog(
                r"(?:Do you trust the files in this folder\?|[^\n]*Is this a project you created or one you trust[^\n]*)",
                r"1\.\s+Yes, (?:proceed|I trust)",
            ),
            accept=b"\r",
            within_lines=20,
        ),
    ),
    failed=_compile(
        r"Invalid API key[^\n]*",
        r"API Error: 40[13][^\n]*",
        r"Please run /login[^\n]*",
        r"OAuth token has expired[^\n]*",
    ),
    has_busy_marker=True,
)

# Codex CLI (0.171): "esc to interrupt" in the status line while a turn runs. An
# approval request is a question about running a command or applying a patch.
# NOTE: the approval question text is not yet checked against a recorded screen.
CODEX_RULES = ScreenRules(
    working=_compile(r"esc to interrupt", r"Esc to interrupt"),
    waiting=(
        Prompt(
            _dialog(
                r"Would you like to (?:run the following command|make the following edits|apply)[^\n]*\?|Allow (?:command|Codex to)[^\n]*\?",
                r"(?:1\.\s+)?(?:Yes|Approve)",
            ),
            accept=b"y",
            within_lines=16,
        ),
        # The first-run sign-in screen: the user must choose, and agentdeck never chooses for them.
        Prompt(_dialog(r"Choose how you want to use Codex\.", r"1\.\s+Sign in"), accept=None, within_lines=16),
    ),
    failed=_compile(r"(401 Unauthorized|invalid_api_key|Missing environment variable: `?OPENAI_API_KEY`?)[^\n]*"),
    has_busy_marker=True,
)

# Aider 0.86 (prompt_toolkit): "Waiting for <model>" beside a bar spinner while the model
# answers; confirmations read "(Y)es/(N)o" and end the screen.
AIDER_RULES = ScreenRules(
    working=_compile(r"^\s*[█░▒▓]+\s+Waiting for \S+\s*$"),
    waiting=(
        Prompt(
            re.compile(r"\?\s*\(Y\)es/\(N\)o[^\n]*\Z"),
            accept=b"y\r",
            within_lines=2,
        ),
        YES_NO_PROMPT,
    ),
    failed=_compile(r"(AuthenticationError|litellm\.AuthenticationError)[^\n]*"),
)

# Gemini CLI 0.61: "Thinking... (esc to cancel, 2s)" while busy; a tool confirmation
# reads "Allow execution of [Shell]?" above "● 1. Allow once" (older releases: "Yes, allow once").
GEMINI_RULES = ScreenRules(
    working=_compile(r"esc to cancel", r"\(esc to cancel"),
    waiting=(
        Prompt(
            _dialog(r"(?:Allow execution of|Apply this change\?|Allow edit)[^\n]*", r"(?:1\.\s+)?(?:Yes, allow|Allow once)"),
            accept=b"\r",
            within_lines=16,
        ),
    ),
    has_busy_marker=True,
)

# OpenCode 1.18: "esc interrupt" under the input while busy; a permission request shows
# "△ Permission required" above an option row "Allow once   Allow always   Reject", where
# Enter confirms the first option.
OPENCODE_RULES = ScreenRules(
    working=_compile(r"esc (to )?interrupt"),
    waiting=(Prompt(_dialog(r"[^\n]*Permission required[^\n]*", r"Allow once"), accept=b"\r", within_lines=16),),
    has_busy_marker=True,
)

# Copilot CLI 1.0.102: while a turn runs, the footer under the input box reads
# "◎ Working esc esc interrupt", or "esc esc edit prompt" before the first reply arrives.
# The glyph cycles, and a byte count such as "· 188 B" may follow "Working". Every dialog
# ends with "esc to cancel", so that text is no busy marker. Dialogs draw a box with the
# question above numbered options and "❯" on the selected one. Enter picks "1. Yes", which
# runs the one command, creates the one file, or trusts the folder for this session only.
COPILOT_RULES = ScreenRules(
    working=_compile(r"^\s*\S\s+Working\b[^\n]*\besc esc (?:interrupt|edit prompt)\b"),
    waiting=(
        # "Do you want to run this command?" for a shell command, "Do you want to create /path/to/hello.txt?"
        # for a new file.
        Prompt(_dialog(r"Do you want to [^\n]*", r"1\.\s+Yes"), accept=b"\r", within_lines=16),
        Prompt(_dialog(r"Do you trust the files in this folder\?", r"1\.\s+Yes"), accept=b"\r", within_lines=16),
        # Signed out, a notice sits right above the working-directory line, the input box and the
        # footer. The user must sign in (or configure a provider), so auto-accept sends nothing.
        Prompt(re.compile(r"^\s*Please use /login to sign in to use Copilot\s*$", re.MULTILINE), accept=None, within_lines=6),
    ),
    has_busy_marker=True,
)
