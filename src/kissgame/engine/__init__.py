"""The pure story engine: no Textual, no YAML, no file I/O."""

from .build import build_story
from .diagnostics import Diagnostic, SourceSpan, StoryError, StoryRuntimeError
from .model import Choice, Ending, Scene, Story
from .runtime import (
    Beat,
    ChoiceView,
    Diverged,
    InvalidChoice,
    Line,
    available_choice_ids,
    choose,
    current,
    new_game,
    replay,
    rewind,
)
from .state import GameState, StateFormatError

__all__ = [
    "Beat", "Choice", "ChoiceView", "Diagnostic", "Diverged", "Ending", "GameState",
    "InvalidChoice", "Line", "Scene", "SourceSpan", "StateFormatError", "Story", "StoryError",
    "StoryRuntimeError", "available_choice_ids", "build_story", "choose", "current",
    "new_game", "replay", "rewind",
]
