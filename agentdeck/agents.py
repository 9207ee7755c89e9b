"""Agent profiles: how to start, prompt, resume and read each kind of agent.

A profile's ``command`` is what the user sees and may override in config.
agentdeck adds its own wiring (hook settings, a fixed conversation id) when it
starts the agent, so an override of ``command`` keeps status hooks working.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass

from agentdeck.screen_rules import (
    AIDER_RULES,
    CLAUDE_RULES,
    CODEX_RULES,
    COPILOT_RULES,
    GEMINI_RULES,
    GENERIC_RULES,
    OPENCODE_RULES,
    ScreenRules,
)

PROMPT_PLACEHOLDER = "{prompt}"
SESSION_PLACEHOLDER = "{session_id}"

HOOK_KINDS = ("claude", "codex")


@dataclass(frozen=True)
class AgentProfile:
    """How to start and read one kind of agent."""

    name: str
    command: tuple[str, ...]
    display_name: str = ""
    resume: tuple[str, ...] = ()
    """The command that resumes the task's conversation in its worktree; empty starts afresh."""

    rules: ScreenRules = GENERIC_RULES
    hooks: str | None = None
    """The hook wiring agentdeck adds: "claude" (settings file), "codex" (notify), or None."""

    @property
    def program(self) -> str:
        return self.command[0]

    @property
    def takes_prompt_in_argv(self) -> bool:
        """True when the prompt goes into the command line rather than through the terminal."""
        return any(PROMPT_PLACEHOLDER in argument for argument in self.command)

    def argv(self, prompt: str, session_id: str = "") -> list[str]:
        """Return the command with ``{session_id}`` filled in and every ``{prompt}`` replaced by the prompt, byte for byte.

        The conversation id goes in first, so a prompt that contains the text
        ``{session_id}`` reaches the agent unchanged.
        """
        return [argument.replace(SESSION_PLACEHOLDER, session_id).replace(PROMPT_PLACEHOLDER, prompt) for argument in self.command]

    def resume_argv(self, session_id: str) -> list[str]:
        """Return the resume command with ``{session_id}`` filled in, or the plain command without a prompt."""
        if not self.resume:
            return [argument.replace(SESSION_PLACEHOLDER, session_id) for argument in self.command if PROMPT_PLACEHOLDER not in argument]
        return [argument.replace(SESSION_PLACEHOLDER, session_id) for argument in self.resume]


# NOTE: the flags were checked with Claude Code 2.1.197, Codex CLI 0.171.0, Aider 0.86.2,
# OpenCode 1.18.33, Gemini CLI 0.61.0 and Copilot CLI 1.0.102. `agentdeck doctor` shows
# the installed versions, and [agents.NAME] in config overrides any field.
BUILTIN_AGENTS: dict[str, AgentProfile] = {
    "claude": AgentProfile(
        "claude",
        ("claude", PROMPT_PLACEHOLDER),
        "Claude Code",
        resume=("claude", "--resume", SESSION_PLACEHOLDER),
        rules=CLAUDE_RULES,
        hooks="claude",
    ),
    # Without --no-daemon, Codex CLI 0.171 starts an app-server daemon that outlives
    # the session, outside its process group, so stopping the task would leave it running.
    "codex": AgentProfile(
        "codex",
        ("codex", "--no-daemon", PROMPT_PLACEHOLDER),
        "Codex CLI",
        resume=("codex", "resume", "--no-daemon", "--last"),
        rules=CODEX_RULES,
        hooks="codex",
    ),
    "aider": AgentProfile(
        "aider",
        ("aider",),
        "Aider",
        resume=("aider", "--restore-chat-history"),
        rules=AIDER_RULES,
    ),
    "opencode": AgentProfile(
        "opencode",
        ("opencode", "--prompt", PROMPT_PLACEHOLDER),
        "OpenCode",
        resume=("opencode", "--continue"),
        rules=OPENCODE_RULES,
    ),
    "gemini": AgentProfile(
        "gemini",
        ("gemini", "--prompt-interactive", PROMPT_PLACEHOLDER),
        "Gemini CLI",
        resume=("gemini", "--resume", "latest"),
        rules=GEMINI_RULES,
    ),
    # Copilot CLI 1.0.102: --interactive submits the prompt and stays interactive (an empty
    # one just opens the input box). --session-id names a new conversation and, given again,
    # resumes it. Not --continue: in a folder with no conversation of its own, that resumes
    # the newest conversation of any folder, which may be another task's.
    "copilot": AgentProfile(
        "copilot",
        ("copilot", "--session-id", SESSION_PLACEHOLDER, "--interactive", PROMPT_PLACEHOLDER),
        "Copilot CLI",
        resume=("copilot", "--session-id", SESSION_PLACEHOLDER),
        rules=COPILOT_RULES,
    ),
    "demo": AgentProfile(
        "demo",
        (sys.executable, "-m", "agentdeck.demo_agent", PROMPT_PLACEHOLDER),
        "demo agent",
    ),
}

RULES_BY_NAME: dict[str, ScreenRules] = {
    "generic": GENERIC_RULES,
    "claude": CLAUDE_RULES,
    "codex": CODEX_RULES,
    "aider": AIDER_RULES,
    "gemini": GEMINI_RULES,
    "opencode": OPENCODE_RULES,
    "copilot": COPILOT_RULES,
}
"""Screen rule sets a config entry can name with ``rules = "..."``."""
