"""Writing files so that a crash leaves the old version or the new one, never half."""

from __future__ import annotations

import contextlib
import os
import tempfile
import time
from pathlib import Path

STALE_SECONDS = 60.0
"""A temporary file this old is a leftover: a write takes milliseconds."""


def write_atomic(path: Path, data: str | bytes, keep_backup: bool = False) -> None:
    """Write ``data`` to ``path`` so that a crash leaves the old file or the new, never half.

    With ``keep_backup`` the previous file, if any, is kept as ``path + '.bak'``.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data.encode("utf-8") if isinstance(data, str) else data)
            handle.flush()
            os.fsync(handle.fileno())
        if keep_backup and path.exists():
            backup = path.with_name(path.name + ".bak")
            # A hard link keeps the old bytes under the backup name without copying them;
            # the slot itself is never missing, even for a moment.
            bak_tmp = backup.with_name(backup.name + ".tmp")
            with contextlib.suppress(FileNotFoundError):
                os.unlink(bak_tmp)
            try:
                os.link(path, bak_tmp)
            except OSError:  # no hard links on this filesystem: copy instead
                bak_tmp.write_bytes(path.read_bytes())
            os.replace(bak_tmp, backup)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    _fsync_dir(path.parent)


def _fsync_dir(folder: Path) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def clean_stale(folder: Path, now: float | None = None) -> int:
    """Delete the temporaries that interrupted writes left in ``folder``; returns how many.

    Only names this module makes are touched (``.NAME.XXXX.tmp`` and ``NAME.bak.tmp``),
    and only when older than ``STALE_SECONDS``, so a write in progress in another
    process is left alone.
    """
    now = time.time() if now is None else now
    removed = 0
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return 0
    for entry in entries:
        name = entry.name
        if not (name.endswith(".tmp") and (name.startswith(".") or name.endswith(".bak.tmp"))):
            continue
        try:
            if entry.is_file(follow_symlinks=False) and \
                    now - entry.stat(follow_symlinks=False).st_mtime > STALE_SECONDS:
                os.unlink(entry.path)
                removed += 1
        except OSError:
            continue
    return removed
