"""Explore on one core against N cores, in one run, as ratios.

    python bench/bench_explore_cores.py [STORY_DIR] [--jobs N] [--repeat R]

Each run is `kissgame explore STORY --json` in a fresh process, as a user runs it
(breadth-first to 20,000 states, beam searches, 200 random runs, the guided search,
200 playthroughs): jobs=1 pinned to one core with `taskset -c 0` (where there is
taskset) and jobs=N on every core, interleaved, R rounds. Every report must be
identical apart from its timings. Each run gives two measures (the lines' wording is
what bench/aims.py reads):

- wall clock, start to exit. Only a quiet machine shows this one: the load average and
  the CPU other processes used during each run (from /proc/stat) are printed.
- critical path (CPU time; holds better on a busy machine): the main process's CPU time
  (start to exit) plus the busiest worker's CPU time between the points where the main
  process waits for every worker (answers that come in any order, a beam search per
  worker, add up per worker until then). It is what N idle cores would take, without
  the pipes' latency.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from kissgame import team
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


def child(story_dir: str, jobs: int) -> None:
    """The CLI's explore with every worker's CPU timed; one JSON line on stdout."""
    team._serve = _timed_serve  # type: ignore[assignment]
    team.Team.call = _timed_call  # type: ignore[method-assign]
    team.Team.answer = _timed_answer  # type: ignore[method-assign]
    from kissgame.__main__ import main as cli

    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        cli(["explore", story_dir, "--jobs", str(jobs), "--json"])
    _all_waited()
    usage = resource.getrusage(resource.RUSAGE_SELF)
    mine = usage.ru_utime + usage.ru_stime
    data = json.loads(out.getvalue())
    data.pop("diagnostics", None)
    print(json.dumps({"critical": mine + WORKERS["critical"], "cpu": mine + WORKERS["total"],
                      "report": data}))


def _busy_ticks() -> int | None:
    """CPU ticks every process has used so far, if /proc/stat says."""
    try:
        with open("/proc/stat") as stat:
            fields = [int(x) for x in stat.readline().split()[1:]]
    except (OSError, ValueError):
        return None
    return sum(fields) - fields[3] - fields[4]  # all but idle and iowait


def run(story_dir: str, jobs: int) -> dict[str, Any]:
    """One fresh `kissgame explore` process: wall, critical path, CPU, report, and the
    cores other processes kept busy meanwhile (None where unknown)."""
    pin = ["taskset", "-c", "0"] if jobs == 1 and shutil.which("taskset") else []
    ticks = _busy_ticks()
    started = time.perf_counter()
    done = subprocess.run([*pin, sys.executable, __file__, story_dir, "--child", str(jobs)],
                          capture_output=True, text=True, check=False)
    wall = time.perf_counter() - started
    if done.returncode:
        sys.exit(f"explore --jobs {jobs} failed:\n{done.stderr[-2000:]}")
    out = json.loads(done.stdout.splitlines()[-1])
    after = _busy_ticks()
    others = None
    if ticks is not None and after is not None:
        others = max(0.0, ((after - ticks) / os.sysconf("SC_CLK_TCK") - out["cpu"]) / wall)
    return {**out, "wall": wall, "others": others}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("story", nargs="?", default=str(ROOT / "story"))
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--child", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.story, args.child)
        return
    story = load_story_or_raise(args.story)
    print(f"{story.title}: {len(story.scenes)} scenes; jobs=1 vs jobs={args.jobs}, "
          f"{args.repeat} interleaved rounds; {os.cpu_count()} cores; "
          f"load average {os.getloadavg()[0]:.1f}")
    cpu_ratios, wall_ratios, reports = [], [], []
    for i in range(args.repeat):
        one, many = run(args.story, 1), run(args.story, args.jobs)
        reports += [_same(one["report"]), _same(many["report"])]
        cpu_ratios.append(one["critical"] / many["critical"])
        wall_ratios.append(one["wall"] / many["wall"])
        print(f"  round {i + 1} critical path: jobs=1 {one['critical']:6.2f} s (the wall time "
              f"idle cores would take, from CPU times), jobs={args.jobs} "
              f"{many['critical']:6.2f} s (all processes {many['cpu']:.2f} s CPU, "
              f"{many['report']['jobs']} used): {cpu_ratios[-1]:.2f}x")
        others = "" if one["others"] is None else \
            f"; other processes kept {one['others']:.2f} and {many['others']:.2f} cores busy"
        print(f"  round {i + 1} wall clock: jobs=1 on one core {one['wall']:6.2f} s, "
              f"jobs={args.jobs} {many['wall']:6.2f} s "
              f"({many['report']['states_per_second']:,} states/s): {wall_ratios[-1]:.2f}x; "
              f"load average {os.getloadavg()[0]:.1f}{others}")
    same = all(r == reports[0] for r in reports)
    print(f"identical reports: {'yes' if same else 'NO'} ({len(reports)} runs)")

    def spread(ratios: list[float]) -> str:
        return (f"median {statistics.median(ratios):.2f}x "
                f"(rounds: {', '.join(f'{r:.2f}x' for r in ratios)})")
    print(f"speed-up on {args.jobs} cores, critical path (CPU time): {spread(cpu_ratios)}")
    print(f"speed-up on {args.jobs} cores, wall clock: {spread(wall_ratios)}; "
          f"load average now {os.getloadavg()[0]:.1f} (a quiet machine is under 0.5)")


if __name__ == "__main__":
    main()
