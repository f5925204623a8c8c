"""The debug overlay (F12 with --watch or --debug)."""

from __future__ import annotations

from textual.widgets import DataTable, Input, Static

from conftest import fixed_clock, settle
from kissgame.settings import Settings
from kissgame.tui.app import KissApp, make_app
from kissgame.tui.screens.debug import DebugScreen
from kissgame.tui.screens.play import PlayScreen
from kissgame.tui.widgets.prose import ProsePanel


def app_for(root, **kw) -> KissApp:
    return make_app(root, seed=7, settings=Settings(), clock=fixed_clock, **kw)


def shown(app: KissApp, selector: str) -> str:
    return str(app.screen.query_one(selector, Static).content)


async def open_overlay(pilot, *moves: str) -> DebugScreen:
    await settle(pilot)
    await pilot.press("enter", *moves)
    await pilot.press("f12")
    await pilot.pause()
    screen = pilot.app.screen
    assert isinstance(screen, DebugScreen)
    return screen


async def select_var(pilot, name: str) -> None:
    table = pilot.app.screen.query_one("#debug-vars", DataTable)
    table.focus()
    table.move_cursor(row=table.get_row_index(name))
    await pilot.press("enter")


async def test_overlay_shows_scene_vars_visits_and_hidden_choices(story_root):
    app = app_for(story_root, debug=True)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_overlay(pilot, "2", "1")  # sneak (rules 4), walk: the dorm
        where = shown(app, "#debug-where")
        assert "scene dorm" in where and f"{story_root / 'scenes' / 'ep2.yaml'}:3:" in where
        table = app.screen.query_one("#debug-vars", DataTable)
        assert [str(k.value) for k in table.rows] == list(app.story.vars)
        assert str(table.get_row("rules")[1]) == "4"
        hidden = shown(app, "#debug-hidden")
        assert "stay" in hidden and "ship.dae_kitty >= 7" in hidden
        assert "sneak_out" not in hidden  # rules >= 4 holds
        visits = shown(app, "#debug-visits")
        assert "arrive \u00d71" in visits and "dorm \u00d71" in visits
        await pilot.press("escape")
        assert isinstance(app.screen, PlayScreen)


async def test_edit_a_variable(story_root):
    app = app_for(story_root, watch=True)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_overlay(pilot, "1", "1")  # hug, walk: the dorm, ship at 8
        before = app.state
        await select_var(pilot, "ship.dae_kitty")
        field = app.screen.query_one("#debug-value", Input)
        assert field.has_focus and field.value == "8"
        field.value = ""
        await pilot.press("1", "2", "enter")  # out of bounds (max 10)
        assert "0..10" in shown(app, "#debug-status")
        assert app.state is before
        field.value = ""
        await pilot.press("2", "enter")
        assert app.state is not before and app.state.vars["ship.dae_kitty"] == 2
        assert before.vars["ship.dae_kitty"] == 8
        assert app.state.path == before.path and app.state.scene == "dorm"
        table = app.screen.query_one("#debug-vars", DataTable)
        assert str(table.get_row("ship.dae_kitty")[1]) == "2"
        assert "stay" in shown(app, "#debug-hidden")  # the edit hid 'Stay with Dae'
        await select_var(pilot, "clue.letters")
        field.value = "maybe"
        await pilot.press("enter")
        assert "true or false" in shown(app, "#debug-status")
        field.value = "true"
        await pilot.press("enter")
        assert app.state.vars["clue.letters"] is True


async def test_jump_to_scene_with_completion(story_root):
    app = app_for(story_root, debug=True)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_overlay(pilot)
        jump = app.screen.query_one("#debug-jump", Input)
        await pilot.press("ctrl+g")
        assert jump.has_focus
        await pilot.press("l", "i", "b")
        await pilot.pause()
        await pilot.press("tab")  # accept the suggestion "library"
        assert jump.value == "library"
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, PlayScreen)
        assert app.state.scene == "library" and app.state.vars["clue.yearbook"] is False
        assert app.state.visits["library"] == 1
        assert "yearbook photo smiles" in app.screen.query_one(ProsePanel).plain


async def test_jump_prefix_and_unknown_scene(story_root):
    app = app_for(story_root, debug=True)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_overlay(pilot)
        jump = app.screen.query_one("#debug-jump", Input)
        jump.value = "end_"
        jump.focus()
        await pilot.press("enter")
        assert "could be" in shown(app, "#debug-status")
        jump.value = "cellar"
        await pilot.press("enter")
        assert "no scene 'cellar'" in shown(app, "#debug-status")
        assert app.state.scene == "arrive"
        jump.value = "end_tog"
        await pilot.press("enter")
        await pilot.pause()
        assert app.state.scene == "end_together" and isinstance(app.screen, PlayScreen)


async def test_overlay_needs_watch_or_debug(story_root):
    app = app_for(story_root)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("enter", "f12")
        await pilot.pause()
        assert isinstance(app.screen, PlayScreen)


async def test_f12_toggles(story_root):
    app = app_for(story_root, debug=True)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_overlay(pilot)
        await pilot.press("f12")
        await pilot.pause()
        assert isinstance(app.screen, PlayScreen)
