"""Authoring tools: kissgame new, check --watch, the file watcher."""

from __future__ import annotations

from kissgame.__main__ import main
from kissgame.watch import StoryWatcher, findings_diff, watch_check


def test_new_story_passes_check_and_explore(tmp_path, capsys):
    root = tmp_path / "my_story"
    assert main(["new", str(root)]) == 0
    assert main(["check", str(root)]) == 0
    assert main(["explore", str(root)]) == 0
    assert "endings reached: 2/2" in capsys.readouterr().out


def test_new_refuses_a_folder_with_files(tmp_path):
    (tmp_path / "keep.txt").write_text("mine")
    assert main(["new", str(tmp_path)]) == 2
    assert (tmp_path / "keep.txt").read_text() == "mine"


def test_watcher_sees_edits_additions_and_removals(tmp_path):
    main(["new", str(tmp_path / "s")])
    root = tmp_path / "s"
    watcher = StoryWatcher(root)
    assert not watcher.changed()
    extra = root / "scenes" / "more.yaml"
    extra.write_text("scenes: []\n")
    assert watcher.changed() and not watcher.changed()
    extra.write_text("scenes: [] # edited, and longer\n")
    assert watcher.changed()
    extra.unlink()
    assert watcher.changed()


def test_findings_diff():
    assert findings_diff(["a", "b"], ["b", "c"]) == (["c"], ["a"])


def test_check_watch_prints_only_what_changed(tmp_path, monkeypatch):
    main(["new", str(tmp_path / "s")])
    root = tmp_path / "s"
    lines: list[str] = []
    scene = root / "scenes" / "lunch.yaml"
    good = scene.read_text()
    # The editor's saves happen between the watcher's polls, one per poll.
    edits = iter([good.replace("to: stairwell", "to: stairwel"), None, good, None])

    def between_polls(_seconds: float) -> None:
        text = next(edits, None)
        if text is not None:
            scene.write_text(text)

    monkeypatch.setattr("kissgame.watch.time.sleep", between_polls)
    watch_check(root, interval=0, rounds=4, out=lines.append)
    new = [line for line in lines if line.startswith("new:")]
    fixed = [line for line in lines if line.startswith("fixed:")]
    assert len(new) >= 1 and "KG102" in new[0] and "did you mean 'stairwell'" in new[0]
    assert any("KG102" in line for line in fixed)
    assert not any(line.startswith("new:") for line in lines[lines.index(new[-1]) + 1:])


def test_the_tutorial_in_authoring_md_checks_and_explores(tmp_path, capsys):
    import re
    from pathlib import Path

    doc = (Path(__file__).resolve().parents[1] / "docs" / "authoring.md").read_text()
    files = dict(re.findall(r"`mystory/([\w/.]+)`:\n\n```yaml\n(.*?)```", doc, re.S))
    assert set(files) == {"story.yaml", "scenes/lunch.yaml"}
    for name, text in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    assert main(["check", str(tmp_path)]) == 0
    assert main(["explore", str(tmp_path)]) == 0
    assert "endings reached: 2/2" in capsys.readouterr().out
