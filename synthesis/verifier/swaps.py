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
    from difflib import SequenceMatcher

    c, u = align_tokens(claim_text), align_tokens(unit_text)
    if len(c) < 4 or len(u) < 3:
        return None
    cs, us = [t[0] for t in c], [t[0] for t in u]
    ops = SequenceMatcher(None, cs, us, autojunk=False).get_opcodes()
    aligned = sum(i2 - i1 for tag, i1, i2, _, _ in ops if tag == "equal")
    cset, uset = set(cs), set(us)
    weights = weights or {}
    best: Swap | None = None
    for k, (tag, i1, i2, j1, j2) in enumerate(ops):
        if tag != "replace":
            continue
        # At an end of the claim the sentence may run on (a title followed by its authors): compare as many of
        # its words as the claim replaces, next to the anchor.
        if i2 == len(cs) and j2 - j1 > i2 - i1:
            j2 = j1 + (i2 - i1)
        elif i1 == 0 and j2 - j1 > i2 - i1:
            j1 = j2 - (i2 - i1)
        if i2 - i1 > SWAP_MAX or j2 - j1 > SWAP_MAX:
            continue
        if abs((j2 - j1) - (i2 - i1)) > 1:
            continue  # one word for three is a rewrite, not a swap
        prev = ops[k - 1] if k > 0 and ops[k - 1][0] == "equal" else None
        nxt = ops[k + 1] if k + 1 < len(ops) and ops[k + 1][0] == "equal" else None
        left = prev[2] - prev[1] if prev else 0
        right = nxt[2] - nxt[1] if nxt else 0
        # Anchored on both sides: two aligned words, or one that reaches the end of the claim; a swap at one end
        # of the claim needs three aligned words on the other side.
        left_ok = left >= SWAP_ANCHOR or (prev is not None and prev[1] == 0)
        right_ok = right >= SWAP_ANCHOR or (nxt is not None and nxt[2] == len(cs))
        if not (
            (left_ok and right_ok and left + right >= SWAP_ANCHOR + 1)
            or (i1 == 0 and right >= SWAP_ANCHOR + 1)
            or (i2 == len(cs) and left >= SWAP_ANCHOR + 1)
        ):
            continue
        if i1 == 0 and ANAPHOR.search(unit_text):
            continue  # "HyperLlama models still ..." vs "However, they still ...": the sentence refers back
        rest = len(cs) - (i2 - i1)
        if aligned < SWAP_MATCH * rest or (left + right < SWAP_CONTEXT and aligned < SWAP_CLOSE * rest):
            continue  # the sentence must match closely: a long anchor, or nearly all the rest of the claim
        cw = [w for w in cs[i1:i2] if w not in uset and not w[0].isdigit()]
        uw = [w for w in us[j1:j2] if w not in cset and not w[0].isdigit() and w not in DISCOURSE]
        if not cw or not uw or any(t[1][0].isdigit() for t in c[i1:i2] + u[j1:j2]):
            continue
        if any(_same_word(a, b) for a in cw for b in uw):
            continue
        anti = any(antonyms(a, b) for a in cw for b in uw)
        named = any(is_entity_token(t[1], first=i1 + n == 0) for n, t in enumerate(c[i1:i2]) if t[0] in cw)
        rare = max((weights.get(w, 1.0) for w in cw), default=1.0)
        sal = 1.0 if (anti or named) else min(1.0, 0.6 + 0.1 * rare)
        if best is None or sal > best.salience:
            best = Swap(
                " ".join(t[1] for t in c[i1:i2]), " ".join(t[1] for t in u[j1:j2]), set(cw), sal, anti, named
            )
    return best
