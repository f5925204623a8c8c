#!/usr/bin/env bash
# kissgame beside two Ink runtimes (inkjs 2.4.0 in Node, bink 0.7.1: Rust via Python) and a
# naive Python dict walker (the floor), on the SAME synthetic story taking the SAME path.
#
# usage (from the project root):  bash bench/peer/run.sh [N ...]     default N: 1000 10000
# env: PEER_DIR  installs and generated stories (default ${TMPDIR:-/tmp}/kg-peer-bench);
#                nothing is written in the checkout, no peer code is kept in it
#      PY        the Python with kissgame installed (default .venv/bin/python, else python)
#      SECS      seconds of play per process and round (default 3); ROUNDS (default 3)
#      RUNS      whole-process runs per command for the first-screen step (default 5)
#      SETUP_ONLY=1  install, generate and check the digests only (bench/aims.py)
#
# 1. gen_story.py writes one story as Ink and as YAML; ink_compile.js compiles the Ink;
#    to_kissgame.py converts the YAML to a kissgame story folder (same graph and prose).
# 2. Same path: every engine plays 20,000 choices with xorshift32(7) and hashes what a player
#    sees (prose, every label, the pick); the digests must be equal or the script stops.
# 3. Per choice with the prose rendered and every label read: interleaved rounds (one process
#    per engine per round), figures as ratios inside each round.
# 4. Whole process to the first story screen, round-robin (mproc_bench.py): kissgame with a
#    warm cache and cold (an empty cache folder: only what the first screen needs is
#    compiled), cold-finish (the same, then waiting for the whole check and the cache
#    write the TUI runs after its first frame), inkjs, bink and the naive walker. A runtime that cannot be installed is left out and said so.
set -uo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
W="${PEER_DIR:-${TMPDIR:-/tmp}/kg-peer-bench}"
if [ -z "${PY:-}" ]; then
  if [ -x "$ROOT/.venv/bin/python" ]; then PY="$ROOT/.venv/bin/python"; else PY="$(command -v python)"; fi
fi
SECS="${SECS:-3}"; ROUNDS="${ROUNDS:-3}"; RUNS="${RUNS:-5}"; NS="${*:-1000 10000}"
mkdir -p "$W"
export NODE_PATH="$W/ink/node_modules"
HAVE_INK=1; HAVE_BINK=1
if [ ! -f "$W/ink/node_modules/inkjs/package.json" ]; then
  mkdir -p "$W/ink" && (cd "$W/ink" && npm init -y >/dev/null 2>&1 &&
    npm install --no-audit --no-fund inkjs@2.4.0 >/dev/null 2>&1) || HAVE_INK=0
fi
command -v node >/dev/null || HAVE_INK=0
BPY="$W/binkvenv/bin/python"
if ! "$BPY" -c 'import bink.story' 2>/dev/null; then
  { python3 -m venv "$W/binkvenv" && "$W/binkvenv/bin/pip" install -q bink==0.7.1; } >/dev/null 2>&1 || HAVE_BINK=0
  "$BPY" -c 'import bink.story' 2>/dev/null || HAVE_BINK=0
fi
[ $HAVE_INK = 1 ] || echo "!! inkjs could not be installed here: left out (naive walker still compared)"
[ $HAVE_BINK = 1 ] || echo "!! bink could not be installed here: left out (naive walker still compared)"
echo "python: $("$PY" -c 'import sys; print(sys.version.split()[0])')  kissgame: $("$PY" -c 'from importlib.metadata import version; print(version("kissgame"))')  load: $(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null)  cores: $(nproc)"
cd "$HERE"
for N in $NS; do
  D="$W/n$N"
  if [ ! -f "$D/kg/story.yaml" ] || { [ $HAVE_INK = 1 ] && [ ! -f "$D/story.json" ]; }; then
    python3 gen_story.py "$N" 42 "$D" >/dev/null
    [ $HAVE_INK = 1 ] && node ink_compile.js "$D/story.ink" 1 "$D/story.json" >/dev/null
    rm -rf "$D/kg"; "$PY" to_kissgame.py "$D/yaml" "$D/kg" >/dev/null
  fi
  KGH="$W/home-n$N"  # the warm cache of this story
  echo "== N=$N: same path (20,000 choices hashed) =="
  engines="python kissgame"; [ $HAVE_BINK = 1 ] && engines="bink $engines"; [ $HAVE_INK = 1 ] && engines="inkjs $engines"
  digests=""
  for e in $engines; do
    case $e in
      inkjs) out=$(node ink_play.js "$D/story.json" 7 0 --check 20000) ;;
      bink) out=$("$BPY" bink_play.py "$D/story.json" 7 0 --check 20000) ;;
      python) out=$("$PY" py_engine.py "$D/yaml" 7 0 --check 20000) ;;
      kissgame) out=$(KISSGAME_HOME="$KGH" "$PY" kg_play.py "$D/kg" 7 0 --check 20000) ;;
    esac
    h=$(echo "$out" | tail -n 1 | python3 -c 'import json,sys; d=json.loads(sys.stdin.read()); print(d.get("sha256") or d.get("digest") or d)')
    echo "  $e $h"; digests="$digests $h"
  done
  [ "$(echo $digests | tr ' ' '\n' | sort -u | wc -l)" = 1 ] || { echo "digests differ: not the same path, stopping"; exit 1; }
  [ -n "${SETUP_ONLY:-}" ] && continue  # bench/aims.py times the rest itself
  echo "== N=$N: per choice, prose + labels, $ROUNDS interleaved rounds of $SECS s =="
  cps() { tail -n 1 | python3 -c 'import json,sys; print(json.loads(sys.stdin.read())["choices_per_s"])'; }
  for r in $(seq 1 "$ROUNDS"); do
    i=0; b=0
    [ $HAVE_INK = 1 ] && i=$(node ink_play.js "$D/story.json" 7 "$SECS" | cps)
    [ $HAVE_BINK = 1 ] && b=$("$BPY" bink_play.py "$D/story.json" 7 "$SECS" | cps)
    n=$("$PY" py_engine.py "$D/yaml" 7 "$SECS" | cps)
    k=$(KISSGAME_HOME="$KGH" "$PY" kg_play.py "$D/kg" 7 "$SECS" | cps)
    python3 - "$r" "$i" "$b" "$n" "$k" <<'PYEOF'
import sys
r, (i, b, n, k) = sys.argv[1], map(float, sys.argv[2:])
us = lambda cps: f"{1e6 / cps:.1f}" if cps else "-"
line = f"  round {r}: us/choice kissgame {us(k)}  bink {us(b)}  inkjs {us(i)}  naive {us(n)}"
line += f"   kissgame/naive {n / k:.2f}x"
line += f"  bink/kissgame {k / b:.2f}x" if b else ""
line += f"  inkjs/kissgame {k / i:.2f}x" if i else ""
print(line)
PYEOF
  done
  echo "== N=$N: whole process to the first story screen, $RUNS round-robin runs each =="
  KISSGAME_HOME="$KGH" "$PY" kg_play.py "$D/kg" 1 0 >/dev/null  # fill the warm cache
  cmds=(-c kissgame-cold "$PY $HERE/kg_play.py $D/kg 1 0 --cold"
        -c kissgame-cold-finish "$PY $HERE/kg_play.py $D/kg 1 0 --cold --finish"
        -c kissgame-warm "KISSGAME_HOME=$KGH $PY $HERE/kg_play.py $D/kg 1 0"
        -c naive "$PY $HERE/py_engine.py $D/yaml 1 0")
  [ $HAVE_INK = 1 ] && cmds+=(-c inkjs "$(command -v node) $HERE/ink_play.js $D/story.json 1 0")
  [ $HAVE_BINK = 1 ] && cmds+=(-c bink "$BPY $HERE/bink_play.py $D/story.json 1 0")
  python3 mproc_bench.py -n "$RUNS" --label "first screen N=$N" "${cmds[@]}" | python3 "$HERE/fmt_first.py"
done
