"""docs/format-before-after.md: both versions of the excerpt load, check clean, explore to
the same endings, and the figures and listings in the page are the files' own."""

from __future__ import annotations

from pathlib import Path

from kissgame.checker import check
from kissgame.explorer import explore

ROOT = Path(__file__).resolve().parents[2]
PAGE = ROOT / "docs" / "format-before-after.md"
NEW = ROOT / "examples" / "missing_letter"
OLD = ROOT / "docs" / "before-after" / "missing_letter_0_1"


def _lines(folder: Path) -> str:
    return (folder / "scenes" / "letter.yaml").read_text(encoding="utf-8")


def test_both_versions_play_the_same_story():
    reports = {}
    for folder in (OLD, NEW):
        result, findings = check(folder)
        assert result.story is not None and not [f for f in findings if f.severity == "error"]
        reports[folder] = explore(result.story)
    old, new = reports[OLD], reports[NEW]
    assert set(old.endings) == set(new.endings) and all(old.endings.values())
    assert all(new.endings.values())
    assert len(new.endings["cold"]) == 4 and len(old.endings["cold"]) == 9
    assert old.scenes_total == 11
    assert new.scenes_total == 5


def test_the_page_shows_the_files_and_their_line_counts():
    page = PAGE.read_text(encoding="utf-8")
    for folder in (OLD, NEW):
        text = _lines(folder)
        assert text in page
        count = text.count("\n")
        assert f"{count} {folder.relative_to(ROOT).as_posix()}/scenes/letter.yaml" in page
    assert "## Old (0.1): 99 lines, 11 scenes" in page and "## New: 73 lines, 5 scenes" in page
