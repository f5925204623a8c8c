"""Reading a story folder: YAML files -> located plain data -> a compiled Story.

A story file comes from a stranger, so reading one is bounded before any value is
resolved. The YAML is never composed or constructed: its parse events (libyaml's
CSafeLoader when present) are turned into plain dicts, lists and scalars by hand, one
event at a time, so that

- no tag can build an object, and no anchor or alias is accepted anywhere, not even on
  a plain scalar;
- a file holds at most ``MAX_FILE_BYTES`` bytes, ``MAX_NODES`` values, ``MAX_DEPTH``
  levels of nesting and ``MAX_SCALAR_CHARS`` characters in one value, checked as the
  events arrive (a bomb stops early instead of being built first);
- numbers are only what a story needs: no YAML 1.1 base-60 integers (``1:2:3``), no
  integers longer than ``MAX_DIGITS``, no ``.nan`` or ``.inf``;
- control characters in text are made visible (see :mod:`kissgame.printable`), with a
  located warning;
- every mapping remembers where its keys were.
"""

from __future__ import annotations

import dataclasses
import gc
import hashlib
import math
import stat
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from . import yamlwords
from .engine.build import LocDict, LocList, build_story
from .engine.diagnostics import (
    BAD_NUMBER,
    CONTROL_CHARACTER,
    DUPLICATE_KEY,
    ERROR,
    FILE_TOO_LARGE,
    NO_MANIFEST,
    OVER_LIMIT,
    UNSAFE_YAML,
    WRONG_SHAPE,
    YAML_SYNTAX,
    Descriptor,
    Diagnostic,
    SourceSpan,
    StoryError,
    has_errors,
)
from .engine.model import Story
from .followon import drop_follow_ons
from .printable import CONTROL, has_controls, printable

try:
    from yaml import CSafeLoader as YamlLoader
except ImportError:  # pragma: no cover - depends on how PyYAML was built
    from yaml import SafeLoader as YamlLoader  # type: ignore[assignment]

MANIFEST = "story.yaml"
MAX_FILE_BYTES = 16 * 1024 * 1024
MAX_DEPTH = 64
MAX_NODES = 200_000
"""Values per file: about 30 times what the whole built-in story holds in one file."""
MAX_SCALAR_CHARS = 100_000
MAX_STORY_NODES = 2_000_000
"""Values in all the files of one story: about 300 times the built-in story."""
MAX_DIGITS = 30

_STR = "tag:yaml.org,2002:str"
_INT = "tag:yaml.org,2002:int"
_FLOAT = "tag:yaml.org,2002:float"
_SCALAR_TAGS = {_STR, _INT, _FLOAT, "tag:yaml.org,2002:bool", "tag:yaml.org,2002:null"}
_MAP = "tag:yaml.org,2002:map"
_SEQ = "tag:yaml.org,2002:seq"
_constructor = yaml.constructor.SafeConstructor()
_resolver = yaml.resolver.Resolver()


class _YamlProblem(Exception):
    def __init__(self, code: Descriptor, message: str, line: int, col: int):
        super().__init__(message)
        self.code, self.line, self.col = code, line, col


def _place(event: yaml.Event) -> tuple[int, int]:
    """Where an event starts: 1-based line and column."""
    mark = event.start_mark
    return (mark.line + 1, mark.column + 1) if mark is not None else (1, 1)


def _at(event: yaml.Event, code: Descriptor, message: str) -> _YamlProblem:
    line, col = _place(event)
    return _YamlProblem(code, message, line - 1, col - 1)


class _Reader:
    """Builds located plain data from a stream of YAML events, within the limits."""

    def __init__(self, display: str, budget: NodeBudget | None = None, clean: bool = False):
        self.display = display
        self.nodes = 0
        self.budget = budget
        self.limit = MAX_NODES if budget is None else min(MAX_NODES, budget.left)
        self.warnings: list[Diagnostic] = []
        self.clean = clean
        """The file's text has no control character: only a double-quoted scalar's
        escapes (``"\\e"``) can make one."""

    def text(self, event: yaml.ScalarEvent) -> str:
        value = event.value
        if (not self.clean or event.style == '"') and _find_control(value) is not None:
            line, col = _place(event)
            self.warnings.append(CONTROL_CHARACTER.at(
                SourceSpan(self.display, line, col), "control characters (such as ESC) in "
                "text are shown as visible symbols; remove them"))
            value = printable(value)
        return value

    def scalar(self, event: yaml.ScalarEvent) -> Any:
        tag = event.tag
        if tag is None:
            value = event.value
            # What the resolver would say without asking it: quoted and block scalars
            # are text, and so is a plain one whose first character starts no other type.
            if not event.implicit[0] or (value and value[0] not in _RESOLVED_FIRST):
                return self.text(event)
        if tag is None or tag == "!":
            tag = _resolver.resolve(yaml.ScalarNode, event.value, event.implicit)
        if tag == _STR:
            return self.text(event)
        if tag not in _SCALAR_TAGS:
            raise _at(event, UNSAFE_YAML, f"YAML tag '{tag}' is not allowed in a story")
        value = event.value
        if tag in (_INT, _FLOAT):
            if ":" in value:
                raise _at(event, BAD_NUMBER, f"'{value[:40]}' is a base-60 number in YAML 1.1; "
                          "quote it if it is text")
            if sum(c.isdigit() for c in value) > MAX_DIGITS:
                raise _at(event, OVER_LIMIT, f"a number may have at most {MAX_DIGITS} digits")
        node = yaml.ScalarNode(tag, value, style=event.style)
        try:
            result = _constructor.construct_object(node, deep=False)
        except (ValueError, KeyError, IndexError, TypeError, yaml.YAMLError):
            kind = tag.rsplit(":", 1)[-1]
            raise _at(event, WRONG_SHAPE, f"'{value[:40]}' is not a valid {kind}") from None
        if isinstance(result, float) and not math.isfinite(result):
            raise _at(event, BAD_NUMBER, f"'{value}' is not a finite number; use a plain number "
                      "such as 0 or 100")
        return result

    def read(self, parser: Any) -> Any:
        """The document's data, or None for an empty file. ``parser`` is a YAML loader
        whose events are taken one at a time (type tests are ordered by frequency)."""
        stack: list[Any] = []  # containers being filled, innermost last
        keys: list[Any] = []  # for each open container: the pending mapping key, or _NO_KEY
        root: Any = None
        documents = 0
        get_event, scalar, clean = parser.get_event, self.scalar, self.clean
        while True:
            event = get_event()
            kind = type(event)
            if kind is _SCALAR_EVENT:
                self.nodes += 1
                if self.nodes > self.limit or event.anchor is not None:
                    self.count(event)
                if len(event.value) > MAX_SCALAR_CHARS:
                    raise _at(event, OVER_LIMIT, f"a value longer than {MAX_SCALAR_CHARS} "
                              "characters; split the text")
                if not stack:
                    root = scalar(event)
                    continue
                parent = stack[-1]
                mark = event.start_mark
                value = event.value
                # Most scalars are plain text: taken as they are, without a call, when
                # neither a tag, a type, a control character nor an escape can be in them.
                plain = event.tag is None and (clean and event.style != '"') and (
                    not event.implicit[0] or (value and value[0] not in _RESOLVED_FIRST))
                if type(parent) is LocList:
                    parent.append(value if plain else scalar(event))
                    parent.spans.append((mark.line + 1, mark.column + 1,
                                         1 if event.style in _QUOTES else 0))
                elif keys[-1] is _NO_KEY:
                    if event.tag is not None or not clean or event.style == '"' \
                            or value in parent:
                        value = self.new_key(parent, self.key(event), event)
                    keys[-1] = value
                else:
                    parent[keys[-1]] = value if plain else scalar(event)
                    parent.spans[keys[-1]] = (mark.line + 1, mark.column + 1,
                                              1 if event.style in _QUOTES else 0)
                    keys[-1] = _NO_KEY
            elif kind is _MAP_START or kind is _SEQ_START:
                self.nodes += 1
                if self.nodes > self.limit or event.anchor is not None:
                    self.count(event)
                if len(stack) >= MAX_DEPTH:
                    raise _at(event, UNSAFE_YAML, f"nested more than {MAX_DEPTH} levels deep")
                is_list = kind is _SEQ_START
                tag = event.tag
                if tag not in (None, "!", _SEQ if is_list else _MAP):
                    raise _at(event, UNSAFE_YAML, f"YAML tag '{tag}' is not allowed in a story")
                container: LocDict | LocList
                if is_list:
                    container = LocList()
                    container.spans = []
                else:
                    container = LocDict()
                    container.spans = {}
                container.line, container.col = _place(event)
                if stack:
                    parent = stack[-1]
                    if type(parent) is LocList:
                        parent.append(container)
                        parent.spans.append((*_place(event), 0))
                    elif keys[-1] is _NO_KEY:
                        raise _at(event, WRONG_SHAPE, "mapping keys must be plain words")
                    else:
                        parent[keys[-1]] = container
                        parent.spans[keys[-1]] = (*_place(event), 0)
                        keys[-1] = _NO_KEY
                stack.append(container)
                keys.append(_NO_KEY)
            elif kind is _MAP_END or kind is _SEQ_END:
                done = stack.pop()
                keys.pop()
                if not stack:
                    root = done
            elif kind is _ALIAS:
                self.nodes += 1
                self.count(event)
            elif kind is _DOCUMENT_START:
                documents += 1
                if documents > 1:
                    raise _at(event, YAML_SYNTAX, "a story file holds one YAML document; "
                              "remove the '---' line")
            elif kind is _STREAM_END:
                return root

    def count(self, event: Any) -> None:
        """Raise unless the value just counted is within the limit and has no anchor
        (an alias event names its anchor too)."""
        if self.nodes > self.limit:
            if self.limit < MAX_NODES:
                raise _at(event, FILE_TOO_LARGE, f"the story's files hold more than "
                          f"{MAX_STORY_NODES} values in all")
            raise _at(event, FILE_TOO_LARGE, f"file holds more than {MAX_NODES} values; split "
                      "it into several scene files")
        if event.anchor is not None:  # an alias event names its anchor here too
            raise _at(event, UNSAFE_YAML, "anchors and aliases (&, *) are not supported in "
                      "stories")

    def key(self, event: yaml.ScalarEvent) -> Any:
        # Keys are always words: YAML 1.1 would read `on:` or `no:` as booleans.
        if event.tag is None or event.tag == "!" or event.tag in _SCALAR_TAGS:
            return self.text(event)
        return self.scalar(event)

    @staticmethod
    def new_key(parent: dict, key: Any, event: yaml.Event) -> str:
        if not isinstance(key, str):
            raise _at(event, WRONG_SHAPE, "mapping keys must be plain words")
        if key in parent:
            raise _at(event, DUPLICATE_KEY, f"key '{key}' appears twice in this mapping")
        return key


_SCALAR_EVENT, _ALIAS = yaml.ScalarEvent, yaml.AliasEvent
_MAP_START, _MAP_END = yaml.MappingStartEvent, yaml.MappingEndEvent
_SEQ_START, _SEQ_END = yaml.SequenceStartEvent, yaml.SequenceEndEvent
_DOCUMENT_START, _STREAM_END = yaml.DocumentStartEvent, yaml.StreamEndEvent
_NO_KEY = object()
_QUOTES = ("'", '"')
_find_control = CONTROL.search
_RESOLVED_FIRST = frozenset(key for key in _resolver.yaml_implicit_resolvers if key)
if None in _resolver.yaml_implicit_resolvers:  # pragma: no cover - not in PyYAML 6
    _RESOLVED_FIRST = frozenset(chr(c) for c in range(0x110000))


def _reader_error_place(text: str, position: int) -> tuple[int, int]:
    if YamlLoader is not yaml.SafeLoader:  # libyaml counts UTF-8 bytes, not characters
        before = text.encode("utf-8")[:position].decode("utf-8", "ignore")
    else:  # pragma: no cover - depends on how PyYAML was built
        before = text[:position]
    return before.count("\n") + 1, len(before) - before.rfind("\n")


@dataclass
class NodeBudget:
    """The values the rest of a story's files may still hold (see MAX_STORY_NODES)."""

    left: int


def _read_bytes(path: Path) -> bytes | tuple[Descriptor, str]:
    """A file's bytes, or why they cannot be read (never blocks on a FIFO or a device)."""
    try:
        info = path.stat()
        size = info.st_size
        if not stat.S_ISREG(info.st_mode):  # a FIFO or a device would block or never end
            return YAML_SYNTAX, "not a regular file"
        if size > MAX_FILE_BYTES:
            return FILE_TOO_LARGE, (f"file is {size // (1024 * 1024)} MB; story files "
                                    f"may be at most {MAX_FILE_BYTES // (1024 * 1024)} MB")
        return path.read_bytes()
    except OSError as exc:
        return YAML_SYNTAX, f"cannot read file: {exc.strerror or exc}"


def read_yaml(path: Path, display: str, budget: NodeBudget | None = None,
              raw: bytes | tuple[Descriptor, str] | None = None
              ) -> tuple[Any, list[Diagnostic]]:
    """Parse one file into located plain data, or return None with a located error.
    ``raw`` is what :func:`read_story_files` already read of it."""

    def problem(code: Descriptor, message: str, line: int = 1,
                col: int = 1) -> tuple[None, list]:
        return None, [code.at(SourceSpan(display, line, col), message)]

    if raw is None:
        raw = _read_bytes(path)
    if isinstance(raw, tuple):
        return problem(*raw)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        col = exc.start - (raw.rfind(b"\n", 0, exc.start) + 1) + 1
        return problem(YAML_SYNTAX, "file is not UTF-8 text (binary data?)", line, col)
    return parse_yaml(text, display, budget)


def parse_yaml(text: str, display: str,
               budget: NodeBudget | None = None) -> tuple[Any, list[Diagnostic]]:
    """Parse a file's text (read from disk, or an editor's unsaved buffer)."""

    def problem(code: Descriptor, message: str, line: int = 1,
                col: int = 1) -> tuple[None, list]:
        return None, [code.at(SourceSpan(display, line, col), message)]

    if len(text) > MAX_FILE_BYTES:
        return problem(FILE_TOO_LARGE, f"file is over {MAX_FILE_BYTES // (1024 * 1024)} MB; "
                       "split it into several scene files")
    reader = _Reader(display, budget, clean=_find_control(text) is None)
    try:
        parser = YamlLoader(text)
        try:
            data = reader.read(parser)
        finally:
            parser.dispose()
            if budget is not None:
                budget.left -= reader.nodes
    except yaml.MarkedYAMLError as exc:
        message, line, col = yamlwords.explain(exc, text)
        return problem(YAML_SYNTAX, printable(message), line, col)
    except yaml.reader.ReaderError as exc:
        line, col = _reader_error_place(text, exc.position)
        return problem(YAML_SYNTAX, f"the file holds a character YAML does not allow "
                       f"(U+{exc.character:04X}); control characters cannot be stored "
                       "in a story", line, col)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        return problem(YAML_SYNTAX, f"YAML error: {printable(str(exc))}", line, col)
    except _YamlProblem as exc:
        hint = yamlwords.quote_hint(text, exc.line)
        if hint is not None and hint[0].startswith("this paragraph starts with *"):
            # `- *italics*` reads as an alias
            return problem(exc.code, f"{printable(str(exc))}; {hint[0]}", exc.line + 1,
                           hint[1])
        return problem(exc.code, printable(str(exc)), exc.line + 1, exc.col + 1)
    if data is None:
        return problem(WRONG_SHAPE, "file is empty")
    return data, reader.warnings


RECORDINGS = "recordings"
"""The folder of a story's recordings: beside its scenes, never read as scenes."""


def story_files(root: Path) -> list[Path]:
    """Every scene file under ``root`` (not the manifest, not recordings), in a stable order."""
    files = [p for p in root.rglob("*.yaml") if p.is_file()
             and not any(part.startswith(".") for part in p.relative_to(root).parts)
             and p.relative_to(root).parts[0] != RECORDINGS]
    return sorted((p for p in files if p != root / MANIFEST), key=lambda p: p.as_posix())


@dataclass
class LoadResult:
    story: Story | None
    diagnostics: list[Diagnostic]

    @property
    def ok(self) -> bool:
        return self.story is not None and not has_errors(self.diagnostics)


@dataclass(frozen=True)
class StoryFiles:
    """Every file of a story folder, each read once: the bytes the story is parsed from
    and its fingerprint is computed from (a file that cannot be read holds why)."""

    root: Path
    raw: dict[Path, bytes | tuple[Descriptor, str]]
    """The manifest first, then the scene files in :func:`story_files` order."""
    fingerprint: str


def read_story_files(root: Path) -> StoryFiles:
    raw: dict[Path, bytes | tuple[Descriptor, str]] = {}
    digest = hashlib.sha256()
    for path in [root / MANIFEST, *story_files(root)]:
        data = raw[path] = _read_bytes(path)
        digest.update(path.relative_to(root).as_posix().encode() + b"\0")
        if isinstance(data, bytes):
            digest.update(data)
        else:  # a file too large to load is never read whole: its size and time stand in
            try:
                info = path.stat()
                digest.update(f"\0unread {info.st_size} {info.st_mtime_ns}".encode())
            except OSError:
                digest.update(b"\0missing")
        digest.update(b"\0")
    return StoryFiles(root, raw, digest.hexdigest())


def fingerprint(root: Path) -> str:
    """A hash of every story file's path and content: changes when anything is edited."""
    return read_story_files(root).fingerprint


def _display(path: Path) -> str:
    return str(path)


def load_story(root: str | Path, texts: Mapping[Path, str] | None = None,
               files: StoryFiles | None = None) -> LoadResult:
    """Load and compile a story folder, collecting every finding in one pass.

    ``texts`` replaces the content of some files (an editor's unsaved buffers); ``files``
    is the folder already read (:func:`read_story_files`), so no file is read twice.
    """
    # Loading allocates hundreds of thousands of small acyclic objects; the cyclic
    # collector would scan them again and again for nothing.
    enabled = gc.isenabled()
    gc.disable()
    try:
        return _load_story(Path(root), texts or {}, files)
    finally:
        if enabled:
            gc.enable()


def _load_story(root: Path, texts: Mapping[Path, str],
                source: StoryFiles | None) -> LoadResult:
    manifest_path = root / MANIFEST
    if not root.is_dir():
        span = SourceSpan(_display(root))
        return LoadResult(None, [NO_MANIFEST.at(span, "not a story folder")])
    if not manifest_path.is_file():
        span = SourceSpan(_display(manifest_path))
        return LoadResult(None, [NO_MANIFEST.at(
            span, f"no {MANIFEST} here: a story folder needs a manifest")])
    if source is None or texts:
        source = read_story_files(root)
    diagnostics: list[Diagnostic] = []
    budget = NodeBudget(MAX_STORY_NODES)
    manifest, found = _read(manifest_path, texts, budget, source)
    diagnostics += found
    files: list[tuple[str, Any]] = []
    lost: list[str] = []  # the text of files that failed to parse
    for path in list(source.raw)[1:]:
        if has_controls(path.relative_to(root).as_posix()):
            # Its name alone would send control codes wherever a finding names it.
            diagnostics.append(YAML_SYNTAX.at(SourceSpan(printable(_display(path))),
                                              "a story file's name may not hold control "
                                              "characters; rename it"))
            continue
        data, found = _read(path, texts, budget, source)
        diagnostics += found
        if data is not None:
            files.append((_display(path), data))
        elif any(d.code == YAML_SYNTAX.code for d in found):
            lost.append(_lost_text(path, texts, source))
    if manifest is None:
        return LoadResult(None, diagnostics)
    story, found = build_story(manifest, files, manifest_file=_display(manifest_path),
                               root=str(root))
    diagnostics += drop_follow_ons(found, lost)
    if story is not None:
        story = dataclasses.replace(story, fingerprint=source.fingerprint)
    return LoadResult(story, diagnostics)


def _lost_text(path: Path, texts: Mapping[Path, str], files: StoryFiles) -> str:
    """The text of a file that failed to parse, to know which names vanished with it."""
    if path in texts:
        return texts[path]
    raw = files.raw.get(path)
    return raw.decode(errors="replace") if isinstance(raw, bytes) else ""


def _read(path: Path, texts: Mapping[Path, str], budget: NodeBudget,
          files: StoryFiles) -> tuple[Any, list[Diagnostic]]:
    text = texts.get(path)
    if text is None:
        return read_yaml(path, _display(path), budget, files.raw.get(path))
    return parse_yaml(text, _display(path), budget)


def load_story_or_raise(root: str | Path) -> Story:
    result = load_story(root)
    if not result.ok:
        raise StoryError([d for d in result.diagnostics if d.severity == ERROR]
                         or result.diagnostics)
    assert result.story is not None
    return result.story
