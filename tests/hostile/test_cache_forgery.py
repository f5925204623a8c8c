"""Class 3: a forged cache entry cannot run code.

Whoever can write the cache folder can compute the entry's name and any checksum. An
entry sealed without the player's secret is ignored; and even one sealed with it (by
someone who can read the player's data folder) must be ignored (or, for one scene,
replaced from the story's files), with no code run and the real story played.
"""

from __future__ import annotations

import dataclasses
import hashlib
import pickle
import shutil
from pathlib import Path

import pytest

from kissgame.cache import (
    MAGIC,
    CacheRejected,
    LazyScenes,
    _entry,
    _seal,
    load_story_cached,
    read_cached,
    safe_loads,
    story_key,
)
from kissgame.engine.model import Story

EXAMPLE = Path(__file__).parents[2] / "examples" / "first_day"


class Touch:
    """Unpickling this calls Path.touch: a stand-in for os.system."""

    def __init__(self, target: Path):
        self.target = target

    def __reduce__(self):
        return (Path.touch, (self.target,))


def forge(root: Path, cache: Path, value: object, keyed: bool = True) -> Path:
    """Write an entry for ``root``, sealed with the player's secret (``keyed``) or with
    a plain SHA-256 as the cache used to be."""
    key = story_key(root)
    payload = pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
    seal = _seal(payload) if keyed else hashlib.sha256(payload).digest()
    path = _entry(key, cache)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(MAGIC + key.encode() + b"\n" + seal + payload)
    return path


def test_an_entry_without_the_secret_is_ignored(root, cached):
    story, cache = cached
    forge(root, cache, (dataclasses.replace(story, title="forged"), []), keyed=False)
    assert load_story_cached(root, cache).story.title == "First Night at KISS"
    forge(root, cache, (dataclasses.replace(story, title="forged"), []), keyed=True)
    assert load_story_cached(root, cache).story.title == "forged"  # the layer below is data


def test_the_secret_is_the_players_alone(root, cached, kissgame_home):
    key = kissgame_home / "data" / "cache.key"
    assert key.stat().st_size == 32
    assert key.stat().st_mode & 0o077 == 0


@pytest.fixture
def root(tmp_path) -> Path:
    return Path(shutil.copytree(EXAMPLE, tmp_path / "story"))


@pytest.fixture
def cached(root, tmp_path) -> tuple[Story, Path]:
    """A genuine entry's story, and the cache folder."""
    cache = tmp_path / "cache"
    load_story_cached(root, cache)
    hit = read_cached(story_key(root), cache)
    assert hit is not None
    return hit[0], cache


def test_an_entry_that_calls_a_function_runs_nothing(root, tmp_path, cached):
    _, cache = cached
    marker = tmp_path / "pwned"
    forge(root, cache, (Touch(marker), []))
    result = load_story_cached(root, cache)
    assert not marker.exists()
    assert result.ok and result.story is not None and result.story.id == "first-day-example"


@pytest.mark.parametrize("name", ["os.system", "builtins.eval", "builtins.getattr",
                                  "subprocess.Popen", "kissgame.cache.load_story_cached"])
def test_globals_outside_the_engine_are_refused(name):
    module, attr = name.rsplit(".", 1)
    blob = (b"\x80\x04" + b"\x8c" + bytes([len(module)]) + module.encode() + b"\x94"
            + b"\x8c" + bytes([len(attr)]) + attr.encode() + b"\x94" + b"\x93" + b".")
    with pytest.raises(CacheRejected):
        safe_loads(blob)


def test_an_entry_with_control_characters_is_ignored(root, cached):
    story, cache = cached
    forged = dataclasses.replace(story, title="\x1b]52;c;cHduZWQ=\x07pwned")
    forge(root, cache, (forged, []))
    result = load_story_cached(root, cache)
    assert result.story is not None and result.story.title == "First Night at KISS"


def test_an_entry_with_a_non_finite_number_is_ignored(root, cached):
    story, cache = cached
    meter = dataclasses.replace(story.ships[0], max=float("nan"))
    forge(root, cache, (dataclasses.replace(story, ships=(meter,)), []))
    result = load_story_cached(root, cache)
    assert result.story is not None and result.story.ships[0].max == story.ships[0].max


def test_an_entry_of_the_wrong_shape_is_ignored(root, cached):
    _, cache = cached
    for value in ({"not": "a story"}, (1, 2), ("story", [])):
        forge(root, cache, value)
        result = load_story_cached(root, cache)
        assert result.ok and isinstance(result.story, Story)


def test_a_forged_scene_is_taken_from_the_files(root, tmp_path, cached):
    story, cache = cached
    marker = tmp_path / "pwned"
    scenes = story.scenes
    assert isinstance(scenes, LazyScenes)
    blobs = dict(scenes._blobs)
    blobs["gate"] = pickle.dumps(Touch(marker))
    title = dataclasses.replace(scenes["courtyard"], title="\x1b[2J")
    blobs["courtyard"] = pickle.dumps(title)
    forge(root, cache, (dataclasses.replace(story, scenes=LazyScenes(blobs, str(root))), []))
    result = load_story_cached(root, cache)
    assert result.story is not None
    assert isinstance(result.story.scenes, LazyScenes)  # the entry itself was used
    gate = result.story.scenes["gate"]
    assert not marker.exists()
    assert gate.id == "gate" and "\x1b" not in result.story.scenes["courtyard"].title


@pytest.mark.parametrize("story_dir", [
    Path(__file__).parents[2] / "story", EXAMPLE, Path(__file__).parent / "stories" / "markup",
    Path(__file__).parent / "stories" / "escapes"], ids=["builtin", "example", "markup",
                                                         "escapes"])
def test_genuine_entries_pass_the_checks(story_dir, tmp_path, monkeypatch):
    """Every class a real story uses is allowed: a warm start really is one."""
    def no_fallback(self, scene_id):
        raise AssertionError(f"scene {scene_id} failed the checks")

    monkeypatch.setattr(LazyScenes, "_from_files", no_fallback)
    root = Path(shutil.copytree(story_dir, tmp_path / "story"))
    cold = load_story_cached(root, tmp_path / "cache")
    hit = read_cached(story_key(root), tmp_path / "cache")
    assert hit is not None
    story = hit[0]
    assert story == cold.story
    for scene_id in story.scenes:  # each scene decodes from the entry, not from the files
        assert story.scenes[scene_id] == cold.story.scenes[scene_id]


def test_a_fifo_entry_does_not_block(root, cached):
    import os

    _, cache = cached
    entry = _entry(story_key(root), cache)
    entry.unlink()
    os.mkfifo(entry)
    assert read_cached(story_key(root), cache) is None


def test_scenes_already_used_stay_the_same_after_a_forged_one(root, cached):
    # Explore's text coverage knows the scenes it has indexed by identity; falling back
    # to the files for a forged scene must not swap the others under it.
    story, cache = cached
    blobs = dict(story.scenes._blobs)
    blobs["gate"] = b"not a pickle"
    forge(root, cache, (dataclasses.replace(story, scenes=LazyScenes(blobs, str(root))), []))
    scenes = load_story_cached(root, cache).story.scenes
    courtyard = scenes["courtyard"]
    assert scenes["gate"].id == "gate"  # from the files
    assert scenes["courtyard"] is courtyard
