"""Classes 2, 5 and 6 at load time: control characters, bombs, non-finite numbers.

Each hostile file must give a located finding with its code, quickly, and never a
traceback; a control character must never survive into the compiled story.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from kissgame.loader import MAX_DIGITS, MAX_NODES, MAX_SCALAR_CHARS, load_story, read_yaml

MANIFEST = """\
format: 1
id: t
title: T
start: a
vars:
  n: 0
"""


def story_with(make_story, scene_file: str) -> Path:
    return make_story(MANIFEST, {"scenes/s.yaml": scene_file})


def findings(root: Path) -> list[tuple[str, str, int, int]]:
    result = load_story(root)
    return [(d.code, Path(d.span.file).name, d.span.line, d.span.col) for d in result.diagnostics]


def read(tmp_path: Path, text: str) -> tuple[object, list[tuple[str, int, int]]]:
    path = tmp_path / "f.yaml"
    path.write_text(text, encoding="utf-8")
    data, diags = read_yaml(path, str(path))
    return data, [(d.code, d.span.line, d.span.col) for d in diags]


# ---- class 2: control characters ----

ESCAPES = {
    "osc52 clipboard": r"\e]52;c;aGVsbG8=\a",
    "osc2 title": r"\e]2;pwned\x07",
    "csi clear": r"\e[2J\e[H",
    "c1 csi": r"\x9b2J",
    "carriage return": r"fake\roverwrite",
    "backspace and del": r"a\bb\x7f",
    "nul": r"a\0b",
}


@pytest.mark.parametrize("escape", ESCAPES.values(), ids=ESCAPES.keys())
def test_control_characters_are_made_visible_with_a_located_warning(make_story, escape):
    root = story_with(make_story, f"""\
        scenes:
          - id: a
            title: "{escape}"
            text:
              - "ok"
              - "{escape} in prose"
            ending: e
        """)
    (root / "story.yaml").write_text(MANIFEST + f'endings:\n  e: {{title: "{escape}"}}\n')
    result = load_story(root)
    assert result.ok
    warnings = [(d.code, Path(d.span.file).name, d.span.line, d.span.col)
                for d in result.diagnostics]
    assert ("KG016", "s.yaml", 3, 12) in warnings
    assert ("KG016", "s.yaml", 6, 9) in warnings
    assert ("KG016", "story.yaml", 8, 14) in warnings
    story = result.story
    assert story is not None
    shown = [story.scenes["a"].title, story.endings["e"].title,
             story.scenes["a"].text[1].text]  # type: ignore[attr-defined]
    for text in shown:
        assert not any(ord(c) < 32 or 0x7F <= ord(c) <= 0x9F for c in str(text)), repr(text)


def test_escape_is_shown_as_a_visible_symbol(tmp_path):
    data, found = read(tmp_path, 'a: "\\e]2;x\\a"\n')
    assert data == {"a": "\u241b]2;x\u2407"}
    assert found == [("KG016", 1, 4)]


def test_newline_and_tab_are_kept(tmp_path):
    data, found = read(tmp_path, 'a: "one\\ntwo\\tthree"\n')
    assert data == {"a": "one\ntwo\tthree"}
    assert found == []


def test_control_character_in_a_key_is_made_visible(tmp_path):
    data, found = read(tmp_path, '"k\\e": 1\n')
    assert data == {"k\u241b": 1}
    assert found == [("KG016", 1, 1)]


def test_raw_control_character_is_a_located_error(tmp_path):
    data, found = read(tmp_path, "a: ok\nb: é\x1b[2J\n")
    assert data is None
    assert found == [("KG001", 2, 5)]


# ---- class 5: bombs ----

def test_alias_of_a_plain_scalar_is_refused(tmp_path):
    data, found = read(tmp_path, "a: &x hello\nb: *x\n")
    assert data is None and found == [("KG005", 1, 4)]


def test_alias_bomb_is_refused_at_the_first_anchor(tmp_path):
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x]"]
    lines += [f"a{i}: &a{i} [*a{i - 1}, *a{i - 1}, *a{i - 1}, *a{i - 1}]" for i in range(1, 30)]
    data, found = read(tmp_path, "\n".join(lines) + "\n")
    assert data is None and found == [("KG005", 1, 5)]


def test_base60_integer_is_refused_without_computing_it(tmp_path):
    parts = ":".join(["59"] * 30_000)  # under the length limit: the base-60 rule stops it
    data, found = read(tmp_path, f"a: 1\nb: {parts}\n")
    assert data is None and found == [("KG017", 2, 4)]


@pytest.mark.parametrize("value", ["1:30", "-1:2:3", "190:20:30.15"])
def test_short_base60_numbers_are_refused(tmp_path, value):
    assert read(tmp_path, f"a: {value}\n")[1] == [("KG017", 1, 4)]


def test_quoted_base60_is_text(tmp_path):
    assert read(tmp_path, 'a: "1:30"\n') == ({"a": "1:30"}, [])


def test_integer_past_the_digit_limit_is_refused(tmp_path):
    data, found = read(tmp_path, "a: " + "9" * 5000 + "\n")
    assert data is None and found == [("KG015", 1, 4)]
    assert read(tmp_path, "a: " + "9" * MAX_DIGITS + "\n")[1] == []


def test_too_many_values_is_refused_before_they_are_built(tmp_path):
    data, found = read(tmp_path, "- 0\n" * (MAX_NODES + 10))
    assert data is None and found == [("KG007", MAX_NODES, 3)]


def test_too_long_a_value_is_refused(tmp_path):
    data, found = read(tmp_path, "a: 1\nb: " + "x" * (MAX_SCALAR_CHARS + 1) + "\n")
    assert data is None and found == [("KG015", 2, 4)]


def test_deep_nesting_is_refused_without_recursion(tmp_path):
    data, found = read(tmp_path, "[" * 100_000 + "]" * 100_000)
    assert data is None and found[0][0] in ("KG005", "KG001")


def test_second_document_is_refused(tmp_path):
    assert read(tmp_path, "a: 1\n---\nb: 2\n") == (None, [("KG001", 2, 1)])


def test_tags_are_refused_on_scalars_and_collections(tmp_path):
    for text in ("a: !!python/name:os.system x\n", "a: !!set {x}\n", "a: !!omap [x: 1]\n",
                 "a: !custom x\n"):
        assert read(tmp_path, text)[1] == [("KG005", 1, 4)], text


# ---- class 6: non-finite numbers ----

@pytest.mark.parametrize("value", [".nan", ".NaN", ".inf", "-.inf", "+.Inf", "1.0e+999"])
def test_non_finite_numbers_are_refused(make_story, value):
    root = make_story(f"""\
        format: 1
        id: t
        title: T
        start: a
        vars:
          ship:
            q: {{value: 1, min: 0, max: {value}}}
        endings:
          e: {{title: E}}
        """, "scenes:\n  - {id: a, ending: e}\n")
    result = load_story(root)
    assert not result.ok
    assert [(d.code, d.span.line) for d in result.diagnostics] == [("KG017", 7)]


def test_finite_floats_still_load(tmp_path):
    assert read(tmp_path, "a: 1.5\nb: -0.25\nc: 0x1F\nd: 1_000\n") == (
        {"a": 1.5, "b": -0.25, "c": 31, "d": 1000}, [])


def test_a_huge_file_is_never_read_whole(make_story):
    from kissgame.cache import load_story_cached

    root = story_with(make_story, "scenes:\n  - {id: a, ending: e}\n")
    big = root / "scenes" / "big.yaml"
    with big.open("wb") as handle:
        handle.truncate(64 * 1024**3)  # sparse: reading it whole would exhaust memory
    for result in (load_story(root), load_story_cached(root)):
        assert not result.ok
        assert any(d.code == "KG007" and d.span.file.endswith("big.yaml")
                   for d in result.diagnostics)


def test_a_file_name_with_control_characters_is_refused(make_story):
    root = story_with(make_story, "scenes:\n  - {id: a, ending: e}\n")
    (root / "scenes" / "x\x1b]2;pwned\x07.yaml").write_text("scenes: []\n")
    result = load_story(root)
    assert not result.ok
    [finding] = [d for d in result.diagnostics if d.code == "KG001"]
    assert finding.span.file.endswith("x\u241b]2;pwned\u2407.yaml")
    assert "\x1b" not in finding.format()


@pytest.mark.parametrize("text", ["a: !!int abc", "a: !!float abc", "a: !!bool maybe",
                                  "a: !!int 0b2", 'a: !!int ""'])
def test_explicit_tags_with_bad_values_are_located_errors(tmp_path, text):
    assert read(tmp_path, text + "\n") == (None, [("KG002", 1, 4)])


def test_the_story_as_a_whole_is_bounded_too(make_story, monkeypatch):
    import kissgame.loader as loader

    monkeypatch.setattr(loader, "MAX_STORY_NODES", 60)
    many = "scenes:\n" + "".join(f"  - {{id: s{i}, ending: e}}\n" for i in range(6))
    root = make_story(MANIFEST + "endings:\n  e: {title: E}\n",
                      {"scenes/a.yaml": many, "scenes/b.yaml": many.replace("id: s", "id: t")})
    found = [(d.code, Path(d.span.file).name, d.message) for d in load_story(root).diagnostics]
    assert [(c, f) for c, f, _ in found if c == "KG007"] == [("KG007", "b.yaml")]
    assert "in all" in found[0][2]
