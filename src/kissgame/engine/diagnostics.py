"""Located findings about a story, and the one error type the engine raises."""

from __future__ import annotations

import os
from dataclasses import dataclass


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


ERROR = "error"
WARNING = "warning"


@dataclass(frozen=True, slots=True)
class Diagnostic:
    code: str
    severity: str
    message: str
    span: SourceSpan

    def format(self) -> str:
        return f"{self.span}: {self.severity}: {self.message} [{self.code}]"

    def to_dict(self) -> dict[str, object]:
        return {
            "code": self.code,
            "severity": self.severity,
            "message": self.message,
            "file": display_path(self.span.file),
            "line": self.span.line,
            "col": self.span.col,
        }


def has_errors(diagnostics: list[Diagnostic]) -> bool:
    return any(d.severity == ERROR for d in diagnostics)


class StoryError(Exception):
    """A story could not be loaded or run. Carries every finding that explains why."""

    def __init__(self, diagnostics: list[Diagnostic]):
        self.diagnostics = diagnostics
        super().__init__("\n".join(d.format() for d in diagnostics))


class StoryRuntimeError(StoryError):
    """Evaluating story text failed while playing (division by zero, a bad value)."""

    def __init__(self, message: str, span: SourceSpan, code: str = "KG120"):
        super().__init__([Diagnostic(code, ERROR, message, span)])
