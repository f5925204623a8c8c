"""Which parts of a game state can still matter, scene by scene (for explore's merging).

Two states in the same scene that differ only in variables or visit counts nothing
will read again play out identically, so the explorer keeps one. A backward liveness
analysis over the scene graph finds, for each scene, what may be read from there on:
by conditions, text, assumptions and effects. Visit counts are capped at one past the
largest number any expression compares them with (beyond it every comparison answers
the same), and once-only marks count only while their scene can still be reached.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TypeGuard

from .engine.build import scene_variations, story_exprs
from .engine.calls import call_graph
from .engine.expr import Assign, Expr
from .engine.ir import Call, Compare, Const, Node, calls_in, children, variables_in, walk
from .engine.model import Scene, Story
from .engine.state import GameState

VISITS = "visits:"  # prefix of a visit count among the variable names
ALL_VISITS = "visits:*"  # a visits() whose scene is not a constant reads them all


def _visit_scene(node: Call) -> str:
    """The scene of ``visits("x")``/``visited("x")``, or ALL_VISITS when not a constant."""
    arg = node.args[0] if node.args else None
    return str(arg.value) if isinstance(arg, Const) else ALL_VISITS


def _is_visits(node: Node) -> TypeGuard[Call]:
    return isinstance(node, Call) and node.name in ("visits", "visited")


def reads(expr: Expr) -> set[str]:
    """Variables and visit counts (``visits:SCENE``) an expression reads."""
    out = variables_in(expr.ir)
    if calls_in(expr.ir) & {"visits", "visited"}:
        for node in walk(expr.ir):
            if _is_visits(node):
                out.add(VISITS + _visit_scene(node))
    return out


def visit_caps(exprs: Iterable[Expr]) -> dict[str, int | None]:
    """For each scene whose visits are read: the count beyond which no expression can
    tell counts apart (None: no cap, e.g. a count that is printed or added up)."""
    caps: dict[str, int | None] = {}

    def cap(scene: str, value: int | None) -> None:
        if scene not in caps:
            caps[scene] = value
        else:
            old = caps[scene]
            caps[scene] = None if old is None or value is None else max(old, value)

    def visit(node: Node, compared: list[Node] | None) -> None:
        if _is_visits(node):
            scene = _visit_scene(node)
            numbers = [o.value for o in compared or () if isinstance(o, Const)
                       and isinstance(o.value, int | float) and not isinstance(o.value, bool)]
            if node.name == "visited":
                cap(scene, 1)
            elif compared is not None and len(numbers) == len(compared):
                cap(scene, int(max(numbers, default=0)) + 1)
            else:
                cap(scene, None)
            for child in children(node):
                visit(child, None)
            return
        if isinstance(node, Compare):
            operands = list(node.operands)
            for i, operand in enumerate(operands):
                visit(operand, operands[:i] + operands[i + 1:])
            return
        for child in children(node):
            visit(child, None)

    for expr in exprs:
        visit(expr.ir, None)
    return caps


def scene_reads(scene: Scene) -> set[str]:
    """What being in ``scene`` reads: its assumptions, prose, labels and conditions."""
    from .engine.build import scene_text_exprs

    out: set[str] = set()
    for expr in scene.assume:
        out |= reads(expr)
    for expr, _is_condition in scene_text_exprs(scene):
        out |= reads(expr)
    out |= {VISITS + v.scene for v in scene_variations(scene)}  # {a|b} counts visits
    for choice in scene.choices:
        if choice.condition is not None:
            out |= reads(choice.condition)
    return out


def _through(effects: Iterable[Assign], live: set[str]) -> set[str]:
    """Live before running ``effects`` in order, given ``live`` after them. An effect on
    a variable nothing reads later is dead, and so are its own reads."""
    live = set(live)
    for effect in reversed(list(effects)):
        if effect.name not in live:
            continue
        if effect.op == "=" and not effect.guards:
            live.discard(effect.name)
        live |= reads(effect.value)
        for guard, _want in effect.guards:
            live |= reads(guard)
    return live


def live_sets(story: Story) -> dict[str, frozenset[str]]:
    """For each scene, what may be read from the moment the scene has been entered."""
    scenes = story.scenes
    graph = call_graph(story)  # a return choice leads to every scene it can return to
    local = {sid: scene_reads(scene) for sid, scene in scenes.items()}
    live: dict[str, set[str]] = {sid: set(r) for sid, r in local.items()}
    incoming: dict[str, list[str]] = {sid: [] for sid in scenes}
    for scene in scenes.values():
        for target_id in graph.successors(scene):
            if target_id in incoming:
                incoming[target_id].append(scene.id)
    work = list(scenes)
    pending = set(work)
    while work:
        sid = work.pop()
        pending.discard(sid)
        scene = scenes[sid]
        new = set(local[sid])
        for choice in scene.choices:
            for target_id in graph.choice_targets(scene, choice):
                target = scenes.get(target_id)
                if target is not None:
                    new |= _through((*choice.effects, *target.on_enter), live[target.id])
        if new != live[sid]:
            live[sid] = new
            for source in incoming[sid]:
                if source not in pending:
                    pending.add(source)
                    work.append(source)
    if any(ALL_VISITS in names for names in live.values()):
        every = {VISITS + s for s in scenes}
        for names in live.values():
            if ALL_VISITS in names:
                names |= every
    return {sid: frozenset(names) for sid, names in live.items()}


def reachable_from(story: Story) -> dict[str, frozenset[str]]:
    """For each scene, the scenes that can still come after it (itself included)."""
    graph = call_graph(story)
    succ = {s.id: {t for t in graph.successors(s) if t in story.scenes}
            for s in story.scenes.values()}
    out: dict[str, frozenset[str]] = {}
    for start in story.scenes:
        seen, stack = {start}, [start]
        while stack:
            for nxt in succ[stack.pop()]:
                if nxt not in seen:
                    seen.add(nxt)
                    stack.append(nxt)
        out[start] = frozenset(seen)
    return out


def _once_scene(key: object) -> str:
    scene = getattr(key, "scene", None)
    return scene if isinstance(scene, str) else str(key).partition("/")[0]


class StateKey:
    """The part of a state that can change what happens next, or what is shown."""

    def __init__(self, story: Story):
        exprs = story_exprs(story)
        self.uses_turn = any(calls_in(e.ir) & {"random", "chance", "turn"} for e in exprs)
        self.caps = visit_caps(exprs)
        for scene in story.scenes.values():  # so that each option of a variation shows
            for variation in scene_variations(scene):
                cap = self.caps.get(variation.scene, 0)
                if cap is not None:
                    self.caps[variation.scene] = max(cap, variation.visits_that_matter)
        live = live_sets(story)
        reach = reachable_from(story)
        self.plan: dict[str, tuple[tuple[str, ...], tuple[tuple[str, int | None], ...],
                                   frozenset[str]]] = {}
        for sid, names in live.items():
            var_names = tuple(sorted(n for n in names if not n.startswith(VISITS)))
            uncapped = ALL_VISITS in self.caps
            visits = tuple(sorted((n[len(VISITS):],
                                   None if uncapped else self.caps.get(n[len(VISITS):]))
                                  for n in names if n.startswith(VISITS) and n != ALL_VISITS))
            self.plan[sid] = (var_names, visits, reach[sid])
        self.kept = {sid: len(p[0]) for sid, p in self.plan.items()}

    def __call__(self, state: GameState) -> tuple:
        var_names, visits, ahead = self.plan[state.scene]
        values = state.vars
        counts = state.visits
        return (
            state.scene,
            tuple(values.get(n) for n in var_names),
            frozenset(k for k in state.once if _once_scene(k) in ahead),
            tuple(counts.get(s, 0) if cap is None else min(counts.get(s, 0), cap)
                  for s, cap in visits),
            (state.turn, state.seed) if self.uses_turn else 0,
            state.calls,
        )
