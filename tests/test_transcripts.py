"""Golden transcripts: every recording under tests/ replays to the transcript beside it."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from kissgame.__main__ import main
from kissgame.loader import load_story
from kissgame.recording import read_recording

ROOT = Path(__file__).resolve().parents[1]
BUILTIN, EXAMPLE = ROOT / "story", ROOT / "examples" / "first_day"
RECORDINGS = sorted((Path(__file__).parent / "recordings").rglob("*.yaml"))
STORIES = {load_story(root).story.id: root for root in (BUILTIN, EXAMPLE)}


def _story_of(path: Path) -> Path:
    return STORIES[read_recording(path).story]


@pytest.mark.parametrize("path", RECORDINGS, ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_recording_replays_to_its_golden_transcript(path, capsys):
    recording = read_recording(path)
    assert recording.transcript, f"{path.name} names no transcript; run replay --update"
    code = main(["replay", str(path), "--story", str(_story_of(path))])
    assert code == 0, capsys.readouterr().err


def test_every_builtin_ending_has_a_recording_with_a_transcript():
    story = load_story(BUILTIN).story
    covered = {read_recording(p).expect_ending for p in RECORDINGS
               if read_recording(p).story == story.id and read_recording(p).transcript}
    assert set(story.endings) <= covered


def _copy(tmp_path: Path, name: str) -> Path:
    """A copy of an example recording, with a transcript written by --update."""
    path = tmp_path / f"{name}.yaml"
    shutil.copy(ROOT / "tests" / "recordings" / "first_day" / f"{name}.yaml", path)
    assert main(["replay", str(path), "--story", str(EXAMPLE), "--update"]) == 0
    return path


def test_transcript_shows_speakers_locked_choices_picks_and_changes(make_story, tmp_path,
                                                                    capsys):
    root = make_story("""\
        format: 1
        id: t
        title: T
        start: gate
        episodes: {ep1: First Night}
        characters: {q: {name: Q}}
        vars: {coins: 0, nickname: ""}
        endings: {friends: {title: A Seat Saved}}
        """, """\
        scenes:
          - id: gate
            episode: ep1
            title: The Gate
            text:
              - "My suitcase squeaks.\\n\\nIt has opinions."
              - q: You look lost, {if coins > 0}rich girl{else}new girl{end}.
            choices:
              - {label: Buy a banana milk, id: milk, to: seat, if: coins > 0,
                 locked: You'd need a coin for this}
              - {label: "Laugh", id: laugh, to: seat, do: 'coins += 2; nickname = "K"'}
          - id: seat
            title: The Seat
            text: "{nickname}, sitting down."
            ending: friends
        """)
    path = tmp_path / "r.yaml"
    path.write_text("story: t\nseed: 0\nchoices: [laugh]\n")
    assert main(["replay", str(path), "--story", str(root), "--transcript"]) == 0
    assert capsys.readouterr().out.splitlines() == [
        "== [gate] First Night / The Gate",
        "My suitcase squeaks.",
        "It has opinions.",
        "Q: You look lost, new girl.",
        "x [milk] Buy a banana milk  (locked: You'd need a coin for this)",
        "* [laugh] Laugh",
        "> [laugh] Laugh",
        "  coins: 0 -> 2",
        '  nickname: "" -> "K"',
        "",
        "== [seat] The Seat",
        "K, sitting down.",
        "** ENDING [friends] A Seat Saved",
    ]


def test_a_changed_transcript_fails_at_the_first_differing_line(tmp_path, capsys):
    path = _copy(tmp_path, "friends")
    golden = tmp_path / "friends.transcript.txt"
    lines = golden.read_text().splitlines()
    lines[4] = "* [pretend] Pretend I meant to be somewhere else"
    golden.write_text("\n".join(lines) + "\n")
    assert main(["replay", str(path), "--story", str(EXAMPLE)]) == 1
    err = capsys.readouterr().err
    assert "line 5 differs" in err
    assert "expected: * [pretend] Pretend I meant to be somewhere else" in err
    assert "actual:   * [pretend] Pretend I meant to be standing here" in err


def test_update_rewrites_the_transcript_and_names_it_in_the_recording(tmp_path, capsys):
    path = _copy(tmp_path, "friends")
    golden = tmp_path / "friends.transcript.txt"
    golden.write_text("stale\n")
    assert main(["replay", str(path), "--story", str(EXAMPLE)]) == 1
    assert main(["replay", str(path), "--story", str(EXAMPLE), "--update"]) == 0
    assert main(["replay", str(path), "--story", str(EXAMPLE)]) == 0
    # A recording without a transcript gets one named beside it.
    bare = tmp_path / "bare.yaml"
    bare.write_text("story: first-day-example\nseed: 0\nchoices: [courtyard, hallway]\n")
    assert main(["replay", str(bare), "--story", str(EXAMPLE), "--update"]) == 0
    assert read_recording(bare).transcript == "bare.transcript.txt"
    assert (tmp_path / "bare.transcript.txt").read_text().startswith("== [gate]")
    capsys.readouterr()


def test_a_missing_transcript_is_a_clear_failure(tmp_path, capsys):
    path = _copy(tmp_path, "friends")
    (tmp_path / "friends.transcript.txt").unlink()
    assert main(["replay", str(path), "--story", str(EXAMPLE)]) == 1
    assert "--update" in capsys.readouterr().err


def test_a_runtime_error_stops_replay_naming_step_scene_and_place(make_story, tmp_path, capsys):
    root = make_story("format: 1\nid: t\ntitle: T\nstart: a\nvars: {n: 0}\n"
                      "endings: {e: {title: E}}\n", """
        scenes:
          - id: a
            choices:
              - {label: go, to: b}
          - id: b
            text: "Ten split {n} ways is {10 / n}."
            ending: e
        """)
    path = tmp_path / "r.yaml"
    path.write_text("story: t\nseed: 0\nchoices: [b]\n")
    assert main(["replay", str(path), "--story", str(root)]) == 1
    err = capsys.readouterr().err
    assert "step 1" in err and "scene 'b'" in err and "scenes.yaml:7:" in err
    assert "Traceback" not in err


def test_a_transcript_cannot_overwrite_its_recording(tmp_path, capsys):
    path = tmp_path / "r.yaml"
    text = "story: first-day-example\nseed: 0\ntranscript: r.yaml\nchoices: [courtyard]\n"
    path.write_text(text)
    assert main(["replay", str(path), "--story", str(EXAMPLE), "--update"]) == 1
    assert path.read_text() == text
    assert "names the recording itself" in capsys.readouterr().err


def test_explore_writes_recordings_with_their_transcripts(tmp_path, capsys):
    assert main(["explore", str(EXAMPLE), "--write-recordings", str(tmp_path)]) == 0
    for name in ("friends", "stairwell"):
        assert read_recording(tmp_path / f"{name}.yaml").transcript == f"{name}.transcript.txt"
        assert (tmp_path / f"{name}.transcript.txt").read_text().startswith("== [gate]")
        capsys.readouterr()
        assert main(["replay", str(tmp_path / f"{name}.yaml"), "--story", str(EXAMPLE)]) == 0
        assert "transcript matches" in capsys.readouterr().err
