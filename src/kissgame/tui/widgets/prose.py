"""The prose panel: a Beat rendered as styled text, with an optional typewriter reveal."""

from __future__ import annotations

import re
import zlib

from rich.color import Color, ColorParseError
from rich.console import Console, ConsoleOptions, Group, RenderResult
from rich.measure import Measurement
from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual.containers import VerticalScroll
from textual.timer import Timer

from ...engine import Beat
from .plain import Plain

_EMPHASIS = re.compile(r"\*\*([^*\n]+)\*\*|\*([^*\n]+)\*")
_FALLBACK_COLORS = ("#ff6fa5", "#6fb7ff", "#c792ea", "#ffcb6b", "#7fdbca", "#f78c6c",
                    "#addb67", "#82aaff")
TICKS_PER_SECOND = 30


def _style(color: str, fallback_key: str) -> Style:
    """A speaker's style: bold in the story's colour. The colour is parsed as a colour
    alone (never as a style string, which could carry ``link ...`` or other attributes);
    an unknown one falls back to a colour picked from the speaker's id."""
    if color:
        try:
            return Style(bold=True, color=Color.parse(color))
        except ColorParseError:
            pass
    index = zlib.crc32(fallback_key.encode()) % len(_FALLBACK_COLORS)
    return Style(bold=True, color=Color.parse(_FALLBACK_COLORS[index]))


def inline(text: str, style: Style | str = "") -> Text:
    """Plain story text to Rich Text; ``**words**`` become bold and ``*words*`` italic.
    Never parsed as markup."""
    out = Text(style=style)
    pos = 0
    for match in _EMPHASIS.finditer(text):
        out.append(text[pos:match.start()])
        bold, italic = match.groups()
        if bold is not None:
            out.append(bold, "bold")
        else:
            out.append(italic, "italic")
        pos = match.end()
    out.append(text[pos:])
    return out


def title_card(beat: Beat) -> Text:
    """The episode card shown when an episode begins."""
    card = Text(justify="center")
    card.append(f"  {beat.episode_title}  ", "bold reverse")
    return card


def beat_text(beat: Beat) -> Text:
    """The scene's prose as one Text (the backlog uses it)."""
    return Text("\n\n").join(beat_parts(beat))


def beat_parts(beat: Beat) -> list[Text]:
    """The scene's prose: the title, narration, each speaker's lines with the name styled,
    and the ending card. One Text a paragraph."""
    parts: list[Text] = []
    if beat.title:
        parts.append(Text(beat.title, "bold underline"))
    for line in beat.lines:
        if line.speaker:
            said = Text()
            said.append(line.speaker_name or line.speaker,
                        _style(line.color, line.speaker))
            said.append("  ")
            said.append_text(inline(line.text))
            parts.append(said)
        else:
            parts.append(inline(line.text))
    if beat.ending is not None:
        end = Text(justify="center")
        end.append("\n\u2014 THE END \u2014\n", "bold")
        end.append(beat.ending.title, "bold italic")
        if beat.ending.turns_on:
            end.append(f"\nTurns on: {beat.ending.turns_on}", "dim italic")
        parts.append(end)
    return parts


class RenderedOnce:
    """A renderable that keeps its segments for the last width it was rendered at.

    Textual renders a Rich renderable once to measure its height and again to paint it,
    and a choice lays the play screen out twice (the scrolling panel's size changes);
    the prose is the costliest thing on the screen, so it is rendered once per width."""

    def __init__(self, renderable: Group) -> None:
        self._renderable = renderable
        self._key: tuple[object, ...] | None = None
        self._segments: list[Segment] = []

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        key = (options.max_width, options.min_width, options.justify, options.overflow,
               options.no_wrap, options.highlight)
        if key != self._key:
            self._segments = list(console.render(self._renderable, options))
            self._key = key
        yield from self._segments

    def __rich_measure__(self, console: Console, options: ConsoleOptions) -> Measurement:
        return Measurement.get(console, options, self._renderable)


class ProsePanel(VerticalScroll, can_focus=False):
    """Scrollable prose (scrolled by the play screen's keys, so focus can stay on the
    choices). ``show`` replaces the text; ``complete`` ends a reveal at once."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._parts: list[Text] = []
        self._total = 0
        self._shown = 0.0
        self._cps = 0
        self._timer: Timer | None = None

    def compose(self):
        yield Plain(id="prose-text")

    def set_measure(self, columns: int) -> None:
        """The widest the text gets (0: the whole panel); a comfortable measure reads
        better than a line across a wide terminal."""
        for text in self.query("#prose-text").results(Plain):
            text.styles.max_width = columns if columns > 0 else None

    @property
    def revealing(self) -> bool:
        return self._timer is not None

    @property
    def plain(self) -> str:
        """Everything the panel will show once revealed, as plain text (for tests)."""
        return "\n\n".join(part.plain for part in self._parts)

    def show(self, parts: list[Text], cps: int = 0, keep: int = 0) -> None:
        """Show the paragraphs ``parts``; reveal them at ``cps`` characters a second,
        after the first ``keep`` paragraphs, which appear at once (the episode card)."""
        self._stop()
        self._parts = parts
        self._total = sum(len(part) for part in parts)
        self.scroll_home(animate=False, immediate=True)
        self.call_after_refresh(self.scroll_home, animate=False)
        kept = sum(len(part) for part in parts[:keep])
        if cps <= 0 or self._total <= kept:
            self._draw(self._total)
            return
        self._cps = cps
        self._shown = float(kept)
        self._draw(kept)
        self._timer = self.set_interval(1 / TICKS_PER_SECOND, self._tick)

    def complete(self) -> None:
        if self._timer is not None:
            self._stop()
            self._draw(self._total)

    def _tick(self) -> None:
        self._shown += self._cps / TICKS_PER_SECOND
        if self._shown >= self._total:
            self.complete()
        else:
            self._draw(int(self._shown))

    def _draw(self, count: int) -> None:
        shown: list[Text] = []
        left = count
        for part in self._parts:
            if left <= 0:
                break
            shown.append(part if left >= len(part) else part[:left])
            left -= len(part)
        spaced: list[Text] = []
        for index, part in enumerate(shown):
            if index:
                spaced.append(Text(""))
            spaced.append(part)
        for text in self.query("#prose-text").results(Plain):
            text.update(RenderedOnce(Group(*spaced)))

    def _stop(self) -> None:
        if self._timer is not None:
            self._timer.stop()
            self._timer = None
