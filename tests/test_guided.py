"""Coverage-guided search: text behind a long, rare run of choices is found, the same
way for the same seed, without changing the shortest paths the other searches found."""

from __future__ import annotations

import pytest

from kissgame import explorer
from kissgame.loader import load_story

STEPS = 12

MANIFEST = """\
format: 1
id: t
title: T
start: step1
vars:
  key: false
endings:
  out: {title: Out}
"""


def _scenes() -> str:
    # The vault is no ending, so no search steers toward it. Each step has one way on
    # and two ways out: a random playthrough walks all the way to the vault once in
    # 3**12 (about half a million) tries.
    lines = ["scenes:"]
    for i in range(1, STEPS + 1):
        on = "vault" if i == STEPS else f"step{i + 1}"
        key = ", do: key = true" if i == STEPS else ""
        lines += [f"  - id: step{i}",
                  f"    text: Door {i}.",
                  "    choices:",
                  f"      - {{label: On, id: on, to: {on}{key}}}",
                  "      - {label: Quit, id: quit, to: outside}",
                  "      - {label: Stumble, id: stumble, to: outside}"]
    lines += ["  - id: outside",
              "    text: Outside.",
              "    ending: out",
              "  - id: vault",
              '    text: "{if key}The vault opens.{else}Locked.{end}"',
              "    choices:",
              "      - {label: Leave, id: leave, to: outside}"]
    return "\n".join(lines) + "\n"


@pytest.fixture
def story(make_story):
    return load_story(make_story(MANIFEST, _scenes())).story


def _explore(story, seed: int = 0):
    # Few states, so the breadth-first search stops early, as on a large story.
    return explorer.explore(story, max_states=5, seed=seed)


def test_random_runs_alone_miss_the_vault(story, monkeypatch):
    monkeypatch.setattr(explorer, "guided_search", lambda *args, **kwargs: (0, 0, 1))
    report = _explore(story)
    assert not report.exhaustive
    assert "vault" not in report.scenes_reached
    assert report.to_dict()["text_arms_shown"] < report.to_dict()["text_arms_total"]


def test_guided_search_shows_the_arm_behind_the_long_run(story):
    report = _explore(story)
    data = report.to_dict()
    assert data["guided_runs"] > 0
    assert "vault" in report.scenes_reached
    shown = {report.arms.arms[i].condition for i in report.arms_shown}
    assert "key" in shown
    # The else arm is never shown (key is always set on the way in), and says so.
    assert [(a.scene, a.condition) for a in report.unshown_arms()] == [("vault", "else (key)")]
    # The breadth-first search's shortest path stays the one reported.
    assert report.endings["out"] == ["quit"]


def test_guided_search_is_the_same_for_the_same_seed(story):
    def found(seed: int) -> dict:
        data = _explore(story, seed).to_dict()
        return {k: v for k, v in data.items() if "second" not in k}  # timings differ

    first, again = found(3), found(3)
    assert first == again and first["guided_runs"] > 0
