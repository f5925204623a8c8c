"""A cold start opens the story before all of it is compiled; errors the whole check
finds afterwards are shown to the player, located (kissgame.opening)."""

from __future__ import annotations

import time

from conftest import EP1, EP2, MANIFEST, fixed_clock, settle, write_story
from kissgame.cache import read_cached, story_key
from kissgame.settings import Settings
from kissgame.tui.app import make_app
from kissgame.tui.screens.story_error import StoryErrorScreen
from kissgame.tui.screens.title import TitleScreen
from kissgame.tui.widgets.plain import Plain


async def wait_for_check(app, pilot) -> None:
    deadline = time.monotonic() + 30
    while not app.opening.finished and time.monotonic() < deadline:
        await pilot.pause(0.05)
    await settle(pilot)


async def test_errors_found_after_the_title_screen_are_shown_located(tmp_path):
    ep2 = EP2.replace('title: "The Dorm"', 'title: "The Dorm"\n    next: nowhere', 1)
    root = write_story(tmp_path / "late", manifest=MANIFEST, ep1=EP1, ep2=ep2)
    app = make_app(root, seed=7, settings=Settings(), clock=fixed_clock)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for_check(app, pilot)
        assert isinstance(app.screen, StoryErrorScreen)
        shown = str(app.screen.query_one("#story-error-text", Plain).render())
        assert "kissgame check" in shown and "ep2.yaml:" in shown and "nowhere" in shown
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, TitleScreen)
    assert read_cached(story_key(root)) is None


async def test_a_sound_story_is_cached_after_the_title_screen(tmp_path):
    root = write_story(tmp_path / "sound")
    app = make_app(root, seed=7, settings=Settings(), clock=fixed_clock)
    assert not app.opening.finished  # the title screen comes before the whole check
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for_check(app, pilot)
        assert isinstance(app.screen, TitleScreen)
    assert read_cached(story_key(root)) is not None
    assert make_app(root, seed=7, settings=Settings()).opening.finished  # warm now
