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
CE_FEATURES = (
    "ce_sup",
    "ce_ref",
    "ce_nei",
    "ce_sup_logit",
    "ce_ref_logit",
    "ce_margin",
    "ce_sup_top",
    "ce_ref_top",
    "ce_ref_window",
    "ce_sup_clean",
    "ce_num_conflict",
    "ce_ent_conflict",
)
MODES = ("inline", "retrieval")  # evidence given with the claim / found by retrieval in the stored papers
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


def ce_features(
    sup: float, ref: float, nei: float, sup_top: float | None = None, ref_top: float | None = None
) -> dict[str, float]:
    """Features of the cross-encoder's reading: the strongest support and conflict over the candidates, and its
    reading of the passage retrieval ranked first (``*_top``; a maximum over many passages alone is noisy)."""
    return {
        "ce_sup_top": sup if sup_top is None else sup_top,
        "ce_ref_top": ref if ref_top is None else ref_top,
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


def class_weights(y: np.ndarray) -> np.ndarray:
    """Per-row weights that give each label the same total weight (a uniform label prior)."""
    counts = np.bincount(y, minlength=3).astype(np.float64)
    present = counts > 0
    w = np.zeros(3)
    w[present] = len(y) / (present.sum() * counts[present])
    return w[y]


def fit_softmax(
    x: np.ndarray, y: np.ndarray, l2: float = L2, iters: int = 300, weights: np.ndarray | None = None
) -> dict:
    """Multinomial logistic regression on standardised features (L-BFGS-free: plain gradient descent with
    momentum, enough for ~30 features); ``weights`` per row (mean 1), e.g. :func:`class_weights`."""
    mean = x.mean(axis=0)
    scale = x.std(axis=0)
    scale[scale < 1e-6] = 1.0
    xs = (x - mean) / scale
    n, d = xs.shape
    sw = np.ones(n) if weights is None else np.asarray(weights, dtype=np.float64)
    w = np.zeros((d, 3))
    b = np.zeros(3)
    onehot = np.eye(3)[y]
    vw, vb = np.zeros_like(w), np.zeros_like(b)
    lr = 0.5
    for _ in range(iters):
        p = _softmax(xs @ w + b)
        err = (p - onehot) * sw[:, None]
        gw = xs.T @ err / n + l2 * w / n
        gb = err.mean(axis=0)
        vw = 0.9 * vw + gw
        vb = 0.9 * vb + gb
        w -= lr * vw
        b -= lr * vb
    return {"w": w.tolist(), "b": b.tolist(), "mean": mean.tolist(), "scale": scale.tolist()}


def logits(model: dict, x: np.ndarray) -> np.ndarray:
    xs = (x - np.array(model["mean"])) / np.array(model["scale"])
    return xs @ np.array(model["w"]) + np.array(model["b"])


def fit_temperature(z: np.ndarray, y: np.ndarray, weights: np.ndarray | None = None) -> float:
    """The temperature minimising the (row-weighted) negative log-likelihood of out-of-fold logits (grid then
    refine)."""
    sw = np.ones(len(y)) if weights is None else weights

    def nll(t: float) -> float:
        p = _softmax(z / t)
        return float(-(np.log(np.clip(p[np.arange(len(y)), y], 1e-12, 1)) * sw).mean())

    grid = np.exp(np.linspace(math.log(0.3), math.log(5.0), 60))
    best = min(grid, key=nll)
    for step in (0.05, 0.01):
        best = min(np.arange(best * (1 - 5 * step), best * (1 + 5 * step), best * step), key=nll)
    return float(best)


L2_GRID = (0.3, 1.0, 3.0, 10.0, 30.0, 100.0)
L2_DEFAULT = 30.0


def _oof_logits(
    x: np.ndarray, y: np.ndarray, fold: np.ndarray, l2: float, sw: np.ndarray | None = None
) -> np.ndarray:
    oof = np.zeros((len(y), 3))
    for k in range(FOLDS):
        tr, te = fold != k, fold == k
        if te.any() and tr.any():
            w = None if sw is None else sw[tr] / sw[tr].mean()
            oof[te] = logits(fit_softmax(x[tr], y[tr], l2=l2, weights=w), x[te])
    return oof


def _nll(z: np.ndarray, y: np.ndarray, sw: np.ndarray | None = None) -> float:
    p = _softmax(z)
    ll = np.log(np.clip(p[np.arange(len(y)), y], 1e-12, 1))
    return float(-(ll if sw is None else ll * sw).mean())


def fit(
    rows: list[dict],
    labels: list[str],
    *,
    seed: int = 13,
    l2: float | None = L2_DEFAULT,
    balanced: bool = False,
) -> dict:
    """Combiner parameters from feature dicts and gold labels: out-of-fold logits fix the temperature, the final
    model is fitted on everything. ``l2=None`` picks the ridge penalty of :data:`L2_GRID` with the best out-of-fold
    log-loss (on the small retrieval set it picks a weak penalty that fits its easy off-topic rows and reads real
    claims worse, so the shipped model keeps the default). ``balanced`` weighs the labels equally, for fitting
    rows whose label mix is an artefact of how they were made (generated edits outnumber the true sentences)."""
    x = np.stack([vector(r) for r in rows])
    y = np.array([LABELS.index(lab) for lab in labels])
    sw = class_weights(y) if balanced else None
    rng = np.random.default_rng(seed)
    fold = rng.integers(0, FOLDS, len(y))
    if l2 is None:
        l2 = min(L2_GRID, key=lambda c: _nll(_oof_logits(x, y, fold, c, sw), y, sw))
    oof = _oof_logits(x, y, fold, l2, sw)
    t = fit_temperature(oof, y, sw)
    model = fit_softmax(x, y, l2=l2, weights=sw)
    p = _softmax(oof / t)
    conf = p.max(axis=1)
    correct = p.argmax(axis=1) == y
    from synthesis.evaluation import ece

    nv = x[:, FEATURES.index("near_verbatim")] > 0.5
    rv = np.array([rival_only(r) for r in rows]) & ~nv
    return dict(
        model,
        # P(supported | a sentence states the claim word for word, nothing conflicting), Laplace-smoothed
        near_verbatim_support=round(float(((y[nv] == 0).sum() + 1) / (nv.sum() + 2)), 4),
        # P(refuted | the only passages read as stating the claim give its number or name otherwise)
        rival_refutes=round(float(((y[rv] == 1).sum() + 1) / (rv.sum() + 2)), 4),
        rival_rows=int(rv.sum()),
        temperature=t,
        l2=l2,
        balanced=balanced,
        features=list(FEATURES),
        n=int(len(y)),
        oof_accuracy=round(float(correct.mean()), 4),
        oof_ece=round(ece(conf.tolist(), correct.tolist()), 4),
        counts={lab: int((y == i).sum()) for i, lab in enumerate(LABELS)},
    )


def for_mode(params: dict, mode: str) -> dict:
    """The parameters for one evidence mode: a file holds one model per mode (``{"inline": .., "retrieval": ..}``),
    because evidence handed over with a claim and evidence retrieved from a whole paper behave differently (the
    strongest of a dozen retrieved readings is often a false 'supported'); an older one-model file serves both."""
    if mode in params and isinstance(params[mode], dict):
        return params[mode]
    return params.get("inline", params) if isinstance(params.get("inline"), dict) else params


RIVAL_READ = 0.5  # the model reads a passage as stating the claim ...
CLEAN_READ = 0.5  # ... and reads no passage without a changed number or name as support


def rival_only(features: dict[str, float]) -> bool:
    """The passages the cross-encoder reads as stating the claim all give one of its numbers or names otherwise."""
    rival = max(features.get("ce_num_conflict", 0.0), features.get("ce_ent_conflict", 0.0))
    return rival >= RIVAL_READ and features.get("ce_sup_clean", 1.0) < CLEAN_READ


def predict(params: dict, features: dict[str, float], mode: str = "inline") -> np.ndarray:
    """Calibrated (supported, refuted, not_enough_info) probabilities for one claim's features.

    Two rules stand above the learned weights when evidence was retrieved from a paper, each at the rate measured
    on the fitting rows (a linear model cannot express either conjunction):
    - a sentence of the paper states the claim almost word for word and nothing in it conflicts: supported
      (whatever another passage or the cross-encoder's reading of a negation says);
    - else, the only passages the cross-encoder reads as stating the claim give one of its numbers or names
      otherwise ("a mean gain of 9.1 points" where the paper says 6.1): refuted."""
    params = for_mode(params, mode)
    if mode == "retrieval" and features.get("near_verbatim", 0.0) > 0.5 and "near_verbatim_support" in params:
        return _decided(params, features, 0, float(params["near_verbatim_support"]))
    if mode == "retrieval" and "rival_refutes" in params and rival_only(features):
        return _decided(params, features, 1, float(params["rival_refutes"]))
    return _learned(params, features)


def _learned(params: dict, features: dict[str, float]) -> np.ndarray:
    names = tuple(params.get("features", FEATURES))
    z = logits(params, vector(features, names)[None, :])
    return _softmax(z / float(params.get("temperature", 1.0)))[0]


def _decided(params: dict, features: dict[str, float], k: int, q: float) -> np.ndarray:
    """Label ``k`` at probability ``q``; the other two share the rest as the learned weights divide it."""
    p = _learned(params, features)
    rest = np.delete(p, k)
    rest = rest / rest.sum() * (1.0 - q)
    return np.insert(rest, k, q)


def default_params() -> dict | None:
    """The combiner shipped with the package, or None (the verifier then uses the cross-encoder alone)."""
    try:
        text = resources.files("synthesis").joinpath("data/combiner.json").read_text(encoding="utf-8")
    except (FileNotFoundError, OSError):
        return None
    return json.loads(text)


def save(params: dict, path: Path) -> None:
    path.write_text(json.dumps(params, indent=1, sort_keys=True) + "\n", encoding="utf-8")
