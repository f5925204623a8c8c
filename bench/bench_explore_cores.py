"""Explore on one core against N cores, in one run, as ratios.

    python bench/bench_explore_cores.py [STORY_DIR] [--jobs N] [--repeat R] [--no-wall]

`explore` runs as the CLI runs it (breadth-first to 20,000 states, beam searches,
200 random runs, the guided search, 200 playthroughs), jobs=1 and jobs=N interleaved,
R rounds; every report must be identical apart from its timings. Two measures (the
lines' wording is what bench/aims.py reads):

- critical path (CPU time; holds on a busy machine): jobs=1 in this process, its CPU
  time; jobs=N with each worker timing the CPU it spends on each call, so the time N
  idle cores would take is this process's CPU time plus, call by call, the busiest
  worker's. The pipes' latency is not in it.
- wall clock: `kissgame explore` in a subprocess, jobs=1 pinned to one core with
  `taskset -c 0` (where there is taskset) against jobs=N on every core. Only a quiet
  machine shows this one: the load average is printed before and after.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from kissgame import team
from kissgame.explorer import DEFAULT_RUNS, explore
from kissgame.loader import load_story_or_raise

ROOT = Path(__file__).resolve().parents[1]
TIMINGS = ("seconds", "states_per_second", "states_per_second_breadth_first", "jobs")
WORKERS = {"critical": 0.0, "total": 0.0}
BUSY: dict[int, float] = {}
"""CPU seconds per worker since the last point where the main process waited for all."""

_serve, _call, _answer = team._serve, team.Team.call, team.Team.answer


class _Timed:
    """A member whose every answer carries the CPU time its process spent on it."""

    def __init__(self, member: Any):
        self.member = member

    def __getattr__(self, name: str) -> Any:
        method = getattr(self.member, name)

        def timed(*args: Any) -> tuple[float, Any]:
            started = time.process_time()
            value = method(*args)
            return time.process_time() - started, value
        return timed


def _timed_serve(make: team.Member, worker: int, jobs: int, pipe: Any) -> None:
    _serve(lambda w, n: _Timed(make(w, n)), worker, jobs, pipe)


def _timed_answer(self: team.Team, worker: int) -> Any:
    cpu, value = _answer(self, worker)
    BUSY[worker] = BUSY.get(worker, 0.0) + cpu
    WORKERS["total"] += cpu
    return value


def _all_waited() -> None:
    """The busiest worker's CPU since the last such point is on the critical path."""
    WORKERS["critical"] += max(BUSY.values(), default=0.0)
    BUSY.clear()


def _timed_call(self: team.Team, name: str, args: list[tuple[Any, ...]]) -> list[Any]:
    # Calls that answer in member order end at a barrier; answers that come in whatever
    # order (a beam search per worker) add up per worker until the next barrier.
    _all_waited()
    answers = _call(self, name, args)
    _all_waited()
    return answers


def _same(data: dict) -> dict:
    return {k: v for k, v in data.items() if k not in TIMINGS}


def in_process(story: Any, jobs: int) -> tuple[float, float, dict]:
    """(critical-path CPU seconds, CPU seconds of every process, report)."""
    WORKERS["critical"] = WORKERS["total"] = 0.0
    BUSY.clear()
    started = time.process_time()
    report = explore(story, runs=DEFAULT_RUNS, playthroughs=DEFAULT_RUNS, jobs=jobs)
    mine = time.process_time() - started
    _all_waited()
    return mine + WORKERS["critical"], mine + WORKERS["total"], report.to_dict()


def subprocess_wall(story_dir: str, jobs: int) -> tuple[float, dict]:
    pin = ["taskset", "-c", "0"] if jobs == 1 and shutil.which("taskset") else []
    started = time.perf_counter()
    done = subprocess.run([*pin, sys.executable, "-m", "kissgame", "explore", story_dir,
                           "--jobs", str(jobs), "--json"], capture_output=True, text=True,
                          check=False)
    wall = time.perf_counter() - started
    data = json.loads(done.stdout)
    data.pop("diagnostics", None)
    return wall, data


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("story", nargs="?", default=str(ROOT / "story"))
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--no-wall", action="store_true", help="skip the wall-clock runs")
    args = parser.parse_args()
    team._serve = _timed_serve  # type: ignore[assignment]
    team.Team.call = _timed_call  # type: ignore[method-assign]
    team.Team.answer = _timed_answer  # type: ignore[method-assign]
    story = load_story_or_raise(args.story)
    print(f"{story.title}: {len(story.scenes)} scenes; jobs=1 vs jobs={args.jobs}, "
          f"{args.repeat} interleaved rounds; {os.cpu_count()} cores; "
          f"load average {os.getloadavg()[0]:.1f}")
    cpu_ratios, wall_ratios, reports = [], [], []
    for i in range(args.repeat):
        one, _all, data = in_process(story, 1)
        many, every, data_n = in_process(story, args.jobs)
        reports += [_same(data), _same(data_n)]
        cpu_ratios.append(one / many)
        print(f"  round {i + 1} critical path: jobs=1 {one:6.2f} s (the wall time idle cores "
              f"would take, from CPU times; {data['states_per_second']:,} states/s), "
              f"jobs={args.jobs} {many:6.2f} s (all processes {every:.2f} s CPU, "
              f"{data_n['jobs']} used): {cpu_ratios[-1]:.2f}x")
        if args.no_wall:
            continue
        wall_one, data = subprocess_wall(args.story, 1)
        wall_many, data_n = subprocess_wall(args.story, args.jobs)
        reports += [_same(data), _same(data_n)]
        wall_ratios.append(wall_one / wall_many)
        print(f"  round {i + 1} wall clock: jobs=1 on one core {wall_one:6.2f} s, "
              f"jobs={args.jobs} {wall_many:6.2f} s ({data_n['states_per_second']:,} "
              f"states/s): {wall_ratios[-1]:.2f}x; load average {os.getloadavg()[0]:.1f}")
    same = all(r == reports[0] for r in reports)
    print(f"identical reports: {'yes' if same else 'NO'} ({len(reports)} runs)")

    def spread(ratios: list[float]) -> str:
        return (f"median {statistics.median(ratios):.2f}x "
                f"(rounds: {', '.join(f'{r:.2f}x' for r in ratios)})")
    print(f"speed-up on {args.jobs} cores, critical path (CPU time): {spread(cpu_ratios)}")
    if wall_ratios:
        print(f"speed-up on {args.jobs} cores, wall clock: {spread(wall_ratios)}; "
              f"load average now {os.getloadavg()[0]:.1f} (a quiet machine is under 0.5)")


if __name__ == "__main__":
    main()
