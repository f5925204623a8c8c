"""The kissgame Textual app: one factory shared by the CLI, the tests and the benchmark.

``KissApp`` is a face of a headless ``kissgame.session.Session``, which owns the game:
state, choices, rewind, saves, play time and branch memory. The app turns the session's
errors into messages for the player, mirrors its state in the reactive ``state`` (so
screens can ``watch(app, "state", ...)``), routes screens by name (``open_screen``) and
holds the settings. Screens see it through the ``kissgame.tui.host.Host`` protocol and
never import this module.
"""

from __future__ import annotations

import contextlib
import sys
import time
from collections.abc import Callable, Iterable
from pathlib import Path

from rich.text import Text
from textual.app import App, SystemCommand
from textual.binding import Binding
from textual.notifications import SeverityLevel
from textual.reactive import reactive
from textual.screen import Screen

from ..cache import load_story_cached
from ..engine import Beat, Diagnostic, GameState, InvalidChoice, Story, StoryRuntimeError
from ..engine.diagnostics import ERROR, display_path
from ..opening import Opening, open_story
from ..saves import AUTO, QUICK, SaveData, SaveStore, slot_label
from ..session import Moved, Session, SessionError, format_play_time
from ..settings import Settings, load_settings, save_settings, settings_path
from .live_reload import LiveReload, start_live_reload
from .screens.branch_map import BranchMapScreen
from .screens.confirm import ConfirmScreen
from .screens.debug import DebugScreen
from .screens.gallery import GalleryScreen
from .screens.help import HelpScreen
from .screens.history import HistoryScreen
from .screens.play import PlayScreen
from .screens.replay_player import export_current, open_replay_file
from .screens.settings import SettingsScreen
from .screens.slots import SlotScreen
from .screens.story_error import StoryErrorScreen
from .screens.title import TitleScreen
from .widgets.palette import SafeCommandPalette

__all__ = ["KissApp", "StoryLoadError", "format_play_time", "load_story_or_raise",
           "make_app", "run_app"]


class StoryLoadError(Exception):
    """The story folder has errors; ``diagnostics`` holds them, located."""

    def __init__(self, root: Path, diagnostics: list[Diagnostic]) -> None:
        self.root, self.diagnostics = root, diagnostics
        super().__init__(f"{display_path(str(root))}: the story has errors")


def load_story_or_raise(root: Path) -> Story:
    result = load_story_cached(root)
    if not result.ok or result.story is None:
        raise StoryLoadError(root, [d for d in result.diagnostics if d.severity == ERROR])
    return result.story


def open_story_or_raise(root: Path) -> Opening:
    """The story opened for play (see kissgame.opening: on a cold start only what the
    first screen needs is compiled; ``KissApp`` checks the rest after its first frame)."""
    opening = open_story(root)
    result = opening.result
    if not result.ok or result.story is None:
        raise StoryLoadError(root, [d for d in result.diagnostics if d.severity == ERROR])
    return opening


LATE_PROBLEMS = ("This story has errors, found by checking all of it after it opened: "
                 "scenes may not play as written. Run 'kissgame check' on the story folder "
                 "to see them all.")


SCREENS_BY_NAME: dict[str, Callable[[], Screen]] = {
    "save": lambda: SlotScreen("save"),
    "load": lambda: SlotScreen("load"),
    "history": HistoryScreen,
    "branch_map": BranchMapScreen,
    "gallery": GalleryScreen,
    "settings": SettingsScreen,
}
"""The screens ``KissApp.open_screen`` opens, by name."""


class KissApp(App[int]):
    """Plays one story. Build it with ``make_app``."""

    CSS_PATH = "app.tcss"
    BINDINGS = [
        Binding("ctrl+q", "request_quit", "Quit", show=False, id="quit", priority=True),
        Binding("f1", "help", "Help", id="help", show=False),
        Binding("f12", "debug_overlay", "Debug", show=False, id="debug"),
    ]

    state: reactive[GameState | None] = reactive(None, always_update=True, init=False,
                                                  repaint=False)
    """The session's state, mirrored for ``watch``. Change it through the methods."""

    def __init__(self, session: Session, story_root: Path, *,
                 settings: Settings | None = None, settings_file: Path | None = None,
                 watch: bool = False, debug: bool = False,
                 replay_file: str | None = None, replay_speed: float = 1.0,
                 opening: Opening | None = None) -> None:
        super().__init__()
        self._session = session
        self.opening = opening
        """How the story was opened: its whole check runs after the first frame."""
        self.story_root = Path(story_root)
        self.settings_file = settings_file or settings_path()
        self._settings = settings if settings is not None else load_settings(self.settings_file)
        self.watch_mode, self.debug_mode, self.replay_file = watch, debug, replay_file
        self.replay_speed = replay_speed
        self.live_reload: LiveReload | None = None
        self.title = session.story.title
        self._memory_warned = False
        session.subscribe(self._moved)
        if self._settings.keymap:
            self.set_keymap(dict(self._settings.keymap))

    # -- what screens read (the Host protocol) ---------------------------------------

    @property
    def session(self) -> Session:
        return self._session

    @property
    def settings(self) -> Settings:
        return self._settings

    @property
    def story(self) -> Story:
        return self._session.story

    @property
    def saves(self) -> SaveStore:
        return self._session.saves

    @property
    def unsaved(self) -> bool:
        return self._session.unsaved

    @property
    def play_seconds(self) -> float:
        return self._session.play_seconds

    @property
    def reload_problem(self) -> Text | None:
        return self.live_reload.problem if self.live_reload is not None else None

    def notify(self, message: str, *, title: str = "", severity: SeverityLevel = "information",
               timeout: float | None = None, markup: bool = False) -> None:
        """Textual's notify, with markup always off: messages quote story content
        (titles, hints, save fields), which is data and must never become markup.
        (Screens' and widgets' ``notify`` pass ``markup=True`` by default; it is
        ignored here, the one place every notification passes.)"""
        super().notify(message, title=title, severity=severity, timeout=timeout,
                       markup=False)

    def beat(self) -> Beat | None:
        """The current Beat, or None (no game, or the story cannot render it: then the
        error panel says why)."""
        try:
            return self._session.beat()
        except StoryRuntimeError as exc:
            self.show_story_error(exc)
            return None

    # -- lifecycle ------------------------------------------------------------------

    def on_mount(self) -> None:
        if self._settings.theme in self.available_themes:
            self.theme = self._settings.theme
        self.push_screen(TitleScreen())
        if self.opening is not None and not self.opening.finished:
            self.call_after_refresh(self._check_whole_story)
        if self._session.memory_problem:
            self.notify(self._session.memory_problem, title="Branch map", severity="warning",
                        timeout=10)
        if self.watch_mode:
            self.live_reload = start_live_reload(self, self, self.story_root)
        if self.replay_file:
            open_replay_file(self, self.story, self.replay_file, self.replay_speed)

    def on_unmount(self) -> None:
        self._session.close()

    def _check_whole_story(self) -> None:
        """Load and check the whole story (and write its cache) off the UI thread; show
        its errors, if any."""
        assert self.opening is not None

        def done(problems: list[Diagnostic]) -> None:
            if problems:
                with contextlib.suppress(RuntimeError):  # the app has quit meanwhile
                    self.call_from_thread(self._show_late_problems, problems)

        self.opening.finish_in_background(done)

    def _show_late_problems(self, problems: list[Diagnostic]) -> None:
        opening = self.opening
        if opening is not None and self.story is opening.result.story:  # not reloaded since
            self.push_screen(StoryErrorScreen(problems, LATE_PROBLEMS))

    def _moved(self, moved: Moved) -> None:
        if moved.story_changed:
            self.title = self._session.story.title
        self.state = moved.state
        problem = self._session.memory_write_problem
        if problem and not self._memory_warned:
            self._memory_warned = True
            self.notify(problem, title="Branch map", severity="warning", timeout=10)

    # -- moving through the story ------------------------------------------------------

    def start_new_game(self) -> None:
        self._session.new_game()
        self.show_play()

    def take_choice(self, choice_id: str) -> bool:
        try:
            self._session.choose(choice_id)
        except InvalidChoice as exc:
            self.notify(str(exc), severity="warning")
            return False
        except StoryRuntimeError as exc:
            self.show_story_error(exc)
            return False
        except SessionError as exc:
            self.notify(str(exc))
            return False
        return True

    def rewind_choices(self, steps: int = 1) -> bool:
        try:
            self._session.rewind(steps)
        except SessionError as exc:
            self.notify(str(exc), severity="warning", timeout=8)
            return False
        return True

    def load_state(self, state: GameState, story: Story | None = None, *, show: bool = True,
                   play_seconds: float | None = None, saved: bool = False) -> None:
        """Replace the running story (optional) and jump to ``state``; ``show`` brings
        the play screen to the front. Used by live reload, the branch map, recordings and
        the debug overlay."""
        self._session.jump(state, story, play_seconds=play_seconds, saved=saved)
        if story is not None:
            self.title = story.title
        if show:
            self.show_play()

    def replace_story(self, story: Story) -> None:
        self._session.replace_story(story)
        self.title = story.title

    def show_story_error(self, error: StoryRuntimeError) -> None:
        """The story failed at run time: show where, keep the last good screen and state."""
        if not isinstance(self.screen, StoryErrorScreen):
            self.push_screen(StoryErrorScreen(error.diagnostics))

    # -- screens -----------------------------------------------------------------------

    def show_play(self) -> None:
        if not self._pop_to(PlayScreen):
            self.push_screen(PlayScreen())

    def show_title(self) -> None:
        self._pop_to(TitleScreen)

    def open_screen(self, name: str) -> None:
        """Open a screen by name: save, load, history, branch_map, gallery, settings,
        help. Screens that show the game in progress say so when there is none."""
        if name == "help":
            self.action_help()
            return
        if name in ("save", "history") and self._session.state is None:
            self.notify("Start or continue a game first.", timeout=3)
            return
        factory = SCREENS_BY_NAME.get(name)
        if factory is None:
            return
        screen = factory()
        if type(self.screen) is not type(screen):  # a held key opens it once
            self.push_screen(screen)

    def _pop_to(self, kind: type) -> bool:
        """Pop screens (at once, not deferred) until one of ``kind`` is on top.

        Screen.pop_until_active defers its pops, so two calls in quick succession (a
        held Esc) would dismiss the same screen twice; popping here cannot.
        """
        if not any(isinstance(screen, kind) for screen in self.screen_stack):
            return False
        while not isinstance(self.screen, kind) and len(self.screen_stack) > 1:
            self.pop_screen()
        return True

    # -- saves -------------------------------------------------------------------------

    def save_to(self, slot: str, quiet: bool = False) -> SaveData | None:
        """Write the current state to a slot (a small, fast write done in place)."""
        if self._session.state is None:
            return None
        try:
            data = self._session.save(slot)
        except SessionError as exc:
            self.notify(str(exc), severity="error", timeout=10)
            return None
        if not quiet and slot != AUTO:
            self.notify(f"Saved to {slot_label(slot)}.", timeout=2)
        return data

    def load_save(self, data: SaveData, slot: str = "") -> bool:
        """Continue from a save; explains (and returns False) when it cannot."""
        try:
            notes = self._session.load(data, slot)
        except SessionError as exc:
            self.notify(str(exc), title="This save cannot be loaded", severity="error",
                        timeout=12)
            return False
        self.show_play()
        for note in notes:
            self.notify(note, severity="warning", timeout=10)
        return True

    def load_slot(self, slot: str) -> bool:
        """Load a slot by name (quickload), explaining any problem."""
        info = self._session.read_slot(slot)
        if info.data is not None:
            return self.load_save(info.data, slot)
        problem = f"{slot_label(slot)} is damaged: {info.problem}" if info.damaged \
            else f"{slot_label(slot)} is empty."
        self.notify(problem, severity="error" if info.damaged else "information",
                    timeout=10 if info.damaged else 3)
        return False

    def quicksave(self) -> None:
        self.save_to(QUICK)

    # -- settings ----------------------------------------------------------------------

    def apply_settings(self, settings: Settings) -> None:
        self._settings = settings
        for screen in self.screen_stack:
            if isinstance(screen, PlayScreen):
                screen.settings_changed()
        if settings.theme in self.available_themes and settings.theme != self.theme:
            self.theme = settings.theme
        try:
            save_settings(settings, self.settings_file)
        except OSError as exc:
            self.notify(f"Could not save settings: {exc.strerror or exc}", severity="error")

    def watch_theme(self, theme: str) -> None:
        # The palette's "Change theme" sets app.theme directly: remember it too.
        if self.is_running and theme != self._settings.theme:
            self.apply_settings(self._settings.with_(theme=theme))

    # -- the command palette (ctrl+p) ---------------------------------------------------

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        game = self._session.state is not None
        yield SystemCommand("New game", "Start the story from the beginning",
                            lambda: self._from_palette(self._confirm_new_game))
        if game:
            yield SystemCommand("Continue", "Back to the story in progress", self.show_play)
            yield SystemCommand("Save", "Save to a slot", lambda: self.open_screen("save"))
            yield SystemCommand("Quicksave", "Save to the quicksave slot", self.quicksave)
            yield SystemCommand("Rewind", "Undo the last choice",
                                lambda: self.rewind_choices(1) and None)
            yield SystemCommand("History", "Everything read and chosen so far",
                                lambda: self.open_screen("history"))
        yield SystemCommand("Load", "Load a saved game", lambda: self.open_screen("load"))
        yield SystemCommand("Quickload", "Load the quicksave slot",
                            lambda: self.load_slot(QUICK) and None)
        yield SystemCommand("Branch map", "Every branch you have walked",
                            lambda: self.open_screen("branch_map"))
        yield SystemCommand("Endings gallery", "Endings found and locked",
                            lambda: self.open_screen("gallery"))
        yield SystemCommand("Settings", "Theme, text reveal, text width",
                            lambda: self.open_screen("settings"))
        yield SystemCommand("Help", "Every key", self.action_help)
        for command in super().get_system_commands(screen):
            if command.title in ("Theme", "Change theme", "Keys", "Screenshot",
                                 "Maximize", "Minimize"):
                yield command
        yield SystemCommand("Quit", "Quit kissgame (asks when there are unsaved choices)",
                            self.action_request_quit)

    def action_command_palette(self) -> None:
        if self.use_command_palette and not any(
                isinstance(screen, SafeCommandPalette) for screen in self.screen_stack):
            self.push_screen(SafeCommandPalette(id="--command-palette"))

    def _from_palette(self, callback: Callable[[], None]) -> None:
        self.call_later(callback)

    def _confirm_new_game(self) -> None:
        if not self._session.unsaved:
            self.start_new_game()
            return

        def answer(result: str | None) -> None:
            if result == "yes":
                self.start_new_game()

        self.push_screen(ConfirmScreen(
            "Start a new game?", "The game in progress has unsaved choices.",
            [("yes", "Start over", "y"), ("no", "Cancel", "n")]), answer)

    # -- actions -------------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "debug_overlay":
            return self.watch_mode or self.debug_mode
        return True

    def action_help(self) -> None:
        if isinstance(self.screen, HelpScreen):
            return
        self.push_screen(HelpScreen(HelpScreen.rows_for(self)))

    def action_help_quit(self) -> None:
        """ctrl+c: tell the player how to quit (Textual's hint, for our quit action)."""
        keys = [(active.node is not self, key) for key, active in self.active_bindings.items()
                if active.binding.action in ("request_quit", "app.request_quit")]
        if keys:  # the app's own key first: it works on every screen
            key = min(keys)[1]
            self.notify(f"Press {key} to quit the app", title="Do you want to quit?")

    def action_debug_overlay(self) -> None:
        """F12 (with --watch or --debug): the debug overlay, or close it."""
        if isinstance(self.screen, DebugScreen):
            self.screen.action_close()
            return
        if not (self.watch_mode or self.debug_mode):
            return
        if self._session.state is None:
            self.notify("Start or continue a game first: the debug overlay shows its state.",
                        title="Debug", timeout=4)
            return
        self.push_screen(DebugScreen())

    def action_export_recording(self) -> None:
        export_current(self, self.story, self._session.state)

    def action_request_quit(self) -> None:
        """Quit, asking first when there is unsaved progress."""
        if isinstance(self.screen, ConfirmScreen):
            return
        if not self._session.unsaved:
            self.exit(0)
            return

        def answer(choice: str | None) -> None:
            if choice == "save":
                if self.save_to(QUICK, quiet=True) is not None:
                    self.exit(0)
            elif choice == "quit":
                self.exit(0)

        self.push_screen(ConfirmScreen(
            "Quit kissgame?",
            "You have made choices since your last save.",
            [("save", "Save and quit", "s"), ("quit", "Quit", "q"),
             ("cancel", "Keep playing", "escape")]), answer)


def make_app(story_root: Path | str | None = None, *, story: Story | None = None,
             seed: int | None = None, save_dir: Path | None = None,
             settings: Settings | None = None, clock: Callable[[], float] = time.time,
             watch: bool = False, debug: bool = False,
             replay_file: str | None = None, replay_speed: float = 1.0) -> KissApp:
    """Build the app for a story folder (default: the built-in story).

    Raises StoryLoadError when the story has errors. ``seed`` fixes new games' RNG and
    ``clock`` the save timestamps (tests); ``save_dir`` overrides ``<data dir>/saves``.
    """
    from ..resources import default_story_root

    root = Path(story_root) if story_root is not None else default_story_root()
    opening = None
    if story is None:
        opening = open_story_or_raise(root)
        story = opening.result.story
        assert story is not None
    session = Session(story, saves=SaveStore(story.id, save_dir, clock=clock), seed=seed)
    return KissApp(session, root, settings=settings, watch=watch, debug=debug,
                   replay_file=replay_file, replay_speed=replay_speed, opening=opening)


def run_app(root: Path, watch: bool = False, debug: bool = False,
            replay_file: str | None = None, replay_speed: float = 1.0) -> int:
    """The CLI's entry: play the story at ``root``. Returns the exit code."""
    try:
        app = make_app(root, watch=watch, debug=debug, replay_file=replay_file,
                       replay_speed=replay_speed)
    except StoryLoadError as exc:
        print(f"{exc}; run 'kissgame check'", file=sys.stderr)
        for diagnostic in exc.diagnostics:
            print(diagnostic.format(), file=sys.stderr)
        return 1
    app.run()
    return app.return_code or 0
