"""The expression IR: small frozen nodes that build, the checker and the explorer walk.

Every node keeps ``off``, the character offset of its text inside the expression
source, so any finding about it can name file:line:column. Nodes are plain frozen
values: they compare, hash and pickle (compiled stories are cached).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from enum import StrEnum

Value = int | float | bool | str


class ValueType(StrEnum):
    """The type of a value or expression, as the checker infers it."""

    NUMBER = "number"
    BOOL = "bool"
    STRING = "string"
    ANY = "any"
    """Unknown (an undeclared variable): compatible with everything, to avoid noise."""


def value_type(value: object) -> ValueType:
    if isinstance(value, bool):
        return ValueType.BOOL
    if isinstance(value, int | float):
        return ValueType.NUMBER
    if isinstance(value, str):
        return ValueType.STRING
    return ValueType.ANY


@dataclass(frozen=True, slots=True)
class Const:
    value: Value
    off: int = 0


@dataclass(frozen=True, slots=True)
class Var:
    """A declared variable; dotted names (``ship.q_florian``) are one variable."""

    name: str
    off: int = 0


@dataclass(frozen=True, slots=True)
class Call:
    """A call of one of the declared functions. ``site`` seeds a dice call's rolls."""

    name: str
    args: tuple[Node, ...]
    site: int = 0
    off: int = 0


@dataclass(frozen=True, slots=True)
class Unary:
    op: str  # "not", "-", "+"
    operand: Node
    off: int = 0


@dataclass(frozen=True, slots=True)
class Binary:
    op: str  # + - * / // %
    left: Node
    right: Node
    off: int = 0


@dataclass(frozen=True, slots=True)
class Logic:
    op: str  # "and", "or"
    operands: tuple[Node, ...]
    off: int = 0


@dataclass(frozen=True, slots=True)
class Compare:
    """A comparison chain: ``a < b <= c`` has two ops and three operands."""

    ops: tuple[str, ...]
    operands: tuple[Node, ...]
    off: int = 0


Node = Const | Var | Call | Unary | Binary | Logic | Compare
NODE_TYPES: tuple[type, ...] = (Const, Var, Call, Unary, Binary, Logic, Compare)


def children(node: Node) -> tuple[Node, ...]:
    """The nodes directly inside ``node``."""
    match node:
        case Unary(operand=operand):
            return (operand,)
        case Binary(left=left, right=right):
            return (left, right)
        case Logic(operands=operands) | Compare(operands=operands):
            return operands
        case Call(args=args):
            return args
    return ()


def walk(node: Node) -> Iterator[Node]:
    """``node`` and every node inside it, parents before children, left to right."""
    stack = [node]
    while stack:
        current = stack.pop()
        yield current
        stack.extend(reversed(children(current)))


def variables_in(node: Node) -> set[str]:
    """Every variable name an IR tree reads."""
    return {n.name for n in walk(node) if isinstance(n, Var)}


def calls_in(node: Node) -> set[str]:
    """Every function name an IR tree calls."""
    return {n.name for n in walk(node) if isinstance(n, Call)}


_PRECEDENCE = {"or": 1, "and": 2, "not": 3, "cmp": 4, "+": 5, "-": 5, "*": 6, "/": 6,
               "//": 6, "%": 6, "neg": 7}


def unparse(node: Node, outer: int = 0) -> str:
    """Story-syntax text of an IR tree, for messages (``ship.q / (a - 1)``)."""
    match node:
        case Const(value=bool() as flag):
            return "true" if flag else "false"
        case Const(value=value):
            return repr(value)
        case Var(name=name):
            return name
        case Call(name=name, args=args):
            return f"{name}({', '.join(unparse(a) for a in args)})"
        case Unary(op="not", operand=operand):
            level = _PRECEDENCE["not"]
            text = f"not {unparse(operand, level)}"
        case Unary(op=op, operand=operand):
            level = _PRECEDENCE["neg"]
            text = f"{op}{unparse(operand, level)}"
        case Binary(op=op, left=left, right=right):
            level = _PRECEDENCE[op]
            text = f"{unparse(left, level)} {op} {unparse(right, level + 1)}"
        case Logic(op=op, operands=operands):
            level = _PRECEDENCE[op]
            text = f" {op} ".join(unparse(n, level + 1) for n in operands)
        case Compare(ops=ops, operands=operands):
            level = _PRECEDENCE["cmp"]
            parts = [unparse(operands[0], level + 1)]
            for op, operand in zip(ops, operands[1:], strict=True):
                parts.append(f"{op} {unparse(operand, level + 1)}")
            text = " ".join(parts)
    return f"({text})" if level < outer else text
