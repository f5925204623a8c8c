"""Per choice with the text rendered: the compiled views, the generic path and the naive walker.

usage: python bench/choice_bench.py [STORY_DIR ...] [--secs S] [--rounds R] [--wall]
                                    [--naive YAML_DIR]
       python bench/choice_bench.py [STORY_DIR] --count N [--walker compiled|naive]
       (default: the built-in story)

Each round plays, one after the other and in an order that alternates between rounds,
S seconds of each of:

- ``current`` + ``choose`` (the compiled views the game uses),
- ``current_generic`` + ``choose_generic`` (the same rules, nothing precompiled),
- the naive dict walker of bench/peer (py_engine.py: it only follows links, the floor;
  1.0 us a choice on a quiet machine, the issue's figure) on a synthetic story's YAML:
  ``--naive``, or the ``yaml`` folder beside a story made by bench/peer/run.sh,

playing random paths (seeded, restarting at an ending) and reading every line and label
the way a screen does. The compiled and the generic path walk the same path (checked).
Times are CPU seconds of this process (``--wall``: wall clock), so other jobs on a shared
machine slow the figures less; even so, read the ratios of a round, not the microseconds.

For each story it prints the median ratios and two estimates of the quiet-machine figure:
kissgame/naive x 1.0 us, and the issue's figure for the path before compiled views (12.5 us
synthetic, 18 us built-in) / (generic/compiled).

``--count N`` times nothing: it plays 20,000 choices, then N more, and exits, for a
counter of instructions that no other job changes, e.g. under valgrind:
``valgrind --tool=callgrind --callgrind-out-file=/dev/null python bench/choice_bench.py
STORY --count N`` for two N; the difference of the two counts over the difference of the
two N is the instructions per choice (``--walker naive``: the naive walker's).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

from kissgame.engine import choose, current, new_game
from kissgame.engine.runtime import choose_generic, current_generic
from kissgame.loader import load_story
from kissgame.resources import default_story_root

M = 0xFFFFFFFF
NAIVE_QUIET_US = 1.0
BEFORE_US = {"built-in": 18.0, "synthetic": 12.5}  # issue 17: the generic path, quiet


def play(story, cur, cho, secs: float, clock: Callable[[], float]) -> tuple[int, float, str]:
    x, n = 7, 0
    state = new_game(story, 1)
    trail = []
    t0 = clock()
    deadline = t0 + secs
    while True:
        beat = cur(story, state)
        chars = 0
        for line in beat.lines:
            chars += len(line.text)
        if beat.ended:
            state = new_game(story, 1)
            continue
        enabled = [c for c in beat.choices if c.enabled]
        for c in beat.choices:
            chars += len(c.label)
        x ^= (x << 13) & M
        x ^= x >> 17
        x ^= (x << 5) & M
        pick = enabled[x % len(enabled)].id
        if n < 2000:
            trail.append(pick)
        state = cho(story, state, pick)
        n += 1
        if not n & 63 and clock() > deadline:
            break
    return n, clock() - t0, ",".join(trail)


def naive_player(yaml_dir: Path) -> Callable[[float, Callable[[], float]], tuple[int, float]]:
    """bench/peer/py_engine.py's play loop (same PRNG, prose and labels read) in process."""
    sys.path.insert(0, str(Path(__file__).resolve().parent / "peer"))
    import py_engine  # noqa: PLC0415 - a bench script beside this one

    meta, scenes = py_engine.load(str(yaml_dir))
    graph = py_engine.compile_story(meta, scenes)
    start, init = meta["start"], dict(meta["vars"])

    def run(secs: float, clock: Callable[[], float]) -> tuple[int, float]:
        x, n, chars = 7, 0, 0
        cur, v = start, dict(init)
        t0 = clock()
        deadline = t0 + secs
        while True:
            text, ending, chs = graph[cur]
            chars += len(text)
            if ending:
                cur, v = start, dict(init)
                continue
            avail = [c for c in chs if c[2] is None or c[2](v)]
            for c in avail:
                chars += len(c[0])
            x ^= (x << 13) & M
            x ^= x >> 17
            x ^= (x << 5) & M
            _, cur, _, sets = avail[x % len(avail)]
            for k, d in sets:
                v[k] += d
            n += 1
            if not n & 63 and clock() > deadline:
                break
        return n, clock() - t0

    return run


def count(a: argparse.Namespace) -> None:
    """Play 20,000 choices, then ``a.count`` more (a clock that counts its calls: play
    looks at it once every 64 choices)."""
    ticks = [0.0]

    def tick() -> float:
        ticks[0] += 1
        return ticks[0]

    root = (a.stories or [str(default_story_root())])[0]
    if a.walker == "naive":
        walk = naive_player(a.naive or Path(root).parent / "yaml")
        for n in (20_000, a.count):
            ticks[0] = 0.0
            walk(n / 64, tick)
        return
    story = load_story(root).story
    assert story is not None, root
    for n in (20_000, a.count):
        ticks[0] = 0.0
        play(story, current, choose, n / 64, tick)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("stories", nargs="*")
    ap.add_argument("--secs", type=float, default=2.0)
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--wall", action="store_true", help="time the wall clock, not CPU")
    ap.add_argument("--naive", type=Path, help="the YAML folder of a bench/peer story")
    ap.add_argument("--count", type=int, help="play this many choices untimed, then exit")
    ap.add_argument("--walker", choices=("compiled", "naive"), default="compiled")
    a = ap.parse_args()
    if a.count is not None:
        count(a)
        return
    clock = time.perf_counter if a.wall else time.process_time
    builtin = str(default_story_root())
    for root in a.stories or [builtin]:
        story = load_story(root).story
        assert story is not None, root
        kind = "built-in" if Path(root).resolve() == Path(builtin).resolve() else "synthetic"
        yaml_dir = a.naive or (Path(root).parent / "yaml")
        naive = naive_player(yaml_dir) if yaml_dir.is_dir() else None
        play(story, current, choose, 0.3, clock)  # warm-up: compile the views of the scenes met
        play(story, current_generic, choose_generic, 0.3, clock)
        us: dict[str, list[float]] = {"compiled": [], "generic": [], "naive": []}
        over_generic, over_naive = [], []
        for r in range(a.rounds):
            runs = {}
            order = ["compiled", "generic"] + (["naive"] if naive else [])
            for name in order if r % 2 == 0 else order[::-1]:
                if naive is not None and name == "naive":
                    n, t = naive(a.secs, clock)
                    runs[name] = (n, t, "")
                else:
                    fns = (current, choose) if name == "compiled" else (current_generic,
                                                                        choose_generic)
                    runs[name] = play(story, *fns, a.secs, clock)
            assert runs["compiled"][2] == runs["generic"][2], "the two paths diverged"
            for name, (n, t, _) in runs.items():
                us[name].append(t / n * 1e6)
            over_generic.append(us["generic"][-1] / us["compiled"][-1])
            line = (f"  round {r + 1}: compiled {us['compiled'][-1]:.2f} us/choice, generic "
                    f"{us['generic'][-1]:.2f} ({over_generic[-1]:.2f}x compiled)")
            if naive:
                over_naive.append(us["compiled"][-1] / us["naive"][-1])
                line += (f", naive walker {us['naive'][-1]:.2f} (compiled "
                         f"{over_naive[-1]:.2f}x naive)")
            print(line)
        gen = statistics.median(over_generic)
        print(f"{root} ({len(story.scenes)} scenes, {'wall' if a.wall else 'CPU'} time): median "
              f"compiled {statistics.median(us['compiled']):.2f} us/choice, generic "
              f"{statistics.median(us['generic']):.2f}; generic/compiled {gen:.2f}x "
              f"(rounds {min(over_generic):.2f}-{max(over_generic):.2f}x)")
        print(f"  estimate, quiet machine: {BEFORE_US[kind]:g} us (issue 17, before) / "
              f"{gen:.2f} = {BEFORE_US[kind] / gen:.1f} us")
        if naive:
            med = statistics.median(over_naive)
            print(f"  compiled / naive walker: {med:.2f}x (rounds {min(over_naive):.2f}-"
                  f"{max(over_naive):.2f}x) -> {med * NAIVE_QUIET_US:.1f} us at the naive "
                  f"walker's quiet {NAIVE_QUIET_US:g} us")


if __name__ == "__main__":
    main()
