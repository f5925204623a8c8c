"""The key path without a UI: Session.choose + beat against the engine's choose + current.

usage: python bench/session_bench.py [--presses N] [--secs S]

1. Synchronous cost of a choice key in the game (what runs on the UI thread): the
   Session (branch memory updated in memory, the write handed to its thread) against the
   bare engine, same seeded path, interleaved rounds, as a ratio.
2. Disk writes of the branch memory and the autosaves while keys are pressed steadily
   for S seconds at a fast pace (every 50 ms) and a slow one (every 700 ms): os.fsync
   calls per second, counted by wrapping os.fsync (every write is file + folder fsync),
   by what they wrote and by thread (the caller's thread is the UI thread in the game);
   the writes left for close() are counted apart.
Uses a throw-away KISSGAME_HOME. Read the ratio, not the microseconds. --json: one line.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import tempfile
import threading
import time
import traceback

os.environ["KISSGAME_HOME"] = tempfile.mkdtemp(prefix="kg-session-bench-")

from kissgame.engine import choose, current, new_game  # noqa: E402
from kissgame.loader import load_story  # noqa: E402
from kissgame.resources import default_story_root  # noqa: E402
from kissgame.session import Session  # noqa: E402


def engine_run(story, picks: int, seed: int) -> list[float]:
    rng = random.Random(seed)
    state = new_game(story, 1)
    times = []
    clock = time.perf_counter
    for _ in range(picks):
        t0 = clock()
        beat = current(story, state)
        if beat.ended:
            state = new_game(story, 1)
            continue
        state = choose(story, state, rng.choice([c.id for c in beat.choices if c.enabled]))
        times.append(clock() - t0)
    return times


def session_run(session: Session, picks: int, seed: int) -> list[float]:
    rng = random.Random(seed)
    session.new_game()
    times = []
    clock = time.perf_counter
    for _ in range(picks):
        t0 = clock()
        beat = session.beat()
        if beat.ended:
            session.new_game()
            continue
        session.choose(rng.choice([c.id for c in beat.choices if c.enabled]))
        times.append(clock() - t0)
    return times


def fsyncs_per_second(session: Session, every: float, secs: float) -> dict[str, float]:
    """fsyncs per second while playing: of the branch memory, of the autosaves, of both
    on the calling (UI) thread; and the fsyncs close() still had to do."""
    real = os.fsync
    count = {"memory": 0, "autosave": 0, "ui_thread": 0}
    caller = threading.current_thread()

    def counting(fd: int) -> None:
        frames = {f.name for f in traceback.extract_stack(limit=8)}
        count["memory" if "save_memory" in frames else "autosave"] += 1
        count["ui_thread"] += threading.current_thread() is caller
        real(fd)

    os.fsync = counting
    try:
        rng = random.Random(3)
        session.new_game()
        t0 = time.monotonic()
        while time.monotonic() - t0 < secs:
            beat = session.beat()
            if beat.ended:
                session.new_game()
            else:
                session.choose(rng.choice([c.id for c in beat.choices if c.enabled]))
            time.sleep(every)
        took = time.monotonic() - t0
        rates = {k: v / took for k, v in count.items()}
        before = sum(count[k] for k in ("memory", "autosave"))
        session.flush()
        rates["at_close"] = count["memory"] + count["autosave"] - before
        return rates
    finally:
        os.fsync = real


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--presses", type=int, default=3000)
    ap.add_argument("--secs", type=float, default=16.0)
    ap.add_argument("--json", action="store_true")
    a = ap.parse_args()
    story = load_story(default_story_root()).story
    assert story is not None
    session = Session(story, seed=1)
    engine_run(story, 300, 0)
    session_run(session, 300, 0)
    ratios, eng, ses, worst = [], [], [], []
    for r in range(5):
        e = statistics.median(engine_run(story, a.presses, r))
        times = session_run(session, a.presses, r)
        s = statistics.median(times)
        eng.append(e * 1e6)
        ses.append(s * 1e6)
        worst.append(max(times) * 1e3)
        ratios.append(s / e)
    result: dict = {"engine_us": statistics.median(eng), "session_us": statistics.median(ses),
                    "ratio": statistics.median(ratios), "slowest_ms": max(worst)}
    if not a.json:
        print(f"choice key, synchronous part, median press: engine {result['engine_us']:.1f}"
              f" us, Session {result['session_us']:.1f} us, Session/engine "
              f"{result['ratio']:.2f}x; slowest Session press {result['slowest_ms']:.1f} ms "
              f"(5 interleaved rounds of {a.presses} choices)")
    session.close()
    for every in (0.05, 0.7):
        fresh = Session(story, seed=1)  # no write of the rounds above still holds it back
        rates = fsyncs_per_second(fresh, every, a.secs)
        fresh.close()
        result[f"every_{every * 1000:.0f}ms"] = rates
        if not a.json:
            print(f"keys every {every * 1000:.0f} ms for {a.secs:.0f} s: branch memory "
                  f"{rates['memory']:.2f} fsync/s, autosaves {rates['autosave']:.2f} fsync/s,"
                  f" on the UI thread {rates['ui_thread']:.2f} fsync/s; "
                  f"{rates['at_close']:.0f} more at close")
    if a.json:
        print(json.dumps(result))


if __name__ == "__main__":
    main()
