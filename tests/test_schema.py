"""`kissgame schema` is a valid JSON Schema that accepts every real story file and
rejects the mistakes an editor should underline."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from kissgame.schema import story_schema

jsonschema = pytest.importorskip("jsonschema")
ROOT = Path(__file__).resolve().parents[1]
FILES = sorted([*ROOT.glob("story/**/*.yaml"), *ROOT.glob("examples/**/*.yaml")])


@pytest.fixture(scope="module")
def validator():
    schema = story_schema()
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


@pytest.mark.parametrize("path", FILES, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_shipped_file_validates(validator, path):
    errors = list(validator.iter_errors(yaml.safe_load(path.read_text())))
    assert errors == [], [e.message for e in errors[:3]]


@pytest.mark.parametrize("bad", [
    {"scenes": [{"id": "a", "txet": "typo"}]},
    {"scenes": [{"id": "a", "choices": [{"label": "no target"}]}]},
    {"scenes": [{"id": "has-dash"}]},
    {"scenes": [{"id": "a", "choices": [{"label": "x", "to": "b", "once": "maybe"}]}]},
    {"format": 1, "id": "x", "title": "T"},
])
def test_editor_mistakes_are_rejected(validator, bad):
    assert list(validator.iter_errors(bad))
