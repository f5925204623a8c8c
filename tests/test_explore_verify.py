"""What explore proves about what the player reads: scene assumptions, text coverage,
runtime errors, the random playthrough report."""

from __future__ import annotations

import json

from kissgame.__main__ import main
from kissgame.checker import check

MANIFEST = """\
format: 1
id: t
title: T
start: dorm
vars:
  caught: false
  bed: ""
endings:
  home: {title: Home}
"""

ASSUME = """\
scenes:
  - id: dorm
    choices:
      - {label: Sneak out, to: hall, do: caught = true}
      - {label: Window bed, to: window, do: bed = "window"}
      - {label: Door bed, to: morning}
  - id: hall
    choices:
      - {label: Run, to: morning}
  - id: window
    choices:
      - {label: Sleep, to: morning}
  - id: morning
    assume:
      - not caught
      - bed == "window"
    text: Kitty survived the night without getting caught, and the cherry tape held.
    ending: home
"""


def test_a_violated_assumption_is_an_error_with_the_shortest_path(make_story, capsys):
    root = make_story(MANIFEST, ASSUME)
    assert main(["explore", str(root)]) == 1
    out = capsys.readouterr().out
    broken = [line for line in out.splitlines() if "[KG205]" in line]
    assert len(broken) == 2, out
    assert "scenes.yaml:15:" in broken[0]
    assert "assumes 'not caught'" in broken[0] and "after hall > morning" in broken[0]
    assert "assumes 'bed == \"window\"'" in broken[1] and "after morning" in broken[1]


def test_assumption_failures_in_json(make_story, capsys):
    root = make_story(MANIFEST, ASSUME)
    assert main(["explore", str(root), "--json"]) == 1
    data = json.loads(capsys.readouterr().out)
    failures = {(f["scene"], f["assumption"]): f["path"] for f in data["assumption_failures"]}
    # The direct path to the door bed is the shortest that breaks the second one.
    assert failures == {("morning", 0): ["hall", "morning"], ("morning", 1): ["morning"]}


def test_assumptions_that_hold_pass(make_story, capsys):
    root = make_story(MANIFEST, ASSUME.replace("      - bed == \"window\"\n", "")
                      .replace("to: hall, do: caught = true", "to: hall"))
    assert main(["explore", str(root)]) == 0
    assert "KG205" not in capsys.readouterr().out


def test_check_validates_assumptions_like_any_condition(make_story):
    root = make_story(MANIFEST, """\
        scenes:
          - id: dorm
            assume: [not caugth, bed + 1 >, bed]
            ending: home
        """)
    _result, findings = check(root)
    codes = sorted((f.code, f.span.line) for f in findings)
    assert ("KG104", 3) in codes  # unknown variable, with a suggestion
    assert ("KG010", 3) in codes  # syntax
    assert ("KG109", 3) in codes  # a string where a condition needs true/false
