"""What explore proves about what the player reads: scene assumptions, text coverage,
runtime errors, the random playthrough report."""

from __future__ import annotations

import json
import re
from pathlib import Path

from kissgame.__main__ import main
from kissgame.checker import check

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "first_day"

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
    assert "assumptions: 2, broken: 2; runtime errors: 0" in out
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


TEXT_MANIFEST = """\
format: 1
id: tx
title: TX
start: gate
characters: {q: {name: Q}}
vars:
  coins: 0
  brave: false
  caught: false
endings:
  home: {title: Home}
"""

TEXT = """\
scenes:
  - id: gate
    text: "The gate.{if caught} They saw me.{end}"
    choices:
      - {label: "Walk in{if coins > 5} like a millionaire{end}", id: walk, to: hall,
         do: brave = true}
      - {label: Share my coins, id: share, to: split}
  - id: hall
    text:
      - if: brave
        then: [I walk in.]
        else: [I hover.]
      - q: "{if coins > 0}Rich girl.{elif brave}Brave girl.{else}Hi.{end}"
    next: home
  - id: split
    text: "Each of us gets {10 / coins} coins."
    next: home
  - id: home
    ending: home
"""


def test_text_coverage_and_text_runtime_errors_are_reported_with_place_and_path(
        make_story, capsys):
    root = make_story(TEXT_MANIFEST, TEXT)
    assert main(["explore", str(root)]) == 1  # the division by zero is an error
    out = capsys.readouterr().out
    lines = out.splitlines()
    assert "text arms shown: 2/7 (29%)" in lines
    never = [line for line in lines if "[KG206]" in line]
    assert [(re.search(r"scenes.yaml:(\d+):", line).group(1),
             re.search(r"under '(.*)' is never", line).group(1)) for line in never] == [
        ("3", "caught"), ("5", "coins > 5"), ("12", "else (brave)"), ("13", "coins > 0"),
        ("13", "else (coins > 0 / brave)")]
    assert all("not proven" not in line for line in never)
    [error] = [line for line in lines if "[KG301]" in line]
    assert "scenes.yaml:16:" in error and "scene 'split', path: share)" in error
    assert "Traceback" not in out


def test_text_findings_in_json(make_story, capsys):
    root = make_story(TEXT_MANIFEST, TEXT)
    assert main(["explore", str(root), "--json"]) == 1
    data = json.loads(capsys.readouterr().out)
    assert data["text_arms_total"] == 7 and data["text_arms_shown"] == 2
    assert {(u["line"], u["condition"]) for u in data["unshown_text"]} == {
        (3, "caught"), (5, "coins > 5"), (12, "else (brave)"), (13, "coins > 0"),
        (13, "else (coins > 0 / brave)")}
    assert all(u["file"].endswith("scenes.yaml") for u in data["unshown_text"])
    [error] = data["runtime_errors"]
    assert error["code"] == "KG301" and error["line"] == 16 and error["path"] == ["share"]
    assert data["assumption_failures"] == [] and data["proven"] is True
    for key in ("words", "choices", "minutes"):
        assert set(data["playthrough"][key]) == {"min", "median", "max"}


def test_a_runtime_error_in_an_effect_is_a_finding_with_its_path(make_story, capsys):
    root = make_story(TEXT_MANIFEST, """\
        scenes:
          - id: gate
            choices:
              - {label: Wait, id: wait, to: gate2}
          - id: gate2
            choices:
              - {label: Split, id: split, to: home, do: coins = 10 // coins}
          - id: home
            ending: home
        """)
    assert main(["explore", str(root)]) == 1
    [error] = [line for line in capsys.readouterr().out.splitlines() if "[KG301]" in line]
    assert "scenes.yaml:7:" in error and "scene 'gate2', path: wait > split)" in error


LOOP = """\
scenes:
  - id: gate
    choices:
      - {label: Again, id: again, to: gate, do: coins += 1}
      - {label: "Go in", id: go, to: home, if: 'visits("gate") >= 3'}
  - id: home
    text: "Home."
    ending: home
"""


def test_visit_counts_are_capped_and_dead_variables_merged(make_story, capsys):
    # The loop counts visits and coins forever; nothing reads coins, and visits
    # only up to 3, so the search ends and is exhaustive.
    root = make_story(TEXT_MANIFEST, LOOP)
    assert main(["explore", str(root)]) == 0
    out = capsys.readouterr().out
    assert "explored 5 states (exhaustive)" in out and out.splitlines()[1].startswith("proven")


def test_a_variable_read_later_keeps_states_apart(make_story, capsys):
    # Once the ending prints coins, every count is a different future: the search
    # cannot finish, says so, and marks what needs exhaustiveness as unproven.
    root = make_story(TEXT_MANIFEST, LOOP.replace('"Home."', '"Home with {coins} coins.{if '
                                                  'coins < 0} In debt.{end}"\n    assume: '
                                                  'coins >= 0'))
    assert main(["explore", str(root), "--max-states", "50", "--runs", "5"]) == 0
    out = capsys.readouterr().out
    assert "(not exhaustive" in out and "not proven:" in out
    assert "assumptions: 1, broken: 0 (the others are not proven to hold)" in out
    [never] = [line for line in out.splitlines() if "[KG206]" in line]
    assert "not proven" in never


def test_interrupting_explore_keeps_what_was_found(make_story):
    from kissgame.explorer import explore
    from kissgame.loader import load_story

    root = make_story(TEXT_MANIFEST, LOOP.replace('"Home."', '"{coins} coins."'))
    story = load_story(root).story

    def ctrl_c(states: int, waiting: int) -> None:
        raise KeyboardInterrupt

    report = explore(story, max_states=100_000, progress=ctrl_c)
    assert report.interrupted and not report.proven
    assert report.states_explored == 1000
    assert report.endings["home"] is not None  # found before the interrupt


def test_random_playthrough_report(capsys):
    assert main(["explore", str(EXAMPLE), "--runs", "40", "--seed", "3", "--json"]) == 0
    first = json.loads(capsys.readouterr().out)["playthrough"]
    assert first["runs"] == 40 and sum(first["endings"].values()) == 40
    words, minutes = first["words"], first["minutes"]
    assert 0 < words["min"] <= words["median"] <= words["max"]
    assert minutes["max"] == round(words["max"] / 250, 1)
    assert first["scene_hits"]["gate"] == 40
    assert main(["explore", str(EXAMPLE), "--runs", "40", "--seed", "3", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["playthrough"] == first
    assert main(["explore", str(EXAMPLE), "--runs", "40", "--seed", "3"]) == 0
    out = capsys.readouterr().out
    assert "random playthroughs: 40 from seed 3" in out
    assert re.search(r"minutes +min [\d.]+ +median [\d.]+ +max [\d.]+ +\(at 250 words", out)
    assert re.search(r"^ +40 +gate$", out, re.M)


def test_a_start_that_fails_is_reported_not_raised(make_story, capsys):
    root = make_story(TEXT_MANIFEST, """\
        scenes:
          - id: gate
            on_enter: coins = 1 / coins
            next: home
          - id: home
            ending: home
        """)
    assert main(["explore", str(root), "--stats", "--runs", "3"]) == 1
    out = capsys.readouterr().out
    [error] = [line for line in out.splitlines() if "[KG301]" in line]
    assert "scenes.yaml:3:" in error and "path: the start" in error
    assert "NOT REACHED  home" in out


def test_progress_goes_to_stderr_only_in_a_terminal(make_story, capsys, monkeypatch):
    import sys

    root = make_story(TEXT_MANIFEST, LOOP.replace('"Home."', '"{coins} coins."'))
    assert main(["explore", str(root), "--max-states", "2500", "--runs", "1"]) == 0
    assert "exploring:" not in capsys.readouterr().err
    monkeypatch.setattr(sys.stderr, "isatty", lambda: True)
    assert main(["explore", str(root), "--max-states", "2500", "--runs", "1"]) == 0
    err = capsys.readouterr().err
    assert "exploring: 1000 states searched" in err and "exploring: 2000 states" in err


def test_explore_without_text_still_finds_endings_and_dead_ends(make_story):
    from kissgame.explorer import explore
    from kissgame.loader import load_story

    story = load_story(make_story(TEXT_MANIFEST, TEXT)).story
    report = explore(story, text=False)
    assert report.endings == {"home": ["walk", "next"]} and report.proven
    assert report.runtime_errors == {} and report.unshown_arms() == []
    assert report.to_dict()["text_arms_total"] == 0


def test_the_builtin_story_explores_clean(capsys):
    """No broken assumption, no runtime error, every ending: `kissgame explore` exits 0.
    (Never-shown text is a warning, listed for the writers.)"""
    assert main(["explore", "--json", "--runs", "20"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["assumption_failures"] == [] and data["runtime_errors"] == []
    assert data["text_arms_shown"] / data["text_arms_total"] > 0.8


def test_explore_leaves_the_garbage_collector_as_it_found_it(make_story):
    """explore collects garbage less often while it searches (its states form no
    cycles); a program that calls it gets its own collector settings back."""
    import gc

    from kissgame.explorer import explore
    from kissgame.loader import load_story

    story = load_story(make_story(MANIFEST, ASSUME)).story
    before = gc.get_threshold()
    gc.set_threshold(500, 7, 9)
    try:
        report = explore(story)
        assert gc.get_threshold() == (500, 7, 9)
    finally:
        gc.set_threshold(*before)
    assert report.assumption_failures  # it did search
