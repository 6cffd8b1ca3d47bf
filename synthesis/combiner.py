"""The learned decision: a small multinomial logistic regression over the rule features and the cross-encoder's
probabilities gives P(supported, refuted, not_enough_info); a temperature fitted on held-out folds calibrates it.

Fitted by :func:`fit` on claims the cross-encoder never trained on (the share of the training sets held back in
:mod:`synthesis.verifier_data`), with out-of-fold predictions for the temperature, so a reported 0.9 should be right
nine times in ten on data like those. Parameters are plain JSON (``synthesis/data/combiner.json``).
"""

from __future__ import annotations

import json
import math
from importlib import resources
from pathlib import Path

import numpy as np

LABELS = ("supported", "refuted", "not_enough_info")
CE_FEATURES = ("ce_sup", "ce_ref", "ce_nei", "ce_sup_logit", "ce_ref_logit", "ce_margin")
RULE_FEATURES = (
    "support_cov",
    "conflict_cov",
    "top_cov",
    "has_numbers",
    "nums_matched",
    "ents_missing",
    "n_conflicts",
    "conflict_number",
    "conflict_entity",
    "conflict_polarity",
    "conflict_swap",
    "conflict_scope",
    "claim_words",
    "rule_supported",
    "rule_refuted",
    "near_verbatim",
)
FEATURES = CE_FEATURES + RULE_FEATURES
L2 = 1.0  # ridge penalty on standardised features
FOLDS = 5


def _logit(p: float) -> float:
    p = min(1 - 1e-4, max(1e-4, p))
    return math.log(p / (1 - p))


def ce_features(sup: float, ref: float, nei: float) -> dict[str, float]:
    """Features of the cross-encoder's reading of the best evidence."""
    return {
        "ce_sup": sup,
        "ce_ref": ref,
        "ce_nei": nei,
        "ce_sup_logit": _logit(sup),
        "ce_ref_logit": _logit(ref),
        "ce_margin": sup - ref,
    }


def vector(features: dict[str, float], names: tuple[str, ...] = FEATURES) -> np.ndarray:
    return np.array([float(features.get(n, 0.0)) for n in names], dtype=np.float64)


def _softmax(z: np.ndarray) -> np.ndarray:
    z = z - z.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


def fit_softmax(x: np.ndarray, y: np.ndarray, l2: float = L2, iters: int = 300) -> dict:
    """Multinomial logistic regression on standardised features (L-BFGS-free: plain gradient descent with
    momentum, enough for ~20 features)."""
    mean = x.mean(axis=0)
    scale = x.std(axis=0)
    scale[scale < 1e-6] = 1.0
    xs = (x - mean) / scale
    n, d = xs.shape
    w = np.zeros((d, 3))
    b = np.zeros(3)
    onehot = np.eye(3)[y]
    vw, vb = np.zeros_like(w), np.zeros_like(b)
    lr = 0.5
    for _ in range(iters):
        p = _softmax(xs @ w + b)
        gw = xs.T @ (p - onehot) / n + l2 * w / n
        gb = (p - onehot).mean(axis=0)
        vw = 0.9 * vw + gw
        vb = 0.9 * vb + gb
        w -= lr * vw
        b -= lr * vb
    return {"w": w.tolist(), "b": b.tolist(), "mean": mean.tolist(), "scale": scale.tolist()}


def logits(model: dict, x: np.ndarray) -> np.ndarray:
    xs = (x - np.array(model["mean"])) / np.array(model["scale"])
    return xs @ np.array(model["w"]) + np.array(model["b"])


def fit_temperature(z: np.ndarray, y: np.ndarray) -> float:
    """The temperature minimising the negative log-likelihood of out-of-fold logits (grid then refine)."""

    def nll(t: float) -> float:
        p = _softmax(z / t)
        return float(-np.log(np.clip(p[np.arange(len(y)), y], 1e-12, 1)).mean())

    grid = np.exp(np.linspace(math.log(0.3), math.log(5.0), 60))
    best = min(grid, key=nll)
    for step in (0.05, 0.01):
        best = min(np.arange(best * (1 - 5 * step), best * (1 + 5 * step), best * step), key=nll)
    return float(best)


def fit(rows: list[dict], labels: list[str], *, seed: int = 13, l2: float = L2) -> dict:
    """Combiner parameters from feature dicts and gold labels: out-of-fold logits fix the temperature, the final
    model is fitted on everything."""
    x = np.stack([vector(r) for r in rows])
    y = np.array([LABELS.index(lab) for lab in labels])
    rng = np.random.default_rng(seed)
    fold = rng.integers(0, FOLDS, len(y))
    oof = np.zeros((len(y), 3))
    for k in range(FOLDS):
        tr, te = fold != k, fold == k
        if te.any() and tr.any():
            oof[te] = logits(fit_softmax(x[tr], y[tr], l2=l2), x[te])
    t = fit_temperature(oof, y)
    model = fit_softmax(x, y, l2=l2)
    p = _softmax(oof / t)
    conf = p.max(axis=1)
    correct = p.argmax(axis=1) == y
    from synthesis.evaluation import ece

    return dict(
        model,
        temperature=t,
        features=list(FEATURES),
        n=int(len(y)),
        oof_accuracy=round(float(correct.mean()), 4),
        oof_ece=round(ece(conf.tolist(), correct.tolist()), 4),
        counts={lab: int((y == i).sum()) for i, lab in enumerate(LABELS)},
    )


def predict(params: dict, features: dict[str, float]) -> np.ndarray:
    """Calibrated (supported, refuted, not_enough_info) probabilities for one claim's features."""
    names = tuple(params.get("features", FEATURES))
    z = logits(params, vector(features, names)[None, :])
    return _softmax(z / float(params.get("temperature", 1.0)))[0]


def default_params() -> dict | None:
    """The combiner shipped with the package, or None (the verifier then uses the cross-encoder alone)."""
    try:
        text = resources.files("synthesis").joinpath("data/combiner.json").read_text(encoding="utf-8")
    except (FileNotFoundError, OSError):
        return None
    return json.loads(text)


def save(params: dict, path: Path) -> None:
    path.write_text(json.dumps(params, indent=1, sort_keys=True) + "\n", encoding="utf-8")
