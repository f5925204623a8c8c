"""Class 4 and 8: player files that try to stop the game from starting, and leftovers.

A hostile save, settings file or branch memory must be set aside with a clear reason
while every other slot and screen keeps working; interrupted writes must not pile up.
"""

from __future__ import annotations

import json
import os
import time
from datetime import datetime
from pathlib import Path

import pytest

from kissgame.atomic import STALE_SECONDS, clean_stale, write_atomic
from kissgame.branches import BranchMemory, load_memory, memory_path, save_memory
from kissgame.engine import choose, new_game
from kissgame.loader import load_story_or_raise
from kissgame.playerfile import MAX_CHOICES, MAX_DEPTH, PlayerFileError, parse_json
from kissgame.saves import SaveStore
from kissgame.settings import Settings, load_settings, save_settings

BRANCHY = Path(__file__).parents[1] / "fixtures" / "branchy"


@pytest.fixture(scope="module")
def story():
    return load_story_or_raise(BRANCHY)


@pytest.fixture
def store(story, tmp_path) -> SaveStore:
    store = SaveStore(story.id, tmp_path / "saves")
    state = choose(story, new_game(story, 3), "to_dorm")
    store.write("1", story, state, 10.0, "Arrival", "The Dorm")
    store.write("1", story, state, 12.5, "Arrival", "The Dorm")
    store.write("2", story, state, 60.0, "Arrival", "The Dorm")
    return store


def good_save(store: SaveStore) -> dict:
    return json.loads(store.path("1").read_text())


def deep(n: int) -> str:
    return '{"a":' * n + "1" + "}" * n


def with_field(data: dict, dotted: str, value) -> str:
    """The save's JSON with one field replaced by raw JSON text ``value``."""
    marker = "\u0000MARK\u0000"
    target = data
    *parents, last = dotted.split(".")
    for key in parents:
        target = target[key]
    target[last] = marker
    return json.dumps(data).replace(json.dumps(marker), value)


HOSTILE_FIELDS = {
    "deep nesting": ("state.vars", deep(100_000)),
    "nesting past the limit": ("state.vars", deep(MAX_DEPTH + 5)),
    "5000-digit int": ("state.seed", "9" * 5000),
    "19-digit int": ("state.turn", "1" + "0" * 18),
    "NaN play time": ("play_seconds", "NaN"),
    "Infinity saved_at": ("saved_at", "Infinity"),
    "-Infinity var": ("state.vars.heart.dae", "-Infinity"),
    "overflowing float": ("saved_at", "1e999"),
    "saved_at past year 3000": ("saved_at", "1e20"),
    "negative saved_at": ("saved_at", "-5"),
    "play time of a millennium": ("play_seconds", "3.2e10"),
    "variable beyond 2**53": ("state.vars.heart.dae", str(2**60)),
    "path of a million choices": ("state.path", json.dumps(["x"] * (MAX_CHOICES + 1))),
    "title that is a list": ("scene_title", "[1, 2]"),
    "huge title": ("scene_title", json.dumps("x" * 20_000)),
}


@pytest.mark.parametrize("field,value", HOSTILE_FIELDS.values(), ids=HOSTILE_FIELDS.keys())
def test_hostile_save_is_set_aside_and_other_slots_work(store, field, value):
    data = good_save(store)
    if field.startswith("state.vars.heart"):
        field = "state.vars"
        data["state"]["vars"]["heart.dae"] = "\u0000MARK\u0000"
        raw = json.dumps(data).replace(json.dumps("\u0000MARK\u0000"), value)
    else:
        raw = with_field(data, field, value)
    store.path("1").write_text(raw)
    info = store.read("1")
    assert info.damaged and info.data is None
    assert info.problem and "Traceback" not in info.problem
    assert info.backup is not None  # the slot's previous version is offered
    others = store.slots()
    assert [s.slot for s in others if s.data is not None] == ["2"]
    assert store.latest() is not None and store.latest().slot == "2"


def test_a_save_with_terminal_controls_loads_as_visible_text(store):
    data = good_save(store)
    data["scene_title"] = "\u001b]52;c;cHduZWQ=\u0007The Dorm\u009b2J"
    data["episode"] = "\u001b]2;window title\u0007"
    store.path("1").write_text(json.dumps(data))
    info = store.read("1")
    assert info.data is not None
    assert info.data.scene_title == "\u241b]52;c;cHduZWQ=\u2407The Dorm\ufffd2J"
    assert "\x1b" not in info.data.episode


def test_oversized_save_is_refused_before_reading(store):
    with store.path("1").open("w") as handle:
        handle.write(" " * (5 * 1024 * 1024))
    info = store.read("1")
    assert info.damaged and "too large" in (info.problem or "")


def test_reader_bounds(tmp_path):
    for raw, reason in [(b"[" * 50 + b"]" * 50, "nested"), (b"[" + b"1" * 19 + b"]", "digits"),
                        (b"[NaN]", "NaN"), (b"[1e400]", "too large"), (b"", "empty"),
                        (b"\xff\xfe", "not text"), (b'{"a": [1, 2', "truncated")]:
        with pytest.raises(PlayerFileError, match=reason):
            parse_json(raw)
    assert parse_json(b'{"a": [1, 2.5, "x", null, true]}') == {"a": [1, 2.5, "x", None, True]}


# ---- settings ----

@pytest.mark.parametrize("raw", [deep(100_000), '{"theme": ' + "9" * 5000 + "}",
                                 '{"reveal": NaN}', '{"theme": "\\u001b]2;x\\u0007"}',
                                 '{"theme": ' + json.dumps("x" * 1000) + "}", "[" * 10_000])
def test_hostile_settings_give_defaults(tmp_path, raw):
    path = tmp_path / "settings.json"
    path.write_text(raw)
    assert load_settings(path) == Settings()


def test_settings_keep_good_values_beside_a_bad_one(tmp_path):
    path = tmp_path / "settings.json"
    path.write_text('{"theme": "nord", "reveal": "\\u001b[2J"}')
    assert load_settings(path) == Settings(theme="nord")


# ---- branch memory ----

def memory_file(story, home: Path, mutate) -> Path:
    memory = BranchMemory(story.id)
    state = new_game(story, 9)
    memory.observe(story, state, "2025-01-02T03:04:05+00:00")
    for choice_id in ("to_campus", "yearbook", "library"):
        state = choose(story, state, choice_id)
        memory.observe(story, state, "2025-01-02T03:04:05+00:00")
    save_memory(memory, home)
    path = memory_path(story.id, home)
    data = json.loads(path.read_text())
    mutate(data)
    path.write_text(json.dumps(data) if not isinstance(data, str) else data)
    return path


BAD_DATES = ["0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-14:00", "not a date",
             "+10000-01-01", "1e999"]


@pytest.mark.parametrize("date", BAD_DATES)
def test_out_of_range_dates_in_branch_memory_are_left_out(story, tmp_path, date):
    def mutate(data):
        data["endings"]["shelved"]["first_found"] = date
        data["scenes"]["campus"]["first_seen"] = date

    memory_file(story, tmp_path, mutate)
    memory, problem = load_memory(story, tmp_path)
    assert problem and "ending 'shelved'" in problem and "scene 'campus'" in problem
    assert not memory.found("shelved")
    assert memory.visited("arrival")  # the rest of the memory is kept
    for entry in memory.scenes.values():  # every date left can be shown in local time
        if entry.first_seen:
            datetime.fromisoformat(entry.first_seen).astimezone()


@pytest.mark.parametrize("raw", [deep(100_000), '{"branches_version": 1, "story": "x", '
                                 '"scenes": {"arrival": {"visits": ' + "9" * 5000 + "}}}",
                                 '{"branches_version": NaN, "scenes": {}}'])
def test_hostile_branch_memory_file_is_moved_aside(story, tmp_path, raw):
    path = memory_file(story, tmp_path, lambda data: None)
    path.unlink()  # no backup to fall back on either
    path.with_name(path.name + ".bak").unlink(missing_ok=True)
    path.write_text(raw)
    memory, problem = load_memory(story, tmp_path)
    assert problem and "could not be read" in problem
    assert memory.endings == {} and memory.scenes == {}
    assert path.with_name(path.name + ".damaged").exists()


def test_hostile_labels_in_branch_memory_are_made_visible(story, tmp_path):
    def mutate(data):
        data["scenes"]["arrival"]["seen"]["to_dorm"] = "\u001b]52;c;eA==\u0007go"
        data["scenes"]["arrival"]["arrival"]["path"] = ["x"] * (MAX_CHOICES + 1)

    memory_file(story, tmp_path, mutate)
    memory, problem = load_memory(story, tmp_path)
    assert problem and "scene 'arrival'" in problem  # the endless path
    memory2, _ = load_memory(story, tmp_path)
    for entry in memory2.scenes.values():
        for label in entry.seen.values():
            assert "\x1b" not in label


# ---- class 8: leftovers of interrupted writes ----

def test_stale_temporaries_are_cleaned_on_start(story, tmp_path):
    store = SaveStore(story.id, tmp_path / "saves")
    store.folder.mkdir(parents=True)
    old = time.time() - STALE_SECONDS - 5
    stale = [store.folder / f".1.json.{i:08d}.tmp" for i in range(50)]
    stale.append(store.folder / "1.json.bak.tmp")
    fresh = store.folder / ".2.json.inflight.tmp"
    for path in stale:
        path.write_text("{")
        os.utime(path, (old, old))
    fresh.write_text("{")
    keep = store.folder / "notes.tmp"  # not a name the writer makes
    keep.write_text("mine")
    os.utime(keep, (old, old))
    SaveStore(story.id, tmp_path / "saves")  # what the game does when it starts
    assert not any(p.exists() for p in stale)
    assert fresh.exists() and keep.exists()


def test_settings_and_branch_folders_are_cleaned_too(story, tmp_path):
    old = time.time() - STALE_SECONDS - 5
    settings = tmp_path / "settings.json"
    save_settings(Settings(), settings)
    leftover = tmp_path / ".settings.json.abc.tmp"
    leftover.write_text("{")
    os.utime(leftover, (old, old))
    load_settings(settings)
    assert not leftover.exists()
    branches = memory_path(story.id, tmp_path).parent
    branches.mkdir(parents=True)
    leftover = branches / f".{story.id}.json.abc.tmp"
    leftover.write_text("{")
    os.utime(leftover, (old, old))
    load_memory(story, tmp_path)
    assert not leftover.exists()


def test_clean_stale_counts_and_survives_a_missing_folder(tmp_path):
    assert clean_stale(tmp_path / "nope") == 0
    write_atomic(tmp_path / "a.json", "{}")
    (tmp_path / ".a.json.x.tmp").write_text("")
    assert clean_stale(tmp_path, now=time.time() + STALE_SECONDS + 1) == 1
    assert (tmp_path / "a.json").read_text() == "{}"


def test_a_fifo_in_place_of_a_player_file_does_not_block(story, tmp_path):
    store = SaveStore(story.id, tmp_path / "saves")
    store.folder.mkdir(parents=True)
    os.mkfifo(store.path("1"))  # opening it to read would wait for a writer forever
    info = store.read("1")
    assert info.damaged and "regular file" in (info.problem or "")
    settings = tmp_path / "settings.json"
    os.mkfifo(settings)
    assert load_settings(settings) == Settings()
    path = memory_path(story.id, tmp_path)
    path.parent.mkdir(parents=True)
    os.mkfifo(path)
    _, problem = load_memory(story, tmp_path)
    assert problem and "regular file" in problem
