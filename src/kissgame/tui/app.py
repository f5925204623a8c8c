"""The kissgame Textual app: one factory shared by the CLI, the tests and the benchmark.

The app holds the story and the current GameState; every change of state goes through
an engine function (``new_game``, ``choose``, ``rewind``). Screens render Beats and call
the methods below; none of them decides anything about the story.

Seams for other features:

- ``KissApp.state`` is a reactive: ``self.watch(app, "state", callback)`` sees every move
  (the branch map records the paths the player walks this way).
- ``KissApp.load_state(state, story=...)`` swaps in a new Story (live reload) and/or
  jumps to any state (branch map, recordings).
- The title screen opens ``kissgame.tui.screens.gallery.GalleryScreen`` and
  ``kissgame.tui.screens.branch_map.BranchMapScreen`` when those modules exist; each is
  built with no arguments and reads ``self.app.story`` / ``self.app.state``.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from pathlib import Path

from textual.app import App
from textual.binding import Binding
from textual.reactive import reactive

from ..cache import load_story_cached
from ..engine import (
    Beat,
    Diverged,
    GameState,
    InvalidChoice,
    Story,
    StoryRuntimeError,
    choose,
    current,
    new_game,
    rewind,
)
from ..engine.diagnostics import ERROR, display_path
from ..saves import AUTO, QUICK, SaveData, SaveError, SaveStore, restore, slot_label
from ..settings import Settings, load_settings, save_settings, settings_path


class StoryLoadError(Exception):
    """The story folder has errors; ``diagnostics`` holds them, located."""

    def __init__(self, root: Path, diagnostics: list) -> None:
        self.root, self.diagnostics = root, diagnostics
        super().__init__(f"{display_path(str(root))}: the story has errors")


def load_story_or_raise(root: Path) -> Story:
    result = load_story_cached(root)
    if not result.ok or result.story is None:
        raise StoryLoadError(root, [d for d in result.diagnostics if d.severity == ERROR])
    return result.story


def format_play_time(seconds: float) -> str:
    minutes = int(seconds // 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h {minutes:02d}m" if hours else f"{minutes}m"


class KissApp(App[int]):
    """Plays one story. Build it with ``make_app``."""

    CSS_PATH = "app.tcss"
    ENABLE_COMMAND_PALETTE = False
    BINDINGS = [
        Binding("ctrl+q", "request_quit", "Quit", show=False, id="quit", priority=True),
        Binding("f1", "help", "Help", id="help", show=False),
        Binding("f12", "debug_overlay", "Debug", show=False, id="debug"),
    ]

    state: reactive[GameState | None] = reactive(None, always_update=True, init=False)
    """The state being played, or None before a game starts. Set only through methods."""

    def __init__(self, story: Story, story_root: Path, *, seed: int | None = None,
                 saves: SaveStore | None = None, settings: Settings | None = None,
                 settings_file: Path | None = None, clock: Callable[[], float] = time.time,
                 watch: bool = False, debug: bool = False,
                 replay_file: str | None = None, replay_speed: float = 1.0) -> None:
        super().__init__()
        self.story = story
        self.story_root = Path(story_root)
        self.seed = seed
        self.clock = clock
        self.saves = saves or SaveStore(story.id, clock=clock)
        self.settings_file = settings_file or settings_path()
        self.settings = settings if settings is not None else load_settings(self.settings_file)
        self.watch_mode, self.debug_mode, self.replay_file = watch, debug, replay_file
        self.replay_speed = replay_speed
        self.title = story.title
        self._saved_path: tuple[str, ...] | None = None
        self._play_base = 0.0
        self._play_since = time.monotonic()

    # -- lifecycle ------------------------------------------------------------------

    def on_mount(self) -> None:
        if self.settings.theme in self.available_themes:
            self.theme = self.settings.theme
        from .screens.branch_map import remember_branches
        from .screens.replay_player import open_replay_file
        from .screens.title import TitleScreen

        self.push_screen(TitleScreen())
        remember_branches(self)
        if self.watch_mode:
            from .live_reload import start_live_reload

            start_live_reload(self)
        if self.replay_file:
            open_replay_file(self, self.replay_file, self.replay_speed)

    # -- reading ---------------------------------------------------------------------

    def beat(self) -> Beat | None:
        return None if self.state is None else current(self.story, self.state)

    @property
    def play_seconds(self) -> float:
        return self._play_base + (time.monotonic() - self._play_since)

    @property
    def unsaved(self) -> bool:
        """True when choices were made since the last save or load."""
        state = self.state
        return state is not None and state.turn > 0 and state.path != self._saved_path

    # -- moving through the story (engine calls only) --------------------------------

    def start_new_game(self) -> None:
        self._reset_clock(0.0)
        self._saved_path = None
        self.state = new_game(self.story, self.seed)
        self.show_play()
        self._autosave()

    def take_choice(self, choice_id: str) -> bool:
        state = self.state
        if state is None:
            return False
        try:
            new = choose(self.story, state, choice_id)
        except InvalidChoice as exc:
            self.notify(str(exc), severity="warning")
            return False
        except StoryRuntimeError as exc:
            self.notify(str(exc), title="Story error", severity="error", timeout=10)
            return False
        episode_changed = (self.story.scenes[new.scene].episode
                           != self.story.scenes[state.scene].episode)
        self.state = new
        if episode_changed:
            self._autosave()
        return True

    def rewind_choices(self, steps: int = 1) -> bool:
        state = self.state
        if state is None:
            return False
        if not state.path:
            self.notify("This is the start of the story: there is nothing to rewind.")
            return False
        try:
            self.state = rewind(self.story, state, steps)
        except (Diverged, KeyError, StoryRuntimeError) as exc:
            self.notify(f"Cannot rewind: the story changed since this game was saved ({exc}).",
                        severity="warning", timeout=8)
            return False
        return True

    def load_state(self, state: GameState, story: Story | None = None, *, show: bool = True,
                   play_seconds: float | None = None, saved: bool = False) -> None:
        """Replace the running story (optional) and jump to ``state``.

        ``show`` brings the play screen to the front; ``saved`` marks the state as
        matching a save (so quitting does not ask). Used by loading, live reload, the
        branch map and recordings.
        """
        if story is not None and story is not self.story:
            if story.id != self.story.id:
                self.saves = SaveStore(story.id, self.saves.folder.parent, clock=self.clock)
            self.story = story
            self.title = story.title
        if play_seconds is not None:
            self._reset_clock(play_seconds)
        if saved:
            self._saved_path = state.path
        self.state = state
        if show:
            self.show_play()

    def show_play(self) -> None:
        from .screens.play import PlayScreen

        if not self._pop_to(PlayScreen):
            self.push_screen(PlayScreen())

    def show_title(self) -> None:
        from .screens.title import TitleScreen

        self._pop_to(TitleScreen)

    def _pop_to(self, kind: type) -> bool:
        """Pop screens (at once, not deferred) until one of ``kind`` is on top.

        Screen.pop_until_active defers its pops, so two calls in quick succession (a
        held Esc) would dismiss the same screen twice; popping here cannot.
        """
        if not any(isinstance(screen, kind) for screen in self.screen_stack):
            return False
        while not isinstance(self.screen, kind):
            self.pop_screen()
        return True

    # -- saves -------------------------------------------------------------------------

    def save_to(self, slot: str, quiet: bool = False) -> SaveData | None:
        """Write the current state to a slot (a small, fast write done in place)."""
        state, beat = self.state, self.beat()
        if state is None or beat is None:
            return None
        try:
            data = self.saves.write(slot, self.story, state, self.play_seconds,
                                    beat.episode_title, beat.title)
        except OSError as exc:
            self.notify(f"Could not save to {slot_label(slot)}: {exc.strerror or exc}",
                        severity="error", timeout=10)
            return None
        if slot != AUTO:
            self._saved_path = state.path
        if not quiet:
            self.notify(f"Saved to {slot_label(slot)}.", timeout=2)
        return data

    def load_save(self, data: SaveData, slot: str = "") -> bool:
        """Continue from a save; explains (and returns False) when it cannot."""
        where = f"{slot_label(slot)}: " if slot else ""
        try:
            restored = restore(self.story, data)
        except SaveError as exc:
            self.notify(f"{where}{exc}", title="This save cannot be loaded",
                        severity="error", timeout=12)
            return False
        self.load_state(restored.state, play_seconds=restored.play_seconds, saved=True)
        for note in restored.notes:
            self.notify(note, severity="warning", timeout=10)
        return True

    def quicksave(self) -> None:
        self.save_to(QUICK)

    def _autosave(self) -> None:
        self.save_to(AUTO, quiet=True)

    def _reset_clock(self, seconds: float) -> None:
        self._play_base = seconds
        self._play_since = time.monotonic()

    # -- settings ----------------------------------------------------------------------

    def apply_settings(self, settings: Settings) -> None:
        self.settings = settings
        if settings.theme in self.available_themes and settings.theme != self.theme:
            self.theme = settings.theme
        try:
            save_settings(settings, self.settings_file)
        except OSError as exc:
            self.notify(f"Could not save settings: {exc.strerror or exc}", severity="error")

    # -- actions -------------------------------------------------------------------------

    def action_help(self) -> None:
        from .screens.help import HelpScreen

        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen())

    def action_debug_overlay(self) -> None:
        """F12 (with --watch or --debug): the debug overlay, or close it."""
        from .screens.debug import toggle_debug_overlay

        toggle_debug_overlay(self)

    def action_request_quit(self) -> None:
        """Quit, asking first when there is unsaved progress."""
        from .screens.confirm import ConfirmScreen

        if isinstance(self.screen, ConfirmScreen):
            return
        if not self.unsaved:
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
            [("save", "Quicksave and quit", "s"), ("quit", "Quit without saving", "q"),
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
    if story is None:
        story = load_story_or_raise(root)
    saves = SaveStore(story.id, save_dir, clock=clock)
    return KissApp(story, root, seed=seed, saves=saves, settings=settings, clock=clock,
                   watch=watch, debug=debug, replay_file=replay_file,
                   replay_speed=replay_speed)


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
