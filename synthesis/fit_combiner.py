"""Fit the verifier's combiner: ``python -m synthesis.fit_combiner --out synthesis/data/combiner.json``.

Runs the whole verifier (rules + cross-encoder) on the share of the training sets held back from the
cross-encoder (:func:`synthesis.verifier_data.is_calib`: never trained on, never a dev split), reads each verdict's
features, and fits :mod:`synthesis.combiner` with a temperature from out-of-fold predictions. Two-label RTE pairs
are left out (their 'not entailed' is not one of the three labels). ``--scores`` warms the score cache from a
file written by ``train_verifier --score-out`` (same model), so the cross-encoder need not run again on CPU.
"""

from __future__ import annotations

import argparse
import gzip
import json
import random
import tempfile
import time
from pathlib import Path

from synthesis.verifier_data import TWO_WAY, Pair, default_data_root, is_calib, load_public


def warm_cache(settings, scores: Path) -> int:  # noqa: ANN001
    """Copy pre-computed scores into the score cache of ``settings.home``."""
    from synthesis.crossencoder import ScoreCache

    with gzip.open(scores, "rt") as f:
        data = json.load(f)
    cache = ScoreCache(Path(settings.home) / "verifier_scores.sqlite3")
    cache.put_many({k: tuple(v) for k, v in data.items()})
    cache.close()
    return len(data)


def claims_of(pairs: list[Pair]) -> list[dict]:
    """Gold claims with inline evidence (the pair's evidence as one passage, as the cross-encoder read it)."""
    return [
        {
            "id": f"{p.source}-{n}",
            "text": p.claim,
            "evidence": [p.evidence],
            "label": p.label,
            "source": p.source,
        }
        for n, p in enumerate(pairs)
    ]


def features_for(settings, claims: list[dict], *, use_model: bool = True) -> list[dict]:  # noqa: ANN001
    from synthesis.verify import verify_claims

    return verify_claims(
        None,
        settings,
        [{k: c[k] for k in ("id", "text", "evidence")} for c in claims],
        [],
        use_embeddings=False,
        use_model=use_model,
    )


def retrieval_claims(
    store, settings, corpus: Path, public: list[Pair], *, seed: int
) -> tuple[list[dict], str]:  # noqa: ANN001
    """Claims verified the way users verify them, against a whole stored paper: the held-back generated claims of
    the generation paper (its sentences, rewrites and clauses supported; its edits refuted) and held-back public
    claims about other things (not enough info against this paper). Returns the claims and the paper id."""
    from synthesis.ingest import ingest_corpus_entry
    from synthesis.pairgen import generate_pairs, paper_sentences
    from synthesis.train_verifier import GENERATION_PAPERS

    index = json.loads((corpus / "index.json").read_text())
    entry = next(e for e in index["papers"] if e["file"] == GENERATION_PAPERS[0])
    res = ingest_corpus_entry(store, settings, corpus, entry)
    sents = paper_sentences(store, res.paper_id)
    seen: set[str] = set()
    claims: list[dict] = []
    for k in range(4):  # several draws of edits and rewrites of the held-back sentences
        for p in generate_pairs(sents, entry["file"], seed=seed + k):
            if is_calib(p) and p.label in ("supported", "refuted") and p.claim not in seen:
                seen.add(p.claim)
                claims.append(
                    {"id": f"paper-{len(claims)}", "text": p.claim, "label": p.label, "source": "paper"}
                )
    others = [p for p in public if p.label != TWO_WAY and len(p.claim.split()) >= 5]
    random.Random(seed).shuffle(others)
    for p in others[: len(claims) // 2]:
        if p.claim not in seen:
            seen.add(p.claim)
            claims.append(
                {
                    "id": f"other-{len(claims)}",
                    "text": p.claim,
                    "label": "not_enough_info",
                    "source": p.source,
                }
            )
    return claims, res.paper_id


def main(argv: list[str] | None = None) -> None:
    """Fit the combiner's inline and retrieval models on the verifier's features for the held-back pairs (or
    refit them from dumped rows) and save them with a summary of their data."""
    from synthesis.combiner import fit, save

    args = _parse_args(argv)
    if args.from_rows:
        _refit_from_rows(args)
        return
    held = _held_back(args)
    t0 = time.time()
    claims, verdicts, rclaims, rverdicts, paper = _verify_held(args, held)
    rows = [v["signals"] for v in verdicts]
    rrows = [v["signals"] for v in rverdicts]
    if args.dump_rows:
        Path(args.dump_rows).write_text(
            json.dumps(
                [
                    {"features": r, "label": c["label"], "source": c["source"], "mode": "inline"}
                    for r, c in zip(rows, claims, strict=True)
                ]
                + [
                    {"features": r, "label": c["label"], "source": c["source"], "mode": "retrieval"}
                    for r, c in zip(rrows, rclaims, strict=True)
                ]
            )
        )
    params = {
        "inline": fit(rows, [c["label"] for c in claims], seed=args.seed, l2=args.l2),
        "retrieval": fit(rrows, [c["label"] for c in rclaims], seed=args.seed, l2=args.l2, balanced=True),
    }
    params["data"] = {
        "held_back_pairs": len(held),
        "by_source": _count(held),
        "retrieval_claims": {"paper": paper, "by_source": _count_claims(rclaims)},
        "seconds": round(time.time() - t0, 1),
        "produced_by": "python -m synthesis.fit_combiner " + " ".join(argv or []),
    }
    params["table"] = _table_rates()
    save(params, Path(args.out))
    _summary(params)


def _table_rates() -> dict | None:
    """The table cell check's rates on the SEM-TAB-FACTS training statements (None when the data is absent)."""
    from synthesis.errors import AssayError
    from synthesis.semtabfacts import cell_check_rates, load_semtabfacts

    try:
        statements = load_semtabfacts("train")
    except (
        AssayError,
        OSError,
    ):  # the set is not beside the checkout (load_semtabfacts says so as AssayError)
        return None
    return dict(
        cell_check_rates(statements), source="SEM-TAB-FACTS train_manual_v1.3.2 (statements, table given)"
    )


def _parse_args(argv: list[str] | None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", default=str(Path(__file__).with_name("data") / "combiner.json"))
    ap.add_argument("--data", default=str(default_data_root()))
    ap.add_argument(
        "--pairs", default=None, help="pairs file from train_verifier --dump-pairs (adds generated)"
    )
    ap.add_argument(
        "--scores", default=None, help="gzip JSON of pre-computed scores (train_verifier --score-out)"
    )
    ap.add_argument(
        "--home", default=None, help="assay home whose score cache to use (default: a temporary one)"
    )
    ap.add_argument("--limit", type=int, default=6000)
    ap.add_argument("--seed", type=int, default=13)
    ap.add_argument(
        "--l2",
        default="30",
        help="ridge penalty, or 'auto' for the one with the best out-of-fold log-loss per mode",
    )
    ap.add_argument(
        "--from-rows",
        default=None,
        help="fit from rows written by --dump-rows instead of running the verifier again",
    )
    ap.add_argument("--dump-rows", default=None, help="also write the feature rows (JSON) for inspection")
    ap.add_argument(
        "--corpus",
        default=str(default_data_root().parent / "corpus"),
        help="the corpus folder (index.json): its generation paper gives the retrieval-mode rows",
    )
    args = ap.parse_args(argv)
    args.l2 = None if args.l2 == "auto" else float(args.l2)
    return args


def _refit_from_rows(args: argparse.Namespace) -> None:
    """Fit both modes from rows written by ``--dump-rows``, keeping the data summary of the saved combiner."""
    from synthesis.combiner import fit, save

    dumped = json.loads(Path(args.from_rows).read_text())
    params = {
        m: fit(
            [r["features"] for r in dumped if r["mode"] == m],
            [r["label"] for r in dumped if r["mode"] == m],
            seed=args.seed,
            l2=args.l2,
            balanced=m == "retrieval",  # generated edits outnumber the true sentences they come from
        )
        for m in ("inline", "retrieval")
    }
    previous = json.loads(Path(args.out).read_text()) if Path(args.out).is_file() else {}
    params["data"] = dict(previous.get("data", {}), refitted_from_rows=Path(args.from_rows).name)
    params["table"] = _table_rates() or previous.get("table")
    save(params, Path(args.out))
    _summary(params)


def _held_back(args: argparse.Namespace) -> list[Pair]:
    """The pairs held back from the cross-encoder for the combiner (not the two-way sets), shuffled, at most
    ``--limit``."""
    if args.pairs:
        from synthesis.verifier_data import read_pairs

        pairs, _ = read_pairs(Path(args.pairs))
    else:  # the public sets and the pairs generated from the corpus paper, as train_verifier builds them
        from synthesis.train_verifier import corpus_pairs

        pairs = load_public(Path(args.data))
        if Path(args.corpus).is_dir():
            pairs.extend(corpus_pairs(Path(args.corpus)))
    two_way = {
        p.source for p in pairs if p.label == TWO_WAY
    }  # their 'entailment' rows alone would be one-sided
    # SEM-TAB-FACTS tunes the table cell check instead (its rates, :func:`_table_rates`): its statements read
    # against a table linearised as text are not what the combiner sees in use.
    held = [p for p in pairs if is_calib(p) and p.source not in two_way and p.source != "sem-tab-facts"]
    held.sort(key=lambda p: (p.source, p.group, p.claim, p.evidence))
    random.Random(args.seed).shuffle(held)
    return held[: args.limit]


def _verify_held(
    args: argparse.Namespace, held: list[Pair]
) -> tuple[list[dict], list[dict], list[dict], list[dict], str]:
    """Verify the held-back pairs inline, and claims against the corpus's generation paper by retrieval: their
    claims and verdicts in both modes, and that paper's id."""
    from synthesis.settings import load_settings

    with tempfile.TemporaryDirectory() as tmp:
        settings = load_settings(args.home or tmp, offline=True, embedding_model="none")
        if args.scores:
            print(f"warmed the score cache with {warm_cache(settings, Path(args.scores))} scores", flush=True)
        claims = claims_of(held)
        verdicts = features_for(settings, claims)
        from synthesis.store import Store
        from synthesis.verify import verify_claims

        with Store(settings.db_path) as store:
            rclaims, paper = retrieval_claims(store, settings, Path(args.corpus), held, seed=args.seed)
            rverdicts = verify_claims(
                store,
                settings,
                [{k: c[k] for k in ("id", "text")} for c in rclaims],
                [paper],
                use_embeddings=False,
            )
    return claims, verdicts, rclaims, rverdicts, paper


def _summary(params: dict) -> None:
    keys = ("n", "l2", "oof_accuracy", "oof_ece", "temperature", "counts")
    print(json.dumps({m: {k: params[m][k] for k in keys} for m in ("inline", "retrieval")}, indent=1))


def _count_claims(claims: list[dict]) -> dict[str, int]:
    out: dict[str, int] = {}
    for c in claims:
        key = f"{c['source']}:{c['label']}"
        out[key] = out.get(key, 0) + 1
    return out


def _count(pairs: list[Pair]) -> dict[str, int]:
    out: dict[str, int] = {}
    for p in pairs:
        key = "generated" if p.source.startswith("generated:") else p.source
        out[key] = out.get(key, 0) + 1
    return out


if __name__ == "__main__":
    main()
