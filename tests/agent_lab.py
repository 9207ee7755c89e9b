"""How to run each real agent CLI against the scripted model server, isolated from the user's settings.

Every agent gets a temporary HOME (and XDG folders inside it), so its config, credentials, transcripts
and caches are written there and never into the real ones. Each recipe points the agent only at the
server on 127.0.0.1, uses a fake API key and turns off telemetry and update checks by the documented
switch. The scripts make each agent create ``hello.txt`` in the worktree, which is allowed without a
prompt. Then they run a Python one-liner that writes ``ran.txt``, which must ask for permission, and
finish with text. A plain ``touch`` would not ask, because Claude Code's acceptEdits mode lets file
commands through.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path

from tests.model_server import MODEL_NAME, Step, Text, ToolCall

FAKE_KEY = "sk-scripted-0000000000000000000000000000"
"""A key of the usual shape that no service accepts; agents only need one to be set."""

EDITED_FILE = "hello.txt"
EDITED_TEXT = "hello from the scripted model\n"
SHELL_COMMAND = "python3 -c \"open('ran.txt', 'w').write('ran')\""
SHELL_MARKER = "ran.txt"
"""The file the scripted shell command creates once the user approves it."""

PROMPT = "Create hello.txt, then create ran.txt with a shell command."
FINAL_REPLY = "Created hello.txt and ran the command."
"""The text that ends each scripted turn."""

AIDER_PROGRAM = Path("/tmp/aider-venv/bin/aider")
"""Aider lives in its own virtual environment because it pins many packages (numpy, litellm, ...)."""

# Variables from the caller that would point an agent at a real service or the real settings.
_DROPPED = (
    "ANTHROPIC_API_KEY", "ANTHROPIC_AUTH_TOKEN", "ANTHROPIC_BASE_URL", "CLAUDE_CONFIG_DIR",
    "OPENAI_API_KEY", "OPENAI_BASE_URL", "CODEX_HOME", "GEMINI_API_KEY", "GOOGLE_API_KEY",
    "GOOGLE_GEMINI_BASE_URL", "GOOGLE_APPLICATION_CREDENTIALS", "GOOGLE_CLOUD_PROJECT", "AIDER_MODEL",
    "OPENCODE_CONFIG", "XDG_DATA_HOME", "XDG_STATE_HOME",
    "XDG_CACHE_HOME", "XDG_CONFIG_HOME", "HOME", "TMUX", "TMUX_PANE",
)


@dataclass
class AgentRun:
    """The argv, environment and script that run one agent against the server."""

    name: str
    argv: list[str]
    environment: dict[str, str]
    script: list[Step]
    home: Path


def base_environment(home: Path) -> dict[str, str]:
    """Return the caller's environment without service keys, with HOME and XDG folders under *home*."""
    environment = {key: value for key, value in os.environ.items() if key not in _DROPPED}
    home.mkdir(parents=True, exist_ok=True)
    environment.update(
        HOME=str(home),
        XDG_CONFIG_HOME=str(home / ".config"),
        XDG_DATA_HOME=str(home / ".local" / "share"),
        XDG_STATE_HOME=str(home / ".local" / "state"),
        XDG_CACHE_HOME=str(home / ".cache"),
        NO_UPDATE_NOTIFIER="1",
        DO_NOT_TRACK="1",
    )
    return environment


def processes_under(home: Path) -> list[str]:
    """Return the command lines of running processes that mention *home* (an agent's temporary HOME)."""
    found = []
    marker = str(home).encode()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            command = (entry / "cmdline").read_bytes()
        except OSError:
            continue
        if marker in command:
            found.append(command.replace(b"\0", b" ").decode(errors="replace").strip())
    return found


def installed(program: str) -> str | None:
    """Return the path of *program* (an agent CLI), or None when it is not installed."""
    if program == "aider":
        return str(AIDER_PROGRAM) if AIDER_PROGRAM.exists() else shutil.which("aider")
    return shutil.which(program)


# -- Claude Code ----------------------------------------------------------------------------------


def claude_script(worktree: Path) -> list[Step]:
    return [
        ToolCall("Write", {"file_path": str(worktree / EDITED_FILE), "content": EDITED_TEXT}),
        ToolCall("Bash", {"command": SHELL_COMMAND, "description": "Write ran.txt"}),
        Text(FINAL_REPLY),
    ]


def claude_run(server_url: str, worktree: Path, home: Path, hook_log: Path | None = None,
               prompt: str | None = PROMPT, extra_args: list[str] | None = None) -> AgentRun:
    """Return how to run Claude Code on *worktree* against the server at *server_url*.

    ``~/.claude.json`` marks onboarding done, the worktree trusted and the fake key approved, so no
    dialog comes before the prompt. ``--permission-mode acceptEdits`` lets the file edit through and
    keeps the permission prompt for shell commands. With *hook_log*, every hook event appends its JSON
    to that file.
    """
    environment = base_environment(home)
    environment.update(
        ANTHROPIC_BASE_URL=server_url,
        ANTHROPIC_API_KEY=FAKE_KEY,
        DISABLE_AUTOUPDATER="1",
        DISABLE_TELEMETRY="1",
        DISABLE_ERROR_REPORTING="1",
        CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC="1",
        CLAUDE_CODE_DISABLE_TERMINAL_TITLE="1",
    )
    state = {
        "hasCompletedOnboarding": True,
        "theme": "dark",
        "numStartups": 1,
        "customApiKeyResponses": {"approved": [FAKE_KEY[-20:]], "rejected": []},
        "projects": {
            str(worktree): {"hasTrustDialogAccepted": True, "hasCompletedProjectOnboarding": True,
                            "allowedTools": []},
        },
    }
    (home / ".claude.json").write_text(json.dumps(state), encoding="utf-8")
    argv = [installed("claude") or "claude", "--permission-mode", "acceptEdits"]
    if hook_log is not None:
        argv += ["--settings", json.dumps(hook_settings(hook_log))]
    argv += extra_args or []
    if prompt is not None:
        argv.append(prompt)
    return AgentRun("claude", argv, environment, claude_script(worktree), home)


CLAUDE_HOOK_EVENTS = (
    "SessionStart", "UserPromptSubmit", "PreToolUse", "PostToolUse", "PermissionRequest", "Notification",
    "Stop", "SessionEnd",
)


def hook_command(hook_log: Path, event: str) -> str:
    """Return a shell command that appends the hook's stdin as one line to *hook_log*, tagged with *event*."""
    program = (
        "import sys, json; data = sys.stdin.read(); "
        f"open({str(hook_log)!r}, 'a').write(json.dumps({{'event': {event!r}, 'argv': sys.argv[1:], "
        "'stdin': data}) + '\\n')"
    )
    return f"{sys.executable} -c {json.dumps(program)}"


def hook_settings(hook_log: Path) -> dict[str, object]:
    """Return Claude Code settings that run :func:`hook_command` for each event in CLAUDE_HOOK_EVENTS."""
    hooks = {
        event: [{"matcher": "*", "hooks": [{"type": "command", "command": hook_command(hook_log, event),
                                            "timeout": 10}]}]
        for event in CLAUDE_HOOK_EVENTS
    }
    return {"hooks": hooks}


# -- Codex CLI ------------------------------------------------------------------------------------


def codex_script(worktree: Path) -> list[Step]:
    # Codex 0.171 offers no apply_patch tool to a model it does not know. So the edit is a sandboxed
    # command, which runs without a prompt, and the second command requests escalation, which prompts.
    write = f"printf '%s\\n' '{EDITED_TEXT.rstrip()}' > {EDITED_FILE}"
    return [
        ToolCall("exec_command", {"cmd": write, "workdir": str(worktree)}),
        ToolCall("exec_command", {"cmd": SHELL_COMMAND, "workdir": str(worktree),
                                  "sandbox_permissions": "require_escalated",
                                  "justification": "Write ran.txt outside the sandbox?"}),
        Text(FINAL_REPLY),
    ]


def codex_run(server_url: str, worktree: Path, home: Path, notify_log: Path | None = None,
              prompt: str | None = PROMPT, extra_args: list[str] | None = None,
              hook_log: Path | None = None) -> AgentRun:
    """Return how to run Codex CLI on *worktree* against the server at *server_url*.

    ``$CODEX_HOME/config.toml`` defines a model provider whose ``base_url`` is the server, trusts the
    worktree and sets ``approval_policy = "on-request"`` so shell commands ask first. With *notify_log*,
    ``notify`` runs a program that appends its argv to that file. With *hook_log*, ``$CODEX_HOME/hooks.json``
    contains the same hooks as :func:`hook_settings` and ``--dangerously-bypass-hook-trust`` runs them
    without the trust dialog.
    """
    environment = base_environment(home)
    codex_home = home / ".codex"
    codex_home.mkdir(parents=True, exist_ok=True)
    environment.update(CODEX_HOME=str(codex_home), OPENAI_API_KEY=FAKE_KEY)
    lines = [
        f'model = "{MODEL_NAME}"',
        'model_provider = "scripted"',
        'approval_policy = "on-request"',
        'sandbox_mode = "workspace-write"',
        "check_for_update_on_startup = false",
        "",
        "[analytics]",
        "enabled = false",
        "",
        "[feedback]",
        "enabled = false",
        "",
        "[model_providers.scripted]",
        'name = "Scripted"',
        f'base_url = "{server_url}/v1"',
        'env_key = "OPENAI_API_KEY"',
        'wire_api = "responses"',
        "request_max_retries = 0",
        "stream_max_retries = 0",
        "",
        f'[projects."{worktree}"]',
        'trust_level = "trusted"',
    ]
    if notify_log is not None:
        program = f"import sys; open({str(notify_log)!r}, 'a').write(sys.argv[-1] + '\\n')"
        lines.insert(0, f"notify = {json.dumps([sys.executable, '-c', program])}")
    (codex_home / "config.toml").write_text("\n".join(lines) + "\n", encoding="utf-8")
    # Without --no-daemon, Codex 0.171 starts an app server that outlives the session (parent PID 1).
    argv = [installed("codex") or "codex", "--no-daemon", *(extra_args or [])]
    if hook_log is not None:
        (codex_home / "hooks.json").write_text(json.dumps(hook_settings(hook_log)), encoding="utf-8")
        argv.append("--dangerously-bypass-hook-trust")
    if prompt is not None:
        argv.append(prompt)
    return AgentRun("codex", argv, environment, codex_script(worktree), home)


# -- Aider ----------------------------------------------------------------------------------------


def aider_script(worktree: Path) -> list[Step]:
    # Aider has no tools: edits are SEARCH/REPLACE blocks (edit format "diff") and shell commands
    # are fenced bash blocks it offers to run after applying the edits.
    fence = "```"
    reply = (
        f"I will create the file and then run the command.\n\n{EDITED_FILE}\n{fence}\n<<<<<<< SEARCH\n=======\n"
        f"{EDITED_TEXT}>>>>>>> REPLACE\n{fence}\n\n{fence}bash\n{SHELL_COMMAND}\n{fence}\n"
    )
    return [Text(reply), Text(FINAL_REPLY)]


def aider_run(server_url: str, worktree: Path, home: Path, prompt: str | None = PROMPT,
              extra_args: list[str] | None = None) -> AgentRun:
    """Return how to run Aider on *worktree* against the server at *server_url* (OpenAI Chat Completions).

    With *prompt*, ``--message`` runs that one instruction and Aider exits after it; without, Aider
    waits at its ``>`` prompt. ``--yes-always`` stays off so confirmations show.
    """
    environment = base_environment(home)
    # litellm would otherwise download its model price list at import.
    environment.update(LITELLM_LOCAL_MODEL_COST_MAP="True")
    # Without local metadata for the model, Aider downloads litellm's price list from GitHub.
    metadata = home / "aider-model-metadata.json"
    metadata.write_text(json.dumps({f"openai/{MODEL_NAME}": {
        "max_input_tokens": 128000, "max_output_tokens": 4096, "input_cost_per_token": 0.0,
        "output_cost_per_token": 0.0, "litellm_provider": "openai", "mode": "chat",
    }}), encoding="utf-8")
    argv = [
        installed("aider") or "aider",
        "--model", f"openai/{MODEL_NAME}",
        "--openai-api-base", f"{server_url}/v1",
        "--openai-api-key", FAKE_KEY,
        "--edit-format", "diff",
        "--no-show-model-warnings",
        "--no-check-update",
        "--analytics-disable",
        "--no-gitignore",
        "--no-auto-commits",
        "--no-show-release-notes",
        "--map-tokens", "0",
        "--model-metadata-file", str(metadata),
        # Aider writes its histories into the worktree by default; keep them out of the review.
        "--chat-history-file", str(home / "aider.chat.history.md"),
        "--input-history-file", str(home / "aider.input.history"),
        *(extra_args or []),
        # A file named on argv joins the chat, so the edit needs no reply to "Create new file?".
        EDITED_FILE,
    ]
    if prompt is not None:
        argv += ["--message", prompt]
    return AgentRun("aider", argv, environment, aider_script(worktree), home)


# -- OpenCode -------------------------------------------------------------------------------------


def opencode_script(worktree: Path) -> list[Step]:
    return [
        ToolCall("write", {"filePath": str(worktree / EDITED_FILE), "content": EDITED_TEXT}),
        ToolCall("bash", {"command": SHELL_COMMAND, "description": "Write ran.txt"}),
        Text(FINAL_REPLY),
    ]


def opencode_run(server_url: str, worktree: Path, home: Path, prompt: str | None = PROMPT,
                 extra_args: list[str] | None = None) -> AgentRun:
    """Return how to run OpenCode on *worktree* against the server (OpenAI Chat Completions).

    ``~/.config/opencode/opencode.json`` defines an OpenAI-compatible provider at the server, allows
    edits and makes shell commands ask.
    """
    environment = base_environment(home)
    environment.update(
        OPENCODE_DISABLE_AUTOUPDATE="1",
        OPENCODE_DISABLE_MODELS_FETCH="1",
        OPENCODE_DISABLE_LSP_DOWNLOAD="1",
        OPENCODE_DISABLE_SHARE="1",
        OPENCODE_DISABLE_DEFAULT_PLUGINS="1",
        OPENCODE_DISABLE_TERMINAL_TITLE="1",
    )
    config = {
        "$schema": "https://opencode.ai/config.json",
        "autoupdate": False,
        "share": "disabled",
        "model": f"scripted/{MODEL_NAME}",
        "small_model": f"scripted/{MODEL_NAME}",
        "provider": {
            "scripted": {
                "npm": "@ai-sdk/openai-compatible",
                "name": "Scripted",
                "options": {"baseURL": f"{server_url}/v1", "apiKey": FAKE_KEY},
                "models": {MODEL_NAME: {"name": "Scripted model", "tool_call": True}},
            }
        },
        "permission": {"edit": "allow", "bash": "ask"},
    }
    folder = home / ".config" / "opencode"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "opencode.json").write_text(json.dumps(config, indent=2), encoding="utf-8")
    argv = [installed("opencode") or "opencode", *(extra_args or [])]
    if prompt is not None:
        argv += ["--prompt", prompt]
    return AgentRun("opencode", argv, environment, opencode_script(worktree), home)


# -- Gemini CLI -----------------------------------------------------------------------------------


def gemini_script(worktree: Path) -> list[Step]:
    return [
        ToolCall("write_file", {"file_path": str(worktree / EDITED_FILE), "content": EDITED_TEXT}),
        ToolCall("run_shell_command", {"command": SHELL_COMMAND, "description": "Write ran.txt"}),
        Text(FINAL_REPLY),
    ]


GEMINI_HOOK_EVENTS = ("SessionStart", "BeforeAgent", "BeforeTool", "AfterTool", "Notification", "AfterAgent",
                      "SessionEnd")


def gemini_run(server_url: str, worktree: Path, home: Path, prompt: str | None = PROMPT,
               extra_args: list[str] | None = None, hook_log: Path | None = None) -> AgentRun:
    """Return how to run Gemini CLI on *worktree* against the server (Gemini API).

    ``GOOGLE_GEMINI_BASE_URL`` points the API client at the server; ``~/.gemini/settings.json`` picks
    API-key auth and turns off update checks and usage statistics. ``--approval-mode auto_edit`` lets
    the file edit through and keeps the prompt for shell commands; ``-i`` submits the first prompt and
    stays interactive. With *hook_log*, settings hooks for GEMINI_HOOK_EVENTS append their stdin there.
    """
    environment = base_environment(home)
    environment.update(
        GOOGLE_GEMINI_BASE_URL=server_url,
        GEMINI_API_KEY=FAKE_KEY,
        GEMINI_CLI_TRUST_WORKSPACE="true",
    )
    settings = {
        "security": {"auth": {"selectedType": "gemini-api-key"}, "folderTrust": {"enabled": False}},
        "general": {"enableAutoUpdate": False, "disableAutoUpdate": True, "disableUpdateNag": True},
        "privacy": {"usageStatisticsEnabled": False},
        "ui": {"hideBanner": True},
        "telemetry": {"enabled": False},
    }
    if hook_log is not None:
        settings["hooks"] = {
            event: [{"matcher": "*", "hooks": [{"type": "command", "command": hook_command(hook_log, event),
                                                "timeout": 10000}]}]
            for event in GEMINI_HOOK_EVENTS
        }
    folder = home / ".gemini"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "settings.json").write_text(json.dumps(settings, indent=2), encoding="utf-8")
    argv = [installed("gemini") or "gemini", "--model", MODEL_NAME, "--approval-mode", "auto_edit",
            *(extra_args or [])]
    if prompt is not None:
        argv += ["-i", prompt]
    return AgentRun("gemini", argv, environment, gemini_script(worktree), home)


# -- Copilot CLI ----------------------------------------------------------------------------------


COPILOT_DROPPED = ("COPILOT_GITHUB_TOKEN", "GH_TOKEN", "GITHUB_TOKEN", "GH_HOST", "COPILOT_GH_HOST", "COPILOT_HOME",
                   "COPILOT_MODEL", "COPILOT_ALLOW_ALL", "COPILOT_OFFLINE")
"""Variables that would sign Copilot CLI in to GitHub, move its state or change its permissions.

Every ``COPILOT_PROVIDER_*`` variable is dropped as well, so only the recipe picks the provider.
"""

COPILOT_FLAGS = ("--no-auto-update", "--disable-client-telemetry")
"""Flags that keep Copilot CLI 1.0.102 from downloading updates and from sending its own telemetry."""


def copilot_environment(home: Path) -> dict[str, str]:
    """Return :func:`base_environment` without GitHub tokens and Copilot settings, with updates off.

    Signed out and without a provider, Copilot CLI 1.0.102 made no network connection in
    the first 12 s (checked with strace). It shows the folder trust dialog, then the ``/login`` notice.
    """
    environment = base_environment(home)
    for key in list(environment):
        if key in COPILOT_DROPPED or key.startswith("COPILOT_PROVIDER_"):
            del environment[key]
    environment.update(COPILOT_HOME=str(home / ".copilot"), COPILOT_AUTO_UPDATE="false")
    return environment


def copilot_settings(home: Path, trusted: list[Path]) -> None:
    """Write Copilot CLI's user settings (no tips, no banner) and the folders it trusts without asking.

    ``trustedFolders`` is read from ``config.json`` (the file the CLI manages); in ``settings.json``
    version 1.0.102 ignored it and showed the trust dialog.
    """
    folder = home / ".copilot"
    folder.mkdir(parents=True, exist_ok=True)
    settings = {"banner": "never", "showTipsOnStartup": False, "autoUpdate": False}
    (folder / "settings.json").write_text(json.dumps(settings, indent=2), encoding="utf-8")
    (folder / "config.json").write_text(json.dumps({"trustedFolders": [str(path) for path in trusted]}),
                                        encoding="utf-8")


def copilot_script(worktree: Path) -> list[Step]:
    return [
        ToolCall("create", {"path": str(worktree / EDITED_FILE), "file_text": EDITED_TEXT}),
        ToolCall("bash", {"command": SHELL_COMMAND, "description": "Write ran.txt"}),
        Text(FINAL_REPLY),
    ]


def copilot_run(server_url: str, worktree: Path, home: Path, prompt: str | None = PROMPT,
                extra_args: list[str] | None = None) -> AgentRun:
    """Return how to run Copilot CLI on *worktree* against the server (OpenAI Chat Completions).

    ``COPILOT_PROVIDER_BASE_URL`` turns on "bring your own key" mode, in which GitHub sign-in
    is not needed, and ``COPILOT_OFFLINE=true`` turns off every other connection (sign-in,
    telemetry, web tools, the GitHub MCP server, updates). The worktree is trusted in
    ``config.json``. ``--allow-tool=write`` lets the file edit through and keeps the prompt for
    shell commands; ``-i`` submits the first prompt and stays interactive.
    """
    environment = copilot_environment(home)
    environment.update(
        COPILOT_PROVIDER_BASE_URL=f"{server_url}/v1",
        COPILOT_PROVIDER_TYPE="openai",
        COPILOT_PROVIDER_API_KEY=FAKE_KEY,
        COPILOT_MODEL=MODEL_NAME,
        # Without limits for a model outside its catalogue, Copilot prints a warning at start.
        COPILOT_PROVIDER_MAX_PROMPT_TOKENS="128000",
        COPILOT_PROVIDER_MAX_OUTPUT_TOKENS="4096",
        COPILOT_OFFLINE="true",
    )
    copilot_settings(home, [worktree])
    argv = [installed("copilot") or "copilot", *COPILOT_FLAGS, "--allow-tool=write", *(extra_args or [])]
    if prompt is not None:
        argv += ["-i", prompt]
    return AgentRun("copilot", argv, environment, copilot_script(worktree), home)


RUNS = {"claude": claude_run, "codex": codex_run, "aider": aider_run, "opencode": opencode_run, "gemini": gemini_run,
        "copilot": copilot_run}
"""The recipe of each covered agent, by the name its profile uses."""
