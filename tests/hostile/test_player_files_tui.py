"""Class 4 through the real app: hostile player files do not stop the screens opening.

With a hostile settings file, three hostile save slots beside a good one and a hostile
branch memory, the title screen, the load screen and the endings gallery all open, and
the good save still loads.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

from kissgame.branches import memory_path
from kissgame.engine import choose, new_game
from kissgame.loader import load_story_or_raise
from kissgame.resources import data_dir
from kissgame.saves import SaveStore
from kissgame.settings import settings_path
from kissgame.tui.app import make_app

BRANCHY = Path(__file__).parents[1] / "fixtures" / "branchy"


def deep(n: int) -> str:
    return '{"a":' * n + "1" + "}" * n


async def test_screens_open_over_hostile_player_files():
    story = load_story_or_raise(BRANCHY)
    settings_path().parent.mkdir(parents=True, exist_ok=True)
    settings_path().write_text(deep(50_000))
    store = SaveStore(story.id, clock=lambda: 1_700_000_000.0)
    good = choose(story, new_game(story, 3), "to_dorm")
    store.write("4", story, good, 10.0, "Arrival", "The Dorm")
    template = json.loads(store.path("4").read_text())
    store.path("1").write_text(json.dumps({**template, "saved_at": 1e300}))
    store.path("2").write_text(json.dumps(template).replace('"play_seconds": 10.0',
                                                            '"play_seconds": NaN'))
    store.path("3").write_text(deep(100_000))
    memory = memory_path(story.id)
    memory.parent.mkdir(parents=True, exist_ok=True)
    memory.write_text(json.dumps({
        "branches_version": 1, "story": story.id,
        "scenes": {"arrival": {"visits": 1, "first_seen": "0001-01-01T00:00:00+14:00",
                               "seen": {}, "taken": {}}},
        "endings": {"friends": {"first_found": "9999-12-31T23:59:59-14:00",
                                "last_found": "x", "times": 10**30,
                                "arrival": {"seed": 1, "path": []}}}}))
    assert data_dir() in memory.parents

    app = make_app(BRANCHY, clock=time.time, seed=1)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await app.workers.wait_for_complete()
        assert type(app.screen).__name__ == "TitleScreen"
        await pilot.press("l")
        await pilot.pause()
        await app.workers.wait_for_complete()
        await pilot.pause()
        screen = app.screen
        assert type(screen).__name__ == "SlotScreen"
        infos = screen.infos  # type: ignore[attr-defined]
        assert all(infos[s].damaged for s in "123")
        assert infos["4"].data is not None
        await pilot.press("escape")
        await pilot.pause()
        await app.screen.run_action("menu('gallery')")
        await pilot.pause()
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert type(app.screen).__name__ == "GalleryScreen"
