"""Table facts: what a paper's tables state, one claim per numeric cell, read with its row and column headers and
the table's caption so that it stands on its own ("In Table 3 (Intermediate-task training configuration), ANLI+
has Batch size 24.").

The cell is the claim's source: the span is the cell's own text on its page (verbatim), and a cell whose stored
offsets do not hold its text is left out rather than quoted wrongly. Tables come from :mod:`synthesis.tables` as the
store keeps them; nothing here reads a PDF.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from synthesis.tables import Cell, Table, clean_cell_text

MAX_CAPTION_WORDS = 25  # a caption's first sentence longer than this is left out of the claim (never cut)


@dataclass(frozen=True)
class TableFact:
    """One numeric cell as a claim: text, where its value is printed, and what it is."""

    text: str
    page: int
    span: tuple[int, int]
    label: str
    row: str
    column: str
    value: str
    marked: bool  # printed bold or underlined (the paper's best results)


def _caption_head(table: Table) -> str:
    """The caption's first sentence without its "Table 2:" label, when it is short enough to quote whole."""
    cap = re.sub(r"\s+", " ", table.caption or "").strip()
    for _ in range(2):  # captions are sometimes stored as "Table 2: Table 2: ..."
        cap = re.sub(r"^(?:Table|Tab\.)\s*\d+[a-z]?\s*[:.]?\s*", "", cap)
    m = re.match(r"(.+?[a-z0-9)\]])\.(?:\s|$)", cap)
    head = (m.group(1) if m else cap).strip().rstrip(".")
    head = third_person(head)
    return head if head and len(head.split()) <= MAX_CAPTION_WORDS else ""


def third_person(text: str) -> str:
    """Headers and captions as claims read: "Our Best Models‡" -> "The authors' Best Models", "XLM-R (Ours)" ->
    "XLM-R (the authors')"; footnote marks (†, ‡, *) dropped."""
    t = re.sub(r"[\u2020\u2021\u00a7\u00b6*]+", "", text)
    t = re.sub(r"\b[Oo]urs\b", "the authors'", t)
    t = re.sub(r"\bOur\b", "The authors'", re.sub(r"\bour\b", "the authors'", t))
    t = re.sub(r"\bWe\b", "The authors", re.sub(r"\bwe\b", "the authors", t))
    return re.sub(r"\s+", " ", t).strip()


def _header(text: str) -> str:
    """A header as a reader writes it: "|Train|" -> "Train", "# Epochs" -> "number of Epochs"."""
    t = third_person(text.replace("|", " "))
    return re.sub(r"^#\s*", "number of ", t)


def _value(cell: Cell) -> str:
    """The printed value with the space after a sign closed up ("- 0.8" -> "-0.8")."""
    t = clean_cell_text(cell.text)
    return re.sub(r"(^|/\s)([+\-\u2212\u2013])\s+(?=\d)", r"\1\2", t)


def table_facts(tables: list[Table], pages: list[str]) -> list[TableFact]:
    """The numeric cells of ``tables`` as self-contained claims anchored to the verbatim cell text of ``pages``."""
    out: list[TableFact] = []
    for t in tables:
        if not t.label or not 0 < t.page <= len(pages):
            continue
        page = pages[t.page - 1]
        head = _caption_head(t)
        where = f"In {t.label} ({head})" if head else f"In {t.label}"
        for c in t.cells:
            if not c.value.numeric or c.char_start is None or c.char_end is None:
                continue
            if (
                re.sub(r"\s+", " ", page[c.char_start : c.char_end]).strip()
                != re.sub(r"\s+", " ", c.text).strip()
            ):
                continue  # the stored offsets do not hold the cell's text: no verbatim source, no claim
            row, column = third_person(t.row_name(c.row)), _header(t.column_name(c.col))
            if not row or not column:
                continue
            value = _value(c)
            out.append(
                TableFact(
                    text=f"{where}, {row} has {column} {value}.",
                    page=t.page,
                    span=(c.char_start, c.char_end),
                    label=t.label,
                    row=row,
                    column=column,
                    value=value,
                    marked=c.bold or c.underline,
                )
            )
    return out
