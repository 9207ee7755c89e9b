"""Domain modules never load textual or rich."""

from __future__ import annotations

import json
import pkgutil
import subprocess
import sys
from pathlib import Path

import agentdeck
from tests.conftest import python_env

PACKAGE_DIR = Path(agentdeck.__file__).parent


def domain_modules() -> list[str]:
    return sorted(
        f"agentdeck.{info.name}"
        for info in pkgutil.iter_modules([str(PACKAGE_DIR)])
        if info.name not in {"ui", "__main__"}
    )


def test_domain_modules_found():
    modules = domain_modules()
    for expected in ("agentdeck.deck", "agentdeck.sessions", "agentdeck.worktrees", "agentdeck.merge_queue", "agentdeck.config", "agentdeck.state"):
        assert expected in modules


def test_domain_imports_no_ui():
    code = (
        "import importlib, json, sys\n"
        f"for name in {domain_modules()!r}:\n"
        "    importlib.import_module(name)\n"
        "print(json.dumps(sorted(m for m in sys.modules if m.split('.')[0] in ('textual', 'rich'))))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=python_env(), check=True)
    assert json.loads(result.stdout) == []
