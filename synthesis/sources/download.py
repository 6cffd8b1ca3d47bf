"""Streaming PDF download into the content-addressed cache, all or nothing.

The body is streamed (never held in memory), hashed while it arrives, checked against the size limit (the declared
Content-Length up front, the bytes received as they come), checked to be a complete PDF, and only then given its
name in the cache. Until then it lives in an unnamed file (Linux ``O_TMPFILE``), so even SIGKILL leaves nothing;
elsewhere a ``.part-`` temp file is used and removed on any failure or interrupt.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable
from pathlib import Path

import requests

from synthesis.errors import AssayError, NetworkError
from synthesis.pdfcache import CachedPdf, path_for, put_file, temp_file
from synthesis.sources.http import BROKEN_OFF, Http, describe_exception

CHUNK = 1 << 16
HEAD_BYTES = 1024  # the PDF header must appear within the first 1024 bytes
TAIL_BYTES = 4096  # ... and %%EOF near the end


class _BrokenOff(Exception):
    """A transient failure in the middle of a body: worth another try."""


class PartialFile:
    """A file being written in ``folder`` that gets a name only on :meth:`commit`; discarded otherwise."""

    def __init__(self, folder: Path):
        folder.mkdir(parents=True, exist_ok=True)
        self.folder = folder
        self.path: Path | None = None
        self.committed = False
        self.created = False  # True when commit gave the cache a new file
        fd = -1
        if hasattr(os, "O_TMPFILE"):
            try:
                fd = os.open(folder, os.O_TMPFILE | os.O_WRONLY, 0o644)
                if not os.path.exists(f"/proc/self/fd/{fd}"):
                    os.close(fd)
                    fd = -1
            except OSError:
                fd = -1
        if fd < 0:
            self.path = temp_file(folder)
            fd = os.open(self.path, os.O_WRONLY | os.O_TRUNC)
        self.fd = fd
        self.fh = os.fdopen(fd, "wb")

    def write(self, data: bytes) -> None:
        self.fh.write(data)

    def commit(self, sha256: str) -> CachedPdf:
        """Name the finished file ``<cache>/<sha[:2]>/<sha>.pdf`` atomically."""
        self.fh.flush()
        os.fsync(self.fd)
        if self.path is not None:
            self.fh.close()
            self.created = not path_for(self.folder, sha256).is_file()
            cached = put_file(self.folder, self.path, sha256)
            self.committed = True
            return cached
        target = path_for(self.folder, sha256)
        target.parent.mkdir(parents=True, exist_ok=True)
        dir_fd = os.open(target.parent, os.O_RDONLY)
        try:
            try:
                os.link(f"/proc/self/fd/{self.fd}", target.name, dst_dir_fd=dir_fd)
                self.created = True
            except FileExistsError:
                pass  # the same content is already cached (another process got there first)
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)
        self.fh.close()
        self.committed = True
        return CachedPdf(sha256, target, target.stat().st_size)

    def discard(self) -> None:
        if not self.fh.closed:
            self.fh.close()
        if self.path is not None and not self.committed:
            self.path.unlink(missing_ok=True)

    def __enter__(self) -> PartialFile:
        return self

    def __exit__(self, *exc: object) -> None:
        self.discard()


def _mb(n: int) -> str:
    return f"{n / (1 << 20):.1f} MiB"


def download_pdf(
    http: Http,
    url: str,
    cache_dir: Path,
    *,
    max_bytes: int,
    what: str = "the PDF",
    progress: Callable[[int, int | None], None] | None = None,
) -> tuple[CachedPdf, bool]:
    """Download ``url`` into the PDF cache; returns the cached file and whether it is new to the cache.

    A body that breaks off (connection reset, fewer bytes than announced, no end marker) is downloaded again, up
    to ``settings.arxiv_retries`` times; anything else (not a PDF, over the size limit) fails at once.
    """
    tries = max(0, int(http.settings.arxiv_retries)) + 1
    last = ""
    for attempt in range(tries):
        try:
            return _download_once(http, url, cache_dir, max_bytes=max_bytes, what=what, progress=progress)
        except _BrokenOff as exc:
            last = str(exc)
            if attempt + 1 < tries:
                http.limiter.defer(http.backoff(attempt))
    raise NetworkError(f"downloading {what} failed after {tries} tries: {last} ({url}); nothing was saved")


def _download_once(
    http: Http,
    url: str,
    cache_dir: Path,
    *,
    max_bytes: int,
    what: str,
    progress: Callable[[int, int | None], None] | None,
) -> tuple[CachedPdf, bool]:
    resp, _ = http.request(url, what, headers={"Accept-Encoding": "identity"})
    too_big = (
        f"{what} is larger than the limit of {_mb(max_bytes)} (max_pdf_bytes); raise max_pdf_bytes in "
        "config.toml to allow it"
    )
    with resp:
        declared = _content_length(resp)
        if declared is not None and declared > max_bytes:
            raise AssayError(f"{too_big} (the server says {_mb(declared)})")
        encoded = resp.headers.get("Content-Encoding", "identity").strip().lower() not in ("", "identity")
        digest = hashlib.sha256()
        received = 0
        head = b""
        tail = b""
        with PartialFile(cache_dir) as part:
            try:
                for chunk in resp.iter_content(CHUNK):
                    if not chunk:
                        continue
                    received += len(chunk)
                    if received > max_bytes:
                        raise AssayError(too_big)
                    if len(head) < HEAD_BYTES:
                        head += chunk[: HEAD_BYTES - len(head)]
                        if len(head) >= HEAD_BYTES and b"%PDF-" not in head:
                            raise AssayError(_not_pdf(what, url, head))
                    digest.update(chunk)
                    part.write(chunk)
                    tail = (tail + chunk)[-TAIL_BYTES:]
                    if progress is not None:
                        progress(received, declared)
            except BROKEN_OFF as exc:
                where = f" after {received} bytes" if received else ""
                raise _BrokenOff(f"the download broke off{where} ({describe_exception(exc)})") from exc
            finally:
                http.limiter.finished()
            if declared is not None and not encoded and received != declared:
                raise _BrokenOff(f"the download stopped after {received} of {declared} bytes")
            if b"%PDF-" not in head:
                raise AssayError(_not_pdf(what, url, head))
            if b"%%EOF" not in tail:
                raise _BrokenOff(
                    f"the file ended after {received} bytes without the PDF end marker (truncated)"
                )
            cached = part.commit(digest.hexdigest())
            return cached, part.created


def _content_length(resp: requests.Response) -> int | None:
    try:
        value = int(resp.headers.get("Content-Length", ""))
    except ValueError:
        return None
    return value if value >= 0 else None


def _not_pdf(what: str, url: str, head: bytes) -> str:
    start = head[:40].decode("utf-8", "replace").strip().replace("\n", " ")
    return f"{what} at {url} is not a PDF (it starts with {start!r}); nothing was saved"
