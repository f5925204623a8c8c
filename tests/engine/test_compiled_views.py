"""The compiled views (engine/compiled.py) show exactly what the generic path shows."""

from __future__ import annotations

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
