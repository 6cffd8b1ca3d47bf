"""Calibration: the fitter, the metrics' definitions, generated data, and the shipped default parameters."""

from __future__ import annotations

import json
import random
from importlib import resources

import numpy as np
import pytest

from synthesis.calibrate import calibrate, generate_examples
from synthesis.calibration import (
    FEATURES,
    fit_from_outcomes,
    fit_logistic,
    load_calibration,
    probability,
    save_calibration,
)
from synthesis.evaluation import ece, f1_scores, reliability, score
from synthesis.settings import load_settings
from synthesis.store import Store


def test_logistic_fit_is_calibrated_on_its_own_distribution():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(4000, 2))
    p = 1 / (1 + np.exp(-(1.5 * x[:, 0] - 0.5)))
    y = (rng.random(4000) < p).astype(float)
    m = fit_logistic(x, y, l2=0.1)
    xs = (x - np.array(m["mean"])) / np.array(m["scale"])
    q = 1 / (1 + np.exp(-(xs @ np.array(m["w"]) + m["b"])))
    assert ece(list(q), list(y.astype(bool))) < 0.03
    assert abs(m["w"][0] * 1 / m["scale"][0] - 1.5) < 0.2


def test_probability_uses_the_label_and_mode_models():
    outcomes = []
    r = random.Random(1)
    for _ in range(400):
        cov = r.random()
        correct = r.random() < cov
        outcomes.append(
            {
                "mode": "lexical",
                "label": "supported",
                "correct": correct,
                "features": {"support_cov": cov, "top_cov": cov},
            }
        )
    params = fit_from_outcomes(outcomes)
    lo = probability(params, "supported", {"support_cov": 0.1, "top_cov": 0.1}, has_emb=False)
    hi = probability(params, "supported", {"support_cov": 0.95, "top_cov": 0.95}, has_emb=False)
    assert lo < 0.3 < 0.8 < hi
    # No embedding-mode model: the lexical one answers; no features (degenerate input): near-certain.
    assert probability(params, "supported", {"support_cov": 0.95, "top_cov": 0.95}, has_emb=True) == hi
    assert probability(params, "not_enough_info", None, has_emb=False) == 0.99


def test_ece_brier_macro_f1_worked_example():
    # Four verdicts: confidences 0.9, 0.9 (one right, one wrong) and 0.6, 0.6 (both right).
    conf, correct = [0.9, 0.9, 0.6, 0.6], [True, False, True, True]
    # bins 0.9-1.0: acc 0.5, conf 0.9 -> |0.4| * 2/4 ; bin 0.6-0.7: acc 1.0, conf 0.6 -> |0.4| * 2/4
    assert ece(conf, correct) == pytest.approx(0.4)
    rows = [r for r in reliability(conf, correct) if r["count"]]
    assert [(r["bin"], r["count"]) for r in rows] == [("0.6-0.7", 2), ("0.9-1.0", 2)]
    verdicts = [
        {"label": lab, "confidence": c}
        for lab, c in zip(["supported", "supported", "refuted", "not_enough_info"], conf, strict=True)
    ]
    m = score(["supported", "refuted", "refuted", "not_enough_info"], verdicts)
    assert m["accuracy"] == 0.75
    assert m["brier"] == pytest.approx((0.01 + 0.81 + 0.16 + 0.16) / 4)
    assert m["f1"] == pytest.approx({"supported": 2 / 3, "refuted": 2 / 3, "not_enough_info": 1.0})
    assert m["macro_f1"] == pytest.approx((2 / 3 + 2 / 3 + 1) / 3)
    assert f1_scores(["a"], ["a"], ("a", "b")) == {"a": 1.0}


def test_two_way_counts_nei_as_refuted():
    verdicts = [{"label": "not_enough_info", "confidence": 0.7}, {"label": "supported", "confidence": 0.8}]
    m = score(["REFUTED", "SUPPORTED"], verdicts, two_way=True)
    assert m["accuracy"] == 1.0 and m["nei_predictions"] == 1 and set(m["f1"]) == {"supported", "refuted"}


def test_generated_examples_cover_every_kind(corpus_store):
    ids = ["2005.13013v1"] + [
        p for (p,) in corpus_store.query("SELECT id FROM papers WHERE id != '2005.13013v1'")
    ]
    ex = generate_examples(corpus_store, ids, per_paper=15, seed=3)
    kinds = {e["kind"] for e in ex}
    assert {"true", "paraphrase", "number", "entity", "negation", "other-paper", "drift"} <= kinds
    labels = {e["kind"]: e["label"] for e in ex}
    assert labels["number"] == labels["entity"] == labels["negation"] == "refuted"
    assert labels["other-paper"] == "not_enough_info" and labels["true"] == "supported"
    for e in ex:
        if e["kind"] == "number":
            src = next(x for x in ex if x["id"] == e["id"].rsplit("-", 1)[0] + "-true")
            assert src["text"] != e["text"]
    assert generate_examples(corpus_store, ids, per_paper=15, seed=3) == ex  # deterministic


def test_calibrate_and_store_round_trip(corpus_store, tmp_path):
    settings = load_settings(tmp_path / "h", offline=True, embedding_model="none", verifier_model="none")
    params = calibrate(corpus_store, settings, ["2005.13013v1"], per_paper=12, embeddings=False)
    assert params["data"]["generated_examples"] > 20 and params["data"]["modes"] == ["lexical"]
    assert set(params["models"]["lexical"]) <= {"supported", "refuted", "not_enough_info"}
    store = Store(tmp_path / "own.sqlite3")
    assert load_calibration(store)["name"] == "verifier"  # the shipped default
    save_calibration(store, params)
    assert load_calibration(store)["created"] == params["created"]


def test_shipped_default_records_its_provenance():
    data = json.loads(resources.files("synthesis").joinpath("data/calibration.json").read_text())
    assert data["tool_version"] and data["created"]
    assert data["data"]["produced_by"].startswith("python -m synthesis.calibration")
    assert data["data"]["gold_examples"] == 0  # never fitted on the gold test set
    assert set(data["features"]) == set(FEATURES)
    assert {"lexical", "embedding"} <= set(data["models"])
