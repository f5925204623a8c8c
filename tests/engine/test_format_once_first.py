"""Yarn-style text: ``once`` lines (shown on the first visit to their scene) and ``first``
line groups (the first item whose condition holds, else the last item)."""

from __future__ import annotations

from kissgame.engine import GameState, build_story, choose, current, new_game
from kissgame.engine.runtime import current_generic, rewind
from kissgame.explorer import explore

MANIFEST = {"format": 1, "id": "t", "title": "T", "start": "hall",
            "vars": {"mood": {"value": 0, "min": -1, "max": 3}},
            "characters": {"yuri": {"name": "Yuri"}},
            "endings": {"done": {"title": "Done"}}}
SCENES = [
    {"id": "hall", "text": [
        {"once": "The paint is still wet."},
        "The hall.",
        {"first": [
            {"if": "mood >= 2", "then": [{"yuri": "Back again? Good."}]},
            {"once": "Yuri looks up from her book."},
            {"if": "mood == 1", "then": "Yuri nods."},
            "Yuri reads on.",
        ]},
    ], "choices": [
        {"label": "Wave", "id": "wave", "do": "mood += 1", "reply": "I wave."},
        {"label": "Wait", "id": "wait", "reply": "I wait."},
        {"label": "Go", "to": "out"},
    ]},
    {"id": "out", "ending": "done", "text": "Out."},
]


def _story(scenes=SCENES):
    story, diagnostics = build_story(MANIFEST, [("s.yaml", {"scenes": scenes})])
    assert not diagnostics, [d.format() for d in diagnostics]
    return story


def _text(story, state):
    return [line.text for line in current(story, state).lines if not line.reply]


def test_once_lines_show_on_the_first_visit_only_and_groups_pick_the_first_that_holds():
    story = _story()
    state = new_game(story, seed=1)
    assert _text(story, state) == ["The paint is still wet.", "The hall.",
                                   "Yuri looks up from her book."]
    state = choose(story, state, "wave")  # mood 1, second visit: no once lines
    assert _text(story, state) == ["The hall.", "Yuri nods."]
    state = choose(story, state, "wave")  # mood 2: the first item holds, with its speaker
    beat = current(story, state)
    assert [(line.speaker, line.text) for line in beat.lines if not line.reply] == [
        (None, "The hall."), ("yuri", "Back again? Good.")]
    assert beat == current_generic(story, state)


def test_the_fallback_item_shows_when_nothing_holds():
    scenes = [dict(SCENES[0], on_enter="mood = -1"), SCENES[1]]
    story = _story(scenes)
    state = choose(story, new_game(story, seed=1), "wave")
    assert _text(story, state) == ["The hall.", "Yuri reads on."]


def test_once_lines_are_rewind_safe_and_saved():
    story = _story()
    first = new_game(story, seed=1)
    later = choose(story, first, "wave")
    assert _text(story, rewind(story, later)) == _text(story, first)
    assert _text(story, GameState.from_dict(later.to_dict())) == _text(story, later)


def test_explore_shows_every_item():
    story = _story()
    report = explore(story)
    arms = report.arms
    assert arms is not None
    unshown = [arms.arms[i].condition for i in range(len(arms.arms))
               if i not in report.arms_shown]
    assert unshown == []


def _codes(scenes):
    _s, diagnostics = build_story(MANIFEST, [("s.yaml", {"scenes": scenes})])
    return [(d.code, d.message) for d in diagnostics]


def test_mistakes_are_named():
    def scene(text):
        return [{"id": "hall", "text": text, "choices": [{"label": "Go", "to": "out"}]},
                SCENES[1]]

    found = _codes(scene([{"first": ["Always.", {"if": "mood > 1", "then": "Never."}]}]))
    assert found and found[0][0] == "KG002" and "must come last" in found[0][1]
    assert _codes(scene([{"first": [{"if": "mood > 1", "then": "x", "else": "y"}]}]))[0][0] \
        == "KG003"
    assert _codes(scene([{"first": "Not a list."}]))[0][0] == "KG002"
    reply_once = [{"id": "hall", "text": "x", "choices": [
        {"label": "Go", "to": "out", "reply": [{"once": "No."}]}]}, SCENES[1]]
    assert _codes(reply_once)[0][0] == "KG002"
