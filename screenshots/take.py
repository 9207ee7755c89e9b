"""Write SVG screenshots of the deck and the review screen at 120x40 and 80x24.

Run from the repository root:

    python screenshots/take.py

The scenes are the ones the snapshot tests use (tests/scenes.py): the demo
project with two demo-agent tasks, one idle after its edit, one waiting for
an answer. The repository is made in a temporary home folder and removed.
"""

from __future__ import annotations

import asyncio
import os
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


async def take(scene_name: str, size: tuple[int, int], home: Path, output: Path) -> Path:
    from agentdeck.ui.app import AgentdeckApp
    from tests.scenes import SCENES, make_demo_deck

    deck = make_demo_deck(home / f"{scene_name}-{size[0]}x{size[1]}")
    app = AgentdeckApp(deck)
    try:
        async with app.run_test(size=size) as pilot:
            await SCENES[scene_name](pilot)
            name = f"{scene_name}-{size[0]}x{size[1]}.svg"
            app.save_screenshot(name, str(output))
    finally:
        deck.shutdown()
    return output / name


def main() -> int:
    output = ROOT / "screenshots"
    with tempfile.TemporaryDirectory(prefix="agentdeck-shots-") as folder:
        home = Path(folder)
        # The deck shows the repository path with the home folder as ~, so each shot reads ~/greet.
        os.environ["HOME"] = str(home)
        os.environ["PYTHONPATH"] = str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")
        from tests.scenes import SCENES, SIZES

        for scene_name in sorted(SCENES):
            for size in SIZES:
                scene_home = home / f"{scene_name}-{size[0]}x{size[1]}"
                scene_home.mkdir()
                os.environ["HOME"] = str(scene_home)
                path = asyncio.run(take(scene_name, size, home, output))
                print(f"wrote {path.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
