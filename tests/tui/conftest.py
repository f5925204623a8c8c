"""Shared fixtures: a tiny two-episode story written into tmp_path, and a clean data folder."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

MANIFEST = """\
format: 1
id: tiny-kiss
title: "Tiny KISS"
description: "A very small test story about a very big crush."
start: arrive
characters:
  kitty: {name: Kitty, color: "#ff6fa5"}
  dae: {name: Dae, color: "#6fb7ff"}
  yuri: {name: Yuri, color: "#c792ea"}
episodes:
  ep1: {title: "Episode 1: Hello"}
  ep2: {title: "Episode 2: Goodbye"}
  end: {title: "Epilogue"}
vars:
  ship:
    dae_kitty: {value: 5, min: 0, max: 10}
    q_florian: {value: 1, min: 0, max: 10}
  heart:
    dae: {value: 5, min: 0, max: 10}
  rules: {value: 0, min: 0, max: 10}
  clue:
    yearbook: false
    letters: false
ships:
  dae_kitty: {label: "Dae + Kitty", var: ship.dae_kitty, max: 10}
  q_florian: {label: "Q + Florian", var: ship.q_florian, max: 10}
meters:
  heart_dae: {label: "Heart: Dae", var: heart.dae, max: 10}
  rules: {label: "Rules broken", var: rules, max: 10}
clues:
  yearbook: {label: "Eve's yearbook photo", var: clue.yearbook}
  letters: {label: "Simon's letters", var: clue.letters}
endings:
  together:
    title: "Together at Last"
    turns_on: "The dorm goodbye"
    hint: "Stay close to Dae."
  apart:
    title: "Apart"
    turns_on: "The dorm goodbye"
    hint: "Say goodbye."
  expelled:
    title: "Expelled"
    turns_on: "The sneaking out"
    hint: "Break the rules."
"""

EP1 = """\
episode: ep1
scenes:
  - id: arrive
    title: "Arrivals"
    text:
      - "I land in Seoul with one sock inside out and a heart full of *plans*."
      - dae: "Kitty? What are you doing here?"
    choices:
      - label: "Hug Dae"
        id: hug
        do: "ship.dae_kitty += 3; heart.dae += 1"
        to: hall
      - label: "Sneak into the school"
        id: sneak
        do: rules += 4
        to: hall
      - label: "Visit the library"
        id: library
        once: true
        do: clue.yearbook = true
        to: library
  - id: library
    title: "The Library"
    text:
      - "Eve's yearbook photo smiles at me from a dusty shelf."
    next: arrive
  - id: hall
    title: "The Hall"
    text:
      - yuri: "New girl. Try not to fall in love with anyone."
      - "Dae is {if ship.dae_kitty >= 7}holding my hand{else}three steps ahead{end}."
    choices:
      - label: "Walk to the dorm"
        id: walk
        to: dorm
"""

EP2 = """\
episode: ep2
scenes:
  - id: dorm
    title: "The Dorm"
    text:
      - "The dorm smells like ramyeon and secrets."
    choices:
      - label: "Stay with Dae"
        id: stay
        if: ship.dae_kitty >= 7
        locked: "Dae needs to trust you more"
        to: end_together
      - label: "Sneak out after curfew"
        id: sneak_out
        if: rules >= 4
        to: end_expelled
      - label: "Say goodbye"
        id: goodbye
        to: end_apart
  - id: end_together
    episode: end
    title: "Together"
    text: "Dae and I watch the sunrise over Seoul."
    ending: together
  - id: end_apart
    episode: end
    title: "Apart"
    text: "I fly home with a full notebook and an empty heart."
    ending: apart
  - id: end_expelled
    episode: end
    title: "Expelled"
    text: "Principal Lim is not amused."
    ending: expelled
"""

FIXED_TIME = 1_714_564_800.0  # 2024-05-01 12:00 UTC


def write_story(root: Path, manifest: str = MANIFEST, ep1: str = EP1, ep2: str = EP2) -> Path:
    (root / "scenes").mkdir(parents=True, exist_ok=True)
    (root / "story.yaml").write_text(manifest, encoding="utf-8")
    (root / "scenes" / "ep1.yaml").write_text(ep1, encoding="utf-8")
    (root / "scenes" / "ep2.yaml").write_text(ep2, encoding="utf-8")
    return root


@pytest.fixture(autouse=True)
def kiss_home(tmp_path, monkeypatch) -> Path:
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("KISSGAME_HOME", str(home))
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    return home


@pytest.fixture
def story_root(tmp_path) -> Path:
    return write_story(tmp_path / "tiny")


@pytest.fixture
def story(story_root):
    from kissgame.tui.app import load_story_or_raise

    return load_story_or_raise(story_root)


BRANCHY = Path(__file__).parents[1] / "fixtures" / "branchy"


@pytest.fixture
def branchy():
    """The branch-map fixture story: three endings, one shared decision point."""
    from kissgame.loader import load_story

    result = load_story(BRANCHY)
    assert result.ok
    return result.story


def fixed_clock() -> float:
    return FIXED_TIME


async def settle(pilot) -> None:
    """Let workers (slot reading) finish and the screen catch up."""
    await pilot.pause()
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()


class HostApp:
    """Builds a small App standing in for the game's (the few Host members the branch
    map, gallery and replay player use): a real Session, and ``load_state`` recorded."""

    def __new__(cls, story, state=None, screen=None, memory=None):
        from textual.app import App, ComposeResult

        from kissgame.branches import load_memory
        from kissgame.session import Session
        from kissgame.tui.widgets.plain import Plain

        class _Host(App):
            def __init__(self) -> None:
                super().__init__()
                self.session = Session(story, remember=False)
                self.session.memory = memory if memory is not None else load_memory(story)[0]
                if state is not None:
                    self.session.jump(state)
                self.loaded: list = []

            @property
            def story(self):
                return self.session.story

            @property
            def state(self):
                return self.session.state

            @property
            def branch_memory(self):
                return self.session.memory

            @branch_memory.setter
            def branch_memory(self, value) -> None:
                self.session.memory = value

            def compose(self) -> ComposeResult:
                yield Plain("host", id="host")

            def on_mount(self) -> None:
                if screen is not None:
                    self.push_screen(screen())

            def load_state(self, state, story=None, *, show=True) -> None:
                self.session.jump(state, story)
                self.loaded.append(state)

        return _Host()
