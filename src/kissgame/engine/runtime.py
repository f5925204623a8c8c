"""Playing a story: pure functions from (Story, GameState) to what to show and what comes next."""

from __future__ import annotations

import dataclasses
import random
import sys
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import cast

from . import compiled
from .diagnostics import (
    CALL_TOO_DEEP,
    FALLBACKS_WITHOUT_END,
    RETURN_WITHOUT_CALL,
    StoryRuntimeError,
)
from .expr import Assign, EvalContext, Expr, Value
from .model import Block, Choice, ConditionalBlock, Dialogue, Ending, Narration, Scene, Story
from .state import GameState, OnceKey
from .text import render


class InvalidChoice(ValueError):
    """The choice does not exist here, or its condition is false."""


@dataclass(frozen=True, slots=True)
class ChoiceView:
    id: str
    label: str
    target: str
    enabled: bool = True
    locked_reason: str | None = None


@dataclass(frozen=True, slots=True)
class Line:
    """One paragraph of the scene: narration (speaker is None) or a spoken line."""

    text: str
    speaker: str | None = None
    speaker_name: str = ""
    color: str = ""
    reply: bool = False
    """Not of this scene but of what led to it: the reply to the choice just taken, or a
    scene a fallback passed through and the fallback's reply."""


@dataclass(frozen=True, slots=True)
class Beat:
    """Everything the player sees at one point of the story."""

    scene_id: str
    title: str
    episode_id: str
    episode_title: str
    lines: tuple[Line, ...]
    choices: tuple[ChoiceView, ...]
    ending: Ending | None
    ended: bool = dataclasses.field(init=False, repr=False, compare=False)
    """``ending is not None``: a stored value, not a property (read once per choice)."""

    def __post_init__(self) -> None:
        object.__setattr__(self, "ended", self.ending is not None)


def context(state: GameState) -> EvalContext:
    return EvalContext(state.vars, state.visits, state.seed, state.turn)


def new_game(story: Story, seed: int | None = None) -> GameState:
    """The state at the start of the story, with its start scene entered."""
    if seed is None:
        seed = random.SystemRandom().randrange(1, 2**31)
    vars = compiled.initial_vars(story)
    visits: dict[str, int] = {}
    start = story.scenes[story.start]
    enter_scene(story, start, vars, visits, seed, 0)
    state = GameState(story.start, vars, visits, frozenset(), seed, 0, ())
    return follow_fallbacks(story, state) if start.has_fallback else state


def enter_scene(story: Story, scene: Scene, vars: dict[str, Value], visits: dict[str, int],
                seed: int, turn: int) -> None:
    """Count a visit to ``scene`` and run its entry effects, updating ``vars`` in place."""
    visits[scene.id] = visits.get(scene.id, 0) + 1
    if scene.on_enter:
        ctx = EvalContext(vars, visits, seed, turn)
        apply_effects(story, scene.on_enter, vars, ctx)


def apply_effects(story: Story, effects: tuple[Assign, ...], vars: dict[str, Value],
                  ctx: EvalContext) -> None:
    """Apply a list of effects in order; a conditional one only when its guards hold.

    Each guard is evaluated once, when first met, so an ``{if, then, else}`` entry
    decides at its start: its ``then`` effects cannot flip it into the ``else`` ones."""
    decided: dict[Expr, bool] | None = None
    for effect in effects:
        if effect.guards:
            if decided is None:
                decided = {}
            if not _guards_hold(effect.guards, ctx, decided):
                continue
        apply_effect(story, effect, vars, ctx)


def _guards_hold(guards: tuple[tuple[Expr, bool], ...], ctx: EvalContext,
                 decided: dict[Expr, bool]) -> bool:
    for condition, want in guards:
        held = decided.get(condition)
        if held is None:
            held = decided[condition] = bool(condition.evaluate(ctx))
        if held is not want:
            return False
    return True


def apply_effect(story: Story, effect: Assign, vars: dict[str, Value], ctx: EvalContext) -> None:
    """Apply one effect within its variable's declared type and bounds."""
    decl = story.vars.get(effect.name)
    if decl is None:
        effect.apply(vars, ctx, None)
    else:
        effect.apply(vars, ctx, decl.bounds, decl.type)


class ChoiceStatus(StrEnum):
    """The one rule for what a choice is in a state."""

    AVAILABLE = "available"
    LOCKED = "locked"
    """Its condition is false, and it is shown greyed out with its ``locked`` text."""
    HIDDEN = "hidden"
    """Its condition is false and it has no ``locked`` text."""
    TAKEN = "taken"
    """A once-only choice already taken."""
    WAITING = "waiting"
    """A fallback choice while another choice is available: not shown."""


def choice_status(state: GameState, choice: Choice, ctx: EvalContext | None = None,
                  scene: Scene | None = None) -> ChoiceStatus:
    """Whether ``choice`` (of the state's scene) can be taken now, and if not, why.

    A fallback choice is WAITING while another choice of ``scene`` is available (without
    ``scene`` its own condition alone decides)."""
    if choice.once and OnceKey(state.scene, choice.id) in state.once:
        return ChoiceStatus.TAKEN
    ctx = ctx or context(state)
    if choice.condition is None or choice.condition.evaluate(ctx):
        if choice.fallback and scene is not None and _fallback_id(state, scene, ctx) != choice.id:
            return ChoiceStatus.WAITING
        return ChoiceStatus.AVAILABLE
    return ChoiceStatus.HIDDEN if choice.locked_reason is None else ChoiceStatus.LOCKED


def _fallback_id(state: GameState, scene: Scene, ctx: EvalContext) -> str | None:
    """The fallback choice to offer: the first available one when nothing else is."""
    found = None
    for choice in scene.choices:
        if choice_status(state, choice, ctx) is ChoiceStatus.AVAILABLE:
            if not choice.fallback:
                return None
            found = found or choice.id
    return found


def choice_views(story: Story, state: GameState) -> tuple[ChoiceView, ...]:
    """The choices to show: available ones, plus locked ones that carry a reason; a
    fallback choice only when no other is available."""
    scene = story.scenes[state.scene]
    ctx = context(state)
    views = []
    for choice in scene.choices:
        status = choice_status(state, choice, ctx, scene)
        if status is ChoiceStatus.AVAILABLE:
            views.append(ChoiceView(choice.id, render(choice.label, ctx), choice.target))
        elif status is ChoiceStatus.LOCKED:
            views.append(ChoiceView(choice.id, render(choice.label, ctx), choice.target, False,
                                    choice.locked_reason))
    return tuple(views)


def available_choice_ids(story: Story, state: GameState) -> list[str]:
    """Ids of the choices the player can take now (no labels rendered: the fast path)."""
    ctx = context(state)
    scene = story.scenes[state.scene]
    # a choice with no condition and no once is always available: skip the call
    ids = [choice.id for choice in scene.choices
           if not choice.fallback and ((choice.condition is None and not choice.once)
                                       or choice_status(state, choice, ctx)
                                       is ChoiceStatus.AVAILABLE)]
    if not ids and scene.has_fallback:
        fallback = _fallback_id(state, scene, ctx)
        return [fallback] if fallback is not None else []
    return ids


def choose_generic(story: Story, state: GameState, choice_id: str) -> GameState:
    """``choose`` without the compiled views: the reference the views must agree with."""
    scene = story.scenes[state.scene]
    choice = scene.choice(choice_id)
    if choice is None:
        raise InvalidChoice(f"scene '{scene.id}' has no choice '{choice_id}'")
    status = choice_status(state, choice, None, scene)
    if status is ChoiceStatus.TAKEN:
        raise InvalidChoice(f"choice '{choice_id}' in '{scene.id}' was already taken")
    if status is not ChoiceStatus.AVAILABLE:
        raise InvalidChoice(f"choice '{choice_id}' in '{scene.id}' is not available")
    reply = OnceKey(scene.id, choice.id) if choice.reply else None
    nxt = _take(story, state, scene, choice, state.path + (choice_id,), reply, ())
    return follow_fallbacks(story, nxt) if story.scenes[nxt.scene].has_fallback else nxt


def _take(story: Story, state: GameState, scene: Scene, choice: Choice, path: tuple[str, ...],
          reply: OnceKey | None, passed: tuple[OnceKey, ...]) -> GameState:
    to, calls = follow(state, choice)
    target = story.scenes[to]
    # States are never mutated, so a choice that sets nothing shares its variables.
    writes = bool(choice.effects or target.on_enter)
    vars = dict(state.vars) if writes else cast(dict[str, Value], state.vars)
    visits = dict(state.visits)
    ctx = EvalContext(vars, visits, state.seed, state.turn)
    apply_effects(story, choice.effects, vars, ctx)
    turn = state.turn + 1
    enter_scene(story, target, vars, visits, state.seed, turn)
    once = state.once | {OnceKey(scene.id, choice.id)} if choice.once else state.once
    return GameState(to, vars, visits, once, state.seed, turn, path, reply, passed, calls)


FALLBACK_LIMIT = 100
"""Fallbacks taken in a row, at most, before the story is stuck in a loop (KG306)."""


def follow_fallbacks(story: Story, state: GameState) -> GameState:
    """Take the fallback choice while one is all that is available, as ink does: the
    player never chooses "Continue". Each counts as a turn but not in the path (replaying
    the path takes it again); ``passed`` keeps them so their scenes' text is shown."""
    for _ in range(FALLBACK_LIMIT):
        scene = story.scenes[state.scene]
        if scene.ending is not None or not scene.has_fallback:
            return state
        fallback = _fallback_id(state, scene, context(state))
        if fallback is None:
            return state
        choice = cast(Choice, scene.choice(fallback))
        key = OnceKey(scene.id, choice.id)
        state = _take(story, state, scene, choice, state.path, state.reply,
                      state.passed + (key,))
    raise StoryRuntimeError(FALLBACKS_WITHOUT_END.at(
        choice.span, " -> ".join(str(key) for key in state.passed[-3:]) + " -> ...",
        limit=FALLBACK_LIMIT))


MAX_CALL_DEPTH = 64
"""Pending calls at most; one more is a located runtime error, not a crash."""


def follow(state: GameState, choice: Choice) -> tuple[str, tuple[str, ...]]:
    """The scene taking ``choice`` enters, and the call stack after it: a call pushes
    the scene it comes back to, a return pops the innermost one and goes there."""
    if choice.returns:
        if not state.calls:
            raise StoryRuntimeError(RETURN_WITHOUT_CALL.at(
                choice.span, f"choice '{choice.id}' in '{state.scene}' returns, but no call "
                "is pending: this scene was reached without a 'call:'"))
        return state.calls[-1], state.calls[:-1]
    if choice.then is not None:
        if len(state.calls) >= MAX_CALL_DEPTH:
            raise StoryRuntimeError(CALL_TOO_DEEP.at(
                choice.span, f"choice '{choice.id}' in '{state.scene}' calls "
                f"'{choice.target}' with {MAX_CALL_DEPTH} calls already pending; does a "
                "called scene call again instead of returning?"))
        return choice.target, state.calls + (choice.then,)
    return choice.target, state.calls


def _render_blocks(story: Story, blocks: tuple[Block, ...], ctx: EvalContext,
                   out: list[Line]) -> None:
    for block in blocks:
        if type(block) is Narration:
            text = render(block.text, ctx)
            for para in text.split("\n\n"):
                para = para.strip()
                if para:
                    out.append(Line(para))
        elif type(block) is Dialogue:
            who = story.characters.get(block.speaker)
            text = render(block.text, ctx).strip()
            if text:
                out.append(Line(text, block.speaker, who.name if who else block.speaker,
                                who.color if who else ""))
        elif type(block) is ConditionalBlock:
            branch = block.then if block.condition.evaluate(ctx) else block.otherwise
            _render_blocks(story, branch, ctx, out)


def lines_of(story: Story, blocks: tuple[Block, ...], ctx: EvalContext | None
             ) -> tuple[Line, ...]:
    """The lines ``blocks`` show in ``ctx`` (None: blocks whose text never varies)."""
    out: list[Line] = []
    _render_blocks(story, blocks, cast(EvalContext, ctx), out)
    return tuple(out)


def render_lines(story: Story, state: GameState) -> tuple[Line, ...]:
    """The reply of the choice just taken, if it has one, then for each fallback taken
    since, its scene's text and its reply, then the scene's text. All but the last are
    marked ``reply``: they lead up to this scene."""
    out: list[Line] = []
    ctx = context(state)
    if state.reply is not None:
        _render_reply(story, state.reply, ctx, out)
    for key in state.passed:
        passed = story.scenes.get(key.scene)
        if passed is not None:
            _render_blocks(story, passed.text, ctx, out)
            _render_reply(story, key, ctx, out)
    if out:
        out[:] = [dataclasses.replace(line, reply=True) for line in out]
    _render_blocks(story, story.scenes[state.scene].text, ctx, out)
    return tuple(out)


def _render_reply(story: Story, key: OnceKey, ctx: EvalContext, out: list[Line]) -> None:
    came_from = story.scenes.get(key.scene)
    choice = came_from.choice(key.choice) if came_from else None
    if choice is not None and choice.reply:
        _render_blocks(story, choice.reply, ctx, out)


def current_generic(story: Story, state: GameState) -> Beat:
    """``current`` without the compiled views: the reference the views must agree with."""
    scene = story.scenes[state.scene]
    ending = story.endings.get(scene.ending) if scene.ending else None
    return Beat(
        scene.id,
        scene.title,
        scene.episode,
        story.episode_title(scene),
        render_lines(story, state),
        () if scene.ending else choice_views(story, state),
        ending,
    )


class Diverged(Exception):
    """A recorded path no longer fits the story."""

    def __init__(self, step: int, scene: str, choice_id: str, available: list[str]):
        self.step, self.scene, self.choice_id, self.available = step, scene, choice_id, available
        shown = ", ".join(available) or "none"
        super().__init__(f"step {step}: scene '{scene}' has no available choice '{choice_id}' "
                         f"(available: {shown})")


def replay(story: Story, seed: int, path: list[str] | tuple[str, ...]) -> list[GameState]:
    """Every state along a recorded path, from the start. Raises Diverged where it breaks."""
    state = new_game(story, seed)
    states = [state]
    for step, choice_id in enumerate(path, start=1):
        try:
            state = choose(story, state, choice_id)
        except InvalidChoice:
            if was_passed(state, choice_id):
                continue
            raise Diverged(step, state.scene, choice_id,
                           available_choice_ids(story, state)) from None
        states.append(state)
    return states


def was_passed(state: GameState, choice_id: str) -> bool:
    """True when ``choice_id`` is a fallback that was just taken by itself: a path
    recorded before fallbacks were taken automatically names it, and it is skipped."""
    return any(key.choice == choice_id for key in state.passed)


def rewind(story: Story, state: GameState, steps: int = 1) -> GameState:
    """The state ``steps`` choices ago (the start at most), rebuilt by replaying the path."""
    keep = max(0, len(state.path) - steps)
    return replay(story, state.seed, state.path[:keep])[-1]


# The hot path (engine/compiled.py) builds this module's values and falls back on its rules.
compiled.bind(sys.modules[__name__])
current: Callable[[Story, GameState], Beat] = compiled.current
choose: Callable[[Story, GameState, str], GameState] = compiled.choose
