"""Themes from TOML files: the built-in ones shipped with the package, then the user's own."""

from __future__ import annotations

import logging
import tomllib
from pathlib import Path

import platformdirs
from textual.theme import Theme

log = logging.getLogger(__name__)

_THEME_KEYS = {
    "name", "dark", "primary", "secondary", "accent", "foreground", "background",
    "surface", "panel", "success", "warning", "error", "boost", "variables",
}


def theme_folders() -> list[Path]:
    """Return the folders searched for theme files, built-in first."""
    package = Path(__file__).resolve().parent.parent
    return [
        package / "themes",  # inside an installed wheel
        package.parent / "themes",  # a source checkout or an editable install
        Path(platformdirs.user_config_dir("agentdeck")) / "themes",
    ]


def load_theme(path: Path) -> Theme:
    """Read one theme file.

    Raises:
        ValueError: the file is not valid TOML or has no name or primary colour.
    """
    with path.open("rb") as handle:
        data = tomllib.load(handle)
    unknown = set(data) - _THEME_KEYS
    if unknown:
        raise ValueError(f"unknown key {sorted(unknown)[0]!r}")
    if "name" not in data or "primary" not in data:
        raise ValueError("a theme needs at least name and primary")
    return Theme(**data)


def discover_themes() -> list[Theme]:
    """Return every readable theme; a broken file is logged and skipped."""
    themes: dict[str, Theme] = {}
    for folder in theme_folders():
        if not folder.is_dir():
            continue
        for path in sorted(folder.glob("*.toml")):
            try:
                theme = load_theme(path)
            except (OSError, ValueError, TypeError, tomllib.TOMLDecodeError) as error:
                log.error("theme %s skipped: %s", path, error)
                continue
            themes[theme.name] = theme
    return list(themes.values())
