"""TUI benchmark: start-up to the title screen, and choice key to next scene.

Figures are ratios against a baseline measured in the same run, never absolute limits:

1. Launch: a fresh ``python`` process builds the app, shows the title screen, waits for
   its first frame and exits. The baseline is a minimal Textual app (one screen with a
   menu) started the same way: same interpreter, same headless driver, same 80x24
   size, same hook. Timed from spawning the process to its exit (wall clock), and in
   process from the first line of the child to the painted frame. Runs interleave:
   minimal, kissgame warm (its compiled-story cache filled once before), kissgame cold
   (every cold launch gets a new, empty KISSGAME_HOME and XDG_CACHE_HOME, so no cache
   and no saves: what a first start after installing does).
2. Choice latency: with Pilot, the median time from pressing a choice key to the
   next scene having been rendered (``pilot.press`` returns once the app is idle
   again). The baseline is the same press of a key that nothing is bound to, on the
   same play screen, so the ratio and the difference isolate the game's own work.
   Pilot waits in steps of its own, so this is NOT the key-to-frame latency a player
   sees: bench/key_bench.py measures that in a real terminal.

Run: ``.venv/bin/python bench/tui_bench.py [--story DIR] [--runs N] [--presses N]``.
KISSGAME_HOME is pointed at a temporary folder so no real saves are touched.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve()
ROOT = HERE.parents[1]


# -- child process: start, paint the first frame of the title, exit ------------------

def child(kind: str, story: str) -> None:
    started = time.perf_counter()
    if kind == "kissgame":
        from kissgame.tui.app import make_app
        from kissgame.tui.screens.title import TitleScreen

        app = make_app(Path(story))
        target: type = TitleScreen
    else:
        from textual.app import App
        from textual.screen import Screen
        from textual.widgets import Footer, OptionList, Static

        class MinimalScreen(Screen):
            def compose(self):
                yield Static("Minimal")
                yield OptionList("New game", "Continue", "Quit")
                yield Footer()

        class MinimalApp(App):
            def on_mount(self) -> None:
                self.push_screen(MinimalScreen())

        app = MinimalApp()
        target = MinimalScreen

    async def first_frame(pilot) -> None:
        while not isinstance(pilot.app.screen, target):
            await asyncio.sleep(0.0005)
        painted = asyncio.get_running_loop().create_future()
        pilot.app.screen.call_after_refresh(painted.set_result, None)
        await painted
        print(f"{time.perf_counter() - started:.6f}", flush=True)
        pilot.app.exit()

    app.run(headless=True, size=(80, 24), auto_pilot=first_frame)


def launch(kind: str, story: Path, env: dict) -> tuple[float, float]:
    t0 = time.perf_counter()
    out = subprocess.run([sys.executable, str(HERE), "--child", kind, str(story)],
                         capture_output=True, text=True, env=env, check=True)
    wall = time.perf_counter() - t0
    return wall, float(out.stdout.strip().splitlines()[-1])


# -- choice latency --------------------------------------------------------------------

async def choice_latency(story: Path, presses: int, seed: int) -> dict[str, float]:
    from kissgame.settings import Settings
    from kissgame.tui.app import make_app

    rng = random.Random(seed)
    app = make_app(story, seed=seed, settings=Settings(reveal="instant"))
    choice_times: list[float] = []
    idle_times: list[float] = []
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("enter")  # New game
        while len(choice_times) < presses:
            beat = app.beat()
            if beat is None or beat.ended:
                await pilot.press("r")
                continue
            enabled = [i for i, c in enumerate(beat.choices, start=1)
                       if c.enabled and i <= 9]
            if not enabled:
                await pilot.press("r")
                continue
            t0 = time.perf_counter()
            await pilot.press("z")  # bound to nothing: the baseline
            idle_times.append(time.perf_counter() - t0)
            before = app.state
            t0 = time.perf_counter()
            await pilot.press(str(rng.choice(enabled)))
            elapsed = time.perf_counter() - t0
            if app.state is not before:
                choice_times.append(elapsed)
    return {"choice": statistics.median(choice_times), "idle": statistics.median(idle_times),
            "n": len(choice_times)}


def engine_step(story_root: Path, n: int = 2000) -> float:
    """Median engine-only cost of choose() + current(), for reference."""
    from kissgame.cache import load_story_cached
    from kissgame.engine import available_choice_ids, choose, current, new_game

    story = load_story_cached(story_root).story
    rng = random.Random(1)
    state = new_game(story, 1)
    times = []
    for _ in range(n):
        ids = available_choice_ids(story, state)
        if not ids or story.scenes[state.scene].ending:
            state = new_game(story, rng.randrange(1, 1000))
            continue
        t0 = time.perf_counter()
        state = choose(story, state, rng.choice(ids))
        current(story, state)
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def fixture_story(folder: Path) -> Path:
    sys.path.insert(0, str(ROOT / "tests" / "tui"))
    from conftest import write_story  # the tests' tiny two-episode story

    return write_story(folder / "tiny")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--child", nargs=2, metavar=("KIND", "STORY"), help=argparse.SUPPRESS)
    parser.add_argument("--story", help="story folder (default: the built-in story, or the "
                        "test fixture if the built-in story does not load)")
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--presses", type=int, default=200)
    parser.add_argument("--launch-only", action="store_true", help="skip the Pilot presses")
    args = parser.parse_args()
    if args.child:
        child(*args.child)
        return 0

    home = Path(tempfile.mkdtemp(prefix="kissgame-bench-"))
    os.environ["KISSGAME_HOME"] = str(home)
    env = dict(os.environ)
    env.pop("COLUMNS", None)
    env.pop("LINES", None)

    from kissgame.cache import load_story_cached
    from kissgame.resources import default_story_root

    story = Path(args.story) if args.story else default_story_root()
    result = load_story_cached(story)
    if not result.ok:
        print(f"(the story at {story} does not load; using the test fixture story)")
        story = fixture_story(home)
        result = load_story_cached(story)
    assert result.ok and result.story is not None
    print(f"story: {result.story.title} ({len(result.story.scenes)} scenes)")
    print(f"python {sys.version.split()[0]}, textual "
          f"{__import__('textual').__version__}, {args.runs} runs each\n")

    # The parent filled the warm home's cache above; each cold launch gets empty folders.
    launch("minimal", story, env)
    launch("kissgame", story, env)
    walls: dict[str, list[float]] = {"kissgame": [], "minimal": [], "cold": []}
    inprocs: dict[str, list[float]] = {"kissgame": [], "minimal": [], "cold": []}
    for _ in range(args.runs):
        for kind in ("minimal", "kissgame", "cold"):
            if kind == "cold":
                empty = Path(tempfile.mkdtemp(prefix="kissgame-cold-"))
                wall, inproc = launch("kissgame", story, dict(
                    env, KISSGAME_HOME=str(empty), XDG_CACHE_HOME=str(empty / "xdg")))
                shutil.rmtree(empty, ignore_errors=True)
            else:
                wall, inproc = launch(kind, story, env)
            walls[kind].append(wall)
            inprocs[kind].append(inproc)
    med = {k: statistics.median(v) for k, v in walls.items()}
    med_in = {k: statistics.median(v) for k, v in inprocs.items()}
    print("launch to first title frame (median, interleaved)")
    for kind, label in (("minimal", "minimal Textual app"),
                        ("kissgame", "kissgame, warm cache"),
                        ("cold", "kissgame, cold (empty)")):
        print(f"  {label:23} {med[kind] * 1000:7.1f} ms wall, "
              f"{med_in[kind] * 1000:6.1f} ms in process, "
              f"{med[kind] / med['minimal']:.2f}x / "
              f"{med_in[kind] / med_in['minimal']:.2f}x the minimal app")
    print()
    if args.launch_only:
        return 0

    lat = asyncio.run(choice_latency(story, args.presses, seed=3))
    step = engine_step(story)
    print(f"choice key to next scene rendered (Pilot, median of {lat['n']})")
    print(f"  unbound key (baseline): {lat['idle'] * 1000:6.1f} ms")
    print(f"  choice key:             {lat['choice'] * 1000:6.1f} ms")
    print(f"  ratio choice/baseline:  {lat['choice'] / lat['idle']:.2f}x "
          f"(+{(lat['choice'] - lat['idle']) * 1000:.1f} ms of game work)")
    print(f"  engine alone (choose + current): {step * 1e6:.0f} us")
    return 0


if __name__ == "__main__":
    sys.exit(main())
