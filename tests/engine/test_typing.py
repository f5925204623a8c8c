"""The engine type-checks under mypy --strict, with no errors and no ignores needed."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ENGINE = Path(__file__).resolve().parents[2] / "src" / "kissgame" / "engine"


def test_engine_is_mypy_strict_clean(tmp_path):
    pytest.importorskip("mypy", reason="mypy is in the test extras")
    result = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--cache-dir", str(tmp_path), str(ENGINE)],
        capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Success: no issues found" in result.stdout


def test_the_whole_package_type_checks(tmp_path):
    """Outside the engine, plain mypy (types-PyYAML, in the test extras, types the loader)."""
    pytest.importorskip("mypy", reason="mypy is in the test extras")
    result = subprocess.run(
        [sys.executable, "-m", "mypy", "--cache-dir", str(tmp_path), str(ENGINE.parent)],
        capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stdout + result.stderr
