"""The table cell check (synthesis/table_check.py) on SEM-TAB-FACTS statements: how often it decides, and how
often its decision agrees with the label (match -> entailed, mismatch -> refuted).

    python benchmarks/semtabfacts_cellcheck.py [--split dev] [--strict] [--dir ../shared/data/verification/sem-tab-facts]

``--strict`` runs the check as the verifier does against a whole paper (the column must be named; a mismatch needs a
value of the claim's order of magnitude); its train-split rates are the confidences of verdicts a cell decides.

Unknown statements (dev only) are counted too: a match or mismatch on one of them is a wrong decision.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections import Counter
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))


def evaluate(statements: list, strict: bool = False) -> dict:
    from synthesis.semtabfacts import cell_check_counts

    counts = cell_check_counts(statements, strict=strict)
    n = sum(counts.values())
    out = {"statements": n, "by_label": dict(Counter(s.label for s in statements))}
    for status, label in (("match", "supported"), ("mismatch", "refuted")):
        decided = sum(v for (st, _), v in counts.items() if st == status)
        right = counts[(status, label)]
        out[status] = {
            "decided": decided,
            "right": right,
            "precision": right / decided if decided else None,
            "coverage_of_label": right / max(1, sum(v for (_, lb), v in counts.items() if lb == label)),
        }
    decided = out["match"]["decided"] + out["mismatch"]["decided"]
    out["decided_share"] = decided / n if n else 0.0
    out["decided_precision"] = (
        (out["match"]["right"] + out["mismatch"]["right"]) / decided if decided else None
    )
    out["table"] = {f"{st}/{lb}": v for (st, lb), v in sorted(counts.items())}
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--split", default="dev", choices=["dev", "train"])
    ap.add_argument("--dir", type=Path, default=None)
    ap.add_argument("--strict", action="store_true", help="as the verifier runs it against a whole paper")
    args = ap.parse_args()
    from synthesis.semtabfacts import load_semtabfacts

    t0 = time.perf_counter()
    statements = load_semtabfacts(args.split, args.dir)
    t1 = time.perf_counter()
    res = evaluate(statements, args.strict)
    t2 = time.perf_counter()
    print(
        f"SEM-TAB-FACTS {args.split}{' (strict)' if args.strict else ''}: {res['statements']} statements {res['by_label']}; load {t1 - t0:.1f} s, "
        f"check {t2 - t1:.1f} s"
    )
    for status in ("match", "mismatch"):
        r = res[status]
        p = "n/a" if r["precision"] is None else f"{r['precision']:.3f}"
        print(
            f"  {status:8}: decided {r['decided']:4d}, right {r['right']:4d}, precision {p}, "
            f"covers {r['coverage_of_label']:.1%} of its label"
        )
    dp = "n/a" if res["decided_precision"] is None else f"{res['decided_precision']:.3f}"
    print(f"  decided {res['decided_share']:.1%} of statements, precision of decisions {dp}")
    print("  status/label counts:", res["table"])


if __name__ == "__main__":
    main()
