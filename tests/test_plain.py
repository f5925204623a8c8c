"""kissgame play --plain: line-by-line play for screen readers, pipes and scripts."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys

import pytest

from kissgame.__main__ import main

MANIFEST = """\
format: 1
id: plain-test
title: "Plain Test"
start: hall
characters:
  q: {name: Q, color: "#7fdbca"}
episodes:
  one: {title: "Episode One"}
vars:
  ship:
    q_kitty: {value: 0, min: 0, max: 5}
  coins: 0
endings:
  friends: {title: "Friends at Last"}
ships:
  q_kitty: {label: "Q + Kitty", var: ship.q_kitty, max: 5}
"""

SCENES = """\
episode: one
scenes:
  - id: hall
    title: "The Hall"
    text:
      - >-
        The hall is **very** long and *very* quiet. It goes on for a while, long
        enough that a sentence about it needs to be wrapped at a narrow width.
      - q: "You look lost."
    choices:
      - label: "Buy a snack"
        id: snack
        if: coins > 0
        locked: "You'd need a coin"
        to: stairs
      - label: "Smile at Q"
        id: smile
        do: ship.q_kitty += 2
        to: stairs
      - label: "Walk on"
        id: walk
        to: stairs
      - label: "Ask Q the way"
        id: ask
        once: true
        reply:
          - q: "Up the stairs."
  - id: stairs
    title: "The Stairs"
    text:
      - "The stairs go up."
    choices:
      - label: "Climb"
        to: roof
  - id: roof
    title: "The Roof"
    text:
      - "Stars."
    ending: friends
"""


@pytest.fixture
def story(make_story):
    return make_story(MANIFEST, {"scenes/one.yaml": SCENES})


def play(monkeypatch, capsys, story, text: str, *extra: str) -> tuple[int, str]:
    monkeypatch.setattr(sys, "stdin", io.StringIO(text))
    code = main(["play", "--plain", str(story), *extra])
    return code, capsys.readouterr().out


def test_a_scene_prints_title_paragraphs_speakers_and_numbered_choices(
        monkeypatch, capsys, story):
    code, out = play(monkeypatch, capsys, story, "quit\n")
    assert code == 0
    assert out.splitlines()[0] == "Plain Test"
    assert "Episode One\n\nThe Hall\n\nThe hall is very long and very quiet." in out
    assert "Q: You look lost.\n" in out
    assert ("Choices:\n1. Buy a snack (locked: You'd need a coin)\n2. Smile at Q\n"
            "3. Walk on\n4. Ask Q the way\n") in out
    assert "\x1b" not in out and "*" not in out


def test_numbers_choose_and_the_story_goes_on_to_its_ending(monkeypatch, capsys, story):
    code, out = play(monkeypatch, capsys, story, "2\n1\n")
    assert code == 0
    assert "You chose: Smile at Q\n\nThe Stairs\n\nThe stairs go up." in out
    assert "You chose: Climb\n\nThe Roof\n\nStars.\n\nThe end: Friends at Last" in out


def test_a_reply_comes_right_after_the_choice_then_the_scene(monkeypatch, capsys, story):
    code, out = play(monkeypatch, capsys, story, "4\nquit\n")
    assert code == 0
    assert "You chose: Ask Q the way\n\nQ: Up the stairs.\n\nThe Hall\n\nThe hall is" in out
    assert out.split("Q: Up the stairs.")[1].count("Ask Q the way") == 0  # once: gone


def test_a_fallback_passage_comes_before_the_next_title_with_no_choice(
        monkeypatch, capsys, make_story):
    scenes = SCENES.replace('''      - label: "Climb"
        to: roof''', '''      - fallback: true
        to: roof
        reply: "I climb without thinking."''')
    code, out = play(monkeypatch, capsys, make_story(MANIFEST, {"scenes/one.yaml": scenes}),
                     "3\n")
    assert code == 0
    assert ("You chose: Walk on\n\nThe stairs go up.\n\nI climb without thinking.\n\n"
            "The Roof\n\nStars.\n\nThe end: Friends at Last") in out
    assert "Continue" not in out and "Climb" not in out


def test_locked_out_of_range_and_unknown_input_are_explained(monkeypatch, capsys, story):
    code, out = play(monkeypatch, capsys, story, "1\n7\ndance wildly\n\n3\n")
    assert code == 0
    assert "That choice is locked: You'd need a coin." in out
    assert "There is no choice 7: choose 1 to 4, or type help." in out
    assert "I don't know 'dance wildly'. Type a choice's number, or help." in out
    assert "You chose: Walk on" in out


def test_end_of_input_exits_0_with_a_message_and_saves_nothing(
        monkeypatch, capsys, story, kissgame_home):
    code, out = play(monkeypatch, capsys, story, "2\n")
    assert code == 0
    assert out.rstrip().endswith("End of input: leaving without saving.")
    saves = kissgame_home / "data" / "saves" / "plain-test"
    assert sorted(p.name for p in saves.iterdir()) == ["auto.json"]  # the new game's own
    assert json.loads((saves / "auto.json").read_text())["state"]["path"] == []


def test_save_load_and_rewind(monkeypatch, capsys, story, kissgame_home):
    code, out = play(monkeypatch, capsys, story,
                     "2\nsave 3\n1\nload 3\nrewind\nsave 9\nsave 12\nload\nquit\n")
    assert code == 0
    assert "Saved to Slot 3." in out
    after_load = out.split("Loaded Slot 3.")[1]
    assert after_load.lstrip().startswith("Episode One\n\nThe Stairs")
    assert "Rewound 1 choice." in after_load
    assert after_load.split("Rewound 1 choice.")[1].lstrip().startswith("The Hall\n")
    assert "There is no slot '12'" in out
    listing = out.split("Save slots:")[1]
    assert "\n3: Episode One / The Stairs, " in listing and "\n4: empty" in listing
    slot = json.loads((kissgame_home / "data" / "saves" / "plain-test" / "9.json").read_text())
    assert slot["state"]["path"] == []


def test_history_and_notebook(monkeypatch, capsys, story):
    code, out = play(monkeypatch, capsys, story, "notebook\n2\nhistory\nnotebook\nquit\n")
    assert code == 0
    notebooks = out.split("Ships:")
    assert notebooks[1].startswith("\n  Q + Kitty: 0 of 5")
    assert notebooks[2].startswith("\n  Q + Kitty: 2 of 5")
    assert "So far:\n1. The Hall: you chose Smile at Q\n" in out


def test_help_lists_every_command(monkeypatch, capsys, story):
    _code, out = play(monkeypatch, capsys, story, "help\nquit\n")
    for command in ("save N", "load N", "rewind", "history", "notebook", "help", "quit"):
        assert f"\n  {command}" in out


def test_lines_wrap_to_the_width(monkeypatch, capsys, story):
    monkeypatch.setenv("COLUMNS", "40")
    _code, out = play(monkeypatch, capsys, story, "quit\n")
    assert max(len(line) for line in out.splitlines()) <= 40
    assert "The hall is very long and very quiet. It goes on for a while" not in out


def test_wide_characters_wrap_by_the_columns_they_take():
    from kissgame.plain import PlainGame, cells

    out = io.StringIO()
    game = PlainGame(session=None, out=out, width=20)  # type: ignore[arg-type]
    game.say("서울 카페에서 만나요 Kitty 그리고 Q 는 기다려요 오래오래 café")
    lines = out.getvalue().splitlines()
    assert len(lines) > 2 and max(cells(line) for line in lines) <= 20
    assert cells("서울") == 4 and cells("cafe\u0301") == 4


def test_color_only_when_asked_and_never_with_no_color(monkeypatch, capsys, story):
    monkeypatch.delenv("NO_COLOR", raising=False)
    _code, out = play(monkeypatch, capsys, story, "quit\n", "--color")
    assert "\x1b[1;38;2;127;219;202mQ\x1b[0m: You look lost." in out
    monkeypatch.setenv("NO_COLOR", "1")
    _code, out = play(monkeypatch, capsys, story, "quit\n", "--color")
    assert "\x1b" not in out and "Q: You look lost." in out


def test_story_text_is_printed_inertly():
    from kissgame.plain import PlainGame

    out = io.StringIO()
    game = PlainGame(session=None, out=out)  # type: ignore[arg-type]
    game.say("title\x1b]52;c;ZXZpbA==\x07 and \x1b[2J\x9b done", speaker="x", tint="#ffffff")
    assert out.getvalue() == "title\u241b]52;c;ZXZpbA==\u2407 and \u241b[2J\ufffd done\n"


def test_plain_refuses_the_tui_only_options(monkeypatch, capsys, story):
    monkeypatch.setattr(sys, "stdin", io.StringIO(""))
    assert main(["play", "--plain", "--watch", str(story)]) == 2
    assert capsys.readouterr().err.startswith("kissgame: error: --plain cannot")


def test_the_issue_pipe_plays_the_builtin_story_without_escape_codes(tmp_path):
    """``printf '1\\n1\\nquit\\n' | kissgame play --plain``, as a user would type it."""
    env = {k: v for k, v in os.environ.items() if k not in ("COLUMNS", "NO_COLOR")}
    out = subprocess.run([sys.executable, "-m", "kissgame", "play", "--plain"],
                         input="1\n1\nquit\n", capture_output=True, text=True, env=env,
                         timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stderr == ""
    text = out.stdout
    assert "\x1b" not in text and "\r" not in text
    assert text.count("You chose: ") == 2 and text.count("Choices:\n1. ") == 3
    assert max(len(line) for line in text.splitlines()) <= 80
    assert text.splitlines()[0] == "XO, Kitty: Matchmaker of KISS"
    assert not any(ch in text for ch in "─│╭╮╰╯═║╔╗╚╝█░")
