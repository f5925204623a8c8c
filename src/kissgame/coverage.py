"""Text coverage: every conditional arm of a story's prose and labels, and which of them
a state shows (ChoiceScript's quicktest, for text).

An arm is one branch of an ``{if}...{elif}...{else}...{end}`` in a template, or the
``then``/``else`` of a conditional text block. Arms are numbered once per story; the
explorer renders each state it reaches and marks the arms that state shows.
"""

from __future__ import annotations

from dataclasses import dataclass

from .engine.diagnostics import SourceSpan, StoryRuntimeError
from .engine.expr import EvalContext
from .engine.model import Block, ConditionalBlock, Scene, Story
from .engine.text import Branch


@dataclass(frozen=True, slots=True)
class Arm:
    scene: str
    span: SourceSpan
    condition: str
    """The condition that shows it: its source, or ``else`` of the ones before."""


def _else_of(conditions: list[str]) -> str:
    return "else (" + " / ".join(conditions) + ")" if conditions else "else"


class TextArms:
    """Every arm of the story, numbered; ``shown(scene, ctx, labels)`` marks a state's."""

    def __init__(self, story: Story):
        self.arms: list[Arm] = []
        self._index: dict[tuple[int, int], int] = {}
        self.by_scene: dict[str, list[int]] = {}
        for scene in story.scenes.values():
            start = len(self.arms)
            self._blocks(scene.id, scene.text)
            for choice in scene.choices:
                self._template(scene.id, choice.label)
            self.by_scene[scene.id] = list(range(start, len(self.arms)))

    def _add(self, owner: object, i: int, arm: Arm) -> None:
        self._index[(id(owner), i)] = len(self.arms)
        self.arms.append(arm)

    def _blocks(self, sid: str, blocks: tuple[Block, ...]) -> None:
        for block in blocks:
            if isinstance(block, ConditionalBlock):
                cond = block.condition
                self._add(block, 0, Arm(sid, cond.span, cond.source))
                self._blocks(sid, block.then)
                if block.otherwise:
                    self._add(block, 1, Arm(sid, block.otherwise[0].span,
                                            _else_of([cond.source])))
                    self._blocks(sid, block.otherwise)
            else:
                self._template(sid, block.text)

    def _template(self, sid: str, parts: tuple) -> None:
        for part in parts:
            if isinstance(part, Branch):
                seen: list[str] = []
                for i, (cond, body) in enumerate(part.arms):
                    self._add(part, i, Arm(sid, cond.span, cond.source))
                    seen.append(cond.source)
                    self._template(sid, body)
                if part.otherwise and part.arms:
                    self._add(part, len(part.arms), Arm(sid, part.arms[-1][0].span,
                                                        _else_of(seen)))
                    self._template(sid, part.otherwise)

    def shown(self, scene: Scene, ctx: EvalContext, labels: set[str]) -> set[int]:
        """The arms shown in ``scene`` with ``ctx``, where ``labels`` are the ids of the
        choices on screen. A runtime error stops the walk (the explorer reports it from
        the engine's own rendering)."""
        out: set[int] = set()
        try:
            self._walk_blocks(scene.text, ctx, out)
            for choice in scene.choices:
                if choice.id in labels:
                    self._walk_template(choice.label, ctx, out)
        except StoryRuntimeError:
            pass
        return out

    def _walk_blocks(self, blocks: tuple[Block, ...], ctx: EvalContext, out: set[int]) -> None:
        for block in blocks:
            if isinstance(block, ConditionalBlock):
                if block.condition.evaluate(ctx):
                    out.add(self._index[(id(block), 0)])
                    self._walk_blocks(block.then, ctx, out)
                elif block.otherwise:
                    out.add(self._index[(id(block), 1)])
                    self._walk_blocks(block.otherwise, ctx, out)
            else:
                self._walk_template(block.text, ctx, out)

    def _walk_template(self, parts: tuple, ctx: EvalContext, out: set[int]) -> None:
        for part in parts:
            if isinstance(part, Branch):
                for i, (cond, body) in enumerate(part.arms):
                    if cond.evaluate(ctx):
                        out.add(self._index[(id(part), i)])
                        self._walk_template(body, ctx, out)
                        break
                else:
                    if part.otherwise and part.arms:
                        out.add(self._index[(id(part), len(part.arms))])
                        self._walk_template(part.otherwise, ctx, out)
