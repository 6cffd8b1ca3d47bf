"""Atomic file writes: a file is either absent, its old version or complete, never half-written (kill, full disk).

This is the one atomic writer of ``replication`` and ``reports`` (``reports`` may import ``replication``; see the
layering in docs/DESIGN.md). ``synthesis`` may import neither, so its PDF cache keeps its own copy of the same steps.

Every write goes: a temp file beside the target named ``.<target name>.<pid>-<random>.tmp`` (the pid lets a later
run tell a killed writer's leftovers from a live writer's temp), fsync it, rename it over the target, fsync the folder
so the rename itself survives a power cut.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def ordinary_permissions(path: str | Path) -> None:
    """Give ``path`` what a plain ``open(path, "w")`` would: 0666 less the umask, not mkstemp's 0600."""
    os.chmod(path, 0o666 & ~_umask())


def fsync_dir(folder: str | Path) -> None:
    """Flush a folder's entries (a rename into it) to disk; best effort, as not every file system allows it."""
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


def temp_beside(target: Path) -> tuple[int, str]:
    """Create the folder if needed and a temp file beside ``target`` carrying this process's pid in its name."""
    target.parent.mkdir(parents=True, exist_ok=True)
    return tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.{os.getpid()}-", suffix=".tmp")


@contextmanager
def atomic_open(path: str | Path, mode: str = "w") -> Iterator[IO[Any]]:
    """Open a temporary file beside ``path`` ("w" text UTF-8 or "wb"); on success fsync and rename it into place,
    on any exception (KeyboardInterrupt included) remove it and leave ``path`` untouched."""
    if mode not in ("w", "wb"):
        raise ValueError(f"atomic_open writes only: mode 'w' or 'wb', not {mode!r}")
    target = Path(path)
    fd, tmp = temp_beside(target)
    try:
        with os.fdopen(fd, mode, **({"encoding": "utf-8"} if mode == "w" else {})) as fh:
            yield fh
            fh.flush()
            os.fsync(fh.fileno())
        ordinary_permissions(tmp)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    fsync_dir(target.parent)


def atomic_write_text(path: str | Path, text: str) -> None:
    """Write ``text`` (UTF-8) to ``path`` atomically."""
    with atomic_open(path, "w") as fh:
        fh.write(text)


def _fsync_tree(folder: Path) -> None:
    for root, _dirs, names in os.walk(folder):
        for name in names:
            with open(Path(root) / name, "rb") as fh:
                os.fsync(fh.fileno())
        fsync_dir(root)


def atomic_dir(final: Path, build: Callable[[Path], Any]) -> None:
    """Build a folder under a temporary name beside ``final``, fsync what it holds and rename it into place: readers
    find no folder or the whole new one. (A folder cannot be renamed over another, so the old one is removed first.)"""
    tmp = final.with_name(f".{final.name}.tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    build(tmp)
    _fsync_tree(tmp)
    shutil.rmtree(final, ignore_errors=True)
    os.replace(tmp, final)
    fsync_dir(final.parent)
