"""What the screens may ask of the app, as a Protocol: screens never import the app.

``KissApp`` implements ``Host``. A screen reaches it through ``HostScreen.host`` (typed),
and the game session through ``HostScreen.session``. Tests may host screens in any App
that implements the same few members.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol, cast

from rich.text import Text
from textual.screen import Screen

from ..engine import Beat, GameState, Story
from ..saves import SaveData
from ..settings import Settings

if TYPE_CHECKING:
    from ..session import Session


class Host(Protocol):
    """The game-facing members of the app (each wraps the Session and tells the player
    what went wrong, returning False or None instead of raising)."""

    @property
    def session(self) -> Session: ...

    @property
    def settings(self) -> Settings: ...

    debug_mode: bool
    watch_mode: bool

    @property
    def reload_problem(self) -> Text | None:
        """Why an edited story is not running (live reload), or None."""

    def start_new_game(self) -> None: ...
    def beat(self) -> Beat | None: ...
    def take_choice(self, choice_id: str) -> bool: ...
    def rewind_choices(self, steps: int = 1) -> bool: ...
    def load_state(self, state: GameState, story: Story | None = None, *,
                   show: bool = True) -> None: ...
    def save_to(self, slot: str, quiet: bool = False) -> SaveData | None: ...
    def load_save(self, data: SaveData, slot: str = "") -> bool: ...
    def load_slot(self, slot: str) -> bool: ...
    def replace_story(self, story: Story) -> None: ...
    def apply_settings(self, settings: Settings) -> None: ...
    def show_play(self) -> None: ...
    def show_title(self) -> None: ...
    def open_screen(self, name: str) -> None: ...
    def action_help(self) -> None: ...
    def action_request_quit(self) -> None: ...
    def action_export_recording(self) -> None: ...


def take_over(screen: Screen, state: GameState) -> None:
    """Leave ``screen`` and play on from ``state`` on the play screen."""
    screen.app.pop_screen()
    host_of(screen).load_state(state)


def host_of(screen: Screen) -> Host:
    """The screen's app, seen through the Host protocol."""
    return cast(Host, screen.app)


class HostScreen(Screen):
    """A full screen of the game: ``host`` is the app, ``session`` its game session.
    (Dialogs get the same two properties from ``screens.dialog.Dialog``.)"""

    @property
    def host(self) -> Host:
        return host_of(self)

    @property
    def session(self) -> Session:
        return host_of(self).session
