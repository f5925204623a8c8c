"""The title screen: new game, continue, load, gallery, branch map, settings, help, quit."""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Center, Vertical
from textual.screen import Screen
from textual.widgets import Footer, OptionList, Static
from textual.widgets.option_list import Option

from ...saves import SlotInfo, slot_label
from ..widgets.choice_list import MenuList

if TYPE_CHECKING:
    from ..app import KissApp

MENU = [
    ("new", "New game"),
    ("continue", "Continue"),
    ("load", "Load game"),
    ("gallery", "Endings gallery"),
    ("branch_map", "Branch map"),
    ("settings", "Settings"),
    ("help", "Help"),
    ("quit", "Quit"),
]

# Screens delivered by other features: (module under kissgame.tui.screens, class, name).
OPTIONAL_SCREENS = {
    "gallery": ("gallery", "GalleryScreen", "The endings gallery"),
    "branch_map": ("branch_map", "BranchMapScreen", "The branch map"),
}


def optional_screen(module: str, name: str) -> type | None:
    """The screen class ``kissgame.tui.screens.<module>.<name>``, or None if absent."""
    full = f"{__package__}.{module}"
    try:
        loaded = importlib.import_module(full)
    except ModuleNotFoundError as exc:
        if exc.name == full:
            return None
        raise
    return getattr(loaded, name, None)


class TitleScreen(Screen):
    AUTO_FOCUS = "#title-menu"
    BINDINGS = [
        Binding("n", "menu('new')", "New game", id="title.new"),
        Binding("c", "menu('continue')", "Continue", id="title.continue"),
        Binding("l", "menu('load')", "Load", id="title.load"),
        Binding("q", "app.request_quit", "Quit", id="title.quit"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.latest: SlotInfo | None = None

    @property
    def kiss(self) -> KissApp:
        return self.app  # type: ignore[return-value]

    def compose(self) -> ComposeResult:
        story = self.kiss.story
        with Vertical(id="title-box"):
            yield Static(Text(story.title, "bold", justify="center"), id="title-name")
            if story.description:
                yield Static(Text(" ".join(story.description.split()), "italic",
                                  justify="center"), id="title-description")
            with Center():
                yield MenuList(*[Option(label, id=key) for key, label in MENU],
                                 id="title-menu")
            yield Static(id="title-status")
        yield Footer()

    def on_mount(self) -> None:
        self._refresh_menu()

    def on_screen_resume(self) -> None:
        self._refresh_menu()

    def _refresh_menu(self) -> None:
        self._set_continue()
        self.find_latest()

    @work(thread=True, exclusive=True, group="title-latest")
    def find_latest(self) -> None:
        latest = self.kiss.saves.latest()
        self.app.call_from_thread(self._latest_found, latest)

    def _latest_found(self, latest: SlotInfo | None) -> None:
        self.latest = latest
        self._set_continue()

    def _set_continue(self) -> None:
        if not self.is_attached:
            return
        menu = self.query_one("#title-menu", OptionList)
        status = self.query_one("#title-status", Static)
        app = self.kiss
        if app.state is not None:
            beat = app.beat()
            where = beat.title or beat.episode_title if beat else ""
            menu.replace_option_prompt(
                "continue", Text(f"Continue ({where})" if where else "Continue"))
            menu.enable_option("continue")
        elif self.latest is not None and self.latest.data is not None:
            menu.replace_option_prompt(
                "continue", Text(f"Continue ({slot_label(self.latest.slot)})"))
            menu.enable_option("continue")
        else:
            menu.replace_option_prompt("continue", Text("Continue"))
            menu.disable_option("continue")
        if app.state is None and self.latest is not None and self.latest.data is not None:
            data = self.latest.data
            status.update(Text(f"Last save: {data.episode} \u00b7 {data.scene_title}",
                               "dim", justify="center"))
        else:
            status.update("")

    @on(OptionList.OptionSelected, "#title-menu")
    def _selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.action_menu(event.option_id or "")

    def action_menu(self, key: str) -> None:
        app = self.kiss
        if key == "new":
            if app.unsaved:
                def answer(result: str | None) -> None:
                    if result == "yes":
                        app.start_new_game()

                from .confirm import ConfirmScreen

                app.push_screen(ConfirmScreen(
                    "Start a new game?", "The game in progress has unsaved choices.",
                    [("yes", "Start over", "y"), ("no", "Cancel", "n")]), answer)
            else:
                app.start_new_game()
        elif key == "continue":
            if app.state is not None:
                app.show_play()
            elif self.latest is not None and self.latest.data is not None:
                app.load_save(self.latest.data, self.latest.slot)
            else:
                self.notify("There is no saved game yet.", timeout=3)
        elif key == "load":
            from .slots import SlotScreen

            app.push_screen(SlotScreen("load"))
        elif key in OPTIONAL_SCREENS:
            module, name, what = OPTIONAL_SCREENS[key]
            screen = optional_screen(module, name)
            if screen is None:
                self.notify(f"{what} is coming soon.", timeout=3)
            else:
                app.push_screen(screen())
        elif key == "settings":
            from .settings import SettingsScreen

            app.push_screen(SettingsScreen())
        elif key == "help":
            app.action_help()
        elif key == "quit":
            app.action_request_quit()
