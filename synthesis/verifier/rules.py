"""The rules, as named checks of a claim against one passage (:func:`compare` gives a :class:`Check`): coverage,
numbers up to rounding and units, named entities, negation, direction, scope, swaps, near-verbatim statement; and
the features the learned combiner reads (:func:`decision_features`). Their thresholds live in
:mod:`synthesis.verifier.thresholds`."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field

from synthesis.entities import DOWN_STEMS, UP_STEMS, content_words, lemma, stem, tokens
from synthesis.numbers import Quantity, values_match
from synthesis.retrieval import Unit
from synthesis.verifier.reading import (
    ANAPHOR,
    SIZE_WORDS,
    Reading,
    direction_conflict,
    negates,
    read,
    scope_of,
    squash,
)
from synthesis.verifier.swaps import Swap, align_tokens, find_swap
from synthesis.verifier.thresholds import NEAR_VERBATIM, SWAP_EMB_SAME


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
        return any(rivals(q, r) for q in self.nums_unmatched for r in self.reading.numbers)

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
        return (
            not self.conflicts
            and not self.nums_unmatched
            and not self.ents_missing
            and not self.scope_missing
        )

    @property
    def support(self) -> float:
        s = self.cov
        if self.nli is not None:
            s = 0.7 * s + 0.3 * self.nli[0]
        return s


def rivals(q: Quantity, r: Quantity) -> bool:
    """r could be the value the claim's q misstates: same unit (or none) and the same order of magnitude."""
    if (q.unit or "") != (r.unit or "") and q.unit and r.unit:
        return False
    a, b = abs(q.value), abs(r.value)
    if a == 0 or b == 0:
        return True
    return 0.1 <= a / b <= 10


def _num_match(q: Quantity, r: Quantity) -> bool:
    if (q.kind == "count") != (r.kind == "count"):  # "9 tasks" does not round to "a gain of 9.1 points"
        return q.value == r.value
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
    """Check the claim against one unit (``urd``: the unit already read): numbers, coverage, entities, negation,
    direction, scope, coverage of the rest, and a swapped word or phrase."""
    u = urd or read(unit.text)
    ctx_words = set(content_words(unit.context)) if unit.context else set()
    chk = Check(unit, u, 0.0)
    _match_numbers(chk, claim)
    chk.cov = _coverage(claim, u, weights, ctx_words, len(chk.nums_matched))
    _match_entities(chk, claim)
    _check_polarity(chk, claim)
    # Coverage of the rest: set aside missing entities' words and direction words when judging a conflict.
    aside = {stem(e) for e in chk.ents_missing} | {
        w for w in claim.wordset if w.startswith(UP_STEMS + DOWN_STEMS)
    }
    rest = [w for w in claim.wordset if w not in aside]
    chk.rest_cov = _rest_coverage(rest, u, weights, ctx_words)
    chk.rest_words = len(rest)
    chk.claim_ents = len(claim.ents)
    if chk.ents_missing:
        chk.neg_conflict, chk.dir_conflict, chk.scope_conflict = [], False, False
    if not chk.nums_unmatched:  # a changed number is the number check's to judge (rounding, units)
        _find_swap(chk, claim, weights)
    return chk


def _match_numbers(chk: Check, claim: Reading) -> None:
    """Pair each claim number with a unit number equal up to rounding; one neither matched nor written in the unit
    is unmatched."""
    u = chk.reading
    for q in claim.numbers:
        hit = next((r for r in u.numbers if _num_match(q, r)), None)
        if hit is not None:
            chk.nums_matched.append((q, hit))
        elif not written_in(q.text, u.text):
            chk.nums_unmatched.append(q)


def written_in(number_text: str, text: str) -> bool:
    """The claim's number is written in the text as a whole number, not inside another one ("9.1" in "69.1", "6" in
    "1,600"); spaces and hyphens inside it may differ ("2 million", "2-million")."""
    parts = [re.escape(p) for p in re.split(r"[\s\-_]+", number_text.strip().lower()) if p]
    if not parts:
        return False
    needle = r"[\s\-_]*".join(parts)
    return re.search(rf"(?<![\d.])(?<!\d,){needle}(?!\d|[.,]\d)", text.lower()) is not None


def _coverage(
    claim: Reading, u: Reading, weights: dict[str, float], ctx_words: set[str], n_matched: int
) -> float:
    """The claim's content words weighted by rarity (those only in the sentence before count half), with each of
    its numbers counting as a rare word."""
    num_w = max(weights.values(), default=1.0)
    total = sum(weights.get(w, 1.0) for w in claim.wordset) + num_w * len(claim.numbers) or 1.0
    covered = {w for w in claim.wordset if w in u.wordset}
    return (
        sum(weights.get(w, 1.0) for w in covered)
        + num_w * n_matched
        + 0.5 * sum(weights.get(w, 1.0) for w in claim.wordset - covered if w in ctx_words)
    ) / total


def _match_entities(chk: Check, claim: Reading) -> None:
    """The unit's strong entities the claim does not name (extra), and the claim's entities the unit does not name
    (missing)."""
    u, unit = chk.reading, chk.unit
    for e in sorted(u.strong_ents):
        if e not in claim.ents and e not in claim.squashed:
            chk.ents_extra.append(e)
    # A name may come from the sentence before (or the section title) when this sentence refers back to it or
    # names nothing else: "In total, we use 2 million sentences" after a sentence about the MLM corpus.
    context = squash(unit.context) if unit.context else ""
    context_ok = bool(ANAPHOR.search(unit.text)) or not chk.ents_extra
    for e in sorted(claim.ents):
        if e in u.ents:
            continue
        if e in claim.optional_ents and not (u.ents & (SIZE_WORDS - {e})):
            continue  # "XLM-R Large" where the paper calls the same model "XLM-R Large" elsewhere
        if len(e) <= 2:  # a short name ("M", "K", "QA") must appear as a word, not inside another one
            if not re.search(
                rf"(?<![A-Za-z]){re.escape(e)}(?![A-Za-z])", unit.text + " " + unit.context, re.I
            ):
                chk.ents_missing.append(e)
        elif e not in u.squashed and not (e in context and context_ok):
            chk.ents_missing.append(e)


def _check_polarity(chk: Check, claim: Reading) -> None:
    """Negation, direction and scope conflicts, and a universal claim the unit does not state for every case."""
    u, unit = chk.reading, chk.unit
    # Negation: one side negates what both talk about (at least two shared words under a negation, so that
    # "without training" does not negate a claim about "training"), the other does not.
    shared = claim.wordset & u.wordset
    c_neg, u_neg = negates(claim, shared), negates(u, shared)
    if bool(c_neg) != bool(u_neg):
        chk.neg_conflict = sorted(c_neg or u_neg)
    # Direction, clause by clause ("outperforms A but underperforms B"; "smaller trees, higher bias").
    chk.dir_conflict = direction_conflict(claim.text, unit.text)
    if chk.dir_conflict and (bool(negates(claim, shared)) != bool(negates(u, shared))):
        chk.dir_conflict = False  # "does not improve" vs "hurts" agree; the negation check handles the rest
    chk.scope_conflict = claim.scope == 1 and u.scope == -1
    # The quantifier may sit in the sentence before when this one refers back to it ("Except for CART, all
    # algorithms have the parameter M." then "We use for this parameter the value M = 100.").
    chk.scope_missing = (
        claim.universal
        and not u.universal
        and not (bool(ANAPHOR.search(unit.text)) and bool(unit.context) and scope_of(unit.context)[1])
    )


def _rest_coverage(rest: list[str], u: Reading, weights: dict[str, float], ctx_words: set[str]) -> float:
    """Coverage of the rest of the claim (missing entities' words and direction words set aside), by which a
    conflict is judged."""
    rest_total = sum(weights.get(w, 1.0) for w in rest) or 1.0
    return (
        sum(weights.get(w, 1.0) for w in rest if w in u.wordset)
        + 0.5 * sum(weights.get(w, 1.0) for w in rest if w not in u.wordset and w in ctx_words)
    ) / rest_total


def _find_swap(chk: Check, claim: Reading, weights: dict[str, float]) -> None:
    """A content word or phrase of the claim replaced by another in the unit; then the rest of the claim, with the
    replaced words set aside, is what must match."""
    chk.swap = find_swap(claim.text, chk.unit.text, weights)
    if chk.swap is not None and not chk.ents_missing:
        rest = [w for w in claim.wordset if w not in chk.swap.claim_words]
        tot = sum(weights.get(w, 1.0) for w in rest) or 1.0
        chk.rest_cov = max(
            chk.rest_cov, sum(weights.get(w, 1.0) for w in rest if w in chk.reading.wordset) / tot
        )


# ----------------------------------------------------------------------------------------------------------------
# Deciding


@dataclass
class Decision:
    label: str
    best: Check | None
    checks: list[Check]
    reasons: list[str]
    features: dict[str, float]
    claim: Reading | None = None  # the claim as read, for checks on evidence the rules did not score alone


def passage_conflicts(
    claim: Reading, unit: Unit, reading: Reading | None = None
) -> tuple[list[str], list[str]]:
    """The claim's numbers and names that a passage read as one piece of evidence (a sentence or a window) gives
    differently: a number it states as another value of the same kind, a name where it names another. The
    cross-encoder reads such a passage as "the same statement" and is blind to the change; these are its
    counterweight."""
    chk = Check(unit, reading or read(unit.text), 0.0)
    _match_numbers(chk, claim)
    _match_entities(chk, claim)
    numbers = [q.text for q in chk.nums_unmatched if any(rivals(q, r) for r in chk.reading.numbers)]
    # One name replaced by another is a swap; a passage missing two of the claim's names is about something else.
    names = chk.ents_missing if (chk.ents_extra and len(chk.ents_missing) == 1) else []
    return numbers, names


def decision_features(
    best_support: Check | None, best_conflict: Check | None, top: Check | None, claim: Reading, has_emb: bool
) -> dict[str, float]:
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
        "conflict_entity": 1.0
        if best_conflict and (best_conflict.ent_conflict or swap_kind(best_conflict) == "named")
        else 0.0,
        "conflict_polarity": 1.0
        if best_conflict
        and (
            best_conflict.neg_conflict or best_conflict.dir_conflict or swap_kind(best_conflict) == "antonym"
        )
        else 0.0,
        "conflict_swap": best_conflict.swap.salience
        if best_conflict and "swap" in best_conflict.conflicts
        else 0.0,
        "conflict_scope": 1.0 if best_conflict and best_conflict.scope_conflict else 0.0,
        "claim_words": math.log1p(len(claim.wordset)),
    }


def swap_kind(c: Check) -> str | None:
    """'antonym', 'named' or 'word' for a check whose conflict is a swap; None otherwise."""
    if c.swap is None or "swap" not in c.conflicts:
        return None
    return "antonym" if c.swap.antonym else ("named" if c.swap.named else "word")


def fmt_nums(qs: list[Quantity]) -> str:
    return ", ".join(q.text + (f" {q.unit}" if q.unit and q.unit not in q.text else "") for q in qs)


def where_found(c: Check) -> str:
    if c.unit.page:
        return f"page {c.unit.page}"
    return "the evidence taken together" if c.unit.start < 0 else f"evidence #{c.unit.start + 1}"


def sizes_named_elsewhere(claim_text: str, claim: Reading, units: list[Unit]) -> set[str]:
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


def veto_paraphrase_swaps(checks: list[Check], embedder) -> None:  # noqa: ANN001
    """Drop swaps whose two spans the embedding model reads as the same meaning ("protect against" / "provide
    protection"); antonyms stay swaps (embeddings place opposites close together)."""
    todo = [c for c in checks if c.swap is not None and not c.swap.antonym]
    if not todo:
        return
    vecs = embedder.encode([x for c in todo for x in (c.swap.claim_span, c.swap.unit_span)])
    for k, c in enumerate(todo):
        if float(vecs[2 * k] @ vecs[2 * k + 1]) >= SWAP_EMB_SAME:
            c.swap = None


def verbatim_share(claim: Reading, c: Check) -> float:
    """Share of the claim's content tokens that the sentence (with the sentence before it, for what a pronoun
    stands for) holds in the claim's order, up to inflection (irregular forms included)."""
    from difflib import SequenceMatcher

    cs = [lemma(t[0]) for t in align_tokens(claim.text)]
    if len(cs) < 4:
        return 0.0
    us = [lemma(t[0]) for t in align_tokens(f"{c.unit.context} {c.unit.text}")]
    blocks = SequenceMatcher(None, cs, us, autojunk=False).get_matching_blocks()
    return sum(b.size for b in blocks) / len(cs)


def near_verbatim(claim: Reading, c: Check) -> bool:
    """The sentence states the claim almost word for word and nothing in it conflicts with the claim."""
    return c.clean and verbatim_share(claim, c) >= NEAR_VERBATIM


def _norm(tok: str) -> str:
    return re.sub(r"[-_]", "", tok.lower())
