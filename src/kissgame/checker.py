"""Static lints over a compiled story (KG1xx), run after the loader's own findings."""

from __future__ import annotations

from collections import deque
from pathlib import Path

from .engine.build import scene_text_exprs
from .engine.diagnostics import ERROR, WARNING, Diagnostic
from .engine.expr import UNKNOWN, Expr, fold, variables_in
from .engine.model import Story
from .loader import LoadResult, load_story


def assigned_vars(story: Story) -> set[str]:
    names: set[str] = set()
    for scene in story.scenes.values():
        names.update(effect.name for effect in scene.on_enter)
        for choice in scene.choices:
            names.update(effect.name for effect in choice.effects)
    return names


def constant_values(story: Story) -> dict[str, object]:
    """Variables that no effect ever assigns: they keep their initial value forever."""
    assigned = assigned_vars(story)
    return {n: d.initial for n, d in story.vars.items() if n not in assigned}


def is_statically_false(condition: Expr | None, constants: dict[str, object]) -> bool:
    if condition is None:
        return False
    value = fold(condition.ir, constants)  # type: ignore[arg-type]
    return value is not UNKNOWN and not value


def lint(story: Story) -> list[Diagnostic]:
    found: list[Diagnostic] = []
    constants = constant_values(story)
    scenes = story.scenes

    for scene in scenes.values():
        if scene.ending is None and not scene.choices:
            found.append(Diagnostic("KG105", ERROR, f"scene '{scene.id}' has no choices and is "
                                    "not an ending: the story stops here", scene.span))
        for choice in scene.choices:
            if is_statically_false(choice.condition, constants):
                assert choice.condition is not None
                found.append(Diagnostic(
                    "KG108", WARNING, f"condition '{choice.condition.source}' of choice "
                    f"'{choice.id}' is always false: nothing ever changes the variables it reads",
                    choice.condition.span))

    # Reachability on the scene graph, skipping edges that can never be taken.
    reached: set[str] = set()
    if story.start in scenes:
        queue = deque([story.start])
        reached.add(story.start)
        while queue:
            scene = scenes[queue.popleft()]
            for choice in scene.choices:
                if choice.target in scenes and choice.target not in reached and \
                        not is_statically_false(choice.condition, constants):
                    reached.add(choice.target)
                    queue.append(choice.target)
        for scene in scenes.values():
            if scene.id not in reached:
                found.append(Diagnostic("KG103", WARNING, f"scene '{scene.id}' can never be "
                                        "reached from the start", scene.span))

    ending_scenes = {s.ending for s in scenes.values() if s.ending}
    for ending in story.endings.values():
        if ending.id not in ending_scenes:
            found.append(Diagnostic("KG107", WARNING, f"ending '{ending.id}' is declared but no "
                                    "scene ends with it", ending.span))

    read, shown = _read_vars(story), _shown_vars(story)
    for name, decl in story.vars.items():
        if name not in story.used_vars:
            found.append(Diagnostic("KG106", WARNING, f"variable '{name}' is declared but never "
                                    "used", decl.span))
        elif name not in read and name not in shown:
            found.append(Diagnostic("KG106", WARNING, f"variable '{name}' is set but never read "
                                    "by a condition, text or the notebook", decl.span))
    return found


def _shown_vars(story: Story) -> set[str]:
    return {m.var for m in (*story.ships, *story.meters, *story.clues)}


def _read_vars(story: Story) -> set[str]:
    names: set[str] = set()
    for scene in story.scenes.values():
        for expr, _ in scene_text_exprs(scene):
            names |= variables_in(expr.ir)
        for effect in scene.on_enter:
            names |= variables_in(effect.value.ir)
        for choice in scene.choices:
            if choice.condition is not None:
                names |= variables_in(choice.condition.ir)
            for effect in choice.effects:
                names |= variables_in(effect.value.ir)
    return names


def check(root: str | Path) -> tuple[LoadResult, list[Diagnostic]]:
    """Load a story and lint it: every finding, loader's and linter's, sorted by place."""
    result = load_story(root)
    found = list(result.diagnostics)
    if result.story is not None and not any(d.severity == ERROR and d.code < "KG100"
                                            for d in found):
        found += lint(result.story)
    found.sort(key=lambda d: (d.span.file, d.span.line, d.span.col, d.code))
    return result, found
