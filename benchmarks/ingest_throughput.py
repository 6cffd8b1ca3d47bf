"""Ingestion throughput: pages per second from PDF bytes to stored passages, stage by stage.

Stages: extraction (pypdf), cleaning (lines, running headers, hyphenation, headings, page assembly, references),
segmentation (spaCy sentences and passage offsets), tables (pdfplumber on pages with a table caption), store (one
SQLite transaction). The baseline, measured in the
same run on the same files, is bare pypdf ``extract_text`` of every page: the ratio says how much our cleaning,
segmentation and storing cost on top of the text extraction that any approach must pay.

    python benchmarks/ingest_throughput.py [--corpus DIR] [--repeat N]
"""

from __future__ import annotations

import argparse
import io
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

STAGES = ("extraction", "cleaning", "segmentation", "tables", "store")


def bare_pypdf(data: bytes) -> int:
    import pypdf

    reader = pypdf.PdfReader(io.BytesIO(data))
    return sum(len(p.extract_text() or "") for p in reader.pages)


def run_once(data: bytes, name: str, home: Path, n: int) -> dict[str, float]:
    from synthesis.ingest import parse_pdf, write_rows
    from synthesis.store import Store

    parsed = parse_pdf(data, name)
    row = (
        f"bench:{n}:{name}",
        None,
        None,
        None,
        parsed.title,
        "[]",
        None,
        None,
        parsed.abstract,
        f"{n}-{name}",
        len(parsed.pages),
        "local",
        "{}",
    )
    with Store(home / "bench.sqlite3") as store:
        t0 = time.perf_counter()
        with store.transaction() as conn:
            write_rows(conn, row, parsed)
        parsed.timings["store"] = time.perf_counter() - t0
    parsed.timings["passages"] = len(parsed.passages)
    parsed.timings["pages"] = len(parsed.pages)
    return parsed.timings


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--corpus", type=Path, default=REPO.parent / "shared" / "corpus")
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    pdfs = sorted(args.corpus.glob("*.pdf"))
    if not pdfs:
        sys.exit(f"no PDFs in {args.corpus}")

    t0 = time.perf_counter()
    from synthesis.sentences import nlp

    nlp()
    warmup = time.perf_counter() - t0

    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp)
        n = 0
        for pdf in pdfs:
            data = pdf.read_bytes()
            base, ours = [], []
            for _ in range(args.repeat):
                t = time.perf_counter()
                bare_pypdf(data)
                base.append(time.perf_counter() - t)
                n += 1
                ours.append(run_once(data, pdf.name, home, n))
            best = min(ours, key=lambda t: sum(t[s] for s in STAGES))
            rows.append((pdf.name, best, min(base)))

    cmd = "python benchmarks/ingest_throughput.py " + " ".join(sys.argv[1:])
    print(f"command: {cmd.strip()}")
    print(f"spaCy pipeline load (once per process): {warmup:.2f} s; best of {args.repeat} runs per file\n")
    head = f"{'file':<22}{'pages':>6}{'passages':>9}" + "".join(f"{s:>14}" for s in STAGES)
    head += f"{'total s':>9}{'pages/s':>9}{'pypdf p/s':>10}{'ratio':>7}"
    print(head)
    print("-" * len(head))
    tot = dict.fromkeys(STAGES, 0.0)
    tot_pages = tot_base = 0.0
    for name, t, base in rows:
        total = sum(t[s] for s in STAGES)
        for s in STAGES:
            tot[s] += t[s]
        tot_pages += t["pages"]
        tot_base += base
        cells = "".join(f"{t[s] * 1000:>11.0f} ms" for s in STAGES)
        print(
            f"{name:<22}{t['pages']:>6}{t['passages']:>9}{cells}{total:>9.2f}{t['pages'] / total:>9.1f}"
            f"{t['pages'] / base:>10.1f}{base / total:>7.2f}"
        )
    total = sum(tot.values())
    cells = "".join(f"{tot[s] * 1000:>11.0f} ms" for s in STAGES)
    print(
        f"{'all':<22}{int(tot_pages):>6}{'':>9}{cells}{total:>9.2f}{tot_pages / total:>9.1f}"
        f"{tot_pages / tot_base:>10.1f}{tot_base / total:>7.2f}"
    )
    shares = ", ".join(f"{s} {100 * tot[s] / total:.0f}%" for s in STAGES)
    print(f"\nshare of time: {shares}")
    print(
        "ratio = bare pypdf time / our full pipeline time (1.0 would mean cleaning, segmentation and storing are free)"
    )


if __name__ == "__main__":
    main()
