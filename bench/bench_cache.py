"""Cache benchmark: what the safe cache reader costs against the old ``pickle.loads`` one.

The cache reads entries with an unpickler that resolves only the engine's classes and
then checks that everything it built is inert (kissgame.cache). Both are measured
against the reader before issue 16 (read the file, check its SHA-256, ``pickle.loads``;
the new one checks an HMAC-SHA256 instead)
on the very same bytes, in the same run, as ratios:

- warm start: the story entry (scenes stay pickled until first used);
- every scene: decoding all of them, as a full exploration would.

And the cold start (issue 17), on the same story in the same run:

- first screen: ``open_story`` with an empty cache folder (what the TUI does: only what
  the first screen needs is compiled) against ``load_story_cached`` (every file parsed,
  compiled and checked, the cache written), each up to the start scene's Beat;
- the whole check the TUI then runs in the background (``Opening.finish``), against the
  same ``load_story_cached``;
- writing the scenes' pickles: ``pickle.dumps`` against the cache's own pickler;
- reading the YAML into located data (``parse_yaml``) against PyYAML's own
  ``yaml.load(CSafeLoader)`` of the same texts (which keeps no places and no limits).

With ``--keys``: the engine's part of a key press (``current`` + ``choose``, one every
20 ms, the thread yielding first as an event loop does) while the TUI's background check
runs (``Opening.finish_in_background``, which lowers the interpreter's switch interval
while it runs), with the default switch interval instead, and after the check.

Usage: python bench/bench_cache.py [--scenes 1000] [--repeat 5] [--story DIR] [--keys]
"""

from __future__ import annotations

import argparse
import gc
import hashlib
import pickle
import sys
import tempfile
import time
from pathlib import Path

import yaml
from bench_engine import generate

from kissgame import opening as opening_module
from kissgame.cache import LazyScenes, _entry, dumps, load_story_cached, read_cached, story_key
from kissgame.engine import choose, current, new_game
from kissgame.engine.model import Scene
from kissgame.loader import parse_yaml
from kissgame.opening import open_story


def best_of_pair(before, after, repeat: int, inner: int = 1) -> tuple[float, float]:
    """Best times (per call) of two functions, run in turn so that noise hits both alike."""
    times: tuple[list[float], list[float]] = ([], [])
    for _ in range(repeat):
        for fn, out in ((before, times[0]), (after, times[1])):
            gc.collect()
            start = time.perf_counter()
            for _ in range(inner):
                fn()
            out.append((time.perf_counter() - start) / inner)
    return min(times[0]), min(times[1])


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--scenes", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--story", type=Path, help="a story folder instead of a generated one")
    parser.add_argument("--keys", action="store_true", help="key presses during the check")
    args = parser.parse_args()
    if args.keys:
        return keys_during_check(args.story.resolve() if args.story else None, args.scenes)
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        root, cache = tmp / "story", tmp / "cache"
        if args.story is not None:
            root = args.story.resolve()
        else:
            generate(root, args.scenes)
        cold = cold_start(root, tmp, args.repeat)
        load_story_cached(root, cache)
        key = story_key(root)
        path = _entry(key, cache)
        blob = path.read_bytes()

        def old_reader() -> object:
            data = path.read_bytes()
            head = data.index(b"\n", data.index(b"\n") + 1) + 1
            checksum, payload = data[head: head + 32], data[head + 32:]
            assert len(checksum) == 32 and hashlib.sha256(payload).digest()  # the old check
            gc.disable()  # as the old reader did
            try:
                return pickle.loads(payload)
            finally:
                gc.enable()
        story, _ = read_cached(key, cache)  # type: ignore[misc]
        scenes = story.scenes
        assert isinstance(scenes, LazyScenes)
        blobs = list(scenes._blobs.values())

        plain_warm, safe_warm = best_of_pair(old_reader, lambda: read_cached(key, cache),
                                             args.repeat, inner=20)

        def plain_all() -> None:
            for b in blobs:
                pickle.loads(b)

        def safe_all() -> None:
            fresh = LazyScenes(dict(scenes._blobs), str(root))
            for sid in fresh:
                assert isinstance(fresh[sid], Scene)

        plain_scenes, safe_scenes = best_of_pair(plain_all, safe_all, args.repeat)
    print(f"python {sys.version.split()[0]}, {len(blobs)} scenes, entry {len(blob) // 1024} KB")
    print(f"{'measure':44} {'figure':>10}  ratio")
    print(f"{'warm start: sha256 + pickle.loads (before)':44} {plain_warm * 1000:8.2f} ms  1.00x")
    print(f"{'warm start: read_cached (safe + checks)':44} {safe_warm * 1000:8.2f} ms  "
          f"{safe_warm / plain_warm:.2f}x")
    print(f"{'every scene: pickle.loads (before)':44} {plain_scenes * 1000:8.2f} ms  1.00x")
    print(f"{'every scene: LazyScenes (safe + checks)':44} {safe_scenes * 1000:8.2f} ms  "
          f"{safe_scenes / plain_scenes:.2f}x")
    for label, base, figure in cold:
        print(f"{label:44} {figure * 1000:8.2f} ms  {figure / base:.2f}x")
    return 0


def keys_during_check(story_root: Path | None, scenes: int) -> int:
    import random
    import statistics
    import threading

    def presses(story: object, busy: threading.Thread | None, count: int = 10**6) -> list[float]:
        rng, state, out = random.Random(1), new_game(story, 1), []  # type: ignore[arg-type]
        for _ in range(count):
            time.sleep(0.02)
            start = time.perf_counter()
            time.sleep(0)
            beat = current(story, state)  # type: ignore[arg-type]
            if beat.ended:
                state = new_game(story, 1)  # type: ignore[arg-type]
                continue
            pick = rng.choice([c for c in beat.choices if c.enabled]).id
            state = choose(story, state, pick)  # type: ignore[arg-type]
            out.append((time.perf_counter() - start) * 1000)
            if busy is not None and not busy.is_alive():
                break
        return out

    def show(label: str, times: list[float]) -> None:
        times = sorted(times)
        print(f"{label:44} median {statistics.median(times):6.2f} ms  "
              f"p90 {times[int(len(times) * 0.9)]:6.2f} ms  ({len(times)} presses)")

    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        root = story_root or tmp / "story"
        if story_root is None:
            generate(root, scenes)
        print(f"python {sys.version.split()[0]}, {root}")
        for label, interval in (("during the check (switch interval 1 ms)",
                                 opening_module.CHECK_SWITCH_INTERVAL),
                                ("during the check (default 5 ms)", 0.005)):
            opening_module.CHECK_SWITCH_INTERVAL = interval
            opening = open_story(root, tmp / f"cache-{interval}")
            story = opening.result.story
            busy = opening.finish_in_background(lambda problems: None)
            during = presses(story, busy)
            busy.join()
            show(label, during)
            show("  after it", presses(story, None, len(during)))
    return 0


def cold_start(root: Path, tmp: Path, repeat: int) -> list[tuple[str, float, float]]:
    """The cold-start measures (see the module docstring), each a (label, baseline, figure)."""
    runs = iter(range(10**6))

    def first_screen(story: object) -> None:
        current(story, new_game(story, 1))  # type: ignore[arg-type]

    def whole() -> None:
        first_screen(load_story_cached(root, tmp / f"c{next(runs)}").story)

    def opened() -> None:
        first_screen(open_story(root, tmp / f"c{next(runs)}").result.story)

    def opened_and_finished() -> None:
        opening = open_story(root, tmp / f"c{next(runs)}")
        first_screen(opening.result.story)
        opening.finish()

    full, quick = best_of_pair(whole, opened, repeat)
    full2, finished = best_of_pair(whole, opened_and_finished, repeat)
    scenes = list(load_story_cached(root, tmp / "c-scenes").story.scenes.values())  # type: ignore[union-attr]
    plain_dumps, story_dumps = best_of_pair(
        lambda: [pickle.dumps(s, protocol=pickle.HIGHEST_PROTOCOL) for s in scenes],
        lambda: [dumps(s) for s in scenes], repeat)
    texts = [(str(p), p.read_text(encoding="utf-8")) for p in sorted(root.rglob("*.yaml"))]
    pyyaml, ours = best_of_pair(
        lambda: [yaml.load(text, Loader=yaml.CSafeLoader) for _, text in texts],
        lambda: [parse_yaml(text, name) for name, text in texts], repeat)
    return [
        ("cold, whole load + check + cache write", full, full),
        ("cold first screen: open_story", full, quick),
        ("cold first screen + background check", full2, finished),
        ("scene pickles: pickle.dumps", plain_dumps, plain_dumps),
        ("scene pickles: cache.dumps", plain_dumps, story_dumps),
        ("YAML: yaml.load(CSafeLoader), no places", pyyaml, pyyaml),
        ("YAML: parse_yaml (located, limited)", pyyaml, ours),
    ]


if __name__ == "__main__":
    sys.exit(main())
