"""`assay report` on a stored 11-page paper, end to end in every format, with the time of each stage, beside the
time of `assay verify` alone on the same claims in the same process and run.

The paper (../shared/corpus/2005.13013v1.pdf by default) is ingested into a temporary home first (not timed). The
embedding model and the verifier are warmed by a first report on another question; then, per repetition, a fresh
stage folder is used so every stage is recomputed. Target: under 5 s on two cores with a warm embedding model.

    python benchmarks/report_benchmark.py --embedding-model PATH_OR_NAME [--repeat 3] [--out bench.json]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

Q000 = (
    "How does the effectiveness of intermediate-task training vary across different language families in the "
    "XTREME benchmark when scaling model size?"
)
WARM_QUESTION = "Does multilingual MLM during intermediate-task training help zero-shot transfer?"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--pdf", type=Path, default=REPO.parent / "shared" / "corpus" / "2005.13013v1.pdf")
    ap.add_argument(
        "--embedding-model", default=None, help="Local path or hub name (default: settings default)."
    )
    ap.add_argument("--verifier-model", default=None, help="'none' for the rules alone.")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--out", type=Path, default=None)
    args = ap.parse_args()

    from reports.report.pipeline import build
    from reports.report.render import FORMATS, render_all
    from synthesis.ingest import ingest_pdf
    from synthesis.settings import load_settings
    from synthesis.store import Store
    from synthesis.verify import verify_claims

    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp) / "home"
        settings = load_settings(
            home, offline=True, embedding_model=args.embedding_model, verifier_model=args.verifier_model
        )
        store = Store(settings.db_path)
        paper_id = ingest_pdf(store, settings, args.pdf, arxiv_id="2005.13013", version="v1").paper_id
        build(
            store, settings, paper_id, WARM_QUESTION, stages_root=Path(tmp) / "warm"
        )  # warm models and caches
        runs = []
        for i in range(args.repeat):
            t0 = time.perf_counter()
            report, stages = build(store, settings, paper_id, Q000, stages_root=Path(tmp) / f"run{i}")
            t1 = time.perf_counter()
            rendered = render_all(report, list(FORMATS))
            t2 = time.perf_counter()
            claims = [{"id": c["id"], "text": c["text"]} for c in report["claims"]]
            verify_claims(store, settings, claims, [paper_id])
            t3 = time.perf_counter()
            runs.append(
                {
                    "stages": {s.name: round(s.seconds, 3) for s in stages.log},
                    "render_all_formats": round(t2 - t1, 3),
                    "report_total": round(t2 - t0, 3),
                    "verify_alone": round(t3 - t2, 3),
                    "n_claims": len(claims),
                    "bytes": {k: len(v) for k, v in rendered.items()},
                }
            )
        store.close()
    med = {
        k: statistics.median(r[k] for r in runs)
        for k in ("report_total", "verify_alone", "render_all_formats")
    }
    result = {
        "paper": args.pdf.name,
        "embedding_model": settings.embedding_model,
        "verifier_model": settings.verifier_model,
        "runs": runs,
        "median": med,
        "ratio_report_to_verify": round(med["report_total"] / med["verify_alone"], 2)
        if med["verify_alone"]
        else None,
    }
    text = json.dumps(result, indent=2)
    if args.out:
        args.out.write_text(text + "\n", encoding="utf-8")
    print(text)


if __name__ == "__main__":
    main()
