"""Replies on a choice: text shown after it is taken, before the target scene's own."""

from __future__ import annotations

import json

from kissgame.engine import GameState, build_story, choose, current, new_game, rewind
from kissgame.explorer import explore

MANIFEST = {
    "format": 1, "id": "t", "title": "T", "start": "hub",
    "characters": {"yuri": {"name": "Yuri"}}, "vars": {"asked": 0},
    "endings": {"done": {"title": "Done"}},
}
SCENES = [
    {"id": "hub", "text": "The hallway.", "choices": [
        {"label": "Ask about Q", "id": "ask_q", "once": True, "do": "asked += 1",
         "reply": [{"yuri": "Q? He was here at lunch."},
                   {"if": "asked >= 2", "then": "That's all she knows."}]},
        {"label": "Ask about the note", "id": "ask_note", "once": True, "do": "asked += 1",
         "reply": "She shrugs. {if asked >= 2}Nothing more to ask.{end}"},
        {"label": "Leave", "to": "out", "reply": "I walk away."},
    ]},
    {"id": "out", "ending": "done", "text": "Outside."},
]


def _story():
    story, diagnostics = build_story(MANIFEST, [("s.yaml", {"scenes": SCENES})])
    assert not diagnostics, [d.format() for d in diagnostics]
    return story


def _lines(story, state):
    return [(line.text, line.reply) for line in current(story, state).lines]


def test_reply_shows_then_the_same_scene_without_the_used_choice():
    story = _story()
    state = choose(story, new_game(story, seed=1), "ask_q")
    assert state.scene == "hub"
    assert _lines(story, state) == [("Q? He was here at lunch.", True), ("The hallway.", False)]
    assert [c.id for c in current(story, state).choices] == ["ask_note", "out"]
    state = choose(story, state, "ask_note")
    assert _lines(story, state)[0] == ("She shrugs. Nothing more to ask.", True)


def test_reply_before_another_scene_and_only_once():
    story = _story()
    state = choose(story, new_game(story, seed=1), "out")
    assert _lines(story, state) == [("I walk away.", True), ("Outside.", False)]


def test_reply_survives_saves_and_rewind():
    story = _story()
    state = choose(story, choose(story, new_game(story, seed=1), "ask_q"), "ask_note")
    again = GameState.from_dict(json.loads(json.dumps(state.to_dict())))
    assert again == state and _lines(story, again) == _lines(story, state)
    back = rewind(story, state)
    assert _lines(story, back)[0] == ("Q? He was here at lunch.", True)
    assert "reply" not in new_game(story, seed=1).to_dict()


def test_explore_follows_reply_choices():
    report = explore(_story())
    assert report.endings["done"] and not report.untaken_choices


def test_a_reply_with_an_unknown_speaker_is_located():
    bad = [{"id": "hub", "choices": [{"label": "Ask", "id": "ask", "reply": [{"yuro": "Hi"}]},
                                     {"label": "Go", "to": "out"}]},
           {"id": "out", "ending": "done", "text": "x"}]
    _s, diagnostics = build_story(MANIFEST, [("s.yaml", {"scenes": bad})])
    assert [d.code for d in diagnostics] == ["KG011"]
    assert "did you mean 'yuri'" in diagnostics[0].message


def test_a_choice_without_to_or_reply_is_an_error():
    bad = [{"id": "hub", "choices": [{"label": "Ask"}, {"label": "Go", "to": "out"}]},
           {"id": "out", "ending": "done", "text": "x"}]
    _s, diagnostics = build_story(MANIFEST, [("s.yaml", {"scenes": bad})])
    assert [d.code for d in diagnostics] == ["KG004"]
