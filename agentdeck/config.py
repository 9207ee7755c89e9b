"""Configuration: built-in defaults, then the user file, the repository file and the personal file.

Each later source overrides the keys it sets. Files are TOML, read with tomllib.
Commands are argument lists and never pass through a shell.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import platformdirs

from agentdeck.agents import BUILTIN_AGENTS, HOOK_KINDS, RULES_BY_NAME, AgentProfile
from agentdeck.errors import ConfigError

MERGE_STRATEGIES = ("merge", "squash", "rebase", "ff-only")
_DURATION_PART = re.compile(r"(\d+(?:\.\d+)?)(h|m|s)")
_DURATION_UNITS = {"h": 3600, "m": 60, "s": 1}


# Keys that later features read. They are accepted here so a config written for
# them does not fail to load; each is validated where it is used.
_RESERVED_KEYS = {"setup", "teardown", "copy", "ports_per_task", "budgets"}
_KNOWN_KEYS = {
    "default_agent",
    "branch_prefix",
    "worktree_root",
    "theme",
    "merge_strategy",
    "check",
    "check_timeout",
    "remove_after_landing",
    "keys",
    "agents",
} | _RESERVED_KEYS


@dataclass(frozen=True)
class Config:
    """The merged configuration of one repository."""

    default_agent: str = "claude"
    branch_prefix: str = "agentdeck/"
    worktree_root: Path | None = None
    theme: str = "agentdeck-dark"
    merge_strategy: str = "merge"
    check: tuple[str, ...] | None = None
    check_timeout: float = 15 * 60
    """Seconds the check command may run before it is killed and the entry fails."""
    remove_after_landing: bool = False
    """Remove a landed task's worktree, and its branch when the base contains it."""
    keys: dict[str, str] = field(default_factory=dict)
    agents: dict[str, AgentProfile] = field(default_factory=lambda: dict(BUILTIN_AGENTS))
    sources: tuple[Path, ...] = ()

    def agent(self, name: str) -> AgentProfile:
        """Return the profile called *name*.

        Raises:
            ConfigError: no built-in profile or [agents] entry has that name.
        """
        try:
            return self.agents[name]
        except KeyError:
            known = ", ".join(sorted(self.agents))
            raise ConfigError(f"unknown agent {name!r}; use one of: {known}, or add [agents.{name}] to the config") from None

    def worktree_root_for(self, repository_root: Path) -> Path:
        """Return the folder that contains the task worktrees of the repository at *repository_root*."""
        if self.worktree_root is None:
            return repository_root.parent / f"{repository_root.name}.worktrees"
        if self.worktree_root.is_absolute():
            return self.worktree_root
        return (repository_root / self.worktree_root).resolve()


def user_config_path() -> Path:
    """Return the path of the user's own config file."""
    return Path(platformdirs.user_config_dir("agentdeck")) / "config.toml"


def config_paths(repository_root: Path) -> list[Path]:
    """Return the config files read for a repository, lowest precedence first."""
    return [
        user_config_path(),
        repository_root / ".agentdeck" / "config.toml",
        repository_root / ".agentdeck" / "config.local.toml",
    ]


def load_config(repository_root: Path, extra: dict[str, Any] | None = None) -> Config:
    """Read and merge every config file of the repository; *extra* overrides them all.

    Raises:
        ConfigError: a file is not valid TOML, a value is invalid, or
            ``default_agent`` names no agent; the message names the file and the key.
    """
    config = Config()
    sources: list[Path] = []
    for path in config_paths(repository_root):
        if not path.is_file():
            continue
        config = apply_table(config, read_toml(path), str(path))
        sources.append(path)
    if extra:
        config = apply_table(config, extra, "command line")
    if config.default_agent not in config.agents:
        where = ", ".join(str(path) for path in sources) or "command line"
        raise ConfigError(
            f"{where}: default_agent {config.default_agent!r} is not an agent; use one of "
            f"{', '.join(sorted(config.agents))}, or add [agents.{config.default_agent}] with a command"
        )
    return replace(config, sources=tuple(sources))


def read_toml(path: Path) -> dict[str, Any]:
    """Parse one TOML file, turning every failure into a ConfigError that names the file."""
    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"{path}: invalid TOML: {error}; fix the file or remove it") from error
    except OSError as error:
        raise ConfigError(f"{path}: cannot read: {error.strerror}") from error


def apply_table(config: Config, table: dict[str, Any], source: str) -> Config:
    """Return *config* with the keys of one parsed file applied on top."""
    unknown = sorted(set(table) - _KNOWN_KEYS)
    if unknown:
        raise ConfigError(f"{source}: unknown key {unknown[0]!r}; known keys are {', '.join(sorted(_KNOWN_KEYS))}")

    changes: dict[str, Any] = {}
    for key in ("default_agent", "branch_prefix", "theme"):
        if key in table:
            changes[key] = _string(table[key], key, source)
    if "worktree_root" in table:
        changes["worktree_root"] = Path(_string(table["worktree_root"], "worktree_root", source)).expanduser()
    if "merge_strategy" in table:
        strategy = _string(table["merge_strategy"], "merge_strategy", source)
        if strategy not in MERGE_STRATEGIES:
            raise ConfigError(f"{source}: merge_strategy {strategy!r} is invalid; use one of {', '.join(MERGE_STRATEGIES)}")
        changes["merge_strategy"] = strategy
    if "check" in table:
        changes["check"] = tuple(_argv(table["check"], "check", source))
    if "check_timeout" in table:
        changes["check_timeout"] = parse_duration(table["check_timeout"], "check_timeout", source)
    if "remove_after_landing" in table:
        value = table["remove_after_landing"]
        if not isinstance(value, bool):
            raise ConfigError(f"{source}: remove_after_landing must be true or false, not {value!r}")
        changes["remove_after_landing"] = value
    if "keys" in table:
        keys = _table(table["keys"], "keys", source)
        merged_keys = dict(config.keys)
        for action, key in keys.items():
            merged_keys[action] = _string(key, f"keys.{action}", source)
        changes["keys"] = merged_keys
    if "agents" in table:
        changes["agents"] = _merge_agents(config.agents, _table(table["agents"], "agents", source), source)

    config = replace(config, **changes)
    if "branch_prefix" in changes:
        _check_branch_prefix(config.branch_prefix, source)
    return config


def parse_duration(value: Any, key: str, source: str) -> float:
    """Return the seconds in a duration such as ``"15m"``, ``"90s"`` or ``"1h30m"``.

    Raises:
        ConfigError: *value* is not a string of one or more number-and-unit parts
            (``h``, ``m``, ``s``) with a total above zero.
    """
    if not isinstance(value, str):
        raise ConfigError(f"{source}: {key} must be a duration string such as \"15m\", \"90s\" or \"1h30m\", not {value!r}")
    text = value.strip().lower()
    matches = list(_DURATION_PART.finditer(text))
    if not text or "".join(match.group(0) for match in matches) != text:
        raise ConfigError(f"{source}: {key} {value!r} is not a duration; write it like \"15m\", \"90s\" or \"1h30m\"")
    seconds = sum(float(match.group(1)) * _DURATION_UNITS[match.group(2)] for match in matches)
    if seconds <= 0:
        raise ConfigError(f"{source}: {key} {value!r} must be longer than zero")
    return seconds


def _merge_agents(agents: dict[str, AgentProfile], table: dict[str, Any], source: str) -> dict[str, AgentProfile]:
    merged = dict(agents)
    allowed = ("command", "name", "resume", "rules", "hooks")
    for name, entry in table.items():
        entry = _table(entry, f"agents.{name}", source)
        unknown = sorted(set(entry) - set(allowed))
        if unknown:
            raise ConfigError(f"{source}: unknown key agents.{name}.{unknown[0]}; an agent entry takes {', '.join(allowed)}")
        base = merged.get(name, AgentProfile(name, ()))
        if "command" in entry:
            base = replace(base, command=tuple(_argv(entry["command"], f"agents.{name}.command", source)))
        if "name" in entry:
            base = replace(base, display_name=_string(entry["name"], f"agents.{name}.name", source))
        if "resume" in entry:
            base = replace(base, resume=tuple(_argv(entry["resume"], f"agents.{name}.resume", source)))
        if "rules" in entry:
            rules = _string(entry["rules"], f"agents.{name}.rules", source)
            if rules not in RULES_BY_NAME:
                raise ConfigError(f"{source}: agents.{name}.rules {rules!r} is invalid; use one of {', '.join(RULES_BY_NAME)}")
            base = replace(base, rules=RULES_BY_NAME[rules])
        if "hooks" in entry:
            hooks = _string(entry["hooks"], f"agents.{name}.hooks", source)
            if hooks not in (*HOOK_KINDS, "none"):
                raise ConfigError(f"{source}: agents.{name}.hooks {hooks!r} is invalid; use one of {', '.join(HOOK_KINDS)}, none")
            base = replace(base, hooks=None if hooks == "none" else hooks)
        if not base.command:
            raise ConfigError(f"{source}: agents.{name} has no command; set command = [\"program\", \"arg\", ...]")
        merged[name] = base
    return merged


def _check_branch_prefix(prefix: str, source: str) -> None:
    # Imported here because slugs imports nothing from config and this keeps the cycle out.
    from agentdeck.slugs import is_valid_branch_name

    if prefix and not is_valid_branch_name(prefix + "x"):
        raise ConfigError(f"{source}: branch_prefix {prefix!r} does not form a valid branch name; use something like \"agentdeck/\"")


def _string(value: Any, key: str, source: str) -> str:
    if not isinstance(value, str):
        raise ConfigError(f"{source}: {key} must be a string, not {type(value).__name__} {value!r}")
    return value


def _table(value: Any, key: str, source: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise ConfigError(f"{source}: [{key}] must be a table, not {type(value).__name__}")
    return value


def _argv(value: Any, key: str, source: str) -> list[str]:
    if isinstance(value, str):
        raise ConfigError(
            f"{source}: {key} must be an argument list such as [\"pytest\", \"-q\"], not the string {value!r}; "
            "commands never pass through a shell"
        )
    if not isinstance(value, list) or not value or not all(isinstance(item, str) for item in value):
        raise ConfigError(f"{source}: {key} must be a non-empty list of strings, not {value!r}")
    return list(value)
