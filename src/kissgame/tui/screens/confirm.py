"""A yes/no (or several-way) question, as a modal that dismisses with the answer."""

from __future__ import annotations

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.widgets import Button

from ..widgets.plain import Plain
from .dialog import Dialog


class ConfirmScreen(Dialog[str | None]):
    """Asks ``question``; dismisses with the id of the button pressed (None on escape).

    ``buttons`` are ``(result, label, key)``: the key presses that button too.
    """

    BINDINGS = [Binding("escape", "dismiss_none", "Cancel", id="confirm.cancel")]

    def __init__(self, question: str, detail: str,
                 buttons: list[tuple[str, str, str]]) -> None:
        super().__init__()
        self.question, self.detail, self.buttons = question, detail, buttons
        self._keys = {key: result for result, _label, key in buttons if key != "escape"}

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog", classes="confirm"):
            yield Plain(self.question, id="dialog-title")
            yield Plain(self.detail, id="dialog-detail")
            with Horizontal(id="dialog-buttons"):
                for index, (result, label, key) in enumerate(self.buttons):
                    shown = f"{label} ({key})" if key not in ("escape", "") else label
                    yield Button(Text(shown), id=f"answer-{result}",
                                 variant="primary" if index == 0 else "default")

    def on_mount(self) -> None:
        for button in self.query(Button).results(Button):
            button.focus()
            break

    def on_key(self, event) -> None:
        result = self._keys.get(event.key)
        if result is not None:
            event.stop()
            self.dismiss(result)

    @on(Button.Pressed)
    def _pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.dismiss((event.button.id or "answer-").removeprefix("answer-"))

    def action_dismiss_none(self) -> None:
        self.dismiss(None)
