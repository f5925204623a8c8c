"""Command-line manners: help for everything, errors that say who speaks, completion,
and a clear refusal when there is no terminal for the full-screen game."""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from kissgame.__main__ import build_parser, main

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "first_day"


def _all_parsers(parser: argparse.ArgumentParser):
    yield parser.prog, parser
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for sub in action.choices.values():
                yield from _all_parsers(sub)


def test_every_argument_and_command_has_help():
    missing = []
    for prog, parser in _all_parsers(build_parser()):
        for action in parser._actions:
            if isinstance(action, argparse._SubParsersAction):
                missing += [f"{prog} {c.dest}" for c in action._choices_actions if not c.help]
            elif not action.help or action.help == argparse.SUPPRESS:
                missing.append(f"{prog} {action.dest}")
    assert not missing


def test_help_lists_exit_codes_and_kissgame_home(capsys):
    with pytest.raises(SystemExit) as info:
        main(["--help"])
    assert info.value.code == 0
    out = capsys.readouterr().out
    assert "exit codes:" in out and "KISSGAME_HOME" in out
    for code in ("0 ", "1 ", "2 ", "130"):
        assert f"\n  {code}" in out


def test_errors_start_with_the_program_name(tmp_path, make_story, capsys):
    assert main(["check", str(tmp_path / "missing")]) == 2
    broken = tmp_path / "bad.yaml"
    broken.write_text("[not, a, recording")
    assert main(["replay", str(broken), "--story", str(EXAMPLE)]) == 1
    root = make_story("format: 1\nid: t\ntitle: T\nstart: a\n", "scenes: [{id: a\n")
    assert main(["explore", str(root)]) == 1
    err = capsys.readouterr().err.splitlines()
    headlines = [line for line in err if not line.startswith(str(root))]
    assert len(headlines) == 3 and all(line.startswith("kissgame: error: ") for line in
                                       headlines), err


def test_no_terminal_says_so_in_one_line_and_exits_2():
    out = subprocess.run([sys.executable, "-m", "kissgame"], stdin=subprocess.DEVNULL,
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 2
    assert out.stdout == ""
    lines = out.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("kissgame: error: no terminal")
    assert "kissgame play --plain" in lines[0]


def _complete(shell_script: str, words: list[str], cwd: Path) -> list[str]:
    """Run the bash completion function for a command line whose last word is unfinished."""
    words_literal = " ".join(f"'{w}'" for w in words)
    driver = (f"{shell_script}\nCOMP_WORDS=({words_literal}); COMP_CWORD={len(words) - 1}\n"
              "_kissgame; printf '%s\\n' \"${COMPREPLY[@]}\"\n")
    out = subprocess.run(["bash", "--norc", "--noprofile", "-c", driver], cwd=cwd,
                         capture_output=True, text=True, timeout=30)
    assert out.returncode == 0, out.stderr
    return [line for line in out.stdout.splitlines() if line]


@pytest.mark.skipif(shutil.which("bash") is None, reason="bash is not installed")
def test_bash_completion_completes_commands_options_choices_and_folders(tmp_path, capsys):
    assert main(["--print-completion", "bash"]) == 0
    script = capsys.readouterr().out
    (tmp_path / "mystory").mkdir()
    (tmp_path / "notes.txt").write_text("")
    assert _complete(script, ["kissgame", "ex"], tmp_path) == ["explore"]
    assert _complete(script, ["kissgame", "graph", "--format", "me"], tmp_path) == ["mermaid"]
    assert _complete(script, ["kissgame", "explore", "--wr"], tmp_path) == [
        "--write-recordings"]
    assert _complete(script, ["kissgame", "check", "my"], tmp_path) == ["mystory"]
    assert _complete(script, ["kissgame", "check", "no"], tmp_path) == []
    assert _complete(script, ["kissgame", "replay", "no"], tmp_path) == ["notes.txt"]
    assert "explore" not in _complete(script, ["kissgame", "play", "--"], tmp_path)


@pytest.mark.skipif(shutil.which("zsh") is None, reason="zsh is not installed")
def test_zsh_completion_loads_and_registers(capsys):
    assert main(["--print-completion", "zsh"]) == 0
    script = capsys.readouterr().out
    out = subprocess.run(["zsh", "-f", "-c", f"{script}\nprint -r -- $_comps[kissgame]"],
                         capture_output=True, text=True, timeout=30)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() != ""
