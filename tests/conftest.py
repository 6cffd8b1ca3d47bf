"""Fixtures shared by every test area. Area-specific fixtures live in tests/<area>/conftest.py."""

from __future__ import annotations

import json
import os
import signal
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("ASSAY_SHARED", REPO.parent / "shared"))

# No test may touch the network or a hub; models and data come from local paths only.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("HF_DATASETS_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

# The kill tests send SIGINT to subprocesses as Ctrl-C would. A shell without job control starts a background job
# (`pytest &`, a CI step run in the background) with SIGINT ignored, and an ignored signal is inherited across exec:
# every subprocess would ignore the Ctrl-C and run to completion. Give the test process, and so its children, the
# default disposition back.
if signal.getsignal(signal.SIGINT) == signal.SIG_IGN:
    signal.signal(signal.SIGINT, signal.default_int_handler)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    try:
        import torch

        has_cuda = torch.cuda.is_available()
    except ImportError:
        has_cuda = False
    if not has_cuda:
        skip = pytest.mark.skip(reason="needs a CUDA GPU")
        for item in items:
            if "gpu" in item.keywords:
                item.add_marker(skip)


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    """../shared beside the checkout (development and CI only; absent on users' machines)."""
    if not SHARED.is_dir():
        pytest.skip(f"../shared not found at {SHARED}: real corpus, samples and datasets are unavailable")
    return SHARED


@pytest.fixture(scope="session")
def corpus_dir(shared_dir: Path) -> Path:
    return shared_dir / "corpus"


@pytest.fixture(scope="session")
def paper_pdf(corpus_dir: Path) -> Path:
    """arXiv 2005.13013v1, the paper the replication harness re-runs."""
    return corpus_dir / "2005.13013v1.pdf"


@pytest.fixture(scope="session")
def corpus_index(corpus_dir: Path) -> dict:
    return json.loads((corpus_dir / "index.json").read_text())


@pytest.fixture()
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh, empty assay home for one test (also exported as ASSAY_HOME, offline by default)."""
    h = tmp_path / "home"
    monkeypatch.setenv("ASSAY_HOME", str(h))
    monkeypatch.setenv("ASSAY_OFFLINE", "1")
    return h


@dataclass
class CliResult:
    code: int
    out: str
    err: str


@pytest.fixture()
def assay(capsys: pytest.CaptureFixture[str]):
    """Run the `assay` CLI in-process: ``assay("papers", "--json")`` returns a CliResult with the exit code."""
    from reports.cli import main

    def run(*args: str) -> CliResult:
        capsys.readouterr()
        try:
            main([str(a) for a in args])
            code = 0
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 2)
        captured = capsys.readouterr()
        return CliResult(code, captured.out, captured.err)

    return run


@pytest.fixture(scope="session")
def corpus_home(tmp_path_factory: pytest.TempPathFactory, corpus_dir: Path, corpus_index: dict) -> Path:
    """An assay home with all corpus PDFs ingested once per session (read-only for tests: copy before writing)."""
    from synthesis.ingest import ingest_corpus_entry
    from synthesis.settings import load_settings
    from synthesis.store import Store

    h = tmp_path_factory.mktemp("corpus_home")
    settings = load_settings(h, offline=True)
    with Store(settings.db_path) as store:
        for entry in corpus_index["papers"]:
            ingest_corpus_entry(store, settings, corpus_dir, entry)
    return h


@pytest.fixture(scope="session")
def corpus_store(corpus_home: Path):
    """A Store over the session's ingested corpus (do not write to it)."""
    from synthesis.store import Store

    store = Store(corpus_home / "assay.sqlite3")
    yield store
    store.close()
