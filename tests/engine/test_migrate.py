"""fit_state: one rule for fitting a state to a story, used by save restore and reload."""

from __future__ import annotations

import dataclasses
import shutil
from pathlib import Path

import pytest

from kissgame.engine import (
    ChoiceStatus,
    Fit,
    GameState,
    InvalidChoice,
    OnceKey,
    StateUnfit,
    build_story,
    choice_status,
    choose,
    current,
    fit_state,
    new_game,
)
from kissgame.loader import load_story
from kissgame.saves import SaveDamaged, SaveData, SaveIncompatible, restore

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "first_day"

MANIFEST = {"format": 1, "id": "m", "title": "M", "start": "a",
            "vars": {"x": {"value": 0, "min": 0, "max": 5}, "name": "Kit", "on": False},
            "endings": {"done": {"title": "Done"}}}
SCENES = {"scenes": [
    {"id": "a", "text": "A", "choices": [
        {"label": "Once", "id": "once", "to": "a", "once": True, "do": "x += 2"},
        {"label": "Locked", "id": "locked", "to": "b", "if": "x >= 4", "locked": "need 4"},
        {"label": "Hidden", "id": "hidden", "to": "b", "if": "on"},
        {"label": "On", "id": "on", "to": "b", "do": "on = true"},
    ]},
    {"id": "b", "text": "B", "choices": [{"label": "End", "id": "end", "to": "z"}]},
    {"id": "z", "ending": "done"},
]}


def build(manifest=MANIFEST, scenes=SCENES):
    story, diags = build_story(manifest, [("s.yaml", scenes)])
    assert story is not None and not [d for d in diags if d.severity == "error"], diags
    return story


@pytest.fixture
def story():
    return build()


def test_choice_status_is_the_one_rule(story):
    state = new_game(story, 1)
    choices = {c.id: c for c in story.scenes["a"].choices}
    assert {cid: choice_status(state, c) for cid, c in choices.items()} == {
        "once": ChoiceStatus.AVAILABLE, "locked": ChoiceStatus.LOCKED,
        "hidden": ChoiceStatus.HIDDEN, "on": ChoiceStatus.AVAILABLE}
    after = choose(story, state, "once")
    assert after.once == {OnceKey("a", "once")}
    assert choice_status(after, choices["once"]) is ChoiceStatus.TAKEN
    shown = [view.id for view in current(story, after).choices]
    assert shown == ["locked", "on"]  # taken and hidden ones are not shown
    with pytest.raises(InvalidChoice, match="already taken"):
        choose(story, after, "once")
    with pytest.raises(InvalidChoice, match="not available"):
        choose(story, after, "hidden")


def test_once_keys_round_trip_as_scene_slash_choice(story):
    state = choose(story, new_game(story, 1), "once")
    data = state.to_dict()
    assert data["once"] == ["a/once"]
    assert GameState.from_dict(data) == state


def test_fit_state_of_an_honest_state_changes_nothing(story):
    state = choose(story, choose(story, new_game(story, 1), "once"), "on")
    assert fit_state(story, state) == type(fit_state(story, state))(state, Fit.SAME)


def test_fit_state_replays_the_path_on_an_edited_story(story):
    state = choose(story, new_game(story, 1), "once")
    scenes = {"scenes": [dict(SCENES["scenes"][0], text="A, edited"), *SCENES["scenes"][1:]]}
    scenes["scenes"][0]["choices"] = [dict(scenes["scenes"][0]["choices"][0], do="x += 3"),
                                      *scenes["scenes"][0]["choices"][1:]]
    fitted = fit_state(build(scenes=scenes), state)
    assert fitted.how is Fit.REPLAYED and fitted.state.vars["x"] == 3
    assert "replayed" in fitted.notes[0]


def test_fit_state_keeps_the_scene_and_fits_the_values(story):
    state = choose(story, new_game(story, 1), "once")
    manifest = dict(MANIFEST, vars={"x": {"value": 0, "min": 0, "max": 1}, "name": 0,
                                    "mood": 3})
    scenes = {"scenes": [dict(SCENES["scenes"][0], choices=[
        {"label": "On", "id": "on", "to": "b"}]), *SCENES["scenes"][1:]]}
    fitted = fit_state(build(manifest, scenes), state, replay_path=False)
    assert fitted.how is Fit.KEPT and fitted.state.scene == "a"
    assert fitted.state.vars == {"x": 1, "name": 0, "mood": 3}  # clamped, reset, added
    assert fitted.state.once == frozenset()  # the once-only choice is gone
    assert fitted.dropped == ("on",) and set(fitted.added) == {"mood", "name"}
    notes = " ".join(fitted.notes)
    for word in ("mood", "name", "min/max", "dropped: on", "Once-only"):
        assert word in notes


def test_fit_state_refuses_a_state_whose_scene_is_gone(story):
    state = dataclasses.replace(new_game(story, 1), scene="nowhere")
    with pytest.raises(StateUnfit, match="nowhere"):
        fit_state(story, state)


def save_of(story, state: GameState, version: int = 2) -> SaveData:
    return SaveData.from_dict({**SaveData(story.id, story.fingerprint, state).to_dict(),
                               "save_version": version})


@pytest.mark.parametrize("tamper", [
    {"vars": {"x": 99, "name": "Kit", "on": False}},   # beyond max
    {"vars": {"x": "lots", "name": "Kit", "on": False}},  # wrong type
    {"vars": {"name": "Kit", "on": False}},  # a variable missing
    {"turn": -4},
    {"visits": {"a": -3}},
])
def test_a_tampered_save_of_the_same_story_is_repaired_with_a_note(story, tamper):
    state = choose(story, new_game(story, 1), "once")
    data = SaveData.from_dict({**save_of(story, state).to_dict(),
                               "state": {**state.to_dict(), **tamper}})
    restored = restore(story, data)
    assert restored.notes and "repaired" in restored.notes[0]
    fitted = restored.state
    assert fitted.turn >= 0 and all(n > 0 for n in fitted.visits.values())
    assert isinstance(fitted.vars["x"], int) and 0 <= fitted.vars["x"] <= 5
    current(story, fitted)  # and it plays


def test_a_save_holding_a_number_beyond_the_limits_is_refused(story):
    state = choose(story, new_game(story, 1), "once")
    raw = {**save_of(story, state).to_dict(),
           "state": {**state.to_dict(), "vars": {**state.vars, "x": 2**60}}}
    with pytest.raises(SaveDamaged, match="beyond the limits"):
        restore(story, SaveData.from_dict(raw))


def test_a_save_whose_path_does_not_replay_keeps_its_place_with_a_note(story):
    state = choose(story, new_game(story, 1), "on")
    bogus = dataclasses.replace(state, path=("nonsense",))
    restored = restore(story, save_of(story, bogus))
    assert restored.state.scene == "b" and restored.state.vars == state.vars
    assert "no longer lead here" in " ".join(restored.notes)


def test_a_save_in_a_missing_scene_of_the_same_story_is_refused(story):
    state = dataclasses.replace(new_game(story, 1), scene="gone")
    with pytest.raises(SaveDamaged, match="gone"):
        restore(story, save_of(story, state))


def test_an_old_save_of_a_dice_story_still_loads(tmp_path):
    folder = shutil.copytree(EXAMPLE, tmp_path / "first_day")
    story = load_story(folder).story
    assert story is not None
    state = choose(story, new_game(story, 5), "courtyard")  # rolls snacks on entry
    old_values = {**state.vars, "snacks": 7}  # whatever the old rule rolled
    old = dataclasses.replace(state, vars=old_values)
    restored = restore(story, save_of(story, old, version=1))
    assert restored.state.vars == old_values and restored.state.scene == "courtyard"
    assert any("rolled dice differently" in note for note in restored.notes)
    current(story, restored.state)


def test_saves_outside_the_version_range_say_why():
    with pytest.raises(SaveIncompatible, match="newer kissgame"):
        SaveData.from_dict({"save_version": 99, "story_id": "s", "story_fingerprint": "f"})
    with pytest.raises(SaveIncompatible, match="too old"):
        SaveData.from_dict({"save_version": 0, "story_id": "s", "story_fingerprint": "f"})
