"""Claim by claim: cut-off detection, re-verification against the paper, and the audit-layer number check.

Verification itself belongs to :mod:`synthesis.verify` (``verify_claims``); this module only prepares the claims
(a cut-off fragment is verified for what it still asserts), calls it through :func:`verify`, and compares our
verdict with the report's own mark and confidence. The number check (numbers in the claim that appear nowhere in
the examined PDF) lives here so the audit can say a claim may come from another version of the paper.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from synthesis.store import Store

_SENTENCE_END = re.compile(r"""[.!?…]["'”’)\]]*$|[.!?]\s*\(\d+\)$""")
_WORD = re.compile(r"[A-Za-z][A-Za-z\-]*")

# |reported confidence - our probability that the claim holds| at or above which the confidence is "far" from ours.
CONFIDENCE_GAP = 0.35


@dataclass
class Truncation:
    truncated: bool
    kind: str | None  # "mid-word" | "mid-sentence" | None
    fragment: str  # what the claim still asserts (a cut partial word removed)
    reason: str


def detect_truncation(
    text: str, vocabulary: set[str] | None = None, *, cut_length: int | None = 120
) -> Truncation:
    """Is ``text`` cut off? Mid-word when its last word is a strict prefix of a word the paper uses but not a word
    itself; mid-sentence when it simply lacks a sentence end. ``vocabulary`` is the paper's lower-cased words."""
    s = text.strip()
    if not s:
        return Truncation(False, None, s, "empty")
    if _SENTENCE_END.search(s):
        return Truncation(False, None, s, "ends a sentence")
    at_cut = cut_length is not None and abs(len(s) - cut_length) <= 3
    last = _WORD.findall(s.split()[-1]) if s.split() else []
    word = last[-1].lower() if last else ""
    mid_word = False
    if word and vocabulary:
        longer = any(v != word and v.startswith(word) for v in vocabulary if len(v) > len(word))
        mid_word = longer and (word not in vocabulary or (len(word) == 1 and word not in ("a", "i")))
        if not mid_word and at_cut and longer and s[-1].isalpha():
            # At the tell-tale cut length a word the paper also writes longer ("point" of "points") is ambiguous.
            mid_word = word + "s" in vocabulary and not s.endswith(word + "s")
    elif word and len(word) == 1 and word not in ("a", "i") and at_cut:
        mid_word = True
    fragment = s
    if mid_word:
        fragment = s[: len(s) - len(s.split()[-1])].rstrip(" ,;:-(")
    reason = "ends mid-word" if mid_word else "ends without finishing its sentence"
    if at_cut:
        reason += f" at {len(s)} characters, where the report cuts claims (about {cut_length})"
    return Truncation(True, "mid-word" if mid_word else "mid-sentence", fragment, reason)


def paper_vocabulary(pages: list[str]) -> set[str]:
    words: set[str] = set()
    for page in pages:
        # Rejoin words hyphenated across line ends so "tar-\nget" counts as "target".
        joined = re.sub(r"(\w)-\n(\w)", r"\1\2", page)
        words.update(w.lower() for w in _WORD.findall(joined))
    return words


@dataclass
class PaperNumbers:
    """Every number written in a paper's pages, for the presence check of claim numbers."""

    values: list[tuple[float, int, int]]  # (value, decimals, page_no)

    @classmethod
    def from_pages(cls, pages: list[str]) -> PaperNumbers:
        from synthesis.numbers import parse_numbers

        vals = []
        for no, page in enumerate(pages, start=1):
            vals.extend((q.value, q.decimals, no) for q in parse_numbers(page))
        return cls(vals)

    def pages_with(self, value: float, decimals: int) -> list[int]:
        from synthesis.numbers import values_match

        return sorted(
            {no for v, d, no in self.values if d >= decimals and values_match(value, decimals, v, d)}
        )


def missing_numbers(claim: str, numbers: PaperNumbers) -> list[str]:
    """The numbers a claim quotes (measures, not years or section numbers) that the paper's text never contains."""
    from synthesis.numbers import comparable, parse_numbers

    missing = []
    for q in comparable(parse_numbers(claim)):
        # Plain small integers ("all 9 tasks") are too common to prove anything by their presence or absence.
        if q.decimals == 0 and q.unit not in ("%", "points", "percentage points") and abs(q.value) < 100:
            continue
        if not numbers.pages_with(q.value, q.decimals):
            missing.append(q.text)
    return missing


def verify(store: Store, settings, claims: list[dict], paper_ids: list[str]) -> list[dict]:  # noqa: ANN001
    """Verdicts for ``claims`` ({"id", "text"}) against the papers, from the project's verifier."""
    from synthesis.verify import verify_claims

    return verify_claims(store, settings, claims, paper_ids, progress=False)


def p_holds(label: str | None, confidence: float | None) -> float | None:
    """Our probability that the claim holds, comparable with a report's confidence in its ✓."""
    if label is None or confidence is None:
        return None
    if label == "supported":
        return confidence
    if label == "refuted":
        return 1.0 - confidence
    return (1.0 - confidence) / 2


_COUNT_WORDS = {
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "eleven": 11,
    "twelve": 12,
}
_FILLER = r"(?:different|distinct|separate|diverse|additional|other|english|single|individual)"
_COUNT_NOUN_STOP = {
    "different",
    "distinct",
    "separate",
    "diverse",
    "additional",
    "other",
    "english",
    "single",
    "individual",
    "of",
    "the",
    "our",
    "and",
    "or",
    "in",
    "on",
    "for",
    "with",
    "to",
}


def _count_value(token: str) -> int | None:
    token = token.lower()
    if token.isdigit():
        return int(token)
    return _COUNT_WORDS.get(token)


def count_conflicts(claim: str, pages: list[str]) -> list[str]:
    """Counted things the paper counts differently: "9 different intermediate tasks" where the paper only ever says
    "7 intermediate tasks" / "seven different intermediate tasks". A version-mismatch signal the verifier's
    sentence-level number match misses when the same number appears elsewhere ("9 target tasks")."""
    number = r"\b(\d{1,2}|" + "|".join(_COUNT_WORDS) + r")\b"
    out = []
    joined = [re.sub(r"\s+", " ", re.sub(r"(\w)-\s*\n\s*(\w)", r"\1\2", p)) for p in pages]
    for m in re.finditer(
        number + r"((?:\s+" + _FILLER + r")*)\s+([a-z][a-z\-]+)(?:\s+([a-z][a-z\-]+))?", claim, re.IGNORECASE
    ):
        value = _count_value(m.group(1))
        modifier = m.group(3).lower()
        head = (m.group(4) or "").lower()
        if value is None or modifier in _COUNT_NOUN_STOP or len(modifier) < 4:
            continue
        # The counted noun phrase must be specific: "intermediate" (tasks), not "tasks" alone.
        if modifier.endswith("s") and not modifier.endswith("ss"):
            continue
        tail = r"(?:\s+[a-z\-]+){0,2}?\s+" + re.escape(head) + r"\b" if head else ""
        pattern = re.compile(
            r"(?<![.\d])" + number + r"(?:\s+" + _FILLER + r")*\s+" + re.escape(modifier) + r"\b" + tail,
            re.IGNORECASE,
        )
        seen: dict[int, set[int]] = {}
        for page_no, text in enumerate(joined, start=1):
            for pm in pattern.finditer(text):
                v = _count_value(pm.group(1))
                if v is not None:
                    seen.setdefault(v, set()).add(page_no)
        if seen and value not in seen:
            where = "; ".join(
                f"{v} on page {', '.join(map(str, sorted(p)))}" for v, p in sorted(seen.items())
            )
            what = f"{modifier} {head}".strip()
            out.append(f"the claim counts {m.group(0).strip()!r} but the paper counts {what} as {where}")
    return out
