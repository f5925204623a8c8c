"""Recordings: a playthrough kept as a small YAML file of its seed and choice ids."""

from __future__ import annotations

import stat
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from .atomic import write_atomic
from .engine.diagnostics import ERROR, Diagnostic, StoryRuntimeError
from .engine.expr import Value
from .engine.model import Story
from .engine.runtime import (
    Beat,
    InvalidChoice,
    available_choice_ids,
    choose,
    current,
    new_game,
    was_passed,
)
from .engine.state import GameState
from .loader import parse_yaml
from .playerfile import MAX_CHOICES

RECORDING_VERSION = 1
MAX_RECORDING_BYTES = 1024 * 1024


class RecordingError(ValueError):
    """A recording file is missing, unreadable, or not shaped like a recording."""


@dataclass
class Recording:
    story: str
    seed: int
    choices: list[str]
    expect_ending: str | None = None
    title: str = ""
    extra: dict = field(default_factory=dict)
    transcript: str | None = None
    """The golden transcript's file name, relative to the recording's folder."""

    def to_yaml(self) -> str:
        data: dict = {"recording": RECORDING_VERSION, "story": self.story, "seed": self.seed}
        if self.title:
            data["title"] = self.title
        if self.expect_ending:
            data["expect_ending"] = self.expect_ending
        if self.transcript:
            data["transcript"] = self.transcript
        data["choices"] = list(self.choices)
        return yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=100)

    @classmethod
    def from_state(cls, story: Story, state: GameState, title: str = "") -> Recording:
        ending = story.scenes[state.scene].ending
        return cls(story.id, state.seed, list(state.path), ending, title)


def read_recording(path: str | Path) -> Recording:
    path = Path(path)
    try:
        info = path.stat()
        if not stat.S_ISREG(info.st_mode):
            raise RecordingError(f"{path}: not a regular file")
        if info.st_size > MAX_RECORDING_BYTES:
            raise RecordingError(f"{path}: larger than {MAX_RECORDING_BYTES} bytes; not a "
                                 "recording")
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise RecordingError(f"{path}: cannot read: {exc.strerror or exc}") from None
    except UnicodeDecodeError:
        raise RecordingError(f"{path}: not a text file") from None
    # Read like a story file: bounded, no aliases, no tags, control characters visible.
    data, found = parse_yaml(text, str(path))
    errors = [d for d in found if d.severity == ERROR]
    if errors:
        raise RecordingError(f"{errors[0].span}: not valid YAML for a recording: "
                             f"{errors[0].message}")
    if not isinstance(data, dict):
        raise RecordingError(f"{path}: a recording is a mapping with story, seed and choices")
    story, seed, choices = data.get("story"), data.get("seed", 0), data.get("choices")
    if not isinstance(story, str):
        raise RecordingError(f"{path}: 'story' must name the story id")
    if isinstance(seed, bool) or not isinstance(seed, int):
        raise RecordingError(f"{path}: 'seed' must be a whole number")
    if not isinstance(choices, list) or not all(isinstance(c, str) for c in choices):
        raise RecordingError(f"{path}: 'choices' must be a list of choice ids")
    if len(choices) > MAX_CHOICES:
        raise RecordingError(f"{path}: more than {MAX_CHOICES} choices; not a playthrough")
    ending = data.get("expect_ending")
    if ending is not None and not isinstance(ending, str):
        raise RecordingError(f"{path}: 'expect_ending' must be an ending id")
    transcript = data.get("transcript")
    if transcript is not None and (not isinstance(transcript, str) or not transcript or
                                   Path(transcript).name != transcript):
        raise RecordingError(f"{path}: 'transcript' must name a file beside the recording")
    return Recording(story, seed, choices, ending, str(data.get("title", "")),
                     transcript=transcript)


def write_recording(path: str | Path, recording: Recording) -> None:
    """Write atomically, so a crash never leaves half a recording."""
    write_atomic(Path(path), recording.to_yaml())


@dataclass
class ReplayResult:
    transcript: list[str]
    ok: bool
    problem: str = ""
    final: GameState | None = None
    golden: list[str] = field(default_factory=list)
    """The canonical transcript (see ``beat_transcript``), as far as the replay got."""
    error: Diagnostic | None = None
    """The runtime error that stopped the replay, if one did."""


def format_beat(beat: Beat) -> list[str]:
    lines = []
    heading = " / ".join(x for x in (beat.episode_title, beat.title) if x)
    lines.append(f"== {heading or beat.scene_id} [{beat.scene_id}]")
    for line in beat.lines:
        lines.append(f"{line.speaker_name}: {line.text}" if line.speaker else line.text)
    if beat.ending is not None:
        lines.append(f"** ENDING: {beat.ending.title} [{beat.ending.id}]")
    return lines


def _one_line(text: str) -> str:
    """Paragraphs keep their inner line breaks visible without breaking the line format."""
    return text.replace("\r\n", "\n").replace("\n", " / ")


def _value(value: Value | None) -> str:
    if value is None:
        return "(none)"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return '"' + _one_line(value) + '"'
    return str(int(value)) if isinstance(value, float) and value.is_integer() else str(value)


def beat_transcript(beat: Beat) -> list[str]:
    """One beat in the golden-transcript format: a line per paragraph, choice and change.

    ``== [scene] Episode / Title``, then the paragraphs (``Speaker: text`` for dialogue),
    then ``* [id] label`` for each choice offered (``x [id] label  (locked: reason)`` for a
    locked one), or ``** ENDING [id] title``.
    """
    heading = " / ".join(x for x in (beat.episode_title, beat.title) if x)
    out = [f"== [{beat.scene_id}] {_one_line(heading)}".rstrip()]
    for line in beat.lines:
        text = _one_line(line.text)
        out.append(f"{line.speaker_name}: {text}" if line.speaker else text)
    for choice in beat.choices:
        if choice.enabled:
            out.append(f"* [{choice.id}] {_one_line(choice.label)}")
        else:
            out.append(f"x [{choice.id}] {_one_line(choice.label)}  "
                       f"(locked: {_one_line(choice.locked_reason or '')})")
    if beat.ending is not None:
        out.append(f"** ENDING [{beat.ending.id}] {_one_line(beat.ending.title)}")
    return out


def changes(before: GameState, after: GameState) -> list[str]:
    """``  name: old -> new`` for every variable a step changed, sorted by name."""
    out = []
    for name in sorted(set(before.vars) | set(after.vars)):
        old, new = before.vars.get(name), after.vars.get(name)
        if old != new or type(old) is not type(new):
            out.append(f"  {name}: {_value(old)} -> {_value(new)}")
    return out


def run_recording(story: Story, recording: Recording) -> ReplayResult:
    """Replay headless and build both transcripts; stop at the first step that no longer
    fits or that fails with a runtime error (reported with the step, scene and place)."""
    transcript: list[str] = []
    golden: list[str] = []
    if recording.story != story.id:
        return ReplayResult(transcript, False, f"the recording is for story '{recording.story}',"
                            f" this story is '{story.id}'")
    step = 0
    state: GameState | None = None
    try:
        state = new_game(story, recording.seed)
        while True:
            beat = current(story, state)
            transcript.extend(format_beat(beat))
            golden.extend(beat_transcript(beat))
            if step == len(recording.choices):
                break
            nxt: GameState | None = None
            while nxt is None and step < len(recording.choices):
                choice_id = recording.choices[step]
                step += 1
                try:
                    nxt = choose(story, state, choice_id)
                except InvalidChoice:
                    if was_passed(state, choice_id):
                        continue  # recorded when fallbacks were shown: taken by itself now
                    shown = ", ".join(available_choice_ids(story, state)) or "none"
                    problem = (f"diverged at step {step}: scene '{state.scene}' has no "
                               f"available choice '{choice_id}' (available: {shown})")
                    transcript.append("")
                    return ReplayResult(transcript, False, problem, state, golden)
            if nxt is None:
                break
            chosen = next((c for c in beat.choices if c.id == choice_id), None)
            label = chosen.label if chosen else choice_id
            transcript.append(f"> {label}  [{choice_id}]")
            transcript.append("")
            golden.append(f"> [{choice_id}] {_one_line(label)}")
            golden.extend(changes(state, nxt))
            golden.append("")
            state = nxt
    except StoryRuntimeError as exc:
        diag = exc.diagnostic
        where = f"step {step}" if step else "the start"
        scene = state.scene if state is not None else story.start
        problem = (f"runtime error at {where} in scene '{scene}': {diag.span}: "
                   f"{diag.message} [{diag.code}]")
        return ReplayResult(transcript, False, problem, state, golden, diag)
    transcript.append("")
    final = state
    ending = story.scenes[final.scene].ending
    if recording.expect_ending and ending != recording.expect_ending:
        got = f"ending '{ending}'" if ending else f"scene '{final.scene}' (not an ending)"
        return ReplayResult(transcript, False, f"expected ending '{recording.expect_ending}', "
                            f"reached {got}", final, golden)
    return ReplayResult(transcript, True, "", final, golden)


def transcript_path(recording_file: str | Path, recording: Recording) -> Path:
    """Where a recording's golden transcript lives (``NAME.transcript.txt`` by default)."""
    recording_file = Path(recording_file)
    name = recording.transcript or f"{recording_file.stem}.transcript.txt"
    return recording_file.parent / name


def first_difference(expected: list[str], actual: list[str]) -> str | None:
    """None when equal, else where the first differing line is, showing both sides."""
    for i in range(max(len(expected), len(actual))):
        want = expected[i] if i < len(expected) else "(end of transcript)"
        got = actual[i] if i < len(actual) else "(end of transcript)"
        if want != got:
            return f"line {i + 1} differs\n  expected: {want}\n  actual:   {got}"
    return None


def transcript_text(lines: list[str]) -> str:
    return "\n".join(lines).rstrip("\n") + "\n"
