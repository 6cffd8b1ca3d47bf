"""Calibrated confidence for verdicts: the probability that the verifier's label is right.

The verifier picks a label by rules; this module maps its decision features to P(label is right) with one small
logistic regression per label (and per retrieval mode: lexical only, or with embeddings), fitted on data the tool
can always make from ingested papers -- true sentences and light paraphrases (supported), the same sentences with a
number changed, an entity swapped or the polarity flipped (refuted), and sentences from other papers
(not_enough_info) -- plus any labelled set given to ``assay calibrate --from GOLD.jsonl``.

Parameters live in the store's ``calibrations`` table (name "verifier"); the package ships defaults in
``synthesis/data/calibration.json``, made by ``python -m synthesis.calibrate --fit``. This module applies and fits
the model; :mod:`synthesis.calibrate` makes the data by running the verifier (so the verifier can use this module
without importing itself back).
"""

from __future__ import annotations

import json
import math
from importlib import resources
from typing import TYPE_CHECKING

import numpy as np

from synthesis.store_cache import calibration_params, save_calibration_params

if TYPE_CHECKING:
    from synthesis.store import Store

LABELS = ("supported", "refuted", "not_enough_info")
FEATURES = (
    "support_cov",
    "conflict_cov",
    "top_cov",
    "top_emb",
    "has_numbers",
    "nums_matched",
    "ents_missing",
    "n_conflicts",
    "conflict_number",
    "conflict_entity",
    "conflict_polarity",
    "conflict_scope",
    "claim_words",
)
CALIBRATION_NAME = "verifier"
DEGENERATE_CONFIDENCE = 0.99  # an empty claim or a paper with no text: "not enough info" is certainly right


# ----------------------------------------------------------------------------------------------------------------
# Applying a calibration


def default_calibration() -> dict:
    """The parameters shipped with the package (or a neutral fallback when the file is missing)."""
    try:
        text = resources.files("synthesis").joinpath("data/calibration.json").read_text(encoding="utf-8")
        return json.loads(text)
    except (FileNotFoundError, OSError, json.JSONDecodeError):
        return {
            "name": "fallback",
            "models": {},
            "prior": {"supported": 0.8, "refuted": 0.7, "not_enough_info": 0.6},
        }


def load_calibration(store: Store | None) -> dict:
    """The calibration in force: the store's own (from `assay calibrate`) or the shipped default."""
    if store is not None:
        try:
            params = calibration_params(store, CALIBRATION_NAME)
        except Exception:  # noqa: BLE001 - a store without the table is just uncalibrated
            params = None
        if params is not None:
            return json.loads(params)
    return default_calibration()


def save_calibration(store: Store, params: dict) -> None:
    save_calibration_params(store, CALIBRATION_NAME, json.dumps(params, sort_keys=True))


def _vector(features: dict, names: tuple[str, ...] = FEATURES) -> np.ndarray:
    return np.array([float(features.get(n, 0.0)) for n in names], dtype=np.float64)


def probability(calib: dict, label: str, features: dict | None, *, has_emb: bool) -> float:
    """P(label is right | features) under the calibration; degenerate inputs (no features) get 0.99."""
    if features is None:
        return DEGENERATE_CONFIDENCE
    mode = "embedding" if has_emb else "lexical"
    models = calib.get("models", {})
    m = models.get(mode, {}).get(label) or models.get("lexical", {}).get(label)
    if not m:
        return float(calib.get("prior", {}).get(label, 0.7))
    names = tuple(m.get("features", FEATURES))
    x = (_vector(features, names) - np.array(m["mean"])) / np.array(m["scale"])
    z = float(x @ np.array(m["w"]) + m["b"])
    p = 1 / (1 + math.exp(-max(-30.0, min(30.0, z))))
    return float(min(0.995, max(0.005, p)))


# ----------------------------------------------------------------------------------------------------------------
# Fitting


def fit_logistic(x: np.ndarray, y: np.ndarray, l2: float = 1.0, iters: int = 50) -> dict:
    """L2-regularised logistic regression by Newton's method on standardised features."""
    mean = x.mean(axis=0) if len(x) else np.zeros(x.shape[1])
    scale = x.std(axis=0) if len(x) else np.ones(x.shape[1])
    scale[scale < 1e-6] = 1.0
    xs = (x - mean) / scale
    n, d = xs.shape
    xb = np.hstack([xs, np.ones((n, 1))])
    w = np.zeros(d + 1)
    reg = np.full(d + 1, l2)
    reg[-1] = 1e-6
    for _ in range(iters):
        p = 1 / (1 + np.exp(-np.clip(xb @ w, -30, 30)))
        grad = xb.T @ (p - y) + reg * w
        hess = (xb * (p * (1 - p))[:, None]).T @ xb + np.diag(reg)
        step = np.linalg.solve(hess, grad)
        w -= step
        if np.abs(step).max() < 1e-8:
            break
    return {
        "w": w[:-1].tolist(),
        "b": float(w[-1]),
        "mean": mean.tolist(),
        "scale": scale.tolist(),
        "features": list(FEATURES),
        "n": int(n),
        "accuracy": float(y.mean()) if n else None,
    }


def fit_from_outcomes(outcomes: list[dict]) -> dict:
    """Per-mode, per-label models from verifier outcomes {mode, label (predicted), correct, features}."""
    models: dict[str, dict] = {}
    prior: dict[str, float] = {}
    for mode in ("lexical", "embedding"):
        for label in LABELS:
            rows = [o for o in outcomes if o["mode"] == mode and o["label"] == label]
            if len(rows) < 8 or len({o["correct"] for o in rows}) < 2:
                if rows:
                    models.setdefault(mode, {})[label] = {
                        "w": [0.0] * len(FEATURES),
                        "mean": [0.0] * len(FEATURES),
                        "scale": [1.0] * len(FEATURES),
                        "features": list(FEATURES),
                        "n": len(rows),
                        "b": _logit((sum(o["correct"] for o in rows) + 1) / (len(rows) + 2)),
                    }
                continue
            x = np.stack([_vector(o["features"]) for o in rows])
            y = np.array([1.0 if o["correct"] else 0.0 for o in rows])
            # Few examples of the minority outcome cannot support large weights: regularise in proportion, so
            # that a feature seen with three errors does not drive a confident verdict to 0.01.
            minority = int(min(y.sum(), len(y) - y.sum()))
            models.setdefault(mode, {})[label] = fit_logistic(x, y, l2=max(1.0, 200.0 / max(1, minority)))
        for label in LABELS:
            rows = [o for o in outcomes if o["label"] == label]
            if rows:
                prior[label] = sum(o["correct"] for o in rows) / len(rows)
    return {"models": models, "prior": prior}


def _logit(p: float) -> float:
    p = min(0.999, max(0.001, p))
    return math.log(p / (1 - p))
