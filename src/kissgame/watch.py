"""Noticing edits to a story folder, and `kissgame check --watch`.

Polling file stamps twice a second is plenty for a person saving in an editor,
works the same on every platform and filesystem, and needs no extra dependency.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from pathlib import Path

from .loader import MANIFEST, story_files

Stamp = dict[str, tuple[int, int]]


def snapshot(root: Path) -> Stamp:
    """Each story file's modification time and size."""
    stamps: Stamp = {}
    for path in [root / MANIFEST, *story_files(root)]:
        try:
            info = path.stat()
        except OSError:
            continue
        stamps[str(path)] = (info.st_mtime_ns, info.st_size)
    return stamps


class StoryWatcher:
    """Tells whether any story file was added, removed or changed since the last look."""

    def __init__(self, root: Path):
        self.root = root
        self.last = snapshot(root)

    def changed(self) -> bool:
        now = snapshot(self.root)
        if now != self.last:
            self.last = now
            return True
        return False


def findings_diff(before: list[str], after: list[str]) -> tuple[list[str], list[str]]:
    """(new findings, fixed findings), each in the order the checker prints them."""
    old, new = set(before), set(after)
    return [f for f in after if f not in old], [f for f in before if f not in new]


def watch_check(root: Path, interval: float = 0.5, rounds: int | None = None,
                out: Callable[[str], None] | None = None) -> int:
    """Check now, then again after every save, printing only what changed."""
    from .checker import check

    write = out or (lambda line: print(line, flush=True))
    watcher = StoryWatcher(root)
    _result, found = check(root)
    previous = [f.format() for f in found]
    for line in previous:
        write(line)
    write(f"-- watching {root} ({len(previous)} finding(s)); Ctrl-C to stop")
    done = 0
    try:
        while rounds is None or done < rounds:
            time.sleep(interval)
            done += 1
            if not watcher.changed():
                continue
            _result, found = check(root)
            current = [f.format() for f in found]
            added, fixed = findings_diff(previous, current)
            stamp = time.strftime("%H:%M:%S")
            if not added and not fixed:
                write(f"-- {stamp} saved; no change in findings ({len(current)})")
            for line in fixed:
                write(f"fixed: {line}")
            for line in added:
                write(f"new:   {line}")
            if added or fixed:
                write(f"-- {stamp} {len(current)} finding(s)")
            previous = current
    except KeyboardInterrupt:
        sys.stdout.write("\n")
    return 0
