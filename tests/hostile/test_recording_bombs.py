"""Class 5 for recordings: a hostile recording is refused quickly, with its place, and
never hangs ``replay`` or ``play --replay``.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from kissgame.__main__ import main
from kissgame.playerfile import MAX_CHOICES
from kissgame.recording import MAX_RECORDING_BYTES, RecordingError, read_recording

EXAMPLE = Path(__file__).parents[2] / "examples" / "first_day"


def alias_bomb() -> str:
    lines = ["recording: 1", "story: first-day-example", "seed: 1",
             "a0: &a0 [gate, gate, gate, gate, gate, gate, gate, gate, gate]"]
    lines += [f"a{i}: &a{i} [*a{i - 1}, *a{i - 1}, *a{i - 1}, *a{i - 1}]" for i in range(1, 40)]
    lines.append("choices: *a39")
    return "\n".join(lines) + "\n"


BOMBS = {
    "alias bomb": (alias_bomb(), "anchors and aliases"),
    "alias of a plain scalar": ("recording: 1\nstory: &s first-day-example\nseed: 1\n"
                                "choices: [*s]\n", "anchors and aliases"),
    "base-60 seed": ("recording: 1\nstory: first-day-example\nseed: "
                     + ":".join(["59"] * 20_000) + "\nchoices: []\n", "base-60"),
    "million choices": ("recording: 1\nstory: first-day-example\nseed: 1\nchoices: ["
                        + ", ".join(["gate"] * (MAX_CHOICES + 1)) + "]\n", "more than"),
    "python tag": ("recording: 1\nstory: !!python/object/apply:os.system [echo]\nseed: 1\n"
                   "choices: []\n", "not allowed"),
    "deep nesting": ("choices: " + "[" * 100 + "]" * 100 + "\n", "nested"),
}


@pytest.mark.parametrize("text,reason", BOMBS.values(), ids=BOMBS.keys())
def test_hostile_recording_is_refused_quickly(tmp_path, text, reason):
    path = tmp_path / "r.yaml"
    path.write_text(text)
    start = time.perf_counter()
    with pytest.raises(RecordingError, match=reason):
        read_recording(path)
    # Not a timing assertion on speed, a guard against a hang: the unbounded reader
    # took minutes on these files.
    assert time.perf_counter() - start < 30


def test_oversized_recording_is_refused_before_reading(tmp_path):
    path = tmp_path / "r.yaml"
    with path.open("w") as handle:
        handle.write("# padding\n" * (MAX_RECORDING_BYTES // 10 + 1))
    with pytest.raises(RecordingError, match="larger than"):
        read_recording(path)


def test_replay_command_reports_a_bomb_as_an_error(tmp_path, capsys):
    path = tmp_path / "r.yaml"
    path.write_text(alias_bomb())
    assert main(["replay", str(path), "--story", str(EXAMPLE)]) == 1
    err = capsys.readouterr().err
    assert "r.yaml:4:5" in err and "anchors and aliases" in err


def test_a_plain_recording_still_reads(tmp_path):
    path = tmp_path / "r.yaml"
    path.write_text("recording: 1\nstory: first-day-example\nseed: 2\n"
                    "choices: [courtyard, hallway]\nexpect_ending: friends\n")
    recording = read_recording(path)
    assert recording.choices == ["courtyard", "hallway"] and recording.seed == 2


def test_a_fifo_recording_does_not_block(tmp_path):
    import os

    path = tmp_path / "r.yaml"
    os.mkfifo(path)
    with pytest.raises(RecordingError, match="regular file"):
        read_recording(path)
