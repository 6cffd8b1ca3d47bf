"""Content-addressed PDF cache: ``<home>/pdfs/<sha256[:2]>/<sha256>.pdf``, every write atomic.

The write is the same steps as :mod:`replication.files` (temp file beside the target, fsync it, rename, fsync the
folder), kept here because ``synthesis`` may not import ``replication`` (docs/DESIGN.md, layering).
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path

from synthesis.errors import AssayError


@dataclass(frozen=True)
class CachedPdf:
    sha256: str
    path: Path
    size: int


def path_for(cache_dir: Path, sha256: str) -> Path:
    if len(sha256) != 64 or any(c not in "0123456789abcdef" for c in sha256):
        raise AssayError(f"not a sha256 digest: {sha256!r}")
    return cache_dir / sha256[:2] / f"{sha256}.pdf"


def _fsync_dir(folder: Path) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def put_bytes(cache_dir: Path, data: bytes) -> CachedPdf:
    """Store bytes under their sha256 (no-op when already cached)."""
    sha = hashlib.sha256(data).hexdigest()
    target = path_for(cache_dir, sha)
    if target.is_file() and target.stat().st_size == len(data):
        return CachedPdf(sha, target, len(data))
    fd, tmp = _mkstemp_in(target.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, target)
        _fsync_dir(target.parent)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return CachedPdf(sha, target, len(data))


def _mkstemp_in(folder: Path) -> tuple[int, str]:
    """A temp file in ``folder`` (made if needed; made again if another process removed it, empty, meanwhile)."""
    for attempt in range(3):
        folder.mkdir(parents=True, exist_ok=True)
        try:
            return tempfile.mkstemp(dir=folder, prefix=_part_prefix(), suffix=".pdf")
        except FileNotFoundError:
            if attempt == 2:
                raise
    raise AssertionError("unreachable")  # pragma: no cover


def put_file(cache_dir: Path, source: Path, sha256: str | None = None) -> CachedPdf:
    """Move a finished temp file (e.g. a completed download in ``cache_dir``) into place atomically.

    The source must be on the same filesystem (make it with :func:`temp_file`); its sha256 is computed if not given.
    """
    if sha256 is None:
        h = hashlib.sha256()
        with open(source, "rb") as fh:
            for chunk in iter(lambda: fh.read(1 << 20), b""):
                h.update(chunk)
        sha256 = h.hexdigest()
    target = path_for(cache_dir, sha256)
    target.parent.mkdir(parents=True, exist_ok=True)
    os.replace(source, target)
    _fsync_dir(target.parent)
    return CachedPdf(sha256, target, target.stat().st_size)


def temp_file(cache_dir: Path) -> Path:
    """A fresh temp path inside the cache (same filesystem, so the final rename is atomic)."""
    cache_dir.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=cache_dir, prefix=_part_prefix(), suffix=".pdf")
    os.close(fd)
    return Path(tmp)


def _part_prefix() -> str:
    """Temp names carry the writer's pid (".part-<pid>-..."), so a sweep can tell a live writer from a dead one."""
    return f".part-{os.getpid()}-"


def _pid_alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    except OSError:
        return False
    return True


GC_GRACE_SECONDS = (
    10 * 60
)  # an unreferenced cached PDF younger than this may be a concurrent ingest's or fetch's
_CACHED_NAME_RE = re.compile(r"^[0-9a-f]{64}\.pdf$")


def cached_files(cache_dir: Path) -> list[tuple[str, Path]]:
    """(sha256, path) of every finished PDF in the cache (``<sha[:2]>/<sha>.pdf``), temp files left out."""
    if not cache_dir.is_dir():
        return []
    out = []
    for shard in cache_dir.iterdir():
        if len(shard.name) != 2 or not shard.is_dir():
            continue
        for p in shard.iterdir():
            if _CACHED_NAME_RE.match(p.name) and p.name.startswith(shard.name):
                out.append((p.name[:64], p))
    return sorted(out)


def collect_garbage(
    cache_dir: Path,
    referenced: set[str],
    *,
    grace_seconds: float = GC_GRACE_SECONDS,
    now: float | None = None,
) -> list[Path]:
    """Remove cached PDFs that no stored paper references (``referenced``: their sha256) and that are older than
    ``grace_seconds``, and the temp files of writers that are gone (:func:`sweep_stale_partials`); returns the
    PDFs removed.

    Left by a command killed between caching a PDF and committing its paper. Call it with ``referenced`` read
    under the store's write lock, which ingestion holds while it caches and commits, so that no PDF becomes
    referenced between the read and the removal; the grace period covers a file downloaded but not yet ingested.
    """
    import time

    now = time.time() if now is None else now
    removed = []
    for sha, path in cached_files(cache_dir):
        if sha in referenced:
            continue
        try:
            age = now - path.stat().st_mtime
        except OSError:  # gone meanwhile
            continue
        if age >= grace_seconds:
            path.unlink(missing_ok=True)
            removed.append(path)
    sweep_stale_partials(cache_dir)
    return removed


def sweep_stale_partials(cache_dir: Path, max_age_seconds: float = 24 * 3600) -> int:
    """Remove temp files whose writer is gone (its pid no longer runs), or that are older than
    ``max_age_seconds``; safe to call while other processes are writing to the same cache."""
    if not cache_dir.is_dir():
        return 0
    import time

    n = 0
    now = time.time()
    for p in cache_dir.rglob(".part-*"):
        m = re.match(r"\.part-(\d+)-", p.name)
        try:
            age = now - p.stat().st_mtime
        except OSError:  # gone meanwhile (its writer committed or removed it)
            continue
        if age > max_age_seconds or (m and not _pid_alive(int(m.group(1)))) or (not m and age > 3600):
            p.unlink(missing_ok=True)
            n += 1
    return n
