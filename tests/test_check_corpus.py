"""Every broken story in tests/corpus reports its code at its line."""

from __future__ import annotations

from pathlib import Path

import pytest

from kissgame.checker import check

CORPUS = Path(__file__).parent / "corpus"
CASES = sorted(p for p in CORPUS.iterdir() if (p / "expect.txt").is_file())


@pytest.mark.parametrize("case", CASES, ids=[p.name for p in CASES])
def test_broken_story_reports_code_at_line(case: Path) -> None:
    code, file, line = (case / "expect.txt").read_text().split()
    _result, findings = check(case)
    matches = [f for f in findings if f.code == code]
    assert matches, f"expected {code}, got {[f.format() for f in findings]}"
    where = [(Path(f.span.file).relative_to(case).as_posix(), f.span.line) for f in matches]
    assert (file, int(line)) in where


def test_corpus_covers_every_checker_code() -> None:
    codes = {(p / "expect.txt").read_text().split()[0] for p in CASES}
    wanted = {"KG001", "KG002", "KG003", "KG004", "KG005", "KG006", "KG009", "KG010", "KG011",
              "KG012", "KG013", "KG014"} | {f"KG1{n:02d}" for n in range(1, 19)}
    assert wanted <= codes, sorted(wanted - codes)


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
