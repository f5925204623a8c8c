"""Player settings (theme, text reveal speed, text width, key map), kept as JSON in the
platform's config folder (``KISSGAME_HOME/config`` when that is set). A settings file
left in the data folder by version 0.1 is moved there on first read.

Reading never fails: a missing or damaged file gives the defaults, and an unknown value
falls back to its default alone, so one bad entry does not cost the others.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, fields, replace
from pathlib import Path
from typing import Any

from .atomic import clean_stale, write_atomic
from .playerfile import PlayerFileError, read_json
from .resources import APP_NAME, data_dir, home

REVEAL_SPEEDS: dict[str, int] = {"instant": 0, "fast": 200, "normal": 80, "slow": 35}
"""Text reveal speeds in characters per second; 0 shows the whole scene at once."""

DEFAULT_THEME = "textual-dark"
MAX_SETTINGS_BYTES = 64 * 1024
TEXT_WIDTHS: tuple[int, ...] = (60, 70, 80, 100, 0)
"""Choices for the widest the story text gets, in columns; 0 means the whole window."""
DEFAULT_TEXT_WIDTH = 70


@dataclass(frozen=True)
class Settings:
    theme: str = DEFAULT_THEME
    reveal: str = "instant"
    text_width: int = DEFAULT_TEXT_WIDTH
    keymap: tuple[tuple[str, str], ...] = ()
    """Binding id -> keys (``{"play.rewind": "u,backspace"}`` in the file); see the
    ``id=`` of each Binding in kissgame.tui, listed by ``kissgame`` help (F1)."""

    @property
    def reveal_cps(self) -> int:
        return REVEAL_SPEEDS.get(self.reveal, 0)

    def with_(self, **changes: Any) -> Settings:
        return replace(self, **changes)


def config_dir() -> Path:
    """The platform's config folder for kissgame (``KISSGAME_HOME/config`` overrides)."""
    import platformdirs

    base = home()
    return base / "config" if base else Path(platformdirs.user_config_dir(APP_NAME,
                                                                          appauthor=False))


def settings_path() -> Path:
    return config_dir() / "settings.json"


def _move_old_settings(path: Path) -> None:
    """Version 0.1 kept settings in the data folder: move that file to the config folder."""
    old = data_dir() / "settings.json"
    if path.exists() or old == path or not old.is_file():
        return
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        os.replace(old, path)
    except OSError:
        pass  # unreadable or unmovable: the defaults are used and the old file stays


def _keymap(value: Any) -> tuple[tuple[str, str], ...]:
    if not isinstance(value, dict):
        return ()
    return tuple((k, v) for k, v in value.items()
                 if isinstance(k, str) and isinstance(v, str) and k and v.strip())


def load_settings(path: Path | None = None) -> Settings:
    if path is None:
        path = settings_path()
        _move_old_settings(path)
    clean_stale(path.parent)
    try:
        data = read_json(path, MAX_SETTINGS_BYTES)
    except (OSError, PlayerFileError):
        return Settings()
    if not isinstance(data, dict):
        return Settings()
    defaults = Settings()
    values: dict[str, Any] = {}
    for f in fields(Settings):
        if f.name in ("text_width", "keymap"):
            continue
        value = data.get(f.name)
        usable = isinstance(value, str) and 0 < len(value) <= 100 and value.isprintable()
        values[f.name] = value if usable else getattr(defaults, f.name)
    if values["reveal"] not in REVEAL_SPEEDS:
        values["reveal"] = defaults.reveal
    width = data.get("text_width")
    values["text_width"] = width if type(width) is int and width in TEXT_WIDTHS \
        else defaults.text_width
    values["keymap"] = _keymap(data.get("keymap"))
    return Settings(**values)


def save_settings(settings: Settings, path: Path | None = None) -> None:
    data = asdict(settings)
    data["keymap"] = dict(settings.keymap)
    write_atomic(path or settings_path(), json.dumps(data, indent=1) + "\n",
                 keep_backup=True)
