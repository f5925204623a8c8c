"""The command-line contract of design.md section 4: output shapes and exit codes."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from kissgame.__main__ import main

LINE = re.compile(r"^.+:\d+:\d+: (error|warning): .+ \[KG\d{3}\]$")
EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "first_day"
RECORDINGS = Path(__file__).parent / "recordings" / "first_day"


def test_check_clean_story_exits_0(capsys):
    assert main(["check", str(EXAMPLE)]) == 0
    assert capsys.readouterr().out == ""


def test_check_prints_every_finding_one_a_line_and_exits_1(make_story, capsys):
    root = make_story("format: 1\nid: t\ntitle: T\nstart: a\nvars: {spare: 1}\n", """
        scenes:
          - id: a
            choices:
              - {label: x, to: nowhere}
              - {label: y, to: also_nowhere}
        """)
    assert main(["check", str(root)]) == 1
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 3 and all(LINE.match(line) for line in lines), lines
    assert sum("KG102" in line for line in lines) == 2 and "KG106" in lines[-1]


def test_check_warnings_only_exits_0(make_story):
    root = make_story("format: 1\nid: t\ntitle: T\nstart: a\nvars: {spare: 1}\n"
                      "endings: {e: {title: E}}\n", "scenes: [{id: a, ending: e}]\n")
    assert main(["check", str(root)]) == 0


def test_check_json(make_story, capsys):
    root = make_story("format: 1\nid: t\ntitle: T\nstart: a\n", "scenes: [{id: a}]\n")
    assert main(["check", "--json", str(root)]) == 1
    data = json.loads(capsys.readouterr().out)
    assert data["errors"] == 1
    assert data["diagnostics"][0]["code"] == "KG105" and data["diagnostics"][0]["line"] == 1


def test_bad_usage_exits_2(tmp_path):
    assert main(["check", str(tmp_path / "missing")]) == 2
    with pytest.raises(SystemExit) as info:
        main(["check", "--no-such-flag"])
    assert info.value.code == 2


def test_explore_json_has_the_contract_keys(capsys):
    assert main(["explore", "--json", str(EXAMPLE)]) == 0
    data = json.loads(capsys.readouterr().out)
    for key in ("scenes_total", "scenes_reached", "endings", "unreached_scenes",
                "untaken_choices", "dead_ends", "states_explored", "exhaustive"):
        assert key in data
    assert data["exhaustive"] is True
    assert data["endings"]["stairwell"] == {
        "reached": True, "seed": data["endings"]["stairwell"]["seed"],
        "shortest_path": ["courtyard", "hallway", "my_room", "stairwell"]}


def test_explore_exits_1_on_unreachable_ending_and_dead_end(make_story, capsys):
    root = make_story("""
        format: 1
        id: t
        title: T
        start: a
        vars: {x: 0}
        endings: {good: {title: Good}, never: {title: Never}}
        """, """
        scenes:
          - id: a
            choices:
              - {label: go, to: b}
              - {label: trap, to: c, do: x = 1}
          - {id: b, ending: good}
          - id: c
            choices:
              - {label: locked, to: d, if: x > 5}
          - {id: d, ending: never}
        """)
    assert main(["explore", str(root)]) == 1
    out = capsys.readouterr().out
    assert "[KG201]" in out and "[KG202]" in out and "NOT REACHED  never" in out


def test_explore_falls_back_to_random_runs_and_says_so(make_story, capsys):
    root = make_story("""
        format: 1
        id: t
        title: T
        start: a
        vars: {n: 0}
        endings: {done: {title: Done}}
        """, """
        scenes:
          - id: a
            choices:
              - {label: count, id: up, to: a, do: n += 1}
              - {label: stop, to: z, if: n >= 3}
          - {id: z, ending: done}
        """)
    assert main(["explore", "--json", "--max-states", "2", "--runs", "50", str(root)]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["exhaustive"] is False and data["random_runs"] == 50
    assert data["endings"]["done"]["reached"]


def test_explore_writes_recordings_that_replay(tmp_path, capsys):
    assert main(["explore", str(EXAMPLE), "--write-recordings", str(tmp_path)]) == 0
    for path in sorted(tmp_path.glob("*.yaml")):
        assert main(["replay", str(path), "--story", str(EXAMPLE)]) == 0
    assert {p.stem for p in tmp_path.glob("*.yaml")} == {"friends", "stairwell"}


@pytest.mark.parametrize("recording", sorted(RECORDINGS.glob("*.yaml")), ids=lambda p: p.stem)
def test_example_recordings_replay(recording, capsys):
    assert main(["replay", str(recording), "--story", str(EXAMPLE)]) == 0
    out = capsys.readouterr().out
    assert "** ENDING:" in out


def test_replay_divergence_names_step_and_scene(tmp_path, capsys):
    path = tmp_path / "bad.yaml"
    path.write_text("story: first-day-example\nseed: 0\nchoices: [courtyard, hallway, "
                    "nowhere]\n")
    assert main(["replay", str(path), "--story", str(EXAMPLE)]) == 1
    err = capsys.readouterr().err
    assert "step 3" in err and "'hallway'" in err


def test_replay_of_a_broken_file_is_a_clear_error(tmp_path, capsys):
    path = tmp_path / "bad.yaml"
    path.write_text("[not, a, recording")
    assert main(["replay", str(path), "--story", str(EXAMPLE)]) == 1
    assert "not valid YAML" in capsys.readouterr().err


@pytest.mark.parametrize("fmt", ["dot", "mermaid", "text"])
def test_graph_formats(fmt, capsys):
    assert main(["graph", str(EXAMPLE), "--format", fmt]) == 0
    out = capsys.readouterr().out
    assert "seat_saved" in out and "A Seat Saved" in out
    if fmt == "dot":
        assert out.startswith("digraph") and "cluster_" in out
    if fmt == "mermaid":
        assert out.startswith("flowchart") and "subgraph night" in out


def test_graph_single_episode(capsys):
    assert main(["graph", str(EXAMPLE), "--format", "text", "--episode", "endings"]) == 0
    out = capsys.readouterr().out
    assert "[seat_saved]" in out and "[gate]" not in out


def test_schema_is_json_schema_matching_the_loader(capsys):
    from kissgame.schema import LOADER_FIELDS, schema_fields

    assert main(["schema"]) == 0
    schema = json.loads(capsys.readouterr().out)
    assert schema["$schema"].endswith("2020-12/schema")
    assert schema_fields() == LOADER_FIELDS


def test_console_script_runs_as_module():
    out = subprocess.run([sys.executable, "-m", "kissgame", "check", str(EXAMPLE)],
                         capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
