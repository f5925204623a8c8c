"""The pure author tools behind the debug overlay and live reload."""

from __future__ import annotations

import pytest

from kissgame.devtools import (
    BROKEN,
    GONE,
    KEPT,
    REPLAYED,
    EditError,
    carry_over,
    describe_var,
    format_value,
    hidden_choices,
    jump_to,
    keep_place,
    match_scene,
    parse_value,
    set_variable,
    with_variable,
)
from kissgame.engine import GameState, choose, new_game
from kissgame.loader import load_story_or_raise

MANIFEST = """\
format: 1
id: dev
title: Dev
start: hall
vars:
  love: {value: 5, min: 0, max: 10}
  score: 2.5
  met: false
  name: "Kitty"
"""

SCENES = """\
scenes:
  - id: hall
    text: "Hello {name}."
    choices:
      - {id: hug, label: Hug, to: dorm, do: love += 2}
      - {id: peek, label: Peek, to: dorm, once: true}
      - {id: kiss, label: Kiss, to: dorm, if: love >= 8, locked: "Not yet"}
      - {id: secret, label: Secret, to: dorm, if: met and love > 2}
  - id: dorm
    on_enter: met = true
    text: "The dorm."
    choices:
      - {id: back, label: Back, to: hall}
      - {id: leave, label: Leave, to: gate}
  - id: gate
    text: "The gate."
    ending: bye
  - id: garden
    text: "A garden nobody reaches."
    ending: bye
endings:
  bye: {title: Bye, turns_on: leaving, hint: leave}
"""


def story_from(make_story, manifest: str = MANIFEST, scenes: str = SCENES):
    if "endings:" in scenes:
        scenes, endings = scenes.split("endings:")
        manifest = manifest + "endings:" + endings
    return load_story_or_raise(make_story(manifest, scenes))


@pytest.fixture
def story(make_story):
    return story_from(make_story)


@pytest.fixture
def state(story) -> GameState:
    return new_game(story, seed=3)


# ---- variables ----

@pytest.mark.parametrize("name, text, value", [
    ("love", "7", 7), ("love", " 0 ", 0), ("love", "9.5", 9.5), ("score", "-4", -4),
    ("met", "TRUE", True), ("met", "false", False),
    ("name", "Yuri", "Yuri"), ("name", '"Dae Heo"', "Dae Heo"), ("name", "", ""),
])
def test_parse_value_accepts(story, name, text, value):
    parsed = parse_value(story.vars[name], text)
    assert parsed == value and type(parsed) is type(value)


@pytest.mark.parametrize("name, text", [
    ("love", "11"), ("love", "-1"), ("love", "lots"), ("love", "true"), ("love", "nan"),
    ("met", "1"), ("met", "yes"), ("score", "inf"),
])
def test_parse_value_rejects(story, name, text):
    with pytest.raises(EditError):
        parse_value(story.vars[name], text)


def test_describe_and_format(story):
    assert describe_var(story.vars["love"]) == "number 0..10"
    assert describe_var(story.vars["score"]) == "number"
    assert describe_var(story.vars["met"]) == "true/false"
    assert describe_var(story.vars["name"]) == "text"
    assert [format_value(v) for v in (True, 3, 2.5, "x")] == ["true", "3", "2.5", '"x"']


def test_with_variable_returns_a_new_state(story, state):
    new = with_variable(story, state, "love", 9)
    assert new is not state and new.vars["love"] == 9
    assert state.vars["love"] == 5  # the old state is untouched
    assert (new.scene, new.path, new.visits, new.seed) == (
        state.scene, state.path, state.visits, state.seed)
    assert set_variable(story, state, "met", "true").vars["met"] is True


@pytest.mark.parametrize("name, value", [
    ("nope", 1), ("love", 12), ("love", True), ("met", 1), ("name", 3),
])
def test_with_variable_rejects(story, state, name, value):
    with pytest.raises(EditError):
        with_variable(story, state, name, value)


# ---- jumping ----

def test_match_scene(story):
    assert match_scene(story, "dorm") == "dorm"
    assert match_scene(story, "gat") == "gate"
    with pytest.raises(EditError, match="could be garden, gate"):
        match_scene(story, "ga")
    with pytest.raises(EditError):
        match_scene(story, "cellar")
    with pytest.raises(EditError):
        match_scene(story, "  ")


def test_jump_enters_the_scene_without_a_choice(story, state):
    new = jump_to(story, state, "dorm")
    assert new.scene == "dorm" and new.vars["met"] is True  # on_enter ran
    assert new.visits["dorm"] == 1 and new.visits["hall"] == 1
    assert (new.path, new.turn) == (state.path, state.turn)
    assert state.scene == "hall" and state.vars["met"] is False
    with pytest.raises(EditError):
        jump_to(story, state, "cellar")


# ---- hidden choices ----

def test_hidden_choices_name_the_condition(story, state):
    hidden = {h.id: h for h in hidden_choices(story, state)}
    assert set(hidden) == {"kiss", "secret"}
    assert hidden["kiss"].reason == "love >= 8" and hidden["kiss"].locked
    assert hidden["secret"].reason == "met and love > 2" and not hidden["secret"].locked
    assert ":" in hidden["kiss"].location
    after = choose(story, choose(story, state, "peek"), "back")  # met is now true
    hidden = {h.id: h for h in hidden_choices(story, after)}
    assert set(hidden) == {"kiss", "peek"}
    assert hidden["peek"].reason == "once: already taken"
    assert hidden_choices(story, jump_to(story, state, "gate")) == []


# ---- carrying the player's place across a reload ----

def test_carry_over_replays_when_the_path_fits(make_story, story, state):
    played = choose(story, choose(story, state, "hug"), "back")
    edited = story_from(make_story, scenes=SCENES.replace("love += 2", "love += 3"))
    carried = carry_over(story, edited, played)
    assert carried.how == REPLAYED
    assert carried.state.scene == "hall" and carried.state.vars["love"] == 8
    assert carried.state.path == played.path


def test_carry_over_keeps_edited_states(make_story, story, state):
    edited_state = with_variable(story, choose(story, state, "hug"), "love", 1)
    edited = story_from(make_story, scenes=SCENES.replace("The dorm.", "The new dorm."))
    carried = carry_over(story, edited, edited_state)
    assert carried.how == KEPT
    assert carried.state == edited_state  # the debug edit survives the reload


def test_carry_over_fits_variables_when_the_path_breaks(make_story, story, state):
    played = choose(story, state, "hug")
    manifest = MANIFEST.replace('  name: "Kitty"\n', "  trust: 4\n").replace(
        "max: 10", "max: 6")
    scenes = SCENES.replace("id: hug", "id: embrace").replace("Hello {name}.", "Hello.")
    edited = story_from(make_story, manifest, scenes)
    carried = carry_over(story, edited, played)
    assert carried.how == KEPT
    assert carried.state.scene == "dorm" and carried.state.path == ("hug",)
    assert carried.state.vars == {"love": 6, "score": 2.5, "met": True, "trust": 4}
    assert carried.dropped == ("name",) and carried.added == ("trust",)
    assert "dropped name" in carried.message and "new trust" in carried.message


def test_keep_place_forgets_vanished_scenes_and_choices(make_story, story, state):
    played = choose(story, choose(story, state, "peek"), "back")
    scenes = SCENES.replace("{id: peek, label: Peek, to: dorm, once: true}",
                            "{id: look, label: Look, to: dorm}").replace(
        "  - id: garden\n    text: \"A garden nobody reaches.\"\n    ending: bye\n", "")
    edited = story_from(make_story, scenes=scenes)
    visited = jump_to(story, played, "garden")
    kept, dropped, added = keep_place(edited, visited)
    assert "garden" not in kept.visits and kept.once == frozenset()
    assert (dropped, added) == ((), ())


def test_carry_over_scene_gone(make_story, story, state):
    in_garden = jump_to(story, state, "garden")
    scenes = SCENES.replace("  - id: garden\n    text: \"A garden nobody reaches.\"\n"
                            "    ending: bye\n", "")
    carried = carry_over(story, story_from(make_story, scenes=scenes), in_garden)
    assert carried.how == GONE and carried.state is None
    assert "garden" in carried.message


def test_carry_over_scene_that_fails_to_render(make_story, story, state):
    scenes = SCENES.replace('"Hello {name}."', '"Hello {10 // (love - love)}."')
    carried = carry_over(story, story_from(make_story, scenes=scenes), state)
    assert carried.how == BROKEN and carried.state is None
    assert carried.diagnostics and carried.diagnostics[0].span.line == 3


def test_devtools_imports_no_textual():
    import subprocess
    import sys

    code = "import kissgame.devtools, sys; print('textual' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip() == "False"
