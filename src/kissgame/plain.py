"""``kissgame play --plain``: the story as lines of text, for screen readers, pipes and scripts.

A thin face on the headless Session, like the TUI: it prints the scene (title, then each
paragraph, speakers as "Name: line"), numbers the choices, and reads one number or word
command a line. No colour, no escape codes and no box drawing unless ``--color`` is given
(and even then not when NO_COLOR is set); every piece of story text goes through
``printable`` first, so a story can never send the terminal a control sequence.
"""

from __future__ import annotations

import os
import re
import shutil
import unicodedata
from collections.abc import Callable, Iterable
from datetime import datetime
from typing import TextIO

from .engine import Beat, InvalidChoice, Line, Story, StoryRuntimeError
from .printable import printable
from .saves import ALL_SLOTS, AUTO, NUMBERED_SLOTS, SlotInfo, slot_label
from .session import Session, SessionError, format_play_time

HELP = """\
Type the number of a choice to take it, or one of these commands:
  save N       save to slot N (1 to 9); save alone lists the slots
  load N       load slot N (1 to 9, auto or quick); load alone lists the slots
  rewind [N]   go back N choices (default 1)
  history      the scenes so far and what you chose
  notebook     the ships, the heart meters and the clues found
  look         show the current scene again
  new          start the story again from the beginning
  help         this list
  quit         leave (nothing is saved on the way out)"""

EMPHASIS = re.compile(r"\*\*([^*\n]+)\*\*|\*([^*\n]+)\*")
"""The prose format's **bold** and *italic*; plain text keeps the words, not the stars."""


def unstarred(text: str) -> str:
    return EMPHASIS.sub(lambda m: m.group(1) or m.group(2), text)


def wants_color(asked: bool) -> bool:
    """Colour only when asked for, and never when NO_COLOR is set (no-color.org)."""
    return asked and not os.environ.get("NO_COLOR")


def text_width(stream: TextIO) -> int:
    """The terminal's width when writing to one (or $COLUMNS), else 80."""
    if stream.isatty() or os.environ.get("COLUMNS"):
        return max(20, shutil.get_terminal_size((80, 24)).columns)
    return 80


def cells(text: str) -> int:
    """Columns a terminal gives the text: wide (CJK, 서울) characters take two, combining
    marks none."""
    return sum(0 if unicodedata.combining(ch) else
               2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def wrap(text: str, width: int) -> list[str]:
    """Lines of at most ``width`` columns, broken at spaces (the paragraph's indent and
    the runs of spaces inside a line are kept); a word wider than a line stands alone
    rather than being cut."""
    lines: list[str] = []
    line, used = "", 0
    for space, word in re.findall(r"(\s*)(\S+)", text.expandtabs()):
        size = cells(word)
        if line and used + len(space) + size > width:
            lines.append(line)
            line, used = "", 0
            space = ""
        line, used = line + space + word, used + len(space) + size
    if line:
        lines.append(line)
    return lines


def _rgb(color: str) -> tuple[int, int, int] | None:
    if re.fullmatch(r"#[0-9a-fA-F]{6}", color):
        return int(color[1:3], 16), int(color[3:5], 16), int(color[5:7], 16)
    return None


class PlainGame:
    """Reads commands, drives the Session, prints what happened."""

    def __init__(self, session: Session, out: TextIO, *, width: int = 80,
                 color: bool = False) -> None:
        self.session = session
        self.out = out
        self.width = width
        self.color = color
        self._episode: str | None = None

    # -- printing ------------------------------------------------------------------------

    def say(self, text: str = "", *, bold: bool = False, speaker: str = "",
            tint: str = "") -> None:
        """Print one paragraph, made printable and wrapped. With colour on, ``bold`` makes
        it bold, and a ``speaker`` that starts it is shown bold in its ``tint``."""
        lines = []
        for raw in printable(text).split("\n"):
            lines += wrap(raw, self.width) or [""]
        if self.color and bold:
            lines = [f"\x1b[1m{line}\x1b[0m" for line in lines]
        elif self.color and speaker and lines[0].startswith(speaker):
            rgb = _rgb(tint)
            code = f"1;38;2;{rgb[0]};{rgb[1]};{rgb[2]}" if rgb else "1"
            lines[0] = f"\x1b[{code}m{speaker}\x1b[0m{lines[0][len(speaker):]}"
        self.out.write("\n".join(lines) + "\n")

    def show(self, beat: Beat) -> None:
        """The scene: an episode heading when the episode changes, the title, the
        paragraphs, then the numbered choices or the ending."""
        # The reply to the choice just taken comes first: it belongs to that moment.
        self.paragraphs(line for line in beat.lines if line.reply)
        if beat.episode_title and beat.episode_title != self._episode:
            self.say(beat.episode_title, bold=True)
            self.say()
        self._episode = beat.episode_title
        if beat.title:
            self.say(beat.title, bold=True)
            self.say()
        self.paragraphs(line for line in beat.lines if not line.reply)
        if beat.ending is not None:
            self.say(f"The end: {beat.ending.title}", bold=True)
            if beat.ending.turns_on:
                self.say(f"Turns on: {beat.ending.turns_on}")
            self.say()
            self.say("The story is over. Type rewind, load N, new, or quit.")
            return
        self.show_choices(beat)

    def paragraphs(self, lines: Iterable[Line]) -> None:
        for line in lines:
            text = unstarred(line.text)
            if line.speaker:
                name = printable(line.speaker_name or line.speaker)
                self.say(f"{name}: {text}", speaker=name, tint=line.color)
            else:
                self.say(text)
            self.say()

    def show_choices(self, beat: Beat) -> None:
        if not beat.choices:
            self.say("There are no choices here. Type rewind, load N, new, or quit.")
            return
        self.say("Choices:")
        for number, view in enumerate(beat.choices, start=1):
            locked = ""
            if not view.enabled:
                locked = f" (locked: {view.locked_reason})" if view.locked_reason else " (locked)"
            self.say(f"{number}. {unstarred(view.label)}{locked}")

    def show_current(self) -> None:
        try:
            beat = self.session.beat()
        except StoryRuntimeError as exc:
            self.say(f"Story error: {exc}")
            return
        if beat is not None:
            self.say()
            self.show(beat)

    # -- commands ------------------------------------------------------------------------

    def handle(self, line: str) -> bool:
        """Act on one line of input; False when the player quits."""
        words = line.strip().lower().split()
        if not words:
            return True
        word, args = words[0], words[1:]
        if word.isdigit():
            self.take(int(word))
            return True
        if word in ("quit", "exit", "q"):
            self.say("Leaving without saving your latest choices." if self.session.unsaved
                     else "Goodbye.")
            return False
        command: Callable[[list[str]], None] | None = {
            "save": self.cmd_save, "load": self.cmd_load, "rewind": self.cmd_rewind,
            "history": self.cmd_history, "notebook": self.cmd_notebook,
            "look": lambda _: self.show_current(), "new": self.cmd_new,
            "help": lambda _: self.say(HELP), "?": lambda _: self.say(HELP),
        }.get(word)
        if command is None:
            self.say(f"I don't know '{line.strip()}'. Type a choice's number, or help.")
        else:
            try:
                command(args)
            except SessionError as exc:
                self.say(str(exc))
        return True

    def take(self, number: int) -> None:
        try:
            beat = self.session.beat()
        except StoryRuntimeError as exc:
            self.say(f"Story error: {exc}")
            return
        if beat is None or beat.ended or not beat.choices:
            self.say("There is nothing to choose here. Type help for the commands.")
            return
        if not 1 <= number <= len(beat.choices):
            self.say(f"There is no choice {number}: choose 1 to {len(beat.choices)}, "
                     "or type help.")
            return
        view = beat.choices[number - 1]
        if not view.enabled:
            self.say(f"That choice is locked: {view.locked_reason or 'not available now'}.")
            return
        try:
            self.session.choose(view.id)
        except (InvalidChoice, StoryRuntimeError) as exc:
            self.say(f"That did not work: {exc}")
            return
        self.say(f"You chose: {unstarred(view.label)}")
        self.show_current()

    def _slot(self, args: list[str], allowed: tuple[str, ...]) -> str | None:
        if not args:
            self.list_slots()
            return None
        slot = args[0]
        if slot not in allowed:
            self.say(f"There is no slot '{slot}': use {', '.join(allowed)}.")
            return None
        return slot

    def cmd_save(self, args: list[str]) -> None:
        slot = self._slot(args, NUMBERED_SLOTS + ("quick",))
        if slot is not None:
            self.session.save(slot)
            self.say(f"Saved to {slot_label(slot)}.")

    def cmd_load(self, args: list[str]) -> None:
        slot = self._slot(args, ALL_SLOTS)
        if slot is None:
            return
        for note in self.session.load_slot(slot):
            self.say(note)
        self.say(f"Loaded {slot_label(slot)}.")
        self._episode = None
        self.show_current()

    def list_slots(self) -> None:
        self.say("Save slots:")
        for info in self.session.saves.slots():
            self.say(f"{info.slot}: {describe_slot(info)}")

    def cmd_rewind(self, args: list[str]) -> None:
        steps = int(args[0]) if args and args[0].isdigit() and int(args[0]) > 0 else 1
        self.session.rewind(steps)
        self.say(f"Rewound {steps} choice{'s' if steps != 1 else ''}.")
        self.show_current()

    def cmd_new(self, _args: list[str]) -> None:
        self.session.new_game()
        self._episode = None
        self.show_current()

    def cmd_history(self, _args: list[str]) -> None:
        from .engine import Diverged, current, replay

        state = self.session.state
        if state is None:
            return
        story = self.session.story
        try:
            states = replay(story, state.seed, state.path)
        except (Diverged, KeyError):
            self.say("The story changed since this game was saved, so its history is lost.")
            return
        if not state.path:
            self.say("Nothing chosen yet.")
            return
        self.say("So far:")
        for step, (before, chosen) in enumerate(zip(states, state.path, strict=False), 1):
            beat = current(story, before)
            label = next((c.label for c in beat.choices if c.id == chosen), chosen)
            self.say(f"{step}. {beat.title or beat.scene_id}: you chose {label}")

    def cmd_notebook(self, _args: list[str]) -> None:
        state, story = self.session.state, self.session.story
        if state is None:
            return
        said = False
        for heading, meters in (("Ships", story.ships), ("Heart", story.meters)):
            if meters:
                self.say(f"{heading}:")
                for meter in meters:
                    value = state.vars.get(meter.var, 0)
                    self.say(f"  {meter.label}: {_number(value)} of {_number(meter.max)}")
                said = True
        if story.clues:
            found = [clue.label for clue in story.clues if state.vars.get(clue.var) is True]
            self.say(f"Clues: {len(found)} of {len(story.clues)} found"
                     + (": " + "; ".join(found) if found else ""))
            said = True
        if not said:
            self.say("This story keeps no notebook.")

    # -- the loop ------------------------------------------------------------------------

    def run(self, stdin: TextIO, prompt: bool = False) -> int:
        story = self.session.story
        self.say(story.title, bold=True)
        self.say("Type the number of a choice, or help for the commands.")
        latest = self.session.saves.read(AUTO)
        if latest.data is not None:
            self.say(f"There is an autosave ({describe_slot(latest)}): "
                     "type load auto to continue it.")
        self.session.new_game()
        self.show_current()
        while True:
            if prompt:
                self.out.write("> ")
            self.out.flush()
            line = stdin.readline()
            if not line:
                self.say()
                self.say("End of input: leaving without saving.")
                return 0
            if not self.handle(line):
                return 0


def _number(value: object) -> str:
    if isinstance(value, float) and value == int(value):
        value = int(value)
    return str(value)


def describe_slot(info: SlotInfo) -> str:
    if info.damaged:
        return f"damaged ({info.problem})"
    data = info.data
    if data is None:
        return "empty"
    where = " / ".join(x for x in (data.episode, data.scene_title) if x) or "saved game"
    when = datetime.fromtimestamp(data.saved_at).strftime("%Y-%m-%d %H:%M")
    return printable(f"{where}, {when}, played {format_play_time(data.play_seconds)}")


def run_plain(story: Story, stdin: TextIO, stdout: TextIO, color: bool = False) -> int:
    """The CLI's entry: play ``story`` on these streams until quit or end of input."""
    session = Session(story)
    game = PlainGame(session, stdout, width=text_width(stdout), color=wants_color(color))
    try:
        return game.run(stdin, prompt=stdin.isatty())
    finally:
        session.close()

