"""The branch map and the replay player, driven with Pilot on a small host App."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.widgets import Static, Tree

from conftest import HostApp
from kissgame.branches import BranchMemory, load_memory, save_memory
from kissgame.engine import Story, choose, new_game, replay
from kissgame.recording import Recording
from kissgame.tui.screens.branch_map import BranchMapScreen, shortest_known_path
from kissgame.tui.screens.replay_player import ReplayPlayerScreen

FIXTURE = Path(__file__).parents[1] / "fixtures" / "branchy"
NOW = "2025-01-02T03:04:05+00:00"


@pytest.fixture
def home(kiss_home):
    """KISSGAME_HOME, set (with TZ=UTC) by the autouse fixture in conftest.py."""
    return kiss_home


@pytest.fixture
def story(branchy) -> Story:
    return branchy


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


# ---- the real game App ----

def game(seed=7, **kwargs):
    from kissgame.tui.app import make_app

    return make_app(FIXTURE, seed=seed, **kwargs)


async def new_game_from_title(pilot) -> None:
    from kissgame.tui.screens.confirm import ConfirmScreen
    from kissgame.tui.screens.play import PlayScreen

    await pilot.press("escape")  # play screen -> title (no-op on the title itself)
    await pilot.pause()
    if isinstance(pilot.app.screen, PlayScreen):
        await pilot.press("escape")
    await pilot.press("n")
    await pilot.pause()
    if isinstance(pilot.app.screen, ConfirmScreen):
        await pilot.press("y")
        await pilot.pause()


async def test_two_endings_survive_a_restart(story):
    from kissgame.tui.screens.gallery import GalleryScreen

    app = game()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("n")
        await pilot.press("1", "1", "1")  # dorm, continue, sit with Q
        await pilot.pause()
        assert app.state.scene == "with_q"
        await new_game_from_title(pilot)
        await pilot.press("2", "1", "1")  # campus, yearbook, sit with Q
        await pilot.pause()
        assert app.state.scene == "with_q"
        await new_game_from_title(pilot)
        await pilot.press("2", "1", "3")
        await pilot.pause()
        assert app.state.scene == "library"
    app = game()  # a fresh start in the same KISSGAME_HOME
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        assert set(app.session.memory.endings) == {"friends", "shelved"}
        app.push_screen(GalleryScreen())
        await pilot.pause()
        assert "2 of 3 found" in str(app.screen.query_one("#gallery-summary", Static).render())
        await pilot.press("escape")
        app.push_screen(BranchMapScreen())
        await pilot.pause()
        text = "\n".join(labels(app.screen.query_one(Tree)))
        assert "\u2605 A Seat Saved" in text and "\u2605 Shelved" in text
        assert "Locked: Keep your head down." in text


async def test_map_jump_restores_variables_and_notebook(story):
    from kissgame.tui.screens.play import PlayScreen
    from kissgame.tui.widgets.notebook import notebook_text

    def notebook(app) -> str:
        return str(app.screen.query_one("#notebook-text", Static).content)

    app = game(seed=5)
    # wide enough for the notebook beside the text (folded away, it is drawn when shown)
    async with app.run_test(size=(120, 24)) as pilot:
        await pilot.press("n", "2", "1")  # campus (Dae +2), the yearbook: now at the hall
        await pilot.pause()
        at_hall, notebook_at_hall = app.state, notebook(app)
        assert "The yearbook" in notebook_at_hall
        await pilot.press("3")  # the library ending
        await pilot.pause()
        await new_game_from_title(pilot)
        await pilot.press("1", "1", "2")  # the dorm way to the hall, then the stairwell
        await pilot.pause()
        assert app.state.scene == "stairwell"
        assert notebook(app) != notebook_at_hall
        await pilot.press("m")  # the map, from the play screen
        await pilot.pause()
        assert isinstance(app.screen, BranchMapScreen)
        move_to(app.screen.query_one(Tree),
                lambda d: d.kind == "choice" and d.choice_id == "library")
        await pilot.press("enter")
        await pilot.pause()
        # the current path passes the hall, so the jump lands on its state there
        assert isinstance(app.screen, PlayScreen)
        assert app.state == replay(story, 5, ["to_dorm", "next"])[-1]
        # back at the library ending (loaded), the hall jump uses that path instead
        app.load_state(replay(story, 5, ["to_campus", "yearbook", "library"])[-1])
        await pilot.pause()
        await pilot.press("escape")  # to the title, and the map from its menu
        await pilot.pause()
        app.screen.action_menu("branch_map")
        await pilot.pause()
        move_to(app.screen.query_one(Tree),
                lambda d: d.kind == "scene" and d.scene_id == "hall")
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, PlayScreen)
        assert app.state == at_hall
        assert app.state.vars["heart.dae"] == 2 and app.state.vars["clue.yearbook"] is True
        assert notebook(app) == notebook_at_hall == str(notebook_text(story, at_hall))


async def test_exported_recording_replays_headless(story, capsys, tmp_path):
    import shutil

    from kissgame.__main__ import main
    from kissgame.tui.app import make_app

    # the export lands in the story's own recordings/ folder, which replay finds the
    # story from (and the loader does not read as scenes)
    root = Path(shutil.copytree(FIXTURE, tmp_path / "branchy"))
    app = make_app(root, seed=3)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("n", "2", "1", "3")
        await pilot.pause()
        await pilot.press("x")
        await pilot.pause()
        files = list((root / "recordings").glob("*.yaml"))
        assert len(files) == 1
    assert main(["check", str(root)]) == 0
    capsys.readouterr()
    assert main(["replay", str(files[0])]) == 0
    out = capsys.readouterr()
    assert "ENDING: Shelved" in out.out and "replayed 3 choices: ok" in out.err


def alone_run(story, tmp_path) -> Path:
    """A recording of the road to the 'alone' ending, written to tmp_path."""
    from kissgame.recording import write_recording

    path = tmp_path / "run.yaml"
    write_recording(path, Recording(story.id, 4, ["to_dorm", "next", "stairwell"], "alone"))
    return path


async def test_play_replay_flag_plays_a_recording(story, tmp_path):
    path = alone_run(story, tmp_path)
    # the slowest speed, so a busy machine cannot let the player step on its own first
    app = game(replay_file=str(path), replay_speed=4.0)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        player = app.screen
        assert isinstance(player, ReplayPlayerScreen)
        await pilot.press("n", "n")
        assert player.state.scene == "hall" and player.paused
        await pilot.press("t")
        await pilot.pause()
        assert app.state == replay(story, 4, ["to_dorm", "next"])[-1]
        await pilot.press("1")  # play on: sit with Q
        await pilot.pause()
        assert app.state.scene == "with_q"
        assert app.session.memory.found("friends")


async def test_a_bad_replay_file_is_a_message(story, tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text("choices: [unterminated")
    app = game(replay_file=str(path))
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        assert not isinstance(app.screen, ReplayPlayerScreen)
        assert any("not valid YAML" in n.message for n in app._notifications)


async def test_a_corrupt_branch_memory_does_not_stop_the_game(story, home):
    path = home / "data" / "branches" / "branchy.json"
    path.parent.mkdir(parents=True)
    path.write_bytes(b"\x00\x01{garbage")
    app = game()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        assert any("could not be read" in n.message for n in app._notifications)
        await pilot.press("n", "1", "1", "2")
        await pilot.pause()
        assert app.state.scene == "stairwell"
        app.push_screen(BranchMapScreen())
        await pilot.pause()
        assert "1/3 endings" in str(app.screen.query_one("#map-summary", Static).render())
    assert path.with_name("branchy.json.damaged").exists()
    assert load_memory(story)[0].found("alone")


async def test_replay_speed_is_chosen_on_the_command_line(story, tmp_path):
    from kissgame.tui.screens.replay_player import SPEEDS

    app = game(replay_file=str(alone_run(story, tmp_path)), replay_speed=0.25)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        player = app.screen
        assert isinstance(player, ReplayPlayerScreen)
        assert SPEEDS[player.speed_index] == 0.25
