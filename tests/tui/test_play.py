"""Pilot tests: play the fixture story with the keyboard (and a mouse click)."""

from __future__ import annotations

import json

import pytest

from conftest import fixed_clock, settle, write_story
from kissgame.saves import SaveStore
from kissgame.settings import Settings, load_settings
from kissgame.tui.app import KissApp, make_app, run_app
from kissgame.tui.screens.confirm import ConfirmScreen
from kissgame.tui.screens.help import HelpScreen, help_table
from kissgame.tui.screens.history import HistoryScreen, history_text
from kissgame.tui.screens.play import PlayScreen
from kissgame.tui.screens.settings import SettingsScreen
from kissgame.tui.screens.slots import SlotScreen
from kissgame.tui.screens.title import TitleScreen
from kissgame.tui.widgets.choice_list import ChoiceList
from kissgame.tui.widgets.prose import ProsePanel


def app_for(root, **kw) -> KissApp:
    kw.setdefault("seed", 7)
    kw.setdefault("settings", Settings())
    return make_app(root, clock=fixed_clock, **kw)


def prose(app: KissApp) -> str:
    return app.screen.query_one(ProsePanel).plain


@pytest.mark.parametrize("keys, ending", [
    (["1", "1", "1"], "together"),
    (["1", "1", "2"], "apart"),
    (["2", "1", "2"], "expelled"),
])
async def test_title_to_ending_by_keys(story_root, keys, ending):
    app = app_for(story_root)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, TitleScreen)
        await pilot.press("enter")  # "New game" is highlighted first
        assert isinstance(app.screen, PlayScreen)
        assert "I land in Seoul" in prose(app)
        assert "Episode 1: Hello" in prose(app)
        await pilot.press(*keys)
        beat = app.beat()
        assert beat is not None and beat.ended and beat.ending.id == ending
        assert "THE END" in prose(app)
        options = app.screen.query_one(ChoiceList).options
        assert [str(o.prompt) for o in options] == [
            "1. Rewind one choice and choose differently", "2. Play again from the start",
            "3. Back to the title screen"]
        await pilot.press("3")  # the ending's options are chosen by their number too
        assert isinstance(app.screen, TitleScreen)


async def test_arrows_enter_and_mouse_choose(story_root):
    app = app_for(story_root)
    messages = []
    async with app.run_test(size=(80, 24), message_hook=messages.append) as pilot:
        await pilot.press("enter", "down", "enter")  # second choice: sneak
        assert app.state.path == ("sneak",)
        assert any(isinstance(m, ChoiceList.Chosen) and m.choice_id == "sneak"
                   for m in messages)
        # one choice left in the hall: click it
        await pilot.click(ChoiceList, offset=(4, 1))
        await pilot.pause()
        assert app.state.scene == "dorm"


async def test_locked_choice_explains_and_stays(story_root):
    app = app_for(story_root)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("enter", "2", "1")  # sneak: Dae's ship stays at 5
        assert app.state.scene == "dorm"
        views = app.beat().choices
        assert views[0].id == "stay" and not views[0].enabled
        await pilot.press("1")
        assert app.state.scene == "dorm"
        await pilot.press("9")  # no such choice
        assert app.state.scene == "dorm"
        await pilot.press("2")  # the rule breaker can sneak out
        assert app.state.scene == "end_expelled"


async def test_rewind_and_choose_differently(story_root):
    app = app_for(story_root)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("enter", "1", "1")
        assert app.state.scene == "dorm" and app.state.vars["ship.dae_kitty"] == 8
        await pilot.press("r")
        assert app.state.scene == "hall" and app.state.turn == 1
        await pilot.press("backspace")
        assert app.state.scene == "arrive" and app.state.turn == 0
        await pilot.press("r")  # nothing left to rewind: stays put
        assert app.state.turn == 0
        await pilot.press("2", "1")
        assert app.state.path == ("sneak", "walk")
        assert app.state.vars["ship.dae_kitty"] == 5 and app.state.vars["rules"] == 4


async def test_rewind_from_an_ending(story_root):
    app = app_for(story_root)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("enter", "1", "1", "2")
        assert app.beat().ended
        await pilot.press("enter")  # "Rewind one choice" is highlighted
        assert app.state.scene == "dorm"
        await pilot.press("1")
        assert app.beat().ending.id == "together"


async def test_save_quit_restart_load(story_root, kiss_home):
    app = app_for(story_root)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("enter", "1")
        saved_state = app.state
        await pilot.press("s")
        await settle(pilot)
        assert isinstance(app.screen, SlotScreen)
        await pilot.press("down", "enter")  # Quicksave, then Slot 1
        await settle(pilot)
        assert isinstance(app.screen, PlayScreen)
        assert not app.unsaved
        await pilot.press("ctrl+q")  # saved: quits without asking
        await pilot.pause()
    assert app.return_code == 0
    slot1 = kiss_home / "data" / "saves" / "tiny-kiss" / "1.json"
    data = json.loads(slot1.read_text())
    assert data["save_version"] == 2 and data["story_id"] == "tiny-kiss"
    assert data["scene_title"] == "The Hall" and data["episode"] == "Episode 1: Hello"

    again = app_for(story_root)
    async with again.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("l")
        await settle(pilot)
        assert isinstance(again.screen, SlotScreen)
        slots = again.screen.query_one("#slot-list")
        assert slots.highlighted_option.id == "auto"
        await pilot.press("down", "enter")  # auto, then 1 (empty quick is skipped)
        await settle(pilot)
        assert isinstance(again.screen, PlayScreen)
        assert again.state == saved_state
        assert "The Hall" in prose(again)


async def test_continue_loads_latest_save(story_root):
    store = SaveStore("tiny-kiss", clock=fixed_clock)
    app = app_for(story_root)
    from kissgame.engine import choose, new_game

    state = choose(app.story, new_game(app.story, 3), "sneak")
    store.write("4", app.story, state, 61, "Episode 1: Hello", "The Hall")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("c")
        assert isinstance(app.screen, PlayScreen)
        assert app.state == state


async def test_quit_asks_when_unsaved(story_root):
    app = app_for(story_root)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("enter", "1")
        assert app.unsaved
        await pilot.press("ctrl+q")
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("escape")
        assert isinstance(app.screen, PlayScreen)
        await pilot.press("q")
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("s")  # quicksave and quit
        await pilot.pause()
    assert app.return_code == 0
    assert SaveStore("tiny-kiss").read("quick").data.state.path == ("hug",)


async def test_corrupt_slots_do_not_break_the_load_screen(story_root, kiss_home):
    app = app_for(story_root)
    from kissgame.engine import choose, new_game

    store = SaveStore("tiny-kiss", clock=fixed_clock)
    good = choose(app.story, new_game(app.story, 3), "hug")
    store.write("1", app.story, good, 10, "Episode 1: Hello", "The Hall")
    store.path("2").write_text('{"save_version": 1, "story_id": "tiny-ki')
    store.path("3").write_bytes(b"\x00\xff\xfe garbage")
    store.path("4").write_text(json.dumps({"save_version": 1, "story_id": "tiny-kiss",
                                           "story_fingerprint": "x", "state": {"scene": 3}}))
    store.path("5").write_text("")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("l")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, SlotScreen)
        for slot in "2345":
            assert screen.infos[slot].damaged, slot
        assert "truncated" in screen.infos["2"].problem
        assert "not text" in screen.infos["3"].problem
        assert "empty" in screen.infos["5"].problem
        slot_list = screen.query_one("#slot-list")
        slot_list.highlighted = slot_list.get_option_index("2")
        await pilot.press("enter")  # damaged, no backup: explains, stays open
        await settle(pilot)
        assert isinstance(app.screen, SlotScreen)
        slot_list.highlighted = slot_list.get_option_index("1")
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, PlayScreen) and app.state == good


async def test_damaged_slot_restores_its_backup(story_root):
    app = app_for(story_root)
    from kissgame.engine import choose, new_game

    store = SaveStore("tiny-kiss", clock=fixed_clock)
    first = choose(app.story, new_game(app.story, 3), "hug")
    store.write("1", app.story, first, 10, "Episode 1: Hello", "The Hall")
    store.write("1", app.story, choose(app.story, first, "walk"), 20, "Episode 2", "The Dorm")
    store.path("1").write_text('{"save_version": 1, "st')  # a crash mid-write, say
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("l")
        await settle(pilot)
        slot_list = app.screen.query_one("#slot-list")
        slot_list.highlighted = slot_list.get_option_index("1")
        await pilot.press("enter")
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("y")
        await settle(pilot)
        assert isinstance(app.screen, PlayScreen)
        assert app.state == first  # the backup holds the save before the last one
    assert store.read("1").data.state == first


async def test_save_from_an_older_story_version(story_root, tmp_path):
    app = app_for(story_root)
    from kissgame.engine import choose, new_game

    store = SaveStore("tiny-kiss", clock=fixed_clock)
    state = choose(app.story, new_game(app.story, 3), "hug")
    store.write("1", app.story, state, 10, "Episode 1: Hello", "The Hall")
    # The author rewrites the hall's prose: same scene, new fingerprint.
    from conftest import EP1
    write_story(story_root, ep1=EP1.replace("Try not to fall", "Please do not fall"))
    changed = app_for(story_root)
    assert changed.story.fingerprint != app.story.fingerprint
    async with changed.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("c")
        assert isinstance(changed.screen, PlayScreen)
        assert changed.state.scene == "hall"
        assert "Please do not fall" in prose(changed)
    # Now the hall is gone: the save explains instead of loading.
    write_story(story_root, ep1=EP1.replace("id: hall", "id: corridor")
                .replace("to: hall", "to: corridor"))
    gone = app_for(story_root)
    async with gone.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("c")
        await pilot.pause()
        assert isinstance(gone.screen, TitleScreen)
        assert gone.state is None
        shown = [n.message for n in gone._notifications]
        assert any("'hall'" in m and "no longer exists" in m for m in shown)


async def test_quicksave_quickload_and_autosave(story_root):
    app = app_for(story_root)
    store = app.session.saves  # what Continue and the load screen read
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("enter")
        assert store.read("auto").data.state.scene == "arrive"
        await pilot.press("1", "f5", "1")
        assert store.read("auto").data.state.scene == "dorm"  # episode 2 began
        await pilot.press("f9")
        assert app.state.scene == "hall"
        assert store.read("quick").data.scene_title == "The Hall"
    # Quitting writes the newest autosave: the next start continues from the load.
    assert SaveStore("tiny-kiss").read("auto").data.state.scene == "hall"


async def test_a_new_episode_does_not_wait_for_the_disk(story_root, monkeypatch):
    import threading

    import kissgame.saves as saves_module

    release = threading.Event()
    ui_thread_writes: list[str] = []
    real = saves_module.write_atomic

    def stuck_disk(path, data, keep_backup=False):
        if threading.current_thread() is threading.main_thread() and not release.is_set():
            ui_thread_writes.append(path.name)
        else:
            release.wait(10)
        real(path, data, keep_backup)

    monkeypatch.setattr(saves_module, "write_atomic", stuck_disk)
    app = app_for(story_root)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("enter", "1", "1")  # New game, then into episode 2
        await settle(pilot)
        assert app.state.scene == "dorm"
        assert "ramyeon" in prose(app)
        assert app.session.saves.read("auto").data.state.scene == "dorm"
        assert ui_thread_writes == []  # the UI thread wrote no save while playing
        release.set()
    assert SaveStore("tiny-kiss").read("auto").data.state.scene == "dorm"


async def test_history_lists_what_was_read_and_chosen(story_root):
    app = app_for(story_root)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("enter", "3", "1", "1")
        assert app.state.path == ("library", "next", "hug")
        await pilot.press("h")
        assert isinstance(app.screen, HistoryScreen)
        text = history_text(app.story, app.state).plain
        for expected in ["I land in Seoul", "You chose: Visit the library", "Eve's yearbook",
                         "You chose: Continue", "You chose: Hug Dae", "New girl"]:
            assert expected in text
        assert text.index("Visit the library") < text.index("Hug Dae")
        await pilot.press("escape")
        assert isinstance(app.screen, PlayScreen)


async def test_notebook_shows_meters_and_collapses_when_narrow(story_root):
    app = app_for(story_root)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("enter", "3")  # the library: a clue
        notebook = app.screen.query_one("#notebook")
        assert not notebook.display or notebook.region.width == 0
        await pilot.press("n")
        assert notebook.region.width > 0
        text = str(notebook.query_one("#notebook-text").render())
        assert "Eve's yearbook photo" in text and "Dae + Kitty" in text
    wide = app_for(story_root)
    async with wide.run_test(size=(200, 60)) as pilot:
        await pilot.press("enter")
        notebook = wide.screen.query_one("#notebook")
        assert notebook.region.width > 0
        await pilot.press("n")
        assert notebook.region.width == 0


async def test_typewriter_reveal_completes_on_any_key(story_root):
    app = app_for(story_root, settings=Settings(reveal="slow"))
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("enter")
        panel = app.screen.query_one(ProsePanel)
        assert panel.revealing
        await pilot.press("1")  # completes the reveal; does not choose
        assert not panel.revealing and app.state.turn == 0
        await pilot.press("1")
        assert app.state.scene == "hall"


async def test_settings_change_and_persist(story_root, kiss_home):
    app = make_app(story_root, seed=7)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        app.screen.action_menu("settings")
        await pilot.pause()
        assert isinstance(app.screen, SettingsScreen)
        await pilot.press("tab", "down", "enter")  # reveal: instant -> fast
        assert app.settings.reveal == "fast"
        themes = app.screen.query_one("#theme")
        themes.highlighted = themes.get_option_index("nord")
        await pilot.press("shift+tab", "enter")
        assert app.theme == "nord"
        await pilot.press("escape")
    stored = load_settings(kiss_home / "config" / "settings.json")
    assert stored == Settings(theme="nord", reveal="fast")
    again = make_app(story_root)
    async with again.run_test(size=(80, 24)):
        assert again.theme == "nord" and again.settings.reveal == "fast"


def help_text(app) -> str:
    from rich.console import Console

    console = Console(width=100, record=True)
    console.print(help_table(app.screen.sections))
    return console.export_text()


async def test_help_lists_each_working_key_once(story_root):
    app = app_for(story_root)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("question_mark")  # works on the title screen too
        assert isinstance(app.screen, HelpScreen)
        title_help = help_text(app)
        assert "New game" in title_help and "Choose" not in title_help
        await pilot.press("escape", "enter", "question_mark")
        assert isinstance(app.screen, HelpScreen)
        text = help_text(app)
    for description in ["Choose", "Rewind", "Save", "Load", "Quicksave", "Quickload",
                        "History", "Notebook", "Settings", "Title screen", "Quit", "Read on",
                        "Help"]:
        assert description in text, description
    keys = [line.split()[0] for line in text.splitlines() if line.strip()]
    assert "F12" not in text  # the debug overlay needs --debug or --watch
    assert text.count("F1") == 1 and keys.count("1-9") == 1
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    assert len(lines) == len(set(lines))  # every row once


async def test_title_menu_entries(story_root):
    app = app_for(story_root)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        menu = app.screen.query_one("#title-menu")
        assert menu.get_option("continue").disabled  # nothing to continue yet
        await pilot.press("enter", "escape")  # new game, then back to the title
        assert isinstance(app.screen, TitleScreen)
        assert not menu.get_option("continue").disabled
        await pilot.press("c")
        assert isinstance(app.screen, PlayScreen) and app.state.turn == 0


async def test_load_state_jumps_and_swaps_story(story_root):
    app = app_for(story_root)
    from kissgame.engine import replay

    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        target = replay(app.story, 5, ["sneak", "walk"])[-1]
        seen = []
        app.watch(app, "state", lambda s: seen.append(s), init=False)
        app.load_state(target)
        await pilot.pause()
        assert isinstance(app.screen, PlayScreen) and app.state == target
        assert "The dorm smells" in prose(app)
        assert seen and seen[-1] == target
        from conftest import EP2

        write_story(story_root, ep2=EP2.replace("ramyeon", "tteokbokki"))
        from kissgame.tui.app import load_story_or_raise

        app.load_state(target, story=load_story_or_raise(story_root), show=False)
        await pilot.pause()
        assert "tteokbokki" in prose(app)


def test_run_app_reports_a_broken_story(tmp_path, capsys):
    from conftest import EP1

    root = write_story(tmp_path / "broken", ep1=EP1.replace("to: dorm", "to: nowhere"))
    assert run_app(root) == 1
    err = capsys.readouterr().err
    assert "ep1.yaml:" in err and "nowhere" in err and "Traceback" not in err


async def test_a_fallback_is_read_through_with_no_choice_to_press(tmp_path):
    import textwrap

    root = tmp_path / "fallback"
    root.mkdir()
    manifest, scenes = """\
        format: 1
        id: fb
        title: Fallback
        start: hub
        endings: {out: {title: Out}}
        """, """\
        scenes:
          - id: hub
            text: "Questions for Yuri."
            choices:
              - {label: "Ask about Q", id: ask, once: true, reply: "She shrugs."}
              - {fallback: true, to: out, reply: "The bell rings."}
          - id: out
            ending: out
            text: "Class starts."
        """
    (root / "story.yaml").write_text(textwrap.dedent(manifest), encoding="utf-8")
    (root / "scenes.yaml").write_text(textwrap.dedent(scenes), encoding="utf-8")
    app = app_for(root)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("enter")
        assert [str(o.prompt) for o in app.screen.query_one(ChoiceList).options] == [
            "1. Ask about Q"]
        await pilot.press("1")
        await pilot.pause()
        text = prose(app)
        order = [text.index(s) for s in ("She shrugs.", "Questions for Yuri.",
                                          "The bell rings.", "Class starts.")]
        assert order == sorted(order) and "THE END" in text
        assert "Continue" not in text


async def test_text_prepared_while_reading_is_the_text_shown(story_root):
    """The screen renders the scenes the choices lead to while the player reads; taking
    one shows exactly what rendering it then would have shown."""
    app = make_app(story_root, seed=7, settings=Settings(reveal="instant"))
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("enter")
        await settle(pilot)
        await pilot.pause(0.3)  # the preparing steps run
        panel = app.screen.query_one(ProsePanel)
        assert panel._prepared  # something was prepared
        await pilot.press("1")
        await settle(pilot)
        shown = [panel.render_line(y).text for y in range(panel.size.height)]
        assert "The Hall" in "".join(shown)
        panel._prepared.clear()
        panel._relines()
        assert [panel.render_line(y).text for y in range(panel.size.height)] == shown
