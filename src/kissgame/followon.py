"""Findings that only follow from a file that failed to parse, and are dropped.

When a scene file cannot be read, its scenes, variables and episodes vanish with it,
and every reference to them elsewhere looks broken. Those "unknown scene" findings
would bury the one real error, so a reference finding is dropped when the name it
reports is written in a file that failed to parse.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from .engine.diagnostics import (
    ASSIGN_UNDECLARED,
    MISSING_START,
    UNKNOWN_EPISODE,
    UNKNOWN_TARGET,
    UNKNOWN_VARIABLE,
    VISITS_UNKNOWN_SCENE,
    Diagnostic,
)

_REFERENCES = {d.code for d in (UNKNOWN_TARGET, VISITS_UNKNOWN_SCENE, MISSING_START,
                                UNKNOWN_VARIABLE, ASSIGN_UNDECLARED, UNKNOWN_EPISODE)}
_NAME = re.compile(r"[A-Za-z_][\w.]*")
_QUOTED = re.compile(r"'([^']*)'")


def _reported_name(message: str) -> str | None:
    """The name a reference finding reports: the last quoted one before any hint."""
    names = _QUOTED.findall(message.split(" (did you mean")[0])
    return names[-1] if names else None


def drop_follow_ons(found: Iterable[Diagnostic], lost_texts: list[str]) -> list[Diagnostic]:
    """``found`` without the reference findings whose name a lost file mentions."""
    found = list(found)
    if not lost_texts:
        return found
    words = set(_NAME.findall("\n".join(lost_texts)))
    return [d for d in found
            if d.code not in _REFERENCES or _reported_name(d.message) not in words]
