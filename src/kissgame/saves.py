"""Save slots: JSON files in the user data folder, written atomically, read defensively.

A save file is one JSON object::

    {"save_version": 1, "kissgame": "0.1.0", "story_id": "...", "story_fingerprint": "...",
     "saved_at": 1714564800.0, "play_seconds": 754.2, "episode": "...", "scene_title": "...",
     "state": {...GameState.to_dict()...}}

Every write goes to a temporary file in the same folder, is flushed and fsynced, and
then ``os.replace``s the slot; the file it replaces is kept beside it as ``.bak``. A
slot that cannot be read (truncated, not JSON, wrong shape) is reported as damaged with
a reason, and never stops any other slot from working. A save made with an older
version of the story still loads when its scene exists, or says exactly why it cannot.

This module knows nothing of the UI: the TUI, tests and tools all use it the same way.
"""

from __future__ import annotations

import contextlib
import json
import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from . import __version__, playerfile
from .atomic import clean_stale, write_atomic
from .engine import Fit, GameState, StateFormatError, StateUnfit, Story, fit_state
from .engine.build import story_exprs
from .engine.expr import DICE, calls_in, over_limit
from .engine.migrate import replayed
from .playerfile import PlayerFileError
from .resources import data_dir, story_file_name

SAVE_VERSION = 2
"""The format written now. 2: dice roll by their place in the scene (kissgame 0.2)."""
DICE_VERSION = 2
"""Saves older than this were made when dice rolled by file and line."""
MIN_COMPATIBLE = 1
"""The oldest format this version can still read."""

NUMBERED_SLOTS = tuple(str(n) for n in range(1, 10))
AUTO, QUICK = "auto", "quick"
ALL_SLOTS = (AUTO, QUICK, *NUMBERED_SLOTS)
MAX_SAVE_BYTES = 4 * 1024 * 1024


class SaveError(Exception):
    """Base of every save problem; its message is fit to show a player."""


class SaveDamaged(SaveError):
    """The slot's file is unreadable, truncated, or not shaped like a save."""


class SaveIncompatible(SaveError):
    """A well-formed save that cannot be used with this story or this version."""


@dataclass(frozen=True)
class SaveData:
    """One save: the state plus what the slot list shows about it."""

    story_id: str
    fingerprint: str
    state: GameState
    saved_at: float = 0.0
    play_seconds: float = 0.0
    episode: str = ""
    scene_title: str = ""
    version: int = SAVE_VERSION
    app_version: str = __version__

    def to_dict(self) -> dict[str, Any]:
        return {
            "save_version": self.version,
            "kissgame": self.app_version,
            "story_id": self.story_id,
            "story_fingerprint": self.fingerprint,
            "saved_at": self.saved_at,
            "play_seconds": round(self.play_seconds, 1),
            "episode": self.episode,
            "scene_title": self.scene_title,
            "state": self.state.to_dict(),
        }

    @classmethod
    def from_dict(cls, data: Any) -> SaveData:
        """Parse a decoded save. Raises SaveDamaged or SaveIncompatible with a reason."""
        if not isinstance(data, dict):
            raise SaveDamaged("not a save file (expected a JSON object)")
        version = data.get("save_version")
        if not isinstance(version, int) or isinstance(version, bool):
            raise SaveDamaged("not a save file (no save_version)")
        if version > SAVE_VERSION:
            raise SaveIncompatible(
                f"made by a newer kissgame (save format {version}; this one reads up to "
                f"{SAVE_VERSION}). Update kissgame to load it.")
        if version < MIN_COMPATIBLE:
            raise SaveIncompatible(
                f"save format {version} is too old (the oldest this version reads is "
                f"{MIN_COMPATIBLE})")
        try:
            return cls._checked(data, version)
        except PlayerFileError as exc:
            raise SaveDamaged(f"the save is damaged: {exc}") from None

    @classmethod
    def _checked(cls, data: dict[str, Any], version: int) -> SaveData:
        story_id, fp = data.get("story_id"), data.get("story_fingerprint")
        if not isinstance(story_id, str) or not isinstance(fp, str):
            raise SaveDamaged("the save does not say which story it belongs to")
        story_id = playerfile.text(story_id, "the story id", 200)
        fp = playerfile.text(fp, "the story fingerprint", 200)
        try:
            state = GameState.from_dict(_clean_state(data.get("state")))
        except StateFormatError as exc:
            raise SaveDamaged(f"the saved game is damaged: {exc}") from None
        saved_at = playerfile.number(data.get("saved_at", 0), "the save's saved_at",
                                     playerfile.MAX_TIMESTAMP)
        play_seconds = playerfile.number(data.get("play_seconds", 0), "the save's "
                                         "play_seconds", playerfile.MAX_PLAY_SECONDS)
        texts = {k: playerfile.text(data.get(k, ""), f"the save's {k}")
                 for k in ("episode", "scene_title", "kissgame")}
        return cls(story_id, fp, state, saved_at, play_seconds, texts["episode"],
                   texts["scene_title"], version, texts["kissgame"])


def _clean_state(raw: Any) -> Any:
    """The saved state with its text made printable and its path bounded; the engine
    checks the shape (GameState.from_dict)."""
    if not isinstance(raw, dict):
        return raw
    clean = dict(raw)
    if isinstance(raw.get("scene"), str):
        clean["scene"] = playerfile.text(raw["scene"], "the saved scene", 200)
    if isinstance(raw.get("vars"), dict):
        clean["vars"] = {playerfile.text(k, "a variable name", 200):
                         playerfile.text(v, f"variable '{k}'") if isinstance(v, str) else v
                         for k, v in raw["vars"].items()}
        for name, value in clean["vars"].items():
            problem = over_limit(value)
            if problem:
                raise PlayerFileError(f"variable '{name}' is beyond the limits: {problem}")
    if "path" in raw:
        clean["path"] = list(playerfile.choice_path(raw["path"]))
    if isinstance(raw.get("once"), list) and len(raw["once"]) > playerfile.MAX_CHOICES:
        raise PlayerFileError("the saved state remembers too many choices")
    if isinstance(raw.get("calls"), list):  # scenes the pending calls come back to
        if len(raw["calls"]) > playerfile.MAX_CHOICES:
            raise PlayerFileError("the saved state has too many pending calls")
        clean["calls"] = [playerfile.text(c, "a pending call", 200) for c in raw["calls"]]
    return clean


@dataclass(frozen=True)
class SlotInfo:
    """What a slot holds: a save, nothing, or damage (with the reason)."""

    slot: str
    path: Path
    data: SaveData | None = None
    problem: str | None = None
    backup: SaveData | None = None

    @property
    def empty(self) -> bool:
        return self.data is None and self.problem is None

    @property
    def damaged(self) -> bool:
        return self.problem is not None


@dataclass(frozen=True)
class Restored:
    """A save turned back into a state for this story, with notes on anything adjusted."""

    state: GameState
    play_seconds: float
    notes: tuple[str, ...] = field(default=())


def slot_label(slot: str) -> str:
    return {AUTO: "Autosave", QUICK: "Quicksave"}.get(slot, f"Slot {slot}")


def read_save_file(path: Path) -> SaveData:
    """Read and parse one save file. Raises SaveDamaged/SaveIncompatible, or OSError."""
    try:
        data = playerfile.read_json(path, MAX_SAVE_BYTES)
    except PlayerFileError as exc:
        raise SaveDamaged(str(exc)) from None
    return SaveData.from_dict(data)


class SaveStore:
    """The save slots of one story, in ``<data dir>/saves/<story id>/``.

    A save can be staged (``stage``) and written later on another thread (``commit``):
    until it is on disk, ``read`` returns the staged save, so the slot lists and
    "Continue" always see the newest one."""

    def __init__(self, story_id: str, folder: Path | None = None,
                 clock: Callable[[], float] = time.time):
        self.story_id = story_id
        self.folder = (folder or data_dir() / "saves") / story_file_name(story_id)
        self.clock = clock
        self._staged: dict[str, SaveData] = {}
        self._staging = threading.Lock()  # held only to touch _staged, never for a disk
        self._writing = threading.RLock()  # one write or delete of a slot at a time
        clean_stale(self.folder)

    def path(self, slot: str) -> Path:
        if slot not in ALL_SLOTS:
            raise ValueError(f"no save slot '{slot}'")
        return self.folder / f"{slot}.json"

    def read(self, slot: str) -> SlotInfo:
        """What the slot holds. Never raises for a bad file: it reports it as damaged."""
        path = self.path(slot)
        backup = self._read_backup(path)
        staged = self._staged.get(slot)
        if staged is not None:
            return SlotInfo(slot, path, staged, backup=backup)
        try:
            data = read_save_file(path)
        except FileNotFoundError:
            return SlotInfo(slot, path, backup=backup)
        except SaveError as exc:
            return SlotInfo(slot, path, problem=str(exc), backup=backup)
        except OSError as exc:
            return SlotInfo(slot, path, problem=f"cannot read the file: {exc.strerror or exc}",
                            backup=backup)
        if data.story_id != self.story_id:
            return SlotInfo(slot, path, problem=f"this save belongs to another story "
                            f"('{data.story_id}')", backup=backup)
        return SlotInfo(slot, path, data, backup=backup)

    def _read_backup(self, path: Path) -> SaveData | None:
        try:
            data = read_save_file(path.with_name(path.name + ".bak"))
        except (OSError, SaveError):
            return None
        return data if data.story_id == self.story_id else None

    def slots(self, which: tuple[str, ...] = ALL_SLOTS) -> list[SlotInfo]:
        return [self.read(slot) for slot in which]

    def latest(self) -> SlotInfo | None:
        """The most recently saved slot that can be read, if any."""
        usable = [info for info in self.slots() if info.data is not None]
        return max(usable, key=lambda info: info.data.saved_at if info.data else 0.0,
                   default=None)

    def make(self, story: Story, state: GameState, play_seconds: float = 0.0,
             episode: str = "", scene_title: str = "") -> SaveData:
        return SaveData(story.id, story.fingerprint, state, self.clock(), play_seconds,
                        episode, scene_title)

    def write(self, slot: str, story: Story, state: GameState, play_seconds: float = 0.0,
              episode: str = "", scene_title: str = "") -> SaveData:
        data = self.make(story, state, play_seconds, episode, scene_title)
        with self._writing:
            self._unstage(slot)
            self._put(slot, data)
        return data

    def stage(self, slot: str, data: SaveData) -> None:
        """Hold ``data`` as the slot's newest save until ``commit`` writes it."""
        self.path(slot)
        with self._staging:
            self._staged[slot] = data

    def commit(self, slot: str) -> None:
        """Write the slot's staged save, if any (atomically, as ``write``). Raises OSError;
        the staged save is dropped either way, so reads never show what is not on disk."""
        with self._writing:
            data = self._staged.get(slot)
            if data is None:
                return
            try:
                self._put(slot, data)
            finally:
                self._unstage(slot, data)

    def _unstage(self, slot: str, data: SaveData | None = None) -> None:
        """Forget the slot's staged save (only if it is still ``data``, when given)."""
        with self._staging:
            if data is None or self._staged.get(slot) is data:
                self._staged.pop(slot, None)

    def _put(self, slot: str, data: SaveData) -> None:
        write_atomic(self.path(slot), json.dumps(data.to_dict(), indent=1,
                                                 ensure_ascii=False) + "\n", keep_backup=True)

    def restore_backup(self, slot: str) -> SaveData:
        """Put a damaged slot's backup back in its place and return it."""
        path = self.path(slot)
        data = read_save_file(path.with_name(path.name + ".bak"))
        with self._writing:
            self._unstage(slot)
            write_atomic(path, json.dumps(data.to_dict(), indent=1, ensure_ascii=False) + "\n")
        return data

    def delete(self, slot: str) -> None:
        with self._writing:
            self._unstage(slot)
            with contextlib.suppress(FileNotFoundError):
                os.unlink(self.path(slot))


def _rolls_dice(story: Story) -> bool:
    return any(calls_in(expr.ir) & DICE for expr in story_exprs(story))


def restore(story: Story, data: SaveData) -> Restored:
    """Turn a save into a state for ``story``, or explain exactly why it cannot be done.

    Every save is checked, even one of this very story: ``fit_state`` replays its
    choices and keeps the result when they lead to the saved scene; otherwise the saved
    scene is kept with its values fitted to the story (bounds, types, limits, new and
    dropped variables), and every repair is named in the notes. A save whose scene is
    gone raises SaveIncompatible, naming the scene and what changed.
    """
    if data.story_id != story.id:
        raise SaveIncompatible(f"this save belongs to the story '{data.story_id}', "
                               f"not '{story.id}'")
    state = data.state
    same_story = data.fingerprint == story.fingerprint
    old_dice = data.version < DICE_VERSION and _rolls_dice(story)
    try:
        fitted = fit_state(story, state, replay_path=not old_dice)
    except StateUnfit:
        if same_story:
            raise SaveDamaged(f"the save is at scene '{state.scene}', which this story "
                              "does not have, although its content has not changed") from None
        where = f"'{state.scene}'" + (f" ({data.scene_title})" if data.scene_title else "")
        again = replayed(story, state)
        leads = (f"replaying its choices now leads to scene '{again.scene}'" if again else
                 "its choices no longer replay")
        raise SaveIncompatible(f"the story has changed since this save was made: the saved "
                               f"scene {where} no longer exists, and {leads}.") from None
    notes = list(fitted.notes)
    if old_dice:
        notes.insert(0, "This save was made by an older kissgame, which rolled dice "
                     "differently: your values are kept as saved, and rolls from here on "
                     "follow the current rule.")
    if fitted.how is not Fit.SAME:
        why = ("The story has changed since this save was made." if not same_story
               else "This save did not match its own choices, so it was repaired.")
        notes[:1] = [f"{why} {notes[0]}" if notes else why]
    return Restored(fitted.state, data.play_seconds, tuple(notes))
