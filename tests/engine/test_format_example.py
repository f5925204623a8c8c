"""The example story of the newer format features checks clean and explores fully."""

from __future__ import annotations

from pathlib import Path

from kissgame.__main__ import main

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "missing_letter"


def test_example_checks_and_explores(capsys):
    assert main(["check", str(EXAMPLE)]) == 0
    assert main(["explore", str(EXAMPLE)]) == 0
    out = capsys.readouterr().out
    assert "endings reached: 3/3" in out and "scenes reached: 5/5" in out
