"""Plain data (dicts, lists, scalars) -> a compiled Story, with every problem located.

The loader hands over ``LocDict``/``LocList`` values that remember the line and
column of each item; tests may hand over plain dicts, which are located at line 1.
Nothing here raises on bad input: problems become diagnostics and the build goes
on, so an author sees every error of a story at once.
"""

from __future__ import annotations

import dataclasses
import re
from typing import Any

from .diagnostics import (
    BAD_ID,
    BAD_SCENE_ID,
    BAD_VAR_NAME,
    DUPLICATE_CHOICE,
    DUPLICATE_SCENE,
    DUPLICATE_VAR,
    ENDING_WITH_CHOICES,
    MISSING_FIELD,
    MISSING_START,
    OVER_LIMIT,
    STORY_FORMAT,
    TYPE_MISMATCH,
    UNDECLARED_ENDING,
    UNKNOWN_EPISODE,
    UNKNOWN_FIELD,
    UNKNOWN_SPEAKER,
    UNKNOWN_TARGET,
    UNKNOWN_VARIABLE,
    WRONG_SHAPE,
    Descriptor,
    Diagnostic,
    SourceSpan,
)
from .expr import (
    ANY,
    Assign,
    Bounds,
    Expr,
    Guard,
    ParseFailure,
    TypeChecker,
    effect_guards,
    over_limit,
    parse_effects_ir,
    parse_expression_ir,
    span_at,
    suggest,
    value_type,
)
from .model import (
    RETURN,
    Block,
    Character,
    Choice,
    ConditionalBlock,
    Dialogue,
    Ending,
    Episode,
    Meter,
    Narration,
    Scene,
    Story,
    VarDecl,
)
from .text import Template, Variation, parse_template, template_exprs, template_variations

FORMAT_VERSION = 1
"""The story format this kissgame writes and documents."""
MIN_FORMAT_VERSION = 1
"""The oldest story format it still reads."""


def format_problem(fmt: object) -> str | None:
    """Why a manifest's ``format:`` cannot be read, or None when it can."""
    readable = (f"format {FORMAT_VERSION}" if MIN_FORMAT_VERSION == FORMAT_VERSION else
                f"formats {MIN_FORMAT_VERSION} to {FORMAT_VERSION}")
    if isinstance(fmt, bool) or not isinstance(fmt, int):
        return f"format must be a whole number; this kissgame reads {readable}"
    if fmt > FORMAT_VERSION:
        return (f"this story is written in format {fmt}, which needs a newer kissgame "
                f"(this one reads {readable}); update kissgame to play it")
    if fmt < MIN_FORMAT_VERSION:
        return (f"format {fmt} is older than this kissgame can read ({readable}); "
                f"see docs/authoring.md for updating a story")
    return None

MANIFEST_FIELDS = {
    "format", "id", "title", "start", "author", "description", "characters", "vars",
    "episodes", "ships", "meters", "clues", "endings", "tags",
}
FILE_FIELDS = {"episode", "vars", "scenes"}
SCENE_FIELDS = {"id", "title", "episode", "text", "on_enter", "choices", "next", "ending", "tags",
                "assume"}
CHOICE_FIELDS = {"id", "label", "to", "if", "locked", "do", "once", "tags", "reply",
                 "fallback", "call", "return"}
CHARACTER_FIELDS = {"name", "color"}
METER_FIELDS = {"label", "var", "max"}
ENDING_FIELDS = {"title", "turns_on", "hint"}
BOUNDED_VAR_FIELDS = {"value", "min", "max"}
ID_PATTERN = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
STORY_ID_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
VAR_PATTERN = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$")
RESERVED_WORDS = {"true", "false", "True", "False", "and", "or", "not", "if", "else", "None"}


class LocDict(dict[Any, Any]):
    """A dict that remembers where it and each of its values started (1-based)."""

    line = 1
    col = 1
    spans: dict[Any, tuple[int, int, int]] = {}


class LocList(list[Any]):
    line = 1
    col = 1
    spans: list[tuple[int, int, int]] = []


class _Builder:
    def __init__(self, root: str):
        self.root = root
        self.diagnostics: list[Diagnostic] = []

    # -- locations and reporting

    @staticmethod
    def _mark(container: Any, key: Any) -> tuple[int, int, int] | None:
        spans = getattr(container, "spans", None)
        mark: tuple[int, int, int] | None = None
        if isinstance(spans, dict):
            mark = spans.get(key)
        elif isinstance(spans, list) and isinstance(key, int) and 0 <= key < len(spans):
            mark = spans[key]
        return mark

    def here(self, file: str, container: Any, key: Any = None) -> SourceSpan:
        """The span of ``container[key]`` (or of the container when key is None)."""
        mark = self._mark(container, key) if key is not None else None
        if mark is not None:
            return SourceSpan(file, mark[0], mark[1])
        return SourceSpan(file, getattr(container, "line", 1), getattr(container, "col", 1))

    def text_span(self, file: str, container: Any, key: Any) -> SourceSpan:
        """Where the text of a scalar begins (past an opening quote)."""
        mark = self._mark(container, key)
        if mark is None:
            return self.here(file, container)
        return SourceSpan(file, mark[0], mark[1] + mark[2])

    def error(self, descriptor: Descriptor, message: str, span: SourceSpan) -> None:
        self.diagnostics.append(descriptor.at(span, message))

    def mapping(self, value: Any, file: str, span: SourceSpan, what: str,
                fields: set[str] | None = None,
                required: tuple[str, ...] = ()) -> dict[str, Any] | None:
        if not isinstance(value, dict):
            self.error(WRONG_SHAPE, f"{what} must be a mapping, not {_kind(value)}", span)
            return None
        if fields is not None:
            for key in value:
                if key not in fields:
                    hint = suggest(str(key), fields)
                    self.error(UNKNOWN_FIELD, f"unknown field '{key}' in {what}{hint}",
                               self.key_span(file, value, key))
        for key in required:
            if key not in value:
                self.error(MISSING_FIELD, f"{what} needs a '{key}' field", span)
        return value

    def key_span(self, file: str, mapping: Any, key: Any) -> SourceSpan:
        # Keys are located by their value's position; good enough for one-line fields.
        return self.here(file, mapping, key)

    def string(self, mapping: dict[str, Any], key: str, file: str, what: str,
               default: str | None = "") -> str | None:
        value = mapping.get(key, default)
        if value is None and default is None and key not in mapping:
            return None
        if isinstance(value, bool) or value is None:
            self.error(WRONG_SHAPE, f"'{key}' of {what} must be text, {_not_text(value)}",
                       self.here(file, mapping, key))
            return default
        if isinstance(value, int | float):
            return str(value)
        if not isinstance(value, str):
            self.error(WRONG_SHAPE, f"'{key}' of {what} must be text, {_not_text(value)}",
                       self.here(file, mapping, key))
            return default
        return value

    def string_list(self, mapping: dict[str, Any], key: str, file: str,
                    what: str) -> tuple[str, ...]:
        value = mapping.get(key)
        if value is None:
            return ()
        if not isinstance(value, list) or not all(isinstance(x, str) for x in value):
            self.error(WRONG_SHAPE, f"'{key}' of {what} must be a list of words",
                       self.here(file, mapping, key))
            return ()
        return tuple(value)

    # -- expressions

    def expression(self, source: Any, span: SourceSpan, what: str, site: str) -> Expr | None:
        """Parse one expression; ``site`` names its place within its scene (for the dice)."""
        if isinstance(source, bool):
            source = "true" if source else "false"
        if not isinstance(source, str | int | float):
            self.error(WRONG_SHAPE,
                       f"{what} must be an expression in text, not {_kind(source)}", span)
            return None
        source = str(source)
        try:
            ir = parse_expression_ir(source, site)
        except ParseFailure as exc:
            self.error(exc.descriptor, f"in {what}: {exc.args[0]}",
                       span_at(span, source, exc.offset))
            return None
        return Expr(source, ir, span)

    def effects(self, value: Any, file: str, container: Any, key: Any,
                what: str, site: str, guards: tuple[Guard, ...] = ()) -> tuple[Assign, ...]:
        """Effects from text, a list of texts, or ``{if, then, else}`` entries in a list
        (each side being effects again); conditional ones carry their ``guards``."""
        items: list[tuple[str, SourceSpan, str]] = []
        out: list[Assign] = []
        if isinstance(value, str):
            items.append((value, self.text_span(file, container, key), site))
        elif isinstance(value, list):
            for i, item in enumerate(value):
                if isinstance(item, dict) and "if" in item:
                    out.extend(self._flush(items, what, guards))
                    out.extend(self._conditional(item, file, value, i, what,
                                                 f"{site}/{i}", guards))
                    continue
                if not isinstance(item, str):
                    self.error(WRONG_SHAPE, f"each effect in {what} must be text like 'x += 1'"
                               " or an {if, then, else}", self.here(file, value, i))
                    continue
                items.append((item, self.text_span(file, value, i), f"{site}/{i}"))
        elif isinstance(value, dict) and "if" in value:
            return self._conditional(value, file, container, key, what, site, guards)
        else:
            self.error(WRONG_SHAPE, f"{what} must be text like 'x += 1' or a list of such",
                       self.here(file, container, key))
        out.extend(self._flush(items, what, guards))
        return tuple(out)

    def _flush(self, items: list[tuple[str, SourceSpan, str]], what: str,
               guards: tuple[Guard, ...]) -> list[Assign]:
        out = []
        for source, span, item_site in items:
            try:
                parsed = parse_effects_ir(source, item_site)
            except ParseFailure as exc:
                self.error(exc.descriptor, f"in {what}: {exc.args[0]}",
                           span_at(span, source, exc.offset))
                continue
            for name, op, ir, off in parsed:
                where = span_at(span, source, off)
                out.append(Assign(name, op, Expr(source, ir, span), where, source, guards))
        items.clear()
        return out

    def _conditional(self, item: dict[str, Any], file: str, container: Any, key: Any,
                     what: str, site: str, guards: tuple[Guard, ...]) -> tuple[Assign, ...]:
        extra = set(item) - {"if", "then", "else"}
        if extra:
            self.error(UNKNOWN_FIELD, f"a conditional effect takes if/then/else, not "
                       f"'{sorted(extra)[0]}'", self.here(file, container, key))
        if "then" not in item and "else" not in item:
            self.error(MISSING_FIELD, "a conditional effect needs 'then' or 'else'",
                       self.here(file, container, key))
        cond = self.expression(item["if"], self.text_span(file, item, "if"),
                               f"the condition of a conditional effect in {what}", f"{site}/if")
        if cond is None:
            return ()
        out: list[Assign] = []
        for side, want in (("then", True), ("else", False)):
            if side in item:
                out.extend(self.effects(item[side], file, item, side, what, f"{site}/{side}",
                                        (*guards, (cond, want))))
        return tuple(out)

    def template(self, value: Any, span: SourceSpan, what: str, site: str) -> Template:
        if isinstance(value, bool) or value is None:
            self.error(WRONG_SHAPE, f"{what} must be text, {_not_text(value)}", span)
            return ("",)
        if isinstance(value, int | float):
            value = str(value)
        if not isinstance(value, str):
            self.error(WRONG_SHAPE, f"{what} must be text, {_not_text(value)}", span)
            return ("",)
        return parse_template(value, span, self.diagnostics, site)


def _not_text(value: Any) -> str:
    """Why ``value`` is not text, in a writer's words."""
    if isinstance(value, bool):
        return (f"but was read as {str(value).lower()}: YAML reads an unquoted yes, no, on, "
                "off, true or false as true/false; quote it")
    return f"not {_kind(value)}"


def _kind(value: Any) -> str:
    if value is None:
        return "nothing"
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "text"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    return type(value).__name__


def build_story(manifest: Any, files: list[tuple[str, Any]], manifest_file: str = "story.yaml",
                root: str = ".", resolve: bool = True) -> tuple[Story | None, list[Diagnostic]]:
    """Compile a manifest and scene files (plain or located data) into a Story.
    ``resolve=False`` skips the checks of references and types across the story (for
    a story whose files are not all given yet)."""
    b = _Builder(root)
    top = SourceSpan(manifest_file)
    m = b.mapping(manifest, manifest_file, top, "the manifest", MANIFEST_FIELDS,
                  ("format", "id", "title", "start"))
    if m is None:
        return None, b.diagnostics
    if "format" in m:
        problem = format_problem(m.get("format"))
        if problem:
            b.error(STORY_FORMAT, problem, b.here(manifest_file, m, "format"))

    vars: dict[str, VarDecl] = {}
    _declare_vars(b, m.get("vars"), manifest_file, m, "vars", vars)
    characters = _characters(b, m, manifest_file)
    episodes = _episodes(b, m, manifest_file)
    endings = _endings(b, m, manifest_file)
    ships = _meters(b, m, "ships", manifest_file)
    meters = _meters(b, m, "meters", manifest_file)
    clues = _meters(b, m, "clues", manifest_file)

    scenes: dict[str, Scene] = {}
    for file, data in files:
        _file_scenes(b, file, data, vars, characters, scenes)

    start = b.string(m, "start", manifest_file, "the manifest") or ""
    story_id = b.string(m, "id", manifest_file, "the manifest") or ""
    if story_id and not STORY_ID_PATTERN.match(story_id):
        b.error(BAD_ID, f"story id '{story_id}' must be letters, digits, _, - and . (starting "
                "with a letter or digit)", b.here(manifest_file, m, "id"))
    story = Story(
        id=story_id,
        title=b.string(m, "title", manifest_file, "the manifest") or "",
        start=start,
        root=root,
        span=top,
        scenes=scenes,
        vars=vars,
        characters=characters,
        episodes=episodes,
        ships=ships,
        meters=meters,
        clues=clues,
        endings=endings,
        author=b.string(m, "author", manifest_file, "the manifest") or "",
        description=b.string(m, "description", manifest_file, "the manifest") or "",
        tags=b.string_list(m, "tags", manifest_file, "the manifest"),
        files=(manifest_file, *(file for file, _ in files)),
    )
    if not resolve:
        return story, b.diagnostics
    used = _resolve(b, story, m, manifest_file)
    return dataclasses.replace(story, used_vars=frozenset(used)), b.diagnostics


def _file_scenes(b: _Builder, file: str, data: Any, vars: dict[str, VarDecl],
                 characters: dict[str, Character], scenes: dict[str, Scene]) -> None:
    """The variables and scenes of one scene file, added to ``vars`` and ``scenes``."""
    f = b.mapping(data, file, SourceSpan(file, getattr(data, "line", 1)), "a scene file",
                  FILE_FIELDS, ("scenes",))
    if f is None:
        return
    _declare_vars(b, f.get("vars"), file, f, "vars", vars)
    file_episode = b.string(f, "episode", file, "the scene file") or ""
    raw_scenes = f.get("scenes")
    if raw_scenes is None:
        return
    if not isinstance(raw_scenes, list):
        b.error(WRONG_SHAPE, "'scenes' must be a list of scenes", b.here(file, f, "scenes"))
        return
    for i, raw in enumerate(raw_scenes):
        scene = _scene(b, raw, file, b.here(file, raw_scenes, i), file_episode, characters)
        if scene is None:
            continue
        if scene.id in scenes:
            first = scenes[scene.id].span
            b.error(DUPLICATE_SCENE,
                    f"scene id '{scene.id}' is already used at {first}", scene.span)
            continue
        scenes[scene.id] = scene


def build_file_scenes(file: str, data: Any, characters: dict[str, Character],
                      root: str = ".") -> tuple[dict[str, Scene], list[Diagnostic]]:
    """The scenes of one scene file on their own (the story's other files unread): what
    ``build_story`` makes of them, without the checks that need the whole story."""
    b = _Builder(root)
    scenes: dict[str, Scene] = {}
    _file_scenes(b, file, data, {}, characters, scenes)
    return scenes, b.diagnostics


def _declare_vars(b: _Builder, raw: Any, file: str, parent: Any, key: str,
                  out: dict[str, VarDecl], prefix: str = "") -> None:
    if raw is None:
        return
    if not isinstance(raw, dict):
        b.error(WRONG_SHAPE, "'vars' must map variable names to initial values",
                b.here(file, parent, key))
        return
    for name, value in raw.items():
        full = f"{prefix}{name}"
        span = b.here(file, raw, name)
        if not isinstance(name, str) or not VAR_PATTERN.match(full) or name in RESERVED_WORDS:
            b.error(BAD_VAR_NAME,
                    f"'{full}' is not a valid variable name (letters, digits, _)", span)
            continue
        bounds = None
        if isinstance(value, dict) and "value" in value and set(value) <= BOUNDED_VAR_FIELDS:
            low, high = value.get("min"), value.get("max")
            for label, bound in (("min", low), ("max", high)):
                if bound is not None and (isinstance(bound, bool) or
                                          not isinstance(bound, int | float)):
                    b.error(WRONG_SHAPE, f"'{label}' of '{full}' must be a number",
                            b.here(file, value, label))
            bounds = Bounds(low if isinstance(low, int | float) else None,
                            high if isinstance(high, int | float) else None)
            value = value["value"]
            if value_type(value) != "number":
                b.error(WRONG_SHAPE, f"'{full}' has min/max, so its value must be a number", span)
                continue
            if (bounds.low is not None and value < bounds.low) or (
                    bounds.high is not None and value > bounds.high):
                b.error(WRONG_SHAPE, f"initial value of '{full}' is outside its min/max", span)
        elif isinstance(value, dict):
            _declare_vars(b, value, file, raw, name, out, f"{full}.")
            continue
        vtype = value_type(value)
        problem = over_limit(value)
        if problem is not None:
            b.error(OVER_LIMIT, f"'{full}' starts beyond the limits: {problem}", span)
            continue
        if vtype == ANY:
            b.error(WRONG_SHAPE, f"'{full}' must start as a number, true/false or text, "
                    f"not {_kind(value)}", span)
            continue
        if full in out:
            b.error(DUPLICATE_VAR,
                    f"variable '{full}' is already declared at {out[full].span}", span)
            continue
        out[full] = VarDecl(full, value, vtype, bounds, span)


def _section(b: _Builder, m: dict[str, Any], key: str, file: str,
             shape: str) -> list[tuple[str, Any, SourceSpan]]:
    """The (id, value, span) entries of a manifest section that maps ids to ``shape``."""
    raw = m.get(key)
    if raw is None:
        return []
    if not isinstance(raw, dict):
        b.error(WRONG_SHAPE, f"'{key}' must map ids to {shape}", b.here(file, m, key))
        return []
    entries = []
    for k, v in raw.items():
        span = b.here(file, raw, k)
        if not ID_PATTERN.match(str(k)):
            b.error(BAD_ID, f"{key} id '{k}' must be letters, digits and _ (starting with a "
                    "letter or _)", span)
            continue
        entries.append((str(k), v, span))
    return entries


def _characters(b: _Builder, m: dict[str, Any], file: str) -> dict[str, Character]:
    out: dict[str, Character] = {}
    for cid, value, span in _section(b, m, "characters", file, "{name, color}"):
        if isinstance(value, str):
            out[cid] = Character(cid, value)
            continue
        c = b.mapping(value, file, span, f"character '{cid}'", CHARACTER_FIELDS, ("name",))
        if c is not None:
            out[cid] = Character(cid, b.string(c, "name", file, "a character") or "",
                                 b.string(c, "color", file, "a character") or "")
    return out


def _episodes(b: _Builder, m: dict[str, Any], file: str) -> dict[str, Episode]:
    out: dict[str, Episode] = {}
    for eid, value, span in _section(b, m, "episodes", file, "{title}"):
        if isinstance(value, str):
            out[eid] = Episode(eid, value)
            continue
        e = b.mapping(value, file, span, f"episode '{eid}'", {"title"}, ("title",))
        if e is not None:
            out[eid] = Episode(eid, b.string(e, "title", file, "an episode") or "")
    return out


def _endings(b: _Builder, m: dict[str, Any], file: str) -> dict[str, Ending]:
    out: dict[str, Ending] = {}
    for eid, value, span in _section(b, m, "endings", file, "{title, turns_on, hint}"):
        e = b.mapping(value, file, span, f"ending '{eid}'", ENDING_FIELDS, ("title",))
        if e is not None:
            title, turns_on, hint = (b.string(e, f, file, "an ending") or ""
                                     for f in ("title", "turns_on", "hint"))
            out[eid] = Ending(eid, title, turns_on, hint, span)
    return out


def _meters(b: _Builder, m: dict[str, Any], key: str, file: str) -> tuple[Meter, ...]:
    out = []
    for mid, value, span in _section(b, m, key, file, "{label, var}"):
        e = b.mapping(value, file, span, f"{key} entry '{mid}'", METER_FIELDS, ("var",))
        if e is None:
            continue
        high = e.get("max", 10)
        if isinstance(high, bool) or not isinstance(high, int | float):
            b.error(WRONG_SHAPE, "'max' must be a number", b.here(file, e, "max"))
            high = 10
        out.append(Meter(mid, b.string(e, "label", file, key) or mid,
                         b.string(e, "var", file, key) or "", high, b.here(file, e, "var")))
    return tuple(out)


def _scene(b: _Builder, raw: Any, file: str, span: SourceSpan, file_episode: str,
           characters: dict[str, Character]) -> Scene | None:
    s = b.mapping(raw, file, span, "a scene", SCENE_FIELDS, ("id",))
    if s is None or "id" not in s:
        return None
    sid = b.string(s, "id", file, "a scene") or ""
    span = b.here(file, s, "id")
    if not ID_PATTERN.match(sid):
        b.error(BAD_SCENE_ID, f"scene id '{sid}' must be letters, digits and _", span)
    text: tuple[Block, ...] = ()
    if "text" in s:
        text = _blocks(b, s["text"], file, s, "text", characters, f"{sid}/text")
    on_enter: tuple[Assign, ...] = ()
    if "on_enter" in s:
        on_enter = b.effects(s["on_enter"], file, s, "on_enter", f"on_enter of '{sid}'",
                             f"{sid}/on_enter")
    choices: list[Choice] = []
    raw_choices = s.get("choices")
    if raw_choices is not None:
        if not isinstance(raw_choices, list):
            b.error(WRONG_SHAPE, "'choices' must be a list", b.here(file, s, "choices"))
        else:
            for i, rc in enumerate(raw_choices):
                choice = _choice(b, rc, file, b.here(file, raw_choices, i), sid, characters)
                if choice is not None:
                    choices.append(choice)
    if "next" in s:
        target = b.string(s, "next", file, "a scene") or ""
        choices.append(Choice("next", ("Continue",), target, b.here(file, s, "next")))
    seen: dict[str, Choice] = {}
    for choice in choices:
        if choice.id in seen:
            first = seen[choice.id].span
            b.error(DUPLICATE_CHOICE,
                    f"two choices in '{sid}' have the id '{choice.id}' (lines {first.line} and "
                    f"{choice.span.line}; a choice's id is its target's unless it has an 'id'); "
                    "give them different 'id' fields, so saves and recordings can tell them "
                    "apart", choice.span)
        seen[choice.id] = choice
    ending = b.string(s, "ending", file, "a scene", default=None) if "ending" in s else None
    assume = _assumptions(b, s, file, sid) if "assume" in s else ()
    return Scene(
        id=sid,
        span=span,
        title=b.string(s, "title", file, "a scene") or "",
        episode=b.string(s, "episode", file, "a scene") or file_episode,
        text=text,
        on_enter=on_enter,
        choices=tuple(choices),
        ending=ending,
        tags=b.string_list(s, "tags", file, "a scene"),
        assume=assume,
    )


def _assumptions(b: _Builder, s: dict[str, Any], file: str, sid: str) -> tuple[Expr, ...]:
    """``assume:`` is one condition or a list of them."""
    raw = s["assume"]
    items = list(enumerate(raw)) if isinstance(raw, list) else [(None, raw)]
    out = []
    for i, item in items:
        span = b.text_span(file, raw, i) if i is not None else b.text_span(file, s, "assume")
        expr = b.expression(item, span, f"an assumption of '{sid}'",
                            f"{sid}/assume/{0 if i is None else i}")
        if expr is not None:
            out.append(expr)
    return tuple(out)


def _choice(b: _Builder, raw: Any, file: str, span: SourceSpan, sid: str,
            characters: dict[str, Character]) -> Choice | None:
    replies = isinstance(raw, dict) and "reply" in raw  # with a reply, 'to' defaults to here
    fallback = isinstance(raw, dict) and raw.get("fallback") is True  # label: "Continue"
    jump = _call_or_return(b, raw, file)  # a call's 'to' defaults to here too
    required = ("to",) if fallback else ("label", "to")
    c = b.mapping(raw, file, span, f"a choice in '{sid}'", CHOICE_FIELDS,
                  required[:-1] if replies or jump else required)
    if c is None or ("to" not in c and not replies and not jump):
        return None
    then = None
    if jump == "return":
        target = RETURN
        if "to" in c:
            b.error(WRONG_SHAPE, "a return choice goes back to where its scene was called "
                    "from, so it takes no 'to'", b.here(file, c, "to"))
    else:
        target = (b.string(c, "to", file, "a choice") or "") if "to" in c else sid
    if jump == "call":
        target, then = b.string(c, "call", file, "a choice") or "", target
    cid = b.string(c, "id", file, "a choice") or (target if jump != "return" else "return")
    where = b.here(file, c, jump or ("to" if "to" in c else "reply"))
    if "id" in c and not ID_PATTERN.match(cid):
        b.error(BAD_ID, f"choice id '{cid}' must be letters, digits and _ (starting with a "
                "letter or _)", b.here(file, c, "id"))
    site = f"{sid}/choices/{cid}"
    condition = None
    if "if" in c:
        condition = b.expression(c["if"], b.text_span(file, c, "if"), f"the condition of "
                                 f"'{sid}/{cid}'", f"{site}/if")
    locked = b.string(c, "locked", file, "a choice", default=None) if "locked" in c else None
    if locked is not None and "if" not in c:
        b.error(MISSING_FIELD, "'locked' explains a condition, so this choice needs an 'if'",
                b.here(file, c, "locked"))
    effects: tuple[Assign, ...] = ()
    if "do" in c:
        effects = b.effects(c["do"], file, c, "do", f"the effects of '{sid}/{cid}'",
                            f"{site}/do")
    once = c.get("once", False)
    if not isinstance(once, bool):
        b.error(WRONG_SHAPE, "'once' must be true or false", b.here(file, c, "once"))
        once = False
    if not isinstance(c.get("fallback", False), bool):
        b.error(WRONG_SHAPE, "'fallback' must be true or false", b.here(file, c, "fallback"))
    label = b.template(c.get("label", "Continue" if fallback else ""),
                       b.text_span(file, c, "label"), "a choice label", f"{site}/label")
    reply = _blocks(b, c["reply"], file, c, "reply", characters, f"{site}/reply") if (
        replies) else ()
    return Choice(cid, label, target, where, condition, locked, effects, once,
                  b.string_list(c, "tags", file, "a choice"), reply, fallback, then,
                  jump == "return")


def _call_or_return(b: _Builder, raw: Any, file: str) -> str | None:
    """'call' or 'return' for a choice that has that field (and a valid one), else None."""
    if not isinstance(raw, dict):
        return None
    if "return" in raw and raw["return"] is not True:
        b.error(WRONG_SHAPE, "'return' must be true (a choice that returns from a call), or "
                "left out", b.here(file, raw, "return"))
        return None
    if "call" in raw and "return" in raw:
        b.error(WRONG_SHAPE, "a choice either calls a scene or returns from one, not both",
                b.here(file, raw, "return"))
        return None
    return "call" if "call" in raw else "return" if "return" in raw else None


def _blocks(b: _Builder, raw: Any, file: str, parent: Any, key: Any,
            characters: dict[str, Character], site: str) -> tuple[Block, ...]:
    if isinstance(raw, str | int | float) and not isinstance(raw, bool):
        span = b.text_span(file, parent, key)
        return (Narration(b.template(raw, span, "text", site), span),)
    if not isinstance(raw, list):
        b.error(WRONG_SHAPE, f"text must be a string or a list of paragraphs, not {_kind(raw)}",
                b.here(file, parent, key))
        return ()
    out: list[Block] = []
    for i in range(len(raw)):
        out.extend(_block(b, raw, i, file, characters, site))
    return tuple(out)


def _block(b: _Builder, raw: list[Any], i: int, file: str, characters: dict[str, Character],
           site: str) -> list[Block]:
    """The block(s) item ``i`` of the text list ``raw`` stands for."""
    item = raw[i]
    out: list[Block] = []
    span = b.text_span(file, raw, i)
    if isinstance(item, str | int | float) and not isinstance(item, bool):
        out.append(Narration(b.template(item, span, "text", f"{site}/{i}"), span))
    elif isinstance(item, dict) and len(item) == 1 and "once" in item:
        block = _once(b, item, file, characters, f"{site}/{i}", span)
        if block is not None:
            out.append(block)
    elif isinstance(item, dict) and len(item) == 1 and "first" in item:
        out.extend(_first(b, item, file, characters, f"{site}/{i}", span))
    elif isinstance(item, dict) and "if" in item:
        extra = set(item) - {"if", "then", "else"}
        if extra:
            b.error(UNKNOWN_FIELD, f"a conditional block takes if/then/else, not "
                    f"'{sorted(extra)[0]}'", span)
        cond = b.expression(item["if"], b.text_span(file, item, "if"), "a text condition",
                            f"{site}/{i}/if")
        then = _blocks(b, item.get("then", []), file, item, "then", characters,
                       f"{site}/{i}/then")
        otherwise = _blocks(b, item.get("else", []), file, item, "else", characters,
                            f"{site}/{i}/else")
        if cond is not None:
            out.append(ConditionalBlock(cond, then, otherwise, span))
    elif isinstance(item, dict) and len(item) == 1:
        speaker, line = next(iter(item.items()))
        line_span = b.text_span(file, item, speaker)
        if speaker not in characters:
            hint = suggest(str(speaker), characters)
            b.error(UNKNOWN_SPEAKER, f"unknown speaker '{speaker}'{hint}; declare it under "
                    "'characters', or quote the paragraph if it is narration with ': '",
                    b.here(file, raw, i))
        out.append(Dialogue(str(speaker), b.template(line, line_span, "dialogue",
                                                     f"{site}/{i}"),
                            line_span))
    else:
        b.error(WRONG_SHAPE, "a text block is a paragraph, a {speaker: line}, an "
                "{if, then, else}, a {once: ...} or a {first: [...]}", span)
    return out


ONCE_SOURCE = "once (the first visit)"
"""How a ``once`` block's condition is named in findings and coverage."""


def _once(b: _Builder, item: dict[str, Any], file: str, characters: dict[str, Character],
          site: str, span: SourceSpan) -> ConditionalBlock | None:
    """``{once: blocks}``: shown on the first visit to its scene only (Yarn's ``<<once>>``);
    the visit count is in every state, so rewinding and saves keep it right."""
    if "/reply" in site:
        b.error(WRONG_SHAPE, "'once' lines belong to a scene's text; a reply shows each time "
                "its choice is taken (make the choice once-only, or write the line in the "
                "scene)", span)
        return None
    scene = site.split("/", 1)[0]
    then = _blocks(b, item["once"], file, item, "once", characters, f"{site}/once")
    first_visit = Expr(ONCE_SOURCE, parse_expression_ir(f'visits("{scene}") <= 1', site), span)
    return ConditionalBlock(first_visit, then, (), span)


def _first(b: _Builder, item: dict[str, Any], file: str, characters: dict[str, Character],
           site: str, span: SourceSpan) -> tuple[Block, ...]:
    """``{first: [...]}``: a line group; the first item whose ``if`` holds (a ``once``
    item holds on the first visit) is shown; an item without either is the fallback, last.
    Built as a chain of conditional blocks, so everything that reads them works as is."""
    items = item["first"]
    if not isinstance(items, list) or not items:
        b.error(WRONG_SHAPE, f"'first' takes a list of paragraphs to choose from, not "
                f"{_kind(items)}", b.here(file, item, "first"))
        return ()
    arms: list[tuple[Expr | None, tuple[Block, ...], SourceSpan]] = []
    for i, entry in enumerate(items):
        where = b.text_span(file, items, i)
        at = f"{site}/first/{i}"
        if arms and arms[-1][0] is None:
            b.error(WRONG_SHAPE, "this line is never shown: the one before it has no 'if', so it "
                    "is the group's fallback and must come last", where)
            break
        if isinstance(entry, dict) and "if" in entry:
            extra = sorted(set(entry) - {"if", "then"})
            if extra or "then" not in entry:
                b.error(UNKNOWN_FIELD if extra else MISSING_FIELD,
                        "an item of 'first' is {if: condition, then: text}; the fallback is a "
                        "last item without 'if' (no 'else' here)",
                        b.here(file, entry, extra[0]) if extra else where)
                continue
            cond = b.expression(entry["if"], b.text_span(file, entry, "if"),
                                "a text condition", f"{at}/if")
            then = _blocks(b, entry["then"], file, entry, "then", characters, f"{at}/then")
            if cond is not None:
                arms.append((cond, then, where))
        elif isinstance(entry, dict) and len(entry) == 1 and "once" in entry:
            block = _once(b, entry, file, characters, at, where)
            if block is not None:
                arms.append((block.condition, block.then, where))
        else:
            arms.append((None, tuple(_block(b, items, i, file, characters, at)), where))
    otherwise: tuple[Block, ...] = ()
    if arms and arms[-1][0] is None:
        otherwise = arms.pop()[1]
    for cond, then, where in reversed(arms):
        assert cond is not None
        otherwise = (ConditionalBlock(cond, then, otherwise, where),)
    return otherwise


def _resolve(b: _Builder, story: Story, m: dict[str, Any], manifest_file: str) -> set[str]:
    """Check every reference by name: scenes, endings, episodes, variables, types."""
    scenes = story.scenes
    if story.start and story.start not in scenes:
        b.error(MISSING_START, f"start scene '{story.start}' does not exist"
                f"{suggest(story.start, scenes)}", b.here(manifest_file, m, "start"))
    checker = TypeChecker({n: d.type for n, d in story.vars.items()}, scenes)
    for meter in (*story.ships, *story.meters, *story.clues):
        decl = story.vars.get(meter.var)
        if decl is None:
            b.error(UNKNOWN_VARIABLE, f"notebook entry '{meter.id}' shows unknown variable "
                    f"'{meter.var}'{suggest(meter.var, story.vars)}", meter.span)
        else:
            checker.used.add(meter.var)
    for scene in scenes.values():
        if scene.episode and story.episodes and scene.episode not in story.episodes:
            b.error(UNKNOWN_EPISODE, f"scene '{scene.id}' names unknown episode '{scene.episode}'"
                    f"{suggest(scene.episode, story.episodes)}", scene.span)
        if scene.ending is not None:
            if scene.ending not in story.endings:
                b.error(UNDECLARED_ENDING,
                        f"scene '{scene.id}' ends the story with undeclared ending "
                        f"'{scene.ending}'{suggest(scene.ending, story.endings)}", scene.span)
            if scene.choices:
                b.error(ENDING_WITH_CHOICES, f"ending scene '{scene.id}' must not have choices",
                        scene.choices[0].span)
        for effect in scene.on_enter:
            checker.check_assign(effect)
        for expr in effect_guards(scene.on_enter):
            checker.check_condition(expr)
        for expr in scene.assume:
            checker.check_condition(expr)
        for expr, is_condition in scene_text_exprs(scene):
            if is_condition:
                checker.check_condition(expr)
            else:
                checker.infer(expr.ir, expr)
        for choice in scene.choices:
            if choice.target not in scenes and not choice.returns:
                goes = "calls" if choice.then is not None else "goes to"
                b.error(UNKNOWN_TARGET,
                        f"choice '{choice.id}' in '{scene.id}' {goes} unknown scene "
                        f"'{choice.target}'{suggest(choice.target, scenes)}", choice.span)
            if choice.then is not None and choice.then not in scenes:
                b.error(UNKNOWN_TARGET,
                        f"choice '{choice.id}' in '{scene.id}' comes back from its call to "
                        f"unknown scene '{choice.then}'{suggest(choice.then, scenes)}",
                        choice.span)
            if choice.condition is not None:
                checker.check_condition(choice.condition)
            for effect in choice.effects:
                checker.check_assign(effect)
            for expr in effect_guards(choice.effects):
                checker.check_condition(expr)
    b.diagnostics.extend(checker.diagnostics)
    for name in sorted(checker.text_into_bool):
        decl = story.vars[name]
        b.error(TYPE_MISMATCH, f"variable '{name}' starts as {str(decl.initial).lower()} and so "
                "holds true/false, but is given text: YAML reads an unquoted yes, no, on or "
                "off as true/false; quote its initial value", decl.span)
    return checker.used


def _text_exprs(blocks: tuple[Block, ...]) -> list[tuple[Expr, bool]]:
    found: list[tuple[Expr, bool]] = []
    for block in blocks:
        if isinstance(block, ConditionalBlock):
            found.append((block.condition, True))
            found.extend(_text_exprs(block.then))
            found.extend(_text_exprs(block.otherwise))
        else:
            found.extend(template_exprs(block.text))
    return found


def scene_text_exprs(scene: Scene) -> list[tuple[Expr, bool]]:
    """Every expression in a scene's prose and choice labels (True: used as a condition)."""
    found = _text_exprs(scene.text)
    for choice in scene.choices:
        found.extend(template_exprs(choice.label))
        found.extend(_text_exprs(choice.reply))
    return found


def _block_templates(blocks: tuple[Block, ...]) -> list[Template]:
    found: list[Template] = []
    for block in blocks:
        if isinstance(block, ConditionalBlock):
            found.extend(_block_templates(block.then))
            found.extend(_block_templates(block.otherwise))
        else:
            found.append(block.text)
    return found


def scene_variations(scene: Scene) -> list[Variation]:
    """Every ``{a|b}`` variation in a scene's prose, labels and replies."""
    templates = _block_templates(scene.text)
    for choice in scene.choices:
        templates.append(choice.label)
        templates.extend(_block_templates(choice.reply))
    return [v for template in templates for v in template_variations(template)]


def story_exprs(story: Story) -> list[Expr]:
    """Every expression in a story: assumptions, text, labels, conditions and effect
    values."""
    out: list[Expr] = []
    for scene in story.scenes.values():
        out.extend(scene.assume)
        out.extend(expr for expr, _ in scene_text_exprs(scene))
        out.extend(effect.value for effect in scene.on_enter)
        out.extend(effect_guards(scene.on_enter))
        for choice in scene.choices:
            if choice.condition is not None:
                out.append(choice.condition)
            out.extend(effect.value for effect in choice.effects)
            out.extend(effect_guards(choice.effects))
    return out
