"""Class 2 at the command line: check, explore, replay and graph print hostile content
inertly. No control character but newline and tab reaches stdout or stderr, whether it
came from story text, a file name or a recording.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from kissgame.__main__ import main
from kissgame.printable import PrintableStream, printable

CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
ESCAPES = r"\e]52;c;cHduZWQ=\a \e]2;title\x07 \e[2J \x9b2J \r"

MANIFEST = f"""\
format: 1
id: hostile
title: "{ESCAPES} title"
start: a
characters:
  k: {{name: "{ESCAPES}", color: "{ESCAPES}"}}
endings:
  done: {{title: "{ESCAPES} ending", turns_on: "{ESCAPES}", hint: "{ESCAPES}"}}
"""
SCENES = f"""\
scenes:
  - id: a
    title: "{ESCAPES}"
    text:
      - "{ESCAPES} prose"
      - k: "{ESCAPES} dialogue"
    choices:
      - {{id: go, label: "{ESCAPES} label", to: b}}
  - id: b
    title: "{ESCAPES}"
    text: "{ESCAPES}"
    ending: done
"""


def assert_inert(text: str) -> None:
    found = CONTROL.search(text)
    assert found is None, f"control character {found.group()!r} in {text!r}"


@pytest.fixture
def story(make_story) -> Path:
    return make_story(MANIFEST, {"scenes/s.yaml": SCENES})


@pytest.mark.parametrize("argv", [
    ["check"], ["check", "--json"], ["explore"], ["explore", "--json"],
    ["graph", "--format", "dot"], ["graph", "--format", "mermaid"], ["graph", "--format", "text"],
])
def test_story_commands_print_escapes_inertly(story, capsys, argv):
    main([*argv, str(story)])
    out, err = capsys.readouterr()
    assert_inert(out)
    assert_inert(err)
    if argv == ["check"]:
        assert "KG016" in out


def test_replay_prints_escapes_inertly(story, tmp_path, capsys):
    recording = tmp_path / "r.yaml"
    recording.write_text('recording: 1\nstory: hostile\nseed: 1\ntitle: "\\e]2;x\\a"\n'
                         'choices: [go]\n')
    assert main(["replay", str(recording), "--story", str(story)]) == 0
    out, err = capsys.readouterr()
    assert_inert(out)
    assert_inert(err)
    assert "\u241b]52;c;cHduZWQ=\u2407" in out  # visible, not hidden


def test_replay_of_a_recording_with_escapes_in_its_choices(story, tmp_path, capsys):
    recording = tmp_path / "r.yaml"
    recording.write_text('recording: 1\nstory: hostile\nseed: 1\n'
                         'choices: ["\\e]52;c;cHduZWQ=\\a", "\\e[2J"]\n')
    assert main(["replay", str(recording), "--story", str(story)]) == 1
    out, err = capsys.readouterr()
    assert_inert(out)
    assert_inert(err)


def test_a_file_name_with_escapes_is_printed_inertly(story, capsys):
    (story / "scenes" / "x\x1b]2;pwned\x07.yaml").write_text("scenes: [")
    assert main(["check", str(story)]) == 1
    out, err = capsys.readouterr()
    assert_inert(out)
    assert_inert(err)
    assert "x\u241b]2;pwned\u2407.yaml" in out


def test_a_usage_error_echoes_arguments_inertly(capsys):
    with pytest.raises(SystemExit):
        main(["check", "--x\x1b]2;pwned\x07"])
    err = capsys.readouterr().err
    assert_inert(err)
    assert "\u241b]2;pwned" in err


def test_printable_stream_keeps_newlines_and_tabs():
    class Sink:
        def __init__(self):
            self.parts = []

        def write(self, text):
            self.parts.append(text)
            return len(text)

    sink = Sink()
    stream = PrintableStream(sink)  # type: ignore[arg-type]
    stream.write("a\tb\nc\x1b[2J\x9b\x7f\x00")
    assert "".join(sink.parts) == "a\tb\nc\u241b[2J\ufffd\u2421\u2400"
    assert printable("plain text, ünïcode ✓") == "plain text, ünïcode ✓"
