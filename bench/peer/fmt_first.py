"""Summarise mproc_bench.py's JSON line (stdin) for run.sh's first-screen step.

Ratios are paired: run by run within the same round, then the median (ratio_*_vs_ the
first command, kissgame-cold); a peer that was not installed is absent."""
import json
import sys

d = json.loads(sys.stdin.read().splitlines()[-1])["commands"]
for name, c in d.items():
    w = c["wall_s"]
    r = c.get("ratio_wall_vs_kissgame-cold")
    rs = f"  peer/cold {r['median']:.2f}x [{r['min']:.2f}-{r['max']:.2f}]" if r else ""
    print(f"  {name:14} wall median {w['median'] * 1000:7.0f} ms"
          f"  [{w['min'] * 1000:.0f}-{w['max'] * 1000:.0f}]  peak {c['peak_mib']['median']:.0f} MiB"
          f"  rc {c['rc']}{rs}")
    out = c.get("warmup_stdout")
    if out and name.startswith("kissgame"):
        print(f"      {out.splitlines()[-1][:200]}")
