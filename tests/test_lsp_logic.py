"""The language server's own logic, without the protocol: where names are written
(index) and what is being typed (context)."""

from __future__ import annotations

from pathlib import Path

import pytest

from kissgame.checker import check
from kissgame.loader import MANIFEST, story_files
from kissgame.lsp.context import ENDINGS, FIELDS, SCENES, SPEAKERS, VARIABLES, context_at
from kissgame.lsp.index import SCENE, SPEAKER, VAR, index_text
from kissgame.resources import default_story_root


def test_every_name_in_the_built_in_story_is_found_where_it_is_written():
    root = default_story_root()
    story = check(root)[0].story
    assert story is not None
    seen = {SCENE: set(), VAR: set(), SPEAKER: set()}
    for path in [root / MANIFEST, *story_files(root)]:
        text = path.read_text(encoding="utf-8")
        lines = text.split("\n")
        index = index_text(text, path.name == MANIFEST)
        assert index is not None
        for occ in index.occurrences:
            assert lines[occ.line][occ.col:occ.end] == occ.text, (path.name, occ)
            if occ.kind in seen:
                seen[occ.kind].add(occ.name)
    assert seen[SCENE] == set(story.scenes)
    assert seen[VAR] == set(story.vars)
    assert seen[SPEAKER] == set(story.characters)


def test_names_inside_expressions_templates_and_quotes():
    text = (
        "scenes:\n"
        "  - id: a\n"
        "    text:\n"
        "      - \"Hi {if visits('b') > 1 and ship.x}again{end}, {n}.\"\n"
        "      - q: >-\n"
        "          folded {ship.x +\n"
        "          n}\n"
        "    choices:\n"
        "      - {label: go, to: b, if: 'flag.y', do: [n += 1]}\n"
    )
    index = index_text(text, is_manifest=False)
    assert index is not None
    lines = text.split("\n")

    def at(kind, name, line, before=""):
        return kind, name, line, lines[line].index(before + name) + len(before)

    found = {(o.kind, o.name, o.line, o.col) for o in index.occurrences if o.kind != "field"}
    assert found == {
        at(SCENE, "a", 1), at(SCENE, "b", 3), at(VAR, "ship.x", 3), at(VAR, "n", 3, "{"),
        at(SPEAKER, "q", 4), at(VAR, "ship.x", 5), at(VAR, "n", 6),
        at(SCENE, "b", 8, "to: "), at(VAR, "flag.y", 8), at(VAR, "n", 8, "[")}
    assert index.default_choice_targets == {"b"}


def test_names_inside_once_lines_and_first_groups():
    # a rename must reach them: a variable left behind in a line group breaks the story
    text = (
        "scenes:\n"
        "  - id: a\n"
        "    text:\n"
        "      - once: \"First {n}.\"\n"
        "      - first:\n"
        "          - if: ship.x > 1\n"
        "            then: [{q: \"Hi {n}\"}]\n"
        "          - once: [\"{ship.x}\"]\n"
        "          - q: \"Else {n}\"\n"
    )
    index = index_text(text, is_manifest=False)
    assert index is not None
    found = sorted((o.kind, o.name, o.line) for o in index.occurrences if o.kind != "field")
    assert found == [(SCENE, "a", 1), (SPEAKER, "q", 6), (SPEAKER, "q", 8),
                     (VAR, "n", 3), (VAR, "n", 6), (VAR, "n", 8), (VAR, "ship.x", 5),
                     (VAR, "ship.x", 7)]


def test_a_file_that_does_not_parse_has_no_index():
    assert index_text("scenes:\n  - id: [\n", is_manifest=False) is None


SCENE_FILE = """\
scenes:
  - id: a
    title: x
    text:
      - hello
      - q: "hi {cou"
      -~
    choices:
      - label: "go"
        to: st
        if: "flag.a and cou"
        do:
          - courage += 1
          - cou
~~~~~~~~
      - {label: x, to: ab
    ti
  - id: b
    ending: fr
""".replace("~", " ").split("\n")  # ~ stands for a space an author has just typed


@pytest.mark.parametrize(("row", "upto", "want", "prefix", "obj"), [
    (2, "    ", FIELDS, "", "scene"),
    (5, "{cou", VARIABLES, "cou", ""),
    (6, "- ", SPEAKERS, "", "conditional"),
    (9, "to: st", SCENES, "st", ""),
    (10, "and cou", VARIABLES, "cou", ""),
    (10, "flag.a", VARIABLES, "flag.a", ""),
    (13, "- cou", VARIABLES, "cou", ""),
    (14, "        ", FIELDS, "", "choice"),
    (15, "to: ab", SCENES, "ab", ""),
    (16, "ti", FIELDS, "ti", "scene"),
    (18, "ending: fr", ENDINGS, "fr", ""),
    (0, "", FIELDS, "", "scene_file"),
])
def test_what_is_being_typed(row, upto, want, prefix, obj):
    col = SCENE_FILE[row].index(upto) + len(upto)
    found = context_at(SCENE_FILE, row, col, is_manifest=False)
    assert found is not None
    assert (found.want, found.prefix, found.obj) == (want, prefix, obj)
    assert found.start == col - len(prefix)


def test_fields_already_written_are_known():
    found = context_at(SCENE_FILE, 14, 8, is_manifest=False)
    assert found is not None and found.siblings == {"label", "to", "if", "do"}
    found = context_at(SCENE_FILE, 16, 6, is_manifest=False)
    assert found is not None and found.siblings == {"id", "title", "text", "choices"}


def test_no_completion_inside_a_string_literal_or_plain_prose():
    assert context_at(["    if: \"name == 'ab"], 0, 20, False) is None
    assert context_at(["      - just some prose"], 0, 20, False) is None


def test_manifest_objects():
    lines = ["vars:", "  x: 1", "endings:", "  good:", "    ti", "characters:", "  q:",
             "    na"]
    assert context_at(lines, 4, 6, True).obj == "ending"
    assert context_at(lines, 7, 6, True).obj == "character"
    assert Path(MANIFEST).name == "story.yaml"


def test_aliases_cannot_make_indexing_explode():
    # each level doubles what a naive walk visits: 2**40 blocks in a few hundred bytes
    levels = ["a0: &a0 [\"{x}\"]"] + [
        f"a{i}: &a{i} [{{if: x, then: *a{i - 1}, else: *a{i - 1}}}]" for i in range(1, 41)]
    text = "\n".join(["vars: {x: 1}", *levels, "scenes:", "  - id: s", "    text: *a40"])
    index = index_text(text, is_manifest=False)
    assert index is None or len(index.occurrences) < 1000


def test_assumptions_and_meters_want_variables():
    lines = ["scenes:", "  - id: a", "    assume: not flag.ca", "    assume:",
             "      - ship.x >= 2 and cou"]
    assert context_at(lines, 2, len(lines[2]), False).prefix == "flag.ca"
    assert context_at(lines, 4, len(lines[4]), False).want == VARIABLES
    meters = ["meters:", "  courage: {label: Courage, var: cou"]
    assert context_at(meters, 1, len(meters[1]), True).want == VARIABLES


def test_the_server_never_imports_textual():
    import subprocess
    import sys

    code = ("import sys, kissgame.lsp.server; "
            "print(sorted({m.split('.')[0] for m in sys.modules} & {'textual', 'rich'}))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip() == "[]"


def test_playing_never_imports_the_language_server():
    import subprocess
    import sys

    code = ("import sys, kissgame.__main__; "
            "print(sorted({m.split('.')[0] for m in sys.modules} & {'pygls', 'lsprotocol'}))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip() == "[]"


def test_a_renamed_variable_keeps_a_transcripts_changes_sorted():
    from kissgame.lsp.folder import transcript_edits
    from kissgame.lsp.index import VAR

    text = "== [a] A\n> [b] Go\n  apple: 1 -> 2\n  melon: 0 -> 1\n  zebra: 3 -> 4\n"
    edits = transcript_edits(text, VAR, "zebra", "kiwi", choice_ids=False)
    lines = text.split("\n")
    for line, col, end, new in edits:
        lines[line] = lines[line][:col] + new + lines[line][end:]
    assert lines[2:5] == ["  apple: 1 -> 2", "  kiwi: 3 -> 4", "  melon: 0 -> 1"]


def test_a_renamed_scene_in_a_transcript():
    from kissgame.lsp.folder import transcript_edits
    from kissgame.lsp.index import SCENE

    text = "== [a] A\n* [b] Go\nx [b] Go  (locked: no)\n> [b] Go\n== [b] B\n"
    headers_only = transcript_edits(text, SCENE, "b", "c", choice_ids=False)
    assert [(line, new) for line, _, _, new in headers_only] == [(4, "c")]
    everything = transcript_edits(text, SCENE, "b", "c", choice_ids=True)
    assert [line for line, _, _, _ in everything] == [1, 2, 3, 4]
