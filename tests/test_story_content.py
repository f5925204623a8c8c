"""The built-in story: clean under check, every ending reachable, big enough, and its
recordings (one per ending) still replay to the ending they name."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import pytest

from kissgame.checker import check
from kissgame.explorer import explore, story_stats
from kissgame.loader import load_story
from kissgame.recording import read_recording, run_recording
from kissgame.resources import default_story_root

RECORDINGS = Path(__file__).parent / "recordings" / "story"


@cache
def story():
    result = load_story(default_story_root())
    assert result.ok, [d.format() for d in result.diagnostics]
    return result.story


def test_check_reports_nothing():
    _result, findings = check(default_story_root())
    assert [f.format() for f in findings] == []


def test_every_ending_is_reachable_without_dead_ends():
    report = explore(story())
    missing = [e for e, path in report.endings.items() if path is None]
    assert missing == [] and report.dead_ends == []
    assert report.unreached_scenes == []


def test_size_and_shape():
    s = story()
    stats = story_stats(s, playthroughs=200)
    assert stats.scenes >= 120
    assert stats.words >= 30_000
    assert stats.endings >= 9
    assert stats.meaningful_choices >= 0.75 * stats.choices
    assert stats.avg_choices >= 30
    assert 6_000 <= stats.avg_words <= 10_500
    episodes = {scene.episode for scene in s.scenes.values()}
    assert {f"ep{n}" for n in range(1, 11)} <= episodes


def test_every_ending_has_a_recording():
    assert {p.stem for p in RECORDINGS.glob("*.yaml")} >= set(story().endings)


@pytest.mark.parametrize("path", sorted(RECORDINGS.glob("*.yaml")), ids=lambda p: p.stem)
def test_recording_replays_to_its_ending(path):
    recording = read_recording(path)
    result = run_recording(story(), recording)
    assert result.ok, result.problem
    assert story().scenes[result.final.scene].ending == recording.expect_ending
