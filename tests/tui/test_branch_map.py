"""The branch map and the replay player, driven with Pilot on a small host App."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from textual.app import App, ComposeResult
from textual.widgets import Static, Tree

from kissgame.branches import BranchMemory, load_memory, save_memory
from kissgame.engine import GameState, Story, choose, new_game, replay
from kissgame.loader import load_story
from kissgame.recording import Recording
from kissgame.tui.screens.branch_map import BranchMapScreen, shortest_known_path
from kissgame.tui.screens.replay_player import ReplayPlayerScreen

FIXTURE = Path(__file__).parents[1] / "fixtures" / "branchy"
NOW = "2025-01-02T03:04:05+00:00"


@pytest.fixture(autouse=True)
def home(tmp_path, monkeypatch):
    monkeypatch.setenv("KISSGAME_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    return tmp_path / "home"


@pytest.fixture
def story() -> Story:
    result = load_story(FIXTURE)
    assert result.ok
    return result.story


class HostApp(App):
    """Stands in for the game's App: a story, the state in play, and load_state."""

    def __init__(self, story: Story, state: GameState | None = None, screen=None):
        super().__init__()
        self.story = story
        self.state = state
        self.branch_memory = load_memory(story)[0]
        self.loaded: list[GameState] = []
        self._first = screen

    def compose(self) -> ComposeResult:
        yield Static("host", id="host")

    def on_mount(self) -> None:
        if self._first is not None:
            self.push_screen(self._first())

    def load_state(self, state: GameState) -> None:
        self.state = state
        self.loaded.append(state)


def play(story, memory, path, seed=7):
    state = new_game(story, seed)
    memory.observe(story, state, NOW)
    for choice_id in path:
        state = choose(story, state, choice_id)
        memory.observe(story, state, NOW)
    return state


def remembered(story) -> BranchMemory:
    memory = BranchMemory(story.id)
    play(story, memory, ["to_dorm", "next", "sit_q"], seed=7)
    play(story, memory, ["to_campus", "yearbook", "library"], seed=9)
    save_memory(memory)
    return memory


def labels(tree: Tree) -> list[str]:
    out = []

    def walk(node):
        for child in node.children:
            out.append(str(child.label))
            walk(child)

    walk(tree.root)
    return out


def move_to(tree: Tree, predicate) -> None:
    for line in range(tree.last_line + 1):
        node = tree.get_node_at_line(line)
        if node is not None and node.data is not None and predicate(node.data):
            tree.move_cursor(node)
            return
    raise AssertionError("no such node")


async def test_map_shows_visited_taken_open_and_endings(story):
    remembered(story)
    app = HostApp(story, screen=BranchMapScreen)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        text = "\n".join(labels(app.screen.query_one(Tree)))
        assert "Gimpo Airport" in text and "The Cafeteria" in text
        assert "Sit with Q" in text and "open branch" in text  # stairwell never taken
        assert "A Seat Saved" in text and "Shelved" in text
        assert "Locked: Keep your head down." in text
        summary = str(app.screen.query_one("#map-summary", Static).render())
        assert "2/3 endings" in summary


async def test_jump_rebuilds_the_exact_state(story):
    memory = remembered(story)
    expected = replay(story, 9, ["to_campus", "yearbook"])[-1]
    app = HostApp(story, screen=BranchMapScreen)
    app.branch_memory = memory
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        tree = app.screen.query_one(Tree)
        # the hall was last reached through the campus with the yearbook
        move_to(tree, lambda d: d.kind == "scene" and d.scene_id == "hall")
        await pilot.press("enter")
        await pilot.pause()
        assert app.loaded == [expected]
        assert app.loaded[0].vars["clue.yearbook"] is True
        assert not isinstance(app.screen, BranchMapScreen)


async def test_jump_prefers_the_current_path(story):
    memory = remembered(story)
    now = replay(story, 7, ["to_dorm", "next", "stairwell"])[-1]
    memory.observe(story, now, NOW)
    app = HostApp(story, state=now, screen=BranchMapScreen)
    app.branch_memory = memory
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        tree = app.screen.query_one(Tree)
        # the cursor starts on the current scene
        assert tree.cursor_node.data.scene_id == "stairwell"
        move_to(tree, lambda d: d.kind == "choice" and d.choice_id == "stairwell")
        await pilot.press("enter")
        await pilot.pause()
        state = app.loaded[0]
        assert state == replay(story, 7, ["to_dorm", "next"])[-1]
        assert state.vars["ship.q_florian"] == 2 and state.vars["clue.yearbook"] is False


async def test_path_to_ending_autoplays(story):
    remembered(story)
    app = HostApp(story, screen=BranchMapScreen)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        tree = app.screen.query_one(Tree)
        move_to(tree, lambda d: d.kind == "ending" and d.ending_id == "friends")
        await pilot.press("p")
        await app.workers.wait_for_complete()
        await pilot.pause()
        player = app.screen
        assert isinstance(player, ReplayPlayerScreen)
        assert player.recording.expect_ending == "friends"
        assert len(player.recording.choices) == 3
        player.paused = True
        await pilot.press("right", "right", "right")
        assert player.at_end and player.state.scene == "with_q"
        await pilot.press("t")
        await pilot.pause()
        assert app.loaded[-1].scene == "with_q"


async def test_locked_ending_only_hints(story):
    remembered(story)
    app = HostApp(story, screen=BranchMapScreen)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        tree = app.screen.query_one(Tree)
        move_to(tree, lambda d: d.kind == "ending" and d.ending_id == "alone")
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, BranchMapScreen)
        detail = str(app.screen.query_one("#map-detail", Static).render())
        assert "Keep your head down." in detail


async def test_a_jump_that_no_longer_fits_is_refused(story):
    memory = remembered(story)
    memory.scenes["hall"].arrival.path = ("to_campus", "vanished")
    app = HostApp(story, screen=BranchMapScreen)
    app.branch_memory = memory
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        move_to(app.screen.query_one(Tree), lambda d: d.kind == "scene" and d.scene_id == "hall")
        await pilot.press("enter")
        await pilot.pause()
        assert app.loaded == [] and isinstance(app.screen, BranchMapScreen)


def test_shortest_known_path_prefers_explore(story):
    memory = BranchMemory(story.id)
    play(story, memory, ["to_campus", "skip", "sit_q"])
    arrival = shortest_known_path(story, "friends", memory)
    assert arrival is not None and len(arrival.path) == 3
    assert replay(story, arrival.seed, arrival.path)[-1].scene == "with_q"


async def test_replay_player_steps_pauses_and_takes_over(story):
    recording = Recording(story.id, 4, ["to_campus", "yearbook", "library"], "shelved")
    app = HostApp(story, screen=lambda: ReplayPlayerScreen(story, recording, speed=0.25))
    async with app.run_test(size=(80, 24)) as pilot:
        player = app.screen
        assert isinstance(player, ReplayPlayerScreen)
        await pilot.pause(1.2)  # 0.25s a step: plays to the end by itself
        assert player.at_end and player.state.scene == "library"
        await pilot.press("left", "left")
        assert player.paused and player.state.scene == "campus"
        await pilot.press("minus")
        assert "0.5s a step" in str(player.query_one("#replay-status", Static).render())
        await pilot.press("t")
        await pilot.pause()
        assert app.loaded == [replay(story, 4, ["to_campus"])[-1]]


async def test_replay_player_reports_divergence(story):
    recording = Recording(story.id, 4, ["to_campus", "nowhere"])
    app = HostApp(story, screen=lambda: ReplayPlayerScreen(story, recording, paused=True))
    async with app.run_test(size=(80, 24)) as pilot:
        player = app.screen
        await pilot.press("right", "right", "right")
        assert player.at_end and player.state.scene == "campus"
        assert "no longer fits" in str(player.query_one("#replay-choices", Static).render())


def snapshot_app(story, screen):
    memory = BranchMemory(story.id)
    play(story, memory, ["to_dorm", "next", "sit_q"], seed=7)
    play(story, memory, ["to_campus", "yearbook", "library"], seed=9)
    now = replay(story, 9, ["to_campus", "yearbook", "library"])[-1]
    app = HostApp(story, state=now, screen=screen)
    app.branch_memory = memory
    return app


def test_branch_map_snapshot(snap_compare, story):
    assert snap_compare(snapshot_app(story, BranchMapScreen), terminal_size=(80, 24))


def test_replay_player_snapshot(snap_compare, story):
    recording = Recording(story.id, 4, ["to_campus", "yearbook", "library"], "shelved",
                          "A path to the library")
    app = HostApp(story, screen=lambda: ReplayPlayerScreen(story, recording, paused=True))
    assert snap_compare(app, press=["right"], terminal_size=(80, 24))
