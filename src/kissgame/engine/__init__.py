"""The pure story engine: no Textual, no YAML, no file I/O."""

from .build import build_story
from .diagnostics import Diagnostic, SourceSpan, StoryError, StoryRuntimeError
from .migrate import Fit, Fitted, StateUnfit, fit_state
from .model import Choice, Ending, Scene, Story
from .runtime import (
    Beat,
    ChoiceStatus,
    ChoiceView,
    Diverged,
    InvalidChoice,
    Line,
    available_choice_ids,
    choice_status,
    choose,
    current,
    enter_scene,
    new_game,
    replay,
    rewind,
)
from .state import GameState, OnceKey, StateFormatError

__all__ = [
    "Beat", "Choice", "ChoiceStatus", "ChoiceView", "Diagnostic", "Diverged", "Ending", "Fit",
    "Fitted", "GameState", "InvalidChoice", "Line", "OnceKey", "Scene", "SourceSpan",
    "StateFormatError", "StateUnfit", "Story", "StoryError", "StoryRuntimeError",
    "available_choice_ids", "build_story", "choice_status", "choose", "current", "enter_scene",
    "fit_state", "new_game", "replay", "rewind",
]
