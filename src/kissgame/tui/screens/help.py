"""Help: the keys that work where it was opened, each listed once.

Read from the live bindings (``Screen.active_bindings``), so it follows the key map in
the settings, leaves out what is switched off (F12 without ``--debug``) and cannot drift.
"""

from __future__ import annotations

from collections.abc import Mapping

from rich.table import Table
from rich.text import Text
from textual.app import App, ComposeResult
from textual.binding import ActiveBinding, Binding
from textual.containers import Vertical, VerticalScroll
from textual.screen import Screen
from textual.widgets import OptionList

from ..widgets.plain import Plain
from .dialog import Dialog

LIST_KEYS = [("\u2191 \u2193, Enter", "Highlight and take an entry of the list")]
KEY_NAMES = {"question_mark": "?", "escape": "Esc", "backspace": "Backspace",
             "pageup": "PgUp", "pagedown": "PgDn", "delete": "Del", "space": "Space",
             "home": "Home", "end": "End", "enter": "Enter", "tab": "Tab",
             "minus": "-", "plus": "+", "equals_sign": "=", "left": "\u2190",
             "right": "\u2192", "up": "\u2191", "down": "\u2193"}

Rows = list[tuple[str, str]]


def key_name(key: str) -> str:
    if key in KEY_NAMES:
        return KEY_NAMES[key]
    if key.startswith("f") and key[1:].isdigit():
        return key.upper()
    for prefix in ("ctrl+", "shift+", "alt+"):
        if key.startswith(prefix):
            rest = key[len(prefix):]
            return prefix[:-1].capitalize() + "+" + (rest.upper() if len(rest) == 1
                                                      else key_name(rest))
    return key


SKIP_ACTIONS = {"screen.copy_text"}  # works only with a mouse selection
DESCRIPTIONS = {"palette": "Command palette: every command", "Focus Next": "Next panel",
                "Focus Previous": "Previous panel"}


def binding_rows(active: Mapping[str, ActiveBinding], app: App) -> tuple[Rows, Rows]:
    """(rows for the screen, rows for anywhere): one row per thing a key does, with
    every key that does it; widget-level keys (list movement) are left to LIST_KEYS."""
    here: dict[str, list[str]] = {}
    anywhere: dict[str, list[str]] = {}
    for key, item in active.items():
        binding: Binding = item.binding
        if not item.enabled or not binding.description or binding.action in SKIP_ACTIONS:
            continue
        description = DESCRIPTIONS.get(binding.description, binding.description)
        if item.node is app:
            rows = here if description in here else anywhere
        elif isinstance(item.node, Screen):
            rows = here
        else:
            continue
        shown = binding.key_display or key_name(key)
        keys = rows.setdefault(description, [])
        if shown not in keys:
            keys.append(shown)
    for description in list(anywhere):
        if description in here:  # the app binds it too (Help: ?, F1)
            here[description] += [k for k in anywhere.pop(description)
                                  if k not in here[description]]
    return ([(", ".join(k), d) for d, k in here.items()],
            [(", ".join(k), d) for d, k in anywhere.items()])


def help_rows(app: App) -> list[tuple[str, Rows]]:
    """The sections of the help for the screen on top of ``app`` now."""
    screen = app.screen
    here, anywhere = binding_rows(screen.active_bindings, app)
    if screen.query(OptionList):
        here = LIST_KEYS + here
    name = screen.TITLE or "This screen"
    sections = [(name, here)]
    if anywhere:
        sections.append(("Anywhere", anywhere))
    return sections


def help_table(sections: list[tuple[str, Rows]]) -> Table:
    table = Table.grid(padding=(0, 2))
    table.add_column(style="bold", no_wrap=True)
    table.add_column()
    for index, (title, rows) in enumerate(sections):
        if index:
            table.add_row("", "")
        table.add_row(Text(title, "bold underline"), "")
        for key, description in rows:
            table.add_row(Text(key), Text(description))
    return table


class HelpScreen(Dialog[None]):
    AUTO_FOCUS = "#help-scroll"
    BINDINGS = [Binding("escape,question_mark,f1", "close", "Back", id="help.close")]

    def __init__(self, sections: list[tuple[str, Rows]]) -> None:
        super().__init__()
        self.sections = sections

    @staticmethod
    def rows_for(app: App) -> list[tuple[str, Rows]]:
        return help_rows(app)

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog", classes="help"):
            yield Plain("Keys", id="dialog-title")
            with VerticalScroll(id="help-scroll"):
                yield Plain(help_table(self.sections))
            yield Plain("Ctrl+P: every command   Esc: back", id="dialog-detail")

    def action_close(self) -> None:
        self.dismiss(None)
