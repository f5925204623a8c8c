"""The branch map and the debug overlay name calls and returns (examples/hall_pass)."""

from __future__ import annotations

from pathlib import Path

from textual.widgets import Static, Tree

from conftest import HostApp, fixed_clock, settle
from kissgame.branches import BranchMemory, save_memory
from kissgame.engine import choose, new_game
from kissgame.loader import load_story_or_raise
from kissgame.settings import Settings
from kissgame.tui.app import make_app
from kissgame.tui.screens.branch_map import BranchMapScreen
from kissgame.tui.screens.debug import DebugScreen

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "hall_pass"


async def test_the_map_marks_a_taken_call_and_a_taken_return(kiss_home):
    story = load_story_or_raise(EXAMPLE)
    memory = BranchMemory(story.id)
    state = new_game(story, 3)
    memory.observe(story, state, "2025-01-02T03:04:05+00:00")
    for choice_id in ("dorm", "roof", "dae_thinks", "return", "found"):
        state = choose(story, state, choice_id)
        memory.observe(story, state, "2025-01-02T03:04:05+00:00")
    save_memory(memory)
    app = HostApp(story, screen=BranchMapScreen)
    async with app.run_test(size=(100, 40)) as pilot:
        await pilot.pause()
        tree = app.screen.query_one(Tree)
        shown = []

        def walk(node):
            for child in node.children:
                shown.append(str(child.label))
                walk(child)

        walk(tree.root)
        text = "\n".join(shown)
        assert "Text Dae on the way up to the roof  \u2192 calls ask_dae" in text
        assert "Thanks, Dae  \u2192 \u21a9 back to where it was called from" in text


async def test_the_debug_overlay_says_where_the_next_return_goes(kiss_home):
    app = make_app(EXAMPLE, seed=7, settings=Settings(), clock=fixed_clock, debug=True)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await pilot.press("enter", "2", "1")  # the dorm, then Dae on the way to the roof
        await pilot.pause()
        assert app.state.scene == "ask_dae" and app.state.calls == ("rooftop",)
        await pilot.press("f12")
        await pilot.pause()
        assert isinstance(app.screen, DebugScreen)
        where = str(app.screen.query_one("#debug-where", Static).content)
        assert "returns to rooftop" in where
