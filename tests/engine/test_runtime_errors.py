"""Failures while playing are StoryRuntimeErrors carrying one located KG3xx diagnostic."""

from __future__ import annotations

import pytest

from kissgame.engine import GameState, StoryRuntimeError, build_story, choose, current, new_game
from kissgame.engine.diagnostics import (
    DIVISION_BY_ZERO,
    MISSING_VARIABLE,
    NUMBER_TOO_LARGE,
    TEXT_TOO_LONG,
    WRONG_TYPE,
    Phase,
)
from kissgame.engine.expr import MAX_INT, MAX_TEXT

MANIFEST = {"format": 1, "id": "t", "title": "T", "start": "a",
            "vars": {"n": 0, "big": 2**52, "word": "ab", "ok": True},
            "endings": {"end": {"title": "End"}}}


def story_with(choice: dict, text: str = "Hi.") -> object:
    scenes = {"scenes": [
        {"id": "a", "text": text, "choices": [choice, {"label": "Stop", "id": "stop", "to": "z"}]},
        {"id": "z", "ending": "end", "text": "Bye."},
    ]}
    story, diags = build_story(MANIFEST, [("scenes/s.yaml", scenes)])
    assert story is not None and not [d for d in diags if d.severity == "error"], diags
    return story


def raised(fn) -> StoryRuntimeError:
    with pytest.raises(StoryRuntimeError) as info:
        fn()
    error = info.value
    assert error.diagnostics == [error.diagnostic]
    assert error.diagnostic.descriptor is not None
    assert error.diagnostic.descriptor.phase == Phase.RUN
    return error


def test_division_by_zero_in_a_condition_names_the_divisor_and_column():
    story = story_with({"label": "Go", "to": "z", "if": "10 / n > 1"})
    state = new_game(story, seed=1)
    error = raised(lambda: current(story, state))
    d = error.diagnostic
    assert d.code == DIVISION_BY_ZERO.code
    assert d.span.file == "scenes/s.yaml"
    assert d.span.col > 1  # at the '/' inside the expression, not just the field
    assert "'n' is 0" in d.message
    assert d.format().startswith("scenes/s.yaml:1:")


@pytest.mark.parametrize("effect", ["n = 7 % n", "n = 7 // n", "n = 7 / (n - 0)"])
def test_modulo_and_floor_division_by_zero_in_effects(effect):
    story = story_with({"label": "Go", "to": "z", "do": effect})
    state = new_game(story, seed=1)
    error = raised(lambda: choose(story, state, "z"))
    assert error.diagnostic.code == DIVISION_BY_ZERO.code


def test_overflow_past_the_integer_limit_is_an_error_not_a_huge_number():
    story = story_with({"label": "Go", "to": "z", "do": "big = big * big"})
    state = new_game(story, seed=1)
    error = raised(lambda: choose(story, state, "z"))
    assert error.diagnostic.code == NUMBER_TOO_LARGE.code
    assert "big * big" in error.diagnostic.message


def test_repeated_growth_stops_at_the_limit():
    story = story_with({"label": "Go", "id": "go", "to": "a", "do": "big *= 2"})
    state = new_game(story, seed=1)
    state = choose(story, state, "go")
    assert state.vars["big"] == MAX_INT
    error = raised(lambda: choose(story, state, "go"))
    assert error.diagnostic.code == NUMBER_TOO_LARGE.code


def test_text_that_grows_without_end_is_stopped():
    story = story_with({"label": "Go", "id": "go", "to": "a", "do": "word += word"})
    state = new_game(story, seed=1)
    with pytest.raises(StoryRuntimeError) as info:
        for _ in range(64):
            state = choose(story, state, "go")
    assert info.value.diagnostic.code == TEXT_TOO_LONG.code
    assert all(len(v) <= MAX_TEXT for v in state.vars.values() if isinstance(v, str))


def test_missing_variable_in_a_loaded_state_is_located():
    story = story_with({"label": "Go", "to": "z", "if": "n > 0"}, text="n is {n}.")
    state = new_game(story, seed=1)
    loaded = GameState.from_dict({**state.to_dict(), "vars": {"big": 1, "word": "", "ok": True}})
    error = raised(lambda: current(story, loaded))
    assert error.diagnostic.code == MISSING_VARIABLE.code
    assert "'n'" in error.diagnostic.message


def test_value_of_the_wrong_type_in_a_loaded_state_is_located():
    story = story_with({"label": "Go", "to": "z", "do": "n += 1"})
    state = new_game(story, seed=1)
    loaded = GameState.from_dict({**state.to_dict(), "vars": {**state.vars, "n": "three"}})
    error = raised(lambda: choose(story, loaded, "z"))
    assert error.diagnostic.code == WRONG_TYPE.code


def test_rendering_text_that_fails_is_located_in_the_text():
    story = story_with({"label": "Go", "to": "z"}, text="Score: {100 % n} points.")
    state = new_game(story, seed=1)
    error = raised(lambda: current(story, state))
    assert error.diagnostic.code == DIVISION_BY_ZERO.code
    assert error.diagnostic.span.col > 1
