"""GameState: everything a save holds, as a plain value that round-trips through JSON."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import Any, NamedTuple

from .expr import Value


class StateFormatError(ValueError):
    """A serialised state is not shaped like one."""


class OnceKey(NamedTuple):
    """Marks a once-only choice as taken: the scene and the choice's id."""

    scene: str
    choice: str

    def __str__(self) -> str:
        return f"{self.scene}/{self.choice}"

    @classmethod
    def parse(cls, text: str) -> OnceKey:
        """From the saved form ``scene/choice`` (scene ids never hold a '/')."""
        scene, sep, choice = text.partition("/")
        if not sep or not scene or not choice:
            raise StateFormatError(f"'{text}' is not a once-only mark (scene/choice)")
        return cls(scene, choice)


@dataclass(frozen=True, slots=True)
class GameState:
    """Where the player is. Never mutated: ``choose`` returns a new one.

    ``path`` is the ids of every choice taken since the start, so the state at any
    earlier decision can be rebuilt by replaying a prefix of it.
    """

    scene: str
    vars: Mapping[str, Value]
    visits: Mapping[str, int]
    once: frozenset[OnceKey]
    seed: int
    turn: int
    path: tuple[str, ...]
    reply: OnceKey | None = None
    """The choice (scene and id) whose reply shows above this scene's text, if any."""
    passed: tuple[OnceKey, ...] = ()
    """The fallback choices taken by themselves on the way here since the player's last
    choice, in order: their scenes' text and replies show above this scene's."""
    calls: tuple[str, ...] = ()
    """The call stack: for each pending call, the scene it comes back to (innermost last)."""

    def to_dict(self) -> dict[str, Any]:
        extra: dict[str, Any] = {"reply": str(self.reply)} if self.reply is not None else {}
        if self.passed:
            extra["passed"] = [str(key) for key in self.passed]
        if self.calls:
            extra["calls"] = list(self.calls)
        return extra | {
            "scene": self.scene,
            "vars": dict(self.vars),
            "visits": dict(self.visits),
            "once": sorted(str(key) for key in self.once),
            "seed": self.seed,
            "turn": self.turn,
            "path": list(self.path),
        }

    @classmethod
    def from_dict(cls, data: Any) -> GameState:
        if not isinstance(data, dict):
            raise StateFormatError("a state must be a JSON object")
        try:
            scene, vars, visits = data["scene"], data["vars"], data["visits"]
            once, seed, turn, path = data["once"], data["seed"], data["turn"], data["path"]
        except KeyError as exc:
            raise StateFormatError(f"the state has no '{exc.args[0]}'") from None
        checks = [
            (isinstance(scene, str), "scene must be a string"),
            (isinstance(vars, dict) and all(
                isinstance(v, bool | int | float | str) for v in vars.values()),
             "vars must map names to numbers, booleans or strings"),
            (isinstance(visits, dict) and all(
                isinstance(v, int) and not isinstance(v, bool) for v in visits.values()),
             "visits must map scene ids to whole numbers"),
            (isinstance(once, list) and all(isinstance(x, str) for x in once),
             "once must be a list of strings"),
            (isinstance(seed, int) and not isinstance(seed, bool), "seed must be a whole number"),
            (isinstance(turn, int) and not isinstance(turn, bool), "turn must be a whole number"),
            (isinstance(path, list) and all(isinstance(x, str) for x in path),
             "path must be a list of choice ids"),
        ]
        for ok, message in checks:
            if not ok:
                raise StateFormatError(message)
        marks = frozenset(OnceKey.parse(key) for key in once)
        reply = data.get("reply")
        if reply is not None and not isinstance(reply, str):
            raise StateFormatError("reply must be a string (scene/choice)")
        passed = data.get("passed", [])
        if not (isinstance(passed, list) and all(isinstance(x, str) for x in passed)):
            raise StateFormatError("passed must be a list of strings (scene/choice)")
        calls = data.get("calls", [])
        if not isinstance(calls, list) or not all(isinstance(x, str) for x in calls):
            raise StateFormatError("calls must be a list of scene ids")
        return cls(scene, dict(vars), dict(visits), marks, seed, turn, tuple(path),
                   OnceKey.parse(reply) if reply is not None else None,
                   tuple(OnceKey.parse(key) for key in passed), tuple(calls))


_FIELDS = tuple(f.name for f in fields(GameState))
if _FIELDS != ("scene", "vars", "visits", "once", "seed", "turn", "path", "reply", "passed",
               "calls"):  # successor and compiled.py's steps fill every field by name
    raise RuntimeError(f"GameState's fields changed: {_FIELDS}; update state.successor")
StateDraft = type("StateDraft", (), {"__slots__": _FIELDS})
"""GameState's layout without its frozen guard (a frozen ``__init__`` makes a setattr call
per field, most of the cost of a choice): ``successor`` fills one, then makes it a
GameState (Python allows ``__class__`` assignment between classes of identical slots)."""


def successor(state: GameState, scene: str, vars: Mapping[str, Value], visits: Mapping[str, int],
              once: frozenset[OnceKey], turn: int, path: tuple[str, ...],
              reply: OnceKey | None, passed: tuple[OnceKey, ...] = ()) -> GameState:
    """``dataclasses.replace(state, scene=scene, vars=vars, ...)``, the same frozen value,
    for the per-choice hot path; the fields not named (the seed, the calls) are kept."""
    new: Any = StateDraft()
    new.scene = scene
    new.vars = vars
    new.visits = visits
    new.once = once
    new.seed = state.seed
    new.turn = turn
    new.path = path
    new.reply = reply
    new.passed = passed
    new.calls = state.calls
    new.__class__ = GameState
    done: GameState = new
    return done
