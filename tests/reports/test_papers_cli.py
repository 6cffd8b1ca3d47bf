"""`assay ingest`, `assay papers`, `assay show`: output, JSON, no-ops, and one-line errors with exit code 2."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest


@pytest.fixture(scope="module")
def ingested_template(tmp_path_factory: pytest.TempPathFactory, paper_pdf: Path) -> Path:
    """A home with 2005.13013v1 ingested once for this module (tests get a copy)."""
    from synthesis.ingest import ingest_pdf
    from synthesis.settings import load_settings
    from synthesis.store import Store

    h = tmp_path_factory.mktemp("papers_cli") / "home"
    settings = load_settings(h, offline=True)
    with Store(settings.db_path) as store:
        ingest_pdf(store, settings, paper_pdf, arxiv_id="2005.13013v1")
    return h


@pytest.fixture()
def ingested(home: Path, ingested_template: Path) -> Path:
    shutil.copytree(ingested_template, home)
    return home


def test_ingest_prints_one_line_per_paper_and_no_ops(
    assay, home: Path, paper_pdf: Path, corpus_dir: Path
) -> None:
    first = assay("ingest", paper_pdf, "--arxiv-id", "2005.13013v1")
    assert first.code == 0, first.err
    assert first.out.strip() == (
        "2005.13013v1\t11 pages\tEnglish Intermediate-Task Training Improves Zero-Shot Cross-Lingual Transfer Too"
    )
    again = assay("ingest", paper_pdf, corpus_dir / "hyperllama.pdf", "--json")
    assert again.code == 0, again.err
    rows = [json.loads(line) for line in again.out.splitlines()]
    assert [(r["id"], r["created"], r["pages"]) for r in rows][0] == ("2005.13013v1", False, 11)
    assert rows[1]["created"] and rows[1]["pages"] == 13 and rows[1]["id"].startswith("sha256:")
    plain = assay("ingest", paper_pdf)
    assert plain.out.rstrip().endswith("(already stored)")
    same = assay("ingest", paper_pdf, "--arxiv-id", "2005.13013v1")
    assert same.out.rstrip().endswith("(already stored)")
    # the same bytes under another id are not stored twice, and the user is told the id was not applied
    other = assay("ingest", corpus_dir / "hyperllama.pdf", "--arxiv-id", "2402.00001v1")
    assert other.code == 0 and other.out.startswith("sha256:")
    assert "already stored as sha256:" in other.out and "--arxiv-id ignored" in other.out


def test_papers_lists_and_json(assay, ingested) -> None:
    table = assay("papers")
    assert table.code == 0 and "2005.13013v1" in table.out and "11" in table.out
    rows = json.loads(assay("papers", "--json").out)
    assert len(rows) == 1
    row = rows[0]
    assert row["id"] == "2005.13013v1" and row["arxiv_id"] == "2005.13013" and row["version"] == "v1"
    assert row["authors"][0] == "Jason Phang" and row["pages"] == 11 and row["sentences"] > 150


def test_show_paper_page_sections_references(assay, ingested) -> None:
    r = assay("show", "2005.13013")
    assert (
        r.code == 0
        and "English Intermediate-Task Training" in r.out
        and "average improvement of 8.4" in r.out
    )
    meta = json.loads(assay("show", "2005.13013v1", "--json").out)
    assert meta["n_pages"] == 11 and meta["authors"][-1] == "Samuel R. Bowman"
    page = assay("show", "2005.13013v1", "--page", "10")
    assert page.code == 0 and "A Implementation details" in page.out
    data = json.loads(assay("show", "2005.13013v1", "--page", "1", "--json").out)
    assert data["page"] == 1 and data["text"].startswith("English Intermediate-Task Training")
    secs = assay("show", "English Intermediate-Task Training Improves", "--sections")
    assert "p.1   1 Introduction" in secs.out and "A.3 Software" in secs.out
    refs = assay("show", "2005.13013v1", "--references")
    assert "Unsupervised cross-lingual representation learning at scale" in refs.out
    assert json.loads(assay("show", "2005.13013v1", "--references", "--json").out)[0]["year"] == 2016


@pytest.mark.parametrize("page", ["0", "12", "-1"])
def test_show_page_out_of_range(assay, ingested, page: str) -> None:
    r = assay("show", "2005.13013v1", "--page", page)
    assert r.code == 2
    assert r.err.strip().startswith("error:") and len(r.err.strip().splitlines()) == 1
    assert "out of range" in r.err


def test_show_unknown_paper(assay, home: Path) -> None:
    r = assay("show", "9999.99999")
    assert r.code == 2 and r.err.startswith("error:")


def test_bad_files_exit_2_with_one_line_and_change_nothing(
    assay, ingested, home: Path, tmp_path: Path, paper_pdf: Path
) -> None:
    from synthesis.store import Store

    def state():
        with Store(home / "assay.sqlite3") as s:
            rows = {
                t: s.one(f"SELECT COUNT(*) AS n FROM {t}")["n"]
                for t in ("papers", "pages", "passages", "refs")
            }
        return rows, sorted(p.name for p in (home / "pdfs").rglob("*"))

    before = state()
    notes = tmp_path / "notes.pdf"
    notes.write_text("plain text\n")
    cut = tmp_path / "cut.pdf"
    cut.write_bytes(paper_pdf.read_bytes()[:30000])
    enc, scan = tmp_path / "enc.pdf", tmp_path / "scan.pdf"
    enc.write_bytes(_encrypted(paper_pdf.read_bytes()))
    scan.write_bytes(_scanned())
    for args, message in [
        ((enc,), "encrypted"),
        ((scan,), "no extractable text"),
        ((notes,), "not a PDF"),
        ((cut,), "truncated or corrupt"),
        ((tmp_path / "missing.pdf",), "no such file"),
        ((paper_pdf, cut, "--title", "T"), "one file"),
        ((paper_pdf, "--arxiv-id", "../../etc"), "not an arXiv id"),
    ]:
        r = assay("ingest", *args)
        assert r.code == 2, (args, r.out, r.err)
        lines = r.err.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("error:") and message in lines[0], r.err
        assert state() == before


def _encrypted(data: bytes) -> bytes:
    import io

    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(data)))
    writer.encrypt(user_password="secret", algorithm="RC4-128")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def _scanned() -> bytes:
    """A page with shapes only: what a scan without OCR gives the text extractor."""
    import io

    from reportlab.pdfgen import canvas

    buf = io.BytesIO()
    c = canvas.Canvas(buf)
    c.rect(72, 500, 300, 200, fill=1)
    c.circle(300, 300, 50, fill=1)
    c.showPage()
    c.save()
    return buf.getvalue()


def test_papers_empty_store(assay, home: Path) -> None:
    r = assay("papers")
    assert r.code == 0 and "no papers stored" in r.out
    assert json.loads(assay("papers", "--json").out) == []


def test_papers_table_shows_short_sha_ids_that_resolve(assay, ingested, corpus_dir: Path) -> None:
    """Regression: a 71-character sha256 id was folded over three lines of the table and could not be copied."""
    assert assay("ingest", corpus_dir / "hyperllama.pdf").code == 0
    table = assay("papers").out
    full = next(r["id"] for r in json.loads(assay("papers", "--json").out) if r["id"].startswith("sha256:"))
    short = full[:19]
    assert short in table and full not in table and "shortened" in table
    shown = assay("show", short, "--json")
    assert shown.code == 0 and json.loads(shown.out)["id"] == full


def test_show_json_uses_the_same_keys_as_papers_json(assay, ingested) -> None:
    """Regression: `papers --json` said "pages", `show --json` only "n_pages"."""
    listed = json.loads(assay("papers", "--json").out)[0]
    shown = json.loads(assay("show", "2005.13013v1", "--json").out)
    for key in (
        "id",
        "arxiv_id",
        "version",
        "title",
        "authors",
        "pages",
        "sentences",
        "source",
        "pdf_sha256",
    ):
        assert shown[key] == listed[key], key
