"""Help: every key, read from the screens' own bindings so it cannot drift."""

from __future__ import annotations

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.widgets import Label, Static

from .dialog import Dialog

CHOICE_KEYS = [("\u2191 \u2193", "Highlight a choice"), ("Enter", "Take the highlighted choice"),
               ("Mouse", "Click a choice to take it; scroll the prose with the wheel")]


def _key_name(binding: Binding) -> str:
    if binding.key_display:
        return binding.key_display
    names = {"question_mark": "?", "escape": "Esc", "backspace": "Backspace",
             "pageup": "PgUp", "pagedown": "PgDn", "delete": "Del", "ctrl+q": "Ctrl+Q"}
    return ", ".join(names.get(k, k.upper() if k.startswith("f") and k[1:].isdigit() else k)
                     for k in binding.key.split(","))


def _rows(bindings: list) -> list[tuple[str, str]]:
    seen: dict[str, list[str]] = {}
    for binding in bindings:
        if not isinstance(binding, Binding):
            continue
        description = binding.description or binding.action
        if binding.key_display and description in seen:
            continue
        seen.setdefault(description, []).append(_key_name(binding))
    return [(", ".join(dict.fromkeys(keys)), description) for description, keys in seen.items()]


def help_table() -> Table:
    from ..app import KissApp
    from .play import PlayScreen
    from .slots import SlotScreen
    from .title import TitleScreen

    table = Table.grid(padding=(0, 2))
    table.add_column(style="bold", no_wrap=True)
    table.add_column()
    sections = [
        ("Playing", CHOICE_KEYS + _rows(PlayScreen.BINDINGS)),
        ("Title screen", [("\u2191 \u2193, Enter", "Pick a menu entry")]
         + _rows(TitleScreen.BINDINGS)),
        ("Save and load", _rows(SlotScreen.BINDINGS)),
        ("Anywhere", _rows(KissApp.BINDINGS) + [("F1", "This help")]),
    ]
    for index, (title, rows) in enumerate(sections):
        if index:
            table.add_row("", "")
        table.add_row(Text(title, "bold underline"), "")
        for key, description in rows:
            table.add_row(key, description)
    return table


class HelpScreen(Dialog[None]):
    AUTO_FOCUS = "#help-scroll"
    BINDINGS = [Binding("escape,question_mark,f1", "close", "Back", id="help.close")]

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog", classes="help"):
            yield Label("Keys", id="dialog-title")
            with VerticalScroll(id="help-scroll"):
                yield Static(help_table())
            yield Static("Every screen works with the keyboard alone.  Esc: back",
                         id="dialog-detail")

    def action_close(self) -> None:
        self.dismiss(None)
