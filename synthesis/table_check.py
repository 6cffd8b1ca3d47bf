"""Check a numeric claim against the table cell it names.

"SQuAD improves XNLI by 1.2" names row SQuAD and column XNLI: :func:`check_claim` finds the rows and columns whose
headers the claim mentions (exact token match, or rapidfuzz partial match for longer names), takes the numeric
cells where they cross, and compares the claim's numbers with them up to rounding
(:func:`synthesis.numbers.values_match`). A claim that says a value goes up or down ("improves", "hurts") is read
as a signed difference when the cell is printed with a sign (a table of deltas) or when the table says so in its
caption; against a table of absolute values it is the difference between the named row and a second named row
("SQuAD improves over XLM-R by ...").

The result is typed: "match" (a claimed number equals a named cell), "mismatch" (the named cells exist and hold
numbers, none equal to the claim's; the closest is cited), or "not_found" (no cell is named, or the claim has no
number to check), always with the reason and the cell's citation ("Table 2, row SQuAD (No MLM), column XNLI: -
1.4").
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field

from synthesis.numbers import Quantity, comparable, parse_numbers, values_match
from synthesis.tables import Cell, Table

FUZZY_MIN = (
    90  # rapidfuzz partial_ratio for a header of 5+ characters that the claim does not contain verbatim
)
_UP = re.compile(
    r"\b(?:improv|increas|gain|boost|outperform|higher|better|rais|help|benefit|exceed|surpass)\w*", re.I
)
_DOWN = re.compile(
    r"\b(?:drop|decreas|hurt|reduc|lower|worse|degrad|declin|fall|fell|los[ets]|underperform|"
    r"harm|negative)\w*",
    re.I,
)
_DELTA_CAPTION = re.compile(r"\b(?:difference|delta|relative to|improvement|change|gain)s?\b|\u0394", re.I)
_MARKS = re.compile(r"[\u2020\u2021*\u2217\u00a7\u00b6]")
_CITE_PAREN = re.compile(r"\s*\([^)]*\d{4}[^)]*\)")  # "(Hu et al., 2020)"


@dataclass(frozen=True)
class CellCheck:
    """What a claim's number is against the cells it names.

    ``status``: "match", "mismatch" or "not_found"; ``claimed``: the claim's number that was compared (signed
    when the claim gives a direction); ``found``: the value it was compared with (the cell's, or the difference
    of two cells); ``cell``/``table``/``citation``: the cell that decided (for a mismatch, the closest one);
    ``candidates``: every cell the claim names.
    """

    status: str
    reason: str
    claimed: float | None = None
    found: float | None = None
    cell: Cell | None = None
    table: Table | None = None
    citation: str = ""
    candidates: list[tuple[Table, Cell]] = field(default_factory=list, repr=False)


def tokens(text: str) -> list[str]:
    """Lower-case alphanumeric tokens ("XLM-R (Ours)" -> ["xlm", "r", "ours"])."""
    return re.findall(r"[a-z0-9]+", _MARKS.sub("", text).lower())


def _contains(hay: list[str], needle: list[str]) -> int:
    """Start index of ``needle`` as a contiguous run in ``hay``, or -1."""
    n = len(needle)
    if not n:
        return -1
    for i in range(len(hay) - n + 1):
        if hay[i : i + n] == needle:
            return i
    return -1


_ABBREVIATIONS = {
    "avg": "average",
    "acc": "accuracy",
    "langs": "languages",
    "lang": "language",
    "params": "parameters",
    "perf": "performance",
    "std": "standard deviation",
}


def _forms(header: str) -> set[str]:
    """The header, without a trailing citation, and with common abbreviations spelled out ("Avg." -> average)."""
    base = {header, _CITE_PAREN.sub("", header).strip()}
    spelled = {" ".join(_ABBREVIATIONS.get(t, t) for t in tokens(f)) for f in base}
    return {f for f in base | spelled if f}


@functools.lru_cache(maxsize=1024)
def _claim_tokens(claim: str) -> list[str]:
    return tokens(claim)


@functools.lru_cache(maxsize=65536)
def _form_tokens(header: str) -> tuple[tuple[str, ...], ...]:
    """The token lists of a header's forms (sorted, so the order of checks is fixed), read once per header: a
    paper's headers are checked against every claim."""
    return tuple(sorted(tuple(tokens(f)) for f in _forms(header)))


def header_mentioned(header: str, claim: str) -> bool:
    """Whether the claim names this header: its tokens in a row, or (5+ characters) a close fuzzy match; a
    trailing citation in parentheses is optional ("XLM-R (Hu et al., 2020)" is named by "XLM-R")."""
    from rapidfuzz import fuzz

    h = header.strip()
    if not h:
        return False
    ct = _claim_tokens(claim)
    for form_tokens in _form_tokens(h):
        ht = list(form_tokens)
        if not ht or all(t.isdigit() for t in ht):
            continue
        if _contains(ct, ht) >= 0:
            return True
        joined = "".join(ht)
        if (
            len(joined) >= 5
            and fuzz.partial_ratio(joined, "".join(ct)) >= FUZZY_MIN
            and fuzz.partial_ratio(" ".join(ht), " ".join(ct)) >= FUZZY_MIN
        ):
            return True
    return False


def _named_rows(table: Table, claim: str) -> list[int]:
    """Rows whose innermost header the claim names, narrowed by the outer groups it names ("with MLM")."""
    rows = [r for r, path in enumerate(table.rows) if path and header_mentioned(path[-1], claim)]
    if len(rows) <= 1:
        return rows
    groups = {g for r in rows for g in table.rows[r][:-1] if g}
    named = {g for g in groups if header_mentioned(g, claim)}
    if named:
        rows = [r for r in rows if named & set(table.rows[r][:-1])] or rows
    return rows


def _named_columns(table: Table, claim: str, *, lone_column: bool = True) -> list[int]:
    """Data columns whose distinguishing headers the claim names; a sub-header ("EM") narrows them."""
    cols = range(1, len(table.columns))
    shared = {
        h
        for h in (table.columns[1] if len(table.columns) > 1 else ())
        if h and all(h in table.columns[j] for j in cols)
    }

    def names(j: int) -> list[str]:
        return [h for h in table.columns[j] if h and h not in shared]

    hits = [
        j for j in cols if any(header_mentioned(h, claim) for h in names(j)[:1] or [table.column_name(j)])
    ]
    if not hits:
        hits = [j for j in cols if any(header_mentioned(h, claim) for h in names(j))]
    if len(hits) > 1:
        narrowed = [j for j in hits if all(header_mentioned(h, claim) for h in names(j)[:2])]
        hits = narrowed or hits
    if not hits and len(table.columns) == 2 and lone_column:  # one data column: named by naming a row
        hits = [1]
    return hits


def _direction(claim: str) -> int:
    """+1 when the claim says a value goes up / helps, -1 when down / hurts, 0 when it says neither."""
    up, down = bool(_UP.search(claim)), bool(_DOWN.search(claim))
    if re.search(r"\bnot\b|n't\b|\bnever\b|\bfails? to\b", claim, re.I):
        up, down = down, up
    return 1 if up and not down else (-1 if down and not up else 0)


def _claim_numbers(claim: str, headers: list[str]) -> list[Quantity]:
    """The claim's numbers worth checking: not years or references, not digits inside a named header."""
    qs = comparable(parse_numbers(claim))
    spans = []
    low = claim.lower()
    for h in headers:
        for form in {h, _CITE_PAREN.sub("", h).strip()}:
            if form and any(c.isdigit() for c in form):
                i = low.find(form.lower())
                if i >= 0:
                    spans.append((i, i + len(form)))
    return [q for q in qs if not any(a <= q.span[0] < b for a, b in spans)]


def _equal(q: Quantity, value: float, decimals: int, percent: bool) -> bool:
    if values_match(q.value, q.decimals, value, decimals):
        return True
    if q.unit == "%" and not percent and abs(value) <= 1.0:  # 85% vs a proportion 0.85
        return values_match(q.value, q.decimals, value * 100, max(0, decimals - 2))
    return False


def check_claim(claim: str, tables: list[Table], *, strict: bool = False) -> CellCheck:
    """Find the cell(s) the claim names by row and column header and compare its numbers with them.

    ``strict`` is for a claim that may be about anything in a paper rather than a statement about one table (how
    the verifier uses it): the claim must name the column too (a lone data column is not named by naming a row),
    and it is a mismatch only when the closest cell value could be the one the claim misstates (same order of
    magnitude: "12 hours" is not a misstated 87,599 training examples)."""
    candidates = _named_cells(claim, tables, lone_column=not strict)
    if not candidates:
        return CellCheck("not_found", "no table cell is named by both a row and a column header in the claim")
    headers = [h for t, c in candidates for h in (*t.rows[c.row], *t.columns[c.col])]
    numbers = _claim_numbers(claim, headers)
    if not numbers:
        t, c = candidates[0]
        return CellCheck(
            "not_found",
            "the claim names a cell but gives no number to compare",
            cell=c,
            table=t,
            citation=t.citation(c),
            candidates=candidates,
        )
    direction = _direction(claim)
    best: tuple[float, Quantity, float, Table, Cell] | None = None
    for t, c in candidates:
        delta_table = c.value.signed or bool(_DELTA_CAPTION.search(t.caption))
        for q in numbers:
            claimed = _signed_claim(q, direction, delta_table)
            for v, dec in _targets(t, c, claim, direction, delta_table):
                probe = Quantity(claimed, q.text, q.unit, q.measures, q.span, q.kind, q.decimals)
                if _equal(probe, v, dec, c.value.percent):
                    return CellCheck(
                        "match",
                        f"the claim's {q.text} equals {t.citation(c)} up to rounding",
                        claimed,
                        v,
                        c,
                        t,
                        t.citation(c),
                        candidates,
                    )
                gap = abs(claimed - v)
                if best is None or gap < best[0]:
                    best = (gap, probe, v, t, c)
    assert best is not None
    _, q, v, t, c = best
    if strict and not _same_order(q.value, v):
        return CellCheck(
            "not_found",
            f"the cells the claim names ({t.citation(c)}) hold no value of the size of its {q.text}",
            cell=c,
            table=t,
            citation=t.citation(c),
            candidates=candidates,
        )
    return CellCheck(
        "mismatch",
        f"the claim says {q.text} where {t.citation(c)}"
        + (f" (difference {v:+g})" if v not in c.value.values else ""),
        q.value,
        v,
        c,
        t,
        t.citation(c),
        candidates,
    )


def _same_order(claimed: float, value: float) -> bool:
    a, b = abs(claimed), abs(value)
    return a == b or (a > 0 and b > 0 and 0.1 <= a / b <= 10)


def _named_cells(claim: str, tables: list[Table], *, lone_column: bool = True) -> list[tuple[Table, Cell]]:
    """The numeric cells whose row and column headers the claim names (a one-row table's row needs no name; with
    ``lone_column``, nor does a one-data-column table's column)."""
    named: list[tuple[Table, list[int], list[int]]] = []
    for t in tables:
        rows = _named_rows(t, claim)
        if not rows and len(t.rows) == 1 and lone_column:
            rows = [0]
        cols = _named_columns(t, claim, lone_column=lone_column) if rows else []
        if rows and cols:
            named.append((t, rows, cols))
    return [
        (t, c)
        for t, rows, cols in named
        for c in t.cells
        if c.row in rows and c.col in cols and c.value.numeric
    ]


def _signed_claim(q: Quantity, direction: int, delta_table: bool) -> float:
    """The claimed value, signed by the claim's direction when the table gives signed differences and the number
    is written without a sign ("improves by 2.1" against "+2.1")."""
    if direction and delta_table and q.value >= 0 and not q.text.lstrip().startswith(("+", "-")):
        return direction * q.value
    return q.value


def _targets(
    table: Table, cell: Cell, claim: str, direction: int, delta_table: bool
) -> list[tuple[float, int]]:
    """The values (with their decimals) a claimed number may equal: the cell's, and for a claimed change in a
    table of absolute values, the cell's first value less each baseline."""
    targets = [(v, cell.value.decimals) for v in cell.value.values]
    if direction and not delta_table:
        targets += [
            (v - base, cell.value.decimals)
            for v in cell.value.values[:1]
            for base in _baselines(table, cell, claim)
        ]
    return targets


def _baselines(table: Table, cell: Cell, claim: str) -> list[float]:
    """Values, in the cell's column, of other rows the claim also names ("over XLM-R"): a difference to them."""
    out = []
    for other in table.cells:
        if (
            other.col == cell.col
            and other.row != cell.row
            and other.value.value is not None
            and table.rows[other.row]
            and header_mentioned(table.rows[other.row][-1], claim)
        ):
            out.append(other.value.value)
    return out
