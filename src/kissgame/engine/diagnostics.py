"""Located findings about a story, the one registry of their codes, and the errors the
engine raises.

Every finding kissgame reports has a descriptor in ``REGISTRY``: its code, severity,
phase, message template and the section of docs/checks.md that explains it. Code
elsewhere names descriptors (``UNKNOWN_TARGET.at(span, ...)``), never a code string.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from enum import StrEnum


@dataclass(frozen=True, slots=True)
class SourceSpan:
    """A place in a story file. Line and column are 1-based, as people count."""

    file: str
    line: int = 1
    col: int = 1

    def __str__(self) -> str:
        return f"{display_path(self.file)}:{self.line}:{self.col}"


def display_path(path: str) -> str:
    """The path relative to the working directory when that is shorter."""
    try:
        rel = os.path.relpath(path)
    except ValueError:
        return path
    return path if rel.startswith("..") else rel


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"


class Phase(StrEnum):
    """When a finding is made: reading files, linting, exploring, or playing."""

    LOAD = "load"
    CHECK = "check"
    EXPLORE = "explore"
    RUN = "run"


ERROR = Severity.ERROR
WARNING = Severity.WARNING


@dataclass(frozen=True, slots=True)
class Diagnostic:
    code: str
    severity: Severity
    message: str
    span: SourceSpan

    def format(self) -> str:
        return f"{self.span}: {self.severity}: {self.message} [{self.code}]"

    @property
    def descriptor(self) -> Descriptor | None:
        return REGISTRY.get(self.code)

    def to_dict(self) -> dict[str, object]:
        descriptor = self.descriptor
        return {
            "code": self.code,
            "severity": str(self.severity),
            "message": self.message,
            "file": display_path(self.span.file),
            "line": self.span.line,
            "col": self.span.col,
            "docs": descriptor.anchor if descriptor else "",
        }


@dataclass(frozen=True, slots=True)
class Descriptor:
    """What one code means. ``template`` is filled with the keywords given to ``at``."""

    code: str
    severity: Severity
    phase: Phase
    name: str
    template: str = "{detail}"

    @property
    def anchor(self) -> str:
        return f"docs/checks.md#{self.code.lower()}"

    def message(self, **fields: object) -> str:
        return self.template.format(**fields)

    def at(self, span: SourceSpan, detail: object = "", **fields: object) -> Diagnostic:
        return Diagnostic(self.code, self.severity, self.message(detail=detail, **fields), span)


_ALL: list[Descriptor] = []


def _code(code: str, severity: Severity, phase: Phase, name: str,
          template: str = "{detail}") -> Descriptor:
    descriptor = Descriptor(code, severity, phase, name, template)
    _ALL.append(descriptor)
    return descriptor


E, W = Severity.ERROR, Severity.WARNING
LOAD, CHECK, EXPLORE, RUN = Phase.LOAD, Phase.CHECK, Phase.EXPLORE, Phase.RUN

# ---- loading (KG0xx): the files cannot become a story
YAML_SYNTAX = _code("KG001", E, LOAD, "yaml-syntax")
WRONG_SHAPE = _code("KG002", E, LOAD, "wrong-shape")
UNKNOWN_FIELD = _code("KG003", E, LOAD, "unknown-field")
MISSING_FIELD = _code("KG004", E, LOAD, "missing-field")
UNSAFE_YAML = _code("KG005", E, LOAD, "unsafe-yaml")
DUPLICATE_KEY = _code("KG006", E, LOAD, "duplicate-key")
FILE_TOO_LARGE = _code("KG007", E, LOAD, "file-too-large")
NO_MANIFEST = _code("KG008", E, LOAD, "no-manifest")
STORY_FORMAT = _code("KG009", E, LOAD, "format-version")
BAD_EXPRESSION = _code("KG010", E, LOAD, "bad-expression")
UNKNOWN_SPEAKER = _code("KG011", E, LOAD, "unknown-speaker")
BRACE_PROBLEM = _code("KG012", E, LOAD, "brace-problem")
BAD_VAR_NAME = _code("KG013", E, LOAD, "bad-variable-name")
BAD_SCENE_ID = _code("KG014", E, LOAD, "bad-scene-id")
OVER_LIMIT = _code("KG015", E, LOAD, "over-limit")
CONTROL_CHARACTER = _code("KG016", W, LOAD, "control-character")
BAD_NUMBER = _code("KG017", E, LOAD, "bad-number")
BAD_ID = _code("KG018", E, LOAD, "bad-id")

# ---- checking (KG1xx): the story loads but something in it is wrong
DUPLICATE_SCENE = _code("KG101", E, CHECK, "duplicate-scene")
UNKNOWN_TARGET = _code("KG102", E, CHECK, "unknown-target")
UNREACHABLE_SCENE = _code("KG103", W, CHECK, "unreachable-scene")
UNKNOWN_VARIABLE = _code("KG104", E, CHECK, "unknown-variable")
DEAD_END_SCENE = _code("KG105", E, CHECK, "dead-end-scene")
UNUSED_VARIABLE = _code("KG106", W, CHECK, "unused-variable")
UNUSED_ENDING = _code("KG107", W, CHECK, "unused-ending")
ALWAYS_FALSE = _code("KG108", W, CHECK, "always-false")
TYPE_MISMATCH = _code("KG109", E, CHECK, "type-mismatch")
ASSIGN_UNDECLARED = _code("KG110", E, CHECK, "assign-undeclared")
DUPLICATE_CHOICE = _code("KG111", E, CHECK, "duplicate-choice")
VISITS_UNKNOWN_SCENE = _code("KG112", E, CHECK, "visits-unknown-scene")
UNDECLARED_ENDING = _code("KG113", E, CHECK, "undeclared-ending")
ENDING_WITH_CHOICES = _code("KG114", E, CHECK, "ending-with-choices")
WRONG_ARITY = _code("KG115", E, CHECK, "wrong-arity")
MISSING_START = _code("KG116", E, CHECK, "missing-start")
DUPLICATE_VAR = _code("KG117", E, CHECK, "duplicate-variable")
UNKNOWN_EPISODE = _code("KG118", E, CHECK, "unknown-episode")
FALLBACK_LOOP = _code("KG120", W, CHECK, "fallback-loop")
DIVISOR_MAY_BE_ZERO = _code("KG119", W, CHECK, "divisor-may-be-zero",
                            "'{source}' divides by '{divisor}', which can be 0 {why}")
RETURN_OUTSIDE_CALL = _code("KG121", E, CHECK, "return-outside-call")
CALL_NEVER_RETURNS = _code("KG122", W, CHECK, "call-never-returns")
RECURSIVE_CALL = _code("KG123", W, CHECK, "recursive-call")

# ---- exploring (KG2xx): found by playing every reachable state
ENDING_UNREACHABLE = _code("KG201", E, EXPLORE, "ending-unreachable")
DEAD_END_STATE = _code("KG202", E, EXPLORE, "dead-end-state")
SCENE_NEVER_REACHED = _code("KG203", W, EXPLORE, "scene-never-reached")
CHOICE_NEVER_AVAILABLE = _code("KG204", W, EXPLORE, "choice-never-available")
ASSUMPTION_FALSE = _code("KG205", E, EXPLORE, "assumption-false")
TEXT_NEVER_SHOWN = _code("KG206", W, EXPLORE, "text-never-shown")

# ---- playing (KG3xx): raised as StoryRuntimeError while the story runs
DIVISION_BY_ZERO = _code("KG301", E, RUN, "division-by-zero",
                         "'{source}' divides by zero ('{divisor}' is 0 here)")
NUMBER_TOO_LARGE = _code("KG302", E, RUN, "number-too-large",
                         "'{source}' makes a number beyond ±2**53 ({detail})")
WRONG_TYPE = _code("KG303", E, RUN, "wrong-type", "'{source}': {detail}")
MISSING_VARIABLE = _code("KG304", E, RUN, "missing-variable",
                         "'{source}' reads '{name}', which this game's state does not have")
TEXT_TOO_LONG = _code("KG305", E, RUN, "text-too-long",
                      "'{source}' makes text longer than {limit} characters")
FALLBACKS_WITHOUT_END = _code("KG306", E, RUN, "fallbacks-without-end",
                              "{limit} fallback choices were taken in a row without a choice "
                              "for the player: {detail}")
CALL_TOO_DEEP = _code("KG307", E, RUN, "call-too-deep")
RETURN_WITHOUT_CALL = _code("KG308", E, RUN, "return-without-call")

REGISTRY: dict[str, Descriptor] = {d.code: d for d in _ALL}
assert len(REGISTRY) == len(_ALL), "two descriptors share a code"


def has_errors(diagnostics: list[Diagnostic]) -> bool:
    return any(d.severity == ERROR for d in diagnostics)


def is_load_error(diagnostic: Diagnostic) -> bool:
    """An error that stops the files from becoming a story at all."""
    descriptor = diagnostic.descriptor
    return diagnostic.severity == ERROR and descriptor is not None and \
        descriptor.phase == Phase.LOAD


class StoryError(Exception):
    """A story could not be loaded or run. Carries every finding that explains why."""

    def __init__(self, diagnostics: list[Diagnostic]):
        self.diagnostics = diagnostics
        super().__init__("\n".join(d.format() for d in diagnostics))


class StoryRuntimeError(StoryError):
    """Playing the story failed at one place (division by zero, a value out of range).

    ``diagnostic`` says where (file:line:col), with a KG3xx code and a message for the
    writer. Every caller that plays a story catches this one type.
    """

    def __init__(self, diagnostic: Diagnostic):
        self.diagnostic = diagnostic
        super().__init__([diagnostic])
