"""The arXiv API: look papers up by id, search, find a paper by its title, download its PDF.

Queries, paging and Atom parsing are the ``arxiv`` package's (``arxiv.Search``, ``arxiv.Client.results``,
``arxiv.Result``); only the fetch of one page is replaced, so that every request goes through :class:`Http` (shared
rate limit, Retry-After, the response cache, offline mode) and the API address comes from ``settings.arxiv_api``.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import arxiv

from synthesis.errors import AssayError, NetworkError
from synthesis.papers import ARXIV_ID
from synthesis.pdfcache import CachedPdf
from synthesis.sources.http import Http

ATOM = "{http://www.w3.org/2005/Atom}"
IDS_PER_REQUEST = 50
MAX_SEARCH_RESULTS = 1000
TITLE_MATCH_MIN = 90
CHANGING_ANSWER_MAX_AGE = (
    7 * 24 * 3600.0
)  # searches and latest versions are asked again after a week (online)
_FIELD = re.compile(r"\b(ti|au|abs|co|jr|cat|rn|id|all):", re.IGNORECASE)
_BOOLEAN = re.compile(r"\b(AND|OR|ANDNOT)\b")
_URL_ID = re.compile(
    r"^(?:https?://)?(?:www\.|export\.)?arxiv\.org/(?:abs|pdf)/(.+?)(?:\.pdf)?/?$", re.IGNORECASE
)


def parse_arxiv_id(text: str) -> tuple[str, str | None]:
    """``"arXiv:2005.13013v2"`` -> ``("2005.13013", "v2")``; also abs/pdf URLs and old ids (``hep-th/9901001``).

    Raises AssayError for anything that is not an arXiv identifier, before any request is made.
    """
    raw = str(text).strip()
    candidate = raw
    m = _URL_ID.match(candidate)
    if m:
        candidate = m.group(1)
    m = ARXIV_ID.match(candidate)
    if not m or not raw:
        raise AssayError(
            f"{raw!r} is not an arXiv id; use the form 2005.13013 or 2005.13013v2 (old style: hep-th/9901001)"
        )
    base, version = m.group(1), m.group(2)
    if "/" in base:
        archive, number = base.split("/", 1)
        base = f"{archive.lower()}/{number}"
    else:
        yymm, number = base.split(".")
        if not 1 <= int(yymm[2:]) <= 12:
            raise AssayError(f"{raw!r} is not an arXiv id: {yymm} is not a year and month (YYMM)")
        if len(number) != (5 if int(yymm) >= 1501 else 4):
            raise AssayError(
                f"{raw!r} is not an arXiv id: ids from {yymm} have {5 if int(yymm) >= 1501 else 4}"
                " digits after the dot"
            )
    return base, version.lower() if version else None


def _version_number(version: str) -> int:
    return int(version.lstrip("vV") or 0)


@dataclass(frozen=True)
class ArxivRecord:
    """One version of one arXiv paper, as the API describes it."""

    arxiv_id: str  # without version, e.g. "2005.13013"
    version: str  # e.g. "v2"
    title: str
    authors: list[str]
    summary: str
    published: str  # ISO date of v1
    updated: str  # ISO date of this version
    doi: str | None
    primary_category: str
    pdf_url: str
    entry_id: str

    @property
    def versioned_id(self) -> str:
        return f"{self.arxiv_id}{self.version}"

    def to_dict(self) -> dict:
        return {"id": self.versioned_id, **asdict(self)}

    def metadata(self) -> dict:
        """What ingestion stores about the paper besides its text."""
        return {
            "source": "arxiv",
            "authors": list(self.authors),
            "published": self.published,
            "updated": self.updated,
            "doi": self.doi,
            "abstract": self.summary,
            "primary_category": self.primary_category,
            "entry_id": self.entry_id,
            "pdf_url": self.pdf_url,
        }

    @classmethod
    def from_result(cls, result: arxiv.Result) -> ArxivRecord:
        short = result.get_short_id()
        m = ARXIV_ID.match(short)
        if not m or not m.group(2):
            raise NetworkError(f"the arXiv API returned an entry with an unexpected id {result.entry_id!r}")
        base, version = m.group(1), m.group(2)
        pdf_url = result.pdf_url or f"https://arxiv.org/pdf/{base}{version}"
        return cls(
            arxiv_id=base,
            version=version,
            title=_clean(result.title),
            authors=[_clean(a.name) for a in result.authors],
            summary=_clean(result.summary),
            published=result.published.date().isoformat(),
            updated=result.updated.date().isoformat(),
            doi=(result.doi or "").strip() or None,
            primary_category=result.primary_category or "",
            pdf_url=_prefer_https(pdf_url),
            entry_id=result.entry_id,
        )


def _clean(text: str | None) -> str:
    return re.sub(r"\s+", " ", text or "").strip()


def _prefer_https(url: str) -> str:
    parts = urlsplit(url)
    if parts.scheme == "http" and parts.hostname in ("arxiv.org", "export.arxiv.org", "www.arxiv.org"):
        return urlunsplit(("https", *parts[1:]))
    return url


def parse_atom_feed(body: bytes) -> arxiv.ParsedFeed:
    """The ``arxiv`` package's own parse of an API answer (an Atom feed) into ``arxiv.Result`` objects.

    This is the one place assay reaches into the package's private ``arxiv._feed``: arxiv 4.x exposes no public
    function that parses a feed it did not fetch itself (``arxiv.Client`` fetches with its own ``requests``
    session, outside our rate limit, Retry-After handling, response cache and offline mode; ``arxiv.ParsedFeed`` is
    public, its parser is not). If a release renames it, only this function changes.
    """
    from arxiv import _feed

    return _feed.parse(body)


def check_feed(body: bytes) -> None:
    """Raise unless ``body`` is an arXiv Atom feed whose entries all make records (checked before it is cached);
    an API error entry becomes an AssayError with its message."""
    from lxml import etree

    parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False, recover=False)
    try:
        root = etree.fromstring(body, parser=parser)
    except (etree.XMLSyntaxError, ValueError) as exc:
        start = body[:60].decode("utf-8", "replace").strip()
        raise NetworkError(
            f"the arXiv API answered with something that is not an Atom feed ({start!r}...)"
        ) from exc
    if root is not None and (root.getroottree().docinfo.doctype or root.getroottree().docinfo.internalDTD):
        raise NetworkError(
            "the arXiv API answered with a document type declaration, which its feeds never have"
        )
    if root is None or root.tag != f"{ATOM}feed":
        tag = getattr(root, "tag", None)
        raise NetworkError(f"the arXiv API answered with a <{tag}> document, not an Atom feed")
    for entry in root.iterfind(f"{ATOM}entry"):
        entry_id = entry.findtext(f"{ATOM}id") or ""
        if "/api/errors" in entry_id:
            message = _clean(entry.findtext(f"{ATOM}summary")) or entry_id
            raise AssayError(f"arXiv rejected the request: {message}")
    try:
        results = parse_atom_feed(body).results
    except (ValueError, TypeError, OverflowError) as exc:  # e.g. a date that is not a date
        raise NetworkError(
            f"the arXiv API answered with a feed assay cannot read ({_clean(str(exc))})"
        ) from exc
    for result in results:
        ArxivRecord.from_result(result)


class _Client(arxiv.Client):
    """``arxiv.Client`` with its page fetch routed through :class:`Http` (which does delay, retries and cache)."""

    def __init__(self, http: Http, api_url: str, page_size: int, max_age: float | None = None):
        super().__init__(page_size=page_size, delay_seconds=0.0, num_retries=0)
        self._max_age = max_age
        escaped = api_url.replace("{", "{{").replace("}", "}}")
        self.query_url_format = escaped + ("&" if "?" in api_url else "?") + "{}"
        self._http = http

    def _parse_feed(self, url: str, first_page: bool = True, _try_index: int = 0) -> arxiv.ParsedFeed:
        # arxiv.Client has no public hook for fetching a page; overriding this method (the one ``Client.results``
        # calls for each page) is how every request goes through Http. See parse_atom_feed for the parsing.
        body = self._http.get(url, "the arXiv API", validate=check_feed, max_age=self._max_age)
        return parse_atom_feed(body)


class ArxivSource:
    """The arXiv API for one assay home: ids, searches and titles to records; records to cached PDFs."""

    def __init__(self, settings, store=None, *, http: Http | None = None):  # noqa: ANN001
        self.settings = settings
        self.store = store
        self.http = http or Http(settings, store)
        self.downloaded: set[Path] = (
            set()
        )  # cache files this source added (fetch removes them if ingestion fails)

    def _run(
        self,
        search: arxiv.Search,
        page_size: int,
        max_age: float | None = CHANGING_ANSWER_MAX_AGE,
        client: _Client | None = None,
    ) -> list[ArxivRecord]:
        client = client or _Client(self.http, self.settings.arxiv_api, page_size, max_age)
        try:
            results = list(client.results(search))
        except arxiv.ArxivError as exc:  # not raised by our page fetch, kept for safety
            raise NetworkError(f"the arXiv API failed: {exc}") from exc
        return [ArxivRecord.from_result(r) for r in results]

    def lookup(self, ids: list[str]) -> list[ArxivRecord]:
        """The record of each id, in order (an id without version gets the latest version)."""
        parsed = [parse_arxiv_id(i) for i in ids]
        wanted = list(dict.fromkeys(f"{base}{version or ''}" for base, version in parsed))
        by_id: dict[str, ArxivRecord] = {}
        latest: dict[str, ArxivRecord] = {}
        for start in range(0, len(wanted), IDS_PER_REQUEST):
            chunk = wanted[start : start + IDS_PER_REQUEST]
            search = arxiv.Search(id_list=chunk, max_results=len(chunk))
            fixed = all(
                ARXIV_ID.match(i).group(2) for i in chunk
            )  # versioned ids: the answer does not change
            client = _Client(
                self.http, self.settings.arxiv_api, len(chunk), None if fixed else CHANGING_ANSWER_MAX_AGE
            )
            records = self._run(search, len(chunk), client=client)
            found = {r.versioned_id for r in records} | {r.arxiv_id for r in records}
            if not found.issuperset(chunk):  # "no such paper" is not remembered: it may appear, or be a typo
                self.http.forget(client._format_url(search, 0, client.page_size))
            for record in records:
                by_id[record.versioned_id] = record
                best = latest.get(record.arxiv_id)
                if best is None or _version_number(record.version) > _version_number(best.version):
                    latest[record.arxiv_id] = record
        out, missing = [], []
        for (base, version), text in zip(parsed, ids, strict=True):
            record = by_id.get(f"{base}{version}") if version else latest.get(base)
            if record is None:
                missing.append(str(text).strip())
            else:
                out.append(record)
        if missing:
            raise AssayError(
                f"arXiv has no paper {', '.join(missing)}; check the id (`assay search TITLE` finds ids)"
            )
        return out

    def search(self, query: str, max_results: int = 10) -> list[ArxivRecord]:
        """Records matching an arXiv query (``ti:``, ``au:``, ``abs:``...; plain words must all appear)."""
        query = _clean(query)
        if not query:
            raise AssayError('empty search query; give words or an arXiv query such as ti:"cross-lingual"')
        if not 1 <= int(max_results) <= MAX_SEARCH_RESULTS:
            raise AssayError(f"max results must be between 1 and {MAX_SEARCH_RESULTS}, not {max_results}")
        if not _FIELD.search(query) and not _BOOLEAN.search(query):
            words = re.findall(r"[^\W_]+(?:[-'][^\W_]+)*", query)
            if not words:
                raise AssayError(f"the search query {query!r} has no words to search for")
            query = " AND ".join(f"all:{w}" for w in words)
        search = arxiv.Search(query=query, max_results=int(max_results))
        return self._run(search, page_size=min(int(max_results), 100))

    def find_by_title(self, title: str) -> ArxivRecord | None:
        """The paper whose title matches ``title`` (rapidfuzz token-sort ratio >= 90), or None."""
        words = re.findall(r"[^\W_]+", title or "")
        if not words:
            raise AssayError("empty title; give the title of the paper to find")
        queries = ['ti:"' + " ".join(words) + '"']
        long_words = [w for w in words if len(w) > 2][:12] or words[:12]
        queries.append(" AND ".join(f"ti:{w}" for w in long_words))
        for query in dict.fromkeys(queries):
            best = best_title_match(title, self.search(query, max_results=10))
            if best is not None:
                return best
        return None

    def latest_version(self, arxiv_id: str) -> str:
        base, _ = parse_arxiv_id(arxiv_id)
        return self.lookup([base])[0].version

    def download_pdf(
        self, record: ArxivRecord, progress: Callable[[int, int | None], None] | None = None
    ) -> CachedPdf:
        """Stream the record's PDF into the content-addressed cache (nothing is left behind on failure)."""
        from synthesis.sources.download import download_pdf

        cached, created = download_pdf(
            self.http,
            record.pdf_url,
            self.settings.pdf_cache,
            max_bytes=self.settings.max_pdf_bytes,
            what=f"the PDF of arXiv {record.versioned_id}",
            progress=progress,
        )
        if created:
            self.downloaded.add(cached.path)
        return cached


def best_title_match(
    title: str, records: list[ArxivRecord], threshold: int = TITLE_MATCH_MIN
) -> ArxivRecord | None:
    """The record whose title is closest to ``title`` if it scores at least ``threshold`` (0-100)."""
    from rapidfuzz import fuzz, utils

    best, best_score = None, -1.0
    for record in records:
        score = fuzz.token_sort_ratio(title, record.title, processor=utils.default_process)
        if score > best_score:
            best, best_score = record, score
    return best if best is not None and best_score >= threshold else None
