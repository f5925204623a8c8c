"""Settings: theme, text reveal speed and text width, applied at once and saved.

Plain lists rather than Select drop-downs: Textual 8.2's Select overlay raised on a
PgDn pressed while it opened (found by the monkey test), and lists show every option at
80x24 without a pop-up.
"""

from __future__ import annotations

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.widgets import OptionList
from textual.widgets.option_list import Option

from ...settings import REVEAL_SPEEDS, TEXT_WIDTHS
from ..widgets.choice_list import MenuList
from ..widgets.plain import Plain
from .dialog import Dialog

REVEAL_LABELS = {"instant": "Instant", "fast": "Fast", "normal": "Normal", "slow": "Slow"}
LISTS = ("theme", "reveal", "text_width")


def _prompt(label: str, current: bool) -> Text:
    return Text.assemble(("\u25cf " if current else "  ", "bold"), label)


def width_label(columns: int) -> str:
    return f"{columns} cols" if columns else "Full width"


class SettingsScreen(Dialog[None]):
    AUTO_FOCUS = "#theme"
    BINDINGS = [Binding("escape", "close", "Back", id="settings.close")]

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog", classes="settings"):
            yield Plain("Settings", id="dialog-title")
            with Horizontal(id="settings-columns"):
                with Vertical(id="theme-column"):
                    yield Plain("Theme")
                    yield MenuList(id="theme")
                with Vertical():
                    yield Plain("Text reveal")
                    yield MenuList(id="reveal")
                with Vertical():
                    yield Plain("Text width")
                    yield MenuList(id="text_width")
            yield Plain("Tab: next list   Enter: choose   Esc: back", id="dialog-detail")

    def on_mount(self) -> None:
        self._fill()

    def _fill(self) -> None:
        if not self.is_attached:
            return
        settings = self.host.settings
        theme = self.app.theme
        lists = {
            "theme": [(name, name, name == theme) for name in sorted(self.app.available_themes)],
            "reveal": [(key, REVEAL_LABELS.get(key, key), key == settings.reveal)
                       for key in REVEAL_SPEEDS],
            "text_width": [(str(w), width_label(w), w == settings.text_width)
                           for w in TEXT_WIDTHS],
        }
        for list_id, rows in lists.items():
            menu = next(iter(self.query(f"#{list_id}").results(MenuList)), None)
            if menu is None:
                continue
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
        if key not in LISTS or value is None:
            return
        settings = self.host.settings
        if key == "text_width":
            new = settings.with_(text_width=int(value))
        else:
            new = settings.with_(**{key: value})
        if new != settings or (key == "theme" and self.app.theme != value):
            self.host.apply_settings(new)
        self._fill()

    def action_close(self) -> None:
        self.dismiss(None)
