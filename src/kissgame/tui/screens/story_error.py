"""The story failed while playing: where, and why, in a panel over the last good screen.

The player's state is untouched (the move that failed never happened), so after Esc
they can rewind, load, or choose something else.
"""

from __future__ import annotations

from collections.abc import Sequence

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll

from ...engine import Diagnostic
from ..widgets.plain import Plain
from ..widgets.reload_panel import problem_text
from .dialog import Dialog

HEADLINE = ("The story hit an error here, so that move was not made. Your game is as it "
            "was: rewind, load, or try another choice.")


class StoryErrorScreen(Dialog[None]):
    BINDINGS = [Binding("escape,enter", "close", "Back to the game", id="story_error.close")]
    AUTO_FOCUS = "#story-error-scroll"

    def __init__(self, diagnostics: Sequence[Diagnostic], headline: str = HEADLINE) -> None:
        super().__init__()
        self.diagnostics = tuple(diagnostics)
        self.headline = headline

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog", classes="story-error"):
            yield Plain("Story error", id="dialog-title")
            with VerticalScroll(id="story-error-scroll"):
                yield Plain(problem_text(self.headline, self.diagnostics), id="story-error-text")
            yield Plain(Text("Esc or Enter: back to the game"), id="dialog-detail")

    def action_close(self) -> None:
        self.dismiss(None)
