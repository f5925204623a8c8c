"""Save slots and settings: round trips, atomic writes, damage, and older story versions."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from kissgame.atomic import write_atomic
from kissgame.cache import load_story_cached
from kissgame.engine import choose, new_game
from kissgame.saves import (
    SAVE_VERSION,
    SaveDamaged,
    SaveData,
    SaveIncompatible,
    SaveStore,
    read_save_file,
    restore,
)
from kissgame.settings import Settings, load_settings, save_settings

MANIFEST = """\
format: 1
id: saves-test
title: "Saves"
start: one
vars:
  score: 0
  flag: false
endings:
  done: {title: "Done", turns_on: "the end", hint: "go"}
"""

SCENES = """\
scenes:
  - id: one
    title: "One"
    text: "First."
    choices:
      - {label: "Up", id: up, do: score += 1, to: two}
      - {label: "Flag", id: flag, do: flag = true, to: two}
  - id: two
    title: "Two"
    text: "Second."
    choices:
      - {label: "Again", id: again, do: score += 1, to: three}
  - id: three
    title: "Three"
    text: "Third."
    ending: done
"""


@pytest.fixture(autouse=True)
def home(tmp_path, monkeypatch) -> Path:
    monkeypatch.setenv("KISSGAME_HOME", str(tmp_path / "home"))
    return tmp_path / "home"


def make_story(root: Path, manifest: str = MANIFEST, scenes: str = SCENES):
    root.mkdir(parents=True, exist_ok=True)
    (root / "story.yaml").write_text(manifest)
    (root / "scenes.yaml").write_text(scenes)
    result = load_story_cached(root)
    assert result.ok, [d.format() for d in result.diagnostics]
    return result.story


@pytest.fixture
def story(tmp_path):
    return make_story(tmp_path / "story")


def clock() -> float:
    return 1_700_000_000.0


def test_round_trip_and_listing(story, home):
    store = SaveStore(story.id, clock=clock)
    state = choose(story, new_game(story, 5), "up")
    data = store.write("3", story, state, 125.5, "Ep", "Two")
    assert data.state == state
    info = store.read("3")
    assert info.data == data and not info.damaged and not info.empty
    assert info.path == home / "data" / "saves" / "saves-test" / "3.json"
    raw = json.loads(info.path.read_text())
    assert raw["save_version"] == SAVE_VERSION
    assert raw["story_id"] == "saves-test" and raw["story_fingerprint"] == story.fingerprint
    assert raw["saved_at"] == clock() and raw["play_seconds"] == 125.5
    assert store.read("1").empty
    assert [i.slot for i in store.slots()][:3] == ["auto", "quick", "1"]
    assert store.latest().slot == "3"
    assert SaveData.from_dict(data.to_dict()) == data


def test_latest_is_the_newest(story):
    times = iter([10.0, 30.0, 20.0])
    store = SaveStore(story.id, clock=lambda: next(times))
    state = new_game(story, 1)
    for slot in ("1", "2", "quick"):
        store.write(slot, story, state)
    assert store.latest().slot == "2"


def test_atomic_write_keeps_previous_as_backup(tmp_path):
    target = tmp_path / "deep" / "slot.json"
    write_atomic(target, "one", keep_backup=True)
    assert target.read_text() == "one" and not (tmp_path / "deep" / "slot.json.bak").exists()
    write_atomic(target, "two", keep_backup=True)
    assert target.read_text() == "two"
    assert (tmp_path / "deep" / "slot.json.bak").read_text() == "one"
    assert sorted(p.name for p in target.parent.iterdir()) == ["slot.json", "slot.json.bak"]


def test_failed_write_leaves_the_old_file(tmp_path, monkeypatch):
    target = tmp_path / "slot.json"
    write_atomic(target, "old")

    def boom(*args):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", boom)
    with pytest.raises(OSError):
        write_atomic(target, "new")
    assert target.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["slot.json"]


@pytest.mark.parametrize("content, reason", [
    (b"", "empty"),
    (b'{"save_version": 1, "story_id": "saves-te', "truncated"),
    (b"\x00\xff\xfe", "not text"),
    (b"[1, 2, 3]", "not a save"),
    (b'{"story_id": "x"}', "no save_version"),
    (b'{"save_version": 1, "story_id": "saves-test"}', "which story"),
    (b'{"save_version": 1, "story_id": "saves-test", "story_fingerprint": "f", '
     b'"state": {"scene": 1}}', "damaged"),
    (b'{"save_version": 1, "story_id": "saves-test", "story_fingerprint": "f", '
     b'"saved_at": "yesterday", "state": {"scene": "one", "vars": {}, "visits": {}, '
     b'"once": [], "seed": 1, "turn": 0, "path": []}}', "saved_at"),
    (b"[" * 100_000, "corrupted"),
])
def test_damaged_slot_is_reported_and_others_work(story, content, reason):
    store = SaveStore(story.id, clock=clock)
    state = new_game(story, 1)
    store.write("1", story, state)
    store.folder.joinpath("2.json").write_bytes(content)
    bad = store.read("2")
    assert bad.damaged and reason in bad.problem
    assert store.read("1").data.state == state
    assert store.latest().slot == "1"
    with pytest.raises((SaveDamaged, SaveIncompatible)):
        read_save_file(store.path("2"))


def test_newer_format_and_other_story(story):
    store = SaveStore(story.id, clock=clock)
    store.write("1", story, new_game(story, 1))
    raw = json.loads(store.path("1").read_text())
    raw["save_version"] = SAVE_VERSION + 1
    store.path("2").write_text(json.dumps(raw))
    assert "newer kissgame" in store.read("2").problem
    raw["save_version"] = SAVE_VERSION
    raw["story_id"] = "someone-else"
    store.path("3").write_text(json.dumps(raw))
    assert "another story" in store.read("3").problem
    with pytest.raises(SaveIncompatible, match="someone-else"):
        restore(story, SaveData.from_dict(raw))


def test_backup_restores_a_damaged_slot(story):
    store = SaveStore(story.id, clock=clock)
    first = new_game(story, 1)
    store.write("1", story, first)
    store.write("1", story, choose(story, first, "up"))
    store.path("1").write_text("{")
    info = store.read("1")
    assert info.damaged and info.backup is not None and info.backup.state == first
    assert store.restore_backup("1").state == first
    assert store.read("1").data.state == first


def test_restore_same_story(story):
    state = choose(story, new_game(story, 2), "up")
    data = SaveData(story.id, story.fingerprint, state, 1.0, 60.0)
    restored = restore(story, data)
    assert restored.state == state and restored.play_seconds == 60.0 and not restored.notes


def test_restore_after_the_story_changed_replays(story, tmp_path):
    state = choose(story, new_game(story, 2), "up")
    data = SaveData(story.id, story.fingerprint, state)
    newer = make_story(tmp_path / "v2", scenes=SCENES.replace("First.", "The first.")
                       .replace("score += 1, to: two", "score += 5, to: two"))
    assert newer.fingerprint != story.fingerprint
    restored = restore(newer, data)
    assert restored.state.scene == "two" and restored.state.vars["score"] == 5
    assert "replayed" in restored.notes[0]


def test_restore_keeps_the_scene_when_the_path_no_longer_replays(story, tmp_path):
    state = choose(story, new_game(story, 2), "flag")
    data = SaveData(story.id, story.fingerprint, state)
    manifest = MANIFEST.replace("  flag: false\n", "  mood: 3\n")
    scenes = SCENES.replace('{label: "Flag", id: flag, do: flag = true, to: two}',
                            '{label: "Mood", id: mood, do: mood += 1, to: two}')
    newer = make_story(tmp_path / "v2", manifest, scenes)
    restored = restore(newer, data)
    assert restored.state.scene == "two"
    assert restored.state.vars == {"score": 0, "mood": 3}
    notes = " ".join(restored.notes)
    assert "mood" in notes and "flag" in notes


def test_restore_explains_a_missing_scene(story, tmp_path):
    state = choose(story, new_game(story, 2), "up")
    data = SaveData(story.id, story.fingerprint, state, scene_title="Two")
    scenes = SCENES.replace("id: two", "id: deux").replace("to: two", "to: deux")
    newer = make_story(tmp_path / "v2", scenes=scenes)
    with pytest.raises(SaveIncompatible) as excinfo:
        restore(newer, data)
    message = str(excinfo.value)
    assert "'two' (Two) no longer exists" in message and "deux" in message


def test_settings_round_trip_and_bad_files(tmp_path):
    path = tmp_path / "settings.json"
    assert load_settings(path) == Settings()
    save_settings(Settings(theme="nord", reveal="slow"), path)
    assert load_settings(path) == Settings(theme="nord", reveal="slow")
    assert Settings(reveal="slow").reveal_cps > 0 and Settings().reveal_cps == 0
    path.write_text("{not json")
    assert load_settings(path) == Settings()
    path.write_text(json.dumps({"theme": "gruvbox", "reveal": "warp"}))
    assert load_settings(path) == Settings(theme="gruvbox")
    path.write_text("[]")
    assert load_settings(path) == Settings()
