"""Calibrated confidence for verdicts: the probability that the verifier's label is right.

The verifier picks a label by rules; this module maps its decision features to P(label is right) with one small
logistic regression per label (and per retrieval mode: lexical only, or with embeddings), fitted on data the tool
can always make from ingested papers -- true sentences and light paraphrases (supported), the same sentences with a
number changed, an entity swapped or the polarity flipped (refuted), and sentences from other papers
(not_enough_info) -- plus any labelled set given to ``assay calibrate --from GOLD.jsonl``.

Parameters live in the store's ``calibrations`` table (name "verifier"); the package ships defaults in
``synthesis/data/calibration.json``, made by ``python -m synthesis.calibration --fit`` (see ``main``).
"""

from __future__ import annotations

import json
import math
import random
import re
from datetime import UTC, datetime
from importlib import resources

import numpy as np

LABELS = ("supported", "refuted", "not_enough_info")
FEATURES = ("support_cov", "conflict_cov", "top_cov", "top_emb", "has_numbers", "nums_matched", "ents_missing",
            "n_conflicts", "conflict_number", "conflict_entity", "conflict_polarity", "conflict_scope",
            "claim_words")
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
        return {"name": "fallback", "models": {}, "prior": {"supported": 0.8, "refuted": 0.7,
                                                             "not_enough_info": 0.6}}


def load_calibration(store) -> dict:  # noqa: ANN001
    """The calibration in force: the store's own (from `assay calibrate`) or the shipped default."""
    if store is not None:
        try:
            row = store.one("SELECT params FROM calibrations WHERE name = ?", (CALIBRATION_NAME,))
        except Exception:  # noqa: BLE001 - a store without the table is just uncalibrated
            row = None
        if row:
            return json.loads(row["params"])
    return default_calibration()


def save_calibration(store, params: dict) -> None:  # noqa: ANN001
    with store.transaction() as conn:
        conn.execute("INSERT OR REPLACE INTO calibrations(name, params) VALUES (?, ?)",
                     (CALIBRATION_NAME, json.dumps(params, sort_keys=True)))


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
    return {"w": w[:-1].tolist(), "b": float(w[-1]), "mean": mean.tolist(), "scale": scale.tolist(),
            "features": list(FEATURES), "n": int(n), "accuracy": float(y.mean()) if n else None}


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
                        "w": [0.0] * len(FEATURES), "mean": [0.0] * len(FEATURES), "scale": [1.0] * len(FEATURES),
                        "features": list(FEATURES), "n": len(rows),
                        "b": _logit((sum(o["correct"] for o in rows) + 1) / (len(rows) + 2))}
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


# ----------------------------------------------------------------------------------------------------------------
# Generated calibration data: true sentences, paraphrases and false variants from ingested papers

_PARAPHRASE = [
    (r"\bWe show that\b", "The authors show that"), (r"\bwe show that\b", "the authors show that"),
    (r"\bWe find that\b", "The authors find that"), (r"\bwe find that\b", "the authors find that"),
    (r"\bWe\b", "The authors"), (r"\bwe\b", "the authors"), (r"\bOur\b", "The authors'"), (r"\bour\b", "the authors'"),
    (r"\bsubstantially\b", "considerably"), (r"\bsignificantly\b", "markedly"), (r"\butilize\b", "use"),
    (r"\bIn addition,\s*", ""), (r"\bAdditionally,\s*", ""), (r"\bHowever,\s*", ""), (r"\bFinally,\s*", ""),
    (r"\s*\([^()]*\d{4}[a-z]?\)", ""),  # drop parenthetical citations
    (r"\buse\b", "employ"), (r"\bshow\b", "demonstrate"), (r"\blarge\b", "substantial"),
    (r"\bsmall\b", "modest"), (r"\bmethod\b", "approach"), (r"\bresults\b", "findings"),
    (r"\bperformance\b", "scores"), (r"\bmodels\b", "systems"),
]
_FLIP = [("improves", "hurts"), ("improve", "hurt"), ("improved", "degraded"), ("improvement", "degradation"),
         ("improvements", "degradations"), ("increases", "decreases"), ("increase", "decrease"),
         ("increased", "decreased"), ("higher", "lower"), ("better", "worse"), ("outperforms", "underperforms"),
         ("best", "worst"), ("positive", "negative"), ("more", "fewer"), ("larger", "smaller"),
         ("benefit", "suffer"), ("gains", "losses"), ("reduces", "increases"), ("lower", "higher"),
         ("worse", "better"), ("negative", "positive"), ("decreases", "increases")]
_AUX = re.compile(r"\b(is|are|was|were|can|could|does|do|did|has|have|had|will|would|should|may|might)\b")


def _sentences(store, paper_id: str) -> list[str]:  # noqa: ANN001
    from synthesis.entities import clean
    from synthesis.retrieval import paper_units

    out = []
    for u in paper_units(store, paper_id):
        if u.kind != "sentence" or re.search(r"referenc|bibliograph|acknowledg", u.section or "", re.I):
            continue
        if re.search(r"\bProceedings\b|\bpages \d|\bIn [A-Z][a-z]+ \d{4}|arXiv preprint|\bpp\.", u.text):
            continue
        t = clean(u.text)
        n_words = len(t.split())
        if 8 <= n_words <= 45 and t[:1].isupper() and t.endswith(".") and not re.search(r"https?://|@", t):
            out.append(t)
    return out


def _perturb_number(s: str, rng: random.Random) -> str | None:
    from synthesis.numbers import comparable, parse_numbers

    qs = [q for q in comparable(parse_numbers(s)) if q.text.strip("+-− ")[:1].isdigit()]
    if not qs:
        return None
    q = rng.choice(qs)
    v = abs(q.value)
    if q.decimals == 0 and v == int(v):
        new = int(v) + rng.choice([1, 2, 3, -1, 5]) if v > 3 else int(v) + rng.choice([1, 2, 4])
        if new <= 0:
            new = int(v) + 2
        text = f"{new:,}" if "," in q.text else str(new)
    else:
        delta = max(10 ** (-q.decimals) * rng.choice([3, 5, 7, 12]), v * rng.choice([0.1, 0.2, 0.35]))
        text = f"{v + delta * rng.choice([1, -1]) if v > delta else v + delta:.{max(q.decimals, 1)}f}"
    a, b = q.span
    digits = re.search(r"[\d.,]+(?:[eE][-+]?\d+)?", q.text)
    if not digits:
        return None
    start = a + digits.start()
    end = a + digits.end()
    return s[:start] + text + s[end:]


def _swap_entity(s: str, pool: list[str], rng: random.Random) -> str | None:
    from synthesis.entities import is_entity_token, tokens

    toks = tokens(s)
    cands = [t for i, t in enumerate(toks) if is_entity_token(t, i == 0) and (sum(c.isupper() for c in t) >= 2)]
    if not cands:
        return None
    old = rng.choice(cands)
    others = [p for p in pool if p.lower() != old.lower() and p.lower() not in s.lower()]
    if not others:
        return None
    new = rng.choice(others)
    return re.sub(rf"(?<![\w-]){re.escape(old)}(?![\w-])", new, s, count=1)


def _negate(s: str, rng: random.Random) -> str | None:
    words = s.split()
    low = [w.lower().strip(",.;:") for w in words]
    for old, new in _FLIP:
        if old in low and rng.random() < 0.5:
            i = low.index(old)
            words[i] = words[i].replace(old, new).replace(old.capitalize(), new.capitalize())
            return " ".join(words)
    m = _AUX.search(s)
    if m and not re.match(r"\s+not\b", s[m.end():]):
        return s[:m.end()] + " not" + s[m.end():]
    m = re.search(r"\b(\w+?)(s)\b(?= (?:the|a|an|large|small|\w+ improvements?|improved))", s)
    if m and m.group(1).lower() not in ("thi", "ha", "i", "it", "wa", "doe"):
        return s[:m.start()] + "does not " + m.group(1) + s[m.end():]
    return None


def generate_examples(store, paper_ids: list[str], *, per_paper: int = 60, seed: int = 13) -> list[dict]:  # noqa: ANN001
    """Labelled claims {id, text, label, paper, kind} made from the papers' own sentences."""
    from synthesis.entities import is_entity_token, tokens

    rng = random.Random(seed)
    sentences = {pid: _sentences(store, pid) for pid in paper_ids}
    out: list[dict] = []
    for pid in paper_ids:
        sents = sentences[pid]
        if not sents:
            continue
        pool = sorted({t for s in sents for i, t in enumerate(tokens(s)) if is_entity_token(t, i == 0)
                       and sum(c.isupper() for c in t) >= 2 and len(t) > 2})
        picked = rng.sample(sents, min(per_paper, len(sents)))
        for j, s in enumerate(picked):
            para = s
            for pat, rep in _PARAPHRASE:
                para = re.sub(pat, rep, para)
            variants = [("true", s, "supported"), ("paraphrase", para, "supported")]
            words = para.rstrip(".").split()
            cut = para.rstrip(".").rsplit(", ", 1)[0]
            if ", " in para and len(cut.split()) >= 8 and len(cut.split()) < len(words):
                variants.append(("main-clause", cut + ".", "supported"))
            num = _perturb_number(s, rng)
            if num and num != s:
                variants.append(("number", num, "refuted"))
            ent = _swap_entity(s, pool, rng)
            if ent and ent != s:
                variants.append(("entity", ent, "refuted"))
            neg = _negate(para, rng)
            if neg and neg != para:
                variants.append(("negation", neg, "refuted"))
            for kind, text, label in variants:
                out.append({"id": f"gen-{pid}-{j}-{kind}", "text": text, "label": label, "paper": pid, "kind": kind})
        # Not enough info: sentences of the other papers, checked against this one.
        others = [s for q in paper_ids if q != pid for s in sentences[q]]
        for j, s in enumerate(rng.sample(others, min(per_paper // 2, len(others)))):
            out.append({"id": f"gen-{pid}-nei-{j}", "text": s, "label": "not_enough_info", "paper": pid,
                        "kind": "other-paper"})
        # Drift: this paper's subject, another paper's predicate -- on topic, but not stated anywhere.
        for j in range(min(per_paper // 3, len(others), len(sents))):
            head = rng.choice(sents).split()
            tail = rng.choice(others).split()
            text = " ".join(head[: max(3, len(head) * 2 // 5)] + tail[len(tail) // 2:])
            out.append({"id": f"gen-{pid}-drift-{j}", "text": text, "label": "not_enough_info", "paper": pid,
                        "kind": "drift"})
    return out


def outcomes_for(store, settings, examples: list[dict], *, use_embeddings: bool) -> list[dict]:  # noqa: ANN001
    """Run the verifier on labelled examples; record predicted label, correctness and features."""
    from synthesis.evaluation import normalize_label
    from synthesis.verify import Verifier

    verifier = Verifier(store, settings, use_embeddings=use_embeddings, quiet=True, use_model=False,
                        calibration={"models": {}, "prior": {}})
    mode = "embedding" if verifier.embedder is not None else "lexical"
    out = []
    for ex in examples:
        papers = [ex["paper"]] if ex.get("paper") else []
        if not papers and "evidence" not in ex:
            continue
        v = verifier.verify_one(ex, papers)
        if "signals" not in v:
            continue
        gold = normalize_label(ex["label"])
        correct = v["label"] == gold
        if "evidence" in ex and v["label"] == "not_enough_info":
            correct = gold == "refuted"  # two-way sets (COVID-Fact): not enough info counts as not supported
        out.append({"mode": mode, "label": v["label"], "gold": gold, "correct": correct,
                    "features": v["signals"], "kind": ex.get("kind", "gold")})
    return out


def calibrate(store, settings, paper_ids: list[str], *, gold: list[dict] | None = None,  # noqa: ANN001
              per_paper: int = 60, seed: int = 13, embeddings: bool = True) -> dict:
    """Fit the confidence models on generated data (+ an optional labelled set) and return the parameters."""
    from synthesis import __version__ as tool_version

    examples = generate_examples(store, paper_ids, per_paper=per_paper, seed=seed)
    data = list(examples) + list(gold or [])
    outcomes = outcomes_for(store, settings, data, use_embeddings=False)
    modes = ["lexical"]
    if embeddings:
        emb = outcomes_for(store, settings, data, use_embeddings=True)
        if emb and emb[0]["mode"] == "embedding":
            outcomes += emb
            modes.append("embedding")
    params = fit_from_outcomes(outcomes)
    by_kind: dict[str, list[bool]] = {}
    for o in outcomes:
        by_kind.setdefault(f"{o['mode']}/{o['kind']}", []).append(o["correct"])
    params.update({
        "name": CALIBRATION_NAME,
        "tool_version": tool_version,
        "created": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "data": {"papers": paper_ids, "generated_examples": len(examples), "gold_examples": len(gold or []),
                 "per_paper": per_paper, "seed": seed, "modes": modes,
                 "embedding_model": str(settings.embedding_model) if "embedding" in modes else None,
                 "accuracy_by_kind": {k: round(sum(v) / len(v), 4) for k, v in sorted(by_kind.items())}},
        "features": list(FEATURES),
    })
    return params


def main(argv: list[str] | None = None) -> None:
    """`python -m synthesis.calibration --fit --corpus ../shared/corpus --out synthesis/data/calibration.json`:
    ingest the corpus into a temporary store and fit the shipped default calibration."""
    import argparse
    import tempfile
    from pathlib import Path

    from synthesis.settings import load_settings
    from synthesis.store import Store

    ap = argparse.ArgumentParser(description=main.__doc__)
    ap.add_argument("--fit", action="store_true", required=True)
    ap.add_argument("--corpus", default=str(Path(__file__).resolve().parents[2] / "shared" / "corpus"))
    ap.add_argument("--out", default=str(Path(__file__).with_name("data") / "calibration.json"))
    ap.add_argument("--embedding-model", default=None, help="local folder or hub name of the embedding model")
    ap.add_argument("--per-paper", type=int, default=60)
    ap.add_argument("--home", default=None, help="use this assay home (already ingested) instead of a temp one")
    args = ap.parse_args(argv)
    corpus = Path(args.corpus)
    index = json.loads((corpus / "index.json").read_text())
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(args.home) if args.home else Path(tmp)
        settings = load_settings(home, offline=True, embedding_model=args.embedding_model)
        store = Store(settings.db_path)
        from synthesis.papers import list_papers

        if not list_papers(store):
            from synthesis.ingest import ingest_pdf

            for e in index["papers"]:
                ingest_pdf(store, settings, corpus / e["file"], arxiv_id=e.get("arxiv_id"), version=e.get("version"),
                           title=e.get("title"))
        ids = [p.id for p in list_papers(store)]
        params = calibrate(store, settings, ids, per_paper=args.per_paper,
                           embeddings=args.embedding_model is not None)
        params["data"]["corpus_files"] = [e["file"] for e in index["papers"]]
        params["data"]["produced_by"] = "python -m synthesis.calibration --fit"
        store.close()
    out = Path(args.out)
    tmp_out = out.with_suffix(".tmp")
    tmp_out.write_text(json.dumps(params, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    import os

    os.replace(tmp_out, out)
    print(json.dumps(params["data"], indent=1))


if __name__ == "__main__":
    main()
