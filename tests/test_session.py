"""The headless Session: a whole game without any UI, as the TUI and plain mode use it."""

from __future__ import annotations

import dataclasses
import json
import threading
import time
from pathlib import Path

import pytest

from kissgame.branches import memory_path
from kissgame.engine import InvalidChoice
from kissgame.loader import load_story
from kissgame.saves import AUTO, QUICK, SaveStore
from kissgame.session import CHOSE, LOADED, NEW, Session, SessionError

BRANCHY = Path(__file__).parent / "fixtures" / "branchy"


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture(autouse=True)
def home(tmp_path, monkeypatch) -> Path:
    monkeypatch.setenv("KISSGAME_HOME", str(tmp_path / "home"))
    return tmp_path / "home"


@pytest.fixture
def story():
    result = load_story(BRANCHY)
    assert result.ok
    return result.story


def session_for(story, **kw) -> Session:
    saved_at = iter(range(1, 10_000))
    kw.setdefault("saves", SaveStore(story.id, clock=lambda: float(next(saved_at))))
    kw.setdefault("seed", 4)
    return Session(story, **kw)


def test_play_to_an_ending_with_observers(story):
    session = session_for(story)
    seen = []
    unsubscribe = session.subscribe(lambda moved: seen.append((moved.how, moved.state.scene)))
    assert session.state is None and session.beat() is None
    session.new_game()
    assert session.beat().scene_id == "arrival"
    session.choose("to_campus")
    session.choose("yearbook")
    session.choose("library")
    assert session.beat().ended and session.beat().ending.id == "shelved"
    assert seen == [(NEW, "arrival"), (CHOSE, "campus"), (CHOSE, "hall"), (CHOSE, "library")]
    unsubscribe()
    session.rewind(1)
    assert len(seen) == 4 and session.state.scene == "hall"
    session.close()


def test_peek_shows_where_a_choice_leads_without_taking_it(story):
    session = session_for(story)
    assert session.peek("to_campus") is None  # no game yet
    session.new_game()
    before = session.state
    ahead = session.peek("to_campus")
    assert session.state is before and session.beat().scene_id == "arrival"
    assert session.peek("no such choice") is None
    session.choose("to_campus")
    assert session.beat() == ahead
    session.close()


def test_invalid_choice_and_rewind_at_the_start(story):
    session = session_for(story)
    with pytest.raises(SessionError):
        session.choose("to_campus")  # no game yet
    session.new_game()
    with pytest.raises(InvalidChoice):
        session.choose("no_such_choice")
    assert session.state.scene == "arrival"
    with pytest.raises(SessionError, match="nothing to rewind"):
        session.rewind()
    session.close()


def test_unsaved_save_and_load_with_play_time(story):
    clock = FakeClock()
    session = session_for(story, monotonic=clock)
    session.new_game()
    assert not session.unsaved  # nothing chosen yet
    session.choose("to_campus")
    clock.now += 125
    assert session.unsaved and session.play_seconds == pytest.approx(125)
    data = session.save("1")
    assert not session.unsaved and data.play_seconds == pytest.approx(125)
    session.choose("yearbook")
    assert session.unsaved
    moves = []
    session.subscribe(lambda moved: moves.append(moved.how))
    notes = session.load(session.read_slot("1").data, "1")
    assert notes == () and moves == [LOADED]
    assert session.state.scene == "campus" and not session.unsaved
    clock.now += 5
    assert session.play_seconds == pytest.approx(130)
    session.close()


def test_quickload_is_what_continue_resumes_next_time(story):
    session = session_for(story)
    session.new_game()
    session.choose("to_campus")
    session.quicksave()
    session.choose("yearbook")  # a new episode: autosaved here, later than the quicksave
    assert session.saves.latest().data.state.scene == "hall"
    session.load_slot(QUICK)
    latest = session.saves.latest()
    assert latest.slot == AUTO and latest.data.state.scene == "campus"
    session.close()


def test_loading_a_bad_slot_says_why(story):
    session = session_for(story)
    with pytest.raises(SessionError, match="empty"):
        session.load_slot("3")
    session.saves.path("2").parent.mkdir(parents=True, exist_ok=True)
    session.saves.path("2").write_text("{not json", encoding="utf-8")
    with pytest.raises(SessionError, match="damaged"):
        session.load_slot("2")


def test_rewind_explains_a_path_the_story_no_longer_has(story):
    session = session_for(story)
    session.new_game()
    session.choose("to_campus")
    state = session.state
    broken = dataclasses.replace(state, path=("gone", "to_campus"))
    session.jump(broken)
    with pytest.raises(SessionError, match="story changed"):
        session.rewind()
    assert session.state == broken
    session.close()


def test_branch_memory_is_written_off_the_callers_thread_and_debounced(story, home,
                                                                        monkeypatch):
    import kissgame.session as module

    writers: list[str] = []
    real = module.save_memory

    def spy(memory, folder=None):
        writers.append(threading.current_thread().name)
        return real(memory, folder)

    monkeypatch.setattr(module, "save_memory", spy)
    session = session_for(story, memory_delay=0.3)
    session.new_game()
    for choice in ("to_campus", "yearbook", "library"):
        session.choose(choice)  # four moves in quick succession
    deadline = time.monotonic() + 10
    while not memory_path(story.id).exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert writers == ["kissgame-writer"]  # one write, on the writer thread
    assert session.memory_write_problem is None
    data = json.loads(memory_path(story.id).read_text(encoding="utf-8"))
    assert "library" in data["scenes"] and "shelved" in data["endings"]
    session.close()
    assert writers == ["kissgame-writer"]  # nothing was left to write


def test_branch_memory_survives_a_new_session(story):
    first = session_for(story)
    first.new_game()
    first.choose("to_dorm")
    first.close()
    second = session_for(story)
    assert second.memory.visited("dorm") and second.memory_problem is None
    second.close()


def test_without_memory_nothing_is_written(story, home):
    session = session_for(story, remember=False)
    session.new_game()
    session.choose("to_dorm")
    session.close()
    assert not memory_path(story.id).exists()


def test_steady_moves_write_branch_memory_at_most_once_an_interval(monkeypatch):
    import kissgame.session as module

    writes: list[tuple[float, object]] = []
    monkeypatch.setattr(module, "save_memory",
                        lambda memory, folder=None: writes.append((time.monotonic(), memory)))
    writer = module.Writer(delay=0.01, interval=0.3)
    start = time.monotonic()
    last = None
    while time.monotonic() - start < 1.5:  # a key every 20 ms, never a pause
        last = object()
        writer.request(module.MEMORY, lambda memory=last: module.save_memory(memory))
        time.sleep(0.02)
    elapsed = time.monotonic() - start
    during = len(writes)
    writer.close()
    # Not starved by steady input, and never more often than the interval allows
    # (a slow machine only makes fewer writes, never more).
    assert during >= 1, "steady moves must still reach the disk"
    assert during <= elapsed / 0.3 + 1, (during, elapsed)
    assert writes[-1][1] is last  # after close() the newest move is on disk


def on_disk(story, slot: str = AUTO):
    """The slot as a fresh process would read it: from the file alone."""
    return SaveStore(story.id).read(slot).data


def test_autosave_is_written_off_the_callers_thread_and_read_at_once(story, monkeypatch):
    import kissgame.saves as saves_module

    started, release = threading.Event(), threading.Event()
    writers: list[str] = []
    held_too_long: list[bool] = []
    real = saves_module.write_atomic

    def held_write(path, data, keep_backup=False):
        writers.append(threading.current_thread().name)
        started.set()
        # The disk is stuck until the test lets it go; a caller waiting here would
        # never get that far, and the wait would run out.
        held_too_long.append(not release.wait(10))
        real(path, data, keep_backup)

    monkeypatch.setattr(saves_module, "write_atomic", held_write)
    session = session_for(story, memory_delay=0.01)
    session.new_game()
    assert started.wait(10)  # the writer thread is stuck writing the first autosave
    session.choose("to_campus")
    session.choose("yearbook")  # a new episode: autosaved
    # The caller did not wait for the disk, and the session's slots already show it.
    assert session.saves.read(AUTO).data.state.scene == "hall"
    assert session.saves.latest().data.state.scene == "hall"
    assert on_disk(story) is None
    release.set()
    session.close()
    assert held_too_long and not any(held_too_long)
    assert writers[0] == "kissgame-writer"
    assert on_disk(story).state.scene == "hall"


def test_close_writes_the_latest_autosave(story):
    session = session_for(story, memory_delay=60)  # nothing would be written for a minute
    session.new_game()
    session.choose("to_campus")
    session.choose("yearbook")
    assert on_disk(story) is None
    session.close()
    assert on_disk(story).state.scene == "hall"  # the newest autosave, not the first
    assert memory_path(story.id).exists()


def test_autosaves_in_quick_succession_write_only_the_newest(story, monkeypatch):
    import kissgame.saves as saves_module

    written: list[str] = []
    real = saves_module.write_atomic

    def spy(path, data, keep_backup=False):
        written.append(json.loads(data)["state"]["scene"])
        real(path, data, keep_backup)

    monkeypatch.setattr(saves_module, "write_atomic", spy)
    session = session_for(story, memory_delay=60)
    for _ in range(3):
        session.new_game()
        session.choose("to_campus")
        session.choose("yearbook")
    session.close()
    assert written == ["hall"]


def test_a_manual_save_to_the_autosave_slot_wins_over_a_waiting_one(story):
    session = session_for(story, memory_delay=60)
    session.new_game()
    session.choose("to_campus")
    session.choose("yearbook")  # autosave staged at the hall
    session.rewind(1)
    session.save(AUTO)  # written now, at the campus
    session.close()  # the staged hall autosave is gone, not written over it
    assert on_disk(story).state.scene == "campus"


def test_deleting_the_autosave_drops_a_waiting_one(story):
    session = session_for(story, memory_delay=60)
    session.new_game()
    session.saves.delete(AUTO)
    assert session.saves.read(AUTO).empty
    session.close()
    assert on_disk(story) is None
