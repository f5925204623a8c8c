"""Class 7 at load time: story ids are restricted, so none can collide with a UI
identifier (``ui:title``) or look like markup (``[b]x[/b]``); the error says which
characters are allowed, at the id's place.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from kissgame.loader import load_story

HOSTILE_IDS = ["ui:title", "[b]x[/b]", "[@click=app.quit]", "app.quit", "a b", "-x", "1st",
               "quit()", "x\u200b", "é"]


def findings(root: Path) -> list[tuple[str, str, int, str]]:
    return [(d.code, Path(d.span.file).name, d.span.line, d.message)
            for d in load_story(root).diagnostics]


def story(make_story, *, manifest_extra: str = "", choice_id: str = "go",
          story_id: str = "t") -> Path:
    return make_story(f"""\
        format: 1
        id: "{story_id}"
        title: T
        start: a
        {manifest_extra}
        endings:
          done: {{title: Done}}
        """, f"""\
        scenes:
          - id: a
            choices:
              - {{id: "{choice_id}", label: Go, to: b}}
          - id: b
            ending: done
        """)


@pytest.mark.parametrize("bad", HOSTILE_IDS)
def test_choice_ids_are_restricted(make_story, bad):
    found = findings(story(make_story, choice_id=bad))
    assert [(c, f, n) for c, f, n, _ in found] == [("KG018", "scenes.yaml", 4)]
    assert "letters, digits and _" in found[0][3]


@pytest.mark.parametrize("section", ["characters", "episodes", "ships", "meters", "clues"])
@pytest.mark.parametrize("bad", ["ui:title", "[b]x[/b]"])
def test_manifest_section_ids_are_restricted(make_story, section, bad):
    value = {"characters": "{name: X}", "episodes": "{title: X}",
             "ships": "{label: X, var: v}", "meters": "{label: X, var: v}",
             "clues": "{label: X, var: v}"}[section]
    extra = f'vars: {{v: 1}}\n        {section}:\n          "{bad}": {value}'
    found = findings(story(make_story, manifest_extra=extra))
    assert ("KG018", "story.yaml") in [(c, f) for c, f, _, _ in found], found


def test_ending_ids_are_restricted(make_story):
    root = make_story("""\
        format: 1
        id: t
        title: T
        start: a
        endings:
          "[@click=app.quit]": {title: Done}
        """, "scenes:\n  - {id: a, ending: '[@click=app.quit]'}\n")
    codes = [(c, f, n) for c, f, n, _ in findings(root)]
    assert ("KG018", "story.yaml", 6) in codes


@pytest.mark.parametrize("bad", ["ui:title", "[b]x[/b]", "../../etc", ".hidden", "a b"])
def test_story_ids_are_restricted(make_story, bad):
    found = findings(story(make_story, story_id=bad))
    assert [(c, f, n) for c, f, n, _ in found] == [("KG018", "story.yaml", 2)]


@pytest.mark.parametrize("good", ["xo-kitty-matchmaker", "tiny.kiss", "story_2", "9lives"])
def test_usual_story_ids_still_load(make_story, good):
    assert findings(story(make_story, story_id=good)) == []


def test_default_choice_ids_follow_scene_ids(make_story):
    root = make_story("""\
        format: 1
        id: t
        title: T
        start: a
        endings:
          done: {title: Done}
        """, "scenes:\n  - {id: a, choices: [{label: Go, to: b}]}\n  - {id: b, ending: done}\n")
    result = load_story(root)
    assert result.ok and result.story is not None
    assert [c.id for c in result.story.scenes["a"].choices] == ["b"]
