"""`assay report` end to end: run the stages (artifacts.Stages), then assemble the canonical report from them.

Assembly is cheap and deterministic (same artifacts and date give the same JSON), so it is not cached; everything
slow (fetching, extraction, verification, evidence search) is a stage.
"""

from __future__ import annotations

import os
import re
import time
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from reports.report import answer as answer_mod
from reports.report.artifacts import Stages
from reports.report.claims_stage import extract_stage, verify_stage
from reports.report.evidence import facet_evidence, paper_sentences
from reports.report.facets import parse_question
from reports.report.model import Report
from reports.report.related import find_related
from reports.report.resolve import resolve, spec_inputs, stored
from synthesis.errors import AssayError
from synthesis.papers import Paper, get_pages, list_papers

MAX_QUESTION_CHARS = 1000


def report_date(date: str | None = None) -> str:
    """The report's date: ``date`` (YYYY-MM-DD), else SOURCE_DATE_EPOCH, else today (UTC)."""
    if date:
        try:
            d = datetime.strptime(date, "%Y-%m-%d")
        except ValueError as exc:
            raise AssayError(f"--date {date!r} is not a date like 2026-07-07") from exc
    elif os.environ.get("SOURCE_DATE_EPOCH", "").strip():
        try:
            d = datetime.fromtimestamp(int(os.environ["SOURCE_DATE_EPOCH"]), UTC)
        except ValueError as exc:
            raise AssayError("SOURCE_DATE_EPOCH must be a whole number of seconds") from exc
    else:
        d = datetime.now(UTC)
    return f"{d:%B} {d.day}, {d.year}"


def check_question(question: str | None) -> str:
    q = re.sub(r"\s+", " ", question or "").strip()
    if not q:
        raise AssayError(
            'empty --question; give the research question, e.g. --question "How does X vary with Y?"'
        )
    if len(q) > MAX_QUESTION_CHARS:
        raise AssayError(f"the question is {len(q)} characters long; keep it under {MAX_QUESTION_CHARS}")
    if not re.search(r"[A-Za-z]{3}", q):
        raise AssayError(f"the question {q!r} has no words to search for")
    return q


def _tool_version() -> str:
    from reports.audit.run import tool_version

    return tool_version()


def _embedder(store, settings):  # noqa: ANN001, ANN202
    from synthesis.embeddings import load_embedder

    return load_embedder(store, settings, quiet=True)[0]


def build(
    store,
    settings,
    spec: str,
    question: str,
    *,
    related_n: int = 3,
    runs: Path | None = None,  # noqa: ANN001
    date: str | None = None,
    stages_root: Path | None = None,
) -> tuple[dict, Stages]:
    """Run every stage (reusing saved artifacts) and return (the canonical report JSON, the stage log)."""
    question = check_question(question)
    if not 0 <= related_n <= 20:
        raise AssayError(f"--related {related_n}: give a number of related papers between 0 and 20")
    date_text = report_date(date)
    stages = Stages(stages_root or settings.home / "reports" / "stages")
    version = _tool_version()
    q = parse_question(question)

    rkey, res = stages.run(
        "resolve",
        {"paper": spec_inputs(spec), "offline": settings.offline, "tool": version},
        lambda: resolve(store, settings, spec),
    )
    paper = stored(store, res["id"])
    relkey, related = stages.run(
        "related",
        _related_inputs(store, settings, paper, question, related_n, version),
        lambda: find_related(store, settings, paper, q, related_n, embedder=_embedder(store, settings)),
    )
    taken = [c["store_id"] for c in related["candidates"] if c["taken"] and c["store_id"]]
    ckey, claims = stages.run(
        "claims",
        {"related": relkey, "paper": paper.pdf_sha256, "question": question, "tool": version},
        lambda: extract_stage(store, paper.id, taken, q),
    )
    vkey, verdicts = stages.run(
        "verify",
        {
            "claims": ckey,
            "tool": version,
            "settings": settings.hash("embedding_model", "nli_model", "verifier_model"),
        },
        lambda: verify_stage(store, settings, paper.id, claims),
    )
    akey, answered = stages.run(
        "answer",
        {"related": relkey, "paper": paper.pdf_sha256, "question": question, "tool": version},
        lambda: _answer_stage(store, q, [paper.id, *taken]),
    )
    keys = {"resolve": rkey, "related": relkey, "claims": ckey, "verify": vkey, "answer": akey}
    reruns = _run_reruns_stage(stages, keys, claims, runs, version)

    t0 = time.perf_counter()
    report = assemble(store, settings, paper, res["resolved_by"], question, date_text,
                      related, claims, verdicts, answered, reruns, version, keys)  # fmt: skip
    stages.log.append(type(stages.log[0])("assemble", "", "computed", time.perf_counter() - t0))
    return report, stages


def _related_inputs(store, settings, paper: Paper, question: str, related_n: int, version: str) -> dict:  # noqa: ANN001
    """What the related-papers stage depends on (offline, the papers stored are its whole search space)."""
    store_state = sorted(f"{p.id}:{p.pdf_sha256}" for p in list_papers(store)) if settings.offline else []
    return {
        "paper": paper.pdf_sha256,
        "question": question,
        "n": related_n,
        "offline": settings.offline,
        "store": store_state,
        "settings": settings.hash("arxiv_api", "embedding_model"),
        "tool": version,
    }


def _answer_stage(store, q, paper_ids: list[str]) -> dict:  # noqa: ANN001
    """The question's facets, each with the sentences of the papers that bear on it."""
    sentences = [s for pid in paper_ids for s in paper_sentences(store, pid)]
    found = facet_evidence(q, sentences)
    dim = next((fe.facet.label for fe in found if fe.facet.role == "dimension"), None)
    return {"scope": q.scope, "facets": [answer_mod.facet_json(fe, _sentence_quote, dim) for fe in found]}


def _sentence_quote(s, score: float) -> dict:  # noqa: ANN001
    return {
        "paper": s.paper,
        "page": s.page,
        "quote": s.text,
        "char_start": s.start,
        "char_end": s.end,
        "score": score,
    }


def _run_reruns_stage(stages: Stages, keys: dict, claims: dict, runs: Path | None, version: str) -> dict:
    """Bind the claims to the runs in ``runs`` (adding the stage's key to ``keys``), or note that none were given."""
    if runs is None:
        reruns = {"status": "skipped", "note": "--runs was not given, so no claim is bound to a run"}
        stages.skip("reruns", reruns["note"])
        return reruns
    from reports.report.reruns_stage import fingerprint, reruns_stage

    keys["reruns"], bound = stages.run(
        "reruns",
        {"claims": keys["claims"], "runs": fingerprint(runs), "tool": version},
        lambda: reruns_stage(claims, runs),
    )
    return {"status": "bound", "runs_dir": str(runs), **bound}


def _short(paper: Paper) -> str:
    first = paper.authors[0].split()[-1] if paper.authors else paper.title.split(":")[0]
    year = (paper.published or "")[:4]
    return f"{first}{' et al.' if len(paper.authors) > 1 else ''}{', ' + year if year else ''}"


def _url(paper: Paper) -> str | None:
    return f"https://arxiv.org/abs/{paper.arxiv_id}{paper.version or ''}" if paper.arxiv_id else None


def assemble(
    store,
    settings,
    paper: Paper,
    resolved_by: str,
    question: str,
    date: str,
    related: dict,  # noqa: ANN001, PLR0913
    claims: dict,
    verdicts: dict,
    answered: dict,
    reruns: dict,
    version: str,
    keys: dict,
) -> dict:
    """The canonical report JSON from the stage artifacts (validated against the Report model). Over 60 lines only
    by its thirteen stage inputs and the report written out field by field in one literal."""
    used = _papers_used(paper, related, claims, answered)
    cite = _Citations(
        {pid: i for i, pid in enumerate(used, start=1)}, {pid: get_pages(store, pid) for pid in used}
    )
    rows = [_claim_row(c, v, cite) for c, v in zip(claims["paper"], verdicts["paper"], strict=True)]
    reruns = _reruns(reruns, rows)
    related_rows, comparisons = _related_claims(claims, verdicts, cite)
    facets = [dict(f, evidence=[cite.quote(e) for e in f["evidence"]]) for f in answered["facets"]]
    by_id = {p.id: p for p in list_papers(store)}
    cands = {c["store_id"]: c for c in related["candidates"] if c["store_id"]}
    references = _references(by_id, used, cands, facets, rows + related_rows, cite.ref_of)
    labels = Counter(r["label"] for r in rows)
    report = {
        "schema": "assay.report/1",
        "title": f"{question.rstrip('?')}: evidence from {_short(paper)}",
        "author": f"assay {version}",
        "date": date,
        "question": question,
        "abstract": _abstract(question, paper, len(used) - 1, facets, rows),
        "paper": _paper_json(paper, resolved_by),
        "facets": facets,
        "answer": answer_mod.compose(facets),
        "claims": rows,
        "related_claims": related_rows,
        "comparisons": comparisons,
        "methodology": {
            "mode": related["mode"],
            "mode_note": related["note"],
            "queries": related["queries"],
            "candidates": [_candidate(c, cite.ref_of) for c in related["candidates"]],
            "counts": _counts(related, claims, rows, related_rows, used, labels),
            "verifier": verdicts.get("notes", []),
        },
        "quality": _quality(rows, cite.pages_of, facets, references),
        "limitations": _limitations(related, reruns, verdicts),
        "references": references,
        "figures": _figures(rows, facets),
        "reruns": reruns,
        "provenance": {
            "tool": f"assay {version}",
            "settings_hash": settings.hash(),
            "stage_keys": keys,
            "inputs": {"paper_sha256": paper.pdf_sha256, "question": question},
        },
    }
    return Report.model_validate(report).to_json()


def _papers_used(paper: Paper, related: dict, claims: dict, answered: dict) -> list[str]:
    """Papers the report uses: the examined one, then related papers that give evidence or claims, by rank."""
    used = [paper.id]
    for c in related["candidates"]:
        pid = c["store_id"]
        if (
            c["taken"]
            and pid
            and (
                claims["related"].get(pid)
                or any(e["paper"] == pid for f in answered["facets"] for e in f["evidence"])
            )
        ):
            used.append(pid)
    return used


@dataclass(frozen=True)
class _Citations:
    """The papers a report uses: each one's reference number and page texts, to cite a quote by."""

    ref_of: dict[str, int]
    pages_of: dict[str, list[str]]

    def quote(self, e: dict) -> dict:
        """A facet's evidence sentence with its paper's reference number."""
        return {
            "paper": e["paper"],
            "ref": self.ref_of[e["paper"]],
            "page": e["page"],
            "quote": e["quote"],
            "char_start": e["char_start"],
            "char_end": e["char_end"],
            "score": e.get("score"),
        }

    def evidence(self, v: dict) -> list[dict]:
        """A verdict's evidence quotes found on their pages (offsets corrected), dropping any not found there."""
        out = []
        for e in v["evidence"]:
            pid, page, text = e.get("paper"), e.get("page"), e.get("quote", "")
            cell = None
            if e.get("kind") == "table-cell":  # quote its printed value, cite the cell by row and column
                cell, text = text, e.get("cell_text") or ""
            if pid not in self.pages_of or not page or not text:
                continue
            start = e.get("char_start")
            pages = self.pages_of[pid]
            page_text = pages[page - 1] if 0 < page <= len(pages) else ""
            if not isinstance(start, int) or page_text[start : start + len(text)] != text:
                start = -1 if cell else page_text.find(text)  # a cell's value is found only where it was read
            if start < 0:
                continue
            out.append(
                {
                    "paper": pid,
                    "ref": self.ref_of[pid],
                    "page": page,
                    "quote": text,
                    "char_start": start,
                    "char_end": start + len(text),
                    "score": e.get("score"),
                }
                | ({"cell": cell} if cell else {})
            )
        return out


def _claim_row(c: dict, v: dict, cite: _Citations, cross: dict | None = None) -> dict:
    """A claim beside its verdict; ✓ or × only at confidence 0.5 or more."""
    conf = float(v["confidence"])
    mark = (
        ("✓" if v["label"] == "supported" else "×" if v["label"] == "refuted" else "") if conf >= 0.5 else ""
    )
    return {
        "id": c["id"],
        "text": c["text"],
        "paper": c["paper"],
        "ref": cite.ref_of[c["paper"]],
        "page": c["page"],
        "kind": c["kind"],
        "type": c["type"],
        "relevance": c["relevance"],
        "label": v["label"],
        "confidence": conf,
        "mark": mark,
        "evidence": cite.evidence(v),
        "reasons": v.get("reasons", []),
        "cross_check": cross["label"] if cross else None,
    }


def _related_claims(claims: dict, verdicts: dict, cite: _Citations) -> tuple[list[dict], list[dict]]:
    """The used related papers' claim rows, and the comparisons of those cross-checked against the paper."""
    related_rows, comparisons = [], []
    for pid, items in claims["related"].items():
        if pid not in cite.ref_of:
            continue
        cross = {x["id"]: x for x in verdicts["cross"].get(pid, [])}
        for c, v in zip(items, verdicts["related"][pid], strict=True):
            related_rows.append(_claim_row(c, v, cite, cross.get(c["id"])))
            if c["id"] in cross:
                x = cross[c["id"]]
                status = {"supported": "agree", "refuted": "conflict"}.get(x["label"], "undecided")
                comparisons.append(
                    {
                        "claim": c["text"],
                        "paper": pid,
                        "ref": cite.ref_of[pid],
                        "verdict": x["label"],
                        "status": status,
                        "evidence": cite.evidence(x),
                    }
                )
    return related_rows, comparisons


def _abstract(question: str, paper: Paper, n_related: int, facets: list[dict], rows: list[dict]) -> str:
    n_sup = sum(r["mark"] == "✓" for r in rows)
    n_ref = sum(r["mark"] == "×" for r in rows)
    labels = Counter(r["label"] for r in rows)
    st = Counter(f["status"] for f in facets)
    return (
        f"This report asks: {question} It examines {paper.title} ({_short(paper)}) with "
        f"{n_related} related paper(s) that bear on the question. The question has {len(facets)} "
        f"facets; answered by this literature: {st['answered']}, partly answered: {st['partly answered']}, "
        f"not answered: {st['not answered']}. Of the {len(rows)} claims of the paper that "
        f"bear on the question, the verifier labels {labels['supported']} supported, {labels['refuted']} "
        f"refuted and {labels['not_enough_info']} undecided; {n_sup} carry a ✓ and {n_ref} a × (confidence 0.5 "
        "or more)."
    )


def _limitations(related: dict, reruns: dict, verdicts: dict) -> list[str]:
    mode_note = related["note"]
    limitations = [
        "Facets are found from the question's own connectives and matched by their words (light stemming); a "
        "sentence that says the same thing in other words is missed, so 'not answered' means no sentence of the "
        "papers used names the facet.",
        "Verdicts and confidences are the verifier's as it calibrates them (synthesis.verify); a ✓ or × is shown "
        "only at confidence 0.5 or more.",
        "The answer quotes the papers; it does not add findings of its own. "
        + (
            "No experiment was re-run for this report (" + reruns["note"] + ")."
            if reruns["status"] == "skipped"
            else "Rerun verdicts come from the runs folder given ("
            + reruns["note"]
            + "); they say what those runs "
            "measure, not what the paper's own setup would."
        ),
    ]
    if related["mode"] == "offline":
        limitations.insert(
            0, mode_note[0].upper() + mode_note[1:] + ". Papers that are not stored were not searched for."
        )
    return limitations + [f"Verifier: {n}" for n in verdicts.get("notes", [])]


def _paper_json(paper: Paper, resolved_by: str) -> dict:
    return {
        "id": paper.id,
        "arxiv_id": paper.arxiv_id,
        "version": paper.version,
        "title": paper.title,
        "authors": paper.authors,
        "published": paper.published,
        "abstract": paper.abstract,
        "pdf_sha256": paper.pdf_sha256,
        "n_pages": paper.n_pages,
        "url": _url(paper),
        "resolved_by": resolved_by,
    }


def _reruns(reruns: dict, rows: list[dict]) -> dict:
    """The report's reruns block: skipped as it is, or the bindings beside the claims' textual verdicts."""
    if reruns["status"] == "skipped":
        return reruns
    from reports.report.reruns_stage import rerun_rows

    out = rerun_rows(reruns, rows)
    by = Counter(r["verdict"] for r in out)
    counts = ", ".join(f"{n} {v}" for v, n in by.items()) or "none"
    note = (
        f"{len(out)} numeric claim(s) of the paper bound to the {reruns['n_runs']} run result(s) in "
        f"{reruns['runs_dir']} by replication.bind: {counts}"
    )
    return {"status": "bound", "note": note, "runs_dir": reruns["runs_dir"], "n_runs": reruns["n_runs"],
            "claims": out}  # fmt: skip


def _candidate(c: dict, ref_of: dict) -> dict:
    return {
        "paper": c["store_id"] or c["paper"],
        "title": c["title"],
        "score": c["score"],
        "method": c["method"],
        "rank": c["rank"],
        "fetched": c["taken"],
        "used": c["store_id"] in ref_of,
        "reason": c["reason"],
    }


def _references(
    by_id: dict, used: list[str], cands: dict, facets: list[dict], rows: list[dict], ref_of: dict
) -> list[dict]:
    out = []
    for pid in used:
        p: Paper = by_id[pid]
        matched = [q for f in facets for q in f["evidence"] if q["paper"] == pid]
        matched += [q for r in rows for q in r["evidence"] if q["paper"] == pid]
        seen, first = set(), []
        for q in matched:
            if (q["page"], q["char_start"]) not in seen:
                seen.add((q["page"], q["char_start"]))
                first.append(q)
        c = cands.get(pid)
        n_facet = sum(1 for f in facets for q in f["evidence"] if q["paper"] == pid)
        n_claims = sum(1 for r in rows if r["paper"] == pid)
        why = (
            "the paper examined" if c is None else f"{c['reason']}"
        ) + f"; cited for {n_facet} facet quote(s) and {n_claims} claim(s)"
        out.append(
            {
                "n": ref_of[pid],
                "paper": pid,
                "role": "examined" if c is None else "related",
                "title": p.title,
                "authors": p.authors,
                "year": (p.published or "")[:4] or None,
                "arxiv_id": p.arxiv_id,
                "version": p.version,
                "url": _url(p),
                "pdf_sha256": p.pdf_sha256,
                "score": None if c is None else c["score"],
                "method": "identity" if c is None else c["method"],
                "why": why,
                "matched": first[:3],
            }
        )
    return out


def _counts(
    related: dict, claims: dict, rows: list[dict], related_rows: list[dict], used: list[str], labels: Counter
) -> list[dict]:
    cands = related["candidates"]
    by_kind = ", ".join(f"{k} {v}" for k, v in sorted(claims["counts"]["by_kind"].items()))
    return [
        {
            "name": "search requests",
            "value": len(related["queries"]),
            "how": "arXiv searches and reference look-ups issued (0 offline); fetching a paper adds one look-up of its record",
        },
        {
            "name": "candidate papers",
            "value": len(cands),
            "how": "distinct papers the searches (or the store) gave",
        },
        {
            "name": "related papers taken",
            "value": sum(c["taken"] for c in cands),
            "how": "candidates at or above the relevance threshold, best first, at most --related",
        },
        {
            "name": "papers cited",
            "value": len(used),
            "how": "the examined paper and taken papers the report quotes",
        },
        {
            "name": "statements extracted from the paper",
            "value": claims["counts"]["total"],
            "how": f"synthesis.claims, every kind ({by_kind})",
        },
        {
            "name": "claims bearing on the question",
            "value": len(rows),
            "how": "findings and hedges naming the question's key words, most first",
        },
        {"name": "supported", "value": labels["supported"], "how": "verifier label of those claims"},
        {"name": "refuted", "value": labels["refuted"], "how": "verifier label of those claims"},
        {"name": "undecided", "value": labels["not_enough_info"], "how": "verifier label not_enough_info"},
        {
            "name": "claims of related papers",
            "value": len(related_rows),
            "how": "related claims naming the question",
        },
    ]


def _norm(s: str) -> str:
    return re.sub(r"\s+", " ", s).strip()


def _quality(rows: list[dict], pages_of: dict, facets: list[dict], references: list[dict]) -> list[dict]:
    def verbatim(q: dict) -> bool:
        pages = pages_of.get(q["paper"], [])
        return 0 < q["page"] <= len(pages) and _norm(q["quote"]) in _norm(pages[q["page"] - 1])

    with_ev = sum(1 for r in rows if r["evidence"] and all(verbatim(q) for q in r["evidence"]))
    numeric = [r for r in rows if re.search(r"\d", r["text"])]
    consistent = sum(1 for r in numeric if r["label"] == "supported")
    related_refs = [r for r in references if r["role"] == "related"]
    n_ok = sum(1 for r in related_refs if r["score"] is not None)
    answered = sum(f["status"] == "answered" for f in facets)
    partly = sum(f["status"] == "partly answered" for f in facets)

    def share(a: int, b: int) -> float | None:
        return round(a / b, 3) if b else None

    return [
        {
            "name": "claims with verbatim evidence",
            "value": share(with_ev, len(rows)),
            "numerator": with_ev,
            "denominator": len(rows),
            "how": "claims whose every evidence quote is found, whitespace-normalised, on "
            "the stored text of its page",
        },
        {
            "name": "numeric consistency",
            "value": share(consistent, len(numeric)),
            "numerator": consistent,
            "denominator": len(numeric),
            "how": "claims with numbers the verifier finds supported (numbers, units and "
            "rounding checked against the quoted evidence)",
        },
        {
            "name": "reference relevance",
            "value": share(n_ok, len(related_refs)) if related_refs else 1.0,
            "numerator": n_ok,
            "denominator": len(related_refs),
            "how": "related references at or above the relevance "
            "threshold to the question (the examined paper is not counted; 1 when it is the only reference)",
        },
        {
            "name": "facet coverage",
            "value": share(2 * answered + partly, 2 * len(facets)),
            "numerator": 2 * answered + partly,
            "denominator": 2 * len(facets),
            "how": "answered facets count 2, partly answered 1, out of 2 per facet",
        },
    ]


def _figures(rows: list[dict], facets: list[dict]) -> dict:
    labels = ("supported", "refuted", "not_enough_info")
    kinds = sorted({r["kind"] for r in rows})
    by_kind = [
        {
            "label": k,
            "values": {
                lab: float(sum(1 for r in rows if r["kind"] == k and r["label"] == lab)) for lab in labels
            },
        }
        for k in kinds
    ]
    bins = [(0.0, 0.5), (0.5, 0.6), (0.6, 0.7), (0.7, 0.8), (0.8, 0.9), (0.9, 1.01)]
    conf = [
        {
            "label": f"{lo:.1f}–{min(hi, 1.0):.1f}",
            "values": {
                lab: float(sum(1 for r in rows if r["label"] == lab and lo <= r["confidence"] < hi))
                for lab in labels
            },
        }
        for lo, hi in bins
    ]
    pages: Counter = Counter()
    for f in facets:
        for q in f["evidence"]:
            pages[(q["ref"], q["page"])] += 1
    for r in rows:
        for q in r["evidence"]:
            pages[(q["ref"], q["page"])] += 1
    by_page = [
        {"label": f"[{ref}] p. {page}", "values": {"quotes": float(n)}}
        for (ref, page), n in sorted(pages.items())
    ]
    return {"verdicts_by_kind": by_kind, "confidence": conf, "evidence_by_page": by_page, "per_language": []}
