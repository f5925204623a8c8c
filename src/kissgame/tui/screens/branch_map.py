"""The branch map: every scene and choice the player has seen, grouped by episode.

Visited scenes, the choices taken from them, the choices seen but never taken (open
branches), and the endings found or still locked. The current path is highlighted.
Enter on a visited decision point rebuilds the exact state the player had there (by
replaying the path prefix) and plays on from it; on a found ending it plays the
shortest known path there.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import Footer, Tree
from textual.widgets.tree import TreeNode

from ...branches import BranchMemory, load_memory
from ...engine import GameState, Story, replay
from ...engine.model import Choice, Scene
from ...engine.runtime import Diverged
from ..host import HostScreen, host_of, take_over
from ..widgets.plain import Plain
from .autoplay import autoplay_ending, shortest_known_path

__all__ = ["BranchMapScreen", "bind_story", "found_when", "shortest_known_path"]

CURRENT = "bold cyan"


def bind_story(screen: Screen, story: Story | None,
               memory: BranchMemory | None) -> tuple[Story, BranchMemory]:
    """The story and branch memory a screen shows: its own, or else the session's."""
    session = host_of(screen).session
    story = story or session.story
    if memory is None:
        memory = session.memory if session.memory.story_id == story.id \
            else load_memory(story)[0]
    return story, memory


def _goes(choice: Choice, target: Scene | None) -> str:
    """Where a taken choice leads, as the map shows it (a call and a return say so)."""
    if choice.returns:
        return "\u21a9 back to where it was called from"
    name = target.title or target.id if target is not None else choice.target
    return f"calls {name}" if choice.then is not None else name


def found_when(stamp: str) -> str:
    """An ISO time as the player's local date and time."""
    try:
        return datetime.fromisoformat(stamp).astimezone().strftime("%Y-%m-%d %H:%M")
    except (ValueError, OverflowError, OSError):
        return stamp or "?"


# ---- the map ----

@dataclass(frozen=True)
class MapNode:
    kind: str  # "episode", "scene", "choice", "ending", "note"
    scene_id: str = ""
    choice_id: str = ""
    ending_id: str = ""


class BranchMapScreen(HostScreen):
    """Every branch walked, across playthroughs; Enter jumps to a decision point."""

    DEFAULT_CSS = """
    BranchMapScreen { layout: vertical; }
    BranchMapScreen #map-summary { height: 1; padding: 0 1; background: $panel; }
    BranchMapScreen #map-tree { height: 1fr; }
    BranchMapScreen #map-detail { height: auto; max-height: 6; padding: 0 1;
                                  color: $text-muted; }
    """

    BINDINGS = [
        Binding("escape,q", "close", "Back", id="branch_map.back"),
        Binding("enter", "activate", "Jump / play path", id="branch_map.jump"),
        Binding("space", "fold", "Fold", id="branch_map.fold"),
        Binding("p", "path", "Path to ending", id="branch_map.path"),
    ]

    def __init__(self, story: Story | None = None, memory: BranchMemory | None = None,
                 current: GameState | None = None, *, name: str | None = None,
                 id: str | None = None) -> None:
        super().__init__(name=name, id=id)
        self._story = story
        self._memory = memory
        self._current = current
        self._path_states: list[GameState] = []
        self._path_choices: set[tuple[str, str]] = set()

    # -- setup --

    @property
    def story(self) -> Story:
        assert self._story is not None
        return self._story

    @property
    def memory(self) -> BranchMemory:
        assert self._memory is not None
        return self._memory

    def compose(self) -> ComposeResult:
        yield Plain(id="map-summary")
        tree: Tree[MapNode] = Tree("Branch map", id="map-tree")
        tree.show_root = False
        tree.auto_expand = False
        yield tree
        yield Plain(id="map-detail")
        yield Footer()

    def on_mount(self) -> None:
        self._story, self._memory = bind_story(self, self._story, self._memory)
        if self._current is None:
            self._current = self.session.state
        self._trace_current()
        self.build()
        self.query_one(Tree).focus()

    def _trace_current(self) -> None:
        state = self._current
        if state is None:
            return
        try:
            self._path_states = replay(self.story, state.seed, state.path)
        except Diverged:
            self._path_states = []
            return
        self._path_choices = {(s.scene, c) for s, c in zip(self._path_states, state.path,
                                                            strict=False)}

    # -- building the tree --

    def build(self) -> None:
        story, memory = self.story, self.memory
        tree = self.query_one(Tree)
        tree.clear()
        on_path = {s.scene for s in self._path_states}
        by_episode: dict[str, list[str]] = {}
        for scene in story.scenes.values():
            by_episode.setdefault(scene.episode, []).append(scene.id)
        order = [e for e in story.episodes if e in by_episode]
        order += [e for e in by_episode if e not in story.episodes]
        visited_total = 0
        open_total = 0
        cursor_target: TreeNode[MapNode] | None = None
        for episode_id in order:
            scene_ids = by_episode[episode_id]
            visited = [s for s in scene_ids if memory.visited(s)]
            visited_total += len(visited)
            title = story.episodes[episode_id].title if episode_id in story.episodes \
                else (episode_id or "Scenes")
            label = Text(title, "bold")
            label.append(f"  {len(visited)}/{len(scene_ids)} scenes", "dim")
            episode = tree.root.add(label, MapNode("episode"), expand=bool(visited))
            for scene_id in visited:
                node, opened = self._add_scene(episode, scene_id, scene_id in on_path)
                open_total += opened
                if self._current is not None and scene_id == self._current.scene:
                    cursor_target = node
            hidden = len(scene_ids) - len(visited)
            if hidden:
                episode.add_leaf(Text(f"\u00b7 {hidden} scene{'s' if hidden != 1 else ''} "
                                      "not yet visited", "dim italic"), MapNode("note"))
        self._add_endings(tree.root)
        aside = len(memory.aside.get("scenes", {}))
        if aside:
            tree.root.add_leaf(Text(f"\u00b7 {aside} remembered scene{'s' if aside != 1 else ''}"
                                    " not in this version of the story", "dim italic"),
                               MapNode("note"))
        found = sum(1 for e in story.endings if memory.found(e))
        summary = Text("Branch map", "bold")
        summary.append(f"  \u00b7  {visited_total}/{len(story.scenes)} scenes  \u00b7  "
                       f"{found}/{len(story.endings)} endings  \u00b7  {open_total} open "
                       f"branch{'es' if open_total != 1 else ''}")
        self.query_one("#map-summary", Plain).update(summary)
        if cursor_target is not None:
            self.call_after_refresh(self._move_to, cursor_target)
        self._describe(tree.cursor_node)

    def _tree(self) -> Tree[MapNode] | None:
        """The tree, or None while the screen is being built or torn down."""
        if not self.is_attached:
            return None
        return next(iter(self.query("#map-tree").results(Tree)), None)

    def _move_to(self, node: TreeNode[MapNode]) -> None:
        tree = self._tree()
        if tree is None:
            return
        tree.move_cursor(node)
        tree.center_scroll = True  # open with the current scene in the middle
        tree.scroll_to_node(node, animate=False)
        tree.center_scroll = False

    def _add_scene(self, parent: TreeNode[MapNode], scene_id: str,
                   current: bool) -> tuple[TreeNode[MapNode], int]:
        story, memory = self.story, self.memory
        scene = story.scenes[scene_id]
        entry = memory.scenes[scene_id]
        label = Text()
        if scene.ending:
            ending = story.endings.get(scene.ending)
            label.append("\u2605 ", "bold yellow")
            label.append(scene.title or scene_id, CURRENT if current else "")
            label.append(f"  ending: {ending.title if ending else scene.ending}", "dim")
        else:
            label.append("\u25b6 " if current else "\u25cf ", CURRENT if current else "")
            label.append(scene.title or scene_id, CURRENT if current else "")
        opened = [c for c in memory.open_branches(scene_id) if scene.choice(c) is not None]
        if opened:
            label.append(f"  \u25c6 {len(opened)} open", "bold magenta")
        if not scene.choices:
            return parent.add_leaf(label, MapNode("scene", scene_id)), 0
        node = parent.add(label, MapNode("scene", scene_id), expand=True)
        known = list({c.id: c for c in scene.choices
                      if c.id in entry.seen or c.id in entry.taken}.values())
        for choice in known:
            shown = entry.seen.get(choice.id) or choice.id
            target = story.scenes.get(choice.target)
            text = Text()
            if choice.id in entry.taken:
                on_path = (scene_id, choice.id) in self._path_choices
                text.append("\u279c " if on_path else "\u2713 ",
                            CURRENT if on_path else "green")
                text.append(shown, CURRENT if on_path else "")
                text.append(f"  \u2192 {_goes(choice, target)}", "dim")
            else:
                text.append("\u25cb ", "magenta")
                text.append(shown)
                text.append("  open branch", "italic magenta")
            node.add_leaf(text, MapNode("choice", scene_id, choice.id))
        unseen = len(scene.choices) - len(known)
        if unseen:
            node.add_leaf(Text(f"\u00b7 {unseen} choice{'s' if unseen != 1 else ''} not yet "
                               "seen", "dim italic"), MapNode("note", scene_id))
        return node, len(opened)

    def _add_endings(self, root: TreeNode[MapNode]) -> None:
        story, memory = self.story, self.memory
        found = sum(1 for e in story.endings if memory.found(e))
        label = Text("Endings", "bold")
        label.append(f"  {found}/{len(story.endings)} found", "dim")
        node = root.add(label, MapNode("episode"), expand=True)
        for ending_id, ending in story.endings.items():
            text = Text()
            if memory.found(ending_id):
                text.append("\u2605 ", "bold yellow")
                text.append(ending.title, "bold")
                text.append(f"  found {found_when(memory.endings[ending_id].first_found)}",
                            "dim")
            else:
                text.append("? ", "dim")
                text.append("Locked: ", "dim")
                text.append(ending.hint or "keep playing", "dim italic")
            node.add_leaf(text, MapNode("ending", ending_id=ending_id))

    # -- describing and acting on the highlighted node --

    @on(Tree.NodeHighlighted)
    def _highlighted(self, event: Tree.NodeHighlighted) -> None:
        self._describe(event.node)

    def _describe(self, node: TreeNode[MapNode] | None) -> None:
        detail = next(iter(self.query("#map-detail").results(Plain)), None)
        if detail is None:
            return
        data = node.data if node is not None else None
        if data is None or self._story is None:
            detail.update("")
            return
        story, memory = self.story, self.memory
        if data.kind in ("scene", "choice") and data.scene_id in memory.scenes:
            scene = story.scenes[data.scene_id]
            entry = memory.scenes[data.scene_id]
            line = f"{scene.title or scene.id}: visited {entry.visits} time" \
                   f"{'s' if entry.visits != 1 else ''}, first {found_when(entry.first_seen)}"
            if scene.ending:
                action = "Enter: play the shortest known path to this ending"
            elif data.kind == "choice" and data.choice_id not in entry.taken:
                action = "Enter: jump to this decision and take the open branch"
            else:
                action = "Enter: jump here with the state you had, and play on"
            label = node.label if node is not None else ""
            full = (label.plain if isinstance(label, Text) else str(label)).strip()
            # The tree cuts a long line at the window's edge: here it wraps, in full.
            detail.update(f"{full}\n{line}\n{action}" if data.kind == "choice"
                          else f"{line}\n{action}")
        elif data.kind == "ending":
            ending = story.endings[data.ending_id]
            if memory.found(data.ending_id):
                times = memory.endings[data.ending_id].times
                detail.update(f"Turns on: {ending.turns_on}  (reached {times} "
                              f"time{'s' if times != 1 else ''})\n"
                              "Enter or p: show me a path to this ending")
            else:
                detail.update(f"Locked. Hint: {ending.hint}")
        else:
            detail.update("")

    def action_close(self) -> None:
        if self.is_current:
            self.app.pop_screen()

    def action_fold(self) -> None:
        tree = self._tree()
        node = tree.cursor_node if tree is not None else None
        if node is not None and node.allow_expand:
            node.toggle()

    def action_activate(self) -> None:
        tree = self._tree()
        node = tree.cursor_node if tree is not None else None
        if node is not None:
            self.activate(node)

    @on(Tree.NodeSelected)
    def _selected(self, event: Tree.NodeSelected) -> None:
        event.stop()
        self.activate(event.node)

    def activate(self, node: TreeNode[MapNode]) -> None:
        data = node.data
        if data is None or self._story is None:
            return
        if data.kind == "ending" or (data.kind == "scene"
                                     and self.story.scenes[data.scene_id].ending):
            ending_id = data.ending_id or self.story.scenes[data.scene_id].ending or ""
            self.show_path(ending_id)
        elif data.kind in ("scene", "choice"):
            self.jump(data.scene_id)
        elif node.allow_expand:
            node.toggle()

    def action_path(self) -> None:
        tree = self._tree()
        node = tree.cursor_node if tree is not None else None
        data = node.data if node is not None else None
        if data is not None and data.kind == "ending":
            self.show_path(data.ending_id)
        elif data is not None and data.kind == "scene" \
                and self.story.scenes[data.scene_id].ending:
            self.show_path(self.story.scenes[data.scene_id].ending or "")
        else:
            self.notify("Highlight a found ending to see a path to it.")

    def show_path(self, ending_id: str) -> None:
        if not self.memory.found(ending_id):
            self.notify(f"Locked. Hint: {self.story.endings[ending_id].hint}")
            return
        autoplay_ending(self, self.story, ending_id, self.memory)

    def state_for(self, scene_id: str) -> GameState | None:
        """The exact state at ``scene_id``: from the current path if it passes there,
        otherwise from the last time the player arrived there."""
        for state in reversed(self._path_states):
            if state.scene == scene_id:
                return state
        return self.memory.state_at(self.story, scene_id)

    def jump(self, scene_id: str) -> None:
        state = self.state_for(scene_id)
        if state is None:
            self.notify("The story has changed since you were here: that path no longer "
                        "fits.", severity="warning")
            return
        take_over(self, state)
