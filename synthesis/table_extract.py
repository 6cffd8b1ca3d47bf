"""Tables out of PDF pages with pdfplumber (pypdf stays the text source; this only reads table structure).

Where: only pages whose stored text has a caption line ("Table 2: ...", "TABLE 3."), so an 11-page paper costs
a few page parses, not eleven. How, for each caption:

1. the table's frame: the horizontal rules (booktabs lines or thin rectangles, at least ``MIN_RULE`` points long)
   stacked just above the caption (caption below the table) or just below it (caption above); without rules, the
   run of tabular lines next to the caption ("whitespace" method);
2. the words inside the frame in text lines; each line cut into segments where the gap between words is wider
   than a space; columns are the gaps shared by every multi-segment body line (a projection profile);
3. header rows: the leading lines up to the first line of values, extended over the rule band they share when
   that band starts with a header line whose first column is empty (the "# langs." line under "XNLI ...");
   lines with one segment are titles (a super-header on top, a section such as "XTREME Benchmark Scores" below);
   rotated words left of the rows are group labels ("No MLM") of the rows in their rule band;
4. paired columns ("F1 / EM" over "76.1 / 60.0") are split into two columns; bold fonts and short rules under a
   value mark it bold or underlined; each cell is found again in the stored page text (whitespace-insensitive)
   so that its quote is verbatim.

Tables that this misses: figures drawn as tables, tables without a caption, tables split over pages, and
tables whose columns are not separated by whitespace in every body line.
"""

from __future__ import annotations

import io
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field

from synthesis.tables import Table, is_numeric_text, split_pair, table_from_grid

EXTRACTOR_VERSION = "tables 1"  # bump when extraction changes what it stores
MIN_RULE = 60.0  # points: shorter horizontal lines are underlines or cmidrules, not a table's frame
CAPTION_GAP = 40.0  # points between a caption and the nearest rule of its table
MAX_BAND = 220.0  # points between two rules of the same table
_CAPTION_LINE = re.compile(r"^\s*(?:Table|TABLE|Tab\.)\s+([A-Z]?\d+[a-z]?)\s*(?:[:.|]|\s+[A-Z(]|$)", re.M)
_BOLD = re.compile(r"Bold|Black|Heavy|Semibold|Medi|-B$|\.B$|CMBX", re.I)


@dataclass
class _Word:
    text: str
    x0: float
    x1: float
    top: float
    bottom: float
    size: float
    bold: bool


@dataclass
class _Segment:
    words: list[_Word]

    @property
    def x0(self) -> float:
        return self.words[0].x0

    @property
    def x1(self) -> float:
        return self.words[-1].x1

    @property
    def text(self) -> str:
        out = self.words[0].text
        for prev, w in zip(self.words, self.words[1:], strict=False):
            out += ("" if w.x0 - prev.x1 < 0.3 else " ") + w.text  # touching words ("ANLI" + superscript "+")
        return out


@dataclass
class _Line:
    top: float
    bottom: float
    segments: list[_Segment] = field(default_factory=list)

    @property
    def text(self) -> str:
        return " ".join(s.text for s in self.segments)


def extractor_name() -> str:
    """What produced stored tables, like "pdfplumber 0.11.10 / tables 1"."""
    from importlib.metadata import version

    return f"pdfplumber {version('pdfplumber')} / {EXTRACTOR_VERSION}"


def caption_pages(page_texts: list[str]) -> list[int]:
    """1-based numbers of the pages whose text has a line that starts a table caption."""
    return [i for i, t in enumerate(page_texts, 1) if _CAPTION_LINE.search(t or "")]


def extract_tables(
    data: bytes, page_texts: list[str] | None = None, pages: Iterable[int] | None = None
) -> list[Table]:
    """Every captioned table of the PDF ``data``. ``page_texts`` (the stored, cleaned page texts) choose the
    pages to parse and receive the cells' verbatim offsets; ``pages`` (1-based) overrides the choice."""
    import pdfplumber

    todo = (
        list(pages) if pages is not None else (caption_pages(page_texts) if page_texts is not None else None)
    )
    out: list[Table] = []
    with pdfplumber.open(io.BytesIO(data)) as pdf:
        numbers = todo if todo is not None else range(1, len(pdf.pages) + 1)
        for no in numbers:
            if not 0 < no <= len(pdf.pages):
                continue
            page = pdf.pages[no - 1]
            text = page_texts[no - 1] if page_texts is not None and no <= len(page_texts) else None
            try:
                out.extend(tables_on_page(page, no, text))
            finally:
                page.close()
    return out


def tables_on_page(page, page_no: int, page_text: str | None = None) -> list[Table]:  # noqa: ANN001 - pdfplumber Page
    """The captioned tables of one pdfplumber page."""
    words = [
        _Word(
            _norm(w["text"]),
            w["x0"],
            w["x1"],
            w["top"],
            w["bottom"],
            w["size"],
            bool(_BOLD.search(w["fontname"])),
        )
        for w in page.extract_words(
            x_tolerance=1.5, y_tolerance=2, extra_attrs=["fontname", "size", "upright"]
        )
        if w["upright"]
    ]
    lines = _lines(words)
    rules = _rules(page)
    short = [r for r in _rules(page, min_len=3.0) if r[1] - r[0] < MIN_RULE]
    tables = []
    captions = _captions(lines)
    for cap_line, label in captions:
        frame = _frame(cap_line, rules, lines, captions)
        if frame is None:
            continue
        x0, top, x1, bottom, band_rules, method = frame
        inside = [
            w
            for w in words
            if w.x0 >= x0 - 2 and w.x1 <= x1 + 2 and w.top >= top - 1 and w.bottom <= bottom + 1
        ]
        if not inside:
            continue
        rotated = _rotated_labels(page, (x0, top, x1, bottom))
        caption = _caption_text(cap_line, lines, page_text, label)
        for table in _build(_lines(inside), band_rules, rotated, short, label, caption, page_no, method):
            table.bbox = (round(x0, 2), round(top, 2), round(x1, 2), round(bottom, 2))
            if page_text:
                _anchor(table, page_text)
            tables.append(table)
    return tables


# ------------------------------------------------------------------------------------------------ page geometry


def _norm(text: str) -> str:
    from synthesis.pdftext import LIGATURES

    for k, v in LIGATURES.items():
        text = text.replace(k, v)
    return re.sub(r"\(cid:\d+\)", "", text)  # glyphs without a character


def _lines(words: list[_Word]) -> list[_Line]:
    """Words grouped into text lines (vertical centres within half a font size), each cut into segments."""
    lines: list[list[_Word]] = []
    for w in sorted(words, key=lambda w: (w.top + w.bottom) / 2):
        if lines:
            last = lines[-1]
            top, bottom = min(x.top for x in last), max(x.bottom for x in last)
            # same line: the word overlaps the line's height well (a raised superscript "∗" or "+" does too)
            if min(bottom, w.bottom) - max(top, w.top) > 0.3 * min(bottom - top, w.bottom - w.top):
                last.append(w)
                continue
        lines.append([w])
    out = []
    for ws in lines:
        ws.sort(key=lambda w: w.x0)
        size = sorted(w.size for w in ws)[len(ws) // 2]
        gap = max(3.2, 0.5 * size)
        line = _Line(min(w.top for w in ws), max(w.bottom for w in ws))
        for w in ws:
            if line.segments and w.x0 - line.segments[-1].x1 <= gap:
                line.segments[-1].words.append(w)
            else:
                line.segments.append(_Segment([w]))
        out.append(line)
    return out


def _rules(page, min_len: float = MIN_RULE) -> list[tuple[float, float, float]]:  # noqa: ANN001
    """(x0, x1, y) of horizontal lines and hairline rectangles at least ``min_len`` long."""
    out = []
    for ln in page.lines:
        if abs(ln["top"] - ln["bottom"]) < 1.0 and ln["x1"] - ln["x0"] >= min_len:
            out.append((ln["x0"], ln["x1"], (ln["top"] + ln["bottom"]) / 2))
    for r in page.rects:
        if r["height"] < 1.5 and r["width"] >= min_len:
            out.append((r["x0"], r["x1"], (r["top"] + r["bottom"]) / 2))
    return sorted(out, key=lambda r: r[2])


def _captions(lines: list[_Line]) -> list[tuple[tuple[_Line, _Segment], str]]:
    """(line, segment) of each caption start ("Table 2: ..."), with its label "Table 2"."""
    out = []
    for line in lines:
        for seg in line.segments:
            m = _CAPTION_LINE.match(seg.text)
            if m:
                out.append(((line, seg), f"Table {m.group(1)}"))
    return out


def _frame(cap, rules, lines, captions):  # noqa: ANN001, ANN202
    """(x0, top, x1, bottom, rules inside, method) of the table a caption belongs to, or None."""
    line, seg = cap
    cx0, cx1 = seg.x0, max(seg.x1, seg.x0 + 100)
    near = [r for r in rules if min(r[1], cx1) - max(r[0], cx0) >= 0.5 * min(r[1] - r[0], cx1 - cx0)]
    other_caps = [c[0][0].top for c in captions if c[0][0] is not line]
    above = [r for r in near if r[2] <= line.top + 1 and line.top - r[2] <= CAPTION_GAP]
    below = [r for r in near if r[2] >= line.bottom - 1 and r[2] - line.bottom <= CAPTION_GAP + 30]
    choice = None
    if above and below:
        a, b = max(above, key=lambda r: r[2]), min(below, key=lambda r: r[2])
        choice = (a, -1) if line.top - a[2] <= b[2] - line.bottom else (b, 1)
    elif above:
        choice = (max(above, key=lambda r: r[2]), -1)
    elif below:
        choice = (min(below, key=lambda r: r[2]), 1)
    if choice is None:
        return _whitespace_frame(line, lines)
    start, step = choice
    same = [r for r in near if abs(r[0] - start[0]) < 8 and abs(r[1] - start[1]) < 8]
    same.sort(key=lambda r: r[2], reverse=step < 0)
    chain = [start]
    for r in same:
        if (r[2] - chain[-1][2]) * step <= 0:
            continue
        lo, hi = sorted((chain[-1][2], r[2]))
        if hi - lo > MAX_BAND or any(lo < y < hi for y in other_caps) or _prose_between(lines, lo, hi, start):
            break
        chain.append(r)
    if len(chain) < 2:
        return _whitespace_frame(line, lines)
    ys = [r[2] for r in chain]
    inner = [
        r for r in rules if min(ys) - 0.5 <= r[2] <= max(ys) + 0.5 and r[0] < start[1] and r[1] > start[0]
    ]
    return (min(r[0] for r in chain), min(ys), max(r[1] for r in chain), max(ys), inner, "rules")


def _prose_between(lines: list[_Line], lo: float, hi: float, rule: tuple[float, float, float]) -> bool:
    """A line of running text (one segment of eight or more words across most of the rule) between two rules."""
    for ln in lines:
        if lo < ln.top and ln.bottom < hi and len(ln.segments) == 1:
            s = ln.segments[0]
            if len(s.words) >= 8 and s.x1 - s.x0 >= 0.8 * (rule[1] - rule[0]) and s.x0 >= rule[0] - 5:
                return True
    return False


def _tabular(line: _Line) -> bool:
    return len(line.segments) >= 3 or (
        len(line.segments) == 2 and any(is_numeric_text(s.text) for s in line.segments)
    )


def _whitespace_frame(cap_line: _Line, lines: list[_Line]):  # noqa: ANN202
    """Without rules: the run of tabular lines right above (or else right below) the caption."""
    i = lines.index(cap_line)
    for step in (-1, 1):
        run, j = [], i + step
        if step > 0:  # skip the caption's own continuation lines
            while 0 <= j < len(lines) and not _tabular(lines[j]) and j - i <= 4:
                j += 1
        while 0 <= j < len(lines) and (
            _tabular(lines[j])
            or (run and len(lines[j].segments) == 1 and len(lines[j].segments[0].words) <= 4)
        ):
            run.append(lines[j])
            j += step
        while run and not _tabular(run[-1]):
            run.pop()
        if len(run) >= 3:
            x0 = min(s.x0 for ln in run for s in ln.segments)
            x1 = max(s.x1 for ln in run for s in ln.segments)
            return (x0, min(ln.top for ln in run), x1, max(ln.bottom for ln in run), [], "whitespace")
    return None


def _rotated_labels(page, bbox) -> list[tuple[str, float, float]]:  # noqa: ANN001
    """(text, top, bottom) of rotated words inside ``bbox`` (group labels written up the side of rows)."""
    x0, top, x1, bottom = bbox
    chars = [
        c
        for c in page.chars
        if not c.get("upright", True)
        and x0 - 2 <= c["x0"]
        and c["x1"] <= x1 + 2
        and top - 1 <= c["top"]
        and c["bottom"] <= bottom + 1
    ]
    columns: list[list[dict]] = []
    for c in sorted(chars, key=lambda c: c["x0"]):
        if columns and abs(c["x0"] - columns[-1][0]["x0"]) <= 2:
            columns[-1].append(c)
        else:
            columns.append([c])
    cols: list[list[dict]] = []  # one label per run of characters without a wide vertical gap
    for column in columns:
        column.sort(key=lambda c: c["top"])
        cols.append([column[0]])
        for c in column[1:]:
            if c["top"] - cols[-1][-1]["bottom"] > 4.0:
                cols.append([c])
            else:
                cols[-1].append(c)
    out = []
    for col in cols:
        up = (col[0].get("matrix") or (0, 1))[1] > 0  # rotated counter-clockwise: reads bottom to top
        col.sort(key=lambda c: c["top"], reverse=up)
        text, prev = "", None
        for c in col:
            if prev is not None:
                gap = (prev["top"] - c["bottom"]) if up else (c["top"] - prev["bottom"])
                if gap > 1.0:
                    text += " "
            text += c["text"]
            prev = c
        out.append((_norm(text).strip(), min(c["top"] for c in col), max(c["bottom"] for c in col)))
    return [o for o in out if o[0]]


def _caption_text(cap, lines: list[_Line], page_text: str | None, label: str) -> str:
    """The caption as stored in the page text (its whole paragraph), else its first line."""
    line, seg = cap
    first = " ".join(s.text for s in line.segments if s.x0 >= seg.x0)
    if page_text:
        num = label.split()[-1]
        m = re.search(rf"^\s*(?:Table|TABLE|Tab\.)\s+{re.escape(num)}\b[^\n]*", page_text, re.M)
        if m:
            text = m.group(0)
            # a caption wrapped mid-sentence goes on for one line
            rest = page_text[m.end() :].split("\n")[1:2]
            if rest and not text.rstrip().endswith(".") and rest[0][:1].islower():
                text += " " + rest[0]
            return re.sub(r"\s+", " ", text).strip()
    return first


# ------------------------------------------------------------------------------------------------ lines to grid


def _columns(body: list[_Line]) -> list[tuple[float, float]]:
    """Column extents: the x-intervals covered by segments of multi-segment body lines, merged where they touch."""
    spans = sorted((s.x0, s.x1) for ln in body if len(ln.segments) >= 2 for s in ln.segments)
    cols: list[list[float]] = []
    for a, b in spans:
        if cols and a <= cols[-1][1] + 1.0:
            cols[-1][1] = max(cols[-1][1], b)
        else:
            cols.append([a, b])
    return [(a, b) for a, b in cols]


def _col_of(seg: _Segment, cols: list[tuple[float, float]]) -> list[int]:
    """Columns a segment overlaps (its centre's column when it overlaps none)."""
    hit = [j for j, (a, b) in enumerate(cols) if min(b, seg.x1) - max(a, seg.x0) > 0]
    if hit:
        return hit
    mid = (seg.x0 + seg.x1) / 2
    return [min(range(len(cols)), key=lambda j: min(abs(mid - cols[j][0]), abs(mid - cols[j][1])))]


def _band(y: float, rule_ys: list[float]) -> int:
    return sum(1 for r in rule_ys if r < y)


def _build(lines, rules, rotated, short, label, caption, page_no, method) -> list[Table]:  # noqa: ANN001
    """Tables of a frame: header rows, body rows with groups, paired columns split, side-by-side halves apart."""
    lines = [ln for ln in lines if ln.segments]
    if len(lines) < 2:
        return []
    rule_ys = sorted(r[2] for r in rules)
    split = _split_header(lines, rule_ys)
    if split is None:
        return []
    first_body, cols0 = split
    head, body = lines[:first_body], lines[first_body:]
    cols = _columns(body) or cols0
    grid = _header_grid(head, cols)
    marks: dict[tuple[int, int], dict] = {}
    groups = _add_body_rows(grid, marks, body, cols, len(head), rule_ys, rotated, short)
    grid, marks = _split_pairs(grid, len(head), marks)
    out = []
    for part, part_marks in _side_by_side(grid, len(head), marks):
        table = table_from_grid(
            part,
            label=label,
            caption=caption,
            page=page_no,
            n_header_rows=len(head),
            groups=groups,
            method=method,
            marks=part_marks,
        )
        if table.cells:
            out.append(table)
    return out


def _split_header(lines: list[_Line], rule_ys: list[float]) -> tuple[int, list[tuple[float, float]]] | None:
    """The index of the first body line and the columns of the body (None when there are fewer than two columns):
    the body starts at the first line of values, after any such line sharing its rule band with a header line."""

    def values_line(ln: _Line) -> bool:
        rest = ln.segments[1:] if len(ln.segments) > 1 else []
        return bool(rest) and sum(is_numeric_text(s.text) for s in rest) >= 0.5 * len(rest)

    first_body = next((i for i, ln in enumerate(lines) if values_line(ln)), None)
    if first_body is None:  # a table of words: one header line
        first_body = 1
    # Lines of values that share their rule band with a header line opening at an empty first column are headers.
    cols0 = _columns(lines[first_body:]) or _columns(lines)
    if len(cols0) < 2:
        return None
    col0_end = cols0[0][1]
    header_bands = {
        _band((ln.top + ln.bottom) / 2, rule_ys)
        for ln in lines[:first_body]
        if len(ln.segments) > 1 and ln.segments[0].x0 > col0_end
    }
    while (
        first_body < len(lines) - 1
        and rule_ys
        and _band((lines[first_body].top + lines[first_body].bottom) / 2, rule_ys) in header_bands
    ):
        first_body += 1
    # A one-segment line after the column headers is a section title ("Intermediate tasks"), not a header.
    while first_body > 1 and len(lines[first_body - 1].segments) == 1:
        first_body -= 1
    return first_body, cols0


def _header_grid(head: list[_Line], cols: list[tuple[float, float]]) -> list[list[str]]:
    """The header rows: each segment in the columns it spans; a lone segment right of the row names spans every
    data column."""
    width = len(cols)
    grid: list[list[str]] = []
    for ln in head:
        row = [""] * width
        if len(ln.segments) == 1 and width > 2 and ln.segments[0].x0 > cols[0][1]:
            row[1:] = [ln.segments[0].text] * (width - 1)  # a super-header over every data column
        else:
            for s in ln.segments:
                for j in _col_of(s, cols):
                    row[j] = (row[j] + " " + s.text).strip()
        grid.append(row)
    return grid


def _add_body_rows(
    grid: list[list[str]],
    marks: dict[tuple[int, int], dict],
    body: list[_Line],
    cols: list[tuple[float, float]],
    n_head: int,
    rule_ys: list[float],
    rotated,  # noqa: ANN001
    short,  # noqa: ANN001
) -> list[tuple[str, ...]]:
    """Append the body rows to ``grid`` (their cells' marks to ``marks``) and return each row's group labels: the
    rotated labels beside it and the section title above it; a wrapped line continues the row above."""
    width = len(cols)
    groups: list[tuple[str, ...]] = []
    section, section_band, rows_in_band = "", -1, 0
    for ln in body:
        mid = (ln.top + ln.bottom) / 2
        band = _band(mid, rule_ys)
        side = _rotated_beside(rotated, mid, band, rule_ys)
        row = [""] * width
        if _is_section_title(ln, cols):
            # A section title ("Intermediate tasks"): a group for the rows of its rule band, or of the next band
            # when a rule sits right under it.
            section, section_band, rows_in_band = ln.segments[0].text, band, 0
            continue
        if section:
            if band == section_band:
                rows_in_band += 1
            elif band == section_band + 1 and rows_in_band == 0:
                section_band, rows_in_band = band, 1  # the rows start in the band under the title
            else:
                section = ""  # a rule closed the section
        if section:
            side = (section, *side)
        for s in ln.segments:
            for j in _col_of(s, cols)[:1]:
                row[j] = (row[j] + " " + s.text).strip()
                marks[(len(grid), j)] = _cell_mark(s, ln, short)
        # A wrapped line of a text column (no row name, no values) continues the row above.
        if (
            grid
            and len(grid) > n_head
            and not row[0]
            and not any(is_numeric_text(c) for c in row if c)
            and groups
            and side == groups[-1]
        ):
            prev = grid[-1]
            for j, c in enumerate(row):
                if c:
                    prev[j] = (prev[j] + " " + c).strip()
            continue
        grid.append(row)
        groups.append(side)
    return groups


def _rotated_beside(rotated, mid: float, band: int, rule_ys: list[float]) -> tuple[str, ...]:  # noqa: ANN001
    """The rotated labels beside a line at height ``mid``: spanning it, or centred in its rule band."""
    return tuple(
        t
        for t, a, b in rotated
        if (a - 2 <= mid <= b + 2) or (rule_ys and _band((a + b) / 2, rule_ys) == band)
    )


def _is_section_title(ln: _Line, cols: list[tuple[float, float]]) -> bool:
    """A lone segment of words in the row-name column, or spanning two columns or more: a section title."""
    return (
        len(ln.segments) == 1
        and len(cols) >= 2
        and not is_numeric_text(ln.segments[0].text)
        and (ln.segments[0].x0 <= cols[0][1] or len(_col_of(ln.segments[0], cols)) >= 2)
    )


def _cell_mark(s: _Segment, ln: _Line, short) -> dict:  # noqa: ANN001
    """A cell's marks: bold (every word with a digit is bold), underlined (a short rule just under it), its box."""
    bold = all(w.bold for w in s.words if any(ch.isdigit() for ch in w.text)) and any(
        ch.isdigit() for ch in s.text
    )
    under = any(
        u[2] >= s.words[0].bottom - 1
        and u[2] - s.words[0].bottom <= 3.5
        and min(u[1], s.x1) - max(u[0], s.x0) > 0.5 * (u[1] - u[0])
        for u in short
    )
    return {
        "bold": bold,
        "underline": under,
        "bbox": (round(s.x0, 2), round(ln.top, 2), round(s.x1, 2), round(ln.bottom, 2)),
    }


def _side_by_side(grid: list[list[str]], nh: int, marks: dict) -> list[tuple[list[list[str]], dict]]:
    """Two tables set side by side (a second "Dataset" column of names halfway across) become two grids."""
    width = len(grid[0]) if grid else 0
    first = {grid[i][0] for i in range(nh) if grid[i][0]}
    for j in range(2, width - 1):
        names = [grid[i][j] for i in range(nh, len(grid)) if grid[i][j]]
        if (
            first & {grid[i][j] for i in range(nh)}
            and names
            and sum(not is_numeric_text(c) for c in names) >= 0.8 * len(names)
        ):
            left = ([row[:j] for row in grid], {k: v for k, v in marks.items() if k[1] < j})
            right = [row[j:] for row in grid]
            rmarks = {(i, c - j): v for (i, c), v in marks.items() if c >= j}
            return [left, *_side_by_side(right, nh, rmarks)]
    return [(grid, marks)]


def _split_pairs(grid: list[list[str]], nh: int, marks: dict) -> tuple[list[list[str]], dict]:
    """Columns whose header reads "A / B" and whose values are pairs "x / y" become two columns A and B."""
    width = len(grid[0]) if grid else 0
    plan = []
    for j in range(width):
        header = next(
            (grid[i][j] for i in range(nh) if re.fullmatch(r"\s*[^/\s]+\s?/\s?[^/\s]+\s*", grid[i][j])), None
        )
        body = [grid[i][j] for i in range(nh, len(grid)) if grid[i][j]]
        pairs = [split_pair(c) for c in body]
        if header and body and sum(p is not None for p in pairs) >= 0.5 * len(body):
            plan.append(j)
    if not plan:
        return grid, marks
    new_grid, new_marks = [], {}
    for i, row in enumerate(grid):
        out: list[str] = []
        for j, c in enumerate(row):
            if j not in plan:
                if (i, j) in marks:
                    new_marks[(i, len(out))] = marks[(i, j)]
                out.append(c)
                continue
            if i < nh and re.fullmatch(r"\s*[^/\s]+\s?/\s?[^/\s]+\s*", c):
                a, b = (x.strip() for x in c.split("/", 1))
            elif i < nh:
                a = b = c
            else:
                parts = split_pair(c)
                a, b = parts if parts else (c, "")
            for part in (a, b):
                if (i, j) in marks:
                    new_marks[(i, len(out))] = dict(marks[(i, j)])
                out.append(part)
        new_grid.append(out)
    return new_grid, new_marks


# ------------------------------------------------------------------------------------------------ anchoring


def _pattern(text: str) -> re.Pattern[str] | None:
    chars = [c for c in unicodedata.normalize("NFKC", text) if not c.isspace()]
    if not chars:
        return None
    body = r"\s*".join(re.escape(c) for c in chars)
    return re.compile(rf"(?<![\w.]){body}(?![\d])")


def _anchor(table: Table, page_text: str) -> None:
    """Find each cell's text in the stored page text, row by row in reading order, and record its offsets."""
    norm = unicodedata.normalize("NFKC", page_text)
    if len(norm) != len(page_text):  # offsets would not map back; anchor nothing rather than wrongly
        return
    cursor = 0
    by_row: dict[int, list[int]] = {}
    for k, c in enumerate(table.cells):
        by_row.setdefault(c.row, []).append(k)
    for r, path in enumerate(table.rows):
        name = path[-1] if path else ""
        pos = cursor
        pat = _pattern(name) if name else None
        if pat is not None:
            m = pat.search(norm, cursor, cursor + 3000)
            if m is None:
                continue
            pos = m.end()
        for k in sorted(by_row.get(r, []), key=lambda k: table.cells[k].col):
            c = table.cells[k]
            pat = _pattern(c.text)
            m = pat.search(norm, pos, pos + 400) if pat else None
            if m is None:
                continue
            table.cells[k] = _with_span(c, m.start(), m.end())
            pos = m.end()
        cursor = pos


def _with_span(cell, start: int, end: int):  # noqa: ANN001, ANN202
    from dataclasses import replace

    return replace(cell, char_start=start, char_end=end)
