"""The story expression language: parsed once, type-checked, evaluated without eval.

Story text is parsed with Python's own parser (``ast.parse``) and every node is
checked against a short whitelist, then turned into the typed IR of ``ir.py`` (frozen
nodes that pickle, so compiled stories can be cached) and, on first use, into closures.
Nothing here ever evaluates story text as Python: there is no attribute access,
no subscripting, no calls but the functions in ``FUNCTIONS``, no imports.
"""

from __future__ import annotations

import ast
import hashlib
import operator
import re
from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from .diagnostics import (
    ASSIGN_UNDECLARED,
    BAD_EXPRESSION,
    DIVISION_BY_ZERO,
    MISSING_VARIABLE,
    NUMBER_TOO_LARGE,
    OVER_LIMIT,
    TEXT_TOO_LONG,
    TYPE_MISMATCH,
    UNKNOWN_VARIABLE,
    VISITS_UNKNOWN_SCENE,
    WRONG_ARITY,
    WRONG_TYPE,
    Descriptor,
    Diagnostic,
    SourceSpan,
    StoryRuntimeError,
)
from .ir import (
    Binary,
    Call,
    Compare,
    Const,
    Logic,
    Node,
    Unary,
    Value,
    ValueType,
    Var,
    calls_in,
    children,
    unparse,
    value_type,
    variables_in,
    walk,
)

__all__ = ["Value", "ValueType", "calls_in", "children", "unparse", "value_type",
           "variables_in", "walk"]  # re-exported: the IR's helpers live in ir.py
MAX_SOURCE = 4000
MAX_INT = 2**53
"""Numbers stay within ±MAX_INT: exact in a float, and small enough to never be slow."""
MAX_TEXT = 8192
"""The longest text a value may hold, in characters."""
MAX_DEPTH = 100
"""How deeply an expression may nest (each operator, call and operand is a level)."""

NUMBER, BOOL, STRING, ANY = ValueType.NUMBER, ValueType.BOOL, ValueType.STRING, ValueType.ANY

# name -> (min args, max args or None, result type, argument type)
FUNCTIONS: dict[str, tuple[int, int | None, ValueType, ValueType]] = {
    "visits": (1, 1, NUMBER, STRING),
    "visited": (1, 1, BOOL, STRING),
    "random": (2, 2, NUMBER, NUMBER),
    "chance": (1, 1, BOOL, NUMBER),
    "min": (1, None, NUMBER, NUMBER),
    "max": (1, None, NUMBER, NUMBER),
    "abs": (1, 1, NUMBER, NUMBER),
    "clamp": (3, 3, NUMBER, NUMBER),
    "turn": (0, 0, NUMBER, NUMBER),
    "count": (1, None, NUMBER, BOOL),
    "if": (3, 3, ANY, ANY),
}
"""``if(cond, a, b)`` is lazy (only the chosen side is evaluated) and typed by its sides."""

# ``if`` is a Python keyword, so ``if(`` is renamed to a same-length name before parsing
# (outside quoted text); offsets stay exact.
_IF_NAME = "IF"
_IF_CALL = re.compile(r"(\"(?:\\.|[^\"\\])*\"|'(?:\\.|[^'\\])*')|(?<![\w.])if(?=\s*\()")

_BINOPS: dict[type[ast.operator], str] = {
    ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/", ast.FloorDiv: "//", ast.Mod: "%",
}
_CMPOPS: dict[type[ast.cmpop], str] = {
    ast.Eq: "==", ast.NotEq: "!=", ast.Lt: "<", ast.LtE: "<=", ast.Gt: ">", ast.GtE: ">=",
}
_AUGOPS: dict[type[ast.operator], str] = {ast.Add: "+=", ast.Sub: "-=", ast.Mult: "*="}
_PY_BIN: dict[str, Callable[[Any, Any], Any]] = {
    "+": operator.add, "-": operator.sub, "*": operator.mul, "/": operator.truediv,
    "//": operator.floordiv, "%": operator.mod,
}
_PY_CMP: dict[str, Callable[[Any, Any], bool]] = {
    "==": operator.eq, "!=": operator.ne, "<": operator.lt, "<=": operator.le,
    ">": operator.gt, ">=": operator.ge,
}


class EvalContext:
    """What an expression can see: variables, visit counts and the seeded dice."""

    __slots__ = ("vars", "visits", "seed", "turn")

    def __init__(self, vars: Mapping[str, Value], visits: Mapping[str, int], seed: int,
                 turn: int):
        self.vars = vars
        self.visits = visits
        self.seed = seed
        self.turn = turn


_MASK = (1 << 64) - 1


def roll(seed: int, turn: int, site: int) -> float:
    """A number in [0, 1) fixed by the seed, the turn and the call site (splitmix64).

    Pure, so the same state always rolls the same number: rewinding never rerolls
    and listing the choices twice never changes them.
    """
    z = (seed * 0x9E3779B97F4A7C15 + turn * 0xBF58476D1CE4E5B9 + site) & _MASK
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & _MASK
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & _MASK
    z ^= z >> 31
    return (z >> 11) / float(1 << 53)


class ParseFailure(Exception):
    def __init__(self, message: str, offset: int, descriptor: Descriptor = BAD_EXPRESSION):
        super().__init__(message)
        self.offset = offset
        self.descriptor = descriptor


def over_limit(value: object) -> str | None:
    """Why a literal value is beyond the limits on numbers and text, or None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float) and not -MAX_INT <= value <= MAX_INT:
        return f"numbers must be within ±{MAX_INT} (2**53)"
    if isinstance(value, str) and len(value) > MAX_TEXT:
        return f"text values may be at most {MAX_TEXT} characters"
    return None


def _offset(source: str, node: ast.AST) -> int:
    """Character offset of an ast node inside ``source`` (ast counts UTF-8 bytes)."""
    lineno = getattr(node, "lineno", 1)
    col = getattr(node, "col_offset", 0)
    if lineno == 1 and source.isascii():
        return col
    lines = source.split("\n")
    before = sum(len(line) + 1 for line in lines[: lineno - 1])
    line = lines[lineno - 1] if lineno - 1 < len(lines) else ""
    return before + len(line.encode()[:col].decode(errors="ignore"))


class _Converter:
    def __init__(self, source: str, site_base: str):
        self.source = source
        self.site_base = site_base
        self.depth = 0
        self.rolls = 0

    def fail(self, message: str, node: ast.AST) -> ParseFailure:
        return ParseFailure(message, _offset(self.source, node))

    def name_of(self, node: ast.AST) -> str | None:
        parts: list[str] = []
        while isinstance(node, ast.Attribute):
            parts.append(node.attr)
            node = node.value
        if not isinstance(node, ast.Name):
            return None
        parts.append(node.id)
        name = ".".join(reversed(parts))
        if "__" in name:
            raise self.fail(f"'{name}' is not a valid variable name", node)
        return name

    def convert(self, node: ast.AST) -> Node:
        self.depth += 1
        try:
            if self.depth > MAX_DEPTH:
                raise ParseFailure(f"expression nested more than {MAX_DEPTH} levels deep",
                                   _offset(self.source, node), OVER_LIMIT)
            return self._convert(node)
        finally:
            self.depth -= 1

    def _convert(self, node: ast.AST) -> Node:
        off = _offset(self.source, node)
        if isinstance(node, ast.Constant):
            v = node.value
            if isinstance(v, bool | int | float | str) and not isinstance(v, complex):
                problem = over_limit(v)
                if problem is not None:
                    raise ParseFailure(problem, off, OVER_LIMIT)
                return Const(v, off)
            raise self.fail(f"{type(v).__name__} values are not allowed", node)
        if isinstance(node, ast.Name | ast.Attribute):
            name = self.name_of(node)
            if name is None:
                raise self.fail("only variables may be written with dots", node)
            if name in ("true", "True"):
                return Const(True, off)
            if name in ("false", "False"):
                return Const(False, off)
            return Var(name, off)
        if isinstance(node, ast.UnaryOp):
            ops = {ast.Not: "not", ast.USub: "-", ast.UAdd: "+"}
            op = ops.get(type(node.op))
            if op is None:
                raise self.fail("this operator is not allowed", node)
            return Unary(op, self.convert(node.operand), off)
        if isinstance(node, ast.BinOp):
            op = _BINOPS.get(type(node.op))
            if op is None:
                raise self.fail("this operator is not allowed", node)
            return Binary(op, self.convert(node.left), self.convert(node.right), off)
        if isinstance(node, ast.BoolOp):
            kind = "and" if isinstance(node.op, ast.And) else "or"
            return Logic(kind, tuple(self.convert(v) for v in node.values), off)
        if isinstance(node, ast.Compare):
            comparisons = []
            for op_node in node.ops:
                cmp = _CMPOPS.get(type(op_node))
                if cmp is None:
                    raise self.fail("only == != < <= > >= comparisons are allowed", node)
                comparisons.append(cmp)
            operands = (self.convert(node.left), *(self.convert(c) for c in node.comparators))
            return Compare(tuple(comparisons), operands, off)
        if isinstance(node, ast.Call):
            if isinstance(node.func, ast.Name) and node.func.id == _IF_NAME:
                node.func.id = "if"
            if not isinstance(node.func, ast.Name) or node.func.id not in FUNCTIONS:
                known = ", ".join(sorted(FUNCTIONS))
                if isinstance(node.func, ast.Name):
                    raise self.fail(f"unknown function '{node.func.id}' (known: {known})", node)
                raise self.fail(f"only these functions can be called: {known}", node)
            if node.keywords or any(isinstance(a, ast.Starred) for a in node.args):
                raise self.fail("functions take plain arguments only", node)
            site = 0
            if node.func.id in DICE:
                self.rolls += 1
                site = call_site(f"{self.site_base}#{self.rolls}")
            args = tuple(self.convert(a) for a in node.args)
            return Call(node.func.id, args, site, off)
        if isinstance(node, ast.IfExp):
            raise self.fail("'x if c else y' is not allowed; write if(c, x, y)", node)
        raise self.fail(f"{type(node).__name__.lower()} is not allowed in a story expression", node)


_QUOTED = re.compile(r"\"(?:\\.|[^\"\\])*\"|'(?:\\.|[^'\\])*'")
_SLIPS = [  # (pattern outside quotes, message): what other languages taught a writer
    (re.compile(r"[\u201c\u201d\u2018\u2019]"),
     "curly quotes ({0}) do not start text here; use straight quotes \" or '"),
    (re.compile(r"&&"), "write 'and' instead of '&&'"),
    (re.compile(r"\|\|"), "write 'or' instead of '||'"),
    (re.compile(r"!(?!=)"), "write 'not' instead of '!'"),
]
_LONE_EQUALS = re.compile(r"(?<![=!<>+\-*/%])=(?!=)")


def _slip(source: str, mode: str) -> tuple[str, int] | None:
    """A writer's message and offset for a well-known slip in ``source``, or None."""
    bare = _QUOTED.sub(lambda m: " " * len(m.group()), source)
    for pattern, message in _SLIPS:
        found = pattern.search(bare)
        if found:
            return message.format(found.group()), found.start()
    if mode == "eval":
        found = _LONE_EQUALS.search(bare)
        if found:
            return "'=' sets a value; to compare in a condition, write '=='", found.start()
    return None


def _parse(source: str, mode: str) -> ast.AST:
    if len(source) > MAX_SOURCE:
        raise ParseFailure(f"expression longer than {MAX_SOURCE} characters", 0, OVER_LIMIT)
    if "\x00" in source:
        raise ParseFailure("expression contains a NUL character", source.index("\x00"))
    if "if" in source:
        source = _IF_CALL.sub(lambda m: m.group(1) or _IF_NAME, source)
    try:
        return ast.parse(source, mode=mode)
    except SyntaxError as exc:
        hint = _slip(source, mode)
        if hint is not None:
            raise ParseFailure(*hint) from None
        line = (exc.lineno or 1) - 1
        before = sum(len(x) + 1 for x in source.split("\n")[:line])
        offset = before + max((exc.offset or 1) - 1, 0)
        raise ParseFailure(f"syntax error: {exc.msg}", offset) from None
    except (RecursionError, MemoryError, ValueError):
        raise ParseFailure("expression is too deeply nested", 0, OVER_LIMIT) from None


DICE = frozenset({"random", "chance"})


def call_site(identity: str) -> int:
    """The number a dice call mixes into its rolls, from its place in the story.

    ``identity`` is ``scene/field path#n`` (``kitchen/choices/bake/do/0#1``: the first
    roll in the first effect of choice 'bake' of scene 'kitchen'). It never holds a
    file name or line number, so moving, copying or re-indenting the story, or editing
    anything else, leaves every roll as it was.
    """
    return int.from_bytes(hashlib.blake2b(identity.encode(), digest_size=8).digest(), "big")


_MEMO: dict[tuple[str, str, str], Any] = {}
_ROLLS_DICE: set[tuple[str, str]] = set()
# A long-lived process (the language server reparses on every keystroke) must not keep
# every text it was ever shown; past this many parses the memo starts again.
MEMO_LIMIT = 200_000


def _memoised(kind: str, source: str, site_base: str, parse: Callable[[str, str], Any]) -> Any:
    """Stories repeat expressions a lot, so parses are kept. One with dice is kept per
    place, since each call site rolls its own numbers."""
    key = (kind, source, site_base if (kind, source) in _ROLLS_DICE else "")
    hit = _MEMO.get(key)
    if hit is None:
        if len(_MEMO) >= MEMO_LIMIT:
            _MEMO.clear()
            _ROLLS_DICE.clear()
        hit = parse(source, site_base)
        roots = [hit] if kind == "expr" else [value for _n, _op, value, _off in hit]
        if any(isinstance(n, Call) and n.name in DICE for root in roots for n in walk(root)):
            _ROLLS_DICE.add((kind, source))
            key = (kind, source, site_base)
        _MEMO[key] = hit
    return hit


def parse_expression_ir(source: str, site_base: str = "") -> Node:
    """Parse an expression into IR, or raise ParseFailure. ``site_base`` names its place
    in the story (see ``call_site``)."""
    node: Node = _memoised("expr", source, site_base, _parse_expression_ir)
    return node


def _parse_expression_ir(source: str, site_base: str) -> Node:
    if not source.strip():
        raise ParseFailure("empty expression", 0)
    tree = _parse(source, "eval")
    assert isinstance(tree, ast.Expression)
    try:
        return _Converter(source, site_base).convert(tree.body)
    except RecursionError:
        raise ParseFailure("expression is too deeply nested", 0, OVER_LIMIT) from None


Effect = tuple[str, str, Node, int]
"""One parsed assignment: (variable name, operator, value, offset)."""


def parse_effects_ir(source: str, site_base: str = "") -> list[Effect]:
    """Parse ``a = 1; b += 2`` into [(name, op, value_ir, offset)], or raise ParseFailure."""
    effects: list[Effect] = _memoised("effects", source, site_base, _parse_effects_ir)
    return effects


def _parse_effects_ir(source: str, site_base: str) -> list[Effect]:
    tree = _parse(source, "exec")
    assert isinstance(tree, ast.Module)
    conv = _Converter(source, site_base)
    out: list[Effect] = []
    for stmt in tree.body:
        off = _offset(source, stmt)
        target: ast.expr
        if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1:
            target, op, value = stmt.targets[0], "=", stmt.value
        elif isinstance(stmt, ast.AugAssign) and type(stmt.op) in _AUGOPS:
            target, op, value = stmt.target, _AUGOPS[type(stmt.op)], stmt.value
        else:
            raise ParseFailure("an effect is an assignment: name = value, +=, -= or *=", off)
        name = conv.name_of(target)
        if name is None:
            raise ParseFailure("only a variable can be assigned", off)
        try:
            out.append((name, op, conv.convert(value), off))
        except RecursionError:
            raise ParseFailure("expression is too deeply nested", off, OVER_LIMIT) from None
    if not out:
        raise ParseFailure("empty effect", 0)
    return out


def span_at(span: SourceSpan, source: str, offset: int) -> SourceSpan:
    """The span of character ``offset`` inside an expression that starts at ``span``."""
    before = source[:offset]
    newlines = before.count("\n")
    if newlines == 0:
        return SourceSpan(span.file, span.line, span.col + offset)
    return SourceSpan(span.file, span.line + newlines, offset - before.rfind("\n"))


# ---------------------------------------------------------------- compiled objects


class Expr:
    """A parsed expression with its source and place; compiled to a closure on first use."""

    __slots__ = ("source", "ir", "span", "_fn")

    def __init__(self, source: str, ir: Node, span: SourceSpan):
        self.source = source
        self.ir = ir
        self.span = span
        self._fn: Callable[[EvalContext], Any] | None = None

    def __reduce__(self) -> tuple[type[Expr], tuple[str, Node, SourceSpan]]:
        return (Expr, (self.source, self.ir, self.span))

    def __repr__(self) -> str:
        return f"Expr({self.source!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Expr) and (self.ir, self.span) == (other.ir, other.span)

    def __hash__(self) -> int:
        return hash((self.source, self.span))

    def evaluate(self, ctx: EvalContext) -> Any:
        fn = self._fn
        if fn is None:
            fn = self._fn = _compile(self.ir, self)
        try:
            return fn(ctx)
        except StoryRuntimeError:
            raise
        except (ArithmeticError, TypeError, ValueError, KeyError, RecursionError) as exc:
            # values of an unexpected type from a loaded state: the checker rules out the rest
            raise self.failure(WRONG_TYPE, 0, detail=f"{type(exc).__name__}: {exc}") from None

    def failure(self, descriptor: Descriptor, off: int, **fields: object) -> StoryRuntimeError:
        """A runtime error located at character ``off`` of this expression."""
        fields.setdefault("source", self.source)
        return StoryRuntimeError(descriptor.at(span_at(self.span, self.source, off), **fields))


@dataclass(frozen=True, slots=True)
class Bounds:
    low: float | None
    high: float | None


Guard = tuple[Expr, bool]
"""A condition of a conditional effect and the value it must have (False: the else side)."""


class Assign:
    """One effect: ``name op value``, clamped to the variable's declared bounds.

    ``guards`` make it conditional: it applies only when each guard's condition has its
    wanted value. A guard is evaluated once per run of an effect list, at its first
    use, which is where its ``{if, then, else}`` entry begins (see ``apply_effects``).
    """

    __slots__ = ("name", "op", "value", "span", "source", "guards")

    def __init__(self, name: str, op: str, value: Expr, span: SourceSpan, source: str,
                 guards: tuple[Guard, ...] = ()):
        self.name = name
        self.op = op
        self.value = value
        self.span = span
        self.source = source
        self.guards = guards

    def __reduce__(self) -> tuple[type[Assign], tuple[Any, ...]]:
        return (Assign, (self.name, self.op, self.value, self.span, self.source, self.guards))

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Assign) and (self.name, self.op, self.value, self.guards) == (
            other.name, other.op, other.value, other.guards)

    def __hash__(self) -> int:
        return hash((self.name, self.op))

    def __repr__(self) -> str:
        return f"Assign({self.source!r})"

    def apply(self, vars: dict[str, Value], ctx: EvalContext, bounds: Bounds | None,
              vtype: str | None = None) -> None:
        new = self.value.evaluate(ctx)
        if self.op != "=":
            try:
                old = vars[self.name]
            except KeyError:
                raise self._failure(MISSING_VARIABLE, name=self.name) from None
            if self.op == "*=" and (isinstance(old, str) or isinstance(new, str)):
                raise self._failure(WRONG_TYPE, detail=f"'*=' needs numbers, got {old!r} and "
                                    f"{new!r}")
            try:
                new = _PY_BIN[self.op[0]](old, new)
            except TypeError:
                raise self._failure(WRONG_TYPE, detail=f"'{self.op}' cannot combine {old!r} "
                                    f"with {new!r}") from None
            new = _bounded(new, self._failure)
        if vtype is not None and _TYPE_OF.get(type(new)) is not vtype:
            raise self._failure(WRONG_TYPE, detail=f"'{self.name}' holds a {vtype}, not "
                                f"{new!r}")
        if bounds is not None and isinstance(new, int | float) and not isinstance(new, bool):
            if bounds.low is not None and new < bounds.low:
                new = type(new)(bounds.low)
            elif bounds.high is not None and new > bounds.high:
                new = type(new)(bounds.high)
        vars[self.name] = new

    def _failure(self, descriptor: Descriptor, **fields: object) -> StoryRuntimeError:
        fields.setdefault("source", f"{self.name} {self.op} {unparse(self.value.ir)}")
        return StoryRuntimeError(descriptor.at(self.span, **fields))


def effect_guards(effects: Iterable[Assign]) -> list[Expr]:
    """The distinct conditions of the conditional effects in ``effects``, in order."""
    seen: dict[Expr, None] = {}
    for effect in effects:
        for guard, _want in effect.guards:
            seen.setdefault(guard, None)
    return list(seen)


def _bounded(value: Any, failure: Callable[..., StoryRuntimeError]) -> Any:
    """``value`` if it is within the limits on numbers and text; raises otherwise."""
    if type(value) is int:
        if -MAX_INT <= value <= MAX_INT:
            return value
        raise failure(NUMBER_TOO_LARGE, detail="the result is too large")
    if type(value) is float:
        if -MAX_INT <= value <= MAX_INT:
            return value
        detail = "the result is not a number" if value != value else "the result is too large"
        raise failure(NUMBER_TOO_LARGE, detail=detail)
    if type(value) is str and len(value) > MAX_TEXT:
        raise failure(TEXT_TOO_LONG, limit=MAX_TEXT)
    return value


_DIVIDES = frozenset({"/", "//", "%"})
_TYPE_OF = {int: ValueType.NUMBER, float: ValueType.NUMBER, bool: ValueType.BOOL,
            str: ValueType.STRING}


Compiled = Callable[[EvalContext], Any]


def _compile(node: Node, expr: Expr) -> Compiled:
    match node:
        case Const(value=value):
            return lambda ctx: value
        case Var(name=name, off=off):

            def var(ctx: EvalContext) -> Any:
                try:
                    return ctx.vars[name]
                except KeyError:
                    raise expr.failure(MISSING_VARIABLE, off, name=name) from None

            return var
        case Unary(op=op, operand=operand):
            inner = _compile(operand, expr)
            if op == "not":
                return lambda ctx: not inner(ctx)
            if op == "-":
                return lambda ctx: -inner(ctx)
            return inner
        case Binary():
            return _compile_binop(node, expr)
        case Logic(op=op, operands=operands):
            return compile_logic(op, [_compile(n, expr) for n in operands])
        case Compare():
            return _compile_compare(node, expr)
        case Call():
            return _compile_call(node, expr)
    raise AssertionError(f"unknown IR node {node!r}")


def compile_logic(op: str, parts: list[Compiled]) -> Compiled:
    """``and``/``or`` over compiled parts, stopping at the first that decides."""
    if len(parts) == 2:  # the common case, without the loop
        a, b = parts
        if op == "and":
            return lambda ctx: a(ctx) and b(ctx)
        return lambda ctx: a(ctx) or b(ctx)
    stop_when = op == "or"

    def logic(ctx: EvalContext) -> Any:
        result: Any = not stop_when
        for part in parts:
            result = part(ctx)
            if bool(result) is stop_when:
                return result
        return result

    return logic


def _compile_compare(node: Compare, expr: Expr) -> Compiled:
    ops = [_PY_CMP[op] for op in node.ops]
    operands = [_compile(n, expr) for n in node.operands]

    def mismatch(left: Any, right: Any) -> StoryRuntimeError:
        return expr.failure(WRONG_TYPE, node.off, detail=f"cannot compare {left!r} with "
                            f"{right!r}")

    if len(ops) == 1:
        fn, a, b = ops[0], operands[0], operands[1]

        def compare(ctx: EvalContext) -> bool:
            left, right = a(ctx), b(ctx)
            try:
                return fn(left, right)
            except TypeError:
                raise mismatch(left, right) from None

        return compare

    def chain(ctx: EvalContext) -> bool:
        left = operands[0](ctx)
        for fn, operand in zip(ops, operands[1:], strict=True):
            right = operand(ctx)
            try:
                if not fn(left, right):
                    return False
            except TypeError:
                raise mismatch(left, right) from None
            left = right
        return True

    return chain


def _compile_binop(node: Binary, expr: Expr) -> Compiled:
    op, divisor = node.op, node.right
    fn, left, right = _PY_BIN[op], _compile(node.left, expr), _compile(node.right, expr)
    divides, repeats = op in _DIVIDES, op == "*"

    def failure(descriptor: Descriptor, **fields: object) -> StoryRuntimeError:
        return expr.failure(descriptor, node.off, **fields)

    def binop(ctx: EvalContext) -> Any:
        a, b = left(ctx), right(ctx)
        if divides and not isinstance(b, str) and b == 0:
            raise expr.failure(DIVISION_BY_ZERO, divisor.off, divisor=unparse(divisor))
        if repeats and (isinstance(a, str) or isinstance(b, str)):
            raise failure(WRONG_TYPE, detail=f"'*' needs numbers, got {a!r} and {b!r}")
        try:
            result = fn(a, b)
        except TypeError:
            raise failure(WRONG_TYPE, detail=f"'{op}' cannot combine {a!r} with {b!r}") from None
        return _bounded(result, failure)

    return binop


def _compile_call(node: Call, expr: Expr) -> Compiled:
    name, site = node.name, node.site
    args = [_compile(n, expr) for n in node.args]
    if name == "visits":
        a = args[0]
        return lambda ctx: ctx.visits.get(a(ctx), 0)
    if name == "visited":
        a = args[0]
        return lambda ctx: ctx.visits.get(a(ctx), 0) > 0
    if name == "random":
        lo, hi = args

        def random(ctx: EvalContext) -> int:
            low, high = int(lo(ctx)), int(hi(ctx))
            if high < low:
                low, high = high, low
            return low + int(roll(ctx.seed, ctx.turn, site) * (high - low + 1))

        return random
    if name == "chance":
        pct = args[0]
        return lambda ctx: roll(ctx.seed, ctx.turn, site) * 100 < pct(ctx)
    if name == "turn":
        return lambda ctx: ctx.turn
    if name == "if":
        test, then, otherwise = args
        return lambda ctx: then(ctx) if test(ctx) else otherwise(ctx)
    if name == "count":
        return lambda ctx: sum(1 for a in args if a(ctx))
    if name == "clamp":
        x, lo, hi = args
        return lambda ctx: max(lo(ctx), min(hi(ctx), x(ctx)))
    if name == "abs":
        a = args[0]
        return lambda ctx: abs(a(ctx))
    if len(args) == 1:
        return args[0]
    pick: Callable[..., Any] = min if name == "min" else max
    return lambda ctx: pick(*(a(ctx) for a in args))


# ---------------------------------------------------------------- static analysis


class TypeChecker:
    """Infers expression types and reports unknown names and clashes as diagnostics."""

    def __init__(self, var_types: dict[str, ValueType], scene_ids: Collection[str]):
        self.var_types = var_types
        self.scene_ids = scene_ids
        self.used: set[str] = set()
        self.diagnostics: list[Diagnostic] = []
        self.text_into_bool: set[str] = set()
        """Variables that hold true/false but are assigned text (a YAML ``no``?)."""

    def _report(self, descriptor: Descriptor, message: str, expr: Expr, off: int) -> None:
        self.diagnostics.append(descriptor.at(span_at(expr.span, expr.source, off), message))

    def infer(self, node: Node, expr: Expr) -> ValueType:
        match node:
            case Const(value=value):
                return value_type(value)
            case Var(name=name, off=off):
                vtype = self.var_types.get(name)
                if vtype is None:
                    hint = suggest(name, self.var_types)
                    self._report(UNKNOWN_VARIABLE, f"unknown variable '{name}'{hint}", expr, off)
                    return ANY
                self.used.add(name)
                return vtype
            case Unary(op=op, operand=operand, off=off):
                inner = self.infer(operand, expr)
                want = BOOL if op == "not" else NUMBER
                self._expect(inner, want, f"'{op}' needs a {want}", expr, off)
                return want
            case Binary(op=op, left=left_node, right=right_node, off=off):
                left, right = self.infer(left_node, expr), self.infer(right_node, expr)
                if op == "+" and STRING in (left, right):
                    if {left, right} - {STRING, ANY}:
                        self._report(TYPE_MISMATCH, f"cannot add a {left} and a {right}", expr,
                                     off)
                    return STRING
                for side in (left, right):
                    self._expect(side, NUMBER, f"'{op}' needs numbers, got a {side}", expr, off)
                return NUMBER
            case Logic(op=op, operands=operands):
                for operand in operands:
                    t = self.infer(operand, expr)
                    self._expect(t, BOOL, f"'{op}' needs true/false values, got a {t}", expr,
                                 operand.off)
                return BOOL
            case Compare(ops=ops, operands=operands, off=off):
                types = [self.infer(n, expr) for n in operands]
                for op, a, b in zip(ops, types, types[1:], strict=False):
                    if ANY in (a, b):
                        continue
                    if a != b:
                        self._report(TYPE_MISMATCH, f"cannot compare a {a} with a {b}", expr,
                                     off)
                    elif op not in ("==", "!=") and a == BOOL:
                        self._report(TYPE_MISMATCH, f"'{op}' cannot order true/false values",
                                     expr, off)
                return BOOL
            case Call():
                return self._infer_call(node, expr)
        raise AssertionError(node)

    def _infer_call(self, node: Call, expr: Expr) -> ValueType:
        name, args, off = node.name, node.args, node.off
        low, high, result, arg_type = FUNCTIONS[name]
        if len(args) < low or (high is not None and len(args) > high):
            count = str(low) if low == high else f"{low} or more"
            self._report(WRONG_ARITY, f"{name}() takes {count} arguments, got {len(args)}",
                         expr, off)
            return result
        if name == "if":
            test = self.infer(args[0], expr)
            self._expect(test, BOOL, f"if() needs a true/false condition first, got a {test}",
                         expr, args[0].off)
            then, otherwise = self.infer(args[1], expr), self.infer(args[2], expr)
            if ANY not in (then, otherwise) and then != otherwise:
                self._report(TYPE_MISMATCH, f"if() gives a {then} or a {otherwise}; both sides "
                             "must have one type", expr, off)
            return otherwise if then == ANY else then
        for arg in args:
            t = self.infer(arg, expr)
            self._expect(t, arg_type, f"{name}() needs a {arg_type}, got a {t}", expr, arg.off)
        if name in ("visits", "visited") and args:
            arg = args[0]
            if not isinstance(arg, Const):
                self._report(VISITS_UNKNOWN_SCENE, f"{name}() needs a scene id in quotes", expr,
                             arg.off)
            elif arg.value not in self.scene_ids:
                hint = suggest(str(arg.value), self.scene_ids)
                self._report(VISITS_UNKNOWN_SCENE, f"{name}() names unknown scene "
                             f"'{arg.value}'{hint}", expr, arg.off)
        return result

    def _expect(self, got: ValueType, want: ValueType, message: str, expr: Expr,
                off: int) -> None:
        if got != want and ANY not in (got, want):
            self._report(TYPE_MISMATCH, message, expr, off)

    def check_condition(self, expr: Expr) -> None:
        t = self.infer(expr.ir, expr)
        self._expect(t, BOOL, f"a condition must be true or false, this is a {t}", expr, 0)

    def check_assign(self, assign: Assign) -> None:
        target = self.var_types.get(assign.name)
        value_t = self.infer(assign.value.ir, assign.value)
        if target is None:
            hint = suggest(assign.name, self.var_types)
            self.diagnostics.append(ASSIGN_UNDECLARED.at(
                assign.span, f"assignment to undeclared variable '{assign.name}'{hint}"))
            return
        self.used.add(assign.name)
        if assign.op != "=" and target != NUMBER and not (
                assign.op == "+=" and target == STRING):
            self.diagnostics.append(TYPE_MISMATCH.at(
                assign.span, f"'{assign.op}' needs a number variable; '{assign.name}' is a "
                f"{target}"))
        elif value_t not in (target, ANY):
            if (target, value_t) == (BOOL, STRING):
                self.text_into_bool.add(assign.name)
            self.diagnostics.append(TYPE_MISMATCH.at(
                assign.span, f"'{assign.name}' is a {target}, cannot assign a {value_t}"))


class _Unknown:
    """The result of folding an expression that depends on more than constants."""

    def __repr__(self) -> str:
        return "UNKNOWN"


UNKNOWN = _Unknown()
Folded = Value | _Unknown


def fold(node: Node, constants: Mapping[str, Value]) -> Folded:
    """Evaluate ``node`` if it depends only on constants; otherwise return UNKNOWN.

    Never raises and never builds a value beyond the limits (that is UNKNOWN too)."""
    try:
        return _fold(node, constants)
    except (ArithmeticError, TypeError, ValueError, RecursionError):
        return UNKNOWN


def _fold(node: Node, constants: Mapping[str, Value]) -> Folded:
    match node:
        case Const(value=value):
            return value
        case Var(name=name):
            return constants.get(name, UNKNOWN)
        case Unary(op=op, operand=operand):
            inner = _fold(operand, constants)
            if isinstance(inner, _Unknown):
                return UNKNOWN
            if op == "not":
                return not inner
            if op == "-" and not isinstance(inner, str):
                return -inner
            return inner
        case Binary(op=op, left=left, right=right):
            a, b = _fold(left, constants), _fold(right, constants)
            if isinstance(a, _Unknown) or isinstance(b, _Unknown) or (
                    op == "*" and (isinstance(a, str) or isinstance(b, str))):
                return UNKNOWN
            folded: Value = _PY_BIN[op](a, b)
            return UNKNOWN if over_limit(folded) else folded
        case Logic(op=op, operands=operands):
            values = [_fold(n, constants) for n in operands]
            known = [bool(v) for v in values if not isinstance(v, _Unknown)]
            decisive = op == "or"  # one true decides 'or', one false decides 'and'
            if decisive in known:
                return decisive
            return UNKNOWN if len(known) < len(values) else not decisive
        case Compare(ops=ops, operands=operands):
            items = [_fold(n, constants) for n in operands]
            if any(isinstance(v, _Unknown) for v in items):
                return UNKNOWN
            return all(_PY_CMP[op](a, b) for op, a, b in zip(ops, items, items[1:],
                                                             strict=False))
    return UNKNOWN


def suggest(name: str, known: Any) -> str:
    """A ' (did you mean 'x'?)' hint for a misspelt name, or ''."""
    import difflib

    close = difflib.get_close_matches(name, list(known), n=1, cutoff=0.6)
    return f" (did you mean '{close[0]}'?)" if close else ""


def error_at(descriptor: Descriptor, message: str, span: SourceSpan) -> Diagnostic:
    return descriptor.at(span, message)
