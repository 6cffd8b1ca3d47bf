"""Sentence embeddings with sentence-transformers, cached in the store's ``embeddings`` table
(:mod:`synthesis.store_cache`).

The model is a hub name (default ``sentence-transformers/all-MiniLM-L6-v2``) or a local folder. When it cannot be
loaded (offline without a local copy, package missing) :func:`load_embedder` returns ``None`` and a message saying
why, and the verifier falls back to lexical retrieval. Loaded models are kept per process, so a test session or a
batch loads each model once.
"""

from __future__ import annotations

import hashlib
import os
import sys

import numpy as np

from synthesis.store import Store
from synthesis.store_cache import cache_vectors, cached_vectors

_MODELS: dict[str, object] = {}
_FAILED: dict[str, str] = {}


def text_sha(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _load_model(name: str, offline: bool) -> tuple[object | None, str | None]:
    if name in _MODELS:
        return _MODELS[name], None
    if name in _FAILED:
        return None, _FAILED[name]
    from synthesis.hub import resolve_model

    try:
        source = resolve_model(name, offline=offline, what="embedding model")
    except LookupError as exc:
        msg = f"{exc}; using lexical retrieval only"
        _FAILED[name] = msg
        return None, msg
    try:
        os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
        from sentence_transformers import SentenceTransformer

        model = SentenceTransformer(source.target, device="cpu", local_files_only=source.local_only)
    except ImportError:
        msg = "sentence-transformers is not installed (pip install 'assay[embeddings]'); using lexical retrieval only"
    except Exception as exc:  # noqa: BLE001 - any load failure means: continue without embeddings
        msg = (
            f"embedding model {name!r} could not be loaded ({type(exc).__name__}: {str(exc)[:160]}); "
            "using lexical retrieval only"
        )
    else:
        _MODELS[name] = model
        return model, None
    _FAILED[name] = msg
    return None, msg


class Embedder:
    """Encodes texts with one model, reading and writing the store's cache."""

    def __init__(self, store: Store | None, name: str, model: object | None, offline: bool = True):
        self.store = store
        self.name = name
        self._model = model
        self._offline = offline

    @property
    def model(self) -> object:
        """The sentence-transformers model, loaded (and sentence-transformers imported) on first use only: a
        run whose vectors are all cached never pays for the import."""
        if self._model is None:
            model, msg = _load_model(self.name, self._offline)
            if model is None:
                raise RuntimeError(msg or f"embedding model {self.name!r} could not be loaded")
            self._model = model
        return self._model

    def encode(self, texts: list[str]) -> np.ndarray:
        """Unit-normalised float32 vectors, one row per text (cached by model and text hash)."""
        if not texts:
            return np.zeros((0, 0), dtype=np.float32)
        shas = [text_sha(t) for t in texts]
        found: dict[str, np.ndarray] = {}
        if self.store is not None:
            for s, (dim, blob) in cached_vectors(self.store, self.name, shas).items():
                found[s] = np.frombuffer(blob, dtype="<f4", count=dim)
        missing = [(s, t) for s, t in dict(zip(shas, texts, strict=True)).items() if s not in found]
        if missing:
            vecs = self.model.encode(
                [t for _, t in missing],
                batch_size=64,
                convert_to_numpy=True,
                normalize_embeddings=True,
                show_progress_bar=False,
            )
            vecs = np.asarray(vecs, dtype=np.float32)
            for (s, _), v in zip(missing, vecs, strict=True):
                found[s] = v
            if self.store is not None:
                cache_vectors(
                    self.store,
                    self.name,
                    [
                        (s, int(v.shape[0]), v.astype("<f4").tobytes())
                        for s, v in ((s, found[s]) for s, _ in missing)
                    ],
                )
        return np.stack([found[s] for s in shas]).astype(np.float32)


def load_embedder(
    store: Store | None, settings, *, quiet: bool = False
) -> tuple[Embedder | None, str | None]:  # noqa: ANN001
    """The configured embedder, or (None, why not). The reason is also printed on stderr unless ``quiet``."""
    name = getattr(settings, "embedding_model", None)
    if not name:
        return None, "no embedding model configured; using lexical retrieval only"
    offline = bool(getattr(settings, "offline", False))
    if str(name) not in _MODELS and str(name) not in _FAILED and store is not None:
        # Defer the (slow) import and load to the first vector not in the cache, when both look possible.
        import importlib.util

        from synthesis.hub import resolve_model

        try:
            source = resolve_model(str(name), offline=offline, what="embedding model")
        except LookupError:
            source = None
        if source is not None and source.local_only and importlib.util.find_spec("sentence_transformers"):
            return Embedder(store, str(name), None, offline), None
    model, msg = _load_model(str(name), offline)
    if model is None:
        if not quiet and msg:
            print(f"note: {msg}", file=sys.stderr)
        return None, msg
    return Embedder(store, str(name), model, offline), None
