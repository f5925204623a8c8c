"""The endings gallery, on a small host App."""

from __future__ import annotations

import pytest
from textual.widgets import OptionList, Static

from conftest import HostApp
from kissgame.branches import BranchMemory, load_memory, save_memory
from kissgame.engine import Story, choose, new_game
from kissgame.tui.screens.gallery import GalleryScreen
from kissgame.tui.screens.replay_player import ReplayPlayerScreen

NOW = "2025-01-02T03:04:05+00:00"


@pytest.fixture
def home(kiss_home):
    """KISSGAME_HOME, set (with TZ=UTC) by the autouse fixture in conftest.py."""
    return kiss_home


@pytest.fixture
def story(branchy) -> Story:
    return branchy


def found_two(story) -> BranchMemory:
    memory = BranchMemory(story.id)
    for seed, path in ((7, ["to_dorm", "next", "sit_q"]), (9, ["to_campus", "skip", "sit_q"]),
                       (9, ["to_campus", "yearbook", "library"])):
        state = new_game(story, seed)
        memory.observe(story, state, NOW)
        for choice_id in path:
            state = choose(story, state, choice_id)
            memory.observe(story, state, NOW)
    return memory


def option_text(screen) -> list[str]:
    listing = screen.query_one(OptionList)
    return [str(listing.get_option_at_index(i).prompt) for i in range(listing.option_count)]


async def test_found_and_locked_endings_read_from_disk(story):
    save_memory(found_two(story))
    app = HostApp(story, screen=GalleryScreen)  # no memory on the app: the gallery reads the file
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        screen = app.screen
        assert "2 of 3 found" in str(screen.query_one("#gallery-summary", Static).render())
        friends, alone, shelved = option_text(screen)
        assert "A Seat Saved" in friends and "Kitty's first lunch at KISS" in friends
        assert "2025-01-02 03:04" in friends and "reached 2 times" in friends
        assert "Table for One" not in alone and "Keep your head down." in alone
        assert "Shelved" in shelved


async def test_gallery_plays_a_path_to_a_found_ending(story):
    app = HostApp(story, screen=GalleryScreen, memory=found_two(story))
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await pilot.press("down", "enter")  # locked: only a hint
        await pilot.pause()
        assert isinstance(app.screen, GalleryScreen)
        await pilot.press("down", "p")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert isinstance(app.screen, ReplayPlayerScreen)
        assert app.screen.recording.expect_ending == "shelved"
        await pilot.press("escape")
        assert isinstance(app.screen, GalleryScreen)
        await pilot.press("escape")
        assert not isinstance(app.screen, GalleryScreen)


async def test_a_damaged_memory_file_shows_an_empty_gallery(story, home):
    path = home / "data" / "branches" / "branchy.json"
    path.parent.mkdir(parents=True)
    path.write_text("{\"scenes\": [")
    memory, problem = load_memory(story)
    assert problem
    app = HostApp(story, screen=GalleryScreen, memory=memory)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        assert "0 of 3 found" in str(app.screen.query_one("#gallery-summary", Static).render())


def test_gallery_snapshot(snap_compare, story):
    app = HostApp(story, screen=GalleryScreen, memory=found_two(story))
    assert snap_compare(app, terminal_size=(80, 24))
