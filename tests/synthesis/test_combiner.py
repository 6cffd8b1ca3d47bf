"""The combiner: one model per evidence mode, the near-verbatim rule in retrieval mode, penalty and temperature fit."""

from __future__ import annotations

import numpy as np

from synthesis.combiner import FEATURES, L2_GRID, LABELS, default_params, fit, for_mode, predict, rival_only


def _rows(n: int, seed: int = 0) -> tuple[list[dict], list[str]]:
    """Synthetic rows whose label follows the cross-encoder's margin (noisy), a fifth near-verbatim and supported."""
    rng = np.random.default_rng(seed)
    rows, labels = [], []
    for i in range(n):
        k = i % 3
        sup, ref = (0.8, 0.1) if k == 0 else ((0.1, 0.8) if k == 1 else (0.2, 0.2))
        r = {f: 0.0 for f in FEATURES}
        r.update(
            ce_sup=sup + rng.normal(0, 0.1),
            ce_ref=ref + rng.normal(0, 0.1),
            ce_nei=1 - sup - ref,
            near_verbatim=1.0 if (k == 0 and i % 5 == 0) else 0.0,
        )
        rows.append(r)
        labels.append(LABELS[k])
    return rows, labels


def test_fit_learns_the_signal_and_reports_its_fold_figures():
    rows, labels = _rows(300)
    params = fit(rows, labels)
    assert params["oof_accuracy"] > 0.9 and params["n"] == 300 and params["l2"] == 30.0
    assert 0 < params["near_verbatim_support"] <= 1
    auto = fit(rows, labels, l2=None)
    assert auto["l2"] in L2_GRID


def test_near_verbatim_decides_supported_in_retrieval_mode_only():
    rows, labels = _rows(300)
    one = fit(rows, labels)
    params = {"inline": one, "retrieval": dict(one, near_verbatim_support=0.9)}
    against = {f: 0.0 for f in FEATURES} | {"ce_sup": 0.05, "ce_ref": 0.95, "near_verbatim": 1.0}
    p_ret = predict(params, against, "retrieval")
    p_inl = predict(params, against, "inline")
    assert abs(p_ret.sum() - 1) < 1e-9 and abs(p_inl.sum() - 1) < 1e-9
    assert p_ret[0] == 0.9 and p_ret.argmax() == 0  # the paper states it word for word
    assert p_inl.argmax() == 1  # inline evidence: the learned weights alone
    without = dict(against, near_verbatim=0.0)
    assert predict(params, without, "retrieval").argmax() == 1


def test_a_rival_number_or_name_refutes_in_retrieval_mode_unless_a_sentence_states_the_claim():
    """The only passages the model reads as stating the claim give its number otherwise: refuted at the measured
    rate; a clean supporting passage, or a near-verbatim sentence, keeps the learned weights or the support rule."""
    rows, labels = _rows(300)
    one = fit(rows, labels)
    assert 0 < one["rival_refutes"] <= 1 and one["rival_rows"] >= 0
    params = {"inline": one, "retrieval": dict(one, rival_refutes=0.9, near_verbatim_support=0.85)}
    rival = {f: 0.0 for f in FEATURES} | {"ce_sup": 0.97, "ce_num_conflict": 0.97, "ce_sup_clean": 0.1}
    p = predict(params, rival, "retrieval")
    assert p[1] == 0.9 and abs(p.sum() - 1) < 1e-9
    assert predict(params, rival, "inline")[1] != 0.9
    assert predict(params, dict(rival, ce_sup_clean=0.9), "retrieval")[1] != 0.9
    assert predict(params, dict(rival, near_verbatim=1.0), "retrieval")[0] == 0.85
    assert not rival_only({"ce_ent_conflict": 0.4, "ce_sup_clean": 0.0})


def test_one_model_files_serve_both_modes_and_the_shipped_file_has_both():
    rows, labels = _rows(90)
    one = fit(rows, labels)
    assert for_mode(one, "retrieval") is one and for_mode(one, "inline") is one
    shipped = default_params()
    assert shipped is not None and {"inline", "retrieval"} <= set(shipped)
    for mode in ("inline", "retrieval"):
        m = for_mode(shipped, mode)
        assert m["features"] == list(FEATURES) and m["oof_ece"] < 0.06
