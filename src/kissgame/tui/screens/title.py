"""The title screen: new game, continue, load, gallery, branch map, settings, help, quit."""

from __future__ import annotations

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Center, Vertical
from textual.widgets import Footer, OptionList
from textual.widgets.option_list import Option

from ...saves import SlotInfo, slot_label
from ..host import HostScreen
from ..widgets.choice_list import MenuList
from ..widgets.plain import Plain
from .confirm import ConfirmScreen

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


MENU_TEXT_WIDTH = 28  # the menu's width less its border and padding


def one_line(text: str, width: int = MENU_TEXT_WIDTH) -> Text:
    """A menu prompt that never wraps: a long scene or ending name ends in an ellipsis
    instead of pushing the entries below it out of view."""
    line = Text(" ".join(text.split()))
    if line.cell_len > width:
        line.truncate(width - 1)
        line.append("\u2026")
    return line


class TitleScreen(HostScreen):
    TITLE = "Title screen"
    AUTO_FOCUS = "#title-menu"
    BINDINGS = [
        Binding("n", "menu('new')", "New game", id="title.new"),
        Binding("c", "menu('continue')", "Continue", id="title.continue"),
        Binding("l", "menu('load')", "Load", id="title.load"),
        Binding("question_mark", "app.help", "Help", key_display="?", id="title.help"),
        Binding("q", "app.request_quit", "Quit", id="title.quit"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.latest: SlotInfo | None = None

    def compose(self) -> ComposeResult:
        story = self.session.story
        with Vertical(id="title-box"):
            yield Plain(Text(story.title, "bold", justify="center"), id="title-name")
            if story.description:
                yield Plain(Text(" ".join(story.description.split()), "italic",
                                 justify="center"), id="title-description")
            with Center():
                yield MenuList(*[Option(label, id=key) for key, label in MENU],
                               id="title-menu")
            yield Plain(id="title-status")
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
        latest = self.session.saves.latest()
        self.app.call_from_thread(self._latest_found, latest)

    def _latest_found(self, latest: SlotInfo | None) -> None:
        self.latest = latest
        self._set_continue()

    def _set_continue(self) -> None:
        if not self.is_attached:
            return
        menus = self.query("#title-menu").results(OptionList)
        statuses = self.query("#title-status").results(Plain)
        menu, status = next(menus, None), next(statuses, None)
        if menu is None or status is None:
            return
        session = self.session
        if session.state is not None:
            beat = self.host.beat()
            where = (beat.title or beat.episode_title) if beat else ""
            menu.replace_option_prompt(
                "continue", one_line(f"Continue ({where})" if where else "Continue"))
            menu.enable_option("continue")
        elif self.latest is not None and self.latest.data is not None:
            menu.replace_option_prompt(
                "continue", one_line(f"Continue ({slot_label(self.latest.slot)})"))
            menu.enable_option("continue")
        else:
            menu.replace_option_prompt("continue", one_line("Continue"))
            menu.disable_option("continue")
        if session.state is None and self.latest is not None and self.latest.data is not None:
            data = self.latest.data
            line = Text("Last save: ", "dim", justify="center", no_wrap=True,
                        overflow="ellipsis")
            line.append(f"{data.episode} \u00b7 {data.scene_title}")
            status.update(line)
        else:
            status.update("")

    @on(OptionList.OptionSelected, "#title-menu")
    def _selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.action_menu(event.option_id or "")

    def action_menu(self, key: str) -> None:
        host, session = self.host, self.session
        if key == "new":
            if session.unsaved:
                def answer(result: str | None) -> None:
                    if result == "yes":
                        host.start_new_game()

                self.app.push_screen(ConfirmScreen(
                    "Start a new game?", "The game in progress has unsaved choices.",
                    [("yes", "Start over", "y"), ("no", "Cancel", "n")]), answer)
            else:
                host.start_new_game()
        elif key == "continue":
            if session.state is not None:
                host.show_play()
            elif self.latest is not None and self.latest.data is not None:
                host.load_save(self.latest.data, self.latest.slot)
            else:
                self.notify("There is no saved game yet.", timeout=3)
        elif key in ("load", "gallery", "branch_map", "settings", "help"):
            host.open_screen(key)
        elif key == "quit":
            host.action_request_quit()
