"""Regression (issue 14, item 2): several `assay` processes started at once on a fresh home.

The applied migrations were read before the write lock was taken, so two processes could both apply 0001 and one
failed with "table papers already exists" (and its papers were not stored).
"""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

N = 3  # several processes at once (the issue saw it with four; three race just as surely)


def _small_pdf(path: Path, i: int) -> None:
    from reportlab.pdfgen import canvas

    c = canvas.Canvas(str(path))
    c.drawString(72, 750, f"Concurrent ingestion paper number {i}")
    c.drawString(72, 720, f"We show that gadgets improve accuracy by {i + 1}.5 points on the benchmark.")
    c.save()


def _holds_open(pid: int, target: Path) -> bool:
    """Whether process ``pid`` has ``target`` open (Linux /proc); True where that cannot be told."""
    fd_dir = Path(f"/proc/{pid}/fd")
    if not fd_dir.is_dir():
        return True
    try:
        return any(os.path.realpath(fd) == str(target.resolve()) for fd in fd_dir.iterdir())
    except OSError:
        return False


def _assay_cmd() -> list[str]:
    exe = Path(sys.executable).with_name("assay")
    return [str(exe)] if exe.is_file() else [sys.executable, "-m", "reports.cli"]


def test_parallel_ingests_on_a_fresh_home_all_succeed(tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    pdfs = []
    for i in range(N):
        p = tmp_path / f"paper{i}.pdf"
        _small_pdf(p, i)
        pdfs.append(p)
    env = dict(
        os.environ,
        ASSAY_HOME=str(home),
        ASSAY_OFFLINE="1",
        ASSAY_EMBEDDING_MODEL="none",
        ASSAY_VERIFIER_MODEL="none",
    )
    db = home / "assay.sqlite3"
    # The home as the first process leaves it a moment after opening it (WAL on, the migrations table made, no
    # migration applied), with the write lock held: every process gets as far as migrating and waits there, and
    # releasing the lock lets all of them go at the same moment (the race, made reliable).
    gate = sqlite3.connect(str(db), isolation_level=None)
    gate.execute("PRAGMA journal_mode=WAL")
    gate.execute(
        "CREATE TABLE schema_migrations (name TEXT PRIMARY KEY,"
        " applied_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ','now')))"
    )
    gate.execute("BEGIN IMMEDIATE")
    procs = [
        subprocess.Popen(
            [*_assay_cmd(), "ingest", str(p)],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for p in pdfs
    ]
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not all(
            _holds_open(p.pid, db) or p.poll() is not None for p in procs
        ):
            time.sleep(0.05)
        time.sleep(0.5)
    finally:
        gate.execute("ROLLBACK")
        gate.close()
    results = [p.communicate(timeout=120) for p in procs]
    for p, (_out, err) in zip(procs, results, strict=True):
        assert p.returncode == 0, err
        assert "Traceback" not in err
    con = sqlite3.connect(str(db))
    try:
        n = con.execute("SELECT COUNT(*) FROM papers").fetchone()[0]
        migrations = [r[0] for r in con.execute("SELECT name FROM schema_migrations ORDER BY name")]
    finally:
        con.close()
    assert n == N
    from synthesis.store import migration_scripts

    assert migrations == [name for name, _ in migration_scripts()]


def test_stores_opened_together_in_threads_migrate_once(tmp_path: Path) -> None:
    """The same rule in one process: stores opened at once on a fresh file each see the migrations applied once."""
    import threading

    from synthesis.store import Store, migration_scripts

    n_stores = 6
    db = tmp_path / "assay.sqlite3"
    barrier = threading.Barrier(n_stores)
    errors: list[BaseException] = []

    def open_one() -> None:
        barrier.wait()
        try:
            Store(db).close()
        except BaseException as exc:  # noqa: BLE001 - collected and asserted below
            errors.append(exc)

    threads = [threading.Thread(target=open_one) for _ in range(n_stores)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    with Store(db) as store:
        names = [r["name"] for r in store.query("SELECT name FROM schema_migrations ORDER BY name")]
    assert names == [name for name, _ in migration_scripts()]
