"""Optional natural-language-inference signal: a sentence-transformers CrossEncoder (hub name or local folder).

Absent by default. When configured but not loadable the verifier says so once and continues without it.
"""

from __future__ import annotations

import sys

import numpy as np

_MODELS: dict[str, object] = {}
_FAILED: dict[str, str] = {}


class NLI:
    """Scores (premise, hypothesis) pairs as probabilities of entailment, contradiction and neutral."""

    def __init__(self, name: str, model: object):
        self.name = name
        self.model = model
        labels = getattr(getattr(getattr(model, "model", None), "config", None), "id2label", None) or {}
        names = {i: str(v).lower() for i, v in dict(labels).items()}
        # Default label order of the common NLI cross-encoders: contradiction, entailment, neutral.
        self.index = {"contradiction": 0, "entailment": 1, "neutral": 2}
        for i, v in names.items():
            for key in ("contradiction", "entailment", "neutral"):
                if v.startswith(key[:5]):
                    self.index[key] = int(i)

    def probs(self, pairs: list[tuple[str, str]]) -> np.ndarray:
        """Rows of (entailment, contradiction, neutral) probabilities."""
        if not pairs:
            return np.zeros((0, 3), dtype=np.float32)
        logits = np.asarray(self.model.predict(pairs, show_progress_bar=False), dtype=np.float64)
        if logits.ndim == 1:  # a single-score model: read it as entailment probability
            p = 1 / (1 + np.exp(-logits))
            return np.stack([p, 1 - p, np.zeros_like(p)], axis=1)
        e = np.exp(logits - logits.max(axis=1, keepdims=True))
        sm = e / e.sum(axis=1, keepdims=True)
        return np.stack(
            [
                sm[:, self.index["entailment"]],
                sm[:, self.index["contradiction"]],
                sm[:, self.index["neutral"]],
            ],
            axis=1,
        )


def load_nli(settings, *, quiet: bool = False) -> tuple[NLI | None, str | None]:  # noqa: ANN001
    """The configured NLI cross-encoder, or (None, why not)."""
    name = getattr(settings, "nli_model", None)
    if not name:
        return None, None
    name = str(name)
    if name in _MODELS:
        return NLI(name, _MODELS[name]), None
    if name in _FAILED:
        return None, _FAILED[name]
    from synthesis.hub import resolve_model

    try:
        source = resolve_model(name, offline=bool(getattr(settings, "offline", False)), what="NLI model")
    except LookupError as exc:
        msg = f"{exc}; continuing without NLI"
    else:
        try:
            from sentence_transformers import CrossEncoder

            model = CrossEncoder(source.target, device="cpu", local_files_only=source.local_only)
            _MODELS[name] = model
            return NLI(name, model), None
        except Exception as exc:  # noqa: BLE001 - optional signal: any failure means continue without it
            msg = (
                f"NLI model {name!r} could not be loaded ({type(exc).__name__}: {str(exc)[:160]}); "
                "continuing without NLI"
            )
    _FAILED[name] = msg
    if not quiet:
        print(f"note: {msg}", file=sys.stderr)
    return None, msg
