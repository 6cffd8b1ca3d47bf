"""Swaps: one content word or short phrase of the claim replaced by another in an otherwise matching sentence
(:func:`find_swap`), the commonest way a wrong claim differs from its source."""

from __future__ import annotations

import re
from dataclasses import dataclass

from synthesis.entities import (
    NEGATIONS,
    PARTIAL,
    STOPWORDS,
    UNIVERSAL,
    antonyms,
    is_entity_token,
    same_lemma,
    stem,
    synonyms,
    tokens,
)
from synthesis.verifier.reading import ANAPHOR
from synthesis.verifier.thresholds import SWAP_ANCHOR, SWAP_CLOSE, SWAP_CONTEXT, SWAP_MATCH, SWAP_MAX

DISCOURSE = frozenset(
    stem(w)
    for w in "however moreover furthermore thus therefore hence additionally finally "
    "overall indeed notably importantly interestingly specifically similarly instead still "
    "further first second third then again also even yet".split()
)  # not content in a swap


@dataclass
class Swap:
    claim_span: str  # the claim's words, as written
    unit_span: str  # the words the sentence has in their place, as written
    claim_words: set[str]  # stems of the claim's replaced content words
    salience: float  # 0..1: how much the replaced word decides the claim (named, rare, antonym > plain word)
    antonym: bool = False
    named: bool = False


def align_tokens(text: str) -> list[tuple[str, str]]:
    """(normalised stem, original) for the words that carry content, hyphenated names split ("SARS-CoV-2" ->
    sars, cov, 2), so that alignment sees "chs-cov-2" as one replaced word among matching ones."""
    out = []
    for tok in tokens(text):
        for part in re.split(r"[-_]", tok):
            low = part.lower().rstrip("+")
            if (
                not low
                or low in STOPWORDS
                or low in NEGATIONS
                or low in UNIVERSAL
                or low in PARTIAL
                or low.endswith("n't")
            ):
                continue  # negation and scope words have their own checks
            out.append((stem(low), part))
    return out


def _same_word(a: str, b: str) -> bool:
    """Spelling variants, inflections and paraphrase pairs are not swaps."""
    from rapidfuzz.fuzz import ratio

    if a == b or synonyms(a, b) or same_lemma(a, b):
        return True  # same_lemma: irregular inflections ("lead"/"led", "find"/"found") are one word
    if antonyms(a, b):  # increase/decrease look alike but say the opposite
        return False
    if min(len(a), len(b)) >= 3 and (a in b or b in a):
        return True  # fall/fallen, pcr/qpcr, a word cut by a line break
    return len(a) >= 5 and len(b) >= 5 and ratio(a, b) >= 80  # modeling/modelling, analyse/analyze


def find_swap(claim_text: str, unit_text: str, weights: dict[str, float] | None = None) -> Swap | None:
    """Align the claim with one sentence (difflib opcodes over normalised tokens) and return the most salient
    place where a short span of the claim's content words is replaced by different content words of the sentence,
    with at least two aligned words on both sides (three when the swap sits at one end) and most of the claim
    aligned elsewhere. Reordered clauses, synonyms ("uses"/"employs"), inflections and spelling variants are not
    swaps; neither are numbers (the number check compares those up to rounding)."""
    a = _align(claim_text, unit_text)
    if a is None:
        return None
    weights = weights or {}
    best: Swap | None = None
    for k, op in enumerate(a.ops):
        if op[0] != "replace":
            continue
        swap = _swap_at(a, k, unit_text, weights)
        if swap is not None and (best is None or swap.salience > best.salience):
            best = swap
    return best


@dataclass
class _Alignment:
    """The claim's and the sentence's aligned tokens (``c``, ``u``: stem and original), their stems, the difflib
    opcodes between those, and how many claim words are aligned as equal."""

    c: list[tuple[str, str]]
    u: list[tuple[str, str]]
    cs: list[str]
    us: list[str]
    ops: list[tuple[str, int, int, int, int]]
    aligned: int


def _align(claim_text: str, unit_text: str) -> _Alignment | None:
    """The alignment of the claim with the sentence; None when either is too short to hold a swap."""
    from difflib import SequenceMatcher

    c, u = align_tokens(claim_text), align_tokens(unit_text)
    if len(c) < 4 or len(u) < 3:
        return None
    cs, us = [t[0] for t in c], [t[0] for t in u]
    ops = SequenceMatcher(None, cs, us, autojunk=False).get_opcodes()
    aligned = sum(i2 - i1 for tag, i1, i2, _, _ in ops if tag == "equal")
    return _Alignment(c, u, cs, us, ops, aligned)


def _swap_at(a: _Alignment, k: int, unit_text: str, weights: dict[str, float]) -> Swap | None:
    """The swap at the k-th opcode (a "replace"), or None when it is too long, a rewrite, not anchored, in a
    sentence that does not match closely enough, or not a change of content words."""
    c, u, cs, us = a.c, a.u, a.cs, a.us
    _, i1, i2, j1, j2 = a.ops[k]
    # At an end of the claim the sentence may run on (a title followed by its authors): compare as many of
    # its words as the claim replaces, next to the anchor.
    if i2 == len(cs) and j2 - j1 > i2 - i1:
        j2 = j1 + (i2 - i1)
    elif i1 == 0 and j2 - j1 > i2 - i1:
        j1 = j2 - (i2 - i1)
    if i2 - i1 > SWAP_MAX or j2 - j1 > SWAP_MAX:
        return None
    if abs((j2 - j1) - (i2 - i1)) > 1:
        return None  # one word for three is a rewrite, not a swap
    context = _anchor_context(a, k, i1, i2)
    if context is None:
        return None
    if i1 == 0 and ANAPHOR.search(unit_text):
        return None  # "HyperLlama models still ..." vs "However, they still ...": the sentence refers back
    rest = len(cs) - (i2 - i1)
    if a.aligned < SWAP_MATCH * rest or (context < SWAP_CONTEXT and a.aligned < SWAP_CLOSE * rest):
        return None  # the sentence must match closely: a long anchor, or nearly all the rest of the claim
    cset, uset = set(cs), set(us)
    cw = [w for w in cs[i1:i2] if w not in uset and not w[0].isdigit()]
    uw = [w for w in us[j1:j2] if w not in cset and not w[0].isdigit() and w not in DISCOURSE]
    if not cw or not uw or any(t[1][0].isdigit() for t in c[i1:i2] + u[j1:j2]):
        return None
    if any(_same_word(x, y) for x in cw for y in uw):
        return None
    anti = any(antonyms(x, y) for x in cw for y in uw)
    named = any(is_entity_token(t[1], first=i1 + n == 0) for n, t in enumerate(c[i1:i2]) if t[0] in cw)
    rare = max((weights.get(w, 1.0) for w in cw), default=1.0)
    sal = 1.0 if (anti or named) else min(1.0, 0.6 + 0.1 * rare)
    return Swap(" ".join(t[1] for t in c[i1:i2]), " ".join(t[1] for t in u[j1:j2]), set(cw), sal, anti, named)


def _anchor_context(a: _Alignment, k: int, i1: int, i2: int) -> int | None:
    """How many aligned words flank the replaced claim span ``i1:i2`` (the k-th opcode); None when it is not
    anchored: two aligned words on both sides, or one that reaches the end of the claim; a swap at one end of the
    claim needs three aligned words on the other side."""
    ops, n = a.ops, len(a.cs)
    prev = ops[k - 1] if k > 0 and ops[k - 1][0] == "equal" else None
    nxt = ops[k + 1] if k + 1 < len(ops) and ops[k + 1][0] == "equal" else None
    left = prev[2] - prev[1] if prev else 0
    right = nxt[2] - nxt[1] if nxt else 0
    left_ok = left >= SWAP_ANCHOR or (prev is not None and prev[1] == 0)
    right_ok = right >= SWAP_ANCHOR or (nxt is not None and nxt[2] == n)
    if not (
        (left_ok and right_ok and left + right >= SWAP_ANCHOR + 1)
        or (i1 == 0 and right >= SWAP_ANCHOR + 1)
        or (i2 == n and left >= SWAP_ANCHOR + 1)
    ):
        return None
    return left + right
