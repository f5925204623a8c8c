"""Where every name of a story is written: scene ids, variables, speakers, endings.

One story file's text is composed with PyYAML (never constructed) and walked with
the story format's shape in mind; expressions and ``{}`` templates inside scalars
are scanned in the file's own text, so every occurrence has an exact place even
inside folded or quoted strings. Positions are 0-based lines and code-point columns.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass, field

import yaml

from ..engine.build import BOUNDED_VAR_FIELDS
from ..engine.text import close_brace, variation_end
from ..loader import MAX_FILE_BYTES, YamlLoader

SCENE, VAR, SPEAKER, ENDING, EPISODE, FIELD = (
    "scene", "variable", "speaker", "ending", "episode", "field")

_TOKEN = re.compile(r"""(?P<str>'[^'\n]*'|"[^"\n]*")|"""
                    r"(?P<name>[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*)|"
                    r"(?P<num>\d+(?:\.\d*)?)")
_CALL = re.compile(r"\s*\(")
_SCENE_FUNCTIONS = {"visits", "visited"}
KEYWORDS = {"and", "or", "not", "true", "false", "True", "False", "None", "if", "elif",
            "else", "end", "in", "is"}
# Fields whose value is an expression or a list of them; `assume` is a scene's.
_EXPRESSION_FIELDS = {"if", "do", "on_enter", "assume"}


@dataclass(frozen=True, slots=True)
class Occurrence:
    """One place a name is written. ``text`` is what stands there: the full name, or
    only its last part for a variable declared inside a namespace."""

    kind: str
    name: str
    line: int
    col: int
    text: str
    is_def: bool = False

    @property
    def end(self) -> int:
        return self.col + len(self.text)

    def covers(self, line: int, col: int) -> bool:
        return self.line == line and self.col <= col <= self.end


@dataclass(frozen=True, slots=True)
class SceneBlock:
    """A scene's whole mapping, for document symbols."""

    id: str
    start: tuple[int, int]
    end: tuple[int, int]
    id_occurrence: Occurrence


@dataclass
class FileIndex:
    occurrences: list[Occurrence] = field(default_factory=list)
    scenes: list[SceneBlock] = field(default_factory=list)
    default_choice_targets: set[str] = field(default_factory=set)
    explicit_choice_ids: set[str] = field(default_factory=set)

    def at(self, line: int, col: int) -> Occurrence | None:
        for occ in self.occurrences:
            if occ.covers(line, col):
                return occ
        return None


def index_text(text: str, is_manifest: bool) -> FileIndex | None:
    """The index of one story file, or None when its YAML does not parse."""
    if len(text) > MAX_FILE_BYTES:
        return None
    try:
        node = yaml.compose(text, Loader=YamlLoader)
        walker = _Walker(text)
        if isinstance(node, yaml.MappingNode):
            if is_manifest:
                walker.manifest(node)
            else:
                walker.scene_file(node)
    except (yaml.YAMLError, RecursionError):
        return None
    return walker.index


def read_recording(text: str, story_id: str) -> tuple[list[Occurrence], str | None] | None:
    """The choice ids in a recording of the story ``story_id``, and the name of its
    golden transcript if it has one (None: not a recording of that story)."""
    try:
        node = yaml.compose(text, Loader=YamlLoader)
    except (yaml.YAMLError, RecursionError):
        return None
    if not isinstance(node, yaml.MappingNode):
        return None
    top = dict(_pairs(node))
    story, transcript = top.get("story"), top.get("transcript")
    if "recording" not in top or not isinstance(story, yaml.ScalarNode) or \
            story.value != story_id:
        return None
    walker = _Walker(text)
    choices = top.get("choices")
    for item in choices.value if isinstance(choices, yaml.SequenceNode) else []:
        walker.whole("choice", item)
    name = transcript.value if isinstance(transcript, yaml.ScalarNode) else None
    return walker.index.occurrences, name


def _pairs(node: yaml.MappingNode) -> list[tuple[str, yaml.Node]]:
    return [(k.value, v) for k, v in node.value if isinstance(k, yaml.ScalarNode)]


class _Walker:
    def __init__(self, text: str):
        self.text = text
        self.starts = [0]
        for i, ch in enumerate(text):
            if ch == "\n":
                self.starts.append(i + 1)
        self.index = FileIndex()
        self.seen: set[int] = set()

    def fresh(self, node: yaml.Node) -> bool:
        """False for a node met before: an alias (which the loader refuses anyway) must
        not make a walk through a small file exponential."""
        if id(node) in self.seen:
            return False
        self.seen.add(id(node))
        return True

    # -- recording places

    def add(self, kind: str, name: str, line: int, col: int, text: str,
            is_def: bool = False) -> Occurrence:
        occ = Occurrence(kind, name, line, col, text, is_def)
        self.index.occurrences.append(occ)
        return occ

    def key(self, kind: str, node: yaml.Node, name: str | None = None) -> None:
        if isinstance(node, yaml.ScalarNode) and node.value:
            self.add(kind, name or node.value, node.start_mark.line, node.start_mark.column
                     + _quote(node), node.value, is_def=kind != FIELD)

    def whole(self, kind: str, node: yaml.Node, is_def: bool = False) -> Occurrence | None:
        """A scalar that is one name (``to: x``)."""
        if not isinstance(node, yaml.ScalarNode) or not node.value or \
                node.start_mark.line != node.end_mark.line:
            return None
        return self.add(kind, node.value, node.start_mark.line,
                        node.start_mark.column + _quote(node), node.value, is_def)

    def fields(self, kind: str, node: yaml.MappingNode) -> list[tuple[str, yaml.Node]]:
        pairs = _pairs(node)
        for key_node, _ in node.value:
            if isinstance(key_node, yaml.ScalarNode):
                self.key(FIELD, key_node, f"{kind}.{key_node.value}")
        return pairs

    # -- scanning scalars in the file's text

    def _region(self, node: yaml.ScalarNode) -> tuple[int, str]:
        start = self.starts[node.start_mark.line] + node.start_mark.column
        end = self.starts[node.end_mark.line] + node.end_mark.column \
            if node.end_mark.line < len(self.starts) else len(self.text)
        if node.style in ("'", '"'):
            start, end = start + 1, end - 1
        elif node.style in ("|", ">"):
            newline = self.text.find("\n", start, end)  # skip the '>-' header line
            start = end if newline < 0 else newline + 1
        return start, self.text[start:end]

    def _place(self, offset: int) -> tuple[int, int]:
        line = bisect.bisect_right(self.starts, offset) - 1
        return line, offset - self.starts[line]

    def _expression(self, base: int, source: str) -> None:
        scene_arg = False
        for match in _TOKEN.finditer(source):
            kind = match.lastgroup
            if kind == "str":
                if scene_arg:
                    name = match.group()[1:-1]
                    line, col = self._place(base + match.start() + 1)
                    self.add(SCENE, name, line, col, name)
                scene_arg = False
                continue
            scene_arg = False
            if kind != "name":
                continue
            name = match.group()
            if _CALL.match(source, match.end()):
                scene_arg = name in _SCENE_FUNCTIONS
                continue
            if name in KEYWORDS:
                continue
            line, col = self._place(base + match.start())
            self.add(VAR, name, line, col, name)

    def expression(self, node: yaml.Node) -> None:
        if isinstance(node, yaml.SequenceNode) and self.fresh(node):
            for item in node.value:
                self.expression(item)
        elif isinstance(node, yaml.ScalarNode):
            self._expression(*self._region(node))
        elif isinstance(node, yaml.MappingNode) and self.fresh(node):  # {if, then, else}
            for key, value in _pairs(node):
                if key in ("if", "then", "else"):
                    self.expression(value)

    def template(self, node: yaml.Node) -> None:
        if not isinstance(node, yaml.ScalarNode):
            return
        base, source = self._region(node)
        i = 0
        while i < len(source):
            if source.startswith(("{{", "}}"), i):
                i += 2
                continue
            if source[i] != "{":
                i += 1
                continue
            if (close := variation_end(source, i + 1)) > 0:  # prose, not names
                i = close + 1
                continue
            close = close_brace(source, i + 1)
            if close < 0:
                return
            inner = source[i + 1:close]
            head = re.match(r"\s*(if|elif)\s", inner)
            skip = head.end() if head else 0
            if not re.fullmatch(r"\s*(else|end)\s*", inner):
                self._expression(base + i + 1 + skip, inner[skip:])
            i = close + 1

    # -- the story format's shape

    def manifest(self, node: yaml.MappingNode) -> None:
        for key, value in self.fields("manifest", node):
            if key == "start":
                self.whole(SCENE, value)
            elif key == "vars":
                self.vars(value, "")
            elif key in ("characters", "endings", "episodes") and \
                    isinstance(value, yaml.MappingNode):
                kind = {"characters": SPEAKER, "endings": ENDING, "episodes": EPISODE}[key]
                sub = {"characters": "character", "endings": "ending", "episodes": "episode"}
                for key_node, item in value.value:
                    self.key(kind, key_node)
                    if isinstance(item, yaml.MappingNode):
                        self.fields(sub[key], item)
            elif key in ("ships", "meters", "clues") and isinstance(value, yaml.MappingNode):
                for _, item in value.value:
                    if isinstance(item, yaml.MappingNode):
                        for field_name, v in self.fields(
                                "clue" if key == "clues" else "meter", item):
                            if field_name == "var":
                                self.whole(VAR, v)

    def vars(self, node: yaml.Node, prefix: str) -> None:
        if not isinstance(node, yaml.MappingNode) or not self.fresh(node):
            return
        for key_node, value in node.value:
            if not isinstance(key_node, yaml.ScalarNode):
                continue
            full = prefix + key_node.value
            if isinstance(value, yaml.MappingNode):
                keys = {k for k, _ in _pairs(value)}
                if "value" in keys and keys <= BOUNDED_VAR_FIELDS:
                    self.key(VAR, key_node, full)
                    self.fields("bounded_var", value)
                else:
                    self.vars(value, full + ".")
            else:
                self.key(VAR, key_node, full)

    def scene_file(self, node: yaml.MappingNode) -> None:
        for key, value in self.fields("scene_file", node):
            if key == "episode":
                self.whole(EPISODE, value)
            elif key == "vars":
                self.vars(value, "")
            elif key == "scenes" and isinstance(value, yaml.SequenceNode):
                for item in value.value:
                    if isinstance(item, yaml.MappingNode):
                        self.scene(item)

    def scene(self, node: yaml.MappingNode) -> None:
        if not self.fresh(node):
            return
        for key, value in self.fields("scene", node):
            if key == "id":
                occ = self.whole(SCENE, value, is_def=True)
                if occ is not None:
                    self.index.scenes.append(SceneBlock(
                        occ.name, (node.start_mark.line, node.start_mark.column),
                        (node.end_mark.line, node.end_mark.column), occ))
            elif key == "next":
                self.whole(SCENE, value)
            elif key == "ending":
                self.whole(ENDING, value)
            elif key == "episode":
                self.whole(EPISODE, value)
            elif key in _EXPRESSION_FIELDS:
                self.expression(value)
            elif key == "text":
                self.text_blocks(value)
            elif key == "choices" and isinstance(value, yaml.SequenceNode):
                for item in value.value:
                    if isinstance(item, yaml.MappingNode):
                        self.choice(item)

    def choice(self, node: yaml.MappingNode) -> None:
        if not self.fresh(node):
            return
        pairs = dict(self.fields("choice", node))
        for key, value in pairs.items():
            if key == "to" or key == "call":
                self.whole(SCENE, value)
                # a choice's default id is the scene it calls, else the one it goes to
                if "id" not in pairs and isinstance(value, yaml.ScalarNode) and (
                        key == "call" or "call" not in pairs):
                    self.index.default_choice_targets.add(value.value)
            elif key == "id" and isinstance(value, yaml.ScalarNode):
                self.index.explicit_choice_ids.add(value.value)
            elif key in _EXPRESSION_FIELDS:
                self.expression(value)
            elif key in ("label", "locked"):
                self.template(value)
            elif key == "reply":
                self.text_blocks(value)

    def text_blocks(self, node: yaml.Node) -> None:
        if isinstance(node, yaml.ScalarNode):
            self.template(node)
            return
        if not isinstance(node, yaml.SequenceNode) or not self.fresh(node):
            return
        for item in node.value:
            self.text_block(item)

    def text_block(self, item: yaml.Node) -> None:
        if isinstance(item, yaml.ScalarNode):
            self.template(item)
        elif isinstance(item, yaml.MappingNode):
            pairs = _pairs(item)
            if any(k == "if" for k, _ in pairs):
                for key, value in self.fields("conditional", item):
                    if key == "if":
                        self.expression(value)
                    elif key in ("then", "else"):
                        self.text_blocks(value)
            elif len(pairs) == 1 and pairs[0][0] == "once":
                self.text_blocks(pairs[0][1])
            elif len(pairs) == 1 and pairs[0][0] == "first":
                items = pairs[0][1]
                if isinstance(items, yaml.SequenceNode) and self.fresh(items):
                    for entry in items.value:
                        self.text_block(entry)
            elif len(item.value) == 1:
                key_node, line = item.value[0]
                if isinstance(key_node, yaml.ScalarNode):
                    self.add(SPEAKER, key_node.value, key_node.start_mark.line,
                             key_node.start_mark.column + _quote(key_node),
                             key_node.value)
                self.template(line)


def _quote(node: yaml.Node) -> int:
    return 1 if isinstance(node, yaml.ScalarNode) and node.style in ("'", '"') else 0
