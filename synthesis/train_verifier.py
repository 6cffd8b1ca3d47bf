"""Train the verifier's cross-encoder: ``python -m synthesis.train_verifier --out DIR`` (also ``assay
train-verifier``).

Fine-tunes a small pretrained encoder (all-MiniLM-L6-v2 by default, any local folder or hub name via
``--backbone``) as a three-way classifier of (claim, evidence): supported / refuted / not_enough_info. Data: the
training splits of the public sets (:mod:`synthesis.verifier_data`; never a dev split, never the odd half of
COVID-Fact, never the share held back for the combiner) plus pairs generated from a real paper's sentences
(:mod:`synthesis.pairgen`). Two-label RTE pairs ("not_entailment") are trained with a merged likelihood:
-log(p(refuted) + p(not_enough_info)).

Fixed seeds, dynamic padding, length-grouped batches, ``torch.set_num_threads`` (2 by default): about 30-45 min on
two CPU cores with the default caps. Writes the model (compact int8 safetensors, tokenizer, config), and a model
card (MODEL_CARD.md + model_card.json: data files and sha256, counts, code version, hyperparameters, dev figures,
training time).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import random
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

from synthesis.verifier_data import LABELS, TWO_WAY, Pair, default_data_root, file_hashes, is_calib

# Per-set caps on training pairs (after holding back the combiner's share): keeps CPU training to ~30-45 minutes
# while giving the scientific and contrastive sets their weight.
DEFAULT_CAPS = {
    "covidfact": 1200,
    "scifact-rte": 400,
    "fever-rte": 900,
    "check-covid": 900,
    "healthver": 900,
    "anli": 900,
    "sick": 700,
    "climate-fever": 900,
    "vitaminc": 300,
    "wice": 250,
    "sem-tab-facts": 600,
    "generated": 1400,
}
DEFAULT_BACKBONE = "sentence-transformers/all-MiniLM-L6-v2"
GENERATION_PAPERS = (
    "2005.13013v1.pdf",
)  # the generated pairs' source; the other corpus papers stay clean for eval


def git_commit() -> str:
    try:
        out = subprocess.run(
            ["git", "rev-parse", "HEAD"],
            capture_output=True,
            text=True,
            timeout=10,
            cwd=Path(__file__).resolve().parent,
        )
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--", "synthesis"],
            capture_output=True,
            text=True,
            timeout=10,
            cwd=Path(__file__).resolve().parent,
        ).stdout.strip()
        return out.stdout.strip() + ("+dirty" if dirty else "") if out.returncode == 0 else "unknown"
    except (OSError, subprocess.SubprocessError):
        return "unknown"


# ----------------------------------------------------------------------------------------------------------------
# Data


def corpus_pairs(corpus: Path, files: tuple[str, ...] = GENERATION_PAPERS, seed: int = 13) -> list[Pair]:
    """Generated pairs from the named corpus PDFs (ingested into a temporary store); split train / calib by group."""
    import tempfile

    from synthesis.ingest import ingest_corpus_entry
    from synthesis.pairgen import generate_pairs, paper_sentences
    from synthesis.settings import load_settings
    from synthesis.store import Store

    index = json.loads((corpus / "index.json").read_text())
    out: list[Pair] = []
    with tempfile.TemporaryDirectory() as tmp:
        settings = load_settings(tmp, offline=True, embedding_model="none")
        store = Store(settings.db_path)
        for e in index["papers"]:
            if e["file"] not in files:
                continue
            res = ingest_corpus_entry(store, settings, corpus, e)
            sents = paper_sentences(store, res.paper_id)
            for k in range(2):  # two draws of edits and rewrites per sentence
                out.extend(generate_pairs(sents, e["file"], seed=seed + k))
        store.close()
    seen: set[tuple[str, str, str]] = set()
    unique = []
    for p in out:
        if (p.claim, p.evidence, p.label) not in seen:
            seen.add((p.claim, p.evidence, p.label))
            unique.append(p)
    return unique


def build_pairs(data_root: Path, corpus: Path | None, seed: int = 13) -> tuple[list[Pair], dict]:
    from synthesis.verifier_data import load_public

    pairs = load_public(data_root)
    gen = corpus_pairs(corpus, seed=seed) if corpus is not None and corpus.is_dir() else []
    pairs.extend(gen)
    meta = {
        "data_root": str(data_root),
        "files": file_hashes(data_root),
        "generated_from": {f: _sha(corpus / f) for f in GENERATION_PAPERS} if gen else {},
        "built_by": git_commit(),
    }
    return pairs, meta


def _sha(path: Path) -> str:
    import hashlib

    return hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() else "missing"


def source_family(p: Pair) -> str:
    return "generated" if p.source.startswith("generated:") else p.source


def training_set(pairs: list[Pair], caps: dict[str, int], seed: int) -> list[Pair]:
    """Training-split pairs outside the combiner's share, each set capped (evenly over labels where possible)."""
    rng = random.Random(seed)
    by: dict[str, list[Pair]] = {}
    for p in pairs:
        if p.split == "train" and not is_calib(p):
            by.setdefault(source_family(p), []).append(p)
    out: list[Pair] = []
    for name, rows in sorted(by.items()):
        cap = caps.get(name, 500)
        rows = sorted(rows, key=lambda p: (p.group, p.claim, p.evidence))
        rng.shuffle(rows)
        if len(rows) > cap:
            labels = sorted({p.label for p in rows})
            per = {lab: [p for p in rows if p.label == lab] for lab in labels}
            take: list[Pair] = []
            share = cap // len(labels)
            for lab in labels:
                take.extend(per[lab][:share])
            taken = {id(p) for p in take}
            rest = [p for p in rows if id(p) not in taken][: cap - len(take)]
            rows = take + rest
        out.extend(rows)
    rng.shuffle(out)
    return out


# ----------------------------------------------------------------------------------------------------------------
# Model


def label_index(label: str) -> int:
    """0 supported, 1 refuted, 2 not_enough_info, -1 the merged 'not supported' of two-label sets."""
    return -1 if label == TWO_WAY else LABELS.index(label)


def merged_loss(logits, target):  # noqa: ANN001, ANN201
    """Cross-entropy for three-way targets; -log(p_refuted + p_nei) for the two-way 'not supported' (-1)."""
    import torch

    logz = torch.logsumexp(logits, dim=-1)
    three = target.clamp(min=0)
    picked = logits.gather(1, three.unsqueeze(1)).squeeze(1)
    merged = torch.logsumexp(logits[:, 1:], dim=-1)
    num = torch.where(target < 0, merged, picked)
    return (logz - num).mean()


def batches(pairs: list[Pair], size: int, seed: int) -> list[list[Pair]]:
    """Length-grouped batches: sort within chunks of 50 batches by length, then shuffle the batches."""
    rng = random.Random(seed)
    order = list(pairs)
    rng.shuffle(order)
    out = []
    chunk = size * 50
    for k in range(0, len(order), chunk):
        part = sorted(order[k : k + chunk], key=lambda p: len(p.claim) + len(p.evidence))
        out.extend(part[i : i + size] for i in range(0, len(part), size))
    rng.shuffle(out)
    return out


def predict(model, tokenizer, pairs: list[tuple[str, str]], max_length: int, device: str, batch: int = 64):  # noqa: ANN001, ANN201
    import numpy as np
    import torch

    model.eval()
    out = np.zeros((len(pairs), 3))
    order = sorted(range(len(pairs)), key=lambda i: len(pairs[i][0]) + len(pairs[i][1]))
    with torch.inference_mode():
        for k in range(0, len(order), batch):
            idx = order[k : k + batch]
            enc = tokenizer(
                [pairs[i][0] for i in idx],
                [pairs[i][1] for i in idx],
                truncation=True,
                max_length=max_length,
                padding=True,
                return_tensors="pt",
            ).to(device)
            out[idx] = torch.softmax(model(**enc).logits.float(), -1).cpu().numpy()
    return out


def dev_figures(
    model,
    tokenizer,
    pairs: list[Pair],
    max_length: int,
    device: str,
    per_set: int,  # noqa: ANN001
    seed: int,
) -> dict:
    """Accuracy and macro-F1 of the bare cross-encoder (argmax) on each dev set (a fixed sample of ``per_set``)."""
    from synthesis.evaluation import f1_scores

    rng = random.Random(seed)
    by: dict[str, list[Pair]] = {}
    for p in pairs:
        if p.split == "dev":
            by.setdefault(source_family(p), []).append(p)
    out = {}
    for name, rows in sorted(by.items()):
        rows = sorted(rows, key=lambda p: (p.group, p.claim, p.evidence))
        if len(rows) > per_set:
            rows = rng.sample(rows, per_set)
        probs = predict(model, tokenizer, [(p.claim, p.evidence) for p in rows], max_length, device)
        two = any(p.label == TWO_WAY for p in rows) or name == "covidfact"
        gold, pred = [], []
        for p, pr in zip(rows, probs, strict=True):
            if two:
                gold.append("supported" if p.label == "supported" else "not_supported")
                pred.append("supported" if pr[0] >= pr[1] + pr[2] else "not_supported")
            else:
                gold.append(p.label)
                pred.append(LABELS[int(pr.argmax())])
        labels = ("supported", "not_supported") if two else LABELS
        f1 = f1_scores(gold, pred, labels)
        majority = Counter(gold).most_common(1)[0][1] / len(gold)
        out[name] = {
            "n": len(rows),
            "accuracy": round(sum(g == q for g, q in zip(gold, pred, strict=True)) / len(gold), 4),
            "macro_f1": round(sum(f1.values()) / len(f1), 4) if f1 else 0.0,
            "majority": round(majority, 4),
            "two_way": two,
        }
    return out


def save_model(model, tokenizer, out: Path, meta: dict) -> None:  # noqa: ANN001
    """Config, tokenizer, one compact int8 weight file and verifier.json into ``out``."""
    from synthesis.crossencoder import save_compact

    out.mkdir(parents=True, exist_ok=True)
    model.config.id2label = dict(enumerate(LABELS))
    model.config.label2id = {lab: i for i, lab in enumerate(LABELS)}
    model.config.save_pretrained(str(out))
    tokenizer.save_pretrained(str(out))
    state = {k: v for k, v in model.state_dict().items() if not k.endswith("position_ids")}
    save_compact(state, out / "model.int8.safetensors")
    (out / "verifier.json").write_text(json.dumps(meta, indent=1, sort_keys=True) + "\n")


def write_card(out: Path, card: dict) -> None:
    (out / "model_card.json").write_text(json.dumps(card, indent=1, sort_keys=True) + "\n")
    lines = [
        "# assay verifier: cross-encoder over (claim, evidence)",
        "",
        f"Backbone: `{card['backbone']}`. Labels: supported / refuted / not_enough_info. Trained "
        f"{card['trained']} in {card['train_seconds'] / 60:.1f} min on {card['device']} "
        f"({card['threads']} threads), code `{card['code_version']}`.",
        "",
        f"Reproduce: `{card['command']}`",
        "",
        "## Data (training pairs per set, after caps; dev splits never trained on)",
        "",
        "| set | train pairs | labels |",
        "|---|---|---|",
    ]
    for name, row in sorted(card["train_counts"].items()):
        lines.append(
            f"| {name} | {row['n']} | {', '.join(f'{k} {v}' for k, v in sorted(row['labels'].items()))} |"
        )
    lines += ["", "Files (sha256):", ""]
    lines += [f"- `{k}` {v}" for k, v in sorted(card["data_files"].items())]
    lines += [
        "",
        "## Dev figures of the bare cross-encoder (argmax; two-way sets: p(supported) vs the rest)",
        "",
        "| set | n | accuracy | macro-F1 | majority |",
        "|---|---|---|---|---|",
    ]
    for name, r in sorted(card.get("dev", {}).items()):
        lines.append(
            f"| {name} | {r['n']} | {r['accuracy']:.3f} | {r['macro_f1']:.3f} | {r['majority']:.3f} |"
        )
    lines += [
        "",
        "## Hyperparameters",
        "",
        "```",
        json.dumps(card["hyperparameters"], indent=1, sort_keys=True),
        "```",
        "",
        "Limits: English only; the generated pairs come from one paper (2005.13013v1); table "
        "statements only where synthesis.tables provides them; probabilities are calibrated downstream by "
        "the combiner (synthesis.combiner), not here.",
        "",
    ]
    (out / "MODEL_CARD.md").write_text("\n".join(lines))


def train(args: argparse.Namespace) -> dict:
    """Build or read the pairs, fine-tune the backbone on the capped training set, measure it on the dev sets,
    save the compact model and write its card; returns the card ({} with ``--dump-only``)."""
    import numpy as np
    import torch

    t0 = time.time()
    random.seed(args.seed)
    np.random.seed(args.seed)
    torch.manual_seed(args.seed)
    torch.set_num_threads(args.threads)
    device = args.device if args.device != "auto" else ("cuda" if torch.cuda.is_available() else "cpu")
    pairs, data_meta = _load_pairs(args)
    if args.dump_pairs and args.dump_only:
        return {}
    caps = dict(DEFAULT_CAPS)
    for name in list(caps):
        caps[name] = max(1, int(caps[name] * args.scale))
    train_pairs = training_set(pairs, caps, args.seed)
    if args.limit:
        train_pairs = train_pairs[: args.limit]
    counts = _family_counts(train_pairs)
    print(
        f"{len(train_pairs)} training pairs on {device}: "
        + ", ".join(f"{k} {v['n']}" for k, v in sorted(counts.items())),
        flush=True,
    )
    backbone = args.backbone
    tokenizer, model = _load_backbone(backbone, args.offline, device)
    _fit(model, tokenizer, train_pairs, args, device, t0)
    train_seconds = time.time() - t0
    model.eval()
    dev = dev_figures(model, tokenizer, pairs, args.max_length, device, args.dev_per_set, args.seed)
    _print_dev(dev)
    out = Path(args.out)
    model.to("cpu")
    trained = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    model_id = f"verifier-{trained}-s{args.seed}"
    save_model(
        model,
        tokenizer,
        out,
        {
            "labels": list(LABELS),
            "max_length": args.max_length,
            "trained": trained,
            "backbone": str(Path(backbone).name),
            "format": "int8-rowwise",
            "model_id": model_id,
        },
    )
    card = _card(args, device, trained, train_seconds, data_meta, counts, _hyperparameters(args, caps), dev)
    write_card(out, card)
    if args.score_out:
        score_pairs(out, pairs, Path(args.score_out), device)
    print(f"trained in {train_seconds / 60:.1f} min; model and card in {out}", flush=True)
    return card


def _load_pairs(args: argparse.Namespace) -> tuple[list[Pair], dict]:
    """The pairs and their data metadata: read from ``--pairs`` or built from the data and corpus; written to
    ``--dump-pairs`` when asked."""
    from synthesis.verifier_data import read_pairs, write_pairs

    if args.pairs:
        pairs, data_meta = read_pairs(Path(args.pairs))
    else:
        pairs, data_meta = build_pairs(Path(args.data), Path(args.corpus) if args.corpus else None, args.seed)
    if args.dump_pairs:
        write_pairs(Path(args.dump_pairs), pairs, data_meta)
        print(f"wrote {len(pairs)} pairs to {args.dump_pairs}", flush=True)
    return pairs, data_meta


def _load_backbone(backbone: str, offline: bool, device: str):  # noqa: ANN202
    """The backbone's tokenizer and its encoder with a fresh three-way classification head, on ``device``."""
    import torch
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(backbone, local_files_only=offline)
    model = AutoModelForSequenceClassification.from_pretrained(
        backbone, num_labels=3, local_files_only=offline, dtype=torch.float32
    )
    model.to(device)
    return tokenizer, model


def _print_dev(dev: dict) -> None:
    """One line per dev set: its size, accuracy, macro-F1 and the majority-label baseline."""
    for name, r in dev.items():
        print(
            f"dev {name}: n={r['n']} acc={r['accuracy']:.3f} macro-F1={r['macro_f1']:.3f} "
            f"majority={r['majority']:.3f}",
            flush=True,
        )


def _family_counts(train_pairs: list[Pair]) -> dict[str, dict]:
    """Per source family: the number of training pairs and their labels."""
    counts: dict[str, dict] = {}
    for p in train_pairs:
        row = counts.setdefault(source_family(p), {"n": 0, "labels": Counter()})
        row["n"] += 1
        row["labels"][p.label] += 1
    return counts


def _fit(model, tokenizer, train_pairs: list[Pair], args: argparse.Namespace, device: str, t0: float) -> None:  # noqa: ANN001
    """The training loop: AdamW with linear warmup (6% of the steps) and linear decay, length-grouped batches
    reshuffled per epoch, the merged loss, gradients clipped at 1; the running loss every 20 steps."""
    import torch

    steps_per_epoch = math.ceil(len(train_pairs) / args.batch)
    total = steps_per_epoch * args.epochs
    opt = torch.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=0.01)
    warm = max(1, int(0.06 * total))
    sched = torch.optim.lr_scheduler.LambdaLR(
        opt, lambda s: min((s + 1) / warm, max(0.0, (total - s) / (total - warm)))
    )
    step = 0
    for epoch in range(args.epochs):
        model.train()
        running = 0.0
        for b, batch in enumerate(batches(train_pairs, args.batch, args.seed + epoch)):
            enc = tokenizer(
                [p.claim for p in batch],
                [p.evidence for p in batch],
                truncation=True,
                max_length=args.max_length,
                padding=True,
                return_tensors="pt",
            ).to(device)
            target = torch.tensor([label_index(p.label) for p in batch], device=device)
            loss = merged_loss(model(**enc).logits.float(), target)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            opt.step()
            sched.step()
            opt.zero_grad(set_to_none=True)
            step += 1
            running = 0.98 * running + 0.02 * float(loss) if b else float(loss)
            if step % 20 == 0 or step == total:
                el = time.time() - t0
                print(
                    f"epoch {epoch + 1} step {step}/{total} loss {running:.3f} {el / 60:.1f} min", flush=True
                )


def _hyperparameters(args: argparse.Namespace, caps: dict[str, int]) -> dict:
    """The training hyperparameters as the model card records them."""
    return {
        "epochs": args.epochs,
        "batch": args.batch,
        "lr": args.lr,
        "max_length": args.max_length,
        "seed": args.seed,
        "caps": caps,
        "scale": args.scale,
        "limit": args.limit,
        "warmup_share": 0.06,
        "weight_decay": 0.01,
        "loss": "cross-entropy; two-way not_entailment: -log(p_refuted + p_nei)",
    }


def _card(
    args: argparse.Namespace,
    device: str,
    trained: str,
    train_seconds: float,
    data_meta: dict,
    counts: dict[str, dict],
    hyper: dict,
    dev: dict,
) -> dict:
    """The model card: backbone, when, where and how long, code and data versions, counts, hyperparameters, dev
    figures."""
    import torch

    backbone = args.backbone
    return {
        "backbone": str(Path(backbone).name if Path(backbone).is_dir() else backbone),
        "trained": trained,
        "train_seconds": round(train_seconds, 1),
        "device": device
        if device == "cpu"
        else f"{device} ({torch.cuda.get_device_name(0) if torch.cuda.is_available() else ''})",
        "threads": args.threads,
        "cpu": platform.processor() or platform.machine(),
        "code_version": data_meta.get("built_by") or git_commit(),
        "torch": torch.__version__,
        "command": "python -m synthesis.train_verifier " + " ".join(args.argv),
        "data_files": data_meta.get("files", {}),
        "generated_from": data_meta.get("generated_from", {}),
        "train_counts": {k: {"n": v["n"], "labels": dict(v["labels"])} for k, v in counts.items()},
        "hyperparameters": hyper,
        "dev": dev,
        "dev_note": "bare cross-encoder on a fixed sample per dev set; full pipeline figures: "
        "benchmarks/verifier_eval.py",
    }


def score_pairs(model_dir: Path, pairs: list[Pair], dest: Path, device: str) -> None:
    """Cross-encoder scores of every held-back (combiner) and dev pair, from the saved compact weights, as gzip
    JSON {pair key: probabilities}: a warm start for the score cache where scoring on CPU would be slow."""
    import gzip

    import torch
    from transformers import AutoConfig, AutoModelForSequenceClassification, AutoTokenizer

    from synthesis.crossencoder import load_compact, pair_key

    meta = json.loads((model_dir / "verifier.json").read_text())
    config = AutoConfig.from_pretrained(str(model_dir))
    model = AutoModelForSequenceClassification.from_config(config)
    model.load_state_dict(load_compact(model_dir / "model.int8.safetensors"), strict=False)
    model.to(device)
    tokenizer = AutoTokenizer.from_pretrained(str(model_dir))
    todo = sorted({(p.claim, p.evidence) for p in pairs if p.split == "dev" or is_calib(p)})
    probs = predict(model, tokenizer, todo, int(meta["max_length"]), device, batch=128)
    out = {
        pair_key(meta["model_id"], c, e): [round(float(x), 6) for x in row]
        for (c, e), row in zip(todo, probs, strict=True)
    }
    with gzip.open(dest, "wt") as f:
        json.dump(out, f)
    print(f"scored {len(out)} held-back and dev pairs into {dest}", flush=True)
    del torch


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument(
        "--out", required=False, default="verifier-model", help="folder for the model and its card"
    )
    ap.add_argument(
        "--data", default=str(default_data_root()), help="folder holding verification/ and covidfact/"
    )
    ap.add_argument(
        "--corpus",
        default=str(default_data_root().parent / "corpus"),
        help="corpus folder (index.json + PDFs) for generated pairs; '' for none",
    )
    ap.add_argument("--backbone", default=os.environ.get("ASSAY_VERIFIER_BACKBONE", DEFAULT_BACKBONE))
    ap.add_argument("--pairs", default=None, help="read pre-built pairs (gzip JSONL from --dump-pairs)")
    ap.add_argument("--dump-pairs", default=None, help="write the built pairs here (to train elsewhere)")
    ap.add_argument("--dump-only", action="store_true")
    ap.add_argument("--epochs", type=int, default=1)
    ap.add_argument("--batch", type=int, default=16)
    ap.add_argument("--lr", type=float, default=6e-5)
    ap.add_argument("--max-length", type=int, default=192)
    ap.add_argument("--scale", type=float, default=1.0, help="multiply every per-set cap")
    ap.add_argument("--limit", type=int, default=0, help="at most this many training pairs (a quick trial)")
    ap.add_argument("--dev-per-set", type=int, default=400)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--device", default="cpu", help="cpu, cuda or auto")
    ap.add_argument("--seed", type=int, default=13)
    ap.add_argument(
        "--score-out", default=None, help="also score held-back and dev pairs into this gzip JSON"
    )
    ap.add_argument("--online", dest="offline", action="store_false", help="allow the backbone to download")
    args = ap.parse_args(argv)
    args.argv = list(argv if argv is not None else sys.argv[1:])
    return args


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    if args.corpus == "":
        args.corpus = None
    train(args)


if __name__ == "__main__":
    main()
