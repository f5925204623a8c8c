"""The parse memo is bounded: a language server that reparses on every keystroke
must not keep every text it was ever shown, and starting the memo again changes no
result (dice calls still roll by their own place)."""

from __future__ import annotations

import pytest

from kissgame.engine import expr


@pytest.fixture
def small_memo(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(expr, "MEMO_LIMIT", 8)
    monkeypatch.setattr(expr, "_MEMO", {})
    monkeypatch.setattr(expr, "_ROLLS_DICE", set())


def test_memo_never_grows_past_its_limit(small_memo: None) -> None:
    for n in range(100):
        expr.parse_expression_ir(f"score + {n} > 3")
        expr.parse_effects_ir(f"score += {n}")
        assert len(expr._MEMO) <= 8


def test_results_are_the_same_after_the_memo_starts_again(small_memo: None) -> None:
    first = expr.parse_expression_ir("trust >= 2 and not flag.caught")
    for n in range(20):
        expr.parse_expression_ir(f"x == {n}")
    assert expr.parse_expression_ir("trust >= 2 and not flag.caught") == first


def test_dice_keep_their_place_across_a_restart(small_memo: None) -> None:
    here = expr.parse_expression_ir("random(1, 6)", "a/text/0#0")
    there = expr.parse_expression_ir("random(1, 6)", "b/text/0#0")
    assert here != there
    for n in range(20):
        expr.parse_expression_ir(f"y == {n}")
    assert expr.parse_expression_ir("random(1, 6)", "a/text/0#0") == here
    assert expr.parse_expression_ir("random(1, 6)", "b/text/0#0") != here
