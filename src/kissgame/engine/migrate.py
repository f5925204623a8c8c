"""Fitting a state to a story: a save from another version, a live-reloaded edit, or a
state someone edited by hand. The one place that decides what a state may hold.

``fit_state`` either returns a state every part of which the story can use, with a
note for each thing it repaired, or raises ``StateUnfit`` with the reason it cannot.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from .diagnostics import StoryRuntimeError
from .expr import NUMBER, Value, over_limit, value_type
from .model import Story
from .runtime import MAX_CALL_DEPTH, Diverged, InvalidChoice, replay
from .state import GameState, OnceKey


class StateUnfit(ValueError):
    """The state cannot be used with this story; the message says why, for a player."""


class Fit(StrEnum):
    SAME = "same"
    """The state is exactly what its path replays to: nothing was changed."""
    REPLAYED = "replayed"
    """The state was rebuilt by replaying its path on this story."""
    KEPT = "kept"
    """The scene and values were kept, repaired where they did not fit."""


@dataclass(frozen=True)
class Fitted:
    state: GameState
    how: Fit
    notes: tuple[str, ...] = ()
    dropped: tuple[str, ...] = ()
    """Variables the story no longer declares."""
    added: tuple[str, ...] = ()
    """Variables given their initial value: new in the story, or of a wrong type."""


def replayed(story: Story, state: GameState) -> GameState | None:
    """Where the state's seed and path lead in ``story``, or None if they do not replay."""
    try:
        return replay(story, state.seed, state.path)[-1]
    except (Diverged, InvalidChoice, KeyError, StoryRuntimeError):
        return None


def fit_state(story: Story, state: GameState, *, replay_path: bool = True) -> Fitted:
    """``state`` made usable with ``story``.

    Live reload passes ``replay_path=False`` when the state is not where its path leads
    in the story it came from (someone edited it in the debug overlay), so the edit is
    kept. With ``replay_path``, a path that still replays to the same scene rebuilds the
    state (so every effect along the way follows this version of the story). Otherwise,
    or when it does not, the scene is kept and the values are fitted: numbers clamped to
    their bounds, values of the wrong type or beyond the limits reset, new variables
    added, unknown ones dropped, and visits and once-only marks of vanished scenes and
    choices forgotten. Raises StateUnfit when the scene itself is gone.
    """
    if state.scene not in story.scenes:
        raise StateUnfit(f"the scene '{state.scene}' is not in this version of the story")
    notes: list[str] = []
    if replay_path:
        again = replayed(story, state)
        if again == state:
            return Fitted(state, Fit.SAME)
        if again is not None and again.scene == state.scene:
            return Fitted(again, Fit.REPLAYED, (
                f"Your {len(state.path)} choices were replayed on this version of the story.",))
        notes.append("Your choices no longer lead here, so you stay where you were; "
                     "rewinding past this point may not be possible.")
    return fit_values(story, state, notes)


def fit_values(story: Story, state: GameState, notes: list[str] | None = None) -> Fitted:
    """The state's values fitted to ``story``, its scene kept whether or not it exists."""
    notes = list(notes or ())
    vars: dict[str, Value] = {}
    added, reset, clamped = [], [], []
    for name, decl in story.vars.items():
        if name not in state.vars:
            added.append(name)
            vars[name] = decl.initial
            continue
        value = state.vars[name]
        if value_type(value) != decl.type or over_limit(value):
            reset.append(name)
            vars[name] = decl.initial
            continue
        if decl.type == NUMBER and decl.bounds is not None:
            number = float(value)
            low, high = decl.bounds.low, decl.bounds.high
            if (low is not None and number < low) or (high is not None and number > high):
                bound = low if low is not None and number < low else high
                clamped.append(name)
                assert bound is not None
                value = int(bound) if isinstance(value, int) else float(bound)
        vars[name] = value
    dropped = sorted(set(state.vars) - set(story.vars))
    visits = {s: n for s, n in state.visits.items() if s in story.scenes and n > 0}
    if any(n < 0 for n in state.visits.values()):
        notes.append("Negative visit counts were removed.")
    once = frozenset(key for key in state.once if _still_once(story, key))
    turn = state.turn
    if turn < 0:
        turn = len(state.path)
        notes.append(f"The turn count was negative; it is now {turn}.")
    if added:
        notes.append(f"New variables start at their initial values: {', '.join(added)}.")
    if reset:
        notes.append(f"Variables holding a value they cannot hold were reset: "
                     f"{', '.join(reset)}.")
    if clamped:
        notes.append(f"Variables outside their min/max were brought within them: "
                     f"{', '.join(clamped)}.")
    if dropped:
        notes.append(f"Variables no longer in the story were dropped: {', '.join(dropped)}.")
    if len(once) < len(state.once):
        notes.append("Once-only choices that no longer exist were forgotten.")
    calls = tuple(scene for scene in state.calls if scene in story.scenes)
    if len(calls) < len(state.calls):
        notes.append("Pending calls that came back to scenes no longer in the story were "
                     "forgotten.")
    if len(calls) > MAX_CALL_DEPTH:
        calls = calls[-MAX_CALL_DEPTH:]
        notes.append(f"Only the innermost {MAX_CALL_DEPTH} pending calls were kept.")
    fitted = GameState(state.scene, vars, visits, once, state.seed, turn, state.path,
                       calls=calls)
    return Fitted(fitted, Fit.KEPT, tuple(notes), tuple(dropped), tuple(added + reset))


def _still_once(story: Story, key: OnceKey) -> bool:
    scene = story.scenes.get(key.scene)
    choice = scene.choice(key.choice) if scene is not None else None
    return choice is not None and choice.once
