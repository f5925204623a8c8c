"""The compiled views (engine/compiled.py) show exactly what the generic path shows."""

from __future__ import annotations

import dataclasses
import random
from pathlib import Path

import pytest

from kissgame.engine import InvalidChoice, build_story, choose, current, new_game
from kissgame.engine.runtime import choose_generic, current_generic
from kissgame.loader import load_story
from kissgame.resources import default_story_root

MANIFEST = {
    "format": 1, "id": "t", "title": "T", "start": "a",
    "characters": {"q": {"name": "Q", "color": "#00ff00"}},
    "vars": {"x": {"value": 0, "min": 0, "max": 3}, "flag": {"seen": False}, "name": "Kit"},
    "endings": {"done": {"title": "Done", "turns_on": "t", "hint": "h"}},
}
SCENES = {"scenes": [
    {"id": "a", "title": "Start", "on_enter": "x += 1",
     "text": ["Hello {name}. {if x > 1}Again!{else}First time.{end}", {"q": "Hi, {name}!"},
              {"if": "flag.seen", "then": "You have seen it.", "else": ["Not yet."]}],
     "choices": [
         {"label": "Loop", "to": "a", "once": True, "do": "flag.seen = true"},
         {"label": "Push x to {x}", "id": "push", "to": "c", "do": "x += 5"},
         {"label": "Locked", "id": "locked", "to": "b", "if": "x >= 3", "locked": "needs x"},
         {"label": "Locked {x}", "id": "locked2", "to": "c", "if": "x >= 2", "locked": "x 2"},
         {"label": "Hidden", "id": "hidden", "to": "b", "if": "x >= 99"},
         {"label": "Finish", "to": "b"},
     ]},
    {"id": "c", "text": "Plain text.", "choices": [{"label": "Back", "to": "a"}]},
    {"id": "b", "ending": "done", "text": "The end, {name}."},
]}


def walk_both(story, seed: int, steps: int) -> int:
    """Play one random path with both paths side by side; count the choices compared."""
    rng = random.Random(seed)
    state = new_game(story, seed)
    compared = 0
    for _ in range(steps):
        beat = current(story, state)
        assert beat == current_generic(story, state)
        if beat.ended:
            state = new_game(story, seed)
            continue
        ids = [c.id for c in beat.choices if c.enabled]
        pick = rng.choice(ids)
        after = choose(story, state, pick)
        assert after == choose_generic(story, state, pick)
        for view in beat.choices:
            if not view.enabled:  # a locked choice is refused by both, with the same message
                with pytest.raises(InvalidChoice) as fast:
                    choose(story, state, view.id)
                with pytest.raises(InvalidChoice) as slow:
                    choose_generic(story, state, view.id)
                assert str(fast.value) == str(slow.value)
        state = after
        compared += 1
    return compared


def test_views_match_the_generic_path_on_the_built_in_story():
    story = load_story(default_story_root()).story
    assert story is not None
    assert sum(walk_both(story, seed, 150) for seed in range(12)) > 1000


EXAMPLES = sorted(p.parent for p in
                  (Path(__file__).resolve().parents[2] / "examples").glob("*/story.yaml"))


@pytest.mark.parametrize("root", EXAMPLES, ids=[p.name for p in EXAMPLES])
def test_views_match_on_every_example(root):
    # the examples show the newer syntax: replies, conditional effects, fallbacks, variations
    story = load_story(root).story
    assert story is not None
    assert sum(walk_both(story, seed, 60) for seed in range(20)) > 300


def test_views_match_on_once_locked_hidden_and_varying_text():
    story, diagnostics = build_story(MANIFEST, [("s.yaml", SCENES)])
    assert not diagnostics
    assert sum(walk_both(story, seed, 40) for seed in range(20)) > 200
    state = new_game(story, 1)
    state = choose(story, state, story.scenes["a"].choices[0].id)  # the once-only loop
    for take in (choose, choose_generic):
        with pytest.raises(InvalidChoice, match="already taken"):
            take(story, state, story.scenes["a"].choices[0].id)
        with pytest.raises(InvalidChoice, match="has no choice"):
            take(story, state, "nope")


def test_a_new_story_object_gets_its_own_views():
    a, _ = build_story(MANIFEST, [("s.yaml", SCENES)])
    changed = {"scenes": [dict(SCENES["scenes"][0], text="Changed."), SCENES["scenes"][1]]}
    b, _ = build_story(MANIFEST, [("s.yaml", changed)])
    state = new_game(a, 1)
    assert current(a, state).lines[0].text.startswith("Hello")
    assert [line.text for line in current(b, state).lines] == ["Changed."]


def test_a_story_played_and_let_go_is_freed_with_its_views():
    """A live reload builds a new Story each time; the old one (and everything compiled
    from it) must not stay in memory for the rest of the process."""
    import gc
    import weakref

    from kissgame.engine import compiled

    def play_a_while() -> weakref.ref:
        story = load_story(default_story_root()).story
        assert story is not None
        walk_both(story, seed=3, steps=200)
        return weakref.ref(story)

    gone = [play_a_while() for _ in range(3)]
    gc.collect()
    assert [ref() for ref in gone] == [None, None, None]
    assert not any(views.ref() is None for views in compiled._VIEWS.values())


# Every kind of value the compiled functions handle themselves or leave to the generic
# rule: bounds reached (clamping), fractions, text, dice, visit counts, once marks,
# expressions as values, effects that fail.
TYPED_MANIFEST = {
    "format": 1, "id": "typed", "title": "Typed", "start": "hub",
    "vars": {"n": {"value": 0, "min": 0, "max": 4}, "f": 0.5, "on": False, "name": "Kit",
             "big": 0},
    "endings": {"done": {"title": "Done", "turns_on": "t", "hint": "h"}},
}
TYPED_SCENES = {"scenes": [
    {"id": "hub", "on_enter": "big += 3",
     "text": ["n is {n}, f is {f}, on is {on}, {name}; {if visits('hub') > 2}often{else}new{end}.",
              {"if": "n >= 2 and not on", "then": "Two or more, off.", "else": "Else {n * 2}."}],
     "choices": [
         {"label": "Up {n}", "id": "up", "to": "hub", "do": "n += 1"},
         {"label": "Down", "id": "down", "to": "hub", "do": "n -= 2", "if": "n > 0 or on",
          "locked": "nothing to take"},
         {"label": "Half", "id": "half", "to": "hub", "do": "f += 0.25; n = n + 1"},
         {"label": "Flip", "id": "flip", "to": "hub", "do": "on = not on; name += '!'"},
         {"label": "Roll", "id": "roll", "to": "hub", "do": "n = random(0, 9)",
          "if": "chance(70)"},
         {"label": "Seen", "id": "seen", "to": "hub", "if": "visited('side') and n != 3"},
         {"label": "Side", "id": "side", "to": "side", "once": True},
         {"label": "Blow up", "id": "boom", "to": "hub", "do": "big = big * 2000000000000000"},
         {"label": "End", "id": "end", "to": "end", "if": "visits('hub') >= 6"},
         {"label": "One", "id": "one", "to": "one"},
         {"label": "Two", "id": "two", "to": "two"},
         {"label": "Three", "id": "three", "to": "three"},
     ]},
    # beats that read one, two and three variables (each has its own memo key)
    {"id": "one", "text": "On is {on}.", "choices": [{"label": "Back", "to": "hub"}]},
    {"id": "two", "text": "{n} and {on}.", "choices": [{"label": "Back", "to": "hub"}]},
    {"id": "three", "text": "{n}, {on}, {f}.", "choices": [
        {"label": "Back", "to": "hub", "if": "f > 0.5"}, {"label": "On", "to": "four"}]},
    {"id": "four", "text": "{n}, {on}, {f}, {name}.", "choices": [{"label": "Back", "to": "hub"}]},
    {"id": "side", "text": "Side, {visits('hub')} visits.",
     "choices": [{"label": "Back", "to": "hub", "do": "n = n - 1"}]},
    {"id": "end", "ending": "done", "text": "The end, {name}."},
]}


def _typed_story():
    story, diagnostics = build_story(TYPED_MANIFEST, [("s.yaml", TYPED_SCENES)])
    assert not [d for d in diagnostics if d.severity == "error"], diagnostics
    return story


def _same_outcome(story, state, choice_id):
    """choose and choose_generic give equal states, or fail with the same error."""
    outcomes = []
    for take in (choose, choose_generic):
        try:
            outcomes.append(("state", take(story, state, choice_id)))
        except Exception as exc:  # noqa: BLE001 - comparing whatever either raises
            outcomes.append((type(exc).__name__, str(exc)))
    assert outcomes[0] == outcomes[1], outcomes
    return outcomes[0]


def test_views_match_on_bounds_fractions_text_dice_and_failing_effects():
    story = _typed_story()
    outcomes = []
    for seed in range(40):  # every choice, enabled or not, from states along random paths
        rng = random.Random(seed)
        state = new_game(story, seed)
        for _ in range(30):
            assert current(story, state) == current_generic(story, state)
            if current(story, state).ended:
                break
            for choice in story.scenes[state.scene].choices:
                outcomes.append(_same_outcome(story, state, choice.id)[0])
            ids = [c.id for c in current(story, state).choices if c.enabled and c.id != "boom"]
            state = choose(story, state, rng.choice(ids))
    # states, refusals and the failing effect were all compared
    assert {"state", "InvalidChoice", "StoryRuntimeError"} <= set(outcomes)
    assert len(outcomes) > 2000


@pytest.mark.parametrize("scene", ["hub", "one", "two", "three", "four", "side"])
@pytest.mark.parametrize("vars", [
    {"n": True}, {"n": 1.0}, {"n": 2.5}, {"n": "2"}, {"on": 1}, {"on": 0.0}, {"name": 7},
    {"f": True}, {"n": 9}, {"n": -3}, {"big": 2**53},
])
def test_views_match_on_states_edited_to_hold_other_types(vars, scene):
    """A save edited by hand, or the debug overlay, can put any value in a variable: the
    screen and every choice are still what the generic path gives (1, 1.0 and True look
    alike to a memo but do not show alike)."""
    story = _typed_story()
    state = dataclasses.replace(new_game(story, 1), scene=scene)
    plain = current(story, state)  # fills the memo with the well-typed state's beat
    edited = dataclasses.replace(state, vars={**state.vars, **vars})
    for s in (edited, state, edited):
        try:
            fast = current(story, s)
        except Exception as exc:  # noqa: BLE001
            with pytest.raises(type(exc)) as slow:
                current_generic(story, s)
            assert str(slow.value) == str(exc)
        else:
            assert fast == current_generic(story, s)
        for choice in story.scenes[s.scene].choices:
            _same_outcome(story, s, choice.id)
    assert current(story, state) == plain


def test_a_missing_variable_fails_alike():
    story = _typed_story()
    state = new_game(story, 1)
    gone = dataclasses.replace(state, vars={k: v for k, v in state.vars.items() if k != "n"})
    for choice in story.scenes["hub"].choices:
        _same_outcome(story, gone, choice.id)
    with pytest.raises(Exception) as fast:
        current(story, gone)
    with pytest.raises(type(fast.value)) as slow:
        current_generic(story, gone)
    assert str(fast.value) == str(slow.value)


def test_a_successor_state_is_the_same_frozen_value():
    from kissgame.engine.state import GameState, successor

    story = _typed_story()
    state = choose(story, new_game(story, 5), "up")
    assert type(state) is GameState
    with pytest.raises(dataclasses.FrozenInstanceError):
        state.scene = "side"  # type: ignore[misc]
    called = dataclasses.replace(state, calls=("back",))
    made = successor(called, "side", {"n": 1}, {"side": 1}, frozenset(), 9, ("x",), None)
    assert made == dataclasses.replace(called, scene="side", vars={"n": 1}, visits={"side": 1},
                                       once=frozenset(), turn=9, path=("x",), reply=None,
                                       passed=())
    for field in dataclasses.fields(GameState):  # every slot is filled: none raises
        getattr(made, field.name)
    assert made.calls == ("back",) and made.seed == called.seed  # kept, not given
    assert GameState.from_dict(made.to_dict()) == made
