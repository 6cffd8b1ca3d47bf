"""HTTP for the arXiv source: one polite rate limit, retries that honour Retry-After, a response cache, offline mode.

Everything assay fetches goes through :class:`Http`, so these rules hold for the API and for PDFs alike:

* at least ``settings.arxiv_delay_seconds`` between requests, counted from the end of one response to the start of
  the next and shared by every assay process on the same home (a small lock file holds the next allowed time);
* 429 and 5xx gateway answers, connection errors and timeouts are retried up to ``settings.arxiv_retries`` times
  with exponential backoff, or after the server's ``Retry-After`` (seconds or an HTTP date) when it sends one;
* successful API answers are kept in the store's ``http_cache`` table (:mod:`synthesis.store_cache`), so a
  repeated query makes no request and answers offline (callers may ask for a refresh of entries older than some age: answers that can change, like
  the latest version of a paper or a search, are refreshed after a week when online);
* with ``settings.offline`` nothing is requested: a cache miss raises :class:`NetworkForbidden`.
"""

from __future__ import annotations

import contextlib
import email.utils
import re
import time
from collections.abc import Callable, Iterator
from datetime import UTC
from pathlib import Path

import requests

from synthesis.errors import AssayError, NetworkError, NetworkForbidden
from synthesis.store_cache import http_cache_delete, http_cache_entry, http_cache_put

USER_AGENT = "assay/0.1 (research claim checker; https://arxiv.org/help/api)"
RETRY_STATUSES = frozenset({429, 502, 503, 504})
# A connection that broke off while an answer was being read: worth another try.
BROKEN_OFF: tuple[type[Exception], ...] = (
    requests.ConnectionError,
    requests.Timeout,
    requests.exceptions.ChunkedEncodingError,
    requests.exceptions.ContentDecodingError,
)
MAX_RETRY_AFTER_SECONDS = (
    300.0  # a server asking for longer than this gets a clear error instead of a silent wait
)
MAX_BACKOFF_SECONDS = 60.0
MAX_API_RESPONSE_BYTES = 32 * 1024 * 1024
RATE_FILE = ".arxiv-rate"


def parse_retry_after(value: str | None, now: float | None = None) -> float | None:
    """Seconds to wait from a Retry-After header (delta-seconds or an HTTP date); None when absent or unreadable."""
    if value is None:
        return None
    text = value.strip()
    if not text:
        return None
    if text.isascii() and text.isdigit():
        return float(int(text))
    try:
        when = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if when is None:
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    try:
        stamp = when.timestamp()
    except (OverflowError, OSError, ValueError):
        return None
    return max(0.0, stamp - (time.time() if now is None else now))


# The host name does not resolve: no network or no DNS here (as on an offline machine), or a wrong address. Retrying
# with backoff only makes the user wait (45 s per request with the default settings), so it is reported at once.
UNRESOLVABLE = re.compile(
    r"Name or service not known|nodename nor servname provided|No address associated with "
    r"hostname|getaddrinfo failed"
)


def describe_exception(exc: BaseException) -> str:
    """A short reason for a requests/urllib3 failure (their messages nest the real cause several levels deep)."""
    if isinstance(exc, requests.Timeout):
        return "timed out"
    text = str(exc)
    for pattern in (
        r"\[Errno -?\d+\] [^'\")\]]+",
        r"Connection reset by peer",
        r"Connection refused",
        r"IncompleteRead\([^)]*\)",
        r"Connection broken: [^'\")]+",
    ):
        m = re.search(pattern, text)
        if m:
            return m.group(0).strip()
    return type(exc).__name__


class RateLimiter:
    """Keeps at least ``interval`` seconds between requests, across threads and processes sharing ``state_file``."""

    def __init__(self, interval: float, state_file: Path | None = None):
        self.interval = max(0.0, float(interval))
        self.state_file = state_file
        self._not_before = 0.0  # used when the state file cannot be opened

    @contextlib.contextmanager
    def _state(self) -> Iterator[list[float]]:
        """Yield [not_before] under an exclusive lock; what the body leaves in it is written back."""
        cell = [self._not_before]
        fh = None
        if self.state_file is not None:
            try:
                import fcntl

                self.state_file.parent.mkdir(parents=True, exist_ok=True)
                fh = open(self.state_file, "a+", encoding="ascii")  # noqa: SIM115 - closed below
                fcntl.flock(fh, fcntl.LOCK_EX)
                fh.seek(0)
                try:
                    cell[0] = max(cell[0], float(fh.read().strip() or 0))
                except ValueError:
                    pass
            except (OSError, ImportError):
                if fh is not None:
                    fh.close()
                fh = None
        try:
            yield cell
            self._not_before = cell[0]
            if fh is not None:
                fh.seek(0)
                fh.truncate()
                fh.write(repr(cell[0]))
                fh.flush()
        finally:
            if fh is not None:
                fh.close()  # releases the lock

    def wait(self) -> None:
        """Block until a request may start, then claim the slot."""
        while True:
            with self._state() as cell:
                now = time.time()
                if now >= cell[0]:
                    cell[0] = now + self.interval
                    return
                pause = cell[0] - now
            time.sleep(min(pause, MAX_RETRY_AFTER_SECONDS))

    def finished(self) -> None:
        """A response (or failure) just arrived: the next request waits a full interval from now."""
        self.defer(self.interval)

    def defer(self, seconds: float) -> None:
        """Let no request start in the next ``seconds`` (backoff, Retry-After)."""
        with self._state() as cell:
            cell[0] = max(cell[0], time.time() + seconds)


def _connection_failure(exc: requests.RequestException, url: str, what: str, timeout: float) -> str:
    """What went wrong when a request got no answer (a timeout or a dropped connection, worth another try);
    raises NetworkError when the host name does not resolve or the request itself is wrong."""
    if not isinstance(exc, (requests.ConnectionError, requests.Timeout)):
        raise NetworkError(f"cannot request {what} from {url}: {describe_exception(exc)}") from exc
    last = describe_exception(exc)
    if isinstance(exc, requests.Timeout):
        last = f"no answer within {timeout:g} s"
    elif UNRESOLVABLE.search(str(exc)):
        raise NetworkError(
            f"cannot request {what}: the host name does not resolve ({last}); check the network or the "
            f"address ({url}), or use --offline"
        ) from exc
    return last


class Http:
    """Rate-limited, retrying, caching GET for one assay home (``store`` may be None: no cache)."""

    def __init__(
        self,
        settings,
        store=None,
        *,
        limiter: RateLimiter | None = None,  # noqa: ANN001
        session: requests.Session | None = None,
    ):
        self.settings = settings
        self.store = store
        state = Path(settings.home) / RATE_FILE if settings.home else None
        self.limiter = limiter or RateLimiter(settings.arxiv_delay_seconds, state)
        self.session = session or requests.Session()
        self.session.headers["User-Agent"] = USER_AGENT

    # -- cache -------------------------------------------------------------------------------------------------
    def cached(self, url: str, max_age: float | None = None) -> bytes | None:
        """The cached body of ``url``; with ``max_age`` (seconds), None when the entry is older than that."""
        if self.store is None:
            return None
        entry = http_cache_entry(self.store, url)
        if entry is None:
            return None
        body, age = entry
        if max_age is not None and (age is None or age > max_age):
            return None
        return body

    def remember(self, url: str, body: bytes, status: int = 200) -> None:
        if self.store is None:
            return
        http_cache_put(self.store, url, body, status)

    def forget(self, url: str) -> None:
        if self.store is not None:
            http_cache_delete(self.store, url)

    # -- requests ----------------------------------------------------------------------------------------------
    def backoff(self, attempt: int) -> float:
        base = max(float(self.settings.arxiv_delay_seconds), 0.001)
        return min(base * (2**attempt), MAX_BACKOFF_SECONDS)

    def check_online(self, what: str) -> None:
        if self.settings.offline:
            raise NetworkForbidden(
                f"offline mode forbids fetching {what} (it is not cached); drop --offline (or unset ASSAY_OFFLINE) "
                "to allow the network"
            )

    def request(
        self,
        url: str,
        what: str,
        *,
        read: Callable[[requests.Response], bytes] | None = None,
        headers: dict[str, str] | None = None,
    ) -> tuple[requests.Response, bytes | None]:
        """GET with rate limit and retries. With ``read``, the body is read inside the retry loop (so a body cut
        short is retried too) and returned; otherwise the open response is returned for the caller to stream."""
        self.check_online(what)
        timeout = float(self.settings.http_timeout_seconds)
        tries = max(0, int(self.settings.arxiv_retries)) + 1
        last = "no answer"
        for attempt in range(tries):
            self.limiter.wait()
            wait = self.backoff(attempt)
            try:
                resp = self.session.get(url, timeout=(timeout, timeout), stream=True, headers=headers)
            except requests.RequestException as exc:
                self.limiter.finished()
                last = _connection_failure(exc, url, what, timeout)
            else:
                if resp.status_code != 200:
                    last, wait = self._retryable_status(resp, url, what, wait)
                elif read is None:
                    self.limiter.finished()
                    return resp, None
                else:
                    body, broke = self._read_body(resp, read)
                    if broke is None:
                        return resp, body
                    last = broke
            if attempt + 1 < tries:
                self.limiter.defer(wait)
        raise NetworkError(f"{what} failed after {tries} tries: {last} ({url})")

    def _read_body(
        self, resp: requests.Response, read: Callable[[requests.Response], bytes]
    ) -> tuple[bytes | None, str | None]:
        """(body, None) read from a 200 answer, or (None, why) when the answer broke off (worth another try); the
        response is closed and the request counted finished either way."""
        try:
            body = read(resp)
        except BROKEN_OFF as exc:
            return None, f"the answer broke off ({describe_exception(exc)})"
        finally:
            self.limiter.finished()
            resp.close()
        return body, None

    def _retryable_status(
        self, resp: requests.Response, url: str, what: str, wait: float
    ) -> tuple[str, float]:
        """(what went wrong, how long to wait) for an answer other than 200 that is worth another try (the wait is
        the server's Retry-After when it sends one); raises NetworkError for a status not worth retrying or a
        Retry-After too long to wait for. The response is closed."""
        self.limiter.finished()
        status = resp.status_code
        retry_after = parse_retry_after(resp.headers.get("Retry-After"))
        resp.close()
        if status not in RETRY_STATUSES:
            raise NetworkError(f"{what} failed: HTTP {status} from {url}")
        last = f"HTTP {status}"
        if retry_after is not None:
            if retry_after > MAX_RETRY_AFTER_SECONDS:
                raise NetworkError(
                    f"{what}: the server is busy (HTTP {status}) and asks to wait {retry_after:.0f} s;"
                    " try again later"
                )
            wait = retry_after
            last += f", Retry-After {retry_after:.0f} s"
        return last, wait

    def get(
        self,
        url: str,
        what: str,
        *,
        validate: Callable[[bytes], object] | None = None,
        max_age: float | None = None,
    ) -> bytes:
        """The body of ``url``: from the cache when there (and younger than ``max_age`` seconds, if given), else
        fetched; only bodies ``validate`` accepts are cached. Offline, or when a refresh fails, an older cached body
        still answers."""
        body = self.cached(url, max_age)
        if body is not None:
            return body
        stale = self.cached(url) if max_age is not None else None
        if stale is not None and self.settings.offline:
            return stale
        try:
            _, body = self.request(url, what, read=_read_capped)
        except NetworkError:
            if stale is not None:
                return stale
            raise
        assert body is not None
        if validate is not None:
            validate(body)
        self.remember(url, body)
        return body


def _read_capped(resp: requests.Response) -> bytes:
    chunks, size = [], 0
    for chunk in resp.iter_content(1 << 16):
        size += len(chunk)
        if size > MAX_API_RESPONSE_BYTES:
            raise AssayError(
                f"the answer from {resp.url} is over {MAX_API_RESPONSE_BYTES >> 20} MiB; not an API feed"
            )
        chunks.append(chunk)
    return b"".join(chunks)
