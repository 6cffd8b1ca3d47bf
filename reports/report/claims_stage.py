"""Stages 3 and 4: the claims that bear on the question, extracted whole, and their verdicts.

Claims come from ``synthesis.claims.extract_claims`` (never shortened here). Of the examined paper's findings and
hedges, those naming the most of the question's key words are kept (``MAX_PAPER_CLAIMS``); of a related paper's,
those naming at least ``MIN_RELATED_RELEVANCE`` of them. Verdicts come from ``synthesis.verify.verify_claims`` with
their confidences as the verifier calibrates them. A related paper's claim is also checked against the examined
paper: supported there is agreement, refuted a conflict.
"""

from __future__ import annotations

from collections import Counter

from reports.report.facets import Question, stem, words

MAX_PAPER_CLAIMS = 16
MAX_RELATED_CLAIMS = 5
MIN_RELATED_RELEVANCE = 0.3
KINDS = ("finding", "hedge")


def question_stems(q: Question) -> set[str]:
    return {w for f in q.facets for w in f.phrase} | set(q.scope)


def relevance(text: str, keys: set[str]) -> float:
    """Share of the question's key words the text names."""
    return round(len({stem(w) for w in words(text)} & keys) / len(keys), 3) if keys else 0.0


def select_claims(
    store, paper_id: str, q: Question, limit: int, min_relevance: float
) -> tuple[list[dict], dict]:  # noqa: ANN001
    """(the chosen claims as JSON with ``relevance``, counts of all extracted claims by kind)."""
    from synthesis.claims import extract_claims

    claims = extract_claims(store, paper_id)
    keys = question_stems(q)
    by_kind = Counter(c.kind for c in claims)
    scored = [(relevance(c.text, keys), c) for c in claims if c.kind in KINDS]
    scored = [(r, c) for r, c in scored if r > 0 and r >= min_relevance]
    scored.sort(key=lambda t: (-t[0], t[1].page, t[1].span[0]))
    chosen = sorted(scored[:limit], key=lambda t: (t[1].page, t[1].span[0]))
    return [dict(c.to_json(), relevance=r) for r, c in chosen], {
        "total": len(claims),
        "by_kind": dict(by_kind),
    }


def extract_stage(store, paper_id: str, related_ids: list[str], q: Question) -> dict:  # noqa: ANN001
    paper_claims, counts = select_claims(store, paper_id, q, MAX_PAPER_CLAIMS, 0.0)
    related: dict[str, list[dict]] = {}
    related_counts: dict[str, dict] = {}
    for rid in related_ids:
        related[rid], related_counts[rid] = select_claims(
            store, rid, q, MAX_RELATED_CLAIMS, MIN_RELATED_RELEVANCE
        )
    return {"paper": paper_claims, "counts": counts, "related": related, "related_counts": related_counts}


def verify_stage(store, settings, paper_id: str, claims: dict) -> dict:  # noqa: ANN001
    """Verdicts for the paper's claims (against the paper), each related paper's claims (against that paper) and
    the related claims cross-checked against the examined paper."""
    from synthesis.verify import Verifier

    verifier = Verifier(store, settings, quiet=True)
    texts = [c["text"] for c in claims["paper"]] + [
        c["text"] for cs in claims["related"].values() for c in cs
    ]
    verifier.prime(texts)

    def run(items: list[dict], ids: list[str]) -> list[dict]:
        from synthesis.verdicts import Verdict

        return [
            Verdict.model_validate(verifier.verify_one({"id": c["id"], "text": c["text"]}, ids)).to_json()
            for c in items
        ]

    out = {
        "paper": run(claims["paper"], [paper_id]),
        "related": {},
        "cross": {},
        "notes": list(verifier.notes),
    }
    for rid, items in claims["related"].items():
        out["related"][rid] = run(items, [rid])
        numeric = [c for c in items if c.get("numbers")]
        out["cross"][rid] = run(numeric, [paper_id])
    return out
