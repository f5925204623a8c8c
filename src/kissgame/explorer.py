"""Exploring every reachable state of a story with the real engine (findings KG2xx).

Breadth-first search over GameStates, merging states that cannot differ in the
future (same scene, variables, once-only choices, and whatever visit counts and
turn numbers the story's expressions can observe). BFS finds the shortest path to
every ending. Past a bound it falls back to seeded random playthroughs, some of
them steered toward endings not yet found by the conditions that guard them.
"""

from __future__ import annotations

import random
from collections import deque
from dataclasses import dataclass, field
from typing import Any

from .engine.build import scene_text_exprs
from .engine.diagnostics import (
    ASSUMPTION_FALSE,
    CHOICE_NEVER_AVAILABLE,
    DEAD_END_STATE,
    ENDING_UNREACHABLE,
    SCENE_NEVER_REACHED,
    Diagnostic,
)
from .engine.expr import Expr, calls_in, variables_in
from .engine.model import Scene, Story
from .engine.runtime import available_choice_ids, choose, context, new_game, render_lines
from .engine.state import GameState

DEFAULT_MAX_STATES = 20_000
DEFAULT_RUNS = 200
MAX_STEPS = 2_000
SEEDS_FOR_DICE = 8


@dataclass
class ExploreReport:
    scenes_total: int
    scenes_reached: set[str] = field(default_factory=set)
    endings: dict[str, list[str] | None] = field(default_factory=dict)
    untaken_choices: list[tuple[str, str]] = field(default_factory=list)
    dead_ends: list[tuple[str, list[str]]] = field(default_factory=list)
    states_explored: int = 0
    exhaustive: bool = True
    random_runs: int = 0
    seed: int = 0
    unreached_scenes: list[str] = field(default_factory=list)
    ending_seeds: dict[str, int] = field(default_factory=dict)
    beam_searches: int = 0
    assumption_failures: dict[tuple[str, int], list[str]] = field(default_factory=dict)
    """(scene, index of the assumption) -> the shortest path found that breaks it."""

    @property
    def ok(self) -> bool:
        return (all(p is not None for p in self.endings.values()) and not self.dead_ends
                and not self.assumption_failures)

    def to_dict(self) -> dict[str, Any]:
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
            "exhaustive": self.exhaustive,
            "random_runs": self.random_runs,
            "beam_searches": self.beam_searches,
            "seed": self.seed,
            "assumption_failures": [
                {"scene": s, "assumption": i, "path": p}
                for (s, i), p in sorted(self.assumption_failures.items())],
        }

    def diagnostics(self, story: Story) -> list[Diagnostic]:
        out = []
        for eid, path in self.endings.items():
            if path is None:
                how = "in any explored state" if self.exhaustive else \
                    f"in {self.states_explored} states and {self.random_runs} random runs"
                out.append(ENDING_UNREACHABLE.at(story.endings[eid].span,
                                                 f"ending '{eid}' is never reached {how}"))
        for scene_id, path in self.dead_ends:
            out.append(DEAD_END_STATE.at(story.scenes[scene_id].span, "dead end: no choice is "
                                         f"available in '{scene_id}' after "
                                         f"{' > '.join(path) or 'the start'}"))
        for (scene_id, i), path in sorted(self.assumption_failures.items()):
            expr = story.scenes[scene_id].assume[i]
            out.append(ASSUMPTION_FALSE.at(expr.span, f"scene '{scene_id}' assumes "
                                           f"'{expr.source}', but it is false after "
                                           f"{' > '.join(path) or 'the start'}"))
        for scene_id in self.unreached_scenes:
            out.append(SCENE_NEVER_REACHED.at(story.scenes[scene_id].span,
                                              f"scene '{scene_id}' is never reached in play"))
        for scene_id, choice_id in self.untaken_choices:
            if scene_id in self.scenes_reached:
                choice = story.scenes[scene_id].choice(choice_id)
                assert choice is not None
                out.append(CHOICE_NEVER_AVAILABLE.at(
                    choice.span, f"choice '{choice_id}' in '{scene_id}' is never available in "
                    "play"))
        return out


class StateKey:
    """Builds the part of a state that can change what happens next."""

    def __init__(self, story: Story):
        self.var_names = list(story.vars)
        watched: set[str] = set()
        self.uses_turn = False
        for expr in _all_exprs(story):
            calls = calls_in(expr.ir)
            if calls & {"random", "chance", "turn"}:
                self.uses_turn = True
            if calls & {"visits", "visited"}:
                watched |= _visit_targets(expr.ir)
        self.watched = sorted(watched)

    def __call__(self, state: GameState) -> tuple:
        values = state.vars
        return (
            state.scene,
            tuple(values[n] for n in self.var_names),
            state.once,
            tuple(state.visits.get(s, 0) for s in self.watched),
            (state.turn, state.seed) if self.uses_turn else 0,
        )


def _visit_targets(node: tuple) -> set[str]:
    out: set[str] = set()
    if node[0] == "f" and node[1] in ("visits", "visited"):
        for arg in node[2]:
            if arg[0] == "c":
                out.add(str(arg[1]))
    for child in node[1:]:
        if isinstance(child, tuple) and child and isinstance(child[0], str):
            out |= _visit_targets(child)
        elif isinstance(child, tuple):
            for item in child:
                if isinstance(item, tuple):
                    out |= _visit_targets(item)
    return out


def _all_exprs(story: Story) -> list[Expr]:
    exprs: list[Expr] = []
    for scene in story.scenes.values():
        exprs.extend(expr for expr, _ in scene_text_exprs(scene))
        exprs.extend(effect.value for effect in scene.on_enter)
        exprs.extend(scene.assume)
        for choice in scene.choices:
            if choice.condition is not None:
                exprs.append(choice.condition)
            exprs.extend(effect.value for effect in choice.effects)
    return exprs


class _Tracker:
    def __init__(self, story: Story, report: ExploreReport):
        self.story = story
        self.report = report
        self.taken: set[tuple[str, str]] = set()
        self.dead_scenes: set[str] = set()

    def visit(self, state: GameState) -> list[str]:
        """Record what this state shows; return the choices available in it."""
        report = self.report
        report.scenes_reached.add(state.scene)
        scene = self.story.scenes[state.scene]
        if scene.assume:
            self.check_assumptions(scene, state)
        if scene.ending is not None:
            if report.endings.get(scene.ending, 1) is None:
                report.endings[scene.ending] = list(state.path)
                report.ending_seeds[scene.ending] = state.seed
            return []
        ids = available_choice_ids(self.story, state)
        if not ids and state.scene not in self.dead_scenes:
            self.dead_scenes.add(state.scene)
            report.dead_ends.append((state.scene, list(state.path)))
        return ids

    def check_assumptions(self, scene: Scene, state: GameState) -> None:
        ctx = context(state)
        for i, expr in enumerate(scene.assume):
            if not expr.evaluate(ctx):
                known = self.report.assumption_failures.get((scene.id, i))
                if known is None or len(state.path) < len(known):
                    self.report.assumption_failures[(scene.id, i)] = list(state.path)


def explore(story: Story, max_states: int = DEFAULT_MAX_STATES, runs: int = DEFAULT_RUNS,
            seed: int = 0, guided: bool = True) -> ExploreReport:
    """Search the story's states; ``guided=False`` skips the beam searches."""
    report = ExploreReport(scenes_total=len(story.scenes), seed=seed)
    report.endings = {eid: None for eid in story.endings}
    tracker = _Tracker(story, report)
    key = StateKey(story)
    # A story that rolls dice is explored under several seeds: one seed alone can
    # make a branch look unreachable that another seed opens.
    starts = [new_game(story, seed + i) for i in range(SEEDS_FOR_DICE if key.uses_turn else 1)]
    seen = {key(start) for start in starts}
    queue = deque(starts)
    while queue:
        state = queue.popleft()
        report.states_explored += 1
        for choice_id in tracker.visit(state):
            tracker.taken.add((state.scene, choice_id))
            nxt = choose(story, state, choice_id)
            k = key(nxt)
            if k not in seen:
                if len(seen) >= max_states:
                    report.exhaustive = False
                    queue.clear()
                    break
                seen.add(k)
                queue.append(nxt)
    if not report.exhaustive and guided:
        for ending_id, path in list(report.endings.items()):
            if path is None:
                _beam_search(story, tracker, key, _Guide(story, ending_id), seed)
                report.beam_searches += 1
        _random_runs(story, tracker, runs, seed)
    report.unreached_scenes = [s for s in story.scenes if s not in report.scenes_reached]
    report.untaken_choices = [(s.id, c.id) for s in story.scenes.values() for c in s.choices
                              if (s.id, c.id) not in tracker.taken]
    return report


def _random_runs(story: Story, tracker: _Tracker, runs: int, seed: int) -> None:
    rng = random.Random(seed)
    report = tracker.report
    guides = {eid: _Guide(story, eid) for eid in story.endings}
    for run in range(runs):
        missing = [eid for eid, path in report.endings.items() if path is None]
        # Half the runs wander; the other half chase an ending not found yet.
        guide = guides[missing[run % len(missing)]] if missing and run % 2 else None
        state = new_game(story, rng.randrange(2**31))
        for _ in range(MAX_STEPS):
            ids = tracker.visit(state)
            if not ids:
                break
            if guide is None or rng.random() < 0.15:
                choice_id = rng.choice(ids)
            else:
                choice_id = guide.pick(state, ids, rng)
            tracker.taken.add((state.scene, choice_id))
            state = choose(story, state, choice_id)
        report.random_runs += 1
        ending = story.scenes[state.scene].ending
        known = report.endings.get(ending) if ending is not None else None
        if ending is not None and known is not None and len(state.path) < len(known):
            report.endings[ending] = list(state.path)  # the shortest any run found
            report.ending_seeds[ending] = state.seed


BEAM_WIDTH = 300


def _beam_search(story: Story, tracker: _Tracker, key: StateKey, guide: _Guide,
                 seed: int) -> None:
    """Play every choice from the most promising states, level by level, keeping the
    ``BEAM_WIDTH`` states whose variables best suit the conditions that guard one ending.
    """
    level = [new_game(story, seed)]
    target = guide.ending_id
    for _ in range(MAX_STEPS):
        if not level or tracker.report.endings.get(target) is not None:
            return
        seen: set = set()
        candidates = []
        for state in level:
            for choice_id in tracker.visit(state):
                tracker.taken.add((state.scene, choice_id))
                nxt = choose(story, state, choice_id)
                k = key(nxt)
                if k not in seen:
                    seen.add(k)
                    candidates.append(nxt)
        candidates.sort(key=guide.score, reverse=True)
        level = candidates[:BEAM_WIDTH]


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

        def guards(scene_id: str, choice: Any, depth: int = 2) -> list[tuple]:
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
                amount = value[1] if value[0] == "c" else 1
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
    if value[0] != "c":
        return True
    amount = value[1]
    if isinstance(amount, bool):
        return amount == (direction > 0)
    if effect.op == "-=":
        return direction < 0
    return direction > 0 if effect.op == "+=" else True


def _directions(node: tuple, weight: float, want: dict[str, float], sign: int = 1) -> None:
    """Which way each variable should move to make a condition true."""
    kind = node[0]
    if kind == "v":
        want[node[1]] = want.get(node[1], 0.0) + sign * weight
    elif kind == "u" and node[1] == "not":
        _directions(node[2], weight, want, -sign)
    elif kind in ("and", "or"):
        for child in node[1]:
            _directions(child, weight, want, sign)
    elif kind == "cmp":
        for op, left, right in zip(node[1], node[2], node[2][1:], strict=False):
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
    rng = random.Random(seed)
    counts, read = [], []
    for _ in range(playthroughs):
        state = new_game(story, rng.randrange(2**31))
        n_words = 0
        n_choices = 0
        for _ in range(MAX_STEPS):
            n_words += sum(len(line.text.split()) for line in render_lines(story, state))
            ids = available_choice_ids(story, state)
            if not ids or story.scenes[state.scene].ending:
                break
            if len(ids) > 1:
                n_choices += 1
            state = choose(story, state, rng.choice(ids))
        counts.append(n_choices)
        read.append(n_words)
    return StoryStats(
        scenes=len(story.scenes), words=words, endings=len(story.endings),
        choices=len(choices), meaningful_choices=meaningful, playthroughs=playthroughs,
        avg_choices=sum(counts) / max(1, len(counts)), avg_words=sum(read) / max(1, len(read)),
        min_choices=min(counts, default=0), max_choices=max(counts, default=0),
    )
