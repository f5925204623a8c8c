"""The kissgame command line: play (the default), check, explore, replay, graph, schema, lsp,
new.

Every error it prints starts with ``kissgame: error:``; exit codes are in ``EPILOG``.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

from .completion import SHELLS
from .completion import script as completion_script
from .engine.diagnostics import ERROR, WARNING, display_path
from .explorer import DEFAULT_MAX_STATES, DEFAULT_RUNS
from .printable import PrintableStream, printable
from .resources import default_story_root

EXIT_OK, EXIT_FAIL, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 2, 130

EPILOG = """\
exit codes:
  0    done: check found no errors, explore reached every ending, replay matched
  1    failed: the story has errors, an ending is unreachable, a replay diverged
  2    bad usage: unknown option, missing folder, or no terminal for the full-screen game
  130  interrupted (Ctrl+C)

environment:
  KISSGAME_HOME  one folder for saves, settings, the branch map and the cache
                 (by default they live in your user data and cache folders)
  NO_COLOR       set to anything for no colour, in the full-screen game and in plain mode

completion:
  eval "$(kissgame --print-completion bash)"   (or zsh) in your shell's start-up file
"""


class UsageError(Exception):
    pass


# Everything the other commands print (transcripts, findings, graphs, errors) can hold
# story or file content, so it passes through printable(): no control character from
# a story, a recording or a file name reaches the terminal. These commands own the
# terminal or a protocol stream instead (and show content through their own faces).
RAW_OUTPUT = {None, "play", "serve", "lsp"}


def error(message: str) -> None:
    """Every error the command line prints starts with the program's name."""
    print(f"kissgame: error: {printable(message)}", file=sys.stderr)


def _story_of(recording: Path) -> Path:
    """The story folder a recording sits in (``story/recordings/x.yaml``), else the
    built-in story."""
    for folder in recording.resolve().parents:
        if (folder / "story.yaml").is_file():
            return folder
    return default_story_root()


def _story_dir(value: str | None) -> Path:
    if value is None:
        return default_story_root()
    path = Path(value)
    if not path.exists():
        raise UsageError(f"no such story folder: {value}")
    if path.is_file() and path.name == "story.yaml":
        path = path.parent
    if not path.is_dir():
        raise UsageError(f"not a folder: {value}")
    return path


def _print_findings(findings: list, stream=None) -> None:
    for finding in findings:
        print(finding.format(), file=stream or sys.stdout)


def cmd_check(args: argparse.Namespace) -> int:
    from .checker import check

    root = _story_dir(args.dir)
    if args.watch:
        from .watch import watch_check

        return watch_check(root)
    _result, findings = check(root)
    errors = sum(1 for f in findings if f.severity == ERROR)
    warnings = sum(1 for f in findings if f.severity == WARNING)
    if args.json:
        print(json.dumps({"story": display_path(str(root)), "errors": errors,
                          "warnings": warnings,
                          "diagnostics": [f.to_dict() for f in findings]}, indent=2))
    else:
        _print_findings(findings)
        if findings:
            print(f"{errors} error(s), {warnings} warning(s)", file=sys.stderr)
    return EXIT_FAIL if errors else EXIT_OK


def _load_or_report(root: Path, as_json: bool = False):
    from .cache import load_story_cached

    result = load_story_cached(root)
    if not result.ok:
        errors = [d for d in result.diagnostics if d.severity == ERROR]
        if as_json:
            print(json.dumps({"error": "the story has errors",
                              "diagnostics": [d.to_dict() for d in errors]}, indent=2))
        else:
            error(f"{display_path(str(root))}: the story has errors; run 'kissgame check'")
            _print_findings(errors, sys.stderr)
        return None
    return result.story


def _progress_printer():
    """Progress on stderr, only when a person is watching it."""
    if not sys.stderr.isatty():
        return None, lambda: None

    def show(states: int, waiting: int) -> None:
        print(f"\rexploring: {states} states searched, {waiting} waiting ",
              end="", file=sys.stderr, flush=True)

    def clear() -> None:
        print("\r" + " " * 60 + "\r", end="", file=sys.stderr, flush=True)

    return show, clear


def _cores() -> int:
    """The cores this process may run on (taskset and containers narrow them)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on every platform
        return os.cpu_count() or 1


def _jobs(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number of 1 or more, got {text!r}")
    return int(text)


def cmd_explore(args: argparse.Namespace) -> int:
    from .explorer import explore, story_stats
    from .recording import Recording, run_recording, transcript_text, write_recording

    root = _story_dir(args.dir)
    story = _load_or_report(root, args.json)
    if story is None:
        return EXIT_FAIL
    runs = DEFAULT_RUNS if args.runs is None else args.runs
    show, clear = _progress_printer()
    report = explore(story, max_states=args.max_states, runs=runs, seed=args.seed,
                     progress=show, playthroughs=runs,
                     jobs=args.jobs)
    clear()
    stats = story_stats(story, seed=args.seed) if args.stats and not report.interrupted \
        else None
    if args.write_recordings is not None:
        from .loader import RECORDINGS

        out = Path(args.write_recordings or root / RECORDINGS)
        for eid, path in report.endings.items():
            if path is not None:
                seed = report.ending_seeds.get(eid, args.seed)
                recording = Recording(story.id, seed, path, eid, f"shortest path to {eid}",
                                      transcript=f"{eid}.transcript.txt")
                write_recording(out / f"{eid}.yaml", recording)
                golden = run_recording(story, recording).golden
                (out / f"{eid}.transcript.txt").write_text(transcript_text(golden),
                                                           encoding="utf-8")
    code = EXIT_INTERRUPTED if report.interrupted else EXIT_OK if report.ok else EXIT_FAIL
    if args.json:
        data = report.to_dict()
        data["diagnostics"] = [d.to_dict() for d in report.diagnostics(story)]
        if stats is not None:
            data["stats"] = stats.to_dict()
        print(json.dumps(data, indent=2))
        return code
    _print_explore(story, report, args)
    if stats is not None:
        print(f"stats: {stats.scenes} scenes, {stats.words} words, {stats.endings} endings, "
              f"{stats.choices} choices ({stats.meaningful_choices} change a variable or lead "
              f"somewhere different)")
        print(f"stats: over {stats.playthroughs} random playthroughs: "
              f"{stats.avg_choices:.1f} choices (min {stats.min_choices}, max "
              f"{stats.max_choices}), {stats.avg_words:.0f} words read on average")
    if report.playthroughs is not None and args.runs is not None:
        _print_playthroughs(story, report.playthroughs)
    return code


def _print_explore(story, report, args: argparse.Namespace) -> None:
    if report.interrupted:
        mode = "interrupted (Ctrl+C): what was found so far"
    elif report.exhaustive:
        mode = "exhaustive"
    else:
        mode = (f"not exhaustive: breadth-first to {args.max_states} states, then "
                f"{report.beam_searches} beam search(es) steered toward unfound endings and "
                f"{report.random_runs} random runs"
                f"{f', {report.guided_runs} guided runs' if report.guided_runs else ''}"
                f", seed {args.seed}")
    print(f"{story.title}: explored {report.states_explored} states ({mode})")
    if report.proven:
        print("proven: every reachable state was searched, so what is not listed below "
              "cannot happen (endings, scenes, choices, text, broken assumptions, runtime "
              "errors)")
    else:
        print("not proven: each finding below is real and comes with its path, but what "
              "was not found may still happen (findings marked 'not proven' need the whole "
              "space searched)")
    print(f"scenes reached: {len(report.scenes_reached)}/{report.scenes_total}")
    found = sum(1 for p in report.endings.values() if p is not None)
    print(f"endings reached: {found}/{len(report.endings)}")
    for eid, path in report.endings.items():
        title = story.endings[eid].title
        if path is None:
            print(f"  NOT REACHED  {eid} ({title})")
        else:
            print(f"  {len(path):3d} choices  {eid} ({title}): {' > '.join(path)}")
    total = len(report.arms.arms) if report.arms is not None else 0
    shown = len(report.arms_shown)
    share = f" ({100 * shown / total:.0f}%)" if total else ""
    print(f"text arms shown: {shown}/{total}{share}")
    assumed = sum(len(s.assume) for s in story.scenes.values())
    holds = "" if report.proven or not assumed else " (the others are not proven to hold)"
    print(f"assumptions: {assumed}, broken: {len(report.assumption_failures)}{holds}; "
          f"runtime errors: {len(report.runtime_errors)}")
    print(f"speed: {report.states_per_second:,.0f} states/s ({report.states_visited:,} states "
          f"in {report.seconds:.1f} s, every search), {report.states_per_second_breadth_first:,.0f}"
          f" states/s breadth-first, {report.jobs} process(es)")
    for finding in report.diagnostics(story):
        print(finding.format())


def _print_playthroughs(story, runs) -> None:
    data = runs.to_dict()
    print(f"random playthroughs: {runs.runs} from seed {runs.seed}"
          + (f", {runs.unfinished} did not reach an ending" if runs.unfinished else ""))

    def spread(name: str, unit: str = "") -> str:
        d = data[name]
        return (f"  {name:8} min {d['min']:g}  median {d['median']:g}  max {d['max']:g}"
                f"{unit}")

    print(spread("words"))
    print(spread("choices"))
    print(spread("minutes", "  (at 250 words a minute)"))
    print("  endings:")
    for eid, n in runs.endings.most_common():
        print(f"    {n:5d}  {100 * n / max(1, runs.runs):5.1f}%  {eid}")
    print("  scene visits:")
    for sid in story.scenes:
        print(f"    {runs.scene_hits.get(sid, 0):5d}  {sid}")


def cmd_replay(args: argparse.Namespace) -> int:
    from .recording import (
        RecordingError,
        first_difference,
        read_recording,
        run_recording,
        transcript_path,
        transcript_text,
        write_recording,
    )

    try:
        recording = read_recording(args.file)
    except RecordingError as exc:
        error(str(exc))
        return EXIT_FAIL
    root = _story_dir(args.story) if args.story else _story_of(Path(args.file))
    story = _load_or_report(root)
    if story is None:
        return EXIT_FAIL
    result = run_recording(story, recording)
    print("\n".join(result.golden if args.transcript or args.update else result.transcript))
    if not result.ok:
        error(f"{args.file}: {result.problem}")
        return EXIT_FAIL
    golden = transcript_path(args.file, recording)
    if golden.resolve() == Path(args.file).resolve():
        error(f"{args.file}: 'transcript' names the recording itself; name a .txt file")
        return EXIT_FAIL
    if args.update:
        try:
            golden.write_text(transcript_text(result.golden), encoding="utf-8")
            if recording.transcript is None:
                recording.transcript = golden.name
                write_recording(args.file, recording)
        except OSError as exc:
            error(f"cannot write {display_path(str(golden))}: {exc.strerror or exc}")
            return EXIT_FAIL
        print(f"wrote {display_path(str(golden))}", file=sys.stderr)
        return EXIT_OK
    if recording.transcript is not None:
        try:
            expected = golden.read_text(encoding="utf-8").splitlines()
        except (OSError, UnicodeDecodeError) as exc:
            error(f"{args.file}: cannot read its transcript {display_path(str(golden))}: "
                  f"{getattr(exc, 'strerror', None) or exc}; write it with --update")
            return EXIT_FAIL
        difference = first_difference(expected, result.golden)
        if difference is not None:
            error(f"{display_path(str(golden))}: {difference}\n(the story changed what the "
                  "player reads; if that is intended, rerun with --update)")
            return EXIT_FAIL
        print(f"replayed {len(recording.choices)} choices: ok, transcript matches",
              file=sys.stderr)
        return EXIT_OK
    print(f"replayed {len(recording.choices)} choices: ok", file=sys.stderr)
    return EXIT_OK


def cmd_graph(args: argparse.Namespace) -> int:
    from .graph import to_dot, to_mermaid, to_text

    root = _story_dir(args.dir)
    story = _load_or_report(root)
    if story is None:
        return EXIT_FAIL
    if args.episode and args.episode not in story.episodes and not any(
            s.episode == args.episode for s in story.scenes.values()):
        raise UsageError(f"no episode '{args.episode}' in this story")
    render = {"dot": to_dot, "mermaid": to_mermaid, "text": to_text}[args.format]
    sys.stdout.write(render(story, args.episode))
    return EXIT_OK


def cmd_schema(args: argparse.Namespace) -> int:
    from .schema import story_schema

    story = None
    if args.dir is not None:
        from .loader import load_story

        result = load_story(_story_dir(args.dir))
        if result.story is None:
            error(f"{args.dir}: the story cannot be read; run 'kissgame check'")
            _print_findings([d for d in result.diagnostics if d.severity == ERROR], sys.stderr)
            return EXIT_FAIL
        story = result.story
    print(json.dumps(story_schema(story), indent=2))
    return EXIT_OK


def cmd_lsp(args: argparse.Namespace) -> int:
    from .lsp import serve

    return serve()


def cmd_new(args: argparse.Namespace) -> int:
    from .scaffold import scaffold

    try:
        created = scaffold(Path(args.dir))
    except FileExistsError as exc:
        raise UsageError(str(exc)) from None
    for path in created:
        print(f"created {display_path(str(path))}")
    return EXIT_OK


def _play_plain(root: Path, args: argparse.Namespace) -> int:
    if args.watch or args.debug or args.replay:
        raise UsageError("--plain cannot be combined with --watch, --debug or --replay")
    story = _load_or_report(root)
    if story is None:
        return EXIT_FAIL
    from .plain import run_plain

    for stream in (sys.stdout, sys.stderr):
        if hasattr(stream, "reconfigure"):  # a story's letters must not crash an ASCII pipe
            stream.reconfigure(errors="replace")
    return run_plain(story, sys.stdin, sys.stdout, color=args.color)


def has_terminal() -> bool:
    return sys.stdin.isatty() and sys.stdout.isatty()


def cmd_play(args: argparse.Namespace) -> int:
    root = _story_dir(getattr(args, "dir", None))
    if getattr(args, "plain", False):
        return _play_plain(root, args)
    if not has_terminal():
        raise UsageError("no terminal: standard input or output is not a terminal; "
                         "play line by line with 'kissgame play --plain'")
    if _load_or_report(root) is None:
        return EXIT_FAIL
    from .tui.app import run_app

    return run_app(root, watch=getattr(args, "watch", False),
                   debug=getattr(args, "debug", False),
                   replay_file=getattr(args, "replay", None),
                   replay_speed=getattr(args, "speed", 1.0))


def cmd_serve(args: argparse.Namespace) -> int:
    root = _story_dir(args.dir)
    try:
        from .serve import exposure_warning, serve
    except ImportError:
        raise UsageError("playing in a browser needs the web extra: "
                         "pip install 'kissgame[web]'") from None
    story = _load_or_report(root)
    if story is None:
        return EXIT_FAIL
    if warning := exposure_warning(args.host, args.port):
        print(warning, file=sys.stderr)
    try:
        serve(root, story.title, args.host, args.port)
    except OSError as exc:
        error(f"cannot serve on {args.host}:{args.port}: {exc.strerror or exc}")
        return EXIT_FAIL
    return EXIT_OK


DIR_HELP = "story folder (default: the built-in story)"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="kissgame", description="Play, check and explore branching stories in the "
        "terminal. With no command, plays the built-in story.", epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--version", action="version", version=_version(),
                        help="print the version and exit")
    parser.add_argument("--print-completion", choices=SHELLS, metavar="SHELL",
                        help="print a completion script for bash or zsh and exit")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    def command(name: str, help: str) -> argparse.ArgumentParser:
        return sub.add_parser(name, help=help, description=help[0].upper() + help[1:] + ".",
                              epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)

    p = command("play", "play a story folder in the terminal")
    p.add_argument("dir", nargs="?", metavar="DIR", help=DIR_HELP)
    p.add_argument("--watch", action="store_true", help="reload edited scene files live")
    p.add_argument("--debug", action="store_true", help="enable the debug overlay (F12)")
    p.add_argument("--replay", metavar="FILE", help="play a recording back step by step")
    p.add_argument("--speed", type=float, default=1.0, metavar="SECONDS",
                   help="with --replay: seconds per step, 0.25 to 4 (default 1)")
    p.add_argument("--plain", action="store_true", help="play line by line on standard "
                   "input and output: for screen readers, pipes and scripts")
    p.add_argument("--color", action="store_true", help="with --plain: bold titles and "
                   "coloured speaker names (never when NO_COLOR is set)")
    p.set_defaults(func=cmd_play)

    p = command("serve", "play in a web browser (needs: pip install 'kissgame[web]')")
    p.add_argument("dir", nargs="?", metavar="DIR", help=DIR_HELP)
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default "
                   "127.0.0.1: this machine only; any other address warns first)")
    p.add_argument("--port", type=int, default=8000, help="port to listen on (default 8000)")
    p.set_defaults(func=cmd_serve)

    p = command("check", "lint a story: every error and warning with its place")
    p.add_argument("dir", nargs="?", metavar="DIR", help=DIR_HELP)
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.add_argument("--watch", action="store_true", help="re-check on every save")
    p.set_defaults(func=cmd_check)

    p = command("explore", "search every reachable state; prove endings reachable")
    p.add_argument("dir", nargs="?", metavar="DIR", help=DIR_HELP)
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.add_argument("--runs", type=int, default=None, metavar="N",
                   help="random playthroughs: the reading report (ending distribution, "
                   "words, choices, minutes, scene visits) and the fallback search when the "
                   f"state space is too large (default {DEFAULT_RUNS}; the report is printed "
                   "when given)")
    p.add_argument("--seed", type=int, default=0, metavar="S",
                   help="seed of the random runs and of the story's dice (default 0)")
    p.add_argument("--max-states", type=int, default=DEFAULT_MAX_STATES, metavar="N",
                   help="states to search breadth-first before the guided and random "
                   f"searches (default {DEFAULT_MAX_STATES})")
    p.add_argument("--stats", action="store_true", help="also report story size and "
                   "average choices and words per playthrough")
    p.add_argument("--write-recordings", metavar="DIR", nargs="?", const="",
                   help="write the shortest path to each ending as a recording in DIR "
                   "(default: the story's recordings/ folder)")
    p.add_argument("--jobs", type=_jobs, default=_cores(), metavar="N",
                   help="processes to search with; the findings are the same for any N "
                   "(default: the cores this process may use, here %(default)s)")
    p.set_defaults(func=cmd_explore)

    p = command("replay", "replay a recording headless and print the transcript")
    p.add_argument("file", metavar="FILE",
                   help="a recording (YAML), as exported by the game or by explore")
    p.add_argument("--story", metavar="DIR", help="story folder (default: the one the "
                   "recording is in, else the built-in story)")
    p.add_argument("--transcript", action="store_true", help="print the canonical transcript "
                   "(the format of golden transcript files)")
    p.add_argument("--update", action="store_true", help="write the golden transcript the "
                   "recording names (or NAME.transcript.txt beside it, named in the recording)")
    p.set_defaults(func=cmd_replay)

    p = command("graph", "print the scene graph for Graphviz, Mermaid or the terminal")
    p.add_argument("dir", nargs="?", metavar="DIR", help=DIR_HELP)
    p.add_argument("--format", choices=["dot", "mermaid", "text"], default="dot",
                   help="output format (default dot)")
    p.add_argument("--episode", metavar="ID", help="draw only this episode")
    p.set_defaults(func=cmd_graph)

    p = command("schema", "print the JSON Schema of story files")
    p.add_argument("dir", nargs="?", metavar="DIR", help="a story folder: its scene ids, "
                   "endings and speakers become enums")
    p.set_defaults(func=cmd_schema)

    p = command("lsp", "a language server for story folders, over stdio")
    p.set_defaults(func=cmd_lsp)

    p = command("new", "scaffold a new story folder that passes check and explore")
    p.add_argument("dir", metavar="DIR", help="the folder to create")
    p.set_defaults(func=cmd_new)
    return parser


def _version() -> str:
    from . import __version__

    return f"kissgame {__version__}"


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    stderr = sys.stderr
    sys.stderr = PrintableStream(stderr)  # a usage error echoes the arguments given
    try:
        args = parser.parse_args(argv)
    finally:
        sys.stderr = stderr
    if args.print_completion:
        sys.stdout.write(completion_script(args.print_completion, parser))
        return EXIT_OK
    if args.command is None:
        args.func, args.dir = cmd_play, None
    streams = sys.stdout, sys.stderr
    if args.command not in RAW_OUTPUT:
        sys.stdout, sys.stderr = PrintableStream(sys.stdout), PrintableStream(sys.stderr)
    try:
        return args.func(args)
    except UsageError as exc:
        error(str(exc))
        return EXIT_USAGE
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return EXIT_OK
    finally:
        sys.stdout, sys.stderr = streams


if __name__ == "__main__":
    sys.exit(main())
