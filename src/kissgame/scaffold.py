"""`kissgame new DIR`: a small story folder that passes check and explore."""

from __future__ import annotations

from pathlib import Path

MANIFEST = """\
# yaml-language-server: $schema=kissgame.schema.json
format: 1
id: {story_id}
title: "{title}"
start: cafeteria
characters:
  q: {{name: Q, color: "#7fdbca"}}
vars:
  courage: {{value: 0, min: 0, max: 3}}
episodes:
  lunch: {{title: "Lunch"}}
meters:
  courage: {{label: "Courage", var: courage, max: 3}}
endings:
  friends:
    title: "A Seat Saved"
    turns_on: "the first lunch"
    hint: "Be brave at lunch."
  alone:
    title: "Table for One"
    turns_on: "the first lunch"
    hint: "Keep your head down."
"""

SCENES = """\
# yaml-language-server: $schema=../kissgame.schema.json
episode: lunch
scenes:
  - id: cafeteria
    title: "The Cafeteria"
    text:
      - I hold my tray like a shield. Every table is full of people who already know each other.
      - q: "You can sit here, you know. I only bite on Tuesdays."
    choices:
      - label: "Sit with Q and steal one of his fries"
        do: courage += 1
        to: with_q
      - label: "Eat in the stairwell with my phone"
        to: stairwell

  - id: with_q
    title: "Q's Table"
    text:
      - "Q slides his tray over. {{if courage > 0}}Apparently I am brave now.{{end}}"
    ending: friends

  - id: stairwell
    title: "The Stairwell"
    text: The stairwell is cold, and the banana milk is warm.
    ending: alone
"""


def scaffold(folder: Path) -> list[Path]:
    """Write a two-ending story into ``folder``, which must be new or empty."""
    if folder.exists() and any(folder.iterdir()):
        raise FileExistsError(f"{folder} exists and is not empty")
    import json

    from .schema import story_schema

    story_id = "".join(c if c.isalnum() else "-" for c in folder.name.lower()).strip("-")
    title = folder.name.replace("_", " ").replace("-", " ").title()
    files = {
        folder / "story.yaml": MANIFEST.format(story_id=story_id or "story", title=title),
        folder / "scenes" / "lunch.yaml": SCENES.format(),
        folder / "kissgame.schema.json": json.dumps(story_schema(), indent=2) + "\n",
    }
    for path, text in files.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return list(files)
