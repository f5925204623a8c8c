"""Snapshot tests at 80x24 and 160x50: every screen and dialog of the game.

Deterministic: a fixed seed, a fixed save clock, instant text, UTC, KISSGAME_HOME in tmp.
Update with ``pytest tests/tui/test_snapshots.py --snapshot-update`` after checking the diff.
"""

from __future__ import annotations

import pytest

from conftest import EP1, fixed_clock, settle, write_story
from kissgame.branches import load_memory, save_memory
from kissgame.engine import choose, new_game
from kissgame.saves import SaveStore
from kissgame.settings import Settings
from kissgame.tui.app import make_app

SIZES = [pytest.param((80, 24), id="80x24"), pytest.param((160, 50), id="160x50")]
LONG = " ".join(f"Sentence {n} of a scene much longer than one screen." for n in range(60))
LONG_EP1 = EP1.replace(
    '      - dae: "Kitty? What are you doing here?"',
    f'      - dae: "Kitty? What are you doing here?"\n      - "{LONG}"\n'
    '      - "THE LAST LINE of the arrival."')


def app_for(root):
    return make_app(root, seed=7, clock=fixed_clock, settings=Settings())


def keys(*pressed: str):
    async def run_before(pilot) -> None:
        await settle(pilot)
        for key in pressed:
            await pilot.press(key)
            await settle(pilot)

    return run_before


@pytest.mark.parametrize("size", SIZES)
def test_title(snap_compare, story_root, size):
    assert snap_compare(app_for(story_root), terminal_size=size, run_before=keys())


@pytest.mark.parametrize("size", SIZES)
def test_play(snap_compare, story_root, size):
    assert snap_compare(app_for(story_root), terminal_size=size,
                        run_before=keys("enter", "1"))


@pytest.mark.parametrize("size", SIZES)
def test_play_long_scene(snap_compare, tmp_path, size):
    root = write_story(tmp_path / "long", ep1=LONG_EP1)
    assert snap_compare(app_for(root), terminal_size=size, run_before=keys("enter"))


@pytest.mark.parametrize("size", SIZES)
def test_play_long_scene_scrolled_to_its_end(snap_compare, tmp_path, size):
    root = write_story(tmp_path / "long", ep1=LONG_EP1)
    assert snap_compare(app_for(root), terminal_size=size,
                        run_before=keys("enter", "space", "end"))


@pytest.mark.parametrize("size", SIZES)
def test_notebook(snap_compare, story_root, size):
    assert snap_compare(app_for(story_root), terminal_size=size,
                        run_before=keys("enter", "3", "1", "2", "n"))


@pytest.mark.parametrize("size", SIZES)
def test_ending(snap_compare, story_root, size):
    assert snap_compare(app_for(story_root), terminal_size=size,
                        run_before=keys("enter", "1", "1", "1"))


@pytest.mark.parametrize("size", SIZES)
def test_load_screen(snap_compare, story_root, size):
    app = app_for(story_root)
    store = SaveStore("tiny-kiss", clock=fixed_clock)
    state = choose(app.story, new_game(app.story, 7), "hug")
    store.write("1", app.story, state, 754, "Episode 1: Hello", "The Hall")
    store.write("quick", app.story, choose(app.story, state, "walk"), 3725,
                "Episode 2: Goodbye", "The Dorm")
    store.path("2").write_text('{"save_version": 1, "story_id": "tiny-ki')
    assert snap_compare(app, terminal_size=size, run_before=keys("l"))


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("dialog", ["s", "h", "o", "question_mark", "ctrl+q"])
def test_dialogs(snap_compare, story_root, size, dialog):
    assert snap_compare(app_for(story_root), terminal_size=size,
                        run_before=keys("enter", "1", dialog))


@pytest.mark.parametrize("size", SIZES)
def test_story_error(snap_compare, tmp_path, size, monkeypatch):
    monkeypatch.chdir(tmp_path)  # the error names its file relative to here: stable
    root = write_story(tmp_path / "broken", ep1=EP1.replace("do: rules += 4",
                                                            "do: rules = 10 / rules"))
    assert snap_compare(app_for(root), terminal_size=size, run_before=keys("enter", "2"))


def remember_two_endings(story) -> None:
    memory = load_memory(story)[0]
    for path in (["hug", "walk", "stay"], ["sneak", "walk", "goodbye"]):
        state = new_game(story, 7)
        memory.observe(story, state, "2024-05-01T12:00:00+00:00")
        for choice_id in path:
            state = choose(story, state, choice_id)
            memory.observe(story, state, "2024-05-01T12:00:00+00:00")
    assert save_memory(memory) is None


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("entry", ["gallery", "branch_map"])
def test_gallery_and_branch_map(snap_compare, story_root, size, entry):
    app = app_for(story_root)
    remember_two_endings(app.story)
    app = app_for(story_root)  # reads the memory just written
    downs = {"gallery": 3, "branch_map": 4}[entry]
    assert snap_compare(app, terminal_size=size,
                        run_before=keys(*["down"] * downs, "enter"))
