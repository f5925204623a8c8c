"""Per choice with the text rendered: the compiled views against the generic path.

usage: python bench/choice_bench.py [STORY_DIR ...] [--secs S] [--rounds R]
       (default: the built-in story)

Each round plays random paths (seeded, restarting at an ending) for S seconds with
``current`` + ``choose`` (the compiled views the game uses), then S seconds with
``current_generic`` + ``choose_generic`` (the same rules, nothing precompiled), reading
every line and label the way a screen does; the order alternates between rounds. Both
walk the same path (checked). Prints µs per choice and the ratio per round: compare the
ratio, not the microseconds, on a shared machine.
"""

from __future__ import annotations

import argparse
import statistics
import time

from kissgame.engine import choose, current, new_game
from kissgame.engine.runtime import choose_generic, current_generic
from kissgame.loader import load_story
from kissgame.resources import default_story_root

M = 0xFFFFFFFF


def play(story, cur, cho, secs: float) -> tuple[int, float, str]:
    x, n = 7, 0
    state = new_game(story, 1)
    trail = []
    t0 = time.perf_counter()
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
        if not n & 63 and time.perf_counter() > deadline:
            break
    return n, time.perf_counter() - t0, ",".join(trail)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("stories", nargs="*")
    ap.add_argument("--secs", type=float, default=2.0)
    ap.add_argument("--rounds", type=int, default=5)
    a = ap.parse_args()
    for root in a.stories or [str(default_story_root())]:
        story = load_story(root).story
        assert story is not None, root
        play(story, current, choose, 0.3)  # warm-up: compile the views of the scenes met
        play(story, current_generic, choose_generic, 0.3)
        fast_us, slow_us, ratios = [], [], []
        for r in range(a.rounds):
            runs = {}
            order = ("compiled", "generic") if r % 2 == 0 else ("generic", "compiled")
            for name in order:
                fns = (current, choose) if name == "compiled" else (current_generic,
                                                                    choose_generic)
                runs[name] = play(story, *fns, a.secs)
            (nf, tf, pf), (ns, ts, ps) = runs["compiled"], runs["generic"]
            assert pf == ps, "the two paths diverged"
            fast_us.append(tf / nf * 1e6)
            slow_us.append(ts / ns * 1e6)
            ratios.append(slow_us[-1] / fast_us[-1])
            print(f"  round {r + 1}: compiled {fast_us[-1]:.2f} us/choice, generic "
                  f"{slow_us[-1]:.2f} us/choice, generic/compiled {ratios[-1]:.2f}x")
        print(f"{root} ({len(story.scenes)} scenes): median compiled "
              f"{statistics.median(fast_us):.2f} us/choice, generic "
              f"{statistics.median(slow_us):.2f}, speed-up {statistics.median(ratios):.2f}x")


if __name__ == "__main__":
    main()
