"""One story folder as an editor sees it: files (saved or not), findings, names.

Diagnostics come from ``checker.check`` itself, given the unsaved texts, so the editor
and ``kissgame check`` cannot disagree. Everything here is plain Python over paths,
0-based lines and code-point columns; ``server`` translates to and from the protocol.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from ..checker import check
from ..engine.build import ID_PATTERN, VAR_PATTERN
from ..engine.diagnostics import Diagnostic
from ..engine.expr import FUNCTIONS
from ..engine.model import Story
from ..loader import MANIFEST, story_files
from ..schema import FIELD_DOCS
from . import context as ctx
from .index import (
    ENDING,
    EPISODE,
    FIELD,
    SCENE,
    SPEAKER,
    VAR,
    FileIndex,
    Occurrence,
    index_text,
    read_recording,
)

MAX_RECORDING_SCAN = 5000  # yaml files looked at when a rename searches for recordings
_SKIP_DIRS = {"node_modules", "__pycache__", "site-packages", "venv"}


def find_root(path: Path) -> Path | None:
    """The story folder a file belongs to: the nearest folder above with a manifest."""
    for folder in [path.parent, *path.parent.parents]:
        if (folder / MANIFEST).is_file():
            return folder
    return None


@dataclass
class Snapshot:
    """The result of one check: the story (possibly partial), every finding, and the
    text of every story file as it was checked."""

    story: Story | None = None
    findings: list[Diagnostic] = field(default_factory=list)
    texts: dict[Path, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Completion:
    label: str
    kind: str  # SCENE, VAR, SPEAKER, ENDING, FIELD or "function"
    detail: str = ""
    documentation: str = ""
    snippet: str = ""  # LSP snippet to insert instead of the label


class RenameError(ValueError):
    """A rename that would break the story; the message says why."""


Edit = tuple[int, int, int, str]  # line, column, end column, new text
Edits = dict[Path, list[Edit]]
_TRANSCRIPT_ID = re.compile(r"^(== |\* |x |> )\[([^\]]*)\]")
_TRANSCRIPT_CHANGE = re.compile(r"^  ([^:\s]+): .* -> ")


class StoryFolder:
    def __init__(self, root: Path):
        self.root = root
        self.manifest = root / MANIFEST
        self.snapshot = Snapshot()
        self.last_story: Story | None = None
        self._indexes: dict[Path, tuple[str, FileIndex | None]] = {}

    # -- checking

    def compute(self, open_texts: Mapping[Path, str]) -> Snapshot:
        """Check the story with the editor's unsaved texts (safe to run in a thread)."""
        result, findings = check(self.root, open_texts)
        texts: dict[Path, str] = {}
        for path in [self.manifest, *story_files(self.root)]:
            text = open_texts.get(path)
            if text is None:
                try:
                    text = path.read_text(encoding="utf-8")
                except (OSError, UnicodeDecodeError):
                    text = ""
            texts[path] = text
        return Snapshot(result.story, findings, texts)

    def accept(self, snapshot: Snapshot) -> None:
        self.snapshot = snapshot
        if snapshot.story is not None:
            self.last_story = snapshot.story

    def findings_by_file(self) -> dict[Path, list[Diagnostic]]:
        """Every story file with its findings (an empty list clears an editor's marks)."""
        out: dict[Path, list[Diagnostic]] = {path: [] for path in self.snapshot.texts}
        for finding in self.snapshot.findings:
            path = Path(finding.span.file)
            out.setdefault(path if path.is_file() else self.manifest, []).append(finding)
        return out

    # -- names

    def texts(self, open_texts: Mapping[Path, str]) -> dict[Path, str]:
        return {**self.snapshot.texts, **open_texts}

    def index(self, path: Path, text: str) -> FileIndex | None:
        cached = self._indexes.get(path)
        if cached is not None and cached[0] == text:
            return cached[1]
        found = index_text(text, path == self.manifest)
        self._indexes[path] = (text, found)
        return found

    def occurrence_at(self, path: Path, text: str, line: int, col: int) -> Occurrence | None:
        found = self.index(path, text)
        return found.at(line, col) if found is not None else None

    def _all(self, texts: Mapping[Path, str]) -> Iterator[tuple[Path, FileIndex | None]]:
        for path, text in texts.items():
            yield path, self.index(path, text)

    def references(self, kind: str, name: str, texts: Mapping[Path, str],
                   declarations: bool = True) -> list[tuple[Path, Occurrence]]:
        return [(path, occ) for path, found in self._all(texts) if found is not None
                for occ in found.occurrences
                if occ.kind == kind and occ.name == name and (declarations or not occ.is_def)]

    def definitions(self, occ: Occurrence,
                    texts: Mapping[Path, str]) -> list[tuple[Path, Occurrence]]:
        if occ.kind == FIELD:
            return []
        return [(p, o) for p, o in self.references(occ.kind, occ.name, texts) if o.is_def]

    # -- rename

    def check_rename(self, occ: Occurrence) -> None:
        story = self.last_story
        if occ.kind == SCENE:
            if story is not None and occ.name not in story.scenes:
                raise RenameError(f"there is no scene '{occ.name}' to rename")
        elif occ.kind == VAR:
            if story is not None and occ.name not in story.vars:
                raise RenameError(f"there is no variable '{occ.name}' to rename")
        else:
            raise RenameError("only scene ids and variables can be renamed")

    def rename(self, occ: Occurrence, new: str, texts: Mapping[Path, str],
               search: list[Path]) -> Edits:
        """The edits that rename ``occ``'s scene or variable everywhere, recordings of
        the story under ``search`` included."""
        self.check_rename(occ)
        story = self.last_story
        broken = [p for p, found in self._all(texts) if found is None]
        if broken:
            raise RenameError(f"fix the YAML of {os.path.relpath(broken[0], self.root)} "
                              "first: a file that does not parse cannot be renamed in")
        old = occ.name
        if occ.kind == SCENE:
            if not ID_PATTERN.match(new):
                raise RenameError(f"'{new}' is not a scene id (letters, digits and _)")
            taken = story is not None and new in story.scenes
        else:
            if not VAR_PATTERN.match(new):
                raise RenameError(f"'{new}' is not a variable name (letters, digits, _ "
                                  "and dots between namespaces)")
            if new.rpartition(".")[0] != old.rpartition(".")[0]:
                raise RenameError("a rename keeps the variable in its namespace "
                                  f"'{old.rpartition('.')[0]}'; move it by hand")
            taken = story is not None and new in story.vars
        if taken:
            raise RenameError(f"'{new}' already exists")
        edits: Edits = {}
        for path, found in self.references(occ.kind, old, texts):
            text = new if found.text == old else new.rpartition(".")[2]
            edits.setdefault(path, []).append((found.line, found.col, found.end, text))
        if story is not None:
            for path, items in self._recording_edits(occ.kind, old, new, texts, search):
                edits.setdefault(path, []).extend(items)
        return edits

    def _recording_edits(self, kind: str, old: str, new: str, texts: Mapping[Path, str],
                         search: list[Path]) -> Iterator[tuple[Path, list[Edit]]]:
        """Edits to the story's recordings and their golden transcripts. A recording
        names a choice by its id, which is its target's scene id when it has no
        ``id:`` of its own; a transcript also names scenes and variables."""
        story = self.last_story
        assert story is not None
        indexes = [found for _, found in self._all(texts) if found is not None]
        choice_ids = kind == SCENE and any(old in f.default_choice_targets for f in indexes) \
            and not any(old in f.explicit_choice_ids for f in indexes)
        for path in _yaml_files(search):
            if path in texts:
                continue
            text = _read(path)
            found = read_recording(text, story.id) if "recording:" in text else None
            if found is None:
                continue
            steps, transcript = found
            if choice_ids:
                yield path, [(o.line, o.col, o.end, new) for o in steps if o.name == old]
            if transcript is not None and (path.parent / transcript).is_file():
                golden = path.parent / transcript
                yield golden, transcript_edits(_read(golden), kind, old, new, choice_ids)

    # -- hover and completion
    # -- hover and completion

    def hover(self, occ: Occurrence) -> str | None:
        story = self.last_story
        if occ.kind == FIELD:
            kind, _, name = occ.name.partition(".")
            doc = FIELD_DOCS.get(kind, {}).get(name)
            return f"{name}: {doc}" if doc else None
        if story is None:
            return None
        if occ.kind == VAR and occ.name in story.vars:
            return self._var_text(occ.name)
        if occ.kind == SCENE and occ.name in story.scenes:
            scene = story.scenes[occ.name]
            lines = [f"scene {scene.id}" + (f": {scene.title}" if scene.title else "")]
            if scene.episode:
                lines.append(f"episode {scene.episode}: {story.episode_title(scene)}")
            if scene.ending:
                ending = story.endings.get(scene.ending)
                lines.append(f"ending {scene.ending}" + (f": {ending.title}" if ending else ""))
            elif scene.choices:
                lines.append("choices to " + ", ".join(dict.fromkeys(
                    c.target for c in scene.choices)))
            lines.append(f"defined at {self._where(scene.span.file, scene.span.line)}")
            return "\n".join(lines)
        if occ.kind == SPEAKER and occ.name in story.characters:
            character = story.characters[occ.name]
            return f"character {character.id}: {character.name}"
        if occ.kind == ENDING and occ.name in story.endings:
            ending = story.endings[occ.name]
            lines = [f"ending {ending.id}: {ending.title}"]
            if ending.turns_on:
                lines.append(f"turns on: {ending.turns_on}")
            if ending.hint:
                lines.append(f"hint: {ending.hint}")
            return "\n".join(lines)
        if occ.kind == EPISODE and occ.name in story.episodes:
            return f"episode {occ.name}: {story.episodes[occ.name].title}"
        return None

    def _var_text(self, name: str) -> str:
        story = self.last_story
        assert story is not None
        decl = story.vars[name]
        facts = [f"initial value {_show(decl.initial)}"]
        if decl.bounds is not None:
            if decl.bounds.low is not None:
                facts.append(f"min {_show(decl.bounds.low)}")
            if decl.bounds.high is not None:
                facts.append(f"max {_show(decl.bounds.high)}")
        lines = [f"variable {name}: {decl.type}", ", ".join(facts),
                 f"declared at {self._where(decl.span.file, decl.span.line)}"]
        note = self._comment(Path(decl.span.file), decl.span.line)
        if note:
            lines.append(note)
        return "\n".join(lines)

    def _comment(self, path: Path, line: int) -> str:
        """The comment at the end of a declaration's line, which authors use as its doc."""
        lines = self.snapshot.texts.get(path, "").split("\n")
        if not 0 < line <= len(lines):
            return ""
        text = lines[line - 1]
        hash_at = text.find(" #")
        return text[hash_at + 2:].strip() if hash_at >= 0 else ""

    def _where(self, file: str, line: int) -> str:
        try:
            rel = Path(file).relative_to(self.root).as_posix()
        except ValueError:
            rel = file
        return f"{rel}:{line}"

    def completions(self, context: ctx.Context) -> list[Completion]:
        story = self.last_story
        if context.want == ctx.FIELDS:
            return [Completion(name, FIELD, "field", doc, f"{name}: $0")
                    for name, doc in sorted(FIELD_DOCS.get(context.obj, {}).items())
                    if name not in context.siblings]
        if story is None:
            return []
        if context.want == ctx.SCENES:
            return [Completion(s.id, SCENE, s.title, self._scene_doc(s.id))
                    for s in story.scenes.values()]
        if context.want == ctx.ENDINGS:
            return [Completion(e.id, ENDING, e.title, e.hint)
                    for e in story.endings.values()]
        if context.want == ctx.EPISODES:
            return [Completion(e.id, EPISODE, e.title) for e in story.episodes.values()]
        if context.want == ctx.SPEAKERS:
            return [Completion(c.id, SPEAKER, c.name, f"a line said by {c.name}",
                               f'{c.id}: "$0"') for c in story.characters.values()]
        found = [Completion(name, VAR, _var_detail(story, name), self._var_text(name))
                 for name in story.vars]
        found += [Completion(name, "function", "function", "",
                             f"{name}('$1')" if name in ("visits", "visited") else f"{name}($1)")
                  for name in FUNCTIONS]
        return found

    def _scene_doc(self, scene_id: str) -> str:
        story = self.last_story
        assert story is not None
        scene = story.scenes[scene_id]
        episode = story.episode_title(scene)
        return (f"{episode}\n" if episode else "") + self._where(scene.span.file,
                                                                 scene.span.line)

    def scene_symbols(self, texts: Mapping[Path, str]) -> list[tuple[Path, str, str, Occurrence]]:
        """(file, scene id, title, where the id is written) of every scene."""
        story = self.last_story
        out = []
        for path, found in self._all(texts):
            for block in found.scenes if found is not None else []:
                title = story.scenes[block.id].title if story and block.id in story.scenes \
                    else ""
                out.append((path, block.id, title, block.id_occurrence))
        return out


def _show(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return repr(value)
    return str(value)


def _var_detail(story: Story, name: str) -> str:
    decl = story.vars[name]
    text = f"{decl.type} = {_show(decl.initial)}"
    if decl.bounds is not None:
        low = "" if decl.bounds.low is None else _show(decl.bounds.low)
        high = "" if decl.bounds.high is None else _show(decl.bounds.high)
        text += f" ({low}..{high})"
    return text


def _yaml_files(folders: list[Path]) -> Iterator[Path]:
    seen = 0
    for folder in folders:
        for dirpath, dirnames, filenames in os.walk(folder):
            dirnames[:] = [d for d in dirnames if not d.startswith(".") and d not in _SKIP_DIRS]
            for name in filenames:
                if name.endswith((".yaml", ".yml")):
                    seen += 1
                    if seen > MAX_RECORDING_SCAN:
                        return
                    yield Path(dirpath, name)


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return ""


def transcript_edits(text: str, kind: str, old: str, new: str,
                     choice_ids: bool) -> list[Edit]:
    """Rename a scene (its ``== [id]`` headers, and its choice ids when ``choice_ids``)
    or a variable (its ``  name: a -> b`` lines, kept sorted by name as replay writes
    them) in a golden transcript."""
    lines = text.split("\n")
    edits: list[Edit] = []
    if kind == SCENE:
        for i, line in enumerate(lines):
            match = _TRANSCRIPT_ID.match(line)
            if match and match.group(2) == old and (match.group(1) == "== " or choice_ids):
                edits.append((i, match.start(2), match.end(2), new))
        return edits
    i = 0
    while i < len(lines):
        j = i
        while j < len(lines) and _TRANSCRIPT_CHANGE.match(lines[j]):
            j += 1
        if j == i:
            i += 1
            continue
        renamed = [f"  {new}{line[2 + len(old):]}" if line.startswith(f"  {old}: ") else line
                   for line in lines[i:j]]
        renamed.sort(key=lambda line: line[2:line.index(": ")])
        edits += [(k, 0, len(lines[k]), renamed[k - i]) for k in range(i, j)
                  if renamed[k - i] != lines[k]]
        i = j
    return edits
