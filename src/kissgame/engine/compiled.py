"""What a scene shows, compiled once per story: the per-choice hot path of play.

A compiled story never changes, so everything about a scene that does not depend on
the state is built the first time the scene is shown and then shared: literal lines,
choice labels, the views of choices with no condition, the choice index by id, the
target scene and each effect's declared bounds. Only what varies (a template with
``{...}``, a condition, a once-only mark) is evaluated per state, through the same
functions the generic path uses, so the screens are identical.

Views are kept per Story object (a live reload makes a new Story, so a new table) and
per scene, built on first use (large cached stories load scenes lazily).
"""

from __future__ import annotations

import weakref
from collections.abc import Callable
from types import ModuleType
from typing import Any, cast

from .expr import EvalContext, Expr, Value
from .ir import Binary, Call, Compare, Const, Logic, Unary, Var, walk
from .model import Block, Choice, ConditionalBlock, Dialogue, Narration, Scene, Story
from .state import GameState, OnceKey
from .text import Branch, Template, render

# runtime's Beat, ChoiceView and Line are built through the runtime module passed in
# (runtime imports this module, so importing it back would be a cycle); here they are
# opaque immutable values.

def _static_template(template: Template) -> bool:
    return len(template) == 1 and type(template[0]) is str


def _static_blocks(blocks: tuple[Block, ...]) -> bool:
    """True when the blocks render the same text in every state."""
    return all(isinstance(b, Narration | Dialogue) and type(b) in (Narration, Dialogue)
               and _static_template(b.text) for b in blocks)


_LINES, _BLOCK, _IF = 0, 1, 2


def _plan(story: Story, blocks: tuple[Block, ...], runtime: ModuleType) -> tuple[Any, ...]:
    """The blocks as steps: runs of constant lines (rendered now), varying blocks (rendered
    per state by the generic renderer) and conditionals (a condition and two plans)."""
    steps: list[Any] = []
    for block in blocks:
        if type(block) is ConditionalBlock:
            steps.append((_IF, block.condition, _plan(story, block.then, runtime),
                          _plan(story, block.otherwise, runtime)))
        elif _static_blocks((block,)):
            lines = runtime.lines_of(story, (block,), None)
            if steps and steps[-1][0] == _LINES:
                steps[-1] = (_LINES, steps[-1][1] + lines)
            elif lines:
                steps.append((_LINES, lines))
        else:
            steps.append((_BLOCK, (block,)))
    return tuple(steps)


def _run_plan(story: Story, plan: tuple[Any, ...], ctx: EvalContext, out: list[object],
              lines_of: Callable[..., tuple[object, ...]]) -> None:
    for step in plan:
        kind = step[0]
        if kind == _LINES:
            out.extend(step[1])
        elif kind == _BLOCK:
            out.extend(lines_of(story, step[1], ctx))
        else:
            _run_plan(story, step[2] if step[1].evaluate(ctx) else step[3], ctx, out, lines_of)


_PURE_NODES = (Const, Var, Unary, Binary, Logic, Compare)
_VISITS = "visits:"  # variable names never hold a colon
MEMO_LIMIT = 512
"""Beats kept per scene, by the values they read; past this a scene renders every time."""


def _reads(exprs: list[Expr], names: set[str]) -> bool:
    """Add what ``exprs`` read to ``names`` (a variable's name; ``visits:`` and a scene id
    for visits/visited of a named scene); False if any reads more (dice, the turn, a
    computed scene id), so its value is not a function of those alone."""
    for expr in exprs:
        for node in walk(expr.ir):
            kind = type(node)
            if kind is Var:
                names.add(cast(Var, node).name)
            elif kind is Call:
                call = cast(Call, node)
                if not (call.name in ("visits", "visited") and len(call.args) == 1
                        and type(call.args[0]) is Const
                        and isinstance(call.args[0].value, str)):
                    return False
                names.add(_VISITS + call.args[0].value)
            elif kind not in _PURE_NODES:
                return False
    return True


def _template_reads(template: Template, names: set[str]) -> bool:
    """Like ``_reads`` for a template; False for any part not known here (a variation
    reads the scene's visit count, and parts added later are not assumed pure)."""
    for part in template:
        kind = type(part)
        if kind is str:
            continue
        if kind is Expr:
            if not _reads([cast(Expr, part)], names):
                return False
        elif kind is Branch:
            branch = cast(Branch, part)
            for cond, body in branch.arms:
                if not (_reads([cond], names) and _template_reads(body, names)):
                    return False
            if not _template_reads(branch.otherwise, names):
                return False
        else:
            return False
    return True


def _block_reads(blocks: tuple[Block, ...], names: set[str]) -> bool:
    for block in blocks:
        if type(block) is ConditionalBlock:
            if not (_reads([block.condition], names) and _block_reads(block.then, names)
                    and _block_reads(block.otherwise, names)):
                return False
        elif isinstance(block, Narration | Dialogue) and type(block) in (Narration, Dialogue):
            if not _template_reads(block.text, names):
                return False
        else:
            return False
    return True


def _scene_reads(scene: Scene) -> tuple[tuple[str, ...], tuple[str, ...]] | None:
    """The variables and the visit counts a scene's beat depends on (besides once marks),
    or None when it depends on more (dice, the turn, a kind of block not known here)."""
    names: set[str] = set()
    if not _block_reads(scene.text, names):
        return None
    for choice in scene.choices:
        if not _template_reads(choice.label, names):
            return None
        if choice.condition is not None and not _reads([choice.condition], names):
            return None
    visits = sorted(n[len(_VISITS):] for n in names if n.startswith(_VISITS))
    return tuple(sorted(n for n in names if not n.startswith(_VISITS))), tuple(visits)


class ChoiceEntry:
    """One choice with everything about it that no state changes."""

    __slots__ = ("choice", "id", "cond", "once_key", "reply_key", "label", "open_view",
                 "locked_view", "target", "effects", "writes")

    def __init__(self, scene: Scene, choice: Choice, story: Story,
                 view: Callable[..., object]):
        self.choice = choice
        self.id = choice.id
        self.cond = choice.condition
        self.once_key = OnceKey(scene.id, choice.id) if choice.once else None
        self.reply_key = OnceKey(scene.id, choice.id) if choice.reply else None
        self.label: Template = () if _static_template(choice.label) else choice.label
        self.target = choice.target
        self.open_view: object | None = None
        self.locked_view: object | None = None
        if not self.label:
            text = choice.label[0]
            self.open_view = view(choice.id, text, choice.target)
            self.locked_view = view(choice.id, text, choice.target, False, choice.locked_reason)
        self.effects = choice.effects
        self.writes: bool | None = None  # needs the target scene; set on first choose


class SceneView:
    """One scene, compiled: its constant parts and the entries of its choices."""

    __slots__ = ("scene", "fallback", "static_lines", "plan", "choices", "by_id", "static_choices",
                 "beat", "needs_ctx", "on_enter", "episode_title", "ending", "reads",
                 "once_keys", "memo")

    def __init__(self, story: Story, scene: Scene, runtime: ModuleType):
        self.scene = scene
        self.static_lines: tuple[object, ...] | None = None
        self.plan: tuple[Any, ...] = ()
        if _static_blocks(scene.text):
            self.static_lines = runtime.lines_of(story, scene.text, None)
        else:
            self.plan = _plan(story, scene.text, runtime)
        self.episode_title = story.episode_title(scene)
        self.ending = story.endings.get(scene.ending) if scene.ending else None
        self.choices = tuple(ChoiceEntry(scene, c, story, runtime.ChoiceView)
                             for c in scene.choices)
        self.by_id = {entry.id: entry for entry in self.choices}
        # a fallback choice depends on all the others: such scenes take the generic rule
        self.fallback = any(c.fallback for c in scene.choices)
        varying = self.fallback or any(e.cond is not None or e.once_key is not None or e.label
                                       for e in self.choices)
        self.static_choices: tuple[object, ...] | None = None
        if not varying:
            self.static_choices = tuple(e.open_view for e in self.choices)
        if scene.ending:
            self.static_choices = ()
        self.needs_ctx = self.static_lines is None or self.static_choices is None
        self.beat: object | None = None
        if not self.needs_ctx:
            self.beat = runtime.Beat(
                scene.id, scene.title, scene.episode, story.episode_title(scene),
                self.static_lines, self.static_choices,
                story.endings.get(scene.ending) if scene.ending else None)
        self.on_enter = scene.on_enter
        # A beat that reads only variables (and once marks) is the same for the same values:
        # keep it, keyed by them (and their types: 1, 1.0 and True hash alike).
        self.reads = _scene_reads(scene) if self.needs_ctx else None
        self.once_keys = tuple(e.once_key for e in self.choices if e.once_key is not None)
        self.memo: dict[tuple[Any, ...], object] = {}


class StoryViews:
    """The compiled scenes of one Story, built on first use."""

    __slots__ = ("ref", "scenes", "runtime")

    def __init__(self, story: Story, runtime: ModuleType):
        self.ref = weakref.ref(story)  # the story holds no reference back: no cycle to leak
        self.scenes: dict[str, SceneView] = {}
        self.runtime = runtime

    def scene(self, story: Story, scene_id: str) -> SceneView:
        view = self.scenes.get(scene_id)
        if view is None:
            view = self.scenes[scene_id] = SceneView(story, story.scenes[scene_id],
                                                      self.runtime)
        return view

    def current(self, story: Story, state: GameState) -> object:
        sv = self.scenes.get(state.scene) or self.scene(story, state.scene)
        rt = self.runtime
        if state.reply is not None or state.passed:  # what led here shows first
            return rt.current_generic(story, state)
        if sv.beat is not None:
            return sv.beat
        key: tuple[Any, ...] | None = None
        if sv.reads is not None:
            names, scenes = sv.reads
            values = tuple(map(state.vars.get, names))
            key = (values, tuple(map(type, values)), tuple(map(state.visits.get, scenes)),
                   tuple(k in state.once for k in sv.once_keys) if sv.once_keys else ())
            beat = sv.memo.get(key)
            if beat is not None:
                return beat
        scene = sv.scene
        ctx = EvalContext(state.vars, state.visits, state.seed, state.turn)
        lines = sv.static_lines
        if lines is None:
            out: list[object] = []
            _run_plan(story, sv.plan, ctx, out, rt.lines_of)
            lines = tuple(out)
        choices = sv.static_choices
        if choices is None:
            choices = self._choices(story, sv, state, ctx)
        beat = rt.Beat(scene.id, scene.title, scene.episode, sv.episode_title, lines, choices,
                       sv.ending)
        if key is not None and len(sv.memo) < MEMO_LIMIT:
            sv.memo[key] = beat
        return beat

    def _choices(self, story: Story, sv: SceneView, state: GameState, ctx: EvalContext
                 ) -> tuple[object, ...]:
        if sv.fallback:
            return cast(tuple[object, ...], self.runtime.choice_views(story, state))
        # the same rule as runtime.choice_status, unrolled
        views = []
        once = state.once
        view = self.runtime.ChoiceView
        for e in sv.choices:
            if e.once_key is not None and e.once_key in once:
                continue
            if e.cond is None or e.cond.evaluate(ctx):
                if e.open_view is not None:
                    views.append(e.open_view)
                else:
                    views.append(view(e.id, render(e.label, ctx), e.target))
            elif e.choice.locked_reason is not None:
                if e.locked_view is not None:
                    views.append(e.locked_view)
                else:
                    views.append(view(e.id, render(e.label, ctx), e.target, False,
                                      e.choice.locked_reason))
        return tuple(views)

    def choose(self, story: Story, state: GameState, choice_id: str) -> GameState:
        sv = self.scenes.get(state.scene) or self.scene(story, state.scene)
        rt = self.runtime
        if sv.fallback:
            return cast(GameState, rt.choose_generic(story, state, choice_id))
        e = sv.by_id.get(choice_id)
        if e is None:
            raise rt.InvalidChoice(f"scene '{state.scene}' has no choice '{choice_id}'")
        if e.once_key is not None and e.once_key in state.once:
            raise rt.InvalidChoice(f"choice '{choice_id}' in '{state.scene}' was already taken")
        if e.cond is not None and not e.cond.evaluate(
                EvalContext(state.vars, state.visits, state.seed, state.turn)):
            raise rt.InvalidChoice(f"choice '{choice_id}' in '{state.scene}' is not available")
        target = self.scenes.get(e.target) or self.scene(story, e.target)
        # States are never mutated, so a choice that sets nothing shares its variables.
        writes = e.writes
        if writes is None:
            writes = e.writes = bool(e.effects or target.on_enter)
        vars = dict(state.vars) if writes else cast(dict[str, Value], state.vars)
        visits = dict(state.visits)
        turn = state.turn + 1
        if e.effects:
            rt.apply_effects(story, e.effects, vars,
                             EvalContext(vars, visits, state.seed, state.turn))
        visits[e.target] = visits.get(e.target, 0) + 1
        if target.on_enter:
            rt.apply_effects(story, target.on_enter, vars,
                             EvalContext(vars, visits, state.seed, turn))
        once = state.once | {e.once_key} if e.once_key is not None else state.once
        nxt = GameState(e.target, vars, visits, once, state.seed, turn,
                        state.path + (choice_id,), e.reply_key)
        return cast(GameState, rt.follow_fallbacks(story, nxt)) if target.fallback else nxt


_VIEWS: dict[int, StoryViews] = {}


def views_of(story: Story, runtime: ModuleType) -> StoryViews:
    """The compiled views of ``story``, made on first use and dropped with the story."""
    key = id(story)
    views = _VIEWS.get(key)
    if views is None or views.ref() is not story:
        views = _VIEWS[key] = StoryViews(story, runtime)
        weakref.finalize(story, _VIEWS.pop, key, None)
    return views
