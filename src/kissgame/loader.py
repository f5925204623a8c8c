"""Reading a story folder: YAML files -> located plain data -> a compiled Story.

YAML is composed (never constructed) with libyaml's CSafeLoader when present, and
turned into plain dicts, lists and scalars by hand, so that no tag can build an
object, no alias can multiply, and every mapping remembers where its keys were.
"""

from __future__ import annotations

import dataclasses
import gc
import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from .engine.build import LocDict, LocList, build_story
from .engine.diagnostics import (
    DUPLICATE_KEY,
    ERROR,
    FILE_TOO_LARGE,
    NO_MANIFEST,
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

try:
    from yaml import CSafeLoader as YamlLoader
except ImportError:  # pragma: no cover - depends on how PyYAML was built
    from yaml import SafeLoader as YamlLoader  # type: ignore[assignment]

MANIFEST = "story.yaml"
MAX_FILE_BYTES = 16 * 1024 * 1024
MAX_DEPTH = 64

_STR = "tag:yaml.org,2002:str"
_SCALAR_TAGS = {
    _STR, "tag:yaml.org,2002:int", "tag:yaml.org,2002:float", "tag:yaml.org,2002:bool",
    "tag:yaml.org,2002:null",
}
_MAP = "tag:yaml.org,2002:map"
_SEQ = "tag:yaml.org,2002:seq"
_constructor = yaml.constructor.SafeConstructor()


class _YamlProblem(Exception):
    def __init__(self, code: Descriptor, message: str, line: int, col: int):
        super().__init__(message)
        self.code, self.line, self.col = code, line, col


def _scalar(node: yaml.ScalarNode) -> Any:
    tag = node.tag
    if tag == _STR:
        return node.value
    if tag not in _SCALAR_TAGS:
        raise _YamlProblem(UNSAFE_YAML, f"YAML tag '{tag}' is not allowed in a story",
                           node.start_mark.line, node.start_mark.column)
    return _constructor.construct_object(node, deep=False)


def _to_data(node: yaml.Node, seen: set[int], depth: int = 0) -> Any:
    if depth > MAX_DEPTH:
        raise _YamlProblem(UNSAFE_YAML, f"nested more than {MAX_DEPTH} levels deep",
                           node.start_mark.line, node.start_mark.column)
    if isinstance(node, yaml.ScalarNode):
        return _scalar(node)
    if id(node) in seen:
        raise _YamlProblem(UNSAFE_YAML, "anchors and aliases (&, *) are not supported in stories",
                           node.start_mark.line, node.start_mark.column)
    seen.add(id(node))
    if isinstance(node, yaml.SequenceNode):
        if node.tag != _SEQ:
            raise _YamlProblem(UNSAFE_YAML, f"YAML tag '{node.tag}' is not allowed in a story",
                               node.start_mark.line, node.start_mark.column)
        items = LocList(_to_data(child, seen, depth + 1) for child in node.value)
        items.line, items.col = node.start_mark.line + 1, node.start_mark.column + 1
        items.spans = [(c.start_mark.line + 1, c.start_mark.column + 1, _quoted(c))
                       for c in node.value]
        return items
    assert isinstance(node, yaml.MappingNode)
    if node.tag != _MAP:
        raise _YamlProblem(UNSAFE_YAML, f"YAML tag '{node.tag}' is not allowed in a story",
                           node.start_mark.line, node.start_mark.column)
    mapping = LocDict()
    mapping.line, mapping.col = node.start_mark.line + 1, node.start_mark.column + 1
    spans: dict[Any, tuple[int, int, int]] = {}
    for key_node, value_node in node.value:
        # Keys are always words: YAML 1.1 would read `on:` or `no:` as booleans.
        if isinstance(key_node, yaml.ScalarNode) and key_node.tag in _SCALAR_TAGS:
            key = key_node.value
        else:
            key = _to_data(key_node, seen, depth + 1)
        if not isinstance(key, str):
            raise _YamlProblem(WRONG_SHAPE, "mapping keys must be plain words",
                               key_node.start_mark.line, key_node.start_mark.column)
        if key in mapping:
            raise _YamlProblem(DUPLICATE_KEY, f"key '{key}' appears twice in this mapping",
                               key_node.start_mark.line, key_node.start_mark.column)
        mapping[key] = _to_data(value_node, seen, depth + 1)
        spans[key] = (value_node.start_mark.line + 1, value_node.start_mark.column + 1,
                      _quoted(value_node))
    mapping.spans = spans
    return mapping


def _quoted(node: yaml.Node) -> int:
    """How many characters precede a scalar's text at its start mark (a quote is one)."""
    return 1 if isinstance(node, yaml.ScalarNode) and node.style in ("'", '"') else 0


def read_yaml(path: Path, display: str) -> tuple[Any, list[Diagnostic]]:
    """Parse one file into located plain data, or return None with a located error."""

    def problem(code: Descriptor, message: str, line: int = 1,
                col: int = 1) -> tuple[None, list]:
        return None, [code.at(SourceSpan(display, line, col), message)]

    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            return problem(FILE_TOO_LARGE, f"file is {size // (1024 * 1024)} MB; story files "
                           f"may be at most {MAX_FILE_BYTES // (1024 * 1024)} MB")
        raw = path.read_bytes()
    except OSError as exc:
        return problem(YAML_SYNTAX, f"cannot read file: {exc.strerror or exc}")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        col = exc.start - (raw.rfind(b"\n", 0, exc.start) + 1) + 1
        return problem(YAML_SYNTAX, "file is not UTF-8 text (binary data?)", line, col)
    return parse_yaml(text, display)


def parse_yaml(text: str, display: str) -> tuple[Any, list[Diagnostic]]:
    """Parse a file's text (read from disk, or an editor's unsaved buffer)."""

    def problem(code: Descriptor, message: str, line: int = 1,
                col: int = 1) -> tuple[None, list]:
        return None, [code.at(SourceSpan(display, line, col), message)]

    try:
        node = yaml.compose(text, Loader=YamlLoader)
        if node is None:
            return problem(WRONG_SHAPE, "file is empty")
        return _to_data(node, set()), []
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        message = " ".join(x for x in (exc.context, exc.problem) if x) or "invalid YAML"
        if "\t" in message or "tab" in message.lower():
            message += " (indent with spaces, not tabs)"
        line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        return problem(YAML_SYNTAX, f"YAML syntax error: {message}", line, col)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        return problem(YAML_SYNTAX, f"YAML error: {exc}", line, col)
    except _YamlProblem as exc:
        return problem(exc.code, str(exc), exc.line + 1, exc.col + 1)
    except RecursionError:
        return problem(UNSAFE_YAML, f"nested more than {MAX_DEPTH} levels deep")


def story_files(root: Path) -> list[Path]:
    """Every scene file under ``root`` (not the manifest), in a stable order."""
    files = [p for p in root.rglob("*.yaml") if p.is_file()
             and not any(part.startswith(".") for part in p.relative_to(root).parts)]
    return sorted((p for p in files if p != root / MANIFEST), key=lambda p: p.as_posix())


@dataclass
class LoadResult:
    story: Story | None
    diagnostics: list[Diagnostic]

    @property
    def ok(self) -> bool:
        return self.story is not None and not has_errors(self.diagnostics)


def fingerprint(root: Path) -> str:
    """A hash of every story file's path and content: changes when anything is edited."""
    digest = hashlib.sha256()
    for path in [root / MANIFEST, *story_files(root)]:
        digest.update(path.relative_to(root).as_posix().encode() + b"\0")
        try:
            digest.update(path.read_bytes())
        except OSError:
            digest.update(b"\0missing")
        digest.update(b"\0")
    return digest.hexdigest()


def _display(path: Path) -> str:
    return str(path)


def load_story(root: str | Path, texts: Mapping[Path, str] | None = None) -> LoadResult:
    """Load and compile a story folder, collecting every finding in one pass.

    ``texts`` replaces the content of some files (an editor's unsaved buffers).
    """
    # Loading allocates hundreds of thousands of small acyclic objects; the cyclic
    # collector would scan them again and again for nothing.
    enabled = gc.isenabled()
    gc.disable()
    try:
        return _load_story(Path(root), texts or {})
    finally:
        if enabled:
            gc.enable()


def _load_story(root: Path, texts: Mapping[Path, str]) -> LoadResult:
    manifest_path = root / MANIFEST
    if not root.is_dir():
        span = SourceSpan(_display(root))
        return LoadResult(None, [NO_MANIFEST.at(span, "not a story folder")])
    if not manifest_path.is_file():
        span = SourceSpan(_display(manifest_path))
        return LoadResult(None, [NO_MANIFEST.at(
            span, f"no {MANIFEST} here: a story folder needs a manifest")])
    diagnostics: list[Diagnostic] = []
    manifest, found = _read(manifest_path, texts)
    diagnostics += found
    files: list[tuple[str, Any]] = []
    paths = story_files(root)
    for path in paths:
        data, found = _read(path, texts)
        diagnostics += found
        if data is not None:
            files.append((_display(path), data))
    if manifest is None:
        return LoadResult(None, diagnostics)
    story, found = build_story(manifest, files, manifest_file=_display(manifest_path),
                               root=str(root))
    diagnostics += found
    if story is not None:
        story = dataclasses.replace(story, fingerprint=fingerprint(root))
    return LoadResult(story, diagnostics)


def _read(path: Path, texts: Mapping[Path, str]) -> tuple[Any, list[Diagnostic]]:
    text = texts.get(path)
    return read_yaml(path, _display(path)) if text is None else parse_yaml(text, _display(path))


def load_story_or_raise(root: str | Path) -> Story:
    result = load_story(root)
    if not result.ok:
        raise StoryError([d for d in result.diagnostics if d.severity == ERROR]
                         or result.diagnostics)
    assert result.story is not None
    return result.story
