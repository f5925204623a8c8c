"""Fallback choices: taken by themselves when no other choice of the scene is available
(ink's fallback), so the player never has to press "Continue"."""

from __future__ import annotations

import pytest

from kissgame.engine import (
    GameState,
    InvalidChoice,
    StoryRuntimeError,
    build_story,
    choose,
    current,
    new_game,
)
from kissgame.engine.runtime import available_choice_ids, current_generic, rewind
from kissgame.explorer import explore

MANIFEST = {"format": 1, "id": "t", "title": "T", "start": "hub", "vars": {"late": False},
            "endings": {"done": {"title": "Done"}, "late": {"title": "Late"}}}
SCENES = [
    {"id": "hub", "text": "Questions.", "choices": [
        {"label": "Ask one", "id": "one", "once": True, "reply": "One."},
        {"label": "Ask two", "id": "two", "once": True, "reply": "Two.", "do": "late = true"},
        {"label": "Locked", "id": "locked", "to": "out", "if": "false", "locked": "never"},
        {"fallback": True, "id": "late_out", "to": "late_end", "if": "late",
         "reply": "The bell rings."},
        {"fallback": True, "to": "out"},
    ]},
    {"id": "out", "ending": "done", "text": "Out."},
    {"id": "late_end", "ending": "late", "text": "Late."},
]


def _story(scenes=SCENES, manifest=MANIFEST):
    story, diagnostics = build_story(manifest, [("s.yaml", {"scenes": scenes})])
    assert not [d for d in diagnostics if d.severity == "error"], \
        [d.format() for d in diagnostics]
    return story


def _shown(story, state):
    return [(c.id, c.label, c.enabled) for c in current(story, state).choices]


def test_fallback_is_never_shown_and_cannot_be_chosen_while_others_are_available():
    story = _story()
    state = new_game(story, seed=1)
    assert [c[0] for c in _shown(story, state)] == ["one", "two", "locked"]
    with pytest.raises(InvalidChoice):
        choose(story, state, "out")
    state = choose(story, state, "one")
    assert available_choice_ids(story, state) == ["two"]


def test_fallback_is_taken_by_itself_when_nothing_else_is_left():
    story = _story()
    state = choose(story, choose(story, new_game(story, seed=1), "one"), "two")
    # only the locked choice was left: the first fallback whose condition holds was taken
    assert state.scene == "late_end"
    assert state.path == ("one", "two")  # the player's choices only
    assert [str(k) for k in state.passed] == ["hub/late_out"]
    beat = current(story, state)
    # the reply, the scene passed through, the fallback's reply, then the target
    assert [(line.text, line.reply) for line in beat.lines] == [
        ("Two.", True), ("Questions.", True), ("The bell rings.", True), ("Late.", False)]
    assert beat == current_generic(story, state)  # compiled views agree
    assert beat.ended and not beat.choices


def test_rewind_and_saves_keep_what_was_passed():
    story = _story()
    state = choose(story, choose(story, new_game(story, seed=1), "one"), "two")
    assert GameState.from_dict(state.to_dict()) == state
    assert rewind(story, state).scene == "hub"  # back to the player's last decision
    assert rewind(story, state).passed == ()
    assert "passed" not in new_game(story, seed=1).to_dict()


def test_a_story_may_start_with_a_fallback_and_chains_follow():
    scenes = [
        {"id": "intro", "text": "Morning.", "choices": [{"fallback": True, "to": "bus"}]},
        {"id": "bus", "text": "The bus.", "choices": [{"fallback": True, "to": "hub"}]},
        {"id": "hub", "text": "School.", "choices": [{"label": "Go", "to": "out"}]},
        {"id": "out", "ending": "done", "text": "Out."},
    ]
    story = _story(scenes, {**MANIFEST, "start": "intro"})
    state = new_game(story, seed=1)
    assert state.scene == "hub" and state.turn == 2
    assert [line.text for line in current(story, state).lines] == [
        "Morning.", "The bus.", "School."]
    assert state.visits == {"intro": 1, "bus": 1, "hub": 1}


def test_a_fallback_that_never_ends_is_a_located_runtime_error():
    scenes = [
        {"id": "hub", "text": "Round.", "choices": [
            {"label": "Once", "once": True, "to": "hub", "id": "once"},
            {"fallback": True, "to": "hub", "id": "again"}]},
        {"id": "out", "ending": "done", "text": "Out."},
    ]
    story = _story(scenes)
    state = new_game(story, seed=1)
    with pytest.raises(StoryRuntimeError) as err:
        choose(story, state, "once")
    assert err.value.diagnostic.code == "KG306"
    assert err.value.diagnostic.span.line == story.scenes["hub"].choices[1].span.line


def test_explore_takes_fallbacks():
    report = explore(_story())
    assert report.endings["late"]
    assert ("hub", "late_out") not in report.untaken_choices
    assert ("hub", "out") in report.untaken_choices  # 'late' is always set by then
    assert not report.dead_ends


def test_fallback_must_be_true_or_false():
    bad = [{"id": "hub", "choices": [{"fallback": "yes", "to": "out", "label": "x"}]},
           {"id": "out", "ending": "done", "text": "x"}]
    _s, diagnostics = build_story(MANIFEST, [("s.yaml", {"scenes": bad})])
    assert [d.code for d in diagnostics] == ["KG002"]


def test_debug_overlay_lists_a_waiting_fallback():
    from kissgame.devtools import hidden_choices

    story = _story()
    state = new_game(story, seed=1)
    hidden = {h.id: h for h in hidden_choices(story, state)}
    assert hidden["out"].waiting and "fallback" in hidden["out"].reason
    assert not hidden["late_out"].waiting  # its own condition is false: named as usual
    assert hidden["late_out"].reason == "late"


def test_a_path_recorded_when_fallbacks_were_shown_still_replays():
    from kissgame.engine.runtime import replay
    from kissgame.recording import Recording, run_recording

    story = _story()
    old, new = ["one", "two", "late_out"], ["one", "two"]
    assert replay(story, 1, old)[-1] == replay(story, 1, new)[-1]
    then, now = (run_recording(story, Recording("t", 1, path, "late")) for path in (old, new))
    assert then.ok and now.ok and then.golden == now.golden
    # a choice that is no fallback taken on the way still diverges
    broken = run_recording(story, Recording("t", 1, ["one", "two", "out"], "late"))
    assert not broken.ok and "step 3" in broken.problem
