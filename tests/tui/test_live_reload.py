"""`kissgame play --watch`: edit the story under the running app."""

from __future__ import annotations

import asyncio

from conftest import EP1, EP2, fixed_clock, settle
from kissgame.devtools import with_variable
from kissgame.settings import Settings
from kissgame.tui.app import KissApp, make_app
from kissgame.tui.live_reload import LiveReload, ReloadPanel
from kissgame.tui.screens.play import PlayScreen
from kissgame.tui.widgets.prose import ProsePanel


def app_for(root, **kw) -> KissApp:
    return make_app(root, seed=7, settings=Settings(), clock=fixed_clock, **kw)


def prose(app: KissApp) -> str:
    return app.screen.query_one(ProsePanel).plain


def panel(app: KissApp) -> ReloadPanel:
    return app.screen.query_one(ReloadPanel)


def panel_text(app: KissApp) -> str:
    return str(panel(app).content)


async def reloaded(pilot) -> None:
    """Look for edits now (as the timer would) and wait for the reload to land."""
    pilot.app.live_reload.poll()
    await settle(pilot)


async def to_hall(pilot) -> None:
    await settle(pilot)
    await pilot.press("enter", "1")  # new game, hug Dae: the ship goes 5 -> 8
    assert pilot.app.state.scene == "hall"


async def test_edit_reloads_the_scene_and_keeps_the_state(story_root):
    app = app_for(story_root, watch=True)
    async with app.run_test(size=(80, 24)) as pilot:
        await to_hall(pilot)
        before, old_story = app.state, app.story
        assert "Try not to fall in love" in prose(app)
        (story_root / "scenes" / "ep1.yaml").write_text(
            EP1.replace("New girl. Try not", "Welcome, new girl. Try not"), encoding="utf-8")
        await reloaded(pilot)
        assert app.story is not old_story
        assert "Welcome, new girl. Try not" in prose(app)
        assert isinstance(app.screen, PlayScreen)
        state = app.state
        assert (state.scene, state.path, state.turn) == ("hall", ("hug",), 1)
        assert state.vars == before.vars and state.vars["ship.dae_kitty"] == 8
        assert not panel(app).display


async def test_edited_effects_replay_along_the_path(story_root):
    app = app_for(story_root, watch=True)
    async with app.run_test(size=(80, 24)) as pilot:
        await to_hall(pilot)
        (story_root / "scenes" / "ep1.yaml").write_text(
            EP1.replace("ship.dae_kitty += 3", "ship.dae_kitty += 4"), encoding="utf-8")
        await reloaded(pilot)
        assert app.state.scene == "hall" and app.state.vars["ship.dae_kitty"] == 9


async def test_the_timer_notices_a_save(story_root):
    app = app_for(story_root, watch=True)
    async with app.run_test(size=(80, 24)) as pilot:
        await to_hall(pilot)
        reloader = app.live_reload
        assert isinstance(reloader, LiveReload)
        (story_root / "scenes" / "ep1.yaml").write_text(
            EP1.replace("New girl.", "Newest girl."), encoding="utf-8")
        for _ in range(100):  # the timer polls twice a second
            await asyncio.sleep(0.05)
            await pilot.pause()
            if reloader.reloads:
                break
        await settle(pilot)
        assert reloader.reloads == 1
        assert "Newest girl." in prose(app)


async def test_broken_edit_shows_errors_and_keeps_playing(story_root):
    app = app_for(story_root, watch=True)
    ep2 = story_root / "scenes" / "ep2.yaml"
    async with app.run_test(size=(80, 24)) as pilot:
        await to_hall(pilot)
        good_story = app.story
        broken = EP2.replace("to: end_apart", "to: end_apartt")
        ep2.write_text(broken, encoding="utf-8")
        await reloaded(pilot)
        assert panel(app).display
        line = broken.splitlines().index("        to: end_apartt") + 1
        text = panel_text(app)
        assert f"{ep2}:{line}:" in text
        assert "end_apartt" in text and "KG" in text
        assert app.story is good_story
        await pilot.press("1")  # the last good story keeps running
        assert app.state.scene == "dorm"
        ep2.write_text(EP2.replace("smells like ramyeon", "smells like tteokbokki"),
                       encoding="utf-8")
        await reloaded(pilot)
        assert not panel(app).display
        assert app.story is not good_story
        assert app.state.scene == "dorm" and app.state.path == ("hug", "walk")
        assert "tteokbokki" in prose(app)


async def test_yaml_syntax_error_is_located(story_root):
    app = app_for(story_root, watch=True)
    ep1 = story_root / "scenes" / "ep1.yaml"
    async with app.run_test(size=(80, 24)) as pilot:
        await to_hall(pilot)
        ep1.write_text(EP1.replace('title: "The Hall"', 'title: "The Hall'), encoding="utf-8")
        await reloaded(pilot)
        assert panel(app).display and f"{ep1}:" in panel_text(app)
        assert "Try not to fall in love" in prose(app)


async def test_scene_gone_stays_on_the_last_good_story(story_root):
    app = app_for(story_root, watch=True)
    async with app.run_test(size=(80, 24)) as pilot:
        await to_hall(pilot)
        good_story = app.story
        # the hall is renamed: nothing else breaks, but the player stands in it
        edited = EP1.replace("id: hall", "id: great_hall").replace("to: hall", "to: great_hall")
        (story_root / "scenes" / "ep1.yaml").write_text(edited, encoding="utf-8")
        await reloaded(pilot)
        assert app.story is good_story and app.state.scene == "hall"
        assert "'hall'" in panel_text(app) and "no longer in the story" in panel_text(app)
        await pilot.press("1")  # walk to the dorm, which the edited story still has
        app.live_reload.poll()
        await settle(pilot)
        assert app.story is not good_story and app.state.scene == "dorm"
        assert not panel(app).display


async def test_debug_edits_survive_a_reload(story_root):
    app = app_for(story_root, watch=True)
    async with app.run_test(size=(80, 24)) as pilot:
        await to_hall(pilot)
        app.load_state(with_variable(app.story, app.state, "rules", 9), show=False)
        (story_root / "scenes" / "ep1.yaml").write_text(
            EP1.replace("New girl.", "Hey, new girl."), encoding="utf-8")
        await reloaded(pilot)
        assert app.state.vars["rules"] == 9 and "Hey, new girl." in prose(app)


async def test_removed_variables_are_dropped_and_new_ones_start(story_root):
    from conftest import MANIFEST

    app = app_for(story_root, watch=True)
    async with app.run_test(size=(80, 24)) as pilot:
        await to_hall(pilot)
        manifest = MANIFEST.replace("    letters: false\n", "    letters: false\n"
                                    "  luck: {value: 3, min: 0, max: 5}\n")
        manifest = manifest.replace("  letters: {label: \"Simon's letters\", var: "
                                    "clue.letters}\n", "")
        manifest = manifest.replace("    letters: false\n", "")
        # and the path no longer fits: the hug choice was renamed
        (story_root / "story.yaml").write_text(manifest, encoding="utf-8")
        (story_root / "scenes" / "ep1.yaml").write_text(
            EP1.replace("id: hug", "id: embrace"), encoding="utf-8")
        await reloaded(pilot)
        assert not panel(app).display, panel_text(app)
        vars = app.state.vars
        assert app.state.scene == "hall" and vars["ship.dae_kitty"] == 8
        assert vars["luck"] == 3 and "clue.letters" not in vars


async def test_no_watching_without_the_flag(story_root):
    app = app_for(story_root)
    async with app.run_test(size=(80, 24)) as pilot:
        await to_hall(pilot)
        assert getattr(app, "live_reload", None) is None
        assert not panel(app).display
