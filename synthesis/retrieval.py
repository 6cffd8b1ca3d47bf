"""Evidence units of stored papers and their lexical (BM25) ranking against a claim.

A unit is a verbatim span of one stored page: a passage (sentence, caption; long passages such as the abstract are
split into sentences), or a line of the page that holds several numbers (a table row). Because every unit carries
(page, char_start, char_end) into the stored page text, a quote taken from a unit is a verbatim span by
construction.

Two kinds are opt-in (``paper_units(..., windows=True, cells=True)``), because a quote of them is not one span of
one page: a *window* is two adjacent sentences (also across a page break), so that a claim whose parts sit in two
sentences can be supported by both; a *cell* is one table cell with its row and column headers, its text the
citation "Table 2, row SQuAD (No MLM), column XNLI: - 1.4". :meth:`Unit.quotes` gives the verbatim pieces of any
unit, each with its own page.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import dataclass, field

from synthesis.entities import clean, content_words
from synthesis.papers import Paper, Passage, get_pages, get_paper, get_passages
from synthesis.store import Store, read_tables
from synthesis.tables import Cell, Table

_SENT_END = re.compile(r"(?<=[a-z0-9\)\]%][.!?])\s+(?=[A-Z(\[])")
_ABBREV = re.compile(
    r"(?:\bet al|\be\.g|\bi\.e|\bFig|\bEq|\bcf|\bvs|\bSec|\bTab|\bapprox|\bNo)\.$", re.IGNORECASE
)
MAX_UNIT_CHARS = 600
TERMINAL = (".", "!", "?", ".)", '."', ".\u201d", ":")
_FOOTNOTE_MARK_END = re.compile(
    r"[A-Za-z)][.!?]\d{1,2}$"
)  # "held-out test sets.7": a footnote mark after the end
MIN_TABLE_NUMERIC = 0.15  # share of a line's tokens that are numbers before it is read as a table


def ends_sentence(text: str) -> bool:
    """True when ``text`` ends a sentence, also when a footnote mark follows its period ("sets.7")."""
    t = text.rstrip()
    return t.endswith(TERMINAL) or bool(_FOOTNOTE_MARK_END.search(t))


def is_table_line(line: str) -> bool:
    """A line of a table, not prose that happens to hold numbers: enough of its tokens are numbers. A prose
    paragraph with "7 tasks ... 9 target tasks ... 8.4 points" must not be cut into 'rows' that run across its
    sentence ends (that made evidence from the words of two sentences)."""
    toks = line.split()
    if not toks:
        return False
    numeric = sum(1 for t in toks if _NUMTOK.match(t) and any(c.isdigit() for c in t))
    return numeric >= 2 and numeric / len(toks) >= MIN_TABLE_NUMERIC


@dataclass
class Unit:
    """A candidate evidence span.

    Fields, by ``kind``:

    - "sentence", "abstract", "caption", "table-row" (from :func:`paper_units`) and "inline" (from
      :func:`inline_units`): ``page_text[start:end] == text`` (page 0 for inline evidence, where ``start`` is the
      position in the given list); ``parts`` is empty; :meth:`quotes` is ``[self]``.
    - "window": two adjacent sentences in reading order. ``parts`` are the two sentence units (each verbatim on
      its own page); ``text`` is their text joined by one space, or the verbatim page span from the first's start
      to the second's end when both are on one page with only whitespace between (then ``page_text[start:end] ==
      text`` holds too). ``page``/``start`` are the first sentence's; ``end`` is the second's end when the window
      is one span, else the first's end. ``crosses_page`` says whether the two are on different pages.
    - "cell": one table cell. ``text`` is the citation ("Table 2, row SQuAD (No MLM), column XNLI: - 1.4"),
      ``cell`` the :class:`synthesis.tables.Cell` (text, parsed value, row and column header paths, bold,
      underline, bbox), ``table`` the whole :class:`synthesis.tables.Table` (caption, every cell), ``context`` the
      caption; ``page`` is the table's page and ``start``/``end`` the printed value's offsets in that page's stored
      text when it was found there (``parts`` is then that one verbatim span, kind "cell-value"), else -1/-1 and no
      parts (nothing to quote verbatim).

    ``key`` identifies a unit among all units of all kinds (it is longer than four items for windows and cells).
    """

    paper: str
    version: str | None
    page: int
    start: int
    end: int
    text: str
    kind: str = "sentence"
    section: str | None = None
    words: list[str] = field(default_factory=list, repr=False)
    context: str = field(default="", repr=False)  # the sentence before, for names a pronoun stands for
    parts: tuple[Unit, ...] = field(default=(), repr=False)
    cell: Cell | None = field(default=None, repr=False)
    table: Table | None = field(default=None, repr=False)

    @property
    def key(self) -> tuple:
        base = (self.paper, self.page, self.start, self.end)
        if self.kind == "window":
            return (*base, "window", *(x for p in self.parts for x in (p.page, p.start, p.end)))
        if self.cell is not None:
            return (
                *base,
                "cell",
                self.table.label if self.table else "",
                self.table.page if self.table else 0,
                self.cell.row,
                self.cell.col,
            )
        return base

    @property
    def crosses_page(self) -> bool:
        return len({p.page for p in self.parts}) > 1

    def quotes(self) -> list[Unit]:
        """The verbatim spans to quote for this unit, each with its own page (see the class docstring)."""
        if self.kind in ("window", "cell"):
            return list(self.parts)
        return [self]


def number_tokens(text: str) -> list[str]:
    """Numbers as retrieval tokens ("#24", "#1104934", "#8.4"), so that a numeric claim finds its row."""
    from synthesis.numbers import comparable, parse_numbers

    out = []
    for q in comparable(parse_numbers(clean(text))):
        v = abs(q.value)
        out.append("#" + (str(int(v)) if v == int(v) else f"{v:g}"))
    return out


def split_sentences(text: str, base: int = 0) -> list[tuple[int, int]]:
    """(start, end) offsets of the sentences of ``text``, shifted by ``base``; abbreviations do not end one."""
    spans, start = [], 0
    for m in _SENT_END.finditer(text):
        if _ABBREV.search(text[max(0, m.start() - 8) : m.start()]):
            continue
        if text[start : m.start()].strip():
            spans.append((start, m.start()))
        start = m.end()
    if text[start:].strip():
        spans.append((start, len(text.rstrip())))
    out = []
    for s, e in spans:
        while s < e and text[s].isspace():
            s += 1
        out.append((base + s, base + e))
    return out


_NUMTOK = re.compile(r"^[+\-\u2212]?\d[\d,.]*%?$|^N/A$|^[\u2013\u2014\-+/]$")
_WORD = re.compile(r"\S+")


def table_rows(line: str) -> list[tuple[int, int]]:
    """(start, end) of the rows of a table flattened onto one line: a name (one or two words) followed by a run of
    numbers, plus the few words after it, up to the next row."""
    toks = [(m.start(), m.end(), m.group(0)) for m in _WORD.finditer(line)]
    isnum = [
        bool(_NUMTOK.match(t)) and any(c.isdigit() for c in t) or t in ("N/A", "\u2013", "-", "+", "/")
        for _, _, t in toks
    ]
    starts = []
    for i in range(len(toks) - 1):
        if not isnum[i] and isnum[i + 1] and any(c.isalpha() for c in toks[i][2]):
            j = i - 1 if i > 0 and not isnum[i - 1] and toks[i - 1][2][:1].isupper() else i
            starts.append(j)
    rows = []
    for k, j in enumerate(starts):
        end_tok = (starts[k + 1] - 1) if k + 1 < len(starts) else len(toks) - 1
        end_tok = min(end_tok, j + 40)
        if end_tok > j:
            rows.append((toks[j][0], toks[end_tok][1]))
    return rows


def section_paths(store: Store, paper_id: str) -> dict[str, str]:
    """Section title -> its title with its parents' ("Empirical evaluation Datasets" for 2.2.1 Datasets)."""
    from synthesis.papers import get_sections

    secs = get_sections(store, paper_id)
    by_number = {s.number: s.title for s in secs if s.number}
    out = {}
    for s in secs:
        parts = [s.title]
        if s.number:
            num = s.number
            while "." in num:
                num = num.rsplit(".", 1)[0]
                if num in by_number:
                    parts.insert(0, by_number[num])
        out[s.title] = " ".join(parts)
    return out


def paper_units(store: Store, paper_id: str, *, windows: bool = False, cells: bool = False) -> list[Unit]:
    """Every evidence unit of one stored paper (sentences, split long passages, numeric table lines); with
    ``windows`` also adjacent-sentence windows (:func:`window_units`), with ``cells`` the stored table cells
    (:func:`cell_units`; tables of papers ingested before tables existed come from ``ingest.ensure_tables``)."""
    units = _base_units(store, paper_id)
    if windows or cells:
        paper, pages = get_paper(store, paper_id), get_pages(store, paper_id)
        if windows:
            units += window_units(units, pages)
        if cells and paper is not None:
            units += cell_units(paper.id, paper.version, read_tables(store, paper_id), pages)
    return units


MAX_WINDOW_CHARS = 900


def window_units(units: list[Unit], pages: list[str] | None = None) -> list[Unit]:
    """Windows of two adjacent whole sentences, in reading order, within one section; across a page break too.

    ``units`` are a paper's units as :func:`paper_units` makes them; ``pages`` its page texts (to make a window on
    one page one verbatim span). Fragments that a block break cut (whose joined whole is also a unit) are skipped.
    """
    seq = sorted(
        (u for u in units if u.kind in ("sentence", "abstract")), key=lambda u: (u.page, u.start, -u.end)
    )
    whole: list[Unit] = []
    for (
        u
    ) in seq:  # drop spans inside an earlier, longer span of the same page (fragments of a joined sentence)
        if whole and whole[-1].page == u.page and u.start >= whole[-1].start and u.end <= whole[-1].end:
            continue
        whole.append(u)
    out = []
    for a, b in zip(whole, whole[1:], strict=False):
        if a.section != b.section or b.page - a.page > 1 or len(a.text) + len(b.text) + 1 > MAX_WINDOW_CHARS:
            continue
        text = pages[a.page - 1] if pages is not None and 0 < a.page <= len(pages) else None
        out.append(make_window(a, b, text))
    return out


def make_window(a: Unit, b: Unit, page_text: str | None = None) -> Unit:
    """The window of sentence ``a`` followed by sentence ``b`` (see :class:`Unit`)."""
    one_span = (
        a.page == b.page
        and a.end <= b.start
        and (page_text is None or not page_text[a.end : b.start].strip())
    )
    text = a.text + " " + b.text
    end = a.end
    if one_span and page_text is not None:
        text, end = page_text[a.start : b.end], b.end
    return Unit(
        a.paper,
        a.version,
        a.page,
        a.start,
        end,
        text,
        "window",
        a.section,
        content_words(text) + number_tokens(text),
        a.context,
        (a, b),
    )


def cell_units(paper: str, version: str | None, tables: list[Table], pages: list[str]) -> list[Unit]:
    """One unit per non-empty table cell; its text is the cell's citation (see :class:`Unit`)."""
    out = []
    for t in tables:
        for c in t.cells:
            if c.value.kind == "empty":
                continue
            cite = t.citation(c)
            parts: tuple[Unit, ...] = ()
            start = end = -1
            page_text = pages[t.page - 1] if 0 < t.page <= len(pages) else ""
            if c.char_start is not None and c.char_end is not None and c.char_end <= len(page_text):
                start, end = c.char_start, c.char_end
                parts = (Unit(paper, version, t.page, start, end, page_text[start:end], "cell-value"),)
            words = content_words(" ".join([*c.row_headers, *c.col_headers, c.text])) + number_tokens(c.text)
            out.append(
                Unit(paper, version, t.page, start, end, cite, "cell", None, words, t.caption, parts, c, t)
            )
    return out


def _base_units(store: Store, paper_id: str) -> list[Unit]:
    """The sentence, caption and table-row units of :func:`paper_units`."""
    paper = get_paper(store, paper_id)
    if paper is None:
        return []
    pages = get_pages(store, paper_id)
    passages = get_passages(store, paper_id)
    spans = [
        *_rejoined_sentences(passages, pages),
        *_passage_spans(passages, pages),
        *_table_row_spans(pages),
    ]
    units = _units_of(paper, pages, spans)
    _set_context(units, section_paths(store, paper_id))
    if not units:
        # No passages stored (or none usable): fall back to sentences of the page text itself.
        units = _units_of(
            paper,
            pages,
            [
                (no, s, e, "sentence", None)
                for no, text in enumerate(pages, 1)
                for s, e in split_sentences(text)
                if e - s <= MAX_UNIT_CHARS
            ],
        )
    return units


_Span = tuple[int, int, int, str, str | None]  # page, start, end, kind, section


def _units_of(paper: Paper, pages: list[str], spans: list[_Span]) -> list[Unit]:
    """A unit per span of page text, in order, leaving out short ones and repeats."""
    units: list[Unit] = []
    seen: set[tuple[int, int, int]] = set()
    for page, s, e, kind, section in spans:
        text = pages[page - 1][s:e] if 0 < page <= len(pages) else ""
        if len(clean(text)) < 12 or (page, s, e) in seen:
            continue
        seen.add((page, s, e))
        units.append(
            Unit(
                paper.id,
                paper.version,
                page,
                s,
                e,
                text,
                kind,
                section,
                content_words(text) + number_tokens(text),
            )
        )
    return units


def _rejoined_sentences(passages: list[Passage], pages: list[str]) -> list[_Span]:
    """Sentences that a block or column break cut in two, joined again (same page): whole evidence, whole quotes."""
    out: list[_Span] = []
    for i, p in enumerate(passages[:-1]):
        if p.kind != "sentence" or not (0 < p.page_no <= len(pages)) or ends_sentence(p.text):
            continue
        end = p.char_end
        for q in passages[i + 1 : i + 3]:
            if q.page_no != p.page_no or q.kind != p.kind or q.char_start < end:
                break
            end = q.char_end
            if ends_sentence(q.text):
                if end - p.char_start <= MAX_UNIT_CHARS:
                    out.append((p.page_no, p.char_start, end, "sentence", p.section))
                break
    return out


def _passage_spans(passages: list[Passage], pages: list[str]) -> list[_Span]:
    """The stored passages whose offsets point into their page; long ones and abstracts split into sentences."""
    out: list[_Span] = []
    for p in passages:
        if (
            p.page_no < 1
            or p.page_no > len(pages)
            or pages[p.page_no - 1][p.char_start : p.char_end] != p.text
        ):
            continue  # offsets that do not point into the page cannot give verbatim quotes
        if len(p.text) > MAX_UNIT_CHARS or p.kind == "abstract":
            out += [(p.page_no, s, e, p.kind, p.section) for s, e in split_sentences(p.text, p.char_start)]
        else:
            out.append((p.page_no, p.char_start, p.char_end, p.kind, p.section))
    return out


def _table_row_spans(pages: list[str]) -> list[_Span]:
    """Table rows: runs of numbers after a name, which sentence splitting does not isolate."""
    out: list[_Span] = []
    for no, text in enumerate(pages, 1):
        for m in re.finditer(r"[^\n]+", text):
            line = m.group(0)
            if not is_table_line(line):
                continue
            out += [(no, m.start() + s, m.start() + e, "table-row", None) for s, e in table_rows(line)]
    return out


def _set_context(units: list[Unit], paths: dict[str, str]) -> None:
    """Each unit's context: the titles of the enclosing sections and the previous sentence of the same page."""
    # A sentence that a page break cut in two ("... shows no" | "clear trend.") leaves the next page's first
    # sentence with only a fragment before it: the end of the previous page joins the context then.
    prev: Unit | None = None
    before: Unit | None = None  # the sentence before prev
    for u in units:
        ctx = [paths.get(u.section or "", u.section or "")]
        if u.kind in ("sentence", "abstract") and prev is not None:
            if prev.page == u.page and prev.end <= u.start:
                fragment = not prev.text.lstrip()[:1].isupper()
                if fragment and before is not None and before.page == u.page - 1:
                    ctx.append(before.text)
                ctx.append(prev.text)
            elif prev.page == u.page - 1 and not ends_sentence(prev.text):
                ctx.append(prev.text)
        u.context = " ".join(c for c in ctx if c)
        if u.kind in ("sentence", "abstract"):
            before, prev = prev, u


def inline_units(evidence: list[str], paper: str = "inline", *, windows: bool = False) -> list[Unit]:
    """Units for evidence given as plain sentences (COVID-Fact style); page 0 means 'not from a stored page'.
    With ``windows``, also a window of each two consecutive sentences (their text joined by one space)."""
    out = []
    for i, text in enumerate(evidence):
        if isinstance(text, str) and text.strip():
            out.append(Unit(paper, None, 0, 0, len(text), text, "inline", None, content_words(text)))
            out[-1].start = i  # position in the given list
    if windows:
        out += [
            make_window(a, b)
            for a, b in zip(out, out[1:], strict=False)
            if b.start == a.start + 1 and len(a.text) + len(b.text) < MAX_WINDOW_CHARS
        ]
    return out


class BM25:
    """Okapi BM25 over the units' content words (k1=1.2, b=0.75)."""

    def __init__(self, units: list[Unit], k1: float = 1.2, b: float = 0.75):
        self.units = units
        self.k1, self.b = k1, b
        self.tf = [Counter(u.words) for u in units]
        self.len = [len(u.words) for u in units]
        self.avg = (sum(self.len) / len(self.len)) if self.len else 1.0
        df: Counter[str] = Counter()
        for tf in self.tf:
            df.update(tf.keys())
        n = max(1, len(units))
        self.idf = {w: math.log(1 + (n - d + 0.5) / (d + 0.5)) for w, d in df.items()}
        self.default_idf = math.log(1 + (n + 0.5) / 0.5)

    def weight(self, word: str) -> float:
        return self.idf.get(word, self.default_idf)

    def scores(self, query_words: list[str]) -> list[float]:
        q = Counter(query_words)
        out = []
        for tf, length in zip(self.tf, self.len, strict=True):
            s = 0.0
            norm = self.k1 * (1 - self.b + self.b * length / (self.avg or 1.0))
            for w in q:
                f = tf.get(w)
                if f:
                    s += self.weight(w) * f * (self.k1 + 1) / (f + norm)
            out.append(s)
        return out

    def top(self, query_words: list[str], k: int) -> list[tuple[int, float]]:
        scores = self.scores(query_words)
        order = sorted(range(len(scores)), key=lambda i: -scores[i])
        return [(i, scores[i]) for i in order[:k] if scores[i] > 0]
