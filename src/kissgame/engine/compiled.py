"""What a scene shows and what a choice does, compiled once per story: the hot path of play.

A compiled story never changes, so everything about a scene that does not depend on the
state is built the first time the scene is shown and then shared: literal lines, choice
labels, the views of choices with no condition, the choice index by id, the target scene.
What varies is compiled to one Python function each, from the typed IR (closures, never
source text): a condition, an effect, a template, a block of lines, the step a choice
takes from one state to the next. Each function handles the common values (whole numbers,
booleans, text) itself and hands anything else, and every error, to the generic rule in
expr.py/runtime.py, so screens, states and refusals are those of the generic path (which
tests/engine/test_compiled_views.py plays side by side).

Views are kept per Story object (a live reload makes a new Story, so a new table) and
per scene, built on first use (large cached stories load scenes lazily).
"""

from __future__ import annotations

import dataclasses
import marshal
import operator
import weakref
from collections.abc import Callable, Hashable
from types import ModuleType
from typing import Any, cast

from .expr import MAX_INT, Assign, EvalContext, Expr, Value, ValueType, compile_logic
from .ir import Binary, Call, Compare, Const, Logic, Node, Unary, Var, walk
from .model import Block, Choice, ConditionalBlock, Dialogue, Narration, Scene, Story, VarDecl
from .state import GameState, OnceKey, StateDraft
from .text import Branch, Template, Variation

# runtime's Beat, ChoiceView and Line are built through the runtime module bound at its
# import (runtime imports this module, so importing it back would be a cycle); here they
# are opaque immutable values.
_rt: ModuleType
_BeatDraft: Any
_ViewDraft: Any

Ctx = Any
"""What the compiled functions read: ``vars``, ``visits``, ``seed`` and ``turn``. An
EvalContext, or the GameState itself (it has those four attributes, so the hot path
builds no context); code outside this module always gets a real EvalContext."""
Fn = Callable[[Ctx], Any]
Effect = Callable[[dict[str, Value], dict[str, int], int, int], None]
"""An effect list applied to new ``vars`` and ``visits``, with the seed and the turn."""


def _context(c: Ctx) -> EvalContext:
    return c if type(c) is EvalContext else EvalContext(c.vars, c.visits, c.seed, c.turn)


def _draft(cls: type, names: tuple[str, ...]) -> type:
    """A class with the slots of ``cls``, a frozen slots dataclass, and no frozen guard:
    one is filled, then made a ``cls`` (``__class__`` assignment between classes of
    identical slots), as ``state.successor`` builds a GameState. ``names`` are the fields
    the makers below fill, checked here so that a new field cannot be left empty."""
    fields = tuple(f.name for f in dataclasses.fields(cls))
    if fields != names:
        raise RuntimeError(f"{cls.__name__}'s fields changed: {fields}; update compiled.py")
    return type("_Draft", (), {"__slots__": names})


def _beat(scene_id: str, title: str, episode_id: str, episode_title: str,
          lines: tuple[object, ...], choices: tuple[object, ...], ending: object) -> Any:
    """``runtime.Beat(...)`` without the frozen ``__init__`` (a setattr call per field)."""
    new = _BeatDraft()
    new.scene_id = scene_id
    new.title = title
    new.episode_id = episode_id
    new.episode_title = episode_title
    new.lines = lines
    new.choices = choices
    new.ending = ending
    new.ended = ending is not None
    new.__class__ = _rt.Beat
    return new


def _view(choice_id: str, label: str, target: str, enabled: bool = True,
          locked_reason: str | None = None) -> Any:
    """``runtime.ChoiceView(...)``, built as ``_beat`` builds a Beat."""
    new = _ViewDraft()
    new.id = choice_id
    new.label = label
    new.target = target
    new.enabled = enabled
    new.locked_reason = locked_reason
    new.__class__ = _rt.ChoiceView
    return new


# ---------------------------------------------------------------- expressions

_CMP: dict[str, Callable[[Any, Any], bool]] = {
    "==": operator.eq, "!=": operator.ne, "<": operator.lt, "<=": operator.le,
    ">": operator.gt, ">=": operator.ge,
}
_WHOLE: dict[str, Callable[[Any, Any], Any]] = {
    "+": operator.add, "-": operator.sub, "*": operator.mul, "//": operator.floordiv,
    "%": operator.mod,
}


class _Generic(Exception):
    """A value the fast functions leave to the generic rule."""


def _fast(node: Node) -> Fn | None:
    """A closure for ``node`` that may raise on anything unusual (the caller then asks the
    generic rule), or None for a node left to the generic rule (dice, the turn, ...)."""
    kind = type(node)
    if kind is Const:
        value = cast(Const, node).value
        return lambda ctx: value
    if kind is Var:
        name = cast(Var, node).name
        return lambda ctx: ctx.vars[name]
    if kind is Unary:
        unary = cast(Unary, node)
        inner = _fast(unary.operand)
        if inner is None or unary.op != "not":
            return None
        return lambda ctx: not inner(ctx)
    if kind is Compare:
        compare = cast(Compare, node)
        if len(compare.ops) != 1:
            return None
        fn = _CMP[compare.ops[0]]
        left, right = compare.operands
        if type(left) is Var and type(right) is Const:  # the usual ``meter >= 3``
            name, const = left.name, right.value
            return lambda ctx: fn(ctx.vars[name], const)
        first, second = _fast(left), _fast(right)
        if first is None or second is None:
            return None
        a, b = first, second
        return lambda ctx: fn(a(ctx), b(ctx))
    if kind is Logic:
        logic = cast(Logic, node)
        parts = [_fast(n) for n in logic.operands]
        if any(p is None for p in parts):
            return None
        return compile_logic(logic.op, cast(list[Fn], parts))
    if kind is Binary:
        binary = cast(Binary, node)
        op = _WHOLE.get(binary.op)
        lhs, rhs = _fast(binary.left), _fast(binary.right)
        if op is None or lhs is None or rhs is None:
            return None
        apply, x, y = op, lhs, rhs

        def whole(ctx: EvalContext) -> int:
            result = apply(x(ctx), y(ctx))
            if type(result) is int and -MAX_INT <= result <= MAX_INT:
                return result
            raise _Generic

        return whole
    if kind is Call:
        call = cast(Call, node)
        if call.name in ("visits", "visited") and len(call.args) == 1 \
                and type(call.args[0]) is Const and type(call.args[0].value) is str:
            scene = call.args[0].value
            if call.name == "visits":
                return lambda ctx: ctx.visits.get(scene, 0)
            return lambda ctx: ctx.visits.get(scene, 0) > 0
    return None


def expr_fn(expr: Expr) -> Fn:
    """``expr.evaluate`` as one closure: the same value, or the same located error. The
    usual shapes of a condition (``meter >= 3``, ``flag``, ``a and b``) take the fallback
    in their own closure, one call less."""
    ir, generic = expr.ir, expr.evaluate
    fast = _fast(ir)
    if fast is None:
        return lambda c: generic(_context(c))
    if type(ir) is Compare and len(ir.ops) == 1 and type(ir.operands[0]) is Var \
            and type(ir.operands[1]) is Const:
        fn, name, const = _CMP[ir.ops[0]], ir.operands[0].name, ir.operands[1].value

        def compare(c: Ctx) -> Any:
            try:
                return fn(c.vars[name], const)
            except Exception:  # the generic rule raises the located error
                return generic(_context(c))

        return compare
    if type(ir) is Var:
        var = ir.name

        def variable(c: Ctx) -> Any:
            try:
                return c.vars[var]
            except Exception:
                return generic(_context(c))

        return variable
    if type(ir) is Logic and len(ir.operands) == 2:
        p, q = cast(tuple[Fn, Fn], tuple(_fast(n) for n in ir.operands))
        if ir.op == "and":

            def both(c: Ctx) -> Any:
                try:
                    return p(c) and q(c)
                except Exception:
                    return generic(_context(c))

            return both

        def either(c: Ctx) -> Any:
            try:
                return p(c) or q(c)
            except Exception:
                return generic(_context(c))

        return either

    def evaluate(c: Ctx) -> Any:
        try:
            return fast(c)
        except Exception:  # the generic rule raises the located error (or decides)
            return generic(_context(c))

    return evaluate


# ---------------------------------------------------------------- effects

_PY_TYPE = {ValueType.NUMBER: int, ValueType.BOOL: bool, ValueType.STRING: str}


def _bounds(decl: VarDecl) -> tuple[float, float]:
    """The lowest and highest whole number a variable may hold without clamping."""
    low: float = -MAX_INT
    high: float = MAX_INT
    if decl.bounds is not None:
        low = low if decl.bounds.low is None else max(low, decl.bounds.low)
        high = high if decl.bounds.high is None else min(high, decl.bounds.high)
    return low, high


def _effect_fn(story: Story, effect: Assign) -> Effect:
    """One unguarded effect, as runtime.apply_effect applies it: a whole number that lands
    within its variable's bounds, a boolean or a text is stored here; the rest (clamping,
    fractions, every error) is left to runtime.apply_effect."""
    def generic(vars: dict[str, Value], visits: dict[str, int], seed: int, turn: int) -> None:
        _rt.apply_effect(story, effect, vars, EvalContext(vars, visits, seed, turn))

    decl = story.vars.get(effect.name)
    value = _fast(effect.value.ir)
    if decl is None or value is None or effect.op not in ("=", "+=", "-="):
        return generic
    want: Any = _PY_TYPE.get(decl.type)
    name, ir = effect.name, effect.value.ir
    low, high = _bounds(decl)
    if want is None or (want is not int and effect.op != "="):
        return generic
    if effect.op == "=":
        if type(ir) is Const:
            const: Any = ir.value
            if type(const) is not want or (want is int and not low <= const <= high):
                return generic

            def store(vars: dict[str, Value], visits: dict[str, int], seed: int,
                      turn: int) -> None:
                vars[name] = const

            return store

        def assign(vars: dict[str, Value], visits: dict[str, int], seed: int,
                   turn: int) -> None:
            try:
                new: Any = value(EvalContext(vars, visits, seed, turn))
            except Exception:
                new = None
            if type(new) is want and (want is not int or low <= new <= high):
                vars[name] = new
            else:
                generic(vars, visits, seed, turn)

        return assign
    sign = 1 if effect.op == "+=" else -1
    if type(ir) is Const and type(ir.value) is int:
        step = sign * ir.value

        def add_const(vars: dict[str, Value], visits: dict[str, int], seed: int,
                      turn: int) -> None:
            old = vars.get(name)
            if type(old) is int:
                new = old + step
                if low <= new <= high:
                    vars[name] = new
                    return
            generic(vars, visits, seed, turn)

        return add_const

    def add(vars: dict[str, Value], visits: dict[str, int], seed: int, turn: int) -> None:
        try:
            by: Any = value(EvalContext(vars, visits, seed, turn))
        except Exception:
            by = None
        old = vars.get(name)
        if type(by) is int and type(old) is int:
            new = old + sign * by
            if low <= new <= high:
                vars[name] = new
                return
        generic(vars, visits, seed, turn)

    return add


def effects_fn(story: Story, effects: tuple[Assign, ...]) -> Effect | None:
    """A list of effects as one function (None for no effects); a list with conditional
    effects keeps runtime.apply_effects (its guards are decided once per run)."""
    if not effects:
        return None
    if any(effect.guards for effect in effects):
        def guarded(vars: dict[str, Value], visits: dict[str, int], seed: int,
                    turn: int) -> None:
            _rt.apply_effects(story, effects, vars, EvalContext(vars, visits, seed, turn))

        return guarded
    if len(effects) == 1:
        return _effect_fn(story, effects[0])
    ops = tuple(_op(story, effect) for effect in effects)

    # One loop for the list, not a call per effect: a whole number added within bounds
    # and a constant stored are done here, anything else by the effect's own function.
    def run(vars: dict[str, Value], visits: dict[str, int], seed: int, turn: int) -> None:
        for kind, name, arg, low, high, fn in ops:
            if kind == _ADD:
                old = vars.get(name)
                if type(old) is int:
                    new = old + arg
                    if low <= new <= high:
                        vars[name] = new
                        continue
            elif kind == _STORE:
                vars[name] = arg
                continue
            fn(vars, visits, seed, turn)

    return run


_STORE, _ADD, _CALL = 0, 1, 2
Op = tuple[int, str, Any, float, float, Effect]


def _op(story: Story, effect: Assign) -> Op:
    """One effect for ``effects_fn``'s loop: (kind, name, value or step, low, high,
    the effect's own function). Its kind is _STORE and _ADD where ``_effect_fn`` stores a
    constant or adds a whole number without looking further, else _CALL."""
    fn = _effect_fn(story, effect)
    decl = story.vars.get(effect.name)
    ir = effect.value.ir
    if decl is None or type(ir) is not Const or effect.op not in ("=", "+=", "-="):
        return _CALL, effect.name, None, 0, 0, fn
    low, high = _bounds(decl)
    want: Any = _PY_TYPE.get(decl.type)
    const: Any = ir.value
    if effect.op == "=":
        if want is not None and type(const) is want and (want is not int or low <= const <= high):
            return _STORE, effect.name, const, low, high, fn
    elif want is int and type(const) is int:
        return _ADD, effect.name, const if effect.op == "+=" else -const, low, high, fn
    return _CALL, effect.name, None, low, high, fn


# ---------------------------------------------------------------- text


def _show(value: Any) -> str:
    """A value as text.render shows it."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _part_fn(part: str | Expr | Branch | Variation) -> Callable[[Ctx], str]:
    if isinstance(part, str):
        return lambda c: part
    if isinstance(part, Variation):
        pick = part.pick
        return lambda c: pick(_context(c))
    if isinstance(part, Branch):
        arms = tuple((expr_fn(cond), template_fn(body)) for cond, body in part.arms)
        otherwise = template_fn(part.otherwise)

        def branch(c: Ctx) -> str:
            for cond, body in arms:
                if cond(c):
                    return body(c)
            return otherwise(c)

        return branch
    value = expr_fn(part)
    return lambda ctx: _show(value(ctx))


def template_fn(template: Template) -> Callable[[Ctx], str]:
    """``text.render(template, ctx)`` as one closure."""
    if not template:
        return lambda ctx: ""
    fns = tuple(_part_fn(part) for part in template)
    if len(fns) == 1:
        return fns[0]
    return lambda ctx: "".join([fn(ctx) for fn in fns])


def _static_template(template: Template) -> bool:
    return len(template) == 1 and type(template[0]) is str


def _static_blocks(blocks: tuple[Block, ...]) -> bool:
    """True when the blocks render the same text in every state."""
    return all(type(b) in (Narration, Dialogue)
               and _static_template(cast(Narration | Dialogue, b).text) for b in blocks)


LINE_MEMO = 64
"""Lines kept per varying block, by their text (a text made of a counter would grow)."""

Lines = Callable[[Ctx], tuple[object, ...]]


def _block_fn(story: Story, block: Block) -> Lines:
    """The lines one block shows, as runtime._render_blocks makes them."""
    if type(block) is ConditionalBlock:
        cond = expr_fn(block.condition)
        if _static_blocks(block.then) and _static_blocks(block.otherwise):  # the usual case
            shown = _rt.lines_of(story, block.then, None)
            hidden = _rt.lines_of(story, block.otherwise, None)
            return lambda c: shown if cond(c) else hidden
        then, otherwise = lines_fn(story, block.then), lines_fn(story, block.otherwise)
        return lambda c: then(c) if cond(c) else otherwise(c)
    if _static_blocks((block,)):
        return _constant(_rt.lines_of(story, (block,), None))
    text = template_fn(cast(Narration | Dialogue, block).text)
    memo: dict[str, Any] = {}

    def varying(c: Ctx) -> tuple[object, ...]:
        shown = text(c)
        lines: tuple[object, ...] | None = memo.get(shown)
        if lines is None:  # the same rule as _render_blocks, on the rendered text
            lines = _rt.lines_of(story, (_literal(block, shown),), None)
            if len(memo) < LINE_MEMO:
                memo[shown] = lines
        return lines

    return varying


BLOCK_MEMO = 128
"""Lines kept per varying block, by the values the block reads."""


def _kept(block: Block, lines: Lines) -> Lines:
    """``lines`` kept by the values ``block`` reads (see ``_key_fn``), when it reads only
    variables and named visit counts. A scene that reads many variables renders for
    most new combinations of them (its beat is not kept), but each of its blocks reads
    few: those lines are found here."""
    names: set[str] = set()
    if not _block_reads((block,), names):
        return lines
    key = _key_fn(tuple(sorted(n for n in names if not n.startswith(_VISITS))),
                  tuple(sorted(n[len(_VISITS):] for n in names if n.startswith(_VISITS))), ())
    memo: dict[Hashable, tuple[object, ...]] = {}

    def kept(c: Ctx) -> tuple[object, ...]:
        found = key(c)
        shown = memo.get(found)
        if shown is None:
            shown = lines(c)
            if found is not None and len(memo) < BLOCK_MEMO:
                memo[found] = shown
        return shown

    return kept


def _literal(block: Block, text: str) -> Block:
    if type(block) is Dialogue:
        return Dialogue(block.speaker, (text,), block.span)
    return Narration((text,), block.span)


def _constant(lines: tuple[object, ...]) -> Lines:
    return lambda ctx: lines


def lines_fn(story: Story, blocks: tuple[Block, ...]) -> Lines:
    """The lines of ``blocks`` in a state: runs of constant lines are joined once."""
    steps: list[Lines | tuple[object, ...]] = []
    for block in blocks:
        if type(block) is not ConditionalBlock and _static_blocks((block,)):
            lines = _rt.lines_of(story, (block,), None)
            if steps and isinstance(steps[-1], tuple):
                steps[-1] += lines
            elif lines:
                steps.append(lines)
        else:
            steps.append(_kept(block, _block_fn(story, block)))
    if not steps:
        return lambda ctx: ()
    parts = tuple(_constant(step) if isinstance(step, tuple) else step for step in steps)
    if len(parts) == 1:
        return parts[0]

    def joined(c: Ctx) -> tuple[object, ...]:
        out: list[object] = []
        for part in parts:
            out += part(c)
        return tuple(out)

    return joined


# ---------------------------------------------------------------- what a beat reads

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
        elif type(block) in (Narration, Dialogue):
            if not _template_reads(cast(Narration | Dialogue, block).text, names):
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


def _values_fn(names: tuple[str, ...]) -> Callable[[GameState], Hashable]:
    """The values of ``names`` in a state and their types (1, 1.0 and True hash alike but
    do not show alike); None (do not keep) when a variable is missing. ``type(x)`` is
    written out for up to three names; for more, the values' marshal bytes are the key."""
    if not names:
        return lambda state: ()
    if len(names) == 1:
        a = names[0]

        def one(state: GameState) -> Hashable:
            x = state.vars.get(a)
            return x, type(x)

        return one
    get = operator.itemgetter(*names)
    if len(names) == 2:

        def two(state: GameState) -> Hashable:
            try:
                x, y = get(state.vars)
            except KeyError:
                return None
            return x, y, type(x), type(y)

        return two
    if len(names) == 3:

        def three(state: GameState) -> Hashable:
            try:
                x, y, z = get(state.vars)
            except KeyError:
                return None
            return x, y, z, type(x), type(y), type(z)

        return three
    return _marshalled(get)


def _marshalled(get: Callable[[Any], Any]) -> Callable[[GameState], Hashable]:
    """``marshal.dumps(get(state.vars))``, or None for a missing name or a value marshal does
    not write (only exact bools, ints, floats, strings and None are written). Marshal
    writes each value's type with it, so 1, 1.0 and True give different bytes: one C
    call instead of a tuple of types to build and hash (twice as fast for 13 names)."""
    dumps = marshal.dumps

    def marshalled(state: GameState) -> Hashable:
        try:
            return dumps(get(state.vars), 0)
        except (KeyError, ValueError):
            return None

    return marshalled


def _key_fn(names: tuple[str, ...], scenes: tuple[str, ...], once_keys: tuple[OnceKey, ...]
            ) -> Callable[[GameState], Hashable]:
    """The memo key of a beat that reads ``names``, the visit counts of ``scenes`` and
    the once marks ``once_keys``: their values (see ``_values_fn``)."""
    values = _values_fn(names)
    if not scenes and not once_keys:
        return values
    if len(scenes) == 1 and not once_keys:  # the usual shape: one scene's visits
        scene = scenes[0]

        def key_visits(state: GameState) -> Hashable:
            found = values(state)
            return None if found is None else (found, state.visits.get(scene))

        return key_visits

    def key(state: GameState) -> Hashable:
        found = values(state)
        if found is None:
            return None
        return (found, tuple(map(state.visits.get, scenes)) if scenes else (),
                tuple(map(state.once.__contains__, once_keys)) if once_keys else ())

    return key


# ---------------------------------------------------------------- scenes and choices


class ChoiceEntry:
    """One choice with everything about it that no state changes."""

    __slots__ = ("choice", "id", "cond", "once_key", "reply_key", "label", "open_view",
                 "locked_view", "target")

    def __init__(self, scene: Scene, choice: Choice, view: Callable[..., object]):
        self.choice = choice
        self.id = choice.id
        self.cond = expr_fn(choice.condition) if choice.condition is not None else None
        self.once_key = OnceKey(scene.id, choice.id) if choice.once else None
        self.reply_key = OnceKey(scene.id, choice.id) if choice.reply else None
        self.label: Any = None if _static_template(choice.label) else template_fn(choice.label)
        self.target = choice.target
        self.open_view: object | None = None
        self.locked_view: object | None = None
        if self.label is None:
            text = choice.label[0]
            self.open_view = view(choice.id, text, choice.target)
            self.locked_view = view(choice.id, text, choice.target, False, choice.locked_reason)


Step = tuple[OnceKey | None, frozenset[OnceKey], Fn | None, str, OnceKey | None,
             tuple[str], Effect | None, Effect | None, Callable[[GameState], GameState] | None]
"""What taking one choice does, as data for ``_take``: its once mark (and the set of it),
its condition, the scene it enters, its reply mark, the path step, its effects, the
entry effects of the scene it enters, and what follows (fallbacks) or None."""


def _step_of(story: Story, e: ChoiceEntry, target: SceneView) -> Step:
    then = None
    if target.fallback:
        def then(state: GameState) -> GameState:
            return cast(GameState, _rt.follow_fallbacks(story, state))

    marked = frozenset((e.once_key,)) if e.once_key is not None else frozenset()
    return (e.once_key, marked, e.cond, e.target, e.reply_key, (e.id,),
            effects_fn(story, e.choice.effects), target.on_enter, then)


def _take(state: GameState, step: Step) -> GameState:
    """Take a choice of the state's scene: runtime.choose_generic. One function for every
    choice, reading the choice's Step (a tuple): a closure per choice touched more memory
    on a large story (its function object, closure and cells) and was no faster."""
    once_key, marked, cond, dest, reply, grow, effects, on_enter, then = step
    once = state.once
    if once_key is not None:
        if once_key in once:
            raise _rt.InvalidChoice(f"choice '{grow[0]}' in '{state.scene}' was already taken")
        once = once | marked
    if cond is not None and not cond(state):
        raise _rt.InvalidChoice(f"choice '{grow[0]}' in '{state.scene}' is not available")
    visits = dict(state.visits)
    if effects is None and on_enter is None:  # states are never mutated: vars are shared
        vars = state.vars
        visits[dest] = visits.get(dest, 0) + 1
    else:
        changed = dict(state.vars)
        if effects is not None:
            effects(changed, visits, state.seed, state.turn)
        visits[dest] = visits.get(dest, 0) + 1
        if on_enter is not None:
            on_enter(changed, visits, state.seed, state.turn + 1)
        vars = changed
    # state.successor, written out (a call less per choice)
    new = StateDraft()
    new.scene = dest
    new.vars = vars
    new.visits = visits
    new.once = once
    new.seed = state.seed
    new.turn = state.turn + 1
    new.path = state.path + grow
    new.reply = reply
    new.passed = ()
    new.calls = state.calls
    new.__class__ = GameState
    done: GameState = new  # not typing.cast: that is a call
    return done if then is None else then(done)


class SceneView:
    """One scene, compiled: its constant parts and the entries of its choices."""

    __slots__ = ("scene", "fallback", "static_lines", "lines", "choices", "by_id", "takes",
                 "static_choices", "beat", "on_enter", "episode_title", "ending", "key",
                 "memo")

    def __init__(self, story: Story, scene: Scene):
        self.scene = scene
        self.static_lines: tuple[object, ...] | None = None
        if _static_blocks(scene.text):
            self.static_lines = _rt.lines_of(story, scene.text, None)
        self.lines = lines_fn(story, scene.text)
        self.episode_title = story.episode_title(scene)
        self.ending = story.endings.get(scene.ending) if scene.ending else None
        self.choices = tuple(ChoiceEntry(scene, c, _view) for c in scene.choices)
        self.by_id = {entry.id: entry for entry in self.choices}
        # a fallback choice depends on all the others, and a call or return on the call
        # stack: such scenes take the generic rule
        self.fallback = any(c.fallback or c.returns or c.then is not None
                            for c in scene.choices)
        varying = self.fallback or any(
            e.cond is not None or e.once_key is not None or e.label is not None
            for e in self.choices)
        self.static_choices: tuple[object, ...] | None = None
        if not varying:
            self.static_choices = tuple(e.open_view for e in self.choices)
        if scene.ending:
            self.static_choices = ()
        self.beat: Any = None  # a runtime.Beat
        if self.static_lines is not None and self.static_choices is not None:
            self.beat = _rt.Beat(scene.id, scene.title, scene.episode, self.episode_title,
                                     self.static_lines, self.static_choices, self.ending)
        self.on_enter = effects_fn(story, scene.on_enter)
        # A beat that reads only variables, named visit counts and once marks is the same
        # for the same values: keep it, keyed by them.
        reads = _scene_reads(scene) if self.beat is None else None
        self.key = None
        if reads is not None:
            self.key = _key_fn(*reads, tuple(e.once_key for e in self.choices
                                             if e.once_key is not None))
        self.memo: dict[Hashable, Any] = {}
        # the step of each choice taken so far (never filled in a generic scene)
        self.takes: dict[str, Step] = {}


class StoryViews:
    """The compiled scenes of one Story, built on first use."""

    __slots__ = ("ref", "story", "scenes", "initial")

    def __init__(self, story: Story):
        self.ref = weakref.ref(story)
        # What is compiled from here keeps only this proxy: a closure holding the story
        # itself would keep it (and its views, in _VIEWS) alive for the whole process,
        # one more story for every live reload.
        self.story = cast(Story, weakref.proxy(story))
        self.scenes: dict[str, SceneView] = {}
        self.initial = story.initial_vars()

    def scene(self, story: Story, scene_id: str) -> SceneView:
        view = self.scenes.get(scene_id)
        if view is None:
            view = self.scenes[scene_id] = SceneView(self.story, story.scenes[scene_id])
        return view


def _choices(story: Story, sv: SceneView, state: GameState) -> tuple[object, ...]:
    if sv.fallback:
        return cast(tuple[object, ...], _rt.choice_views(story, state))
    # the same rule as runtime.choice_status, unrolled
    views = []
    once = state.once
    view = _view
    for e in sv.choices:
        if e.once_key is not None and e.once_key in once:
            continue
        if e.cond is None or e.cond(state):
            if e.open_view is not None:
                views.append(e.open_view)
            else:
                views.append(view(e.id, e.label(state), e.target, True, None))
        elif e.choice.locked_reason is not None:
            if e.locked_view is not None:
                views.append(e.locked_view)
            else:
                views.append(view(e.id, e.label(state), e.target, False,
                                  e.choice.locked_reason))
    return tuple(views)


_VIEWS: dict[int, StoryViews] = {}
_last: StoryViews | None = None


def views_of(story: Story) -> StoryViews:
    """The compiled views of ``story``, made on first use and dropped with the story."""
    global _last
    last = _last
    if last is not None and last.ref() is story:
        return last
    key = id(story)
    views = _VIEWS.get(key)
    if views is None or views.ref() is not story:
        views = _VIEWS[key] = StoryViews(story)
        weakref.finalize(story, _forget, key)
    _last = views
    return views


def _forget(key: int) -> None:
    """A story was freed: drop its views."""
    global _last
    views = _VIEWS.pop(key, None)
    if views is not None and views is _last:
        _last = None


def current(story: Story, state: GameState) -> Any:  # a runtime.Beat
    """What the player sees now: the scene's text for this state and its choices."""
    views = _last
    if views is None or views.ref() is not story:
        views = views_of(story)
    sv = views.scenes.get(state.scene) or views.scene(story, state.scene)
    if state.reply is not None or state.passed:  # what led here shows first
        return _rt.current_generic(story, state)
    beat = sv.beat
    if beat is not None:
        return beat
    key = sv.key
    memo_key = None
    if key is not None:
        memo_key = key(state)
        beat = sv.memo.get(memo_key)
        if beat is not None:
            return beat
    lines = sv.static_lines
    if lines is None:
        lines = sv.lines(state)
    choices = sv.static_choices
    if choices is None:
        choices = _choices(story, sv, state)
    scene = sv.scene
    made = _beat(scene.id, scene.title, scene.episode, sv.episode_title, lines, choices,
                 sv.ending)
    if memo_key is not None and len(sv.memo) < MEMO_LIMIT:
        sv.memo[memo_key] = made
    return made


def choose(story: Story, state: GameState, choice_id: str) -> GameState:
    """Take a choice and return the new state. Raises InvalidChoice if it is not available."""
    views = _last
    if views is None or views.ref() is not story:
        views = views_of(story)
    sv = views.scenes.get(state.scene) or views.scene(story, state.scene)
    step = sv.takes.get(choice_id)
    if step is not None:
        return _take(state, step)
    return _choose_first(story, views, sv, state, choice_id)


def _choose_first(story: Story, views: StoryViews, sv: SceneView, state: GameState,
                  choice_id: str) -> GameState:
    """``choose`` the first time a choice is taken (its step is made and kept), for an
    unknown choice and in a scene left to the generic rule."""
    e = sv.by_id.get(choice_id)
    if e is None:
        raise _rt.InvalidChoice(f"scene '{state.scene}' has no choice '{choice_id}'")
    if sv.fallback:
        return cast(GameState, _rt.choose_generic(story, state, choice_id))
    target = views.scenes.get(e.target) or views.scene(story, e.target)
    step = sv.takes[choice_id] = _step_of(views.story, e, target)
    return _take(state, step)


def initial_vars(story: Story) -> dict[str, Value]:
    """``story.initial_vars()``, copied from one made once (a new game at every ending)."""
    views = _last
    if views is None or views.ref() is not story:
        views = views_of(story)
    return dict(views.initial)


def bind(runtime: ModuleType) -> None:
    """Called once by runtime.py, which defines the values and generic rules used here."""
    global _rt, _BeatDraft, _ViewDraft
    _rt = runtime
    _BeatDraft = _draft(runtime.Beat, ("scene_id", "title", "episode_id", "episode_title",
                                       "lines", "choices", "ending", "ended"))
    _ViewDraft = _draft(runtime.ChoiceView, ("id", "label", "target", "enabled",
                                             "locked_reason"))
