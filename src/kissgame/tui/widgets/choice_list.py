"""The choices of a Beat as a keyboard- and mouse-driven list."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Self

from textual import events, on
from textual.content import Content
from textual.geometry import Region
from textual.message import Message
from textual.widgets import OptionList
from textual.widgets.option_list import Option, OptionDoesNotExist

from ...engine import ChoiceView


class MenuList(OptionList):
    """The game's list widget: prompts are never parsed as markup (they quote story
    content), and its page keys are safe before its first layout.

    Textual 8.2's ``OptionList._move_page`` looks up line offsets that only exist once
    the list has a size; a PgUp/PgDn arriving in the same instant as new options raised
    KeyError (found by the monkey test). Then we move to the first/last option instead.
    """

    def __init__(self, *content: Option | None, id: str | None = None,
                 classes: str | None = None) -> None:
        super().__init__(*content, id=id, classes=classes, markup=False)

    def action_page_up(self) -> None:
        try:
            super().action_page_up()
        except KeyError:
            self.action_first()

    def action_page_down(self) -> None:
        try:
            super().action_page_down()
        except KeyError:
            self.action_last()


def numbered(number: int, label: str, locked: str | None = None) -> Content:
    """``1. label`` (and ``  (locked: why)`` in italics). Textual's own Content, not Rich
    Text, so the list draws it without converting it first; built from plain strings,
    never parsed as markup."""
    parts: list[str | tuple[str, str]] = [
        (f"{number}. " if number <= 9 else "   ", "bold"), label]
    if locked is not None:
        parts.append((f"  (locked: {locked})" if locked else "  (locked)", "italic"))
    return Content.assemble(*parts)


class ChoiceList(MenuList):
    """Shows story choices or, at an ending, what the player can do next; both numbered.

    Posts ``ChoiceList.Chosen`` for a story choice and ``ChoiceList.ActionChosen`` for
    one of the UI actions shown at an ending. Which of the two an option is comes from
    the list's own record of what it shows, never from the option's id: a story choice
    id can be any string (even one that looks like a UI action) and stays a choice.
    """

    @dataclass
    class Chosen(Message):
        choice_id: str

    @dataclass
    class ActionChosen(Message):
        action: str

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self.showing_actions = False
        self._values: list[str] = []
        self._options_width = -1
        self._repaint_only = False

    @property
    def allow_vertical_scroll(self) -> bool:
        # Its scroll bar is off (overflow hidden in app.tcss): Textual showed it for a
        # moment while new options met the old height, and hiding it again cost the
        # screen a second layout on every choice. Keys and the wheel still scroll.
        return self.max_scroll_y > 0 and not self._check_disabled()

    def refresh(self, *regions: Region, repaint: bool = True, layout: bool = False,
                recompose: bool = False) -> Self:
        return super().refresh(*regions, repaint=repaint,
                               layout=layout and not self._repaint_only, recompose=recompose)

    def on_resize(self, event: events.Resize) -> None:
        # Textual's list forgets its rendered options on every resize, and repaints
        # after the frame that resized it: a second frame on every choice that changes
        # the number of options. Options change shape only with the width.
        if event.size.width == self._options_width:
            event.prevent_default()
        self._options_width = event.size.width

    def show_choices(self, choices: Sequence[ChoiceView]) -> None:
        options = []
        for number, view in enumerate(choices, start=1):
            prompt = numbered(number, view.label,
                              None if view.enabled else view.locked_reason or "")
            options.append(Option(prompt, disabled=not view.enabled))
        self._replace(options, [view.id for view in choices], actions=False)

    def show_actions(self, actions: Sequence[tuple[str, str]]) -> None:
        options = [Option(numbered(number, label))
                   for number, (_action, label) in enumerate(actions, start=1)]
        self._replace(options, [action for action, _label in actions], actions=True)

    def _replace(self, options: list[Option], values: list[str], actions: bool) -> None:
        self.showing_actions = actions
        self._values = values
        # Textual lays the screen out again for new options; when they take as many
        # lines as the old ones (and the list has its size), a repaint is enough.
        lines = self.virtual_size.height if self.size else -1
        self._repaint_only = True
        try:
            self.set_options(options)
        finally:
            self._repaint_only = False
        if self.virtual_size.height != lines:
            self.refresh(layout=True)
        first = next((i for i, option in enumerate(options) if not option.disabled), None)
        self.highlighted = first
        self.scroll_home(animate=False)

    def choose_index(self, index: int) -> None:
        """Post the message for the option at ``index`` (0-based), if it can be taken."""
        if not 0 <= index < len(self._values):
            return
        try:
            if self.get_option_at_index(index).disabled:
                return
        except OptionDoesNotExist:
            return
        value = self._values[index]
        self.post_message(self.ActionChosen(value) if self.showing_actions
                          else self.Chosen(value))

    @on(OptionList.OptionSelected)
    def _selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        if event.option_list is self:
            self.choose_index(event.option_index)
