"""`assay fetch` and `assay search` end to end against a fake arXiv on 127.0.0.1."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

import pytest

# tests/synthesis/sources/ would otherwise shadow the package synthesis.sources (tests/ is on sys.path in pytest's
# prepend mode); the checkout goes first. (`pythonpath = ["."]` in the pytest settings would make this unnecessary.)
_REPO = Path(__file__).resolve().parents[2]
if str(_REPO) not in sys.path:
    sys.path.insert(0, str(_REPO))
_HELPER = _REPO / "tests" / "synthesis" / "sources" / "fake_arxiv.py"
_spec = importlib.util.spec_from_file_location("fake_arxiv_cli", _HELPER)
fake_arxiv_module = importlib.util.module_from_spec(_spec)
sys.modules.setdefault("fake_arxiv_cli", fake_arxiv_module)
_spec.loader.exec_module(fake_arxiv_module)

PHANG = "English Intermediate-Task Training Improves Zero-Shot Cross-Lingual Transfer Too"


@pytest.fixture()
def arxiv_home(home: Path, monkeypatch: pytest.MonkeyPatch):
    """A home online against a fake arXiv with tiny delays; only 127.0.0.1 may be reached."""
    guard = fake_arxiv_module.NetworkGuard()
    guard.install(monkeypatch)
    fake = fake_arxiv_module.FakeArxiv()
    fake.add(
        "2005.13013",
        PHANG,
        ["Jason Phang", "Iacer Calixto", "Phu Mon Htut", "Yada Pruksachatkun"],
        versions=("v1", "v2"),
    )
    fake.add(
        "1911.02116",
        "Unsupervised Cross-lingual Representation Learning at Scale [XLM-R]",
        ["Alexis Conneau"],
    )
    server, thread = fake_arxiv_module.start_server(fake)
    home.mkdir(parents=True, exist_ok=True)
    (home / "config.toml").write_text(
        "arxiv_delay_seconds = 0.01\narxiv_retries = 1\nhttp_timeout_seconds = 2\n"
    )
    monkeypatch.setenv("ASSAY_ARXIV_API", fake.api_url)
    monkeypatch.setenv("ASSAY_OFFLINE", "0")
    yield fake
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)
    assert not guard.violations, guard.violations


def one_line_error(result) -> str:  # noqa: ANN001
    assert result.code == 2, (result.out, result.err)
    lines = result.err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.err
    assert "Traceback" not in result.err
    return lines[0]


def test_fetch_then_fetch_again(assay, arxiv_home):
    r = assay("fetch", "2005.13013")
    assert r.code == 0, r.err
    assert r.out.strip() == f"fetched 2005.13013v2 (2 pages): {PHANG}"
    r = assay("fetch", "2005.13013v2")
    assert r.code == 0 and r.out.strip() == f"already stored 2005.13013v2: {PHANG}"
    assert len(arxiv_home.pdf_hits()) == 1


def test_fetch_json(assay, arxiv_home):
    r = assay("fetch", "2005.13013v1", "1911.02116", "--json")
    assert r.code == 0, r.err
    rows = json.loads(r.out)
    assert [(x["id"], x["created"], x["pages"]) for x in rows] == [
        ("2005.13013v1", True, 2),
        ("1911.02116v1", True, 2),
    ]
    r = assay("papers", "--json")
    if r.code == 0 and r.out.strip().startswith("["):
        assert {p["id"] for p in json.loads(r.out)} >= {"2005.13013v1", "1911.02116v1"}


@pytest.mark.parametrize("bad", ["2005.1301", "../../etc/passwd", "not-an-id"])
def test_fetch_malformed_id(assay, arxiv_home, bad):
    line = one_line_error(assay("fetch", bad))
    assert "is not an arXiv id" in line
    assert arxiv_home.hits == []


def test_fetch_unknown_id(assay, arxiv_home):
    line = one_line_error(assay("fetch", "2101.99999"))
    assert "arXiv has no paper 2101.99999" in line


def test_fetch_offline_says_to_drop_offline(assay, arxiv_home):
    line = one_line_error(assay("--offline", "fetch", "2005.13013"))
    assert "drop --offline" in line
    assert arxiv_home.hits == []


def test_fetch_offline_with_the_paper_stored(assay, arxiv_home):
    assert assay("fetch", "2005.13013v1").code == 0
    r = assay("--offline", "fetch", "2005.13013v1")
    assert r.code == 0 and r.out.startswith("already stored 2005.13013v1")


def test_fetch_network_failure_is_one_line(assay, arxiv_home):
    arxiv_home.fault("/api", "status", status=503, times=10)
    line = one_line_error(assay("fetch", "2005.13013"))
    assert "failed after 2 tries: HTTP 503" in line


def test_fetch_broken_download_is_one_line_and_stores_nothing(assay, arxiv_home, home):
    arxiv_home.fault("/pdf", "truncate", times=10)
    line = one_line_error(assay("fetch", "2005.13013"))
    assert "nothing was saved" in line
    from synthesis.store import Store

    with Store(home / "assay.sqlite3") as store:
        assert store.one("SELECT COUNT(*) AS n FROM papers")["n"] == 0
    assert not any(p.is_file() for p in (home / "pdfs").rglob("*"))


def test_search_table(assay, arxiv_home):
    r = assay("search", "cross-lingual")
    assert r.code == 0, r.err
    assert "2005.13013v2" in r.out and "1911.02116v1" in r.out
    assert "2020-05-26" in r.out and "Jason Phang, Iacer Calixto, Phu Mon Htut et al." in r.out
    assert "[XLM-R]" in r.out  # titles are text, not rich markup


def test_search_json_and_max(assay, arxiv_home):
    r = assay("search", "cross-lingual", "--max", "1", "--json")
    assert r.code == 0, r.err
    rows = json.loads(r.out)
    assert len(rows) == 1 and rows[0]["id"] == "2005.13013v2" and rows[0]["title"] == PHANG
    assert arxiv_home.api_hits()[0].query["max_results"] == ["1"]


def test_search_is_cached_and_answers_offline(assay, arxiv_home):
    assert assay("search", "representation", "--json").code == 0
    r = assay("--offline", "search", "representation", "--json")
    assert r.code == 0 and json.loads(r.out)[0]["id"] == "1911.02116v1"
    assert len(arxiv_home.api_hits()) == 1
    line = one_line_error(assay("--offline", "search", "something else"))
    assert "drop --offline" in line


def test_search_without_matches(assay, arxiv_home):
    r = assay("search", "quantum chromodynamics")
    assert r.code == 0 and r.out == "" and "no arXiv paper matches" in r.err


def test_search_bad_max_is_usage_error(assay, arxiv_home):
    r = assay("search", "x", "--max", "0")
    assert r.code == 2


def test_download_progress_bar_only_on_a_terminal(monkeypatch, capsys):
    from reports.commands import arxiv as arxiv_commands

    with arxiv_commands._download_progress() as bar:
        assert bar is None  # stderr is captured: not a terminal

    class Record:
        versioned_id = "2005.13013v2"

    monkeypatch.setattr(sys.stderr, "isatty", lambda: True, raising=False)
    with arxiv_commands._download_progress() as bar:
        on_progress, progress = bar
        on_progress(Record(), 500, 1000)
        on_progress(Record(), 1000, 1000)
        (task,) = progress.tasks
        assert task.completed == 1000 and task.total == 1000 and "2005.13013v2" in task.description
    assert capsys.readouterr().out == ""


def test_offline_from_the_environment_and_from_config(assay, arxiv_home, home, monkeypatch):
    monkeypatch.setenv("ASSAY_OFFLINE", "1")
    assert "drop --offline" in one_line_error(assay("search", "transfer"))
    monkeypatch.delenv("ASSAY_OFFLINE")
    config = home / "config.toml"
    config.write_text(config.read_text() + "offline = true\n")
    assert "drop --offline" in one_line_error(assay("fetch", "2005.13013"))
    assert assay("--online", "search", "transfer", "--json").code == 0  # the flag wins
    assert arxiv_home.hits and all(h.path == "/api/query" for h in arxiv_home.hits)
