"""The store's paper tables: papers, pages, sections, passages, references (``refs``) and extracted tables.

Every SQL statement that reads or writes these tables lives here; :mod:`synthesis.papers` turns the rows into
dataclasses and :mod:`synthesis.ingest` decides what to write. Writers take the connection of an open
:meth:`Store.transaction`; readers take the :class:`Store` (inside a transaction they read through the same
connection).
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from synthesis.ingest import ParsedPassage
    from synthesis.papers import Section
    from synthesis.references import ParsedReference
    from synthesis.store import Store
    from synthesis.tables import Table

_NEWEST_VERSION_FIRST = "ORDER BY CAST(substr(version, 2) AS INTEGER) DESC"

# ---------------------------------------------------------------------------------------------------- papers


def paper_rows(store: Store) -> list[sqlite3.Row]:
    """Every stored paper row, in the order they were ingested."""
    return store.query("SELECT * FROM papers ORDER BY ingested_at, id")


def paper_row(store: Store, paper_id: str) -> sqlite3.Row | None:
    return store.one("SELECT * FROM papers WHERE id = ?", (paper_id,))


def paper_row_by_arxiv(store: Store, arxiv_id: str, version: str | None) -> sqlite3.Row | None:
    """The paper row of that arXiv version, or of the newest stored version when ``version`` is None."""
    if version:
        return store.one("SELECT * FROM papers WHERE arxiv_id = ? AND version = ?", (arxiv_id, version))
    return store.one(f"SELECT * FROM papers WHERE arxiv_id = ? {_NEWEST_VERSION_FIRST}", (arxiv_id,))


def paper_summary_by_arxiv(store: Store, arxiv_id: str, version: str | None) -> sqlite3.Row | None:
    """(id, n_pages, title) of that arXiv version, or of the newest stored version when ``version`` is None."""
    if version:
        return store.one(
            "SELECT id, n_pages, title FROM papers WHERE arxiv_id = ? AND version = ?", (arxiv_id, version)
        )
    return store.one(
        f"SELECT id, n_pages, title FROM papers WHERE arxiv_id = ? {_NEWEST_VERSION_FIRST}", (arxiv_id,)
    )


def paper_rows_by_sha_prefix(store: Store, prefix: str) -> list[sqlite3.Row]:
    """The paper rows whose PDF sha256 starts with ``prefix``."""
    return store.query("SELECT * FROM papers WHERE pdf_sha256 LIKE ?", (prefix + "%",))


def paper_summary_by_sha(store: Store, sha256: str) -> sqlite3.Row | None:
    """(id, n_pages, title) of the paper stored from the PDF with this sha256, or None."""
    return store.one("SELECT id, n_pages, title FROM papers WHERE pdf_sha256 = ?", (sha256,))


def paper_id_by_sha(store: Store, sha256: str) -> str | None:
    """The id of the paper stored from the PDF with this sha256, or None."""
    row = store.one("SELECT id FROM papers WHERE pdf_sha256 = ?", (sha256,))
    return row["id"] if row is not None else None


def pdf_sha_of(store: Store, paper_id: str) -> str | None:
    """The sha256 of the PDF a stored paper was read from; None when no such paper."""
    row = store.one("SELECT pdf_sha256 FROM papers WHERE id = ?", (paper_id,))
    return row["pdf_sha256"] if row is not None else None


def pdf_is_referenced(store: Store, sha256: str) -> bool:
    """Whether a stored paper was read from the PDF with this sha256."""
    return store.one("SELECT 1 FROM papers WHERE pdf_sha256 = ?", (sha256,)) is not None


def referenced_pdf_shas(store: Store) -> set[str]:
    """The sha256 of every PDF a stored paper was read from."""
    return {r[0] for r in store.query("SELECT pdf_sha256 FROM papers")}


def insert_paper(conn: sqlite3.Connection, paper_row: tuple) -> None:
    """Insert the paper row (id, arxiv_id, version, doi, title, authors, published, updated, abstract, pdf_sha256,
    n_pages, source, meta); call inside a transaction."""
    conn.execute(
        "INSERT INTO papers (id, arxiv_id, version, doi, title, authors, published, updated, abstract,"
        " pdf_sha256, n_pages, source, meta) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
        paper_row,
    )


# ---------------------------------------------------------------------------------------------------- pages


def page_texts(store: Store, paper_id: str) -> list[str]:
    """The stored (cleaned) text of each page; index 0 is page 1."""
    return [
        r["text"]
        for r in store.query("SELECT text FROM pages WHERE paper_id = ? ORDER BY page_no", (paper_id,))
    ]


def insert_pages(conn: sqlite3.Connection, paper_id: str, pages: Sequence[str]) -> None:
    conn.executemany(
        "INSERT INTO pages (paper_id, page_no, text) VALUES (?,?,?)",
        [(paper_id, i + 1, text) for i, text in enumerate(pages)],
    )


# ---------------------------------------------------------------------------------------------------- sections


def section_rows(store: Store, paper_id: str) -> list[sqlite3.Row]:
    return store.query(
        "SELECT idx, number, title, page_no, char_start FROM sections WHERE paper_id = ? ORDER BY idx",
        (paper_id,),
    )


def insert_sections(conn: sqlite3.Connection, paper_id: str, sections: Sequence[Section]) -> None:
    conn.executemany(
        "INSERT INTO sections (paper_id, idx, number, title, page_no, char_start) VALUES (?,?,?,?,?,?)",
        [(paper_id, s.idx, s.number, s.title, s.page_no, s.char_start) for s in sections],
    )


# ---------------------------------------------------------------------------------------------------- passages


def passage_rows(store: Store, paper_id: str) -> list[sqlite3.Row]:
    return store.query("SELECT * FROM passages WHERE paper_id = ? ORDER BY idx", (paper_id,))


def sentence_counts(store: Store) -> dict[str, int]:
    """{paper id: number of stored sentences} for every paper that has any."""
    return {
        r["paper_id"]: r["n"]
        for r in store.query(
            "SELECT paper_id, COUNT(*) AS n FROM passages WHERE kind = 'sentence' GROUP BY paper_id"
        )
    }


def sentence_count(store: Store, paper_id: str) -> int:
    """The number of stored sentences of one paper."""
    return store.one(
        "SELECT COUNT(*) AS n FROM passages WHERE paper_id = ? AND kind = 'sentence'", (paper_id,)
    )["n"]


def insert_passages(conn: sqlite3.Connection, paper_id: str, passages: Sequence[ParsedPassage]) -> None:
    """Insert the passages, numbered in the given order; call inside a transaction."""
    conn.executemany(
        "INSERT INTO passages (paper_id, idx, kind, section, page_no, char_start, char_end, text)"
        " VALUES (?,?,?,?,?,?,?,?)",
        [
            (paper_id, i, p.kind, p.section, p.page_no, p.char_start, p.char_end, p.text)
            for i, p in enumerate(passages)
        ],
    )


# ---------------------------------------------------------------------------------------------------- references


def reference_rows(store: Store, paper_id: str) -> list[sqlite3.Row]:
    return store.query(
        "SELECT idx, raw, title, authors, year, arxiv_id, doi FROM refs WHERE paper_id = ? ORDER BY idx",
        (paper_id,),
    )


def insert_references(conn: sqlite3.Connection, paper_id: str, references: Sequence[ParsedReference]) -> None:
    conn.executemany(
        "INSERT INTO refs (paper_id, idx, raw, title, authors, year, arxiv_id, doi) VALUES (?,?,?,?,?,?,?,?)",
        [
            (paper_id, i, r.raw, r.title, json.dumps(r.authors), r.year, r.arxiv_id, r.doi)
            for i, r in enumerate(references)
        ],
    )


# ---------------------------------------------------------------------------------------------------- tables


def write_tables(
    conn: sqlite3.Connection,
    paper_id: str,
    tables: Sequence[Table],
    extractor: str,
    seconds: float | None = None,
    error: str | None = None,
) -> None:
    """Replace the stored tables of a paper (``synthesis.tables.Table`` objects) and record the extraction;
    call inside a transaction."""
    conn.execute("DELETE FROM paper_tables WHERE paper_id = ?", (paper_id,))
    conn.execute("DELETE FROM table_extractions WHERE paper_id = ?", (paper_id,))
    for i, t in enumerate(tables):
        conn.execute(
            "INSERT INTO paper_tables (paper_id, idx, label, caption, page_no, bbox, method, row_paths, col_paths,"
            " key_level) VALUES (?,?,?,?,?,?,?,?,?,?)",
            (
                paper_id,
                i,
                t.label,
                t.caption,
                t.page,
                json.dumps(t.bbox) if t.bbox else None,
                t.method,
                json.dumps([list(r) for r in t.rows]),
                json.dumps([list(c) for c in t.columns]),
                t.key_level,
            ),
        )
        conn.executemany(
            "INSERT INTO table_cells (paper_id, table_idx, row_idx, col_idx, text, row_headers, col_headers, kind,"
            " value, signed, bold, underline, bbox, char_start, char_end) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
            [
                (
                    paper_id,
                    i,
                    c.row,
                    c.col,
                    c.text,
                    json.dumps(list(c.row_headers)),
                    json.dumps(list(c.col_headers)),
                    c.value.kind,
                    c.value.value
                    if c.value.value is not None
                    else (c.value.values[0] if c.value.values else None),
                    int(c.value.signed),
                    int(c.bold),
                    int(c.underline),
                    json.dumps(c.bbox) if c.bbox else None,
                    c.char_start,
                    c.char_end,
                )
                for c in t.cells
            ],
        )
    conn.execute(
        "INSERT INTO table_extractions (paper_id, extractor, n_tables, seconds, error) VALUES (?,?,?,?,?)",
        (paper_id, extractor, len(tables), seconds, error),
    )


def tables_extracted(store: Store, paper_id: str) -> bool:
    """Whether the paper's tables were extracted (papers ingested before tables existed were not)."""
    return store.one("SELECT 1 FROM table_extractions WHERE paper_id = ?", (paper_id,)) is not None


def read_tables(store: Store, paper_id: str) -> list[Table]:
    """The stored tables of a paper (``synthesis.tables.Table``), in order; [] when none or not extracted."""
    from synthesis.tables import Cell, Table, parse_cell

    out = []
    for t in store.query("SELECT * FROM paper_tables WHERE paper_id = ? ORDER BY idx", (paper_id,)):
        cells = [
            Cell(
                c["row_idx"],
                c["col_idx"],
                c["text"],
                tuple(json.loads(c["row_headers"])),
                tuple(json.loads(c["col_headers"])),
                parse_cell(c["text"]),
                bool(c["bold"]),
                bool(c["underline"]),
                tuple(json.loads(c["bbox"])) if c["bbox"] else None,
                c["char_start"],
                c["char_end"],
            )
            for c in store.query(
                "SELECT * FROM table_cells WHERE paper_id = ? AND table_idx = ? ORDER BY row_idx, col_idx",
                (paper_id, t["idx"]),
            )
        ]
        out.append(
            Table(
                t["label"],
                t["caption"],
                t["page_no"],
                [tuple(r) for r in json.loads(t["row_paths"])],
                [tuple(c) for c in json.loads(t["col_paths"])],
                cells,
                tuple(json.loads(t["bbox"])) if t["bbox"] else None,
                t["method"],
                t["key_level"],
            )
        )
    return out
