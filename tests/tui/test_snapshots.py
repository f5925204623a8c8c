"""Snapshot tests at 80x24: title, play, notebook, save/load, history.

Deterministic: a fixed seed, a fixed save clock, instant text, UTC, KISSGAME_HOME in tmp.
Update with ``pytest tests/tui/test_snapshots.py --snapshot-update`` after checking the diff.
"""

from __future__ import annotations

from conftest import fixed_clock, settle
from kissgame.engine import choose, new_game
from kissgame.saves import SaveStore
from kissgame.settings import Settings
from kissgame.tui.app import make_app

SIZE = (80, 24)


def app_for(root):
    return make_app(root, seed=7, clock=fixed_clock, settings=Settings())


def test_title(snap_compare, story_root):
    assert snap_compare(app_for(story_root), terminal_size=SIZE, run_before=settle)


def test_play(snap_compare, story_root):
    assert snap_compare(app_for(story_root), press=["enter", "1"], terminal_size=SIZE,
                        run_before=settle)


def test_notebook(snap_compare, story_root):
    assert snap_compare(app_for(story_root), press=["enter", "3", "1", "2", "n"],
                        terminal_size=SIZE, run_before=settle)


def test_load_screen(snap_compare, story_root):
    app = app_for(story_root)
    store = SaveStore("tiny-kiss", clock=fixed_clock)
    state = choose(app.story, new_game(app.story, 7), "hug")
    store.write("1", app.story, state, 754, "Episode 1: Hello", "The Hall")
    store.write("quick", app.story, choose(app.story, state, "walk"), 3725,
                "Episode 2: Goodbye", "The Dorm")
    store.path("2").write_text('{"save_version": 1, "story_id": "tiny-ki')

    async def open_load(pilot):
        await settle(pilot)
        await pilot.press("l")
        await settle(pilot)

    assert snap_compare(app, terminal_size=SIZE, run_before=open_load)


def test_history(snap_compare, story_root):
    async def play_then_history(pilot):
        await settle(pilot)
        await pilot.press("enter", "1", "1", "h")
        await settle(pilot)

    assert snap_compare(app_for(story_root), terminal_size=SIZE, run_before=play_then_history)
