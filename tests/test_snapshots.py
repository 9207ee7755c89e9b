"""SVG snapshots of the deck and the review screen at 120x40 and 80x24.

Run ``python -m pytest tests/test_snapshots.py --snapshot-update`` after an
intended change of the screens, look at the new SVG files, and commit them.
"""

from __future__ import annotations

import pytest

from tests.conftest import python_env
from tests.scenes import SCENES, SIZES, make_demo_deck
from agentdeck.ui.app import AgentdeckApp

pytestmark = pytest.mark.slow


@pytest.fixture
def demo_app(isolated_home, monkeypatch):
    monkeypatch.setenv("PYTHONPATH", python_env()["PYTHONPATH"])
    deck = make_demo_deck(isolated_home)
    yield AgentdeckApp(deck)
    deck.shutdown()


@pytest.mark.parametrize("size", SIZES, ids=lambda size: f"{size[0]}x{size[1]}")
@pytest.mark.parametrize("scene", sorted(SCENES))
def test_screen_snapshot(snap_compare, demo_app, scene, size):
    assert snap_compare(demo_app, terminal_size=size, run_before=SCENES[scene])
