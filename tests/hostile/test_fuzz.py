"""Bounded fuzzing (hypothesis) of every reader of hostile input: story files, saves,
settings, branch memory and recordings.

Each reader must answer any input with data or a clear refusal, never an exception,
and what it accepts must be inert: text without control characters, finite numbers,
times every screen can show.
"""

from __future__ import annotations

import json
import math
import re
import shutil
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kissgame.branches import load_memory, memory_path, save_memory
from kissgame.engine import choose, new_game
from kissgame.loader import load_story, load_story_or_raise, read_yaml
from kissgame.recording import RecordingError, read_recording, run_recording
from kissgame.saves import SaveError, SaveStore, restore
from kissgame.settings import REVEAL_SPEEDS, load_settings

BRANCHY = Path(__file__).parents[1] / "fixtures" / "branchy"
CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
FUZZ = settings(max_examples=100, deadline=None, derandomize=True,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                       HealthCheck.function_scoped_fixture])


def assert_inert(value: Any) -> None:
    """Every string in ``value`` is printable text, every float finite (iteratively)."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            assert not CONTROL.search(item), repr(item)
        elif isinstance(item, float):
            assert math.isfinite(item), item
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list | tuple | frozenset):
            stack.extend(item)


@pytest.fixture(scope="module")
def story():
    return load_story_or_raise(BRANCHY)


# ---- YAML: story files and recordings ----

FRAGMENTS = [
    "scenes:", "\n", "\n  ", "\n    ", "- ", "id: ", "a", "text: ", "choices:", "to: ",
    "label: ", "[", "]", "{", "}", ", ", ": ", "&a ", "*a", "&b ", "*b",
    "!!python/object:os.system",
    "!!set ", "!tag ", "!!int ", "!!float ", "!!bool ", "!!null ", "!!str ",
    "1:2:3", "1:30", "99999999999999999999999999999999999", ".nan", ".inf",
    "-.Inf", "1.0e+999", "0x1F", "yes", "~", '"\\e]52;c;eA==\\a"', '"\\x9b2J"', '"\\r"', "'q'",
    "#c", "---", "...", "\t", "|\n  block", ">\n  folded", "? ", "\u0085", "é", "ending: done",
    "if: x > 1", "do: x += 1", "{x}", "{if x}", "{end}",
]
yaml_texts = st.lists(st.sampled_from(FRAGMENTS), max_size=60).map("".join)


@FUZZ
@given(text=st.one_of(yaml_texts, st.text(max_size=300)))
def test_yaml_reader_never_raises_and_accepts_only_inert_data(tmp_path_factory, text):
    path = tmp_path_factory.mktemp("y") / "f.yaml"
    path.write_bytes(text.encode("utf-8", "surrogatepass"))
    data, diagnostics = read_yaml(path, str(path))
    assert all(d.span.line >= 1 and d.code.startswith("KG") for d in diagnostics)
    if data is not None:
        assert_inert(data)


@FUZZ
@given(raw=st.binary(max_size=300))
def test_yaml_reader_takes_any_bytes(tmp_path_factory, raw):
    path = tmp_path_factory.mktemp("b") / "f.yaml"
    path.write_bytes(raw)
    data, _ = read_yaml(path, str(path))
    if data is not None:
        assert_inert(data)


@FUZZ
@given(scene_file=yaml_texts)
def test_story_loader_never_raises(tmp_path_factory, scene_file):
    root = Path(shutil.copytree(BRANCHY, tmp_path_factory.mktemp("s") / "story"))
    (root / "scenes" / "fuzz.yaml").write_text(scene_file, encoding="utf-8")
    result = load_story(root)
    for d in result.diagnostics:
        assert not CONTROL.search(d.message)
    if result.story is not None:
        for scene in result.story.scenes.values():
            assert not CONTROL.search(scene.title) and not CONTROL.search(scene.id)


@FUZZ
@given(body=yaml_texts, choices=st.lists(st.sampled_from(
    ["to_dorm", "to_campus", "next", "yearbook", "skip", "sit_q", "\x1b[2J", "ui:title", ""]),
    max_size=12))
def test_recording_reader_and_replay_never_raise(tmp_path_factory, story, body, choices):
    folder = tmp_path_factory.mktemp("r")
    for i, text in enumerate([body, "recording: 1\nstory: branchy\nseed: 3\nchoices: "
                              + json.dumps(choices) + "\n" + body]):
        path = folder / f"r{i}.yaml"
        path.write_text(text, encoding="utf-8")
        try:
            recording = read_recording(path)
        except RecordingError as exc:
            assert str(exc)
            continue
        assert_inert(recording.choices)
        if recording.story == story.id:
            result = run_recording(story, recording)
            assert result.ok or result.problem


# ---- JSON: saves, settings, branch memory ----

json_leaves = st.one_of(
    st.none(), st.booleans(), st.integers(-(2**70), 2**70), st.floats(allow_nan=False,
                                                                     allow_infinity=False),
    st.text(max_size=20), st.sampled_from(["\x1b]2;x\x07", "1e999", "NaN",
                                           "0001-01-01T00:00:00+14:00", "2025-01-02T03:04:05"]))
json_values = st.recursive(json_leaves, lambda inner: st.one_of(
    st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=8), inner, max_size=4)),
    max_leaves=12)
RAW_TOKENS = ["NaN", "Infinity", "-Infinity", "1e999", "9" * 5000, "[" * 5000, "{" * 3000,
              '"\\u001b[2J"', "null", "-0", "1E400"]


def mutate(data: Any, path: list[int], value: Any) -> Any:
    """``data`` with the node chosen by ``path`` (indices into keys) replaced by ``value``."""
    if not path or not isinstance(data, dict | list) or not data:
        return value
    keys = list(data.keys()) if isinstance(data, dict) else list(range(len(data)))
    key = keys[path[0] % len(keys)]
    copy = dict(data) if isinstance(data, dict) else list(data)
    copy[key] = mutate(copy[key], path[1:], value)
    return copy


def raw_json(data: Any, token: str | None) -> str:
    text = json.dumps(data)
    if token is None:
        return text
    return text.replace('"__RAW__"', token) if '"__RAW__"' in text else text + token


mutations = st.tuples(st.lists(st.integers(0, 20), max_size=5),
                      st.one_of(json_values, st.just("__RAW__")),
                      st.one_of(st.none(), st.sampled_from(RAW_TOKENS)))


@FUZZ
@given(mutation=mutations)
def test_save_reader_never_raises(tmp_path_factory, story, mutation):
    store = SaveStore(story.id, tmp_path_factory.mktemp("saves"))
    state = choose(story, new_game(story, 3), "to_dorm")
    store.write("1", story, state, 5.0, "Arrival", "The Dorm")
    path_, value, token = mutation
    good = json.loads(store.path("1").read_text())
    store.path("1").write_text(raw_json(mutate(good, path_, value), token))
    info = store.read("1")
    if info.data is None:
        return
    data = info.data
    assert_inert([data.story_id, data.scene_title, data.episode, data.saved_at,
                  data.play_seconds, dict(data.state.vars), list(data.state.path)])
    datetime.fromtimestamp(data.saved_at)  # the slot list can show it
    try:
        restore(story, data)
    except SaveError as exc:
        assert str(exc)


@FUZZ
@given(data=st.one_of(json_values, st.just("__RAW__")),
       token=st.one_of(st.none(), st.sampled_from(RAW_TOKENS)), whole=st.booleans())
def test_settings_reader_never_raises(tmp_path_factory, data, token, whole):
    path = tmp_path_factory.mktemp("settings") / "settings.json"
    path.write_text(raw_json(data if whole else {"theme": data, "reveal": "fast"}, token))
    loaded = load_settings(path)
    assert loaded.reveal in REVEAL_SPEEDS
    assert_inert([loaded.theme])


@FUZZ
@given(mutation=mutations)
def test_branch_memory_reader_never_raises(tmp_path_factory, story, mutation):
    home = tmp_path_factory.mktemp("home")
    memory, _ = load_memory(story, home)
    state = new_game(story, 9)
    memory.observe(story, state, "2025-01-02T03:04:05+00:00")
    for choice_id in ("to_campus", "yearbook", "library"):
        state = choose(story, state, choice_id)
        memory.observe(story, state, "2025-01-02T03:04:05+00:00")
    save_memory(memory, home)
    path = memory_path(story.id, home)
    path_, value, token = mutation
    path.write_text(raw_json(mutate(json.loads(path.read_text()), path_, value), token))
    loaded, problem = load_memory(story, home)
    assert problem is None or problem
    for entry in loaded.scenes.values():
        assert_inert([entry.first_seen, dict(entry.seen), dict(entry.taken)])
        if entry.first_seen:
            datetime.fromisoformat(entry.first_seen).astimezone()
    for ending in loaded.endings.values():
        for stamp in (ending.first_found, ending.last_found):
            if stamp:
                datetime.fromisoformat(stamp).astimezone()
    json.dumps(loaded.to_dict())  # and it can be written back
    assert save_memory(loaded, home) is None
