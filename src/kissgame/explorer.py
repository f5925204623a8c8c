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

import dataclasses
import multiprocessing
import pickle
import random
import signal
import statistics
import time
from collections import Counter, deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from .coverage import TextArms
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
    """Processes that searched: 1 unless some search level was large enough for more."""
    seconds_breadth_first: float = 0.0
    seconds: float = 0.0

    @property
    def states_per_second(self) -> float:
        """Breadth-first search's rate: states visited (rendered, every choice taken)."""
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
            "states_per_second": round(self.states_per_second),
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


class _Recorder(_Tracker):
    """A tracker whose findings become events, applied later by the main tracker in
    search order. It drops only repeats of its own since ``reset``, which the main
    tracker would ignore anyway, so the events say exactly what one tracker would."""

    def __init__(self, story: Story, render: bool):
        super().__init__(story, ExploreReport(scenes_total=len(story.scenes)), render)
        self.key = StateKey(story)
        self.guides: dict[str, _Guide] = {}
        self.seen: set = set()  # the keys this worker has sent during breadth-first search
        self.events: list[tuple] = []
        self.reset({})

    def reset(self, uncovered: dict[str, frozenset[int]]) -> None:
        self.uncovered = {sid: set(ids) for sid, ids in uncovered.items()}
        self.reached: set[str] = set()
        self.dead_scenes = set()

    def _found_reached(self, scene: str) -> None:
        if scene not in self.reached:
            self.reached.add(scene)
            self.events.append(("_found_reached", scene))

    def _found_shown(self, scene: str, shown: set[int]) -> None:
        self.uncovered[scene] -= shown
        self.events.append(("_found_shown", scene, shown))

    def _found_dead_end(self, scene: str, path: list[str]) -> None:
        if scene not in self.dead_scenes:
            self.dead_scenes.add(scene)
            self.events.append(("_found_dead_end", scene, path))

    def _found_taken(self, scene: str, choice_id: str) -> None:
        pass  # the main process knows which choices it takes from the expansions

    def _found_passed(self, scene: str, choice_id: str) -> None:
        self.events.append(("_found_passed", scene, choice_id))

    def _found_error(self, d: Diagnostic, scene: str, path: list[str]) -> None:
        self.events.append(("_found_error", d, scene, path))

    def _found_ending(self, ending: str, path: list[str], seed: int) -> None:
        self.events.append(("_found_ending", ending, path, seed))

    def _found_broken(self, scene: str, i: int, path: list[str]) -> None:
        self.events.append(("_found_broken", scene, i, path))

    def expand(self, items: list, uncovered: dict[str, frozenset[int]], guide: str | None,
               breadth_first: bool, freeze: bool) -> list[tuple]:
        """Visit each state and take each of its choices: for each state its scene, the
        events of its visit and, per choice, the events of taking it, the new state's
        key and score and the new state (pickled when ``freeze``); key None when the
        choice failed or led to a state already sent."""
        self.reset(uncovered)
        scorer = None
        if guide is not None:
            scorer = self.guides.get(guide) or self.guides.setdefault(
                guide, _Guide(self.story, guide))
        seen = self.seen if breadth_first else set()
        names = tuple(self.story.vars)
        out = []
        for item in items:
            state = _thaw(item, names)
            self.events = []
            ids = self.visit(state)
            seen_events = self.events
            kids: list[tuple[Any, ...]] = []
            for choice_id in ids:
                self.events = []
                nxt = self.step(state, choice_id)
                k = None if nxt is None else self.key(nxt)
                if nxt is None or k is None or k in seen:
                    kids.append((choice_id, self.events, None, 0.0, None))
                    continue
                seen.add(k)
                score = scorer.score(nxt) if scorer is not None else 0.0
                kept = _freeze(nxt, names) if freeze else nxt
                kids.append((choice_id, self.events, k, score, kept))
            out.append((state.scene, seen_events, kids))
        self.events = []
        return out

    def playthroughs(self, runs: int, seed: int) -> tuple[Playthroughs, list[tuple]]:
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


_WORKER: _Recorder | None = None
PARALLEL_MIN = 64
"""States in a search level below which it is expanded in the main process."""
CHUNKS_PER_JOB = 3


def _init_worker(story: Story, render: bool) -> None:
    global _WORKER
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl+C is the main process's to handle
    _WORKER = _Recorder(story, render)


def _work(task: tuple[list[Any], dict[str, frozenset[int]], str | None, bool]) -> list[tuple]:
    assert _WORKER is not None
    items, uncovered, guide, breadth_first = task
    return _WORKER.expand(items, uncovered, guide, breadth_first, freeze=True)


def _work_playthroughs(runs: int, seed: int) -> tuple[Playthroughs, list[tuple]]:
    assert _WORKER is not None
    return _WORKER.playthroughs(runs, seed)


class _Expander:
    """Expands search levels, in worker processes when a level is large enough to pay
    for it. The pool starts with the first large level, so a small story never starts
    one; its workers are forked, so the story is not pickled."""

    def __init__(self, story: Story, tracker: _Tracker, jobs: int, playthroughs: int,
                 seed: int):
        self.story = story
        self.tracker = tracker
        self.jobs = jobs if "fork" in multiprocessing.get_all_start_methods() else 1
        self.local = _Recorder(story, tracker.render)
        self.pool: Any = None
        self.runs, self.seed = playthroughs, seed
        self.pending: Any = None

    def __enter__(self) -> _Expander:
        return self

    def __exit__(self, *exc: object) -> None:
        if self.pool is not None:
            self.pool.terminate()
            self.pool.join()

    def _uncovered(self) -> dict[str, frozenset[int]]:
        return {sid: frozenset(ids) for sid, ids in self.tracker.uncovered.items() if ids}

    def expand(self, level: list, guide: str | None = None,
               breadth_first: bool = False) -> Iterator[list[tuple]]:
        """The expansions of ``level``'s states, in chunks, in the level's order."""
        if self.jobs < 2 or len(level) < PARALLEL_MIN:
            yield self.local.expand(level, self._uncovered(), guide, breadth_first, False)
            return
        if self.pool is None:
            context = multiprocessing.get_context("fork")
            self.pool = context.Pool(self.jobs, _init_worker,
                                     (self.story, self.tracker.render))
            if self.runs:
                self.pending = self.pool.apply_async(_work_playthroughs, (self.runs, self.seed))
        names = tuple(self.story.vars)
        frozen = [s if isinstance(s, bytes) else _freeze(s, names) for s in level]
        size = -(-len(frozen) // (self.jobs * CHUNKS_PER_JOB))
        uncovered = self._uncovered()
        tasks = [(frozen[i:i + size], uncovered, guide, breadth_first)
                 for i in range(0, len(frozen), size)]
        yield from self.pool.imap(_work, tasks)

    def playthroughs(self) -> Playthroughs:
        """The random playthroughs, played by a worker meanwhile if there is a pool."""
        if self.pending is not None:
            out, events = self.pending.get()
        else:
            out, events = self.local.playthroughs(self.runs, self.seed)
        self.tracker.apply(events)
        return out


def explore(story: Story, max_states: int = DEFAULT_MAX_STATES, runs: int = DEFAULT_RUNS,
            seed: int = 0, guided: bool = True, progress: Progress | None = None,
            playthroughs: int = 0, text: bool = True, jobs: int = 1) -> ExploreReport:
    """Search the story's states; ``guided=False`` skips the beam searches;
    ``text=False`` skips rendering (no text coverage, no runtime errors in text), for
    callers that only want the endings' shortest paths, faster.

    ``playthroughs`` random playthroughs are played for the reading report. Ctrl+C
    (KeyboardInterrupt) stops the search and returns what was found, marked
    ``interrupted``. ``jobs`` worker processes expand the large levels of the
    breadth-first and beam searches (and play the playthroughs meanwhile); their
    findings are merged in search order, so the report is the same for any ``jobs``.
    """
    report = ExploreReport(scenes_total=len(story.scenes), seed=seed)
    report.endings = {eid: None for eid in story.endings}
    tracker = _Tracker(story, report, render=text)
    key = StateKey(story)
    started = time.perf_counter()
    try:
        with _Expander(story, tracker, jobs, playthroughs, seed) as expander:
            if not _breadth_first(story, tracker, key, max_states, seed, progress, expander):
                raise _StartFails
            report.seconds_breadth_first = time.perf_counter() - started
            if not report.exhaustive and guided:
                for ending_id, path in list(report.endings.items()):
                    if path is None:
                        _beam_search(story, tracker, expander, ending_id, seed)
                        report.beam_searches += 1
                _random_runs(story, tracker, runs, seed)
                report.guided_runs = guided_search(story, tracker, seed)
            if playthroughs:
                report.playthroughs = expander.playthroughs()
            report.jobs = expander.jobs if expander.pool is not None else 1
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
                   seed: int, progress: Progress | None, expander: _Expander) -> bool:
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
    level: list = list(starts)
    while level:
        after: list = []
        for chunk in expander.expand(level, breadth_first=True):
            for scene, events, kids in chunk:
                report.states_explored += 1
                if progress is not None and report.states_explored % 1000 == 0:
                    progress(report.states_explored, len(level) + len(after))
                tracker.apply(events)
                for choice_id, taken, k, _score, nxt in kids:
                    tracker.taken.add((scene, choice_id))
                    tracker.apply(taken)
                    if k is None or k in seen:
                        continue
                    if len(seen) >= max_states:
                        report.exhaustive = False
                        return True
                    seen.add(k)
                    after.append(nxt)
        level = after
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


def _beam_search(story: Story, tracker: _Tracker, expander: _Expander, target: str,
                 seed: int) -> None:
    """Play every choice from the most promising states, level by level, keeping the
    ``BEAM_WIDTH`` states whose variables best suit the conditions that guard one ending.
    """
    level: list = [new_game(story, seed)]
    for _ in range(MAX_STEPS):
        if not level or tracker.report.endings.get(target) is not None:
            return
        seen: set = set()
        candidates = []
        for chunk in expander.expand(level, guide=target):
            for scene, events, kids in chunk:
                tracker.apply(events)
                for choice_id, taken, k, score, nxt in kids:
                    tracker.taken.add((scene, choice_id))
                    tracker.apply(taken)
                    if k is not None and k not in seen:
                        seen.add(k)
                        candidates.append((score, nxt))
        candidates.sort(key=lambda c: c[0], reverse=True)
        level = [nxt for _score, nxt in candidates[:BEAM_WIDTH]]


class _Guide:
    """Steers a playthrough toward one ending using the conditions that guard it."""

    def __init__(self, story: Story, ending_id: str):
        self.story = story
        self.ending_id = ending_id
        targets = [s.id for s in story.scenes.values() if s.ending == ending_id]
        incoming: dict[str, list[tuple[str, Any]]] = {}
        for scene in story.scenes.values():
            for choice in scene.choices:
                incoming.setdefault(choice.target, []).append((scene.id, choice))
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
                for effect in (*choice.effects, *story.scenes[choice.target].on_enter):
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
            score = -2.0 * self.distance.get(choice.target, 99) / 10
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
