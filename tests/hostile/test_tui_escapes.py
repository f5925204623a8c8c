"""Class 2 in the TUI: a story made of terminal control sequences is drawn inertly.

Rich and Textual pass ESC and C1 characters through to the terminal, so the loader's
replacement is what keeps them out: the title screen, the play screen (prose, speaker,
choices, locked reason, notebook) and the ending must show the visible symbols, and no
control character may be on any screen.
"""

from __future__ import annotations

import re
from pathlib import Path

from kissgame.settings import Settings
from kissgame.tui.app import make_app

ESCAPES = Path(__file__).parent / "stories" / "escapes"
CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def screen_text(app) -> str:
    """Every character on the screen as drawn (the SVG screenshot's text)."""
    return app.export_screenshot()


async def test_escape_story_is_drawn_inertly():
    app = make_app(ESCAPES, seed=1, settings=Settings())
    async with app.run_test(size=(100, 40)) as pilot:
        await pilot.pause()
        shots = [screen_text(app)]
        await pilot.press("enter")  # new game
        await pilot.pause()
        shots.append(screen_text(app))
        await pilot.press("1")
        await pilot.pause()
        shots.append(screen_text(app))
    for shot in shots:
        assert not CONTROL.search(shot), CONTROL.search(shot)
    assert "\u241b" in shots[1]  # the escapes are shown, as visible symbols
