"""Local PDF to stored paper: pages, sections, passages (sentences, abstract, captions) and references, written in
one transaction after the PDF is in the content-addressed cache.

:func:`parse_pdf` does all the work without touching the store (the benchmark times its stages);
:func:`ingest_pdf` adds validation of ids, deduplication by content and the writes.
"""

from __future__ import annotations

import hashlib
import json
import re
import sqlite3
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from synthesis import pdfcache, store_papers
from synthesis.errors import AssayError
from synthesis.papers import ARXIV_ID, Section
from synthesis.pdftext import (
    CLEANING_VERSION,
    RawDocument,
    clean_pages,
    extract_pages,
    join_lines,
    read_pdf_bytes,
    typical_width,
)
from synthesis.settings import Settings
from synthesis.store import Store

if TYPE_CHECKING:
    from synthesis.frontmatter import FrontMatter

_CAPTION_RE = re.compile(r"^(?:Figure|Fig\.|Table|Tab\.|Algorithm)\s*[A-Z]?\d+[a-z]?(?:\s*[:.|]|\s+[A-Z(])")
# footnotes ("3UDPOS ...", "2 See also ...", "4https://..."), page-foot addresses and e-mails
_SIDE_RE = re.compile(
    r"^(?:(?:\d{1,2}|[*\u2020\u2021\u00a7])\s?(?:[A-Z]|https?:|www\.)|Editor\b|e-?mail\b|E-?mail\b|Correspond)"
)
_WORD_RE = re.compile(r"[^\W\d_]{2,}")  # a word of two or more letters (any script)
_NAME_WORD_RE = re.compile(r"^(?:[A-Z][^\W\d_A-Z]+|[A-Z]\.)[,.;:]?$")  # "Geurts", "University,", "P."
_VERSION_RE = re.compile(r"^v?(\d{1,3})$")
_TERMINAL_RE = re.compile(r"[.!?][\"'\u201d\u2019)\]]*$")
# a number that carries on a sentence ("... improve over XLM-R by" + "6.1 points on average"); not "7. item"
_NUMBER_RUNS_ON_RE = re.compile(r"^\d+(?:[.,]\d+)*%?\s+[a-z]")


@dataclass(frozen=True)
class IngestResult:
    paper_id: str
    created: bool
    n_pages: int
    title: str


@dataclass(frozen=True)
class ParsedPassage:
    kind: str
    section: str | None
    page_no: int
    char_start: int
    char_end: int
    text: str


@dataclass
class ParsedPaper:
    """Everything ingestion stores about a PDF, before it is stored."""

    pages: list[str]
    sections: list[Section]
    passages: list[ParsedPassage]
    references: list  # list[synthesis.references.ParsedReference]
    title: str
    authors: list[str]
    abstract: str
    pdf_title: str | None = None
    # passage indices of sentences split over a page break: [[idx on page n, idx on page n + 1], ...]
    continued: list[list[int]] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)
    tables: list = field(default_factory=list)  # list[synthesis.tables.Table]
    tables_error: str | None = None  # why table extraction failed (the text is stored all the same)


# ---------------------------------------------------------------------------------------------------- parsing


def parse_pdf(data: bytes, name: str = "input", *, tables: bool = True) -> ParsedPaper:
    """Extract, clean, segment: PDF bytes to pages, sections, passages, references and (with ``tables``) the
    tables of the pages that caption one (no store access)."""
    t0 = time.perf_counter()
    raw = extract_pages(data, name)
    parsed = parse_raw(raw, {"extraction": time.perf_counter() - t0})
    if tables:
        t1 = time.perf_counter()
        parsed.tables, parsed.tables_error = parse_tables(data, parsed.pages)
        parsed.timings["tables"] = time.perf_counter() - t1
    return parsed


def parse_tables(data: bytes, pages: list[str]) -> tuple[list, str | None]:
    """(tables, error) of a PDF whose cleaned page texts are ``pages``: a PDF that pdfplumber cannot read for
    tables still ingests, with the reason recorded."""
    from synthesis.pdftext import quiet_pdf_libraries
    from synthesis.table_extract import extract_tables

    try:
        with quiet_pdf_libraries():
            return extract_tables(data, pages), None
    except Exception as exc:  # noqa: BLE001 - any pdfplumber/pdfminer failure; the text is already extracted
        return [], f"{type(exc).__name__}: {exc}"[:300]


def parse_raw(raw: RawDocument, timings: dict[str, float] | None = None) -> ParsedPaper:
    """Clean and segment extracted page texts (the part of :func:`parse_pdf` after pypdf)."""
    from synthesis.sentences import sentence_spans

    timings = dict(timings or {})
    t1 = time.perf_counter()
    layout = _lay_out(raw)
    pages = layout.pages
    t2 = time.perf_counter()
    timings["cleaning"] = t2 - t1

    section_of = _section_lookup(layout.sections)
    captions, abstract_span, body = _sort_blocks(layout.blocks, pages, section_of)
    order, joins = _page_runs(layout.blocks, body, pages, section_of)
    stream, segments = _sentence_stream(order, joins, pages)
    spans = sentence_spans(stream)
    t3 = time.perf_counter()
    timings["segmentation"] = t3 - t2

    sentences, groups = _sentence_passages(spans, segments, pages, section_of)
    abstract, abstract_passage = _abstract(abstract_span, pages)
    passages = captions + sentences + ([abstract_passage] if abstract_passage else [])
    order_of_kind = {"abstract": 0, "caption": 1, "sentence": 2}
    passages.sort(key=lambda x: (x.page_no, x.char_start, order_of_kind.get(x.kind, 3)))
    for x in passages:
        if (
            pages[x.page_no - 1][x.char_start : x.char_end] != x.text
        ):  # pragma: no cover - a bug, not bad input
            raise RuntimeError(f"passage offsets do not match page {x.page_no}: {x.text[:60]!r}")
    position = {id(x): i for i, x in enumerate(passages)}
    continued = [[position[id(x)] for x in g] for g in groups]
    return ParsedPaper(
        pages=pages,
        sections=layout.sections,
        passages=passages,
        references=layout.references,
        title=layout.front.title or (raw.metadata_title or ""),
        authors=layout.front.authors,
        abstract=re.sub(r"\s+", " ", abstract).strip(),
        pdf_title=raw.metadata_title,
        continued=continued,
        timings=timings,
    )


@dataclass
class _Layout:
    """The cleaned pages of a document and what was found on them, before sentences are cut."""

    pages: list[str]  # the stored text of each page
    sections: list[Section]
    blocks: list[tuple[int, int, int, str | None]]  # (page_no, start, end, kind) in document order
    front: FrontMatter  # title and authors
    references: list  # list[synthesis.references.ParsedReference]


def _lay_out(raw: RawDocument) -> _Layout:
    """Clean the extracted lines, find the headings, front matter and references, and join each page's lines into
    its stored text, cut into blocks (headings, captions, running text)."""
    from synthesis.frontmatter import extract_front_matter
    from synthesis.references import parse_references
    from synthesis.sections import find_headings

    lines = clean_pages(raw.pages)
    widths = [typical_width(p) for p in lines]
    headings = find_headings(lines, widths)
    lines, heading_at = _apply_headings(lines, headings)
    front = extract_front_matter(raw.first_page_runs)
    references = parse_references(_section_lines(lines, heading_at, "References"))
    layout = _Layout([], [], [], front, references)
    for p, page in enumerate(lines):
        _lay_out_page(layout, p, page, heading_at, widths[p])
    return layout


def _lay_out_page(layout: _Layout, p: int, page: list[str], heading_at: dict, width: float) -> None:
    """Join the lines of page ``p`` (0-based) into its text and add it, its sections and its blocks to ``layout``."""
    hard = {i for (pp, i) in heading_at if pp == p}
    hard |= {i for i, line in enumerate(page) if _CAPTION_RE.match(line)}
    if p == 0:  # front matter: title, authors, affiliations each keep their own line
        first = min((i for (pp, i) in heading_at if pp == 0), default=0)
        hard |= set(range(first))
    text, starts = join_lines(page, hard, width)
    layout.pages.append(text)
    head_starts = {starts[i] for (pp, i) in heading_at if pp == p}
    for i in sorted(i for (pp, i) in heading_at if pp == p):
        h = heading_at[(p, i)]
        layout.sections.append(Section(len(layout.sections), h.number, h.title, p + 1, starts[i]))
    pos = 0
    for chunk in text.split("\n"):
        start, end = pos, pos + len(chunk)
        pos = end + 1
        while start < end and text[start].isspace():
            start += 1
        while end > start and text[end - 1].isspace():
            end -= 1
        if end <= start:
            continue
        if start in head_starts:
            kind = "heading"
        elif _CAPTION_RE.match(text[start:end]):
            kind = "caption"
        else:
            kind = None
        layout.blocks.append((p + 1, start, end, kind))


def _sort_blocks(
    blocks: list[tuple[int, int, int, str | None]],
    pages: list[str],
    section_of: Callable[[int, int], str | None],
) -> tuple[list[ParsedPassage], list[tuple[int, int, int]], list[tuple[int, int, int]]]:
    """(caption passages, abstract blocks, body blocks that sentences are cut from), blocks as (page_no, start,
    end); the bibliography is not body (it is stored entry by entry in refs)."""
    captions: list[ParsedPassage] = []
    abstract_span: list[tuple[int, int, int]] = []
    body: list[tuple[int, int, int]] = []
    for page_no, start, end, kind in blocks:
        sec = section_of(page_no, start)
        if kind == "caption":
            captions.append(ParsedPassage("caption", sec, page_no, start, end, pages[page_no - 1][start:end]))
        elif kind is None and sec == "Abstract":
            abstract_span.append((page_no, start, end))
        if kind is None and sec != "References":
            body.append((page_no, start, end))
    return captions, abstract_span, body


def _sentence_stream(
    order: list[tuple[int, int, int]],
    joins: set,
    pages: list[str],
) -> tuple[str, list[tuple[int, int, int, int]]]:
    """The text stream that sentences are cut from, and its segments (stream_start, page_no, page_start, length).

    Body blocks, newline-separated except where the text runs on over a page break (then a space, and such a
    sentence is stored as one passage per page).
    """
    stream_parts: list[str] = []
    segments: list[tuple[int, int, int, int]] = []
    spos = 0
    prev_block: tuple[int, int, int] | None = None
    for block in order:
        page_no, start, end = block
        if stream_parts:
            sep = " " if (prev_block, block) in joins else "\n"
            stream_parts.append(sep)
            spos += 1
        segments.append((spos, page_no, start, end - start))
        stream_parts.append(pages[page_no - 1][start:end])
        spos += end - start
        prev_block = block
    return "".join(stream_parts), segments


def _sentence_passages(
    spans: list[tuple[int, int]],
    segments: list[tuple[int, int, int, int]],
    pages: list[str],
    section_of: Callable[[int, int], str | None],
) -> tuple[list[ParsedPassage], list[list[ParsedPassage]]]:
    """Map sentence spans of the stream back to page offsets: (sentence passages, groups of the passages of each
    sentence stored as several, one per page). Pieces with fewer than two words are dropped."""
    passages: list[ParsedPassage] = []
    groups: list[list[ParsedPassage]] = []
    seg_i = 0
    for a, b in spans:
        while seg_i < len(segments) and segments[seg_i][0] + segments[seg_i][3] <= a:
            seg_i += 1
        k = seg_i
        pieces: list[ParsedPassage] = []
        while k < len(segments) and segments[k][0] < b:
            s0, page_no, pstart, length = segments[k]
            lo, hi = max(a, s0), min(b, s0 + length)
            if hi > lo:
                ps, pe = pstart + lo - s0, pstart + hi - s0
                text = pages[page_no - 1]
                while ps < pe and text[ps].isspace():
                    ps += 1
                while pe > ps and text[pe - 1].isspace():
                    pe -= 1
                if pe > ps and len(_WORD_RE.findall(text, ps, pe)) >= 2:
                    pieces.append(
                        ParsedPassage("sentence", section_of(page_no, ps), page_no, ps, pe, text[ps:pe])
                    )
            k += 1
        passages.extend(pieces)
        if len(pieces) > 1:
            groups.append(pieces)
    return passages, groups


def _abstract(
    abstract_span: list[tuple[int, int, int]], pages: list[str]
) -> tuple[str, ParsedPassage | None]:
    """(abstract text, its passage): the Abstract section's blocks on its first page; ("", None) when none."""
    if not abstract_span:
        return "", None
    page_no = abstract_span[0][0]
    same = [s for s in abstract_span if s[0] == page_no]
    a, b = same[0][1], same[-1][2]
    abstract = pages[page_no - 1][a:b]
    return abstract, ParsedPassage("abstract", "Abstract", page_no, a, b, abstract)


def _is_side_block(text: str) -> bool:
    """Footnotes, addresses and figure fragments that can sit between a sentence and its rest on the next page."""
    return bool(_SIDE_RE.match(text)) or len(text.split()) < 4 or _names_or_address(text)


def _names_or_address(text: str) -> bool:
    """Mostly capitalised words and initials: an author list or an address, not running text.

    ("P. Geurts · D. Ernst · L. Wehenkel", "Department of ..., University of Liège, ... Belgium" at the foot of
    extratrees.pdf p.1 are not where the sentence that opens p.2 began.)
    """
    words = [w for w in text.split() if w[:1].isalpha()]
    return len(words) >= 3 and sum(bool(_NAME_WORD_RE.match(w)) for w in words) >= 0.6 * len(words)


def _page_runs(
    blocks: list,
    body: list[tuple[int, int, int]],
    pages: list[str],
    section_of: Callable[[int, int], str | None],
) -> tuple[list, set]:
    """Order body blocks for segmentation and find where text runs on over a page break.

    A page whose first block starts in lower case (or with a number) continues the last open prose block of the page before (one
    that does not end a sentence), provided only captions, footnotes and fragments come after that block there;
    the continuation is moved next to it in the stream. Returns (ordered blocks, {(open block, continuation)}).
    """
    body_set = set(body)
    by_page: dict[int, list] = {}
    for page_no, start, end, kind in blocks:
        by_page.setdefault(page_no, []).append((start, end, kind))
    order = list(body)
    joins: set = set()
    for q in sorted(by_page):
        if q - 1 not in by_page:
            continue
        first = next(((a, b, k) for a, b, k in by_page[q] if k != "caption"), None)
        if first is None or first[2] is not None or (q, first[0], first[1]) not in body_set:
            continue
        opening = pages[q - 1][first[0] : first[1]]
        if not (opening[:1].islower() or _NUMBER_RUNS_ON_RE.match(opening)):
            continue
        cont = (q, first[0], first[1])
        open_block = None
        for a, b, k in reversed(by_page[q - 1]):
            text = pages[q - 2][a:b]
            if k == "caption":
                continue
            if k == "heading" or (q - 1, a, b) not in body_set:
                break
            if not _TERMINAL_RE.search(text) and not _is_side_block(text):
                open_block = (q - 1, a, b)
                break
            if not _is_side_block(text):
                break
        if open_block is None or section_of(q, first[0]) != section_of(q - 1, open_block[1]):
            continue
        order.remove(cont)
        order.insert(order.index(open_block) + 1, cont)
        joins.add((open_block, cont))
    return order, joins


def _apply_headings(lines: list[list[str]], headings: list) -> tuple[list[list[str]], dict]:
    """Give every heading a line of its own (split run-in headings, merge wrapped ones); returns the new lines and
    {(page, line): heading}."""
    lines = [list(p) for p in lines]
    by_page: dict[int, list] = {}
    for h in headings:
        by_page.setdefault(h.page, []).append(h)
    at: dict[tuple[int, int], object] = {}
    for p, hs in by_page.items():
        page = lines[p]
        shift = 0
        for h in sorted(hs, key=lambda h: h.line):
            i = h.line + shift
            if h.n_lines == 2 and i + 1 < len(page):
                page[i] = f"{page[i]} {page[i + 1]}"
                del page[i + 1]
                shift -= 1
            if h.split:
                head, rest = page[i][: h.split].rstrip(), page[i][h.split :].lstrip()
                page[i : i + 1] = [head, rest] if rest else [head]
                shift += 1 if rest else 0
            at[(p, i)] = h
    return lines, at


def _section_lines(lines: list[list[str]], heading_at: dict, title: str) -> list[str]:
    """The cleaned lines of the (last) section called ``title``, up to the next heading."""
    keys = sorted(heading_at)
    starts = [k for k in keys if heading_at[k].title == title and heading_at[k].number is None]
    if not starts:
        return []
    start = starts[-1]
    nxt = next((k for k in keys if k > start), None)
    out: list[str] = []
    for p in range(start[0], len(lines)):
        for i, line in enumerate(lines[p]):
            if (p, i) <= start:
                continue
            if nxt is not None and (p, i) >= nxt:
                return out
            out.append(line)
    return out


def _section_lookup(sections: list[Section]) -> Callable[[int, int], str | None]:
    """A function (page_no, offset) -> title of the section enclosing that point (None before the first)."""
    keys = [(s.page_no, s.char_start) for s in sections]
    titles = [s.title for s in sections]
    import bisect

    def lookup(page_no: int, offset: int) -> str | None:
        i = bisect.bisect_right(keys, (page_no, offset)) - 1
        return titles[i] if i >= 0 else None

    return lookup


# ---------------------------------------------------------------------------------------------------- ids


def paper_id_for(
    arxiv_id: str | None, version: str | None, sha256: str
) -> tuple[str, str | None, str | None]:
    """(paper id, arXiv id without version, version) from what the caller knows; malformed ids are errors."""
    if not arxiv_id:
        if version:
            raise AssayError("--version needs an arXiv id")
        return f"sha256:{sha256}", None, None
    m = ARXIV_ID.match(arxiv_id.strip())
    if not m:
        raise AssayError(f"{arxiv_id!r} is not an arXiv id (like 2005.13013 or 2005.13013v1)")
    base, id_version = m.group(1), m.group(2)
    if version:
        vm = _VERSION_RE.match(version.strip())
        if not vm:
            raise AssayError(f"{version!r} is not an arXiv version (like v1)")
        version = f"v{int(vm.group(1))}"
        if id_version and id_version.lower() != version:
            raise AssayError(f"arXiv id {arxiv_id} and version {version} disagree")
    elif id_version:
        version = id_version.lower()
    if version:
        return f"{base}{version}", base, version
    return f"sha256:{sha256}", base, None


# ---------------------------------------------------------------------------------------------------- storing


def ingest_pdf(
    store: Store,
    settings: Settings,
    pdf: Path | bytes,
    *,
    arxiv_id: str | None = None,
    version: str | None = None,
    title: str | None = None,
    metadata: dict | None = None,
) -> IngestResult:
    """Store a PDF's pages, sections, passages and references; a no-op when the same bytes are already stored.

    Raises AssayError (and writes nothing) for files that are not readable, text-bearing, unencrypted PDFs within
    ``settings.max_pdf_bytes``.
    """
    metadata = dict(metadata or {})
    collect_cache_garbage_once(store, settings)
    name = str(pdf) if isinstance(pdf, str | Path) else "PDF bytes"
    data = read_pdf_bytes(pdf, settings.max_pdf_bytes)
    sha = hashlib.sha256(data).hexdigest()
    paper_id, base, ver = paper_id_for(arxiv_id, version, sha)
    existing = _existing(store, sha)
    if existing is not None:
        return existing
    _check_id_free(store, paper_id)
    parsed = parse_pdf(data, name)
    t0 = time.perf_counter()
    file_name = Path(pdf).name if isinstance(pdf, str | Path) else None
    paper_row, final_title = _paper_row((paper_id, base, ver, sha), parsed, title, metadata, file_name)
    other = _cache_and_write(store, settings, data, sha, paper_row, parsed)
    if other is not None:  # another process stored the same bytes meanwhile
        return _existing(store, sha) or IngestResult(other, False, len(parsed.pages), final_title)
    parsed.timings["store"] = time.perf_counter() - t0
    return IngestResult(paper_id, True, len(parsed.pages), final_title)


def ingest_corpus_entry(store: Store, settings: Settings, corpus: Path, entry: dict) -> IngestResult:
    """One paper of a corpus folder, as its ``index.json`` describes it (file, arxiv_id, version, title)."""
    return ingest_pdf(
        store,
        settings,
        corpus / entry["file"],
        arxiv_id=entry.get("arxiv_id"),
        version=entry.get("version"),
        title=entry.get("title"),
    )


def _paper_row(
    ids: tuple[str, str | None, str | None, str],
    parsed: ParsedPaper,
    title: str | None,
    metadata: dict,
    file_name: str | None,
) -> tuple[tuple, str]:
    """(the papers row of a parsed PDF (see :func:`write_rows`), its title) from ``ids`` = (paper id, arXiv id,
    version, sha256): the caller's title and metadata win over what was extracted, and ``meta`` records what produced the
    text and what was extracted."""
    paper_id, base, ver, sha = ids
    final_title = (title or metadata.get("title") or parsed.title or "").strip()
    authors = metadata.get("authors") or parsed.authors
    abstract = (metadata.get("abstract") or parsed.abstract or "").strip()
    meta = {
        "tool": _tool_version(),
        "extractor": f"pypdf {_pypdf_version()}",
        "cleaning": CLEANING_VERSION,
        "file_name": file_name,
        "pdf_title": parsed.pdf_title,
        "extracted_title": parsed.title,
        "extracted_authors": parsed.authors,
        "n_references": len(parsed.references),
        "continued_sentences": parsed.continued,  # passage idx groups that form one sentence over a page break
    }
    meta.update({k: v for k, v in metadata.items() if k not in _PAPER_FIELDS})
    row = (
        paper_id,
        base,
        ver,
        metadata.get("doi"),
        final_title,
        json.dumps(list(authors)),
        metadata.get("published"),
        metadata.get("updated"),
        abstract,
        sha,
        len(parsed.pages),
        metadata.get("source") or ("arxiv" if metadata.get("published") and base else "local"),
        json.dumps(meta, sort_keys=True, default=str),
    )
    return row, final_title


def _cache_and_write(
    store: Store, settings: Settings, data: bytes, sha: str, paper_row: tuple, parsed: ParsedPaper
) -> str | None:
    """Put the PDF in the cache and write the paper's rows, in one transaction. Returns None when written, or the
    id of the paper another process stored from the same bytes meanwhile (nothing written). On any failure a PDF
    this call cached and no paper references leaves the cache again."""
    paper_id = paper_row[0]
    cache_path = pdfcache.path_for(settings.pdf_cache, sha)
    created_file = False
    try:
        # The PDF is cached under the write lock, like the rows that reference it: the cache's garbage collection
        # (which holds the same lock) never sees it cached but not yet referenced by a committed paper.
        with store.transaction() as conn:
            other = store_papers.paper_id_by_sha(store, sha)
            if other is not None:
                raise _AlreadyStored(other)
            _check_id_free(store, paper_id)
            created_file = not cache_path.is_file()
            pdfcache.put_bytes(settings.pdf_cache, data)
            write_rows(conn, paper_row, parsed)
    except _AlreadyStored as done:
        return done.paper_id
    except BaseException:
        if created_file and not _referenced(store, sha):
            _remove_cached(cache_path)
        raise
    return None


def write_rows(conn: sqlite3.Connection, paper_row: tuple, parsed: ParsedPaper) -> None:
    """Write the paper row (id, arxiv_id, version, doi, title, authors, published, updated, abstract, pdf_sha256,
    n_pages, source, meta) and its pages, sections, passages, references and (when extracted) tables; call inside a
    transaction."""
    paper_id = paper_row[0]
    store_papers.insert_paper(conn, paper_row)
    store_papers.insert_pages(conn, paper_id, parsed.pages)
    store_papers.insert_sections(conn, paper_id, parsed.sections)
    store_papers.insert_passages(conn, paper_id, parsed.passages)
    store_papers.insert_references(conn, paper_id, parsed.references)
    if "tables" in parsed.timings:
        from synthesis.store_papers import write_tables
        from synthesis.table_extract import extractor_name

        write_tables(
            conn, paper_id, parsed.tables, extractor_name(), parsed.timings["tables"], parsed.tables_error
        )


def ensure_tables(store: Store, settings: Settings, paper_id: str) -> list:
    """The stored tables of a paper, extracting them first for papers ingested before tables existed (from the
    PDF cache; a paper whose PDF is no longer cached gets an empty extraction recorded with the reason)."""
    from synthesis.store_papers import read_tables, tables_extracted, write_tables
    from synthesis.table_extract import extractor_name

    if tables_extracted(store, paper_id):
        return read_tables(store, paper_id)
    sha = store_papers.pdf_sha_of(store, paper_id)
    if sha is None:
        raise AssayError(f"no paper {paper_id!r} in the store")
    pages = store_papers.page_texts(store, paper_id)
    path = pdfcache.path_for(settings.pdf_cache, sha)
    t0 = time.perf_counter()
    if path.is_file():
        tables, error = parse_tables(path.read_bytes(), pages)
    else:
        tables, error = [], f"the PDF {sha[:12]} is not in the cache; re-ingest the paper for tables"
    with store.transaction() as conn:
        write_tables(conn, paper_id, tables, extractor_name(), time.perf_counter() - t0, error)
    return read_tables(store, paper_id)


_PAPER_FIELDS = {
    "title",
    "authors",
    "abstract",
    "doi",
    "published",
    "updated",
    "source",
    "arxiv_id",
    "version",
}


class _AlreadyStored(Exception):
    def __init__(self, paper_id: str):
        super().__init__(paper_id)
        self.paper_id = paper_id


def _check_id_free(store: Store, paper_id: str) -> None:
    clash = store_papers.pdf_sha_of(store, paper_id)
    if clash is not None:
        raise AssayError(
            f"{paper_id} is already stored from a different PDF (sha256 {clash[:12]}); "
            "check the file or the arXiv id"
        )


_COLLECTED: set[tuple[str, str]] = set()  # (database, cache) pairs this process has collected already


def collect_cache_garbage(
    store: Store, settings: Settings, *, grace_seconds: float = pdfcache.GC_GRACE_SECONDS
) -> list[Path]:
    """Remove cached PDFs no stored paper references (older than ``grace_seconds``) and dead writers' temp files;
    returns the PDFs removed. Best effort: a locked or unwritable store or cache leaves them for the next time."""
    if not settings.pdf_cache.is_dir():
        return []
    try:
        with store.transaction():  # the write lock: no ingest can cache and commit meanwhile
            referenced = store_papers.referenced_pdf_shas(store)
            return pdfcache.collect_garbage(settings.pdf_cache, referenced, grace_seconds=grace_seconds)
    except (sqlite3.Error, OSError):
        return []


def collect_cache_garbage_once(store: Store, settings: Settings) -> None:
    """:func:`collect_cache_garbage` at the first ingestion of this process (the start of `ingest` / `fetch`)."""
    key = (str(store.path), str(settings.pdf_cache))
    if key not in _COLLECTED:
        _COLLECTED.add(key)
        collect_cache_garbage(store, settings)


def _remove_cached(path: Path) -> None:
    """Take back a PDF this ingest put in the cache (and its folder when that is left empty)."""
    path.unlink(missing_ok=True)
    try:
        path.parent.rmdir()
    except OSError:
        pass


def _existing(store: Store, sha: str) -> IngestResult | None:
    row = store_papers.paper_summary_by_sha(store, sha)
    return IngestResult(row["id"], False, row["n_pages"], row["title"]) if row else None


def _referenced(store: Store, sha: str) -> bool:
    try:
        return store_papers.pdf_is_referenced(store, sha)
    except Exception:  # noqa: BLE001 - a broken store must not hide the original error
        return True


def _tool_version() -> str:
    try:
        from importlib.metadata import version

        return f"assay {version('assay')}"
    except Exception:  # noqa: BLE001
        return "assay"


def _pypdf_version() -> str:
    import pypdf

    return pypdf.__version__
