"""The verifier on COVID-Fact (claim against its listed evidence sentences), the whole set or a sample.

    python benchmarks/covidfact_eval.py [--data ../shared/data/covidfact/COVIDFACT_dataset.jsonl] [--limit N]
        [--embedding-model PATH_OR_NAME] [--calibrate-half]

Two-way gold (SUPPORTED / REFUTED): a not_enough_info verdict counts as REFUTED ("not supported"); the number of
such verdicts is printed. Prints accuracy, macro-F1, Brier, ECE and the reliability table, lexical and (when a model
is given) with embeddings. Same as `assay eval verify FILE --covidfact [--limit N]`.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def main() -> None:
    sys.path.insert(0, str(REPO))
    from synthesis.evaluation import load_covidfact
    from synthesis.settings import load_settings
    from synthesis.store import Store
    from synthesis.verify import evaluate

    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument(
        "--data", default=str(REPO.parent / "shared" / "data" / "covidfact" / "COVIDFACT_dataset.jsonl")
    )
    ap.add_argument("--limit", type=int, default=None)
    ap.add_argument("--embedding-model", default=None)
    ap.add_argument(
        "--calibrate-half",
        action="store_true",
        help="also fit the calibration on the even lines (`assay calibrate --from`) and score the odd ones",
    )
    args = ap.parse_args()
    gold = load_covidfact(args.data, limit=args.limit)
    modes = [("lexical", "none")] + ([("embeddings", args.embedding_model)] if args.embedding_model else [])
    with tempfile.TemporaryDirectory() as tmp:
        for name, model in modes:
            settings = load_settings(Path(tmp) / "home", offline=True, embedding_model=model)
            store = Store(settings.db_path)
            t0 = time.perf_counter()
            m, _ = evaluate(store, settings, gold, use_embeddings=name != "lexical")
            dt = time.perf_counter() - t0
            print(
                f"{name:<10} n={m['n']}  accuracy {m['accuracy']:.3f}  macro-F1 {m['macro_f1']:.3f}  "
                f"F1 supported {m['f1'].get('supported', 0):.3f} refuted {m['f1'].get('refuted', 0):.3f}  "
                f"Brier {m['brier']:.3f}  ECE {m['ece']:.3f}  NEI->refuted {m['nei_predictions']}  "
                f"{m['n'] / dt:.0f} claims/s"
            )
            for r in m["reliability"]:
                if r["count"]:
                    print(
                        f"    {r['bin']}  n={r['count']:<5} conf {r['mean_confidence']:.3f}  acc {r['accuracy']:.3f}"
                    )
            store.close()
    if args.calibrate_half:
        from synthesis.calibrate import calibrate
        from synthesis.calibration import save_calibration

        fit, test = gold[0::2], gold[1::2]
        with tempfile.TemporaryDirectory() as tmp:
            settings = load_settings(Path(tmp) / "home", offline=True, embedding_model="none")
            store = Store(settings.db_path)
            before, _ = evaluate(store, settings, test, use_embeddings=False)
            save_calibration(store, calibrate(store, settings, [], gold=fit, embeddings=False))
            after, _ = evaluate(store, settings, test, use_embeddings=False)
            print(
                f"odd lines (n={len(test)}), shipped calibration:     ECE {before['ece']:.3f}  Brier "
                f"{before['brier']:.3f}  macro-F1 {before['macro_f1']:.3f}"
            )
            print(
                f"odd lines, calibrated on the even lines: ECE {after['ece']:.3f}  Brier {after['brier']:.3f}  "
                f"macro-F1 {after['macro_f1']:.3f}"
            )
            store.close()


if __name__ == "__main__":
    main()
