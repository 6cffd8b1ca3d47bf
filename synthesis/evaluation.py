"""Scoring verdicts against gold labels: accuracy, macro-F1, Brier score, expected calibration error and a
reliability table.

Definitions (stated so numbers can be compared):

- macro-F1: the unweighted mean over the labels of per-label F1 (three labels: supported, refuted,
  not_enough_info; two for a two-way gold set such as COVID-Fact). A label absent from both gold and predictions
  is left out of the mean.
- Brier score: mean over claims of (confidence - correct)^2, where correct is 1 when the predicted label equals
  gold. It scores the confidence *of the predicted label*, the quantity verdicts report.
- ECE: 10 equal-width bins over [0, 1] of the confidence; ECE = sum over bins of (n_bin / n) *
  |accuracy_bin - mean confidence_bin|.
- Two-way gold sets (COVID-Fact: SUPPORTED / REFUTED): a not_enough_info prediction counts as "not supported",
  i.e. as REFUTED, for accuracy and F1 (reported separately as ``nei_predictions``); for calibration its
  correctness is whether REFUTED was the gold label.
"""

from __future__ import annotations

import json
from pathlib import Path

from synthesis.errors import AssayError

LABELS = ("supported", "refuted", "not_enough_info")
_GOLD_ALIASES = {
    "supported": "supported",
    "support": "supported",
    "supports": "supported",
    "true": "supported",
    "refuted": "refuted",
    "refute": "refuted",
    "contradict": "refuted",
    "contradicts": "refuted",
    "false": "refuted",
    "not_enough_info": "not_enough_info",
    "nei": "not_enough_info",
    "not enough info": "not_enough_info",
    "notenoughinfo": "not_enough_info",
}


def normalize_label(label: str) -> str:
    key = str(label).strip().lower().replace("-", "_")
    if key in _GOLD_ALIASES:
        return _GOLD_ALIASES[key]
    if key.replace("_", " ") in _GOLD_ALIASES:
        return _GOLD_ALIASES[key.replace("_", " ")]
    raise AssayError(f"unknown label {label!r}; use supported, refuted or not_enough_info")


def read_jsonl(path: Path | str, *, what: str = "line") -> list[dict]:
    """Objects of a JSONL file; a bad line is an AssayError naming its number."""
    p = Path(path)
    if not p.is_file():
        why = "is a folder" if p.is_dir() else "does not exist"
        raise AssayError(f"{p} {why}; give a JSONL file with one {what} per line")
    out = []
    with p.open(encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            if not line.strip():
                continue
            try:
                obj = json.loads(line)
            except json.JSONDecodeError as exc:
                raise AssayError(f"{p}:{n}: not valid JSON ({exc.msg}); fix or remove line {n}") from exc
            if not isinstance(obj, dict):
                raise AssayError(f"{p}:{n}: expected a JSON object, got {type(obj).__name__}")
            out.append(obj)
    return out


def f1_scores(gold: list[str], pred: list[str], labels: tuple[str, ...]) -> dict[str, float]:
    out = {}
    for lab in labels:
        tp = sum(1 for g, p in zip(gold, pred, strict=True) if g == lab and p == lab)
        fp = sum(1 for g, p in zip(gold, pred, strict=True) if g != lab and p == lab)
        fn = sum(1 for g, p in zip(gold, pred, strict=True) if g == lab and p != lab)
        if tp + fp + fn == 0:
            continue
        prec = tp / (tp + fp) if tp + fp else 0.0
        rec = tp / (tp + fn) if tp + fn else 0.0
        out[lab] = 2 * prec * rec / (prec + rec) if prec + rec else 0.0
    return out


def reliability(confidences: list[float], correct: list[bool], bins: int = 10) -> list[dict]:
    """Rows (bin range, count, mean confidence, accuracy) over equal-width bins."""
    rows = []
    for b in range(bins):
        lo, hi = b / bins, (b + 1) / bins
        idx = [i for i, c in enumerate(confidences) if (lo <= c < hi) or (b == bins - 1 and c == 1.0)]
        if idx:
            rows.append(
                {
                    "bin": f"{lo:.1f}-{hi:.1f}",
                    "lo": lo,
                    "hi": hi,
                    "count": len(idx),
                    "mean_confidence": sum(confidences[i] for i in idx) / len(idx),
                    "accuracy": sum(1 for i in idx if correct[i]) / len(idx),
                }
            )
        else:
            rows.append(
                {
                    "bin": f"{lo:.1f}-{hi:.1f}",
                    "lo": lo,
                    "hi": hi,
                    "count": 0,
                    "mean_confidence": None,
                    "accuracy": None,
                }
            )
    return rows


def ece(confidences: list[float], correct: list[bool], bins: int = 10) -> float:
    n = len(confidences)
    if not n:
        return 0.0
    return sum(
        r["count"] / n * abs(r["accuracy"] - r["mean_confidence"])
        for r in reliability(confidences, correct, bins)
        if r["count"]
    )


def _two_way(verdicts: list[dict]) -> tuple[list[str], list[float]]:
    """Labels and confidences on a two-label set: the verifier's own label, with not enough info read as 'not
    supported' (refuted); the confidence of 'not supported' is p(refuted) + p(not enough info) when the verdict
    carries its probabilities."""
    pred, conf = [], []
    for v in verdicts:
        label = "refuted" if v["label"] == "not_enough_info" else v["label"]
        probs = v.get("probabilities")
        c = float(v["confidence"])
        if isinstance(probs, dict) and "supported" in probs:
            p = float(probs["supported"])
            c = p if label == "supported" else 1.0 - p
        pred.append(label)
        conf.append(c)
    return pred, conf


def score(gold_labels: list[str], verdicts: list[dict], *, two_way: bool = False) -> dict:
    """Metrics of verdicts against gold labels (same order)."""
    if len(gold_labels) != len(verdicts):
        raise ValueError("gold and verdicts differ in length")
    pred = [v["label"] for v in verdicts]
    gold = [normalize_label(g) for g in gold_labels]
    nei = sum(1 for p in pred if p == "not_enough_info")
    conf = [float(v["confidence"]) for v in verdicts]
    if two_way:
        pred, conf = _two_way(verdicts)
        gold = ["refuted" if g == "not_enough_info" else g for g in gold]  # "not supported"
        labels: tuple[str, ...] = ("supported", "refuted")
    else:
        labels = LABELS
    correct = [g == p for g, p in zip(gold, pred, strict=True)]
    per = f1_scores(gold, pred, labels)
    n = len(gold)
    confusion = {
        g: {p: sum(1 for a, b in zip(gold, pred, strict=True) if a == g and b == p) for p in labels}
        for g in labels
    }
    return {
        "n": n,
        "accuracy": sum(correct) / n if n else 0.0,
        "macro_f1": sum(per.values()) / len(per) if per else 0.0,
        "f1": per,
        "brier": sum((c - k) ** 2 for c, k in zip(conf, correct, strict=True)) / n if n else 0.0,
        "ece": ece(conf, correct),
        "reliability": reliability(conf, correct),
        "confusion": confusion,
        "nei_predictions": nei,
        "two_way": two_way,
        "definitions": {
            "ece": "10 equal-width confidence bins; sum_b (n_b/n)|acc_b - conf_b|",
            "brier": "mean (confidence of predicted label - 1[predicted == gold])^2",
            "two_way": "not_enough_info counted as refuted (not supported), with confidence p(refuted) + p(not "
            "enough info) when the verdict gives its probabilities"
            if two_way
            else None,
        },
    }


def plot_reliability(metrics: dict, out: Path | str) -> Path:
    """A reliability diagram (accuracy against mean confidence per bin) written as PNG."""
    try:
        import matplotlib
    except ImportError as exc:
        raise AssayError("--plot needs matplotlib: pip install 'assay[plot]'") from exc

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = [r for r in metrics["reliability"] if r["count"]]
    fig, ax = plt.subplots(figsize=(4.5, 4.5))
    ax.plot([0, 1], [0, 1], "--", color="grey", label="perfect calibration")
    ax.bar(
        [r["lo"] + 0.05 for r in rows],
        [r["accuracy"] for r in rows],
        width=0.09,
        alpha=0.6,
        label="accuracy per bin",
    )
    ax.plot(
        [r["mean_confidence"] for r in rows],
        [r["accuracy"] for r in rows],
        "o-",
        color="C3",
        label="mean confidence",
    )
    ax.set_xlabel("confidence")
    ax.set_ylabel("accuracy")
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    ax.set_title(f"ECE {metrics['ece']:.3f}, n={metrics['n']}")
    ax.legend(loc="upper left", fontsize=8)
    out = Path(out)
    tmp = out.with_name(out.name + ".tmp.png")
    fig.savefig(tmp, dpi=120, bbox_inches="tight")
    plt.close(fig)
    import os

    os.replace(tmp, out)
    return out


def load_covidfact(path: Path | str, *, limit: int | None = None, seed: int = 0) -> list[dict]:
    """COVID-Fact lines as gold claims with inline evidence (an evenly spread sample when ``limit``)."""
    rows = read_jsonl(path)
    gold = [
        {"id": f"covidfact-{i}", "text": r["claim"], "label": r["label"], "evidence": r.get("evidence", [])}
        for i, r in enumerate(rows)
    ]
    if limit and limit < len(gold):
        import random

        rng = random.Random(seed)
        gold = sorted(rng.sample(gold, limit), key=lambda g: int(g["id"].split("-")[1]))
    return gold
