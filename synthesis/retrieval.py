"""Evidence units of stored papers and their lexical (BM25) ranking against a claim.

A unit is a verbatim span of one stored page: a passage (sentence, caption; long passages such as the abstract are
split into sentences), or a line of the page that holds several numbers (a table row). Because every unit carries
(page, char_start, char_end) into the stored page text, a quote taken from a unit is a verbatim span by
construction.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import dataclass, field

from synthesis.entities import clean, content_words
from synthesis.papers import get_pages, get_paper, get_passages
from synthesis.store import Store

_SENT_END = re.compile(r"(?<=[a-z0-9\)\]%][.!?])\s+(?=[A-Z(\[])")
_ABBREV = re.compile(r"(?:\bet al|\be\.g|\bi\.e|\bFig|\bEq|\bcf|\bvs|\bSec|\bTab|\bapprox|\bNo)\.$", re.IGNORECASE)
MAX_UNIT_CHARS = 600
TERMINAL = (".", "!", "?", ".)", ".\"", ".\u201d", ":")
_FOOTNOTE_MARK_END = re.compile(r"[A-Za-z)][.!?]\d{1,2}$")  # "held-out test sets.7": a footnote mark after the end
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
    """A candidate evidence span: ``page_text[start:end] == text``."""

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

    @property
    def key(self) -> tuple[str, int, int, int]:
        return (self.paper, self.page, self.start, self.end)


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
        if _ABBREV.search(text[max(0, m.start() - 8):m.start()]):
            continue
        if text[start:m.start()].strip():
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
    isnum = [bool(_NUMTOK.match(t)) and any(c.isdigit() for c in t) or t in ("N/A", "\u2013", "-", "+", "/")
             for _, _, t in toks]
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


def paper_units(store: Store, paper_id: str) -> list[Unit]:
    """Every evidence unit of one stored paper (sentences, split long passages, numeric table lines)."""
    paper = get_paper(store, paper_id)
    if paper is None:
        return []
    pages = get_pages(store, paper_id)
    units: list[Unit] = []
    seen: set[tuple[int, int, int]] = set()

    def add(page: int, s: int, e: int, kind: str, section: str | None) -> None:
        text = pages[page - 1][s:e] if 0 < page <= len(pages) else ""
        if len(clean(text)) < 12 or (page, s, e) in seen:
            return
        seen.add((page, s, e))
        units.append(Unit(paper.id, paper.version, page, s, e, text, kind, section,
                          content_words(text) + number_tokens(text)))

    passages = get_passages(store, paper_id)
    # Sentences that a block or column break cut in two, joined again (same page): whole evidence, whole quotes.
    for i, p in enumerate(passages[:-1]):
        if p.kind != "sentence" or not (0 < p.page_no <= len(pages)) or ends_sentence(p.text):
            continue
        end = p.char_end
        for q in passages[i + 1:i + 3]:
            if q.page_no != p.page_no or q.kind != p.kind or q.char_start < end:
                break
            end = q.char_end
            if ends_sentence(q.text):
                if end - p.char_start <= MAX_UNIT_CHARS:
                    add(p.page_no, p.char_start, end, "sentence", p.section)
                break
    for p in passages:
        if p.page_no < 1 or p.page_no > len(pages) or pages[p.page_no - 1][p.char_start:p.char_end] != p.text:
            continue  # offsets that do not point into the page cannot give verbatim quotes
        if len(p.text) > MAX_UNIT_CHARS or p.kind == "abstract":
            for s, e in split_sentences(p.text, p.char_start):
                add(p.page_no, s, e, p.kind, p.section)
        else:
            add(p.page_no, p.char_start, p.char_end, p.kind, p.section)
    # Table rows: runs of numbers after a name, which sentence splitting does not isolate.
    for no, text in enumerate(pages, 1):
        for m in re.finditer(r"[^\n]+", text):
            line = m.group(0)
            if not is_table_line(line):
                continue
            for s, e in table_rows(line):
                add(no, m.start() + s, m.start() + e, "table-row", None)
    # Context: the titles of the enclosing sections and the previous sentence of the same page.
    paths = section_paths(store, paper_id)
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
    if not units:
        # No passages stored (or none usable): fall back to sentences of the page text itself.
        for no, text in enumerate(pages, 1):
            for s, e in split_sentences(text):
                if e - s <= MAX_UNIT_CHARS:
                    add(no, s, e, "sentence", None)
    return units


def inline_units(evidence: list[str], paper: str = "inline") -> list[Unit]:
    """Units for evidence given as plain sentences (COVID-Fact style); page 0 means 'not from a stored page'."""
    out = []
    for i, text in enumerate(evidence):
        if isinstance(text, str) and text.strip():
            out.append(Unit(paper, None, 0, 0, len(text), text, "inline", None, content_words(text)))
            out[-1].start = i  # position in the given list
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
