"""A cache of compiled stories, keyed by the content of every story file.

A warm start reads one file instead of parsing YAML. The key covers the kissgame
version and each file's path and bytes, and the payload carries an HMAC-SHA256, so a
stale or truncated entry is ignored and rebuilt.

Threat model. Anything that can write the cache folder (another program, a shared or
synced cache, a copied home directory) can write an entry with the matching name. A
plain checksum is no defence: the writer computes it too. Two layers stand in the way:

1. The HMAC is keyed with a random secret kept in the player's *data* folder
   (``cache.key``, readable by the player only), not beside the cache: a writer of the
   cache folder alone cannot make an entry that is accepted.
2. A writer who can read the secret too (someone with the player's account, who could
   as well edit their saves or their shell start-up files) still cannot run code: an
   entry is unpickled by :class:`StoryUnpickler`, which resolves no global but the
   engine's own model classes (``ALLOWED``), so no pickle can name a function to call
   (``os.system``, ``eval``, ``builtins.getattr``); a pickle runs code only through the
   globals it may load, and none of the allowed classes runs anything when built
   (frozen dataclasses, pickled as a call of the class with its field values, whose
   generated ``__init__`` only stores them, and expression nodes whose IR is compiled
   from a closed table of operators, never with ``eval``). What it builds must be a
   Story (each scene a Scene) of the engine's values only, with no control characters
   in text and no non-finite numbers, the loader's own promise (:func:`inert`); anything
   else is a miss, and a scene that fails when first used is taken from the story's
   files.

Such a forged entry can change what the story says, as editing the story's files
could, but cannot run code or send control sequences to the terminal. (It can also
hold values of the wrong type where the engine expects others, which may stop play
with an error; the HMAC is what keeps that to people who hold the account anyway.)
"""

from __future__ import annotations

import contextlib
import dataclasses
import gc
import hashlib
import hmac
import io
import math
import operator
import os
import pickle
import stat
from collections.abc import Callable, Iterator, Mapping
from enum import Enum
from pathlib import Path
from typing import Any

from . import __version__
from .atomic import clean_stale, write_atomic
from .engine import model
from .engine.diagnostics import Diagnostic, Severity, SourceSpan
from .engine.expr import Assign, Bounds, Expr
from .engine.ir import NODE_TYPES, ValueType
from .engine.model import COMPILED_FORMAT, Scene, Story
from .engine.text import Branch, Variation
from .loader import MANIFEST, LoadResult, StoryFiles, fingerprint, load_story, read_story_files
from .printable import has_controls
from .resources import cache_dir, data_dir

MAGIC = b"KISSGAME-CACHE-4\n"
MAX_ENTRY_BYTES = 512 * 1024 * 1024
SECRET_BYTES = 32


_SECRETS: dict[Path, bytes] = {}


def secret() -> bytes:
    """The random key of this player's cache HMACs, made on first use."""
    path = data_dir() / "cache.key"
    if path in _SECRETS:
        return _SECRETS[path]
    try:
        with path.open("rb") as handle:
            value = handle.read(SECRET_BYTES + 1)
    except OSError:
        value = b""
    if len(value) != SECRET_BYTES:
        value = os.urandom(SECRET_BYTES)
        # A write that fails only means slower starts: entries will not verify.
        with contextlib.suppress(OSError):
            write_atomic(path, value)  # mkstemp makes it readable by its owner only
    _SECRETS[path] = value
    return value


def _seal(payload: bytes) -> bytes:
    return hmac.new(secret(), payload, hashlib.sha256).digest()


class CacheRejected(Exception):
    """An entry holds something a compiled story cannot: it is treated as a miss."""


class StoryUnpickler(pickle.Unpickler):
    """Unpickles only the engine's own classes; any other global is refused."""

    def find_class(self, module: str, name: str) -> Any:
        cls = ALLOWED.get((module, name))
        if cls is None:
            raise CacheRejected(f"{module}.{name} is not part of a compiled story")
        return cls


def safe_loads(blob: bytes) -> Any:
    return StoryUnpickler(io.BytesIO(blob)).load()


def inert(value: Any) -> None:
    """Raise CacheRejected unless ``value`` is plain story data: allowed objects,
    containers, text without control characters and finite numbers. Iterative."""
    stack = [value]
    seen: set[int] = set()
    texts: list[str] = []
    fields = _FIELDS
    while stack:
        item = stack.pop()
        kind = type(item)
        if kind is str:
            texts.append(item)
        elif kind is float:
            if not math.isfinite(item):
                raise CacheRejected("a number that is not finite")
        elif kind is int or kind is bool or item is None or id(item) in seen:
            continue
        elif kind is tuple or kind is list or kind is frozenset:
            seen.add(id(item))
            stack.extend(item)
        elif kind is dict:
            seen.add(id(item))
            stack.extend(item)
            stack.extend(item.values())
        elif kind in fields:
            seen.add(id(item))
            try:
                stack.extend(fields[kind](item)[:-1])
            except AttributeError:
                raise CacheRejected(f"a {kind.__name__} with a field missing") from None
        elif kind is LazyScenes:
            stack.extend(item._blobs)
        else:
            raise CacheRejected(f"a {kind.__name__} in a compiled story")
    if has_controls("".join(texts)):
        raise CacheRejected("control characters in text")


def _fields(cls: type) -> Callable[[Any], tuple]:
    """A fast getter of the fields of ``cls`` that can hold story data."""
    if issubclass(cls, Enum):  # a member holds its value and nothing else
        return lambda item: (item.value, item.__class__)
    if dataclasses.is_dataclass(cls):
        names = [f.name for f in dataclasses.fields(cls)]
    else:  # Expr and Assign; an Expr's compiled closure is never pickled
        names = [name for name in getattr(cls, "__slots__", ()) if name != "_fn"]
    return operator.attrgetter(*names, "__class__")  # always a tuple; drop the class


class LazyScenes(Mapping):
    """Scenes kept pickled one by one and unpickled on first use.

    A warm start then costs one small unpickle per scene the player actually
    reaches, instead of rebuilding every scene of a large story up front. A scene
    that fails its checks then (a forged entry) is taken from the story's files
    instead, so play goes on.
    """

    __slots__ = ("_blobs", "_loaded", "_root")

    def __init__(self, blobs: dict[str, bytes], root: str = ""):
        self._blobs = blobs
        self._loaded: dict[str, Scene] = {}
        self._root = root

    def __getitem__(self, scene_id: str) -> Scene:
        try:
            return self._loaded[scene_id]
        except KeyError:
            pass
        blob = self._blobs[scene_id]
        try:
            scene = safe_loads(blob)
            if not isinstance(scene, Scene):
                raise CacheRejected(f"scene '{scene_id}' is not a scene")
            inert(scene)
        except Exception:
            return self._from_files(scene_id)
        self._loaded[scene_id] = scene
        return scene

    def _from_files(self, scene_id: str) -> Scene:
        result = load_story(self._root)
        if result.story is None or scene_id not in result.story.scenes:
            raise KeyError(scene_id)
        for sid, scene in result.story.scenes.items():
            # Scenes already handed out stay the same objects: callers key on identity.
            self._loaded.setdefault(sid, scene)
        return self._loaded[scene_id]

    def __iter__(self) -> Iterator[str]:
        return iter(self._blobs)

    def __len__(self) -> int:
        return len(self._blobs)

    def __contains__(self, scene_id: object) -> bool:
        return scene_id in self._blobs

    def __reduce__(self) -> tuple:
        return (LazyScenes, (self._blobs, self._root))


_CLASSES: set[type] = {
    cls for cls in vars(model).values()
    if isinstance(cls, type) and cls.__module__ == model.__name__
} | {Diagnostic, SourceSpan, Severity, Expr, Assign, Bounds, Branch, Variation, ValueType,
                  *NODE_TYPES}
_FIELDS: dict[type, Callable[[Any], tuple]] = {cls: _fields(cls) for cls in _CLASSES}
ALLOWED: dict[tuple[str, str], type] = {
    (cls.__module__, cls.__qualname__): cls for cls in (*_CLASSES, LazyScenes)}


def _constructor_args(cls: type) -> Callable[[Any], tuple] | None:
    """For a dataclass: its field values in order, to pickle it as ``cls(*values)``
    (no per-object ``__getstate__`` walking ``dataclasses.fields``, half the time)."""
    if not dataclasses.is_dataclass(cls) or not all(f.init for f in dataclasses.fields(cls)):
        return None
    names = [f.name for f in dataclasses.fields(cls)]
    getter = operator.attrgetter(*names)
    return (lambda item: (getter(item),)) if len(names) == 1 else getter


_ARGS = {cls: args for cls in _CLASSES if (args := _constructor_args(cls)) is not None}


class _StoryPickler(pickle.Pickler):
    def reducer_override(self, obj: Any) -> Any:
        args = _ARGS.get(type(obj))
        return NotImplemented if args is None else (type(obj), args(obj))


def dumps(value: Any) -> bytes:
    """Pickle a compiled story or scene (the unpickler calls only allowed classes)."""
    out = io.BytesIO()
    _StoryPickler(out, protocol=pickle.HIGHEST_PROTOCOL).dump(value)
    return out.getvalue()


def _shape(cls: type) -> str:
    if issubclass(cls, Enum):
        names = [str(member.value) for member in cls]
    elif dataclasses.is_dataclass(cls):
        names = [f.name for f in dataclasses.fields(cls)]
    else:
        names = list(getattr(cls, "__slots__", ()))
    return f"{cls.__module__}.{cls.__qualname__}({','.join(names)})"


SHAPE = hashlib.sha256(";".join(sorted(map(_shape, _CLASSES))).encode()).hexdigest()
"""The fields of every cached class: a field added or renamed during development (with
COMPILED_FORMAT unchanged) makes a new key, so an old entry is a miss, not a scene that
fails its checks and sends every warm start back to the story's files."""


def story_key(root: Path, files: StoryFiles | None = None) -> str:
    """The story's content fingerprint, with the kissgame version and the folder."""
    text = (f"kissgame {__version__}\0{COMPILED_FORMAT}\0{SHAPE}\0{root.resolve()}\0"
            f"{files.fingerprint if files is not None else fingerprint(root)}")
    return hashlib.sha256(text.encode()).hexdigest()


def _entry(key: str, folder: Path | None) -> Path:
    return (folder or cache_dir()) / f"story-{key[:32]}.bin"


def read_cached(key: str, folder: Path | None = None) -> tuple | None:
    path = _entry(key, folder)
    try:
        info = path.stat()
        if not stat.S_ISREG(info.st_mode) or info.st_size > MAX_ENTRY_BYTES:
            return None
        blob = path.read_bytes()
    except OSError:
        return None
    head = MAGIC + key.encode() + b"\n"
    if not blob.startswith(head) or not len(head) + 32 <= len(blob) <= MAX_ENTRY_BYTES:
        return None
    checksum, payload = blob[len(head): len(head) + 32], blob[len(head) + 32:]
    if not hmac.compare_digest(_seal(payload), checksum):
        return None
    enabled = gc.isenabled()
    gc.disable()  # unpickling builds many small objects; see loader.load_story
    try:
        value = safe_loads(payload)
        story, diagnostics = value
        if not isinstance(story, Story) or not isinstance(story.scenes, LazyScenes) or \
                not isinstance(diagnostics, list):
            return None
        inert(value)
        return story, diagnostics
    except Exception:  # a corrupt or forged entry is only a cache miss
        return None
    finally:
        if enabled:
            gc.enable()


def write_cached(key: str, value: tuple, folder: Path | None = None) -> None:
    path = _entry(key, folder)
    try:
        payload = dumps(value)
        header = MAGIC + key.encode() + b"\n" + _seal(payload)
        write_atomic(path, header + payload)
    except OSError:
        pass  # a cache that cannot be written only costs speed


def load_story_cached(root: str | Path, folder: Path | None = None) -> LoadResult:
    """``load_story`` through the cache. Only stories that loaded without errors are kept."""
    root = Path(root)
    if not (root / MANIFEST).is_file():
        return load_story(root)
    files = read_story_files(root)
    key = story_key(root, files)
    hit = cached_result(root, key, folder)
    if hit is not None:
        return hit
    result = load_story(root, files=files)
    store(root, key, result, folder)
    return result


def cached_result(root: Path, key: str, folder: Path | None = None) -> LoadResult | None:
    """The cache's entry for ``key`` as a LoadResult, or None on a miss."""
    hit = read_cached(key, folder)
    if hit is None:
        return None
    cached_story, cached_diagnostics = hit
    cached_story.scenes._root = str(root)  # scenes that fail their checks come from here
    return LoadResult(cached_story, list(cached_diagnostics))


def store(root: Path, key: str, result: LoadResult, folder: Path | None = None) -> None:
    """Keep a story that loaded without errors under ``key``."""
    if not result.ok:
        return
    clean_stale(folder or cache_dir())
    story = result.story
    assert story is not None
    blobs = {sid: dumps(scene) for sid, scene in story.scenes.items()}
    write_cached(key, (dataclasses.replace(story, scenes=LazyScenes(blobs, str(root))),
                       result.diagnostics), folder)
