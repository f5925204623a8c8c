"""Explore on one process against N worker processes, in one run, as a ratio.

    python bench/bench_explore_cores.py [STORY_DIR] [--jobs N] [--repeat R]

Runs `explore` as the CLI does (breadth-first to 20,000 states, beam searches, 200
random runs and 200 playthroughs) with jobs=1 and jobs=N, interleaved R times, checks
that every report is identical apart from its timings, and prints the median of the
wall-clock ratios. The machine's other load moves both sides; read the ratio.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import time
from pathlib import Path

from kissgame.explorer import DEFAULT_RUNS, explore
from kissgame.loader import load_story_or_raise

ROOT = Path(__file__).resolve().parents[1]


def _cpu() -> float:
    me, kids = (resource.getrusage(who) for who in
                (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN))
    return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime


def run(story, jobs: int) -> tuple[float, float, dict, int]:
    cpu, wall = _cpu(), time.perf_counter()
    report = explore(story, runs=DEFAULT_RUNS, playthroughs=DEFAULT_RUNS, jobs=jobs)
    wall, cpu = time.perf_counter() - wall, _cpu() - cpu
    data = report.to_dict()
    rate = data.pop("states_per_second")
    data.pop("seconds")
    used = data.pop("jobs")
    return wall, cpu, data | {"rate": rate}, used


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("story", nargs="?", default=str(ROOT / "story"))
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    story = load_story_or_raise(args.story)
    print(f"{story.title}: {len(story.scenes)} scenes; 1 process vs {args.jobs} workers, "
          f"{args.repeat} interleaved rounds; load average {os.getloadavg()[0]:.1f}")
    ratios, reports = [], []
    for i in range(args.repeat):
        one = run(story, 1)
        many = run(story, args.jobs)
        for (wall, cpu, data, used), label in ((one, "1"), (many, str(args.jobs))):
            print(f"  round {i + 1}, jobs={label}: {wall:6.2f} s wall, {cpu:6.2f} s CPU, "
                  f"{data['rate']:,} states/s breadth-first, {used} process(es) used")
            data.pop("rate")
            reports.append(data)
        ratios.append(one[0] / many[0])
        print(f"  round {i + 1}: {ratios[-1]:.2f}x")
    same = all(r == reports[0] for r in reports)
    print(f"identical reports: {'yes' if same else 'NO'}")
    print(f"speed-up on {args.jobs} workers: median {statistics.median(ratios):.2f}x "
          f"(rounds: {', '.join(f'{r:.2f}x' for r in ratios)}); "
          f"load average now {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
