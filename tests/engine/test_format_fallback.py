"""Fallback choices: offered only when no other choice of the scene is available."""

from __future__ import annotations

import pytest

from kissgame.engine import InvalidChoice, build_story, choose, current, new_game
from kissgame.engine.runtime import available_choice_ids
from kissgame.explorer import explore

MANIFEST = {"format": 1, "id": "t", "title": "T", "start": "hub", "vars": {"late": False},
            "endings": {"done": {"title": "Done"}, "late": {"title": "Late"}}}
SCENES = [
    {"id": "hub", "text": "Questions.", "choices": [
        {"label": "Ask one", "id": "one", "once": True, "reply": "One."},
        {"label": "Ask two", "id": "two", "once": True, "reply": "Two.", "do": "late = true"},
        {"label": "Locked", "id": "locked", "to": "out", "if": "false", "locked": "never"},
        {"fallback": True, "id": "late_out", "to": "late_end", "if": "late"},
        {"fallback": True, "to": "out"},
    ]},
    {"id": "out", "ending": "done", "text": "Out."},
    {"id": "late_end", "ending": "late", "text": "Late."},
]


def _story():
    story, diagnostics = build_story(MANIFEST, [("s.yaml", {"scenes": SCENES})])
    assert not diagnostics, [d.format() for d in diagnostics]
    return story


def _shown(story, state):
    return [(c.id, c.label, c.enabled) for c in current(story, state).choices]


def test_fallback_waits_until_everything_else_is_used():
    story = _story()
    state = new_game(story, seed=1)
    assert [c[0] for c in _shown(story, state)] == ["one", "two", "locked"]
    with pytest.raises(InvalidChoice):
        choose(story, state, "out")
    state = choose(story, state, "one")
    assert available_choice_ids(story, state) == ["two"]
    state = choose(story, state, "two")
    # only the locked choice is left: the first fallback whose condition holds is offered
    assert _shown(story, state) == [("locked", "Locked", False), ("late_out", "Continue", True)]
    assert available_choice_ids(story, state) == ["late_out"]
    assert choose(story, state, "late_out").scene == "late_end"


def test_explore_takes_fallbacks():
    report = explore(_story())
    assert report.endings["late"]
    assert ("hub", "out") in report.untaken_choices  # 'late' is always set by then


def test_fallback_must_be_true_or_false():
    bad = [{"id": "hub", "choices": [{"fallback": "yes", "to": "out", "label": "x"}]},
           {"id": "out", "ending": "done", "text": "x"}]
    _s, diagnostics = build_story(MANIFEST, [("s.yaml", {"scenes": bad})])
    assert [d.code for d in diagnostics] == ["KG002"]
