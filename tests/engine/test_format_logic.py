"""Logic in effects: conditional effects, if(c, a, b) and count(...)."""

from __future__ import annotations

import pytest

from kissgame.engine import build_story, choose, current, new_game, rewind
from kissgame.explorer import explore

MANIFEST = {
    "format": 1, "id": "t", "title": "T", "start": "a",
    "vars": {"trust": 0, "lied": False, "honest": False, "clue": {"a": False, "b": False,
                                                                  "c": False},
             "mood": "calm"},
    "endings": {"done": {"title": "Done"}, "solved": {"title": "Solved"}},
}


def _story(scenes: list[dict], manifest: dict | None = None):
    return build_story(manifest or MANIFEST, [("s.yaml", {"scenes": scenes})])


def _built(scenes: list[dict]):
    story, diagnostics = _story(scenes)
    assert not diagnostics, [d.format() for d in diagnostics]
    return story


SCENES = [
    {"id": "a", "text": "Trust {trust}, {if(trust >= 2, 'warm', 'cold')}; {mood}.",
     "choices": [
         {"label": "Lie", "id": "lie", "to": "a", "once": True, "do": "lied = true"},
         {"label": "Find a", "id": "fa", "to": "a", "once": True, "do": "clue.a = true"},
         {"label": "Find b", "id": "fb", "to": "a", "once": True, "do": "clue.b = true"},
         {"label": "Talk", "id": "talk", "to": "a", "do": [
             "trust += 1",
             {"if": "lied", "then": ["trust -= 2", "mood = 'tense'"],
              "else": [{"if": "trust >= 2", "then": "honest = true"}]},
         ]},
         {"label": "Accuse", "id": "accuse", "to": "b",
          "if": "count(clue.a, clue.b, clue.c) >= 2"},
         {"label": "Leave", "id": "leave", "to": "c"},
     ]},
    {"id": "b", "ending": "solved", "text": "Solved with {count(clue.a, clue.b, clue.c)}."},
    {"id": "c", "ending": "done", "text": "Bye."},
]


def test_conditional_effect_takes_then_or_else():
    story = _built(SCENES)
    state = new_game(story, seed=1)
    state = choose(story, state, "talk")
    assert state.vars["trust"] == 1 and state.vars["honest"] is False
    state = choose(story, state, "talk")
    assert state.vars["trust"] == 2 and state.vars["honest"] is True  # nested if, else side
    lied = choose(story, choose(story, new_game(story, seed=1), "lie"), "talk")
    assert lied.vars["trust"] == -1 and lied.vars["mood"] == "tense"
    assert lied.vars["honest"] is False
    assert rewind(story, lied).vars["trust"] == 0


def test_condition_is_decided_once_at_the_start_of_its_entry():
    flip = [{"id": "a", "choices": [{"label": "Flip", "id": "flip", "to": "c", "do": [
        {"if": "lied", "then": "lied = false", "else": "lied = true"}]}]},
        {"id": "c", "ending": "done", "text": "x"}]
    story = _built(flip)
    assert choose(story, new_game(story, seed=1), "flip").vars["lied"] is True


def test_if_expression_and_count_in_text_and_conditions():
    story = _built(SCENES)
    state = new_game(story, seed=1)
    assert current(story, state).lines[0].text == "Trust 0, cold; calm."
    assert "accuse" not in [c.id for c in current(story, state).choices]
    state = choose(story, choose(story, state, "fa"), "fb")
    assert "accuse" in [c.id for c in current(story, state).choices]
    end = choose(story, state, "accuse")
    assert current(story, end).lines[0].text == "Solved with 2."
    for _ in range(2):
        state = choose(story, state, "talk")
    assert current(story, state).lines[0].text == "Trust 2, warm; calm."


def test_explore_reaches_what_only_conditional_effects_allow():
    story = _built(SCENES)
    report = explore(story)
    assert all(report.endings[e] for e in ("done", "solved"))


@pytest.mark.parametrize(("do", "message"), [
    ([{"if": "trust", "then": "lied = true"}], "a condition must be true or false"),
    ([{"if": "lied", "then": "mood = 3"}], "'mood' is a string"),
    ([{"if": "lied"}], "needs 'then' or 'else'"),
    ([{"if": "lied", "then": "x = 1", "otherwise": "y = 2"}], "takes if/then/else"),
    (["trust = if(lied, 1, 'x')"], "both sides must have one type"),
    (["trust = if(trust, 1, 2)"], "if() needs a true/false condition"),
    (["trust = count(trust, lied)"], "count() needs a bool"),
    (["trust = 1 if lied else 2"], "write if(c, x, y)"),
])
def test_mistakes_are_located_errors(do, message):
    scenes = [{"id": "a", "choices": [{"label": "Go", "id": "go", "to": "c", "do": do}]},
              {"id": "c", "ending": "done", "text": "x"}]
    _story_, diagnostics = _story(scenes)
    assert any(message in d.message for d in diagnostics), [d.format() for d in diagnostics]
    assert all(d.span.line for d in diagnostics)


def test_if_in_quoted_text_is_not_a_call():
    story = _built([{"id": "a", "text": "{'if(' + mood}", "next": "c"},
                    {"id": "c", "ending": "done", "text": "x"}])
    assert current(story, new_game(story, seed=1)).lines[0].text == "if(calm"
