"""Atomic writes of run results and caches: whole or absent, ordinary permissions."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from replication.files import atomic_open, atomic_write_text


def test_permissions_follow_umask(tmp_path: Path) -> None:
    old = os.umask(0o022)
    try:
        atomic_write_text(tmp_path / "result.json", "{}")
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "result.json").stat().st_mode) == 0o644


def test_interrupted_write_keeps_old_file(tmp_path: Path) -> None:
    target = tmp_path / "result.json"
    target.write_text("old")
    with pytest.raises(KeyboardInterrupt):
        with atomic_open(target) as fh:
            fh.write("partial")
            raise KeyboardInterrupt
    assert target.read_text() == "old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["result.json"]
