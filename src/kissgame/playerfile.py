"""Reading the player's own files (saves, settings, branch memory) defensively.

Anyone with the account can edit these files, and a crash while reading one would stop
the title screen, a slot list or the gallery from opening. So a player file is read
within fixed bounds, before any value reaches the game:

- at most ``max_bytes`` bytes (checked before reading), UTF-8 JSON text;
- nested at most ``MAX_DEPTH`` deep (deeper text stops ``json`` with RecursionError,
  which is caught, and the parsed value is measured without recursion);
- whole numbers of at most ``MAX_DIGITS`` digits (no 4,300-digit ValueError, no
  integer too large to become a float), and only finite floats (no NaN, no Infinity);
- text is made printable (no terminal control characters).

Anything else raises :class:`PlayerFileError` with a reason fit to show a player. The
helpers below check the types and ranges of single fields for the modules that own
each format.
"""

from __future__ import annotations

import json
import math
import stat
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from .printable import printable

MAX_DEPTH = 32
MAX_DIGITS = 18
MAX_TEXT = 10_000
"""Characters in one text field (a scene title, a remembered choice label)."""
MAX_CHOICES = 10_000
"""Choices in one saved path: far beyond any playthrough, small enough to replay at once."""
MAX_TIMESTAMP = 32_503_680_000.0
"""1 January 3000, in seconds since 1970: later times cannot be a real save's."""
MAX_PLAY_SECONDS = 100 * 365 * 24 * 3600.0



class PlayerFileError(ValueError):
    """A player file cannot be used; the message says why, in a player's words."""


def _depth(value: Any) -> int:
    """How deeply a decoded value nests, measured without recursion."""
    deepest, stack = 0, [(value, 0)]
    while stack:
        item, depth = stack.pop()
        deepest = max(deepest, depth)
        if isinstance(item, dict):
            stack.extend((v, depth + 1) for v in item.values())
        elif isinstance(item, list):
            stack.extend((v, depth + 1) for v in item)
    return deepest


def _int(text: str) -> int:
    if len(text.lstrip("-")) > MAX_DIGITS:
        raise PlayerFileError(f"a number has more than {MAX_DIGITS} digits")
    return int(text)


def _float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise PlayerFileError("a number is too large")
    return value


def _constant(name: str) -> Any:
    raise PlayerFileError(f"'{name}' is not a number a player file can hold")


def parse_json(raw: bytes) -> Any:
    """Decode player-file bytes as bounded JSON. Raises PlayerFileError."""
    if not raw.strip():
        raise PlayerFileError("the file is empty (the write was interrupted)")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise PlayerFileError("the file is not text (it may be corrupted)") from None
    too_deep = PlayerFileError(f"the file is corrupted (nested more than {MAX_DEPTH} deep)")
    try:
        data = json.loads(text, parse_int=_int, parse_float=_float, parse_constant=_constant)
    except json.JSONDecodeError as exc:
        what = "corrupted" if raw.rstrip().endswith((b"}", b"]")) else "truncated"
        raise PlayerFileError(f"the file is {what} (not valid JSON at line {exc.lineno}, "
                              f"column {exc.colno})") from None
    except RecursionError:
        raise too_deep from None
    if _depth(data) > MAX_DEPTH:
        raise too_deep
    return data


def read_json(path: Path, max_bytes: int) -> Any:
    """Read one player file as bounded JSON. Raises PlayerFileError, or OSError."""
    info = path.stat()
    if not stat.S_ISREG(info.st_mode):  # a FIFO or a device would block or never end
        raise PlayerFileError("it is not a regular file")
    too_large = PlayerFileError(f"the file is larger than {max_bytes} bytes, far too large")
    if info.st_size > max_bytes:
        raise too_large
    raw = path.read_bytes()
    if len(raw) > max_bytes:
        raise too_large
    return parse_json(raw)


# ---- checking single fields ----

def text(value: Any, what: str, limit: int = MAX_TEXT) -> str:
    """A text field, made printable. Raises PlayerFileError if it is not short text."""
    if not isinstance(value, str):
        raise PlayerFileError(f"{what} is not text")
    if len(value) > limit:
        raise PlayerFileError(f"{what} is longer than {limit} characters")
    return printable(value)


def whole(value: Any, what: str, low: int = 0) -> int:
    """A whole number (not a boolean) of at least ``low``."""
    if isinstance(value, bool) or not isinstance(value, int) or value < low:
        raise PlayerFileError(f"{what} is not a whole number of at least {low}")
    return value


def number(value: Any, what: str, high: float) -> float:
    """A finite number from 0 to ``high``."""
    if isinstance(value, bool) or not isinstance(value, int | float) \
            or not 0 <= value <= high:
        raise PlayerFileError(f"{what} is not a valid number")
    return float(value)


def choice_path(value: Any, what: str = "the path of choices") -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(c, str) for c in value):
        raise PlayerFileError(f"{what} is not a list of choice ids")
    if len(value) > MAX_CHOICES:
        raise PlayerFileError(f"{what} holds more than {MAX_CHOICES} choices")
    return tuple(value)


def iso_time(value: Any, what: str) -> str:
    """An ISO 8601 time that every screen can show in local time; '' for none."""
    if value == "":
        return ""
    stamp = text(value, what, 64)
    try:
        when = datetime.fromisoformat(stamp)
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        if not 1970 <= when.year <= 2999:
            raise ValueError(stamp)
        when.astimezone()
    except (ValueError, OverflowError, OSError):
        raise PlayerFileError(f"{what} is not a valid date") from None
    return stamp
