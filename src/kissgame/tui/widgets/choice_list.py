"""The choices of a Beat as a keyboard- and mouse-driven list."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from rich.text import Text
from textual import on
from textual.message import Message
from textual.widgets import OptionList
from textual.widgets.option_list import Option

from ...engine import ChoiceView

ACTION_PREFIX = "ui:"


class MenuList(OptionList):
    """An OptionList whose page keys are safe before its first layout.

    Textual 8.2's ``OptionList._move_page`` looks up line offsets that only exist once
    the list has a size; a PgUp/PgDn arriving in the same instant as new options raised
    KeyError (found by the monkey test). Then we move to the first/last option instead.
    """

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


class ChoiceList(MenuList):
    """Shows story choices (numbered) or, at an ending, what the player can do next.

    Posts ``ChoiceList.Chosen`` for a story choice and ``ChoiceList.ActionChosen`` for
    one of the UI actions shown at an ending. It never decides anything about the story.
    """

    @dataclass
    class Chosen(Message):
        choice_id: str

    @dataclass
    class ActionChosen(Message):
        action: str

    def show_choices(self, choices: Sequence[ChoiceView]) -> None:
        options = []
        for number, view in enumerate(choices, start=1):
            prompt = Text()
            prompt.append(f"{number}. " if number <= 9 else "   ", "bold")
            prompt.append(view.label)
            if not view.enabled:
                prompt.append(f"  (locked: {view.locked_reason})" if view.locked_reason
                              else "  (locked)", "italic")
            options.append(Option(prompt, id=view.id, disabled=not view.enabled))
        self._replace(options)

    def show_actions(self, actions: Sequence[tuple[str, str]]) -> None:
        self._replace([Option(Text(label), id=ACTION_PREFIX + action)
                       for action, label in actions])

    def _replace(self, options: list[Option]) -> None:
        self.set_options(options)
        first = next((i for i, option in enumerate(options) if not option.disabled), None)
        self.highlighted = first

    @on(OptionList.OptionSelected)
    def _selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        option_id = event.option_id or ""
        if option_id.startswith(ACTION_PREFIX):
            self.post_message(self.ActionChosen(option_id[len(ACTION_PREFIX):]))
        else:
            self.post_message(self.Chosen(option_id))
