"""The verifier's figures in one run: every dev split, COVID-Fact's odd half and the corpus papers' claim sets,
for the new verifier (cross-encoder + rules + calibrated combiner), the old rules alone, and a majority baseline.

    python benchmarks/verifier_eval.py [--per-set 400] [--scores FILE] [--out benchmarks/results/verifier]

Dev data: sets with a published dev split use it (Check-COVID, SEM-TAB-FACTS, where the new system also lets the
cell the statement names decide, as it does on a paper's tables); COVID-Fact uses its odd lines (never
trained on); RTE-covidfact its dev file minus claims trained on; sets published as one file use the 30% hash split
never trained on (synthesis.verifier_data). Each set is sampled to ``--per-set`` pairs with a fixed seed. Two-label
sets are scored two-way (not enough info counts as not supported). The majority baseline predicts the most frequent
label of the set's *training* part with that label's training share as confidence. Claim sets in tests/data are
verified against the ingested corpus papers (no inline evidence): 2005.13013v1 is the paper the generated training
pairs came from, so its figures are flagged; extratrees and hyperllama are clean. Writes results.json, results.md
and reliability PNGs into ``--out``. ``--scores`` warms the cross-encoder score cache (train_verifier --score-out).
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
CLAIM_SETS = {  # file -> (corpus PDF, note)
    "claims_gold.jsonl": ("2005.13013v1.pdf", "all three papers; the old rules were tuned on it"),
    "claims_holdout.jsonl": ("2005.13013v1.pdf", "2005.13013v1: generation source paper"),
    "claims_extratrees.jsonl": ("extratrees.pdf", "clean: never trained on"),
    "claims_hyperllama.jsonl": ("hyperllama.pdf", "clean: never trained on"),
    "claims_paraphrase.jsonl": ("2005.13013v1.pdf", "paraphrase set; generation source paper"),
}


def _family(source: str) -> str:
    return "generated" if source.startswith("generated:") else source


def _gold_label(label: str) -> str:
    return "refuted" if label == "not_supported" else label


def majority(train_labels: list[str], gold: list[str], two_way: bool) -> dict:
    from synthesis.evaluation import score

    norm = [("refuted" if (two_way and g != "supported") else g) for g in map(_gold_label, train_labels)]
    lab, cnt = Counter(norm).most_common(1)[0]
    share = cnt / len(norm)
    return score(gold, [{"label": lab, "confidence": share} for _ in gold], two_way=two_way)


def main() -> None:
    sys.path.insert(0, str(REPO))
    from synthesis.evaluation import plot_reliability, read_jsonl, score
    from synthesis.fit_combiner import warm_cache
    from synthesis.settings import load_settings
    from synthesis.store import Store
    from synthesis.verifier_data import dev_source, load_public
    from synthesis.verify import evaluate, verify_claims

    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--per-set", type=int, default=400)
    ap.add_argument("--scores", default=None)
    ap.add_argument("--sets", default=None, help="comma-separated subset of the dev sets")
    ap.add_argument("--no-claim-sets", action="store_true")
    ap.add_argument("--out", default=str(REPO / "benchmarks" / "results" / "verifier"))
    ap.add_argument("--seed", type=int, default=13)
    args = ap.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    pairs = load_public()
    rng = random.Random(args.seed)
    by_dev: dict[str, list] = {}
    by_train: dict[str, list[str]] = {}
    for p in pairs:
        (by_dev if p.split == "dev" else by_train).setdefault(_family(p.source), []).append(
            p if p.split == "dev" else p.label
        )
    wanted = set(args.sets.split(",")) if args.sets else None
    results: dict[str, dict] = {}
    t_all = time.time()
    with tempfile.TemporaryDirectory() as tmp:
        settings = load_settings(Path(tmp) / "home", offline=True, embedding_model="none")
        if args.scores:
            print(f"score cache warmed with {warm_cache(settings, Path(args.scores))} scores", flush=True)
        for name in sorted(by_dev):
            if wanted and name not in wanted:
                continue
            rows = sorted(by_dev[name], key=lambda p: (p.group, p.claim, p.evidence))
            if len(rows) > args.per_set:
                rows = rng.sample(rows, args.per_set)
            gold = [_gold_label(p.label) for p in rows]
            # Two labels: the RTE-format sets, COVID-Fact (true / counter-claim) and WiCE, whose "not supported"
            # says the evidence does not support the claim, not that it contradicts it.
            two_way = any(p.label == "not_supported" for p in rows) or name in ("covidfact", "wice")
            claims = [{"id": str(i), "text": p.claim, "evidence": [p.evidence]} for i, p in enumerate(rows)]
            row: dict[str, dict] = {}
            for system, use_model in (("new", True), ("old rules", False)):
                t0 = time.time()
                verdicts = verify_claims(
                    None, settings, claims, [], use_embeddings=False, use_model=use_model
                )
                if name == "sem-tab-facts" and use_model:
                    _table_decides(rows, verdicts)
                m = score(gold, verdicts, two_way=two_way)
                m["seconds"] = round(time.time() - t0, 1)
                row[system] = m
                if system == "new":
                    plot_reliability(m, out / f"reliability_{name}.png")
            row["majority"] = majority(by_train.get(name) or [p.label for p in rows], gold, two_way)
            results[name] = {"n": len(rows), "two_way": two_way, "dev": dev_source(name), "systems": row}
            _print(name, results[name])
        if not args.no_claim_sets:
            store = Store(settings.db_path)
            index = json.loads((REPO.parent / "shared" / "corpus" / "index.json").read_text())
            from synthesis.ingest import ingest_pdf

            ids = {}
            for e in index["papers"]:
                res = ingest_pdf(
                    store,
                    settings,
                    REPO.parent / "shared" / "corpus" / e["file"],
                    arxiv_id=e.get("arxiv_id"),
                    version=e.get("version"),
                    title=e.get("title"),
                )
                ids[e["file"]] = res.paper_id
            for fname, (pdf, note) in CLAIM_SETS.items():
                path = REPO / "tests" / "data" / fname
                if not path.is_file():
                    continue
                from synthesis.papers import resolve_paper

                gold_rows = [
                    dict(g, paper=ids.get(g.get("paper", pdf)) or resolve_paper(store, g["paper"]).id)
                    for g in read_jsonl(path)
                ]
                row = {}
                for system, use_model in (("new", True), ("old rules", False)):
                    t0 = time.time()
                    claims = [{"id": g["id"], "text": g["text"], "paper": g["paper"]} for g in gold_rows]
                    verdicts = verify_claims(
                        store, settings, claims, [], use_embeddings=False, use_model=use_model
                    )
                    m = score([g["label"] for g in gold_rows], verdicts)
                    m["seconds"] = round(time.time() - t0, 1)
                    row[system] = m
                    if system == "new":
                        plot_reliability(m, out / f"reliability_{fname.removesuffix('.jsonl')}.png")
                labels = [g["label"] for g in gold_rows]
                row["majority"] = majority(labels, labels, False)
                results[fname] = {"n": len(gold_rows), "two_way": False, "dev": note, "systems": row}
                _print(fname, results[fname])
            store.close()
        del evaluate
    for r in results.values():
        for m in r["systems"].values():
            m.pop("reliability", None)
    (out / "results.json").write_text(json.dumps(results, indent=1, sort_keys=True) + "\n")
    lines = [
        "| set | n | dev data | new acc | new macro-F1 | new ECE | old acc | old macro-F1 | old ECE | majority acc |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for name, r in results.items():
        s = r["systems"]
        lines.append(
            f"| {name} | {r['n']} | {r['dev']} | {s['new']['accuracy']:.3f} | {s['new']['macro_f1']:.3f} | "
            f"{s['new']['ece']:.3f} | {s['old rules']['accuracy']:.3f} | {s['old rules']['macro_f1']:.3f} | "
            f"{s['old rules']['ece']:.3f} | {s['majority']['accuracy']:.3f} |"
        )
    (out / "results.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))
    print(f"total {time.time() - t_all:.0f} s; written to {out}")


def _table_decides(rows: list, verdicts: list[dict]) -> None:
    """SEM-TAB-FACTS as the verifier reads a paper's tables: the cell check on the statement's own table (strict,
    as against a paper) decides where :func:`synthesis.verifier.table_cells.decide_by_table` lets it; the text
    reading is the cross-encoder's and the rules' over the linearised table."""
    from synthesis.semtabfacts import load_semtabfacts
    from synthesis.table_check import check_claim
    from synthesis.verifier.table_cells import decide_by_table, default_table_rates
    from synthesis.verifier_data import clean_text

    tables = {(clean_text(s.statement), clean_text(s.evidence)): s.table for s in load_semtabfacts("dev")}
    rates = default_table_rates()
    for p, v in zip(rows, verdicts, strict=True):
        table = tables.get((p.claim, p.evidence))
        if table is not None:
            cc = check_claim(p.claim, [table], strict=True)
            entry = {"paper": "inline", "quote": cc.citation, "score": 1.0, "kind": "table-cell"}
            decide_by_table(v, cc, rates, entry if cc.table is not None else None)


def _print(name: str, r: dict) -> None:
    s = r["systems"]
    print(
        f"{name:<26} n={r['n']:<5} new acc {s['new']['accuracy']:.3f} F1 {s['new']['macro_f1']:.3f} "
        f"ECE {s['new']['ece']:.3f} | old acc {s['old rules']['accuracy']:.3f} F1 {s['old rules']['macro_f1']:.3f} "
        f"ECE {s['old rules']['ece']:.3f} | majority {s['majority']['accuracy']:.3f}",
        flush=True,
    )


if __name__ == "__main__":
    main()
