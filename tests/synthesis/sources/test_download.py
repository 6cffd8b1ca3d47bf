"""Streaming PDF downloads: complete files land in the cache under their sha256; every failure leaves nothing."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from fake_arxiv import make_pdf

from synthesis.errors import AssayError, NetworkError, NetworkForbidden
from synthesis.sources.arxiv import ArxivSource
from synthesis.sources.download import PartialFile


def cache_files(settings) -> list[Path]:
    root = settings.pdf_cache
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


def record(source, vid="2005.13013v2"):
    return source.lookup([vid])[0]


def test_download_lands_in_the_cache_under_its_sha(source, settings, fake_arxiv):
    rec = record(source)
    seen: list[tuple[int, int | None]] = []
    cached = source.download_pdf(rec, progress=lambda done, total: seen.append((done, total)))
    expected = fake_arxiv.papers["2005.13013"].pdf("v2")
    assert cached.path.read_bytes() == expected
    assert cached.sha256 == hashlib.sha256(expected).hexdigest() == cached.path.stem
    assert cached.size == len(expected)
    assert cached.path.parent.parent == settings.pdf_cache
    assert cache_files(settings) == [cached.path]
    assert seen[-1] == (len(expected), len(expected))
    assert cached.path in source.downloaded
    # a second download of the same bytes is not "new"
    again = ArxivSource(settings, source.store)
    assert again.download_pdf(rec).path == cached.path and not again.downloaded


def test_truncated_body_is_retried_then_fails_leaving_nothing(source, settings, fake_arxiv):
    rec = record(source)
    fake_arxiv.fault("/pdf", "truncate", times=10)
    with pytest.raises(NetworkError) as info:
        source.download_pdf(rec)
    message = str(info.value)
    assert "after 3 tries" in message and "nothing was saved" in message and "\n" not in message
    assert len(fake_arxiv.pdf_hits()) == 3
    assert cache_files(settings) == []


def test_truncated_body_once_then_complete(source, settings, fake_arxiv):
    rec = record(source)
    fake_arxiv.fault("/pdf", "truncate", times=1)
    cached = source.download_pdf(rec)
    assert cached.path.read_bytes() == fake_arxiv.papers["2005.13013"].pdf("v2")
    assert cache_files(settings) == [cached.path]


def test_connection_reset_before_the_answer_is_retried(source, fake_arxiv):
    rec = record(source)
    fake_arxiv.fault("/pdf", "reset", times=2)
    assert source.download_pdf(rec).size > 0
    assert len(fake_arxiv.pdf_hits()) == 3


def test_body_without_length_and_without_end_marker_is_truncated(source, settings, fake_arxiv):
    rec = record(source)
    cut = fake_arxiv.papers["2005.13013"].pdf("v2")[:-200]
    fake_arxiv.fault("/pdf", "no_length", body=cut, times=10)
    with pytest.raises(NetworkError, match="without the PDF end marker"):
        source.download_pdf(rec)
    assert cache_files(settings) == []


def test_non_pdf_served_as_pdf_is_rejected_at_once(source, settings, fake_arxiv):
    rec = record(source)
    fake_arxiv.fault(
        "/pdf", "body", body=b"<html>" + b"PDF is being generated, please wait. " * 100 + b"</html>"
    )
    with pytest.raises(AssayError, match="is not a PDF") as info:
        source.download_pdf(rec)
    assert "<html>PDF is being" in str(info.value)
    assert len(fake_arxiv.pdf_hits()) == 1
    assert cache_files(settings) == []


def test_short_non_pdf_is_rejected(source, settings, fake_arxiv):
    rec = record(source)
    fake_arxiv.fault("/pdf", "body", body=b"Not Found")
    with pytest.raises(AssayError, match="is not a PDF"):
        source.download_pdf(rec)
    assert cache_files(settings) == []


def test_oversize_pdf_is_refused_from_its_content_length(make_settings, store, fake_arxiv):
    settings = make_settings(max_pdf_bytes=1000)
    source = ArxivSource(settings, store)
    rec = record(source)
    with pytest.raises(
        AssayError, match=r"larger than the limit of 0.0 MiB \(max_pdf_bytes\).*the server says"
    ):
        source.download_pdf(rec)
    assert cache_files(settings) == []


def test_oversize_pdf_without_length_is_stopped_while_streaming(make_settings, store, fake_arxiv):
    settings = make_settings(max_pdf_bytes=1000)
    source = ArxivSource(settings, store)
    rec = record(source)
    fake_arxiv.fault("/pdf", "no_length")
    with pytest.raises(AssayError, match="larger than the limit") as info:
        source.download_pdf(rec)
    assert "the server says" not in str(info.value)
    assert cache_files(settings) == []


def test_missing_pdf_is_a_network_error(source, fake_arxiv, settings):
    fake_arxiv.papers["2005.13013"].versions.append("v3")
    rec = record(source, "2005.13013v3")
    fake_arxiv.papers["2005.13013"].versions.remove("v3")
    with pytest.raises(NetworkError, match="HTTP 404"):
        source.download_pdf(rec)
    assert cache_files(settings) == []


def test_offline_download_is_forbidden(source, make_settings, store, fake_arxiv):
    rec = record(source)
    offline = ArxivSource(make_settings(offline=True), store)
    with pytest.raises(NetworkForbidden, match="drop --offline"):
        offline.download_pdf(rec)
    assert fake_arxiv.pdf_hits() == []


def test_partial_file_has_no_name_until_commit(tmp_path):
    folder = tmp_path / "pdfs"
    data = make_pdf("Partial")
    with PartialFile(folder) as part:
        part.write(data)
        assert [p for p in folder.rglob("*") if p.is_file() and not p.name.startswith(".part-")] == []
        cached = part.commit(hashlib.sha256(data).hexdigest())
    assert cached.path.read_bytes() == data and part.created
    with PartialFile(folder) as part:
        part.write(b"half a file")
        raise_later = part
    assert not raise_later.committed
    assert [p.name for p in folder.rglob("*") if p.is_file()] == [cached.path.name]


def test_partial_file_fallback_without_o_tmpfile(tmp_path, monkeypatch):
    monkeypatch.delattr("os.O_TMPFILE", raising=False)
    folder = tmp_path / "pdfs"
    data = make_pdf("Fallback")
    with PartialFile(folder) as part:
        assert part.path is not None and part.path.name.startswith(".part-")
        part.write(data)
        cached = part.commit(hashlib.sha256(data).hexdigest())
    assert cached.path.read_bytes() == data
    with PartialFile(folder) as part:
        part.write(b"abandoned")
    assert [p.name for p in folder.rglob("*") if p.is_file()] == [cached.path.name]
