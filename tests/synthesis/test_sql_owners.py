"""SQL lives only in the store's modules: synthesis/store.py (connection, migrations) and synthesis/store_*.py
(named for the tables they hold). Everything else, the CLI included, calls their named functions."""

from __future__ import annotations

import re
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
PACKAGES = ("synthesis", "reports", "replication")
SQL_STATEMENT = re.compile(
    r"\bSELECT\b[^\n]*?\bFROM\b"
    r"|\bINSERT\s+(?:OR\s+\w+\s+)?INTO\b"
    r"|\bREPLACE\s+INTO\b"
    r"|\bUPDATE\s+(?:\w+\s+)?SET\b"
    r"|\bDELETE\s+FROM\b"
    r"|\b(?:CREATE|DROP)\s+(?:UNIQUE\s+)?(?:TABLE|INDEX|VIEW|TRIGGER)\b"
    r"|\bALTER\s+TABLE\b"
    r"|\bPRAGMA\s+\w+"
    r"|\bBEGIN\s+(?:IMMEDIATE|EXCLUSIVE|DEFERRED|TRANSACTION)\b"
)


def is_store_module(path: Path) -> bool:
    rel = path.relative_to(REPO).as_posix()
    return rel == "synthesis/store.py" or re.fullmatch(r"synthesis/store_\w+\.py", rel) is not None


def sql_outside_the_store() -> list[str]:
    found = []
    for package in PACKAGES:
        for path in sorted((REPO / package).rglob("*.py")):
            if is_store_module(path):
                continue
            for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
                if SQL_STATEMENT.search(line):
                    found.append(f"{path.relative_to(REPO)}:{n}: {line.strip()}")
    return found


def test_the_pattern_finds_statements() -> None:
    for statement in (
        'store.one("SELECT 1 FROM papers WHERE id = ?", (pid,))',
        'f"SELECT key, p FROM scores WHERE key IN ({marks})"',
        '"INSERT OR REPLACE INTO claims(id, text) VALUES (?, ?)"',
        '"INSERT INTO runs(id) VALUES (?) ON CONFLICT(id) DO UPDATE SET plan=excluded.plan"',
        'conn.execute("DELETE FROM results WHERE run_id = ?", (rid,))',
        '"CREATE TABLE IF NOT EXISTS scores (key TEXT PRIMARY KEY)"',
        'conn.execute("PRAGMA journal_mode=WAL")',
        'self.conn.execute("BEGIN IMMEDIATE")',
    ):
        assert SQL_STATEMENT.search(statement), statement
    for prose in ("Select the best claim from the list", "insert the rows", "UPDATE the README", "SELECTED"):
        assert not SQL_STATEMENT.search(prose), prose


def test_the_store_modules_exist_and_hold_sql() -> None:
    modules = [p for p in (REPO / "synthesis").glob("store*.py") if is_store_module(p)]
    names = {p.name for p in modules}
    assert {"store.py", "store_papers.py", "store_cache.py"} <= names
    for p in modules:
        assert SQL_STATEMENT.search(p.read_text(encoding="utf-8")), (
            f"{p.name} holds no SQL: why is it a store module?"
        )


def test_no_sql_outside_the_store_modules() -> None:
    found = sql_outside_the_store()
    assert not found, (
        "SQL statements outside synthesis/store.py and synthesis/store_*.py; move each into a named function of the "
        "store module for its tables:\n" + "\n".join(found)
    )
