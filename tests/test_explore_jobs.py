"""Explore on several worker processes finds exactly what one process finds: the same
endings with the same shortest paths, the same broken assumptions, runtime errors,
dead ends, coverage and playthrough report."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from kissgame import explorer
from kissgame.__main__ import main
from kissgame.loader import load_story_or_raise
from test_explore_verify import ASSUME, MANIFEST, TEXT, TEXT_MANIFEST

ROOT = Path(__file__).resolve().parents[1]
TIMING = ("seconds", "states_per_second", "jobs")

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


def _report(story, jobs: int, **options) -> dict:
    report = explorer.explore(story, jobs=jobs, playthroughs=40, runs=40, **options)
    data = report.to_dict()
    assert data["jobs"] == jobs
    for name in TIMING:
        data.pop(name)
    data["diagnostics"] = [d.to_dict() for d in report.diagnostics(story)]
    return data


@pytest.fixture
def every_level_in_workers(monkeypatch):
    if "fork" not in explorer.multiprocessing.get_all_start_methods():
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


@pytest.mark.parametrize("example", ["first_day", "missing_letter"])
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
    assert "states/s breadth-first" in out and "process(es)" in out
    main(["explore", str(root), "--jobs", "2", "--json"])
    data = json.loads(capsys.readouterr().out)
    assert data["states_per_second"] > 0 and data["jobs"] in (1, 2)
    with pytest.raises(SystemExit):
        main(["explore", str(root), "--jobs", "0"])
    assert "--jobs" in capsys.readouterr().err
