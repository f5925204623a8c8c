"""JSON Schema of the story format, for editors (yaml-language-server) and tools.

Every key is described once, in ``FIELD_DOCS``; the schema's descriptions and the
language server's hovers and completions both read that table.
"""

from __future__ import annotations

from typing import Any

from .engine.build import (
    CHOICE_FIELDS,
    FILE_FIELDS,
    MANIFEST_FIELDS,
    SCENE_FIELDS,
)
from .engine.model import Story

_EFFECTS_DOC = ("assignments such as 'x += 1; flag.y = true' (=, +=, -=, *=), "
                "or a list of them; a list entry may be {if: cond, then: effects, else: effects}")
FIELD_DOCS: dict[str, dict[str, str]] = {
    "manifest": {
        "format": "the story format version; 1",
        "id": "a stable id for the story; saves and recordings name it",
        "title": "the story's title, shown on the title screen",
        "start": "the id of the first scene",
        "author": "who wrote the story (free text)",
        "description": "a short blurb about the story (free text)",
        "characters": "the speakers: id: {name: \"Shown Name\", color: \"#rrggbb\"}",
        "vars": "every variable with its initial value, which fixes its type; nested "
                "mappings are namespaces; {value, min, max} declares a bounded number",
        "episodes": "the episodes in story order: id: {title: \"...\"}",
        "ships": "notebook ships (pairs whose meter choices raise or sink): "
                 "id: {label, var, max}",
        "meters": "other notebook meters: id: {label, var, max}",
        "clues": "notebook clues: id: {label, var}; shown once the boolean var is true",
        "endings": "every ending a scene can reach: id: {title, turns_on, hint}",
        "tags": "a list of free words",
    },
    "scene_file": {
        "episode": "the episode of every scene in this file (a scene may override it)",
        "vars": "more variables, declared as in the manifest; each name once per story",
        "scenes": "the list of scenes in this file",
    },
    "scene": {
        "id": "the scene id, unique across the story: letters, digits and _",
        "title": "the scene title shown above the prose",
        "episode": "the episode of this scene (overrides the file's episode)",
        "text": "the prose: a string, or a list of paragraphs, {speaker: line} "
                "dialogue, {if, then, else} blocks, {once: ...} lines and {first: [...]} "
                "line groups; braces interpolate: {x}, {a|b}, "
                "{if cond}...{else}...{end}",
        "on_enter": "effects run every time the scene is entered: " + _EFFECTS_DOC,
        "choices": "the choices offered at the end of the scene",
        "next": "shorthand for one choice labelled 'Continue' (id 'next') to this scene id",
        "ending": "makes this an ending scene: the id of an ending in the manifest",
        "tags": "a list of free words",
        "assume": "conditions the scene's prose takes for granted (one, or a list); "
                  "explore proves each holds on every path into the scene",
    },
    "choice": {
        "id": "a stable id for saves and recordings; defaults to the target scene id",
        "label": "what the player reads; braces interpolate here too",
        "to": "the target scene id (with a reply and no 'to', the choice returns here); "
              "with 'call', the scene the call comes back to (default: this scene)",
        "if": "a condition; the choice is hidden while it is false",
        "locked": "with 'if': show the choice greyed out with this reason instead of "
                  "hiding it",
        "do": "effects run when the choice is taken: " + _EFFECTS_DOC,
        "once": "true makes the choice once-only: it never shows again after it is taken",
        "tags": "a list of free words",
        "reply": "text shown after the choice is taken, before the target scene's text",
        "fallback": "true: never offered; taken by itself when no other choice is available",
        "call": "plays this scene id as a subroutine: a choice there with 'return: true' "
                "comes back to 'to' (default: this scene, its once-only choices gone)",
        "return": "true: goes back from a call, to the scene its 'call' choice names in "
                  "'to' (takes no 'to' itself)",
    },
    "conditional": {
        "if": "the condition that picks the 'then' blocks (else the 'else' blocks)",
        "then": "blocks shown while the condition is true",
        "else": "blocks shown while the condition is false",
        "once": "a block of its own: text shown on the first visit to the scene only",
        "first": "a block of its own: a list of items, the first that holds is shown "
                 "({if, then} items, once items; a last plain item is the fallback)",
    },
    "character": {
        "name": "the name shown beside the character's lines",
        "color": "the colour of the name, as #rrggbb",
    },
    "episode": {"title": "the episode title shown with its scenes"},
    "meter": {
        "label": "the name shown in the notebook",
        "var": "the variable the notebook shows",
        "max": "the value that fills the meter (default 10)",
    },
    "clue": {
        "label": "the name shown in the notebook",
        "var": "the boolean variable that reveals the clue",
    },
    "ending": {
        "title": "the ending's title in the gallery",
        "turns_on": "the canon moment this ending diverges from",
        "hint": "shown in the gallery while the ending is still locked",
    },
    "bounded_var": {
        "value": "the initial value",
        "min": "the lowest value; assignments are clamped to it",
        "max": "the highest value; assignments are clamped to it",
    },
}

_ID: dict[str, Any] = {"type": "string", "pattern": r"^[A-Za-z_][A-Za-z0-9_]*$"}
_EXPR: dict[str, Any] = {"type": ["string", "boolean", "number"]}
_EFFECTS: dict[str, Any] = {"$ref": "#/$defs/effects"}
_CONDITIONAL_EFFECT: dict[str, Any] = {
    "type": "object",
    "description": "effects that apply only when 'if' holds; 'else' ones otherwise",
    "properties": {
        "if": {**_EXPR, "description": "the condition, decided once before either side runs"},
        "then": {**_EFFECTS, "description": "effects applied when the condition holds"},
        "else": {**_EFFECTS, "description": "effects applied when it does not"}},
    "required": ["if"], "additionalProperties": False,
}
_TAGS: dict[str, Any] = {"type": "array", "items": {"type": "string"}}
_VALUE: dict[str, Any] = {"type": ["number", "boolean", "string"]}


def _props(kind: str, **schemas: dict[str, Any]) -> dict[str, Any]:
    """Each field's schema with its description from ``FIELD_DOCS[kind]``."""
    docs = FIELD_DOCS[kind]
    return {name: {**schema, "description": docs[name]} for name, schema in schemas.items()}


def _text_block(speakers: list[str] | None) -> dict[str, Any]:
    dialogue: dict[str, Any] = {
        "type": "object",
        "description": "a dialogue line: {speaker_id: what they say}",
        "minProperties": 1,
        "maxProperties": 1,
        "additionalProperties": {"type": "string", "description": "what the speaker says"},
    }
    words = ["once", "first"]  # text blocks of their own, never a speaker
    dialogue["propertyNames"] = {"not": {"enum": words}}
    if speakers is not None:
        dialogue["propertyNames"] = {"enum": [x for x in speakers if x not in words]}
    once = {"type": "object", "description": "shown on the first visit to the scene only",
            "properties": {"once": {"$ref": "#/$defs/text", "description":
                                    "blocks shown on the first visit to the scene only"}},
            "required": ["once"],
            "additionalProperties": False}
    item = {"type": "object", "description": "shown if the condition holds (and no item "
            "before it does)", "properties": {
                "if": {**_EXPR, "description": "the condition that picks this item"},
                "then": {"$ref": "#/$defs/text", "description": "blocks shown for this item"}},
            "required": ["if", "then"], "additionalProperties": False}
    first = {"type": "object", "description": "a line group: the first item that holds is "
             "shown; a last item without 'if' is the fallback",
             "properties": {"first": {
                 "type": "array", "minItems": 1, "description": "the items, in order",
                 "items": {
                 "oneOf": [item, once, {"type": "string"}, dialogue]}}},
             "required": ["first"], "additionalProperties": False}
    return {
        "oneOf": [
            {"type": "string", "description": "a paragraph of narration"},
            {
                "type": "object",
                "description": "a conditional block",
                "properties": _props("conditional", **{
                    "if": _EXPR, "then": {"$ref": "#/$defs/text"},
                    "else": {"$ref": "#/$defs/text"}}),
                "required": ["if"],
                "additionalProperties": False,
            },
            dialogue,
            once,
            first,
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
                    "properties": _props("bounded_var", value={"type": "number"},
                                         min={"type": "number"}, max={"type": "number"}),
                    "required": ["value"],
                    "additionalProperties": False,
                },
                {"$ref": "#/$defs/vars"},
            ]
        },
    }


def _meter(kind: str) -> dict[str, Any]:
    props: dict[str, Any] = {"label": {"type": "string"}, "var": {"type": "string"}}
    if kind == "meter":
        props["max"] = {"type": "number"}
    return {"type": "object", "additionalProperties": {
        "type": "object", "properties": _props(kind, **props), "required": ["var"],
        "additionalProperties": False}}


def _enum(schema: dict[str, Any], values: list[str] | None) -> dict[str, Any]:
    return schema if values is None else {**schema, "enum": values}


def story_schema(story: Story | None = None) -> dict[str, Any]:
    """The schema of story files; with a story, its scene ids, endings, speakers and
    episodes become enums, so an editor without the language server still completes
    them and underlines a typo."""
    scene_ids = sorted(story.scenes) if story is not None else None
    endings = sorted(story.endings) if story is not None else None
    speakers = sorted(story.characters) if story is not None else None
    episodes = sorted(story.episodes) if story is not None and story.episodes else None
    string = {"type": "string"}
    choice = {
        "type": "object",
        "properties": _props(
            "choice", id=_ID, label=string, to=_enum(string, scene_ids), **{"if": _EXPR},
            locked=string, do=_EFFECTS, once={"type": "boolean"}, tags=_TAGS,
            reply={"$ref": "#/$defs/text"}, fallback={"type": "boolean"},
            call=_enum(string, scene_ids), **{"return": {"const": True}}),
        "anyOf": [{"required": ["label", "to"]}, {"required": ["label", "reply"]},
                  {"required": ["label", "call"]}, {"required": ["label", "return"]},
                  {"required": ["fallback"]}],
        "additionalProperties": False,
    }
    scene = {
        "type": "object",
        "properties": _props(
            "scene", id=_ID, title=string, episode=_enum(string, episodes),
            text={"$ref": "#/$defs/text"}, on_enter=_EFFECTS,
            choices={"type": "array", "items": {"$ref": "#/$defs/choice"}},
            next=_enum(string, scene_ids), ending=_enum(string, endings), tags=_TAGS,
            assume={"anyOf": [_EXPR, {"type": "array", "items": _EXPR}]}),
        "required": ["id"],
        "additionalProperties": False,
    }
    scene_file = {
        "type": "object",
        "properties": _props(
            "scene_file", episode=_enum(string, episodes), vars={"$ref": "#/$defs/vars"},
            scenes={"type": "array", "items": {"$ref": "#/$defs/scene"}}),
        "required": ["scenes"],
        "additionalProperties": False,
    }
    named = {"type": "object", "properties": _props("character", name=string, color=string),
             "required": ["name"], "additionalProperties": False}
    titled = {"type": "object", "properties": _props("episode", title=string),
              "required": ["title"], "additionalProperties": False}
    ending = {"type": "object", "properties": _props(
        "ending", title=string, turns_on=string, hint=string),
        "required": ["title"], "additionalProperties": False}
    manifest = {
        "type": "object",
        "properties": _props(
            "manifest", format={"const": 1}, id=string, title=string,
            start=_enum(string, scene_ids), author=string, description=string,
            characters={"type": "object",
                        "additionalProperties": {"oneOf": [string, named]}},
            vars={"$ref": "#/$defs/vars"},
            episodes={"type": "object", "additionalProperties": {"oneOf": [string, titled]}},
            ships=_meter("meter"), meters=_meter("meter"), clues=_meter("clue"),
            endings={"type": "object", "additionalProperties": ending}, tags=_TAGS),
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
                               {"type": "array", "items": _text_block(speakers)}]},
            "vars": _vars(),
            "effects": {"oneOf": [{"type": "string"}, _CONDITIONAL_EFFECT, {
                "type": "array", "items": {"oneOf": [{"type": "string"},
                                                     _CONDITIONAL_EFFECT]}}]},
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
