"""Reading and playing by keyboard at 80x24, and the fixes of issue 12, each as a player
meets them."""

from __future__ import annotations

import json

from textual.command import CommandPalette

from conftest import EP1, EP2, MANIFEST, fixed_clock, settle, write_story
from kissgame.saves import SaveStore
from kissgame.settings import Settings, load_settings
from kissgame.tui.app import make_app
from kissgame.tui.screens.confirm import ConfirmScreen
from kissgame.tui.screens.help import HelpScreen
from kissgame.tui.screens.history import HistoryScreen
from kissgame.tui.screens.play import PlayScreen
from kissgame.tui.screens.settings import SettingsScreen
from kissgame.tui.screens.slots import SlotScreen
from kissgame.tui.screens.story_error import StoryErrorScreen
from kissgame.tui.screens.title import TitleScreen
from kissgame.tui.widgets.choice_list import ChoiceList, MenuList
from kissgame.tui.widgets.notebook import Notebook
from kissgame.tui.widgets.plain import Plain
from kissgame.tui.widgets.prose import ProsePanel

LONG = " ".join(f"Sentence {n} of a scene much longer than one screen." for n in range(120))
LONG_TITLE = "An ending whose name goes on and on " * 4
LONG_EP1 = EP1.replace(
    '      - "I land in Seoul with one sock inside out and a heart full of *plans*."',
    f'      - "I land in Seoul with one sock inside out and a heart full of *plans*."\n'
    f'      - "{LONG}"\n      - "THE LAST LINE of the arrival."').replace(
    '      - label: "Hug Dae"',
    '      - label: "Hug Dae, and keep hugging him for so long that the label of this choice '
    'wraps onto a second line at eighty columns"')


def app_for(root, **kw):
    kw.setdefault("seed", 7)
    kw.setdefault("settings", Settings())
    return make_app(root, clock=fixed_clock, **kw)


def play_screen(app) -> PlayScreen:
    assert isinstance(app.screen, PlayScreen)
    return app.screen


def cue_shown(app) -> bool:
    """The "more below" cue is on the text panel's last row."""
    prose = app.screen.query_one(ProsePanel)
    bottom = prose.render_line(prose.size.height - 1).text
    assert prose.more_below == ("more below" in bottom)
    return prose.more_below


async def test_reading_a_long_scene_by_keyboard_then_choosing(tmp_path):
    root = write_story(tmp_path / "long", ep1=LONG_EP1)
    app = app_for(root)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("enter")
        await settle(pilot)
        screen = play_screen(app)
        prose = screen.query_one(ProsePanel)
        choices = screen.query_one(ChoiceList)
        assert prose.scroll_y == 0 and prose.max_scroll_y > 0
        assert cue_shown(app)  # "more below"
        assert choices.has_focus  # Enter and arrows still choose
        assert choices.region.bottom <= 23 and choices.region.height >= 5  # all shown
        first_prompt = str(choices.get_option_at_index(0).prompt)
        assert "eighty columns" in first_prompt  # the long label is not cut: it wraps
        height = prose.size.height
        await pilot.press("pagedown")  # a page is the height less the cue's row:
        assert prose.scroll_y == height - 1  # the line under the cue is now on top
        await pilot.press("pageup")
        assert prose.scroll_y == 0
        pages = 0
        while cue_shown(app) and pages < 50:
            await pilot.press("pagedown" if pages % 2 else "space")
            await settle(pilot)
            pages += 1
        assert prose.scroll_y == prose.max_scroll_y and 2 <= pages < 50
        await pilot.press("home")
        assert prose.scroll_y == 0
        await pilot.press("end", "pageup", "j", "k")
        assert 0 < prose.scroll_y < prose.max_scroll_y
        await pilot.press("end")
        await settle(pilot)
        assert not cue_shown(app)
        assert app.state.scene == "arrive" and choices.has_focus
        await pilot.press("2")  # the number keys choose while the text scrolls
        await settle(pilot)
        assert app.state.scene == "hall" and prose.scroll_y == 0  # a new scene: at its top


async def test_text_width_setting(story_root):
    app = app_for(story_root)
    async with app.run_test(size=(160, 50)) as pilot:
        await pilot.press("enter")
        await settle(pilot)
        prose = app.screen.query_one(ProsePanel)
        assert prose.text_width == 70
        assert max(len(line.rstrip()) for line in prose.plain.splitlines()) <= 70
        app.apply_settings(app.settings.with_(text_width=0))
        await settle(pilot)
        assert prose.text_width > 100


async def test_notebook_scrolls_by_keyboard_and_folds_when_narrow(story_root):
    app = app_for(story_root)
    async with app.run_test(size=(80, 12)) as pilot:
        await pilot.press("enter")
        await settle(pilot)
        notebook = app.screen.query_one(Notebook)
        assert not notebook.display
        await pilot.press("n")  # in place of the text; the choices stay
        await settle(pilot)
        assert notebook.display and not app.screen.query_one(ProsePanel).display
        assert notebook.max_scroll_y > 0
        await pilot.press("pagedown")
        assert notebook.scroll_y > 0
        await pilot.press("escape")  # folds it again, stays playing
        await settle(pilot)
        assert not notebook.display and isinstance(app.screen, PlayScreen)
        await pilot.resize_terminal(160, 12)
        await settle(pilot)
        assert notebook.display
        await pilot.press("tab")  # focus the notebook: the page keys scroll it
        assert notebook.has_focus
        await pilot.press("end")
        assert notebook.scroll_y == notebook.max_scroll_y > 0


async def test_a_meter_cue_after_a_choice_does_not_cover_the_choices(story_root):
    app = app_for(story_root)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("enter", "1")
        await settle(pilot)
        bar = app.screen.query_one("#scene-bar", Plain)
        assert bar.content.cue.plain == "Dae + Kitty \u2191  Heart: Dae \u2191"
        assert bar.region.y == 0  # in the scene bar, above the text and the choices
        line = "".join(segment.text for segment in bar.render_line(0))
        assert len(line) == 78 and line.endswith("Dae + Kitty \u2191  Heart: Dae \u2191")
        await pilot.press("r", "2")  # sneak: only the rules meter moves
        await settle(pilot)
        assert bar.content.cue.plain == "Rules broken \u2191"


async def test_continue_label_never_pushes_the_menu_out_of_view(tmp_path):
    ep2 = EP2.replace('title: "Together"', f'title: "{LONG_TITLE}"')
    root = write_story(tmp_path / "t", ep2=ep2)
    app = app_for(root)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("enter", "1", "1", "1")  # hug, walk, stay: the long ending
        await settle(pilot)
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, TitleScreen)
        menu = app.screen.query_one("#title-menu", MenuList)
        assert "Continue (An ending whose" in str(menu.get_option("continue").prompt)
        assert menu.virtual_size.height == menu.option_count  # one line each
        assert menu.region.bottom <= 23


async def test_quickload_then_continue_resumes_the_quickloaded_place(story_root, kiss_home):
    clock = iter(range(1_700_000_000, 1_800_000_000, 60))
    app = make_app(story_root, seed=7, settings=Settings(), clock=lambda: float(next(clock)))
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("enter", "1", "f5", "1")  # quicksave in the hall, walk on
        await settle(pilot)
        assert app.state.scene == "dorm"  # an autosave here (a new episode)
        await pilot.press("f9")
        await settle(pilot)
        assert app.state.scene == "hall"
        await pilot.press("ctrl+q")
        await settle(pilot)
    again = make_app(story_root, seed=7, settings=Settings())
    async with again.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("c")
        await settle(pilot)
        assert again.state.scene == "hall" and again.state.path == ("hug",)


async def test_ctrl_c_says_how_to_quit(story_root):
    app = app_for(story_root)
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await pilot.press("enter", "ctrl+c")
        await settle(pilot)
        assert any(n.message == "Press ctrl+q to quit the app" for n in app._notifications)
        assert app.is_running


async def test_keys_are_remapped_from_the_settings_file(story_root, kiss_home):
    config = kiss_home / "config"
    config.mkdir()
    (config / "settings.json").write_text(json.dumps(
        {"keymap": {"play.rewind": "u", "play.choose.1": "a"}}))
    app = make_app(story_root, seed=7)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("enter", "a")
        assert app.state.scene == "hall"
        await pilot.press("r")
        assert app.state.scene == "hall"  # r is no longer rewind
        await pilot.press("u")
        assert app.state.scene == "arrive"
        await pilot.press("question_mark")
        keys = {key: description for key, description in app.screen.sections[0][1]}
        assert keys.get("u") == "Rewind" and "r" not in keys


async def test_settings_move_to_the_config_folder(story_root, kiss_home):
    old = kiss_home / "data" / "settings.json"
    old.parent.mkdir(parents=True)
    old.write_text(json.dumps({"theme": "nord", "reveal": "fast"}))
    assert load_settings().theme == "nord"
    assert not old.exists() and (kiss_home / "config" / "settings.json").exists()


async def test_the_command_palette_offers_the_games_commands(story_root):
    app = app_for(story_root)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("enter")
        titles = {command.title for command in app.get_system_commands(app.screen)}
        for wanted in ("New game", "Continue", "Save", "Load", "Quicksave", "Rewind",
                       "History", "Branch map", "Endings gallery", "Settings", "Help",
                       "Quit"):
            assert wanted in titles, wanted
        assert any("theme" in title.lower() for title in titles)
        await pilot.press("ctrl+p")
        await settle(pilot)
        assert isinstance(app.screen, CommandPalette)
        await pilot.press(*"quicksave")
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        assert SaveStore("tiny-kiss").read("quick").data is not None


def screen_text(app) -> str:
    import io

    from rich.console import Console

    console = Console(width=80, height=24, file=io.StringIO(), record=True,
                      color_system=None)
    console.print(app.screen._compositor.render_update(
        full=True, screen_stack=app._background_screens))
    return console.export_text()


def inside(app, widget) -> bool:
    return app.screen.region.contains_region(widget.region)


async def test_every_dialog_fits_at_80x24(story_root):
    app = app_for(story_root)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("enter", "1", "ctrl+q")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmScreen)
        text = screen_text(app)
        for label in ("Save and quit (s)", "Quit (q)", "Keep playing"):
            assert label in text, label
        await pilot.press("escape")
        for key, kind in (("s", SlotScreen), ("l", SlotScreen), ("h", HistoryScreen),
                          ("o", SettingsScreen), ("question_mark", HelpScreen)):
            await pilot.press(key)
            await settle(pilot)
            assert isinstance(app.screen, kind)
            dialog = app.screen.query_one("#dialog")
            assert inside(app, dialog)
            for child in dialog.children:
                if child.display and child.region.area:
                    assert dialog.region.contains_region(child.region), child
            await pilot.press("escape")
            await settle(pilot)
            assert isinstance(app.screen, PlayScreen)


async def test_a_story_error_shows_in_a_panel_and_keeps_the_game(tmp_path):
    ep1 = EP1.replace("do: rules += 4", "do: rules = 10 / rules")
    root = write_story(tmp_path / "broken", manifest=MANIFEST, ep1=ep1)
    app = app_for(root)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("enter")
        await settle(pilot)
        before = app.state
        await pilot.press("2")  # sneak: divides by zero
        await settle(pilot)
        assert isinstance(app.screen, StoryErrorScreen)
        shown = str(app.screen.query_one("#story-error-text", Plain).render())
        assert "ep1.yaml:" in shown and "KG" in shown
        assert app.state is before
        await pilot.press("escape", "1")
        await settle(pilot)
        assert app.state.scene == "hall"  # another choice still works


async def test_toasts_never_cover_the_choices(story_root):
    from textual.widgets._toast import Toast

    app = app_for(story_root)
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await pilot.press("enter", "f5", "9")  # "Saved to Quicksave", "There is no choice 9"
        await settle(pilot)
        toasts = list(app.screen.query(Toast))
        assert len(toasts) == 2
        choices = app.screen.query_one(ChoiceList).region
        for toast in toasts:
            assert toast.region.area and not toast.region.overlaps(choices)
