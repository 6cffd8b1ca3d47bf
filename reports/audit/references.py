"""Check a report's references: does each exist, what is it, is it relevant, is the cited version the latest.

Metadata comes from the store first (papers already ingested), then from arXiv through
``synthesis.sources.arxiv.ArxivSource`` (which answers from its HTTP cache offline and raises NetworkForbidden when
it would need the network). Offline, what cannot be answered is said to be "not checked (offline)", never guessed.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field

from reports.audit import relevance
from reports.audit.model import Finding, ReportReference
from synthesis.errors import AssayError, NetworkError, NetworkForbidden
from synthesis.papers import Paper, list_papers
from synthesis.store import Store


@dataclass
class ReferenceCheck:
    index: int
    raw: str
    arxiv_id: str | None
    cited_version: str | None
    doi: str | None
    exists: bool | None  # None: not checked
    status: str  # "found in store", "found on arXiv", "not found", "not checked (offline)", ...
    source: str | None  # "store" | "arxiv" | None
    title: str | None = None
    authors: list[str] = field(default_factory=list)
    date: str | None = None
    latest_version: str | None = None
    outdated: bool | None = None
    is_examined_paper: bool = False
    relevance: dict | None = None
    relevant: bool | None = None
    note: str = ""


def _vnum(version: str | None) -> int:
    return int(version[1:]) if version and re.fullmatch(r"v\d+", version) else 0


def _arxiv_source(settings, store: Store):  # noqa: ANN001, ANN202
    try:
        from synthesis.sources.arxiv import ArxivSource
    except ImportError:
        return None
    return ArxivSource(settings, store)


def _store_match(store: Store, ref: ReportReference) -> list[Paper]:
    papers = list_papers(store)
    if ref.arxiv_id:
        return sorted((p for p in papers if p.arxiv_id == ref.arxiv_id), key=lambda p: _vnum(p.version))
    if ref.doi:
        return [p for p in papers if p.doi and p.doi.lower() == ref.doi.lower()]
    if ref.title:
        from rapidfuzz import fuzz, utils

        # A stored title contained in the reference text (which also holds authors, venue, year) identifies it.
        scored = [
            (fuzz.token_set_ratio(ref.title, p.title, processor=utils.default_process), p)
            for p in papers
            if len(p.title.split()) >= 3
        ]
        best = max(scored, key=lambda t: t[0], default=None)
        if best and best[0] >= 95:
            return [best[1]]
    return []


def check_references(
    store: Store,
    settings,  # noqa: ANN001
    refs: list[ReportReference],
    paper: Paper | None,
    question: str | None,
) -> tuple[list[ReferenceCheck], list[Finding]]:
    """One ReferenceCheck per reference, and the findings they raise."""
    source = _arxiv_source(settings, store)
    embedder = None
    if paper and refs:
        from synthesis.embeddings import load_embedder

        embedder, _ = load_embedder(None, settings, quiet=True)
    paper_text = f"{paper.title}\n{paper.abstract}" if paper else ""
    checks: list[ReferenceCheck] = []
    findings: list[Finding] = []
    unreachable: str | None = None  # set by the first network failure: arXiv is not asked again in this audit
    for ref in refs:
        c = ReferenceCheck(ref.index, ref.raw, ref.arxiv_id, ref.version, ref.doi, None, "not checked", None)
        target = f"reference {ref.index}"
        stored, stored_latest, abstract = _fill_from_store(c, store, ref)
        if ref.arxiv_id and unreachable is not None:
            if c.exists is None:
                c.status = f"not checked (arXiv unreachable: see {unreachable})"
        elif ref.arxiv_id:
            try:
                abstract = _arxiv_lookup(c, ref, source, stored_latest) or abstract
            except NetworkError as exc:
                unreachable = f"the network error of reference {ref.index}"
                if c.exists is None:
                    c.status = f"not checked (network error: {exc})"
        elif not stored:
            c.status = "not checked (no arXiv id and not in the store)"
            if ref.title:
                c.title = ref.title
        if paper:
            findings += _judge_relevance(c, ref, paper, abstract, paper_text, question, embedder, target)
        findings += _existence_findings(c, ref, target)
        checks.append(c)
    return checks, findings


def _fill_from_store(
    c: ReferenceCheck, store: Store, ref: ReportReference
) -> tuple[list[Paper], str | None, str]:
    """Fill ``c`` from the latest stored version matching ``ref``; return the matches, that version (for an arXiv
    reference) and its abstract."""
    stored = _store_match(store, ref)
    if not stored:
        return stored, None, ""
    best = stored[-1]
    c.exists, c.source, c.status = True, "store", "found in store"
    c.title, c.authors, c.date = best.title, best.authors, best.published
    return stored, (best.version if ref.arxiv_id else None), best.abstract


def _judge_relevance(
    c: ReferenceCheck,
    ref: ReportReference,
    paper: Paper,
    abstract: str,
    paper_text: str,
    question: str | None,
    embedder,  # noqa: ANN001
    target: str,
) -> list[Finding]:
    """Mark the examined paper itself (a version mismatch is a finding), else score the reference's relevance to
    the paper and question (unrelated is a finding)."""
    if ref.arxiv_id and paper.arxiv_id == ref.arxiv_id:
        c.is_examined_paper = True
        c.relevant = True
        c.relevance = {
            "score": 1.0,
            "method": "identity",
            "threshold": None,
            "related": True,
            "reason": "this is the examined paper",
        }
        if ref.version and paper.version and ref.version != paper.version:
            c.note = (
                f"the report cites {ref.version} of the examined paper; the evidence in this audit comes "
                f"from {paper.version}"
            )
            return [Finding.make("paper_version_mismatch", target, c.note)]
    elif (c.title or ref.title) and c.exists is not False:
        rel = relevance.score(f"{c.title or ref.title}\n{abstract}", paper_text, question, embedder=embedder)
        c.relevance, c.relevant = asdict(rel), rel.related
        if not rel.related:
            return [Finding.make("reference_unrelated", target, f"{c.title or ref.raw!s}: {rel.reason}")]
    return []


def _existence_findings(c: ReferenceCheck, ref: ReportReference, target: str) -> list[Finding]:
    """Not found, not checked, or an outdated version cited."""
    findings = []
    if c.exists is False:
        findings.append(Finding.make("reference_not_found", target, f"{ref.raw}: {c.status}"))
    elif c.exists is None:
        findings.append(Finding.make("reference_unchecked", target, f"{ref.raw}: {c.status}"))
    if c.outdated:
        findings.append(
            Finding.make(
                "reference_outdated_version",
                target,
                f"{ref.raw} cites {ref.version}; the latest version is {c.latest_version}",
            )
        )
    return findings


def _arxiv_lookup(c: ReferenceCheck, ref: ReportReference, source, stored_latest: str | None) -> str:  # noqa: ANN001
    """Fill c from arXiv (or its cache) and return the abstract; say why not when it cannot be asked."""
    if source is None:
        if c.exists is None:
            c.status = "not checked (no arXiv client available)"
        return ""
    try:
        records = source.lookup([ref.arxiv_id + (ref.version or "")])
        if not records and ref.version:
            records = source.lookup([ref.arxiv_id])
    except NetworkForbidden:
        if c.exists is None:
            c.status = "not checked (offline)"
        if ref.version and stored_latest and _vnum(stored_latest) > _vnum(ref.version):
            c.latest_version, c.outdated = stored_latest, True  # a later version is stored: outdated for sure
        elif ref.version and stored_latest:
            c.note = f"the store holds {stored_latest}"
        return ""
    except NetworkError:
        raise  # the caller stops asking arXiv for the rest of this audit
    except AssayError as exc:
        c.exists, c.status = False, f"not found on arXiv ({exc})"
        return ""
    if not records:
        c.exists, c.status = False, "not found on arXiv"
        return ""
    rec = records[0]
    c.exists, c.source, c.status = True, "arxiv", "found on arXiv"
    c.title, c.authors = rec.title, list(rec.authors)
    c.date = str(rec.published)[:10] if rec.published else None
    try:
        latest = source.latest_version(ref.arxiv_id)
    except (NetworkForbidden, NetworkError):
        latest = rec.version if not ref.version else None
    if latest:
        c.latest_version = latest
        if ref.version:
            c.outdated = _vnum(latest) > _vnum(ref.version)
    return rec.summary or ""
