"""Numbers in scientific prose: value, verbatim text, unit and what they measure.

``parse_numbers("an average improvement of 8.4 points")`` gives one :class:`Quantity` with value 8.4, unit
"points" and measures "average improvement". Thousands separators (``1,104,934``), scientific notation (``3e-6``,
``3 × 10^-6``, ``3·10−6``), signed table deltas (``+ 0.4``, ``- 0.9``), percentages and number words ("seven
tasks") are understood. Years, citations' years and section/version numbers are kept but marked with ``kind`` so
that comparisons can ignore them.
"""

from __future__ import annotations

import math
import re
from dataclasses import asdict, dataclass

_MINUS = "\u2212\u2013\u2010\u2011\u2012"  # unicode minus, en dash, hyphens that PDFs print as minus
_WORDS = {
    "zero": 0,
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
    "thirteen": 13,
    "fourteen": 14,
    "fifteen": 15,
    "sixteen": 16,
    "seventeen": 17,
    "eighteen": 18,
    "nineteen": 19,
    "twenty": 20,
    "thirty": 30,
    "forty": 40,
    "fifty": 50,
    "sixty": 60,
    "seventy": 70,
    "eighty": 80,
    "ninety": 90,
    "hundred": 100,
    "twice": 2,
    "thrice": 3,
}
_SCALE = {"thousand": 1e3, "million": 1e6, "billion": 1e9, "trillion": 1e12, "k": 1e3, "m": 1e6, "b": 1e9}

# One numeric token: optional sign (with an optional space, as tables print "+ 0.4"), digits with optional
# thousands separators, optional decimals, optional exponent (e-6, ×10^-6, · 10−6).
_NUM = re.compile(
    rf"""
    (?<![\w.])                                   # not inside a word or after a decimal point
    (?P<sign>[+\-{_MINUS}±]\s?)?
    (?P<int>\d{{1,3}}(?:,\d{{3}})+(?!\d)|\d+)      # 1,104,934 or 1104934
    (?P<frac>\.\d+)?
    (?:
        (?P<e>[eE](?P<esign>[+\-{_MINUS}]?)(?P<eexp>\d+))
      | \s?[×x·\*]\s?10\s?(?:\^|\*\*)?\s?(?P<tsign>[+\-{_MINUS}]?)(?P<texp>\d+)
    )?
    (?P<scale>\s?(?:thousand|million|billion|trillion)\b|[kKMB](?![\w])|[mM](?=-?param))?
    """,
    re.VERBOSE,
)
_WORD_NUM = re.compile(r"\b(" + "|".join(sorted(_WORDS, key=len, reverse=True)) + r")\b", re.IGNORECASE)

_UNITS = [
    (re.compile(r"\s?%"), "%"),
    (re.compile(r"\s?(?:percentage points?|pp)\b", re.I), "percentage points"),
    (re.compile(r"\s?(?:percent)\b", re.I), "%"),
    (re.compile(r"\s?points?\b", re.I), "points"),
    (re.compile(r"\s?(?:BLEU|F1|EM|accuracy|acc\.?)(?![\w])", re.I), "score"),
    (re.compile(r"\s?(?:epochs?)\b", re.I), "epochs"),
    (re.compile(r"\s?(?:steps?)\b", re.I), "steps"),
    (re.compile(r"\s?(?:GPUs?|TPUs?)\b"), "devices"),
    (re.compile(r"\s?(?:hours?|hrs?|h)\b", re.I), "hours"),
    (re.compile(r"\s?(?:minutes?|mins?)\b", re.I), "minutes"),
    (re.compile(r"\s?(?:seconds?|secs?|s)\b"), "seconds"),
    (re.compile(r"\s?(?:ms)\b"), "milliseconds"),
    (re.compile(r"\s?(?:GB|GiB|MB|MiB|TB)\b"), "bytes"),
    (re.compile(r"[\s-]?(?:parameters?|params?)\b", re.I), "parameters"),
    (re.compile(r"\s?(?:tokens?)\b", re.I), "tokens"),
    (re.compile(r"[\s-]?(?:layers?)\b", re.I), "layers"),
    (re.compile(r"\s?(?:languages?)\b", re.I), "languages"),
    (
        re.compile(r"\s?(?:examples|samples|sentences|questions|instances|documents|pairs)\b", re.I),
        "examples",
    ),
    (re.compile(r"\s?(?:tasks?)\b", re.I), "tasks"),
    (re.compile(r"\s?(?:models?)\b", re.I), "models"),
    (re.compile(r"\s?(?:times|x)\b", re.I), "times"),
]
# A phrase naming what a number measures, written just before it: "a learning rate of 3e-6", "accuracy of 85%".
_MEASURE_BEFORE = re.compile(
    r"(?P<m>(?:(?:an?|the|our|their|its)\s+)?(?:[A-Za-z][\w\-]*\s+){0,3}?"
    r"(?:improvement|gain|increase|decrease|drop|reduction|score|accuracy|F1|EM|rate|size|batch size|"
    r"learning rate|warm-?up|steps?|epochs?|proportion|ratio|number|total|average|mean|error|loss|"
    r"perplexity|BLEU|margin|threshold|dropout|decay|length|dimension|budget|speed-?up|parameters|alpha|α|"
    r"lambda|λ|temperature|K|k|seed|layer)s?)"
    r"\s*(?:of|is|was|were|=|:|to|by|at|from|around|about|approximately|≈|~)?\s*(?:only\s+|just\s+|roughly\s+)?$",
    re.IGNORECASE,
)
_AFTER_NOUN = re.compile(r"^\s?(?:-\s?)?((?:[A-Za-z][\w\-]*\s){0,4}[A-Za-z][\w\-]*)")
_MEASURE_NOUN_AFTER = re.compile(
    r"^\s?-?\s?(improvement|gain|increase|decrease|drop|reduction|boost|degradation|speed-?up|lead|margin)s?\b",
    re.I,
)
_LEFT_NOISE = {
    "with",
    "we",
    "use",
    "used",
    "using",
    "obtain",
    "obtains",
    "achieve",
    "achieves",
    "achieved",
    "yield",
    "yields",
    "report",
    "reports",
    "set",
    "sets",
    "an",
    "a",
    "the",
    "our",
    "their",
    "its",
    "this",
    "that",
    "has",
    "have",
    "had",
    "is",
    "are",
    "was",
    "were",
    "and",
    "of",
    "in",
    "on",
    "for",
    "by",
    "shows",
    "show",
    "gives",
    "give",
    "reach",
    "reaches",
    "reached",
    "gets",
    "get",
    "to",
}
# "8 out of the 9 XTREME tasks", "three of the four tasks": a count with its total.
_OUT_OF = re.compile(r"^\s+(?:out\s+)?of\s+(?:the\s+|all\s+)?(?P<n>\d+|[a-z]+)\b", re.IGNORECASE)
# Nouns that end what a count measures ("9 XTREME tasks relative to ..." measures "XTREME tasks").
_COUNT_NOUNS = re.compile(
    r"^(?:tasks?|languages?|datasets?|benchmarks?|models?|settings?|configurations?|"
    r"examples?|sentences?|pairs?|documents?|runs?|seeds?|layers?|papers?|categories|classes|"
    r"domains?|experiments?|cases?|tokens?|words?|labels?|heads?|steps?|epochs?)$",
    re.I,
)
_STOP_AFTER = {
    "and",
    "or",
    "the",
    "of",
    "in",
    "on",
    "to",
    "for",
    "with",
    "by",
    "at",
    "from",
    "as",
    "is",
    "are",
    "was",
    "were",
    "we",
    "it",
    "which",
    "that",
    "than",
    "a",
    "an",
}


@dataclass(frozen=True)
class Quantity:
    """A number found in text.

    ``span`` is (start, end) of ``text`` in the parsed string; ``kind`` is "measure" (a value worth checking),
    "year", "citation", "reference" (Section 3, Table 2, v1.1) or "count" (small integers naming how many).
    """

    value: float
    text: str
    unit: str | None
    measures: str | None
    span: tuple[int, int]
    kind: str = "measure"
    decimals: int = 0
    of_total: float | None = None  # "8 out of the 9 tasks": 8 with of_total 9

    def to_json(self) -> dict:
        d = asdict(self)
        d["span"] = list(self.span)
        return d

    def matches(self, other: Quantity | float, *, rel: float = 1e-9) -> bool:
        """Equal up to the rounding of the less precise of the two written forms."""
        return values_match(
            self.value,
            self.decimals,
            other.value if isinstance(other, Quantity) else other,
            other.decimals if isinstance(other, Quantity) else self.decimals,
        )


def values_match(a: float, a_dec: int, b: float, b_dec: int) -> bool:
    """True when a and b agree once both are rounded to the coarser of their precisions (8.4 vs 8.43 agree)."""
    if math.isnan(a) or math.isnan(b):
        return False
    if a == b:
        return True
    dec = min(a_dec, b_dec)
    tol = 0.5 * 10 ** (-dec) + 1e-9 * max(abs(a), abs(b), 1.0)
    if abs(a - b) <= tol:
        return True
    # Same digits, different magnitude written as 0.85 vs 85 (%): treat as a match only for proportions.
    return False


def _digits_value(m: re.Match) -> tuple[float, int]:
    s = m.group("int").replace(",", "")
    frac = m.group("frac") or ""
    value = float(s + frac)
    decimals = len(frac) - 1 if frac else 0
    if m.group("eexp") is not None:
        exp = int(m.group("eexp")) * (
            -1 if (m.group("esign") or "") in "-" + _MINUS and m.group("esign") else 1
        )
        value *= 10.0**exp
        decimals = max(0, decimals - exp)
    elif m.group("texp") is not None:
        exp = int(m.group("texp")) * (-1 if m.group("tsign") else 1)
        value *= 10.0**exp
        decimals = max(0, decimals - exp)
    scale = (m.group("scale") or "").strip().lower()
    if scale:
        factor = _SCALE.get(scale, 1.0)
        value *= factor
        decimals = max(0, decimals - int(round(math.log10(factor))))
    sign = (m.group("sign") or "").strip()
    if sign and sign in "-" + _MINUS:
        value = -value
    return value, decimals


def _unit_after(text: str, end: int) -> tuple[str | None, int]:
    rest = text[end : end + 40]
    for pattern, unit in _UNITS:
        um = pattern.match(rest)
        if um:
            return unit, end + um.end()
    return None, end


def _kind(text: str, start: int, end: int, value: float, raw: str, decimals: int) -> str:
    before = text[max(0, start - 12) : start]
    after = text[end : end + 3]
    if re.search(
        r"(?:Section|Sec\.|Table|Figure|Fig\.|Eq\.|Equation|Appendix|Algorithm|v|version)\s?$",
        before,
        re.IGNORECASE,
    ):
        return "reference"
    if (
        decimals == 0
        and 1900 <= value <= 2100
        and "," not in raw
        and re.fullmatch(
            r"\d{4}[a-z]?", raw + after[:1] if after[:1].isalpha() and after[:1].islower() else raw
        )
    ):
        around = text[max(0, start - 40) : end + 2]
        if (
            re.search(r"et al\.?,?\s*\(?$|\(\s*$|,\s*$", text[max(0, start - 40) : start])
            or ")" in after[:2]
            or re.search(r"[A-Z][a-z]+,?\s+\(?$", text[max(0, start - 25) : start])
        ):
            return "citation" if "et al" in around or ")" in after[:2] else "year"
        return "year"
    return "measure"


def _measures(text: str, start: int, end_with_unit: int, unit: str | None) -> str | None:
    head = text[max(0, start - 60) : start]
    head = re.sub(r"[+\-±\u2212]\s?$", "", head)
    m = _MEASURE_BEFORE.search(head)
    after = _MEASURE_NOUN_AFTER.match(text[end_with_unit : end_with_unit + 30])
    if after:
        return after.group(1).lower()
    if m:
        words = m.group("m").split()
        while words and words[0].lower().strip(",;:") in _LEFT_NOISE:
            words.pop(0)
        return " ".join(words) or None
    if unit in (
        None,
        "tasks",
        "languages",
        "examples",
        "models",
        "layers",
        "parameters",
        "tokens",
        "epochs",
        "steps",
        "devices",
    ):
        am = _AFTER_NOUN.match(text[end_with_unit : end_with_unit + 60])
        if am:
            kept = []
            for w in am.group(1).split():
                if w.lower() in _STOP_AFTER:
                    break
                kept.append(w)
            nouns = [i for i, w in enumerate(kept) if _COUNT_NOUNS.match(w)]
            if nouns:  # "9 XTREME tasks relative" ends at its noun
                kept = kept[: nouns[-1] + 1]
            if kept and (unit is None or len(kept) > 1 or kept[0].lower().rstrip("s") != unit.rstrip("s")):
                return " ".join(kept)
        if unit:
            return unit
    return None


def parse_numbers(text: str) -> list[Quantity]:
    """Every number in ``text``, in order, with unit and what it measures when the sentence says."""
    if not text:
        return []
    out = [q for m in _NUM.finditer(text) if (q := _digit_quantity(text, m)) is not None]
    out += _word_quantities(text, [q.span for q in out])
    out.sort(key=lambda q: q.span)
    return _totals(text, out)


def _digit_quantity(text: str, m: re.Match) -> Quantity | None:
    """The number written in digits at ``m`` (None when it is no finite value), its sign told from a hyphen."""
    start, end = m.span()
    # A sign glued to a preceding word is a hyphen ("XLM-R", "GPT-3"), not a minus.
    sign = m.group("sign")
    glued = False
    if sign and start > 0 and (text[start - 1].isalnum() or text[start - 1] in ")]"):
        start = m.start("int")
        sign = None
        glued = text[m.start() - 1].isalpha()
    elif not sign and start > 1 and text[start - 1] == "-" and text[start - 2].isalpha():
        glued = True
    # "- 0.9" with a space is a table delta only when something non-word precedes it.
    if sign and sign.strip() and sign != sign.strip() and start > 0 and text[start - 1].isalpha():
        start = m.start("int")
        sign = None
    try:
        value, decimals = _digits_value(m)
    except (ValueError, OverflowError):
        return None
    if not sign and m.group("sign"):
        value = abs(value)
    if not math.isfinite(value):
        return None
    # A trailing scale letter is only a scale when it is not the start of a unit like "M" in "MB".
    raw = text[start:end].rstrip()
    end = start + len(raw)
    unit, unit_end = _unit_after(text, end)
    kind = "reference" if glued else _kind(text, start, end, value, m.group("int"), decimals)
    measures = _measures(text, start, unit_end, unit) if kind == "measure" else None
    if (
        kind == "measure"
        and unit is None
        and decimals == 0
        and m.group("eexp") is None
        and m.group("texp") is None
        and abs(value) < 100
        and measures
        and not m.group("frac")
    ):
        kind = "count"
    return Quantity(value, raw, unit, measures, (start, end), kind, decimals)


def _word_quantities(text: str, taken: list[tuple[int, int]]) -> list[Quantity]:
    """Numbers written as words ("three", "twice"), outside the ``taken`` spans of digits: counts, save "one" as a
    pronoun and parts of compound words."""
    out: list[Quantity] = []
    for m in _WORD_NUM.finditer(text):
        start, end = m.span()
        if any(a <= start < b for a, b in taken):
            continue
        word = m.group(1).lower()
        # "one" as a pronoun ("one of the", "one might") is not a count.
        nxt = text[end : end + 12].lower()
        if word == "one" and (
            re.match(r"\s+(?:of|might|may|can|could|would|should|another|must|is|another)\b|[.,;]", nxt)
            or re.search(
                r"(?:first|second|last|the|this|that|each|any|no|every|"
                r"which|new|single|only)\s+$",
                text[max(0, start - 8) : start],
                re.I,
            )
        ):
            continue
        if word in ("single", "double") and not re.match(r"\s+\w", nxt):
            continue
        if nxt[:1] == "-" or (start > 0 and text[start - 1] == "-"):
            continue  # "zero-shot", "one-to-one", "two-phase": part of a compound word
        unit, unit_end = _unit_after(text, end)
        measures = _measures(text, start, unit_end, unit)
        out.append(Quantity(float(_WORDS[word]), text[start:end], unit, measures, (start, end), "count", 0))
    return out


def _totals(text: str, out: list[Quantity]) -> list[Quantity]:
    """ "8 out of the 9 XTREME tasks": the 8 is a count of what the 9 measures, with ``of_total`` 9."""
    fixed = list(out)
    for i, q in enumerate(out):
        m = _OUT_OF.match(text[q.span[1] : q.span[1] + 30])
        if not m or q.kind not in ("measure", "count"):
            continue
        total = next((r for r in out[i + 1 :] if r.span[0] == q.span[1] + m.start("n")), None)
        if total is None or total.value <= q.value or total.kind not in ("measure", "count"):
            continue
        what = (
            total.measures
            if total.measures and any(_COUNT_NOUNS.match(w) for w in total.measures.split())
            else (total.unit or total.measures)
        )
        fixed[i] = Quantity(
            q.value, q.text, q.unit or total.unit, what, q.span, "count", q.decimals, of_total=total.value
        )
    return fixed


def comparable(quantities: list[Quantity]) -> list[Quantity]:
    """The quantities worth checking against evidence (not years, citations or section numbers)."""
    return [q for q in quantities if q.kind in ("measure", "count")]
