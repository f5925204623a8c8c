"""Branch memory: every scene reached and choice taken, across every playthrough of a story.

One JSON file per story in the user data folder, written like a save (temporary file,
fsync, ``os.replace``, the previous file kept as ``.bak``). It knows nothing of the UI.

The memory outlives story edits: entries for scenes or endings the story no longer has
are kept aside, written back untouched, and return if the story brings them back. A file
that cannot be read never stops the game: the backup is tried, then an empty memory is
used and the damaged file is moved aside so that nothing is silently overwritten.
"""

from __future__ import annotations

import contextlib
import json
import os
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from . import playerfile
from .atomic import clean_stale, write_atomic
from .engine.model import Story
from .engine.runtime import Diverged, choice_views, replay
from .engine.state import GameState
from .recording import Recording, write_recording
from .resources import data_dir, default_story_root, story_file_name

BRANCHES_VERSION = 1
MAX_BRANCHES_BYTES = 16 * 1024 * 1024


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


@dataclass
class Arrival:
    """How a scene was reached: enough to rebuild the exact state there by replaying."""

    seed: int
    path: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        return {"seed": self.seed, "path": list(self.path)}

    @classmethod
    def from_dict(cls, data: Any) -> Arrival:
        if not isinstance(data, dict):
            raise ValueError("arrival")
        seed = data["seed"]
        if isinstance(seed, bool) or not isinstance(seed, int):
            raise ValueError("seed")
        return cls(seed, playerfile.choice_path(data["path"]))


@dataclass
class SceneMemory:
    visits: int = 0
    first_seen: str = ""
    arrival: Arrival | None = None
    seen: dict[str, str] = field(default_factory=dict)  # choice id -> label as shown
    taken: dict[str, int] = field(default_factory=dict)  # choice id -> times taken

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"visits": self.visits, "first_seen": self.first_seen,
                                "seen": dict(self.seen), "taken": dict(self.taken)}
        if self.arrival is not None:
            data["arrival"] = self.arrival.to_dict()
        return data

    @classmethod
    def from_dict(cls, data: Any) -> SceneMemory:
        if not isinstance(data, dict):
            raise ValueError("scene entry")
        visits = playerfile.whole(data.get("visits", 0), "visits")
        seen = data.get("seen", {})
        taken = data.get("taken", {})
        if not isinstance(seen, dict) or not isinstance(taken, dict):
            raise ValueError("seen")
        arrival = data.get("arrival")
        return cls(visits, playerfile.iso_time(data.get("first_seen", ""), "first_seen"),
                   Arrival.from_dict(arrival) if arrival is not None else None,
                   {playerfile.text(k, "a choice id", 200): playerfile.text(v, "a choice label")
                    for k, v in seen.items()},
                   {playerfile.text(k, "a choice id", 200): playerfile.whole(v, "taken")
                    for k, v in taken.items()})


@dataclass
class EndingMemory:
    first_found: str
    last_found: str
    times: int
    arrival: Arrival  # the shortest path the player took to it

    def to_dict(self) -> dict[str, Any]:
        return {"first_found": self.first_found, "last_found": self.last_found,
                "times": self.times, "arrival": self.arrival.to_dict()}

    @classmethod
    def from_dict(cls, data: Any) -> EndingMemory:
        if not isinstance(data, dict):
            raise ValueError("ending entry")
        return cls(playerfile.iso_time(data.get("first_found", ""), "first_found"),
                   playerfile.iso_time(data.get("last_found", ""), "last_found"),
                   playerfile.whole(data.get("times", 1), "times"),
                   Arrival.from_dict(data["arrival"]))


@dataclass
class BranchMemory:
    """What one player has seen of one story."""

    story_id: str
    scenes: dict[str, SceneMemory] = field(default_factory=dict)
    endings: dict[str, EndingMemory] = field(default_factory=dict)
    # Entries this story does not know (yet, or any more), kept verbatim.
    aside: dict[str, dict[str, Any]] = field(
        default_factory=lambda: {"scenes": {}, "endings": {}})
    _last: GameState | None = field(default=None, repr=False, compare=False)

    # ---- questions the screens ask ----

    def visited(self, scene_id: str) -> bool:
        entry = self.scenes.get(scene_id)
        return entry is not None and entry.visits > 0

    def taken(self, scene_id: str) -> set[str]:
        entry = self.scenes.get(scene_id)
        return set(entry.taken) if entry else set()

    def open_branches(self, scene_id: str) -> list[str]:
        """Choices seen in this scene but never taken, in the order they were seen."""
        entry = self.scenes.get(scene_id)
        if entry is None:
            return []
        return [c for c in entry.seen if c not in entry.taken]

    def found(self, ending_id: str) -> bool:
        return ending_id in self.endings

    # ---- recording play ----

    def observe(self, story: Story, state: GameState, now: str | None = None) -> None:
        """Remember ``state``: call it after every change of the play state.

        A state one choice after the last one observed records that choice as taken.
        Anything else (a new game, a load, a rewind, a jump) records the whole path
        that leads to it, rebuilt by replay, so nothing a save holds is ever missed.
        """
        now = now or _now()
        last = self._last
        self._last = state
        if (last is not None and last.seed == state.seed
                and len(state.path) == len(last.path) + 1 and state.path[:-1] == last.path
                and last.scene in story.scenes):
            self._take(last.scene, state.path[-1])
            self._pass(story, state, now)
            self._arrive(story, state, now)
            return
        if len(state.path) == 0:
            self._pass(story, state, now)
            self._arrive(story, state, now)
            return
        try:
            states = replay(story, state.seed, state.path)
        except Diverged:
            self._arrive(story, state, now)  # an old save: at least remember where it is
            return
        for before, after in zip(states, states[1:], strict=False):
            self._arrive(story, before, now, count=False)
            self._take(before.scene, after.path[-1], count=False)
            self._pass(story, after, now, count=False)
        self._arrive(story, states[-1], now)

    def forget_position(self) -> None:
        """The next ``observe`` starts afresh (after loading a different playthrough)."""
        self._last = None

    def _take(self, scene_id: str, choice_id: str, count: bool = True) -> None:
        entry = self.scenes.setdefault(scene_id, SceneMemory())
        if count or choice_id not in entry.taken:
            entry.taken[choice_id] = entry.taken.get(choice_id, 0) + 1

    def _visit(self, scene_id: str, now: str, count: bool) -> SceneMemory:
        entry = self.scenes.setdefault(scene_id, SceneMemory())
        if count or entry.visits == 0:
            entry.visits += 1
        if not entry.first_seen:
            entry.first_seen = now
        return entry

    def _pass(self, story: Story, state: GameState, now: str, count: bool = True) -> None:
        """The scenes a fallback carried the player through on the way to ``state``:
        read and left by the fallback, so visited and taken, but never an arrival (a
        replayed path does not stop there)."""
        for key in state.passed:
            scene = story.scenes.get(key.scene)
            if scene is None:
                continue
            entry = self._visit(key.scene, now, count)
            fallback = next((c for c in scene.choices if c.id == key.choice), None)
            if fallback is not None:
                # its label as written: the state it was shown in is gone
                label = "".join(p if isinstance(p, str) else "…" for p in fallback.label)
                entry.seen.setdefault(key.choice, label)
            self._take(key.scene, key.choice, count)

    def _arrive(self, story: Story, state: GameState, now: str, count: bool = True) -> None:
        scene = story.scenes.get(state.scene)
        if scene is None:
            return
        entry = self._visit(state.scene, now, count)
        arrival = Arrival(state.seed, tuple(state.path))
        if count or entry.arrival is None:
            entry.arrival = arrival
        if scene.ending is None:
            for view in choice_views(story, state):
                if view.enabled:
                    entry.seen[view.id] = view.label
        elif count or scene.ending not in self.endings:
            found = self.endings.get(scene.ending)
            if found is None:
                self.endings[scene.ending] = EndingMemory(now, now, 1, arrival)
            else:
                found.last_found = now
                found.times += 1
                if len(arrival.path) < len(found.arrival.path):
                    found.arrival = arrival

    def rebind(self, story: Story) -> BranchMemory:
        """This memory for an edited version of the story (live reload): entries move
        in and out of ``aside`` to match it."""
        memory, _ = BranchMemory.from_dict(self.to_dict(), story)
        memory._last = self._last
        return memory

    # ---- rebuilding states ----

    def state_at(self, story: Story, scene_id: str) -> GameState | None:
        """The state the player last had on arriving at ``scene_id``, rebuilt by replay."""
        entry = self.scenes.get(scene_id)
        if entry is None or entry.arrival is None:
            return None
        return rebuild(story, entry.arrival)

    # ---- serialising ----

    def to_dict(self) -> dict[str, Any]:
        scenes = {k: v.to_dict() for k, v in self.scenes.items()}
        endings = {k: v.to_dict() for k, v in self.endings.items()}
        scenes.update(self.aside.get("scenes", {}))
        endings.update(self.aside.get("endings", {}))
        return {"branches_version": BRANCHES_VERSION, "story": self.story_id,
                "scenes": scenes, "endings": endings}

    @classmethod
    def from_dict(cls, data: Any, story: Story) -> tuple[BranchMemory, list[str]]:
        """Build the memory for ``story``; entries it does not know go aside.

        Returns the memory and a list of problems (malformed entries, dropped)."""
        if not isinstance(data, dict) or not isinstance(data.get("scenes"), dict) \
                or not isinstance(data.get("endings", {}), dict):
            raise ValueError("not a branch memory file")
        version = data.get("branches_version")
        if not isinstance(version, int) or version > BRANCHES_VERSION:
            raise ValueError(f"branch memory version {version!r} is newer than this kissgame")
        memory = cls(story.id)
        problems: list[str] = []
        for scene_id, raw in data["scenes"].items():
            if scene_id not in story.scenes:
                memory.aside["scenes"][scene_id] = raw
                continue
            try:
                memory.scenes[scene_id] = SceneMemory.from_dict(raw)
            except (ValueError, KeyError, TypeError):
                problems.append(f"scene '{scene_id}' had a damaged entry")
        for ending_id, raw in data.get("endings", {}).items():
            if ending_id not in story.endings:
                memory.aside["endings"][ending_id] = raw
                continue
            try:
                memory.endings[ending_id] = EndingMemory.from_dict(raw)
            except (ValueError, KeyError, TypeError):
                problems.append(f"ending '{ending_id}' had a damaged entry")
        return memory, problems


def rebuild(story: Story, arrival: Arrival) -> GameState | None:
    """Replay an arrival's path; None if the story has changed so that it no longer fits."""
    try:
        return replay(story, arrival.seed, arrival.path)[-1]
    except Diverged:
        return None


# ---- files ----

def memory_path(story_id: str, folder: Path | None = None) -> Path:
    return (folder or data_dir()) / "branches" / f"{story_file_name(story_id)}.json"


def _read(path: Path, story: Story) -> tuple[BranchMemory, list[str]]:
    return BranchMemory.from_dict(playerfile.read_json(path, MAX_BRANCHES_BYTES), story)


def load_memory(story: Story, folder: Path | None = None) -> tuple[BranchMemory, str | None]:
    """The branch memory of ``story``, and a message for the player if something was wrong.

    Never raises: a damaged file falls back to its backup, then to an empty memory (the
    damaged file is renamed ``*.damaged`` so the next save does not destroy it)."""
    path = memory_path(story.id, folder)
    backup = path.with_name(path.name + ".bak")
    clean_stale(path.parent)
    if not path.exists():
        if backup.exists():  # a crash between the two renames of a save
            try:
                return _read(backup, story)[0], None
            except (OSError, UnicodeDecodeError, ValueError, TypeError, KeyError):
                pass
        return BranchMemory(story.id), None
    try:
        memory, problems = _read(path, story)
    except (OSError, UnicodeDecodeError, ValueError, TypeError, KeyError) as exc:
        reason = _reason(exc)
        _move_aside(path)
        try:
            memory, _ = _read(backup, story)
        except (OSError, UnicodeDecodeError, ValueError, TypeError, KeyError):
            return BranchMemory(story.id), (
                f"The branch map could not be read ({reason}); it starts empty. The damaged "
                f"file was kept as {path.name}.damaged.")
        return memory, (f"The branch map could not be read ({reason}); its backup was "
                        "restored.")
    if problems:
        return memory, "The branch map had damaged entries, left out: " + "; ".join(problems)
    return memory, None


def _reason(exc: BaseException) -> str:
    if isinstance(exc, playerfile.PlayerFileError):
        return str(exc)
    if isinstance(exc, json.JSONDecodeError):
        return f"not valid JSON at line {exc.lineno}, column {exc.colno}"
    if isinstance(exc, UnicodeDecodeError):
        return "not a text file"
    if isinstance(exc, OSError):
        return exc.strerror or str(exc)
    return str(exc) or type(exc).__name__


def _move_aside(path: Path) -> None:
    with contextlib.suppress(OSError):
        os.replace(path, path.with_name(path.name + ".damaged"))


def save_memory(memory: BranchMemory, folder: Path | None = None) -> str | None:
    """Write atomically, keeping the previous file as ``.bak``. Returns an error or None."""
    path = memory_path(memory.story_id, folder)
    try:
        payload = json.dumps(memory.to_dict(), ensure_ascii=False, separators=(",", ":"))
        write_atomic(path, payload, keep_backup=True)
    except OSError as exc:
        return f"could not save the branch map: {exc.strerror or exc}"
    return None


# ---- recordings of the current playthrough ----

def recordings_dir(folder: Path | None = None) -> Path:
    return (folder or data_dir()) / "recordings"


def story_export_folder(story: Story) -> Path | None:
    """Where an exported recording goes by default: the story's own folder (its
    ``recordings/``, which the loader skips and ``replay`` finds the story from), or
    None for the built-in story, which lives inside the installed package: its
    recordings go to the player's data folder."""
    if not story.root:
        return None
    root = Path(story.root)
    with contextlib.suppress(OSError):
        if root.resolve() == default_story_root().resolve():
            return None
    return root


def export_recording(story: Story, state: GameState, folder: Path | None = None,
                     now: datetime | None = None) -> Path:
    """Write the playthrough that led to ``state`` as a recording; returns its path."""
    stamp = (now or datetime.now()).strftime("%Y%m%d-%H%M%S")
    out = recordings_dir(folder)
    clean_stale(out)
    path = out / f"{story_file_name(story.id)}-{stamp}.yaml"
    n = 1
    while path.exists():
        n += 1
        path = out / f"{story_file_name(story.id)}-{stamp}-{n}.yaml"
    title = f"{story.title}: {len(state.path)} choices"
    write_recording(path, Recording.from_state(story, state, title))
    return path
