"""Playing a recording back step by step: a chosen speed, pause, and take over at any step."""

from __future__ import annotations

import io
from datetime import datetime
from pathlib import Path

from rich.text import Text
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.timer import Timer
from textual.widgets import Footer

from ...branches import export_recording, story_export_folder
from ...engine import GameState, Story, current, new_game, replay
from ...engine.runtime import Diverged
from ...recording import Recording, RecordingError, read_recording
from ...resources import story_file_name
from ..host import take_over
from ..widgets.plain import Plain
from ..widgets.prose import beat_text

SPEEDS = (4.0, 2.0, 1.0, 0.5, 0.25)  # seconds per step


def plan(story: Story, recording: Recording) -> tuple[list[GameState], str]:
    """Every state of the recording, as far as it fits the story, and what went wrong."""
    if recording.story != story.id:
        return [new_game(story, recording.seed)], (
            f"This recording is for the story '{recording.story}', not '{story.id}'.")
    try:
        return replay(story, recording.seed, recording.choices), ""
    except Diverged as exc:
        states = replay(story, recording.seed, recording.choices[: exc.step - 1])
        return states, f"The recording no longer fits the story: {exc}"


class ReplayPlayerScreen(Screen):
    """Shows each step of a recording with the choice about to be made marked."""

    DEFAULT_CSS = """
    ReplayPlayerScreen { layout: vertical; }
    ReplayPlayerScreen #replay-status { height: 1; padding: 0 1; background: $panel; }
    ReplayPlayerScreen #replay-prose { height: 1fr; padding: 0 1; }
    ReplayPlayerScreen #replay-choices { height: auto; max-height: 8; padding: 0 1;
                                          border-top: solid $primary; }
    """

    BINDINGS = [
        Binding("space", "pause", "Pause/play", id="replay.pause"),
        Binding("right,n", "step(1)", "Step", id="replay.step"),
        Binding("left,b", "step(-1)", "Back", id="replay.back"),
        Binding("minus", "speed(-1)", "Slower", id="replay.slower"),
        Binding("plus,equals_sign", "speed(1)", "Faster", id="replay.faster"),
        Binding("t", "take_over", "Take over", id="replay.take_over"),
        Binding("escape,q", "close", "Stop", id="replay.stop"),
    ]

    def __init__(self, story: Story, recording: Recording, speed: float = 1.0,
                 paused: bool = False, *, name: str | None = None,
                 id: str | None = None) -> None:
        super().__init__(name=name, id=id)
        self.story = story
        self.recording = recording
        self.states, self.problem = plan(story, recording)
        self.step = 0
        self.speed_index = min(range(len(SPEEDS)), key=lambda i: abs(SPEEDS[i] - speed))
        self.paused = paused
        self._timer: Timer | None = None

    @classmethod
    def from_file(cls, story: Story, path: str | Path, speed: float = 1.0,
                  paused: bool = False) -> ReplayPlayerScreen:
        """Raises ``RecordingError`` with a message for the player if the file is bad."""
        return cls(story, read_recording(path), speed, paused)

    @property
    def state(self) -> GameState:
        return self.states[self.step]

    @property
    def at_end(self) -> bool:
        return self.step >= len(self.states) - 1

    def compose(self) -> ComposeResult:
        yield Plain(id="replay-status")
        with VerticalScroll(id="replay-prose"):
            yield Plain(id="replay-text")
        yield Plain(id="replay-choices")
        yield Footer()

    def on_mount(self) -> None:
        self._restart_timer()
        self.show()

    def _restart_timer(self) -> None:
        if self._timer is not None:
            self._timer.stop()
        self._timer = self.set_interval(SPEEDS[self.speed_index], self._tick)

    def _tick(self) -> None:
        if not self.paused and not self.at_end and self.is_attached:
            self.step += 1
            self.show()

    def show(self) -> None:
        if not self.is_attached or not self.query("#replay-status"):
            return
        beat = current(self.story, self.state)
        text = Text(beat.episode_title + "\n", "dim") if beat.episode_title else Text()
        text.append_text(beat_text(beat))
        self.query_one("#replay-text", Plain).update(text)
        self.query_one("#replay-prose", VerticalScroll).scroll_home(animate=False)
        choices = Text()
        upcoming = self.recording.choices[self.step] if self.step < len(self.states) - 1 \
            else None
        for number, view in enumerate(beat.choices, start=1):
            if choices:
                choices.append("\n")
            if view.id == upcoming:
                choices.append(f"\u279c {number}. {view.label}", "bold reverse")
            else:
                choices.append(f"  {number}. {view.label}", "" if view.enabled else "dim")
        if self.at_end:
            if choices:
                choices.append("\n")
            if self.problem:
                choices.append(self.problem, "bold red")
            elif beat.ending is not None:
                choices.append(f"End of the recording: \u201c{beat.ending.title}\u201d. "
                               "Press t to play on from here, Esc to stop.", "bold")
            else:
                choices.append("End of the recording. Press t to play on from here.",
                               "bold")
        self.query_one("#replay-choices", Plain).update(choices)
        self._status()

    def _status(self) -> None:
        total = len(self.recording.choices)
        mode = "paused" if self.paused else "playing"
        if self.at_end:
            mode = "finished"
        per = SPEEDS[self.speed_index]
        status = Text("\u23f8 " if self.paused or self.at_end else "\u25b6 ", "bold")
        status.append(self.recording.title or "A recording", "bold")
        status.append(f"  \u00b7  step {self.step}/{total}  \u00b7  {mode}  \u00b7  "
                      f"{per:g}s a step")
        self.query_one("#replay-status", Plain).update(status)

    def action_pause(self) -> None:
        self.paused = not self.paused
        self._status()

    def action_step(self, delta: int) -> None:
        self.paused = True
        self.step = max(0, min(len(self.states) - 1, self.step + delta))
        self.show()

    def action_speed(self, delta: int) -> None:
        self.speed_index = max(0, min(len(SPEEDS) - 1, self.speed_index + delta))
        self._restart_timer()
        self._status()

    def action_take_over(self) -> None:
        if not self.is_current:
            return
        if self._timer is not None:
            self._timer.stop()
        take_over(self, self.state)

    def action_close(self) -> None:
        if self.is_current:
            self.app.pop_screen()


def open_replay_file(app: App, story: Story, path: str | Path, speed: float = 1.0) -> None:
    """``kissgame play --replay FILE``: play the recording over whatever is showing."""
    try:
        screen = ReplayPlayerScreen.from_file(story, path, speed)
    except RecordingError as exc:
        app.notify(str(exc), title="Cannot play this recording", severity="error", timeout=12)
        return
    app.push_screen(screen)


def export_current(app: App, story: Story, state: GameState | None) -> Path | None:
    """Write the playthrough in progress as a recording and tell the player where."""
    if state is None:
        app.notify("There is no playthrough to export yet.")
        return None
    if app.is_web:
        _deliver(app, story, state)
        return None
    folder = story_export_folder(story)
    try:
        path = export_recording(story, state, folder)
    except OSError as exc:
        if folder is None:
            app.notify(f"Could not write the recording: {exc.strerror or exc}",
                       severity="error")
            return None
        try:  # a story folder we may not write to: the player's data folder instead
            path = export_recording(story, state)
        except OSError as again:
            app.notify(f"Could not write the recording: {again.strerror or again}",
                       severity="error")
            return None
    app.notify(f"Recording of {len(state.path)} choices saved to {path}", title="Exported",
               timeout=8)
    return path


def _deliver(app: App, story: Story, state: GameState) -> None:
    """In a browser (kissgame serve): a download, and nothing written on the server."""
    name = f"{story_file_name(story.id)}-{datetime.now():%Y%m%d-%H%M%S}.yaml"
    text = Recording.from_state(story, state, f"{story.title}: {len(state.path)} choices")
    app.deliver_text(io.StringIO(text.to_yaml()), save_filename=name,
                     mime_type="application/yaml", encoding="utf-8")
    app.notify(f"Recording of {len(state.path)} choices sent to your browser as {name}",
               title="Exported", timeout=8)
