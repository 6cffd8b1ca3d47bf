"""The trained cross-encoder: reads (claim, evidence) and gives P(supported), P(refuted), P(not_enough_info).

A model folder holds ``config.json`` (a BERT-family sequence classifier with three labels), the tokenizer files,
``verifier.json`` (label order, maximum length, weight format) and one weight file: ``model.safetensors`` (any
dtype) or the compact ``model.int8.safetensors`` (2-D matrices as int8 with one fp16 scale per row, the rest fp16),
dequantised to fp32 when loaded. The package ships one under ``synthesis/data/verifier``; the ``verifier_model``
setting points elsewhere (a folder or a hub name, resolved offline-first by :mod:`synthesis.hub`).

Scores are cached by sha256 of (model id, claim, evidence) in a small SQLite file under the assay home (its
statements are in :mod:`synthesis.store_cache`), so a second ``assay verify`` of the same claims does not run the
model at all.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import threading
from importlib import resources
from pathlib import Path

import numpy as np

from synthesis.store_cache import open_score_db, put_score_rows, score_rows

LABELS = ("supported", "refuted", "not_enough_info")
MAX_LENGTH = 256
BATCH = 32
INT8_MIN_ELEMENTS = 4096  # matrices at least this large are stored as int8 (embeddings, attention, FFN)


def shipped_model_dir() -> Path | None:
    """The folder of the model shipped with the package, or None when it is not there."""
    try:
        d = Path(str(resources.files("synthesis").joinpath("data/verifier")))
    except (ModuleNotFoundError, FileNotFoundError):
        return None
    return d if (d / "config.json").is_file() else None


# ----------------------------------------------------------------------------------------------------------------
# Compact weights


def save_compact(state: dict, path: Path, *, int8: bool = True) -> None:
    """Write a state dict as one safetensors file: large matrices int8 (per-row absmax scale), the rest fp16."""
    import torch
    from safetensors.torch import save_file

    out: dict[str, torch.Tensor] = {}
    for name, t in state.items():
        t = t.detach().float().cpu()
        if int8 and t.ndim == 2 and t.numel() >= INT8_MIN_ELEMENTS:
            scale = t.abs().amax(dim=1, keepdim=True).clamp(min=1e-8) / 127.0
            out[name + ".q"] = torch.round(t / scale).clamp(-127, 127).to(torch.int8).contiguous()
            out[name + ".scale"] = scale.to(torch.float16).contiguous()
        else:
            out[name] = t.to(torch.float16).contiguous()
    save_file(out, str(path), metadata={"format": "int8-rowwise" if int8 else "fp16"})


def load_compact(path: Path) -> dict:
    """The fp32 state dict of a file written by :func:`save_compact`."""
    import torch
    from safetensors.torch import load_file

    raw = load_file(str(path))
    state: dict[str, torch.Tensor] = {}
    for name, t in raw.items():
        if name.endswith(".scale"):
            continue
        if name.endswith(".q"):
            base = name[:-2]
            state[base] = t.float() * raw[base + ".scale"].float()
        else:
            state[name] = t.float()
    return state


# ----------------------------------------------------------------------------------------------------------------
# Inference


class CrossEncoder:
    """A loaded verifier model; :meth:`probs` scores pairs in length-sorted batches under ``torch.inference_mode``."""

    def __init__(self, folder: Path, *, threads: int | None = None, quantize: bool = False):
        import torch
        from transformers import AutoConfig, AutoModelForSequenceClassification, AutoTokenizer

        self.folder = Path(folder)
        meta_path = self.folder / "verifier.json"
        self.meta = json.loads(meta_path.read_text()) if meta_path.is_file() else {}
        self.labels = tuple(self.meta.get("labels", LABELS))
        self.max_length = int(self.meta.get("max_length", MAX_LENGTH))
        if threads:
            torch.set_num_threads(threads)
        self.tokenizer = AutoTokenizer.from_pretrained(str(self.folder), local_files_only=True)
        compact = self.folder / "model.int8.safetensors"
        if compact.is_file():
            config = AutoConfig.from_pretrained(str(self.folder), local_files_only=True)
            self.model = AutoModelForSequenceClassification.from_config(config)
            missing, unexpected = self.model.load_state_dict(load_compact(compact), strict=False)
            missing = [m for m in missing if not m.endswith("position_ids")]
            if missing:
                raise ValueError(f"{compact} lacks weights {missing[:4]}")
        else:
            self.model = AutoModelForSequenceClassification.from_pretrained(
                str(self.folder), local_files_only=True
            )
        self.model.eval()
        if quantize:
            self.model = torch.ao.quantization.quantize_dynamic(
                self.model, {torch.nn.Linear}, dtype=torch.qint8
            )
        digest = hashlib.sha256()
        for name in ("model.int8.safetensors", "model.safetensors", "config.json"):
            p = self.folder / name
            if p.is_file():
                st = p.stat()
                digest.update(f"{name}:{st.st_size}:{self.meta.get('trained', '')}".encode())
        self.model_id = self.meta.get("model_id") or digest.hexdigest()[:16]
        order = [self.labels.index(lab) for lab in LABELS]
        self._order = order

    def probs(self, pairs: list[tuple[str, str]], batch: int = BATCH) -> np.ndarray:
        """Rows of (supported, refuted, not_enough_info) probabilities for (claim, evidence) pairs."""
        import torch

        if not pairs:
            return np.zeros((0, 3), dtype=np.float64)
        order = sorted(range(len(pairs)), key=lambda i: len(pairs[i][0]) + len(pairs[i][1]))
        out = np.zeros((len(pairs), 3), dtype=np.float64)
        with torch.inference_mode():
            for k in range(0, len(order), batch):
                idx = order[k : k + batch]
                enc = self.tokenizer(
                    [pairs[i][0] for i in idx],
                    [pairs[i][1] for i in idx],
                    truncation=True,
                    max_length=self.max_length,
                    padding=True,
                    return_tensors="pt",
                )
                logits = self.model(**enc).logits.float()
                p = torch.softmax(logits, dim=-1).numpy()[:, self._order]
                out[idx] = p
        return out


def pair_key(model_id: str, claim: str, evidence: str) -> str:
    return hashlib.sha256(f"{model_id}\x00{claim}\x00{evidence}".encode()).hexdigest()


class ScoreCache:
    """(model, claim, evidence) -> probabilities, in SQLite under the assay home (None: in memory only)."""

    def __init__(self, path: Path | None):
        self.path = path
        self._mem: dict[str, tuple[float, float, float]] = {}
        self._lock = threading.Lock()
        self._conn: sqlite3.Connection | None = None
        if path is not None:
            try:
                self._conn = open_score_db(path)
            except (sqlite3.Error, OSError):
                self._conn = None  # an unwritable home only costs speed

    def get_many(self, keys: list[str]) -> dict[str, tuple[float, float, float]]:
        found = {k: self._mem[k] for k in keys if k in self._mem}
        todo = [k for k in keys if k not in found]
        if self._conn is not None and todo:
            with self._lock:
                for key, p in score_rows(self._conn, todo):
                    found[key] = tuple(json.loads(p))
        self._mem.update(found)
        return found

    def put_many(self, items: dict[str, tuple[float, float, float]]) -> None:
        self._mem.update(items)
        if self._conn is not None and items:
            with self._lock:
                try:
                    put_score_rows(
                        self._conn, [(k, json.dumps([round(x, 6) for x in v])) for k, v in items.items()]
                    )
                except sqlite3.Error:
                    pass

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None


class CachedScorer:
    """A cross-encoder behind the score cache: only pairs never scored before reach the model."""

    def __init__(self, model: CrossEncoder, cache: ScoreCache):
        self.model = model
        self.cache = cache
        self.model_id = model.model_id
        self.calls = 0

    def probs(self, pairs: list[tuple[str, str]]) -> np.ndarray:
        keys = [pair_key(self.model_id, c, e) for c, e in pairs]
        found = self.cache.get_many(keys)
        todo = sorted({k: i for i, k in enumerate(keys) if k not in found}.items(), key=lambda kv: kv[1])
        if todo:
            self.calls += 1
            p = self.model.probs([pairs[i] for _, i in todo])
            new = {k: tuple(float(x) for x in row) for (k, _), row in zip(todo, p, strict=True)}
            self.cache.put_many(new)
            found.update(new)
        return np.array([found[k] for k in keys], dtype=np.float64).reshape(len(keys), 3)


_LOADED: dict[str, CrossEncoder] = {}
_FAILED: dict[str, str] = {}


def resolve_folder(name: str | None, offline: bool) -> Path:
    """The folder of the configured model: the shipped one by default, a local folder, or a hub name."""
    if not name or str(name).strip().lower() in ("default", "shipped"):
        d = shipped_model_dir()
        if d is None:
            raise LookupError(
                "the shipped verifier model is missing from this installation (synthesis/data/verifier)"
            )
        return d
    p = Path(str(name)).expanduser()
    if p.is_dir():
        return p
    from synthesis.hub import resolve_model

    source = resolve_model(str(name), offline=offline, what="verifier model")
    target = Path(str(source.target))
    if target.is_dir():
        return target
    from huggingface_hub import snapshot_download

    return Path(snapshot_download(str(name), local_files_only=source.local_only))


def load_scorer(settings, *, threads: int | None = None) -> tuple[CachedScorer | None, str | None]:  # noqa: ANN001
    """The configured cross-encoder behind its cache, or (None, why not): the verifier then runs lexical-only."""
    name = getattr(settings, "verifier_model", None)
    if name is not None and str(name).strip().lower() in ("", "none", "off"):
        return None, "verifier model off (verifier_model = none); rules only"
    key = str(name or "default")
    home = getattr(settings, "home", None)
    cache = ScoreCache(Path(home) / "verifier_scores.sqlite3" if home else None)
    if key in _LOADED:
        return CachedScorer(_LOADED[key], cache), None
    if key in _FAILED:
        return None, _FAILED[key]
    try:
        folder = resolve_folder(name, offline=bool(getattr(settings, "offline", False)))
        model = CrossEncoder(folder, threads=threads)
    except Exception as exc:  # noqa: BLE001 - any failure: fall back to the rules, and say so
        msg = (
            f"verifier model {key!r} could not be loaded ({type(exc).__name__}: {str(exc)[:160]}); rules only"
        )
        _FAILED[key] = msg
        return None, msg
    _LOADED[key] = model
    return CachedScorer(model, cache), None
