"""Settings precedence: flags over environment over config.toml over defaults."""

from __future__ import annotations

from pathlib import Path

import pytest

from synthesis.errors import AssayError
from synthesis.settings import DEFAULT_ARXIV_API, load_settings


def test_defaults(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for var in ("ASSAY_OFFLINE", "ASSAY_ARXIV_API", "ASSAY_EMBEDDING_MODEL", "ASSAY_NLI_MODEL"):
        monkeypatch.delenv(var, raising=False)
    s = load_settings(tmp_path)
    assert s.home == tmp_path and s.db_path == tmp_path / "assay.sqlite3"
    assert not s.offline and s.arxiv_api == DEFAULT_ARXIV_API and s.arxiv_delay_seconds >= 3.0


def test_precedence(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "config.toml").write_text(
        'offline = true\narxiv_api = "http://127.0.0.1:1/api"\nnli_model = "none"\n'
    )
    monkeypatch.delenv("ASSAY_OFFLINE", raising=False)
    s = load_settings(tmp_path)
    assert s.offline and s.arxiv_api == "http://127.0.0.1:1/api" and s.nli_model is None
    monkeypatch.setenv("ASSAY_OFFLINE", "0")
    assert not load_settings(tmp_path).offline
    assert load_settings(tmp_path, offline=True).offline
    assert load_settings(tmp_path, arxiv_delay_seconds=0.01).arxiv_delay_seconds == 0.01


def test_home_from_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ASSAY_HOME", str(tmp_path / "h"))
    assert load_settings().home == tmp_path / "h"


@pytest.mark.parametrize("text", ["offline = [", 'colour = "blue"'])
def test_bad_config_is_a_user_error(tmp_path: Path, text: str) -> None:
    (tmp_path / "config.toml").write_text(text)
    with pytest.raises(AssayError):
        load_settings(tmp_path)


def test_settings_hash_is_stable_and_sensitive(tmp_path: Path) -> None:
    a, b = load_settings(tmp_path), load_settings(tmp_path, embedding_model="x")
    assert a.hash() == load_settings(tmp_path).hash()
    assert a.hash("embedding_model") != b.hash("embedding_model")
