from __future__ import annotations

import shutil
from pathlib import Path

from kissgame.cache import load_story_cached, story_key

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "first_day"


def entries(folder: Path) -> list[Path]:
    return sorted(folder.glob("story-*.bin"))


def test_warm_load_equals_cold_load(tmp_path):
    story = tmp_path / "s"
    shutil.copytree(EXAMPLE, story)
    cold = load_story_cached(story, tmp_path / "cache")
    assert cold.ok and len(entries(tmp_path / "cache")) == 1
    warm = load_story_cached(story, tmp_path / "cache")
    assert warm.story == cold.story


def test_edit_makes_a_new_key(tmp_path):
    story = tmp_path / "s"
    shutil.copytree(EXAMPLE, story)
    before = story_key(story)
    scene = story / "scenes" / "night.yaml"
    scene.write_text(scene.read_text().replace("taller than", "much taller than"))
    assert story_key(story) != before
    loaded = load_story_cached(story, tmp_path / "cache")
    assert "much taller" in str(loaded.story.scenes["gate"].text[0].text)


def test_corrupt_cache_is_ignored_and_rebuilt(tmp_path):
    story = tmp_path / "s"
    shutil.copytree(EXAMPLE, story)
    load_story_cached(story, tmp_path / "cache")
    entry = entries(tmp_path / "cache")[0]
    data = bytearray(entry.read_bytes())
    data[-10] ^= 0xFF
    entry.write_bytes(bytes(data))
    again = load_story_cached(story, tmp_path / "cache")
    assert again.ok and again.story.id == "first-day-example"
    entry.write_bytes(b"truncated")
    assert load_story_cached(story, tmp_path / "cache").ok


def test_broken_story_is_not_cached(tmp_path):
    story = tmp_path / "s"
    shutil.copytree(EXAMPLE, story)
    (story / "scenes" / "bad.yaml").write_text("scenes: [ {id: x, ")
    result = load_story_cached(story, tmp_path / "cache")
    assert not result.ok and entries(tmp_path / "cache") == []


def test_a_change_in_the_compiled_classes_makes_a_new_key(tmp_path, monkeypatch):
    # a field added to a model class without a new COMPILED_FORMAT: the old entry must be
    # a miss (rebuilt), not a hit whose scenes all fail their checks on every warm start
    import kissgame.cache as cache

    story = tmp_path / "s"
    shutil.copytree(EXAMPLE, story)
    assert load_story_cached(story, tmp_path / "cache").ok
    before = story_key(story)
    monkeypatch.setattr(cache, "SHAPE", cache._shape(cache.Story) + "+fallback")
    assert story_key(story) != before
    assert load_story_cached(story, tmp_path / "cache").ok
    assert len(entries(tmp_path / "cache")) == 2
