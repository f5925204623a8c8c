"""Explore on several worker processes finds exactly what one process finds: the same
endings with the same shortest paths, the same broken assumptions, runtime errors,
dead ends, coverage and playthrough report."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from kissgame import explorer, guided
from kissgame.__main__ import main
from kissgame.loader import load_story_or_raise
from kissgame.team import Team, TeamError, can_fork
from test_explore_verify import ASSUME, MANIFEST, TEXT, TEXT_MANIFEST

ROOT = Path(__file__).resolve().parents[1]
TIMING = ("seconds", "states_per_second", "states_per_second_breadth_first", "jobs")

# Thirteen independent switches and a counter: thousands of states, a dead end that
# depends on the path, an ending that needs many steps, a division that fails.
WIDE_MANIFEST = """\
format: 1
id: wide
title: Wide
start: hub
vars: {n: 0, a: false, b: false, c: false, d: false, e: false, f: false}
endings:
  done: {title: Done}
  deep: {title: Deep}
"""

WIDE = """\
scenes:
  - id: hub
    text: "Step {n}.{if a and b} Both.{end}"
    choices:
      - {label: A, id: a, to: hub, do: [a = not a, n += 1], if: n < 9}
      - {label: B, id: b, to: hub, do: [b = not b, n += 1], if: n < 9}
      - {label: C, id: c, to: hub, do: [c = not c, n += 1], if: n < 9}
      - {label: D, id: d, to: hub, do: [d = not d, n += 1], if: n < 9}
      - {label: E, id: e, to: hub, do: [e = not e, n += 1], if: n < 9}
      - {label: F, id: f, to: hub, do: [f = not f, n += 1], if: n < 9}
      - {label: Split, id: split, to: done, do: n = 10 // (n - 3)}
      - {label: Deep, id: deep, to: deep, if: a and b and c and d and e and f}
      - {label: Stall, id: stall, to: stall, if: n == 7 and not a}
  - id: stall
    assume: [n < 7]
    text: Nothing to do.
  - id: done
    ending: done
  - id: deep
    ending: deep
"""


# A corridor the breadth-first search cannot finish: the vault at its end, its text
# behind rare runs of "lucky" choices, so the guided search does the finding: a text arm,
# a division by zero and a broken assumption, each with the shortest path it saw.
DEEP_MANIFEST = """\
format: 1
id: deep
title: Deep
start: step1
vars: {luck: 0, odd: false}
endings:
  out: {title: Out}
  treasure: {title: Treasure}
"""


def _deep_scenes(steps: int = 10) -> str:
    lines = ["scenes:"]
    for i in range(1, steps + 1):
        on = "vault" if i == steps else f"step{i + 1}"
        lines += [f"  - id: step{i}",
                  f"    text: Door {i}.",
                  "    choices:",
                  f"      - {{label: Onward, id: onward, to: {on}}}",
                  f"      - {{label: Lucky, id: lucky, to: {on}, do: luck += 1}}",
                  f"      - {{label: Odd, id: odd, to: {on}, do: odd = not odd}}",
                  "      - {label: Quit, id: quit, to: outside}"]
    lines += ["  - id: outside",
              "    ending: out",
              "  - id: vault",
              "    assume: [luck < 6]",
              '    text: "{if luck >= 5}Gold.{elif luck > 100}Never.{else}Dust.{end} '
              'Share: {10 // (luck - 4)}."',
              "    choices:",
              "      - {label: Take, id: take, to: treasure}",
              "  - id: treasure",
              "    ending: treasure"]
    return "\n".join(lines) + "\n"


def _report(story, jobs: int, **options) -> dict:
    options = {"playthroughs": 40, "runs": 40} | options
    report = explorer.explore(story, jobs=jobs, **options)
    data = report.to_dict()
    assert data["jobs"] == jobs
    for name in TIMING:
        data.pop(name)
    data["diagnostics"] = [d.to_dict() for d in report.diagnostics(story)]
    return data


@pytest.fixture
def every_level_in_workers(monkeypatch):
    if not can_fork():
        pytest.skip("no fork here: explore runs in one process")
    monkeypatch.setattr(explorer, "PARALLEL_MIN", 1)


@pytest.mark.parametrize("limit", [20_000, 120, 30])
def test_two_workers_find_what_one_finds(make_story, every_level_in_workers, limit):
    story = load_story_or_raise(make_story(WIDE_MANIFEST, WIDE))
    one = _report(story, 1, max_states=limit)
    assert one["exhaustive"] == (limit == 20_000)
    if one["exhaustive"]:
        assert one["dead_ends"] and one["runtime_errors"] and one["assumption_failures"]
    else:
        assert one["beam_searches"]
    assert _report(story, 2, max_states=limit) == one
    assert _report(story, 3, max_states=limit) == one


def test_guided_search_finds_the_same_on_any_number_of_workers(make_story, monkeypatch):
    monkeypatch.setattr(explorer, "BEAM_WIDTH", 2)  # the beam search misses the vault
    monkeypatch.setattr(guided, "DEFAULT_STEPS", 6_000)
    monkeypatch.setattr(guided, "ROUND", 300)  # several rounds of exchanging findings
    story = load_story_or_raise(make_story(DEEP_MANIFEST, _deep_scenes()))
    one = _report(story, 1, max_states=10, runs=0, playthroughs=0)
    assert one["guided_runs"] > 20 and not one["exhaustive"]
    assert [e["condition"] for e in one["unshown_text"]] == ["luck > 100"]
    assert one["runtime_errors"] and one["assumption_failures"]  # both found in the vault
    assert all(e["reached"] for e in one["endings"].values())
    for jobs in (2, 3, 4):
        assert _report(story, jobs, max_states=10, runs=0, playthroughs=0) == one, jobs
    monkeypatch.setattr(explorer, "guided_search", lambda *args, **kwargs: (0, 0, 1))
    unguided = _report(story, 1, max_states=10, runs=0, playthroughs=0)
    assert not unguided["runtime_errors"] and not unguided["assumption_failures"]


# A walk the breadth-first search cannot finish, to a gate with three endings behind
# it: the beam search toward "far" also finds "farther", so one process never searches
# toward "farther", while two start that search ahead of its turn and throw it away.
RACE_MANIFEST = """\
format: 1
id: race
title: Race
start: walk
vars: {n: 0, lit: false, toll: 0}
endings:
  far: {title: Far}
  farther: {title: Farther}
  lamp: {title: Lamp}
  quit: {title: Quit}
"""

RACE = """\
scenes:
  - id: walk
    text: "Mile {n}.{if lit} A lamp burns.{end}"
    choices:
      - {label: Step, id: step, to: walk, do: n += 1, if: n < 14}
      - {label: Light, id: light, to: walk, do: [lit = not lit, toll += 1], if: toll < 9}
      - {label: Rest, id: rest, to: walk, do: toll += 1, if: toll < 9}
      - {label: Gate, id: gate, to: gate, if: n >= 10}
      - {label: Quit, id: quit, to: quit}
  - id: gate
    text: "A gate.{if lit} Lit.{end} Toll {10 // (toll - 3)}."
    choices:
      - {label: Far, id: far, to: far}
      - {label: Farther, id: farther, to: farther}
      - {label: Lamp, id: lamp, to: lamp, if: lit and n >= 13}
  - id: far
    ending: far
  - id: farther
    ending: farther
  - id: lamp
    ending: lamp
  - id: quit
    ending: quit
"""


def test_beam_searches_started_ahead_of_their_turn_change_nothing(make_story, monkeypatch):
    if not can_fork():
        pytest.skip("no fork here: explore runs in one process")
    story = load_story_or_raise(make_story(RACE_MANIFEST, RACE))
    one = _report(story, 1, max_states=12, runs=0, playthroughs=0)
    assert one["beam_searches"] == 2 and all(e["reached"] for e in one["endings"].values())
    assert one["endings"]["farther"]["shortest_path"][-2:] == ["gate", "farther"]
    started: list[str] = []
    send = Team.send

    def counting(self, worker, name, args):
        if name == "beam":
            started.append(args[0])
        send(self, worker, name, args)
    monkeypatch.setattr(Team, "send", counting)
    for jobs in (2, 3):
        started.clear()
        assert _report(story, jobs, max_states=12, runs=0, playthroughs=0) == one, jobs
        assert sorted(started) == ["far", "farther", "lamp"], jobs  # one thrown away


def test_a_failing_worker_is_an_error_not_a_hang():
    if not can_fork():
        pytest.skip("no fork here")

    class Member:
        def ask(self, worker: int) -> int:
            return 10 // worker  # worker 0 divides by zero

    with Team(lambda _w, _n: Member(), 2) as team, pytest.raises(TeamError, match="worker 0"):
        team.call("ask", [(0,), (1,)])
    with Team(lambda _w, _n: Member(), 2) as team:
        assert team.call("ask", [(1,), (2,)]) == [10, 5]


@pytest.mark.parametrize("example", ["first_day", "missing_letter", "hall_pass"])
def test_examples_same_on_two_workers(every_level_in_workers, example):
    story = load_story_or_raise(ROOT / "examples" / example)
    assert _report(story, 2) == _report(story, 1)


@pytest.mark.parametrize("files", [(MANIFEST, ASSUME), (TEXT_MANIFEST, TEXT)])
def test_findings_same_on_two_workers(make_story, every_level_in_workers, files):
    story = load_story_or_raise(make_story(*files))
    one = _report(story, 1)
    assert one["assumption_failures"] or one["runtime_errors"]
    assert _report(story, 2) == one


@pytest.mark.slow
def test_built_in_story_same_on_two_workers():
    story = load_story_or_raise(ROOT / "story")
    one = _report(story, 1)
    assert not one["exhaustive"] and one["beam_searches"]  # both searches ran in workers
    assert _report(story, 2) == one


def test_cli_reports_speed_and_rejects_bad_jobs(make_story, capsys):
    root = make_story(WIDE_MANIFEST, WIDE)
    main(["explore", str(root), "--jobs", "2"])
    out = capsys.readouterr().out
    assert "states/s (" in out and "states/s breadth-first" in out and "process(es)" in out
    main(["explore", str(root), "--jobs", "2", "--json"])
    data = json.loads(capsys.readouterr().out)
    assert data["states_per_second"] > 0 and data["jobs"] in (1, 2)
    reports = []
    for jobs in ([], ["--jobs", "1"]):  # by default, every core this process may use
        main(["explore", str(root), "--json", *jobs])
        data = json.loads(capsys.readouterr().out)
        reports.append({k: v for k, v in data.items() if k not in TIMING})
    assert reports[0] == reports[1]
    with pytest.raises(SystemExit):
        main(["explore", str(root), "--jobs", "0"])
    assert "--jobs" in capsys.readouterr().err
