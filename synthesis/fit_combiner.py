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


def main(argv: list[str] | None = None) -> None:
    from synthesis.combiner import fit, save
    from synthesis.settings import load_settings

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
    ap.add_argument("--l2", type=float, default=30.0, help="ridge penalty (chosen by out-of-fold accuracy)")
    ap.add_argument("--dump-rows", default=None, help="also write the feature rows (JSON) for inspection")
    args = ap.parse_args(argv)
    if args.pairs:
        from synthesis.verifier_data import read_pairs

        pairs, _ = read_pairs(Path(args.pairs))
    else:
        pairs = load_public(Path(args.data))
    two_way = {
        p.source for p in pairs if p.label == TWO_WAY
    }  # their 'entailment' rows alone would be one-sided
    held = [p for p in pairs if is_calib(p) and p.source not in two_way]
    held.sort(key=lambda p: (p.source, p.group, p.claim, p.evidence))
    random.Random(args.seed).shuffle(held)
    held = held[: args.limit]
    t0 = time.time()
    with tempfile.TemporaryDirectory() as tmp:
        settings = load_settings(args.home or tmp, offline=True, embedding_model="none")
        if args.scores:
            print(f"warmed the score cache with {warm_cache(settings, Path(args.scores))} scores", flush=True)
        claims = claims_of(held)
        verdicts = features_for(settings, claims)
    rows = [v["signals"] for v in verdicts]
    if args.dump_rows:
        Path(args.dump_rows).write_text(
            json.dumps(
                [
                    {"features": r, "label": c["label"], "source": c["source"]}
                    for r, c in zip(rows, claims, strict=True)
                ]
            )
        )
    params = fit(rows, [c["label"] for c in claims], seed=args.seed, l2=args.l2)
    params["data"] = {
        "held_back_pairs": len(held),
        "by_source": _count(held),
        "seconds": round(time.time() - t0, 1),
        "produced_by": "python -m synthesis.fit_combiner " + " ".join(argv or []),
    }
    save(params, Path(args.out))
    print(
        json.dumps(
            {k: params[k] for k in ("n", "oof_accuracy", "oof_ece", "temperature", "counts")}, indent=1
        )
    )


def _count(pairs: list[Pair]) -> dict[str, int]:
    out: dict[str, int] = {}
    for p in pairs:
        key = "generated" if p.source.startswith("generated:") else p.source
        out[key] = out.get(key, 0) + 1
    return out


if __name__ == "__main__":
    main()
