"""Settings: theme and text reveal speed, applied at once and saved."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Label, Select, Static

from ...settings import REVEAL_SPEEDS

REVEAL_LABELS = {"instant": "Instant", "fast": "Fast", "normal": "Normal", "slow": "Slow"}


class SettingsScreen(ModalScreen[None]):
    BINDINGS = [Binding("escape", "close", "Back", id="settings.close")]

    def compose(self) -> ComposeResult:
        app = self.app
        settings = app.settings  # type: ignore[attr-defined]
        themes = sorted(app.available_themes)
        theme = settings.theme if settings.theme in themes else app.theme
        with Vertical(id="dialog", classes="settings"):
            yield Label("Settings", id="dialog-title")
            yield Label("Theme")
            yield Select([(name, name) for name in themes], value=theme, allow_blank=False,
                         id="theme")
            yield Label("Text reveal")
            yield Select([(REVEAL_LABELS.get(k, k), k) for k in REVEAL_SPEEDS],
                         value=settings.reveal, allow_blank=False, id="reveal")
            yield Static("Tab: next   Enter: open   Esc: back. Any key completes a reveal.",
                         id="dialog-detail")

    def on_mount(self) -> None:
        self.query_one("#theme", Select).focus()

    @on(Select.Changed)
    def _changed(self, event: Select.Changed) -> None:
        event.stop()
        if not isinstance(event.value, str):
            return
        app = self.app
        key = "theme" if event.select.id == "theme" else "reveal"
        settings = app.settings  # type: ignore[attr-defined]
        if getattr(settings, key) != event.value:
            app.apply_settings(settings.with_(**{key: event.value}))  # type: ignore[attr-defined]

    def action_close(self) -> None:
        self.dismiss(None)
