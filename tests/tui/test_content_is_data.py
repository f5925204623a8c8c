"""Story and save content is data in the TUI (issue 16, classes 1 and 7).

The hostile markup story (tests/hostile/stories/markup) has markup in every field a
screen shows. Played through every screen, nothing may be interpreted: no link, no
click action from the story, no MarkupError, and the brackets show as typed.
"""

from __future__ import annotations

import io
import json
import shutil
from pathlib import Path

from rich.console import Console
from textual.app import App, ComposeResult
from textual.strip import Strip

from conftest import settle
from kissgame.branches import memory_path
from kissgame.engine import ChoiceView
from kissgame.saves import SaveStore
from kissgame.settings import Settings
from kissgame.tui.app import make_app
from kissgame.tui.screens.branch_map import BranchMapScreen
from kissgame.tui.screens.gallery import GalleryScreen
from kissgame.tui.screens.play import PlayScreen
from kissgame.tui.screens.slots import SlotScreen
from kissgame.tui.widgets.choice_list import ChoiceList

HOSTILE = Path(__file__).parents[1] / "hostile"
MARKUP = HOSTILE / "stories" / "markup"
STORY_ACTIONS = ("app.quit", "app.screenshot")


def screen_strips(app) -> list[Strip]:
    update = app.screen._compositor.render_update(full=True,
                                                  screen_stack=app._background_screens)
    return [strip for line in update.strips for strip in line]


def screen_text(app) -> str:
    console = Console(width=app.size.width, height=app.size.height, file=io.StringIO(),
                      record=True, color_system=None)
    console.print(app.screen._compositor.render_update(
        full=True, screen_stack=app._background_screens))
    return console.export_text()


def assert_inert(app) -> str:
    """Nothing on screen links anywhere or runs a story's action; returns the text,
    with every run of white space made one space (so wrapped lines read on)."""
    for strip in screen_strips(app):
        for segment in strip:
            style = segment.style
            if style is None:
                continue
            assert not style.link, f"a live link: {segment.text!r}"
            click = (style.meta or {}).get("@click", "")
            assert not any(action in str(click) for action in STORY_ACTIONS), segment
    return " ".join(screen_text(app).split())


def install_player_files(story) -> None:
    store = SaveStore(story.id)
    store.folder.mkdir(parents=True, exist_ok=True)
    shutil.copy(HOSTILE / "player_files" / "markup_save.json", store.path("1"))
    path = memory_path(story.id)
    path.parent.mkdir(parents=True, exist_ok=True)
    raw = json.loads((HOSTILE / "player_files" / "markup_branches.json").read_text())
    path.write_text(json.dumps(raw))


async def test_every_field_of_a_markup_story_shows_as_typed():
    app = make_app(MARKUP, seed=7, settings=Settings())
    install_player_files(app.story)
    async with app.run_test(size=(160, 50), notifications=True) as pilot:
        await settle(pilot)
        title = assert_inert(app)
        assert "[@click=app.quit]Title[/]" in title
        assert "[link=https://example.invalid]link[/link] [/]" in title
        assert "[@click=app.quit]Episode[/] [/]" in title  # the last save's episode
        await pilot.press("n")
        assert isinstance(app.screen, PlayScreen)
        await settle(pilot)
        play = assert_inert(app)
        for shown in ("[@click=app.quit]Scene title[/] [/]", "[@click=app.quit]Narration[/]",
                      "[link=https://example.invalid]link[/link] [/]",
                      "[@click=app.quit]Kitty[/]", "[b]Yuri[/b]", "[red]styled[/red]",
                      "[@click=app.quit]Choice label[/] [@click=app.quit]interpolated[/]",
                      "[@click=app.quit]Ship[/] [/]", "]Heart[/link]"):
            assert shown in play, shown
        await pilot.press("1")  # go: the meter cue names the ship, as typed
        await settle(pilot)
        middle = assert_inert(app)
        assert "[@click=app.quit]locked reason[/] [/]" in middle
        assert "[@click=app.quit]Ship[/] [/] \u2191" in middle
        await pilot.press("1")  # the locked choice: its reason in a toast
        await settle(pilot)
        assert "[@click=app.quit]locked reason[/] [/]" in assert_inert(app)
        for key in ("h", "escape", "m", "escape"):
            await pilot.press(key)
            await settle(pilot)
            assert_inert(app)
        await pilot.press("2")  # onward: the ending
        await settle(pilot)
        ending = assert_inert(app)
        assert "[@click=app.quit]Ending[/] [/]" in ending
        assert "[link=https://example.invalid]turns on[/link] [/]" in ending
        await pilot.press("s")
        await settle(pilot)
        assert isinstance(app.screen, SlotScreen)
        slots = assert_inert(app)
        assert "[link=https://example.invalid]Scene[/link] [/]" in slots
        await pilot.press("escape")
        app.push_screen(GalleryScreen())
        await settle(pilot)
        assert "[@click=app.quit]Ending[/] [/]" in assert_inert(app)
        await pilot.press("escape")
        app.push_screen(BranchMapScreen())
        await settle(pilot)
        assert_inert(app)
        await pilot.press("escape", "question_mark")
        await settle(pilot)
        assert_inert(app)
        assert app.is_running


async def test_markup_at_80x24_and_in_the_narrow_notebook():
    app = make_app(MARKUP, seed=7, settings=Settings())
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("enter")
        await settle(pilot)
        assert_inert(app)
        await pilot.press("n")  # the notebook in place of the text
        await settle(pilot)
        assert "[@click=app.screenshot('/tmp/pwned.svg')]Clue[/]" in assert_inert(app)
        await pilot.press("3", "n")  # lose: the ending whose title is a stray [/]
        await settle(pilot)
        assert "[bold]unclosed" in assert_inert(app)


class ListHost(App):
    def __init__(self, choices: list[ChoiceView]) -> None:
        super().__init__()
        self.choices = choices
        self.messages: list[object] = []

    def compose(self) -> ComposeResult:
        yield ChoiceList(id="choices")

    def on_mount(self) -> None:
        self.query_one(ChoiceList).show_choices(self.choices)

    def on_choice_list_chosen(self, message: ChoiceList.Chosen) -> None:
        self.messages.append(message)

    def on_choice_list_action_chosen(self, message: ChoiceList.ActionChosen) -> None:
        self.messages.append(message)


async def test_a_choice_id_that_looks_like_a_ui_action_stays_a_choice():
    app = ListHost([ChoiceView("ui:title", "Back to the title?", "x"),
                    ChoiceView("title", "Title", "y")])
    async with app.run_test() as pilot:
        await pilot.press("enter", "down", "enter")
        await pilot.pause()
    assert app.messages == [ChoiceList.Chosen("ui:title"), ChoiceList.Chosen("title")]


def test_the_tui_builds_text_widgets_only_through_the_plain_boundary():
    """Every text widget is a Plain and every list a MenuList (markup off), so no call
    site can forget; notify is made markup-free by the app itself."""
    import ast

    tui = Path(__file__).parents[2] / "src" / "kissgame" / "tui"
    offenders = []
    for path in tui.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and \
                    node.func.id in ("Static", "Label", "OptionList", "SelectionList"):
                offenders.append(f"{path.name}:{node.lineno} {node.func.id}")
    assert offenders == []


async def test_notify_shows_markup_as_typed(story_root):
    from textual.widgets._toast import Toast

    app = make_app(story_root, seed=7, settings=Settings())
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await settle(pilot)
        app.notify("[@click=app.quit]x[/] [/]", title="[link=https://example.invalid]t")
        await settle(pilot)
        toasts = list(app.screen.query(Toast))
        assert toasts
        shown = toasts[-1].render()
        text = shown.plain if hasattr(shown, "plain") else str(shown)
        assert "[@click=app.quit]x[/] [/]" in text
        assert "[link=https://example.invalid]t" in text
