"""Logging to a file in the state directory, never to the terminal the UI draws on."""

from __future__ import annotations

import logging
import logging.handlers
from pathlib import Path

LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def configure_logging(state_dir: Path, debug: bool = False) -> Path:
    """Send agentdeck's log records to ``<state_dir>/agentdeck.log``; return the file's path."""
    state_dir.mkdir(parents=True, exist_ok=True)
    path = state_dir / "agentdeck.log"
    handler = logging.handlers.RotatingFileHandler(path, maxBytes=2_000_000, backupCount=2, encoding="utf-8")
    handler.setFormatter(logging.Formatter(LOG_FORMAT))
    root = logging.getLogger("agentdeck")
    for old in list(root.handlers):
        root.removeHandler(old)
        old.close()
    root.addHandler(handler)
    root.setLevel(logging.DEBUG if debug else logging.INFO)
    root.propagate = False
    return path
