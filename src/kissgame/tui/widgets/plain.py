"""Plain: the one widget that shows text in the game. Strings are never parsed as markup.

Story and save content (titles, hints, names, ids) is data: ``[@click=app.quit]`` in a
scene title must show as those characters, not become an action. Every label and text
block of the TUI is a ``Plain`` (a test checks that no other Static or Label is built),
and every list is a ``MenuList`` with markup off; styled text is passed as ``rich.text.Text``,
whose ``append`` never parses markup either.
"""

from __future__ import annotations

from textual.visual import VisualType
from textual.widgets import Static


class Plain(Static):
    """A Static with ``markup=False``: ``update("[b]x[/b]")`` shows the brackets."""

    def __init__(self, content: VisualType = "", *, expand: bool = False,
                 shrink: bool = False, name: str | None = None, id: str | None = None,
                 classes: str | None = None, disabled: bool = False) -> None:
        super().__init__(content, expand=expand, shrink=shrink, markup=False, name=name,
                         id=id, classes=classes, disabled=disabled)
