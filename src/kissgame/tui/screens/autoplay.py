"""Show me a path to this ending: find the shortest known path and play it back."""

from __future__ import annotations

from textual.screen import Screen

from ...branches import Arrival, BranchMemory, rebuild
from ...engine import Story
from ...recording import Recording
from .replay_player import ReplayPlayerScreen

_explored: dict[str, dict[str, list[str] | None]] = {}


def shortest_known_path(story: Story, ending_id: str,
                        memory: BranchMemory | None) -> Arrival | None:
    """The shortest path to an ending that replays there: explore's, or the player's own.

    Runs the explorer (bounded) the first time for a story; call it off the UI thread."""
    from ...explorer import explore

    key = story.fingerprint or story.id
    if key not in _explored:
        _explored[key] = explore(story, max_states=50_000, runs=300, seed=0).endings
    candidates: list[Arrival] = []
    path = _explored[key].get(ending_id)
    if path is not None:
        candidates.append(Arrival(0, tuple(path)))
    if memory is not None and ending_id in memory.endings:
        candidates.append(memory.endings[ending_id].arrival)
    for arrival in sorted(candidates, key=lambda a: len(a.path)):
        state = rebuild(story, arrival)
        if state is not None and story.scenes[state.scene].ending == ending_id:
            return arrival
    return None


def autoplay_ending(screen: Screen, story: Story, ending_id: str,
                    memory: BranchMemory | None) -> None:
    """Find the shortest known path to a found ending in a thread, then play it back."""
    screen.notify("Looking for the shortest path\u2026", timeout=2)

    def find() -> None:
        arrival = shortest_known_path(story, ending_id, memory)
        screen.app.call_from_thread(_play_path, screen, story, ending_id, arrival)

    screen.run_worker(find, thread=True, exclusive=True, group="autoplay")


def _play_path(screen: Screen, story: Story, ending_id: str, arrival: Arrival | None) -> None:
    if not screen.is_attached:
        return
    ending = story.endings[ending_id]
    if arrival is None:
        screen.notify(f"No path to \u201c{ending.title}\u201d fits this story.",
                      severity="warning")
        return
    recording = Recording(story.id, arrival.seed, list(arrival.path), ending_id,
                          f"A path to \u201c{ending.title}\u201d")
    screen.app.push_screen(ReplayPlayerScreen(story, recording))
