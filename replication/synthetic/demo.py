"""The synthetic demo: the paper's three phases on a CPU in minutes, with controls that show the transfer is real.

1. Pretrain a tiny XLM-R-shaped encoder with masked language modelling on the synthetic world's corpus over all
   languages (English, same-order family A, inverted-order family B; no parallel text), with a tokenizer trained on
   that corpus, and a smaller encoder the same way. Controls: the encoder pretrained on English only, and the
   encoder with no pretraining.
2. Run the paper's grid with the harness's own runner (`replication.runner.run_plan`): baseline (no intermediate
   phase) vs English intermediate training on ``syn-squad``, then English fine-tuning on each target task, then
   zero-shot evaluation on every fake language; the retrieval task embeds with the encoder directly. Beside it, an
   unrelated intermediate task (``syn-nli``) on the QA target, the controls and the smaller encoder's baselines.
3. Aggregate the run-result files like a real run (`replication.aggregate`), add the controls table (zero-shot
   score by base encoder and language family, against chance) and check each planted effect of the world
   (`replication.synthetic.truth`) against the runs.

Everything is seeded; results are the runner's ``result.json`` files under ``<out>/runs``.
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from replication.files import atomic_dir as _atomic_dir
from replication.synthetic.tasks import SYNTHETIC_TASKS, chance, examples
from replication.synthetic.truth import (
    ALL,
    DEMO_CLAIMS,
    SIZE_TARGETS,
    ZERO_SHOT,
    format_claims,
    format_recovery,
    recover,
)
from replication.synthetic.world import POS_TAGS, World, build_world, corpus

GENERATOR_VERSION = 3  # bump when the world or a task generator changes: it enters every run's lineage hash
# The intermediate task: learnt within the budget (syn-nli, also registered, stays near chance at this model size).
INTERMEDIATE = "syn-squad"
UNRELATED = "syn-nli"  # an intermediate task sharing no skill with the QA target (run on that target only)
UNRELATED_TARGETS = ("syn-qa",)
TARGETS = ("syn-xnli", "syn-mc", "syn-qa", "syn-pos", "syn-retrieval")
MLM_CORPUS = "syn-mlm"
BASES = ("mlm-all", "mlm-small", "mlm-en", "random")  # the encoder, a smaller one, and two controls
CONTROL_BASES = ("mlm-all", "mlm-en", "random")
BASE_LABELS = {
    "mlm-all": "MLM on all languages (2 layers x 64)",
    "mlm-small": "MLM on all languages, smaller encoder (1 layer x 8)",
    "mlm-en": "MLM on English only (control)",
    "random": "no pretraining (control)",
}
TASK_LABELS = {
    "syn-squad": "English QA, 3000 items (like SQuAD)",
    "syn-nli": "English adjective NLI (unrelated to QA)",
    "syn-xnli": "NLI",
    "syn-mc": "plausible-clause choice",
    "syn-qa": "QA, 150 English training items",
    "syn-pos": "POS tagging",
    "syn-retrieval": "translation retrieval",
    "none": "none (baseline)",
}

PLAN_LABELS = {
    "synthetic-demo": "the paper's grid: baseline vs English QA intermediate training, every target, zero-shot",
    "synthetic-unrelated": "an unrelated intermediate task (adjective NLI) on the QA target",
    "synthetic-controls": "controls: English-only and untrained encoders, baselines",
    "synthetic-size": "the smaller encoder, baselines",
}

Log = Callable[[str], None]


@dataclass(frozen=True)
class DemoConfig:
    """Sizes of one demo; `quick()` is the smoke-test variant used by the default test suite."""

    seeds: tuple[int, ...] = (1, 2, 3)
    world_seed: int = 0
    corpus_sentences: int = 30000
    hidden: int = 64
    layers: int = 2
    heads: int = 4
    pretrain_steps: int = 800
    pretrain_batch: int = 64
    pretrain_lr: float = 2e-3
    intermediate_steps: int = 300
    target_steps: int = 150
    batch_size: int = 32
    learning_rate: float = 1e-3
    max_seq_length: int = 64
    retrieval_layer: int = 1
    control_targets: tuple[str, ...] = ("syn-mc", "syn-retrieval")
    small_hidden: int = (
        8  # the smaller encoder (same corpus, steps and tokenizer); see truth.py for why so small
    )
    small_layers: int = 1
    small_heads: int = 2
    size_targets: tuple[str, ...] = SIZE_TARGETS
    test_examples: int | None = 200  # per language (dev too); None: the task's full sets
    train_examples: int | None = None

    @classmethod
    def quick(cls, seeds: tuple[int, ...] = (1,)) -> DemoConfig:
        return cls(
            seeds=seeds, corpus_sentences=3000, hidden=32, pretrain_steps=60, intermediate_steps=20,
            target_steps=20, control_targets=("syn-xnli", "syn-retrieval"), test_examples=40, train_examples=200,
            small_hidden=8,
        )  # fmt: skip


@dataclass
class DemoResult:
    out_dir: str
    config: dict[str, Any]
    world: dict[str, Any]
    timings: dict[str, float]
    scores: dict[str, Any]  # base -> intermediate -> target -> group -> per-seed values
    checks: dict[str, Any]
    aggregate: dict[str, Any]
    tables: str = ""  # every table (also written to <out>/tables.txt)
    planted: list[dict[str, Any]] = field(
        default_factory=list
    )  # truth.recover: each planted effect, recovered?
    summary: str = ""  # the short version a person reads first: legend, family tables, planted truth, claims
    claims: list[dict[str, Any]] = field(default_factory=list)  # truth.DEMO_CLAIMS bound to the runs
    results: list[str] = field(default_factory=list)  # result.json paths
    throughput: dict[str, Any] = field(default_factory=dict)  # totals and per run: tokens/s, MFU, peak memory


# ---------------------------------------------------------------------------------------------------------------
# Task registration: the synthetic tasks in the harness's registry, served from the world.


def register_world(world: World, cfg: DemoConfig | None = None) -> list[str]:
    """Register every synthetic task (role "synthetic") and serve its examples from ``world``; return the names."""
    from replication import phases
    from replication.tasks.formats import Format, TextExample
    from replication.tasks.registry import NLI_LABELS, TaskSpec, register_languages, register_task

    cfg = cfg or DemoConfig()
    langs = tuple(world.languages)
    # the fake languages' families, for aggregate's per-family table (English keeps its XTREME family)
    for label, codes in groups(world).items():
        if label != "en":
            register_languages(label, codes)
    names = []
    for name, t in SYNTHETIC_TASKS.items():
        labels = t.labels if t.format != Format.TOKEN_TAGGING else POS_TAGS
        if t.format == Format.PAIR_CLASSIFICATION:
            assert t.labels == NLI_LABELS  # our label ids are the registry's NLI order
        task_langs = ("en",) if t.role == "intermediate" else langs
        if t.format == Format.RETRIEVAL:  # English is the side every language is matched against (as Tatoeba)
            task_langs = tuple(code for code in langs if code != "en")
        register_task(
            TaskSpec(
                name=name, role="synthetic", format=t.format, metrics=t.metrics,
                languages=task_langs, labels=labels, num_choices=t.num_choices,
                has_training=t.format != Format.RETRIEVAL, notes=f"synthetic world {world.seed}: {t.description}",
            ),
            replace=True,
        )  # fmt: skip
        phases.register_examples(name, _source(world, name, cfg))
        names.append(name)

    def mlm_source(split: str, lang: str) -> list:
        if lang not in world.languages:
            return []
        lines = corpus(world, cfg.corpus_sentences // len(langs), seed=1, languages=(lang,))
        return [TextExample(f"{MLM_CORPUS}-{lang}-{i}", t) for i, (_, t) in enumerate(lines)]

    register_task(
        TaskSpec(name=MLM_CORPUS, role="synthetic", format=Format.MLM, metrics=("loss",), languages=langs,
                 notes="synthetic world MLM corpus, one monolingual stream per language"),
        replace=True,
    )  # fmt: skip
    phases.register_examples(MLM_CORPUS, mlm_source)
    return [*names, MLM_CORPUS]


def unregister_world(world: World) -> None:
    """Undo `register_world`: remove the synthetic tasks, their example sources and the fake languages."""
    from replication import phases
    from replication.tasks.registry import unregister_languages, unregister_task

    for name in [*SYNTHETIC_TASKS, MLM_CORPUS]:
        unregister_task(name)
        phases.unregister_examples(name)
    unregister_languages([code for code in world.languages if code != "en"])


def _source(world: World, name: str, cfg: DemoConfig) -> Callable[[str, str], list]:
    cache: dict[tuple[str, str], list] = {}

    def load(split: str, lang: str) -> list:
        key = (split, lang)
        if key not in cache:
            spec = SYNTHETIC_TASKS[name]
            if split not in spec.sizes:
                raise KeyError(split)
            n = cfg.test_examples if split in ("test", "dev") else cfg.train_examples
            n = min(n, spec.sizes[split]) if n is not None else None
            cache[key] = examples(world, name, split, lang, n)
        return cache[key]

    return load


# ---------------------------------------------------------------------------------------------------------------
# Pretraining


def base_fingerprint(cfg: DemoConfig) -> str:
    """Hash of everything that shapes the pretrained encoders: their folder name, hence part of every lineage."""
    import hashlib

    keys = ("world_seed", "corpus_sentences", "hidden", "layers", "heads", "pretrain_steps", "pretrain_batch",
            "pretrain_lr", "max_seq_length", "small_hidden", "small_layers", "small_heads")  # fmt: skip
    blob = json.dumps({"generator": GENERATOR_VERSION, **{k: getattr(cfg, k) for k in keys}}, sort_keys=True)
    return hashlib.sha256(blob.encode()).hexdigest()[:12]


def build_bases(
    world: World, cfg: DemoConfig, models_dir: Path, log: Log, device: str = "cpu"
) -> dict[str, str]:
    """Tokenizer + four encoders (multilingual MLM, a smaller one, English-only MLM, random init); finished ones are
    reused."""
    from replication.tiny import build_tiny_model, build_tokenizer

    paths = {b: models_dir / b for b in BASES}
    if all((p / "config.json").is_file() for p in paths.values()):
        log("pretrained encoders found, reused")
        return {b: str(p) for b, p in paths.items()}
    langs = tuple(world.languages)
    texts = [t for _, t in corpus(world, cfg.corpus_sentences, seed=0, languages=langs)]
    tokenizer = build_tokenizer(texts, None, models_dir / "tokenizer", whole_words=True)
    log(f"tokenizer: {len(tokenizer)} pieces over {len(langs)} languages")
    if not (paths["random"] / "config.json").is_file():
        _atomic_dir(paths["random"], lambda tmp: build_tiny_model(
            tokenizer, tmp, hidden=cfg.hidden, layers=cfg.layers, heads=cfg.heads,
            max_length=cfg.max_seq_length, seed=cfg.world_seed))  # fmt: skip
    small_init = models_dir / "random-small"
    if not (small_init / "config.json").is_file():
        _atomic_dir(small_init, lambda tmp: build_tiny_model(
            tokenizer, tmp, hidden=cfg.small_hidden, layers=cfg.small_layers, heads=cfg.small_heads,
            max_length=cfg.max_seq_length, seed=cfg.world_seed))  # fmt: skip
    en_texts = [t for _, t in corpus(world, cfg.corpus_sentences, seed=0, languages=("en",))]
    jobs = (
        ("mlm-all", texts, paths["random"]),
        ("mlm-small", texts, small_init),
        ("mlm-en", en_texts, paths["random"]),
    )
    for i, (base, lines, init) in enumerate(jobs, 1):
        if (paths[base] / "config.json").is_file():
            continue
        t0 = time.perf_counter()
        log(f"pretraining {i}/{len(jobs)}: {base} ({BASE_LABELS[base]}), {cfg.pretrain_steps} steps")
        _atomic_dir(
            paths[base], lambda tmp, lines=lines, init=init: pretrain(str(init), lines, cfg, tmp, log, device)
        )
        log(f"pretrained {base} in {time.perf_counter() - t0:.1f}s")
    return {b: str(p) for b, p in paths.items()}


def pretrain(
    init_path: str, texts: list[str], cfg: DemoConfig, out_dir: Path, log: Log, device: str = "cpu"
) -> None:
    """MLM pretraining with the harness's training loop (`replication.training.train`), saved as an encoder."""
    import torch

    from replication.models import HeadSpec, MultiTaskModel, featurize_text, load_encoder, load_tokenizer
    from replication.plan import Hyperparameters
    from replication.tasks.formats import Format, TextExample
    from replication.training import TaskData, train

    tokenizer = load_tokenizer(init_path)
    feats = featurize_text(
        [TextExample(str(i), t) for i, t in enumerate(texts)], tokenizer, cfg.max_seq_length
    )
    hp = Hyperparameters(
        learning_rate=cfg.pretrain_lr, batch_size=cfg.pretrain_batch, max_steps=cfg.pretrain_steps, warmup_ratio=0.06,
        weight_decay=0.01, max_seq_length=cfg.max_seq_length, checkpoint_every=10**9, mlm_probability=0.15,
    )  # fmt: skip
    model = MultiTaskModel(
        load_encoder(init_path), [HeadSpec(MLM_CORPUS, str(Format.MLM))], seed=cfg.world_seed
    )
    train(model, [TaskData(MLM_CORPUS, str(Format.MLM), feats, cfg.pretrain_batch)], hp, seed=cfg.world_seed,
          tokenizer=tokenizer, checkpoint_dir=None, device=torch.device(device), log=None)  # fmt: skip
    model.to("cpu")
    model.encoder.save_pretrained(str(out_dir))
    tokenizer.save_pretrained(str(out_dir))


# ---------------------------------------------------------------------------------------------------------------
# Plans


def plans(cfg: DemoConfig, bases: dict[str, str]) -> list[Any]:
    """The main grid (multilingual encoder; baseline vs intermediate), the unrelated intermediate task on the QA
    target, the controls grid and the smaller encoder (baselines only)."""
    from replication.plan import parse_plan

    hp = {
        "learning_rate": cfg.learning_rate, "batch_size": cfg.batch_size, "max_steps": cfg.target_steps,
        "warmup_ratio": 0.1, "max_seq_length": cfg.max_seq_length, "doc_stride": cfg.max_seq_length,
        "max_query_length": 24, "eval_every": max(1, cfg.target_steps // 2), "checkpoint_every": 10**9,
        "eval_batch_size": 128,
    }  # fmt: skip
    if cfg.train_examples is not None:
        hp["max_train_examples"] = cfg.train_examples
    common = {
        "seeds": list(cfg.seeds), "hyperparameters": hp,
        "tasks": {INTERMEDIATE: {"max_steps": cfg.intermediate_steps,
                                 "eval_every": max(1, cfg.intermediate_steps // 2)}},
        "retrieval": {"layer": cfg.retrieval_layer, "pooling": "mean"},
        "data": {"version": f"synthetic-world-{cfg.world_seed}-v{GENERATOR_VERSION}"},
        "source": "synthetic world (replication.synthetic); protocol of arXiv 2005.13013v1",
    }  # fmt: skip
    main = {
        "name": "synthetic-demo", "base_model": bases["mlm-all"], "intermediate": ["none", INTERMEDIATE],
        "targets": list(TARGETS), **common,
    }  # fmt: skip
    controls = {
        "name": "synthetic-controls", "base_model": [bases["mlm-en"], bases["random"]], "intermediate": ["none"],
        "targets": list(cfg.control_targets), **common,
    }  # fmt: skip
    unrelated = {
        "name": "synthetic-unrelated", "base_model": bases["mlm-all"], "intermediate": [UNRELATED],
        "targets": list(UNRELATED_TARGETS), **common,
    }  # fmt: skip
    unrelated["tasks"] = {UNRELATED: common["tasks"][INTERMEDIATE]}
    size = {
        "name": "synthetic-size", "base_model": bases["mlm-small"], "intermediate": ["none"],
        "targets": list(cfg.size_targets), **common,
    }  # fmt: skip
    return [
        parse_plan(main, where="synthetic demo plan"),
        parse_plan(unrelated, where="synthetic unrelated-task plan"),
        parse_plan(controls, where="synthetic controls plan"),
        parse_plan(size, where="synthetic encoder-size plan"),
    ]


# ---------------------------------------------------------------------------------------------------------------
# Scores, checks and tables


def score(target: str, metrics: dict[str, float]) -> float:
    """One language's score on the 0-100 scale: the task metric (QA: mean of F1 and exact match)."""
    names = SYNTHETIC_TASKS[target].metrics
    return sum(float(metrics[m]) for m in names) / len(names)


def groups(world: World) -> dict[str, tuple[str, ...]]:
    """English, then every family of fake languages (same order first)."""
    out = {"en": ("en",)}
    for fam, codes in world.families.items():
        if fam != "English":
            out[family_label(world, fam)] = codes
    return out


def family_label(world: World, family: str) -> str:
    """A fake family's name with its word order: "A (same order)", "B (inverted)"."""
    order = world.languages[world.families[family][0]].order
    return f"{family} ({'same order' if order == 'svo' else 'inverted'})"


def collect_scores(results: list[dict], bases: dict[str, str], world: World) -> dict[str, Any]:
    """base -> intermediate -> target -> group -> {seed: mean score over the group's languages}.

    Groups: "en", each family, ``zero-shot`` (every fake language) and ``all`` (every language)."""
    name_of = {path: b for b, path in bases.items()}
    out: dict[str, Any] = {}
    every = {**groups(world), ZERO_SHOT: world.fake_languages, ALL: tuple(world.languages)}
    for r in results:
        base = name_of.get(r["base_model"], r["base_model"])
        cell = out.setdefault(base, {}).setdefault(r["intermediate"], {}).setdefault(r["target"], {})
        for group, langs in every.items():
            vals = [score(r["target"], r["metrics"][lang]) for lang in langs if lang in r["metrics"]]
            if vals:
                cell.setdefault(group, {})[str(r["seed"])] = sum(vals) / len(vals)
    return out


def _mean(values: dict[str, float] | None) -> float | None:
    return sum(values.values()) / len(values) if values else None


def _ms(values: dict[str, float] | None) -> str:
    if not values:
        return "-"
    vals = list(values.values())
    mean = sum(vals) / len(vals)
    if len(vals) == 1:
        return f"{mean:.1f}"
    std = (sum((v - mean) ** 2 for v in vals) / (len(vals) - 1)) ** 0.5
    return f"{mean:.1f} ± {std:.1f}"


def checks(scores: dict[str, Any], world: World) -> dict[str, Any]:
    """The transfer claims, from the baseline runs (no intermediate phase) of the three encoders.

    - same-order fake languages with the multilingual encoder are clearly above chance: > 15 points above it on
      average over the tasks with a defined chance level (multiple choice, retrieval, NLI when run);
    - both controls stay near chance there: < 10 points above it;
    - inverted-order languages transfer worse: the multilingual encoder's mean score over every target is lower on
      the inverted family than on the same-order family.
    """
    g = list(groups(world))
    same, inverted = g[1], g[2]
    common = (
        set.intersection(*(set(scores.get(b, {}).get("none", {})) for b in CONTROL_BASES))
        if scores
        else set()
    )
    with_chance = sorted(t for t in common if chance(t) is not None)

    def above_chance(base: str, group: str) -> float | None:
        cell = scores.get(base, {}).get("none", {})
        vals = [
            (_mean(cell[t].get(group)) or 0.0) - 100 * (chance(t) or 0.0) for t in with_chance if t in cell
        ]
        return sum(vals) / len(vals) if vals else None

    def mean_score(base: str, group: str) -> float | None:
        cell = scores.get(base, {}).get("none", {})
        vals = [_mean(cell[t].get(group)) for t in sorted(cell)]
        vals = [v for v in vals if v is not None]
        return sum(vals) / len(vals) if vals else None

    lift = {b: {grp: above_chance(b, grp) for grp in (same, inverted)} for b in CONTROL_BASES}
    means = {b: {grp: mean_score(b, grp) for grp in (same, inverted)} for b in CONTROL_BASES}
    ok_main = (lift["mlm-all"][same] or 0.0) > 15.0
    ok_controls = all(
        (lift[b][same] if lift[b][same] is not None else 99.0) < 10.0 for b in ("mlm-en", "random")
    )
    ok_inverted = (means["mlm-all"][inverted] or 0.0) < (means["mlm-all"][same] or 0.0)
    return {
        "targets": with_chance,
        "points_above_chance": lift,
        "mean_score_all_targets": means,
        "same_order_above_chance": ok_main,
        "controls_near_chance": ok_controls,
        "inverted_transfers_worse": ok_inverted,
        "all": ok_main and ok_controls and ok_inverted,
    }


def _table(title: str, header: list[str], rows: list[list[str]]) -> str:
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    line = lambda r: "  ".join(str(c).ljust(w) for c, w in zip(r, widths, strict=True)).rstrip()  # noqa: E731
    return "\n".join([title, line(header), line(["-" * w for w in widths]), *map(line, rows)])


def format_demo_tables(scores: dict[str, Any], world: World, chk: dict[str, Any]) -> str:
    """Zero-shot scores by setting and family, and the controls table (mean ± std over seeds, 0-100)."""
    g = list(groups(world))
    parts = []
    rows = []
    for base in BASES:
        for inter, by_target in sorted(scores.get(base, {}).items(), key=lambda kv: kv[0] != "none"):
            for target in TARGETS:
                if target in by_target:
                    cells = [_ms(by_target[target].get(grp)) for grp in g]
                    c = chance(target)
                    rows.append(
                        [BASE_LABELS[base], task_label(inter), task_label(target),
                         "-" if c is None else f"{100 * c:.1f}", *cells]
                    )  # fmt: skip
    parts.append(_table("Zero-shot scores by language family (mean ± std over seeds; 0-100)",
                        ["encoder", "intermediate", "target", "chance", *g], rows))  # fmt: skip
    rows = []
    fams = list(chk["points_above_chance"]["mlm-all"])
    for base in CONTROL_BASES:
        lift, means = chk["points_above_chance"][base], chk["mean_score_all_targets"][base]
        rows.append([BASE_LABELS[base], *(f"{lift[f]:+.1f}" if lift[f] is not None else "-" for f in fams),
                     *(f"{means[f]:.1f}" if means[f] is not None else "-" for f in fams)])  # fmt: skip
    parts.append(_table(
        "Controls (baseline runs): points above chance over " + ", ".join(chk["targets"])
        + "; mean score over every control target",
        ["encoder", *(f"{f} vs chance" for f in fams), *(f"{f} mean" for f in fams)], rows))  # fmt: skip
    verdict = ", ".join(f"{k}: {'yes' if chk[k] else 'NO'}" for k in
                        ("same_order_above_chance", "controls_near_chance", "inverted_transfers_worse"))  # fmt: skip
    parts.append(f"Checks: {verdict}")
    return "\n\n".join(parts)


def task_label(name: str) -> str:
    """A synthetic task's name as a person reads it: "QA, 150 English training items (syn-qa)"."""
    return (
        f"{TASK_LABELS[name]} ({name})"
        if name in TASK_LABELS and name != "none"
        else TASK_LABELS.get(name, name)
    )


def legend(world: World) -> str:
    """What the names in the demo's tables mean: tasks, languages, families, encoders."""
    fams = {}
    for fam, codes in world.families.items():
        if fam != "English":
            fams[family_label(world, fam)] = ", ".join(codes)
    lines = [
        "What the names mean:",
        "  languages: en = English (the only language with training data); "
        + "; ".join(f"{codes} = family {label}" for label, codes in fams.items())
        + ". Fake languages share no word or letter with English; family A keeps English word order,"
        " family B reads every clause backwards.",
        "  tasks: " + "; ".join(f"{k} = {v}" for k, v in TASK_LABELS.items() if k != "none") + ".",
        "  encoders: " + "; ".join(f"{k} = {v}" for k, v in BASE_LABELS.items()) + ".",
        "  scores: 0-100 (accuracy, F1, or the mean of QA F1 and exact match), mean ± std over fine-tuning seeds.",
    ]
    return "\n".join(lines)


def format_family_deltas(scores: dict[str, Any], world: World) -> str:
    """Intermediate-task deltas against the baseline per target and family (multilingual encoder)."""
    g = list(groups(world))
    rows = []
    main = scores.get("mlm-all", {})
    for inter in sorted(k for k in main if k != "none"):
        for target in TARGETS:
            if target not in main[inter]:
                continue
            base, run = main.get("none", {}).get(target, {}), main[inter].get(target, {})
            cells = []
            for grp in g:
                seeds = sorted(set(base.get(grp, {})) & set(run.get(grp, {})))
                cells.append(_ms({s: run[grp][s] - base[grp][s] for s in seeds}) if seeds else "-")
            rows.append([task_label(inter), task_label(target), *cells])
    return _table("Intermediate-task deltas vs baseline by family (points; mean ± std over seeds)",
                  ["intermediate", "target", *g], rows)  # fmt: skip


# ---------------------------------------------------------------------------------------------------------------
# The demo


def run_demo(
    out_dir: str | Path,
    cfg: DemoConfig | None = None,
    log: Log | None = None,
    threads: int | None = 1,
    device: str = "cpu",
) -> DemoResult:
    """Pretrain, run both grids, aggregate; write ``<out>/demo.json`` and return everything (resumable).

    ``threads``: torch CPU threads while the demo runs (restored after; None = torch's default). Default 1: these
    models are tiny, and on a shared CPU extra intra-op threads spin against other processes (measured on 2 busy
    cores: 92 ms per MLM step with 1 thread, 1550 ms with 2). Every run records it in its hardware block.
    ``device``: where every phase trains and evaluates ("cpu", "cuda", "cuda:1"); use a separate ``out_dir`` per
    device, since finished runs and encoders in ``out_dir`` are reused whatever device made them.
    """
    from replication.runner import torch_threads

    cfg = cfg or DemoConfig()
    log = log or (lambda _: None)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    if not sys.stderr.isatty():
        from transformers.utils import logging as hf_logging

        hf_logging.disable_progress_bar()  # no "Writing model shards" bars in logs and pipes
    with torch_threads(threads):
        return _run(out, cfg, log, threads, device)


def _run(out: Path, cfg: DemoConfig, log: Log, threads: int | None, device: str = "cpu") -> DemoResult:
    from replication import aggregate as agg_mod
    from replication.files import atomic_write_text
    from replication.runner import run_plan

    timings: dict[str, float] = {}
    t0 = time.perf_counter()
    world = build_world(cfg.world_seed)
    register_world(world, cfg)
    all_plans_n = 1 + 4
    log(f"stage 1/{all_plans_n}: a tokenizer and four small encoders on the synthetic world's corpus")
    bases = build_bases(world, cfg, out / "models" / base_fingerprint(cfg), log, device)
    timings["pretraining_s"] = round(time.perf_counter() - t0, 1)
    results: list[dict] = []
    for k, plan in enumerate(plans(cfg, bases), 2):
        t1 = time.perf_counter()
        log(f"stage {k}/{all_plans_n}: {PLAN_LABELS.get(plan.name, plan.name)}")
        results += run_plan(plan, out / "runs", log=log, device=device, threads=threads)
        timings[f"{plan.name}_s"] = round(time.perf_counter() - t1, 1)
    timings["total_s"] = round(time.perf_counter() - t0, 1)
    main_results = [r for r in results if r["plan"] == "synthetic-demo"]
    aggregated = agg_mod.aggregate(main_results, plan="synthetic-demo")
    scores = collect_scores(results, bases, world)
    chk = checks(scores, world)
    planted = recover(scores)
    claims = bind_claims(results)
    short = "\n\n".join([
        legend(world), format_family_deltas(scores, world), format_demo_tables(scores, world, chk),
        format_recovery(planted), format_claims(claims),
    ])  # fmt: skip
    if cfg.pretrain_steps < DemoConfig().pretrain_steps:
        short += (
            "\n(a reduced configuration such as --quick is a smoke test of the pipeline: its models are too "
            "small and briefly trained to show transfer; run `assay demo` for the checks to mean something)"
        )
    tables = "\n\n".join([agg_mod.format_tables(aggregated), short])
    atomic_write_text(out / "tables.txt", tables + "\n")
    result = DemoResult(
        out_dir=str(out), config={**_jsonable(asdict(cfg)), "threads": threads, "device": device},
        world=world.describe(), timings=timings, scores=scores, checks=chk, aggregate=aggregated, tables=tables,
        throughput=throughput_summary(results), planted=planted, summary=short, claims=claims,
        results=sorted(str(r.get("path") or out / "runs" / r["id"] / "result.json") for r in results),
    )  # fmt: skip
    atomic_write_text(out / "demo.json", json.dumps(asdict(result), indent=2, sort_keys=True, default=str))
    return result


def bind_claims(results: list[dict]) -> list[dict[str, Any]]:
    """`truth.DEMO_CLAIMS` bound to the demo's run records (replication.bind), each with its expected verdict."""
    from replication.bind import bind
    from replication.tasks.registry import list_tasks

    versions = sorted({(r.get("config") or {}).get("data_version") or "" for r in results})

    def count(task: str, split: str) -> int | None:
        return next((n for v in versions if (n := count_examples(task, split, v)) is not None), None)

    claims = [{"id": i, "text": t} for i, t, _ in DEMO_CLAIMS]
    out = []
    for b, (_, _, expected) in zip(
        bind(claims, results, registry=list_tasks(), count=count), DEMO_CLAIMS, strict=True
    ):
        out.append({**b.to_dict(), "expected": expected})
    return out


def count_examples(task: str, split: str, data_version: str) -> int | None:
    """Examples in one split of a synthetic task, generated and counted for ``data_version`` (the dataset itself,
    not the share a run's ``max_train_examples`` took); None when the task, split or version is not this
    generator's."""
    import re

    m = re.fullmatch(r"synthetic-world-(\d+)-v(\d+)", data_version or "")
    if not m or int(m.group(2)) != GENERATOR_VERSION or task not in SYNTHETIC_TASKS:
        return None
    if split not in SYNTHETIC_TASKS[task].sizes:
        return None
    return len(examples(build_world(int(m.group(1))), task, split))


def throughput_summary(results: list[dict]) -> dict[str, Any]:
    """Training throughput over all runs (from their result records): tokens/s, MFU, peak device memory."""
    per_run = {}
    tokens = seconds = flops = 0.0
    peaks: list[float] = []
    memory: list[int] = []
    for r in results:
        t = r.get("throughput") or {}
        if not t.get("tokens"):
            continue
        per_run[r["id"]] = {k: t.get(k) for k in ("tokens_per_s", "mfu", "peak_memory_bytes")}
        tokens += t["tokens"]
        seconds += t["train_seconds"]
        for ph in (t.get("phases") or {}).values():
            flops += ph["tokens"] * ph["flops_per_token"]
            if ph.get("peak_flops"):
                peaks.append(ph["peak_flops"])
        if t.get("peak_memory_bytes"):
            memory.append(int(t["peak_memory_bytes"]))
    return {
        "tokens": int(tokens), "train_seconds": round(seconds, 3),
        "tokens_per_s": tokens / seconds if seconds else None,
        "mfu": flops / seconds / max(peaks) if seconds and peaks else None,
        "peak_memory_bytes": max(memory) if memory else None, "runs": per_run,
    }  # fmt: skip


def _jsonable(d: dict[str, Any]) -> dict[str, Any]:
    return json.loads(json.dumps(d, default=list))
