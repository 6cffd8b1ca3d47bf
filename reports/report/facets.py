"""Question facets: the parts a research question asks about, each with the words evidence must name.

"How does the effectiveness of intermediate-task training vary across different language families in the XTREME
benchmark when scaling model size?" has a subject (intermediate-task training), a dimension it varies across
(language families), a condition (model size) and a scope (the XTREME benchmark, context for ranking only).
The split is by the question's own connectives (vary across, when, compared to, impact of X on Y, in the ...);
each facet keeps the question's words as its label and a stemmed phrase for matching.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

_LEAD = re.compile(
    r"^\s*(?:how\s+(?:does|do|did|is|are|can|much|well)|what\s+(?:is|are|was|were)|which|why\s+(?:does|do|is)|"
    r"does|do|is|are|can|to\s+what\s+extent\s+(?:does|do|is|are|can))\b\s*",
    re.I,
)
_MARKERS = (  # (pattern, role of the chunk that follows)
    (r"\bvar(?:y|ies|ying)\s+(?:across|between|among|with)\b", "dimension"),
    (r"\bdiffer(?:s)?\s+(?:across|between|among)\b", "dimension"),
    (r"\b(?:across|among)\b", "dimension"),
    (
        r"\bcompared\s+(?:to|with)\b|\bversus\b|\bvs\.?\s|\brelative\s+to\b|\bas\s+opposed\s+to\b",
        "comparison",
    ),
    (r"\b(?:when|while|as)\b(?=\s+\w+ing\b)|\bwhen\b|\bunder\b|\bat\s+different\b", "condition"),
    (
        r"\b(?:in|on|for)\s+the\b(?=(?:\s+[\w-]+){1,3}?\s+(?:benchmark|task|dataset|corpus|setting|suite)s?\b)",
        "scope",
    ),
    (r"(?<=\S)\s+on\b", "outcome"),
    (
        r"\b(?:improve|improves|help|helps|hurt|hurts|affect|affects|benefit|benefits|change|changes|reduce|reduces|"
        r"increase|increases|boost|boosts)\b",
        "effect",
    ),
)
_GENERIC_HEAD = re.compile(
    r"^(?:the\s+)?(?:effectiveness|effect|effects|impact|impacts|influence|role|benefit|"
    r"benefits|value|usefulness|contribution)\s+of\s+",
    re.I,
)
STOP = set(
    """a an the of to in on for and or with by from at as is are be been being this that these those its
their it does do did how what which why when while across among between different various vary varies varying
than into over per using via e.g i.e etc""".split()
)
_LEADING_VERBS = {
    "scaling",
    "combining",
    "increasing",
    "decreasing",
    "varying",
    "using",
    "adding",
    "changing",
    "growing",
    "enlarging",
    "reducing",
}
_SYNONYMS = {
    "multiple": "multi",
    "families": "family",
    "scaling": "scale",
    "scaled": "scale",
    "larger": "large",
    "bigger": "large",
    "sizes": "size",
}


def stem(word: str) -> str:
    """A light stem: lower case, a few synonyms, plural and -ing/-ed endings off."""
    w = word.lower().strip("-'")
    if w in _SYNONYMS:
        return _SYNONYMS[w]
    if len(w) > 4 and w.endswith("ies"):
        return w[:-3] + "y"
    for suffix in ("ing", "ed", "es", "s"):
        if len(w) > len(suffix) + 3 and w.endswith(suffix) and not w.endswith("ss"):
            return w[: -len(suffix)] if suffix != "es" or w[-3] in "sxz" else w[:-1]
    return w


def words(text: str) -> list[str]:
    """Word tokens (hyphenated compounds split into their parts)."""
    return re.findall(r"[A-Za-z][A-Za-z0-9]*", text)


def content_stems(text: str) -> list[str]:
    return [stem(w) for w in words(text) if w.lower() not in STOP and len(w) > 1]


@dataclass
class Facet:
    id: str
    label: str
    role: str
    phrase: list[str]
    context: list[str] = field(default_factory=list)  # words around the phrase (dropped verbs, generic heads)


@dataclass
class Question:
    text: str
    facets: list[Facet]
    scope: list[str]  # stems that place the question (benchmark, task) without being asked about


def _clean_chunk(chunk: str) -> str:
    chunk = re.sub(r"^\s*(?:the|a|an)\s+", "", chunk.strip(" ,;:.?"), flags=re.I)
    return re.sub(r"\s+", " ", chunk).strip(" ,;:.?")


def _facet(i: int, role: str, chunk: str) -> Facet | None:
    label = _clean_chunk(chunk)
    body = _GENERIC_HEAD.sub("", label)
    toks = [w for w in words(body) if w.lower() not in STOP and len(w) > 1]
    context = []
    while len(toks) > 1 and toks[0].lower() in _LEADING_VERBS:
        context.append(stem(toks.pop(0)))
    phrase = [stem(t) for t in toks]
    if not phrase:
        return None
    return Facet(f"f{i}", label, role, phrase, context)


def parse_question(text: str) -> Question:
    """Split a question into facets; never raises (a question with no connective is one subject facet)."""
    q = re.sub(r"\s+", " ", (text or "").strip())
    body = re.sub(r"\([^()]*\)", " ", q).strip().rstrip("?").strip()
    body = _LEAD.sub("", body)
    cuts: list[tuple[int, int, str]] = []
    for pattern, role in _MARKERS:
        for m in re.finditer(pattern, body, re.I):
            if m.start() == 0 or any(s <= m.start() < e for s, e, _ in cuts):
                continue
            if (
                role == "outcome"
                and not _GENERIC_HEAD.search(body[: m.start()] + " of x")
                and not re.search(r"\b(?:impact|effect|influence)s?\s+of\b", body[: m.start()], re.I)
            ):
                continue
            cuts.append((m.start(), m.end(), "outcome" if role == "effect" else role))
    cuts.sort()
    chunks: list[tuple[str, str]] = []
    pos, role = 0, "subject"
    for start, end, next_role in cuts:
        chunks.append((role, body[pos:start]))
        pos, role = end, next_role
    chunks.append((role, body[pos:]))
    facets: list[Facet] = []
    scope: list[str] = []
    for role, chunk in chunks:
        if role == "scope":
            scope += [s for s in content_stems(chunk) if s not in ("benchmark", "task", "dataset", "setting")]
            continue
        f = _facet(len(facets) + 1, role, chunk)
        if f is not None:
            facets.append(f)
    if not facets and q:
        f = _facet(1, "subject", body or q)
        if f is not None:
            facets.append(f)
    return Question(q, facets, scope)
