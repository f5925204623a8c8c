"""The endings gallery: every declared ending, found or locked, and how many are found."""

from __future__ import annotations

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import Footer, OptionList
from textual.widgets.option_list import Option

from ...branches import BranchMemory
from ...engine import Story
from ..host import HostScreen
from ..widgets.choice_list import MenuList
from ..widgets.plain import Plain
from .autoplay import autoplay_ending
from .branch_map import bind_story, found_when


class GalleryScreen(HostScreen):
    """Found endings show their title, the canon moment they turn on, and when they were
    found; locked ones show only their hint. Enter on a found ending plays a path to it."""

    DEFAULT_CSS = """
    GalleryScreen { layout: vertical; }
    GalleryScreen #gallery-summary { height: 1; padding: 0 1; background: $panel; }
    GalleryScreen #gallery-list { height: 1fr; }
    """

    BINDINGS = [
        Binding("escape,q", "close", "Back", id="gallery.back"),
        Binding("p", "path", "Show me a path", id="gallery.path"),
    ]

    def __init__(self, story: Story | None = None, memory: BranchMemory | None = None, *,
                 name: str | None = None, id: str | None = None) -> None:
        super().__init__(name=name, id=id)
        self._story = story
        self._memory = memory

    def compose(self) -> ComposeResult:
        yield Plain(id="gallery-summary")
        yield MenuList(id="gallery-list")
        yield Footer()

    def on_mount(self) -> None:
        self._story, self._memory = bind_story(self, self._story, self._memory)
        self.build()
        self.query_one(OptionList).focus()

    def build(self) -> None:
        assert self._story is not None and self._memory is not None
        story, memory = self._story, self._memory
        options: list[Option | None] = []
        for ending_id, ending in story.endings.items():
            text = Text()
            found = memory.endings.get(ending_id)
            if found is not None:
                text.append("\u2605 ", "bold yellow")
                text.append(ending.title, "bold")
                text.append(f"\n  Turns on: {ending.turns_on}", "italic")
                times = f", reached {found.times} times" if found.times > 1 else ""
                text.append(f"\n  Found {found_when(found.first_found)}{times}", "dim")
            else:
                text.append("? ", "dim")
                text.append("Locked", "bold dim")
                text.append(f"\n  Hint: {ending.hint or 'keep playing'}", "dim italic")
            if options:
                options.append(None)  # a separator line between endings
            options.append(Option(text, id=ending_id))
        found_count = sum(1 for e in story.endings if e in memory.endings)
        summary = Text("Endings gallery", "bold")
        summary.append(f"  \u00b7  {found_count} of {len(story.endings)} found")
        self.query_one("#gallery-summary", Plain).update(summary)
        listing = self.query_one(OptionList)
        listing.set_options(options)
        if options:
            listing.highlighted = 0

    def action_close(self) -> None:
        if self.is_current:
            self.app.pop_screen()

    @on(OptionList.OptionSelected)
    def _selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        if event.option_id:
            self.show_path(event.option_id)

    def action_path(self) -> None:
        listing = next(iter(self.query("#gallery-list").results(OptionList)), None)
        if listing is not None and listing.highlighted is not None:
            option = listing.get_option_at_index(listing.highlighted)
            if option.id:
                self.show_path(option.id)

    def show_path(self, ending_id: str) -> None:
        if self._story is None or self._memory is None:
            return
        if ending_id not in self._memory.endings:
            self.notify(f"Locked. Hint: {self._story.endings[ending_id].hint}")
            return
        autoplay_ending(self, self._story, ending_id, self._memory)
