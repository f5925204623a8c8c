from __future__ import annotations

import json

import pytest

from kissgame.engine import (
    Diverged,
    GameState,
    InvalidChoice,
    StateFormatError,
    build_story,
    choose,
    current,
    new_game,
    replay,
    rewind,
)

MANIFEST = {
    "format": 1, "id": "t", "title": "T", "start": "a",
    "characters": {"q": {"name": "Q", "color": "#00ff00"}},
    "vars": {"x": {"value": 0, "min": 0, "max": 3}, "flag": {"seen": False}, "name": "Kit"},
    "endings": {"done": {"title": "Done", "turns_on": "t", "hint": "h"}},
}
SCENES = {
    "scenes": [
        {"id": "a", "title": "Start", "on_enter": "x += 1",
         "text": ["Hello {name}. {if x > 1}Again!{else}First time.{end}", {"q": "Hi, {name}!"},
                  {"if": "flag.seen", "then": "You have seen it.", "else": ["Not yet."]}],
         "choices": [
             {"label": "Loop", "to": "a", "once": True, "do": "flag.seen = true"},
             {"label": "Push x", "id": "push", "to": "a", "do": "x += 5"},
             {"label": "Locked", "id": "locked", "to": "b", "if": "x >= 3",
              "locked": "needs x of 3"},
             {"label": "Hidden", "id": "hidden", "to": "b", "if": "x >= 99"},
             {"label": "Finish", "to": "b"},
         ]},
        {"id": "b", "ending": "done", "text": "The end, {name}."},
    ]
}


@pytest.fixture
def story():
    story, diagnostics = build_story(MANIFEST, [("s.yaml", SCENES)])
    assert not diagnostics, [d.format() for d in diagnostics]
    return story


def test_new_game_enters_start_scene(story):
    state = new_game(story, seed=7)
    assert state.scene == "a" and state.vars["x"] == 1 and state.visits == {"a": 1}
    beat = current(story, state)
    assert [line.text for line in beat.lines] == ["Hello Kit. First time.", "Hi, Kit!",
                                                  "Not yet."]
    assert beat.lines[1].speaker_name == "Q" and beat.lines[1].color == "#00ff00"
    views = {c.id: c for c in beat.choices}
    assert "hidden" not in views
    assert views["locked"].enabled is False and views["locked"].locked_reason == "needs x of 3"


def test_choose_is_pure_and_deterministic(story):
    state = new_game(story, seed=7)
    before = json.dumps(state.to_dict(), sort_keys=True)
    one = choose(story, state, "a")
    two = choose(story, state, "a")
    assert one == two
    assert json.dumps(state.to_dict(), sort_keys=True) == before
    assert one.path == ("a",) and one.turn == 1 and one.vars["flag.seen"] is True


def test_once_only_choice_disappears_and_cannot_be_forced(story):
    state = choose(story, new_game(story, seed=1), "a")
    assert "a" not in [c.id for c in current(story, state).choices]
    with pytest.raises(InvalidChoice):
        choose(story, state, "a")


def test_bounded_variables_are_clamped(story):
    state = choose(story, new_game(story, seed=1), "push")
    assert state.vars["x"] == 3  # 1 + 5 clamped to max 3, entering again: +1 clamped
    assert current(story, state).choices[1].enabled


def test_locked_choice_cannot_be_taken(story):
    with pytest.raises(InvalidChoice):
        choose(story, new_game(story, seed=1), "locked")


def test_ending_beat(story):
    state = choose(story, new_game(story, seed=1), "b")
    beat = current(story, state)
    assert beat.ended and beat.ending.title == "Done" and beat.choices == ()


def test_state_round_trips_through_json(story):
    state = choose(story, choose(story, new_game(story, seed=3), "a"), "push")
    again = GameState.from_dict(json.loads(json.dumps(state.to_dict())))
    assert again == state


@pytest.mark.parametrize("bad", [[], {"scene": 1}, {"scene": "a", "vars": {}, "visits": {},
                                                     "once": [], "seed": "x", "turn": 0,
                                                     "path": []}])
def test_malformed_state_is_rejected_clearly(bad):
    with pytest.raises(StateFormatError):
        GameState.from_dict(bad)


def test_rewind_and_replay(story):
    s0 = new_game(story, seed=5)
    s1 = choose(story, s0, "a")
    s2 = choose(story, s1, "push")
    assert rewind(story, s2) == s1
    assert rewind(story, s2, 10) == s0
    assert replay(story, 5, ["a", "push"])[-1] == s2


def test_replay_reports_divergence(story):
    with pytest.raises(Diverged) as info:
        replay(story, 5, ["a", "a"])
    assert info.value.step == 2 and info.value.scene == "a"
