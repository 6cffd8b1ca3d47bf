"""SEM-TAB-FACTS (SemEval-2021 task 9): statements about tables from scientific papers, as (statement, table,
label) with the table in :mod:`synthesis.tables` form.

The data (../shared/data/verification/sem-tab-facts, never copied into the repository) is two zips of XML
documents: ``train_manual_v1.3.2.zip`` (4,506 statements, entailed / refuted) and ``dev_v1.1.zip`` (556 statements,
entailed / refuted / unknown). Each ``<document>`` holds ``<table id="Table 1">`` elements with a ``<caption>``,
optional ``<legend>``, ``<row row="i">`` of ``<cell row-start row-end col-start col-end text>`` (a spanning cell
covers every grid slot between its starts and ends) and ``<statements>`` of ``<statement id text type>``; dev
cells also list, per statement, whether they are ``relevant`` evidence. Only the ``output/`` copy of each
document carries the labels.
"""

from __future__ import annotations

import os
import re
import zipfile
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from xml.etree import ElementTree

from synthesis.errors import AssayError
from synthesis.tables import Table, table_from_grid

SPLITS = {"train": "train_manual_v1.3.2.zip", "dev": "dev_v1.1.zip"}
LABELS = {"entailed": "supported", "refuted": "refuted", "unknown": "not_enough_info"}
MAX_GRID = 200  # rows or columns; a bigger grid is not a table we can use


@dataclass
class TableStatement:
    """One statement about one table. ``evidence`` is the table linearised as text (caption, then one line per
    row: "row name | column: value | ..."); ``relevant`` are the (row, col) of the grid cells annotated as its
    evidence (dev only)."""

    id: str
    statement: str
    table: Table
    label: str
    evidence: str
    document: str
    relevant: list[tuple[int, int]] = field(default_factory=list)


def default_dir() -> Path:
    """../shared/data/verification/sem-tab-facts beside the checkout, or $ASSAY_SHARED/data/..."""
    shared = Path(os.environ.get("ASSAY_SHARED", Path(__file__).resolve().parents[2] / "shared"))
    return shared / "data" / "verification" / "sem-tab-facts"


def load_semtabfacts(split: str, folder: Path | str | None = None) -> list[TableStatement]:
    """Every labelled statement of a split ("train" or "dev"), labels mapped entailed -> supported,
    refuted -> refuted, unknown -> not_enough_info."""
    return list(iter_semtabfacts(split, folder))


def iter_semtabfacts(split: str, folder: Path | str | None = None) -> Iterator[TableStatement]:
    if split not in SPLITS:
        raise AssayError(f"unknown SEM-TAB-FACTS split {split!r}; use one of {', '.join(SPLITS)}")
    path = Path(folder or default_dir()) / SPLITS[split]
    if not path.is_file():
        raise AssayError(
            f"{path} not found; SEM-TAB-FACTS lives in ../shared/data/verification/sem-tab-facts"
        )
    with zipfile.ZipFile(path) as zf:
        names = sorted(
            n
            for n in zf.namelist()
            if "/output/" in n and n.endswith(".xml") and not n.startswith("__MACOSX") and "/._" not in n
        )
        for name in names:
            try:
                root = ElementTree.fromstring(zf.read(name))
            except ElementTree.ParseError as exc:
                raise AssayError(f"{path.name}:{name} is not well-formed XML ({exc})") from exc
            doc = Path(name).stem
            for el in root.iter("table"):
                yield from _statements(el, doc)


def _text(s: str | None) -> str:
    return re.sub(r"\s+", " ", s or "").strip()


def parse_table(el: ElementTree.Element, doc: str = "") -> tuple[Table, list[list[str]]] | None:
    """A ``<table>`` element as a :class:`Table` (header rows inferred) and its raw grid; None when empty."""
    slots: dict[tuple[int, int], str] = {}
    for cell in el.iter("cell"):
        try:
            r0, r1 = int(cell.get("row-start", 0)), int(cell.get("row-end", 0))
            c0, c1 = int(cell.get("col-start", 0)), int(cell.get("col-end", 0))
        except ValueError:
            continue
        if not (0 <= r0 <= r1 < MAX_GRID and 0 <= c0 <= c1 < MAX_GRID):
            continue
        text = _text(cell.get("text"))
        for r in range(r0, r1 + 1):
            for c in range(c0, c1 + 1):
                slots.setdefault((r, c), text)
    if not slots:
        return None
    n_rows = max(r for r, _ in slots) + 1
    n_cols = max(c for _, c in slots) + 1
    grid = [[slots.get((r, c), "") for c in range(n_cols)] for r in range(n_rows)]
    cap = el.find("caption")
    caption = _text(cap.get("text") if cap is not None else "")
    label = _text(el.get("id")) or "Table"
    return table_from_grid(grid, label=label, caption=caption, method="xml"), grid


def _statements(el: ElementTree.Element, doc: str) -> Iterator[TableStatement]:
    parsed = parse_table(el, doc)
    if parsed is None:
        return
    table, _ = parsed
    evidence = table.linearise()
    relevant: dict[str, list[tuple[int, int]]] = {}
    for row in el.iter("row"):
        for cell in row.iter("cell"):
            for ev in cell.iter("evidence"):
                if ev.get("type") == "relevant":
                    relevant.setdefault(ev.get("statement_id", ""), []).append(
                        (int(cell.get("row-start", 0)), int(cell.get("col-start", 0)))
                    )
    for st in el.iter("statement"):
        label = LABELS.get((st.get("type") or "").strip().lower())
        text = _text(st.get("text"))
        if label is None or not text:
            continue
        sid = st.get("id", "")
        yield TableStatement(
            f"{doc}/{table.label}/{sid}", text, table, label, evidence, doc, relevant.get(sid, [])
        )


def cell_check_counts(statements: list[TableStatement], *, strict: bool = True) -> Counter[tuple[str, str]]:
    """(status of the table cell check, gold label) counts over the statements (``strict`` as the verifier runs
    :func:`synthesis.table_check.check_claim` against a whole paper)."""
    from synthesis.table_check import check_claim

    return Counter((check_claim(s.statement, [s.table], strict=strict).status, s.label) for s in statements)


def cell_check_rates(statements: list[TableStatement], *, strict: bool = True) -> dict:
    """How often the table cell check is right when it decides: a match read as supported, a mismatch as refuted,
    Laplace-smoothed; with the counts behind each rate. These are the confidences the verifier gives a verdict that
    a named cell decides."""
    counts = cell_check_counts(statements, strict=strict)
    out: dict = {"statements": len(statements), "strict": strict}
    for status, label in (("match", "supported"), ("mismatch", "refuted")):
        decided = sum(v for (st, _), v in counts.items() if st == status)
        right = counts[(status, label)]
        out[status] = round((right + 1) / (decided + 2), 4)
        out[f"{status}_counts"] = {"decided": decided, "right": right}
    return out
