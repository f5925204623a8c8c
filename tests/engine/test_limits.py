"""Values and expressions have limits; going past one is a located finding, never a crash
(MemoryError, RecursionError, Python's 4300-digit ValueError) or a hang."""

from __future__ import annotations

import pytest

from kissgame.checker import check
from kissgame.engine import StoryRuntimeError, build_story, choose, current, new_game
from kissgame.engine.expr import MAX_DEPTH, MAX_INT, UNKNOWN, fold, parse_expression_ir

MANIFEST = """\
format: 1
id: lim
title: Limits
start: a
vars:
  n: 3
  big: 9007199254740992
endings:
  done: {title: Done}
"""


def scene_with(condition: str) -> str:
    quoted = condition.replace("'", "''")
    return f"""\
scenes:
  - id: a
    text: "n is {{n}}, big is {{big}}"
    choices:
      - {{label: go, id: go, to: z, if: '{quoted}', do: "n += 1; big -= 1"}}
      - {{label: stop, id: stop, to: z}}
  - id: z
    ending: done
"""


@pytest.mark.parametrize(("condition", "code"), [
    ("n < " + "9" * 3990, "KG015"),            # a literal past ±2**53 (and near 4300 digits)
    ("n < 1e999", "KG015"),                     # not finite
    ("not " * 900 + "n", "KG015"),              # nested far past the limit
    ("n" + " + n" * 800 + " > 0", "KG015"),     # a long chain is nesting too
    ("(" * 300 + "n" + ")" * 300 + " > 0", None),  # deeper than Python's parser allows
    ("n < " + "1" * 5000, "KG015"),             # longer than an expression may be
    ("'" + "x" * 9000 + "' == 'x'", "KG015"),  # text past the limit
])
def test_expressions_beyond_the_limits_are_located_errors(make_story, condition, code):
    root = make_story(MANIFEST, scene_with(condition))
    _result, findings = check(root)
    errors = [f for f in findings if f.severity == "error"]
    assert errors, "expected a finding"
    if code is not None:
        assert code in {f.code for f in errors}, [f.format() for f in errors]
    assert all(f.span.file.endswith("scenes.yaml") and f.span.line == 5 for f in errors)


def test_nesting_within_the_limit_still_works(make_story):
    depth = MAX_DEPTH // 2 - 2
    condition = "n" + " + 1" * depth + " > 0"
    root = make_story(MANIFEST, scene_with(condition))
    result, findings = check(root)
    assert not [f for f in findings if f.severity == "error"], [f.format() for f in findings]
    state = new_game(result.story, 1)
    assert "go" in [c.id for c in current(result.story, state).choices]


def test_constant_folding_stays_bounded():
    # 2**53 multiplied by itself 60 times would be a 3000-digit number
    ir = parse_expression_ir(" * ".join(["9007199254740992"] * 60) + " > 0")
    assert fold(ir, {}) is UNKNOWN
    assert fold(parse_expression_ir("'ab' * 1000000000 == 'x'"), {}) is UNKNOWN
    assert fold(parse_expression_ir("1 / 0 == 1"), {}) is UNKNOWN
    assert fold(parse_expression_ir("4 // 2 == 2"), {}) is True


def test_play_stops_at_the_limit_with_a_located_error():
    scenes = {"scenes": [
        {"id": "a", "text": "{big}", "choices": [
            {"label": "go", "id": "go", "to": "a", "do": "big = big * 3 - big"}]},
    ]}
    manifest = {"format": 1, "id": "p", "title": "P", "start": "a",
                "vars": {"big": MAX_INT // 4}}
    story, _ = build_story(manifest, [("s.yaml", scenes)])
    assert story is not None
    state = new_game(story, 1)
    with pytest.raises(StoryRuntimeError) as info:
        for _ in range(10):
            state = choose(story, state, "go")
    assert info.value.diagnostic.code == "KG302"
    assert info.value.diagnostic.span.file == "s.yaml"
    assert abs(state.vars["big"]) <= MAX_INT
