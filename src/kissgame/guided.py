"""Coverage-guided search for text arms the other searches missed (AFL's idea, for stories).

When breadth-first search cannot cover a story, the random playthroughs that follow
rarely reach text behind a long, rare run of choices. This search keeps a corpus of
paths that first reached something new: a text arm, a scene, a choice, an ending, or a
value not seen before of a variable that an unshown arm in that scene reads. It picks a
path (favouring rare, recent and deep ones), replays it or a random cut of it, plays on
choosing mostly the choices taken least often, and keeps any run that found something
new. Seeded and bounded by a step budget, so a seed always gives the same report; it
only adds coverage and never replaces a shorter path the earlier searches found.

Four such searches (slots) run side by side, each on its own seed and share of the
budget, in rounds: after each, what each found is merged in slot order and every slot
is told, so none keeps looking for what another has shown. A slot's work depends only
on the seed and the rounds' merges, never on which process runs it, so the report is
the same on one core as on several.
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from .engine.diagnostics import StoryRuntimeError
from .engine.ir import variables_in
from .engine.model import Block, ConditionalBlock, Story
from .engine.runtime import choose, new_game
from .engine.state import GameState
from .engine.text import Branch
from .team import Team

DEFAULT_STEPS = 1_000_000
"""States played (replayed or new) before the search gives up; not wall-clock, so a
seed always finds the same."""
MAX_RUN = 2_000


class Tracker(Protocol):
    """What the explorer's tracker offers: it records what each state shows."""

    report: Any
    taken: set[tuple[str, str]]
    uncovered: dict[str, set[int]]
    render: bool

    def visit(self, state: GameState) -> list[str]: ...

    def apply_quietly(self, events: list[tuple]) -> None: ...

    def take_events(self) -> list[tuple]: ...

    def step(self, state: GameState, choice_id: str) -> GameState | None: ...


class Findings(Protocol):
    """The explorer's main tracker: takes in what the searches found, in slot order."""

    uncovered: dict[str, set[int]]
    render: bool

    def apply(self, events: list[tuple]) -> None: ...


@dataclass
class _Entry:
    seed: int
    path: tuple[str, ...]
    scene: str
    """Where the run first found something new; rarer scenes are picked more."""
    picks: int = 0


def _arm_variables(story: Story) -> dict[str, tuple[str, ...]]:
    """Per scene, the variables its conditional text reads."""
    out: dict[str, tuple[str, ...]] = {}

    def template(parts: tuple, names: set[str]) -> None:
        for part in parts:
            if isinstance(part, Branch):
                for cond, body in part.arms:
                    names |= variables_in(cond.ir)
                    template(body, names)
                template(part.otherwise, names)

    def blocks(items: tuple[Block, ...], names: set[str]) -> None:
        for block in items:
            if isinstance(block, ConditionalBlock):
                names |= variables_in(block.condition.ir)
                blocks(block.then, names)
                blocks(block.otherwise, names)
            else:
                template(block.text, names)

    for scene in story.scenes.values():
        names: set[str] = set()
        blocks(scene.text, names)
        for choice in scene.choices:
            template(choice.label, names)
        if names:
            out[scene.id] = tuple(sorted(names))
    return out


class _Search:
    def __init__(self, story: Story, tracker: Tracker, seed: int, slot: int = 0):
        self.story = story
        self.tracker = tracker
        self.rng = random.Random(f"guided {seed} {slot}")
        self.corpus: list[_Entry] = []
        self.values: set[tuple[str, str, Any]] = set()
        self.hits: Counter[str] = Counter()
        self.chosen: Counter[tuple[str, str]] = Counter()
        self.reads = _arm_variables(story)
        self.steps = 0

    def remaining(self) -> bool:
        return any(self.tracker.uncovered.values())

    def coverage(self) -> int:
        report = self.tracker.report
        return (len(report.arms_shown) + len(report.scenes_reached) + len(self.tracker.taken)
                + sum(path is not None for path in report.endings.values()) + len(self.values))

    def note_values(self, state: GameState) -> None:
        """Values read by a scene's still-unshown arms: a new one is a step closer."""
        if not self.tracker.uncovered.get(state.scene):
            return
        for name in self.reads.get(state.scene, ()):
            value = state.vars.get(name, state.visits.get(name))
            self.values.add((state.scene, name, value))

    def pick_entry(self) -> _Entry:
        n, uncovered = len(self.corpus), self.tracker.uncovered
        weights = [(1 + i / n) * (1 + len(e.path) / 50) * (4 if uncovered.get(e.scene) else 1)
                   / (1 + e.picks) / (1 + self.hits[e.scene]) ** 0.5
                   for i, e in enumerate(self.corpus)]
        entry = self.rng.choices(self.corpus, weights)[0]
        entry.picks += 1
        return entry

    def pick_choice(self, scene: str, ids: list[str]) -> str:
        """Mostly the choices taken least often from this scene."""
        if len(ids) == 1:
            return ids[0]
        weights = [1 / (1 + self.chosen[(scene, cid)]) ** 2 for cid in ids]
        return self.rng.choices(ids, weights)[0]

    def next_choice(self, scene: str, ids: list[str], follow: tuple[str, ...],
                    change: bool) -> tuple[str, tuple[str, ...]]:
        """The next choice of the path being followed if it is offered here (or soon
        after), else a fresh pick; ``change`` forces a different one from the path's."""
        if change and follow:
            others = [cid for cid in ids if cid != follow[0]]
            if others:
                return self.pick_choice(scene, others), follow[1:]
        for i, cid in enumerate(follow[:6]):
            if cid in ids:
                return cid, follow[i + 1:]
        return self.pick_choice(scene, ids), follow

    def start(self, entry: _Entry | None) -> tuple[GameState | None, tuple[str, ...]]:
        """The state a run starts from (a replayed, possibly cut, corpus path, or the
        start) and the rest of the path to follow after one changed choice, if any."""
        seed = entry.seed if entry is not None else self.rng.randrange(2**31)
        try:
            state = new_game(self.story, seed)
            if entry is None:
                return state, ()
            cut, follow = len(entry.path), entry.path[:0]
            roll = self.rng.random()
            if roll < 0.6:  # change one choice and keep to the rest of the path after it
                cut = self.rng.randrange(cut) if cut else 0
                follow = entry.path[cut:]
            elif roll < 0.8:
                cut = self.rng.randint(0, cut)
            for choice_id in entry.path[:cut]:
                state = choose(self.story, state, choice_id)
                self.steps += 1
            return state, follow
        except StoryRuntimeError:
            return None, ()  # the tracker reported it when the path was first played

    def run(self, entry: _Entry | None) -> None:
        state, follow = self.start(entry)
        if state is None:
            return
        changed = bool(follow)
        before = self.coverage()
        found_at: tuple[int, str] | None = None
        for _ in range(MAX_RUN):
            self.steps += 1
            self.hits[state.scene] += 1
            ids = self.tracker.visit(state)
            self.note_values(state)
            now = self.coverage()
            if now > before:
                before, found_at = now, (len(state.path), state.scene)
            if not ids:
                break
            choice_id, follow = self.next_choice(state.scene, ids, follow, changed)
            changed = False
            self.chosen[(state.scene, choice_id)] += 1
            nxt = self.tracker.step(state, choice_id)
            if nxt is None:
                break
            state = nxt
        if found_at is not None:
            depth, scene = found_at
            self.corpus.append(_Entry(state.seed, state.path[:depth], scene))


SLOTS = 4
"""Searches side by side, each with its own seed, corpus and share of the steps; the
same for any number of processes (slot i runs on worker i % jobs), so a seed finds the
same on one core as on several."""
ROUND = 20_000
"""Steps each search takes between exchanges of what the others found."""


class _Slots:
    """The searches of the slots one worker runs, each with its own view of the findings
    (so what a slot does never depends on which slots share its process)."""

    def __init__(self, story: Story, view: Callable[[], Tracker], seed: int, steps: int,
                 worker: int, jobs: int):
        self.budget = steps // SLOTS
        self.searches: dict[int, _Search] = {}
        for slot in range(worker, SLOTS, jobs):
            tracker = view()
            search = _Search(story, tracker, seed, slot)
            report = tracker.report
            for ending_id, path in report.endings.items():
                if path is not None:
                    search.corpus.append(_Entry(report.ending_seeds.get(ending_id, seed),
                                                tuple(path), story.start))
            self.searches[slot] = search

    def round(self, end: int, found: list[tuple]
              ) -> list[tuple[int, list[tuple], int, int, bool]]:
        """Take in what every slot found last round, search on up to ``end`` steps; per
        slot: what it found new, runs played this round, steps in all, whether it goes
        on. (Corpus entries stay with their slot: sharing them cost more than it found.)"""
        out = []
        for slot, search in self.searches.items():
            search.tracker.apply_quietly(found)
            runs = 0
            while search.remaining() and search.steps < min(end, self.budget):
                fresh = not search.corpus or search.rng.random() < 0.1
                search.run(None if fresh else search.pick_entry())
                runs += 1
            out.append((slot, search.tracker.take_events(), runs, search.steps,
                        search.remaining() and search.steps < self.budget))
        return out


def guided_search(story: Story, tracker: Findings, seed: int, view: Callable[[], Tracker],
                  steps: int | None = None, jobs: int = 1) -> tuple[int, int, int]:
    """Search on while text arms remain unshown, for at most ``steps`` states in all;
    return the runs played, the states they played and the processes used. The earlier
    searches' ending paths seed each slot's corpus. ``view()`` makes a slot's tracker:
    a copy of ``tracker``'s findings that keeps what it finds new as events; they are
    applied to ``tracker`` in slot order after each round, so the report is the same
    for any ``jobs``."""
    if not tracker.render or not any(tracker.uncovered.values()):
        return 0, 0, 1
    steps = DEFAULT_STEPS if steps is None else steps
    runs = played_steps = 0
    found: list[tuple] = []
    with Team(lambda w, n: _Slots(story, view, seed, steps, w, n), min(jobs, SLOTS)) as team:
        for end in range(ROUND, steps + ROUND, ROUND):
            answers = team.call("round", [(end, found)] * team.jobs)
            results = sorted((r for answer in answers for r in answer), key=lambda r: r[0])
            found = []
            going = False
            played_steps = 0
            for _slot, events, played, slot_steps, on in results:
                tracker.apply(events)
                found += events
                runs += played
                played_steps += slot_steps
                going |= on
            if not going or not any(tracker.uncovered.values()):
                break
        processes = team.jobs
    return runs, played_steps, processes
