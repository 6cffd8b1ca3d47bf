"""The synthetic-world replication end to end on one device, and its agreement with a run on another device.

Runs the synthetic demo (pretraining, baseline and intermediate grids, zero-shot evaluation, controls) on
``--device`` and writes one JSON: the demo's scores per (base, intermediate, target, language group) and seed,
training throughput (tokens/s, MFU against the measured matmul peak, peak device memory) and timings. With
``--compare OTHER.json`` (the same command's output from another device, e.g. the CPU), every cell's seed mean is
compared with the other run's: the two agree where the difference of means is within the seed spread
(2 x the larger of the two seed standard deviations, and at least 1 point).

    python benchmarks/synthetic_replication.py --device cpu --out cpu.json
    python benchmarks/synthetic_replication.py --device cuda --out cuda.json --compare cpu.json
    python benchmarks/synthetic_replication.py --recompare cuda.json cpu.json      # compare two finished runs
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


def cells(scores: dict) -> dict[str, list[float]]:
    """Flatten base -> intermediate -> target -> group -> {seed: value} into 'base/inter/target/group' -> values."""
    out: dict[str, list[float]] = {}
    for base, by_inter in scores.items():
        for inter, by_target in by_inter.items():
            for target, by_group in by_target.items():
                for group, per_seed in by_group.items():
                    if isinstance(per_seed, dict) and per_seed:
                        out[f"{base}/{inter}/{target}/{group}"] = [float(v) for v in per_seed.values()]
    return out


def compare(a: dict, b: dict) -> dict:
    """Cell-by-cell agreement of two runs' seed means, within the seed spread."""
    ca, cb = cells(a["scores"]), cells(b["scores"])
    rows = []
    for key in sorted(set(ca) & set(cb)):
        va, vb = ca[key], cb[key]
        sd = max(statistics.pstdev(va) if len(va) > 1 else 0.0, statistics.pstdev(vb) if len(vb) > 1 else 0.0)
        tol = max(1.0, 2 * sd)
        diff = statistics.mean(va) - statistics.mean(vb)
        rows.append({"cell": key, "this": round(statistics.mean(va), 2), "other": round(statistics.mean(vb), 2),
                     "diff": round(diff, 2), "tolerance": round(tol, 2), "agree": abs(diff) <= tol})  # fmt: skip
    agree = sum(r["agree"] for r in rows)
    return {"cells": len(rows), "agree": agree, "share": agree / len(rows) if rows else None, "rows": rows,
            "checks_this": a.get("checks"), "checks_other": b.get("checks")}  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--quick", action="store_true", help="the smoke-test sizes")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--work", default=None, help="folder for runs and models (default: a temporary one)")
    parser.add_argument("--out", help="the JSON to write")
    parser.add_argument(
        "--recompare", nargs=2, metavar=("THIS", "OTHER"), help="compare two finished runs' JSONs"
    )
    parser.add_argument("--compare", default=None, help="another run's JSON to compare with")
    args = parser.parse_args(argv)
    if args.recompare:
        this, other = (json.loads(Path(f).read_text()) for f in args.recompare)
        return report_comparison(
            {"other_device": other.get("device"), **compare(this, other)}, this["device"]
        )
    if not args.out:
        parser.error("--out is required")

    from replication.synthetic.demo import DemoConfig, run_demo
    from replication.training import measured_peak_flops

    seeds = tuple(range(1, args.seeds + 1))
    cfg = DemoConfig.quick(seeds) if args.quick else DemoConfig(seeds=seeds)
    t0 = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(args.work) if args.work else Path(tmp)
        result = run_demo(work, cfg, log=lambda m: print(m, file=sys.stderr) if "step" not in m else None,
                          threads=args.threads, device=args.device)  # fmt: skip
    import torch

    peak, source = measured_peak_flops(torch.device(args.device))
    report = {
        "device": args.device,
        "gpu": torch.cuda.get_device_name(0) if args.device.startswith("cuda") else None,
        "versions": {"torch": torch.__version__},
        "config": result.config, "timings": result.timings, "wall_s": round(time.perf_counter() - t0, 1),
        "peak_flops": peak, "peak_source": source, "throughput": result.throughput,
        "checks": result.checks, "scores": result.scores, "tables": result.tables,
    }  # fmt: skip
    if args.compare:
        other = json.loads(Path(args.compare).read_text())
        report["comparison"] = {"other_device": other.get("device"), **compare(report, other)}
    Path(args.out).write_text(json.dumps(report, indent=2, default=str) + "\n")
    t = result.throughput
    mem = t.get("peak_memory_bytes")
    print(f"{args.device}: {len(t.get('runs', {}))} runs, {t['tokens_per_s'] or 0:.0f} tokens/s, "
          f"MFU {100 * (t['mfu'] or 0):.2f}%, peak memory {'-' if mem is None else f'{mem / 2**20:.0f} MiB'}, "
          f"wall {report['wall_s']} s")  # fmt: skip
    if args.compare:
        report_comparison(report["comparison"], args.device)
    return 0


def report_comparison(c: dict, device: str) -> int:
    print(
        f"{device} against {c['other_device']}: {c['agree']}/{c['cells']} cells agree within the seed spread"
    )
    for r in c["rows"]:
        mark = "  " if r["agree"] else "!!"
        print(f"{mark} {r['cell']:45} {r['this']:7.2f} vs {r['other']:7.2f}  diff {r['diff']:+6.2f}  "
              f"tolerance {r['tolerance']:.2f}")  # fmt: skip
    for side, key in ((device, "checks_this"), (c["other_device"], "checks_other")):
        print(f"checks on {side}: {json.dumps(c.get(key), default=str)[:400]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
