"""Errors that speak writer: YAML slips named, no follow-on errors from a lost file,
expression slips from other languages, each finding once."""

from __future__ import annotations

from pathlib import Path

import pytest

from kissgame.checker import check
from kissgame.engine import build_story

MANIFEST = """format: 1
id: t
title: T
start: a
characters:
  q: {name: Q}
vars:
  mood: no
  x: 0
endings:
  done: {title: Done}
"""
GOOD = """scenes:
  - id: a
    text: hi {x}
    choices:
      - {label: go, to: b}
      - {label: other, id: c2, to: c, if: "visited('b')"}
"""


def _check(tmp_path: Path, files: dict[str, str], manifest: str = MANIFEST) -> list[str]:
    (tmp_path / "story.yaml").write_text(manifest)
    for name, text in files.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    _result, found = check(tmp_path)
    return [d.format().replace(f"{tmp_path}/", "") for d in found]


def test_a_broken_file_adds_no_unknown_scene_errors_and_comes_first(tmp_path):
    broken = "scenes:\n  - id: b\n    text: [unclosed\n  - id: c\n    ending: done\n"
    found = _check(tmp_path, {"a.yaml": GOOD, "z.yaml": broken,
                              "m.yaml": "scenes:\n  - id: m\n    text: '{x + \"s\"}'\n"
                                        "    ending: done\n"})
    assert found[0].startswith("z.yaml:") and "[KG001]" in found[0]
    assert not any("unknown scene" in f or "does not exist" in f for f in found), found
    # the other files are still checked
    assert any("m.yaml:3" in f and "[KG109]" in f for f in found), found


def test_a_reference_to_a_name_no_file_has_is_still_reported(tmp_path):
    broken = "scenes:\n  - id: b\n    text: [unclosed\n"
    bad_ref = GOOD.replace("to: c,", "to: nowhere,")
    found = _check(tmp_path, {"a.yaml": bad_ref, "z.yaml": broken})
    assert any("unknown scene 'nowhere'" in f for f in found), found


@pytest.mark.parametrize(("text", "where", "words"), [
    ("scenes:\n  - id: a\n\ttext: hi\n    ending: done\n", "s.yaml:3:1:",
     "a tab character at line 3, column 1"),
    ("scenes:\n  - id: a\n    text hi\n    ending: done\n", "s.yaml:3:5:",
     "'text hi' needs a ':'"),
    ("scenes:\n  - id: a\n    text:\n      - *Wow* she said.\n    ending: done\n",
     "s.yaml:4:9:", "quote this paragraph"),
    ("scenes:\n  - id: a\n    text:\n      - *wow*\n    ending: done\n",
     "s.yaml:4:9:", "quote this paragraph"),
    ('scenes:\n  - id: a\n    text:\n      - "Hi," she said.\n    ending: done\n',
     "s.yaml:4:9:", "quote this paragraph"),
    ("scenes:\n  - id: a\n    text: [Hi, she said\n    ending: done\n", "s.yaml:3:11:",
     "'[' is never closed"),
    ("scenes:\n  - id: a\n    text:\n      - q: No\n    ending: done\n",
     "s.yaml:4:", "was read as false"),
    ("scenes:\n  - id: a\n    title: Yes\n    text: hi\n    ending: done\n",
     "s.yaml:3:", "was read as true"),
])
def test_yaml_slips_are_named_at_their_line(tmp_path, text, where, words):
    found = _check(tmp_path, {"s.yaml": text})
    assert any(f.startswith(where) and words in f for f in found), found
    assert not any("while scanning" in f or "while parsing" in f for f in found)


def test_a_text_variable_set_up_with_no_is_reported_at_its_declaration(tmp_path):
    scenes = GOOD.replace("to: b}", "to: b, do: \"mood = 'grim'\"}") + (
        "  - id: b\n    text: '{mood}'\n    ending: done\n"
        "  - id: c\n    text: c\n    ending: done\n")
    found = _check(tmp_path, {"s.yaml": scenes})
    assert any(f.startswith("story.yaml:8:") and "quote its initial value" in f
               for f in found), found


@pytest.mark.parametrize(("condition", "words", "col"), [
    ("x = 1", "write '=='", 3),
    ("x > 0 && x < 3", "write 'and' instead of '&&'", 7),
    ("x > 0 || x < 3", "write 'or' instead of '||'", 7),
    ("!visited('a')", "write 'not' instead of '!'", 1),
    ("x == \u201cone\u201d", "use straight quotes", 6),
])
def test_expression_slips_suggest_the_story_spelling(condition, words, col):
    manifest = {"format": 1, "id": "t", "title": "T", "start": "a", "vars": {"x": 0},
                "endings": {"done": {"title": "D"}}}
    scenes = [{"id": "a", "choices": [{"label": "go", "to": "b", "if": condition}]},
              {"id": "b", "ending": "done", "text": "x"}]
    _story, found = build_story(manifest, [("s.yaml", {"scenes": scenes})])
    assert [d.code for d in found] == ["KG010"]
    assert words in found[0].message


def test_each_finding_is_printed_once(tmp_path):
    scenes = GOOD + "  - id: b\n    text: '{nope} {nope}'\n    ending: done\n"
    found = _check(tmp_path, {"s.yaml": scenes})
    assert len(found) == len(set(found))
