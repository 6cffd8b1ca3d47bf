"""Fixtures for the arXiv source: a fake arXiv on 127.0.0.1 and a guard that fails any other connection."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

# tests/synthesis/sources/ mirrors the package synthesis.sources; with tests/ on sys.path (pytest's prepend mode) the
# test folder would be imported as a namespace package in its place. Putting the checkout first avoids that.
_REPO = Path(__file__).resolve().parents[3]
if (_REPO / "synthesis" / "__init__.py").is_file() and str(_REPO) not in sys.path:
    sys.path.insert(0, str(_REPO))
sys.path.insert(0, str(Path(__file__).parent))

from fake_arxiv import FakeArxiv, NetworkGuard, start_server  # noqa: E402


@pytest.fixture(autouse=True)
def network_guard(monkeypatch: pytest.MonkeyPatch):
    """Every test here may only talk to 127.0.0.1; anything else fails the test."""
    guard = NetworkGuard()
    guard.install(monkeypatch)
    yield guard
    assert not guard.violations, f"a test tried to reach the network: {guard.violations}"
    assert all(h in ("127.0.0.1", "::1", "localhost") for h in guard.connections)


@pytest.fixture()
def fake_arxiv():
    """A running fake arXiv with two papers: 2005.13013 (v1, v2) and 1911.02116 (v1)."""
    fake = FakeArxiv()
    fake.add(
        "2005.13013",
        "English Intermediate-Task Training Improves Zero-Shot Cross-Lingual Transfer Too",
        [
            "Jason Phang",
            "Iacer Calixto",
            "Phu Mon Htut",
            "Yada Pruksachatkun",
            "Haokun Liu",
            "Clara Vania",
            "Katharina Kann",
            "Samuel R. Bowman",
        ],
        versions=("v1", "v2"),
        doi="10.18653/v1/2020.aacl-main.56",
    )
    fake.add(
        "1911.02116",
        "Unsupervised Cross-lingual Representation Learning at Scale",
        ["Alexis Conneau", "Kartikay Khandelwal"],
        summary="We present XLM-R, a multilingual masked language model.",
    )
    server, thread = start_server(fake)
    yield fake
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)


@pytest.fixture()
def make_settings(tmp_path: Path, fake_arxiv: FakeArxiv):
    """Settings for a fresh home pointed at the fake arXiv, with tiny delays; keyword overrides welcome."""
    from synthesis.settings import load_settings

    def make(**overrides: object):
        values = {
            "arxiv_api": fake_arxiv.api_url,
            "arxiv_delay_seconds": 0.01,
            "arxiv_retries": 2,
            "http_timeout_seconds": 2.0,
        }
        values.update(overrides)
        offline = bool(values.pop("offline", False))
        home = values.pop("home", tmp_path / "home")
        return load_settings(home, offline=offline, **values)

    return make


@pytest.fixture()
def settings(make_settings):
    return make_settings()


@pytest.fixture()
def store(settings):
    from synthesis.store import Store

    s = Store(settings.db_path)
    yield s
    s.close()


@pytest.fixture()
def source(settings, store):
    from synthesis.sources.arxiv import ArxivSource

    return ArxivSource(settings, store)
