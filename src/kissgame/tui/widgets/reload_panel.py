"""The live-reload panel: why the edited story is not running, one located error a line."""

from __future__ import annotations

from collections.abc import Sequence

from rich.text import Text

from ...engine import Diagnostic
from .plain import Plain


class ReloadPanel(Plain):
    """Hidden while there is nothing to say. The play screen composes it; with
    ``--watch`` the app's LiveReload calls ``show_problem``."""

    def on_mount(self) -> None:
        self.border_title = "Live reload"
        self.display = False

    def show_problem(self, problem: Text | None) -> None:
        self.display = problem is not None
        self.update(problem if problem is not None else "")


def problem_text(headline: str, diagnostics: Sequence[Diagnostic] = ()) -> Text:
    """The panel's text: a headline, then ``file:line:col code message`` a line."""
    text = Text(headline, style="bold")
    for diagnostic in diagnostics:
        text.append("\n")
        text.append(str(diagnostic.span), style="bold")
        text.append(f" {diagnostic.code} ", style="reverse")
        text.append(f" {diagnostic.message}")
    return text
