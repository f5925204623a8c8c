"""Calls and returns: a scene played as a subroutine comes back to where it was called
from, with the call stack part of the state (saves, rewind, explore, check, the graph)."""

from __future__ import annotations

import json

import pytest

from kissgame.checker import lint
from kissgame.engine import (
    GameState,
    StateFormatError,
    StoryRuntimeError,
    build_story,
    choose,
    current,
    fit_state,
    new_game,
    rewind,
)
from kissgame.engine.migrate import Fit
from kissgame.engine.runtime import MAX_CALL_DEPTH, choose_generic
from kissgame.explorer import explore
from kissgame.graph import to_dot, to_mermaid, to_text
from kissgame.liveness import StateKey

MANIFEST = {
    "format": 1, "id": "t", "title": "T", "start": "hub",
    "characters": {"yuri": {"name": "Yuri"}}, "vars": {"asked": 0},
    "endings": {"done": {"title": "Done"}},
}
SCENES = [
    {"id": "hub", "text": "The hallway.", "choices": [
        {"label": "Ask Yuri", "id": "ask", "call": "yuri", "once": True},
        {"label": "Go to class", "id": "class", "call": "yuri", "to": "classroom",
         "reply": "On the way, I spot Yuri."},
    ]},
    {"id": "yuri", "text": [{"yuri": "What?"}], "choices": [
        {"label": "Ask about Q", "to": "yuri_q"},
        {"label": "Never mind", "return": True, "reply": "I wave it off."},
    ]},
    {"id": "yuri_q", "text": [{"yuri": "Q? Ask Florian."}], "choices": [
        {"label": "Ask Florian too", "call": "florian"},
        {"label": "Thanks", "return": True, "do": "asked += 1"},
    ]},
    {"id": "florian", "text": "Florian winks.", "choices": [
        {"label": "Back", "return": True},
    ]},
    {"id": "classroom", "text": "Class. I asked {asked}.",
     "choices": [{"label": "Sit", "to": "out"}]},
    {"id": "out", "ending": "done", "text": "The end."},
]


def _story(scenes=SCENES, manifest=MANIFEST):
    story, diagnostics = build_story(manifest, [("s.yaml", {"scenes": scenes})])
    assert not diagnostics, [d.format() for d in diagnostics]
    return story


def _play(story, *ids, seed=1):
    state = new_game(story, seed=seed)
    for choice_id in ids:
        state = choose(story, state, choice_id)
    return state


def test_a_call_returns_to_the_calling_scene_with_its_once_only_choice_gone():
    story = _story()
    state = _play(story, "ask")
    assert (state.scene, state.calls) == ("yuri", ("hub",))
    state = choose(story, state, "return")
    assert (state.scene, state.calls) == ("hub", ())
    assert state.visits["hub"] == 2
    beat = current(story, state)
    assert [(line.text, line.reply) for line in beat.lines] == [
        ("I wave it off.", True), ("The hallway.", False)]
    assert [c.id for c in beat.choices] == ["class"]


def test_a_call_with_to_comes_back_there_through_the_called_scenes():
    story = _story()
    state = _play(story, "class")
    assert current(story, state).lines[0].text == "On the way, I spot Yuri."
    state = choose(story, choose(story, state, "yuri_q"), "return")
    assert (state.scene, state.calls, state.vars["asked"]) == ("classroom", (), 1)


def test_calls_nest_and_unwind_innermost_first():
    story = _story()
    state = _play(story, "class", "yuri_q", "florian")
    assert (state.scene, state.calls) == ("florian", ("classroom", "yuri_q"))
    state = choose(story, state, "return")
    assert (state.scene, state.calls) == ("yuri_q", ("classroom",))
    state = choose(story, state, "return")
    assert (state.scene, state.calls) == ("classroom", ())


def test_the_compiled_path_agrees_with_the_generic_one():
    story = _story()
    state = new_game(story, seed=1)
    for choice_id in ("class", "yuri_q", "florian", "return", "return", "out"):
        fast, slow = choose(story, state, choice_id), choose_generic(story, state, choice_id)
        assert fast == slow
        state = fast


def test_the_call_stack_round_trips_through_a_save_and_old_saves_load():
    story = _story()
    state = _play(story, "class", "yuri_q", "florian")
    saved = json.loads(json.dumps(state.to_dict()))
    assert saved["calls"] == ["classroom", "yuri_q"]
    assert GameState.from_dict(saved) == state
    old = _play(story).to_dict()
    assert "calls" not in old  # a state with no call pending saves as before
    assert GameState.from_dict(old).calls == ()


@pytest.mark.parametrize("calls", ["hub", [1], {"a": 1}])
def test_a_malformed_call_stack_is_refused(calls):
    data = _play(_story(), "ask").to_dict() | {"calls": calls}
    with pytest.raises(StateFormatError, match="calls"):
        GameState.from_dict(data)


def test_a_tampered_call_stack_is_repaired_with_a_note():
    story = _story()
    state = _play(story, "class", "yuri_q", "florian")
    tampered = GameState.from_dict(state.to_dict() | {"calls": ["nowhere", "yuri_q"]})
    fitted = fit_state(story, tampered)  # the path replays: the true stack comes back
    assert fitted.how is Fit.REPLAYED and fitted.state.calls == ("classroom", "yuri_q")
    kept = fit_state(story, tampered, replay_path=False)
    assert kept.state.calls == ("yuri_q",)
    assert any("calls" in note for note in kept.notes)
    deep = GameState.from_dict(state.to_dict() | {"calls": ["hub"] * (MAX_CALL_DEPTH + 5)})
    assert len(fit_state(story, deep, replay_path=False).state.calls) == MAX_CALL_DEPTH


def test_rewind_restores_the_call_stack():
    story = _story()
    state = _play(story, "class", "yuri_q", "florian", "return")
    assert rewind(story, state).calls == ("classroom", "yuri_q")
    assert rewind(story, state, 2).calls == ("classroom",)
    assert rewind(story, state, 4).calls == ()


RECURSIVE = [
    {"id": "hub", "text": "Hub.", "choices": [{"label": "In", "call": "deeper"},
                                              {"label": "Out", "to": "out"}]},
    {"id": "deeper", "text": "Deeper.", "choices": [
        {"label": "Again", "call": "deeper", "id": "again"},
        {"label": "Up", "return": True}]},
    {"id": "out", "ending": "done", "text": "The end."},
]


def test_the_depth_limit_is_a_located_runtime_error():
    story = _story(RECURSIVE)
    state = _play(story, "deeper", *["again"] * (MAX_CALL_DEPTH - 1))
    assert len(state.calls) == MAX_CALL_DEPTH
    with pytest.raises(StoryRuntimeError) as caught:
        choose(story, state, "again")
    assert caught.value.diagnostic.code == "KG307"
    assert caught.value.diagnostic.span.line == 1  # plain dicts are located at line 1
    for _ in range(MAX_CALL_DEPTH):  # and every pending call still returns
        state = choose(story, state, "return")
    assert (state.scene, state.calls) == ("hub", ())


def test_a_return_with_no_call_pending_is_a_located_runtime_error():
    scenes = [{"id": "hub", "text": "Hub.", "choices": [{"label": "Back", "return": True}]}]
    story = _story(scenes, MANIFEST | {"endings": {}})
    with pytest.raises(StoryRuntimeError) as caught:
        choose(story, new_game(story, seed=1), "return")
    assert caught.value.diagnostic.code == "KG308"


TWO_WAYS = [
    {"id": "hub", "text": "Hub.", "choices": [
        {"label": "A", "id": "a", "call": "sub", "to": "end_a"},
        {"label": "B", "id": "b", "call": "sub", "to": "end_b"}]},
    {"id": "sub", "text": "Sub.", "choices": [{"label": "Back", "return": True}]},
    {"id": "end_a", "ending": "a", "text": "A."},
    {"id": "end_b", "ending": "b", "text": "B."},
]
TWO_ENDINGS = MANIFEST | {"endings": {"a": {"title": "A"}, "b": {"title": "B"}}}


def test_explore_keeps_states_apart_by_their_call_stack_and_proves_endings_through_calls():
    story = _story(TWO_WAYS, TWO_ENDINGS)
    key = StateKey(story)
    via_a, via_b = _play(story, "a"), _play(story, "b")
    assert via_a.scene == via_b.scene and key(via_a) != key(via_b)
    report = explore(story)
    assert report.ok and report.exhaustive
    assert {name: list(path) for name, path in report.endings.items()} == {
        "a": ["a", "return"], "b": ["b", "return"]}
    assert explore(_story()).ok


def test_liveness_counts_what_is_read_after_a_return():
    scenes = [
        {"id": "hub", "text": "Hub.", "choices": [
            {"label": "Sub", "call": "sub", "to": "judge"}]},
        {"id": "sub", "text": "Sub.", "choices": [
            {"label": "Set", "id": "set", "do": "asked = 1", "to": "sub2"},
            {"label": "Skip", "id": "skip", "to": "sub2"}]},
        {"id": "sub2", "text": "Sub 2.", "choices": [{"label": "Back", "return": True}]},
        {"id": "judge", "text": "Judge.", "choices": [
            {"label": "Win", "if": "asked == 1", "to": "out"},
            {"label": "Lose", "if": "asked == 0", "to": "lost"}]},
        {"id": "out", "ending": "done", "text": "Won."},
        {"id": "lost", "ending": "lost", "text": "Lost."},
    ]
    story = _story(scenes, MANIFEST | {"endings": {"done": {"title": "D"},
                                                   "lost": {"title": "L"}}})
    key = StateKey(story)
    assert key(_play(story, "sub", "set")) != key(_play(story, "sub", "skip"))
    assert set(explore(story).endings) == {"done", "lost"}


def _codes(scenes, manifest=MANIFEST):
    story, diagnostics = build_story(manifest, [("s.yaml", {"scenes": scenes})])
    found = list(diagnostics) + (lint(story) if story is not None else [])
    return sorted(d.code for d in found if d.code >= "KG1")


def test_check_reports_calls_that_cannot_work():
    assert _codes(SCENES) == []
    unknown = [{"id": "hub", "text": "Hub.", "choices": [
        {"label": "In", "call": "nowhere"}, {"label": "Out", "call": "out", "to": "gone"}]},
        {"id": "out", "ending": "done", "text": "End."}]
    assert _codes(unknown).count("KG102") == 2
    stray = [{"id": "hub", "text": "Hub.", "choices": [
        {"label": "Back", "return": True}, {"label": "Out", "to": "out"}]},
        {"id": "out", "ending": "done", "text": "End."}]
    assert "KG121" in _codes(stray)
    both = [{"id": "hub", "text": "Hub.", "choices": [
        {"label": "Sub", "call": "sub", "to": "out"}, {"label": "Side", "to": "sub"}]},
        {"id": "sub", "text": "Sub.", "choices": [{"label": "Back", "return": True}]},
        {"id": "out", "ending": "done", "text": "End."}]
    assert "KG121" in _codes(both)  # 'sub' is reached without a call too
    oneway = [{"id": "hub", "text": "Hub.", "choices": [
        {"label": "Sub", "call": "sub", "to": "out"}]},
        {"id": "sub", "text": "Sub.", "choices": [{"label": "On", "to": "out2"}]},
        {"id": "out", "ending": "done", "text": "End."},
        {"id": "out2", "ending": "done", "text": "End too."}]
    assert "KG122" in _codes(oneway)
    assert _codes(RECURSIVE).count("KG123") == 1  # the call inside, not the way in


def test_the_fields_are_checked_where_they_are_written():
    bad = [{"id": "hub", "text": "Hub.", "choices": [
        {"label": "A", "return": "yes"},
        {"label": "B", "return": True, "call": "hub"},
        {"label": "C", "return": True, "to": "hub", "id": "c"}]}]
    assert _codes(bad + [])  # loaded at all
    story, diagnostics = build_story(MANIFEST, [("s.yaml", {"scenes": bad})])
    assert [d.code for d in diagnostics if d.code == "KG002"] == ["KG002"] * 3


def test_the_graph_shows_calls_and_returns():
    story = _story()
    text = to_text(story)
    assert "Go to class → call yuri, back to classroom" in text
    assert "Never mind → return (back to classroom, hub)" in text
    assert "Back → return (back to yuri_q)" in text
    assert '"hub" -> "yuri" [label="Ask Yuri (call)", arrowhead=diamond];' in to_dot(story)
    assert '"yuri" -> "classroom" [label="Never mind (return)", style=dotted];' in to_dot(story)
    assert 'hub ==>|"Ask Yuri (call)"| yuri' in to_mermaid(story)


def test_the_schema_and_the_editor_know_call_and_return():
    from kissgame.lsp.context import SCENES as WANT_SCENES
    from kissgame.lsp.context import context_at
    from kissgame.lsp.index import SCENE, index_text
    from kissgame.schema import FIELD_DOCS, story_schema

    choice = story_schema(_story())["$defs"]["choice"]
    assert "yuri_q" in choice["properties"]["call"]["enum"]
    assert choice["properties"]["return"] == {"const": True,
                                              "description": FIELD_DOCS["choice"]["return"]}
    assert {"required": ["label", "call"]} in choice["anyOf"]
    line = "      - {label: Ask, call: yu"
    found = context_at([line], 0, len(line), is_manifest=False)
    assert found is not None and (found.want, found.prefix) == (WANT_SCENES, "yu")
    text = ("scenes:\n  - id: a\n    choices:\n"
            "      - {label: Ask, call: yuri, to: b}\n      - {label: Back, return: true}\n")
    index = index_text(text, is_manifest=False)
    assert index is not None
    assert {o.name for o in index.occurrences if o.kind == SCENE} == {"a", "yuri", "b"}
    assert index.default_choice_targets == {"yuri"}  # the call's id is the scene it calls


def test_the_example_story_checks_and_explores_through_its_calls(capsys):
    from pathlib import Path

    from kissgame.__main__ import main

    example = Path(__file__).resolve().parents[2] / "examples" / "hall_pass"
    assert main(["check", str(example)]) == 0
    assert main(["explore", str(example)]) == 0
    out = capsys.readouterr().out
    assert "endings reached: 3/3" in out
    assert "dorm > roof > dae_thinks > return > found" in out


def test_a_save_slot_keeps_the_call_stack_and_a_tampered_one_loads_repaired(
        tmp_path, monkeypatch):
    from kissgame.saves import SaveData, SaveStore, restore

    monkeypatch.setenv("KISSGAME_HOME", str(tmp_path))
    story = _story()
    state = _play(story, "class", "yuri_q", "florian")
    store = SaveStore(story.id, tmp_path / "saves")
    store.write("1", story, state)
    loaded = store.read("1").data
    assert loaded is not None and loaded.state == state
    assert restore(story, loaded).state == state
    raw = json.loads(store.path("1").read_text())
    raw["state"]["calls"] = ["gone", "yuri_q"]
    raw["state"]["path"] = ["class", "yuri_q", "florian", "return", "out"]  # no longer replays
    restored = restore(story, SaveData.from_dict(raw))
    assert restored.state.scene == "florian" and restored.state.calls == ("yuri_q",)
    assert any("calls" in note for note in restored.notes)
    raw["state"]["calls"] = [7]
    assert store.folder.joinpath("2.json").write_text(json.dumps(raw))
    assert store.read("2").damaged


def test_explore_in_worker_processes_carries_the_call_stack(monkeypatch):
    import multiprocessing

    from kissgame import explorer

    if "fork" not in multiprocessing.get_all_start_methods():
        pytest.skip("no fork here: explore runs in one process")
    monkeypatch.setattr(explorer, "PARALLEL_MIN", 1)  # every level goes to the workers
    story = _story(TWO_WAYS, TWO_ENDINGS)
    one, two = explore(story, jobs=1), explore(story, jobs=2)
    assert two.endings == one.endings == {"a": ["a", "return"], "b": ["b", "return"]}
    assert two.states_explored == one.states_explored


def test_a_fallback_return_comes_back_by_itself_once_every_question_is_spent():
    scenes = [
        {"id": "hub", "text": "Hub.", "choices": [
            {"label": "Ask Yuri", "call": "yuri", "id": "ask"},
            {"label": "Leave", "to": "out"}]},
        {"id": "yuri", "text": "Yuri.", "choices": [
            {"label": "About Q", "id": "q", "once": True, "reply": "Q left."},
            {"fallback": True, "return": True, "reply": "Nothing more to ask."}]},
        {"id": "out", "ending": "done", "text": "The end."},
    ]
    story = _story(scenes)
    state = _play(story, "ask", "q")  # the only question spent: the fallback returns
    assert (state.scene, state.calls) == ("hub", ())
    assert "Nothing more to ask." in [line.text for line in current(story, state).lines]
    assert rewind(story, state).calls == ("hub",)
    assert explore(story).ok


def test_the_search_steering_toward_an_ending_counts_steps_through_returns():
    from kissgame.explorer import _Guide

    story = _story(TWO_WAYS, TWO_ENDINGS)
    assert _Guide(story, "b").distance == {"end_b": 0, "sub": 1, "hub": 2}


def test_a_session_saves_loads_and_rewinds_inside_a_call(tmp_path, monkeypatch):
    from kissgame.saves import SaveStore
    from kissgame.session import Session

    monkeypatch.setenv("KISSGAME_HOME", str(tmp_path))
    story = _story()
    session = Session(story, saves=SaveStore(story.id, tmp_path / "saves"), seed=3,
                      remember=False)
    try:
        session.new_game()
        for choice_id in ("class", "yuri_q", "florian"):
            session.choose(choice_id)
        session.save("1")
        session.choose("return")
        assert session.state.calls == ("classroom",)
        assert session.rewind().calls == ("classroom", "yuri_q")
        session.choose("return")
        session.choose("return")
        assert session.state.scene == "classroom" and session.state.calls == ()
        assert session.load_slot("1") == ()
        assert session.state.scene == "florian"
        assert session.state.calls == ("classroom", "yuri_q")
    finally:
        session.close()
