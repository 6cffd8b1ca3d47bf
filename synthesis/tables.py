"""Tables as cells with their headers: the shape every table source fills (PDF pages through pdfplumber in
:mod:`synthesis.table_extract`, SEM-TAB-FACTS XML in :mod:`synthesis.semtabfacts`) and every reader uses
(the store, retrieval's cell units, :mod:`synthesis.table_check`).

A :class:`Table` is a grid with ``n_header_rows`` rows of column headers on top and the row names in column 0.
Each data :class:`Cell` carries the header path of its row (outer group first: ``("No MLM", "SQuAD")``) and of its
column (top header row first: ``("Target tasks", "XNLI", "acc.", "15")``), its printed text, the parsed value
(:func:`parse_cell`), typographic marks (bold, underline), and where it is: page, bbox in PDF points (top-left
origin, as pdfplumber gives it) and, when found, the offsets of its text in the stored page text, so that a quote of
it is verbatim. :meth:`Table.citation` reads "Table 2, row SQuAD (No MLM), column XNLI: - 1.4".
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

# hyphen, minus, en dash and friends: what PDFs print as a minus sign
_MINUS = "-\u2212\u2013\u2012\u2010\u2011"
_M = re.escape(_MINUS)  # the same, safe inside a character class
_MARKS = "*\u2020\u2021\u00a7\u00b6#\u2217\u22c6\u2605\u2713\u2714"  # footnote marks and stars after a value
_NUM = rf"[+{_M}]?\s?(?:\d{{1,3}}(?:,\d{{3}})+(?:\.\d+)?|\d+(?:\.\d+)?|\.\d+)(?:[eE][+{_M}]?\d+)?"
_NUM_RE = re.compile(rf"({_NUM})\s?(%?)")
_PLACEHOLDER = re.compile(rf"^(?:[{_M}\u2014]|n/?a|N/?A|NA|none|None|\?|x|\u00d7|\u2717)$")
_SINGLE = re.compile(rf"^\(?({_NUM})\s?(%?)\)?$")
_SPREAD = re.compile(rf"^({_NUM})\s?(%?)\s?(?:\u00b1|\+/-|\+-)\s?(\d+(?:\.\d+)?|\.\d+)\s?%?$")
_PAREN_SPREAD = re.compile(rf"^({_NUM})\s?(%?)\s?\(\s?(?:\u00b1\s?)?(\d+(?:\.\d+)?)\s?\)$")
_PAIR = re.compile(rf"^({_NUM})\s?(%?)\s?/\s?({_NUM}|[{_M}\u2014])\s?(%?)$")
_RANGE = re.compile(r"^(\d[\d,]*(?:\.\d+)?)\s?[\u2013\u2014-]\s?(\d[\d,]*(?:\.\d+)?)$")


@dataclass(frozen=True)
class CellValue:
    """What a cell's text says as numbers.

    ``kind``: "number" (one value, maybe with a ± ``spread``), "pair" (two values "76.1 / 60.0", e.g. F1 / EM),
    "range" ("47–20,436"), "empty" (blank or a placeholder such as "–", "N/A") or "text".
    ``signed``: printed with an explicit + or - sign, as tables of differences (deltas) print their values.
    ``decimals``: digits after the point, for rounding-aware comparison (:func:`synthesis.numbers.values_match`).
    """

    kind: str
    value: float | None = None
    decimals: int = 0
    signed: bool = False
    percent: bool = False
    spread: float | None = None
    values: tuple[float, ...] = ()

    @property
    def numeric(self) -> bool:
        return self.kind in ("number", "pair", "range")


def _number(raw: str) -> tuple[float, int, bool]:
    """(value, decimals, explicitly signed) of one number token such as "- 0.8", "+20.1", "1,104,934", "3e-4"."""
    s = raw.replace(" ", "")
    signed = s[:1] in "+" + _MINUS
    neg = s[:1] in _MINUS
    s = s.lstrip("+" + _MINUS).replace(",", "")
    for m in _MINUS:
        s = s.replace(m, "-")
    mant = re.split(r"[eE]", s)[0]
    decimals = len(mant.split(".", 1)[1]) if "." in mant else 0
    if "e" in s.lower():
        exp = int(s.lower().split("e", 1)[1])
        decimals = max(0, decimals - exp)
    value = float(s)
    return (-value if neg else value), decimals, signed


def clean_cell_text(text: str) -> str:
    """Whitespace squashed, bold markers ("**") and trailing footnote marks or stars dropped."""
    t = re.sub(r"\s+", " ", text.replace("**", "")).strip()
    t = t.rstrip(_MARKS).rstrip()
    return t.lstrip(_MARKS.replace("#", "")).strip() if t[:1] in _MARKS and len(t) > 1 else t


def parse_cell(text: str) -> CellValue:
    """Parse a table cell's printed text: "80.1", "- 0.8", "+20.1", "85.3%", "80.1 ± 0.3", "80.1 (0.3)",
    "76.1 / 60.0", "47–20,436", "1,104,934", "N/A". Anything else is "text" (numbers inside words are not values)."""
    t = clean_cell_text(text or "")
    if not t or _PLACEHOLDER.match(t):
        return CellValue("empty")
    if m := _SINGLE.match(t):
        v, d, s = _number(m.group(1))
        return CellValue("number", v, d, s, bool(m.group(2)), None, (v,))
    if m := (_SPREAD.match(t) or _PAREN_SPREAD.match(t)):
        v, d, s = _number(m.group(1))
        return CellValue("number", v, d, s, bool(m.group(2)), float(m.group(3)), (v,))
    if m := _RANGE.match(t):
        a, da, _ = _number(m.group(1))
        b, db, _ = _number(m.group(2))
        if a <= b:
            return CellValue("range", None, max(da, db), False, False, None, (a, b))
    if m := _PAIR.match(t):
        v, d, s = _number(m.group(1))
        second = m.group(3)
        if _PLACEHOLDER.match(second.strip()):
            return CellValue("pair", v, d, s, bool(m.group(2)), None, (v,))
        w, _, s2 = _number(second)
        return CellValue("pair", v, d, s or s2, bool(m.group(2) or m.group(4)), None, (v, w))
    return CellValue("text")


def split_pair(text: str) -> list[str] | None:
    """The two printed parts of a "76.1 / 60.0" cell (each keeps its own sign and spacing), else None."""
    t = clean_cell_text(text)
    if parse_cell(t).kind != "pair":
        return None
    left, right = t.split("/", 1)
    return [left.strip(), right.strip()]


def is_numeric_text(text: str) -> bool:
    """A value or a placeholder, not a word: what a data cell (not a header) usually holds."""
    return parse_cell(text).kind != "text"


@dataclass(frozen=True)
class Cell:
    """One data cell: ``table.rows[row]`` and ``table.columns[col]`` are its header paths (also copied here)."""

    row: int
    col: int
    text: str
    row_headers: tuple[str, ...]
    col_headers: tuple[str, ...]
    value: CellValue
    bold: bool = False
    underline: bool = False
    bbox: tuple[float, float, float, float] | None = None
    char_start: int | None = None  # the text's span in the stored page text, when it was found there
    char_end: int | None = None

    @property
    def row_name(self) -> str:
        """The innermost row header ("SQuAD")."""
        return next((h for h in reversed(self.row_headers) if h), "")


@dataclass
class Table:
    """A table: header paths of its body rows and columns, and its data cells (column 0 is the row names)."""

    label: str  # "Table 2"; "" when no caption names it
    caption: str
    page: int  # 1-based; 0 when the table does not come from a stored page
    rows: list[tuple[str, ...]]
    columns: list[tuple[str, ...]]
    cells: list[Cell] = field(default_factory=list)
    bbox: tuple[float, float, float, float] | None = None
    method: str = "rules"  # how it was found: "rules" (booktabs lines), "whitespace", "xml"
    key_level: int = -1  # which column-header row names the columns best (see column_name)

    def column_name(self, col: int) -> str:
        """How a reader names a column: its most distinguishing header ("XNLI"), plus a split-off sub-header
        ("XQuAD F1")."""
        path = self.columns[col] if 0 <= col < len(self.columns) else ()
        if not any(path):
            return ""
        level = self.key_level if 0 <= self.key_level < len(path) else len(path) - 1
        name = path[level] or next((h for h in (*reversed(path[:level]), *path[level + 1 :]) if h), "")
        sub = [h for h in path[level + 1 :] if h and "/" not in h and h != name and _is_subheader(h)]
        return " ".join([name, *sub[:1]]) if sub else name

    def row_name(self, row: int) -> str:
        """The row's name with its groups: "SQuAD (No MLM)"."""
        path = [h for h in (self.rows[row] if 0 <= row < len(self.rows) else ()) if h]
        if not path:
            return ""
        return path[-1] + (f" ({', '.join(path[:-1])})" if len(path) > 1 else "")

    def citation(self, cell: Cell) -> str:
        """The cell as a reader cites it: "Table 2, row SQuAD (No MLM), column XNLI: - 1.4"."""
        label = self.label or "Table"
        return f"{label}, row {self.row_name(cell.row)}, column {self.column_name(cell.col)}: {cell.text}"

    def linearise(self, max_chars: int = 4000) -> str:
        """The table as text, one row a line: "SQuAD (No MLM) | XNLI: -1.4 | PAWS-X: +0.7 ..." after the caption."""
        lines = [f"{self.label}: {self.caption}".strip(": ")] if (self.label or self.caption) else []
        by_row: dict[int, list[Cell]] = {}
        for c in self.cells:
            by_row.setdefault(c.row, []).append(c)
        for r in range(len(self.rows)):
            parts = [
                f"{self.column_name(c.col)}: {c.text}"
                for c in sorted(by_row.get(r, []), key=lambda c: c.col)
                if c.text
            ]
            if parts:
                lines.append(" | ".join([self.row_name(r) or f"row {r + 1}", *parts]))
        text = "\n".join(lines)
        return text if len(text) <= max_chars else text[:max_chars].rsplit("\n", 1)[0]


_SUBHEADER = re.compile(r"^(?:F1|EM|acc\.?|P|R|BLEU|ROUGE[-\w]*|AUC|MAE|RMSE|mean|std|dev|test)$", re.I)


def _is_subheader(h: str) -> bool:
    """A metric split off a paired column ("F1" of "F1 / EM"), worth naming with the column."""
    return bool(_SUBHEADER.match(h))


# ------------------------------------------------------------------------------------------------ grid to table


def header_row_count(grid: list[list[str]]) -> int:
    """How many leading rows of ``grid`` are column headers: rows up to the first one whose non-empty cells
    outside column 0 are mostly values, or up to a section title (a row with only column 0). At least one row is
    a header when the grid has two or more rows."""
    for i, row in enumerate(grid):
        vals = [c for c in row[1:] if c and c.strip()]
        if i and not vals and row and row[0].strip():  # a section title under the headers ("Baselines")
            return i
        if vals and sum(parse_cell(c).kind not in ("text",) for c in vals) >= 0.5 * len(vals):
            return max(i, 1) if len(grid) > 1 else 0
    return 1 if len(grid) > 1 else 0


def key_header_level(columns: list[tuple[str, ...]], first: int = 1) -> int:
    """The header row that tells the data columns apart best: most distinct non-numeric names (ties: upper)."""
    depth = max((len(c) for c in columns), default=0)
    best, best_score = depth - 1, -1
    for level in range(depth):
        names = [
            c[level] for c in columns[first:] if level < len(c) and c[level] and not is_numeric_text(c[level])
        ]
        score = len(set(names))
        if score > best_score:
            best, best_score = level, score
    return best


def table_from_grid(
    grid: list[list[str]],
    *,
    label: str = "",
    caption: str = "",
    page: int = 0,
    n_header_rows: int | None = None,
    groups: list[tuple[str, ...]] | None = None,
    method: str = "xml",
    marks: dict[tuple[int, int], dict] | None = None,
) -> Table:
    """Build a :class:`Table` from a rectangular grid of cell texts (spanning cells repeated in every grid slot
    they cover). Header rows (given, or :func:`header_row_count`) name the columns; column 0 names the rows;
    ``groups[r]`` are outer row headers of body row ``r`` (a section title, a rotated group label); ``marks``
    maps (grid row, col) to extra Cell fields (bold, underline, bbox, char_start, char_end)."""
    width = max((len(r) for r in grid), default=0)
    grid = [[(c or "").strip() for c in r] + [""] * (width - len(r)) for r in grid]
    nh = header_row_count(grid) if n_header_rows is None else n_header_rows
    columns = [tuple(re.sub(r"\s+", " ", grid[i][j]) for i in range(nh)) for j in range(width)]
    rows: list[tuple[str, ...]] = []
    cells: list[Cell] = []
    section = ""
    for i, row in enumerate(grid[nh:]):
        texts = {c for c in row if c}
        if len(texts) == 1 and row[0] and width > 2 and (row.count("") == width - 1 or "" not in row):
            section = re.sub(r"\s+", " ", row[0])  # a title across the table ("Intermediate tasks"): a group
            continue
        r = len(rows)
        outer = tuple(g for g in (groups[i] if groups and i < len(groups) else ()) if g)
        rows.append((*((section,) if section else ()), *outer, re.sub(r"\s+", " ", row[0])))
        for j in range(1, width):
            text = re.sub(r"\s+", " ", row[j])
            if not text:
                continue
            extra = (marks or {}).get((nh + i, j), {})
            cells.append(Cell(r, j, text, rows[-1], columns[j], parse_cell(text), **extra))
    return Table(label, caption, page, rows, columns, cells, None, method, key_header_level(columns))
