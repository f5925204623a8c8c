"""The backlog: everything read and chosen in this playthrough, rebuilt from the state."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll

from ...engine import Diverged, GameState, Story, current, replay
from ..widgets.plain import Plain
from ..widgets.prose import beat_text
from .dialog import Dialog


def history_text(story: Story, state: GameState) -> Text:
    """Each scene's text in order, with the choice taken after it.

    The path is replayed from the seed by the engine, so the backlog is exactly what
    the player saw, and it follows rewinds and loads.
    """
    out = Text()
    try:
        states = replay(story, state.seed, state.path)
    except (Diverged, KeyError):
        out.append("The story changed since this game was saved, so only the current scene "
                   "can be shown.\n\n", "italic")
        states = [state]
    for index, step in enumerate(states):
        beat = current(story, step)
        if index:
            out.append("\n")
        out.append_text(beat_text(beat))
        if index < len(states) - 1 and index < len(state.path):
            chosen = state.path[index]
            label = next((c.label for c in beat.choices if c.id == chosen), chosen)
            out.append("\n\n")
            out.append(f"\u25b8 You chose: {label}", "bold reverse")
            out.append("\n")
    return out


class HistoryScreen(Dialog[None]):
    AUTO_FOCUS = "#history-scroll"
    BINDINGS = [
        Binding("escape,h", "close", "Back", id="history.close"),
        Binding("home", "top", "Top", id="history.top"),
        Binding("end", "bottom", "Bottom", id="history.bottom"),
    ]

    def compose(self) -> ComposeResult:
        session = self.session
        state = session.state
        text = Text("Nothing has happened yet.") if state is None else history_text(
            session.story, state)
        with Vertical(id="dialog", classes="history"):
            yield Plain("History", id="dialog-title")
            with VerticalScroll(id="history-scroll"):
                yield Plain(text, id="history-text")
            yield Plain("\u2191\u2193 PgUp PgDn: scroll   Home/End   Esc: back",
                         id="dialog-detail")

    def on_mount(self) -> None:
        for scroll in self.query("#history-scroll").results(VerticalScroll):
            self.call_after_refresh(scroll.scroll_end, animate=False)

    def action_close(self) -> None:
        self.dismiss(None)

    def action_top(self) -> None:
        for scroll in self.query("#history-scroll").results(VerticalScroll):
            scroll.scroll_home(animate=False)

    def action_bottom(self) -> None:
        for scroll in self.query("#history-scroll").results(VerticalScroll):
            scroll.scroll_end(animate=False)

