"""JSON Schema of the story format, for editors (yaml-language-server) and tools."""

from __future__ import annotations

from typing import Any

from .engine.build import (
    CHOICE_FIELDS,
    FILE_FIELDS,
    MANIFEST_FIELDS,
    SCENE_FIELDS,
)

_ID = {"type": "string", "pattern": r"^[A-Za-z_][A-Za-z0-9_]*$"}
_EXPR = {"type": ["string", "boolean", "number"], "description": "an expression"}
_EFFECTS = {
    "description": "assignments: 'x += 1; flag.y = true', or a list of them",
    "oneOf": [{"type": "string"}, {"type": "array", "items": {"type": "string"}}],
}
_TAGS = {"type": "array", "items": {"type": "string"}}
_VALUE = {"type": ["number", "boolean", "string"]}


def _text_block() -> dict[str, Any]:
    return {
        "oneOf": [
            {"type": "string", "description": "a paragraph of narration"},
            {
                "type": "object",
                "description": "a conditional block",
                "properties": {
                    "if": _EXPR,
                    "then": {"$ref": "#/$defs/text"},
                    "else": {"$ref": "#/$defs/text"},
                },
                "required": ["if"],
                "additionalProperties": False,
            },
            {
                "type": "object",
                "description": "a dialogue line: {speaker_id: what they say}",
                "minProperties": 1,
                "maxProperties": 1,
                "additionalProperties": {"type": "string"},
            },
        ]
    }


def _vars() -> dict[str, Any]:
    return {
        "type": "object",
        "description": "variables and their initial values; nested mappings are namespaces",
        "additionalProperties": {
            # anyOf: {value, min, max} is a bounded variable, and also a valid namespace
            "anyOf": [
                _VALUE,
                {
                    "type": "object",
                    "properties": {"value": {"type": "number"}, "min": {"type": "number"},
                                   "max": {"type": "number"}},
                    "required": ["value"],
                    "additionalProperties": False,
                },
                {"$ref": "#/$defs/vars"},
            ]
        },
    }


def _meter(with_max: bool) -> dict[str, Any]:
    props: dict[str, Any] = {"label": {"type": "string"}, "var": {"type": "string"}}
    if with_max:
        props["max"] = {"type": "number"}
    return {"type": "object", "additionalProperties": {
        "type": "object", "properties": props, "required": ["var"],
        "additionalProperties": False}}


def story_schema() -> dict[str, Any]:
    choice = {
        "type": "object",
        "properties": {
            "id": _ID,
            "label": {"type": "string", "description": "what the player reads"},
            "to": {"type": "string", "description": "the target scene id"},
            "if": _EXPR,
            "locked": {"type": "string", "description": "shown greyed with this reason"},
            "do": _EFFECTS,
            "once": {"type": "boolean"},
            "tags": _TAGS,
        },
        "required": ["label", "to"],
        "additionalProperties": False,
    }
    scene = {
        "type": "object",
        "properties": {
            "id": _ID,
            "title": {"type": "string"},
            "episode": {"type": "string"},
            "text": {"$ref": "#/$defs/text"},
            "on_enter": _EFFECTS,
            "choices": {"type": "array", "items": {"$ref": "#/$defs/choice"}},
            "next": {"type": "string"},
            "ending": {"type": "string"},
            "tags": _TAGS,
        },
        "required": ["id"],
        "additionalProperties": False,
    }
    scene_file = {
        "type": "object",
        "properties": {
            "episode": {"type": "string"},
            "vars": {"$ref": "#/$defs/vars"},
            "scenes": {"type": "array", "items": {"$ref": "#/$defs/scene"}},
        },
        "required": ["scenes"],
        "additionalProperties": False,
    }
    manifest = {
        "type": "object",
        "properties": {
            "format": {"const": 1},
            "id": {"type": "string"},
            "title": {"type": "string"},
            "start": {"type": "string"},
            "author": {"type": "string"},
            "description": {"type": "string"},
            "characters": {"type": "object", "additionalProperties": {
                "oneOf": [{"type": "string"}, {
                    "type": "object", "properties": {"name": {"type": "string"},
                                                     "color": {"type": "string"}},
                    "required": ["name"], "additionalProperties": False}]}},
            "vars": {"$ref": "#/$defs/vars"},
            "episodes": {"type": "object", "additionalProperties": {
                "oneOf": [{"type": "string"}, {
                    "type": "object", "properties": {"title": {"type": "string"}},
                    "required": ["title"], "additionalProperties": False}]}},
            "ships": _meter(True),
            "meters": _meter(True),
            "clues": _meter(False),
            "endings": {"type": "object", "additionalProperties": {
                "type": "object",
                "properties": {"title": {"type": "string"}, "turns_on": {"type": "string"},
                               "hint": {"type": "string"}},
                "required": ["title"], "additionalProperties": False}},
            "tags": _TAGS,
        },
        "required": ["format", "id", "title", "start"],
        "additionalProperties": False,
    }
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "https://kissgame.invalid/schema/story-1.json",
        "title": "kissgame story file (manifest or scene file)",
        "anyOf": [{"$ref": "#/$defs/scene_file"}, {"$ref": "#/$defs/manifest"}],
        "$defs": {
            "manifest": manifest,
            "scene_file": scene_file,
            "scene": scene,
            "choice": choice,
            "text": {"oneOf": [{"type": "string"},
                               {"type": "array", "items": _text_block()}]},
            "vars": _vars(),
        },
    }


def schema_fields() -> dict[str, set[str]]:
    """The fields the schema names per object, for the test that keeps it in step."""
    defs = story_schema()["$defs"]
    return {name: set(defs[name]["properties"]) for name in
            ("manifest", "scene_file", "scene", "choice")}


LOADER_FIELDS = {
    "manifest": MANIFEST_FIELDS, "scene_file": FILE_FIELDS, "scene": SCENE_FIELDS,
    "choice": CHOICE_FIELDS,
}
