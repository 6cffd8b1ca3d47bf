"""Data for the rules' confidence calibration, made from ingested papers by running the verifier: true sentences
and light paraphrases (supported), the same sentences with a number changed, an entity swapped or the polarity flipped
(refuted), sentences from other papers (not_enough_info); :func:`calibrate` fits :mod:`synthesis.calibration` on the
outcomes. ``python -m synthesis.calibrate --fit`` makes the shipped default.
"""

from __future__ import annotations

import json
import random
import re
from datetime import UTC, datetime

from synthesis.calibration import CALIBRATION_NAME, FEATURES, fit_from_outcomes
from synthesis.pairgen import AUX, DIRECTION_FLIPS, paper_sentences

# ----------------------------------------------------------------------------------------------------------------
# Generated calibration data: true sentences, paraphrases and false variants from ingested papers

_PARAPHRASE = [
    (r"\bWe show that\b", "The authors show that"),
    (r"\bwe show that\b", "the authors show that"),
    (r"\bWe find that\b", "The authors find that"),
    (r"\bwe find that\b", "the authors find that"),
    (r"\bWe\b", "The authors"),
    (r"\bwe\b", "the authors"),
    (r"\bOur\b", "The authors'"),
    (r"\bour\b", "the authors'"),
    (r"\bsubstantially\b", "considerably"),
    (r"\bsignificantly\b", "markedly"),
    (r"\butilize\b", "use"),
    (r"\bIn addition,\s*", ""),
    (r"\bAdditionally,\s*", ""),
    (r"\bHowever,\s*", ""),
    (r"\bFinally,\s*", ""),
    (r"\s*\([^()]*\d{4}[a-z]?\)", ""),  # drop parenthetical citations
    (r"\buse\b", "employ"),
    (r"\bshow\b", "demonstrate"),
    (r"\blarge\b", "substantial"),
    (r"\bsmall\b", "modest"),
    (r"\bmethod\b", "approach"),
    (r"\bresults\b", "findings"),
    (r"\bperformance\b", "scores"),
    (r"\bmodels\b", "systems"),
]


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
    cands = [
        t for i, t in enumerate(toks) if is_entity_token(t, i == 0) and (sum(c.isupper() for c in t) >= 2)
    ]
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
    for old, new in DIRECTION_FLIPS:
        if old in low and rng.random() < 0.5:
            i = low.index(old)
            words[i] = words[i].replace(old, new).replace(old.capitalize(), new.capitalize())
            return " ".join(words)
    m = AUX.search(s)
    if m and not re.match(r"\s+not\b", s[m.end() :]):
        return s[: m.end()] + " not" + s[m.end() :]
    m = re.search(r"\b(\w+?)(s)\b(?= (?:the|a|an|large|small|\w+ improvements?|improved))", s)
    if m and m.group(1).lower() not in ("thi", "ha", "i", "it", "wa", "doe"):
        return s[: m.start()] + "does not " + m.group(1) + s[m.end() :]
    return None


def generate_examples(store, paper_ids: list[str], *, per_paper: int = 60, seed: int = 13) -> list[dict]:  # noqa: ANN001
    """Labelled claims {id, text, label, paper, kind} made from the papers' own sentences."""
    rng = random.Random(seed)
    sentences = {pid: paper_sentences(store, pid) for pid in paper_ids}
    out: list[dict] = []
    for pid in paper_ids:
        sents = sentences[pid]
        if not sents:
            continue
        pool = _entity_pool(sents)
        picked = rng.sample(sents, min(per_paper, len(sents)))
        for j, s in enumerate(picked):
            for kind, text, label in _variants(s, pool, rng):
                out.append(
                    {"id": f"gen-{pid}-{j}-{kind}", "text": text, "label": label, "paper": pid, "kind": kind}
                )
        others = [s for q in paper_ids if q != pid for s in sentences[q]]
        out.extend(_unstated_examples(pid, sents, others, per_paper, rng))
    return out


def _entity_pool(sents: list[str]) -> list[str]:
    """The named tokens of a paper (two or more capitals, longer than two characters) that an entity swap draws
    from, sorted."""
    from synthesis.entities import is_entity_token, tokens

    return sorted(
        {
            t
            for s in sents
            for i, t in enumerate(tokens(s))
            if is_entity_token(t, i == 0) and sum(c.isupper() for c in t) >= 2 and len(t) > 2
        }
    )


def _variants(s: str, pool: list[str], rng: random.Random) -> list[tuple[str, str, str]]:
    """(kind, text, label) made from one sentence: itself, a paraphrase and its main clause (supported), and a
    changed number, a swapped entity and a negation (refuted), each where it can be made."""
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
    return variants


def _unstated_examples(
    pid: str, sents: list[str], others: list[str], per_paper: int, rng: random.Random
) -> list[dict]:
    """The not_enough_info examples of one paper: sentences of the other papers, and drift (this paper's
    subject, another paper's predicate)."""
    out: list[dict] = []
    # Not enough info: sentences of the other papers, checked against this one.
    for j, s in enumerate(rng.sample(others, min(per_paper // 2, len(others)))):
        out.append(
            {
                "id": f"gen-{pid}-nei-{j}",
                "text": s,
                "label": "not_enough_info",
                "paper": pid,
                "kind": "other-paper",
            }
        )
    # Drift: this paper's subject, another paper's predicate -- on topic, but not stated anywhere.
    for j in range(min(per_paper // 3, len(others), len(sents))):
        head = rng.choice(sents).split()
        tail = rng.choice(others).split()
        text = " ".join(head[: max(3, len(head) * 2 // 5)] + tail[len(tail) // 2 :])
        out.append(
            {
                "id": f"gen-{pid}-drift-{j}",
                "text": text,
                "label": "not_enough_info",
                "paper": pid,
                "kind": "drift",
            }
        )
    return out


def outcomes_for(store, settings, examples: list[dict], *, use_embeddings: bool) -> list[dict]:  # noqa: ANN001
    """Run the verifier on labelled examples; record predicted label, correctness and features."""
    from synthesis.evaluation import normalize_label
    from synthesis.verify import Verifier

    verifier = Verifier(
        store,
        settings,
        use_embeddings=use_embeddings,
        quiet=True,
        use_model=False,
        calibration={"models": {}, "prior": {}},
    )
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
        out.append(
            {
                "mode": mode,
                "label": v["label"],
                "gold": gold,
                "correct": correct,
                "features": v["signals"],
                "kind": ex.get("kind", "gold"),
            }
        )
    return out


def calibrate(
    store,
    settings,
    paper_ids: list[str],
    *,
    gold: list[dict] | None = None,  # noqa: ANN001
    per_paper: int = 60,
    seed: int = 13,
    embeddings: bool = True,
) -> dict:
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
    params.update(
        {
            "name": CALIBRATION_NAME,
            "tool_version": tool_version,
            "created": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "data": {
                "papers": paper_ids,
                "generated_examples": len(examples),
                "gold_examples": len(gold or []),
                "per_paper": per_paper,
                "seed": seed,
                "modes": modes,
                "embedding_model": str(settings.embedding_model) if "embedding" in modes else None,
                "accuracy_by_kind": {k: round(sum(v) / len(v), 4) for k, v in sorted(by_kind.items())},
            },
            "features": list(FEATURES),
        }
    )
    return params


def main(argv: list[str] | None = None) -> None:
    """`python -m synthesis.calibrate --fit --corpus ../shared/corpus --out synthesis/data/calibration.json`:
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
    ap.add_argument(
        "--home", default=None, help="use this assay home (already ingested) instead of a temp one"
    )
    args = ap.parse_args(argv)
    corpus = Path(args.corpus)
    index = json.loads((corpus / "index.json").read_text())
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(args.home) if args.home else Path(tmp)
        settings = load_settings(home, offline=True, embedding_model=args.embedding_model)
        store = Store(settings.db_path)
        from synthesis.papers import list_papers

        if not list_papers(store):
            from synthesis.ingest import ingest_corpus_entry

            for e in index["papers"]:
                ingest_corpus_entry(store, settings, corpus, e)
        ids = [p.id for p in list_papers(store)]
        params = calibrate(
            store, settings, ids, per_paper=args.per_paper, embeddings=args.embedding_model is not None
        )
        params["data"]["corpus_files"] = [e["file"] for e in index["papers"]]
        params["data"]["produced_by"] = "python -m synthesis.calibrate --fit"
        store.close()
    out = Path(args.out)
    tmp_out = out.with_suffix(".tmp")
    tmp_out.write_text(json.dumps(params, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    import os

    os.replace(tmp_out, out)
    print(json.dumps(params["data"], indent=1))


if __name__ == "__main__":
    main()
