"""The HTTP layer: rate limit, retries with backoff and Retry-After, the response cache, offline mode."""

from __future__ import annotations

import email.utils
import threading
import time

import pytest
from hypothesis import given
from hypothesis import strategies as st

from synthesis.errors import NetworkError, NetworkForbidden
from synthesis.sources.http import Http, RateLimiter, parse_retry_after


def test_retry_after_seconds_and_dates():
    now = 1_000_000.0
    assert parse_retry_after("7", now) == 7.0
    assert parse_retry_after(" 0 ", now) == 0.0
    date = email.utils.formatdate(now + 30, usegmt=True)
    assert parse_retry_after(date, now) == pytest.approx(30, abs=1)
    assert parse_retry_after(email.utils.formatdate(now - 30, usegmt=True), now) == 0.0
    assert parse_retry_after(None) is None
    assert parse_retry_after("soon") is None
    assert parse_retry_after("-5") is None


@given(st.text(max_size=60))
def test_retry_after_never_raises(text):
    value = parse_retry_after(text, 0.0)
    assert value is None or value >= 0


def test_rate_limiter_spaces_requests_across_threads_and_instances(tmp_path):
    state = tmp_path / "rate"
    times: list[float] = []

    def worker():
        limiter = RateLimiter(0.05, state)  # separate instances sharing the file, like separate processes
        for _ in range(3):
            limiter.wait()
            times.append(time.time())
            limiter.finished()

    threads = [threading.Thread(target=worker) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    times.sort()
    gaps = [b - a for a, b in zip(times, times[1:], strict=False)]
    assert len(times) == 9
    assert min(gaps) >= 0.045, gaps


def test_rate_limit_is_respected_between_api_requests(fake_arxiv, make_settings, store):
    settings = make_settings(arxiv_delay_seconds=0.15)
    http = Http(settings, store)
    for n in range(4):
        http.get(f"{fake_arxiv.api_url}?id_list=2005.13013&n={n}", "the arXiv API")
    arrivals = [h.at for h in fake_arxiv.api_hits()]
    assert len(arrivals) == 4
    assert min(b - a for a, b in zip(arrivals, arrivals[1:], strict=False)) >= 0.15


def test_repeated_request_is_answered_from_the_cache(fake_arxiv, settings, store):
    http = Http(settings, store)
    url = f"{fake_arxiv.api_url}?id_list=2005.13013"
    first = http.get(url, "the arXiv API")
    second = Http(settings, store).get(url, "the arXiv API")
    assert first == second and b"2005.13013v2" in first
    assert len(fake_arxiv.api_hits()) == 1
    row = store.one("SELECT status, body FROM http_cache WHERE url = ?", (url,))
    assert row["status"] == 200 and bytes(row["body"]) == first


def test_offline_answers_from_the_cache_and_refuses_the_rest(fake_arxiv, make_settings, store):
    url = f"{fake_arxiv.api_url}?id_list=2005.13013"
    Http(make_settings(), store).get(url, "the arXiv API")
    offline = Http(make_settings(offline=True), store)
    assert b"2005.13013v2" in offline.get(url, "the arXiv API")
    with pytest.raises(NetworkForbidden, match="drop --offline"):
        offline.get(url + "&other=1", "the arXiv API")
    assert len(fake_arxiv.api_hits()) == 1


@pytest.mark.parametrize("status", [429, 503])
def test_busy_answers_are_retried_with_backoff(fake_arxiv, make_settings, store, status):
    settings = make_settings(arxiv_delay_seconds=0.05, arxiv_retries=3)
    fake_arxiv.fault("/api", "status", status=status, times=2)
    body = Http(settings, store).get(f"{fake_arxiv.api_url}?id_list=2005.13013", "the arXiv API")
    assert b"2005.13013v2" in body
    arrivals = [h.at for h in fake_arxiv.api_hits()]
    assert len(arrivals) == 3
    # backoff doubles: at least 0.05 s then 0.10 s
    assert arrivals[1] - arrivals[0] >= 0.05
    assert arrivals[2] - arrivals[1] >= 0.10


def test_retry_after_seconds_is_honoured(fake_arxiv, make_settings, store):
    settings = make_settings(arxiv_delay_seconds=0.01)
    fake_arxiv.fault("/api", "status", status=429, headers={"Retry-After": "1"})
    Http(settings, store).get(f"{fake_arxiv.api_url}?id_list=2005.13013", "the arXiv API")
    a, b = (h.at for h in fake_arxiv.api_hits())
    assert b - a >= 0.95


def test_retry_after_http_date_is_honoured(fake_arxiv, make_settings, store):
    settings = make_settings(arxiv_delay_seconds=0.01)
    when = email.utils.formatdate(time.time() + 2, usegmt=True)  # whole seconds: waits 1-2 s
    fake_arxiv.fault("/api", "status", status=503, headers={"Retry-After": when})
    Http(settings, store).get(f"{fake_arxiv.api_url}?id_list=2005.13013", "the arXiv API")
    a, b = (h.at for h in fake_arxiv.api_hits())
    assert b - a >= 0.9


def test_huge_retry_after_gives_a_clear_error_at_once(fake_arxiv, settings, store):
    fake_arxiv.fault("/api", "status", status=429, headers={"Retry-After": "86400"})
    with pytest.raises(NetworkError, match="asks to wait 86400 s"):
        Http(settings, store).get(f"{fake_arxiv.api_url}?id_list=x", "the arXiv API")
    assert len(fake_arxiv.api_hits()) == 1


def test_retries_give_up_with_one_clear_line(fake_arxiv, make_settings, store):
    settings = make_settings(arxiv_retries=2)
    fake_arxiv.fault("/api", "status", status=503, times=10)
    with pytest.raises(NetworkError) as info:
        Http(settings, store).get(f"{fake_arxiv.api_url}?id_list=x", "the arXiv API")
    message = str(info.value)
    assert "after 3 tries" in message and "HTTP 503" in message and "\n" not in message
    assert len(fake_arxiv.api_hits()) == 3
    assert store.one("SELECT COUNT(*) AS n FROM http_cache")["n"] == 0


def test_slow_answer_times_out_is_retried_then_reported(fake_arxiv, make_settings, store):
    settings = make_settings(http_timeout_seconds=0.2, arxiv_retries=1)
    fake_arxiv.fault("/api", "slow", seconds=0.6, times=5)
    started = time.monotonic()
    with pytest.raises(NetworkError, match=r"no answer within 0.2 s"):
        Http(settings, store).get(f"{fake_arxiv.api_url}?id_list=x", "the arXiv API")
    assert len(fake_arxiv.api_hits()) == 2
    assert time.monotonic() - started < 3


def test_slow_answer_then_good_answer_succeeds(fake_arxiv, make_settings, store):
    settings = make_settings(http_timeout_seconds=0.2, arxiv_retries=2)
    fake_arxiv.fault("/api", "slow", seconds=0.6)
    body = Http(settings, store).get(f"{fake_arxiv.api_url}?id_list=2005.13013", "the arXiv API")
    assert b"2005.13013" in body


def test_connection_reset_is_retried(fake_arxiv, settings, store):
    fake_arxiv.fault("/api", "reset", times=1)
    body = Http(settings, store).get(f"{fake_arxiv.api_url}?id_list=2005.13013", "the arXiv API")
    assert b"2005.13013" in body and len(fake_arxiv.api_hits()) == 2


def test_connection_refused_is_a_network_error(make_settings, store):
    import socket

    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    settings = make_settings(arxiv_retries=1)
    with pytest.raises(NetworkError, match="failed after 2 tries: .*refused"):
        Http(settings, store).get(f"http://127.0.0.1:{port}/api/query?x=1", "the arXiv API")


def test_other_http_errors_are_not_retried(fake_arxiv, settings, store):
    with pytest.raises(NetworkError, match="HTTP 404"):
        Http(settings, store).get(f"{fake_arxiv.url}/nothing-here", "the arXiv API")
    assert len(fake_arxiv.hits) == 1


def test_a_rejected_body_is_not_cached(fake_arxiv, settings, store):
    url = f"{fake_arxiv.api_url}?id_list=2005.13013"

    def reject(body: bytes) -> None:
        raise NetworkError("bad body")

    with pytest.raises(NetworkError, match="bad body"):
        Http(settings, store).get(url, "the arXiv API", validate=reject)
    assert Http(settings, store).cached(url) is None


def test_unresolvable_host_is_reported_at_once(make_settings, store, monkeypatch):
    """Regression: with no network (DNS fails), each request was retried with backoff: 45 s per arXiv lookup with
    the default settings, minutes per audited report. A name that does not resolve is not retried."""
    import requests

    settings = make_settings(arxiv_retries=4)
    http = Http(settings, store)
    calls = []

    def no_dns(url, **kwargs):
        calls.append(url)
        raise requests.ConnectionError(
            "HTTPSConnectionPool(host='export.arxiv.org', port=443): Max retries exceeded (Caused by "
            "NameResolutionError(\"Failed to resolve 'export.arxiv.org' ([Errno -2] Name or service not known)\"))"
        )

    monkeypatch.setattr(http.session, "get", no_dns)
    with pytest.raises(
        NetworkError, match=r"does not resolve \(\[Errno -2\] Name or service not known\).*--offline"
    ):
        http.get("https://export.arxiv.org/api/query?id_list=2005.13013", "the arXiv API")
    assert len(calls) == 1
