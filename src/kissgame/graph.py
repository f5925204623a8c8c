"""The scene graph as Graphviz DOT or Mermaid text, grouped by episode."""

from __future__ import annotations

import re

from .engine.calls import CallGraph, call_graph
from .engine.model import Choice, Scene, Story
from .engine.text import Branch


def _plain(template: tuple) -> str:
    out = []
    for part in template:
        if isinstance(part, str):
            out.append(part)
        elif isinstance(part, Branch):
            out.append("…")
        else:
            out.append("{" + part.source + "}")
    return "".join(out)


def _short(text: str, limit: int = 40) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _episode_title(story: Story, episode: str) -> str:
    return story.episodes[episode].title if episode in story.episodes else (
        episode or "no episode")


def _ending_title(story: Story, scene: Scene) -> str:
    ending = story.endings.get(scene.ending or "")
    return ending.title if ending else (scene.ending or "")


def _edges(graph: CallGraph, scene: Scene, choice: Choice) -> list[tuple[str, str]]:
    """The arrows a choice draws, each with a word for its kind: a plain move (""), a
    call into its scene ("call"), and a return to each scene it can go back to."""
    if choice.returns:
        return [(target, "return") for target in sorted(graph.choice_targets(scene, choice))]
    return [(choice.target, "call" if choice.then is not None else "")]


def _groups(story: Story, episode: str | None) -> dict[str, list[Scene]]:
    groups: dict[str, list[Scene]] = {}
    for scene in story.scenes.values():
        if episode is None or scene.episode == episode:
            groups.setdefault(scene.episode, []).append(scene)
    return groups


_CONTROL = re.compile(r"[\x00-\x09\x0b-\x1f\x7f]")


def dot_quote(text: str) -> str:
    """``text`` as a DOT double-quoted string: UTF-8 kept as it is, since Graphviz reads
    UTF-8 and knows no ``\\u`` escapes (they would show as "u00e9")."""
    text = _CONTROL.sub("", text).replace("\\", "\\\\").replace('"', '\\"')
    return '"' + text.replace("\n", "\\n") + '"'


def to_dot(story: Story, episode: str | None = None) -> str:
    q = dot_quote
    lines = [f"digraph {q(story.id)} {{", "  rankdir=LR;", "  node [shape=box, fontsize=10];"]
    groups = _groups(story, episode)
    shown = {s.id for scenes in groups.values() for s in scenes}
    for i, (ep, scenes) in enumerate(groups.items()):
        title = _episode_title(story, ep)
        lines.append(f"  subgraph cluster_{i} {{")
        lines.append(f"    label={q(title)};")
        for scene in scenes:
            label = scene.title or scene.id
            if scene.ending:
                label = f"{label}\nENDING: {_ending_title(story, scene)}"
                lines.append(f"    {q(scene.id)} [label={q(label)}, shape=doubleoctagon];")
            else:
                lines.append(f"    {q(scene.id)} [label={q(label)}];")
        lines.append("  }")
    calls = call_graph(story)
    for scenes in groups.values():
        for scene in scenes:
            for choice in scene.choices:
                for target, kind in _edges(calls, scene, choice):
                    if episode is not None and target not in shown:
                        shown.add(target)
                        lines.append(f"  {q(target)} [shape=plaintext];")
                    style = ", style=dashed" if choice.condition is not None else ""
                    style += {"call": ", arrowhead=diamond", "return": ", style=dotted"}.get(
                        kind, "")
                    label = _short(_plain(choice.label)) + (f" ({kind})" if kind else "")
                    lines.append(f"  {q(scene.id)} -> {q(target)} [label={q(label)}{style}];")
    lines.append("}")
    return "\n".join(lines) + "\n"


def _mermaid_text(text: str) -> str:
    return text.replace('"', "#quot;").replace("\n", " ")


def to_mermaid(story: Story, episode: str | None = None) -> str:
    lines = ["flowchart LR"]
    groups = _groups(story, episode)
    for ep, scenes in groups.items():
        title = _episode_title(story, ep)
        lines.append(f'  subgraph {ep or "none"}["{_mermaid_text(title)}"]')
        for scene in scenes:
            label = _mermaid_text(scene.title or scene.id)
            if scene.ending:
                label += " · ENDING: " + _mermaid_text(_ending_title(story, scene))
                lines.append(f'    {scene.id}(["{label}"])')
            else:
                lines.append(f'    {scene.id}["{label}"]')
        lines.append("  end")
    calls = call_graph(story)
    for scenes in groups.values():
        for scene in scenes:
            for choice in scene.choices:
                for target, kind in _edges(calls, scene, choice):
                    arrow = "-.->" if choice.condition is not None or kind == "return" else (
                        "==>" if kind == "call" else "-->")
                    label = _mermaid_text(_short(_plain(choice.label))) + (
                        f" ({kind})" if kind else "")
                    lines.append(f'  {scene.id} {arrow}|"{label}"| {target}')
    return "\n".join(lines) + "\n"


def to_text(story: Story, episode: str | None = None) -> str:
    """A terminal rendering: each episode, its scenes, and every choice as an arrow."""
    lines = []
    calls = call_graph(story)
    for ep, scenes in _groups(story, episode).items():
        title = _episode_title(story, ep)
        lines.append(f"{title}")
        lines.append("=" * len(title))
        for scene in scenes:
            mark = " (start)" if scene.id == story.start else ""
            if scene.ending:
                mark += f"  ★ ENDING: {_ending_title(story, scene)}"
            lines.append(f"[{scene.id}] {scene.title}{mark}")
            for i, choice in enumerate(scene.choices):
                branch = "└─" if i == len(scene.choices) - 1 else "├─"
                cond = f"  (if {choice.condition.source})" if choice.condition else ""
                once = "  (once)" if choice.once else ""
                label = _short(_plain(choice.label), 48)
                lines.append(f"  {branch} {label} → {_goes(calls, scene, choice)}{cond}{once}")
        lines.append("")
    return "\n".join(lines)


def _goes(graph: CallGraph, scene: Scene, choice: Choice) -> str:
    if choice.returns:
        back = ", ".join(sorted(graph.choice_targets(scene, choice))) or "nowhere"
        return f"return (back to {back})"
    if choice.then is not None:
        return f"call {choice.target}, back to {choice.then}"
    return choice.target
