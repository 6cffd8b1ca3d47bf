"""Training throughput of an XLM-R-shaped encoder: our training step against `transformers.Trainer` (defaults).

Both train the same randomly initialised model shape on the same pair-classification data: random token ids with
the lengths of real NLI pairs under a real tokenizer (``benchmarks/data/pair_lengths.json``, ANLI dev pairs, mean 88
tokens; ``make_lengths.py`` rebuilds it), truncated at ``--max-len``, for one epoch of ``steps x batch`` examples,
after a short untimed warm-up. Reported per side: useful (non-padding) tokens per
second, time per optimizer step, and on CUDA the MFU = useful FLOP/s / the measured bf16 matmul peak, with
6 x non-embedding parameters + 12 x layers x hidden x sequence length FLOPs per token. The ratio is ours / Trainer.

- ours: replication.training.train: length-grouped batches padded to their own longest sequence (a multiple of 8),
  bf16 autocast and fused AdamW on CUDA, SDPA attention with the padding mask built without a host sync, pinned
  host memory, no host syncs inside the loop; ``--compile`` adds a variant through ``torch.compile``.
- baseline: ``Trainer`` with default ``TrainingArguments`` (fp32, fused AdamW, shuffled batches without length
  grouping), each batch padded to its own longest sequence as the default collator does when the Trainer has a
  tokenizer (``--trainer-padding max_length`` pads to ``--max-len`` as ``run_glue.py`` does by default); only the
  workload differs from the defaults (one epoch, no checkpoint saving, no logging), so both sides do the same
  optimizer steps on the same examples.

Peak device memory is reported per side. Every side's median over ``--repeat`` runs is kept.

    python benchmarks/train_throughput.py --size large --batch-size 64 --compile --out large.json   # GPU
    python benchmarks/train_throughput.py --size tiny --steps 8            # CPU-feasible shape
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

SIZES = {
    # layers, hidden, heads, ffn, vocab
    "large": (24, 1024, 16, 4096, 250002),  # XLM-R Large
    "base": (12, 768, 12, 3072, 250002),  # XLM-R Base
    "tiny": (4, 256, 4, 1024, 32000),  # CPU-feasible
}


def make_config(size: str, max_len: int):
    from transformers import XLMRobertaConfig

    layers, hidden, heads, ffn, vocab = SIZES[size]
    return XLMRobertaConfig(
        vocab_size=vocab, hidden_size=hidden, num_hidden_layers=layers, num_attention_heads=heads,
        intermediate_size=ffn, max_position_embeddings=max(514, max_len + 2), num_labels=3,
    )  # fmt: skip


LENGTHS = Path(__file__).resolve().parent / "data" / "pair_lengths.json"


def real_lengths(n: int, max_len: int, rng) -> list[int]:  # noqa: ANN001
    """``n`` sequence lengths drawn from the real pair-length histogram, truncated at ``max_len``."""
    hist = json.loads(LENGTHS.read_text())["histogram"]
    values = [int(k) for k in hist]
    weights = [float(v) for v in hist.values()]
    total = sum(weights)
    drawn = rng.choice(values, size=n, p=[w / total for w in weights])
    return [int(min(max(4, x), max_len)) for x in drawn]


def make_data(n: int, max_len: int, vocab: int, seed: int = 0) -> list[dict]:
    import numpy as np

    rng = np.random.default_rng(seed)
    lengths = real_lengths(n, max_len, rng)
    out = []
    for i, length in enumerate(lengths):
        ids = [0, *rng.integers(5, vocab, size=length - 2).tolist(), 2]
        out.append({"input_ids": ids, "labels": int(rng.integers(0, 3)), "example_id": str(i)})
    return out


class _Pad:
    pad_token_id = 1


def _peak_memory(device) -> int | None:  # noqa: ANN001
    import torch

    return int(torch.cuda.max_memory_allocated(device)) if device.type == "cuda" else None


def _reset_memory(device) -> None:  # noqa: ANN001
    import torch

    if device.type == "cuda":
        torch.cuda.empty_cache()
        torch.cuda.reset_peak_memory_stats(device)


def run_ours(
    config, warm: list[dict], timed: list[dict], batch_size: int, device, compile: bool = False
) -> dict:
    import torch
    from transformers import XLMRobertaModel

    from replication.models import HeadSpec, MultiTaskModel
    from replication.plan import Hyperparameters
    from replication.training import TaskData, train

    torch.manual_seed(0)
    config._attn_implementation = "sdpa"
    encoder = XLMRobertaModel(config, add_pooling_layer=False)
    model = MultiTaskModel(encoder, [HeadSpec("bench", "pair_classification", 3)], seed=0)
    hp = Hyperparameters(batch_size=batch_size, epochs=1, learning_rate=5e-5, warmup_ratio=0.0,
                         max_seq_length=max(len(d["input_ids"]) for d in timed), weight_decay=0.0)  # fmt: skip
    _reset_memory(device)
    t0 = time.perf_counter()
    if warm:
        train(model, [TaskData("bench", "pair_classification", warm, batch_size)], hp, seed=1, tokenizer=_Pad,
              checkpoint_dir=None, device=device, compile=compile)  # fmt: skip
    warm_s = time.perf_counter() - t0
    task = TaskData("bench", "pair_classification", timed, batch_size)
    t0 = time.perf_counter()
    r = train(model, [task], hp, seed=0, tokenizer=_Pad, checkpoint_dir=None, device=device, compile=compile)
    wall = time.perf_counter() - t0
    return {"steps": r.steps, "tokens": r.tokens, "seconds": wall, "step_s": wall / r.steps,
            "warmup_seconds": round(warm_s, 2), "peak_memory_bytes": _peak_memory(device)}  # fmt: skip


def run_trainer(config, warm: list[dict], timed: list[dict], batch_size: int, device, out_dir: str,
                padding: str = "longest", max_len: int | None = None) -> dict:  # fmt: skip
    import torch
    from transformers import Trainer, TrainingArguments, XLMRobertaForSequenceClassification
    from transformers.utils import logging as hf_logging

    hf_logging.set_verbosity_error()
    torch.manual_seed(0)
    model = XLMRobertaForSequenceClassification(config)
    fixed = max_len or max(len(d["input_ids"]) for d in warm + timed)

    def padded(rows: list[dict]) -> list[dict]:
        return [{"input_ids": d["input_ids"], "labels": d["labels"]} for d in rows]

    def collator(rows: list[dict]) -> dict:
        # what DataCollatorWithPadding (the Trainer's default with a tokenizer) does: pad to the batch's longest
        width = fixed if padding == "max_length" else max(len(r["input_ids"]) for r in rows)
        ids = torch.full((len(rows), width), 1, dtype=torch.long)
        mask = torch.zeros((len(rows), width), dtype=torch.long)
        for i, r in enumerate(rows):
            ids[i, : len(r["input_ids"])] = torch.tensor(r["input_ids"])
            mask[i, : len(r["input_ids"])] = 1
        return {"input_ids": ids, "attention_mask": mask, "labels": torch.tensor([r["labels"] for r in rows])}

    def args(n_steps: int | None) -> TrainingArguments:
        # defaults except the workload (one epoch, no checkpoint files) and quiet output
        extra = {"max_steps": n_steps} if n_steps else {}
        return TrainingArguments(output_dir=out_dir, per_device_train_batch_size=batch_size, num_train_epochs=1,
                                 save_strategy="no", report_to="none", disable_tqdm=True, log_level="error",
                                 use_cpu=device.type == "cpu", **extra)  # fmt: skip

    _reset_memory(device)
    if warm:
        Trainer(model=model, args=args(len(warm) // batch_size), train_dataset=padded(warm),
                data_collator=collator).train()  # fmt: skip
    trainer = Trainer(model=model, args=args(None), train_dataset=padded(timed), data_collator=collator)
    t0 = time.perf_counter()
    out = trainer.train()
    if device.type == "cuda":
        torch.cuda.synchronize()
    wall = time.perf_counter() - t0
    steps = int(out.global_step)
    tokens = sum(len(d["input_ids"]) for d in timed)
    return {"steps": steps, "tokens": tokens, "seconds": wall, "step_s": wall / max(1, steps),
            "peak_memory_bytes": _peak_memory(device)}  # fmt: skip


def profile_ours(config, data: list[dict], batch_size: int, device, out: Path, steps: int = 6) -> dict:  # noqa: ANN001
    """A torch.profiler table of ``steps`` of our training steps (after 2 untimed), and the host syncs seen."""
    import torch
    from torch.profiler import ProfilerActivity, profile
    from transformers import XLMRobertaModel

    from replication.models import HeadSpec, MultiTaskModel
    from replication.plan import Hyperparameters
    from replication.training import TaskData, train

    config._attn_implementation = "sdpa"
    model = MultiTaskModel(XLMRobertaModel(config, add_pooling_layer=False),
                           [HeadSpec("bench", "pair_classification", 3)], seed=0)  # fmt: skip
    hp = Hyperparameters(batch_size=batch_size, epochs=1, learning_rate=5e-5, warmup_ratio=0.0, weight_decay=0.0,
                         max_steps=steps, max_seq_length=max(len(d["input_ids"]) for d in data))  # fmt: skip
    task = TaskData("bench", "pair_classification", data[: batch_size * (steps + 2)], batch_size)
    train(model, [task], Hyperparameters(**{**hp.__dict__, "max_steps": 2}), seed=1, tokenizer=_Pad,
          checkpoint_dir=None, device=device)  # fmt: skip
    activities = [ProfilerActivity.CPU] + ([ProfilerActivity.CUDA] if device.type == "cuda" else [])
    import warnings
    from collections import Counter

    with warnings.catch_warnings(record=True) as caught, profile(activities=activities) as prof:
        warnings.simplefilter("always")
        if device.type == "cuda":
            torch.cuda.set_sync_debug_mode("warn")  # every host sync becomes a warning at its Python line
        try:
            train(model, [task], hp, seed=0, tokenizer=_Pad, checkpoint_dir=None, device=device)
        finally:
            if device.type == "cuda":
                torch.cuda.set_sync_debug_mode(0)
    where = Counter(f"{Path(w.filename).name}:{w.lineno}: {str(w.message)[:80]}" for w in caught)
    sort = "cuda_time_total" if device.type == "cuda" else "cpu_time_total"
    table = prof.key_averages().table(sort_by=sort, row_limit=40)
    syncs = {e.key: e.count for e in prof.key_averages() if "Synchronize" in e.key or e.key == "aten::item"}
    lines = "\n".join(f"  {n} x {k}" for k, n in where.most_common(20))
    out.write_text(f"{steps} training steps, batch {batch_size}\nhost syncs: {syncs}\n"
                   f"sync warnings by place:\n{lines}\n\n{table}\n")  # fmt: skip
    del model
    return {"steps": steps, "syncs": syncs, "sync_places": dict(where.most_common(20)), "table": str(out)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", choices=sorted(SIZES), default="large")
    parser.add_argument("--steps", type=int, default=50, help="timed optimizer steps per side")
    parser.add_argument("--warmup", type=int, default=3, help="untimed steps per side before timing")
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--max-len", type=int, default=256, help="truncation length (real pairs reach 189)")
    parser.add_argument("--compile", action="store_true", help="also time ours through torch.compile")
    parser.add_argument("--trainer-padding", choices=("longest", "max_length"), default="longest")
    parser.add_argument("--out", default=None, help="also write the JSON report to this file")
    parser.add_argument("--no-trainer", action="store_true", help="time ours only (a sweep); no ratio")
    parser.add_argument(
        "--profile", default=None, help="write a torch.profiler table of a few of our steps here"
    )
    parser.add_argument("--device", default=None, help="cuda or cpu (default: cuda when available)")
    parser.add_argument("--threads", type=int, default=None, help="torch CPU threads")
    parser.add_argument(
        "--repeat", type=int, default=1, help="alternate the two sides N times; report medians"
    )
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)

    import torch

    from replication.runner import hardware, library_versions
    from replication.training import flops_per_token, measured_peak_flops

    if args.threads:
        torch.set_num_threads(args.threads)
    device = torch.device(args.device or ("cuda" if torch.cuda.is_available() else "cpu"))
    config = make_config(args.size, args.max_len)
    data = make_data((args.steps + args.warmup) * args.batch_size, args.max_len, config.vocab_size)
    # both sides: warm up on the first `warmup` batches (untimed), then time one epoch over the rest
    warm, timed = data[: args.warmup * args.batch_size], data[args.warmup * args.batch_size :]
    mean_len = sum(len(d["input_ids"]) for d in timed) / len(timed)
    sides = ["ours"] + ([] if args.no_trainer else ["trainer"]) + (["ours_compiled"] if args.compile else [])
    runs: dict[str, list[dict]] = {side: [] for side in sides}
    for i in range(args.repeat):  # rotate the order so that drifting machine load hits every side alike
        order = sides[i % len(sides) :] + sides[: i % len(sides)]
        for side in order:
            if side == "trainer":
                with tempfile.TemporaryDirectory() as tmp:
                    runs[side].append(run_trainer(config, warm, timed, args.batch_size, device, tmp,
                                                  args.trainer_padding, args.max_len))  # fmt: skip
            else:
                runs[side].append(
                    run_ours(config, warm, timed, args.batch_size, device, side == "ours_compiled")
                )
            _reset_memory(device)
            if args.out:  # partial results survive a time limit
                Path(args.out).write_text(json.dumps({"partial": True, **runs}, indent=2, default=str) + "\n")
    peak, peak_src = measured_peak_flops(device)
    fpt = flops_per_token(config, mean_len)
    results = {}
    for side, rs in runs.items():
        for r in rs:
            r["tokens_per_s"] = r["tokens"] / r["seconds"]
        med = sorted(rs, key=lambda r: r["tokens_per_s"])[len(rs) // 2]
        results[side] = {**med, "all_tokens_per_s": [round(r["tokens_per_s"], 1) for r in rs]}
        results[side]["mfu"] = med["tokens_per_s"] * fpt / peak if device.type == "cuda" else None
    best = max((s for s in sides if s != "trainer"), key=lambda s: results[s]["tokens_per_s"])
    ratio = None if args.no_trainer else results[best]["tokens_per_s"] / results["trainer"]["tokens_per_s"]
    report = {
        "size": args.size, "layers_hidden_heads_ffn_vocab": SIZES[args.size], "device": str(device),
        "batch_size": args.batch_size, "max_len": args.max_len, "mean_len": round(mean_len, 1),
        "lengths": "real ANLI dev pair lengths (benchmarks/data/pair_lengths.json)",
        "trainer_padding": args.trainer_padding, "timed_steps": args.steps, "warmup_steps": args.warmup,
        "flops_per_token": fpt, "peak_flops": peak, "peak_source": peak_src,
        **{side: results[side] for side in sides}, "best_ours": best, "ratio_tokens_per_s": ratio,
        "hardware": hardware(), "versions": library_versions(),
    }  # fmt: skip
    if args.profile:
        report["profile"] = profile_ours(config, timed, args.batch_size, device, Path(args.profile))
    if args.out:
        Path(args.out).write_text(json.dumps(report, indent=2, default=str) + "\n")
    if args.json:
        print(json.dumps(report, indent=2, default=str))
        return 0
    print(f"XLM-R-shaped encoder, size {args.size} {SIZES[args.size]}, device {device}, batch {args.batch_size}, "
          f"real pair lengths truncated at {args.max_len} (mean {mean_len:.0f}), {args.steps} timed steps, "
          f"median of {args.repeat}")  # fmt: skip
    print(f"FLOPs per token {fpt / 1e9:.3f} G; peak {peak / 1e12:.2f} TFLOP/s ({peak_src})")
    print(f"{'':15}{'tokens/s':>12}{'step (s)':>11}{'MFU':>8}{'peak GiB':>10}")
    for side in sides:
        r = results[side]
        mfu = "-" if r["mfu"] is None else f"{100 * r['mfu']:.1f}%"
        mem = "-" if r.get("peak_memory_bytes") is None else f"{r['peak_memory_bytes'] / 2**30:.1f}"
        print(
            f"{side:15}{r['tokens_per_s']:>12.0f}{r['step_s']:>11.3f}{mfu:>8}{mem:>10}   runs: {r['all_tokens_per_s']}"
        )
    if ratio is not None:
        print(f"ratio {best} / Trainer (useful tokens per second): {ratio:.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
