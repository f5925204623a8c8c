"""The base of every modal dialog: dismissing twice is harmless."""

from __future__ import annotations

from typing import TYPE_CHECKING, TypeVar

from textual.await_complete import AwaitComplete
from textual.screen import ModalScreen

from ..host import Host, host_of

if TYPE_CHECKING:
    from ...session import Session

ResultType = TypeVar("ResultType")


class Dialog(ModalScreen[ResultType]):
    """A ModalScreen whose ``dismiss`` acts once.

    A held Esc key (or Enter and Esc in the same instant) can reach the dialog again
    before it is gone; a second ``dismiss`` would pop the screen beneath and resolve the
    result twice. Later calls are ignored instead.
    """

    _dismissed = False

    @property
    def host(self) -> Host:
        return host_of(self)

    @property
    def session(self) -> Session:
        return host_of(self).session

    def dismiss(self, result: ResultType | None = None) -> AwaitComplete:
        if self._dismissed or not self.is_active:
            return AwaitComplete.nothing()
        self._dismissed = True
        return super().dismiss(result)
