"""A roll depends only on the seed, the turn and where the call sits in its scene."""

from __future__ import annotations

import shutil
import textwrap
from pathlib import Path

from kissgame.__main__ import main
from kissgame.engine import current, replay
from kissgame.loader import load_story

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "first_day"
RECORDINGS = ROOT / "tests" / "recordings" / "first_day"

MANIFEST = """\
format: 1
id: dice
title: Dice
start: a
vars:
  luck: 0
  gold: 0
  lucky: false
endings:
  done: {title: Done}
"""
SCENES = """\
scenes:
  - id: a
    on_enter: luck += random(1, 6)
    text:
      - "You find {random(1, 100)} coins and {random(1, 100)} buttons."
      - {if: "chance(50)", then: "A cat follows you.", else: "No cat."}
    choices:
      - label: "Dig ({random(1, 20)})"
        id: dig
        to: a
        do:
          - gold += random(1, 10) + random(1, 10)
          - lucky = chance(30)
      - {label: Stop, id: stop, to: z}
  - id: z
    ending: done
    text: "Luck {luck}, gold {gold}."
"""
PATH = ["dig"] * 8 + ["stop"]


def write(folder: Path, manifest: str, scenes: dict[str, str]) -> Path:
    folder.mkdir(parents=True)
    (folder / "story.yaml").write_text(manifest, encoding="utf-8")
    for name, text in scenes.items():
        (folder / name).write_text(text, encoding="utf-8")
    return folder


def playthrough(root: Path, seed: int) -> list[object]:
    """Everything the dice decide along PATH: variables and the text shown."""
    story = load_story(root).story
    assert story is not None
    return [(dict(s.vars), current(story, s).lines, current(story, s).choices)
            for s in replay(story, seed, PATH)]


def test_rolls_do_not_depend_on_where_the_story_sits(tmp_path):
    short = write(tmp_path / "a", MANIFEST, {"s.yaml": SCENES})
    long = write(tmp_path / "a much longer folder name" / "nested" / "deeper" / "b",
                 MANIFEST, {"s.yaml": SCENES})
    for seed in (1, 2, 3):
        assert playthrough(short, seed) == playthrough(long, seed)


def test_rolls_change_with_the_seed(tmp_path):
    root = write(tmp_path / "a", MANIFEST, {"s.yaml": SCENES})
    assert playthrough(root, 1) != playthrough(root, 2)


def test_unrelated_edits_leave_every_roll_unchanged(tmp_path):
    before = write(tmp_path / "before", MANIFEST, {"s.yaml": SCENES})
    edited_scenes = SCENES.replace("scenes:\n", textwrap.dedent("""\
        # a comment
        # and another, moving every line down

        scenes:
          - id: new_scene
            text: "An unrelated scene with its own roll: {random(1, 6)}."
            choices: [{label: back, to: a}]
        """), 1).replace(
        "      - {label: Stop, id: stop, to: z}",
        "      - {label: 'A new choice ({random(1, 3)})', id: extra, to: z, if: chance(10)}\n"
        "      - {label: Stop,    id: stop,   to: z}   # re-spaced")
    after = write(tmp_path / "after", MANIFEST.replace("title: Dice", "title: Dice, edited"), {
        "0_first.yaml": "scenes:\n  - {id: other, text: '{random(1, 9)}', next: a}\n",
        "s.yaml": edited_scenes,
    })
    for seed in (1, 2, 3, 4):
        old, new = playthrough(before, seed), playthrough(after, seed)
        assert [vars for vars, _, _ in old] == [vars for vars, _, _ in new]
        assert [lines for _, lines, _ in old] == [lines for _, lines, _ in new]


def test_same_recording_same_transcript_from_two_folders(tmp_path, capsys):
    recording = RECORDINGS / "friends_with_banana_milk.yaml"
    transcripts = []
    for folder in (tmp_path / "x", tmp_path / "a-rather-long-checkout-folder-name" / "first_day"):
        shutil.copytree(EXAMPLE, folder)
        assert main(["replay", str(recording), "--story", str(folder)]) == 0
        transcripts.append(capsys.readouterr().out)
    assert transcripts[0] == transcripts[1]
    assert "banana milk" in transcripts[0].lower()
