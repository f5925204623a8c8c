"""Every aim of issue 17 next to its peer, in ONE run, as ratios, with a met/not met table.

usage (from the project root):  python bench/aims.py [--n 10000] [--rounds 3] [--secs 2]
        [--runs 5] [--explore-repeat 2] [--presses 40] [--fsync-secs 30] [--markdown]

Every step runs here, one after the other, on the same machine load; a figure is only
compared with figures of the same run. Steps and the aim each one checks:

1. Setup: ``SETUP_ONLY=1 bash bench/peer/run.sh N`` installs inkjs and bink (under
   PEER_DIR, never in the checkout), generates the synthetic story as Ink and as kissgame
   YAML and stops unless kissgame, inkjs, bink and the naive walker show a player the
   same 20,000 choices (equal digests).
2. Per choice with the text rendered (bench/peer's players), interleaved rounds: the
   naive Python walker (the floor: 1.0 us a choice on a quiet machine, the issue's
   figure), kissgame on the synthetic story and on the built-in story, bink, inkjs.
   Aims: <= 4 us synthetic and <= 6 us built-in, i.e. <= 4x and <= 6x the naive walker
   in the same round; and faster than bink and inkjs.
3. Whole process to the first story screen (bench/peer/mproc_bench.py, round-robin):
   kissgame cold (empty cache folder), kissgame warm, bink, inkjs. Aim: cold no slower
   than bink (and inkjs).
4. Explore on 2 workers against 1 (bench/bench_explore_cores.py, the built-in story,
   identical reports checked there). Aim: >= 1.7x.
5. Key to painted frame in a real 80x24 pseudo-terminal (bench/key_bench.py, no Pilot)
   against a minimal Textual app whose one Static changes (a screenful, and a line).
   Aim: within 2x of the screenful (a choice paints a new screenful of prose); the
   one-line repaint is shown for context.
6. Disk writes while keys are pressed every 50 ms (bench/session_bench.py): fsyncs per
   second of branch memory and autosaves together, and on the UI thread. Aim: at most
   1 a second, none on the UI thread.

A step that cannot run (a peer that could not be installed, a script that failed) is
reported as such, never as met.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
PEER = BENCH / "peer"
PY = sys.executable


@dataclass
class Row:
    aim: str
    ours: str
    peer: str
    ratio: float | None
    limit: float
    higher_is_better: bool = False
    note: str = ""
    info: bool = False  # shown for context, not an aim of the issue

    @property
    def met(self) -> str:
        if self.info:
            return "(context)"
        if self.ratio is None:
            return "not measured"
        ok = self.ratio >= self.limit if self.higher_is_better else self.ratio <= self.limit
        return "met" if ok else "NOT met"

    @property
    def ratio_text(self) -> str:
        if self.ratio is None:
            return "-"
        if self.info:
            return f"{self.ratio:.2f}x"
        sign = ">=" if self.higher_is_better else "<="
        return f"{self.ratio:.2f}x (aim {sign} {self.limit:g}x)"


def say(text: str = "") -> None:
    print(text, flush=True)


def run(argv: list[str], env: dict[str, str] | None = None, cwd: Path | None = None,
        timeout: float = 1800) -> subprocess.CompletedProcess[str]:
    full = dict(os.environ, **(env or {}))
    return subprocess.run(argv, capture_output=True, text=True, env=full, cwd=cwd,
                          timeout=timeout, check=False)


def last_json(out: str) -> dict | None:
    for line in reversed(out.strip().splitlines()):
        line = line.strip()
        if line.startswith("{"):
            try:
                return json.loads(line)
            except json.JSONDecodeError:
                return None
    return None


def indent(text: str) -> str:
    return "\n".join("    " + line for line in text.rstrip().splitlines())


# -- steps ----------------------------------------------------------------------------

def setup(n: int, work: Path) -> dict[str, bool]:
    say(f"== 1. setup: peers and the synthetic story, N={n} (digests must be equal) ==")
    got = run(["bash", str(PEER / "run.sh"), str(n)], env={"SETUP_ONLY": "1",
                                                         "PEER_DIR": str(work), "PY": PY})
    say(indent(got.stdout + got.stderr))
    if got.returncode != 0 or "digests differ" in got.stdout:
        raise SystemExit("the peer setup failed (see above): nothing to compare against")
    return {"inkjs": (work / "ink/node_modules/inkjs/package.json").exists()
            and shutil.which("node") is not None,
            "bink": (work / "binkvenv/bin/python").exists()}


def per_choice(n: int, work: Path, have: dict[str, bool], rounds: int, secs: float,
               builtin: Path) -> list[Row]:
    say(f"\n== 2. per choice, prose and every label read, {rounds} interleaved rounds "
        f"of {secs:g} s ==")
    story = work / f"n{n}"
    builtin_home = tempfile.mkdtemp(prefix="kg-aims-builtin-")
    s = str(secs)
    cmds: dict[str, tuple[list[str], dict[str, str]]] = {
        "naive": ([PY, "py_engine.py", str(story / "yaml"), "7", s], {}),
        "kissgame": ([PY, "kg_play.py", str(story / "kg"), "7", s],
                     {"KISSGAME_HOME": str(work / f"home-n{n}")}),
        "built-in": ([PY, "kg_play.py", str(builtin), "7", s],
                     {"KISSGAME_HOME": builtin_home}),
    }
    if have["bink"]:
        cmds["bink"] = ([str(work / "binkvenv/bin/python"), "bink_play.py",
                         str(story / "story.json"), "7", s], {})
    if have["inkjs"]:
        cmds["inkjs"] = ([shutil.which("node") or "node", "ink_play.js",
                          str(story / "story.json"), "7", s],
                         {"NODE_PATH": str(work / "ink/node_modules")})
    us: dict[str, list[float]] = {name: [] for name in cmds}
    ratios: dict[str, list[float]] = {"kissgame": [], "built-in": [], "bink": [], "inkjs": []}
    names = list(cmds)
    for r in range(rounds):
        order = names[r % len(names):] + names[:r % len(names)]
        got: dict[str, float] = {}
        for name in order:
            argv, env = cmds[name]
            out = run(argv, env=env, cwd=PEER)
            data = last_json(out.stdout)
            if out.returncode != 0 or not data or not data.get("choices_per_s"):
                say(indent(f"{name} failed: {out.stderr.strip()[-400:]}"))
                continue
            got[name] = 1e6 / data["choices_per_s"]
            us[name].append(got[name])
        if "naive" in got:
            for name in ("kissgame", "built-in"):
                if name in got:
                    ratios[name].append(got[name] / got["naive"])
        for name in ("bink", "inkjs"):
            if name in got and "kissgame" in got:
                ratios[name].append(got["kissgame"] / got[name])
        say("    round {}: us/choice {}".format(r + 1, "  ".join(
            f"{name} {got[name]:.2f}" for name in names if name in got)))
    shutil.rmtree(builtin_home, ignore_errors=True)
    med = {name: statistics.median(v) for name, v in us.items() if v}
    rat = {name: statistics.median(v) if v else None for name, v in ratios.items()}

    def fig(name: str) -> str:
        return f"{med[name]:.2f} us" if name in med else "-"

    spread = {name: f"rounds {min(v):.2f}-{max(v):.2f}x" if v else ""
              for name, v in ratios.items()}
    rows = [
        Row(f"per choice, synthetic N={n:,} (<= 4 us = 4x the 1.0 us floor)", fig("kissgame"),
            f"naive walker {fig('naive')}", rat["kissgame"], 4.0, note=spread["kissgame"]),
        Row("per choice, built-in story (<= 6 us = 6x the floor)", fig("built-in"),
            f"naive walker {fig('naive')}", rat["built-in"], 6.0, note=spread["built-in"]),
    ]
    for name in ("bink", "inkjs"):
        rows.append(Row(f"per choice, synthetic N={n:,}, ahead of {name}", fig("kissgame"),
                        f"{name} {fig(name)}" if have[name] else f"{name} not installed",
                        rat[name], 1.0, note=spread[name]))
    return rows


def first_screen(n: int, work: Path, have: dict[str, bool], runs: int) -> list[Row]:
    say(f"\n== 3. whole process to the first story screen, N={n:,}, {runs} round-robin "
        "runs each ==")
    story = work / f"n{n}"
    home = work / f"home-n{n}"
    run([PY, "kg_play.py", str(story / "kg"), "1", "0"], env={"KISSGAME_HOME": str(home)},
        cwd=PEER)  # fill the warm cache
    cmds = ["-c", "kissgame-cold", f"{PY} {PEER / 'kg_play.py'} {story / 'kg'} 1 0 --cold",
            "-c", "kissgame-warm",
            f"KISSGAME_HOME={home} {PY} {PEER / 'kg_play.py'} {story / 'kg'} 1 0",
            "-c", "kissgame-cold-finish",
            f"{PY} {PEER / 'kg_play.py'} {story / 'kg'} 1 0 --cold --finish"]
    if have["bink"]:
        cmds += ["-c", "bink",
                 f"{work / 'binkvenv/bin/python'} {PEER / 'bink_play.py'} "
                 f"{story / 'story.json'} 1 0"]
    if have["inkjs"]:
        cmds += ["-c", "inkjs", f"NODE_PATH={work / 'ink/node_modules'} "
                 f"{shutil.which('node')} {PEER / 'ink_play.js'} {story / 'story.json'} 1 0"]
    out = run([PY, str(PEER / "mproc_bench.py"), "-n", str(runs), "--label",
               f"first screen N={n}", *cmds], cwd=PEER)
    data = last_json(out.stdout)
    if out.returncode != 0 or data is None:
        say(indent(f"mproc_bench failed: {out.stderr.strip()[-600:]}"))
        return [Row(f"cold first screen N={n:,} vs {p}", "-", "-", None, 1.0)
                for p in ("bink", "inkjs")]
    fmt = subprocess.run([PY, str(PEER / "fmt_first.py")], input=out.stdout,
                         capture_output=True, text=True, check=False)
    say(fmt.stdout.rstrip())
    commands = data["commands"]
    cold = commands["kissgame-cold"]["wall_s"]["median"] * 1000
    rows = []
    for peer in ("bink", "inkjs"):
        c = commands.get(peer)
        if c is None:
            rows.append(Row(f"cold first screen N={n:,}, no slower than {peer}", f"{cold:.0f} ms",
                            f"{peer} not installed", None, 1.0))
            continue
        paired = c["ratio_wall_vs_kissgame-cold"]  # peer / cold, run by run
        rows.append(Row(f"cold first screen N={n:,}, no slower than {peer}",
                        f"{cold:.0f} ms", f"{peer} {c['wall_s']['median'] * 1000:.0f} ms",
                        1 / paired["median"], 1.0,
                        note=f"runs {1 / paired['max']:.2f}-{1 / paired['min']:.2f}x"))
    if "bink" in commands:
        bink = commands["bink"]["wall_s"]["median"] * 1000
        for name, what in (("kissgame-warm", "warm first screen (cache filled)"),
                           ("kissgame-cold-finish", "cold, until the whole story is "
                            "loaded, checked and cached")):
            ms = commands[name]["wall_s"]["median"] * 1000
            rows.append(Row(f"{what}, N={n:,}, vs bink", f"{ms:.0f} ms", f"bink {bink:.0f} ms",
                            ms / bink, 1.0, info=True))
    return rows


def explore_cores(repeat: int) -> list[Row]:
    say(f"\n== 4. explore, 1 process against 2 workers (bench/bench_explore_cores.py, "
        f"{repeat} rounds) ==")
    out = run([PY, str(BENCH / "bench_explore_cores.py"), "--jobs", "2", "--repeat",
               str(repeat)], timeout=3600)
    say(indent(out.stdout + (out.stderr[-600:] if out.returncode else "")))
    same = "identical reports: yes" in out.stdout
    note = "" if same else "reports NOT identical or not checked"
    ok = out.returncode == 0 and same
    wall = re.search(r"wall clock: median ([0-9.]+)x", out.stdout)
    critical = re.search(r"critical path \(CPU time\): median ([0-9.]+)x", out.stdout)
    if wall or critical:
        pairs = re.findall(r"(?:wall clock: jobs=1 on one core|measured, one core with jobs=1)"
                           r" +([0-9.]+) s, jobs=\d+ +([0-9.]+) s", out.stdout)
        paths = re.findall(r"critical path[,:]? jobs=1:? +([0-9.]+) s.*?jobs=\d+:? +([0-9.]+) s",
                           out.stdout)
    else:  # the bench's first output: one wall-clock figure
        wall = re.search(r"median ([0-9.]+)x", out.stdout)
        pairs = list(zip(re.findall(r"jobs=1: *([0-9.]+) s wall", out.stdout),
                         re.findall(r"jobs=2: *([0-9.]+) s wall", out.stdout), strict=False))
        paths = []

    def secs(found: list[tuple[str, str]], i: int, what: str) -> str:
        values = [float(pair[i]) for pair in found]
        return f"{statistics.median(values):.1f} s {what}" if values else "-"

    rows = [Row("explore the built-in story, 2 cores vs 1, wall clock (speed-up)",
                secs(pairs, 1, "on 2"), secs(pairs, 0, "on 1"),
                float(wall.group(1)) if wall and ok else None, 1.7, higher_is_better=True,
                note=note)]
    if critical:
        rows.append(Row("explore, 2 cores vs 1, critical path in CPU time (idle cores)",
                        secs(paths, 1, "on 2"), secs(paths, 0, "on 1"),
                        float(critical.group(1)) if ok else None, 1.7,
                        higher_is_better=True, note=note, info=True))
    return rows


def key_to_frame(presses: int) -> list[Row]:
    say(f"\n== 5. key to painted frame, 80x24 pty, no Pilot (bench/key_bench.py, {presses} "
        "interleaved presses) ==")
    out = run([PY, str(BENCH / "key_bench.py"), "--presses", str(presses), "--json"])
    data = last_json(out.stdout)
    if out.returncode != 0 or data is None:
        say(indent(f"key_bench failed: {(out.stdout + out.stderr).strip()[-800:]}"))
        return [Row("key to painted frame vs a minimal Textual app", "-", "-", None, 2.0)]
    ms, p90 = data["ms"], data["p90_ms"]
    say(f"    kissgame {ms['kissgame']:.1f} ms (p90 {p90['kissgame']:.1f}; first byte after "
        f"{data['kissgame_first_byte_ms']:.1f} ms), minimal app "
        f"(a screenful) {ms['screen']:.1f} ms (p90 {p90['screen']:.1f}), minimal app (a line)"
        f" {ms['line']:.1f} ms (p90 {p90['line']:.1f}); next scene's title in "
        f"{data['seen']}/{data['presses']} frames")
    # The aim is read against the minimal app repainting a screenful: a choice paints a
    # new screenful of prose, so that is the same work. One changed line is context.
    return [Row(f"key to painted frame vs a minimal Textual app ({what})",
                f"{ms['kissgame']:.1f} ms", f"minimal {ms[name]:.1f} ms",
                data["ratio"][name], 2.0,
                note=f"paired median {data['paired_ratio'][name]:.2f}x", info=context)
            for name, what, context in (("screen", "one Static, a screenful", False),
                                        ("line", "one Static, a line", True))]


def disk_writes(secs: float) -> list[Row]:
    say(f"\n== 6. disk writes while keys are pressed (bench/session_bench.py, {secs:g} s "
        "a pace) ==")
    out = run([PY, str(BENCH / "session_bench.py"), "--secs", str(secs), "--presses", "1000",
               "--json"])
    data = last_json(out.stdout)
    if out.returncode != 0 or data is None:
        say(indent(f"session_bench failed: {out.stderr.strip()[-600:]}"))
        return [Row("fsyncs a second while playing", "-", "-", None, 1.0)]
    rows = []
    for pace, key in (("50 ms", "every_50ms"), ("700 ms", "every_700ms")):
        rates = data[key]
        total = rates["memory"] + rates["autosave"]
        say(f"    keys every {pace}: branch memory {rates['memory']:.2f} + autosaves "
            f"{rates['autosave']:.2f} fsync/s, UI thread {rates['ui_thread']:.2f} fsync/s, "
            f"{rates['at_close']:.0f} more at close")
        rows.append(Row(f"fsyncs a second, keys every {pace} (branch memory + autosaves)",
                        f"{total:.2f}/s", "aim 1/s", total, 1.0,
                        note=f"UI thread {rates['ui_thread']:.2f}/s"))
    say(f"    a choice key on the UI thread (Session, no Textual): "
        f"{data['session_us']:.1f} us median, slowest {data['slowest_ms']:.1f} ms")
    return rows


# -- the table --------------------------------------------------------------------------

def table(rows: list[Row], markdown: bool) -> str:
    head = ("aim", "kissgame", "peer", "ratio kissgame/peer", "met?", "")
    cells = [(r.aim, r.ours, r.peer, r.ratio_text, r.met, r.note) for r in rows]
    if markdown:
        lines = ["| " + " | ".join(head[:5]) + " | spread |", "|---|---:|---:|---:|---|---|"]
        lines += ["| " + " | ".join(c) + " |" for c in cells]
        return "\n".join(lines)
    widths = [max(len(str(c[i])) for c in [head, *cells]) for i in range(6)]
    fmt = "  ".join(f"{{:{w}}}" for w in widths)
    return "\n".join(fmt.format(*c).rstrip() for c in [head, *cells])


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=10000, help="synthetic story size")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--secs", type=float, default=2.0)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--explore-repeat", type=int, default=2)
    ap.add_argument("--presses", type=int, default=40)
    ap.add_argument("--fsync-secs", type=float, default=30.0)
    ap.add_argument("--skip", default="", help="comma-separated steps to leave out: "
                    "choice,first,explore,keys,disk")
    ap.add_argument("--markdown", action="store_true", help="the table as Markdown too")
    a = ap.parse_args()
    skip = set(filter(None, a.skip.split(",")))
    work = Path(os.environ.get("PEER_DIR") or Path(tempfile.gettempdir()) / "kg-peer-bench")
    commit = run(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"]).stdout.strip()
    started = time.time()
    say(f"bench/aims.py  {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}  "
        f"commit {commit or '?'}  python {platform.python_version()}  cores "
        f"{os.cpu_count()}  load average {' '.join(f'{x:.1f}' for x in os.getloadavg())}")
    from kissgame.resources import default_story_root

    rows: list[Row] = []
    have = setup(a.n, work)
    if "choice" not in skip:
        rows += per_choice(a.n, work, have, a.rounds, a.secs, default_story_root())
    if "first" not in skip:
        rows += first_screen(a.n, work, have, a.runs)
    if "explore" not in skip:
        rows += explore_cores(a.explore_repeat)
    if "keys" not in skip:
        rows += key_to_frame(a.presses)
    if "disk" not in skip:
        rows += disk_writes(a.fsync_secs)
    met = sum(r.met == "met" for r in rows)
    aims = sum(not r.info for r in rows)
    say(f"\n== summary: {met} of {aims} aims met; {(time.time() - started) / 60:.1f} "
        f"min; load average now {' '.join(f'{x:.1f}' for x in os.getloadavg())} ==")
    say(table(rows, markdown=False))
    if a.markdown:
        say("\n" + table(rows, markdown=True))
    return 0


if __name__ == "__main__":
    sys.exit(main())
