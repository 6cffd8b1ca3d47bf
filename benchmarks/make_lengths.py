"""Build ``benchmarks/data/pair_lengths.json``: token lengths of real sentence pairs under a real tokenizer.

The throughput benchmark trains on random token ids, but with the sequence lengths of real NLI pairs, so that
padding, length grouping and attention cost what they cost on real data. Only the histogram of lengths is kept (no
text), computed from the ANLI dev rounds in ``../shared/data/verification/anli`` (ANLI is part of the paper's ANLI+
intermediate task) with the WordPiece tokenizer of all-MiniLM-L6-v2 (an English subword tokenizer; XLM-R's
SentencePiece gives lengths of the same order on English).

    python benchmarks/make_lengths.py --tokenizer PATH_TO_MINILM [--data ../shared/data/verification/anli]
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import json
from collections import Counter
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
OUT = REPO / "benchmarks" / "data" / "pair_lengths.json"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tokenizer", required=True, help="a tokenizer folder or hub name")
    parser.add_argument("--data", default=str(REPO.parent / "shared" / "data" / "verification" / "anli"))
    parser.add_argument("--out", default=str(OUT))
    args = parser.parse_args(argv)

    from transformers import AutoTokenizer

    tok = AutoTokenizer.from_pretrained(args.tokenizer)
    files = sorted(Path(args.data).glob("ANLI_analysis_r*_dev.csv"))
    if not files:
        raise SystemExit(f"no ANLI dev files under {args.data}")
    pairs = []
    for f in files:
        with f.open(newline="", encoding="utf-8") as fh:
            pairs += [(r["context"], r["statement"]) for r in csv.DictReader(fh)]
    enc = tok([a for a, _ in pairs], [b for _, b in pairs], truncation=False)
    lengths = Counter(len(ids) for ids in enc["input_ids"])
    report = {
        "what": "token lengths of sentence pairs (premise, hypothesis), special tokens included",
        "source": [f"{f.name} sha256 {hashlib.sha256(f.read_bytes()).hexdigest()}" for f in files],
        "tokenizer": Path(args.tokenizer).name,
        "pairs": len(pairs),
        "histogram": {str(k): v for k, v in sorted(lengths.items())},
    }
    Path(args.out).write_text(json.dumps(report, indent=1) + "\n")
    total = sum(lengths.values())
    mean = sum(k * v for k, v in lengths.items()) / total
    print(f"{total} pairs, mean length {mean:.1f}, max {max(lengths)} -> {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
