"""The prose panel: a Beat rendered as styled text, with an optional typewriter reveal."""

from __future__ import annotations

import re
import zlib

from rich.color import Color, ColorParseError
from rich.console import Group
from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual import events
from textual.geometry import Region, Size
from textual.scroll_view import ScrollView
from textual.strip import Strip
from textual.timer import Timer

from ...engine import Beat

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


MORE_BELOW = "\u25bc more below \u00b7 PgDn/Space to read on"
BAR_GUTTER = 3
"""Columns right of the text: two of space and the scroll bar's one."""


PREPARED = 12
"""How many prepared texts the panel keeps (the choices of a scene or two)."""


def _spaced(parts: list[Text]) -> Group:
    """The paragraphs with a blank line between each two."""
    spaced: list[Text] = []
    for index, part in enumerate(parts):
        if index:
            spaced.append(Text(""))
        spaced.append(part)
    return Group(*spaced)


def _key(parts: list[Text]) -> tuple[object, ...]:
    """Equal for paragraphs that render the same."""
    return tuple((part.plain, tuple(part.spans), part.style, part.justify, part.end)
                 for part in parts)


class ProsePanel(ScrollView, can_focus=False):
    """Scrollable prose (scrolled by the play screen's keys, so focus can stay on the
    choices). ``show`` replaces the text; ``complete`` ends a reveal at once.

    It draws its own lines (Textual's Line API): the text is rendered once per width,
    and the panel's size never follows the text, so a new scene is a repaint of the
    panel and not a new layout of the screen (each layout pass costs a frame). For the
    same reason it draws its own scroll bar and, while there is more text below, a
    "more below" cue on its last row: Textual's scroll bar widget and a separate cue
    widget change size or visibility with the text, which needs another layout."""

    COMPONENT_CLASSES = {"prose--cue", "prose--bar", "prose--thumb"}

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._parts: list[Text] = []
        self._total = 0
        self._shown = 0.0
        self._cps = 0
        self._timer: Timer | None = None
        self._measure = 0
        self._group: Group = Group()
        self._lines: list[list[Segment]] = []
        self._lines_key: tuple[int, Style] | None = None
        self._text_width = 0
        self._group_key: tuple[object, ...] | None = None
        self._prepared: dict[tuple[int, Style, tuple[object, ...]], list[list[Segment]]] = {}
        self._styles: dict[str, Style] = {}
        self._styles_key: tuple[str, Style] | None = None

    def set_measure(self, columns: int) -> None:
        """The widest the text gets (0: the whole panel); a comfortable measure reads
        better than a line across a wide terminal."""
        if columns != self._measure:
            self._measure = columns
            self._relines()

    @property
    def text_width(self) -> int:
        """The columns the text is wrapped at (0 before the first layout)."""
        room = max(0, self.size.width - BAR_GUTTER)
        return min(room, self._measure) if self._measure > 0 else room

    @property
    def revealing(self) -> bool:
        return self._timer is not None

    @property
    def plain(self) -> str:
        """Everything the panel will show once revealed, as plain text (for tests)."""
        return "\n\n".join(part.plain for part in self._parts)

    @property
    def more_below(self) -> bool:
        """The text goes on below the panel (the cue on its last row says so)."""
        return self.display and self.scroll_y < self.max_scroll_y

    @property
    def allow_vertical_scroll(self) -> bool:
        # Textual's own scroll bar is off (overflow hidden); the text still scrolls.
        return self.max_scroll_y > 0 and not self._check_disabled()

    def scroll_page_down(self, *, animate: bool = True, **_kwargs: object) -> None:
        """A page is the panel's height less the cue's row: no line hides under it."""
        self.scroll_to(y=self.scroll_y + self._page, animate=animate, force=True)

    def scroll_page_up(self, *, animate: bool = True, **_kwargs: object) -> None:
        self.scroll_to(y=self.scroll_y - self._page, animate=animate, force=True)

    @property
    def _page(self) -> int:
        return max(1, self.size.height - 1)

    def prepare(self, parts: list[Text]) -> None:
        """Render ``parts`` now at the current width, so a ``show`` of the same text
        soon after only looks its lines up (the play screen prepares the scenes the
        choices lead to while the player reads)."""
        width, base = self.text_width, self.rich_style
        key = _key(parts)
        if width > 0 and (width, base, key) not in self._prepared:
            if len(self._prepared) >= PREPARED:
                self._prepared.pop(next(iter(self._prepared)))
            self._prepared[width, base, key] = self._render_text(_spaced(parts), width, base)

    def show(self, parts: list[Text], cps: int = 0, keep: int = 0) -> None:
        """Show the paragraphs ``parts``; reveal them at ``cps`` characters a second,
        after the first ``keep`` paragraphs, which appear at once (the episode card)."""
        self._stop()
        self._parts = parts
        self._total = sum(len(part) for part in parts)
        self.scroll_to(y=0, animate=False, force=True)
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
        self._group = _spaced(shown)
        self._group_key = _key(shown) if count >= self._total else None
        self._relines()

    def _relines(self) -> None:
        """Render the text at the panel's width; the virtual size follows it."""
        self._lines_key = None
        self._render_lines()
        self.refresh()

    def _render_lines(self) -> None:
        width, base = self.text_width, self.rich_style
        if (width, base) == self._lines_key:
            return
        self._lines_key, self._text_width = (width, base), width
        key = self._group_key
        prepared = None if key is None else self._prepared.get((width, base, key))
        if prepared is not None:
            self._lines = prepared
        else:
            self._lines = self._render_text(self._group, width, base) if width > 0 else []
        size = Size(width, len(self._lines))
        if size != self.virtual_size:
            # No layout: the panel's size never follows its text (see the class).
            self.set_reactive(ProsePanel.virtual_size, size)
        if self.scroll_y > self.max_scroll_y:
            self.scroll_to(y=self.max_scroll_y, animate=False, force=True)

    def _render_text(self, group: Group, width: int, base: Style) -> list[list[Segment]]:
        console = self.app.console
        options = console.options.update(width=width, min_width=width, height=None,
                                         highlight=False, markup=False)
        return console.render_lines(group, options, style=base, pad=True)

    def on_resize(self, _event: events.Resize) -> None:
        self._render_lines()

    def watch_scroll_y(self, old_value: float, new_value: float) -> None:
        self.refresh()  # the scroll bar and the cue follow the position

    def render_lines(self, crop: Region) -> list[Strip]:
        # The styles, once a paint rather than once a line (each walks the DOM), and
        # the component styles only when the theme or the panel's own style changes.
        self._render_lines()
        base = self.rich_style
        key = (self.app.theme, base)
        if key != self._styles_key:
            self._styles_key = key
            self._styles = {part: self.get_component_rich_style(part)
                            for part in ("prose--cue", "prose--bar", "prose--thumb")}
        self._styles["base"] = base
        return super().render_lines(crop)

    def render_line(self, y: int) -> Strip:
        width, height = self.size
        top = round(self.scroll_y)
        if y == height - 1 and top < self.max_scroll_y:
            cue = self._styles["prose--cue"]
            return Strip([Segment(MORE_BELOW, cue)]).adjust_cell_length(width, cue)
        base = self._styles["base"]
        index = top + y
        if index < len(self._lines):
            segments = list(self._lines[index])
            pad = width - 1 - self._text_width
        else:
            segments, pad = [], width - 1
        segments.append(Segment(" " * max(0, pad), base))
        segments.append(self._bar_cell(y, height))
        return Strip(segments, width)

    def _bar_cell(self, y: int, height: int) -> Segment:
        total = len(self._lines)
        if total <= height:
            return Segment(" ", self._styles["base"])
        thumb = max(1, round(height * height / total))
        start = round((height - thumb) * self.scroll_y / max(1, self.max_scroll_y))
        part = "prose--thumb" if start <= y < start + thumb else "prose--bar"
        return Segment(" ", self._styles[part])

    def _stop(self) -> None:
        if self._timer is not None:
            self._timer.stop()
            self._timer = None
