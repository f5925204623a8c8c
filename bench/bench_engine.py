"""Engine benchmark: load, check, cache, explore and play on synthetic stories.

Every figure is printed next to a baseline measured in the same run, as a ratio,
because these machines are noisy:

- load figures against a bare ``yaml.load(..., CSafeLoader)`` of the same files;
- explore and play against a bare walk over the same scene graph held in plain
  dicts (no conditions, no effects, no text): the floor any engine pays in Python.
  Random playthroughs start over after 300 choices, as a long real one would end.

Usage: python bench/bench_engine.py [--scenes 1000 10000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import gc
import random
import shutil
import sys
import tempfile
import time
from collections import deque
from pathlib import Path

import yaml

from kissgame.cache import load_story_cached
from kissgame.checker import lint
from kissgame.engine import available_choice_ids, choose, current, new_game
from kissgame.explorer import explore
from kissgame.loader import load_story, story_files

WORDS = ("the a Kitty Q Dae Yuri Min Ho dorm curfew banana milk letter notebook hallway "
         "smiles whispers runs laughs rain Seoul river tower bus station quietly almost "
         "never always suddenly because although while").split()


def sentence(rng: random.Random, n: int) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(n)).capitalize() + "."


def generate(root: Path, scenes: int, files: int = 20, seed: int = 1) -> None:
    """A story of ``scenes`` scenes over ``files`` files, episode-shaped like a real one."""
    rng = random.Random(seed)
    root.mkdir(parents=True)
    (root / "scenes").mkdir()
    meters = [f"m{i}" for i in range(12)]
    flags = [f"f{i}" for i in range(12)]
    manifest = {
        "format": 1, "id": f"synthetic-{scenes}", "title": "Synthetic", "start": "s0",
        "characters": {"kitty": {"name": "Kitty"}, "q": {"name": "Q"}},
        "vars": {"ship": {m: {"value": 0, "min": 0, "max": 10} for m in meters},
                 "flag": {f: False for f in flags}},
        "endings": {"good": {"title": "Good"}, "bad": {"title": "Bad"}},
    }
    (root / "story.yaml").write_text(yaml.safe_dump(manifest, sort_keys=False))
    per_file = scenes // files
    for f in range(files):
        out = []
        for i in range(f * per_file, (f + 1) * per_file):
            sid = f"s{i}"
            if i >= scenes - 2:
                out.append({"id": sid, "ending": "good" if i == scenes - 1 else "bad",
                            "text": [sentence(rng, 40)]})
                continue
            text = [sentence(rng, 22) + " " + sentence(rng, 14),
                    {"q": sentence(rng, 10)},
                    f"{{if ship.{rng.choice(meters)} > 3}}{sentence(rng, 10)}"
                    f"{{else}}{sentence(rng, 8)}{{end}}",
                    {"kitty": sentence(rng, 10) + " {ship." + rng.choice(meters) + "}"}]
            choices = []
            for c in range(3):
                target = min(scenes - 1, i + 1 + c + rng.randrange(3))
                choice = {"label": sentence(rng, 6), "to": f"s{target}", "id": f"c{c}"}
                if c and rng.random() < 0.8:
                    choice["if"] = (f"ship.{rng.choice(meters)} >= {rng.randrange(4)} or "
                                    f"not flag.{rng.choice(flags)}")
                if rng.random() < 0.9:
                    choice["do"] = (f"ship.{rng.choice(meters)} += {rng.randrange(1, 3)}; "
                                    f"flag.{rng.choice(flags)} = true")
                choices.append(choice)
            out.append({"id": sid, "title": sentence(rng, 3), "text": text, "choices": choices})
        path = root / "scenes" / f"part{f:03d}.yaml"
        path.write_text(yaml.dump({"episode": f"e{f}", "scenes": out}, Dumper=yaml.CSafeDumper,
                                  sort_keys=False, width=100))


def best(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        gc.collect()
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def bare_parse(root: Path) -> None:
    for path in [root / "story.yaml", *story_files(root)]:
        yaml.load(path.read_bytes(), Loader=yaml.CSafeLoader)


def graph_of(story) -> dict[str, list[str]]:
    return {sid: [c.target for c in s.choices] for sid, s in story.scenes.items()}


def bare_bfs(graph: dict[str, list[str]], start: str, limit: int) -> int:
    seen = {start}
    queue = deque([(start, ())])
    n = 0
    while queue and n < limit:
        node, path = queue.popleft()
        n += 1
        for target in graph[node]:
            if target not in seen:
                seen.add(target)
                queue.append((target, (*path, target)))
    return n


PLAYTHROUGH = 300  # choices before starting over: a long real playthrough


def bare_walk(graph: dict[str, list[str]], start: str, steps: int, rng: random.Random) -> int:
    node, vars_ = start, {f"v{i}": 0 for i in range(24)}
    for step in range(steps):
        nxt = graph[node]
        if not nxt or step % PLAYTHROUGH == 0:
            node = start
            continue
        vars_ = dict(vars_)
        node = rng.choice(nxt)
    return steps


def play(story, steps: int, rng: random.Random, render: bool) -> int:
    state = new_game(story, 1)
    done = 0
    while done < steps:
        if render:
            current(story, state)
        ids = available_choice_ids(story, state)
        if not ids or len(state.path) >= PLAYTHROUGH:
            state = new_game(story, rng.randrange(1 << 30))
            continue
        state = choose(story, state, rng.choice(ids))
        done += 1
    return done


def run(scenes: int, repeat: int) -> list[tuple[str, str, str, str]]:
    tmp = Path(tempfile.mkdtemp(prefix="kissbench-"))
    try:
        root = tmp / "story"
        generate(root, scenes)
        size = sum(p.stat().st_size for p in [root / "story.yaml", *story_files(root)])
        rows = []
        t_bare = best(lambda: bare_parse(root), repeat)
        rows.append((f"{scenes} scenes, {size / 1e6:.1f} MB", "bare yaml.load CSafeLoader",
                     f"{t_bare * 1000:.0f} ms", "1.00x (baseline)"))

        def cold() -> None:
            result = load_story(root)
            assert result.ok, result.diagnostics[:3]
            lint(result.story)

        t_cold = best(cold, repeat)
        rows.append(("", "cold load + check", f"{t_cold * 1000:.0f} ms",
                     f"{t_cold / t_bare:.2f}x bare parse"))
        cache = tmp / "cache"
        load_story_cached(root, cache)
        t_warm = best(lambda: load_story_cached(root, cache), repeat)
        rows.append(("", "warm load (cache hit)", f"{t_warm * 1000:.0f} ms",
                     f"{t_warm / t_bare:.2f}x bare parse"))

        story = load_story(root).story
        graph = graph_of(story)
        limit = 20_000
        t0 = time.perf_counter()
        report = explore(story, max_states=limit, runs=0, guided=False)
        t_explore = time.perf_counter() - t0
        states_per_s = report.states_explored / t_explore
        t0 = time.perf_counter()
        n = bare_bfs(graph, story.start, limit)
        bare_rate = n / (time.perf_counter() - t0)
        rows.append(("", f"explore BFS ({report.states_explored} states)",
                     f"{states_per_s:,.0f} states/s",
                     f"{bare_rate / states_per_s:.1f}x slower than a bare BFS"))

        steps = 50_000
        rng = random.Random(3)
        t_walk = best(lambda: bare_walk(graph, story.start, steps, rng), repeat) / steps
        t_choose = best(lambda: play(story, steps, random.Random(3), False), repeat) / steps
        t_render = best(lambda: play(story, steps // 5, random.Random(3), True),
                        repeat) / (steps // 5)
        rows.append(("", "choose (no rendering)", f"{t_choose * 1e6:.1f} µs/choice",
                     f"{t_choose / t_walk:.1f}x a bare walk"))
        rows.append(("", "choose + render scene text", f"{t_render * 1e6:.1f} µs/choice",
                     f"{t_render / t_walk:.1f}x a bare walk"))
        return rows
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenes", type=int, nargs="+", default=[1000, 10000])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    print(f"python {sys.version.split()[0]}, libyaml {yaml.__with_libyaml__}")
    print(f"{'story':24} {'measure':34} {'figure':20} ratio")
    for scenes in args.scenes:
        for row in run(scenes, args.repeat):
            print(f"{row[0]:24} {row[1]:34} {row[2]:20} {row[3]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
