"""Text that varies with state: ``{expr}`` interpolation, ``{if}...{elif}...{else}...{end}``
and variations ``{a|b}`` (sequence), ``{&a|b}`` (cycle), ``{~a|b}`` (shuffle), ``{!a|b}``
(once-only).

A template is parsed once into a tuple of parts, each a literal ``str``, an ``Expr``
to interpolate, a ``Branch`` (conditions with their parts, plus the else parts) or a
``Variation``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .diagnostics import BRACE_PROBLEM, Diagnostic, SourceSpan
from .expr import EvalContext, Expr, ParseFailure, call_site, parse_expression_ir, roll, span_at

Template = tuple["str | Expr | Branch | Variation", ...]
"""A parsed text: literal strings, expressions to show, and conditional branches."""


@dataclass(frozen=True, slots=True)
class Branch:
    arms: tuple[tuple[Expr, Template], ...]
    otherwise: Template


@dataclass(frozen=True, slots=True)
class Variation:
    """Options picked by how many times ``scene`` has been entered, so the same state
    always shows the same option and rewinding shows what was shown."""

    kind: str  # "sequence", "cycle", "shuffle" or "once"
    options: tuple[str, ...]
    scene: str
    site: int
    span: SourceSpan = SourceSpan("")
    """Where its ``{`` is, for findings about it (text coverage)."""

    def pick(self, ctx: EvalContext) -> str:
        index = self.index(ctx)
        return "" if index is None else self.options[index]

    def index(self, ctx: EvalContext) -> int | None:
        """Which option shows in ``ctx`` (None: a once-only variation that is used up)."""
        n = max(ctx.visits.get(self.scene, 1), 1) - 1  # this is the scene's n-th visit
        count = len(self.options)
        if self.kind == "cycle":
            return n % count
        if self.kind == "once":
            return n if n < count else None
        if self.kind == "shuffle":
            return int(roll(ctx.seed, n, self.site) * count)
        return min(n, count - 1)

    @property
    def visits_that_matter(self) -> int:
        """The visit count from which every option has had its turn (the explorer tells
        counts apart up to here, so each option can be shown)."""
        return len(self.options) + (1 if self.kind == "once" else 0)


_KINDS = {"&": "cycle", "~": "shuffle", "!": "once"}


_NOWHERE = SourceSpan("")


def _variation(inner: str, site: str, span: SourceSpan = _NOWHERE) -> Variation | None:
    """A ``{a|b}`` variation, if ``inner`` (between the braces) is one."""
    if "|" not in inner or inner.lstrip().startswith(("if ", "if(", "elif ")):
        return None
    kind = _KINDS.get(inner[:1], "sequence")
    body = inner[1:] if inner[:1] in _KINDS else inner
    return Variation(kind, tuple(body.split("|")), site.split("/", 1)[0], call_site(site), span)


def variation_end(text: str, start: int) -> int:
    """Index of the ``}`` closing a variation opened before ``start``, or -1 if that
    brace is no variation. Variations are prose: an apostrophe in one is no quote."""
    end = text.find("}", start)
    if end < 0 or "{" in text[start:end] or _variation(text[start:end], "") is None:
        return -1
    return end


_Frame = tuple[list[Any], list[tuple[Expr, Template]], "Expr | None", int]
_ELSE = object()  # marks, while parsing, that the parts that follow are an {else} arm


def close_brace(text: str, start: int) -> int:
    """Index of the ``}`` that closes the brace opened before ``start``, quote-aware."""
    quote = ""
    i = start
    while i < len(text):
        ch = text[i]
        if quote:
            if ch == quote:
                quote = ""
        elif ch in "\"'":
            quote = ch
        elif ch == "}":
            return i
        elif ch == "{":
            return -1
        i += 1
    return -1


def parse_template(text: str, span: SourceSpan, diags: list[Diagnostic],
                   site: str = "") -> Template:
    """Parse ``text``; report problems into ``diags`` and return what could be parsed.

    ``site`` names the text's place in its scene; the n-th ``{...}`` in it rolls its
    dice as ``site/n``, so editing other text never changes them."""
    if "{" not in text and "}" not in text:
        return (text,)
    # stack of frames: [parts, arms, current_condition]; the bottom frame has no arms
    root: list[Any] = []
    stack: list[_Frame] = []
    parts = root
    literal: list[str] = []
    i = 0

    def flush() -> None:
        if literal:
            parts.append("".join(literal))
            literal.clear()

    count = 0

    def expr_at(source: str, offset: int) -> Expr | None:
        nonlocal count
        where = span_at(span, text, offset)
        count += 1
        try:
            ir = parse_expression_ir(source, f"{site}/{count}")
        except ParseFailure as exc:
            diags.append(exc.descriptor.at(span_at(where, source, exc.offset), exc.args[0]))
            return None
        return Expr(source, ir, where)

    while i < len(text):
        ch = text[i]
        if text.startswith("{{", i) or text.startswith("}}", i):
            literal.append(ch)
            i += 2
            continue
        if ch == "}":
            diags.append(BRACE_PROBLEM.at(span_at(span, text, i),
                                          "unmatched '}' in text (write '}}' for a brace)"))
            i += 1
            continue
        if ch != "{":
            # jump to the next brace: most of a template is plain prose
            opening, closing = text.find("{", i), text.find("}", i)
            if opening < 0:
                opening = len(text)
            nxt = opening if closing < 0 or opening < closing else closing
            literal.append(text[i:nxt])
            i = nxt
            continue
        end = variation_end(text, i + 1)
        if end > 0:
            count += 1
            found = _variation(text[i + 1 : end], f"{site}/{count}", span_at(span, text, i))
            assert found is not None
            flush()
            parts.append(found)
            i = end + 1
            continue
        end = close_brace(text, i + 1)
        if end < 0:
            diags.append(BRACE_PROBLEM.at(span_at(span, text, i),
                                          "unclosed '{' in text (write '{{' for a brace)"))
            literal.append(text[i:])
            break
        inner = text[i + 1 : end]
        word = inner.strip()
        head = word.split(None, 1)[0] if word else ""
        body_offset = i + 1 + (len(inner) - len(inner.lstrip()))
        flush()
        if head in ("if", "elif") and len(word) > len(head):
            cond_src = word[len(head):].strip()
            cond = expr_at(cond_src, body_offset + len(head) + 1)
            if head == "if":
                stack.append((parts, [], cond, i))
                parts = []
            elif not stack:
                diags.append(BRACE_PROBLEM.at(span_at(span, text, i), "{elif} without {if}"))
            else:
                outer, arms, prev, start = stack.pop()
                if prev is not None:
                    arms.append((prev, tuple(parts)))
                stack.append((outer, arms, cond, start))
                parts = []
        elif word == "else":
            if not stack:
                diags.append(BRACE_PROBLEM.at(span_at(span, text, i), "{else} without {if}"))
            else:
                outer, arms, prev, start = stack.pop()
                if prev is not None:
                    arms.append((prev, tuple(parts)))
                stack.append((outer, arms, None, start))
                parts = [_ELSE]
        elif word == "end":
            if not stack:
                diags.append(BRACE_PROBLEM.at(span_at(span, text, i), "{end} without {if}"))
            else:
                parts = _close_branch(stack.pop(), parts)
        else:
            expr = expr_at(inner.strip(), body_offset)
            if expr is not None:
                parts.append(expr)
        i = end + 1
    flush()
    while stack:
        frame = stack[-1]
        diags.append(BRACE_PROBLEM.at(span_at(span, text, frame[3]), "{if} without {end}"))
        parts = _close_branch(stack.pop(), parts)
    return tuple(parts)


def _close_branch(frame: _Frame, parts: list[Any]) -> list[Any]:
    outer, arms, cond, _start = frame
    otherwise: Template
    if parts and parts[0] is _ELSE:
        otherwise = tuple(parts[1:])
    else:
        otherwise = ()
        if cond is not None:
            arms.append((cond, tuple(parts)))
    outer.append(Branch(tuple(arms), otherwise))
    return outer


def render(template: Template, ctx: EvalContext) -> str:
    first = template[0] if len(template) == 1 else None
    if isinstance(first, str):
        return first
    out: list[str] = []
    _render_into(template, ctx, out)
    return "".join(out)


def _render_into(parts: Template, ctx: EvalContext, out: list[str]) -> None:
    for part in parts:
        if isinstance(part, str):
            out.append(part)
        elif isinstance(part, Branch):
            for cond, body in part.arms:
                if cond.evaluate(ctx):
                    _render_into(body, ctx, out)
                    break
            else:
                _render_into(part.otherwise, ctx, out)
        elif isinstance(part, Variation):
            out.append(part.pick(ctx))
        else:
            value = part.evaluate(ctx)
            if isinstance(value, bool):
                out.append("true" if value else "false")
            elif isinstance(value, float) and value.is_integer():
                out.append(str(int(value)))
            else:
                out.append(str(value))


def template_variations(template: Template) -> list[Variation]:
    """Every variation in a template, inside conditionals too."""
    found: list[Variation] = []
    for part in template:
        if isinstance(part, Variation):
            found.append(part)
        elif isinstance(part, Branch):
            for _cond, body in part.arms:
                found.extend(template_variations(body))
            found.extend(template_variations(part.otherwise))
    return found


def template_exprs(template: Template) -> list[tuple[Expr, bool]]:
    """Every expression in a template, with True for the ones used as conditions."""
    found: list[tuple[Expr, bool]] = []
    for part in template:
        if isinstance(part, Expr):
            found.append((part, False))
        elif isinstance(part, Branch):
            for cond, body in part.arms:
                found.append((cond, True))
                found.extend(template_exprs(body))
            found.extend(template_exprs(part.otherwise))
    return found
