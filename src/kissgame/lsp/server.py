"""The Language Server Protocol face of ``folder``: pygls features over stdio.

Positions arrive in the client's units (UTF-16 unless negotiated otherwise) and are
turned into code points at once; everything below works in code points.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Protocol

from lsprotocol import types
from pygls.exceptions import JsonRpcException
from pygls.lsp.server import LanguageServer
from pygls.uris import from_fs_path, to_fs_path
from pygls.workspace.position_codec import PositionCodec, ServerTextPosition

from .. import __version__
from ..engine.diagnostics import ERROR, Diagnostic
from ..loader import MANIFEST
from . import context as ctx
from .folder import Completion, RenameError, StoryFolder, find_root
from .index import ENDING, EPISODE, FIELD, SCENE, SPEAKER, VAR, Occurrence

DEBOUNCE_SECONDS = 0.3
_DID_YOU_MEAN = re.compile(r"\(did you mean '([^']+)'\?\)")
_ITEM_KINDS = {
    SCENE: types.CompletionItemKind.Module, VAR: types.CompletionItemKind.Variable,
    SPEAKER: types.CompletionItemKind.Constructor, ENDING: types.CompletionItemKind.EnumMember,
    EPISODE: types.CompletionItemKind.Folder,
    FIELD: types.CompletionItemKind.Field, "function": types.CompletionItemKind.Function,
}


class Positioned(Protocol):
    """Any request made at a place in a document."""

    text_document: types.TextDocumentIdentifier
    position: types.Position


class RequestFailed(JsonRpcException):
    CODE = -32803  # LSP's RequestFailed: the request was valid but cannot be done


class StoryServer(LanguageServer):
    def __init__(self) -> None:
        super().__init__("kissgame", __version__)
        self.folders: dict[Path, StoryFolder] = {}
        self._pending: dict[Path, asyncio.TimerHandle] = {}
        self._generation: dict[Path, int] = {}
        self._published: dict[Path, set[Path]] = {}

    # -- documents and folders

    def folder_of(self, uri: str) -> tuple[StoryFolder, Path] | None:
        fs_path = to_fs_path(uri)
        if fs_path is None:
            return None
        path = Path(fs_path).resolve()
        root = find_root(path)
        if root is None:
            return None
        folder = self.folders.get(root)
        if folder is None:
            folder = self.folders[root] = StoryFolder(root)
        if folder.last_story is None and not folder.snapshot.texts:
            folder.accept(folder.compute(self.open_texts(folder)))  # first use: check now
        return folder, path

    def open_texts(self, folder: StoryFolder) -> dict[Path, str]:
        out = {}
        for uri, doc in self.workspace.text_documents.items():
            fs_path = to_fs_path(uri)
            if fs_path is None:
                continue
            path = Path(fs_path).resolve()
            if path.suffix in (".yaml", ".yml") and path.is_relative_to(folder.root):
                out[path] = doc.source
        return out

    def search_folders(self, folder: StoryFolder) -> list[Path]:
        """Where recordings of a story may be: the workspace folders, else the folder
        above the story."""
        found = [Path(p).resolve() for f in self.workspace.folders.values()
                 if (p := to_fs_path(f.uri)) is not None]
        return found or [folder.root.parent]

    def schedule(self, folder: StoryFolder, delay: float = DEBOUNCE_SECONDS) -> None:
        loop = asyncio.get_running_loop()
        # A check already running read the files before this change: its findings
        # are stale and must not replace what the editor shows (the coming one will).
        self._generation[folder.root] = self._generation.get(folder.root, 0) + 1
        pending = self._pending.pop(folder.root, None)
        if pending is not None:
            pending.cancel()
        self._pending[folder.root] = loop.call_later(
            delay, lambda: asyncio.ensure_future(self.refresh(folder)))

    async def refresh(self, folder: StoryFolder) -> None:
        generation = self._generation.get(folder.root, 0) + 1
        self._generation[folder.root] = generation
        try:
            snapshot = await asyncio.to_thread(folder.compute, self.open_texts(folder))
        except Exception as exc:  # a bug must not stop the server: say so, keep serving
            self.window_log_message(types.LogMessageParams(
                types.MessageType.Error, f"kissgame: checking {folder.root} failed: {exc!r}"))
            return
        if self._generation[folder.root] != generation:
            return  # a newer check has started; its findings will be published
        folder.accept(snapshot)
        self.publish(folder)

    def publish(self, folder: StoryFolder) -> None:
        by_file = folder.findings_by_file()
        for path in self._published.get(folder.root, set()) - set(by_file):
            by_file[path] = []
        for path, findings in by_file.items():
            lines = self.lines_of(folder, path)
            self.text_document_publish_diagnostics(types.PublishDiagnosticsParams(
                uri=from_fs_path(str(path)) or path.as_uri(),
                diagnostics=[self.diagnostic(lines, f) for f in findings]))
        self._published[folder.root] = set(by_file)

    def lines_of(self, folder: StoryFolder, path: Path) -> list[str]:
        """The text the findings were made on (it may have changed since)."""
        return folder.snapshot.texts.get(path, "").split("\n")

    # -- positions

    @property
    def codec(self) -> PositionCodec:
        return self.workspace.position_codec

    def to_client(self, lines: list[str], line: int, col: int) -> types.Position:
        return self.codec.position_to_client_units(lines, ServerTextPosition(line, col))

    def client_range(self, lines: list[str], line: int, col: int, end: int) -> types.Range:
        return types.Range(self.to_client(lines, line, col), self.to_client(lines, line, end))

    def diagnostic(self, lines: list[str], finding: Diagnostic) -> types.Diagnostic:
        line = max(finding.span.line - 1, 0)
        text = lines[line] if line < len(lines) else ""
        col = min(max(finding.span.col - 1, 0), len(text))
        end = col + 1
        while end < len(text) and (text[end].isalnum() or text[end] in "_."):
            end += 1
        return types.Diagnostic(
            range=self.client_range(lines, line, col, min(end, max(len(text), col))),
            message=finding.message,
            severity=types.DiagnosticSeverity.Error if finding.severity == ERROR
            else types.DiagnosticSeverity.Warning,
            code=finding.code, source="kissgame")

    def at(self, params: Positioned
           ) -> tuple[StoryFolder, Path, str, int, int] | None:
        """The folder, file, live text and code-point position of a request."""
        found = self.folder_of(params.text_document.uri)
        if found is None:
            return None
        folder, path = found
        doc = self.workspace.get_text_document(params.text_document.uri)
        text = doc.source
        lines = text.split("\n")
        pos = self.codec.position_from_client_units(lines, params.position)
        return folder, path, text, pos.line, pos.character

    def occurrence(self, params: Positioned
                   ) -> tuple[StoryFolder, Occurrence, Mapping[Path, str]] | None:
        found = self.at(params)
        if found is None:
            return None
        folder, path, text, line, col = found
        occ = folder.occurrence_at(path, text, line, col)
        if occ is None:
            return None
        return folder, occ, folder.texts(self.open_texts(folder))

    def location(self, folder: StoryFolder, path: Path, occ: Occurrence,
                 texts: Mapping[Path, str]) -> types.Location:
        lines = texts.get(path, "").split("\n")
        return types.Location(uri=from_fs_path(str(path)) or path.as_uri(),
                              range=self.client_range(lines, occ.line, occ.col, occ.end))


server = StoryServer()


@server.feature(types.TEXT_DOCUMENT_DID_OPEN)
async def did_open(ls: StoryServer, params: types.DidOpenTextDocumentParams) -> None:
    found = ls.folder_of(params.text_document.uri)
    if found is not None:
        ls.schedule(found[0], delay=0)


@server.feature(types.TEXT_DOCUMENT_DID_CHANGE)
async def did_change(ls: StoryServer, params: types.DidChangeTextDocumentParams) -> None:
    found = ls.folder_of(params.text_document.uri)
    if found is not None:
        ls.schedule(found[0])


@server.feature(types.TEXT_DOCUMENT_DID_SAVE)
async def did_save(ls: StoryServer, params: types.DidSaveTextDocumentParams) -> None:
    found = ls.folder_of(params.text_document.uri)
    if found is not None:
        ls.schedule(found[0], delay=0)


@server.feature(types.TEXT_DOCUMENT_DID_CLOSE)
async def did_close(ls: StoryServer, params: types.DidCloseTextDocumentParams) -> None:
    found = ls.folder_of(params.text_document.uri)
    if found is not None:
        ls.schedule(found[0], delay=0)


@server.feature(types.TEXT_DOCUMENT_COMPLETION,
                types.CompletionOptions(trigger_characters=[":", " ", "{", "(", "'", '"', "."]))
def completion(ls: StoryServer, params: types.CompletionParams) -> types.CompletionList | None:
    found = ls.at(params)
    if found is None:
        return None
    folder, path, text, line, col = found
    lines = text.split("\n")
    context = ctx.context_at(lines, line, col, path == folder.manifest)
    if context is None:
        return None
    edit_range = ls.client_range(lines, line, context.start, col)
    return types.CompletionList(is_incomplete=False, items=[
        _item(c, edit_range) for c in folder.completions(context)])


def _item(c: Completion, edit_range: types.Range) -> types.CompletionItem:
    return types.CompletionItem(
        label=c.label, kind=_ITEM_KINDS.get(c.kind), detail=c.detail or None,
        documentation=types.MarkupContent(types.MarkupKind.PlainText, c.documentation)
        if c.documentation else None,
        filter_text=c.label,
        text_edit=types.TextEdit(edit_range, c.snippet or c.label),
        insert_text_format=types.InsertTextFormat.Snippet if c.snippet
        else types.InsertTextFormat.PlainText)


@server.feature(types.TEXT_DOCUMENT_DEFINITION)
def definition(ls: StoryServer, params: types.DefinitionParams) -> list[types.Location] | None:
    found = ls.occurrence(params)
    if found is None:
        return None
    folder, occ, texts = found
    return [ls.location(folder, p, o, texts) for p, o in folder.definitions(occ, texts)] or None


@server.feature(types.TEXT_DOCUMENT_REFERENCES)
def references(ls: StoryServer, params: types.ReferenceParams) -> list[types.Location] | None:
    found = ls.occurrence(params)
    if found is None or found[1].kind == FIELD:
        return None
    folder, occ, texts = found
    return [ls.location(folder, p, o, texts) for p, o in folder.references(
        occ.kind, occ.name, texts, params.context.include_declaration)]


@server.feature(types.TEXT_DOCUMENT_HOVER)
def hover(ls: StoryServer, params: types.HoverParams) -> types.Hover | None:
    found = ls.occurrence(params)
    if found is None:
        return None
    folder, occ, texts = found
    text = folder.hover(occ)
    if text is None:
        return None
    # Plain text: story titles and comments are data, never markup.
    here = ls.location(folder, Path(to_fs_path(params.text_document.uri) or "").resolve(),
                       occ, texts)
    return types.Hover(types.MarkupContent(types.MarkupKind.PlainText, text), here.range)


@server.feature(types.TEXT_DOCUMENT_PREPARE_RENAME)
def prepare_rename(ls: StoryServer, params: types.PrepareRenameParams
                   ) -> types.PrepareRenamePlaceholder | None:
    found = ls.occurrence(params)
    if found is None:
        return None
    folder, occ, texts = found
    try:
        folder.check_rename(occ)
    except RenameError as exc:
        raise RequestFailed(str(exc)) from None
    here = ls.location(folder, Path(to_fs_path(params.text_document.uri) or "").resolve(),
                       occ, texts)
    return types.PrepareRenamePlaceholder(range=here.range, placeholder=occ.text)


@server.feature(types.TEXT_DOCUMENT_RENAME)
def rename(ls: StoryServer, params: types.RenameParams) -> types.WorkspaceEdit | None:
    found = ls.occurrence(params)
    if found is None:
        return None
    folder, occ, texts = found
    new_name = params.new_name
    if occ.text != occ.name and "." not in new_name:  # typed over a namespaced leaf
        new_name = occ.name.rpartition(".")[0] + "." + new_name
    try:
        edits = folder.rename(occ, new_name, texts, ls.search_folders(folder))
    except RenameError as exc:
        raise RequestFailed(str(exc)) from None
    changes: dict[str, list[types.TextEdit]] = {}
    for path, items in edits.items():
        text = texts.get(path)
        if text is None:
            text = path.read_text(encoding="utf-8")
        lines = text.split("\n")
        changes[from_fs_path(str(path)) or path.as_uri()] = [
            types.TextEdit(ls.client_range(lines, line, col, end), new)
            for line, col, end, new in items]
    return types.WorkspaceEdit(changes=changes)


@server.feature(types.TEXT_DOCUMENT_CODE_ACTION,
                types.CodeActionOptions(code_action_kinds=[types.CodeActionKind.QuickFix]))
def code_actions(ls: StoryServer, params: types.CodeActionParams) -> list[types.CodeAction]:
    """A quick fix for every finding that says "did you mean 'x'?" about the name it
    underlines (a misspelt target, variable, speaker or ending)."""
    doc = ls.workspace.get_text_document(params.text_document.uri)
    fixes = []
    for found in params.context.diagnostics:
        match = _DID_YOU_MEAN.search(found.message)
        if found.source != "kissgame" or match is None:
            continue
        written = doc.text_in_client_range(found.range)
        if f"'{written}'" not in found.message[:match.start()]:
            continue  # the finding underlines something other than the misspelt name
        fixes.append(types.CodeAction(
            title=f"Change '{written}' to '{match.group(1)}'",
            kind=types.CodeActionKind.QuickFix, diagnostics=[found], is_preferred=True,
            edit=types.WorkspaceEdit(changes={params.text_document.uri: [
                types.TextEdit(found.range, match.group(1))]})))
    return fixes


@server.feature(types.TEXT_DOCUMENT_DOCUMENT_SYMBOL)
def document_symbols(ls: StoryServer, params: types.DocumentSymbolParams
                     ) -> list[types.DocumentSymbol] | None:
    found = ls.folder_of(params.text_document.uri)
    if found is None:
        return None
    folder, path = found
    text = ls.workspace.get_text_document(params.text_document.uri).source
    index = folder.index(path, text)
    if index is None:
        return None
    lines = text.split("\n")
    story = folder.last_story
    symbols = []
    for block in index.scenes:
        occ = block.id_occurrence
        title = story.scenes[block.id].title if story and block.id in story.scenes else ""
        symbols.append(types.DocumentSymbol(
            name=block.id, detail=title or None, kind=types.SymbolKind.Class,
            range=types.Range(ls.to_client(lines, *block.start), ls.to_client(lines, *block.end)),
            selection_range=ls.client_range(lines, occ.line, occ.col, occ.end)))
    kinds = {VAR: types.SymbolKind.Variable, SPEAKER: types.SymbolKind.Constructor,
             ENDING: types.SymbolKind.EnumMember, EPISODE: types.SymbolKind.Namespace}
    for occ in index.occurrences:
        if occ.is_def and occ.kind in kinds:
            where = ls.client_range(lines, occ.line, occ.col, occ.end)
            symbols.append(types.DocumentSymbol(
                name=occ.name, detail=occ.kind, kind=kinds[occ.kind], range=where,
                selection_range=where))
    return symbols


@server.feature(types.WORKSPACE_SYMBOL)
def workspace_symbols(ls: StoryServer, params: types.WorkspaceSymbolParams
                      ) -> list[types.WorkspaceSymbol]:
    query = params.query.lower()
    out = []
    for folder in list(ls.folders.values()):
        texts = folder.texts(ls.open_texts(folder))
        for path, scene_id, title, occ in folder.scene_symbols(texts):
            if query in scene_id.lower() or query in title.lower():
                out.append(types.WorkspaceSymbol(
                    name=scene_id, kind=types.SymbolKind.Class,
                    container_name=title or None,
                    location=ls.location(folder, path, occ, texts)))
    return out


@server.feature(types.WORKSPACE_DID_CHANGE_WATCHED_FILES)
async def watched_files_changed(ls: StoryServer,
                                params: types.DidChangeWatchedFilesParams) -> None:
    """Files changed outside the editor (a checkout, another program): check again."""
    roots = {}
    for change in params.changes:
        found = ls.folder_of(change.uri)
        if found is not None:
            roots[found[0].root] = found[0]
    for folder in roots.values():
        ls.schedule(folder)


@server.feature(types.INITIALIZED)
async def initialized(ls: StoryServer, params: types.InitializedParams) -> None:
    """Ask the editor to report YAML files changed outside it, and check the stories in
    the workspace folders at once, so workspace symbols and diagnostics are there
    before the first file is opened."""
    watch = ls.client_capabilities.workspace and \
        ls.client_capabilities.workspace.did_change_watched_files
    if watch and watch.dynamic_registration:
        ls.client_register_capability(types.RegistrationParams([types.Registration(
            id="kissgame-yaml-files", method=types.WORKSPACE_DID_CHANGE_WATCHED_FILES,
            register_options=types.DidChangeWatchedFilesRegistrationOptions(
                [types.FileSystemWatcher(glob_pattern="**/*.{yaml,yml}")]))]))
    for workspace_folder in list(ls.workspace.folders.values()):
        fs_path = to_fs_path(workspace_folder.uri)
        if fs_path is None:
            continue
        top = Path(fs_path).resolve()
        # the folder itself, or a story one level down (a repository with story/ in it)
        for manifest in [top / MANIFEST, *sorted(top.glob(f"*/{MANIFEST}"))]:
            if manifest.is_file():
                folder = ls.folders.setdefault(manifest.parent, StoryFolder(manifest.parent))
                ls.schedule(folder, delay=0)
