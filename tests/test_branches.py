"""Branch memory: recording play, surviving restarts, story edits and damaged files."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from kissgame.__main__ import main
from kissgame.branches import (
    BranchMemory,
    export_recording,
    load_memory,
    memory_path,
    save_memory,
)
from kissgame.engine import choose, new_game, replay
from kissgame.loader import load_story
from kissgame.recording import read_recording

FIXTURE = Path(__file__).parent / "fixtures" / "branchy"
NOW = "2025-01-02T03:04:05+00:00"


@pytest.fixture(autouse=True)
def home(tmp_path, monkeypatch):
    monkeypatch.setenv("KISSGAME_HOME", str(tmp_path / "home"))
    return tmp_path / "home"


@pytest.fixture
def story():
    result = load_story(FIXTURE)
    assert result.ok, result.diagnostics
    return result.story


def play(story, memory, path, seed=7):
    state = new_game(story, seed)
    memory.observe(story, state, NOW)
    for choice_id in path:
        state = choose(story, state, choice_id)
        memory.observe(story, state, NOW)
    return state


def test_records_scenes_choices_and_endings(story):
    memory = BranchMemory(story.id)
    play(story, memory, ["to_dorm", "next", "sit_q"])
    assert memory.visited("arrival") and memory.visited("hall") and memory.visited("with_q")
    assert not memory.visited("campus")
    assert memory.taken("arrival") == {"to_dorm"}
    assert memory.open_branches("arrival") == ["to_campus"]
    # the library choice was never shown (no yearbook): it is not an open branch
    assert memory.open_branches("hall") == ["stairwell"]
    assert memory.found("friends") and not memory.found("alone")
    assert memory.endings["friends"].first_found == NOW
    assert memory.endings["friends"].arrival.path == ("to_dorm", "next", "sit_q")


def test_round_trip_through_disk(story):
    memory = BranchMemory(story.id)
    play(story, memory, ["to_dorm", "next", "sit_q"])
    play(story, memory, ["to_campus", "yearbook", "library"], seed=9)
    assert save_memory(memory) is None
    again, problem = load_memory(story)
    assert problem is None
    assert again.to_dict() == memory.to_dict()
    assert set(again.endings) == {"friends", "shelved"}
    assert again.endings["shelved"].arrival.seed == 9


def test_state_at_rebuilds_the_exact_state(story):
    memory = BranchMemory(story.id)
    play(story, memory, ["to_campus", "yearbook", "library"], seed=3)
    expected = replay(story, 3, ["to_campus", "yearbook"])[-1]
    assert memory.state_at(story, "hall") == expected
    assert memory.state_at(story, "dorm") is None


def test_a_load_or_jump_records_the_whole_path(story):
    memory = BranchMemory(story.id)
    state = replay(story, 5, ["to_campus", "skip"])[-1]
    memory.observe(story, state, NOW)  # never saw the steps before: a loaded save
    assert memory.taken("arrival") == {"to_campus"}
    assert memory.taken("campus") == {"skip"}
    assert memory.visited("hall")


def test_rewind_then_choose_differently(story):
    memory = BranchMemory(story.id)
    end = play(story, memory, ["to_dorm", "next", "sit_q"])
    back = replay(story, end.seed, end.path[:2])[-1]
    memory.observe(story, back, NOW)
    memory.observe(story, choose(story, back, "stairwell"), NOW)
    assert memory.open_branches("hall") == []
    assert memory.found("alone") and memory.found("friends")


def test_unknown_scenes_and_endings_are_kept_aside(story, home):
    memory = BranchMemory(story.id)
    play(story, memory, ["to_dorm", "next", "sit_q"])
    data = memory.to_dict()
    data["scenes"]["cut_scene"] = {"visits": 2, "seen": {"x": "X"}, "taken": {"x": 1}}
    data["endings"]["cut_ending"] = {"first_found": NOW, "last_found": NOW, "times": 1,
                                     "arrival": {"seed": 1, "path": ["a"]}}
    path = memory_path(story.id)
    path.parent.mkdir(parents=True)
    path.write_text(json.dumps(data))
    loaded, problem = load_memory(story)
    assert problem is None
    assert "cut_scene" not in loaded.scenes and "cut_ending" not in loaded.endings
    assert loaded.visited("hall")
    play(story, loaded, ["to_dorm", "next", "stairwell"])
    assert save_memory(loaded) is None
    on_disk = json.loads(path.read_text())
    assert on_disk["scenes"]["cut_scene"]["visits"] == 2
    assert on_disk["endings"]["cut_ending"]["arrival"]["path"] == ["a"]
    assert "alone" in on_disk["endings"]


def test_a_path_that_no_longer_fits_is_not_a_crash(story):
    memory = BranchMemory(story.id)
    play(story, memory, ["to_dorm", "next"])
    memory.scenes["hall"].arrival.path = ("to_dorm", "gone")
    assert memory.state_at(story, "hall") is None


@pytest.mark.parametrize("content", [
    b"{not json", b"\xff\xfe\x00garbage", b"[]", b'{"branches_version": 99, "scenes": {}}',
    b"",
])
def test_a_damaged_file_starts_empty_and_is_kept(story, content):
    path = memory_path(story.id)
    path.parent.mkdir(parents=True)
    path.write_bytes(content)
    memory, problem = load_memory(story)
    assert memory.scenes == {} and problem and "could not be read" in problem
    assert path.with_name(path.name + ".damaged").read_bytes() == content
    play(story, memory, ["to_dorm"])
    assert save_memory(memory) is None
    assert load_memory(story)[0].visited("dorm")


def test_a_damaged_file_falls_back_to_the_backup(story):
    memory = BranchMemory(story.id)
    play(story, memory, ["to_dorm", "next", "sit_q"])
    save_memory(memory)
    play(story, memory, ["to_dorm", "next", "stairwell"])
    save_memory(memory)  # the first save is now the .bak
    memory_path(story.id).write_text("{oops")
    loaded, problem = load_memory(story)
    assert "backup was restored" in problem
    assert loaded.found("friends") and not loaded.found("alone")


def test_a_damaged_entry_is_left_out(story):
    memory = BranchMemory(story.id)
    play(story, memory, ["to_dorm", "next", "sit_q"])
    data = memory.to_dict()
    data["scenes"]["dorm"] = {"visits": "many"}
    path = memory_path(story.id)
    path.parent.mkdir(parents=True)
    path.write_text(json.dumps(data))
    loaded, problem = load_memory(story)
    assert "dorm" in problem and loaded.visited("hall") and not loaded.visited("dorm")


def test_save_failure_is_reported_not_raised(story, tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("")
    assert "could not save" in save_memory(BranchMemory(story.id), folder=blocker)


def test_story_edit_removing_a_scene(story, tmp_path):
    edited = tmp_path / "edited"
    shutil.copytree(FIXTURE, edited)
    memory = BranchMemory(story.id)
    play(story, memory, ["to_campus", "yearbook", "library"])
    save_memory(memory)
    ep1 = edited / "scenes" / "ep1.yaml"
    ep1.write_text(ep1.read_text().replace("to: campus", "to: dorm"))
    text = ep1.read_text()
    ep1.write_text(text[: text.index("  - id: campus")])
    new_story = load_story(edited).story
    assert new_story is not None and "campus" not in new_story.scenes
    loaded, problem = load_memory(new_story)
    assert problem is None and "campus" in loaded.aside["scenes"]
    assert loaded.state_at(new_story, "library") is None  # the path went through campus
    save_memory(loaded)
    back, _ = load_memory(story)
    assert back.visited("campus")


def test_exported_recording_replays_headless(story, home, capsys):
    state = replay(story, 11, ["to_campus", "yearbook", "library"])[-1]
    path = export_recording(story, state)
    assert path.parent == home / "data" / "recordings"
    recording = read_recording(path)
    assert recording.choices == ["to_campus", "yearbook", "library"]
    assert recording.expect_ending == "shelved"
    assert main(["replay", str(path), "--story", str(FIXTURE)]) == 0
    assert "ENDING: Shelved" in capsys.readouterr().out


def test_the_tui_exports_beside_a_story_but_not_into_the_installed_package(story):
    from kissgame.branches import story_export_folder
    from kissgame.resources import default_story_root
    from kissgame.tui.app import load_story_or_raise

    assert story_export_folder(story) == Path(story.root)
    assert story_export_folder(load_story_or_raise(default_story_root())) is None


def test_export_clears_what_an_interrupted_export_left(story, home):
    import os
    import time

    folder = home / "data" / "recordings"
    folder.mkdir(parents=True)
    left = folder / ".branches-20261130-101010.yaml.k3j9.tmp"
    fresh = folder / ".branches-20261130-101011.yaml.a1b2.tmp"
    left.write_text("half a recor")
    fresh.write_text("being written")
    old = time.time() - 3600
    os.utime(left, (old, old))
    state = replay(story, 11, ["to_campus"])[-1]
    export_recording(story, state)
    assert not left.exists() and fresh.exists()


def test_a_scene_a_fallback_carried_the_player_through_is_remembered(home):
    from kissgame.engine import build_story, choose, new_game

    manifest = {"format": 1, "id": "fb", "title": "F", "start": "hub",
                "endings": {"done": {"title": "Done"}}}
    scenes = [
        {"id": "hub", "text": "Questions.", "choices": [
            {"label": "Ask", "id": "ask", "once": True, "reply": "An answer."},
            {"fallback": True, "id": "bell", "to": "out", "reply": "The bell rings."}]},
        {"id": "out", "ending": "done", "text": "Out."},
    ]
    story, _ = build_story(manifest, [("s.yaml", {"scenes": scenes})])
    start = new_game(story, seed=3)
    after = choose(story, start, "ask")
    assert after.scene == "out" and after.passed  # hub's fallback was taken by itself
    for states in ([start, after], [after]):  # played one step, or loaded
        memory = BranchMemory("fb")
        for state in states:
            memory.observe(story, state)
        hub = memory.scenes["hub"]
        assert memory.taken("hub") == {"ask", "bell"}
        assert hub.seen["bell"] == "Continue" and memory.open_branches("hub") == []
        assert memory.found("done") and memory.state_at(story, "out") is not None
        assert hub.visits == (2 if len(states) == 2 else 1)
