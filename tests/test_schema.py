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


def _properties(node):
    """Every (path, property schema) in a schema, at any depth."""
    if isinstance(node, dict):
        yield from node.get("properties", {}).items()
        for value in node.values():
            yield from _properties(value)
    elif isinstance(node, list):
        for value in node:
            yield from _properties(value)


def test_every_key_has_a_description():
    found = list(_properties(story_schema()))
    assert len(found) > 50
    assert [name for name, prop in found if not prop.get("description")] == []


def test_schema_of_a_story_folder_has_its_ids_as_enums(capsys):
    import json

    from kissgame.__main__ import main

    assert main(["schema", str(ROOT / "examples" / "first_day")]) == 0
    schema = json.loads(capsys.readouterr().out)
    defs = schema["$defs"]
    scenes = defs["choice"]["properties"]["to"]["enum"]
    assert "cafeteria" in scenes and scenes == defs["scene"]["properties"]["next"]["enum"]
    assert defs["scene"]["properties"]["ending"]["enum"] == ["friends", "stairwell"]
    speakers = defs["text"]["oneOf"][1]["items"]["oneOf"][2]["propertyNames"]["enum"]
    assert "q" in speakers
    validator = jsonschema.Draft202012Validator(schema)
    for path in (ROOT / "examples" / "first_day").rglob("*.yaml"):
        assert list(validator.iter_errors(yaml.safe_load(path.read_text()))) == []
    typo = {"scenes": [{"id": "a", "choices": [{"label": "x", "to": "cafeteira"}]}]}
    assert list(validator.iter_errors(typo))


def test_the_built_in_storys_own_schema_accepts_every_file_and_no_stray_speaker():
    from kissgame.loader import load_story
    from kissgame.resources import default_story_root

    root = default_story_root()
    story = load_story(root).story
    validator = jsonschema.Draft202012Validator(story_schema(story))
    for path in sorted(Path(root).rglob("*.yaml")):
        errors = list(validator.iter_errors(yaml.safe_load(path.read_text())))
        assert errors == [], (path.name, [e.message for e in errors[:3]])
    speaker = next(iter(story.characters))
    assert not list(validator.iter_errors({"scenes": [{"id": "x", "text": [{speaker: "hi"}]}]}))
    assert list(validator.iter_errors({"scenes": [{"id": "x", "text": [{"nobody": "hi"}]}]}))
