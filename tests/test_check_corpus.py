"""Every code in the diagnostic registry has a broken story in tests/corpus that reports
it at its line, and a section in docs/checks.md; and every case and section has a code.

A case's expect.txt is ``CODE FILE LINE``, then optional directives:
``explore`` (the finding comes from exploring), ``play: ids...`` (play from the start
with seed 1, showing every screen, taking these choices), ``set: {json}`` / ``unset:
name`` (change the start state's variables first, as a hand-edited save would), and
``grow: FILE BYTES`` (pad FILE to that size in a copy of the case).
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest

from kissgame.checker import check
from kissgame.engine import GameState, StoryRuntimeError, choose, current, new_game
from kissgame.engine.diagnostics import REGISTRY, Diagnostic
from kissgame.explorer import explore

CORPUS = Path(__file__).parent / "corpus"
CHECKS_DOC = Path(__file__).parents[1] / "docs" / "checks.md"
CASES = sorted(p for p in CORPUS.iterdir() if (p / "expect.txt").is_file())


def _directives(case: Path) -> tuple[str, str, int, dict[str, str]]:
    first, *rest = (case / "expect.txt").read_text().splitlines()
    code, file, line = first.split()
    found = {}
    for item in rest:
        key, _, value = item.partition(":")
        found[key.strip()] = value.strip()
    return code, file, int(line), found


def _play(root: Path, story, directives: dict[str, str]) -> list[Diagnostic]:
    state = new_game(story, seed=1)
    vars = dict(state.vars)
    vars.update(json.loads(directives.get("set", "{}")))
    for name in directives.get("unset", "").split():
        del vars[name]
    state = GameState.from_dict({**state.to_dict(), "vars": vars})
    try:
        current(story, state)
        for choice_id in directives.get("play", "").split():
            state = choose(story, state, choice_id)
            current(story, state)
    except StoryRuntimeError as exc:
        return [exc.diagnostic]
    return []


@pytest.mark.parametrize("case", CASES, ids=[p.name for p in CASES])
def test_broken_story_reports_code_at_line(case: Path, tmp_path: Path) -> None:
    code, file, line, directives = _directives(case)
    if "grow" in directives:
        name, size = directives["grow"].split()
        case = Path(shutil.copytree(case, tmp_path / case.name))
        with (case / name).open("w") as handle:
            handle.write("# padding\n" * (int(size) // 10 + 1))
    result, findings = check(case)
    if "explore" in directives:
        assert result.story is not None
        findings = explore(result.story).diagnostics(result.story)
    elif "play" in directives or "set" in directives or "unset" in directives:
        assert result.story is not None, [f.format() for f in findings]
        findings = _play(case, result.story, directives)
    matches = [f for f in findings if f.code == code]
    assert matches, f"expected {code}, got {[f.format() for f in findings]}"
    where = [(Path(f.span.file).relative_to(case).as_posix(), f.span.line) for f in matches]
    assert (file, line) in where


def _documented_codes() -> list[str]:
    return re.findall(r"^### (KG\d{3})\b", CHECKS_DOC.read_text(encoding="utf-8"), re.M)


def test_registry_corpus_and_docs_agree() -> None:
    in_corpus = {_directives(p)[0] for p in CASES}
    documented = _documented_codes()
    assert len(documented) == len(set(documented)), "a code has two sections in checks.md"
    assert set(REGISTRY) == in_corpus, (sorted(set(REGISTRY) - in_corpus),
                                        sorted(in_corpus - set(REGISTRY)))
    assert set(REGISTRY) == set(documented), (sorted(set(REGISTRY) - set(documented)),
                                              sorted(set(documented) - set(REGISTRY)))


def test_every_section_states_its_severity_and_phase() -> None:
    text = CHECKS_DOC.read_text(encoding="utf-8")
    for code, descriptor in REGISTRY.items():
        section = text.split(f"### {code}", 1)[1].split("\n### ", 1)[0]
        assert f"{descriptor.severity}, {descriptor.phase}" in section, code


def test_no_code_literals_outside_the_registry() -> None:
    src = Path(__file__).parents[1] / "src" / "kissgame"
    registry = src / "engine" / "diagnostics.py"
    offenders = [f"{path.relative_to(src)}:{n}" for path in src.rglob("*.py") if path != registry
                 for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
                 if re.search(r"[\"']KG\d{3}[\"']", line)]
    assert not offenders


def test_all_errors_are_reported_in_one_pass(make_story) -> None:
    root = make_story(
        """
        format: 1
        id: t
        title: T
        start: a
        """,
        """
        scenes:
          - id: a
            text: "{nope}"
            choices:
              - {label: one, to: missing1}
              - {label: two, to: missing2, if: "1 +"}
        """,
    )
    _result, findings = check(root)
    codes = sorted(f.code for f in findings)
    assert codes.count("KG102") == 2
    assert "KG104" in codes and "KG010" in codes


def test_huge_file_is_refused_quickly(make_story, tmp_path) -> None:
    root = make_story("format: 1\nid: t\ntitle: T\nstart: a\n", "scenes: []\n")
    big = root / "big.yaml"
    with big.open("w") as handle:
        handle.write("scenes:\n")
        line = "  - {id: s, text: '" + "x" * 1000 + "'}\n"
        for _ in range(50_000):
            handle.write(line)
    _result, findings = check(root)
    assert any(f.code == "KG007" and f.span.file.endswith("big.yaml") for f in findings)


def test_missing_manifest_is_located(tmp_path) -> None:
    _result, findings = check(tmp_path)
    assert [f.code for f in findings] == ["KG008"]
