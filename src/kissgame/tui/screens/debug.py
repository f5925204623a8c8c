"""The debug overlay (F12, with --watch or --debug): look inside the running state.

It shows the current scene and where it is written, every variable (Enter on one to
type a new value), visit counts, the choices the conditions hide here and the
condition that hid each, and a jump-to-scene prompt with completion. It decides
nothing: every change is a ``kissgame.devtools`` function whose new GameState goes to
``KissApp.load_state``.
"""

from __future__ import annotations

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.suggester import SuggestFromList
from textual.widgets import DataTable, Footer, Input

from ...devtools import (
    EditError,
    describe_var,
    format_value,
    hidden_choices,
    jump_to,
    match_scene,
    set_variable,
)
from ...engine import GameState, Story, StoryRuntimeError, current
from ..widgets.plain import Plain
from .dialog import Dialog


class JumpInput(Input):
    """An Input where Tab accepts the completion shown (and moves on when there is none)."""

    BINDINGS = [Binding("tab", "complete", "Complete", show=False, id="debug.complete")]

    def action_complete(self) -> None:
        before = self.value
        if self.cursor_at_end:
            self.action_cursor_right()  # accepts the suggestion, if any
        if self.value == before:
            self.screen.focus_next()


class DebugScreen(Dialog[None]):
    """The overlay itself; reads ``app.story`` and ``app.state`` and follows changes."""

    BINDINGS = [
        Binding("escape", "close", "Close", id="debug.close"),
        Binding("f12", "close", "Close", show=False, id="debug.close.alt"),
        Binding("ctrl+g", "focus_jump", "Go to scene", key_display="^g", id="debug.jump"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.editing: str | None = None
        self._leaving = False

    def compose(self) -> ComposeResult:
        with Vertical(id="debug-box"):
            yield Plain(id="debug-where")
            with Horizontal(id="debug-body"):
                yield DataTable(id="debug-vars", cursor_type="row", zebra_stripes=True)
                with VerticalScroll(id="debug-side"):
                    yield Plain(id="debug-hidden")
                    yield Plain(id="debug-visits")
            yield Plain(id="debug-status")
            yield Input(id="debug-value",
                        placeholder="Enter on a variable above, then type its new value")
            yield JumpInput(id="debug-jump", placeholder="Jump to scene (Tab completes)")
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one("#debug-vars", DataTable)
        table.add_columns("variable", "value", "accepts")
        table.border_title = "Variables (Enter: edit)"
        self.query_one("#debug-box").border_title = "Debug"
        self.watch(self.app, "state", self._refresh, init=False)
        self._refresh(self._state())
        table.focus()

    # -- what the app holds -------------------------------------------------------------

    def _story(self) -> Story:
        return self.session.story

    def _state(self) -> GameState | None:
        return self.session.state

    # -- rendering ----------------------------------------------------------------------

    def _refresh(self, state: GameState | None) -> None:
        if state is None or self._leaving or not self.is_attached:
            return
        story = self._story()
        scene = story.scenes.get(state.scene)
        where = Text(no_wrap=True, overflow="ellipsis")
        where.append(f"scene {state.scene}", "bold")
        if scene is not None:
            if scene.title:
                where.append(f" \u201c{scene.title}\u201d")
            where.append(f"  {scene.span}", "underline")
        where.append(f"  turn {state.turn} \u00b7 seed {state.seed}", "dim")
        if state.calls:  # innermost first: where the next return goes
            where.append("  returns to " + ", then ".join(reversed(state.calls)), "dim")
        self.query_one("#debug-where", Plain).update(where)
        self._fill_vars(story, state)
        self.query_one("#debug-hidden", Plain).update(self._hidden_text(story, state))
        self.query_one("#debug-visits", Plain).update(self._visits_text(state))
        self.query_one("#debug-jump", Input).suggester = SuggestFromList(
            sorted(story.scenes), case_sensitive=True)

    def _fill_vars(self, story: Story, state: GameState) -> None:
        table = self.query_one("#debug-vars", DataTable)
        row = table.cursor_row
        table.clear()
        for name, decl in story.vars.items():
            value = state.vars.get(name)
            shown = Text("(missing)", "italic") if value is None else Text(format_value(value))
            table.add_row(Text(name), shown, Text(describe_var(decl)), key=name)
        if table.row_count:
            table.move_cursor(row=min(row, table.row_count - 1))

    @staticmethod
    def _hidden_text(story: Story, state: GameState) -> Text:
        text = Text("Hidden by conditions here", style="bold")
        try:
            hidden = hidden_choices(story, state)
        except StoryRuntimeError as exc:
            text.append(f"\n{exc}", "red")
            return text
        if not hidden:
            text.append("\n(none)", "dim")
        for key in state.passed:
            text.append(f"\n(fallback {key.choice} taken in {key.scene} on the way here)", "dim")
        for choice in hidden:
            text.append(f"\n{choice.id}", "bold")
            text.append(f" \u2192 {choice.target}")
            if choice.locked:
                text.append(" (shown locked)", "dim")
            text.append(f"\n  {choice.reason}" if choice.waiting else f"\n  if {choice.reason}",
                        "yellow")
            text.append(f"\n  {choice.location}", "dim")
        return text

    @staticmethod
    def _visits_text(state: GameState) -> Text:
        text = Text("\nVisits", style="bold")
        for scene_id, count in sorted(state.visits.items()):
            text.append(f"\n{scene_id} \u00d7{count}")
        return text

    def _say(self, message: str, error: bool = False) -> None:
        self.query_one("#debug-status", Plain).update(
            Text(message, style="bold red" if error else "green"))

    # -- editing a variable ---------------------------------------------------------------

    @on(DataTable.RowSelected, "#debug-vars")
    def _pick_var(self, event: DataTable.RowSelected) -> None:
        name = str(event.row_key.value)
        decl = self._story().vars.get(name)
        state = self._state()
        if decl is None or state is None:
            return
        self.editing = name
        field = self.query_one("#debug-value", Input)
        field.placeholder = f"new value for {name} ({describe_var(decl)})"
        value = state.vars.get(name)
        field.value = "" if value is None else format_value(value).strip('"')
        field.border_title = name
        field.focus()
        self._say(f"Editing {name}: Enter sets it, Esc leaves it as it is.")

    @on(Input.Submitted, "#debug-value")
    def _set_var(self, event: Input.Submitted) -> None:
        state, name = self._state(), self.editing
        if state is None or name is None:
            self._say("Choose a variable first (Enter on its row).", error=True)
            return
        try:
            new = set_variable(self._story(), state, name, event.value)
        except EditError as exc:
            self._say(str(exc), error=True)
            return
        self.host.load_state(new, show=False)
        self._say(f"{name} = {format_value(new.vars[name])}")
        self._stop_editing()

    def _stop_editing(self) -> None:
        self.editing = None
        field = self.query_one("#debug-value", Input)
        field.value = ""
        field.border_title = None
        field.placeholder = "Enter on a variable above, then type its new value"
        self.query_one("#debug-vars", DataTable).focus()

    # -- jumping ---------------------------------------------------------------------------

    @on(Input.Submitted, "#debug-jump")
    def _jump(self, event: Input.Submitted) -> None:
        state = self._state()
        if state is None:
            return
        story = self._story()
        try:
            new = jump_to(story, state, match_scene(story, event.value))
            current(story, new)  # fails here, not on the play screen
        except (EditError, StoryRuntimeError) as exc:
            self._say(str(exc), error=True)
            return
        self._close()
        self.host.load_state(new)
        self.app.notify(f"Jumped to '{new.scene}'.", title="Debug", timeout=3)

    # -- actions -----------------------------------------------------------------------------

    def action_focus_jump(self) -> None:
        self.query_one("#debug-jump", Input).focus()

    def action_close(self) -> None:
        if self.editing is not None:
            self._stop_editing()
            self._say("")
            return
        self._close()

    def _close(self) -> None:
        if self._leaving or not self.is_active:
            return
        self._leaving = True
        self.dismiss(None)
