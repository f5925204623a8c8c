"""A cache of compiled stories, keyed by the content of every story file.

A warm start reads one file instead of parsing YAML. The cache is never trusted
blindly: the key covers the kissgame version and each file's path and bytes, and
the payload carries its own SHA-256, so a stale, truncated or tampered-with entry
is ignored and rebuilt.
"""

from __future__ import annotations

import dataclasses
import gc
import hashlib
import pickle
from collections.abc import Iterator, Mapping
from pathlib import Path

from . import __version__
from .atomic import write_atomic
from .engine.diagnostics import Diagnostic
from .engine.model import Scene
from .loader import MANIFEST, LoadResult, fingerprint, load_story
from .resources import cache_dir

MAGIC = b"KISSGAME-CACHE-2\n"


class LazyScenes(Mapping):
    """Scenes kept pickled one by one and unpickled on first use.

    A warm start then costs one small unpickle per scene the player actually
    reaches, instead of rebuilding every scene of a large story up front.
    """

    __slots__ = ("_blobs", "_loaded")

    def __init__(self, blobs: dict[str, bytes]):
        self._blobs = blobs
        self._loaded: dict[str, Scene] = {}

    def __getitem__(self, scene_id: str) -> Scene:
        try:
            return self._loaded[scene_id]
        except KeyError:
            scene = self._loaded[scene_id] = pickle.loads(self._blobs[scene_id])
            return scene

    def __iter__(self) -> Iterator[str]:
        return iter(self._blobs)

    def __len__(self) -> int:
        return len(self._blobs)

    def __contains__(self, scene_id: object) -> bool:
        return scene_id in self._blobs

    def __reduce__(self) -> tuple:
        return (LazyScenes, (self._blobs,))


def story_key(root: Path) -> str:
    """The story's content fingerprint, with the kissgame version and the folder."""
    text = f"kissgame {__version__}\0{root.resolve()}\0{fingerprint(root)}"
    return hashlib.sha256(text.encode()).hexdigest()


def _entry(key: str, folder: Path | None) -> Path:
    return (folder or cache_dir()) / f"story-{key[:32]}.bin"


def read_cached(key: str, folder: Path | None = None) -> tuple | None:
    path = _entry(key, folder)
    try:
        blob = path.read_bytes()
    except OSError:
        return None
    head = MAGIC + key.encode() + b"\n"
    if not blob.startswith(head) or len(blob) < len(head) + 32:
        return None
    checksum, payload = blob[len(head): len(head) + 32], blob[len(head) + 32:]
    if hashlib.sha256(payload).digest() != checksum:
        return None
    enabled = gc.isenabled()
    gc.disable()  # unpickling builds many small objects; see loader.load_story
    try:
        return pickle.loads(payload)
    except Exception:  # a corrupt entry is only a cache miss
        return None
    finally:
        if enabled:
            gc.enable()


def write_cached(key: str, value: tuple, folder: Path | None = None) -> None:
    path = _entry(key, folder)
    try:
        payload = pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
        header = MAGIC + key.encode() + b"\n" + hashlib.sha256(payload).digest()
        write_atomic(path, header + payload)
    except OSError:
        pass  # a cache that cannot be written only costs speed


def load_story_cached(root: str | Path, folder: Path | None = None) -> LoadResult:
    """``load_story`` through the cache. Only stories that loaded without errors are kept."""
    root = Path(root)
    if not (root / MANIFEST).is_file():
        return load_story(root)
    key = story_key(root)
    hit = read_cached(key, folder)
    if hit is not None:
        cached_story, cached_diagnostics = hit
        return LoadResult(cached_story, list(cached_diagnostics))
    result = load_story(root)
    if result.ok:
        diagnostics: list[Diagnostic] = result.diagnostics
        story = result.story
        assert story is not None
        blobs = {sid: pickle.dumps(scene, protocol=pickle.HIGHEST_PROTOCOL)
                 for sid, scene in story.scenes.items()}
        write_cached(key, (dataclasses.replace(story, scenes=LazyScenes(blobs)), diagnostics),
                     folder)
    return result
