"""Exploring every reachable state of a story with the real engine (findings KG2xx).

Breadth-first search over GameStates, merging states that cannot differ in the
future (see ``liveness``). BFS finds the shortest path to every ending, every broken
assumption and every runtime error. Every state reached is rendered, as the player
would see it, and the text arms it shows are marked (``coverage``). Past a bound it
falls back to beam searches toward endings not yet found and seeded random
playthroughs, then a coverage-guided search (``guided``) while text arms stay unshown;
then whatever needs the whole space searched is reported as unproven.
"""

from __future__ import annotations

import contextlib
import dataclasses
import gc
import multiprocessing
import pickle
import random
import statistics
import time
from collections import Counter, deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from .coverage import TextArms
from .engine.calls import call_graph
from .engine.diagnostics import (
    ASSUMPTION_FALSE,
    CHOICE_NEVER_AVAILABLE,
    DEAD_END_STATE,
    ENDING_UNREACHABLE,
    SCENE_NEVER_REACHED,
    TEXT_NEVER_SHOWN,
    Diagnostic,
    StoryRuntimeError,
)
from .engine.ir import Compare, Const, Logic, Node, Unary, Var, variables_in
from .engine.model import Scene, Story
from .engine.runtime import (
    available_choice_ids,
    choose,
    context,
    current,
    new_game,
)
from .engine.state import GameState
from .guided import guided_search
from .liveness import StateKey
from .team import Team, can_fork

DEFAULT_MAX_STATES = 20_000
DEFAULT_RUNS = 200
MAX_STEPS = 2_000
SEEDS_FOR_DICE = 8
WORDS_PER_MINUTE = 250

Progress = Callable[[int, int], None]
"""Called now and then with (states explored, states waiting)."""


def _path(path: list[str] | tuple[str, ...]) -> str:
    return " > ".join(path) or "the start"


@dataclass
class RuntimeFinding:
    diagnostic: Diagnostic
    scene: str
    path: list[str]
    """The choices from the start to the failure (the last one failed, for an effect)."""


@dataclass
class Playthroughs:
    """What uniformly random playthroughs read and choose (ChoiceScript's randomtest)."""

    runs: int
    seed: int
    endings: Counter[str] = field(default_factory=Counter)
    words: list[int] = field(default_factory=list)
    choices: list[int] = field(default_factory=list)
    scene_hits: Counter[str] = field(default_factory=Counter)
    unfinished: int = 0

    @staticmethod
    def _spread(values: list[float]) -> dict[str, float]:
        if not values:
            return {"min": 0, "median": 0, "max": 0}
        return {"min": min(values), "median": statistics.median(values), "max": max(values)}

    def to_dict(self) -> dict[str, Any]:
        minutes = [round(w / WORDS_PER_MINUTE, 1) for w in self.words]
        return {
            "runs": self.runs,
            "seed": self.seed,
            "words": self._spread([float(w) for w in self.words]),
            "choices": self._spread([float(c) for c in self.choices]),
            "minutes": self._spread(minutes),
            "endings": dict(self.endings.most_common()),
            "unfinished": self.unfinished,
            "scene_hits": dict(sorted(self.scene_hits.items())),
        }


@dataclass
class ExploreReport:
    scenes_total: int
    scenes_reached: set[str] = field(default_factory=set)
    endings: dict[str, list[str] | None] = field(default_factory=dict)
    untaken_choices: list[tuple[str, str]] = field(default_factory=list)
    dead_ends: list[tuple[str, list[str]]] = field(default_factory=list)
    states_explored: int = 0
    exhaustive: bool = True
    interrupted: bool = False
    random_runs: int = 0
    seed: int = 0
    unreached_scenes: list[str] = field(default_factory=list)
    ending_seeds: dict[str, int] = field(default_factory=dict)
    beam_searches: int = 0
    guided_runs: int = 0
    assumption_failures: dict[tuple[str, int], list[str]] = field(default_factory=dict)
    """(scene, index of the assumption) -> the shortest path found that breaks it."""
    runtime_errors: dict[tuple[str, str, int, int], RuntimeFinding] = field(
        default_factory=dict)
    """(code, file, line, col) -> the first (shortest) way found to trigger it."""
    arms: TextArms | None = None
    arms_shown: set[int] = field(default_factory=set)
    playthroughs: Playthroughs | None = None
    jobs: int = 1
    """Processes that searched: 1 unless some search was large enough for more."""
    states_visited: int = 0
    """States played by every search (breadth-first, beam, random, guided)."""
    seconds_breadth_first: float = 0.0
    seconds: float = 0.0

    @property
    def states_per_second(self) -> float:
        """The rate of all the searches together: states visited per second."""
        return self.states_visited / self.seconds if self.seconds else 0.0

    @property
    def states_per_second_breadth_first(self) -> float:
        return self.states_explored / self.seconds_breadth_first \
            if self.seconds_breadth_first else 0.0

    @property
    def ok(self) -> bool:
        return (all(p is not None for p in self.endings.values()) and not self.dead_ends
                and not self.assumption_failures and not self.runtime_errors)

    @property
    def proven(self) -> bool:
        """Whether every reachable state was searched, so absences are proofs."""
        return self.exhaustive and not self.interrupted

    def unshown_arms(self) -> list[Any]:
        if self.arms is None:
            return []
        return [arm for i, arm in enumerate(self.arms.arms)
                if i not in self.arms_shown and arm.scene in self.scenes_reached]

    def to_dict(self) -> dict[str, Any]:
        from .engine.diagnostics import display_path

        arms_total = len(self.arms.arms) if self.arms is not None else 0
        return {
            "scenes_total": self.scenes_total,
            "scenes_reached": len(self.scenes_reached),
            "endings": {
                eid: {"reached": path is not None, "shortest_path": path or [],
                      "seed": self.ending_seeds.get(eid, self.seed)}
                for eid, path in self.endings.items()
            },
            "unreached_scenes": self.unreached_scenes,
            "untaken_choices": [{"scene": s, "choice": c} for s, c in self.untaken_choices],
            "dead_ends": [{"scene": s, "path": p} for s, p in self.dead_ends],
            "states_explored": self.states_explored,
            "states_visited": self.states_visited,
            "states_per_second": round(self.states_per_second),
            "states_per_second_breadth_first": round(self.states_per_second_breadth_first),
            "seconds": round(self.seconds, 3),
            "jobs": self.jobs,
            "exhaustive": self.exhaustive,
            "interrupted": self.interrupted,
            "proven": self.proven,
            "random_runs": self.random_runs,
            "beam_searches": self.beam_searches,
            "guided_runs": self.guided_runs,
            "seed": self.seed,
            "assumption_failures": [
                {"scene": s, "assumption": i, "path": p}
                for (s, i), p in sorted(self.assumption_failures.items())],
            "runtime_errors": [
                {**f.diagnostic.to_dict(), "scene": f.scene, "path": f.path}
                for f in self.runtime_errors.values()],
            "text_arms_total": arms_total,
            "text_arms_shown": len(self.arms_shown),
            "unshown_text": [
                {"file": display_path(arm.span.file), "line": arm.span.line,
                 "col": arm.span.col, "scene": arm.scene, "condition": arm.condition}
                for arm in self.unshown_arms()],
            "playthrough": self.playthroughs.to_dict() if self.playthroughs else None,
        }

    def diagnostics(self, story: Story) -> list[Diagnostic]:
        unproven = "" if self.proven else " (not proven: the search was not exhaustive)"
        out = []
        for eid, path in self.endings.items():
            if path is None:
                how = "in any reachable state" if self.proven else \
                    f"in {self.states_explored} states and {self.random_runs} random runs" \
                    f"{unproven}"
                out.append(ENDING_UNREACHABLE.at(story.endings[eid].span,
                                                 f"ending '{eid}' is never reached {how}"))
        for scene_id, path in self.dead_ends:
            out.append(DEAD_END_STATE.at(story.scenes[scene_id].span, "dead end: no choice is "
                                         f"available in '{scene_id}' after {_path(path)}"))
        for (scene_id, i), path in sorted(self.assumption_failures.items()):
            expr = story.scenes[scene_id].assume[i]
            out.append(ASSUMPTION_FALSE.at(expr.span, f"scene '{scene_id}' assumes "
                                           f"'{expr.source}', but it is false after "
                                           f"{_path(path)}"))
        for finding in self.runtime_errors.values():
            d = finding.diagnostic
            out.append(Diagnostic(d.code, d.severity, f"{d.message} (scene "
                                  f"'{finding.scene}', path: {_path(finding.path)})", d.span))
        for scene_id in self.unreached_scenes:
            out.append(SCENE_NEVER_REACHED.at(story.scenes[scene_id].span,
                                              f"scene '{scene_id}' is never reached in play"
                                              f"{unproven}"))
        for scene_id, choice_id in self.untaken_choices:
            if scene_id in self.scenes_reached:
                choice = story.scenes[scene_id].choice(choice_id)
                assert choice is not None
                out.append(CHOICE_NEVER_AVAILABLE.at(
                    choice.span, f"choice '{choice_id}' in '{scene_id}' is never available in "
                    f"play{unproven}"))
        for arm in self.unshown_arms():
            out.append(TEXT_NEVER_SHOWN.at(arm.span, f"text in '{arm.scene}' under "
                                           f"'{arm.condition}' is never shown{unproven}"))
        return out


class _Tracker:
    """Looks at every state the searches reach: what it shows, what breaks in it.

    Everything it finds goes through the ``_found_*`` methods, so a worker's tracker
    (``_Recorder``) can turn findings into events that the main process applies later,
    in search order."""

    def __init__(self, story: Story, report: ExploreReport, render: bool = True):
        self.story = story
        self.render = render
        self.report = report
        self.taken: set[tuple[str, str]] = set()
        self.dead_scenes: set[str] = set()
        self.arms = TextArms(story)
        report.arms = self.arms if render else None
        self.uncovered = {sid: set(ids) for sid, ids in self.arms.by_scene.items() if ids}

    def apply(self, events: list[tuple]) -> None:
        for name, *args in events:
            getattr(self, name)(*args)

    def uncovered_now(self) -> dict[str, frozenset[int]]:
        """The text arms not shown yet, by scene, to send to workers."""
        return {sid: frozenset(ids) for sid, ids in self.uncovered.items() if ids}

    def _found_reached(self, scene: str) -> None:
        self.report.scenes_reached.add(scene)

    def _found_error(self, d: Diagnostic, scene: str, path: list[str]) -> None:
        key = (d.code, d.span.file, d.span.line, d.span.col)
        known = self.report.runtime_errors.get(key)
        if known is None or len(path) < len(known.path):
            self.report.runtime_errors[key] = RuntimeFinding(d, scene, path)

    def _found_shown(self, scene: str, shown: set[int]) -> None:
        self.report.arms_shown |= shown
        uncovered = self.uncovered.get(scene)
        if uncovered:
            uncovered -= shown

    def _found_ending(self, ending: str, path: list[str], seed: int) -> None:
        if self.report.endings.get(ending, 1) is None:
            self.report.endings[ending] = path
            self.report.ending_seeds[ending] = seed

    def _found_dead_end(self, scene: str, path: list[str]) -> None:
        if scene not in self.dead_scenes:
            self.dead_scenes.add(scene)
            self.report.dead_ends.append((scene, path))

    def _found_broken(self, scene: str, i: int, path: list[str]) -> None:
        known = self.report.assumption_failures.get((scene, i))
        if known is None or len(path) < len(known):
            self.report.assumption_failures[(scene, i)] = path

    def _found_taken(self, scene: str, choice_id: str) -> None:
        self.taken.add((scene, choice_id))

    def _found_passed(self, scene: str, choice_id: str) -> None:
        """A fallback choice taken by itself, and the scene it was taken in."""
        self.taken.add((scene, choice_id))
        self._found_reached(scene)

    def runtime_error(self, exc: StoryRuntimeError, scene: str,
                      path: list[str] | tuple[str, ...]) -> None:
        self._found_error(exc.diagnostic, scene, list(path))

    def visit(self, state: GameState) -> list[str]:
        """Record what this state shows; return the choices available in it."""
        self._found_reached(state.scene)
        scene = self.story.scenes[state.scene]
        if state.passed:
            self._visit_passed(state)
        if scene.assume:
            self.check_assumptions(scene, state)
        if not self.render:
            return self._choices_only(state)
        try:
            beat = current(self.story, state)
        except StoryRuntimeError as exc:
            self.runtime_error(exc, state.scene, state.path)
            return self._choices_despite_text(state)
        if self.uncovered.get(state.scene):
            self._found_shown(state.scene, self.arms.shown(scene, context(state),
                                                           {c.id for c in beat.choices}))
        if state.reply is not None or state.passed:  # the text that led here
            for sid, shown in self.arms.shown_before(state, context(state)):
                if self.uncovered.get(sid):
                    self._found_shown(sid, shown)
        if scene.ending is not None:
            self._found_ending(scene.ending, list(state.path), state.seed)
            return []
        ids = [c.id for c in beat.choices if c.enabled]
        if not ids:
            self._found_dead_end(state.scene, list(state.path))
        return ids

    def _visit_passed(self, state: GameState) -> None:
        """The fallbacks taken by themselves on the way to ``state``, and their scenes."""
        for key in state.passed:
            self._found_passed(key.scene, key.choice)

    def _choices_despite_text(self, state: GameState) -> list[str]:
        """When the text fails, the search goes on through the choices, if they work."""
        if self.story.scenes[state.scene].ending is not None:
            return []
        try:
            return available_choice_ids(self.story, state)
        except StoryRuntimeError as exc:
            self.runtime_error(exc, state.scene, state.path)
            return []

    def _choices_only(self, state: GameState) -> list[str]:
        """The fast path, without rendering: endings, dead ends and choices."""
        ending = self.story.scenes[state.scene].ending
        if ending is not None:
            self._found_ending(ending, list(state.path), state.seed)
            return []
        ids = self._choices_despite_text(state)
        if not ids:
            self._found_dead_end(state.scene, list(state.path))
        return ids

    def step(self, state: GameState, choice_id: str) -> GameState | None:
        """Take a choice; a runtime error in its effects is a finding, not a crash."""
        self._found_taken(state.scene, choice_id)
        try:
            nxt = choose(self.story, state, choice_id)
        except StoryRuntimeError as exc:
            self.runtime_error(exc, state.scene, (*state.path, choice_id))
            return None
        for key in nxt.passed:
            self._found_passed(key.scene, key.choice)
        return nxt

    def check_assumptions(self, scene: Scene, state: GameState) -> None:
        ctx = context(state)
        for i, expr in enumerate(scene.assume):
            try:
                holds = expr.evaluate(ctx)
            except StoryRuntimeError as exc:
                self.runtime_error(exc, scene.id, state.path)
                continue
            if not holds:
                self._found_broken(scene.id, i, list(state.path))


class _View(_Tracker):
    """A copy of a tracker's findings for a search that runs apart from it (a slot of
    the guided search, perhaps in another process). What is new to the copy becomes an
    event, which the main tracker applies later, in a fixed order; what the copy is told
    others found (``apply_quietly``) is taken in without becoming an event."""

    def __init__(self, main: _Tracker):
        old = main.report
        report = ExploreReport(scenes_total=old.scenes_total, seed=old.seed)
        report.scenes_reached = set(old.scenes_reached)
        report.endings = dict(old.endings)
        report.ending_seeds = dict(old.ending_seeds)
        report.arms, report.arms_shown = old.arms, set(old.arms_shown)
        report.runtime_errors = dict(old.runtime_errors)
        report.assumption_failures = dict(old.assumption_failures)
        self.story, self.render, self.report, self.arms = main.story, main.render, report, \
            main.arms
        self.taken = set(main.taken)
        self.dead_scenes = set(main.dead_scenes)
        self.uncovered = {sid: set(ids) for sid, ids in main.uncovered.items()}
        self.events: list[tuple] = []
        self.quiet = False

    def take_events(self) -> list[tuple]:
        events, self.events = self.events, []
        return events

    def apply_quietly(self, events: list[tuple]) -> None:
        self.quiet = True
        try:
            self.apply(events)
        finally:
            self.quiet = False

    def _note(self, event: tuple) -> None:
        if not self.quiet:
            self.events.append(event)

    def _found_reached(self, scene: str) -> None:
        if scene not in self.report.scenes_reached:
            self._note(("_found_reached", scene))
            super()._found_reached(scene)

    def _found_error(self, d: Diagnostic, scene: str, path: list[str]) -> None:
        known = self.report.runtime_errors.get((d.code, d.span.file, d.span.line, d.span.col))
        if known is None or len(path) < len(known.path):
            self._note(("_found_error", d, scene, path))
            super()._found_error(d, scene, path)

    def _found_shown(self, scene: str, shown: set[int]) -> None:
        new = shown - self.report.arms_shown
        if new:
            self._note(("_found_shown", scene, new))
            super()._found_shown(scene, new)

    def _found_ending(self, ending: str, path: list[str], seed: int) -> None:
        if self.report.endings.get(ending, 1) is None:
            self._note(("_found_ending", ending, path, seed))
            super()._found_ending(ending, path, seed)

    def _found_dead_end(self, scene: str, path: list[str]) -> None:
        if scene not in self.dead_scenes:
            self._note(("_found_dead_end", scene, path))
            super()._found_dead_end(scene, path)

    def _found_broken(self, scene: str, i: int, path: list[str]) -> None:
        known = self.report.assumption_failures.get((scene, i))
        if known is None or len(path) < len(known):
            self._note(("_found_broken", scene, i, path))
            super()._found_broken(scene, i, path)

    def _found_taken(self, scene: str, choice_id: str) -> None:
        if (scene, choice_id) not in self.taken:
            self._note(("_found_taken", scene, choice_id))
            super()._found_taken(scene, choice_id)

    def _found_passed(self, scene: str, choice_id: str) -> None:
        if (scene, choice_id) not in self.taken or scene not in self.report.scenes_reached:
            self._note(("_found_passed", scene, choice_id))
            super()._found_passed(scene, choice_id)


class _Recorder(_Tracker):
    """A tracker whose findings become events, applied later by the main tracker in
    search order. It drops only repeats of its own since ``reset``, which the main
    tracker would ignore anyway, so the events say exactly what one tracker would."""

    def __init__(self, story: Story, render: bool, key: StateKey | None = None):
        super().__init__(story, ExploreReport(scenes_total=len(story.scenes)), render)
        self.key = key or StateKey(story)
        self.guides: dict[str, _Guide] = {}
        self.seen: set = set()  # the keys this worker has sent during breadth-first search
        self.sends_taken = True
        self.events: list[tuple] = []
        self.reset({})

    def reset(self, uncovered: dict[str, frozenset[int]]) -> None:
        self.uncovered = {sid: set(ids) for sid, ids in uncovered.items()}
        self.reached: set[str] = set()
        self.dead_scenes = set()
        self.ended: set[str] = set()
        self.passed: set[tuple[str, str]] = set()

    def _found_reached(self, scene: str) -> None:
        if scene not in self.reached:
            self.reached.add(scene)
            self.events.append(("_found_reached", scene))

    def _found_shown(self, scene: str, shown: set[int]) -> None:
        new = shown & self.uncovered.get(scene, set())  # the others were shown before
        if new:
            self.uncovered[scene] -= new
            self.events.append(("_found_shown", scene, new))

    def _found_dead_end(self, scene: str, path: list[str]) -> None:
        if scene not in self.dead_scenes:
            self.dead_scenes.add(scene)
            self.events.append(("_found_dead_end", scene, path))

    def _found_taken(self, scene: str, choice_id: str) -> None:
        if self.sends_taken and (scene, choice_id) not in self.taken:  # once a worker
            self.taken.add((scene, choice_id))
            self.events.append(("_found_taken", scene, choice_id))

    def _found_passed(self, scene: str, choice_id: str) -> None:
        if (scene, choice_id) not in self.passed:
            self.passed.add((scene, choice_id))
            self.events.append(("_found_passed", scene, choice_id))

    def _found_error(self, d: Diagnostic, scene: str, path: list[str]) -> None:
        self.events.append(("_found_error", d, scene, path))

    def _found_ending(self, ending: str, path: list[str], seed: int) -> None:
        if ending not in self.ended:  # the main process keeps the first path to each
            self.ended.add(ending)
            self.events.append(("_found_ending", ending, path, seed))

    def _found_broken(self, scene: str, i: int, path: list[str]) -> None:
        self.events.append(("_found_broken", scene, i, path))

    def expand(self, states: list[GameState], uncovered: dict[str, frozenset[int]],
               guide: str | None, breadth_first: bool) -> list[tuple]:
        """Visit each state and take each of its choices: per state the events of its
        visit and of taking its choices, in that order, and per new state (the index of
        its choice, its key, its score, the state). A key this worker has already met
        (in this level, or ever in a breadth-first search) is not new."""
        self.reset(uncovered)
        scorer = None
        if guide is not None:
            scorer = self.guides.get(guide) or self.guides.setdefault(
                guide, _Guide(self.story, guide))
        seen = self.seen if breadth_first else set()
        out = []
        for state in states:
            self.events = []
            kids: list[tuple[Any, ...]] = []
            for i, choice_id in enumerate(self.visit(state)):
                nxt = self.step(state, choice_id)
                k = None if nxt is None else self.key(nxt)
                if nxt is None or k is None or k in seen:
                    continue
                seen.add(k)
                kids.append((i, k, scorer.score(nxt) if scorer is not None else 0.0, nxt))
            out.append((self.events, kids))
        self.events = []
        return out

    def playthroughs(self, runs: int, seed: int) -> tuple[Playthroughs, list[tuple]]:
        """The reading report's playthroughs; their choices do not count as taken."""
        self.sends_taken = False
        self.reset({sid: frozenset(ids) for sid, ids in self.arms.by_scene.items() if ids})
        self.events = []
        out = random_playthroughs(self.story, runs, seed, self)
        events, self.events = self.events, []
        return out, events


_FIELDS = tuple(f.name for f in dataclasses.fields(GameState))


def _freeze(state: GameState, names: tuple[str, ...]) -> bytes:
    """A state as bytes for another process: the variables as bare values in the
    story's order when they are in it (the names are most of a pickled state)."""
    values = state.vars
    packed = tuple(values.values()) if tuple(values) == names else dict(values)
    return pickle.dumps(tuple(packed if f == "vars" else getattr(state, f) for f in _FIELDS),
                        pickle.HIGHEST_PROTOCOL)


def _thaw(item: bytes | GameState, names: tuple[str, ...]) -> GameState:
    if isinstance(item, GameState):
        return item
    fields = dict(zip(_FIELDS, pickle.loads(item), strict=True))
    if isinstance(fields["vars"], tuple):
        fields["vars"] = dict(zip(names, fields["vars"], strict=True))
    return GameState(**fields)


PARALLEL_MIN = 64
"""States in a search level from which its expansion moves to forked worker processes."""


class _Holder:
    """One worker's share of a search level. Its states stay in its process between
    levels: the main process sees only their findings, keys (hashes of keys for a beam
    search) and scores, and says which of the states it made go on, so a state crosses
    between processes only when one worker holds more than its share."""

    def __init__(self, story: Story, render: bool, stops: Any = None,
                 key: StateKey | None = None):
        self.story, self.render, self.stops = story, render, stops
        self.recorder = _Recorder(story, render, key)
        self.names = tuple(story.vars)
        self.held: list[tuple[int, GameState]] = []
        self.made: dict[tuple[int, int], GameState] = {}

    def expand(self, incoming: list[tuple[int, Any]], uncovered: dict[str, frozenset[int]],
               guide: str | None, breadth_first: bool) -> list[tuple]:
        """Expand the states held and ``incoming`` ((position, state) pairs) in position
        order: per state its position, the events of visiting it and taking its choices,
        and per new state (choice index, key, score), keeping the new states until
        ``keep``. A beam search gets hashes of the keys: smaller, and enough to tell
        apart the few hundred states of a level."""
        self.held += [(pos, _thaw(item, self.names)) for pos, item in incoming]
        self.held.sort(key=lambda held: held[0])
        states = [state for _pos, state in self.held]
        out = []
        for (pos, _state), (events, kids) in zip(
                self.held, self.recorder.expand(states, uncovered, guide, breadth_first),
                strict=True):
            slim = []
            for i, k, score, nxt in kids:
                self.made[(pos, i)] = nxt
                # hash() is the same in every forked worker; the main process dedups
                slim.append((i, k if breadth_first else hash(k), score))
            out.append((pos, events, slim))
        self.held = []
        return out

    def keep(self, kept: list[tuple[int, int, int]], given: list[tuple[int, int, int]]
             ) -> list[tuple[int, bytes]]:
        """Keep the states made at (position, choice index) listed in ``kept`` at their
        new positions; return those ``given`` to another worker, frozen."""
        self.held = [(new, self.made[(pos, i)]) for pos, i, new in kept]
        out = [(new, _freeze(self.made[(pos, i)], self.names)) for pos, i, new in given]
        self.made = {}
        return out

    def playthroughs(self, runs: int, seed: int) -> tuple[Playthroughs, list[tuple]]:
        return _Recorder(self.story, self.render, self.recorder.key).playthroughs(runs, seed)

    def beam(self, target: str, seed: int, uncovered: dict[str, frozenset[int]]
             ) -> tuple[list[tuple], int]:
        """A whole beam search toward ``target`` in this process: the events that were
        new to it (an empty tracker told what ``uncovered`` says), in search order, and
        the states it visited. It stops early when told (``_Levels.stop``)."""
        report = ExploreReport(scenes_total=len(self.story.scenes), seed=seed)
        report.endings = {eid: None for eid in self.story.endings}
        base = _Tracker(self.story, report, self.render)
        base.uncovered = {sid: set(ids) for sid, ids in uncovered.items()}
        view = _View(base)
        flags, index = self.stops, list(self.story.endings).index(target)
        with _Levels(self.story, self.render, 1, self.recorder.key) as levels:
            _beam_search(self.story, view, levels, target, seed,
                         stop=lambda: bool(flags is not None and flags[index]))
        return view.take_events(), view.report.states_visited


class _Levels:
    """Expands the levels of one search at a time (breadth-first, a beam search) on
    holders: one in this process, or ``jobs`` forked ones from the first level of
    ``PARALLEL_MIN`` states. Answers come back in the level's order whoever held what,
    so the searches find the same on any number of processes."""

    def __init__(self, story: Story, render: bool, jobs: int, key: StateKey | None = None):
        self.story, self.render = story, render
        self.jobs = jobs if can_fork() else 1
        # One flag per ending, shared with the forked holders: stop the beam search
        # toward it (another search found it).
        self.stops = multiprocessing.get_context("fork").RawArray("b", len(story.endings)) \
            if self.jobs > 1 else None
        self.team = Team(lambda _w, _n: _Holder(story, render, None, key), 1)
        self.forked = False
        self.pending: list[list[tuple[int, Any]]] = [[]]
        self.owner: dict[int, int] = {}

    def __enter__(self) -> _Levels:
        return self

    def __exit__(self, kind: object, *exc: object) -> None:
        self.team.close(at_once=kind is not None)

    def start(self, states: list[GameState]) -> None:
        """A new search from ``states``: what the holders kept from the last one goes."""
        self.team.call("keep", [([], [])] * self.team.jobs)
        n, jobs = len(states), self.team.jobs
        self.pending = [[] for _ in range(jobs)]
        for pos, state in enumerate(states):
            item = _freeze(state, tuple(self.story.vars)) if self.forked else state
            self.pending[pos * jobs // n].append((pos, item))

    def fork(self) -> None:
        """Move to ``jobs`` forked holders, sharing out the states held here."""
        local: _Holder = self.team.local
        level = sorted([*self.pending[0], *local.held], key=lambda h: h[0])
        held = [(pos, _freeze(state, local.names)) for pos, state in level]
        self.team.close()
        self.team = Team(lambda _w, _n: _Holder(self.story, self.render, self.stops),
                         self.jobs)
        self.forked = True
        jobs = self.team.jobs
        self.pending = [held[w * len(held) // jobs:(w + 1) * len(held) // jobs]
                        for w in range(jobs)]

    def stop(self, ending: str) -> None:
        """A beam search toward ``ending`` running in a holder may stop."""
        if self.stops is not None:
            self.stops[list(self.story.endings).index(ending)] = 1

    def expand(self, size: int, uncovered: dict[str, frozenset[int]], guide: str | None,
               breadth_first: bool) -> list[tuple]:
        """The expansions of the level's ``size`` states, in the level's order."""
        if not self.forked and self.jobs > 1 and size >= PARALLEL_MIN:
            self.fork()
        answers = self.team.call("expand", [(pending, uncovered, guide, breadth_first)
                                            for pending in self.pending])
        self.pending = [[] for _ in answers]
        self.owner = {item[0]: w for w, answer in enumerate(answers) for item in answer}
        return sorted((item for answer in answers for item in answer), key=lambda i: i[0])

    def keep(self, chosen: list[tuple[int, int]]) -> None:
        """The next level: the states made at (position, choice index), in its order.
        A worker keeps what it made up to an even share; the rest moves."""
        jobs = self.team.jobs
        share = -(-len(chosen) // jobs)
        per: list[list[tuple[int, int, int]]] = [[] for _ in range(jobs)]
        for new, (pos, i) in enumerate(chosen):
            per[self.owner[pos]].append((pos, i, new))
        handed = self.team.call("keep", [(mine[:share], mine[share:]) for mine in per])
        room = [share - min(share, len(mine)) for mine in per]
        for items in handed:
            for item in items:
                w = next(w for w in range(jobs) if room[w] > 0)
                room[w] -= 1
                self.pending[w].append(item)


def explore(story: Story, max_states: int = DEFAULT_MAX_STATES, runs: int = DEFAULT_RUNS,
            seed: int = 0, guided: bool = True, progress: Progress | None = None,
            playthroughs: int = 0, text: bool = True, jobs: int = 1) -> ExploreReport:
    """Search the story's states; ``guided=False`` skips the beam searches;
    ``text=False`` skips rendering (no text coverage, no runtime errors in text), for
    callers that only want the endings' shortest paths, faster.

    ``playthroughs`` random playthroughs are played for the reading report. Ctrl+C
    (KeyboardInterrupt) stops the search and returns what was found, marked
    ``interrupted``. ``jobs`` worker processes expand the large levels of the
    breadth-first and beam searches and run the guided search's slots; what they find
    is merged in search order, so the report is the same for any ``jobs``.
    """
    with _few_collections():
        return _explore(story, max_states, runs, seed, guided, progress, playthroughs,
                        text, jobs)


@contextlib.contextmanager
def _few_collections() -> Any:
    """A search makes millions of small objects that live long and form no cycles; at the
    collector's usual pace (every 700 new objects) it spent about a tenth of explore's
    time walking them for nothing. Garbage with cycles (a runtime error's traceback) is
    still collected, less often. Worker processes inherit the pace."""
    before = gc.get_threshold()
    gc.set_threshold(100_000, 50, 100)
    try:
        yield
    finally:
        gc.set_threshold(*before)


def _explore(story: Story, max_states: int, runs: int, seed: int, guided: bool,
             progress: Progress | None, playthroughs: int, text: bool,
             jobs: int) -> ExploreReport:
    report = ExploreReport(scenes_total=len(story.scenes), seed=seed)
    report.endings = {eid: None for eid in story.endings}
    tracker = _Tracker(story, report, render=text)
    key = StateKey(story)
    started = time.perf_counter()
    played = None
    try:
        with _Levels(story, tracker.render, jobs, key) as levels:
            if not _breadth_first(story, tracker, key, max_states, seed, progress, levels):
                raise _StartFails
            report.seconds_breadth_first = time.perf_counter() - started
            if not report.exhaustive and guided:
                _beam_searches(story, tracker, levels, seed)
                if playthroughs and levels.forked:  # a holder plays them meanwhile
                    levels.team.send(0, "playthroughs", (playthroughs, seed))
                _random_runs(story, tracker, runs, seed)
                if playthroughs and levels.forked:
                    played = levels.team.answer(0)
            report.jobs = levels.team.jobs
        if not report.exhaustive and guided:
            report.guided_runs, steps, processes = guided_search(
                story, tracker, seed, lambda: _View(tracker), jobs=jobs)
            report.states_visited += steps
            report.jobs = max(report.jobs, processes)
        if playthroughs:
            if played is None:
                played = _Recorder(story, tracker.render, key).playthroughs(playthroughs, seed)
            report.playthroughs, events = played
            tracker.apply(events)  # after the other searches' findings, as on one core
    except KeyboardInterrupt:
        report.interrupted = True
    except _StartFails:
        pass  # the start itself fails: reported, and nothing else can be played
    report.seconds = time.perf_counter() - started
    report.unreached_scenes = [s for s in story.scenes if s not in report.scenes_reached]
    report.untaken_choices = [(s.id, c.id) for s in story.scenes.values() for c in s.choices
                              if (s.id, c.id) not in tracker.taken]
    return report


class _StartFails(Exception):
    pass


def _breadth_first(story: Story, tracker: _Tracker, key: StateKey, max_states: int,
                   seed: int, progress: Progress | None, levels: _Levels) -> bool:
    """Search from the start, level by level; False if the start itself fails with a
    runtime error."""
    report = tracker.report
    # A story that rolls dice is explored under several seeds: one seed alone can
    # make a branch look unreachable that another seed opens.
    starts = []
    for i in range(SEEDS_FOR_DICE if key.uses_turn else 1):
        try:
            starts.append(new_game(story, seed + i))
        except StoryRuntimeError as exc:
            tracker.runtime_error(exc, story.start, [])
    seen = {key(start) for start in starts}
    levels.start(starts)
    size = len(starts)
    while size:
        after: list[tuple[int, int]] = []
        for pos, events, kids in levels.expand(size, tracker.uncovered_now(), None,
                                               breadth_first=True):
            report.states_explored += 1
            if progress is not None and report.states_explored % 1000 == 0:
                progress(report.states_explored, size + len(after))
            tracker.apply(events)
            for i, k, _score in kids:
                if k in seen:
                    continue
                if len(seen) >= max_states:
                    report.exhaustive = False
                    report.states_visited += report.states_explored
                    return True
                seen.add(k)
                after.append((pos, i))
        levels.keep(after)
        size = len(after)
    report.states_visited += report.states_explored
    return bool(starts)


def _random_runs(story: Story, tracker: _Tracker, runs: int, seed: int) -> None:
    rng = random.Random(seed)
    report = tracker.report
    guides = {eid: _Guide(story, eid) for eid in story.endings}
    for run in range(runs):
        missing = [eid for eid, path in report.endings.items() if path is None]
        # Half the runs wander; the other half chase an ending not found yet.
        guide = guides[missing[run % len(missing)]] if missing and run % 2 else None
        try:
            state: GameState | None = new_game(story, rng.randrange(2**31))
        except StoryRuntimeError as exc:
            tracker.runtime_error(exc, story.start, [])
            continue
        for _ in range(MAX_STEPS):
            assert state is not None
            report.states_visited += 1
            ids = tracker.visit(state)
            if not ids:
                break
            if guide is None or rng.random() < 0.15:
                choice_id = rng.choice(ids)
            else:
                choice_id = guide.pick(state, ids, rng)
            nxt = tracker.step(state, choice_id)
            if nxt is None:
                break
            state = nxt
        report.random_runs += 1
        assert state is not None
        ending = story.scenes[state.scene].ending
        known = report.endings.get(ending) if ending is not None else None
        if ending is not None and known is not None and len(state.path) < len(known):
            report.endings[ending] = list(state.path)  # the shortest any run found
            report.ending_seeds[ending] = state.seed


def random_playthroughs(story: Story, runs: int, seed: int,
                        tracker: _Tracker | None = None) -> Playthroughs:
    """Play ``runs`` uniformly random playthroughs from ``seed``; count what they read.

    Words are those of the prose and dialogue shown; choices count the screens that
    offered more than one available choice."""
    rng = random.Random(seed)
    out = Playthroughs(runs, seed)
    for _ in range(runs):
        run_seed = rng.randrange(2**31)
        words = choices = 0
        finished = False
        state = None
        try:
            state = new_game(story, run_seed)
            for _ in range(MAX_STEPS):
                out.scene_hits[state.scene] += 1
                if tracker is not None:
                    tracker.visit(state)
                beat = current(story, state)
                words += sum(len(line.text.split()) for line in beat.lines)
                if beat.ending is not None:
                    out.endings[beat.ending.id] += 1
                    finished = True
                    break
                ids = [c.id for c in beat.choices if c.enabled]
                if not ids:
                    break
                if len(ids) > 1:
                    choices += 1
                pick = rng.choice(ids)
                if tracker is None:
                    state = choose(story, state, pick)
                    continue
                nxt = tracker.step(state, pick)
                if nxt is None:
                    break
                state = nxt
        except StoryRuntimeError as exc:
            if tracker is not None:
                where = (state.scene, state.path) if state is not None else (story.start, ())
                tracker.runtime_error(exc, *where)
        if not finished:
            out.unfinished += 1
        out.words.append(words)
        out.choices.append(choices)
    return out


BEAM_WIDTH = 300


def _beam_searches(story: Story, tracker: _Tracker, levels: _Levels, seed: int) -> None:
    """A beam search toward each ending not found yet, in the endings' order, skipping
    those an earlier search found. On several processes each search runs whole in one
    holder, started ahead of its turn; its findings are merged in its turn, or thrown
    away (and the search told to stop) if an earlier one found its ending. A search
    depends only on its ending and seed, so what is merged is what one process finds."""
    report = tracker.report
    order = [eid for eid, path in report.endings.items() if path is None]
    if levels.jobs == 1:
        for ending_id in order:
            if report.endings[ending_id] is None:
                _beam_search(story, tracker, levels, ending_id, seed)
                report.beam_searches += 1
        return
    if not order:
        return
    if not levels.forked:
        levels.fork()
    team = levels.team
    running: dict[int, str] = {}  # holder -> the ending it searches toward
    results: dict[str, tuple[list[tuple], int]] = {}
    turn = 0
    while True:
        while turn < len(order):
            ending_id = order[turn]
            if report.endings[ending_id] is not None:
                levels.stop(ending_id)
                results.pop(ending_id, None)
            elif ending_id in results:
                events, visited = results.pop(ending_id)
                tracker.apply(events)
                report.states_visited += visited
                report.beam_searches += 1
            else:
                break
            turn += 1
        started = {*running.values(), *results}
        ahead = (eid for eid in order[turn:] if eid not in started
                 and report.endings[eid] is None)
        for worker in range(team.jobs):
            if worker not in running:
                ending_id = next(ahead, "")
                if not ending_id:
                    break
                team.send(worker, "beam", (ending_id, seed, tracker.uncovered_now()))
                running[worker] = ending_id
        if not running:
            return
        for worker in team.done(list(running)):
            results[running.pop(worker)] = team.answer(worker)


def _beam_search(story: Story, tracker: _Tracker, levels: _Levels, target: str,
                 seed: int, stop: Callable[[], bool] | None = None) -> None:
    """Play every choice from the most promising states, level by level, keeping the
    ``BEAM_WIDTH`` states whose variables best suit the conditions that guard one ending.
    """
    levels.start([new_game(story, seed)])
    size = 1
    for _ in range(MAX_STEPS):
        if not size or tracker.report.endings.get(target) is not None:
            return
        if stop is not None and stop():
            return
        seen: set[int] = set()
        candidates = []
        for pos, events, kids in levels.expand(size, tracker.uncovered_now(), target,
                                               breadth_first=False):
            tracker.report.states_visited += 1
            tracker.apply(events)
            for i, h, score in kids:
                if h not in seen:
                    seen.add(h)
                    candidates.append((score, pos, i))
        candidates.sort(key=lambda c: c[0], reverse=True)
        chosen = [(pos, i) for _score, pos, i in candidates[:BEAM_WIDTH]]
        levels.keep(chosen)
        size = len(chosen)


class _Guide:
    """Steers a playthrough toward one ending using the conditions that guard it."""

    def __init__(self, story: Story, ending_id: str):
        self.story = story
        self.ending_id = ending_id
        targets = [s.id for s in story.scenes.values() if s.ending == ending_id]
        incoming: dict[str, list[tuple[str, Any]]] = {}
        calls = call_graph(story)  # a return leads to every scene it can go back to
        for scene in story.scenes.values():
            for choice in scene.choices:
                for target in calls.choice_targets(scene, choice):
                    incoming.setdefault(target, []).append((scene.id, choice))
        self.distance: dict[str, int] = {t: 0 for t in targets}
        queue = deque(targets)
        while queue:
            sid = queue.popleft()
            for source, _choice in incoming.get(sid, []):
                if source not in self.distance:
                    self.distance[source] = self.distance[sid] + 1
                    queue.append(source)
        self.want = self._regress(story, self.distance, incoming)

    @staticmethod
    def _regress(story: Story, distance: dict[str, int],
                 incoming: dict[str, list[tuple[str, Any]]]) -> dict[str, float]:
        """Goal regression: the conditions on the way into the ending say which variables
        matter; the conditions of the choices that move those variables matter too, a
        little less, and so on a few steps back."""
        want: dict[str, float] = {}
        movers: dict[str, list[tuple[str, Any, Any]]] = {}
        for scene in story.scenes.values():
            for choice in scene.choices:
                target = story.scenes.get(choice.target)  # none for a return choice
                for effect in (*choice.effects, *(target.on_enter if target else ())):
                    movers.setdefault(effect.name, []).append((scene.id, choice, effect))

        def guards(scene_id: str, choice: Any, depth: int = 2) -> list[Node]:
            """The mover's own condition and those of the choices a step or two before."""
            found = [choice.condition.ir] if choice.condition is not None else []
            frontier, seen = [scene_id], {scene_id}
            for _ in range(depth):
                nxt = []
                for sid in frontier:
                    for source, before in incoming.get(sid, []):
                        if before.condition is not None:
                            found.append(before.condition.ir)
                        if source not in seen:
                            seen.add(source)
                            nxt.append(source)
                frontier = nxt
            return found

        goals = []
        for scene_id, d in distance.items():
            if d <= 3:
                goals += [(c.condition.ir, 1.0 / (1 + d)) for _s, c in incoming.get(scene_id, [])
                          if c.condition is not None]
        done: set[str] = set()
        for _depth in range(5):
            step: dict[str, float] = {}
            for ir, weight in goals:
                _directions(ir, weight, step)
            for name, w in step.items():
                if name not in want:  # the nearest goal sets a variable's weight
                    want[name] = w
            goals = []
            for name, w in step.items():
                if name in done or abs(w) < 0.05:
                    continue
                done.add(name)
                for scene_id, choice, effect in movers.get(name, []):
                    if _helps(effect, w):
                        goals += [(ir, 0.5 * abs(w)) for ir in guards(scene_id, choice)]
        return want

    def score(self, state: GameState) -> float:
        """How well a state's variables suit the conditions near the ending."""
        total = 0.0
        values = state.vars
        for name, weight in self.want.items():
            value = values.get(name)
            if isinstance(value, bool):
                total += weight * (5 if value else 0)
            elif isinstance(value, int | float):
                total += weight * value
        return total

    def pick(self, state: GameState, ids: list[str], rng: random.Random) -> str:
        scene = self.story.scenes[state.scene]
        best, best_score = ids[0], float("-inf")
        for cid in ids:
            choice = scene.choice(cid)
            assert choice is not None
            goes = state.calls[-1] if choice.returns and state.calls else choice.target
            score = -2.0 * self.distance.get(goes, 99) / 10
            for effect in choice.effects:
                weight = self.want.get(effect.name, 0.0)
                value = effect.value.ir
                amount = value.value if isinstance(value, Const) else 1
                if isinstance(amount, bool):
                    score += weight * (1 if amount else -1) * 3
                elif isinstance(amount, int | float):
                    sign = {"+=": 1, "-=": -1, "=": 1, "*=": 1}[effect.op]
                    score += weight * sign * amount
            score += rng.random() * 0.5
            if score > best_score:
                best, best_score = cid, score
        return best


def _helps(effect: Any, direction: float) -> bool:
    """Whether an effect moves its variable the way ``direction`` wants."""
    value = effect.value.ir
    if not isinstance(value, Const):
        return True
    amount = value.value
    if isinstance(amount, bool):
        return amount == (direction > 0)
    if effect.op == "-=":
        return direction < 0
    return direction > 0 if effect.op == "+=" else True


def _directions(node: Node, weight: float, want: dict[str, float], sign: int = 1) -> None:
    """Which way each variable should move to make a condition true."""
    if isinstance(node, Var):
        want[node.name] = want.get(node.name, 0.0) + sign * weight
    elif isinstance(node, Unary) and node.op == "not":
        _directions(node.operand, weight, want, -sign)
    elif isinstance(node, Logic):
        for child in node.operands:
            _directions(child, weight, want, sign)
    elif isinstance(node, Compare):
        for op, left, right in zip(node.ops, node.operands, node.operands[1:], strict=False):
            direction = {">": 1, ">=": 1, "<": -1, "<=": -1}.get(op, 0) * sign
            for name in variables_in(left):
                want[name] = want.get(name, 0.0) + direction * weight
            for name in variables_in(right):
                want[name] = want.get(name, 0.0) - direction * weight


@dataclass
class StoryStats:
    scenes: int
    words: int
    endings: int
    choices: int
    meaningful_choices: int
    playthroughs: int
    avg_choices: float
    avg_words: float
    min_choices: int
    max_choices: int

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def _count_words(parts: tuple) -> int:
    from .engine.text import Branch

    n = 0
    for part in parts:
        if isinstance(part, str):
            n += len(part.split())
        elif isinstance(part, Branch):
            n += sum(_count_words(body) for _, body in part.arms) + _count_words(part.otherwise)
    return n


def _block_words(blocks: tuple) -> int:
    from .engine.model import ConditionalBlock

    total = 0
    for block in blocks:
        if isinstance(block, ConditionalBlock):
            total += _block_words(block.then) + _block_words(block.otherwise)
        else:
            total += _count_words(block.text)
    return total


def story_stats(story: Story, playthroughs: int = 300, seed: int = 0) -> StoryStats:
    """Size of the story, and what uniformly random playthroughs read and choose."""
    words = sum(_block_words(s.text) for s in story.scenes.values())
    choices = [(s, c) for s in story.scenes.values() for c in s.choices]
    meaningful = 0
    for scene, choice in choices:
        same_target = [c for c in scene.choices if c.target == choice.target]
        if choice.effects or len(same_target) == 1 and len(scene.choices) > 1:
            meaningful += 1
    runs = random_playthroughs(story, playthroughs, seed)
    counts, read = runs.choices, runs.words
    return StoryStats(
        scenes=len(story.scenes), words=words, endings=len(story.endings),
        choices=len(choices), meaningful_choices=meaningful, playthroughs=playthroughs,
        avg_choices=sum(counts) / max(1, len(counts)), avg_words=sum(read) / max(1, len(read)),
        min_choices=min(counts, default=0), max_choices=max(counts, default=0),
    )
