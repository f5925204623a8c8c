"""The markup corpus stays a valid story, so faces can be tested against it."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from kissgame.branches import load_memory
from kissgame.loader import load_story
from kissgame.saves import SaveStore, restore

HERE = Path(__file__).parent
MARKUP = HERE / "stories" / "markup"


def test_markup_story_loads_without_findings() -> None:
    result = load_story(MARKUP)
    assert result.ok and result.diagnostics == []
    story = result.story
    assert story is not None
    assert story.title.startswith("[@click=app.quit]")
    assert story.characters["dae"].name == "[/]"


def test_markup_player_files_load_as_text(tmp_path: Path) -> None:
    story = load_story(MARKUP).story
    assert story is not None
    store = SaveStore(story.id, tmp_path / "saves")
    store.folder.mkdir(parents=True)
    shutil.copy(HERE / "player_files" / "markup_save.json", store.path("1"))
    info = store.read("1")
    assert info.data is not None, info.problem
    assert info.data.scene_title == "[link=https://example.invalid]Scene[/link] [/]"
    assert restore(story, info.data).state.scene == "middle"
    branches = tmp_path / "branches"
    branches.mkdir()
    raw = json.loads((HERE / "player_files" / "markup_branches.json").read_text())
    (branches / "hostile-markup.json").write_text(json.dumps(raw))
    memory, problem = load_memory(story, tmp_path)
    assert problem is None
    assert memory.scenes["start"].seen["go"].startswith("[@click=app.quit]")
