"""Fixtures for the audit: our own test reports, PDFs of reports, audits of the samples made once per session, and
the arXiv engineer's fake arXiv on 127.0.0.1 (imported from tests/synthesis/sources)."""

from __future__ import annotations

import io
import sys
import textwrap
from pathlib import Path

import pytest

DATA = Path(__file__).resolve().parents[1] / "data" / "reports"
FAKE_ARXIV_DIR = Path(__file__).resolve().parents[1] / "synthesis" / "sources"
DEJAVU = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")


@pytest.fixture(scope="session")
def data_reports() -> Path:
    """tests/data/reports: a clean report and one with planted faults."""
    return DATA


@pytest.fixture(scope="session")
def samples_dir(shared_dir: Path) -> Path:
    return shared_dir / "samples" / "reports"


def report_pdf(text: str) -> bytes:
    """A PDF of a report's text, one line per text line, table rows as three positioned cells (like a real export)."""
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen import canvas

    font, marks = "Helvetica", {"✓": "yes", "×": "no"}
    if DEJAVU.is_file():
        from reportlab.pdfbase import pdfmetrics
        from reportlab.pdfbase.ttfonts import TTFont

        pdfmetrics.registerFont(TTFont("DejaVuSans", str(DEJAVU)))
        font, marks = "DejaVuSans", {}
    buf = io.BytesIO()
    c = canvas.Canvas(buf, pagesize=A4)
    y = 800

    def line(s: str, x: float = 36) -> None:
        nonlocal y
        if y < 40:
            c.showPage()
            y = 800
        c.setFont(font, 6.5)
        c.drawString(x, y, s)

    for raw in text.split("\n"):
        if "\t" in raw:
            cells = raw.split("\t")
            line(cells[0])
            for x, cell in zip((500, 540), cells[1:], strict=False):
                line(marks.get(cell, cell), x)
            y -= 10
            continue
        for part in textwrap.wrap(raw, 130) or [""]:
            line(part)
            y -= 10
    c.save()
    return buf.getvalue()


@pytest.fixture(scope="session")
def make_report_pdf():
    return report_pdf


@pytest.fixture(scope="session")
def audit_settings(corpus_home: Path):
    from synthesis.settings import load_settings

    return load_settings(corpus_home, offline=True)


@pytest.fixture(scope="session")
def audits(corpus_store, audit_settings, samples_dir: Path):
    """Audits of the two samples and our two reports against the corpus store, each made once per session."""
    from reports.audit.run import audit_report

    cache: dict[str, dict] = {}

    def get(name: str) -> dict:
        if name not in cache:
            path = DATA / name if (DATA / name).exists() else samples_dir / name
            cache[name] = audit_report(corpus_store, audit_settings, path)
        return cache[name]

    return get


@pytest.fixture()
def fake_arxiv(monkeypatch: pytest.MonkeyPatch):
    """The fake arXiv of tests/synthesis/sources with the examined paper (v1, v2), a related and an unrelated paper;
    any connection that is not to 127.0.0.1 fails the test."""
    sys.path.insert(0, str(FAKE_ARXIV_DIR))
    try:
        from fake_arxiv import FakeArxiv, NetworkGuard, start_server
    except ImportError:
        pytest.skip("tests/synthesis/sources/fake_arxiv.py is not available")
    finally:
        sys.path.remove(str(FAKE_ARXIV_DIR))
    guard = NetworkGuard()
    guard.install(monkeypatch)
    fake = FakeArxiv()
    fake.add(
        "2005.13013",
        "English Intermediate-Task Training Improves Zero-Shot Cross-Lingual Transfer Too",
        ["Jason Phang", "Phu Mon Htut"],
        versions=("v1", "v2"),
        summary="Intermediate-task training on English tasks improves zero-shot cross-lingual transfer on XTREME.",
    )
    fake.add(
        "2003.11080",
        "XTREME: A Massively Multilingual Multi-task Benchmark for Evaluating Cross-lingual Generalization",
        ["Junjie Hu", "Sebastian Ruder"],
        versions=("v1", "v2", "v5"),
        summary="We introduce XTREME, a multilingual benchmark for evaluating the cross-lingual generalization "
        "of multilingual representations across 40 languages and 9 tasks; zero-shot cross-lingual "
        "transfer from English leaves a large gap.",
        published="2020-03-24",
    )
    fake.add(
        "2201.11957",
        "Protein folding kinetics of enzymes in yeast under heat stress",
        ["A. Biologist"],
        versions=("v1",),
        summary="We measure folding rates of yeast enzymes at elevated temperatures in vivo.",
        published="2022-01-28",
        category="q-bio.BM",
    )
    server, thread = start_server(fake)
    yield fake
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)
    assert not guard.violations, f"a test tried to reach the network: {guard.violations}"
