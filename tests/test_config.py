"""Config files: precedence, agent overrides and errors that name the key."""

from __future__ import annotations

import pytest

from agentdeck.config import load_config
from agentdeck.errors import ConfigError


def write(path, text):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def test_defaults_without_files(repo_path):
    config = load_config(repo_path)
    assert config.default_agent == "claude"
    assert config.branch_prefix == "agentdeck/"
    assert config.worktree_root_for(repo_path) == repo_path.parent / "project.worktrees"
    assert set(config.agents) >= {"claude", "codex", "aider", "opencode", "gemini", "copilot", "demo"}


def test_local_file_overrides_repository_file(repo_path, isolated_home):
    write(isolated_home / ".config" / "agentdeck" / "config.toml", 'default_agent = "aider"\ntheme = "mine"\n')
    write(repo_path / ".agentdeck" / "config.toml", 'default_agent = "codex"\nbranch_prefix = "ai/"\n')
    write(repo_path / ".agentdeck" / "config.local.toml", 'default_agent = "demo"\n')

    config = load_config(repo_path)

    assert config.default_agent == "demo"
    assert config.branch_prefix == "ai/"
    assert config.theme == "mine"
    assert len(config.sources) == 3


def test_agent_command_override_and_new_agent(repo_path):
    write(
        repo_path / ".agentdeck" / "config.toml",
        '[agents.claude]\ncommand = ["claude", "--model", "x", "{prompt}"]\n[agents.mine]\ncommand = ["my-agent"]\n',
    )
    config = load_config(repo_path)
    assert config.agent("claude").argv("hi $(x)") == ["claude", "--model", "x", "hi $(x)"]
    assert config.agent("mine").takes_prompt_in_argv is False
    assert config.agent("claude").display_name == "Claude Code"


def test_relative_worktree_root(repo_path):
    write(repo_path / ".agentdeck" / "config.toml", 'worktree_root = "../trees"\n')
    assert load_config(repo_path).worktree_root_for(repo_path) == (repo_path.parent / "trees").resolve()


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("default_agent = \n", "invalid TOML"),
        ("colour = 1\n", "unknown key 'colour'"),
        ("branch_prefix = 3\n", "branch_prefix must be a string"),
        ('branch_prefix = "bad..prefix/"\n', "branch_prefix"),
        ('merge_strategy = "octopus"\n', "merge_strategy 'octopus' is invalid"),
        ('check = "pytest -q"\n', "argument list"),
        ('[agents.x]\ncommand = "x --y"\n', "argument list"),
        ("[agents.x]\ncommand = []\n", "non-empty list"),
        ('[agents.x]\nargs = ["y"]\n', "agents.x.args"),
        ("[agents.x]\n", "has no command"),
        ('default_agent = "nosuchagent"\n', "default_agent 'nosuchagent' is not an agent"),
    ],
)
def test_invalid_values_name_the_key(repo_path, text, fragment):
    write(repo_path / ".agentdeck" / "config.toml", text)
    with pytest.raises(ConfigError) as raised:
        load_config(repo_path)
    assert fragment in str(raised.value)
    assert "config.toml" in str(raised.value)


def test_unknown_agent_lists_known(repo_path):
    with pytest.raises(ConfigError, match="unknown agent 'nope'.*claude"):
        load_config(repo_path).agent("nope")
