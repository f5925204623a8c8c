"""Property tests over random stories: loading never crashes, play is deterministic."""

from __future__ import annotations

import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kissgame.engine import GameState, available_choice_ids, build_story, choose, current, new_game

VARS = ["a", "b", "flag.c"]
scene_ids = st.sampled_from(["s0", "s1", "s2", "s3", "s4", "end"])
atoms = st.sampled_from(["a > 1", "b <= 2", "flag.c", "not flag.c", "visits('s1') > 0",
                         "random(1, 6) > 3", "a + b == 3", "chance(50)"])
conditions = st.one_of(atoms, st.tuples(atoms, atoms).map(lambda t: f"{t[0]} and {t[1]}"))
effects = st.sampled_from(["a += 1", "b -= 1", "flag.c = true", "a = random(0, 3)",
                           "b = max(a, 2)", "flag.c = not flag.c"])
choice = st.fixed_dictionaries(
    {"label": st.text(st.characters(blacklist_characters="{}"), min_size=1, max_size=10),
     "to": scene_ids},
    optional={"if": conditions, "do": effects, "once": st.booleans()},
)


@st.composite
def stories(draw):
    scenes = []
    for sid in ["s0", "s1", "s2", "s3", "s4"]:
        choices = draw(st.lists(choice, min_size=1, max_size=4))
        for i, c in enumerate(choices):
            c["id"] = f"c{i}"
        choices.append({"label": "out", "id": "out", "to": "end"})
        scenes.append({"id": sid, "text": draw(st.sampled_from(
            ["plain", "{a} and {b}", "{if flag.c}yes{else}no{end}"])), "choices": choices})
    scenes.append({"id": "end", "ending": "done"})
    manifest = {"format": 1, "id": "p", "title": "P", "start": "s0",
                "vars": {"a": {"value": 0, "min": -5, "max": 5}, "b": 2, "flag": {"c": False}},
                "endings": {"done": {"title": "Done"}}}
    return manifest, {"scenes": scenes}


junk = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False),
              st.text(max_size=20)),
    lambda children: st.one_of(st.lists(children, max_size=4),
                               st.dictionaries(st.text(max_size=8), children, max_size=4)),
    max_leaves=20,
)


@settings(max_examples=150, suppress_health_check=[HealthCheck.too_slow])
@given(junk, junk)
def test_building_any_data_never_raises(manifest, scenes):
    story, diagnostics = build_story(manifest, [("s.yaml", scenes)])
    assert story is not None or diagnostics


@settings(max_examples=100, deadline=None)
@given(stories(), st.integers(0, 2**31), st.lists(st.integers(0, 10), max_size=15))
def test_play_is_deterministic_and_states_round_trip(data, seed, picks):
    manifest, scenes = data
    story, diagnostics = build_story(manifest, [("s.yaml", scenes)])
    assert not [d for d in diagnostics if d.severity == "error"], diagnostics
    state = new_game(story, seed)
    for pick in picks:
        ids = available_choice_ids(story, state)
        if not ids:
            break
        choice_id = ids[pick % len(ids)]
        nxt = choose(story, state, choice_id)
        assert nxt == choose(story, state, choice_id)
        assert GameState.from_dict(json.loads(json.dumps(nxt.to_dict()))) == nxt
        assert -5 <= nxt.vars["a"] <= 5
        current(story, nxt)  # rendering never raises either
        state = nxt


@settings(max_examples=60, deadline=None)
@given(st.binary(max_size=300))
def test_loading_arbitrary_bytes_gives_located_errors(tmp_path_factory, blob):
    from kissgame.loader import load_story

    root = tmp_path_factory.mktemp("junk")
    (root / "story.yaml").write_text("format: 1\nid: j\ntitle: J\nstart: a\n")
    (root / "scenes.yaml").write_bytes(blob)
    result = load_story(root)
    assert result.diagnostics  # never an exception, always a finding (start 'a' is missing)
    assert all(d.span.line >= 1 and d.span.col >= 1 for d in result.diagnostics)
