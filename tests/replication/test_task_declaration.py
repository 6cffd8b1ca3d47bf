"""A task is ONE declaration: a toy task declared here (and nowhere else) loads from local files in its own format,
trains a tiny model and is scored, through the same code paths as the paper's tasks."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest

from replication import data
from replication.errors import MissingData, ReplicationError
from replication.tasks import (
    Format,
    LocalFiles,
    PairExample,
    TaskSpec,
    get_task,
    layout,
    register_task,
)
from replication.tasks.registry import unregister_task

NOUNS = ["dog", "cat", "bird", "horse", "fox", "cow"]
VERBS = ["sees", "likes", "finds", "chases"]
SIZES = {"train": 32, "dev": 8, "test": 12}


def read_toy_tsv(groups: list[list[Path]], lang: str) -> list[PairExample]:
    """The toy format: ``id<TAB>sentence<TAB>word<TAB>label`` per line; label 1 when the word is the subject."""
    out = []
    for path in (p for g in groups for p in g):
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            cols = line.split("\t")
            if len(cols) != 4:
                raise ReplicationError(f"{path}:{n}: expected 4 tab-separated columns")
            out.append(PairExample(cols[0], cols[1], cols[2], int(cols[3])))
    return out


# The whole task: format, labels, metric, languages, splits, its files and their parser.
TOY_SUBJECT = TaskSpec(
    name="toy_subject", aliases=("toy subject",), role="target", format=Format.PAIR_CLASSIFICATION,
    labels=("other", "subject"), metrics=("accuracy",), languages=("en", "xx"), splits=("train", "dev", "test"),
    local=LocalFiles("toy_tsv", layout("toy_subject/{lang}/{split}.tsv"), read_toy_tsv),
    notes="Is the word the sentence's subject? 'xx' is English with every word reversed.",
)  # fmt: skip


def _word(w: str, lang: str) -> str:
    return w if lang == "en" else w[::-1]


def _rows(split: str, lang: str) -> list[str]:
    rng = random.Random(f"{split}-{lang}")
    rows = []
    for i in range(SIZES[split]):
        a, b = rng.sample(NOUNS, 2)
        label = rng.randrange(2)
        words = ["the", a, rng.choice(VERBS), "the", b]
        rows.append("\t".join([f"{split}-{lang}-{i}", " ".join(_word(w, lang) for w in words),
                               _word(a if label else b, lang), str(label)]))  # fmt: skip
    return rows


def _write_data(root: Path) -> Path:
    for split, langs in (("train", ("en",)), ("dev", ("en",)), ("test", ("en", "xx"))):
        for lang in langs:
            path = root / "toy_subject" / lang / f"{split}.tsv"
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text("\n".join(_rows(split, lang)) + "\n", encoding="utf-8")
    return root


@pytest.fixture
def declared():
    register_task(TOY_SUBJECT)
    yield TOY_SUBJECT
    unregister_task(TOY_SUBJECT.name)


def test_data_loading_reads_the_declared_files_with_the_declared_parser(declared, tmp_path):
    root = _write_data(tmp_path / "data")
    assert get_task("Toy-Subject") is declared
    assert data.expected_files("toy subject", "test", "xx") == [["toy_subject/xx/test.tsv"]]
    test_xx = data.load_split("toy_subject", "test", "xx", data_dir=root, offline=True)
    assert len(test_xx) == SIZES["test"] and test_xx[0].id == "test-xx-0"
    assert all(isinstance(e, PairExample) and e.label in (0, 1) for e in test_xx)
    assert len(data.load_split("toy_subject", "train", data_dir=root, offline=True, limit=5)) == 5
    # the registry's guards apply to a declared task as to the paper's
    with pytest.raises(ReplicationError, match="'en' only"):
        data.load_split("toy_subject", "train", "xx", data_dir=root, offline=True)
    with pytest.raises(MissingData, match=r"toy_subject/xx/dev\.tsv"):
        data.load_split("toy_subject", "dev", "xx", data_dir=root, offline=True)
    assert declared.to_dict()["local_format"] == "toy_tsv"
    json.dumps(declared.to_dict())  # no reader leaks into cache keys or run configs


def test_a_declared_task_trains_and_is_scored_end_to_end(declared, tmp_path):
    pytest.importorskip("torch")
    import torch

    from replication.plan import parse_plan
    from replication.runner import run_plan
    from replication.tiny import build_tiny_model, build_tokenizer

    root = _write_data(tmp_path / "data")
    texts = [row.split("\t")[1] for split in SIZES for lang in ("en", "xx") for row in _rows(split, lang)]
    tok = build_tokenizer(texts, 120, tmp_path / "model")
    model = build_tiny_model(tok, tmp_path / "model", hidden=32, layers=2, heads=2, max_length=48)
    plan = parse_plan({
        "name": "declared", "base_model": str(model), "seeds": [1], "intermediate": ["none"],
        "targets": ["toy subject"], "data": {"dir": str(root)},
        "hyperparameters": {"batch_size": 8, "epochs": 1, "max_steps": 4, "learning_rate": 1e-3,
                            "max_seq_length": 32, "eval_every": 2, "eval_batch_size": 16},
    })  # fmt: skip
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        (rec,) = run_plan(plan, tmp_path / "runs")
    finally:
        torch.set_num_threads(threads)
    assert rec["target"] == "toy_subject" and set(rec["metrics"]) == {"en", "xx"}
    for lang in ("en", "xx"):
        m = rec["metrics"][lang]
        assert m["n"] == SIZES["test"] and 0.0 <= m["accuracy"] <= 100.0  # percent
    assert rec["dev"]["language"] == "en"
    run_dir = tmp_path / "runs" / rec["id"]
    preds = [json.loads(line) for line in (run_dir / rec["predictions"]).read_text().splitlines()]
    assert len(preds) == 2 * SIZES["test"] and {p["gold"] for p in preds} <= {"other", "subject"}
    # data read from files goes through the feature cache (in-memory sources do not)
    assert list((tmp_path / "runs" / "features").rglob("*.arrow"))
