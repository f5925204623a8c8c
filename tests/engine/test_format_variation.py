"""Text variation: sequences, cycles, shuffles and once-only alternatives, by visit."""

from __future__ import annotations

from kissgame.engine import build_story, choose, current, new_game, rewind

MANIFEST = {"format": 1, "id": "t", "title": "T", "start": "a",
            "endings": {"done": {"title": "D"}}}


def _story(text: str, label: str = "Again"):
    scenes = [{"id": "a", "text": text, "choices": [
        {"label": label, "id": "again", "to": "a"}, {"label": "Stop", "to": "b"}]},
        {"id": "b", "ending": "done", "text": "b"}]
    story, found = build_story(MANIFEST, [("s.yaml", {"scenes": scenes})])
    assert not found, [d.format() for d in found]
    return story


def _shown(story, visits: int, seed: int = 1) -> list[str]:
    state = new_game(story, seed=seed)
    out = [current(story, state).lines[0].text]
    for _ in range(visits - 1):
        state = choose(story, state, "again")
        out.append(current(story, state).lines[0].text)
    return out


def test_sequence_cycle_once():
    assert _shown(_story("{Hi|Hi again|You're back}."), 4) == [
        "Hi.", "Hi again.", "You're back.", "You're back."]
    assert _shown(_story("{&Mon|Tue}"), 3) == ["Mon", "Tue", "Mon"]
    assert _shown(_story("Door.{! It's new.| Still new.}"), 3) == [
        "Door. It's new.", "Door. Still new.", "Door."]


def test_shuffle_is_seeded_and_rewind_safe():
    story = _story("{~red|green|blue|gold}")
    one, two = _shown(story, 12, seed=5), _shown(story, 12, seed=5)
    assert one == two and len(set(one)) > 1
    state = new_game(story, seed=5)
    for _ in range(3):
        state = choose(story, state, "again")
    before = current(story, state).lines[0].text
    after = current(story, rewind(story, choose(story, state, "again"))).lines[0].text
    assert before == after


def test_expressions_and_braces_still_work_beside_variations():
    story = _story("{1 + 1} {{x|y}} {if(true, 'a', 'b')} {&p|q}")
    assert _shown(story, 2) == ["2 {x|y} a p", "2 {x|y} a q"]


def test_labels_vary_too():
    story = _story("x", label="{Knock|Knock again}")
    state = choose(story, new_game(story, seed=1), "again")
    assert current(story, state).choices[0].label == "Knock again"


def test_words_in_a_variation_are_not_variables_to_the_editor():
    from kissgame.lsp.index import index_text

    text = ("scenes:\n  - id: a\n    text: \"{door|It's the door} {door}\"\n"
            "    ending: done\n")
    index = index_text(text, False)
    assert index is not None
    doors = [o for o in index.occurrences if o.name == "door"]
    assert len(doors) == 1 and doors[0].col > 20
