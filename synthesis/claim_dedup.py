"""Near-duplicate claims: a paper says its headline results in the abstract, the introduction, the results and the
conclusion; a reader wants each once, in its most complete form, with the other places it is stated.

Two claims are the same claim when the shorter one's content words are nearly all in the longer one (stemmed,
matched with rapidfuzz), they are of comparable length, their numbers agree exactly, their negations agree, and the names one mentions are all
named by the other (so "Multi-task training does not help" never absorbs "MLM training does not help").
"""

from __future__ import annotations

from dataclasses import dataclass

from rapidfuzz import fuzz

from synthesis.entities import content_words, entities, negation_count, stem
from synthesis.numbers import comparable, parse_numbers

# Share of the shorter claim's content words found in the longer one at or above which two claims say the same
# thing. With numbers on both sides (and equal) a lower bar suffices: the numbers already tie the two together.
SAME_WORDS = 0.7
SAME_WORDS_WITH_NUMBERS = 0.6
# Two stemmed words match when rapidfuzz's ratio (0-100) reaches this: "initializ" and "initial", "reimplement"
# and "implement" differ only by affixes the crude stemmer leaves.
SAME_WORD = 85.0
# Words that differ between the abstract's and the conclusion's wording of one result without changing it.
_SOFT = frozenset(
    stem(w)
    for w in (
        "meaningfully significant offer offers bolster lead leads led yield yields show shows obtain achieve see find "
        "observe report generally consistent overall dramatic large moderate improve improvements improved transfer "
        "performance perform results"
    ).split()
)
# The shorter claim must have at least this share of the longer one's words: a four-word claim is not the same
# as a twelve-word one that happens to contain its words.
MIN_SIZE_RATIO = 0.5


@dataclass(frozen=True)
class Signature:
    """What two claims must share to be duplicates."""

    words: str
    n_words: int
    numbers: tuple[float, ...]
    names: frozenset[str]
    negated: bool
    size: int


def signature(text: str) -> Signature:
    words = sorted(set(content_words(text)))
    nums = tuple(
        sorted(
            round(q.value, 6)
            for q in comparable(parse_numbers(text))
            if q.kind not in ("reference", "citation", "year")
        )
    )
    names = frozenset(e.lower() for e in entities(text))
    hard = [w for w in words if w not in _SOFT]
    return Signature(
        " ".join(hard),
        len(hard),
        nums,
        names,
        negation_count(text) % 2 == 1,
        len(words) + 2 * len(nums) + len(names),
    )


def same_claim(a: Signature, b: Signature) -> bool:
    """True when ``a`` and ``b`` state the same thing (see the module docstring)."""
    if a.numbers != b.numbers or a.negated != b.negated:
        return False
    small, large = sorted((a, b), key=lambda s: s.n_words)
    if not small.n_words or small.n_words / large.n_words < MIN_SIZE_RATIO:
        return False
    if small.names != large.names and not (small.names and small.names <= large.names):
        return False  # the names one claim mentions must all be named by the other, and a nameless claim
        # never absorbs a named one
    bar = SAME_WORDS_WITH_NUMBERS if a.numbers else SAME_WORDS
    return containment(small.words.split(), large.words.split()) >= bar


def containment(small: list[str], large: list[str]) -> float:
    """Share of ``small``'s words that ``large`` has, exactly or nearly (rapidfuzz ratio >= SAME_WORD)."""
    if not small:
        return 0.0
    have = set(large)
    hits = sum(1 for w in small if w in have or any(fuzz.ratio(w, v) >= SAME_WORD for v in large))
    return hits / len(small)


def duplicate_groups(texts: list[str]) -> list[int]:
    """For each text, the index of the text that represents it (itself when it is kept).

    The representative of a group is its most complete member (most content words, numbers and names; the
    earliest on a tie), so a duplicate always points at a longer or equal statement.
    """
    sigs = [signature(t) for t in texts]
    rep = list(range(len(texts)))
    for i in range(len(texts)):
        for j in range(i):
            if rep[j] != j or not same_claim(sigs[i], sigs[j]):
                continue
            if sigs[i].size > sigs[j].size:  # i is more complete: it represents j's group from now on
                for k in range(len(texts)):
                    if rep[k] == j:
                        rep[k] = i
            else:
                rep[i] = j
            break
    return rep
