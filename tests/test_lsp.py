"""`kissgame lsp` driven over stdio by a real LSP client (pytest-lsp), on a copy of the
built-in story and on a `kissgame new` scaffold."""

from __future__ import annotations

import asyncio
import re
import shutil
import sys
from pathlib import Path

import pytest

# Skipped, not failed, in a checkout whose venv predates the test extra's pytest-lsp
# (CI installs '.[test]', so it always runs there).
pytest_lsp = pytest.importorskip("pytest_lsp")
from lsprotocol import types  # noqa: E402
from pytest_lsp import ClientServerConfig, LanguageClient, client_capabilities  # noqa: E402

from kissgame.checker import check  # noqa: E402
from kissgame.resources import default_story_root  # noqa: E402
from kissgame.scaffold import scaffold  # noqa: E402

WAIT = 60  # seconds: a generous bound for a loaded CI machine, never a speed claim


@pytest_lsp.fixture(config=ClientServerConfig(
    server_command=[sys.executable, "-m", "kissgame", "lsp"]))
async def client(lsp_client: LanguageClient):
    lsp_client.registrations = []

    @lsp_client.feature(types.CLIENT_REGISTER_CAPABILITY)
    def register(client: LanguageClient, params: types.RegistrationParams) -> None:
        client.registrations.extend(params.registrations)  # as an editor would note it

    yield
    if not lsp_client.stopped:  # a test may have shut it down itself
        await lsp_client.shutdown_session()


@pytest.fixture
def scaffolded(tmp_path: Path) -> Path:
    scaffold(tmp_path / "lunch")
    return tmp_path / "lunch"


@pytest.fixture
def built_in(tmp_path: Path) -> Path:
    shutil.copytree(default_story_root(), tmp_path / "story")
    return tmp_path / "story"


async def start(client: LanguageClient, workspace: Path, editor: str = "visual-studio-code"):
    await client.initialize_session(types.InitializeParams(
        capabilities=client_capabilities(editor),
        workspace_folders=[types.WorkspaceFolder(uri=workspace.as_uri(), name="story")]))


def open_file(client: LanguageClient, path: Path) -> str:
    uri = path.as_uri()
    client.text_document_did_open(types.DidOpenTextDocumentParams(
        types.TextDocumentItem(uri=uri, language_id="yaml", version=1,
                               text=path.read_text(encoding="utf-8"))))
    return uri


def change(client: LanguageClient, uri: str, text: str, version: int = 2) -> None:
    client.text_document_did_change(types.DidChangeTextDocumentParams(
        types.VersionedTextDocumentIdentifier(uri=uri, version=version),
        [types.TextDocumentContentChangeWholeDocument(text=text)]))


async def diagnostics(client: LanguageClient, uri: str, until=lambda found: True) -> list:
    """The diagnostics of ``uri`` once some satisfy ``until`` (waiting for the server)."""
    async def wait():
        while uri not in client.diagnostics or not until(client.diagnostics[uri]):
            await client.wait_for_notification(types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
        return list(client.diagnostics[uri])
    return await asyncio.wait_for(wait(), WAIT)


def position_of(text: str, needle: str, offset: int = 0) -> types.Position:
    """Where ``needle`` first occurs in ``text`` (plus ``offset`` characters)."""
    index = text.index(needle) + offset
    line = text.count("\n", 0, index)
    return types.Position(line, index - (text.rfind("\n", 0, index) + 1))


def as_check_output(root: Path, uri_diagnostics: dict) -> set:
    """LSP diagnostics as (file, line, col, code, message), the shape of `kissgame check`."""
    out = set()
    for uri, found in uri_diagnostics.items():
        rel = Path(uri.removeprefix("file://")).relative_to(root).as_posix()
        for d in found:
            out.add((rel, d.range.start.line + 1, d.range.start.character + 1, d.code,
                     d.message))
    return out


def check_output(root: Path) -> set:
    _, findings = check(root.resolve())
    return {(Path(f.span.file).relative_to(root.resolve()).as_posix(), f.span.line,
             f.span.col, f.code, f.message) for f in findings}


def apply_edits(edit: types.WorkspaceEdit) -> None:
    """Write a WorkspaceEdit's changes to disk, as an editor would on save."""
    assert edit.changes
    for uri, edits in edit.changes.items():
        path = Path(uri.removeprefix("file://"))
        lines = path.read_text(encoding="utf-8").split("\n")
        for e in sorted(edits, key=lambda e: (e.range.start.line, e.range.start.character),
                        reverse=True):
            assert e.range.start.line == e.range.end.line
            line = lines[e.range.start.line]
            lines[e.range.start.line] = (line[:e.range.start.character] + e.new_text
                                         + line[e.range.end.character:])
        path.write_text("\n".join(lines), encoding="utf-8")


def doc(uri: str) -> types.TextDocumentIdentifier:
    return types.TextDocumentIdentifier(uri=uri)


# -- diagnostics


async def test_diagnostics_as_you_type_are_those_of_check(client, scaffolded):
    await start(client, scaffolded)
    scenes = scaffolded / "scenes" / "lunch.yaml"
    uri = open_file(client, scenes)
    assert await diagnostics(client, uri) == []
    text = scenes.read_text().replace("to: stairwell", "to: stairwel")
    change(client, uri, text)
    found = await diagnostics(client, uri, lambda ds: any(d.code == "KG102" for d in ds))
    typo = next(d for d in found if d.code == "KG102")
    assert typo.severity == types.DiagnosticSeverity.Error
    assert typo.range.start == position_of(text, "to: stairwel", 4)
    assert typo.range.end == position_of(text, "to: stairwel", len("to: stairwel"))
    assert "did you mean 'stairwell'" in typo.message
    [fix] = await client.text_document_code_action_async(types.CodeActionParams(
        text_document=doc(uri), range=typo.range, context=types.CodeActionContext([typo])))
    assert fix.kind == types.CodeActionKind.QuickFix
    assert [(u, list(e)) for u, e in fix.edit.changes.items()] == [
        (uri, [types.TextEdit(typo.range, "stairwell")])]
    # nothing was saved; once it is, `kissgame check` says exactly the same
    scenes.write_text(text)
    assert as_check_output(scaffolded, client.diagnostics) == check_output(scaffolded)


async def test_an_edit_in_one_file_updates_the_diagnostics_of_the_others(client, scaffolded):
    await start(client, scaffolded)
    scenes_uri = (scaffolded / "scenes" / "lunch.yaml").as_uri()
    manifest = scaffolded / "story.yaml"
    uri = open_file(client, manifest)
    assert await diagnostics(client, scenes_uri) == []
    change(client, uri, manifest.read_text().replace("  alone:", "  lonely:"))
    found = await diagnostics(client, scenes_uri, lambda ds: bool(ds))
    assert [d.code for d in found] == ["KG113"]
    assert "undeclared ending 'alone'" in found[0].message
    change(client, uri, manifest.read_text(), version=3)
    assert await diagnostics(client, scenes_uri, lambda ds: not ds) == []


async def test_files_changed_outside_the_editor_are_checked_again(client, scaffolded):
    await start(client, scaffolded)
    scenes = scaffolded / "scenes" / "lunch.yaml"
    uri = open_file(client, scenes)
    assert await diagnostics(client, uri) == []
    manifest = scaffolded / "story.yaml"
    # replaced whole, as a checkout does (a check still running must not read half a file)
    edited = manifest.with_name("story.yaml.new")
    edited.write_text(manifest.read_text().replace("start: cafeteria", "start: cafe"))
    edited.replace(manifest)
    client.workspace_did_change_watched_files(types.DidChangeWatchedFilesParams([
        types.FileEvent(manifest.as_uri(), types.FileChangeType.Changed)]))
    found = await diagnostics(client, manifest.as_uri(), lambda ds: bool(ds))
    assert [d.code for d in found] == ["KG116"]
    [watch] = client.registrations  # the server asked the editor to report such changes
    assert watch.method == types.WORKSPACE_DID_CHANGE_WATCHED_FILES

async def test_diagnostics_on_the_built_in_story_match_check(client, built_in):
    await start(client, built_in)
    ep03 = built_in / "scenes" / "ep03.yaml"
    uri = open_file(client, ep03)
    baseline = await diagnostics(client, uri)
    text = ep03.read_text()
    first_target = text[text.index("to: ") + 4:].split("\n")[0]
    text = text.replace(f"to: {first_target}", f"to: {first_target}x", 1)
    change(client, uri, text)
    await diagnostics(client, uri, lambda ds: len(ds) > len(baseline))
    ep03.write_text(text)
    assert as_check_output(built_in, client.diagnostics) == check_output(built_in)



async def test_only_the_last_of_quick_edits_is_reported(client, scaffolded):
    await start(client, scaffolded)
    scenes = scaffolded / "scenes" / "lunch.yaml"
    uri = open_file(client, scenes)
    await diagnostics(client, uri)
    original = scenes.read_text()
    for version, typo in enumerate(["stairwelA", "stairwelB", "stairwelC", "stairwelD"], 2):
        change(client, uri, original.replace("to: stairwell", f"to: {typo}"), version)
    found = await diagnostics(client, uri, lambda ds: any("stairwelD" in d.message
                                                          for d in ds))
    assert not [d for d in found if any(f"stairwel{x}'" in d.message for x in "ABC")]


async def test_positions_are_in_the_clients_utf16_units(client, scaffolded):
    await start(client, scaffolded)
    scenes = scaffolded / "scenes" / "lunch.yaml"
    uri = open_file(client, scenes)
    await diagnostics(client, uri)
    text = scenes.read_text().replace(
        '      - label: "Eat in the stairwell with my phone"\n        to: stairwell',
        '      - {label: "🙂🙂 stairwell", to: stairwel}\n'
        '      - {label: "🙂🙂 Q", to: with_q}')
    change(client, uri, text)
    found = await diagnostics(client, uri, lambda ds: any(d.code == "KG102" for d in ds))
    typo = next(d for d in found if d.code == "KG102")
    lines = text.split("\n")

    def utf16(line: int, needle: str) -> int:
        return len(lines[line][:lines[line].index(needle)].encode("utf-16-le")) // 2

    row = typo.range.start.line
    assert typo.range.start.character == utf16(row, "stairwel}")  # two emoji: four units
    [target] = await definition(client, uri, types.Position(row + 1, utf16(row + 1, "with_q")))
    assert target.range.start == position_of(text, "- id: with_q", 6)


# -- completion


async def complete(client: LanguageClient, uri: str, position: types.Position) -> dict:
    result = await client.text_document_completion_async(types.CompletionParams(
        text_document=doc(uri), position=position))
    items = result.items if isinstance(result, types.CompletionList) else (result or [])
    return {item.label: item for item in items}


@pytest.mark.parametrize("editor", ["visual-studio-code", "neovim"])
async def test_completion_of_ids_variables_speakers_endings_and_fields(
        client, scaffolded, editor):
    await start(client, scaffolded, editor)
    scenes = scaffolded / "scenes" / "lunch.yaml"
    uri = open_file(client, scenes)
    await diagnostics(client, uri)
    text = scenes.read_text()
    # an author adds a choice and is typing its target, condition, effect and a field
    text = text.replace("        to: stairwell\n", "        to: stairwell\n"
                        "      - label: \"Wave at Q\"\n        if: cour\n        do: \n"
                        "        to: wi\n        \n")
    text = text.replace("      - q: \"You", "      - \n      - q: \"You")
    change(client, uri, text)

    targets = await complete(client, uri, position_of(text, "to: wi", 6))
    assert {"cafeteria", "with_q", "stairwell"} <= set(targets)
    assert targets["with_q"].detail == "Q's Table"
    assert targets["with_q"].text_edit.range.start == position_of(text, "to: wi", 4)

    condition = await complete(client, uri, position_of(text, "if: cour", 8))
    assert condition["courage"].kind == types.CompletionItemKind.Variable
    assert condition["courage"].detail == "number = 0 (0..3)"
    assert "declared at story.yaml:" in condition["courage"].documentation.value
    assert "visits" in condition  # the expression functions too

    effect = await complete(client, uri, position_of(text, "do: \n", 4))
    assert "courage" in effect

    braces = await complete(client, uri, position_of(text, "{if courage", 4))
    assert "courage" in braces

    speakers = await complete(client, uri, position_of(text, "      - \n", 8))
    assert speakers["q"].detail == "Q"
    assert speakers["q"].text_edit.new_text.startswith("q: ")

    endings = await complete(client, uri, position_of(text, "ending: friends", 8))
    assert set(endings) == {"friends", "alone"}

    episodes = await complete(client, uri, position_of(text, "episode: lunch", 9))
    assert episodes["lunch"].detail == "Lunch"

    fields = await complete(client, uri, position_of(text, "to: wi\n        \n", 15))
    assert {"id", "once", "locked", "tags"} <= set(fields)
    assert not {"label", "if", "do", "to"} & set(fields)  # already written in this choice
    once = fields["once"]
    assert once.text_edit.new_text == "once: $0"
    assert once.insert_text_format == types.InsertTextFormat.Snippet
    assert "once-only" in once.documentation.value


# -- definition, references, hover


async def definition(client: LanguageClient, uri: str, position: types.Position) -> list:
    result = await client.text_document_definition_async(types.DefinitionParams(
        text_document=doc(uri), position=position))
    return [result] if isinstance(result, types.Location) else list(result or [])


async def test_go_to_definition_of_targets_variables_and_speakers(client, scaffolded):
    await start(client, scaffolded)
    scenes = scaffolded / "scenes" / "lunch.yaml"
    manifest = (scaffolded / "story.yaml").read_text()
    uri = open_file(client, scenes)
    text = scenes.read_text()

    [target] = await definition(client, uri, position_of(text, "to: with_q", 6))
    assert target.uri == uri
    assert target.range.start == position_of(text, "- id: with_q", 6)

    [variable] = await definition(client, uri, position_of(text, "courage += 1", 2))
    assert variable.uri == (scaffolded / "story.yaml").as_uri()
    assert variable.range.start == position_of(manifest, "\n  courage: {value", 3)

    [in_text] = await definition(client, uri, position_of(text, "{if courage", 5))
    assert in_text == variable

    [speaker] = await definition(client, uri, position_of(text, "- q: ", 2))
    assert speaker.range.start == position_of(manifest, "  q: {name", 2)

    [ending] = await definition(client, uri, position_of(text, "ending: alone", 9))
    assert ending.range.start == position_of(manifest, "  alone:", 2)


async def test_definition_from_visited_in_folded_prose(client, built_in):
    # the built-in story is being written: find a visited("...") in its prose, whatever it is
    call = re.compile(r"""visit(?:s|ed)\(["']([a-z0-9_]+)""")
    path, text, match = next((p, t, m) for p in sorted(built_in.glob("scenes/*.yaml"))
                             for t in [p.read_text()] for m in [call.search(t)] if m)
    scene = match.group(1)
    where = next((p, p.read_text()) for p in sorted(built_in.glob("scenes/*.yaml"))
                 if f"- id: {scene}\n" in p.read_text())
    await start(client, built_in)
    uri = open_file(client, path)
    [found] = await definition(client, uri, position_of(text, match.group(), len(match.group())
                                                        - 2))
    assert found.uri == where[0].as_uri()
    assert found.range.start == position_of(where[1], f"- id: {scene}\n", 6)


async def test_references_of_a_scene_and_a_variable(client, scaffolded):
    await start(client, scaffolded)
    scenes = scaffolded / "scenes" / "lunch.yaml"
    uri = open_file(client, scenes)
    text = scenes.read_text()
    manifest_uri = (scaffolded / "story.yaml").as_uri()

    async def refs(position, declaration=True):
        found = await client.text_document_references_async(types.ReferenceParams(
            text_document=doc(uri), position=position,
            context=types.ReferenceContext(include_declaration=declaration)))
        return sorted((r.uri.rsplit("/", 1)[1], r.range.start.line) for r in found)

    at_target = position_of(text, "to: with_q", 5)
    assert await refs(at_target) == sorted([
        ("lunch.yaml", position_of(text, "to: with_q").line),
        ("lunch.yaml", position_of(text, "id: with_q").line)])
    assert await refs(at_target, declaration=False) == [
        ("lunch.yaml", position_of(text, "to: with_q").line)]
    courage = await refs(position_of(text, "courage += 1"))
    assert [f for f, _ in courage].count("story.yaml") == 2  # declared, shown as a meter
    assert [f for f, _ in courage].count("lunch.yaml") == 2  # set by a choice, read in text
    assert manifest_uri.endswith("story.yaml")


async def hover_text(client: LanguageClient, uri: str, position: types.Position) -> str:
    result = await client.text_document_hover_async(types.HoverParams(
        text_document=doc(uri), position=position))
    assert result is not None
    return result.contents.value


async def test_hover_on_variables_scenes_and_fields(client, scaffolded):
    await start(client, scaffolded)
    scenes = scaffolded / "scenes" / "lunch.yaml"
    uri = open_file(client, scenes)
    text = scenes.read_text()
    variable = await hover_text(client, uri, position_of(text, "courage += 1"))
    assert variable.splitlines()[:2] == ["variable courage: number",
                                         "initial value 0, min 0, max 3"]
    scene = await hover_text(client, uri, position_of(text, "to: stairwell", 5))
    assert scene.splitlines()[:3] == ["scene stairwell: The Stairwell",
                                      "episode lunch: Lunch", "ending alone: Table for One"]
    field = await hover_text(client, uri, position_of(text, "        do:", 8))
    assert field.startswith("do: effects run when the choice is taken")


async def test_hover_shows_a_declarations_comment_on_the_built_in_story(client, built_in):
    from kissgame.lsp.index import VAR, index_text

    await start(client, built_in)
    for path in sorted(built_in.glob("scenes/*.yaml")):
        text = path.read_text()
        lines = text.split("\n")
        declared = [o for o in index_text(text, False).occurrences
                    if o.kind == VAR and o.is_def and " # " in lines[o.line]]
        if declared:
            break
    occ = declared[0]
    comment = lines[occ.line].split(" # ", 1)[1].strip()
    uri = open_file(client, path)
    found = await hover_text(client, uri, types.Position(occ.line, occ.col + 1))
    assert found.splitlines()[0].startswith(f"variable {occ.name}: ")
    assert comment in found


# -- rename


async def rename(client: LanguageClient, uri: str, position: types.Position,
                 new_name: str) -> types.WorkspaceEdit:
    prepared = await client.text_document_prepare_rename_async(types.PrepareRenameParams(
        text_document=doc(uri), position=position))
    assert prepared is not None
    result = await client.text_document_rename_async(types.RenameParams(
        text_document=doc(uri), position=position, new_name=new_name))
    assert result is not None
    return result


def recorded(tmp_path: Path, story: Path) -> Path:
    """A recording of the scaffold's 'friends' ending with its golden transcript."""
    from kissgame.__main__ import main

    recording = tmp_path / "recordings" / "friends.yaml"
    recording.parent.mkdir()
    recording.write_text("recording: 1\nstory: lunch\nseed: 0\nexpect_ending: friends\n"
                         "choices:\n- with_q\n")
    assert main(["replay", str(recording), "--story", str(story), "--update"]) == 0
    assert "transcript:" in recording.read_text()
    return recording


def replays(recording: Path, story: Path) -> bool:
    """`kissgame replay` passes: same choices, same ending, same golden transcript."""
    from kissgame.__main__ import main

    return main(["replay", str(recording), "--story", str(story)]) == 0


async def test_rename_a_scene_in_choices_visits_and_recordings(client, tmp_path, scaffolded):
    scenes = scaffolded / "scenes" / "lunch.yaml"
    scenes.write_text(scenes.read_text().replace(
        "Apparently I am brave now.", "Apparently I am brave now.{if visits('with_q') > 1} "
        "Again.{end}"))
    recording = recorded(tmp_path, scaffolded)
    transcript = recording.parent / "friends.transcript.txt"
    assert "[with_q]" in transcript.read_text()
    await start(client, tmp_path)
    uri = open_file(client, scenes)
    text = scenes.read_text()
    edit = await rename(client, uri, position_of(text, "to: with_q", 4), "q_table")
    assert set(edit.changes) == {uri, recording.as_uri(), transcript.as_uri()}
    assert len(edit.changes[uri]) == 3  # the id, the target, the visits() argument
    apply_edits(edit)
    assert "with_q" not in scenes.read_text() + transcript.read_text()
    assert check_output(scaffolded) == set()
    assert replays(recording, scaffolded)


async def test_rename_a_variable_in_a_recordings_transcript(client, tmp_path, scaffolded):
    recording = recorded(tmp_path, scaffolded)
    transcript = recording.parent / "friends.transcript.txt"
    assert "  courage: 0 -> 1" in transcript.read_text()
    await start(client, tmp_path)
    manifest = scaffolded / "story.yaml"
    uri = open_file(client, manifest)
    edit = await rename(client, uri, position_of(manifest.read_text(), "\n  courage:", 3),
                        "nerve")
    apply_edits(edit)
    assert "  nerve: 0 -> 1" in transcript.read_text()
    assert check_output(scaffolded) == set()
    assert replays(recording, scaffolded)


async def test_rename_a_namespaced_variable_across_the_built_in_story(client, built_in):
    from kissgame.lsp.index import VAR, index_text

    before = check_output(built_in)
    manifest = built_in / "story.yaml"
    declaration = next(o for o in index_text(manifest.read_text(), True).occurrences
                       if o.kind == VAR and o.is_def and o.name.count(".") == 1)
    name = declaration.name
    old = re.compile(rf"\b{re.escape(name)}\b")
    uses = sum(len(old.findall(p.read_text())) for p in built_in.rglob("*.yaml"))
    assert uses > 1
    await start(client, built_in)
    uri = open_file(client, manifest)
    await diagnostics(client, uri)
    new_leaf = declaration.text + "_renamed"
    edit = await rename(client, uri, types.Position(declaration.line, declaration.col + 1),
                        new_leaf)
    assert sum(len(edits) for edits in edit.changes.values()) == uses + 1  # and its declaration
    apply_edits(edit)
    assert not any(old.search(p.read_text()) for p in built_in.rglob("*.yaml"))
    renamed = name.rpartition(".")[0] + "." + new_leaf
    assert check_output(built_in) == {f if name not in f[4] else
                                      (*f[:4], f[4].replace(name, renamed)) for f in before}


async def test_rename_refuses_what_would_break_the_story(client, scaffolded):
    await start(client, scaffolded)
    scenes = scaffolded / "scenes" / "lunch.yaml"
    uri = open_file(client, scenes)
    text = scenes.read_text()
    with pytest.raises(Exception, match="already exists"):
        await client.text_document_rename_async(types.RenameParams(
            text_document=doc(uri), position=position_of(text, "to: with_q", 4),
            new_name="stairwell"))
    with pytest.raises(Exception, match="only scene ids and variables"):
        await client.text_document_prepare_rename_async(types.PrepareRenameParams(
            text_document=doc(uri), position=position_of(text, "- q: ", 2)))


# -- symbols


async def test_document_and_workspace_symbols(client, built_in):
    story = check(built_in)[0].story
    first_file = sorted(built_in.glob("scenes/*.yaml"))[0]
    ids = re.findall(r"^  - id: (\w+)$", first_file.read_text(), re.M)
    await start(client, built_in)
    uri = open_file(client, first_file)
    await diagnostics(client, uri)
    symbols = await client.text_document_document_symbol_async(
        types.DocumentSymbolParams(text_document=doc(uri)))
    assert [s.name for s in symbols if s.kind == types.SymbolKind.Class] == ids
    titled = next(s for s in story.scenes.values() if s.title)
    found = await client.workspace_symbol_async(
        types.WorkspaceSymbolParams(query=titled.title.lower()))
    assert (titled.id, titled.title) in [(s.name, s.container_name) for s in found]
    assert all(titled.title.lower() in (s.container_name or "").lower()
               or titled.title.lower() in s.name for s in found)
    everything = await client.workspace_symbol_async(types.WorkspaceSymbolParams(query=""))
    assert len(everything) == len(story.scenes)


async def test_stories_in_the_workspace_are_known_before_a_file_is_opened(client, tmp_path,
                                                                          scaffolded):
    await start(client, tmp_path)  # a workspace with the story one folder down
    manifest_uri = (scaffolded / "story.yaml").as_uri()
    assert await diagnostics(client, manifest_uri) == []
    found = await client.workspace_symbol_async(types.WorkspaceSymbolParams(query="table"))
    assert [(s.name, s.location.uri) for s in found] == [
        ("with_q", (scaffolded / "scenes" / "lunch.yaml").as_uri())]


async def test_the_server_exits_0_after_shutdown_and_exit(client, scaffolded):
    await start(client, scaffolded)
    await client.shutdown_session()
    assert client._server.returncode == 0
