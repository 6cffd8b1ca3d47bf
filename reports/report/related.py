"""Stage 2: related literature, ranked by relevance to the *question*.

Online: arXiv searches built from the question's facets and scope and from the paper's title, plus the paper's own
references that carry arXiv ids, through ``synthesis.sources`` (cached, rate-limited); the top N related candidates
are fetched and ingested. Offline: the other papers already in the store are the candidates, and the report says so.
Relevance is ``reports.audit.relevance.score`` against the question (embeddings when a model loads, else lexical),
the same measure the auditor applies to references, so what this stage keeps passes the audit.
"""

from __future__ import annotations

import re

from reports.audit.relevance import score as relevance_score
from reports.report.facets import STOP, Question, words
from synthesis.errors import AssayError
from synthesis.papers import Paper, get_references, list_papers

MAX_QUERIES = 4
RESULTS_PER_QUERY = 10


def _terms(text: str, limit: int) -> list[str]:
    out = [
        w
        for w in re.findall(r"[A-Za-z][A-Za-z0-9]*(?:-[A-Za-z0-9]+)*", text)
        if w.lower() not in STOP and len(w) > 2
    ]
    return list(dict.fromkeys(out))[:limit]


def build_queries(q: Question, paper: Paper) -> list[str]:
    """Plain-word arXiv queries (all words must appear): each facet with the scope, then the title's key terms."""
    scope = [w for w in words(q.text) if w.lower() in set(q.scope)][:2]
    queries = []
    for f in q.facets:
        body = re.sub(
            r"^(?:\w+ing\s+)",
            "",
            re.sub(r"^(?:effectiveness|effect|impact|influence|role)\s+of\s+", "", f.label, flags=re.I),
        )
        queries.append(" ".join(_terms(body, 3) + scope))
    title_terms = sorted(_terms(paper.title, 12), key=lambda w: (-("-" in w), -len(w)))[:3]
    if title_terms:
        queries.append(" ".join(title_terms))
    return [x for x in dict.fromkeys(queries) if x.strip()][:MAX_QUERIES]


MAX_REFERENCE_LOOKUPS = 3


def relevant_reference_ids(store, paper: Paper, q: Question) -> list[str]:  # noqa: ANN001
    """arXiv ids of the paper's own references whose titles relate to the question (lexically), best first."""
    scored = []
    for ref in get_references(store, paper.id):
        if ref.arxiv_id:
            rel = relevance_score(ref.title or ref.raw, q.text, None)
            if rel.related:
                scored.append((-rel.score, ref.idx, ref.arxiv_id))
    return list(dict.fromkeys(a for _, _, a in sorted(scored)))[:MAX_REFERENCE_LOOKUPS]


def _relevance(text: str, question: str, embedder) -> dict:  # noqa: ANN001
    rel = relevance_score(text, question, None, embedder=embedder)
    return {
        "score": rel.score,
        "method": rel.method,
        "threshold": rel.threshold,
        "related": rel.related,
        "reason": rel.reason,
    }


def find_related(
    store,
    settings,
    paper: Paper,
    q: Question,
    n: int,
    *,
    embedder=None,  # noqa: ANN001
    source=None,
) -> dict:  # noqa: ANN001
    """Candidates ranked by relevance to the question; the top ``n`` related ones fetched (online)."""
    if settings.offline:
        cands = _stored_candidates(store, paper, q, embedder)
        note = (
            f"offline: no search was made; the {len(cands)} other paper(s) already in the store were the "
            "candidates"
        )
        return _rank(cands, n, [], note, "offline")
    from synthesis.sources.arxiv import ArxivSource
    from synthesis.sources.fetch import fetch

    source = source or ArxivSource(settings, store)
    records, queries = _search_arxiv(source, store, paper, q)
    cands = _record_candidates(records, paper, q, embedder)
    out = _rank(
        cands, n, queries, f"online: {len(queries)} arXiv requests; {len(cands)} candidates found", "online"
    )
    chosen = [c for c in out["candidates"] if c["taken"]]
    if chosen:
        results = fetch(store, settings, [c["paper"] for c in chosen], source=source)
        for c, res in zip(chosen, results, strict=True):
            c["store_id"] = res.paper_id
    return out


def _stored_candidates(store, paper: Paper, q: Question, embedder) -> list[dict]:  # noqa: ANN001
    """Every other stored paper (not another version of ``paper``) with its relevance to the question."""
    cands = []
    for p in list_papers(store):
        if p.id == paper.id or (paper.arxiv_id and p.arxiv_id == paper.arxiv_id):
            continue
        rel = _relevance(f"{p.title}\n{p.abstract}", q.text, embedder)
        cands.append(
            {
                "paper": p.id,
                "store_id": p.id,
                "arxiv_id": p.arxiv_id,
                "version": p.version,
                "title": p.title,
                **rel,
            }
        )
    return cands


def _search_arxiv(source, store, paper: Paper, q: Question) -> tuple[dict[str, object], list[str]]:  # noqa: ANN001
    """arXiv records found by the question's queries and by looking up the paper's relevant references (one
    record per arXiv id, first found kept), and every request made."""
    queries = build_queries(q, paper)
    records: dict[str, object] = {}
    for query in queries:
        for r in source.search(query, max_results=RESULTS_PER_QUERY):
            records.setdefault(r.arxiv_id, r)
    for rid in relevant_reference_ids(store, paper, q):
        try:
            for r in source.lookup([rid]):
                records.setdefault(r.arxiv_id, r)
        except AssayError:  # a reference id arXiv does not know is not a reason to stop
            pass
        queries.append(f"id_list:{rid}")
    return records, queries


def _record_candidates(records: dict, paper: Paper, q: Question, embedder) -> list[dict]:  # noqa: ANN001
    """The records other than ``paper`` itself, each with its relevance to the question (not yet stored)."""
    cands = []
    for r in records.values():
        if r.arxiv_id == paper.arxiv_id:
            continue
        rel = _relevance(f"{r.title}\n{r.summary}", q.text, embedder)
        cands.append(
            {
                "paper": r.versioned_id,
                "store_id": None,
                "arxiv_id": r.arxiv_id,
                "version": r.version,
                "title": r.title,
                **rel,
            }
        )
    return cands


def _rank(cands: list[dict], n: int, queries: list[str], note: str, mode: str) -> dict:
    cands.sort(key=lambda c: (-c["score"], c["paper"]))
    taken = 0
    for i, c in enumerate(cands, start=1):
        c["rank"] = i
        c["taken"] = bool(c["related"] and taken < n)
        taken += c["taken"]
    return {"mode": mode, "note": note, "queries": queries, "candidates": cands}
