"""The SQLite store: one file, WAL, foreign keys on, schema applied by named migrations.

Migrations are the ``synthesis/migrations/NNNN_name.sql`` files, applied in name order, each once, each in its own
transaction. Writers use :meth:`Store.transaction` so that an interrupted command leaves no partial rows.
"""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Iterator
from importlib import resources
from pathlib import Path

from synthesis.errors import AssayError

_MIGRATIONS_TABLE = (
    "CREATE TABLE IF NOT EXISTS schema_migrations (name TEXT PRIMARY KEY,"
    " applied_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ','now')))"
)
BUSY_TIMEOUT_MS = 30_000  # how long a writer waits for another process's write lock before giving up


def migration_scripts() -> list[tuple[str, str]]:
    """(name, sql) of every shipped migration, in the order they apply."""
    folder = resources.files("synthesis.migrations")
    items = [(p.name, p.read_text(encoding="utf-8")) for p in folder.iterdir() if p.name.endswith(".sql")]
    return sorted(items)


class Store:
    """A connection to the assay database with its migrations applied."""

    def __init__(self, path: str | Path):
        self.path = Path(path)
        if str(path) != ":memory:":
            try:
                self.path.parent.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise AssayError(f"cannot create the assay home {self.path.parent}: {exc.strerror}") from exc
        try:
            self.conn = sqlite3.connect(str(path), timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None,
                                        check_same_thread=False)
            self.conn.row_factory = sqlite3.Row
            self.conn.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")  # first: the next pragmas may wait too
            self.conn.execute("PRAGMA journal_mode=WAL")
            self.conn.execute("PRAGMA foreign_keys=ON")
            self.conn.execute("PRAGMA synchronous=NORMAL")
        except sqlite3.DatabaseError as exc:
            raise AssayError(f"{path} is not an assay database ({exc}); point --home elsewhere") from exc
        self.migrate()

    def migrate(self) -> list[str]:
        """Apply the migrations not yet applied; return their names.

        Safe when several processes open a fresh home at once: each migration is applied under the write lock
        (BEGIN IMMEDIATE), and the applied set is re-read inside that transaction, so a migration another process
        applied meanwhile is skipped instead of failing with "table ... already exists".
        """
        scripts = migration_scripts()
        if {name for name, _ in scripts} <= self._applied():  # the usual case: nothing to do, no write lock
            return []
        applied = []
        for name, sql in scripts:
            with self.transaction() as conn:
                conn.execute(_MIGRATIONS_TABLE)
                if conn.execute("SELECT 1 FROM schema_migrations WHERE name = ?", (name,)).fetchone():
                    continue
                for statement in _split_sql(sql):
                    conn.execute(statement)
                conn.execute("INSERT INTO schema_migrations(name) VALUES (?)", (name,))
            applied.append(name)
        return applied

    def _applied(self) -> set[str]:
        """Names of the applied migrations, read without a lock (empty when the home is new)."""
        try:
            return {r[0] for r in self.conn.execute("SELECT name FROM schema_migrations")}
        except sqlite3.OperationalError:  # no such table yet
            return set()

    @contextlib.contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """BEGIN IMMEDIATE ... COMMIT, rolled back on any exception (KeyboardInterrupt and signals too)."""
        self.conn.execute("BEGIN IMMEDIATE")
        try:
            yield self.conn
        except BaseException:
            self.conn.execute("ROLLBACK")
            raise
        else:
            self.conn.execute("COMMIT")

    def query(self, sql: str, params: tuple | dict = ()) -> list[sqlite3.Row]:
        return self.conn.execute(sql, params).fetchall()

    def one(self, sql: str, params: tuple | dict = ()) -> sqlite3.Row | None:
        return self.conn.execute(sql, params).fetchone()

    def close(self) -> None:
        self.conn.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _split_sql(sql: str) -> list[str]:
    """Split a migration into complete statements (comments may contain semicolons)."""
    statements, current = [], ""
    for line in sql.splitlines(keepends=True):
        current += line.split("--", 1)[0].rstrip() + "\n" if "--" in line else line
        if sqlite3.complete_statement(current):
            if current.strip().rstrip(";").strip():
                statements.append(current.strip())
            current = ""
    if current.strip():
        statements.append(current.strip())
    return statements


# ---------------------------------------------------------------------------------------------------- tables


def write_tables(conn: sqlite3.Connection, paper_id: str, tables: list, extractor: str,
                 seconds: float | None = None, error: str | None = None) -> None:
    """Replace the stored tables of a paper (``synthesis.tables.Table`` objects) and record the extraction;
    call inside a transaction."""
    import json

    conn.execute("DELETE FROM paper_tables WHERE paper_id = ?", (paper_id,))
    conn.execute("DELETE FROM table_extractions WHERE paper_id = ?", (paper_id,))
    for i, t in enumerate(tables):
        conn.execute(
            "INSERT INTO paper_tables (paper_id, idx, label, caption, page_no, bbox, method, row_paths, col_paths,"
            " key_level) VALUES (?,?,?,?,?,?,?,?,?,?)",
            (paper_id, i, t.label, t.caption, t.page, json.dumps(t.bbox) if t.bbox else None, t.method,
             json.dumps([list(r) for r in t.rows]), json.dumps([list(c) for c in t.columns]), t.key_level),
        )
        conn.executemany(
            "INSERT INTO table_cells (paper_id, table_idx, row_idx, col_idx, text, row_headers, col_headers, kind,"
            " value, signed, bold, underline, bbox, char_start, char_end) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
            [(paper_id, i, c.row, c.col, c.text, json.dumps(list(c.row_headers)), json.dumps(list(c.col_headers)),
              c.value.kind, c.value.value if c.value.value is not None else
              (c.value.values[0] if c.value.values else None), int(c.value.signed), int(c.bold), int(c.underline),
              json.dumps(c.bbox) if c.bbox else None, c.char_start, c.char_end) for c in t.cells],
        )
    conn.execute(
        "INSERT INTO table_extractions (paper_id, extractor, n_tables, seconds, error) VALUES (?,?,?,?,?)",
        (paper_id, extractor, len(tables), seconds, error),
    )


def tables_extracted(store: Store, paper_id: str) -> bool:
    """Whether the paper's tables were extracted (papers ingested before tables existed were not)."""
    return store.one("SELECT 1 FROM table_extractions WHERE paper_id = ?", (paper_id,)) is not None


def read_tables(store: Store, paper_id: str) -> list:
    """The stored tables of a paper (``synthesis.tables.Table``), in order; [] when none or not extracted."""
    import json

    from synthesis.tables import Cell, Table, parse_cell

    out = []
    for t in store.query("SELECT * FROM paper_tables WHERE paper_id = ? ORDER BY idx", (paper_id,)):
        cells = [
            Cell(c["row_idx"], c["col_idx"], c["text"], tuple(json.loads(c["row_headers"])),
                 tuple(json.loads(c["col_headers"])), parse_cell(c["text"]), bool(c["bold"]), bool(c["underline"]),
                 tuple(json.loads(c["bbox"])) if c["bbox"] else None, c["char_start"], c["char_end"])
            for c in store.query("SELECT * FROM table_cells WHERE paper_id = ? AND table_idx = ?"
                                 " ORDER BY row_idx, col_idx", (paper_id, t["idx"]))
        ]
        out.append(Table(t["label"], t["caption"], t["page_no"], [tuple(r) for r in json.loads(t["row_paths"])],
                         [tuple(c) for c in json.loads(t["col_paths"])], cells,
                         tuple(json.loads(t["bbox"])) if t["bbox"] else None, t["method"], t["key_level"]))
    return out


def open_store(settings) -> Store:  # noqa: ANN001 - avoids importing Settings at module level for speed
    """Open (creating if needed) the store of these settings."""
    return Store(settings.db_path)
