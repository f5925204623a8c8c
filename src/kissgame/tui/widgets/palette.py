"""The command palette, with Textual 8.2's page-key race closed.

Textual's ``OptionList._move_page`` looks up line offsets that exist only after the list
has been laid out; PgUp/PgDn reaching the palette's list in the same instant as new
results raised KeyError (found by the monkey test), as in ``MenuList``.
"""

from __future__ import annotations

import contextlib

from textual.command import CommandPalette


class SafeCommandPalette(CommandPalette):
    def _action_command_list(self, action: str) -> None:
        # Not laid out yet: the key does nothing, as on an empty list.
        with contextlib.suppress(KeyError):
            super()._action_command_list(action)
