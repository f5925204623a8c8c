"""The headless game session: one player playing one story, with no UI at all.

A ``Session`` owns everything a playthrough needs besides drawing it: the story and the
current ``GameState``, new game, choose, rewind, jumping to any state, saves and loads
(with the notes a load brings), whether there are unsaved choices, the play time, and the
branch memory (every scene and choice seen, across playthroughs). The Textual app and
the plain line-by-line mode are two faces of it; neither decides anything about the
story.

Every change of state is announced to the observers (``subscribe``) as a ``Moved``,
on the thread that made the change. Branch memory is updated in memory at once, and the
autosave (at a new game, a new episode, a load) is staged in its SaveStore at once; both
are written to disk by one background thread (``Writer``), ``MEMORY_DELAY`` seconds
after a change and at most one file per ``MEMORY_INTERVAL``; ``close()`` writes what is
left.

Errors the player must hear about are raised as ``SessionError`` (its message is a
sentence for the player); the engine's ``InvalidChoice`` and ``StoryRuntimeError``
pass through unchanged (a runtime error carries a located ``Diagnostic``).

A minimal host loop::

    session = Session(story, saves=SaveStore(story.id))
    session.new_game()
    while not (beat := session.beat()).ended:
        ...show beat.lines and beat.choices...
        session.choose(beat.choices[n].id)
    session.close()
"""

from __future__ import annotations

import atexit
import functools
import threading
import time
import weakref
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from .branches import BranchMemory, load_memory, save_memory
from .engine import (
    Beat,
    Diverged,
    GameState,
    Story,
    StoryRuntimeError,
    choose,
    current,
    new_game,
    rewind,
)
from .resources import data_dir
from .saves import AUTO, QUICK, SaveData, SaveError, SaveStore, SlotInfo, restore, slot_label

MEMORY_DELAY = 0.5
"""Seconds the branch-memory writer waits for more moves before writing the file."""
MEMORY_INTERVAL = 2.0
"""Seconds of the writer's time each file it writes costs, counted since its previous
write: a write is two fsyncs (the file and its folder), so at most one fsync a second."""

NEW, CHOSE, REWOUND, JUMPED, LOADED = "new", "chose", "rewound", "jumped", "loaded"
MEMORY = "memory"


class SessionError(Exception):
    """Something the player asked for cannot be done; the message says why."""


@dataclass(frozen=True)
class Moved:
    """The session's state changed. ``how`` is one of NEW, CHOSE, REWOUND, JUMPED, LOADED;
    ``before`` is the previous state (None at the first game); ``story_changed`` is True
    when the running story was replaced (live reload, another story)."""

    how: str
    state: GameState
    before: GameState | None
    story_changed: bool = False


Observer = Callable[[Moved], None]


def format_play_time(seconds: float) -> str:
    """``12m`` or ``1h 02m``."""
    minutes = int(seconds // 60) if seconds == seconds and seconds < 1e12 else 0
    hours, minutes = divmod(max(minutes, 0), 60)
    return f"{hours}h {minutes:02d}m" if hours else f"{minutes}m"


Job = Callable[[], str | None]
"""Writes one file; returns why it failed, or None."""


class Writer:
    """Writes files on one daemon thread, so no key press waits for a disk.

    ``request(name, job)`` asks for a write; a newer request of the same name replaces
    one still waiting. Waiting jobs run ``delay`` seconds after the first request since
    the last write, and only once ``interval`` seconds per waiting job have passed since
    the last write (or the start): each job is a file fsync and a folder fsync, so with
    two seconds a job there is never more than one fsync a second, even in a burst, and
    steady key presses are never postponed forever. ``flush`` and ``close`` write what
    is waiting at once;
    at interpreter exit, anything still waiting is written too. ``problems`` keeps the
    first error of each name.
    """

    def __init__(self, delay: float = MEMORY_DELAY, interval: float = MEMORY_INTERVAL) -> None:
        self.delay = delay
        self.interval = interval
        self.problems: dict[str, str] = {}
        self._jobs: dict[str, Job] = {}
        self._due: float | None = None
        self._paid_to = time.monotonic()  # writes are paid for by the time since this
        self._wake = threading.Condition()
        self._io = threading.Lock()  # held from taking jobs until they are on disk
        self._closed = False
        self._thread: threading.Thread | None = None
        self._at_exit = functools.partial(_flush_at_exit, weakref.ref(self))
        atexit.register(self._at_exit)

    def request(self, name: str, job: Job) -> None:
        with self._wake:
            if self._closed:
                return
            self._jobs[name] = job
            if self._due is not None:
                # The thread already waits for a due time that a new job can only
                # postpone, and it re-checks then. Not waking it keeps a key press
                # from handing the CPU to it (about a millisecond on a busy machine).
                return
            self._due = time.monotonic() + self.delay
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="kissgame-writer",
                                                daemon=True)
                self._thread.start()
            self._wake.notify()

    def flush(self) -> None:
        """Write now, on this thread, whatever is waiting (after a write in progress)."""
        with self._io:
            self._write(self._take())

    def close(self) -> None:
        """Write what is waiting and stop the thread. Safe to call twice."""
        with self._wake:
            self._closed = True
            self._wake.notify()
        thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout=5)
        self.flush()
        atexit.unregister(self._at_exit)

    def _run(self) -> None:
        while True:
            with self._wake:
                while not self._closed:
                    ready = self._ready_at()
                    if ready is not None and time.monotonic() >= ready:
                        break
                    self._wake.wait(None if ready is None else ready - time.monotonic())
                if self._closed:
                    return
            with self._io:
                self._write(self._take())

    def _ready_at(self) -> float | None:
        """When the waiting jobs may be written (hold ``_wake``); None: nothing waits."""
        if self._due is None:
            return None
        return max(self._due, self._paid_to + self.interval * len(self._jobs))

    def _take(self) -> dict[str, Job]:
        """The jobs waiting; the next write is paid for from now, so a request arriving
        during this write cannot be due sooner."""
        with self._wake:
            jobs, self._jobs, self._due = self._jobs, {}, None
            if jobs:
                self._paid_to = time.monotonic()
            return jobs

    def _write(self, jobs: dict[str, Job]) -> None:
        for name, job in jobs.items():
            error = job()
            if error and name not in self.problems:
                self.problems[name] = error


def _flush_at_exit(ref: weakref.ref[Writer]) -> None:
    writer = ref()
    if writer is not None:
        writer.flush()


class Session:
    """One playthrough of a story (see the module docstring).

    ``saves`` is the slot store; ``seed`` fixes new games' dice (tests, recordings);
    ``memory_folder`` overrides where branch memory lives, and ``remember=False`` keeps
    no branch memory at all. ``monotonic`` measures play time (tests pass a fake).
    """

    def __init__(self, story: Story, *, saves: SaveStore | None = None,
                 seed: int | None = None, remember: bool = True,
                 memory_folder: Path | None = None,
                 monotonic: Callable[[], float] = time.monotonic,
                 memory_delay: float = MEMORY_DELAY) -> None:
        self.story = story
        self.saves = saves or SaveStore(story.id)
        self.seed = seed
        self.remember = remember
        self._state: GameState | None = None
        self._saved_path: tuple[str, ...] | None = None
        self._monotonic = monotonic
        self._play_base = 0.0
        self._play_since = monotonic()
        self._observers: list[Observer] = []
        # Resolved now: a write that lands later goes where this session's files are.
        self._memory_folder = memory_folder or data_dir()
        self._writer = Writer(memory_delay)
        self._memory_lock = threading.RLock()  # the writer reads the memory it changes
        self.memory_problem: str | None = None
        """Why the branch memory could not be read (None when it was fine)."""
        self.memory = BranchMemory(story.id)
        if remember:
            self.memory, self.memory_problem = load_memory(story, self._memory_folder)

    # -- reading ------------------------------------------------------------------------

    @property
    def state(self) -> GameState | None:
        """The state being played, or None before a game starts."""
        return self._state

    def beat(self) -> Beat | None:
        """What the player sees now (None before a game starts).

        Raises StoryRuntimeError when the story text cannot be rendered here."""
        return None if self._state is None else current(self.story, self._state)

    @property
    def play_seconds(self) -> float:
        """Seconds played in this playthrough, across saves and loads."""
        return self._play_base + (self._monotonic() - self._play_since)

    @property
    def unsaved(self) -> bool:
        """True when choices were made since the last save or load."""
        state = self._state
        return state is not None and state.turn > 0 and state.path != self._saved_path

    @property
    def memory_write_problem(self) -> str | None:
        """The first error met writing branch memory, if any."""
        return self._writer.problems.get(MEMORY)

    # -- observers ------------------------------------------------------------------------

    def subscribe(self, observer: Observer) -> Callable[[], None]:
        """Call ``observer(moved)`` after every change of state; returns an unsubscribe."""
        self._observers.append(observer)

        def unsubscribe() -> None:
            if observer in self._observers:
                self._observers.remove(observer)

        return unsubscribe

    # -- moving through the story -------------------------------------------------------

    def new_game(self) -> GameState:
        """Start the story from the beginning (and autosave there)."""
        state = new_game(self.story, self.seed)
        self._reset_clock(0.0)
        self._saved_path = None
        self._move(NEW, state)
        self._autosave()
        return state

    def peek(self, choice_id: str) -> Beat | None:
        """What the player would see after ``choice_id``, without taking it (the TUI
        prepares the next screens while the player reads). None when that cannot be
        known: no game, no such choice, or the story fails there (taking the choice
        reports why)."""
        state = self._state
        if state is None:
            return None
        try:
            return current(self.story, choose(self.story, state, choice_id))
        except Exception:  # noqa: BLE001 - a guess that fails is only not prepared
            return None

    def choose(self, choice_id: str) -> GameState:
        """Take a choice of the current scene. Raises the engine's InvalidChoice (no such
        choice here, or locked) or StoryRuntimeError (the story failed; the state is
        unchanged), or SessionError before a game starts. Autosaves on a new episode."""
        state = self._state
        if state is None:
            raise SessionError("There is no game in progress.")
        new = choose(self.story, state, choice_id)
        scenes = self.story.scenes
        episode_changed = scenes[new.scene].episode != scenes[state.scene].episode
        self._move(CHOSE, new)
        if episode_changed:
            self._autosave()
        return new

    def rewind(self, steps: int = 1) -> GameState:
        """Go back ``steps`` choices. Raises SessionError at the start of the story or when
        the story changed so that the path cannot be replayed."""
        state = self._state
        if state is None:
            raise SessionError("There is no game in progress.")
        if not state.path:
            raise SessionError("This is the start of the story: there is nothing to rewind.")
        try:
            new = rewind(self.story, state, steps)
        except (Diverged, KeyError, StoryRuntimeError) as exc:
            raise SessionError("Cannot rewind: the story changed since this game was "
                               f"saved ({exc}).") from exc
        self._move(REWOUND, new)
        return new

    def jump(self, state: GameState, story: Story | None = None, *,
             play_seconds: float | None = None, saved: bool = False) -> None:
        """Replace the running story (optional) and go to ``state``: loads, live reload,
        the branch map, recordings, the debug overlay. ``saved`` marks the state as
        matching a save, so it does not count as unsaved."""
        story_changed = story is not None and story is not self.story
        if story is not None and story_changed:
            self._set_story(story)
        if play_seconds is not None:
            self._reset_clock(play_seconds)
        if saved:
            self._saved_path = state.path
        self._move(LOADED if saved else JUMPED, state, story_changed)

    def replace_story(self, story: Story) -> None:
        """Use ``story`` from now on without moving (no game in progress)."""
        if story is not self.story:
            self._set_story(story)

    # -- saves ----------------------------------------------------------------------------

    def save(self, slot: str) -> SaveData:
        """Write the current state to ``slot``. Raises SessionError when it cannot."""
        state = self._state
        if state is None:
            raise SessionError("There is no game to save yet.")
        beat = self.beat()
        assert beat is not None
        try:
            data = self.saves.write(slot, self.story, state, self.play_seconds,
                                    beat.episode_title, beat.title)
        except OSError as exc:
            raise SessionError(f"Could not save to {slot_label(slot)}: "
                               f"{exc.strerror or exc}") from exc
        if slot != AUTO:
            self._saved_path = state.path
        return data

    def quicksave(self) -> SaveData:
        return self.save(QUICK)

    def load(self, data: SaveData, slot: str = "") -> tuple[str, ...]:
        """Continue from a save; returns the notes for the player (a save from an older
        version of the story). Raises SessionError when the save cannot be loaded.

        The loaded place is also written to the autosave, so that "Continue" at the next
        start resumes here and not wherever the game was before the load."""
        try:
            restored = restore(self.story, data)
        except SaveError as exc:
            where = f"{slot_label(slot)}: " if slot else ""
            raise SessionError(f"{where}{exc}") from exc
        self.memory.forget_position()
        self.jump(restored.state, play_seconds=restored.play_seconds, saved=True)
        self._autosave()
        return restored.notes

    def read_slot(self, slot: str) -> SlotInfo:
        return self.saves.read(slot)

    def load_slot(self, slot: str) -> tuple[str, ...]:
        """Load a slot by name (quickload). Raises SessionError when it is empty/damaged."""
        info = self.saves.read(slot)
        if info.data is not None:
            return self.load(info.data, slot)
        if info.damaged:
            raise SessionError(f"{slot_label(slot)} is damaged: {info.problem}")
        raise SessionError(f"{slot_label(slot)} is empty.")

    # -- the end --------------------------------------------------------------------------

    def flush(self) -> None:
        """Write the branch memory and the autosave now (tests, before reading files)."""
        self._writer.flush()

    def close(self) -> None:
        """Write what is pending and stop the writer thread. Safe to call twice."""
        self._writer.close()

    # -- inside ---------------------------------------------------------------------------

    def _move(self, how: str, state: GameState, story_changed: bool = False) -> None:
        before = self._state
        self._state = state
        self._observe(state)
        moved = Moved(how, state, before, story_changed)
        for observer in list(self._observers):
            observer(moved)

    def _observe(self, state: GameState) -> None:
        if not self.remember:
            return
        with self._memory_lock:
            try:
                self.memory.observe(self.story, state)
            except (StoryRuntimeError, KeyError):
                return  # the player hears about story errors where they play
        self._writer.request(MEMORY, functools.partial(self._write_memory, self.memory))

    def _write_memory(self, memory: BranchMemory) -> str | None:
        with self._memory_lock:
            return save_memory(memory, self._memory_folder)

    def _set_story(self, story: Story) -> None:
        if story.id != self.story.id:
            self.saves = SaveStore(story.id, self.saves.folder.parent, clock=self.saves.clock)
        if self.remember:
            if self.memory.story_id != story.id:
                self._writer.flush()  # not under the memory lock: the writer takes it
            with self._memory_lock:
                if self.memory.story_id == story.id:
                    self.memory = self.memory.rebind(story)
                else:
                    self.memory, self.memory_problem = load_memory(story, self._memory_folder)
        self.story = story

    def _autosave(self) -> None:
        """Stage the autosave and let the writer thread put it on disk: reads of the slot
        see it at once. A failed autosave never stops play (manual saves report theirs)."""
        state = self._state
        try:
            beat = self.beat()
        except StoryRuntimeError:
            return  # the player sees the error where they play; the last autosave stays
        assert state is not None and beat is not None
        store = self.saves
        store.stage(AUTO, store.make(self.story, state, self.play_seconds,
                                     beat.episode_title, beat.title))
        self._writer.request(f"{AUTO}:{store.folder}", functools.partial(_commit, store, AUTO))

    def _reset_clock(self, seconds: float) -> None:
        self._play_base = seconds
        self._play_since = self._monotonic()


def _commit(store: SaveStore, slot: str) -> str | None:
    try:
        store.commit(slot)
    except OSError as exc:
        return f"Could not write {slot_label(slot)}: {exc.strerror or exc}"
    return None
