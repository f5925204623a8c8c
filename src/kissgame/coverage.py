"""Text coverage: every arm of a story's prose, labels and replies, and which of them a
state shows (ChoiceScript's quicktest, for text).

An arm is one thing that may or may not be shown:
- a branch of an ``{if}...{elif}...{else}...{end}`` in a template, or the ``then``/``else``
  of a conditional text block (``once`` lines and ``first`` groups are built as those);
- one option of a variation ``{a|b}``, ``{&a|b}``, ``{~a|b}``, ``{!a|b}``;
- either side of an ``if(cond, a, b)`` whose value is written into text.

Arms are numbered once per story, by the scene they are written in (a reply's belong to
its choice's scene); the explorer renders each state it reaches and marks the arms it
shows, including those of the reply and of the scenes a fallback passed through.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass

from .engine.diagnostics import SourceSpan, StoryRuntimeError
from .engine.expr import EvalContext, Expr, span_at
from .engine.ir import Call, Node, children, unparse
from .engine.model import Block, Choice, ConditionalBlock, Scene, Story
from .engine.state import GameState, OnceKey
from .engine.text import Branch, Variation


@dataclass(frozen=True, slots=True)
class Arm:
    scene: str
    span: SourceSpan
    condition: str
    """What shows it: a condition's source, ``else`` of the ones before, a variation's
    option or a side of ``if(...)``."""


def _else_of(conditions: list[str]) -> str:
    return "else (" + " / ".join(conditions) + ")" if conditions else "else"


def _chained(otherwise: tuple[Block, ...]) -> bool:
    """An else that is only another conditional block (an elif, or the next item of a
    ``first`` group) is no arm of its own: the arms of that block are."""
    return len(otherwise) == 1 and isinstance(otherwise[0], ConditionalBlock)


def _short(text: str, limit: int = 40) -> str:
    return text if len(text) <= limit else text[:limit - 1] + "…"


class TextArms:
    """Every arm of the story, numbered; ``shown(scene, ctx, labels)`` marks a state's."""

    def __init__(self, story: Story):
        self.story = story
        self.arms: list[Arm] = []
        self._index: dict[tuple[int, int], int] = {}
        self._if_conditions: dict[int, Expr] = {}
        self.by_scene: dict[str, list[int]] = {}
        for scene in story.scenes.values():
            start = len(self.arms)
            self._blocks(scene.id, scene.text)
            for choice in scene.choices:
                self._template(scene.id, choice.label)
                self._blocks(scene.id, choice.reply)
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
                if block.otherwise and not _chained(block.otherwise):
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
            elif isinstance(part, Variation):
                count = len(part.options)
                for i, option in enumerate(part.options):
                    self._add(part, i, Arm(sid, part.span, f"{part.kind} variation, option "
                                           f'{i + 1} of {count}: "{_short(option)}"'))
            elif isinstance(part, Expr):
                self._ifs(sid, part, part.ir)

    def _ifs(self, sid: str, expr: Expr, node: Node) -> None:
        """Both sides of every ``if(cond, a, b)`` in an expression shown as text."""
        if isinstance(node, Call) and node.name == "if" and len(node.args) == 3:
            cond, yes, no = node.args
            where = span_at(expr.span, expr.source, node.off)
            self._if_conditions[id(node)] = Expr(expr.source, cond, where)
            shown = _short(unparse(cond))
            for side, arg in ((0, yes), (1, no)):
                self._add(node, side, Arm(sid, where, f"if({shown}, ...) when "
                                      f"{'true' if side == 0 else 'false'}"))
                self._ifs(sid, expr, arg)
            self._ifs(sid, expr, cond)
            return
        for child in children(node):
            self._ifs(sid, expr, child)

    # -- what a state shows ---------------------------------------------------------------

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

    def shown_before(self, state: GameState, ctx: EvalContext) -> list[tuple[str, set[int]]]:
        """The arms shown above ``state``'s scene, by the scene they belong to: the reply
        of the choice just taken, and each scene a fallback passed through with the
        fallback's reply."""
        out: list[tuple[str, set[int]]] = []
        if state.reply is not None:
            out.append((state.reply.scene, self._reply(state.reply, ctx)))
        for key in state.passed:
            scene = self.story.scenes.get(key.scene)
            if scene is not None:
                shown = self.shown(scene, ctx, set()) | self._reply(key, ctx)
                out.append((key.scene, shown))
        return out

    def _reply(self, key: OnceKey, ctx: EvalContext) -> set[int]:
        scene = self.story.scenes.get(key.scene)
        choice: Choice | None = scene.choice(key.choice) if scene is not None else None
        out: set[int] = set()
        if choice is not None and choice.reply:
            with contextlib.suppress(StoryRuntimeError):
                self._walk_blocks(choice.reply, ctx, out)
        return out

    def _walk_blocks(self, blocks: tuple[Block, ...], ctx: EvalContext, out: set[int]) -> None:
        for block in blocks:
            if isinstance(block, ConditionalBlock):
                if block.condition.evaluate(ctx):
                    out.add(self._index[(id(block), 0)])
                    self._walk_blocks(block.then, ctx, out)
                elif block.otherwise:
                    if not _chained(block.otherwise):
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
            elif isinstance(part, Variation):
                index = part.index(ctx)
                if index is not None:
                    out.add(self._index[(id(part), index)])
            elif isinstance(part, Expr):
                self._walk_ifs(part.ir, ctx, out)

    def _walk_ifs(self, node: Node, ctx: EvalContext, out: set[int]) -> None:
        # The side an if(...) takes; one inside an 'and'/'or' that stops early is counted
        # as if it had been evaluated (text rarely holds one there).
        if isinstance(node, Call) and node.name == "if" and len(node.args) == 3:
            cond = self._if_conditions.get(id(node))
            if cond is not None:
                self._walk_ifs(node.args[0], ctx, out)
                side = 0 if cond.evaluate(ctx) else 1
                out.add(self._index[(id(node), side)])
                self._walk_ifs(node.args[1 + side], ctx, out)
                return
        for child in children(node):
            self._walk_ifs(child, ctx, out)
