"""The SQLite store: one file, WAL, foreign keys on, schema applied by named migrations.

This module owns the connection and the migrations. The statements that read and write the tables live in the
store modules named for what they hold: :mod:`synthesis.store_papers` (papers, pages, sections, passages,
references, tables), :mod:`synthesis.store_claims` (claims, verdicts), :mod:`synthesis.store_runs` (runs, results)
and :mod:`synthesis.store_cache` (HTTP cache, calibrations, the embedding vector cache and the verifier's score
cache, which keeps its own SQLite file). No other module holds SQL (tests/synthesis/test_sql_owners.py checks).

Migrations are the ``synthesis/migrations/NNNN_name.sql`` files, applied in name order, each once, each in its own
transaction. Writers use :meth:`Store.transaction` so that an interrupted command leaves no partial rows.
"""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Iterator
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING

from synthesis.errors import AssayError

# The paper tables' statements live in synthesis.store_papers; these names stay importable from here.
from synthesis.store_papers import read_tables, tables_extracted, write_tables

if TYPE_CHECKING:
    from synthesis.settings import Settings

__all__ = [
    "BUSY_TIMEOUT_MS",
    "Store",
    "migration_scripts",
    "open_store",
    "read_tables",
    "tables_extracted",
    "write_tables",
]

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
            self.conn = sqlite3.connect(
                str(path), timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None, check_same_thread=False
            )
            self.conn.row_factory = sqlite3.Row
            self.conn.execute(
                f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}"
            )  # first: the next pragmas may wait too
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


def open_store(settings: Settings) -> Store:
    """Open (creating if needed) the store of these settings."""
    return Store(settings.db_path)
