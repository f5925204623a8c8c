"""The command palette, with two Textual 8.2 races closed (both found by the monkey test).

- ``OptionList._move_page`` looks up line offsets that exist only after the list has
  been laid out; PgUp/PgDn reaching the palette's list in the same instant as new
  results raised KeyError (as in ``MenuList``).
- The search worker looks up the palette's list when it starts; a palette closed in the
  same instant as a key typed into it has no list any more, and the worker's NoMatches
  ended the app. Here the search simply stops.
"""

from __future__ import annotations

import contextlib
from functools import partial
from typing import Any

from textual.command import CommandPalette
from textual.css.query import NoMatches
from textual.worker import Worker

_search = getattr(CommandPalette._gather_commands, "__wrapped__", None)


class SafeCommandPalette(CommandPalette):
    def _action_command_list(self, action: str) -> None:
        # Not laid out yet: the key does nothing, as on an empty list.
        with contextlib.suppress(KeyError):
            super()._action_command_list(action)

    def _gather_commands(self, search_value: str) -> Worker[None]:
        if _search is None:  # a Textual without the race's shape: use it as it is
            return super()._gather_commands(search_value)
        # A callable, not a coroutine: a search cancelled before it starts is never made.
        return self.run_worker(partial(self._search_while_open, search_value),
                               group=self._GATHER_COMMANDS_GROUP, exclusive=True)

    async def _search_while_open(self, search_value: str) -> Any:
        with contextlib.suppress(NoMatches):
            assert _search is not None
            await _search(self, search_value)
