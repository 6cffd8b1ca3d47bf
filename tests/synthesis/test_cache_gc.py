"""Regression (issue 14, item 8): an ingest killed between caching the PDF and committing its paper left an
unreferenced PDF in the cache for ever. The command that owns the cache now collects such leftovers (older than a
short grace period, so a concurrent ingest's fresh file stays) and dead writers' temp files when it starts."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import time
from pathlib import Path

from synthesis import pdfcache
from synthesis.settings import load_settings
from synthesis.store import Store

REPO = Path(__file__).resolve().parents[2]


def _age(path: Path, seconds: float) -> None:
    t = time.time() - seconds
    os.utime(path, (t, t))


def test_collect_garbage_keeps_referenced_and_fresh_files(tmp_path: Path) -> None:
    cache = tmp_path / "pdfs"
    kept = pdfcache.put_bytes(cache, b"%PDF-1.4 referenced")
    leftover = pdfcache.put_bytes(cache, b"%PDF-1.4 left by a killed ingest")
    fresh = pdfcache.put_bytes(cache, b"%PDF-1.4 a concurrent ingest's, not yet committed")
    dead_part = cache / ".part-999999999-abc.pdf"
    dead_part.write_bytes(b"partial")
    live_part = pdfcache.temp_file(cache)  # this process is alive: its temp file stays
    other = cache / "notes.txt"  # not ours: never touched
    other.write_text("x")
    for p in (kept.path, leftover.path, dead_part, other):
        _age(p, 3600)
    removed = pdfcache.collect_garbage(cache, {kept.sha256}, grace_seconds=600)
    assert removed == [leftover.path]
    assert kept.path.is_file() and fresh.path.is_file() and live_part.is_file() and other.is_file()
    assert not leftover.path.exists() and not dead_part.exists()
    # the fresh one goes too once the grace period has passed
    assert pdfcache.collect_garbage(cache, {kept.sha256}, grace_seconds=0) == [fresh.path]


def test_collect_garbage_on_a_missing_cache(tmp_path: Path) -> None:
    assert pdfcache.collect_garbage(tmp_path / "none", set()) == []


def test_ingest_killed_after_caching_leaves_a_pdf_the_next_ingest_collects(
    tmp_path: Path, pdfs, small_paper: bytes
) -> None:
    home = tmp_path / "home"
    first = tmp_path / "first.pdf"
    first.write_bytes(small_paper)
    second = tmp_path / "second.pdf"
    second.write_bytes(
        pdfs.text_pdf(
            [
                [
                    "A second paper about gadgets, with enough words to be read as text.",
                    "We find that gadgets improve accuracy by 2.5 points on the benchmark.",
                ]
            ]
        )
    )
    # A real process killed at the worst moment: the PDF is cached, the paper's rows are not committed.
    script = (
        "import os, sys\n"
        "import synthesis.ingest as ingest\n"
        "ingest.write_rows = lambda *a, **k: os._exit(9)\n"
        "from reports.cli import main\n"
        "main(['--home', sys.argv[1], 'ingest', sys.argv[2]])\n"
    )
    env = dict(os.environ, PYTHONPATH=str(REPO), ASSAY_OFFLINE="1", ASSAY_EMBEDDING_MODEL="none")
    proc = subprocess.run(
        [sys.executable, "-c", script, str(home), str(first)],
        cwd=REPO,
        env=env,
        capture_output=True,
        timeout=120,
    )
    assert proc.returncode == 9, proc.stderr.decode()
    settings = load_settings(home, offline=True)
    sha = hashlib.sha256(small_paper).hexdigest()
    leftover = pdfcache.path_for(settings.pdf_cache, sha)
    with Store(settings.db_path) as store:
        assert store.one("SELECT COUNT(*) n FROM papers")["n"] == 0
    assert leftover.is_file()  # the kill left it
    dead_part = leftover.parent / ".part-999999999-x.pdf"
    dead_part.write_bytes(b"half a PDF")
    _age(leftover, 2 * pdfcache.GC_GRACE_SECONDS)

    proc = subprocess.run(
        [sys.executable, "-m", "reports.cli", "--home", str(home), "ingest", str(second)],
        cwd=REPO,
        env=env,
        capture_output=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr.decode()
    assert not leftover.exists() and not dead_part.exists()
    with Store(settings.db_path) as store:
        shas = [r["pdf_sha256"] for r in store.query("SELECT pdf_sha256 FROM papers")]
    assert len(shas) == 1 and pdfcache.path_for(settings.pdf_cache, shas[0]).is_file()
    assert [sha for sha, _ in pdfcache.cached_files(settings.pdf_cache)] == shas


def test_a_fresh_unreferenced_pdf_survives_another_ingest(tmp_path: Path, pdfs, small_paper: bytes) -> None:
    """The grace period: a PDF cached moments ago (a concurrent fetch about to ingest it) is not collected."""
    from synthesis import ingest

    settings = load_settings(tmp_path / "home", offline=True)
    fresh = pdfcache.put_bytes(settings.pdf_cache, b"%PDF-1.4 downloaded a moment ago")
    with Store(settings.db_path) as store:
        assert ingest.collect_cache_garbage(store, settings) == []
        assert fresh.path.is_file()
        ingest.ingest_pdf(store, settings, small_paper)
        assert fresh.path.is_file()
        _age(fresh.path, pdfcache.GC_GRACE_SECONDS + 1)
        assert ingest.collect_cache_garbage(store, settings) == [fresh.path]
        stored = store.one("SELECT pdf_sha256 FROM papers")["pdf_sha256"]
        assert pdfcache.path_for(settings.pdf_cache, stored).is_file()
