"""Kitty's notebook: the story's declared ships, meters and clues, read from a state."""

from __future__ import annotations

import math
from collections.abc import Iterable

from rich.text import Text
from textual.containers import VerticalScroll

from ...engine import GameState, Story
from ...engine.model import Meter
from .plain import Plain

BAR_WIDTH = 10


def meter_bar(value: float, maximum: float, width: int = BAR_WIDTH) -> Text:
    maximum = maximum if math.isfinite(maximum) and maximum > 0 else 1
    ratio = min(max(value / maximum, 0.0), 1.0) if math.isfinite(value) else 0.0
    filled = round(ratio * width)
    colour = "red" if ratio < 0.3 else "yellow" if ratio < 0.6 else "green"
    bar = Text()
    bar.append("\u2588" * filled, colour)
    bar.append("\u2591" * (width - filled), "dim")
    return bar


def _number(value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return 0.0
    number = float(value)
    return number if math.isfinite(number) else 0.0


def _shown(value: float) -> str:
    if not math.isfinite(value):
        return str(value)
    return str(int(value)) if value == int(value) else str(round(value, 1))


def _meters(out: Text, heading: str, meters: Iterable[Meter], state: GameState) -> None:
    meters = list(meters)
    if not meters:
        return
    out.append(f"{heading}\n", "bold underline")
    for meter in meters:
        value = _number(state.vars.get(meter.var, 0))
        out.append(f"{meter.label}\n")
        out.append_text(meter_bar(value, meter.max))
        out.append(f" {_shown(value)}/{_shown(meter.max)}\n",
                   "dim")
    out.append("\n")


def notebook_text(story: Story, state: GameState) -> Text:
    out = Text()
    _meters(out, "Ships", story.ships, state)
    _meters(out, "Heart", story.meters, state)
    if story.clues:
        found = [clue for clue in story.clues if state.vars.get(clue.var) is True]
        out.append(f"Clues {len(found)}/{len(story.clues)}\n", "bold underline")
        for clue in found:
            out.append("\u2713 ", "green")
            out.append(f"{clue.label}\n")
        if len(found) < len(story.clues):
            out.append(f"{len(story.clues) - len(found)} still hidden\n", "dim italic")
    if not out.plain:
        out.append("This story keeps no notebook.", "dim italic")
    out.rstrip()
    return out


class Notebook(VerticalScroll, can_focus=True):
    """A read-only view; the play screen calls ``show`` whenever the state changes.
    Focusable (Tab), so it scrolls by keyboard."""

    BORDER_TITLE = "Notebook"

    def compose(self):
        yield Plain(id="notebook-text")

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._showing: tuple[Story, GameState] | None = None

    def show(self, story: Story, state: GameState) -> None:
        """Show the notebook of ``state``; while folded away (narrow terminals), only
        when it is shown again."""
        self._showing = (story, state)
        if self.display:
            self._update()

    def on_show(self) -> None:
        self._update()

    def _update(self) -> None:
        if self._showing is None:
            return
        shown = notebook_text(*self._showing)
        for text in self.query("#notebook-text").results(Plain):
            if shown != text.content:  # unchanged: no repaint, no layout
                text.update(shown)
