"""``agentdeck demo``: a throwaway repository with a small project and the demo agent."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pygit2

DEMO_FILES = {
    "README.md": "# greet\n\nA tiny command-line greeter, used to try agentdeck.\n",
    "greet.py": (
        '"""Print a greeting."""\n'
        "\n"
        "import sys\n"
        "\n"
        "\n"
        "def greeting(name: str) -> str:\n"
        '    return f"Hello, {name}!"\n'
        "\n"
        "\n"
        'if __name__ == "__main__":\n'
        '    print(greeting(sys.argv[1] if len(sys.argv) > 1 else "world"))\n'
    ),
    "test_greet.py": (
        "from greet import greeting\n"
        "\n"
        "\n"
        "def test_greeting():\n"
        '    assert greeting("Ada") == "Hello, Ada!"\n'
    ),
    ".gitignore": "__pycache__/\n.agentdeck/config.local.toml\n",
    ".agentdeck/config.toml": (
        "# agentdeck settings for this demo repository.\n"
        'default_agent = "demo"\n'
        'branch_prefix = "agentdeck/"\n'
    ),
}

def create_demo_repository(parent: Path | None = None) -> Path:
    """Create a new repository holding the demo project under a fresh temporary folder; return its path."""
    folder = Path(tempfile.mkdtemp(prefix="agentdeck-demo-", dir=parent)) / "greet"
    signature = pygit2.Signature("agentdeck demo", "demo@agentdeck.invalid")
    return init_demo_repository(folder, signature)


def init_demo_repository(folder: Path, signature: pygit2.Signature) -> Path:
    """Write the demo project into *folder* and commit it on ``main`` as *signature*; return *folder*."""
    repo = pygit2.init_repository(str(folder), initial_head="main")
    repo.config["user.name"] = signature.name
    repo.config["user.email"] = signature.email
    for name, content in DEMO_FILES.items():
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(content, encoding="utf-8")
    index = repo.index
    index.add_all()
    index.write()
    repo.create_commit("HEAD", signature, signature, "Start the greet project\n", index.write_tree(), [])
    return folder
