"""Regressions (issue 14, item 9): valid PDFs with bytes after ``%%EOF`` were rejected as corrupt although pypdf
reads them, and pypdf's own log lines ("EOF marker not found") were printed beside our one-line error."""

from __future__ import annotations

import logging
import re
from pathlib import Path

import pytest

from synthesis.errors import AssayError
from synthesis.pdftext import PDF_LOGGERS, check_pdf_bytes, extract_pages, quiet_pdf_libraries

JUNK = {
    "text": b"\nThis file was sent by the mail gateway.\n" * 200,
    "zeros": b"\0" * 10_000,
    "html": b"\n<html><body>download page</body></html>\n" * 100,
    "binary": bytes(range(256)) * 40,
}


@pytest.mark.parametrize("kind", sorted(JUNK))
def test_bytes_after_eof_are_accepted(small_paper: bytes, kind: str) -> None:
    data = small_paper + JUNK[kind]
    assert len(JUNK[kind]) > 2048  # past the window the old check looked in
    check_pdf_bytes(data)
    assert extract_pages(data).pages == extract_pages(small_paper).pages


def test_bytes_after_eof_ingest_through_the_cli(
    small_paper: bytes, tmp_path: Path, home: Path, assay, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ASSAY_EMBEDDING_MODEL", "none")
    f = tmp_path / "padded.pdf"
    f.write_bytes(small_paper + JUNK["zeros"])
    r = assay("ingest", str(f))
    assert r.code == 0, r.err
    assert r.err.strip() == ""


def test_cut_off_pdfs_are_still_refused(small_paper: bytes, pdfs) -> None:
    with pytest.raises(AssayError, match="truncated or corrupt"):
        check_pdf_bytes(pdfs.truncated(small_paper))
    # an earlier %%EOF does not make a file whole when PDF objects follow it (a cut incremental update)
    cut_update = small_paper + b"\n5 0 obj\n<< /Type /Annot >>\nendobj\n6 0 obj\n<< /Length 9"
    with pytest.raises(AssayError, match="truncated or corrupt"):
        check_pdf_bytes(cut_update)
    no_marker = small_paper.replace(b"%%EOF", b"%%EOX")
    with pytest.raises(AssayError, match="no %%EOF"):
        extract_pages(no_marker)


def _broken_xref(data: bytes) -> bytes:
    """The same PDF with a wrong startxref offset: pypdf logs its repair, then reads it."""
    return re.sub(rb"startxref\s+(\d+)", lambda m: b"startxref\n" + str(int(m.group(1)) + 7).encode(), data)


def test_pypdf_log_lines_are_silenced_and_levels_restored(small_paper: bytes, capsys, caplog) -> None:
    levels = {name: logging.getLogger(name).level for name in PDF_LOGGERS}
    import io

    import pypdf

    with caplog.at_level(logging.DEBUG), quiet_pdf_libraries():
        reader = pypdf.PdfReader(io.BytesIO(_broken_xref(small_paper) + b"%PDF junk without a marker\n"))
        assert len(reader.pages) == 2
    assert [r for r in caplog.records if r.name.startswith(PDF_LOGGERS)] == []
    assert capsys.readouterr().err == ""
    assert {name: logging.getLogger(name).level for name in PDF_LOGGERS} == levels
    # outside the block pypdf speaks again (we did not silence it for the rest of the process)
    with caplog.at_level(logging.WARNING):
        pypdf.PdfReader(io.BytesIO(_broken_xref(small_paper)))
    assert any(r.name.startswith("pypdf") for r in caplog.records)


def test_only_our_line_on_stderr_for_a_pdf_pypdf_complains_about(
    pdfs, tmp_path: Path, home: Path, assay
) -> None:
    """A scanned PDF with a broken xref: pypdf repairs it (and logs that), we refuse it for having no text."""
    f = tmp_path / "scan.pdf"
    f.write_bytes(_broken_xref(pdfs.scanned_pdf()))
    logging.getLogger("pypdf").setLevel(logging.NOTSET)  # as in a fresh process: nothing silenced beforehand
    r = assay("ingest", str(f))
    assert r.code == 2
    assert r.err.strip().splitlines() == [r.err.strip()] and "no extractable text" in r.err, r.err
