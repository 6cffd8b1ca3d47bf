"""Official XTREME metrics, reimplemented line for line where the official scripts define them.

- QA: the SQuAD v1.1 script (XQuAD, TyDiQA-GoldP, SQuAD) and the MLQA script (per-language punctuation set,
  article lists and segmentation) for exact match and F1, each the max over gold answers, averaged x100.
- n-best span extraction from start/end logits over doc-stride windows (the transformers/XTREME post-processing).
- Tagging: seqeval chunk F1 on the raw tags (XTREME's run_tag.py), so for UD-POS a run of one tag is one chunk.
- Accuracy for classification, multiple choice and CCG.
- BUCC: ratio-margin scoring over the k=4 cosine nearest neighbours with 'max' mining, as XTREME's mine_bitext;
  threshold chosen on dev by XTREME's sweep (bucc_optimize), F1 of pairs scoring >= threshold on test.
- Tatoeba: accuracy of nearest-neighbour search, English sentences querying the other language (XTREME: faiss L2
  search over L2-normalised vectors, which ranks as cosine does, except that a zero vector stays zero).

Where the official code's result depends on details beyond the formulas, it is followed, since it made the published
numbers (golden tests in tests/replication/test_metrics.py pin each case): BUCC duplicate sentences are found on the
raw line ("a" and "a " are two sentences) and keep the embedding of their last occurrence; nearest neighbours with
exactly equal scores come in faiss's order (see `faiss_knn`); a zero embedding is at L2 distance 1 from every unit
vector in Tatoeba. seqeval is pinned (``SEQEVAL_VERSION``) and every run record says which version scored it.
- The benchmark average as the paper computes it.

Every score is on a 0-100 scale. numpy and seqeval are imported lazily; embeddings are numpy arrays.
"""

from __future__ import annotations

import functools
import math
import re
import string
import sys
import unicodedata
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from replication.errors import ReplicationError

if TYPE_CHECKING:
    import numpy as np

SEQEVAL_VERSION = "1.2.2"
"""The seqeval release the tagging scores are computed with (pinned in pyproject.toml, recorded in every run)."""

# ---------------------------------------------------------------------------------------------------------------
# SQuAD v1.1 (official evaluate-v1.1.py)


def normalize_squad(s: str) -> str:
    """Lower text and remove punctuation, articles (a, an, the) and extra whitespace (official SQuAD v1.1)."""
    exclude = set(string.punctuation)
    s = s.lower()
    s = "".join(ch for ch in s if ch not in exclude)
    s = re.sub(r"\b(a|an|the)\b", " ", s)
    return " ".join(s.split())


# ---------------------------------------------------------------------------------------------------------------
# MLQA (official mlqa_evaluation_v1.py)


@functools.cache
def mlqa_punctuation() -> frozenset[str]:
    """MLQA's punctuation set: every unicode character of category P*, plus ASCII string.punctuation."""
    return frozenset(
        {chr(i) for i in range(sys.maxunicode) if unicodedata.category(chr(i)).startswith("P")}
        | set(string.punctuation)
    )


MLQA_WHITESPACE_LANGS = ("en", "es", "hi", "vi", "de", "ar")
MLQA_MIXED_SEGMENTATION_LANGS = ("zh",)
# Article patterns of the official script. Note Arabic: it removes every occurrence of "ال" (the definite
# article prefix), also inside words, exactly as the official regex does; Vietnamese uses the official word list.
MLQA_ARTICLES: dict[str, str | None] = {
    "en": r"\b(a|an|the)\b",
    "es": r"\b(un|una|unos|unas|el|la|los|las)\b",
    "hi": None,
    "vi": r"\b(của|là|cái|chiếc|những)\b",
    "de": r"\b(ein|eine|einen|einem|eines|einer|der|die|das|den|dem|des)\b",
    "ar": r"\sال^|ال",
    "zh": None,
}
_CJK = re.compile(r"[\u4e00-\u9fa5]")


def _mixed_segmentation(text: str) -> list[str]:
    """Chinese: every CJK character and punctuation mark is a token; other runs split on whitespace."""
    punct = mlqa_punctuation()
    segs: list[str] = []
    temp = ""
    for char in text:
        if _CJK.search(char) or char in punct:
            if temp:
                segs.extend(temp.split())
                temp = ""
            segs.append(char)
        else:
            temp += char
    if temp:
        segs.extend(temp.split())
    return segs


def normalize_mlqa(s: str, lang: str) -> str:
    """MLQA's normalisation: lower, drop unicode punctuation, drop the language's articles, re-tokenise."""
    if lang not in MLQA_ARTICLES:
        raise ReplicationError(
            f"MLQA normalisation has no rules for language {lang!r}; MLQA languages: "
            f"{', '.join(MLQA_ARTICLES)}"
        )
    s = s.lower()
    punct = mlqa_punctuation()
    s = "".join(ch for ch in s if ch not in punct)
    pattern = MLQA_ARTICLES[lang]
    if pattern is not None:
        s = re.sub(pattern, " ", s)
    tokens = _mixed_segmentation(s) if lang in MLQA_MIXED_SEGMENTATION_LANGS else s.split()
    return " ".join(t for t in tokens if t.strip() != "")


def _normalizer(lang: str | None) -> Callable[[str], str]:
    return normalize_squad if lang is None else (lambda s: normalize_mlqa(s, lang))


def qa_f1(prediction: str, gold: str, lang: str | None = None) -> float:
    """Token-overlap F1 of one prediction against one gold answer (0-1). lang=None: SQuAD rules; else MLQA's."""
    norm = _normalizer(lang)
    pred_tokens = norm(prediction).split()
    gold_tokens = norm(gold).split()
    common = Counter(pred_tokens) & Counter(gold_tokens)
    num_same = sum(common.values())
    if num_same == 0:
        return 0.0
    precision = num_same / len(pred_tokens)
    recall = num_same / len(gold_tokens)
    return 2 * precision * recall / (precision + recall)


def qa_exact_match(prediction: str, gold: str, lang: str | None = None) -> float:
    norm = _normalizer(lang)
    return float(norm(prediction) == norm(gold))


def qa_scores(
    predictions: Mapping[str, str], golds: Mapping[str, Sequence[str]], lang: str | None = None
) -> dict:
    """Exact match and F1 (x100), each the max over an example's gold answers, averaged over ``golds``.

    A question without a prediction scores 0 (as the official scripts). SQuAD v2 unanswerable questions
    (an empty list of gold answers) score 1 when the prediction is empty, like evaluate-v2.0.py. Gold answers
    that normalise to nothing ("the") are kept, as evaluate-v1.1.py and mlqa_evaluation_v1.py keep them.
    """
    if not golds:
        raise ReplicationError("no gold answers to score against")
    norm = _normalizer(lang)
    em = f1 = 0.0
    for qid, answers in golds.items():
        pred = predictions.get(qid)
        if pred is None:
            continue
        if not answers:  # unanswerable (SQuAD v2): right only if the prediction is empty after normalisation
            em += float(norm(pred) == "")
            f1 += float(norm(pred) == "")
            continue
        em += max(qa_exact_match(pred, a, lang) for a in answers)
        f1 += max(qa_f1(pred, a, lang) for a in answers)
    n = len(golds)
    return {
        "exact_match": 100.0 * em / n,
        "f1": 100.0 * f1 / n,
        "n": n,
        "normalisation": "squad_v1.1" if lang is None else f"mlqa:{lang}",
    }


# ---------------------------------------------------------------------------------------------------------------
# n-best span extraction


@dataclass
class QAFeature:
    """One doc-stride window of one example, as the model saw it.

    ``offsets[i]`` is the (start, end) character span of token i in the example's context, or None when token i is
    not a context token (question, special tokens, padding). ``token_is_max_context`` optionally marks the tokens
    whose window is the one with the most context around them (tokens outside it are not used as a start).
    """

    example_id: str
    offsets: Sequence[tuple[int, int] | None]
    start_logits: np.ndarray
    end_logits: np.ndarray
    token_is_max_context: Mapping[int, bool] | None = None
    cls_index: int = 0


def extract_spans(
    contexts: Mapping[str, str],
    features: Iterable[QAFeature],
    *,
    n_best: int = 20,
    max_answer_length: int = 30,
    version_2: bool = False,
    null_score_diff_threshold: float = 0.0,
) -> tuple[dict[str, str], dict[str, list[dict]]]:
    """Best answer text per example from start/end logits over all of its windows (official post-processing).

    For every window: the top ``n_best`` start and end indices; candidates need both tokens in the context,
    end >= start and at most ``max_answer_length`` tokens; score = start logit + end logit; text = the context
    characters from the start token's first to the end token's last character. With ``version_2`` the null answer
    (CLS start and end, minimum over windows) wins when null score - best non-null score > threshold.
    Returns (predictions, n-best lists with text/score/start_char/end_char).
    """
    by_example: dict[str, list[QAFeature]] = {}
    for f in features:
        by_example.setdefault(f.example_id, []).append(f)
    predictions: dict[str, str] = {}
    nbest_out: dict[str, list[dict]] = {}
    for ex_id, context in contexts.items():
        candidates: list[dict] = []
        min_null = math.inf
        for feat in by_example.get(ex_id, []):
            null = _window_candidates(feat, context, candidates, n_best, max_answer_length)
            min_null = min(min_null, null)
        nbest_out[ex_id], predictions[ex_id] = _best_answer(candidates, min_null, n_best, version_2,
                                                            null_score_diff_threshold)  # fmt: skip
    return predictions, nbest_out


def _window_candidates(
    feat: QAFeature, context: str, candidates: list[dict], n_best: int, max_answer_length: int
) -> float:
    """Add one window's valid spans among its top ``n_best`` starts and ends to ``candidates``; return the window's
    null score (start and end logits at CLS)."""
    import numpy as np

    start_logits = np.asarray(feat.start_logits, dtype=np.float64)
    end_logits = np.asarray(feat.end_logits, dtype=np.float64)
    null = float(start_logits[feat.cls_index] + end_logits[feat.cls_index])
    starts = np.argsort(start_logits, kind="stable")[::-1][:n_best]
    ends = np.argsort(end_logits, kind="stable")[::-1][:n_best]
    n_tok = len(feat.offsets)
    for s in starts.tolist():
        for e in ends.tolist():
            if s >= n_tok or e >= n_tok or feat.offsets[s] is None or feat.offsets[e] is None:
                continue
            if e < s or e - s + 1 > max_answer_length:
                continue
            if feat.token_is_max_context is not None and not feat.token_is_max_context.get(s, False):
                continue
            c0, c1 = feat.offsets[s][0], feat.offsets[e][1]
            candidates.append(
                {
                    "text": context[c0:c1],
                    "score": float(start_logits[s] + end_logits[e]),
                    "start_char": c0,
                    "end_char": c1,
                }
            )
    return null


def _best_answer(
    candidates: list[dict], min_null: float, n_best: int, version_2: bool, null_score_diff_threshold: float
) -> tuple[list[dict], str]:
    """An example's n-best list (with the null answer under ``version_2``) and its predicted text."""
    candidates.sort(key=lambda c: -c["score"])
    candidates = candidates[:n_best]
    if version_2 and min_null < math.inf:
        candidates.append({"text": "", "score": min_null, "start_char": -1, "end_char": -1})
        candidates.sort(key=lambda c: -c["score"])
    best_non_null = next((c for c in candidates if c["start_char"] >= 0), None)
    if version_2:
        if best_non_null is None or min_null - best_non_null["score"] > null_score_diff_threshold:
            return candidates, ""
        return candidates, best_non_null["text"]
    return candidates, best_non_null["text"] if best_non_null is not None else ""


# ---------------------------------------------------------------------------------------------------------------
# Classification and tagging


def accuracy(predictions: Sequence, golds: Sequence) -> float:
    """Share of exact matches, x100."""
    if len(predictions) != len(golds):
        raise ReplicationError(f"{len(predictions)} predictions for {len(golds)} gold labels")
    if not golds:
        raise ReplicationError("accuracy of an empty set is undefined")
    return 100.0 * sum(p == g for p, g in zip(predictions, golds, strict=True)) / len(golds)


def token_accuracy(predictions: Sequence[Sequence[str]], golds: Sequence[Sequence[str]]) -> float:
    """Per-token accuracy over all sentences (CCG supertagging), x100."""
    flat_p, flat_g = [], []
    for p, g in zip(predictions, golds, strict=True):
        if len(p) != len(g):
            raise ReplicationError(f"sentence with {len(g)} gold tags got {len(p)} predicted tags")
        flat_p.extend(p)
        flat_g.extend(g)
    return accuracy(flat_p, flat_g)


def seqeval_f1(predictions: Sequence[Sequence[str]], golds: Sequence[Sequence[str]]) -> dict[str, float]:
    """Chunk F1, precision, recall (x100) with seqeval's default (non-strict) mode, as XTREME's run_tag.py.

    On POS tags this treats each tag as a chunk type, so a run of identical tags is a single chunk. seqeval reads
    the first letter as the IOB prefix: "NOUN" is an N-chunk of type "OUN", "SCONJ"/"SYM" start with S (single),
    so their runs do not merge, and "INTJ" is an I-chunk. That is what XTREME's numbers mean, so it is kept.
    """
    import warnings

    from seqeval.metrics import f1_score, precision_score, recall_score

    for p, g in zip(predictions, golds, strict=True):
        if len(p) != len(g):
            raise ReplicationError(f"sentence with {len(g)} gold tags got {len(p)} predicted tags")
    y_true, y_pred = [list(g) for g in golds], [list(p) for p in predictions]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # seqeval warns that POS tags are not IOB tags; that is expected here
        return {
            "f1": 100.0 * float(f1_score(y_true, y_pred)),
            "precision": 100.0 * float(precision_score(y_true, y_pred)),
            "recall": 100.0 * float(recall_score(y_true, y_pred)),
        }


# ---------------------------------------------------------------------------------------------------------------
# Retrieval


def mean_pool(hidden: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Mask-aware mean over tokens: (batch, seq, dim) x (batch, seq) -> (batch, dim)."""
    import numpy as np

    hidden = np.asarray(hidden, dtype=np.float64)
    mask = np.asarray(mask, dtype=np.float64)[..., None]
    counts = np.clip(mask.sum(axis=1), 1.0, None)
    return (hidden * mask).sum(axis=1) / counts


def _unit(x: np.ndarray) -> np.ndarray:
    import numpy as np

    x = np.asarray(x, dtype=np.float64)
    if x.ndim != 2 or x.shape[0] == 0:
        raise ReplicationError(f"expected a non-empty (n, dim) embedding matrix, got shape {x.shape}")
    norms = np.linalg.norm(x, axis=1, keepdims=True)
    # as faiss.normalize_L2: every non-zero row gets unit length, a zero row stays zero
    return np.divide(x, norms, out=np.zeros_like(x), where=norms > 0)


def tatoeba_accuracy(
    src: np.ndarray, tgt: np.ndarray, *, layer: int = 14, pooling: str = "mean"
) -> dict[str, float | int | str]:
    """Tatoeba accuracy x100: src[i] (a language) and tgt[i] (English) translate each other.

    As XTREME's ``similarity_search(x=src, y=tgt)``: every English sentence queries the other language's sentences
    and is right when its cosine nearest neighbour is its own translation.
    """
    import numpy as np

    nearest = tatoeba_nearest(src, tgt)
    acc = 100.0 * float((nearest == np.arange(len(nearest))).mean())
    return {
        "accuracy": acc,
        "n": len(nearest),
        "layer": layer,
        "pooling": pooling,
        "similarity": "cosine",
        "query": "english",
    }


def tatoeba_nearest(src: np.ndarray, tgt: np.ndarray) -> np.ndarray:
    """For each English sentence tgt[i], the index of its nearest neighbour among src (XTREME's direction);
    the one search behind both the Tatoeba metric and its predictions file.

    XTREME normalises both sides (faiss.normalize_L2, which leaves a zero vector zero) and searches by L2 distance,
    ``|t|^2 + |s|^2 - 2 t.s``: for unit vectors the cosine order, but a zero source is at distance 1 from every unit
    query (as close as a cosine of 0.5) and a zero query is nearest to a zero source. Exactly equal distances go
    to the lowest index (faiss's single-best search keeps the first strictly better candidate).
    """
    s, t = _unit(src), _unit(tgt)
    if s.shape[0] != t.shape[0]:
        raise ReplicationError(f"Tatoeba needs aligned pairs: {s.shape[0]} sources vs {t.shape[0]} targets")
    nonzero = (s != 0).any(axis=1)  # |s|^2 is exactly 1 or 0 after normalising; |t|^2 is the same for every s
    return (2.0 * (t @ s.T) - nonzero[None, :]).argmax(axis=1)


def margin_scores(x: np.ndarray, y: np.ndarray, k: int = 4) -> np.ndarray:
    """Ratio-margin score of every pair: cos(x,y) / ((mean cos of x's k NN in y + mean cos of y's k NN in x) / 2)."""
    import numpy as np

    sim = _unit(x) @ _unit(y).T
    kx = min(k, sim.shape[1])
    ky = min(k, sim.shape[0])
    x_mean = -np.sort(-sim, axis=1)[:, :kx].mean(axis=1)
    y_mean = -np.sort(-sim.T, axis=1)[:, :ky].mean(axis=1)
    return sim / ((x_mean[:, None] + y_mean[None, :]) / 2.0)


def faiss_knn(sim: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """The ``k`` highest similarities of every row and their column indices, as faiss's exact inner-product search
    (IndexFlatIP.search, used by XTREME's knn) returns them, ties included.

    faiss streams the columns in order through a k-slot heap whose top is the lowest score (lowest index among
    equal scores); a column enters only when strictly better than the top, which it evicts. So when equal scores
    straddle the k-th place, which of them stay depends on the order around them, and the result lists scores
    from high to low with equal scores from the highest index down. Rows without such a tie are vectorised;
    the rare rows with one replay the heap over the few columns at or above the k-th score.
    """
    import numpy as np

    sim = np.asarray(sim, dtype=np.float64)
    n, m = sim.shape
    k = min(k, m)
    order = np.argsort(-sim, axis=1, kind="stable")[:, :k]
    kth = sim[np.arange(n), order[:, -1]]
    tied = np.flatnonzero((sim >= kth[:, None]).sum(axis=1) > k)
    for i in tied.tolist():
        heap = [(-math.inf, -1)] * k
        for j in np.flatnonzero(sim[i] >= kth[i]).tolist():
            top = min(heap)
            if sim[i, j] > top[0]:
                heap[heap.index(top)] = (float(sim[i, j]), j)
        order[i] = [j for _, j in heap]
    vals = np.take_along_axis(sim, order, axis=1)
    final = np.lexsort((-order, -vals), axis=1)  # score descending, then index descending
    order = np.take_along_axis(order, final, axis=1)
    return np.take_along_axis(sim, order, axis=1), order


def bucc_mine(
    src: np.ndarray,
    tgt: np.ndarray,
    src_ids: Sequence[str],
    tgt_ids: Sequence[str],
    *,
    k: int = 4,
    src_texts: Sequence[str] | None = None,
    tgt_texts: Sequence[str] | None = None,
) -> dict[tuple[str, str], float]:
    """Candidate pairs with their ratio-margin scores, as XTREME's ``mine_bitext(mode='mine', retrieval='max')``
    followed by its ``read_candidate2score``.

    Each sentence's k nearest neighbours by cosine are its candidates (`faiss_knn`); the best candidate by margin
    is kept in both directions (the first of equal margins in neighbour order), then pairs are taken greedily by
    falling score (numpy's default argsort, as XTREME), each source and target used once, score > 0. With the
    texts given, sentences are unified on their raw text ("a" and "a " stay two) and embedded with their last
    occurrence (XTREME's text_load_unify / unique_embeddings); a mined sentence is then looked up by its stripped
    text, and one whose stripped text is on more than one line maps to no id, so it is never a candidate
    (XTREME's read_sent2id).
    """
    import numpy as np

    if len(src_ids) != len(src) or len(tgt_ids) != len(tgt):
        raise ReplicationError("BUCC ids and embeddings differ in length")
    src_map, x = _unify(np.asarray(src), src_ids, src_texts)
    tgt_map, y = _unify(np.asarray(tgt), tgt_ids, tgt_texts)
    x, y = _unit(x), _unit(y)
    sim = x @ y.T
    x2y_sim, x2y_ind = faiss_knn(sim, k)
    y2x_sim, y2x_ind = faiss_knn(sim.T, k)
    x2y_mean = x2y_sim.mean(axis=1)
    y2x_mean = y2x_sim.mean(axis=1)
    fwd = x2y_sim / ((x2y_mean[:, None] + y2x_mean[x2y_ind]) / 2)
    bwd = y2x_sim / ((y2x_mean[:, None] + x2y_mean[y2x_ind]) / 2)
    fwd_best = x2y_ind[np.arange(sim.shape[0]), fwd.argmax(axis=1)]
    bwd_best = y2x_ind[np.arange(sim.shape[1]), bwd.argmax(axis=1)]
    pairs = [(i, int(fwd_best[i])) for i in range(sim.shape[0])] + [
        (int(bwd_best[j]), j) for j in range(sim.shape[1])
    ]
    scores = np.concatenate([fwd.max(axis=1), bwd.max(axis=1)])
    seen_src: set[int] = set()
    seen_tgt: set[int] = set()
    out: dict[tuple[str, str], float] = {}
    for idx in np.argsort(-scores).tolist():  # the default sort, as XTREME: it orders exactly equal scores
        i, j = pairs[idx]
        if i in seen_src or j in seen_tgt:
            continue
        seen_src.add(i)
        seen_tgt.add(j)
        score = float(scores[idx])
        if score > 0 and src_map[i] is not None and tgt_map[j] is not None:
            key = (src_map[i], tgt_map[j])
            out[key] = max(score, out.get(key, score))
    return out


def _unify(
    emb: np.ndarray, ids: Sequence[str], texts: Sequence[str] | None
) -> tuple[list[str | None], np.ndarray]:
    """(id of each unique sentence or None, embeddings of the unique sentences), as XTREME reads a BUCC side.

    Unique sentences are the distinct raw texts in order of first occurrence, each embedded as its last
    occurrence. Ids come from the stripped text: a stripped text on one line only has that line's id, one on
    several lines ("b" twice, or "a" and "a ") has none.
    """
    if texts is None:
        return list(ids), emb
    if len(texts) != len(ids):
        raise ReplicationError("BUCC texts and ids differ in length")
    row: dict[str, int] = {}
    last: list[int] = []
    for n, t in enumerate(texts):
        r = row.setdefault(t, len(row))
        if r == len(last):
            last.append(n)
        else:
            last[r] = n
    lines = Counter(t.strip() for t in texts)
    id_of = {t.strip(): ids[n] for n, t in enumerate(texts) if lines[t.strip()] == 1}
    return [id_of.get(t.strip()) for t in row], emb[last]


def bucc_optimize_threshold(
    candidates: Mapping[tuple[str, str], float], gold: Iterable[tuple[str, str]]
) -> float:
    """XTREME's sweep: walk candidates by falling score, keep the threshold of max F1 (midway to the next score)."""
    gold_set = set(gold)
    if not gold_set:
        raise ReplicationError("BUCC threshold tuning needs at least one gold pair in dev")
    items = sorted(candidates.items(), key=lambda kv: -kv[1])
    n_extract = n_correct = 0
    best_f1, threshold = 0.0, 0.0  # XTREME starts at 0: with no correct candidate every candidate is kept
    for i, (pair, score) in enumerate(items):
        n_extract += 1
        n_correct += pair in gold_set
        if n_correct == 0:
            continue
        precision, recall = n_correct / n_extract, n_correct / len(gold_set)
        f1 = 2 * precision * recall / (precision + recall)
        if f1 > best_f1:
            best_f1 = f1
            threshold = (score + items[i + 1][1]) / 2 if i + 1 < len(items) else score
    return threshold


def bucc_f1(
    candidates: Mapping[tuple[str, str], float], gold: Iterable[tuple[str, str]], threshold: float
) -> dict[str, float]:
    """Precision, recall, F1 (x100) of the candidates scoring >= threshold against the gold pairs."""
    gold_set = set(gold)
    mined = {pair for pair, score in candidates.items() if score >= threshold}
    correct = len(mined & gold_set)
    precision = correct / len(mined) if mined else 0.0
    recall = correct / len(gold_set) if gold_set else 0.0
    f1 = 2 * precision * recall / (precision + recall) if correct else 0.0
    return {"precision": 100.0 * precision, "recall": 100.0 * recall, "f1": 100.0 * f1}


def bucc_evaluate(
    dev: Sequence[Any],
    test: Sequence[Any],
    *,
    k: int = 4,
    layer: int = 14,
    pooling: str = "mean",
) -> dict:
    """BUCC F1 on test with the threshold that maximises F1 on dev.

    Each split: (src_emb, tgt_emb, src_ids, tgt_ids, gold_pairs[, src_texts, tgt_texts]); with the texts,
    duplicate sentences are handled as XTREME does (see `bucc_mine`).
    """

    def mine(split: Sequence[Any]) -> dict[tuple[str, str], float]:
        texts = (split[5], split[6]) if len(split) >= 7 else (None, None)
        return bucc_mine(split[0], split[1], split[2], split[3], k=k, src_texts=texts[0], tgt_texts=texts[1])

    dev_cands = mine(dev)
    threshold = bucc_optimize_threshold(dev_cands, dev[4])
    test_cands = mine(test)
    scores = bucc_f1(test_cands, test[4], threshold)
    dev_scores = bucc_f1(dev_cands, dev[4], threshold)
    return {
        **scores,
        "dev_f1": dev_scores["f1"],
        "threshold": threshold,
        "scoring": f"ratio_margin_k{k}",
        "mining": "max",
        "layer": layer,
        "pooling": pooling,
    }


# ---------------------------------------------------------------------------------------------------------------
# Task score and the benchmark average

QA_SCORE_METRICS = ("f1", "exact_match")


def task_score(task: str, per_language: Mapping[str, Mapping[str, float]], metrics: Sequence[str]) -> float:
    """A task's score: the mean over its languages of its metric; with two metrics (QA) the mean of the two."""
    if not per_language:
        raise ReplicationError(f"task {task!r} has no per-language results")
    values = []
    for metric in metrics:
        missing = [lang for lang, m in per_language.items() if metric not in m]
        if missing:
            raise ReplicationError(
                f"task {task!r}: metric {metric!r} missing for {', '.join(sorted(missing))}"
            )
        values.append(sum(m[metric] for m in per_language.values()) / len(per_language))
    return sum(values) / len(values)


def benchmark_average(
    results: Mapping[str, Mapping[str, Mapping[str, float]]],
    *,
    tasks: Sequence[str] | None = None,
    allow_partial: bool = False,
    task_info: Mapping[str, tuple[Sequence[str], Sequence[str]]] | None = None,
) -> dict:
    """The paper's XTREME average: unweighted mean over the nine tasks of each task's mean over its languages.

    ``results`` is {task: {lang: {metric: value}}}. A task or a language that is missing raises ReplicationError,
    or with ``allow_partial`` gives an average over what is there flagged ``partial`` with what is missing listed;
    never a silent average over fewer tasks. ``task_info`` gives {task: (score metrics, languages)} for tasks the
    registry does not know (results read back from files); registered tasks come from the registry.
    """
    from replication.tasks.registry import XTREME_TASKS

    info = dict(task_info or {})
    wanted = list(tasks) if tasks is not None else list(XTREME_TASKS)
    resolved = {}
    for name, per_lang in results.items():
        resolved[_describe_task(name, info)[0]] = per_lang
    per_task: dict[str, float] = {}
    missing_tasks: list[str] = []
    missing_langs: dict[str, list[str]] = {}
    for name in wanted:
        canonical, metrics, languages = _describe_task(name, info)
        per_lang = resolved.get(canonical)
        if not per_lang:
            missing_tasks.append(canonical)
            continue
        absent = [lang for lang in languages if lang not in per_lang]
        if absent:
            missing_langs[canonical] = absent
        langs = {lang: v for lang, v in per_lang.items() if lang in languages}
        if not langs:
            missing_tasks.append(canonical)
            continue
        per_task[canonical] = task_score(canonical, langs, metrics)
    partial = bool(missing_tasks or missing_langs)
    if partial and not allow_partial:
        raise ReplicationError(_missing_message(missing_tasks, missing_langs))
    if not per_task:
        raise ReplicationError("no task results to average")
    return {
        "average": sum(per_task.values()) / len(per_task),
        "per_task": per_task,
        "partial": partial,
        "missing_tasks": missing_tasks,
        "missing_languages": missing_langs,
        "n_tasks": len(per_task),
    }


def _describe_task(
    name: str, info: Mapping[str, tuple[Sequence[str], Sequence[str]]]
) -> tuple[str, tuple[str, ...], tuple[str, ...]]:
    """(canonical name, score metrics, languages) of a task: from ``info`` when given there, else the registry."""
    from replication.tasks.registry import get_task

    if name in info:
        metrics, langs = info[name]
        return name, tuple(metrics), tuple(langs)
    spec = get_task(name)
    return spec.name, spec.metrics, spec.languages


def _missing_message(missing_tasks: list[str], missing_langs: dict[str, list[str]]) -> str:
    parts = []
    if missing_tasks:
        parts.append(f"tasks without results: {', '.join(missing_tasks)}")
    for t, langs in missing_langs.items():
        parts.append(f"{t} lacks {', '.join(langs)}")
    return (
        "cannot compute the benchmark average: "
        + "; ".join(parts)
        + " (run them, or ask for a partial average)"
    )
