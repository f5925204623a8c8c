"""bink (Blade Ink, Rust runtime via ctypes) throughput: random playthroughs.

usage: BINKVENV/bin/python bink_play.py story.json SEED SECONDS [--check K] [--bare]

Same loop, PRNG (xorshift32) and digest as ink_play.js / py_engine.py:
continue_maximally() for the prose, read every choice text, pick one.
SECONDS=0 is cold-start mode: load, show the first screen, exit.
--bare skips reading choice texts (only len(choices)), to show the cost of
the per-choice FFI string round trips.
"""
import hashlib
import json
import sys
import time
from importlib.metadata import version

from bink.story import Story

M = 0xFFFFFFFF


def main():
    path, seed, secs = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
    check = int(sys.argv[sys.argv.index("--check") + 1]) if "--check" in sys.argv else 0
    bare = "--bare" in sys.argv
    x = (seed & M) or 1

    with open(path, encoding="utf-8-sig") as f:
        src = f.read()
    t0 = time.perf_counter()
    story = Story(src)
    load_ms = (time.perf_counter() - t0) * 1000

    if check:
        h = hashlib.sha256()
        n = restarts = 0
        while n < check:
            h.update(story.continue_maximally().encode())
            cs = story.get_current_choices()
            k = len(cs)
            if k == 0:
                story.reset_state()
                restarts += 1
                h.update(b"#END\n")
                continue
            for c in cs:
                h.update((c + "\n").encode())
            x ^= (x << 13) & M
            x ^= x >> 17
            x ^= (x << 5) & M
            i = x % k
            h.update((">%d\n" % i).encode())
            story.choose_choice_index(i)
            n += 1
        print(json.dumps({"engine": "bink", "check_choices": n, "restarts": restarts,
                          "sha256": h.hexdigest()}))
        return

    if secs == 0:  # cold-start mode: load + first screen, then exit
        text = story.continue_maximally()
        labels = list(story.get_current_choices())
        print(json.dumps({"engine": "bink", "load_ms": round(load_ms, 1),
                          "first_chars": len(text), "first_choices": len(labels)}))
        return

    def play(seconds, x):
        n = restarts = chars = 0
        t0 = time.perf_counter()
        deadline = t0 + seconds
        cont, getc, choose = story.continue_maximally, story.get_current_choices, story.choose_choice_index
        while True:
            chars += len(cont())
            cs = getc()
            k = len(cs)
            if k == 0:
                story.reset_state()
                restarts += 1
                continue
            if not bare:
                for c in cs:
                    chars += len(c)
            x ^= (x << 13) & M
            x ^= x >> 17
            x ^= (x << 5) & M
            choose(x % k)
            n += 1
            if not n & 63 and time.perf_counter() > deadline:
                break
        return n, restarts, chars, time.perf_counter() - t0, x

    *_, x = play(0.5, x)  # warm-up, not counted
    n, restarts, chars, dt, x = play(secs, x)
    print(json.dumps({"engine": "bink-bare" if bare else "bink", "bink": version("bink"),
                      "python": sys.version.split()[0], "load_ms": round(load_ms, 1),
                      "choices": n, "restarts": restarts, "chars": chars, "secs": round(dt, 3),
                      "choices_per_s": round(n / dt)}))


if __name__ == "__main__":
    main()
