"""Claims as a researcher reads them: counts per review category, from hand labels joined to today's extraction.

A label file (JSONL: ``{"paper", "text", "category"}``) records one reading of each listed claim. Categories:
ok (stands as it is), context (needs a sentence it does not carry), duplicate (says again what another listed claim
says), hedge_as_finding / future_as_finding (speculation or plans listed as results), not_a_claim (describes the
paper or a table), garbled (a PDF artefact runs through it).

    # before (the labels of the extraction before issue 8, counted as they are)
    python benchmarks/claims_review.py --labels tests/data/claims_review/before.jsonl --labels-only
    # after: extract now (findings and setup, as `assay claims` lists them without table facts) and join
    python benchmarks/claims_review.py --home HOME --labels tests/data/claims_review/after.jsonl

Claims the label file does not know are listed as "unlabelled", so a changed extraction is never counted silently.
"""

from __future__ import annotations

import argparse
import json
from collections import Counter
from pathlib import Path

CATEGORIES = ("ok", "context", "duplicate", "hedge_as_finding", "future_as_finding", "not_a_claim", "garbled")


def read_labels(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def table(counts: dict[str, Counter], extra: dict[str, Counter] | None = None) -> str:
    """Rows: papers; columns: categories (and typed-apart kinds)."""
    cols = list(CATEGORIES) + ["unlabelled"] + sorted({k for c in (extra or {}).values() for k in c})
    lines = ["paper".ljust(22) + "".join(c[:11].rjust(12) for c in cols) + "total".rjust(8)]
    for paper, c in counts.items():
        e = (extra or {}).get(paper, Counter())
        row = [c.get(k, 0) for k in CATEGORIES] + [c.get("unlabelled", 0)] + [e.get(k, 0) for k in cols[8:]]
        lines.append(
            paper[:21].ljust(22) + "".join(str(v).rjust(12) for v in row) + str(sum(c.values())).rjust(8)
        )
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--labels", type=Path, required=True)
    ap.add_argument("--labels-only", action="store_true", help="Count the label file itself (no extraction).")
    ap.add_argument("--home", type=Path, help="An assay home with the papers ingested.")
    ap.add_argument("--kind", default="finding,setup", help="Kinds listed (default: finding,setup).")
    args = ap.parse_args()
    labels = read_labels(args.labels)
    if args.labels_only:
        counts: dict[str, Counter] = {}
        for r in labels:
            counts.setdefault(r["paper"], Counter())[r["category"]] += 1
        print(table(counts))
        return
    from synthesis.claim_kinds import parse_kinds
    from synthesis.claims import extract_claims
    from synthesis.store import Store

    kinds = parse_kinds(args.kind)
    known = {(r["paper"], r["text"]): r["category"] for r in labels}
    counts, apart, unlabelled = {}, {}, []
    with Store(args.home / "assay.sqlite3") as store:
        for paper in dict.fromkeys(r["paper"] for r in labels):
            claims = extract_claims(store, paper)
            c = counts.setdefault(paper, Counter())
            apart[paper] = Counter(x.kind for x in claims if x.kind not in kinds)
            for x in claims:
                if x.kind not in kinds:
                    continue
                cat = known.get((paper, x.text))
                c[cat or "unlabelled"] += 1
                if cat is None:
                    unlabelled.append(f"{paper[:20]} p{x.page} {x.kind}: {x.text}")
    print(table(counts, apart))
    for u in unlabelled:
        print("unlabelled:", u)


if __name__ == "__main__":
    main()
