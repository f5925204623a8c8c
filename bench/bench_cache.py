"""Cache benchmark: what the safe cache reader costs against the old ``pickle.loads`` one.

The cache reads entries with an unpickler that resolves only the engine's classes and
then checks that everything it built is inert (kissgame.cache). Both are measured
against the reader before issue 16 (read the file, check its SHA-256, ``pickle.loads``;
the new one checks an HMAC-SHA256 instead)
on the very same bytes, in the same run, as ratios:

- warm start: the story entry (scenes stay pickled until first used);
- every scene: decoding all of them, as a full exploration would.

Usage: python bench/bench_cache.py [--scenes 1000] [--repeat 5]
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

from bench_engine import generate

from kissgame.cache import LazyScenes, _entry, load_story_cached, read_cached, story_key
from kissgame.engine.model import Scene


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
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        root, cache = tmp / "story", tmp / "cache"
        generate(root, args.scenes)
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
    print(f"python {sys.version.split()[0]}, {args.scenes} scenes, entry {len(blob) // 1024} KB")
    print(f"{'measure':44} {'figure':>10}  ratio")
    print(f"{'warm start: sha256 + pickle.loads (before)':44} {plain_warm * 1000:8.2f} ms  1.00x")
    print(f"{'warm start: read_cached (safe + checks)':44} {safe_warm * 1000:8.2f} ms  "
          f"{safe_warm / plain_warm:.2f}x")
    print(f"{'every scene: pickle.loads (before)':44} {plain_scenes * 1000:8.2f} ms  1.00x")
    print(f"{'every scene: LazyScenes (safe + checks)':44} {safe_scenes * 1000:8.2f} ms  "
          f"{safe_scenes / plain_scenes:.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
