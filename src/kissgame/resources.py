"""Where things live: the built-in story, and the user's data and cache folders."""

from __future__ import annotations

import os
import re
from importlib.resources import files
from pathlib import Path

import platformdirs

APP_NAME = "kissgame"


def default_story_root() -> Path:
    """The built-in story: inside the wheel, or at the repository root in an editable install."""
    packaged = files("kissgame") / "story"
    if packaged.is_dir():
        return Path(str(packaged))
    return Path(__file__).resolve().parents[2] / "story"


def home() -> Path | None:
    value = os.environ.get("KISSGAME_HOME")
    return Path(value) if value else None


def data_dir() -> Path:
    """Saves, settings and the branch map. ``KISSGAME_HOME`` overrides it."""
    base = home()
    return base / "data" if base else Path(platformdirs.user_data_dir(APP_NAME, appauthor=False))


def cache_dir() -> Path:
    """Compiled-story cache; safe to delete at any time."""
    base = home()
    return base / "cache" if base else Path(platformdirs.user_cache_dir(APP_NAME,
                                                                        appauthor=False))


def story_file_name(story_id: str) -> str:
    """The part of a file name that stands for a story (save folder, branch memory,
    exported recordings): the id's safe characters, never empty, never hidden."""
    name = re.sub(r"[^A-Za-z0-9._-]+", "_", story_id).strip("._") or "story"
    return name[:80]
