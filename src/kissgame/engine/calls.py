"""Scenes played as subroutines, seen statically: which scenes each call can pass through
before it returns, where each return choice can lead, and which scenes are reached with
no call pending. Used by the checker, the liveness analysis and the graph.

The body of a call is every scene reachable from the called scene without taking a
return choice; a call inside it is stepped over (play goes on at its ``then``), since
what that call does is its own body. Conditions are ignored, so the sets are an
over-approximation: every scene play can reach is in them.
"""

from __future__ import annotations

from dataclasses import dataclass

from .model import Choice, Scene, Story


def _steps(choice: Choice) -> tuple[str, ...]:
    """Where play can go on within the same call after ``choice``."""
    if choice.returns:
        return ()
    if choice.then is not None:
        return (choice.then,)
    return (choice.target,)


def _reach(story: Story, start: str) -> frozenset[str]:
    if start not in story.scenes:
        return frozenset()
    seen, stack = {start}, [start]
    while stack:
        for choice in story.scenes[stack.pop()].choices:
            for nxt in _steps(choice):
                if nxt in story.scenes and nxt not in seen:
                    seen.add(nxt)
                    stack.append(nxt)
    return frozenset(seen)


def has_return(scene: Scene) -> bool:
    return any(choice.returns for choice in scene.choices)


@dataclass(frozen=True)
class CallGraph:
    bodies: dict[str, frozenset[str]]
    """For each called scene: the scenes its call can pass through."""
    returns_to: dict[str, frozenset[str]]
    """For each scene inside some call: the scenes its return choices can go to."""
    top: frozenset[str]
    """Scenes reached from the start with no call pending."""
    callees: dict[str, frozenset[str]]
    """For each called scene: the scenes its body calls."""

    def returns(self, story: Story, called: str) -> bool:
        """Whether a call of ``called`` can ever come back."""
        return any(has_return(story.scenes[sid]) for sid in self.bodies.get(called, ()))

    def successors(self, scene: Scene) -> set[str]:
        """Every scene that can come right after ``scene`` (a call enters its scene)."""
        out: set[str] = set()
        for choice in scene.choices:
            if choice.returns:
                out |= self.returns_to.get(scene.id, frozenset())
            else:
                out.add(choice.target)
        return out

    def choice_targets(self, scene: Scene, choice: Choice) -> frozenset[str]:
        """The scenes ``choice`` can enter (several for a return choice)."""
        if choice.returns:
            return self.returns_to.get(scene.id, frozenset())
        return frozenset((choice.target,))

    def call_chain(self, start: str, goal: str) -> list[str] | None:
        """The shortest chain of calls from a call of ``start`` to a call of ``goal``
        pending (``[start, ..., goal]``), or None when none can happen."""
        parents: dict[str, str] = {start: start}
        frontier = [start]
        while frontier and goal not in parents:
            nxt = []
            for current in frontier:
                for callee in sorted(self.callees.get(current, ())):
                    if callee not in parents:
                        parents[callee] = current
                        nxt.append(callee)
            frontier = nxt
        if goal not in parents:
            return None
        chain = [goal]
        while chain[-1] != start:
            chain.append(parents[chain[-1]])
        return chain[::-1]

    def recursion(self, scene: Scene, choice: Choice) -> list[str] | None:
        """For a call choice that can run inside a call of the very scene it leads back
        to: the cycle of calls (``[x, ..., x]``); else None."""
        for called in sorted(self.bodies):
            if scene.id in self.bodies[called]:
                chain = self.call_chain(choice.target, called)
                if chain is not None:
                    return [called, *chain]
        return None


def call_graph(story: Story) -> CallGraph:
    scenes = story.scenes
    calls = [(scene, choice) for scene in scenes.values() for choice in scene.choices
             if choice.then is not None and choice.target in scenes]
    bodies = {called: _reach(story, called) for called in sorted({c.target for _s, c in calls})}
    returns_to: dict[str, set[str]] = {}
    for _scene, choice in calls:
        assert choice.then is not None
        if choice.then not in scenes:
            continue
        for sid in bodies[choice.target]:
            returns_to.setdefault(sid, set()).add(choice.then)
    callees = {called: frozenset(c.target for sid in body for c in scenes[sid].choices
                                 if c.then is not None and c.target in scenes)
               for called, body in bodies.items()}
    return CallGraph(bodies, {sid: frozenset(t) for sid, t in returns_to.items()},
                     _reach(story, story.start), callees)
