"""Text that is safe to send to a terminal: control characters made visible.

Story files and player files come from strangers. A C0 or C1 control character in
them (ESC starting an OSC 52 clipboard write, an OSC 2 window title, a CSI that clears
the screen, a carriage return that overwrites a line) must never reach the terminal.
Every such character except the newline and the tab is replaced by a visible stand-in:
C0 controls and DEL by their Unicode control pictures (ESC becomes ``␛``), C1 controls
by ``�``. The loader applies this to every story string (with a located warning) and
the command line applies it to everything it prints, through :func:`printable` alone.
"""

from __future__ import annotations

import re
from typing import IO

CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
"""C0 controls but newline and tab, DEL, and C1 controls."""


def _visible(match: re.Match[str]) -> str:
    code = ord(match.group())
    if code < 0x20:
        return chr(0x2400 + code)
    if code == 0x7F:
        return "\u2421"
    return "\ufffd"


def printable(text: str) -> str:
    """``text`` with every control character but newline and tab made visible."""
    return CONTROL.sub(_visible, text)


def has_controls(text: str) -> bool:
    return CONTROL.search(text) is not None


class PrintableStream:
    """A text stream wrapper that passes everything written through :func:`printable`."""

    def __init__(self, stream: IO[str]):
        self._stream = stream

    def write(self, text: str) -> int:
        return self._stream.write(printable(text))

    def __getattr__(self, name: str):  # flush, fileno, encoding, isatty, ...
        return getattr(self._stream, name)
