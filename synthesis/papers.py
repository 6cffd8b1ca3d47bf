"""Read access to ingested papers: metadata, pages and passages, and resolving what a user typed to one paper.

This is the contract between ingestion (which writes these tables) and everything that reads papers
(claims, verification, audit, reports); the statements themselves are in :mod:`synthesis.store_papers`.
"""

from __future__ import annotations

import json
import re
import sqlite3
from dataclasses import dataclass, field

from synthesis import store_papers
from synthesis.errors import AssayError
from synthesis.store import Store

ARXIV_ID = re.compile(r"^(?:arxiv:)?(\d{4}\.\d{4,5}|[a-z\-]+(?:\.[A-Z]{2})?/\d{7})(v\d+)?$", re.IGNORECASE)


@dataclass(frozen=True)
class Paper:
    id: str
    arxiv_id: str | None
    version: str | None
    doi: str | None
    title: str
    authors: list[str]
    published: str | None
    updated: str | None
    abstract: str
    pdf_sha256: str
    n_pages: int
    source: str
    meta: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Passage:
    """A sentence (or other span) of a paper; ``page_text[char_start:char_end] == text``."""

    id: int
    paper_id: str
    idx: int
    kind: str
    section: str | None
    page_no: int
    char_start: int
    char_end: int
    text: str


@dataclass(frozen=True)
class Section:
    idx: int
    number: str | None
    title: str
    page_no: int
    char_start: int


@dataclass(frozen=True)
class Reference:
    idx: int
    raw: str
    title: str | None
    authors: list[str]
    year: int | None
    arxiv_id: str | None
    doi: str | None


def _paper(row: sqlite3.Row) -> Paper:
    d = dict(row)
    d["authors"] = json.loads(d.get("authors") or "[]")
    d["meta"] = json.loads(d.get("meta") or "{}")
    d.pop("ingested_at", None)
    return Paper(**d)


def list_papers(store: Store) -> list[Paper]:
    return [_paper(r) for r in store_papers.paper_rows(store)]


def get_paper(store: Store, paper_id: str) -> Paper | None:
    row = store_papers.paper_row(store, paper_id)
    return _paper(row) if row else None


def resolve_paper(store: Store, ref: str) -> Paper:
    """Find one paper by id, arXiv id (latest stored version when none given), sha256 prefix or title."""
    ref = ref.strip()
    if not ref:
        raise AssayError("empty paper reference; give an id from `assay papers`, an arXiv id or a title")
    paper = get_paper(store, ref)
    if paper:
        return paper
    m = ARXIV_ID.match(ref)
    if m:
        base, version = m.group(1), m.group(2)
        row = store_papers.paper_row_by_arxiv(store, base, version)
        if row:
            return _paper(row)
        raise AssayError(
            f"arXiv paper {ref} is not in the store; run `assay fetch {ref}` or `assay ingest --arxiv-id {ref} FILE.pdf`"
        )
    sha = ref.removeprefix("sha256:").lower()
    if re.fullmatch(r"[0-9a-f]{8,64}", sha):
        rows = store_papers.paper_rows_by_sha_prefix(store, sha)
        if len(rows) == 1:
            return _paper(rows[0])
    from rapidfuzz import fuzz, process

    papers = list_papers(store)
    titles = {p.id: p.title for p in papers if p.title}
    best = (
        process.extractOne(ref, titles, scorer=fuzz.token_set_ratio, processor=str.lower) if titles else None
    )
    if best and best[1] >= 90:
        return next(p for p in papers if p.id == best[2])
    raise AssayError(f"no paper matches {ref!r}; `assay papers` lists what is stored")


def get_pages(store: Store, paper_id: str) -> list[str]:
    """The stored (cleaned) text of each page; index 0 is page 1."""
    return store_papers.page_texts(store, paper_id)


def get_passages(store: Store, paper_id: str, kinds: tuple[str, ...] | None = None) -> list[Passage]:
    rows = store_papers.passage_rows(store, paper_id)
    out = [Passage(**dict(r)) for r in rows]
    return [p for p in out if kinds is None or p.kind in kinds]


def get_sections(store: Store, paper_id: str) -> list[Section]:
    rows = store_papers.section_rows(store, paper_id)
    return [Section(**dict(r)) for r in rows]


def get_references(store: Store, paper_id: str) -> list[Reference]:
    rows = store_papers.reference_rows(store, paper_id)
    out = []
    for r in rows:
        d = dict(r)
        d["authors"] = json.loads(d["authors"] or "[]")
        out.append(Reference(**d))
    return out
