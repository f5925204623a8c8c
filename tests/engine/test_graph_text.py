"""`kissgame graph --format dot` keeps non-ASCII text as UTF-8, as Graphviz reads it."""

from __future__ import annotations

import shutil
import subprocess

import pytest

from kissgame.__main__ import main

MANIFEST = """\
format: 1
id: cafe
title: "Café"
start: cafe
episodes:
  ep1: "Épisode 1: 서울"
endings:
  fin: {title: "La fin ♥"}
"""
SCENES = """\
episode: ep1
scenes:
  - id: cafe
    title: "Café 서울"
    text: "Bonjour."
    choices:
      - {label: "Commander un café au lait très, très chaud s'il vous plaît", id: long, to: fin}
      - {label: 'Say "안녕" with a \\ backslash', id: hi, to: fin}
  - id: fin
    title: "Fin"
    ending: fin
"""


@pytest.fixture
def dot_text(make_story, capsysbinary) -> str:
    root = make_story(MANIFEST, SCENES)
    assert main(["graph", str(root), "--format", "dot"]) == 0
    return capsysbinary.readouterr().out.decode("utf-8")


def test_dot_keeps_unicode_and_ellipsis(dot_text):
    assert "Café 서울" in dot_text and "Épisode 1: 서울" in dot_text and "La fin ♥" in dot_text
    assert "u00e9" not in dot_text and "uc11c" not in dot_text and "u2026" not in dot_text
    assert 'très, très ch…"' in dot_text  # a shortened label ends in a real ellipsis
    assert 'Say \\"안녕\\" with a \\\\ backslash' in dot_text


@pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz is not installed")
def test_graphviz_renders_the_text(dot_text):
    svg = subprocess.run(["dot", "-Tsvg"], input=dot_text.encode("utf-8"), capture_output=True,
                         check=True, timeout=60).stdout.decode("utf-8")
    assert "Café 서울" in svg and "La fin ♥" in svg
