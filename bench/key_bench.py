"""Key to painted frame in a real terminal: kissgame's choice key against a minimal Textual app.

usage: python bench/key_bench.py [--story DIR] [--presses N] [--quiet MS] [--json]

No Pilot: each app runs as its own process in a pseudo-terminal (80x24,
TERM=xterm-256color) with Textual's ordinary terminal driver, exactly as a player
starts it. The bench writes a key's bytes to the terminal and reads what the app writes
back until the output has been quiet for ``--quiet`` ms; the latency is the time from
writing the key to the LAST byte of that output (the repainted frame has arrived), so
the quiet wait itself is not counted.

- kissgame: the story (default: the built-in one) with a fixed seed and instant text;
  after "n" (new game) every press is a choice key. The bench plays the same seeded
  path with the engine beside it, so it knows which keys are choices and what the next
  scene is titled; a press counts as "seen" when that title is in the frame's text.
  At an ending it rewinds (not timed).
- minimal: a Textual app with one Static whose text changes on every digit key.

Presses alternate between the two apps (ABAB..., the order swapping each round), so
both see the same machine load; the figure is the median of kissgame's latencies over
the median of the minimal app's, and the median of the paired ratios. Read the ratio.
A throw-away KISSGAME_HOME is used.
"""

from __future__ import annotations

import argparse
import contextlib
import fcntl
import json
import os
import random
import re
import select
import shutil
import signal
import statistics
import struct
import subprocess
import sys
import tempfile
import termios
import time
from pathlib import Path

HERE = Path(__file__).resolve()
ANSI = re.compile(rb"\x1b(\[[0-9;?<>=]*[ -/]*[@-~]|\][^\x07\x1b]*(\x07|\x1b\\)|P[^\x1b]*\x1b\\|.)")

# -- the apps, run in the child -------------------------------------------------------

MINIMAL_TEXTS = [
    "It is raining at the airport and nobody has noticed yet.",
    "The dorm smells like ramyeon and secrets.",
    "New girl. Try not to fall in love with anyone.",
    "Dae is three steps ahead, as usual.",
]


def child_minimal(fill: bool) -> None:
    """One Static that changes on every digit key: a line of text, or (``fill``) a
    screenful of prose, so the whole terminal is repainted as a new scene is."""
    from textual.app import App, ComposeResult
    from textual.widgets import Static

    class Minimal(App):
        CSS = "#text { height: 1fr; }" if fill else ""
        count = 0

        def compose(self) -> ComposeResult:
            yield Static("Press a digit.", id="text")

        def on_key(self, event) -> None:
            if event.character and event.character.isdigit():
                self.count += 1
                texts = MINIMAL_TEXTS[self.count % 4:] + MINIMAL_TEXTS[:self.count % 4]
                text = " ".join(texts * 8) if fill else texts[0]
                self.query_one("#text", Static).update(f"Scene {self.count}: {text}")
            elif event.key == "q":
                self.exit()

    Minimal().run()


def child_kissgame(story: str, seed: int) -> None:
    from kissgame.settings import Settings
    from kissgame.tui.app import make_app

    make_app(Path(story), seed=seed, settings=Settings(reveal="instant")).run()


# -- the terminal -----------------------------------------------------------------------

class Terminal:
    """One app in a pseudo-terminal of 80x24."""

    def __init__(self, argv: list[str], env: dict[str, str]) -> None:
        master, slave = os.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 80, 0, 0))
        self.proc = subprocess.Popen(argv, stdin=slave, stdout=slave, stderr=slave, env=env,
                                     start_new_session=True, close_fds=True)
        os.close(slave)
        self.fd = master
        self.first_latency: float | None = None
        self.screen = b""  # everything written since the last press
        self.first: float | None = None  # when the first byte of it came

    def read_until_quiet(self, quiet: float, limit: float = 30.0,
                         want: bytes | None = None) -> float | None:
        """Read until ``quiet`` s pass with no output (and ``want`` was seen, if given);
        returns the perf_counter time of the last byte, or None when nothing came."""
        last = None
        self.first = None
        start = time.perf_counter()
        while True:
            now = time.perf_counter()
            if now - start > limit:
                return last
            waiting = quiet if last is not None else limit - (now - start)
            if last is not None:
                waiting = max(0.0, last + quiet - now)
            ready, _, _ = select.select([self.fd], [], [], waiting)
            if ready:
                try:
                    chunk = os.read(self.fd, 65536)
                except OSError:
                    return last
                if not chunk:
                    return last
                last = time.perf_counter()
                self.first = self.first or last
                self.screen += chunk
                continue
            if last is not None and (want is None or want in self.text()):
                return last
            if last is None and time.perf_counter() - start > limit:
                return None

    def text(self) -> bytes:
        return ANSI.sub(b"", self.screen)

    def press(self, key: bytes, quiet: float, want: bytes | None = None) -> float | None:
        """Latency of one key: write it, wait for the output to go quiet."""
        self.screen = b""
        t0 = time.perf_counter()
        os.write(self.fd, key)
        last = self.read_until_quiet(quiet, limit=10.0)
        self.first_latency = None if self.first is None else self.first - t0
        return None if last is None else last - t0

    def close(self) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.proc.pid, signal.SIGTERM)
        try:
            self.proc.wait(5)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()
        os.close(self.fd)


# -- the game beside it -----------------------------------------------------------------

class Path_:
    """The engine playing the same seeded path as the app, to know the next key."""

    def __init__(self, story_root: Path, seed: int) -> None:
        from kissgame.cache import load_story_cached
        from kissgame.engine import new_game

        result = load_story_cached(story_root)
        assert result.ok and result.story is not None, "the story does not load"
        self.story = result.story
        self.state = new_game(self.story, seed)
        self.rng = random.Random(seed)

    def beat(self):
        from kissgame.engine import current

        return current(self.story, self.state)

    def next_key(self) -> tuple[bytes, bytes, bool]:
        """(key, a text the next frame shows, is it a choice)."""
        from kissgame.engine import choose, rewind

        beat = self.beat()
        if beat.ended:
            self.state = rewind(self.story, self.state, 1)
            return b"r", b"", False
        keys = [i for i, c in enumerate(beat.choices, start=1) if c.enabled and i <= 9]
        if not keys:
            self.state = rewind(self.story, self.state, 1)
            return b"r", b"", False
        number = self.rng.choice(keys)
        self.state = choose(self.story, self.state, beat.choices[number - 1].id)
        title = self.beat().title or ""
        return str(number).encode(), title.encode("utf-8")[:30], True


BASELINES = {"screen": "a screenful of text", "line": "one line of text"}


def measure(story: Path, presses: int, quiet: float, seed: int = 3) -> dict:
    home = Path(tempfile.mkdtemp(prefix="kg-key-bench-"))
    env = dict(os.environ, KISSGAME_HOME=str(home), TERM="xterm-256color",
               COLUMNS="80", LINES="24")
    os.environ["KISSGAME_HOME"] = str(home)
    path = Path_(story, seed)
    me = [sys.executable, str(HERE), "--child"]
    terms = {"kissgame": Terminal([*me, "kissgame", str(story), str(seed)], env)}
    for name in BASELINES:
        terms[name] = Terminal([*me, f"minimal-{name}", "-", "0"], env)
    kg = terms["kissgame"]
    times: dict[str, list[float]] = {name: [] for name in terms}
    first_byte: list[float] = []
    pairs: dict[str, list[float]] = {name: [] for name in BASELINES}
    seen = rounds = 0
    try:
        for name, term in terms.items():
            want = b"New game" if term is kg else b"Press a digit"
            if term.read_until_quiet(0.5, limit=90, want=want) is None:
                raise SystemExit(f"{name} did not start in the terminal:\n"
                                 + term.text().decode(errors="replace"))
        first = path.beat().title.encode("utf-8")[:30]
        kg.press(b"n", 0.5)
        if first not in kg.text():
            kg.read_until_quiet(0.5, limit=10, want=first)
        while len(times["kissgame"]) < presses:
            key, title, is_choice = path.next_key()
            if not is_choice:
                kg.press(key, quiet)
                continue
            rounds += 1
            names = list(terms)
            shift = rounds % len(names)
            got: dict[str, float | None] = {}
            for name in names[shift:] + names[:shift]:
                got[name] = terms[name].press(key if name == "kissgame"
                                              else str(rounds % 10).encode(), quiet)
                if name == "kissgame":
                    seen += bool(title) and title in kg.text()
                    if kg.first_latency is not None:
                        first_byte.append(kg.first_latency)
            if any(value is None for value in got.values()):
                continue
            for name, value in got.items():
                assert value is not None
                times[name].append(value)
            for name in BASELINES:
                pairs[name].append(got["kissgame"] / got[name])  # type: ignore[operator]
    finally:
        for term in terms.values():
            term.close()
        shutil.rmtree(home, ignore_errors=True)
    med = {name: statistics.median(values) for name, values in times.items()}
    p90 = {name: sorted(values)[int(0.9 * (len(values) - 1))]
           for name, values in times.items()}
    return {"presses": len(times["kissgame"]), "seen": seen, "quiet_ms": quiet * 1000,
            "kissgame_first_byte_ms": statistics.median(first_byte) * 1000,
            "ms": {name: value * 1000 for name, value in med.items()},
            "p90_ms": {name: value * 1000 for name, value in p90.items()},
            "ratio": {name: med["kissgame"] / med[name] for name in BASELINES},
            "paired_ratio": {name: statistics.median(pairs[name]) for name in BASELINES}}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--child", nargs=3, help=argparse.SUPPRESS)
    parser.add_argument("--story", help="story folder (default: the built-in story)")
    parser.add_argument("--presses", type=int, default=60)
    parser.add_argument("--quiet", type=float, default=150, help="ms of silence that ends "
                        "a frame (not counted in the latency)")
    parser.add_argument("--json", action="store_true", help="print one JSON line")
    args = parser.parse_args()
    if args.child:
        kind, story, seed = args.child
        if kind == "kissgame":
            child_kissgame(story, int(seed))
        else:
            child_minimal(kind == "minimal-screen")
        return 0
    from kissgame.resources import default_story_root

    story = Path(args.story) if args.story else default_story_root()
    result = measure(story, args.presses, args.quiet / 1000)
    if args.json:
        print(json.dumps(result))
        return 0
    ms, p90 = result["ms"], result["p90_ms"]
    print(f"key to painted frame in an 80x24 pty, median of {result['presses']} interleaved "
          f"presses (a frame ends after {result['quiet_ms']:.0f} ms of quiet, not counted)")
    print(f"  kissgame choice key (next scene): {ms['kissgame']:6.1f} ms "
          f"(p90 {p90['kissgame']:.1f}); the next scene's title was in "
          f"{result['seen']}/{result['presses']} frames; its first byte came after "
          f"{result['kissgame_first_byte_ms']:.1f} ms")
    for name, what in BASELINES.items():
        print(f"  minimal Textual app, one Static shows {what}: {ms[name]:6.1f} ms "
              f"(p90 {p90[name]:.1f}); kissgame/this {result['ratio'][name]:.2f}x "
              f"(median of paired ratios {result['paired_ratio'][name]:.2f}x)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
