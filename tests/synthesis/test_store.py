"""The SQLite store: migrations, pragmas, transactions."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from synthesis.errors import AssayError
from synthesis.store import Store, _split_sql, migration_scripts


def test_fresh_store_applies_every_migration_once(tmp_path: Path) -> None:
    db = tmp_path / "a.sqlite3"
    with Store(db) as store:
        names = [r[0] for r in store.query("SELECT name FROM schema_migrations ORDER BY name")]
        assert names == [n for n, _ in migration_scripts()]
        assert store.one("PRAGMA journal_mode")[0] == "wal"
        assert store.one("PRAGMA foreign_keys")[0] == 1
    with Store(db) as again:
        assert again.migrate() == []


def test_transaction_rolls_back_on_error_and_interrupt(tmp_path: Path) -> None:
    with Store(tmp_path / "a.sqlite3") as store:
        for exc in (ValueError("boom"), KeyboardInterrupt()):
            with pytest.raises(type(exc)):
                with store.transaction() as conn:
                    conn.execute(
                        "INSERT INTO papers(id, pdf_sha256, n_pages, source) VALUES ('p', 'x', 1, 'local')"
                    )
                    raise exc
            assert store.one("SELECT count(*) FROM papers")[0] == 0


def test_foreign_keys_cascade(tmp_path: Path) -> None:
    with Store(tmp_path / "a.sqlite3") as store:
        with store.transaction() as conn:
            conn.execute("INSERT INTO papers(id, pdf_sha256, n_pages, source) VALUES ('p', 'x', 1, 'local')")
            conn.execute("INSERT INTO pages(paper_id, page_no, text) VALUES ('p', 1, 'hello')")
        with pytest.raises(sqlite3.IntegrityError):
            with store.transaction() as conn:
                conn.execute("INSERT INTO pages(paper_id, page_no, text) VALUES ('missing', 1, 'x')")
        with store.transaction() as conn:
            conn.execute("DELETE FROM papers WHERE id = 'p'")
        assert store.one("SELECT count(*) FROM pages")[0] == 0


def test_not_a_database_is_a_user_error(tmp_path: Path) -> None:
    bogus = tmp_path / "assay.sqlite3"
    bogus.write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(AssayError, match="not an assay database"):
        Store(bogus)


def test_split_sql_keeps_semicolons_in_comments_out_of_statements() -> None:
    sql = "CREATE TABLE a (x TEXT -- one; two\n);\n-- lone; comment\nCREATE TABLE b (y INT);\n"
    statements = _split_sql(sql)
    assert len(statements) == 2
    conn = sqlite3.connect(":memory:")
    for s in statements:
        conn.execute(s)
