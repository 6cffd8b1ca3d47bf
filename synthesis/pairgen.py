"""Training pairs made from a real paper's own sentences, in the MiniCheck / FactCC way.

From each sentence (with its neighbours): the sentence itself and meaning-preserving rewrites against it are
*supported* ("gives" for "achieves", "but" for "except", a dropped discourse word, the authors for "we"); a number,
a named entity, a direction, a polarity or a scope edited is *refuted*; an unrelated sentence of the same paper, or
a claim that adds a fact the evidence lacks, is *not enough info*; a claim that joins two adjacent sentences is
supported by both of them together and not enough info against one alone. Deterministic for a given seed.
"""

from __future__ import annotations

import random
import re

from synthesis.verifier_data import Pair

# Meaning-preserving word rewrites (pattern, replacement). Applied a few at a time.
PARAPHRASES: list[tuple[str, str]] = [
    (r"\bachieves\b", "gives"),
    (r"\bachieve\b", "obtain"),
    (r"\bachieved\b", "reached"),
    (r"\bexcept\b", "but"),
    (r"\bexcept for\b", "apart from"),
    (r"\bshows\b", "demonstrates"),
    (r"\bshow\b", "demonstrate"),
    (r"\bimproves\b", "boosts"),
    (r"\bimprove\b", "enhance"),
    (r"\buse\b", "employ"),
    (r"\buses\b", "employs"),
    (r"\bused\b", "employed"),
    (r"\busing\b", "with"),
    (r"\bsignificantly\b", "substantially"),
    (r"\bsubstantially\b", "considerably"),
    (r"\bapproximately\b", "about"),
    (r"\broughly\b", "about"),
    (r"\bresults in\b", "leads to"),
    (r"\blarge\b", "big"),
    (r"\bsmall\b", "little"),
    (r"\bmethod\b", "approach"),
    (r"\bmethods\b", "approaches"),
    (r"\bperformance\b", "results"),
    (r"\bobtains\b", "gets"),
    (r"\bobtain\b", "get"),
    (r"\bdemonstrate\b", "show"),
    (r"\bWe find that\b", "The authors find that"),
    (r"\bWe\b", "The authors"),
    (r"\bwe\b", "the authors"),
    (r"\bOur\b", "The authors'"),
    (r"\bour\b", "the authors'"),
    (r"\bHowever,\s*", ""),
    (r"\bMoreover,\s*", ""),
    (r"\bIn addition,\s*", ""),
    (r"\bFinally,\s*", ""),
    (r"\bThus,\s*", ""),
    (r"\s*\([^()]*\d{4}[a-z]?\)", ""),
    (r"\bcompared to\b", "relative to"),
    (r"\boutperforms\b", "beats"),
    (r"\boutperform\b", "beat"),
    (r"\bbetter than\b", "superior to"),
    (r"\bhelps\b", "aids"),
    (r"\bincrease\b", "rise"),
    (r"\bconsistently\b", "reliably"),
    (r"\bin particular\b", "notably"),
    (r"\bfor example\b", "for instance"),
    (r"\bsuch as\b", "like"),
    (r"\bperforms\b", "does"),
    (r"\btrained on\b", "fitted on"),
    (r"\bevaluate\b", "assess"),
]
# Direction and valence antonyms; the calibration data of the rules (synthesis.calibrate) flips with these.
DIRECTION_FLIPS: list[tuple[str, str]] = [
    ("improves", "hurts"),
    ("improve", "hurt"),
    ("improved", "degraded"),
    ("improvement", "degradation"),
    ("improvements", "degradations"),
    ("increases", "decreases"),
    ("increase", "decrease"),
    ("increased", "decreased"),
    ("higher", "lower"),
    ("better", "worse"),
    ("outperforms", "underperforms"),
    ("best", "worst"),
    ("positive", "negative"),
    ("more", "fewer"),
    ("larger", "smaller"),
    ("benefit", "suffer"),
    ("gains", "losses"),
    ("reduces", "increases"),
    ("lower", "higher"),
    ("worse", "better"),
    ("negative", "positive"),
    ("decreases", "increases"),
]
FLIPS: list[tuple[str, str]] = DIRECTION_FLIPS + [
    ("helps", "hurts"),
    ("faster", "slower"),
    ("slower", "faster"),
    ("smaller", "larger"),
    ("strong", "weak"),
    ("effective", "ineffective"),
    ("outperform", "underperform"),
    ("significant", "negligible"),
    ("robust", "fragile"),
    ("less", "more"),
]
WIDEN: list[tuple[str, str]] = [
    (r"\bmost\b", "all"),
    (r"\bsome\b", "all"),
    (r"\bmany\b", "all"),
    (r"\bseveral\b", "all"),
    (r"\boften\b", "always"),
    (r"\busually\b", "always"),
    (r"\bgenerally\b", "always"),
    (r"\bcan\b", "always"),
    (r"\bmay\b", "always"),
    (r"\btypically\b", "always"),
]
AUX = re.compile(r"\b(is|are|was|were|can|could|does|do|did|has|have|had|will|would|should|may|might)\b")
_NUM = re.compile(r"(?<![\w.])(\d+(?:[.,]\d+)?)(?![\w])")
_SCALE = (("thousand", "million"), ("million", "billion"), ("million", "thousand"), ("billion", "million"))


def paraphrase(s: str, rng: random.Random, k: int = 3) -> str | None:
    """Up to ``k`` rewrites that keep the meaning; None when none applies."""
    hits = [(p, r) for p, r in PARAPHRASES if re.search(p, s)]
    if not hits:
        return None
    out = s
    for p, r in rng.sample(hits, min(k, len(hits))):
        out = re.sub(p, r, out, count=1)
    out = re.sub(r"\s{2,}", " ", out).strip()
    if out and out[0].islower():
        out = out[0].upper() + out[1:]
    return out if out != s else None


def perturb_number(s: str, rng: random.Random) -> str | None:
    """One number changed beyond rounding (or its scale word changed: "2 million" -> "2 billion")."""
    for a, b in _SCALE:
        if re.search(rf"\b{a}\b", s) and rng.random() < 0.5:
            return re.sub(rf"\b{a}\b", b, s, count=1)
    nums = [m for m in _NUM.finditer(s) if not re.match(r"(19|20)\d\d$", m.group(1))]
    if not nums:
        return None
    m = rng.choice(nums)
    text = m.group(1).replace(",", "")
    v = float(text)
    dec = len(text.split(".")[1]) if "." in text else 0
    if dec == 0:
        new = str(
            int(v) * 10 if rng.random() < 0.3 and v > 0 else int(v) + rng.choice([1, 2, 3, 5, 7, -1, -2])
        )
        if new.startswith("-") or new == str(int(v)):
            new = str(int(v) + 4)
    else:
        delta = max(10 ** (-dec) * rng.choice([4, 7, 13, 25]), abs(v) * rng.choice([0.1, 0.25]))
        nv = v + delta * rng.choice([1, -1])
        new = f"{nv if nv > 0 else v + delta:.{dec}f}"
    return s[: m.start(1)] + new + s[m.end(1) :]


def swap_entity(s: str, pool: list[str], rng: random.Random) -> str | None:
    """One capitalised name or acronym replaced by another name from the same paper."""
    names = [m for m in re.finditer(r"(?<![\w-])([A-Z][A-Za-z0-9]*[A-Z0-9][A-Za-z0-9\-]*)(?![\w-])", s)]
    if not names:
        return None
    m = rng.choice(names)
    others = [p for p in pool if p.lower() != m.group(1).lower() and p.lower() not in s.lower()]
    if not others:
        return None
    return s[: m.start(1)] + rng.choice(others) + s[m.end(1) :]


def flip_direction(s: str, rng: random.Random) -> str | None:
    """An antonym for a direction or valence word ("improves" -> "hurts", "higher" -> "lower")."""
    hits = [(a, b) for a, b in FLIPS if re.search(rf"\b{a}\b", s, re.I)]
    if not hits:
        return None
    a, b = rng.choice(hits)
    return re.sub(
        rf"\b{a}\b", lambda m: b.capitalize() if m.group(0)[0].isupper() else b, s, count=1, flags=re.I
    )


def negate(s: str) -> str | None:
    """'not' added after the first auxiliary, or an existing 'not' removed."""
    if re.search(r"\b(?:not|no longer)\b", s):
        return re.sub(r"\s+(?:not|no longer)\b", "", s, count=1)
    m = AUX.search(s)
    if m:
        return s[: m.end()] + " not" + s[m.end() :]
    return None


def widen_scope(s: str, rng: random.Random) -> str | None:
    hits = [(p, r) for p, r in WIDEN if re.search(p, s)]
    if not hits:
        return None
    p, r = rng.choice(hits)
    return re.sub(p, r, s, count=1)


def _first_clause(s: str) -> str:
    core = s.rstrip(".").split(", ")[0].split("; ")[0]
    return core


def _words(s: str) -> set[str]:
    return set(re.findall(r"[a-z]{4,}", s.lower()))


def generate_pairs(sentences: list[str], paper: str, *, seed: int = 13, split: str = "train") -> list[Pair]:
    """Labelled pairs from one paper's sentences (in reading order, so neighbours are adjacent sentences)."""
    rng = random.Random(f"{seed}:{paper}")
    pool = sorted(
        {
            m.group(1)
            for s in sentences
            for m in re.finditer(r"(?<![\w-])([A-Z][A-Za-z0-9]*[A-Z0-9][A-Za-z0-9\-]*)(?![\w-])", s)
            if len(m.group(1)) > 2
        }
    )
    out: list[Pair] = []
    src = f"generated:{paper}"

    def add(claim: str | None, evidence: str, label: str, group: str) -> None:
        if claim and claim.strip() and evidence.strip():
            out.append(Pair(claim.strip(), evidence.strip(), label, src, split, group))

    for i, s in enumerate(sentences):
        prev = sentences[i - 1] if i else ""
        nxt = sentences[i + 1] if i + 1 < len(sentences) else ""
        window = " ".join(x for x in (prev, s, nxt) if x) if rng.random() < 0.5 else s
        g = f"{paper}:{i}"
        add(s, window, "supported", g)
        para = paraphrase(s, rng)
        add(para, window, "supported", g)
        clause = _first_clause(s)
        if clause != s.rstrip(".") and len(clause.split()) >= 6:
            add(clause + ".", window, "supported", g)
        edits = [
            perturb_number(s, rng),
            swap_entity(s, pool, rng),
            flip_direction(s, rng),
            negate(s),
            widen_scope(s, rng),
        ]
        for e in edits:
            if e and e != s:
                add(e, window, "refuted", g)
        # Not enough info: a sentence on a related topic (shares words) that is not this one or a neighbour.
        near = [
            j for j in range(len(sentences)) if abs(j - i) > 2 and len(_words(sentences[j]) & _words(s)) >= 2
        ]
        if near:
            add(s, sentences[rng.choice(near)], "not_enough_info", g)
        far = rng.randrange(len(sentences))
        if abs(far - i) > 2:
            add(s, sentences[far], "not_enough_info", g)
        # Two adjacent sentences: a claim drawing on both is supported by both, not by one alone.
        if nxt and len(s.split()) + len(nxt.split()) <= 60 and rng.random() < 0.5:
            joined = f"{_first_clause(s)}, and {_first_clause(nxt)[0].lower()}{_first_clause(nxt)[1:]}."
            add(joined, f"{s} {nxt}", "supported", g)
            add(joined, s, "not_enough_info", g)
        # A rewrite with a number or name changed: worded unlike the source, so only the changed fact refutes it
        # (the cross-encoder reads such a rewrite as "the same statement" and misses the change).
        if para:
            for e in (perturb_number(para, rng), swap_entity(para, pool, rng)):
                if e and e != para:
                    add(e, window, "refuted", g)
    return out


def paper_sentences(store, paper_id: str) -> list[str]:  # noqa: ANN001
    """The paper's body sentences in reading order (8-45 words, no references, links or bibliography lines)."""
    from synthesis.entities import clean
    from synthesis.retrieval import paper_units

    out = []
    for u in paper_units(store, paper_id):
        if u.kind != "sentence" or re.search(r"referenc|bibliograph|acknowledg", u.section or "", re.I):
            continue
        if re.search(r"\bProceedings\b|\bpages \d|\bIn [A-Z][a-z]+ \d{4}|arXiv preprint|\bpp\.", u.text):
            continue
        t = clean(u.text)
        n_words = len(t.split())
        if 8 <= n_words <= 45 and t[:1].isupper() and t.endswith(".") and not re.search(r"https?://|@", t):
            out.append(t)
    return out
