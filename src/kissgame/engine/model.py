"""The compiled story: immutable values that remember where in the YAML they came from."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from .diagnostics import SourceSpan
from .expr import Assign, Bounds, Expr, Value
from .ir import ValueType
from .text import Template

COMPILED_FORMAT = 4
"""The shape of a compiled Story; caches of another shape are not used. 2: typed IR
nodes, dice sites by place in the scene. 3: guarded (conditional) effects, choice replies
and fallbacks. 4: calls and returns."""

RETURN = "(return)"
"""The target of a return choice, which the call stack decides while playing (never a
scene id: ids hold no parentheses)."""


@dataclass(frozen=True, slots=True)
class VarDecl:
    name: str
    initial: Value
    type: ValueType
    bounds: Bounds | None
    span: SourceSpan


@dataclass(frozen=True, slots=True)
class Narration:
    text: Template
    span: SourceSpan


@dataclass(frozen=True, slots=True)
class Dialogue:
    speaker: str
    text: Template
    span: SourceSpan


@dataclass(frozen=True, slots=True)
class ConditionalBlock:
    condition: Expr
    then: tuple[Block, ...]
    otherwise: tuple[Block, ...]
    span: SourceSpan


Block = Narration | Dialogue | ConditionalBlock


@dataclass(frozen=True, slots=True)
class Choice:
    id: str
    label: Template
    target: str
    span: SourceSpan
    condition: Expr | None = None
    locked_reason: str | None = None
    effects: tuple[Assign, ...] = ()
    once: bool = False
    tags: tuple[str, ...] = ()
    reply: tuple[Block, ...] = ()
    """Text shown after the choice is taken, above the target scene's own."""
    fallback: bool = False
    """Offered only when no other choice of the scene is available."""
    then: str | None = None
    """Set for a call: ``target`` is the scene called, and ``then`` the scene the call
    comes back to when a return choice is taken."""
    returns: bool = False
    """A return choice: goes to the ``then`` of the innermost pending call (its
    ``target`` is RETURN)."""


@dataclass(frozen=True, slots=True)
class Scene:
    id: str
    span: SourceSpan
    title: str = ""
    episode: str = ""
    text: tuple[Block, ...] = ()
    on_enter: tuple[Assign, ...] = ()
    choices: tuple[Choice, ...] = ()
    ending: str | None = None
    tags: tuple[str, ...] = ()
    assume: tuple[Expr, ...] = ()
    """Conditions the scene's prose takes for granted; explore proves them."""

    @property
    def has_fallback(self) -> bool:
        return any(choice.fallback for choice in self.choices)

    def choice(self, choice_id: str) -> Choice | None:
        for choice in self.choices:
            if choice.id == choice_id:
                return choice
        return None


@dataclass(frozen=True, slots=True)
class Character:
    id: str
    name: str
    color: str = ""


@dataclass(frozen=True, slots=True)
class Episode:
    id: str
    title: str


@dataclass(frozen=True, slots=True)
class Meter:
    """A notebook entry: a ship, a meter or a clue, shown from one variable."""

    id: str
    label: str
    var: str
    max: float = 10
    span: SourceSpan = SourceSpan("")


@dataclass(frozen=True, slots=True)
class Ending:
    id: str
    title: str
    turns_on: str
    hint: str
    span: SourceSpan


@dataclass(frozen=True)
class Story:
    id: str
    title: str
    start: str
    root: str
    span: SourceSpan
    scenes: Mapping[str, Scene]
    vars: dict[str, VarDecl]
    characters: dict[str, Character] = field(default_factory=dict)
    episodes: dict[str, Episode] = field(default_factory=dict)
    ships: tuple[Meter, ...] = ()
    meters: tuple[Meter, ...] = ()
    clues: tuple[Meter, ...] = ()
    endings: dict[str, Ending] = field(default_factory=dict)
    author: str = ""
    description: str = ""
    tags: tuple[str, ...] = ()
    fingerprint: str = ""
    files: tuple[str, ...] = ()
    used_vars: frozenset[str] = frozenset()

    def initial_vars(self) -> dict[str, Value]:
        return {name: decl.initial for name, decl in self.vars.items()}

    def episode_title(self, scene: Scene) -> str:
        episode = self.episodes.get(scene.episode)
        return episode.title if episode else scene.episode
