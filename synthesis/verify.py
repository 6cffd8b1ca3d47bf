"""Verify claims against the stored text of papers: supported, refuted or not_enough_info, with a calibrated
confidence, verbatim page-anchored evidence and reasons in words.

Pipeline per claim: retrieve candidate units (BM25, plus sentence embeddings when a model loads), compare the claim
with each candidate on what decides scientific claims (content coverage, numbers up to rounding, named entities,
negation, direction of change, scope), pick the label by rules a reader can follow, and turn the decision features
into a probability with the calibration in force (:mod:`synthesis.calibration`).
"""

from __future__ import annotations

import math
import re
import sys
from dataclasses import dataclass, field

import numpy as np

from synthesis.entities import (
    DOWN_STEMS,
    NEGATIONS,
    PARTIAL,
    STOPWORDS,
    UNIVERSAL,
    UP_STEMS,
    antonyms,
    clean,
    content_words,
    entities,
    is_entity_token,
    language_of,
    lemma,
    same_lemma,
    stem,
    synonyms,
    tokens,
)
from synthesis.numbers import Quantity, comparable, parse_numbers, values_match
from synthesis.retrieval import BM25, Unit, inline_units, number_tokens, paper_units

LABELS = ("supported", "refuted", "not_enough_info")
MAX_CLAIM_CHARS = 1000  # longer text is not one claim; it is checked on its first sentences and flagged
T_SUPPORT = 0.62  # coverage of the claim's content needed to call a clean match support
T_SUPPORT_EMB = 0.45  # ... when the embedding similarity is also high
T_EMB = 0.80
T_REFUTE = 0.55  # coverage of the rest of the claim needed before a conflict refutes it
TOP_K = 8
MODEL_TOP_K = 4  # candidate units the cross-encoder reads per claim (each also with its neighbouring sentence)


# ----------------------------------------------------------------------------------------------------------------
# What a claim or a unit says, computed once


@dataclass
class Reading:
    text: str
    words: list[str]
    wordset: set[str]
    numbers: list[Quantity]
    ents: set[str]
    strong_ents: set[str]
    squashed: str
    negated: set[str]
    negated_weak: set[str]
    up: bool
    down: bool
    scope: int
    universal: bool = False  # all / every / each / always / universally / none: a claim about every case
    optional_ents: set[str] = field(default_factory=set)  # size qualifiers the paper attaches to a named model


_ANAPHOR = re.compile(r"\b(?:it|its|they|their|them|these|this|those|such|both|former|latter)\b", re.I)


def _squash(text: str) -> str:
    return re.sub(r"[\s\-_]+", "", clean(text).lower())


_CLAUSE = re.compile(r"[,;:()\u2013\u2014]|\s(?:and|but|while|whereas|although|which|that|who)\s")


_WEAK_NEG = frozenset({"no", "without", "none", "nothing", "lack", "lacks"})


def _negated_words(text: str) -> tuple[set[str], set[str]]:
    """Content stems inside the scope of a negation: up to four content words after it within its clause (the
    whole clause after 'neither'; one word after 'without'). Returned as (strong, weak): a verb negation ("is not",
    "does not", "never") is strong; a determiner ("no training data", "without labels") is weak."""
    strong: set[str] = set()
    weak: set[str] = set()
    text = _SCOPE_NEGATION.sub(" ", clean(text))  # "no single task", "not all tasks" narrow the scope, not polarity
    for clause in _CLAUSE.split(text):
        toks = tokens(clause)
        for i, tok in enumerate(toks):
            low = tok.lower()
            if not (low in NEGATIONS or low.endswith("n't")) or low == "nor":
                continue
            limit = 99 if low == "neither" else (1 if low == "without" else 4)
            target = weak if low in _WEAK_NEG else strong
            n = 0
            for w in toks[i + 1:]:
                if w.lower() in NEGATIONS:
                    continue
                cw = content_words(w)
                if cw:
                    target.update(cw)
                    n += 1
                if n >= limit:
                    break
    return strong, weak


_SCOPE_NEGATION = re.compile(r"\b(?:no single|not all|not every|not always|not consistently|not uniformly)\b",
                             re.IGNORECASE)
_NUMBER_WORD = r"(?:\d+|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve)"
_WORD_VALUE = {w: i for i, w in enumerate("zero one two three four five six seven eight nine ten eleven twelve".split())}
_OUT_OF = re.compile(rf"\b(?P<a>{_NUMBER_WORD})\s+(?:out\s+)?of\s+(?:the\s+|all\s+)?(?P<b>{_NUMBER_WORD})\b", re.I)
_STRICT_UNIVERSAL = re.compile(r"\b(?:all|every|each|always|universally|uniformly|without exception|none)\b", re.I)
_NARROWING = re.compile(r"\ball but\b", re.I)  # "except for B, all A ..." stays universal over the rest
SIZE_WORDS = frozenset({"base", "large", "small", "xl", "xxl", "tiny", "mini", "medium", "huge", "big"})


def _count(word: str) -> int:
    return int(word) if word.isdigit() else _WORD_VALUE.get(word.lower(), -1)


def scope_of(text: str) -> tuple[int, bool]:
    """(scope, universal): scope +1 universal, -1 narrower ("8 out of the 9", "most", "no single ... all"), 0
    unmarked; universal is True only for a plain quantifier over every case (all, every, each, always, ...)."""
    low = clean(text).lower()
    words = {t.lower() for t in tokens(text)}
    narrower = bool(re.search(r"\bno single\b|\bnot all\b|\bnot every\b|\bnot always\b|\bnot consistently\b",
                              low)) or bool(_NARROWING.search(low)) or any(
        0 <= _count(m.group("a")) < _count(m.group("b")) for m in _OUT_OF.finditer(low))
    if narrower or words & PARTIAL:
        return -1, False
    if words & UNIVERSAL:
        return 1, bool(_STRICT_UNIVERSAL.search(low))
    return 0, False


def _negates(reading: Reading, shared: set[str]) -> set[str]:
    """The shared words a text negates, when it clearly does: one under a verb negation, two under 'no'."""
    strong, weak = reading.negated & shared, reading.negated_weak & shared
    if strong:
        return strong
    return weak if len(weak) >= 2 else set()


# A change word applied to a valenced one composes: "reduces negative transfer" helps (a double negative),
# "reduces positive transfer" and "increases harmful effects" hurt.
_CHANGE = (("reduc", -1), ("decreas", -1), ("lower", -1), ("diminish", -1), ("mitigat", -1), ("alleviat", -1),
           ("lessen", -1), ("minimi", -1), ("curb", -1), ("limit", -1), ("increas", 1), ("rais", 1), ("amplif", 1),
           ("exacerbat", 1), ("boost", 1), ("maximi", 1))
_VALENCE = (("negative", -1), ("harm", -1), ("detriment", -1), ("adverse", -1), ("positive", 1), ("benefi", 1))


def _signed(word: str, table: tuple[tuple[str, int], ...]) -> int:
    return next((sign for prefix, sign in table if word.startswith(prefix)), 0)


def _direction_of(text: str) -> int:
    """+1 up/helps, -1 down/hurts, 0 neither or both, for one clause; a change word followed (within two words) by
    a valenced word counts as one composed direction ("reduces negative transfer" is +1)."""
    low = [t.lower() for t in tokens(text)]
    signs: list[int] = []
    skip: set[int] = set()
    for i, w in enumerate(low):
        if i in skip:
            continue
        change = _signed(w, _CHANGE)
        if change:
            nxt = next((j for j in range(i + 1, min(i + 3, len(low))) if _signed(low[j], _VALENCE)), None)
            if nxt is not None:
                signs.append(change * _signed(low[nxt], _VALENCE))
                skip.add(nxt)
                continue
        if w.startswith(UP_STEMS):
            signs.append(1)
        elif w.startswith(DOWN_STEMS):
            signs.append(-1)
    up, down = 1 in signs, -1 in signs
    return (up and not down) - (down and not up)


def _direction_conflict(claim_text: str, unit_text: str) -> bool:
    """A clause of the claim says up/helps where the matching clause of the source says down/hurts (or the
    reverse); clauses are matched by their non-direction content words."""
    def parts(text: str) -> list[tuple[set[str], int, str]]:
        out = []
        for c in _CLAUSE.split(clean(text)):
            if c.strip():
                words = {w for w in content_words(c) if not w.startswith(UP_STEMS + DOWN_STEMS)}
                out.append((words, _direction_of(c), c))
        return out

    uparts = parts(unit_text)
    for cw, cd, _ in parts(claim_text):
        if not cd or not cw:
            continue
        top = max((len(cw & p[0]) for p in uparts), default=0)
        if not top:
            continue
        tied = [p[1] for p in uparts if len(cw & p[0]) == top]
        if -cd in tied and cd not in tied:  # a tie with a clause that agrees is no conflict
            return True
    return False


def read(text: str) -> Reading:
    words = content_words(text)
    low = [t.lower() for t in tokens(text)]
    ents = entities(text)
    strong = {e for e in ents if not e.isalpha() or any(c.isupper() for c in _orig_entity(text, e)[1:])}
    sc, universal = scope_of(text)
    return Reading(
        text=text,
        words=words,
        wordset=set(words),
        numbers=comparable(parse_numbers(clean(text))),
        ents=ents,
        strong_ents=strong,
        squashed=_squash(text),
        negated=_negated_words(text)[0],
        negated_weak=_negated_words(text)[1],
        up=any(w.startswith(UP_STEMS) for w in low),
        down=any(w.startswith(DOWN_STEMS) for w in low),
        scope=sc,
        universal=universal,
    )


def _orig_entity(text: str, ent: str) -> str:
    for tok in tokens(text):
        if re.sub(r"[-_]", "", tok.lower()) == ent:
            return tok
    return ent


# ----------------------------------------------------------------------------------------------------------------
# Swaps: one content word or short phrase of the claim replaced by another in an otherwise matching sentence

SWAP_MAX = 3  # longest replaced span, in content tokens, on either side
SWAP_ANCHOR = 2  # matching tokens needed on each side of the replacement (3 when it sits at one end)
SWAP_MATCH = 0.7  # share of the rest of the claim's tokens that must align with the sentence
SWAP_CONTEXT = 5  # aligned words around the swap that make a close match on their own ...
SWAP_CLOSE = 0.8  # ... or else the share of the rest of the claim that must align
SWAP_EMB_SAME = 0.75  # embedding similarity of the two spans above which a replacement is a paraphrase
DISCOURSE = frozenset(stem(w) for w in "however moreover furthermore thus therefore hence additionally finally "
                      "overall indeed notably importantly interestingly specifically similarly instead still "
                      "further first second third then again also even yet".split())  # not content in a swap


@dataclass
class Swap:
    claim_span: str  # the claim's words, as written
    unit_span: str  # the words the sentence has in their place, as written
    claim_words: set[str]  # stems of the claim's replaced content words
    salience: float  # 0..1: how much the replaced word decides the claim (named, rare, antonym > plain word)
    antonym: bool = False
    named: bool = False


def _align_tokens(text: str) -> list[tuple[str, str]]:
    """(normalised stem, original) for the words that carry content, hyphenated names split ("SARS-CoV-2" ->
    sars, cov, 2), so that alignment sees "chs-cov-2" as one replaced word among matching ones."""
    out = []
    for tok in tokens(text):
        for part in re.split(r"[-_]", tok):
            low = part.lower().rstrip("+")
            if not low or low in STOPWORDS or low in NEGATIONS or low in UNIVERSAL or low in PARTIAL or \
                    low.endswith("n't"):
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

    c, u = _align_tokens(claim_text), _align_tokens(unit_text)
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
        if not ((left_ok and right_ok and left + right >= SWAP_ANCHOR + 1) or
                (i1 == 0 and right >= SWAP_ANCHOR + 1) or (i2 == len(cs) and left >= SWAP_ANCHOR + 1)):
            continue
        if i1 == 0 and _ANAPHOR.search(unit_text):
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
            best = Swap(" ".join(t[1] for t in c[i1:i2]), " ".join(t[1] for t in u[j1:j2]), set(cw), sal, anti,
                        named)
    return best


# ----------------------------------------------------------------------------------------------------------------
# Comparing a claim with one candidate unit


@dataclass
class Check:
    unit: Unit
    reading: Reading
    cov: float
    emb: float = 0.0
    nli: tuple[float, float, float] | None = None
    nums_matched: list[tuple[Quantity, Quantity]] = field(default_factory=list)
    nums_unmatched: list[Quantity] = field(default_factory=list)
    ents_missing: list[str] = field(default_factory=list)
    ents_extra: list[str] = field(default_factory=list)
    neg_conflict: list[str] = field(default_factory=list)
    dir_conflict: bool = False
    scope_conflict: bool = False
    rest_cov: float = 0.0  # coverage of the claim once the conflicting words are set aside

    rest_words: int = 0
    claim_ents: int = 0
    swap: Swap | None = None  # a content word/phrase of the claim replaced by another in a matching sentence

    @property
    def num_conflict(self) -> bool:
        """A claim number absent from a unit that gives a number of the same kind and size for the same thing."""
        if not self.nums_unmatched or self.ents_missing:
            return False
        return any(_rivals(q, r) for q in self.nums_unmatched for r in self.reading.numbers)

    @property
    def ent_conflict(self) -> bool:
        """The claim names an entity the unit does not, where the unit names another, in an otherwise matching
        statement (a swapped task, dataset, model or benchmark)."""
        if not self.ents_missing or not self.ents_extra or len(self.ents_missing) > 2:
            return False
        return self.rest_words >= 3 and self.rest_cov >= 0.7

    @property
    def nli_conflict(self) -> bool:
        return self.nli is not None and self.nli[1] > 0.9

    @property
    def conflicts(self) -> list[str]:
        out = []
        if self.num_conflict:
            out.append("number")
        if self.ent_conflict:
            out.append("entity")
        if self.neg_conflict:
            out.append("negation")
        if self.dir_conflict:
            out.append("direction")
        if self.scope_conflict:
            out.append("scope")
        if self.swap is not None and not self.ent_conflict and not self.dir_conflict:
            out.append("swap")
        if self.nli_conflict:
            out.append("nli")
        return out

    scope_missing: bool = False  # the claim is about every case; the unit does not say so

    @property
    def clean(self) -> bool:
        return not self.conflicts and not self.nums_unmatched and not self.ents_missing and not self.scope_missing

    @property
    def support(self) -> float:
        s = self.cov
        if self.nli is not None:
            s = 0.7 * s + 0.3 * self.nli[0]
        return s


def _rivals(q: Quantity, r: Quantity) -> bool:
    """r could be the value the claim's q misstates: same unit (or none) and the same order of magnitude."""
    if (q.unit or "") != (r.unit or "") and q.unit and r.unit:
        return False
    a, b = abs(q.value), abs(r.value)
    if a == 0 or b == 0:
        return True
    return 0.1 <= a / b <= 10


def _num_match(q: Quantity, r: Quantity) -> bool:
    if values_match(q.value, q.decimals, r.value, r.decimals):
        return True
    if values_match(abs(q.value), q.decimals, abs(r.value), r.decimals):
        return True  # "+ 8.3" in a table of deltas vs "an improvement of 8.3"
    if q.unit == "%" and r.unit != "%" and abs(r.value) <= 1:
        return values_match(q.value, q.decimals, r.value * 100, max(0, r.decimals - 2))
    if r.unit == "%" and q.unit != "%" and abs(q.value) <= 1:
        return values_match(q.value * 100, max(0, q.decimals - 2), r.value, r.decimals)
    return False


def compare(claim: Reading, unit: Unit, weights: dict[str, float], urd: Reading | None = None) -> Check:
    u = urd or read(unit.text)
    ctx_words = set(content_words(unit.context)) if unit.context else set()
    chk = Check(unit, u, 0.0)
    for q in claim.numbers:
        hit = next((r for r in u.numbers if _num_match(q, r)), None)
        if hit is not None:
            chk.nums_matched.append((q, hit))
        elif q.text.lower() not in u.squashed:
            chk.nums_unmatched.append(q)
    # Coverage: the claim's content words weighted by rarity (those only in the sentence before count half),
    # with each of its numbers counting as a rare word.
    num_w = max(weights.values(), default=1.0)
    total = sum(weights.get(w, 1.0) for w in claim.wordset) + num_w * len(claim.numbers) or 1.0
    covered = {w for w in claim.wordset if w in u.wordset}
    chk.cov = (sum(weights.get(w, 1.0) for w in covered) + num_w * len(chk.nums_matched) +
               0.5 * sum(weights.get(w, 1.0) for w in claim.wordset - covered if w in ctx_words)) / total
    for e in sorted(u.strong_ents):
        if e not in claim.ents and e not in claim.squashed:
            chk.ents_extra.append(e)
    # A name may come from the sentence before (or the section title) when this sentence refers back to it or
    # names nothing else: "In total, we use 2 million sentences" after a sentence about the MLM corpus.
    context = _squash(unit.context) if unit.context else ""
    context_ok = bool(_ANAPHOR.search(unit.text)) or not chk.ents_extra
    for e in sorted(claim.ents):
        if e in u.ents:
            continue
        if e in claim.optional_ents and not (u.ents & (SIZE_WORDS - {e})):
            continue  # "XLM-R Large" where the paper calls the same model "XLM-R Large" elsewhere
        if len(e) <= 2:  # a short name ("M", "K", "QA") must appear as a word, not inside another one
            if not re.search(rf"(?<![A-Za-z]){re.escape(e)}(?![A-Za-z])", unit.text + " " + unit.context, re.I):
                chk.ents_missing.append(e)
        elif e not in u.squashed and not (e in context and context_ok):
            chk.ents_missing.append(e)
    # Negation: one side negates what both talk about (at least two shared words under a negation, so that
    # "without training" does not negate a claim about "training"), the other does not.
    shared = claim.wordset & u.wordset
    c_neg, u_neg = _negates(claim, shared), _negates(u, shared)
    if bool(c_neg) != bool(u_neg):
        chk.neg_conflict = sorted(c_neg or u_neg)
    # Direction, clause by clause ("outperforms A but underperforms B"; "smaller trees, higher bias").
    chk.dir_conflict = _direction_conflict(claim.text, unit.text)
    if chk.dir_conflict and (bool(_negates(claim, shared)) != bool(_negates(u, shared))):
        chk.dir_conflict = False  # "does not improve" vs "hurts" agree; the negation check handles the rest
    chk.scope_conflict = claim.scope == 1 and u.scope == -1
    # The quantifier may sit in the sentence before when this one refers back to it ("Except for CART, all
    # algorithms have the parameter M." then "We use for this parameter the value M = 100.").
    chk.scope_missing = claim.universal and not u.universal and not (
        bool(_ANAPHOR.search(unit.text)) and bool(unit.context) and scope_of(unit.context)[1])
    # Coverage of the rest: set aside missing entities' words and direction words when judging a conflict.
    aside = {stem(e) for e in chk.ents_missing} | {w for w in claim.wordset if w.startswith(UP_STEMS + DOWN_STEMS)}
    rest = [w for w in claim.wordset if w not in aside]
    rest_total = sum(weights.get(w, 1.0) for w in rest) or 1.0
    chk.rest_cov = (sum(weights.get(w, 1.0) for w in rest if w in u.wordset) +
                    0.5 * sum(weights.get(w, 1.0) for w in rest if w not in u.wordset and w in ctx_words)) / rest_total
    chk.rest_words = len(rest)
    chk.claim_ents = len(claim.ents)
    if chk.ents_missing:
        chk.neg_conflict, chk.dir_conflict, chk.scope_conflict = [], False, False
    if not chk.nums_unmatched:  # a changed number is the number check's to judge (rounding, units)
        chk.swap = find_swap(claim.text, unit.text, weights)
        if chk.swap is not None and not chk.ents_missing:
            # the rest of the claim, with the replaced words set aside, is what must match
            rest = [w for w in claim.wordset if w not in chk.swap.claim_words]
            tot = sum(weights.get(w, 1.0) for w in rest) or 1.0
            chk.rest_cov = max(chk.rest_cov, sum(weights.get(w, 1.0) for w in rest if w in u.wordset) / tot)
    return chk


# ----------------------------------------------------------------------------------------------------------------
# Deciding


@dataclass
class Decision:
    label: str
    best: Check | None
    checks: list[Check]
    reasons: list[str]
    features: dict[str, float]


def _features(best_support: Check | None, best_conflict: Check | None, top: Check | None, claim: Reading,
              has_emb: bool) -> dict[str, float]:
    return {
        "support_cov": best_support.support if best_support else 0.0,
        "conflict_cov": best_conflict.rest_cov if best_conflict else 0.0,
        "top_cov": top.cov if top else 0.0,
        "top_emb": top.emb if (top and has_emb) else 0.0,
        "has_emb": 1.0 if has_emb else 0.0,
        "has_numbers": 1.0 if claim.numbers else 0.0,
        "nums_matched": (len(top.nums_matched) / len(claim.numbers)) if (top and claim.numbers) else 0.0,
        "ents_missing": float(len(top.ents_missing)) if top else 0.0,
        "n_conflicts": float(len(best_conflict.conflicts)) if best_conflict else 0.0,
        "conflict_number": 1.0 if best_conflict and best_conflict.num_conflict else 0.0,
        "conflict_entity": 1.0 if best_conflict and (best_conflict.ent_conflict or _swap_kind(best_conflict) == "named")
        else 0.0,
        "conflict_polarity": 1.0 if best_conflict and (best_conflict.neg_conflict or best_conflict.dir_conflict or
                                                       _swap_kind(best_conflict) == "antonym") else 0.0,
        "conflict_swap": best_conflict.swap.salience if best_conflict and "swap" in best_conflict.conflicts else 0.0,
        "conflict_scope": 1.0 if best_conflict and best_conflict.scope_conflict else 0.0,
        "claim_words": math.log1p(len(claim.wordset)),
    }


def _swap_kind(c: Check) -> str | None:
    """'antonym', 'named' or 'word' for a check whose conflict is a swap; None otherwise."""
    if c.swap is None or "swap" not in c.conflicts:
        return None
    return "antonym" if c.swap.antonym else ("named" if c.swap.named else "word")


def _fmt_nums(qs: list[Quantity]) -> str:
    return ", ".join(q.text + (f" {q.unit}" if q.unit and q.unit not in q.text else "") for q in qs)


def _where(c: Check) -> str:
    if c.unit.page:
        return f"page {c.unit.page}"
    return "the evidence taken together" if c.unit.start < 0 else f"evidence #{c.unit.start + 1}"


def _sizes_named_elsewhere(claim_text: str, claim: Reading, units: list[Unit]) -> set[str]:
    """Size qualifiers ("Large" in "XLM-R Large") that the source itself attaches to the same model somewhere:
    a passage that names only "XLM-R" then still speaks of that model. A size the source never gives the model
    stays required (and a passage naming another size of it still counts as a swap)."""
    out: set[str] = set()
    sizes = claim.ents & SIZE_WORDS
    if not sizes:
        return out
    toks = tokens(claim_text)
    for i, tok in enumerate(toks[1:], 1):
        e = _norm(tok)
        if e in sizes and _norm(toks[i - 1]) in claim.ents and _norm(toks[i - 1]) not in SIZE_WORDS:
            pair = re.compile(rf"(?<![\w-]){re.escape(toks[i - 1])}[\s\-]*{re.escape(tok)}\b", re.IGNORECASE)
            if any(pair.search(u.text) for u in units if u.kind != "inline-all"):
                out.add(e)
    return out


def _veto_paraphrase_swaps(checks: list[Check], embedder) -> None:  # noqa: ANN001
    """Drop swaps whose two spans the embedding model reads as the same meaning ("protect against" / "provide
    protection"); antonyms stay swaps (embeddings place opposites close together)."""
    todo = [c for c in checks if c.swap is not None and not c.swap.antonym]
    if not todo:
        return
    vecs = embedder.encode([x for c in todo for x in (c.swap.claim_span, c.swap.unit_span)])
    for k, c in enumerate(todo):
        if float(vecs[2 * k] @ vecs[2 * k + 1]) >= SWAP_EMB_SAME:
            c.swap = None


NEAR_VERBATIM = 0.85  # share of the claim's content tokens found, in order, in a sentence (and the one before)


def verbatim_share(claim: Reading, c: Check) -> float:
    """Share of the claim's content tokens that the sentence (with the sentence before it, for what a pronoun
    stands for) holds in the claim's order, up to inflection (irregular forms included)."""
    from difflib import SequenceMatcher

    cs = [lemma(t[0]) for t in _align_tokens(claim.text)]
    if len(cs) < 4:
        return 0.0
    us = [lemma(t[0]) for t in _align_tokens(f"{c.unit.context} {c.unit.text}")]
    blocks = SequenceMatcher(None, cs, us, autojunk=False).get_matching_blocks()
    return sum(b.size for b in blocks) / len(cs)


def near_verbatim(claim: Reading, c: Check) -> bool:
    """The sentence states the claim almost word for word and nothing in it conflicts with the claim."""
    return c.clean and verbatim_share(claim, c) >= NEAR_VERBATIM


def _norm(tok: str) -> str:
    return re.sub(r"[-_]", "", tok.lower())


def decide(claim_text: str, units: list[Unit], bm25: BM25 | None, *, embed_sims: np.ndarray | None = None,
           nli=None, readings: dict | None = None, embedder=None) -> Decision:  # noqa: ANN001
    """Label one claim against candidate units (all of them are scored when ``bm25`` is None). With an
    ``embedder``, a swapped phrase whose replacement means nearly the same (span similarity >= SWAP_EMB_SAME) is
    read as a paraphrase, not a swap."""
    claim = read(claim_text)
    claim.optional_ents = _sizes_named_elsewhere(claim_text, claim, units)
    if len(claim.wordset) + len(claim.numbers) < 2:
        return Decision("not_enough_info", None, [], [
            f"the claim has too little content to check ({len(claim.wordset)} distinct content word(s))"],
            _features(None, None, None, claim, embed_sims is not None))
    weights = {w: max(0.5, min(bm25.weight(w), 8.0)) for w in claim.wordset} if bm25 else {}
    # Candidates: BM25 top-k, plus embedding top-k.
    if bm25 is not None:
        nums = number_tokens(claim.text)
        cand = {i for i, _ in bm25.top(claim.words + nums, TOP_K)}
        names = [stem(e) for e in claim.ents] + nums  # the rare tokens alone find table rows
        if names:
            cand |= {i for i, _ in bm25.top(names + [w for w in claim.words if w in names], TOP_K // 2)}
        if claim.numbers and claim.ents:
            # Table rows naming every entity of a numeric claim: where its number should be.
            for i, u in enumerate(units):
                if u.kind == "table-row":
                    sq = _squash(u.text)
                    if all(e in sq for e in claim.ents):
                        cand.add(i)
    else:
        cand = set(range(len(units)))
    if embed_sims is not None and len(embed_sims):
        cand |= {int(i) for i in np.argsort(-embed_sims)[:TOP_K]}
    checks = []
    for i in sorted(cand):
        urd = readings.get(units[i].key) if readings is not None else None
        if urd is None:
            urd = read(units[i].text)
            if readings is not None:
                readings[units[i].key] = urd
        c = compare(claim, units[i], weights, urd)
        if embed_sims is not None and len(embed_sims):
            c.emb = float(embed_sims[i])
        checks.append(c)
    if nli is not None and checks:
        ranked = sorted(checks, key=lambda c: -(c.cov + c.emb))[:4]
        probs = nli.probs([(c.unit.text, claim_text) for c in ranked])
        for c, p in zip(ranked, probs, strict=True):
            c.nli = (float(p[0]), float(p[1]), float(p[2]))
    if embedder is not None:
        _veto_paraphrase_swaps(checks, embedder)
    has_emb = embed_sims is not None
    checks.sort(key=lambda c: -(c.cov + 0.5 * c.emb))
    top = checks[0] if checks else None

    # A sentence that matches the claim but for a swapped word outweighs a looser match that does not state the
    # contested word at all (the same sentence inside "the evidence taken together", or a sentence that only
    # shares the rest of the claim): support must cover what the swap disputes.
    contested = [c.swap.claim_words for c in checks if "swap" in c.conflicts and c.rest_cov >= T_REFUTE]

    def supports(c: Check) -> bool:
        if not c.clean:
            return False
        if any(not (words <= c.reading.wordset) for words in contested):
            return False
        if c.support >= T_SUPPORT or (has_emb and c.cov >= T_SUPPORT_EMB and c.emb >= T_EMB):
            return True
        # A table row: every entity and every number of the claim, little else in words.
        return c.unit.kind == "table-row" and bool(c.nums_matched) and bool(claim.ents) and c.cov >= 0.3

    supporting = [c for c in checks if supports(c) or (c.clean and c.support >= T_SUPPORT and near_verbatim(claim, c))]
    conflicting = [c for c in checks if c.conflicts and (
        c.rest_cov >= T_REFUTE or (c.unit.kind == "table-row" and c.num_conflict and claim.ents and c.rest_cov >= 0.35))]
    best_s = max(supporting, key=lambda c: c.support, default=None)
    best_c = max(conflicting, key=lambda c: c.rest_cov, default=None)
    reasons: list[str] = []
    # A sentence that states the claim almost word for word, with numbers, names, polarity and direction agreeing,
    # settles it: a less closely matching sentence that seems to disagree does not override it.
    verbatim = [c for c in supporting if near_verbatim(claim, c)]
    if verbatim:
        best_s = max(verbatim, key=lambda c: (verbatim_share(claim, c), c.support))
    overrides = bool(verbatim) and (best_c is None or verbatim_share(claim, best_s) > verbatim_share(claim, best_c))
    if best_s and (best_c is None or best_s.support >= best_c.cov or overrides):
        label, best = "supported", best_s
        reasons.append(f"{_where(best)} states the claim's content ({best.cov:.0%} of its content words, "
                       f"weighted by rarity{f', embedding similarity {best.emb:.2f}' if has_emb else ''})")
        if best.nums_matched:
            reasons.append("every number agrees up to rounding: " + "; ".join(
                f"{q.text} = {r.text}" for q, r in best.nums_matched))
        if claim.ents:
            reasons.append("the entities it names appear in the evidence: " + ", ".join(
                _orig_entity(claim_text, e) for e in sorted(claim.ents)))
    elif best_c:
        label, best = "refuted", best_c
        reasons.append(f"{_where(best)} is about the same thing ({best.rest_cov:.0%} of the rest of the claim "
                       "matches) but disagrees:")
        if best.num_conflict:
            reasons.append(f"the claim says {_fmt_nums(best.nums_unmatched)} but the source says "
                           f"{_fmt_nums([r for r in best.reading.numbers if any(_rivals(q, r) for q in best.nums_unmatched)][:6])}"
                           " (no value within rounding)")
        if best.ent_conflict:
            reasons.append(f"the claim names {', '.join(_orig_entity(claim_text, e) for e in best.ents_missing)} "
                           f"where the source names {', '.join(_orig_entity(best.unit.text, e) for e in best.ents_extra[:4])}")
        if best.neg_conflict:
            reasons.append("one of them negates what the other asserts (about: " + ", ".join(best.neg_conflict) + ")")
        if best.dir_conflict:
            reasons.append("the direction differs: " + ("the claim says it goes up/helps, the source says down/hurts"
                                                        if claim.up else "the claim says it goes down/hurts, the "
                                                                          "source says up/helps"))
        if "swap" in best.conflicts and best.swap is not None:
            kind = {"antonym": "its opposite", "named": "another name"}.get(_swap_kind(best) or "", "another word")
            reasons.append(f"the claim says \"{best.swap.claim_span}\" where the otherwise matching source says "
                           f"\"{best.swap.unit_span}\" ({kind})")
        if best.scope_conflict:
            reasons.append("the claim is universal (all/every/consistently) but the source only says it for some")
        if best.nli_conflict:
            reasons.append(f"the NLI model reads the source as contradicting the claim (p={best.nli[1]:.2f})")
    else:
        label, best = "not_enough_info", top
        if top is None:
            reasons.append("no passage of the chosen papers shares words with the claim")
        else:
            reasons.append(f"no passage states the claim: the closest ({_where(top)}) covers {top.cov:.0%} of its "
                           "content words")
            if top.nums_unmatched:
                reasons.append(f"the claim's {_fmt_nums(top.nums_unmatched)} appear in none of the closest passages")
            if top.ents_missing:
                reasons.append("the closest passage does not name " + ", ".join(
                    _orig_entity(claim_text, e) for e in top.ents_missing))
            if any(c.scope_missing for c in checks[:3]):
                reasons.append("the claim is about every case (all/every/each/always) but no passage that states "
                               "it says so for all of them")
    feats = _features(best_s, best_c, top, claim, has_emb)
    feats["near_verbatim"] = 1.0 if verbatim else 0.0  # a sentence states it word for word, nothing conflicting
    return Decision(label, best, checks, reasons, feats)


# ----------------------------------------------------------------------------------------------------------------
# Public API


def _evidence(decision: Decision, limit: int = 3) -> list[dict]:
    chosen: list[Check] = []
    if decision.best is not None:
        chosen.append(decision.best)
    for c in decision.checks:
        if len(chosen) >= limit:
            break
        if c is not decision.best and c.cov >= 0.3 and c.unit.key not in {x.unit.key for x in chosen}:
            chosen.append(c)
    return [{"paper": c.unit.paper, "version": c.unit.version, "page": c.unit.page, "quote": c.unit.text,
             "score": round(c.cov, 4), "char_start": c.unit.start, "char_end": c.unit.end} for c in chosen]


def _where_units(group: list[Unit]) -> str:
    u = group[0]
    if u.page:
        return f"page {u.page}" + (" (two adjacent sentences)" if len(group) > 1 else "")
    return "the evidence" if u.start < 0 or u.kind == "inline-all" else f"evidence #{u.start + 1}"


def _precheck(text: str) -> tuple[str | None, str | None]:
    """(text to verify, reason for not_enough_info) for degenerate claims."""
    if not isinstance(text, str) or not text.strip():
        return None, "the claim is empty; nothing to verify"
    if language_of(text) == "other":
        return None, "the claim is not in English; the verifier compares English text (translate it first)"
    return text, None


class Verifier:
    """Holds the per-paper units, lexical index, optional models and the calibration for many claims."""

    def __init__(self, store, settings, *, use_embeddings: bool | None = None, quiet: bool = False,  # noqa: ANN001
                 calibration: dict | None = None, use_model: bool | None = None, combiner: dict | None = None):
        from synthesis.calibration import load_calibration

        self.store = store
        self.settings = settings
        self.notes: list[str] = []
        self.embedder = None
        self.scorer = None
        self.combiner = None
        if use_model is None or use_model:
            from synthesis.combiner import default_params
            from synthesis.crossencoder import load_scorer

            self.scorer, msg = load_scorer(settings)
            if msg:
                self.notes.append(msg)
            self.combiner = combiner if combiner is not None else default_params()
        else:
            self.notes.append("verifier model off; the rules alone decide (lexical-only mode)")
        if use_embeddings is None or use_embeddings:
            from synthesis.embeddings import load_embedder

            self.embedder, msg = load_embedder(store, settings, quiet=quiet)
            if msg:
                self.notes.append(msg)
        else:
            self.notes.append("embeddings off (--no-embeddings); lexical retrieval only")
        from synthesis.nli import load_nli

        self.nli, msg = load_nli(settings, quiet=quiet)
        if msg:
            self.notes.append(msg)
        self.calibration = calibration or load_calibration(store)
        self._units: dict[tuple[str, ...], tuple[list[Unit], BM25, np.ndarray | None]] = {}
        self._readings: dict = {}
        self._claim_vecs: dict[str, np.ndarray] = {}
        self._shas: dict[str, str | None] = {}
        self._neighbours: dict[tuple, tuple[Unit | None, Unit | None]] = {}

    def _sha(self, paper_id: str) -> str | None:
        """The PDF hash the evidence was read from (pins the quote to one exact file, not just an arXiv id)."""
        if paper_id not in self._shas:
            row = self.store.one("SELECT pdf_sha256 FROM papers WHERE id = ?", (paper_id,)) if self.store else None
            self._shas[paper_id] = row["pdf_sha256"] if row else None
        return self._shas[paper_id]

    def prime(self, texts: list[str]) -> None:
        """Embed many claim texts in one batch (much faster than one at a time)."""
        if self.embedder is None:
            return
        todo = sorted({t[:MAX_CLAIM_CHARS] for t in texts if isinstance(t, str) and t.strip()} - set(self._claim_vecs))
        if todo:
            for t, v in zip(todo, self.embedder.encode(todo), strict=True):
                self._claim_vecs[t] = v

    def _claim_vec(self, text: str) -> np.ndarray:
        v = self._claim_vecs.get(text[:MAX_CLAIM_CHARS])
        return v if v is not None else self.embedder.encode([text])[0]

    def index(self, paper_ids: list[str]) -> tuple[list[Unit], BM25, np.ndarray | None]:
        key = tuple(sorted(set(paper_ids)))
        if key not in self._units:
            units: list[Unit] = []
            for pid in key:
                units.extend(paper_units(self.store, pid))
            units = [u for u in units if language_of(u.text) != "other"]
            vecs = self.embedder.encode([u.text for u in units]) if (self.embedder and units) else None
            self._units[key] = (units, BM25(units), vecs)
            self._neighbours.update({u.key: (units[i - 1] if i else None, units[i + 1] if i + 1 < len(units) else None)
                                     for i, u in enumerate(units)})
        return self._units[key]

    def verify_one(self, claim: dict, paper_ids: list[str]) -> dict:
        cid = str(claim.get("id", ""))
        raw = claim.get("text")
        text, why = _precheck(raw if isinstance(raw, str) else "")
        result = {"id": cid, "text": raw if isinstance(raw, str) else "", "label": "not_enough_info",
                  "confidence": 0.0, "evidence": [], "reasons": [], "papers": list(paper_ids)}
        if why:
            result["reasons"] = [why]
            result["confidence"] = self.calibration_prob("not_enough_info", None)
            return result
        assert text is not None
        extra: list[str] = []
        if len(text) > MAX_CLAIM_CHARS:
            extra.append(f"the claim is {len(text):,} characters long, which is not one atomic claim: split it into "
                         "single statements (as `assay claims` does) and verify those")
            text = text[:MAX_CLAIM_CHARS].rsplit(" ", 1)[0]
        if "evidence" in claim and isinstance(claim["evidence"], list):
            units = inline_units([e for e in claim["evidence"] if isinstance(e, str)])
            units = [u for u in units if language_of(u.text) != "other"] or units
            if not units:
                result["reasons"] = ["the claim carries an empty evidence list"]
                result["confidence"] = self.calibration_prob("not_enough_info", None)
                return result
            if len(units) > 1:  # the evidence as a whole, for claims that draw on several sentences
                joined = " ".join(u.text for u in units)
                whole = inline_units([joined])[0]
                whole.start, whole.kind = -1, "inline-all"
                units.append(whole)
            sims = None
            if self.embedder is not None:
                vecs = self.embedder.encode([u.text for u in units])
                sims = vecs @ self._claim_vec(text)
            d = decide(text, units, None, embed_sims=sims, nli=self.nli, embedder=self.embedder)
        else:
            if not paper_ids:
                result["reasons"] = ["no paper to verify against: give --papers or a `paper` field"]
                return result
            units, bm25, vecs = self.index(paper_ids)
            if not units:
                result["reasons"] = [f"the paper(s) {', '.join(paper_ids)} have no stored text (scanned or empty "
                                     "PDF?); nothing to check the claim against"]
                result["confidence"] = self.calibration_prob("not_enough_info", None)
                return result
            sims = None
            if vecs is not None and self.embedder is not None:
                sims = vecs @ self._claim_vec(text)
            d = decide(text, units, bm25, embed_sims=sims, nli=self.nli, readings=self._readings,
                       embedder=self.embedder)
        result["label"] = d.label
        result["confidence"] = round(self.calibration_prob(d.label, d.features), 4)
        model_evidence = None
        if self.scorer is not None and d.checks:
            model_evidence = self._model_decision(text, d, result, "inline" if "evidence" in claim else "retrieval")
        elif self.scorer is None:
            d.reasons.append("decided by the rules alone (lexical-only mode: no verifier model)")
        if extra:  # too long to be one claim: say what its beginning gave, decide nothing
            d.reasons = [f"its first {MAX_CLAIM_CHARS:,} characters alone would be {d.label}: " + "; ".join(d.reasons)]
            result["label"] = "not_enough_info"
            result["confidence"] = self.calibration_prob("not_enough_info", None)
        chosen = model_evidence if model_evidence is not None else _evidence(d)
        result["evidence"] = [dict(e, pdf_sha256=self._sha(e["paper"])) for e in chosen] \
            if "evidence" not in claim else [
            {"paper": "inline", "version": None, "page": None, "quote": c["quote"], "score": c["score"],
             "index": c["char_start"]} for c in chosen]
        result["reasons"] = extra + d.reasons
        result["signals"] = {k: round(v, 4) for k, v in d.features.items()}
        if d.best is not None and d.best.nli is not None:
            result["signals"]["nli"] = dict(zip(("entailment", "contradiction", "neutral"),
                                                (round(x, 4) for x in d.best.nli), strict=True))
        if d.best is not None:
            result["numbers_checked"] = [
                {"claim": q.text, "value": q.value, "unit": q.unit, "source": r.text, "match": True}
                for q, r in d.best.nums_matched] + [
                {"claim": q.text, "value": q.value, "unit": q.unit, "source": None, "match": False}
                for q in d.best.nums_unmatched]
        if self.embedder is None:
            result["retrieval"] = "lexical"
        else:
            result["retrieval"] = "lexical+embeddings"
        return result

    def _candidates(self, d: Decision) -> list[list[Unit]]:
        """Evidence the model reads: the best few units, and each with its neighbouring sentence (a window), so a
        claim drawn from two adjacent sentences can be supported by both."""
        top = list(d.checks[:MODEL_TOP_K])
        if d.best is not None and d.best not in top:
            top.append(d.best)
        out: list[list[Unit]] = []
        seen: set[tuple] = set()
        for c in top:
            u = c.unit
            groups = [[u]]
            before, after = self._neighbours.get(u.key, (None, None))
            for n in (before, after):
                if n is not None and n.page == u.page and u.kind in ("sentence", "abstract") and n.kind == u.kind:
                    groups.append([n, u] if n is before else [u, n])
            for g in groups:
                k = tuple(x.key for x in g)
                if k not in seen:
                    seen.add(k)
                    out.append(g)
        return out

    def _model_decision(self, text: str, d: Decision, result: dict, mode: str = "retrieval") -> list[dict]:
        """The cross-encoder reads each candidate; the combiner turns its probabilities and the rule features into
        the label and a calibrated confidence. Returns the evidence entries (verbatim units) for the verdict."""
        from synthesis.combiner import ce_features, predict

        groups = self._candidates(d)
        probs = self.scorer.probs([(text, " ".join(u.text for u in g)) for g in groups])
        i_sup = int(np.argmax(probs[:, 0]))
        i_ref = int(np.argmax(probs[:, 1]))
        feats = dict(d.features)
        first = d.checks[0].unit.key  # the passage retrieval ranked first, alone and in its windows
        top = [i for i, g in enumerate(groups) if any(u.key == first for u in g)] or [0]
        feats.update(ce_features(float(probs[i_sup, 0]), float(probs[i_ref, 1]), float(probs[:, 2].min()),
                                 float(probs[top, 0].max()), float(probs[top, 1].max())))
        feats["rule_supported"] = 1.0 if d.label == "supported" else 0.0
        feats["rule_refuted"] = 1.0 if d.label == "refuted" else 0.0
        if self.combiner:
            p = predict(self.combiner, feats, mode)
        else:  # no combiner shipped: the cross-encoder's reading of the best evidence, uncalibrated
            p = np.array([feats["ce_sup"], feats["ce_ref"], feats["ce_nei"]])
            p = p / p.sum()
        k = int(np.argmax(p))
        label = LABELS[k]
        rules_label = d.label
        result["label"] = label
        result["confidence"] = round(float(p[k]), 4)
        result["probabilities"] = {lab: round(float(x), 4) for lab, x in zip(LABELS, p, strict=True)}
        pick = i_sup if label == "supported" else (i_ref if label == "refuted" else i_sup)
        group = groups[pick]
        where = _where_units(group)
        verb = {"supported": "supports", "refuted": "contradicts", "not_enough_info": "does not settle"}[label]
        lead = (f"the verifier model reads {where} as it {verb} the claim (p(supported)={probs[pick, 0]:.2f}, "
                f"p(refuted)={probs[pick, 1]:.2f}, p(not enough info)={probs[pick, 2]:.2f})")
        if label == "not_enough_info":
            lead = (f"no passage settles the claim: the closest reading ({where}) gives p(supported)="
                    f"{probs[i_sup, 0]:.2f}, the strongest conflict p(refuted)={probs[i_ref, 1]:.2f}")
        if rules_label == label:
            d.reasons = [lead] + d.reasons
        else:
            d.reasons = [lead, f"the rules alone would say {rules_label.replace('_', ' ')}: " + "; ".join(d.reasons)]
        if len(group) > 1:
            d.reasons.append("the evidence spans two adjacent sentences; both are quoted")
        d.features = feats
        evidence = [{"paper": u.paper, "version": u.version, "page": u.page, "quote": u.text,
                     "score": round(float(probs[pick, k]), 4), "char_start": u.start, "char_end": u.end}
                    for u in group]
        if label == "not_enough_info":
            evidence = _evidence(d)
        return evidence

    def calibration_prob(self, label: str, features: dict | None) -> float:
        from synthesis.calibration import probability

        return probability(self.calibration, label, features, has_emb=self.embedder is not None)


def verify_claims(store, settings, claims: list[dict], paper_ids: list[str], *,  # noqa: ANN001
                  use_embeddings: bool | None = None, progress: bool = False,
                  use_model: bool | None = None) -> list[dict]:
    """Verify each claim against the given papers (or its own ``paper`` field, or every stored paper).

    Returns verdicts.jsonl objects: id, text, label, confidence, evidence [{paper, version, page, quote, score}],
    reasons, plus signals, numbers_checked and retrieval.
    """
    from synthesis.papers import list_papers, resolve_paper
    from synthesis.verdicts import Verdict

    verifier = Verifier(store, settings, use_embeddings=use_embeddings, quiet=True, use_model=use_model)
    resolved = [resolve_paper(store, p).id for p in paper_ids] if paper_ids else []
    all_ids: list[str] | None = None
    out = []
    iterator = claims
    verifier.prime([c.get("text") for c in claims if isinstance(c, dict)])
    bar = None
    if progress and sys.stderr.isatty() and len(claims) > 20:
        from rich.progress import Progress

        bar = Progress(transient=True)
        bar.start()
        task = bar.add_task("verifying", total=len(claims))
    try:
        for claim in iterator:
            ids = resolved
            inline = isinstance(claim, dict) and isinstance(claim.get("evidence"), list)
            if not ids and not inline and store is not None:
                own = claim.get("paper") if isinstance(claim, dict) else None
                if own:
                    try:
                        ids = [resolve_paper(store, str(own)).id]
                    except Exception:  # noqa: BLE001 - unknown paper: fall back to all stored papers
                        ids = []
                if not ids:
                    if all_ids is None:
                        all_ids = [p.id for p in list_papers(store)]
                    ids = all_ids
            if not isinstance(claim, dict):
                claim = {"id": "", "text": None}
            v = verifier.verify_one(claim, ids)
            if verifier.notes:
                v.setdefault("notes", list(verifier.notes))
            out.append(Verdict.model_validate(v).to_json())
            if bar is not None:
                bar.advance(task)
    finally:
        if bar is not None:
            bar.stop()
    return out
