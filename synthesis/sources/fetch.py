"""``assay fetch``: arXiv ids -> metadata -> PDF download -> ingestion, skipping what the store already holds.

A versioned id that is stored answers without any request; the rest are looked up in one API request, then each
missing version is downloaded into the PDF cache and ingested in one transaction. Offline, an id without version
answers from the newest stored version when the API answer is not cached.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING

from synthesis.errors import NetworkForbidden
from synthesis.sources.arxiv import ArxivRecord, ArxivSource, parse_arxiv_id
from synthesis.store_papers import paper_summary_by_arxiv, pdf_is_referenced

if TYPE_CHECKING:
    from synthesis.ingest import IngestResult
    from synthesis.pdfcache import CachedPdf
    from synthesis.store import Store


def stored_version(store: Store, arxiv_id: str, version: str | None) -> sqlite3.Row | None:
    """The stored row (id, n_pages, title) of that version, or of the newest stored version when none is given."""
    return paper_summary_by_arxiv(store, arxiv_id, version)


def fetch(
    store,
    settings,
    ids: list[str],
    *,
    source: ArxivSource | None = None,  # noqa: ANN001
    progress: Callable[[ArxivRecord, int, int | None], None] | None = None,
) -> list[IngestResult]:
    """Make sure each arXiv paper in ``ids`` is stored; returns one IngestResult per distinct id, in order.

    ``created`` is False for papers already stored. ``progress(record, bytes_done, bytes_total)`` follows downloads.
    Malformed ids fail before any request; a failed download or ingestion leaves no rows and no new cache file.
    """
    parsed = list(dict.fromkeys(parse_arxiv_id(i) for i in ids))  # all ids checked before any request
    answers, pending = _stored_answers(store, parsed)
    if pending:
        source = source or ArxivSource(settings, store)
        for key, record in _records_to_fetch(store, source, pending, answers):
            answers[key] = _stored_or_ingested(store, settings, source, record, progress)
    return [answers[key] for key in parsed]


def _already_stored(row: sqlite3.Row) -> IngestResult:
    """The IngestResult of a stored paper (``created`` False)."""
    from synthesis.ingest import IngestResult  # here, not at module level: pypdf is heavy

    return IngestResult(row["id"], False, row["n_pages"], row["title"])


def _stored_answers(
    store: Store, parsed: list[tuple[str, str | None]]
) -> tuple[dict[tuple[str, str | None], IngestResult], list[tuple[str, str | None]]]:
    """(answers for the versioned ids already stored, the ids still to look up), without any request."""
    answers: dict[tuple[str, str | None], IngestResult] = {}
    pending: list[tuple[str, str | None]] = []
    for base, version in parsed:
        row = stored_version(store, base, version) if version else None
        if row is not None:
            answers[(base, version)] = _already_stored(row)
        else:
            pending.append((base, version))
    return answers, pending


def _records_to_fetch(
    store: Store,
    source: ArxivSource,
    pending: list[tuple[str, str | None]],
    answers: dict[tuple[str, str | None], IngestResult],
) -> Iterable[tuple[tuple[str, str | None], ArxivRecord]]:
    """(id, arXiv record) for each pending id, looked up in one request. Offline, ids without version answer from
    the newest stored version (added to ``answers``; nothing is left to fetch); raises NetworkForbidden when an id
    is not stored at all."""
    try:
        records = source.lookup([f"{base}{version or ''}" for base, version in pending])
    except NetworkForbidden:
        unknown = [(b, v) for b, v in pending if v or stored_version(store, b, None) is None]
        if unknown:
            names = ", ".join(f"{b}{v or ''}" for b, v in unknown)
            verb, them = ("is", "it") if len(unknown) == 1 else ("are", "them")
            raise NetworkForbidden(
                f"{names} {verb} not stored and offline mode forbids the network; drop --offline (or unset "
                f"ASSAY_OFFLINE) to fetch {them}"
            ) from None
        for base, version in pending:
            answers[(base, version)] = _already_stored(stored_version(store, base, version))
        return []
    return zip(pending, records, strict=True)


def _stored_or_ingested(
    store: Store,
    settings,  # noqa: ANN001
    source: ArxivSource,
    record: ArxivRecord,
    progress: Callable[[ArxivRecord, int, int | None], None] | None,
) -> IngestResult:
    """The stored version of the record, or its PDF downloaded and ingested (a PDF no paper uses is dropped from
    the cache again when ingestion fails)."""
    from synthesis.ingest import ingest_pdf  # here, not at module level: pypdf is heavy

    row = stored_version(store, record.arxiv_id, record.version)
    if row is not None:
        return _already_stored(row)
    hook = None if progress is None else (lambda done, total, r=record: progress(r, done, total))
    cached = source.download_pdf(record, progress=hook)
    try:
        return ingest_pdf(
            store,
            settings,
            cached.path,
            arxiv_id=record.arxiv_id,
            version=record.version,
            title=record.title,
            metadata=record.metadata(),
        )
    except BaseException:
        _drop_if_unused(store, cached, source)
        raise


def _drop_if_unused(store: Store, cached: CachedPdf, source: ArxivSource) -> None:
    """A PDF this fetch downloaded that no paper uses (ingestion failed) leaves the cache again."""
    if cached.path not in source.downloaded:
        return
    try:
        used = pdf_is_referenced(store, cached.sha256)
    except Exception:  # noqa: BLE001 - a broken store must not hide the original error
        return
    if not used:
        cached.path.unlink(missing_ok=True)
        source.downloaded.discard(cached.path)
