"""YAML's own error messages, rewritten in words a writer can act on.

The parser reports what it was doing ("while scanning a simple key") and where it gave
up, which is often the line after the mistake. Here the usual slips of story writing
(a tab, a missing colon, a paragraph that starts with a YAML symbol) are recognised
from the text around the error and named, with the place of the actual mistake.
"""

from __future__ import annotations

import re
from typing import Any

# A list item or a field's value that starts with a character YAML reads as syntax.
_ITEM_START = re.compile(r"^\s*(?:-\s+|[^\s:#][^:#]*:\s+)(?P<ch>[*\"'&!%@`|>])")
_WHAT = {
    "*": "a reference to an anchor (YAML's *name)",
    "&": "an anchor (YAML's &name)",
    '"': "quoted text that ends at the next \"",
    "'": "quoted text that ends at the next '",
    "!": "a type tag",
    "%": "a directive",
    "@": "a reserved character",
    "`": "a reserved character",
    "|": "the start of a block of lines",
    ">": "the start of a folded block of lines",
}


def _line(lines: list[str], index: int) -> str:
    return lines[index] if 0 <= index < len(lines) else ""


def quote_hint(text: str, line: int) -> tuple[str, int] | None:
    """"quote this paragraph" advice and its 1-based column when line ``line`` (0-based)
    holds a paragraph that starts with a YAML symbol, else None."""
    found = _ITEM_START.match(_line(text.split("\n"), line))
    if found is None:
        return None
    ch = found["ch"]
    other = "single" if ch == '"' else "double"
    return (f"this paragraph starts with {ch}, which YAML reads as {_WHAT[ch]}; quote this "
            f"paragraph: put all of it in {other} quotes", found.start("ch") + 1)


def explain(exc: Any, text: str) -> tuple[str, int, int]:
    """A writer's message for a ``yaml.MarkedYAMLError`` and its 1-based line and column."""
    problem, context = exc.problem or "", exc.context or ""
    mark = exc.problem_mark or exc.context_mark
    line, col = (mark.line, mark.column) if mark else (0, 0)
    start = exc.context_mark.line if exc.context_mark else line
    lines = text.split("\n")
    for index in (line, start, line - 1):  # the tab is on the failing line, or just before
        tab = _line(lines, index).find("\t")
        if tab >= 0 and ("tab" in problem or "cannot start any token" in problem):
            return (f"a tab character at line {index + 1}, column {tab + 1}: YAML indents with "
                    "spaces only; replace the tab with spaces", index + 1, tab + 1)
    if "could not find expected ':'" in problem and exc.context_mark:
        where = _line(lines, start).strip()
        return (f"'{where[:60]}' needs a ':' after its field name (name: value); if it "
                "continues the text above, indent it under that text or quote the text",
                start + 1, exc.context_mark.column + 1)
    if "flow sequence" in context or "flow mapping" in context:
        opener = "[" if "sequence" in context else "{"
        closer = "]" if opener == "[" else "}"
        return (f"a '{opener}' is never closed with '{closer}'; if this is text that starts "
                f"with {opener}, quote it", start + 1, exc.context_mark.column + 1)
    for index in (line, start):
        hint = quote_hint(text, index)
        if hint is not None:
            return hint[0], index + 1, hint[1]
    words = " ".join(x for x in (context, problem) if x) or "invalid YAML"
    return f"YAML syntax error: {words}", line + 1, col + 1
