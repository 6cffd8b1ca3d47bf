"""How related a text is to the examined paper and the research question: embeddings when a model is configured
and loadable, else a lexical cosine over content words. Every score comes with a worded reason."""

from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import dataclass

LEXICAL_THRESHOLD = 0.10
EMBEDDING_THRESHOLD = 0.35

_STOP = set(
    """a about above across after again against all also although am among an and any are as at be because been
    before being below between both but by can could did do does doing down during each few for from further had has
    have having here how however i if in into is it its itself just may more most much must no nor not now of off on
    once only or other our ours out over own per same several she should so some such than that the their them then
    there these they this those through thus to too under until up upon us using very via was we were what when where
    which while who whom why will with within without would you your paper papers study studies show shows shown
    propose proposed present presents approach method methods result results work new use used based task tasks
    model models performance effectiveness effective investigating investigate investigation impact impacts improve
    improves improved improvement evaluation evaluating evaluate analysis analyzing large different across vary
    varies compare compared comparison toward towards novel existing""".split()
)
MIN_SHARED_TERMS = 2  # lexical mode: one shared word is chance, not relatedness


def content_terms(text: str) -> Counter:
    words = re.findall(r"[a-z][a-z0-9\-]+", (text or "").lower())
    out: Counter = Counter()
    for w in words:
        w = w.strip("-")
        if len(w) < 3 or w in _STOP:
            continue
        if w.endswith("ies") and len(w) > 5:
            w = w[:-3] + "y"
        elif w.endswith("s") and not w.endswith("ss") and len(w) > 4:
            w = w[:-1]
        out[w] += 1
    return out


def _cosine(a: Counter, b: Counter) -> float:
    if not a or not b:
        return 0.0
    dot = sum(v * b[k] for k, v in a.items() if k in b)
    na = math.sqrt(sum(v * v for v in a.values()))
    nb = math.sqrt(sum(v * v for v in b.values()))
    return dot / (na * nb) if na and nb else 0.0


@dataclass
class Relevance:
    score: float
    method: str  # "lexical" | "embedding:<model>"
    threshold: float
    related: bool
    reason: str


def score(text: str, paper_text: str, question: str | None, *, embedder=None) -> Relevance:  # noqa: ANN001
    """Relevance of ``text`` (a reference's title and abstract) to the paper and to the question (the higher).

    ``embedder`` is a :class:`synthesis.embeddings.Embedder` (or None for the lexical score)."""
    t_terms = content_terms(text)
    shared_paper = [w for w, _ in (t_terms & content_terms(paper_text)).most_common(6)]
    shared_q = [w for w, _ in (t_terms & content_terms(question or "")).most_common(6)]
    if embedder is not None:
        vecs = embedder.encode([text, paper_text] + ([question] if question else []))
        sims = [float(vecs[0] @ v) for v in vecs[1:]]
        method, threshold = f"embedding:{embedder.name}", EMBEDDING_THRESHOLD
    else:
        sims = [_cosine(t_terms, content_terms(paper_text))]
        if question:
            sims.append(_cosine(t_terms, content_terms(question)))
        method, threshold = "lexical", LEXICAL_THRESHOLD
    best = max(sims)
    related = best >= threshold
    if embedder is None and related and len(set(shared_paper) | set(shared_q)) < MIN_SHARED_TERMS:
        related = False
    against = "the paper" if sims[0] >= (sims[1] if len(sims) > 1 else -1) else "the research question"
    shared = shared_paper if against == "the paper" else shared_q
    if related:
        reason = f"similar to {against} ({best:.2f} ≥ {threshold:.2f})"
        if shared:
            reason += "; shares " + ", ".join(shared)
    elif best >= threshold:
        reason = (
            f"unrelated: similarity {best:.2f} to {against} rests on a single shared word "
            f"({', '.join(shared) or '-'}), under the {MIN_SHARED_TERMS} needed"
        )
    else:
        reason = f"unrelated: similarity {best:.2f} to {against} is below {threshold:.2f}"
        reason += (
            "; shares " + ", ".join(shared)
            if shared
            else "; shares no key terms with the paper or the question"
        )
    return Relevance(round(best, 3), method, threshold, related, reason)
