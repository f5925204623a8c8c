from __future__ import annotations

import pytest

from kissgame.engine.diagnostics import SourceSpan
from kissgame.engine.expr import EvalContext
from kissgame.engine.text import parse_template, render


def rendered(text: str, **vars) -> str:
    diags: list = []
    template = parse_template(text, SourceSpan("t.yaml", 3, 7), diags)
    assert diags == []
    return render(template, EvalContext(vars, {}, 0, 0))


@pytest.mark.parametrize(
    ("x", "expected"), [(2, "a big!"), (1, "a small!"), (0, "a none!")])
def test_if_elif_else(x, expected):
    assert rendered("a {if x > 1}big{elif x > 0}small{else}none{end}!", x=x) == expected


def test_nested_conditionals_and_interpolation():
    text = "{if a}A{if b} and B={n}{end}{else}not A{end}."
    assert rendered(text, a=True, b=True, n=3) == "A and B=3."
    assert rendered(text, a=True, b=False, n=3) == "A."
    assert rendered(text, a=False, b=True, n=3) == "not A."


def test_literal_braces_and_value_formats():
    assert rendered("{{x}} is {x}, {f}, {t}", x=2, f=3.0, t=True) == "{x} is 2, 3, true"


@pytest.mark.parametrize(
    ("text", "col"), [("ok {if x}never closed", 10), ("a } b", 9), ("{end}", 7), ("x {1 +}", 10)])
def test_errors_are_located(text, col):
    diags: list = []
    parse_template(text, SourceSpan("t.yaml", 3, 7), diags)
    assert diags and diags[0].span.line == 3 and diags[0].span.col == col
