"""Settings: theme and text reveal speed, applied at once and saved.

Two plain lists rather than Select drop-downs: Textual 8.2's Select overlay raised on a
PgDn pressed while it opened (found by the monkey test), and lists show every option at
80x24 without a pop-up.
"""

from __future__ import annotations

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.widgets import Label, OptionList, Static
from textual.widgets.option_list import Option

from ...settings import REVEAL_SPEEDS
from ..widgets.choice_list import MenuList
from .dialog import Dialog

REVEAL_LABELS = {"instant": "Instant", "fast": "Fast", "normal": "Normal", "slow": "Slow"}


def _prompt(label: str, current: bool) -> Text:
    return Text.assemble(("\u25cf " if current else "  ", "bold"), label)


class SettingsScreen(Dialog[None]):
    AUTO_FOCUS = "#theme"
    BINDINGS = [Binding("escape", "close", "Back", id="settings.close")]

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog", classes="settings"):
            yield Label("Settings", id="dialog-title")
            with Horizontal(id="settings-columns"):
                with Vertical():
                    yield Label("Theme")
                    yield MenuList(id="theme")
                with Vertical():
                    yield Label("Text reveal")
                    yield MenuList(id="reveal")
            yield Static("Tab: next list   Enter: choose   Esc: back\n"
                         "With a reveal speed, any key shows the rest of the scene at once.",
                         id="dialog-detail")

    def on_mount(self) -> None:
        if self.is_attached:
            self._fill()

    def _fill(self) -> None:
        settings = self.app.settings  # type: ignore[attr-defined]
        theme = self.app.theme
        lists = {
            "theme": [(name, name, name == theme) for name in sorted(self.app.available_themes)],
            "reveal": [(key, REVEAL_LABELS.get(key, key), key == settings.reveal)
                       for key in REVEAL_SPEEDS],
        }
        for list_id, rows in lists.items():
            menu = self.query_one(f"#{list_id}", MenuList)
            keep = menu.highlighted
            menu.set_options([Option(_prompt(label, chosen), id=value)
                              for value, label, chosen in rows])
            current = next((i for i, row in enumerate(rows) if row[2]), 0)
            menu.highlighted = current if keep is None else keep

    @on(OptionList.OptionSelected)
    def _chosen(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        key = event.option_list.id
        value = event.option_id
        if key not in ("theme", "reveal") or value is None:
            return
        app = self.app
        settings = app.settings  # type: ignore[attr-defined]
        if getattr(settings, key) != value or (key == "theme" and app.theme != value):
            app.apply_settings(settings.with_(**{key: value}))  # type: ignore[attr-defined]
        self._fill()

    def action_close(self) -> None:
        self.dismiss(None)
