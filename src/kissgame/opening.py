"""Opening a story for play: the first screen before the whole story is compiled.

A cold start (no cache entry for these exact files) used to parse and compile every file
and then write the cache before anything was shown: seconds for a 10,000-scene story.
:func:`open_story` reads each file once (the cache key is computed from those bytes) and
returns at once on a cache hit. On a miss it compiles, before the first screen, only

- the manifest;
- every scene file that is not plainly ``episode:`` and ``scenes:`` at its top level (a
  file that declares ``vars:`` changes what a new game starts with, so it is read now);
- the file that holds the start scene;

and indexes every ``id:`` the other files write (one pass over their text). The Story
it returns compiles its other scenes the first time they are used: a scene's file is
found in that index, then parsed and compiled whole, by the same reader (limits, located
errors in a writer's words) and the same builder as always.

Up front, then: the manifest and those files parse and compile without error, the start
scene exists, and every choice of the scenes compiled goes to a scene some file names.
Anything else stops the opening: the whole story is then loaded exactly as ``kissgame
check`` loads it, and play does not start (same findings, same places, follow-on
findings dropped).

The rest is checked by :meth:`Opening.finish`, which the TUI runs on a background thread
once the title screen is up: the whole story loaded and checked from the same bytes (every
file, every reference and type), its errors in ``Opening.problems`` for the TUI to show,
and, when there are none, the cache written. Scenes already handed out stay the same
objects. Until then a scene the files do not hold waits for that check; if the story has
errors, using it raises a StoryRuntimeError with them (the TUI shows it; the move is not
made).
"""

from __future__ import annotations

import dataclasses
import gc
import re
import sys
import threading
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

from .cache import cached_result, store, story_key
from .engine.build import build_file_scenes, build_story
from .engine.diagnostics import ERROR, Diagnostic, StoryRuntimeError, has_errors
from .engine.model import Character, Scene
from .loader import (
    MANIFEST,
    MAX_STORY_NODES,
    LoadResult,
    NodeBudget,
    StoryFiles,
    load_story,
    parse_yaml,
    read_story_files,
    read_yaml,
)
from .printable import has_controls
from .resources import cache_dir

_TOP_LINE = re.compile(r"\n[^\s#-]")  # a line that starts at the left edge
_PLAIN_TOP = re.compile(r"(?:scenes|episode)[ \t]*:")


def plain_scene_file(text: str) -> bool:
    """Whether every top-level key of a file is ``scenes`` or ``episode`` (then it declares
    nothing the rest of the story needs before one of its scenes is used)."""
    text = "\n" + text
    return all(_PLAIN_TOP.match(text, m.start() + 1) for m in _TOP_LINE.finditer(text))


_ID = r"id(?<![^\s{,\"']id)[\"']?[ \t]*:[ \t]*[\"']?"  # starts with a literal: fast
_ANY_ID = re.compile(_ID + r"([A-Za-z0-9_]+)[\"']?[ \t]*(?:$|[,}#\r])", re.M)


def _id_line(scene_id: str) -> re.Pattern[str]:
    """Where a file may say ``id: <scene_id>`` (a hint only: the file is then parsed)."""
    return re.compile(_ID + re.escape(scene_id) + r"[\"']?[ \t]*(?:$|[,}#\r])", re.M)


class LazyStoryScenes(Mapping[str, Scene]):
    """A story's scenes, each file compiled the first time one of its scenes is used.

    ``whole`` gives every scene of the story (the full load, waited for); it is asked
    when a scene cannot be found in the files not compiled yet, and for iteration.
    """

    def __init__(self, scenes: dict[str, Scene], pending: list[tuple[str, str]],
                 characters: dict[str, Character], root: str,
                 whole: Callable[[], LoadResult]):
        self._scenes = scenes
        self._pending: list[tuple[str, str | None]] = list(pending)
        self._characters = characters
        self._root = root
        self._whole = whole
        self._all: Mapping[str, Scene] | None = None
        self._errors: list[Diagnostic] = []
        self._index: dict[str, list[int]] | None = None
        self._lock = threading.RLock()
        self.problems: list[Diagnostic] = []
        """Errors found while compiling a file on demand."""

    def adopt(self, result: LoadResult) -> None:
        """The whole story is loaded: its scenes answer from now on (scenes handed out
        before stay as they are)."""
        with self._lock:
            self._all = result.story.scenes if result.story is not None else {}
            self._errors = [d for d in result.diagnostics if d.severity == ERROR]
            self._pending, self._index = [], None  # the files' text is not needed now

    def _compile(self, index: int) -> None:
        display, text = self._pending[index]
        self._pending[index] = (display, None)
        if text is None:
            return
        data, found = parse_yaml(text, display)
        if data is not None:
            scenes, more = build_file_scenes(display, data, self._characters, self._root)
            found = found + more
            for sid, scene in scenes.items():
                self._scenes.setdefault(sid, scene)
        self.problems += [d for d in found if d.severity == ERROR]

    def _files_naming(self, scene_id: str) -> list[int]:
        """The files not compiled yet that may hold ``scene_id``, in file order (from an
        index of every ``id:`` they write; one pass over their text)."""
        if self._index is None:
            self._index = {}
            for i, (_, text) in enumerate(self._pending):
                for name in _ANY_ID.findall(text or ""):
                    self._index.setdefault(name, []).append(i)
        return self._index.get(scene_id, [])

    def unnamed_targets(self) -> list[str]:
        """Scenes the choices compiled so far go to (or come back to, after a call) that
        no file names as an id: a story that refers to a scene it does not have (or
        names it oddly)."""
        wanted = {name for scene in list(self._scenes.values()) for choice in scene.choices
                  for name in ((() if choice.returns else (choice.target,))
                               + (() if choice.then is None else (choice.then,)))}
        return sorted(name for name in wanted
                      if name not in self._scenes and not self._files_naming(name))

    def find(self, scene_id: str) -> Scene | None:
        scene = self._scenes.get(scene_id)
        if scene is not None:
            return scene
        with self._lock:
            if scene_id in self._scenes:
                return self._scenes[scene_id]
            if self._all is None:
                for index in self._files_naming(scene_id):
                    self._compile(index)
                    if scene_id in self._scenes:
                        return self._scenes[scene_id]
        scene = self._every().get(scene_id)
        if scene is None:
            return None
        with self._lock:
            return self._scenes.setdefault(scene_id, scene)

    def __getitem__(self, scene_id: str) -> Scene:
        scene = self.find(scene_id)
        if scene is None:
            if self._errors:  # the story is broken: say how, as a runtime error does
                error = StoryRuntimeError(self._errors[0])
                error.diagnostics = list(self._errors)
                raise error
            raise KeyError(scene_id)
        return scene

    def get(self, scene_id: str, default: Any = None) -> Any:
        scene = self.find(scene_id)
        return default if scene is None else scene

    def __contains__(self, scene_id: object) -> bool:
        return isinstance(scene_id, str) and self.find(scene_id) is not None

    def _every(self) -> Mapping[str, Scene]:
        # Never under self._lock: the whole load takes the Opening's lock, then ours.
        every = self._all
        if every is None:
            self.adopt(self._whole())
            every = self._all
        assert every is not None
        return every

    def __iter__(self) -> Iterator[str]:
        return iter(self._every())

    def __len__(self) -> int:
        return len(self._every())

    def values(self) -> Any:  # the scenes handed out before are the ones to give
        return [self[sid] for sid in self._every()]

    def items(self) -> Any:
        return [(sid, self[sid]) for sid in self._every()]


class Opening:
    """A story opened for play: ``result`` now, the whole check by ``finish()``."""

    def __init__(self, root: Path, files: StoryFiles | None, key: str,
                 folder: Path | None) -> None:
        self.root, self.files, self.key, self.folder = root, files, key, folder
        self.result: LoadResult = LoadResult(None, [])
        self._full: LoadResult | None = None
        self._lock = threading.Lock()

    @property
    def finished(self) -> bool:
        return self._full is not None

    @property
    def problems(self) -> list[Diagnostic]:
        """The errors the whole check found (empty until ``finish()`` has run)."""
        full = self._full
        return [] if full is None else [d for d in full.diagnostics if d.severity == ERROR]

    def finish(self) -> LoadResult:
        """Load and check the whole story from the bytes already read, then keep it in
        the cache when it has no errors. Runs once; other callers wait for it."""
        with self._lock:
            if self._full is None:
                full = load_story(self.root, files=self.files)
                scenes = self.result.story.scenes if self.result.story is not None else None
                if isinstance(scenes, LazyStoryScenes):
                    scenes.adopt(full)
                self._full = full
                store(self.root, self.key, full, self.folder)
                self.files = None  # the bytes read are not needed now
            return self._full


    def finish_in_background(self, done: Callable[[list[Diagnostic]], None]
                             ) -> threading.Thread:
        """``finish()`` on a daemon thread (quitting never waits for it: an unfinished
        cache write leaves only a temporary file, cleaned at the next start), then
        ``done(problems)`` on that thread."""

        def run() -> None:
            # Another thread waits for the interpreter at most this long per turn while
            # the check runs (5 ms by default): a key press then costs a few ms more, not
            # tens (bench/bench_cache.py --keys).
            previous = sys.getswitchinterval()
            sys.setswitchinterval(min(previous, CHECK_SWITCH_INTERVAL))
            try:
                self.finish()
            finally:
                sys.setswitchinterval(previous)
            done(self.problems)

        thread = threading.Thread(target=run, name="kissgame-check", daemon=True)
        thread.start()
        return thread


CHECK_SWITCH_INTERVAL = 0.001


def open_story(root: str | Path, folder: Path | None = None) -> Opening:
    """Open a story folder for play (see the module docstring). ``folder``: the cache's."""
    root = Path(root)
    folder = folder if folder is not None else cache_dir()  # now: the check may end later
    if not (root / MANIFEST).is_file():
        opening = Opening(root, None, "", folder)
        opening.result = opening._full = load_story(root)
        return opening
    files = read_story_files(root)
    opening = Opening(root, files, story_key(root, files), folder)
    hit = cached_result(root, opening.key, folder)
    if hit is not None:
        opening.result = opening._full = hit
        return opening
    enabled = gc.isenabled()
    gc.disable()  # see loader.load_story
    try:
        quick = _first_part(opening, files)
    finally:
        if enabled:
            gc.enable()
    opening.result = quick if quick is not None else opening.finish()
    return opening


def _first_part(opening: Opening, files: StoryFiles) -> LoadResult | None:
    """The story with only what the first screen needs compiled, or None when that
    found an error (or the folder is not plain enough to take apart)."""
    root = files.root
    budget = NodeBudget(MAX_STORY_NODES)
    manifest_path = root / MANIFEST
    manifest, found = read_yaml(manifest_path, str(manifest_path), budget,
                                files.raw[manifest_path])
    if manifest is None or has_errors(found):
        return None
    eager: list[tuple[str, Any]] = []
    pending: list[tuple[str, str]] = []
    for path in list(files.raw)[1:]:
        raw = files.raw[path]
        if not isinstance(raw, bytes) or has_controls(path.relative_to(root).as_posix()):
            return None
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            return None
        if plain_scene_file(text):
            pending.append((str(path), text))
            continue
        data, found = parse_yaml(text, str(path), budget)
        if data is None or has_errors(found):
            return None
        eager.append((str(path), data))
    story, found = build_story(manifest, eager, manifest_file=str(manifest_path),
                               root=str(root), resolve=False)
    if story is None or has_errors(found):
        return None
    scenes = LazyStoryScenes(dict(story.scenes), pending, story.characters, str(root),
                             opening.finish)
    if scenes.find(story.start) is None or scenes.problems or scenes.unnamed_targets():
        return None
    story = dataclasses.replace(story, scenes=scenes, fingerprint=files.fingerprint,
                                files=tuple(str(path) for path in files.raw))
    return LoadResult(story, [])
