"""The ``agentdeck`` command line.

Errors in input (a path outside a repository, an invalid config value) print
one line on stderr and exit with status 2. A traceback reaches the user only
with ``--debug``.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pygit2

from agentdeck import __version__
from agentdeck.agents import BUILTIN_AGENTS
from agentdeck.cells import pad, text_width
from agentdeck.config import load_config
from agentdeck.errors import AgentdeckError, ConfigError
from agentdeck.logs import configure_logging
from agentdeck.repository import RepositoryInfo, find_repository

log = logging.getLogger(__name__)

EXIT_BAD_INPUT = 2
EXIT_INTERNAL = 1

STARTER_CONFIG = """\
# agentdeck settings for this repository. Commit this file; put personal
# settings in .agentdeck/config.local.toml, which overrides this one.

# The agent a new task uses unless the dialog picks another. It is a key of
# [agents] or a built-in profile: claude, codex, aider, opencode, gemini, copilot, demo.
default_agent = "claude"

# Task branches are named <branch_prefix><slug>.
branch_prefix = "agentdeck/"

# Where task worktrees go; relative paths are relative to the repository root.
# The default is a sibling folder: ../<repository>.worktrees
# worktree_root = "../myrepo.worktrees"

# How the merge queue lands a task on its base branch.
# merge_strategy = "merge"

# Remap a key: action id = key.
# [keys]
# review = "d"

# Override or add an agent. Commands are argument lists, never shell strings;
# an argument containing {prompt} receives the task's prompt.
# [agents.claude]
# command = ["claude", "{prompt}"]
"""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="agentdeck",
        description="Run several CLI coding agents in parallel on one repository, each in its own worktree.",
        epilog="commands: demo, init, doctor, status. Run 'agentdeck COMMAND --help' for each.",
    )
    parser.add_argument("--version", action="version", version=f"agentdeck {__version__}")
    parser.add_argument("--debug", action="store_true", help="show tracebacks and log debug records")
    parser.add_argument("path", nargs="?", default=".", help="a path inside the repository (default: the current directory)")
    return parser


def build_command_parser(command: str) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog=f"agentdeck {command}")
    parser.add_argument("--debug", action="store_true", help="show tracebacks and log debug records")
    if command == "demo":
        parser.description = "Create a throwaway repository with a small project and a demo agent, and open the deck on it."
        parser.add_argument("--dir", type=Path, default=None, help="create the demo repository under this folder")
    elif command == "init":
        parser.description = "Write a commented starter .agentdeck/config.toml."
        parser.add_argument("path", nargs="?", default=".", help="a path inside the repository")
    elif command == "doctor":
        parser.description = "Check git, libgit2, the terminal, installed agents, config and leftovers."
        parser.add_argument("path", nargs="?", default=".", help="a path inside the repository")
    elif command == "status":
        parser.description = "Print tasks, statuses, branches and the merge queue without starting the UI."
        parser.add_argument("path", nargs="?", default=".", help="a path inside the repository")
        parser.add_argument("--json", action="store_true", help="print JSON instead of text")
    return parser


COMMANDS = ("demo", "init", "doctor", "status")


def main(argv: list[str] | None = None) -> int:
    """Run the command line; return the exit status."""
    argv = list(sys.argv[1:] if argv is None else argv)
    debug = "--debug" in argv
    try:
        if argv and argv[0] in COMMANDS:
            command = argv[0]
            options = build_command_parser(command).parse_args(argv[1:])
            return globals()[f"run_{command}"](options)
        options = build_parser().parse_args(argv)
        return run_deck(Path(options.path), debug=options.debug)
    except AgentdeckError as error:
        log.error("%s", error)
        if debug:
            raise
        print(f"agentdeck: {error}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        return 130
    except Exception as error:
        log.exception("unexpected error")
        if debug:
            raise
        print(f"agentdeck: internal error: {error!r}; run again with --debug for the traceback", file=sys.stderr)
        return EXIT_INTERNAL


def open_repository(path: Path, debug: bool) -> RepositoryInfo:
    repository = find_repository(path)
    configure_logging(repository.state_dir, debug)
    return repository


def run_deck(path: Path, debug: bool = False, extra_config: dict | None = None) -> int:
    """Open the deck on the repository containing *path*."""
    repository = open_repository(path, debug)
    config = load_config(repository.root, extra_config)

    from agentdeck.deck import Deck
    from agentdeck.ui.app import AgentdeckApp

    deck = Deck(repository, config)
    log.info("deck opened on %s", repository.root)
    app = AgentdeckApp(deck)
    try:
        app.run()
    finally:
        # Also on a crash of the UI: no agent process outlives the deck.
        deck.shutdown()
    log.info("deck closed")
    return app.return_code or 0


def run_demo(options: argparse.Namespace) -> int:
    from agentdeck.demo import create_demo_repository

    parent = options.dir
    if parent is not None:
        parent.mkdir(parents=True, exist_ok=True)
    folder = create_demo_repository(parent)
    print(f"agentdeck demo: created {folder}")
    status = run_deck(folder, debug=options.debug)
    print(f"agentdeck demo: the repository stays at {folder}; delete it when done")
    return status


def run_init(options: argparse.Namespace) -> int:
    repository = find_repository(Path(options.path))
    target = repository.root / ".agentdeck" / "config.toml"
    if target.exists():
        print(f"agentdeck: {target} already exists; edit it, or remove it to start over", file=sys.stderr)
        return EXIT_BAD_INPUT
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(STARTER_CONFIG, encoding="utf-8")
    print(f"wrote {target}")
    return 0


def run_status(options: argparse.Namespace) -> int:
    from agentdeck.state import StateStore

    repository = find_repository(Path(options.path))
    state = StateStore(repository.state_dir).load()
    try:
        load_config(repository.root)
    except ConfigError as error:
        # The tasks are still worth listing, so a broken config is a warning here.
        print(f"agentdeck status: warning: {error}", file=sys.stderr)
    if options.json:
        print(json.dumps(state.to_dict(), indent=2, ensure_ascii=False))
        return 0
    if not state.tasks:
        print("no tasks")
    else:
        rows = [(task.status.value, task.title, task.agent, task.branch, f"+{task.added} -{task.removed}") for task in state.tasks]
        for line in table([("STATUS", "TASK", "AGENT", "BRANCH", "+/-"), *rows]):
            print(line)
    queued = [entry for entry in state.queue if entry.state.value != "removed"]
    if queued:
        print("\nmerge queue:")
        titles = {task.id: task.title for task in state.tasks}
        rows = [(entry.state.value, titles.get(entry.task_id, "(deleted task)"), f"-> {entry.base_branch}") for entry in queued]
        for line in table(rows):
            print(f"  {line}")
    return 0


def table(rows: list[tuple[str, ...]]) -> list[str]:
    """Lay out *rows* in columns two spaces apart, each as wide as its widest cell in terminal cells; the last column is not padded."""
    widths = [max(text_width(row[column]) for row in rows) for column in range(len(rows[0]))]
    return ["  ".join([*(pad(cell, width) for cell, width in zip(row[:-1], widths)), row[-1]]) for row in rows]


def program_version(program: str) -> str:
    """Return the first line ``PROGRAM --version`` prints, or a short reason it printed none."""
    try:
        result = subprocess.run(
            [program, "--version"], capture_output=True, text=True, timeout=10, stdin=subprocess.DEVNULL
        )
    except subprocess.TimeoutExpired:
        return "version unknown (--version timed out)"
    except OSError as error:
        return f"version unknown ({error.strerror})"
    lines = (result.stdout or result.stderr).strip().splitlines()
    return lines[0].strip() if lines else "version unknown"


def run_doctor(options: argparse.Namespace) -> int:
    problems = 0

    def report(ok: bool, text: str) -> None:
        nonlocal problems
        problems += 0 if ok else 1
        print(f"{'ok  ' if ok else 'FIX '} {text}")

    git = shutil.which("git")
    if git:
        report(True, f"{program_version(git)} (commits made on approval run the repository's hooks)")
    else:
        report(False, "git not found on PATH: commits made on approval will skip hooks; install git")
    report(True, f"libgit2 {pygit2.LIBGIT2_VERSION} through pygit2 {pygit2.__version__}")
    term = os.environ.get("TERM", "")
    report(bool(term) and term != "dumb", f"TERM={term or '(unset)'}; COLORTERM={os.environ.get('COLORTERM', '(unset)')}")
    if "TMUX" in os.environ:
        print("     inside tmux: desktop notifications from agents need `set -g allow-passthrough on`")

    agents = BUILTIN_AGENTS
    repository = None
    try:
        repository = find_repository(Path(options.path))
        config = load_config(repository.root)
        report(True, f"repository {repository.root}; config from {', '.join(map(str, config.sources)) or 'built-in defaults'}")
        agents = config.agents
    except AgentdeckError as error:
        report(False, str(error))

    print("agents:")
    for name, profile in sorted(agents.items()):
        found = shutil.which(profile.program)
        label = profile.display_name or name
        if found:
            detail = f"{found}, {program_version(found)}"
        else:
            detail = f"{profile.program} not installed"
        hooks = f", status hooks: {profile.hooks}" if profile.hooks else ""
        print(f"  {'ok' if found else '- '} {name} ({label}): {detail}{hooks}")

    if repository is not None:
        report_leftovers(repository, report)
    return 0 if problems == 0 else EXIT_INTERNAL


def report_leftovers(repository: RepositoryInfo, report) -> None:
    """Report tasks whose worktree is gone and worktrees git lists as prunable."""
    from agentdeck.state import StateStore

    found = 0
    try:
        state = StateStore(repository.state_dir).load()
    except AgentdeckError as error:
        report(False, str(error))
        return
    for task in state.tasks:
        if not Path(task.worktree).is_dir():
            report(False, f"task {task.title!r}: worktree {task.worktree} is missing; delete the task (D) in the deck")
            found += 1
    repo = repository.open()
    for name in repo.list_worktrees():
        worktree = repo.lookup_worktree(name)
        if worktree.is_prunable:
            report(False, f"worktree {name} at {worktree.path} is gone but still registered; run `git worktree prune`")
            found += 1
    if not found:
        report(True, f"{len(state.tasks)} task(s), no leftovers")
