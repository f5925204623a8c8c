"""Author tools on plain values: edit a variable, jump to a scene, see what a condition
hid, and carry the player's place across a reload of an edited story.

Pure functions of (Story, GameState): no Textual, no file I/O. The debug overlay and
live reload (``kissgame.tui``) only call these and hand the result to the App.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from .engine import Diagnostic, GameState, Story, StoryRuntimeError, current
from .engine.expr import BOOL, NUMBER, STRING, Value, value_type
from .engine.migrate import Fit, fit_state, fit_values, replayed
from .engine.model import VarDecl
from .engine.runtime import ChoiceStatus, choice_status, context, enter_scene
from .engine.text import render


class EditError(ValueError):
    """A debug edit that does not fit the story (unknown name, wrong type, out of bounds)."""


# ---- variables ---------------------------------------------------------------------

def describe_var(decl: VarDecl) -> str:
    """What a variable accepts, for people: ``number 0..10``, ``true/false``, ``text``."""
    if decl.type == BOOL:
        return "true/false"
    if decl.type == STRING:
        return "text"
    if decl.bounds is None or (decl.bounds.low is None and decl.bounds.high is None):
        return "number"
    low = "" if decl.bounds.low is None else _number_text(decl.bounds.low)
    high = "" if decl.bounds.high is None else _number_text(decl.bounds.high)
    return f"number {low}..{high}"


def _number_text(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)


def format_value(value: Value) -> str:
    """A value as the story language writes it (``true``, ``3``, ``"text"``)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return f'"{value}"'
    return str(value)


def parse_value(decl: VarDecl, text: str) -> Value:
    """Read ``text`` as a value for ``decl``; raises EditError when it does not fit."""
    raw = text.strip()
    if decl.type == STRING:
        if len(raw) >= 2 and raw[0] == raw[-1] and raw[0] in "'\"":
            raw = raw[1:-1]
        return raw
    if decl.type == BOOL:
        lowered = raw.lower()
        if lowered in ("true", "false"):
            return lowered == "true"
        raise EditError(f"'{decl.name}' is true or false, not '{raw}'")
    try:
        number: int | float = int(raw)
    except ValueError:
        try:
            number = float(raw)
        except ValueError:
            raise EditError(f"'{decl.name}' is a number, not '{raw}'") from None
        if number != number or number in (float("inf"), float("-inf")):
            raise EditError(f"'{decl.name}' must be a finite number") from None
    _check_bounds(decl, number)
    return number


def _check_bounds(decl: VarDecl, value: float) -> None:
    bounds = decl.bounds
    if bounds is None:
        return
    if (bounds.low is not None and value < bounds.low) or (
            bounds.high is not None and value > bounds.high):
        raise EditError(f"'{decl.name}' must be within {describe_var(decl)[len('number '):]}, "
                        f"not {_number_text(value)}")


def with_variable(story: Story, state: GameState, name: str, value: Value) -> GameState:
    """A new state with one variable changed, checked against its declaration."""
    decl = story.vars.get(name)
    if decl is None:
        raise EditError(f"the story declares no variable '{name}'")
    if value_type(value) != decl.type:
        raise EditError(f"'{name}' is {describe_var(decl)}, not {format_value(value)}")
    if decl.type == NUMBER:
        _check_bounds(decl, value)  # type: ignore[arg-type]
    return dataclasses.replace(state, vars={**state.vars, name: value})


def set_variable(story: Story, state: GameState, name: str, text: str) -> GameState:
    """``with_variable`` for a value typed as text."""
    decl = story.vars.get(name)
    if decl is None:
        raise EditError(f"the story declares no variable '{name}'")
    return with_variable(story, state, name, parse_value(decl, text))


# ---- jumping ---------------------------------------------------------------------------

def match_scene(story: Story, text: str) -> str:
    """The scene id ``text`` names: exactly, or as the prefix of just one id."""
    wanted = text.strip()
    if wanted in story.scenes:
        return wanted
    if not wanted:
        raise EditError("type a scene id")
    matches = sorted(scene_id for scene_id in story.scenes if scene_id.startswith(wanted))
    if len(matches) == 1:
        return matches[0]
    if not matches:
        raise EditError(f"no scene '{wanted}'")
    shown = ", ".join(matches[:5]) + (", ..." if len(matches) > 5 else "")
    raise EditError(f"'{wanted}' could be {shown}")


def jump_to(story: Story, state: GameState, scene_id: str) -> GameState:
    """A new state in ``scene_id``, entered as a choice would enter it (its visit is
    counted and its entry effects apply) but without taking a choice: the path, turn
    and everything else stay as they were."""
    scene = story.scenes.get(scene_id)
    if scene is None:
        raise EditError(f"no scene '{scene_id}'")
    vars, visits = dict(state.vars), dict(state.visits)
    enter_scene(story, scene, vars, visits, state.seed, state.turn)
    return dataclasses.replace(state, scene=scene_id, vars=vars, visits=visits)


# ---- what the conditions hid -------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class HiddenChoice:
    """A choice of the current scene that the player cannot take now, and why."""

    id: str
    label: str
    target: str
    reason: str
    """The condition's source (``ship.dae_kitty >= 7``), or why else it is hidden."""
    location: str
    locked: bool = False
    """True when it is still shown, greyed out with its ``locked`` text."""
    waiting: bool = False
    """A fallback choice waiting while another choice is available: ``reason`` says so."""


def hidden_choices(story: Story, state: GameState) -> list[HiddenChoice]:
    """The choices of the current scene that are hidden (or locked) in ``state``."""
    scene = story.scenes[state.scene]
    if scene.ending:
        return []
    ctx = context(state)
    out = []
    for choice in scene.choices:
        try:
            label = render(choice.label, ctx)
        except StoryRuntimeError:
            label = choice.id
        where = str(choice.span)
        try:
            status = choice_status(state, choice, ctx, scene)
        except StoryRuntimeError as exc:
            source = choice.condition.source if choice.condition else choice.id
            out.append(HiddenChoice(choice.id, label, choice.target,
                                    f"{source} (error: {exc})", where))
            continue
        if status is ChoiceStatus.TAKEN:
            out.append(HiddenChoice(choice.id, label, choice.target,
                                    "once: already taken", where))
        elif status is ChoiceStatus.WAITING:
            out.append(HiddenChoice(choice.id, label, choice.target,
                                    "fallback: taken by itself once no other choice is left",
                                    where, waiting=True))
        elif status is not ChoiceStatus.AVAILABLE and choice.condition is not None:
            out.append(HiddenChoice(choice.id, label, choice.target, choice.condition.source,
                                    str(choice.condition.span),
                                    locked=status is ChoiceStatus.LOCKED))
    return out


# ---- live reload: keeping the player's place ----------------------------------------------

REPLAYED, KEPT, GONE, BROKEN = "replayed", "kept", "gone", "broken"


@dataclass(frozen=True)
class Carried:
    """Where the player stands in an edited story (``state`` is None when nowhere)."""

    state: GameState | None
    how: str
    """REPLAYED: the path replays on the new story to the same scene; KEPT: the scene
    and variables are carried over as they were; GONE: the scene no longer exists;
    BROKEN: the scene fails to render in the new story (see ``diagnostics``)."""
    message: str
    dropped: tuple[str, ...] = ()
    added: tuple[str, ...] = ()
    diagnostics: tuple[Diagnostic, ...] = ()


def keep_place(story: Story, state: GameState) -> tuple[GameState, tuple[str, ...],
                                                         tuple[str, ...]]:
    """``state`` fitted to ``story``: variables it no longer declares dropped, new ones
    (or ones whose type changed) at their initial value, numbers kept within their
    bounds, visits and once-only marks of vanished scenes forgotten.

    Returns (state, dropped names, added names)."""
    fitted = fit_values(story, state)
    return fitted.state, fitted.dropped, fitted.added


def carry_over(old: Story, new: Story, state: GameState) -> Carried:
    """The player's place in ``new``, an edited version of ``old``.

    When ``state`` is where its path leads in ``old`` and the path still leads to the
    same scene in ``new``, the state is rebuilt by replay (so edited effects along the
    way count). Otherwise (the path no longer fits, or the state was edited in the
    debug overlay) the scene and variables are kept as they are, fitted to ``new``.
    """
    if state.scene not in new.scenes:
        return Carried(None, GONE, f"scene '{state.scene}', where you are, is no longer in "
                                   "the story; still playing the last good version")
    fitted = fit_state(new, state, replay_path=replayed(old, state) == state)
    if fitted.how is not Fit.KEPT:
        carried = Carried(fitted.state, REPLAYED, f"replayed {len(state.path)} choice(s) "
                                                  f"to '{state.scene}'")
    else:
        notes = [f"kept your place in '{state.scene}'"]
        if fitted.dropped:
            notes.append("dropped " + ", ".join(fitted.dropped))
        if fitted.added:
            notes.append("new " + ", ".join(fitted.added))
        carried = Carried(fitted.state, KEPT, "; ".join(notes), fitted.dropped, fitted.added)
    try:
        current(new, fitted.state)
    except StoryRuntimeError as exc:
        return Carried(None, BROKEN, f"scene '{state.scene}' fails in the edited story",
                       diagnostics=tuple(exc.diagnostics))
    return carried
