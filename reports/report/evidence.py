"""Facet evidence: the sentences of the papers used that name a facet, quoted verbatim with page, and its status.

A sentence *names* a facet when all of the facet's key words (stems; at most the three most specific) occur in it
close together (within three words of each other per further key word). A facet is answered when at least two sentences name it, partly
answered when one does or, for a dimension the question varies across ("language families"), when sentences with
results name its members (the compound's first word in the plural, "languages"): results across languages partly answer how results vary
per family. A condition ("when scaling model size") names a variable that must itself be varied, so only sentences
naming it count. Not answered otherwise. Ranking among matches: sentences that also name the question's scope and other facets, that carry
numbers, and that come from the abstract, results or conclusion come first.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass

from reports.report.facets import Facet, Question, stem, words
from synthesis.retrieval import paper_units

MAX_QUOTES = 3
_SKIP_SECTIONS = re.compile(r"reference|bibliograph|acknowledg", re.I)
_RESULT = re.compile(
    r"\d|\b(?:improv|outperform|better|worse|gain|drop|hurt|help|benefit|higher|lower|best|"
    r"consistent|significant|result|average|mean)",
    re.I,
)


_EFFECT = re.compile(
    r"\b(?:improv\w*|outperform\w*|gains?|drops?|hurts?|helps?|benefits?|bolsters?|yields?|"
    r"better|worse|higher|lower|negative transfer|positive transfer)\b",
    re.I,
)


_JOINED = re.compile(
    r"\b[a-z]{4,}\.\s+[a-z]{4,}\b"
)  # "Best viewed in color. tasks across": text run together


@dataclass
class Sentence:
    paper: str
    page: int
    start: int
    end: int
    text: str
    section: str
    stems: list[str]

    @property
    def has_result(self) -> bool:
        return bool(_RESULT.search(self.text))


def paper_sentences(store, paper_id: str) -> list[Sentence]:  # noqa: ANN001
    """The quotable sentences of a stored paper (no reference list, no table lines, no garbled text)."""
    out = []
    for u in paper_units(store, paper_id):
        if u.kind not in ("sentence", "abstract", "caption") or _SKIP_SECTIONS.search(u.section or ""):
            continue
        text = u.text.strip()
        letters = sum(c.isalpha() for c in text)
        if (
            len(text) < 25
            or letters < 0.6 * len(text)
            or len(text) > 700
            or _JOINED.search(text)
            or text[0].islower()
        ):
            continue
        out.append(
            Sentence(
                u.paper, u.page, u.start, u.end, u.text, u.section or "", [stem(w) for w in words(u.text)]
            )
        )
    return out


def _near(stems: list[str], keys: list[str]) -> bool:
    """All keys occur within 3 words of the first key per further key ("size of the model" names model size; "a
    batch size of 32 for every model" does not)."""
    where = {k: [i for i, s in enumerate(stems) if s == k] for k in keys}
    if any(not v for v in where.values()):
        return False
    span = 3 * max(1, len(keys) - 1)
    first = where[keys[0]]
    return any(all(any(abs(j - i) <= span for j in where[k]) for k in keys[1:]) for i in first)


@dataclass
class FacetEvidence:
    facet: Facet
    status: str
    reason: str
    quotes: list[tuple[Sentence, float]]


def key_words(facet: Facet, df: Counter, n: int) -> list[str]:
    """The facet's key words: its phrase, or when longer its first and last word (the modifier and the head noun
    of the compound, e.g. "multiple ... tasks")."""
    phrase = list(dict.fromkeys(facet.phrase))
    return phrase if len(phrase) <= 3 else [phrase[0], phrase[-1]]


def _rank(s: Sentence, q: Question, others: set[str], dimension: bool = False) -> float:
    """How good a quote the sentence is for a facet it names: scope and other facets named, a number, an effect
    word, and a results-like section each add to it."""
    have = set(s.stems)
    score = 0.1 * min(2, len(have & set(q.scope))) + 0.05 * min(2, len(have & others))
    score += 0.15 if re.search(r"\d", s.text) else 0.0
    score += 0.15 if _EFFECT.search(s.text) else 0.0
    score += 0.1 if re.search(r"abstract|result|conclusion|discussion|analysis", s.section, re.I) else 0.0
    if dimension:  # a sentence about how results are reported across the dimension's members
        score += 0.2 if re.search(r"\b(?:across|per|each|every|between)\b", s.text, re.I) else 0.0
    return round(min(1.0, 0.3 + score), 3)


def facet_evidence(q: Question, sentences: list[Sentence]) -> list[FacetEvidence]:
    """Status and best quotes for each facet of the question."""
    df: Counter = Counter()
    for s in sentences:
        df.update(set(s.stems))
    n = max(1, len(sentences))
    out = []
    for f in q.facets:
        keys = key_words(f, df, n)
        others = {w for g in q.facets if g is not f for w in g.phrase}
        full = [s for s in sentences if _near(s.stems, keys)]
        label = " ".join(keys)
        if len(full) >= 2:
            status, reason, pool = "answered", f"{len(full)} sentences name '{label}'", full
        elif full:
            status, reason, pool = "partly answered", f"only one sentence names '{label}'", full
        else:
            broad = keys[0] if len(keys) > 1 and f.role == "dimension" else None
            plural = (
                re.compile(rf"\b{re.escape(broad)}(?:s|es)\b|\b{re.escape(broad[:-1])}ies\b", re.I)
                if broad
                else None
            )
            partial = [s for s in sentences if plural.search(s.text) and s.has_result] if plural else []
            if partial:
                status, pool = "partly answered", partial
                reason = (
                    f"no sentence names '{label}'; {len(partial)} sentences give results per '{broad}', "
                    f"which partly shows how results vary"
                )
            else:
                status, pool = "not answered", []
                reason = f"no sentence of the papers used names '{label}'"
                if f.role == "condition":
                    reason += "; the papers do not vary it"
        dim = f.role == "dimension"
        ranked = sorted(pool, key=lambda s: (-_rank(s, q, others, dim), s.paper, s.page, s.start))
        out.append(
            FacetEvidence(f, status, reason, [(s, _rank(s, q, others, dim)) for s in ranked[:MAX_QUOTES]])
        )
    return out
