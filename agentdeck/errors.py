"""Errors that agentdeck reports to the user.

Each message names the value at fault and what to do about it, so the command
line can print it as one line and the deck can show it as a toast or a modal.
"""

from __future__ import annotations


class AgentdeckError(Exception):
    """Base class for every error meant to be shown to the user."""


class RepositoryError(AgentdeckError):
    """The path is not a usable git repository (missing, bare or without commits)."""


class ConfigError(AgentdeckError):
    """A config file is unreadable or holds an invalid value."""


class TaskError(AgentdeckError):
    """A task could not be created, started or changed."""


class WorktreeError(AgentdeckError):
    """A branch or linked worktree could not be created or removed."""


class SessionError(AgentdeckError):
    """An agent process could not be started or written to."""


class ReviewError(AgentdeckError):
    """The changes of a task could not be computed or committed."""


class MergeError(AgentdeckError):
    """A merge queue entry could not be landed."""


class StateError(AgentdeckError):
    """The saved tasks and queue could not be read or written."""
