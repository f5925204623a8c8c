from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "first_day"
BUILTIN = ROOT / "story"


def write_story(folder: Path, manifest: str, scenes: str | dict[str, str]) -> Path:
    """Write a story folder from YAML text; ``scenes`` may map file names to text."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "story.yaml").write_text(textwrap.dedent(manifest), encoding="utf-8")
    files = scenes if isinstance(scenes, dict) else {"scenes.yaml": scenes}
    for name, text in files.items():
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text), encoding="utf-8")
    return folder


@pytest.fixture(autouse=True)
def kissgame_home(tmp_path_factory, monkeypatch):
    """Every test gets its own data and cache folders."""
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("KISSGAME_HOME", str(home))
    return home


@pytest.fixture
def make_story(tmp_path):
    counter = iter(range(1000))

    def make(manifest: str, scenes: str | dict[str, str]) -> Path:
        return write_story(tmp_path / f"story{next(counter)}", manifest, scenes)

    return make
