"""The play screen: scene title, prose, choices and the notebook, driven by app.state."""

from __future__ import annotations

from rich.text import Text
from textual import events, on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.widgets import Footer, Static

from ...engine import Beat, GameState
from ...saves import QUICK
from ..live_reload import ReloadPanel
from ..widgets.choice_list import ChoiceList
from ..widgets.notebook import Notebook
from ..widgets.prose import ProsePanel, beat_parts, title_card

NARROW_BELOW = 100
ENDING_ACTIONS = [
    ("rewind", "Rewind one choice and choose differently"),
    ("new", "Play again from the start"),
    ("title", "Back to the title screen"),
]


def _pick_bindings() -> list[Binding]:
    return [Binding(str(n), f"pick({n})", "Choose", show=n == 1, key_display="1-9",
                    id=f"play.choose.{n}") for n in range(1, 10)]


class PlayScreen(Screen):
    """Renders the Beat of the app's current state and forwards the player's moves."""

    AUTO_FOCUS = "#choices"

    BINDINGS = [
        *_pick_bindings(),
        Binding("r", "rewind", "Rewind", id="play.rewind"),
        Binding("backspace", "rewind", "Rewind", show=False, id="play.rewind.alt"),
        Binding("s", "save", "Save", id="play.save"),
        Binding("l", "load", "Load", id="play.load"),
        Binding("f5", "quicksave", "Quicksave", show=False, id="play.quicksave"),
        Binding("f9", "quickload", "Quickload", show=False, id="play.quickload"),
        Binding("h", "history", "History", id="play.history"),
        Binding("n", "toggle_notebook", "Notebook", id="play.notebook"),
        Binding("o", "settings", "Settings", show=False, id="play.settings"),
        Binding("m", "branch_map", "Branch map", show=False, id="play.branch_map"),
        Binding("x", "export_recording", "Export recording", show=False, id="play.export"),
        Binding("question_mark", "app.help", "Help", key_display="?", id="play.help"),
        Binding("pageup", "scroll_prose(-1)", "Scroll up", show=False, id="play.page_up"),
        Binding("pagedown", "scroll_prose(1)", "Scroll down", show=False, id="play.page_down"),
        Binding("escape", "menu", "Menu", id="play.menu"),
        Binding("q", "app.request_quit", "Quit", id="play.quit"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self._episode: str | None = None
        self._beat: Beat | None = None

    def compose(self) -> ComposeResult:
        yield Static(id="scene-bar")
        with Horizontal(id="play-body"):
            with Vertical(id="story-column"):
                yield ProsePanel(id="prose")
                yield ChoiceList(id="choices")
            yield Notebook(id="notebook")
        yield ReloadPanel(id="reload-panel")
        yield Footer()

    def _fit(self, width: int) -> None:
        """Below NARROW_BELOW columns the notebook folds away (``n`` shows it)."""
        self.set_class(width < NARROW_BELOW, "narrow")

    def on_resize(self, event: events.Resize) -> None:
        self._fit(event.size.width)

    def on_screen_resume(self) -> None:
        self._fit(self.app.size.width)

    def on_mount(self) -> None:
        self._fit(self.app.size.width)
        self.watch(self.app, "state", self._state_changed, init=False)
        state = self.app.state
        if state is not None:
            self._state_changed(state)

    # -- rendering --------------------------------------------------------------------

    def _state_changed(self, state: GameState | None) -> None:
        if state is None or not self.is_attached:
            return
        app = self.app
        beat = app.beat()
        if beat is None:
            return
        self._beat = beat
        bar = Text(no_wrap=True, overflow="ellipsis")
        bar.append(beat.episode_title or app.story.title, "bold")
        if beat.title:
            bar.append(f"  \u00b7  {beat.title}")
        bar.append(f"   choice {state.turn}" if state.turn else "", "dim")
        self.query_one("#scene-bar", Static).update(bar)
        parts = []
        if beat.episode_title and beat.episode_id != self._episode:
            parts.append(title_card(beat))
        self._episode = beat.episode_id
        keep = len(parts)
        parts.extend(beat_parts(beat))
        self.query_one(ProsePanel).show(parts, app.settings.reveal_cps, keep)
        choices = self.query_one(ChoiceList)
        if beat.ended:
            choices.show_actions(ENDING_ACTIONS)
        else:
            choices.show_choices(beat.choices)
        self.query_one(Notebook).show(app.story, state)

    # -- input ----------------------------------------------------------------------------

    def on_key(self, event: events.Key) -> None:
        """Any key completes a text reveal in progress (and does nothing else)."""
        prose = self.query_one(ProsePanel)
        if prose.revealing:
            prose.complete()
            event.stop()
            event.prevent_default()

    def on_click(self, event: events.Click) -> None:
        self.query_one(ProsePanel).complete()

    @on(ChoiceList.Chosen)
    def _chosen(self, event: ChoiceList.Chosen) -> None:
        self.app.take_choice(event.choice_id)

    @on(ChoiceList.ActionChosen)
    def _action_chosen(self, event: ChoiceList.ActionChosen) -> None:
        if event.action == "rewind":
            self.action_rewind()
        elif event.action == "new":
            self.app.start_new_game()
        elif event.action == "title":
            self.app.show_title()

    def action_pick(self, number: int) -> None:
        beat = self._beat
        if beat is None or beat.ended:
            return
        if not 1 <= number <= len(beat.choices):
            self.notify(f"There is no choice {number} here.", timeout=2)
            return
        view = beat.choices[number - 1]
        if not view.enabled:
            self.notify(view.locked_reason or "That choice is locked for now.",
                        title="Locked", timeout=4)
            return
        self.app.take_choice(view.id)

    def action_rewind(self) -> None:
        self.app.rewind_choices(1)

    def action_toggle_notebook(self) -> None:
        self.toggle_class("notebook-toggled")

    def action_scroll_prose(self, direction: int) -> None:
        prose = self.query_one(ProsePanel)
        if direction < 0:
            prose.scroll_page_up()
        else:
            prose.scroll_page_down()

    def action_menu(self) -> None:
        self.app.show_title()

    def action_history(self) -> None:
        from .history import HistoryScreen

        self.app.push_screen(HistoryScreen())

    def action_settings(self) -> None:
        from .settings import SettingsScreen

        self.app.push_screen(SettingsScreen())

    def action_branch_map(self) -> None:
        from .branch_map import BranchMapScreen

        self.app.push_screen(BranchMapScreen())

    def action_export_recording(self) -> None:
        from .replay_player import export_current

        export_current(self.app)

    def action_save(self) -> None:
        from .slots import SlotScreen

        self.app.push_screen(SlotScreen("save"))

    def action_load(self) -> None:
        from .slots import SlotScreen

        self.app.push_screen(SlotScreen("load"))

    def action_quicksave(self) -> None:
        self.app.quicksave()

    def action_quickload(self) -> None:
        from .slots import load_slot

        load_slot(self.app, QUICK)
