"""fetch(): ids -> metadata -> download -> ingest, with no-ops for stored papers, offline answers, and kills."""

from __future__ import annotations

import hashlib
import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from fake_arxiv import SUBPROCESS_GUARD

from synthesis.errors import AssayError, NetworkError, NetworkForbidden
from synthesis.papers import get_pages, get_paper
from synthesis.sources.arxiv import ArxivSource
from synthesis.sources.fetch import fetch

REPO = Path(__file__).resolve().parents[3]


def test_fetch_downloads_and_ingests(store, settings, fake_arxiv):
    (result,) = fetch(store, settings, ["2005.13013"])
    assert result.created and result.paper_id == "2005.13013v2" and result.n_pages == 2
    paper = get_paper(store, "2005.13013v2")
    assert paper.arxiv_id == "2005.13013" and paper.version == "v2" and paper.source == "arxiv"
    assert paper.title == "English Intermediate-Task Training Improves Zero-Shot Cross-Lingual Transfer Too"
    assert paper.authors[0] == "Jason Phang" and paper.doi == "10.18653/v1/2020.aacl-main.56"
    assert paper.published == "2020-05-26" and paper.updated == "2020-06-12"
    assert paper.abstract.startswith("We study transfer")
    assert paper.meta.get("primary_category") == "cs.CL"
    pdf = fake_arxiv.papers["2005.13013"].pdf("v2")
    assert paper.pdf_sha256 == hashlib.sha256(pdf).hexdigest()
    assert "intermediate training helps transfer" in get_pages(store, paper.id)[0]


def test_fetching_again_is_a_no_op_without_requests(store, settings, fake_arxiv):
    fetch(store, settings, ["2005.13013v1"])
    hits = len(fake_arxiv.hits)
    (again,) = fetch(store, settings, ["arXiv:2005.13013v1"])
    assert not again.created and again.paper_id == "2005.13013v1"
    assert len(fake_arxiv.hits) == hits  # a stored version needs no request at all


def test_unversioned_fetch_of_a_stored_latest_version_downloads_nothing(store, settings, fake_arxiv):
    fetch(store, settings, ["2005.13013v2"])
    (again,) = fetch(store, settings, ["2005.13013"])
    assert not again.created and again.paper_id == "2005.13013v2"
    assert len(fake_arxiv.pdf_hits()) == 1


def test_several_ids_one_lookup_results_in_order(store, settings, fake_arxiv):
    results = fetch(store, settings, ["1911.02116", "2005.13013v1", "2005.13013", "1911.02116"])
    assert [r.paper_id for r in results] == ["1911.02116v1", "2005.13013v1", "2005.13013v2"]
    assert all(r.created for r in results)
    assert len(fake_arxiv.api_hits()) == 1


def test_offline_fetch_answers_from_the_store(store, make_settings, fake_arxiv):
    fetch(store, make_settings(), ["2005.13013v1"])
    offline = make_settings(offline=True)
    (r,) = fetch(store, offline, ["2005.13013v1"])
    assert not r.created
    # no cached answer for the unversioned id: the newest stored version answers
    (r,) = fetch(store, offline, ["2005.13013"])
    assert r.paper_id == "2005.13013v1" and not r.created
    with pytest.raises(NetworkForbidden, match=r"1911\.02116 is not stored .* drop --offline"):
        fetch(store, offline, ["2005.13013", "1911.02116"])


def test_unknown_and_malformed_ids(store, settings, fake_arxiv):
    with pytest.raises(AssayError, match=r"'2005\.1301' is not an arXiv id"):
        fetch(store, settings, ["2005.13013", "2005.1301"])
    assert fake_arxiv.hits == []
    with pytest.raises(AssayError, match=r"arXiv has no paper 2101\.99999"):
        fetch(store, settings, ["2101.99999"])
    assert store.one("SELECT COUNT(*) AS n FROM papers")["n"] == 0


def test_failed_download_leaves_no_rows_and_no_files(store, settings, fake_arxiv):
    fake_arxiv.fault("/pdf", "truncate", times=10)
    with pytest.raises(NetworkError, match="nothing was saved"):
        fetch(store, settings, ["2005.13013"])
    assert store.one("SELECT COUNT(*) AS n FROM papers")["n"] == 0
    assert not any(p.is_file() for p in settings.pdf_cache.rglob("*"))


def test_a_pdf_ingestion_rejects_leaves_no_cached_file(store, settings, fake_arxiv):
    # a PDF with no text at all: ingestion refuses it, and the download is dropped from the cache again
    import io

    from reportlab.pdfgen import canvas

    buf = io.BytesIO()
    c = canvas.Canvas(buf)
    c.showPage()
    c.save()
    fake_arxiv.papers["1911.02116"].pdfs["v1"] = buf.getvalue()
    with pytest.raises(AssayError):
        fetch(store, settings, ["1911.02116"])
    assert store.one("SELECT COUNT(*) AS n FROM papers")["n"] == 0
    assert not any(p.is_file() for p in settings.pdf_cache.rglob("*"))


def test_source_can_be_shared_between_fetches(store, settings, fake_arxiv):
    source = ArxivSource(settings, store)
    fetch(store, settings, ["2005.13013v1"], source=source)
    fetch(store, settings, ["2005.13013v1", "1911.02116"], source=source)
    assert sorted(r["id"] for r in store.query("SELECT id FROM papers")) == ["1911.02116v1", "2005.13013v1"]


# -- killing `assay fetch` ------------------------------------------------------------------------------------------


def check_consistent(home: Path) -> int:
    """Every stored paper is complete and its PDF cached intact; the cache holds nothing else. Returns #papers."""
    db = home / "assay.sqlite3"
    conn = sqlite3.connect(db) if db.exists() else sqlite3.connect(":memory:")
    try:
        if not conn.execute("SELECT 1 FROM sqlite_master WHERE name = 'papers'").fetchone():
            conn.execute(
                "CREATE TEMP TABLE papers (id, n_pages, pdf_sha256)"
            )  # killed before the schema existed
            conn.execute("CREATE TEMP TABLE pages (paper_id)")
        papers = conn.execute("SELECT id, n_pages, pdf_sha256 FROM papers").fetchall()
        for paper_id, n_pages, _ in papers:
            pages = conn.execute("SELECT COUNT(*) FROM pages WHERE paper_id = ?", (paper_id,)).fetchone()[0]
            assert pages == n_pages, f"{paper_id}: {pages} of {n_pages} pages stored"
        orphans = conn.execute(
            "SELECT COUNT(*) FROM pages WHERE paper_id NOT IN (SELECT id FROM papers)"
        ).fetchone()[0]
        assert orphans == 0
        shas = {sha for _, _, sha in papers}
    finally:
        conn.close()
    cache = home / "pdfs"
    files = [p for p in cache.rglob("*") if p.is_file()] if cache.exists() else []
    for f in files:
        assert not f.name.startswith(".part-"), f"partial file left: {f}"
        assert hashlib.sha256(f.read_bytes()).hexdigest() == f.stem, f"corrupt cache file {f}"
    for sha in shas:
        assert (cache / sha[:2] / f"{sha}.pdf").is_file()
    return len(papers)


def start_fetch(home: Path, fake_arxiv, *ids: str) -> subprocess.Popen:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ASSAY_")}
    env.update({"ASSAY_HOME": str(home), "ASSAY_ARXIV_API": fake_arxiv.api_url, "PYTHONPATH": str(REPO)})
    return subprocess.Popen(
        [sys.executable, "-c", SUBPROCESS_GUARD, "--online", "fetch", *ids],
        env=env,
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def kill_during_fetch(
    root: Path, fake_arxiv, plans: list[tuple[signal.Signals, float | None]], body_seconds: float = 1.2
) -> list[Path]:
    """Start `assay fetch` (in a fresh home each time) against a PDF that takes ``body_seconds`` to flow and send it
    a signal at each planned moment (seconds after the PDF started to flow; None: right after start); check each
    home after. Returns them."""
    homes = []
    for n, (sig, after_pdf_start) in enumerate(plans):
        home = root / f"home{n}"
        home.mkdir(parents=True)
        (home / "config.toml").write_text(
            "arxiv_delay_seconds = 0.01\narxiv_retries = 1\nhttp_timeout_seconds = 5\n"
        )
        homes.append(home)
        fake_arxiv.pdf_started.clear()
        fake_arxiv.faults.clear()
        fake_arxiv.fault("/pdf", "slow_body", seconds=body_seconds)
        proc = start_fetch(home, fake_arxiv, "2005.13013")
        if after_pdf_start is None:
            time.sleep(0.05)
        else:
            deadline = time.monotonic() + 60
            while not fake_arxiv.pdf_started.wait(0.05):
                assert proc.poll() is None, proc.communicate()
                assert time.monotonic() < deadline
            time.sleep(after_pdf_start)
        sent = time.monotonic()
        proc.send_signal(sig)
        out, err = proc.communicate(timeout=60)
        waited = time.monotonic() - sent
        if sig == signal.SIGINT and proc.returncode != 0:
            assert proc.returncode == 130, err  # interrupted, not a crash
        stored = check_consistent(home)
        if after_pdf_start is None or after_pdf_start < 0.8 * body_seconds:
            hits = [(h.path, round(h.at - sent, 2)) for h in fake_arxiv.hits]
            assert stored == 0, (
                f"killed before the download finished, yet {stored} paper(s) stored: exit {proc.returncode} "
                f"{waited:.1f} s after the signal; requests (path, s after the signal) {hits}; out {out!r}; "
                f"err {err[-2000:]!r}"
            )
    fake_arxiv.faults.clear()
    return homes


def test_killing_fetch_mid_download_leaves_nothing(tmp_path, fake_arxiv):
    kill_during_fetch(tmp_path, fake_arxiv, [(signal.SIGKILL, 0.3), (signal.SIGINT, 0.3)], body_seconds=3.0)


@pytest.mark.slow
def test_killing_fetch_at_any_moment_leaves_nothing_half_written(tmp_path, fake_arxiv):
    homes = kill_during_fetch(
        tmp_path,
        fake_arxiv,
        [
            (signal.SIGKILL, None),  # before the download starts
            (signal.SIGKILL, 0.3),  # in the middle of the download
            (signal.SIGINT, 0.3),  # Ctrl-C in the middle of the download
            (signal.SIGKILL, 0.9),  # near the end of the download
            (signal.SIGKILL, 1.3),  # after the download: during ingestion
            (signal.SIGINT, 1.3),
        ],
    )
    # afterwards a plain fetch completes and everything is whole
    home = homes[-1]
    proc = start_fetch(home, fake_arxiv, "2005.13013", "1911.02116")
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err
    assert check_consistent(home) == 2
    assert "2005.13013v2" in out and "1911.02116v1" in out
    rows = json.loads(
        subprocess.run(
            [sys.executable, "-c", SUBPROCESS_GUARD, "--offline", "fetch", "2005.13013v2", "--json"],
            env={
                **{k: v for k, v in os.environ.items() if not k.startswith("ASSAY_")},
                "ASSAY_HOME": str(home),
                "PYTHONPATH": str(REPO),
            },
            cwd=REPO,
            capture_output=True,
            text=True,
            timeout=60,
            check=True,
        ).stdout
    )
    assert rows == [
        {
            "id": "2005.13013v2",
            "created": False,
            "pages": 2,
            "title": "English Intermediate-Task Training Improves Zero-Shot Cross-Lingual Transfer Too",
        }
    ]
