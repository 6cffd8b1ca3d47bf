"""What a claim or a passage says, read once: content words, entities, numbers, negation, direction of change
and scope (:func:`read`). Everything the rules compare comes from a :class:`Reading`."""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field

from synthesis.entities import (
    DOWN_STEMS,
    NEGATIONS,
    PARTIAL,
    UNIVERSAL,
    UP_STEMS,
    clean,
    content_words,
    entities,
    tokens,
)
from synthesis.numbers import Quantity, comparable, parse_numbers


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
    optional_ents: set[str] = field(
        default_factory=set
    )  # size qualifiers the paper attaches to a named model


ANAPHOR = re.compile(r"\b(?:it|its|they|their|them|these|this|those|such|both|former|latter)\b", re.I)


def squash(text: str) -> str:
    return re.sub(r"[\s\-_]+", "", clean(text).lower())


_CLAUSE = re.compile(r"[,;:()\u2013\u2014]|\s(?:and|but|while|whereas|although|which|that|who)\s")


_WEAK_NEG = frozenset({"no", "without", "none", "nothing", "lack", "lacks"})
_WITH_NO = re.compile(r"\bwith\s+no\b", re.IGNORECASE)


def _negated_words(text: str) -> tuple[set[str], set[str]]:
    """Content stems inside the scope of a negation: up to four content words after it within its clause (the
    whole clause after 'neither'; one word after 'without'). Returned as (strong, weak): a verb negation ("is not",
    "does not", "never") is strong; a determiner ("no training data", "without labels") is weak."""
    strong: set[str] = set()
    weak: set[str] = set()
    text = _SCOPE_NEGATION.sub(
        " ", clean(text)
    )  # "no single task", "not all tasks" narrow the scope, not polarity
    text = _WITH_NO.sub(
        "without", text
    )  # "tasks with no training data" says what "tasks without training data" does
    for clause in _CLAUSE.split(text):
        toks = tokens(clause)
        for i, tok in enumerate(toks):
            low = tok.lower()
            if not (low in NEGATIONS or low.endswith("n't")) or low == "nor":
                continue
            limit = 99 if low == "neither" else (1 if low == "without" else 4)
            target = weak if low in _WEAK_NEG else strong
            n = 0
            for w in toks[i + 1 :]:
                if w.lower() in NEGATIONS:
                    continue
                cw = content_words(w)
                if cw:
                    target.update(cw)
                    n += 1
                if n >= limit:
                    break
    return strong, weak


_SCOPE_NEGATION = re.compile(
    r"\b(?:no single|not all|not every|not always|not consistently|not uniformly)\b", re.IGNORECASE
)
_NUMBER_WORD = r"(?:\d+|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve)"
_WORD_VALUE = {
    w: i for i, w in enumerate("zero one two three four five six seven eight nine ten eleven twelve".split())
}
_OUT_OF = re.compile(
    rf"\b(?P<a>{_NUMBER_WORD})\s+(?:out\s+)?of\s+(?:the\s+|all\s+)?(?P<b>{_NUMBER_WORD})\b", re.I
)
_STRICT_UNIVERSAL = re.compile(
    r"\b(?:all|every|each|always|universally|uniformly|without exception|none)\b", re.I
)
_NARROWING = re.compile(r"\ball but\b", re.I)  # "except for B, all A ..." stays universal over the rest
SIZE_WORDS = frozenset({"base", "large", "small", "xl", "xxl", "tiny", "mini", "medium", "huge", "big"})


def _count(word: str) -> int:
    return int(word) if word.isdigit() else _WORD_VALUE.get(word.lower(), -1)


def scope_of(text: str) -> tuple[int, bool]:
    """(scope, universal): scope +1 universal, -1 narrower ("8 out of the 9", "most", "no single ... all"), 0
    unmarked; universal is True only for a plain quantifier over every case (all, every, each, always, ...)."""
    low = clean(text).lower()
    words = {t.lower() for t in tokens(text)}
    narrower = (
        bool(re.search(r"\bno single\b|\bnot all\b|\bnot every\b|\bnot always\b|\bnot consistently\b", low))
        or bool(_NARROWING.search(low))
        or any(0 <= _count(m.group("a")) < _count(m.group("b")) for m in _OUT_OF.finditer(low))
    )
    if narrower or words & PARTIAL:
        return -1, False
    if words & UNIVERSAL:
        return 1, bool(_STRICT_UNIVERSAL.search(low))
    return 0, False


def negates(reading: Reading, shared: set[str]) -> set[str]:
    """The shared words a text negates, when it clearly does: one under a verb negation, two under 'no'."""
    strong, weak = reading.negated & shared, reading.negated_weak & shared
    if strong:
        return strong
    return weak if len(weak) >= 2 else set()


# A change word applied to a valenced one composes: "reduces negative transfer" helps (a double negative),
# "reduces positive transfer" and "increases harmful effects" hurt.
_CHANGE = (
    ("reduc", -1),
    ("decreas", -1),
    ("lower", -1),
    ("diminish", -1),
    ("mitigat", -1),
    ("alleviat", -1),
    ("lessen", -1),
    ("minimi", -1),
    ("curb", -1),
    ("limit", -1),
    ("increas", 1),
    ("rais", 1),
    ("amplif", 1),
    ("exacerbat", 1),
    ("boost", 1),
    ("maximi", 1),
)
_VALENCE = (
    ("negative", -1),
    ("harm", -1),
    ("detriment", -1),
    ("adverse", -1),
    ("positive", 1),
    ("benefi", 1),
)


def _signed(word: str, table: tuple[tuple[str, int], ...]) -> int:
    return next((sign for prefix, sign in table if word.startswith(prefix)), 0)


def direction_of(text: str) -> int:
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


@functools.lru_cache(maxsize=65536)
def clause_directions(text: str) -> tuple[tuple[frozenset[str], int, str], ...]:
    """The clauses of a text, each with its non-direction content words and its direction (:func:`direction_of`);
    parsed once per text, not once per comparison (a unit is compared with many claims)."""
    out = []
    for c in _CLAUSE.split(clean(text)):
        if c.strip():
            words = frozenset(w for w in content_words(c) if not w.startswith(UP_STEMS + DOWN_STEMS))
            out.append((words, direction_of(c), c))
    return tuple(out)


def direction_conflict(claim_text: str, unit_text: str) -> bool:
    """A clause of the claim says up/helps where the matching clause of the source says down/hurts (or the
    reverse); clauses are matched by their non-direction content words."""
    uparts = clause_directions(unit_text)
    for cw, cd, _ in clause_directions(claim_text):
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
    strong = {e for e in ents if not e.isalpha() or any(c.isupper() for c in original_entity(text, e)[1:])}
    sc, universal = scope_of(text)
    return Reading(
        text=text,
        words=words,
        wordset=set(words),
        numbers=comparable(parse_numbers(clean(text))),
        ents=ents,
        strong_ents=strong,
        squashed=squash(text),
        negated=_negated_words(text)[0],
        negated_weak=_negated_words(text)[1],
        up=any(w.startswith(UP_STEMS) for w in low),
        down=any(w.startswith(DOWN_STEMS) for w in low),
        scope=sc,
        universal=universal,
    )


def original_entity(text: str, ent: str) -> str:
    for tok in tokens(text):
        if re.sub(r"[-_]", "", tok.lower()) == ent:
            return tok
    return ent
