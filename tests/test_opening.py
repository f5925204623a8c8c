"""Opening a story for play: the first screen before the whole story is compiled, the
same story as a full load, and every error still reported (kissgame.opening)."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from kissgame.cache import LazyScenes, read_cached, story_key
from kissgame.engine import StoryRuntimeError, choose, current, new_game
from kissgame.engine.diagnostics import UNSAFE_YAML
from kissgame.loader import load_story
from kissgame.opening import open_story

ROOT = Path(__file__).resolve().parents[1]
BUILTIN, EXAMPLE = ROOT / "story", ROOT / "examples" / "first_day"

MANIFEST = """\
    format: 1
    id: split
    title: Split
    start: a1
    vars: {gold: 0}
    endings: {done: {title: Done}}
"""


def scene_file(prefix: str, count: int, last: str) -> str:
    out = ["scenes:"]
    for i in range(1, count + 1):
        nxt = f"{prefix}{i + 1}" if i < count else last
        out += [f"  - id: {prefix}{i}", f"    text: Scene {prefix}{i}, gold {{gold}}.",
                "    choices:", f"      - {{label: Onward, to: {nxt}, do: gold += 1}}"]
    return "\n".join(out) + "\n"


FILES = {
    "scenes/a.yaml": scene_file("a", 3, "b1"),
    "scenes/b.yaml": scene_file("b", 3, "c1"),
    "scenes/c.yaml": scene_file("c", 3, "end") + "  - {id: end, ending: done}\n",
}


def play(story, picks: int, seed: int = 3) -> list:
    rng = random.Random(seed)
    state, beats = new_game(story, 1), []
    for _ in range(picks):
        beat = current(story, state)
        beats.append(beat)
        if beat.ended:
            state = new_game(story, 1)
            continue
        state = choose(story, state, rng.choice([c for c in beat.choices if c.enabled]).id)
    return beats


@pytest.mark.parametrize("root", [BUILTIN, EXAMPLE, ROOT / "examples" / "missing_letter",
                                  ROOT / "examples" / "hall_pass"],
                         ids=["builtin", "first_day", "missing_letter", "hall_pass"])
def test_an_opened_story_plays_as_the_loaded_one(root):
    opening = open_story(root)
    assert not opening.finished  # opened without the whole load (hall_pass: calls, returns)
    loaded = load_story(root).story
    assert play(opening.result.story, 300) == play(loaded, 300)
    assert list(opening.result.story.scenes) == list(loaded.scenes)


def test_the_first_screen_needs_only_the_start_scenes_file(make_story):
    root = make_story(MANIFEST, {**FILES, "scenes/b.yaml": "scenes:\n  - id: b1\n    text: [\n"})
    opening = open_story(root)
    # b.yaml does not parse, yet the first screen shows: only a.yaml was compiled
    assert opening.result.ok and not opening.finished
    assert current(opening.result.story, new_game(opening.result.story, 1)).lines[0].text \
        == "Scene a1, gold 0."


def test_the_whole_check_reports_every_error_of_a_full_load(make_story):
    root = make_story(MANIFEST, {**FILES, "scenes/c.yaml": "scenes:\n  - id: c1\n"
                                 "    text: Hi\n    choices:\n      - {label: Go, to: nowhere}\n"
                                 "      - {label: Bad, to: c1, if: 'gold >'}\n"})
    opening = open_story(root)
    assert opening.result.ok and opening.problems == []
    full = opening.finish()
    expected = [d.format() for d in load_story(root).diagnostics if d.severity == "error"]
    assert [d.format() for d in opening.problems] == expected
    assert any("nowhere" in line for line in expected) and any(":5:" in line for line in expected)
    assert not full.ok
    assert read_cached(story_key(root)) is None  # a story with errors is never cached


def test_an_error_in_the_start_scenes_file_stops_the_opening_with_check_s_findings(make_story):
    root = make_story(MANIFEST, {**FILES, "scenes/a.yaml": "scenes:\n  - id: a1\n"
                                 "    text: Hi\n\tchoices: []\n"})
    opening = open_story(root)
    assert not opening.result.ok
    assert [d.format() for d in opening.result.diagnostics] == \
        [d.format() for d in load_story(root).diagnostics]
    assert "tab" in opening.result.diagnostics[0].message  # in the writer's words


def test_a_choice_to_no_scene_in_the_start_scenes_file_stops_the_opening(make_story):
    root = make_story(MANIFEST, {**FILES, "scenes/a.yaml": "scenes:\n  - id: a1\n"
                                 "    text: Hi\n    choices:\n      - {label: Go, to: gone}\n"})
    opening = open_story(root)
    assert not opening.result.ok
    assert [d.format() for d in opening.result.diagnostics] == \
        [d.format() for d in load_story(root).diagnostics]
    assert "gone" in opening.result.diagnostics[0].message


def test_a_missing_scene_met_later_is_a_story_error_not_a_crash(make_story):
    root = make_story(MANIFEST, {**FILES, "scenes/b.yaml": "scenes:\n  - id: b1\n"
                                 "    text: Hi\n    choices:\n      - {label: Go, to: gone}\n"})
    story = open_story(root).result.story
    state = new_game(story, 1)
    for _ in range(3):
        state = choose(story, state, current(story, state).choices[0].id)
    assert state.scene == "b1"
    with pytest.raises(StoryRuntimeError) as raised:
        choose(story, state, "gone")
    assert "gone" in raised.value.diagnostics[0].message


def test_variables_declared_in_a_scene_file_are_there_from_the_first_screen(make_story):
    root = make_story(MANIFEST, {**FILES, "scenes/v.yaml": "vars:\n  mood: 5\nscenes: []\n",
                                 "scenes/a.yaml": FILES["scenes/a.yaml"].replace(
                                     "gold {gold}", "mood {mood}")})
    opening = open_story(root)
    story = opening.result.story
    assert current(story, new_game(story, 1)).lines[0].text == "Scene a1, mood 5."


@pytest.mark.parametrize("scene_id", ['"b1"', '"b\\x31"'])  # the second is found by a full load
def test_scenes_written_in_any_yaml_style_are_found(make_story, scene_id):
    odd = f'scenes: [{{"id": {scene_id}, text: Flow, choices: [{{label: Onward, to: c1}}]}}]\n'
    root = make_story(MANIFEST, {**FILES, "scenes/b.yaml": odd})
    story = open_story(root).result.story
    state = new_game(story, 1)
    for _ in range(3):
        state = choose(story, state, current(story, state).choices[0].id)
    assert current(story, state).lines[0].text == "Flow"


def test_the_whole_check_writes_the_cache_and_keeps_the_scenes_handed_out(make_story):
    root = make_story(MANIFEST, FILES)
    opening = open_story(root)
    story = opening.result.story
    first = story.scenes["a1"]
    assert opening.finish().ok
    assert story.scenes["a1"] is first
    again = open_story(root)
    assert again.finished and isinstance(again.result.story.scenes, LazyScenes)
    assert play(again.result.story, 40) == play(story, 40)


def test_a_bomb_in_a_file_compiled_on_demand_is_refused_located(make_story):
    bomb = "scenes:\n  - id: b1\n    text: &a [x, x]\n    tags: [*a, *a]\n"
    root = make_story(MANIFEST, {**FILES, "scenes/b.yaml": bomb})
    story = open_story(root).result.story
    state = new_game(story, 1)
    for _ in range(2):
        state = choose(story, state, current(story, state).choices[0].id)
    with pytest.raises(StoryRuntimeError) as raised:  # entering b1: its file is refused
        choose(story, state, current(story, state).choices[0].id)
    found = raised.value.diagnostics[0]
    assert found.code == UNSAFE_YAML.code and found.span.file.endswith("b.yaml")
    assert found.span.line == 3 and "alias" in found.message
