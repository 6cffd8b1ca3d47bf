"""The store's replication tables: runs and their per-language results.

Every SQL statement on ``runs`` and ``results`` lives here. The rows come as plain data (the run record's fields
and ``(run_id, task, language, metric, value)`` tuples), so this module imports nothing from ``replication``.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable


def upsert_run(
    conn: sqlite3.Connection,
    run_id: str,
    plan: str | None,
    status: str,
    result_path: str | None,
    data: dict,
    results: Iterable[tuple],
) -> None:
    """Insert or update one run (``data`` is its record as JSON) and replace its result rows
    ``(run_id, task, language, metric, value)``; call inside a transaction."""
    conn.execute(
        "INSERT INTO runs(id, plan, status, result_path, data) VALUES (?, ?, ?, ?, ?) "
        "ON CONFLICT(id) DO UPDATE SET plan=excluded.plan, status=excluded.status, "
        "result_path=excluded.result_path, data=excluded.data, "
        "updated_at=strftime('%Y-%m-%dT%H:%M:%SZ','now')",
        (run_id, plan, status, result_path, json.dumps(data, default=str)),
    )
    conn.execute("DELETE FROM results WHERE run_id = ?", (run_id,))
    conn.executemany(
        "INSERT INTO results(run_id, task, language, metric, value) VALUES (?, ?, ?, ?, ?)",
        list(results),
    )
