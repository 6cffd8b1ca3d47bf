"""The store's caches and fitted parameters: the HTTP response cache, calibrations, the embedding vector cache,
and the verifier's score cache (a separate small SQLite file under the assay home, not the main store).

Every SQL statement on these tables lives here; :mod:`synthesis.sources.http`, :mod:`synthesis.calibration`,
:mod:`synthesis.embeddings` and :mod:`synthesis.crossencoder` decide what to keep.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from synthesis.store import Store

IN_CHUNK = 500  # keys per "... IN (?, ?, ...)" query (well under SQLite's parameter limit)

# ---------------------------------------------------------------------------------------------------- http cache


def http_cache_entry(store: Store, url: str) -> tuple[bytes, float | None] | None:
    """(body, age in seconds) of the cached successful answer for ``url``, or None."""
    row = store.one(
        "SELECT body, (julianday('now') - julianday(fetched_at)) * 86400.0 AS age FROM http_cache"
        " WHERE url = ? AND status = 200",
        (url,),
    )
    return None if row is None else (bytes(row["body"]), row["age"])


def http_cache_put(store: Store, url: str, body: bytes, status: int = 200) -> None:
    """Keep (or replace) the answer for ``url``, stamped now."""
    with store.transaction() as conn:
        conn.execute(
            "INSERT OR REPLACE INTO http_cache(url, status, body, fetched_at)"
            " VALUES (?, ?, ?, strftime('%Y-%m-%dT%H:%M:%SZ','now'))",
            (url, status, body),
        )


def http_cache_delete(store: Store, url: str) -> None:
    with store.transaction() as conn:
        conn.execute("DELETE FROM http_cache WHERE url = ?", (url,))


# ---------------------------------------------------------------------------------------------------- calibrations


def calibration_params(store: Store, name: str) -> str | None:
    """The stored parameters (JSON text) of the calibration called ``name``, or None."""
    row = store.one("SELECT params FROM calibrations WHERE name = ?", (name,))
    return row["params"] if row else None


def save_calibration_params(store: Store, name: str, params_json: str) -> None:
    """Store (or replace) the parameters (JSON text) of the calibration called ``name``."""
    with store.transaction() as conn:
        conn.execute("INSERT OR REPLACE INTO calibrations(name, params) VALUES (?, ?)", (name, params_json))


# ---------------------------------------------------------------------------------------------------- vectors


def cached_vectors(store: Store, model: str, text_shas: Iterable[str]) -> dict[str, tuple[int, bytes]]:
    """{text sha256: (dim, little-endian float32 bytes)} of the vectors cached for ``model``."""
    unique = sorted(set(text_shas))
    found: dict[str, tuple[int, bytes]] = {}
    for i in range(0, len(unique), IN_CHUNK):
        chunk = unique[i : i + IN_CHUNK]
        rows = store.query(
            f"SELECT text_sha256, dim, vector FROM embeddings WHERE model = ? AND text_sha256 IN "
            f"({','.join('?' * len(chunk))})",
            (model, *chunk),
        )
        for r in rows:
            found[r["text_sha256"]] = (r["dim"], r["vector"])
    return found


def cache_vectors(store: Store, model: str, vectors: Iterable[tuple[str, int, bytes]]) -> None:
    """Cache (text sha256, dim, little-endian float32 bytes) vectors of ``model``, in one transaction."""
    with store.transaction() as conn:
        conn.executemany(
            "INSERT OR REPLACE INTO embeddings(model, text_sha256, dim, vector) VALUES (?,?,?,?)",
            [(model, s, dim, blob) for s, dim, blob in vectors],
        )


# ---------------------------------------------------------------------------------------------------- scores


def open_score_db(path: Path) -> sqlite3.Connection:
    """Open (creating if needed) the verifier's score cache file; raises sqlite3.Error or OSError."""
    path.parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(str(path), timeout=10, check_same_thread=False)
    conn.execute("CREATE TABLE IF NOT EXISTS scores (key TEXT PRIMARY KEY, p TEXT NOT NULL)")
    return conn


def score_rows(conn: sqlite3.Connection, keys: list[str]) -> list[tuple[str, str]]:
    """(key, probabilities as JSON text) of the cached scores among ``keys``."""
    out: list[tuple[str, str]] = []
    for k in range(0, len(keys), IN_CHUNK):
        chunk = keys[k : k + IN_CHUNK]
        out.extend(
            conn.execute(f"SELECT key, p FROM scores WHERE key IN ({','.join('?' * len(chunk))})", chunk)
        )
    return out


def put_score_rows(conn: sqlite3.Connection, rows: Iterable[tuple[str, str]]) -> None:
    """Cache (key, probabilities as JSON text) rows, committed together; raises sqlite3.Error."""
    with conn:
        conn.executemany("INSERT OR REPLACE INTO scores(key, p) VALUES (?, ?)", list(rows))
