"""Recordings: a playthrough kept as a small YAML file of its seed and choice ids."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import yaml

from .atomic import write_atomic
from .engine.model import Story
from .engine.runtime import Beat, Diverged, current, replay
from .engine.state import GameState

RECORDING_VERSION = 1


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

    def to_yaml(self) -> str:
        data: dict = {"recording": RECORDING_VERSION, "story": self.story, "seed": self.seed}
        if self.title:
            data["title"] = self.title
        if self.expect_ending:
            data["expect_ending"] = self.expect_ending
        data["choices"] = list(self.choices)
        return yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=100)

    @classmethod
    def from_state(cls, story: Story, state: GameState, title: str = "") -> Recording:
        ending = story.scenes[state.scene].ending
        return cls(story.id, state.seed, list(state.path), ending, title)


def read_recording(path: str | Path) -> Recording:
    path = Path(path)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise RecordingError(f"{path}: cannot read: {exc.strerror or exc}") from None
    except UnicodeDecodeError:
        raise RecordingError(f"{path}: not a text file") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{path}:{mark.line + 1}:{mark.column + 1}" if mark else str(path)
        raise RecordingError(f"{where}: not valid YAML") from None
    if not isinstance(data, dict):
        raise RecordingError(f"{path}: a recording is a mapping with story, seed and choices")
    story, seed, choices = data.get("story"), data.get("seed", 0), data.get("choices")
    if not isinstance(story, str):
        raise RecordingError(f"{path}: 'story' must name the story id")
    if isinstance(seed, bool) or not isinstance(seed, int):
        raise RecordingError(f"{path}: 'seed' must be a whole number")
    if not isinstance(choices, list) or not all(isinstance(c, str) for c in choices):
        raise RecordingError(f"{path}: 'choices' must be a list of choice ids")
    ending = data.get("expect_ending")
    if ending is not None and not isinstance(ending, str):
        raise RecordingError(f"{path}: 'expect_ending' must be an ending id")
    return Recording(story, seed, choices, ending, str(data.get("title", "")))


def write_recording(path: str | Path, recording: Recording) -> None:
    """Write atomically, so a crash never leaves half a recording."""
    write_atomic(Path(path), recording.to_yaml())


@dataclass
class ReplayResult:
    transcript: list[str]
    ok: bool
    problem: str = ""
    final: GameState | None = None


def format_beat(beat: Beat) -> list[str]:
    lines = []
    heading = " / ".join(x for x in (beat.episode_title, beat.title) if x)
    lines.append(f"== {heading or beat.scene_id} [{beat.scene_id}]")
    for line in beat.lines:
        lines.append(f"{line.speaker_name}: {line.text}" if line.speaker else line.text)
    if beat.ending is not None:
        lines.append(f"** ENDING: {beat.ending.title} [{beat.ending.id}]")
    return lines


def run_recording(story: Story, recording: Recording) -> ReplayResult:
    """Replay headless and build the transcript; stop at the first step that no longer fits."""
    transcript: list[str] = []
    if recording.story != story.id:
        return ReplayResult(transcript, False, f"the recording is for story '{recording.story}',"
                            f" this story is '{story.id}'")
    try:
        states = replay(story, recording.seed, recording.choices)
        problem = ""
    except Diverged as exc:
        states = replay(story, recording.seed, recording.choices[: exc.step - 1])
        problem = f"diverged at {exc}"
    for i, state in enumerate(states):
        beat = current(story, state)
        transcript.extend(format_beat(beat))
        if i < len(recording.choices) and i + 1 < len(states):
            chosen = next((c for c in beat.choices if c.id == recording.choices[i]), None)
            label = chosen.label if chosen else recording.choices[i]
            transcript.append(f"> {label}  [{recording.choices[i]}]")
        transcript.append("")
    final = states[-1]
    if problem:
        return ReplayResult(transcript, False, problem, final)
    ending = story.scenes[final.scene].ending
    if recording.expect_ending and ending != recording.expect_ending:
        got = f"ending '{ending}'" if ending else f"scene '{final.scene}' (not an ending)"
        return ReplayResult(transcript, False, f"expected ending '{recording.expect_ending}', "
                            f"reached {got}", final)
    return ReplayResult(transcript, True, "", final)
