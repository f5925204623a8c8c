"""Player settings (theme, text reveal speed), kept as JSON in the user data folder.

Reading never fails: a missing or damaged file gives the defaults, and an unknown value
falls back to its default alone, so one bad entry does not cost the others.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, fields, replace
from pathlib import Path
from typing import Any

from .atomic import clean_stale, write_atomic
from .playerfile import PlayerFileError, read_json
from .resources import data_dir

REVEAL_SPEEDS: dict[str, int] = {"instant": 0, "fast": 200, "normal": 80, "slow": 35}
"""Text reveal speeds in characters per second; 0 shows the whole scene at once."""

DEFAULT_THEME = "textual-dark"
MAX_SETTINGS_BYTES = 64 * 1024


@dataclass(frozen=True)
class Settings:
    theme: str = DEFAULT_THEME
    reveal: str = "instant"

    @property
    def reveal_cps(self) -> int:
        return REVEAL_SPEEDS.get(self.reveal, 0)

    def with_(self, **changes: Any) -> Settings:
        return replace(self, **changes)


def settings_path() -> Path:
    return data_dir() / "settings.json"


def load_settings(path: Path | None = None) -> Settings:
    path = path or settings_path()
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
        value = data.get(f.name)
        usable = isinstance(value, str) and 0 < len(value) <= 100 and value.isprintable()
        values[f.name] = value if usable else getattr(defaults, f.name)
    if values["reveal"] not in REVEAL_SPEEDS:
        values["reveal"] = defaults.reveal
    return Settings(**values)


def save_settings(settings: Settings, path: Path | None = None) -> None:
    write_atomic(path or settings_path(), json.dumps(asdict(settings), indent=1) + "\n",
                 keep_backup=True)
