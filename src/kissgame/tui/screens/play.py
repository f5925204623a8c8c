"""The play screen: scene title, prose, choices and the notebook, following the session.

Keys: the number keys choose (story choices, and the numbered options at an ending);
PgUp/PgDn/Space/Home/End and j/k scroll the text (or the notebook when it has focus)
while the choice list keeps focus, so arrows and Enter pick a choice.
"""

from __future__ import annotations

from rich.console import Console, ConsoleOptions, RenderResult
from rich.text import Text
from textual import events, on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.timer import Timer
from textual.widget import Widget
from textual.widgets import Footer

from ...engine import Beat, GameState, Story
from ...saves import QUICK
from ..host import HostScreen
from ..widgets.choice_list import ChoiceList
from ..widgets.notebook import Notebook
from ..widgets.plain import Plain
from ..widgets.prose import ProsePanel, beat_parts, title_card
from ..widgets.reload_panel import ReloadPanel

NARROW_BELOW = 100
PREPARE_STEP = 0.02
"""Seconds between preparing the text of one choice and the next (keys come first)."""
ENDING_ACTIONS = [
    ("rewind", "Rewind one choice and choose differently"),
    ("new", "Play again from the start"),
    ("title", "Back to the title screen"),
]


def _pick_bindings() -> list[Binding]:
    return [Binding(str(n), f"pick({n})", "Choose", show=n == 1, key_display="1-9",
                    id=f"play.choose.{n}") for n in range(1, 10)]


def meter_cue(story: Story, before: GameState, after: GameState) -> Text:
    """``Q + Florian ↑  Heart: Dae ↓``: the ships and meters a choice moved."""
    cue = Text(no_wrap=True, overflow="ellipsis")
    for meter in (*story.ships, *story.meters):
        old, new = before.vars.get(meter.var), after.vars.get(meter.var)
        if isinstance(old, int | float) and isinstance(new, int | float) and old != new:
            if cue:
                cue.append("  ")
            cue.append(meter.label)
            cue.append(" \u2191" if new > old else " \u2193",
                       "bold green" if new > old else "bold red")
    return cue


class SceneBar:
    """The scene bar's one line: the title on the left, cut with an ellipsis, and the
    meter cue on the right (at most 60% of the bar). One widget draws both, so its size
    never changes with them (a size change costs the screen a second layout)."""

    def __init__(self, title: Text, cue: Text) -> None:
        self.title, self.cue = title, cue

    def __eq__(self, other: object) -> bool:
        return (isinstance(other, SceneBar) and self.title == other.title
                and self.cue == other.cue)

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        width = options.max_width
        cue = self.cue.copy()
        cue_width = min(cue.cell_len + 2, int(width * 0.6))
        cue.truncate(max(0, cue_width - 2), overflow="ellipsis")
        title = self.title.copy()
        title.truncate(max(0, width - cue_width), overflow="ellipsis", pad=True)
        line = Text(no_wrap=True, overflow="ellipsis", end="")
        line.append_text(title)
        line.append(" " * (width - title.cell_len - cue.cell_len))
        line.append_text(cue)
        yield line


class Body(Horizontal):
    """The text and the notebook side by side.

    Its height follows the choice list's. Textual asks for a second layout pass (a
    second frame, one screen update tick later) whenever a widget's virtual size
    changes in a layout, even for a plain container like this one whose children were
    just arranged at that very size; so this one records its new size without asking.
    (Relies on Textual 8.2's ``Widget._size_updated``; pinned in pyproject.toml.)"""

    def _size_updated(self, size, virtual_size, container_size,  # noqa: ANN001, ANN202
                      layout: bool = True):
        return super()._size_updated(size, virtual_size, container_size, layout=False)


class PlayScreen(HostScreen):
    """Renders the Beat of the session's state and forwards the player's moves."""

    TITLE = "Playing"
    AUTO_FOCUS = "#choices"

    BINDINGS = [
        *_pick_bindings(),
        Binding("pagedown,space", "scroll_text('page_down')", "Read on", show=False,
                id="play.page_down", priority=True),
        Binding("pageup", "scroll_text('page_up')", "Back up", show=False,
                id="play.page_up", priority=True),
        Binding("home", "scroll_text('home')", "Top of the text", show=False,
                id="play.top", priority=True),
        Binding("end", "scroll_text('end')", "End of the text", show=False,
                id="play.bottom", priority=True),
        Binding("j", "scroll_text('down')", "Scroll down a line", show=False,
                id="play.line_down"),
        Binding("k", "scroll_text('up')", "Scroll up a line", show=False, id="play.line_up"),
        Binding("r,backspace", "rewind", "Rewind", id="play.rewind"),
        Binding("s", "save", "Save", id="play.save"),
        Binding("l", "load", "Load", show=False, id="play.load"),
        Binding("f5", "quicksave", "Quicksave", show=False, id="play.quicksave"),
        Binding("f9", "quickload", "Quickload", show=False, id="play.quickload"),
        Binding("h", "history", "History", show=False, id="play.history"),
        Binding("n", "toggle_notebook", "Notebook", id="play.notebook"),
        Binding("o", "settings", "Settings", show=False, id="play.settings"),
        Binding("m", "branch_map", "Branch map", show=False, id="play.branch_map"),
        Binding("x", "app.export_recording", "Export recording", show=False,
                id="play.export"),
        Binding("question_mark", "app.help", "Help", key_display="?", id="play.help"),
        Binding("escape", "menu", "Title screen", show=False, id="play.menu"),
        Binding("q", "app.request_quit", "Quit", id="play.quit"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self._episode: str | None = None
        self._beat: Beat | None = None
        self._shown: GameState | None = None
        self._widgets: dict[object, Widget | None] = {}
        self._preparing: Timer | None = None

    def compose(self) -> ComposeResult:
        yield Plain(id="scene-bar")
        with Body(id="play-body"):
            yield ProsePanel(id="prose")
            yield Notebook(id="notebook")
        yield ChoiceList(id="choices")
        yield ReloadPanel(id="reload-panel")
        yield Footer()

    # -- layout -------------------------------------------------------------------------

    def _fit(self, width: int) -> None:
        """Below NARROW_BELOW columns the notebook folds away (``n`` shows it in place of
        the story text); wider, it sits beside the story."""
        self.set_class(width < NARROW_BELOW, "narrow")

    def on_resize(self, event: events.Resize) -> None:
        self._fit(event.size.width)

    def on_screen_resume(self) -> None:
        self._fit(self.app.size.width)

    def on_mount(self) -> None:
        self._fit(self.app.size.width)
        self.watch(self.app, "state", self._state_changed, init=False)
        self._apply_width()
        reload_panel = self._one(ReloadPanel)
        if reload_panel is not None:
            reload_panel.show_problem(self.host.reload_problem)
        state = self.session.state
        if state is not None:
            self._state_changed(state)

    def _one(self, kind: type, selector: str | None = None):  # noqa: ANN202
        """The widget, or None while the screen is being built or torn down."""
        if not self.is_attached:
            return None
        # Remembered: a query walks the whole screen, and a choice asks for ten widgets.
        key = selector or kind
        widget = self._widgets.get(key)
        if widget is None or not widget.is_attached:
            widget = next(iter(self.query(selector or kind).results(kind)), None)
            self._widgets[key] = widget
        return widget

    def _apply_width(self) -> None:
        prose = self._one(ProsePanel)
        if prose is not None:
            prose.set_measure(self.host.settings.text_width)

    # -- rendering --------------------------------------------------------------------

    def _state_changed(self, state: GameState | None) -> None:
        if state is None or not self.is_attached:
            return
        beat = self.host.beat()
        if beat is None:
            return  # the story could not render this state: the error panel says why
        story = self.session.story
        previous, self._shown = self._shown, state
        self._beat = beat
        bar = Text(no_wrap=True, overflow="ellipsis")
        bar.append(beat.episode_title or story.title, "bold")
        if beat.title:
            bar.append(f"  \u00b7  {beat.title}")
        bar.append(f"   choice {state.turn}" if state.turn else "", "dim")
        widgets = (self._one(Plain, "#scene-bar"), self._one(ProsePanel),
                   self._one(ChoiceList), self._one(Notebook))
        scene_bar, prose, choices, notebook = widgets
        if any(widget is None for widget in widgets):
            return
        moved_on = (previous is not None and previous.seed == state.seed
                    and state.path[:-1] == previous.path and len(state.path) > 0)
        shown_bar = SceneBar(bar, meter_cue(story, previous, state)
                             if moved_on and previous else Text())
        if shown_bar != scene_bar.content:
            scene_bar.update(shown_bar, layout=False)  # one line, whatever it says
        parts, keep = self._parts(beat)
        self._episode = beat.episode_id
        prose.show(parts, self.host.settings.reveal_cps, keep)
        if beat.ended:
            choices.show_actions(ENDING_ACTIONS)
        else:
            choices.show_choices(beat.choices)
        choices.border_title = "What now?" if beat.ended else "Choose"
        notebook.show(story, state)
        self._prepare([view.id for view in beat.choices if view.enabled])

    def _parts(self, beat: Beat) -> tuple[list[Text], int]:
        """The prose paragraphs of ``beat`` and how many of them appear at once (the
        episode card, when the beat begins an episode)."""
        parts = [title_card(beat)] if (beat.episode_title
                                       and beat.episode_id != self._episode) else []
        keep = len(parts)
        parts.extend(beat_parts(beat))
        return parts, keep

    def _prepare(self, choice_ids: list[str]) -> None:
        """While the player reads, render the text each choice leads to, one choice a
        step, so taking one only looks its lines up (see ProsePanel.prepare)."""
        if self._preparing is not None:
            self._preparing.stop()
        self._preparing = None
        if not choice_ids:
            return

        def step() -> None:
            prose = self._one(ProsePanel)
            beat = self.session.peek(choice_ids.pop(0))
            if prose is not None and beat is not None:
                prose.prepare(self._parts(beat)[0])
            self._preparing = self.set_timer(PREPARE_STEP, step) if choice_ids else None

        self._preparing = self.set_timer(PREPARE_STEP, step)

    # -- input ----------------------------------------------------------------------------

    def on_key(self, event: events.Key) -> None:
        """Any key completes a text reveal in progress (and does nothing else)."""
        prose = self._one(ProsePanel)
        if prose is not None and prose.revealing:
            prose.complete()
            event.stop()
            event.prevent_default()

    def on_click(self, event: events.Click) -> None:
        prose = self._one(ProsePanel)
        if prose is not None:
            prose.complete()

    @on(ChoiceList.Chosen)
    def _chosen(self, event: ChoiceList.Chosen) -> None:
        self.host.take_choice(event.choice_id)

    @on(ChoiceList.ActionChosen)
    def _action_chosen(self, event: ChoiceList.ActionChosen) -> None:
        if event.action == "rewind":
            self.action_rewind()
        elif event.action == "new":
            self.host.start_new_game()
        elif event.action == "title":
            self.host.show_title()

    def action_pick(self, number: int) -> None:
        beat, choices = self._beat, self._one(ChoiceList)
        if beat is None or choices is None:
            return
        count = len(ENDING_ACTIONS) if beat.ended else len(beat.choices)
        if not 1 <= number <= count:
            self.notify(f"There is no choice {number} here.", timeout=2)
            return
        if not beat.ended:
            view = beat.choices[number - 1]
            if not view.enabled:
                self.notify(view.locked_reason or "That choice is locked for now.",
                            title="Locked", timeout=4)
                return
            self.host.take_choice(view.id)  # at once: the list's message is two hops
            return
        choices.choose_index(number - 1)

    def action_scroll_text(self, how: str) -> None:
        """Scroll the story text, or the notebook when it has focus or stands in for
        the text (narrow terminals)."""
        notebook = self._one(Notebook)
        target = self._one(ProsePanel)
        if notebook is not None and notebook.display and (
                self.has_class("narrow") or notebook.has_focus):
            target = notebook
        if target is None:
            return
        if how == "page_down":
            target.scroll_page_down(animate=False)
        elif how == "page_up":
            target.scroll_page_up(animate=False)
        elif how == "home":
            target.scroll_home(animate=False)
        elif how == "end":
            target.scroll_end(animate=False)
        elif how == "down":
            target.scroll_down(animate=False)
        elif how == "up":
            target.scroll_up(animate=False)

    def action_rewind(self) -> None:
        self.host.rewind_choices(1)

    def action_toggle_notebook(self) -> None:
        self.toggle_class("notebook-toggled")

    def action_menu(self) -> None:
        if self.has_class("narrow") and self.has_class("notebook-toggled"):
            self.remove_class("notebook-toggled")
            return
        self.host.show_title()

    def action_history(self) -> None:
        self.host.open_screen("history")

    def action_settings(self) -> None:
        self.host.open_screen("settings")

    def action_branch_map(self) -> None:
        self.host.open_screen("branch_map")

    def action_save(self) -> None:
        self.host.open_screen("save")

    def action_load(self) -> None:
        self.host.open_screen("load")

    def action_quicksave(self) -> None:
        self.host.save_to(QUICK)

    def action_quickload(self) -> None:
        self.host.load_slot(QUICK)

    def settings_changed(self) -> None:
        """The settings screen calls this: re-measure the text."""
        self._apply_width()
