"""Choice ids never collide silently; recordings live beside the story."""

from __future__ import annotations

from pathlib import Path

from kissgame.__main__ import main
from kissgame.engine import build_story
from kissgame.loader import load_story

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "missing_letter"


def test_two_choices_to_one_target_name_both_lines():
    manifest = {"format": 1, "id": "t", "title": "T", "start": "a",
                "endings": {"done": {"title": "D"}}}
    scenes = {"scenes": [{"id": "a", "choices": [{"label": "x", "to": "b"},
                                                 {"label": "y", "to": "b"}]},
                         {"id": "b", "ending": "done", "text": "b"}]}
    _s, found = build_story(manifest, [("s.yaml", scenes)])
    [dup] = [d for d in found if d.code == "KG111"]
    assert "'b'" in dup.message and "lines " in dup.message


def test_recordings_beside_the_story_are_not_scenes_and_replay_finds_the_story(
        tmp_path, capsys):
    import shutil

    root = tmp_path / "story"
    shutil.copytree(EXAMPLE, root)
    assert main(["explore", str(root), "--write-recordings"]) == 0
    written = sorted(p.name for p in (root / "recordings").glob("*.yaml"))
    assert written == ["cold.yaml", "solved.yaml", "wrong.yaml"]
    result = load_story(root)
    assert result.ok, [d.format() for d in result.diagnostics]
    capsys.readouterr()
    assert main(["replay", str(root / "recordings" / "solved.yaml")]) == 0
    assert "Q hands the letter back" in capsys.readouterr().out
