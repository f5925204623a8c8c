"""Story and save formats: a current version, a minimum, and a clear message outside."""

from __future__ import annotations

import pytest

from kissgame.engine import build_story
from kissgame.engine.build import FORMAT_VERSION, MIN_FORMAT_VERSION
from kissgame.saves import MIN_COMPATIBLE, SAVE_VERSION, SaveData, SaveIncompatible


def format_findings(fmt: object) -> list[str]:
    manifest = {"format": fmt, "id": "f", "title": "F", "start": "a"}
    _story, diags = build_story(manifest, [("s.yaml", {"scenes": [{"id": "a", "ending": "e"}]})])
    return [d.message for d in diags if d.code == "KG009"]


def test_every_format_in_the_range_loads():
    for fmt in range(MIN_FORMAT_VERSION, FORMAT_VERSION + 1):
        assert format_findings(fmt) == []


@pytest.mark.parametrize(("fmt", "says"), [
    (FORMAT_VERSION + 1, "needs a newer kissgame"),
    (MIN_FORMAT_VERSION - 1, "older than this kissgame can read"),
    ("one", "must be a whole number"),
])
def test_a_format_outside_the_range_says_why(fmt, says):
    messages = format_findings(fmt)
    assert len(messages) == 1 and says in messages[0]
    assert str(FORMAT_VERSION) in messages[0]


def test_save_versions_have_a_range():
    assert MIN_COMPATIBLE <= SAVE_VERSION
    base = {"story_id": "s", "story_fingerprint": "f"}
    with pytest.raises(SaveIncompatible, match="newer kissgame"):
        SaveData.from_dict({**base, "save_version": SAVE_VERSION + 1})
    with pytest.raises(SaveIncompatible, match="too old"):
        SaveData.from_dict({**base, "save_version": MIN_COMPATIBLE - 1})
