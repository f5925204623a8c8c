"""Static lints over a compiled story (KG1xx), run after the loader's own findings."""

from __future__ import annotations

from collections import deque
from collections.abc import Mapping
from pathlib import Path

from .engine.build import story_exprs
from .engine.calls import CallGraph, call_graph
from .engine.diagnostics import (
    ALWAYS_FALSE,
    CALL_NEVER_RETURNS,
    DEAD_END_SCENE,
    DIVISOR_MAY_BE_ZERO,
    FALLBACK_LOOP,
    RECURSIVE_CALL,
    RETURN_OUTSIDE_CALL,
    UNREACHABLE_SCENE,
    UNUSED_ENDING,
    UNUSED_VARIABLE,
    Diagnostic,
    is_load_error,
)
from .engine.expr import UNKNOWN, Expr, Value, fold, span_at
from .engine.ir import Binary, Node, Var, unparse, variables_in, walk
from .engine.model import Story
from .engine.runtime import MAX_CALL_DEPTH
from .loader import LoadResult, load_story


def assigned_vars(story: Story) -> set[str]:
    names: set[str] = set()
    for scene in story.scenes.values():
        names.update(effect.name for effect in scene.on_enter)
        for choice in scene.choices:
            names.update(effect.name for effect in choice.effects)
    return names


def constant_values(story: Story) -> dict[str, Value]:
    """Variables that no effect ever assigns: they keep their initial value forever."""
    assigned = assigned_vars(story)
    return {n: d.initial for n, d in story.vars.items() if n not in assigned}


def is_statically_false(condition: Expr | None, constants: dict[str, Value]) -> bool:
    if condition is None:
        return False
    value = fold(condition.ir, constants)
    return value is not UNKNOWN and not value


def lint(story: Story) -> list[Diagnostic]:
    found: list[Diagnostic] = []
    constants = constant_values(story)
    scenes = story.scenes

    for scene in scenes.values():
        if scene.ending is None and not scene.choices:
            found.append(DEAD_END_SCENE.at(scene.span, f"scene '{scene.id}' has no choices and "
                                           "is not an ending: the story stops here"))
        for choice in scene.choices:
            if choice.fallback and choice.target == scene.id and not scene.on_enter:
                found.append(FALLBACK_LOOP.at(
                    choice.span, f"fallback choice '{choice.id}' leads back to '{scene.id}': once "
                    "nothing else is left it is taken again and again (KG306 while playing); "
                    "send it on to another scene"))
            if is_statically_false(choice.condition, constants):
                assert choice.condition is not None
                found.append(ALWAYS_FALSE.at(
                    choice.condition.span, f"condition '{choice.condition.source}' of choice "
                    f"'{choice.id}' is always false: nothing ever changes the variables it reads"))

    # Reachability on the scene graph, skipping edges that can never be taken.
    graph = call_graph(story)
    reached: set[str] = set()
    if story.start in scenes:
        queue = deque([story.start])
        reached.add(story.start)
        while queue:
            scene = scenes[queue.popleft()]
            for choice in scene.choices:
                if is_statically_false(choice.condition, constants):
                    continue
                for target in graph.choice_targets(scene, choice):
                    if target in scenes and target not in reached:
                        reached.add(target)
                        queue.append(target)
        for scene in scenes.values():
            if scene.id not in reached:
                found.append(UNREACHABLE_SCENE.at(scene.span, f"scene '{scene.id}' can never be "
                                                  "reached from the start"))

    ending_scenes = {s.ending for s in scenes.values() if s.ending}
    for ending in story.endings.values():
        if ending.id not in ending_scenes:
            found.append(UNUSED_ENDING.at(ending.span, f"ending '{ending.id}' is declared but no "
                                          "scene ends with it"))

    found += _call_findings(story, graph)
    found += _zero_divisors(story, constants)
    read, shown = _read_vars(story), _shown_vars(story)
    for name, decl in story.vars.items():
        if name not in story.used_vars:
            found.append(UNUSED_VARIABLE.at(decl.span, f"variable '{name}' is declared but "
                                            "never used"))
        elif name not in read and name not in shown:
            found.append(UNUSED_VARIABLE.at(decl.span, f"variable '{name}' is set but never "
                                            "read by a condition, text or the notebook"))
    return found


def _call_findings(story: Story, graph: CallGraph) -> list[Diagnostic]:
    """Returns that no call can be pending for, calls that never come back, and calls
    that can nest without end."""
    found = []
    inside = set(graph.returns_to)
    for scene in story.scenes.values():
        for choice in scene.choices:
            if choice.returns and scene.id not in inside:
                found.append(RETURN_OUTSIDE_CALL.at(
                    choice.span, f"choice '{choice.id}' in '{scene.id}' returns, but no "
                    f"'call:' leads to '{scene.id}', so there is nothing to return to"))
            elif choice.returns and scene.id in graph.top:
                found.append(RETURN_OUTSIDE_CALL.at(
                    choice.span, f"choice '{choice.id}' in '{scene.id}' returns, but "
                    f"'{scene.id}' can also be reached from the start without a call, and "
                    "there a return has nothing to go back to; reach it only by 'call:'"))
            if choice.then is None or choice.target not in story.scenes:
                continue
            if not graph.returns(story, choice.target):
                found.append(CALL_NEVER_RETURNS.at(
                    choice.span, f"choice '{choice.id}' in '{scene.id}' calls "
                    f"'{choice.target}', but no choice with 'return: true' can be reached "
                    f"from there, so the call never comes back to '{choice.then}'; use 'to:' "
                    "for a one-way move"))
            cycle = graph.recursion(scene, choice)
            if cycle is not None:
                found.append(RECURSIVE_CALL.at(
                    choice.span, f"choice '{choice.id}' in '{scene.id}' calls "
                    f"'{choice.target}' while a call of '{cycle[0]}' is pending, and the calls "
                    f"can go round ({' → '.join(cycle)}): each round nests one call deeper, "
                    f"and play stops at {MAX_CALL_DEPTH} pending calls; return instead of "
                    "calling back"))
    return found


def _zero_why(story: Story, divisor: Node, constants: dict[str, Value]) -> str | None:
    """Why ``divisor`` can provably be 0, or None when it cannot be shown."""
    value = fold(divisor, constants)
    if value is not UNKNOWN:
        return "(it is always 0)" if value == 0 and not isinstance(value, str) else None
    if not isinstance(divisor, Var) or divisor.name not in story.vars:
        return None
    decl = story.vars[divisor.name]
    if decl.initial == 0:
        return "(it starts at 0)"
    if decl.bounds is not None and decl.bounds.low is not None and decl.bounds.low <= 0 and (
            decl.bounds.high is None or decl.bounds.high >= 0):
        return f"(its min is {decl.bounds.low})"
    return None


def _zero_divisors(story: Story, constants: dict[str, Value]) -> list[Diagnostic]:
    found = []
    seen: set[tuple[str, int, int]] = set()
    for expr in story_exprs(story):
        for node in walk(expr.ir):
            if not isinstance(node, Binary) or node.op not in ("/", "//", "%"):
                continue
            why = _zero_why(story, node.right, constants)
            span = span_at(expr.span, expr.source, node.right.off)
            if why is None or (span.file, span.line, span.col) in seen:
                continue
            seen.add((span.file, span.line, span.col))
            found.append(DIVISOR_MAY_BE_ZERO.at(span, source=expr.source,
                                                divisor=unparse(node.right), why=why))
    return found


def _shown_vars(story: Story) -> set[str]:
    return {m.var for m in (*story.ships, *story.meters, *story.clues)}


def _read_vars(story: Story) -> set[str]:
    names: set[str] = set()
    for expr in story_exprs(story):
        names |= variables_in(expr.ir)
    return names


def check(root: str | Path,
          texts: Mapping[Path, str] | None = None) -> tuple[LoadResult, list[Diagnostic]]:
    """Load a story and lint it: every finding, loader's and linter's, sorted by place.

    ``texts`` replaces the content of some files (an editor's unsaved buffers).
    """
    result = load_story(root, texts)
    found = list(result.diagnostics)
    if result.story is not None and not any(is_load_error(d) for d in found):
        found += lint(result.story)
    # The load errors first (a file that did not parse explains much of the rest),
    # and each finding once.
    found = sorted(set(found), key=lambda d: (not is_load_error(d), d.span.file, d.span.line,
                                              d.span.col, d.code, d.message))
    return result, found
