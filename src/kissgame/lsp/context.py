"""What the author is typing at the cursor, read from the lines alone.

While typing, a file is often not valid YAML, so completion cannot wait for a parse:
the line before the cursor and the keys of the lines above (by indentation) say
whether a scene id, a variable, a speaker, an ending or a field name is wanted.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

SCENES, VARIABLES, SPEAKERS, ENDINGS, EPISODES, FIELDS = (
    "scenes", "variables", "speakers", "endings", "episodes", "fields")

_KEY_LINE = re.compile(r"^(\s*)((?:-\s+)*)(?P<key>[A-Za-z_][\w.]*)\s*:(?:\s+|$)")
_FLOW_VALUE = re.compile(r"[{,]\s*(?P<key>[A-Za-z_]\w*)\s*:\s+(?=[^,{}]*$)")
_ITEM_OR_KEY = re.compile(r"^(\s*)((?:-\s+)*)([A-Za-z_]\w*)?$")
_SCENE_ARG = re.compile(r"\b(?:visits|visited)\(\s*['\"](\w*)$")
_NAME_TAIL = re.compile(r"[A-Za-z_][\w.]*$")
_EXPRESSION_KEYS = {"if", "do", "on_enter", "assume"}
_TEXT_KEYS = {"text", "then", "else"}


@dataclass(frozen=True)
class Context:
    """``want`` is one of the constants above; ``prefix`` is what is typed of the name
    (it starts at column ``start``); ``obj`` names the object whose field is typed."""

    want: str
    prefix: str
    start: int
    obj: str = ""
    siblings: frozenset[str] = frozenset()


def _key_line(line: str) -> tuple[int, int | None, str] | None:
    """(column of the key, column of its list dash or None, key) of a ``key:`` line."""
    match = _KEY_LINE.match(line)
    if match is None:
        return None
    indent = len(match.group(1))
    return indent + len(match.group(2)), indent if match.group(2) else None, match.group(3)


def ancestors(lines: list[str], row: int, col: int,
              dash: int | None = None) -> tuple[list[str], set[str]]:
    """The keys leading to the mapping whose keys sit at column ``col`` on line ``row``
    (outermost first, '-' for a list item), and the keys already written in it. When
    the line starts a list item, ``dash`` is the column of its '-'."""
    path: list[str] = []
    siblings: set[str] = set()
    first = dash is None
    seq: int | None = dash  # not None: looking for the key that owns a list at this column
    if dash is not None:
        path.append("-")
    for line in reversed(lines[:row]):
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        indent = len(line) - len(line.lstrip(" "))
        found = _key_line(line)
        if seq is not None:
            if indent > seq or (indent == seq and stripped.startswith("-")):
                continue  # inside an earlier item, or an earlier item itself
            if found is None:
                continue
            key_col, key_dash, key = found
        else:
            if found is not None and found[0] == col:
                if first:
                    siblings.add(found[2])
                if found[1] is not None:  # the mapping is a list item
                    first = False
                    path.append("-")
                    seq = found[1]
                continue
            if indent >= col:
                continue
            if found is None:
                if stripped.startswith("-"):  # a bare '-' above: a list item
                    first = False
                    path.append("-")
                    seq = indent
                continue
            key_col, key_dash, key = found
        first = False
        path.append(key)
        if key_dash is not None:
            path.append("-")
            seq = key_dash
        else:
            seq, col = None, key_col
    path.reverse()
    return path, siblings


def object_kind(path: list[str], is_manifest: bool) -> str:
    """The kind of mapping a path of keys leads to, as in ``schema.FIELD_DOCS``."""
    if not path:
        return "manifest" if is_manifest else "scene_file"
    last = path[-1]
    if last == "-" and len(path) >= 2:
        parent = path[-2]
        return {"scenes": "scene", "choices": "choice"}.get(
            parent, "conditional" if parent in _TEXT_KEYS else "")
    if len(path) >= 2 and is_manifest:
        return {"characters": "character", "endings": "ending", "episodes": "episode",
                "ships": "meter", "meters": "meter", "clues": "clue"}.get(path[-2], "")
    return ""


def context_at(lines: list[str], row: int, col: int, is_manifest: bool) -> Context | None:
    before = (lines[row] if row < len(lines) else "")[:col]
    arg = _SCENE_ARG.search(before)
    if arg:
        return Context(SCENES, arg.group(1), col - len(arg.group(1)))
    brace = _open_brace(before)
    if brace is not None:
        return _name(VARIABLES, before[brace + 1:], col)
    value = ("{" in before and _FLOW_VALUE.search(before)) or _KEY_LINE.match(before)
    if value:
        key = value.group("key")
        typed = before[value.end():]
        bare = typed.lstrip("'\"")
        if key in ("to", "next", "start", "call") and re.fullmatch(r"\w*", bare):
            return Context(SCENES, bare, col - len(bare))
        if key in ("ending", "episode") and re.fullmatch(r"\w*", bare):
            want = ENDINGS if key == "ending" else EPISODES
            return Context(want, bare, col - len(bare))
        if key in _EXPRESSION_KEYS or key == "var":
            return _name(VARIABLES, typed[1:] if typed[:1] in "'\"" else typed, col)
        return None
    item = _ITEM_OR_KEY.match(before)
    if item is None:
        return _list_expression(lines, row, before)
    key_col = len(item.group(1)) + len(item.group(2))
    typed = item.group(3) or ""
    dash = len(item.group(1)) if item.group(2) else None
    path, siblings = ancestors(lines, row, key_col, dash)
    if len(path) >= 2 and path[-1] == "-" and path[-2] in _EXPRESSION_KEYS:
        return _name(VARIABLES, before[key_col:], col)
    if len(path) >= 2 and path[-1] == "-" and path[-2] in _TEXT_KEYS:
        return Context(SPEAKERS, typed, col - len(typed), "conditional", frozenset(siblings))
    kind = object_kind(path, is_manifest)
    if kind:
        return Context(FIELDS, typed, col - len(typed), kind, frozenset(siblings))
    return None


def _list_expression(lines: list[str], row: int, before: str) -> Context | None:
    """An expression given as a list item (``- x += 1`` under ``do:``)."""
    match = re.match(r"^(\s*)-\s+", before)
    if match is None:
        return None
    path, _ = ancestors(lines, row, len(match.group(0)), len(match.group(1)))
    if len(path) >= 2 and path[-2] in _EXPRESSION_KEYS:
        source = before[match.end():]
        return _name(VARIABLES, source[1:] if source[:1] in "'\"" else source, len(before))
    return None


def _name(want: str, source: str, col: int) -> Context | None:
    """The name being typed at the end of expression text ``source`` (None inside a
    string literal)."""
    if source.count("'") % 2 or source.count('"') % 2:
        return None
    tail = _NAME_TAIL.search(source)
    typed = tail.group() if tail else ""
    return Context(want, typed, col - len(typed))


def _open_brace(before: str) -> int | None:
    """Where the ``{`` of an interpolation still open at the cursor is, if any."""
    depth_at = None
    i = 0
    while i < len(before):
        if before.startswith(("{{", "}}"), i):
            i += 2
            continue
        if before[i] == "{":
            depth_at = i
        elif before[i] == "}":
            depth_at = None
        i += 1
    if depth_at is None:
        return None
    # a YAML flow mapping such as `- {if: x, then: [...]}` is not an interpolation
    if re.match(r"\{\s*\w+\s*:", before[depth_at:]) or re.match(r"^\s*-?\s*$",
                                                                    before[:depth_at]):
        return None
    return depth_at
