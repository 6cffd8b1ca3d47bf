"""The phases of one run: intermediate training (shared by every run with the same lineage), target fine-tuning
on English with English dev selection, zero-shot evaluation on every language, and retrieval without training.

Examples come from `replication.data` (the task declaration's files or hub sources) unless the declaration holds
them in memory (``TaskSpec.examples``, set with :func:`register_examples` by the synthetic world and tests), so the
same code runs on real and synthetic data.
"""

from __future__ import annotations

import json
import math
import os
import shutil
import sys
from collections.abc import Callable, Iterator, Mapping, MutableMapping, Sequence
from pathlib import Path
from typing import Any

from replication.distributed import barrier
from replication.errors import MissingData, ReplicationError
from replication.plan import Hyperparameters, IntermediatePhase, RunSpec
from replication.tasks.formats import Format
from replication.tasks.spec import ExampleSource

Log = Callable[[str], None]
StopAfter = Mapping[str, int]  # phase ("intermediate" | "target") -> stop after this optimizer step


def register_examples(task: str, source: ExampleSource) -> None:
    """Serve a registered task's examples from ``source(split, language)`` instead of replication.data (sets the
    declaration's ``examples``).

    A source raises KeyError or FileNotFoundError for a split or language it does not have (read as MissingData).
    """
    from replication.tasks.registry import set_examples

    set_examples(task, source)


def unregister_examples(task: str) -> None:
    """Stop serving a task from memory (no-op if it is not, or is no longer, registered)."""
    from replication.tasks.registry import set_examples

    set_examples(task, None)


def _memory_source(task: str) -> ExampleSource | None:
    """The in-memory example source the task's declaration holds, None if it has none (or is not registered)."""
    from replication.tasks.registry import get_task

    try:
        return get_task(task).examples
    except ReplicationError:
        return None


class _MemorySources(MutableMapping[str, ExampleSource]):
    """The declarations' in-memory example sources, by task name, as a mapping (for callers that patch one)."""

    def __getitem__(self, task: str) -> ExampleSource:
        source = _memory_source(task)
        if source is None:
            raise KeyError(task)
        return source

    def __setitem__(self, task: str, source: ExampleSource) -> None:
        register_examples(task, source)

    def __delitem__(self, task: str) -> None:
        self[task]  # noqa: B018 - KeyError when there is none
        unregister_examples(task)

    def __iter__(self) -> Iterator[str]:
        from replication.tasks.registry import list_tasks

        return iter([t.name for t in list_tasks() if t.examples is not None])

    def __len__(self) -> int:
        return sum(1 for _ in self)


_SOURCES: MutableMapping[str, ExampleSource] = _MemorySources()


def load_examples(task: str, split: str, language: str, spec: RunSpec, purpose: str | None = None) -> list:
    """One split of one task in one language.

    ``purpose="select"`` marks model-selection data, which must be English dev data (checked here for in-memory
    sources too, and by `replication.data.load_split`). A split that is not there raises MissingData.
    """
    if purpose == "select" and (language != "en" or split != "dev"):
        raise ReplicationError(
            f"{task}: model selection uses English dev data only; asked for {split} {language!r}"
        )
    source = _memory_source(task)
    if source is not None:
        try:
            return list(source(split, language))
        except (KeyError, FileNotFoundError) as exc:
            raise MissingData(f"{task}: no {split} data for {language!r} ({exc})") from None
    from replication import data

    kwargs: dict[str, Any] = {"data_dir": spec.data_dir, "revision": spec.data_revisions.get(task)}
    if purpose is not None:
        kwargs["purpose"] = purpose
    return list(data.load_examples(task, split, language, **kwargs))


def resolve_device(device: str | None = None, local_rank: int = 0) -> Any:
    import torch

    if device:
        return torch.device(device)
    if torch.cuda.is_available():
        return torch.device("cuda", local_rank)
    return torch.device("cpu")


# ---------------------------------------------------------------------------------------------------------------
# the run


def execute(
    spec: RunSpec,
    runs_dir: Path,
    log: Log,
    device: str | None = None,
    rank: int = 0,
    world: int = 1,
    stop_after: StopAfter | None = None,
) -> dict[str, Any]:
    """Run the phases of ``spec`` that are not finished; return metrics, dev, retrieval, throughput and notes.

    ``stop_after`` ({"intermediate": n} or {"target": n}) stops that phase right after optimizer step n by raising
    `replication.training.StopTraining`, leaving its resumable checkpoint behind as a kill would (resume tests,
    profiling a few steps). ``notes`` lists optional data that was absent and skipped (e.g. a language's test split).
    """
    from transformers.utils import logging as hf_logging

    from replication.tasks.registry import get_task

    if not sys.stderr.isatty():
        hf_logging.disable_progress_bar()  # no progress bars in logs and pipes
    dev = resolve_device(device, local_rank=int(os.environ.get("LOCAL_RANK", 0)))
    task = get_task(spec.target)
    phases: dict[str, Any] = {}
    stops = dict(stop_after or {})
    notes: list[str] = []
    encoder_path = spec.base_model
    if spec.intermediate is not None:
        encoder_path, phase_stats = ensure_intermediate(
            spec,
            runs_dir,
            dev,
            log,
            rank=rank,
            world=world,
            stop_after_step=stops.get("intermediate"),
            notes=notes,
        )
        phases["intermediate"] = phase_stats
    out_dir = runs_dir / spec.id
    out_dir.mkdir(parents=True, exist_ok=True)
    outcome, target_stats = _run_last_phase(
        spec, task, encoder_path, out_dir, dev, log, rank, world, stops.get("target"), notes
    )
    if not spec.is_retrieval:
        phases["target"] = target_stats
    outcome["notes"] = notes
    _write_predictions(outcome, out_dir, rank)
    outcome["throughput"] = _throughput(phases)
    return outcome


def _run_last_phase(
    spec: RunSpec,
    task: Any,
    encoder_path: str,
    out_dir: Path,
    dev: Any,
    log: Log,
    rank: int,
    world: int,
    stop_after_step: int | None,
    notes: list[str],
) -> tuple[dict[str, Any], dict[str, Any] | None]:
    """(outcome, the target phase's stats) of the run's last phase: retrieval (no stats: nothing is trained) or
    fine-tuning on the target task."""
    if spec.is_retrieval:
        return run_retrieval(spec, task, encoder_path, dev, log, notes=notes), None
    outcome = run_target(
        spec,
        task,
        encoder_path,
        out_dir,
        dev,
        log,
        rank=rank,
        world=world,
        stop_after_step=stop_after_step,
        notes=notes,
    )
    return outcome, outcome.pop("phase")


def _write_predictions(outcome: dict[str, Any], out_dir: Path, rank: int) -> None:
    """Take the predictions out of the outcome; the main process (rank 0) writes them to predictions.jsonl."""
    predictions = outcome.pop("predictions")
    if rank == 0:
        write_jsonl(out_dir / "predictions.jsonl", predictions)


def _throughput(phases: dict[str, Any]) -> dict[str, Any]:
    trained = {k: v["throughput"] for k, v in phases.items() if v and v.get("throughput")}
    tokens = sum(t["tokens"] for t in trained.values())
    seconds = sum(t["train_seconds"] for t in trained.values())
    flops = sum(t["tokens"] * t["flops_per_token"] for t in trained.values())
    peaks = [t["peak_flops"] for t in trained.values() if t.get("peak_flops")]
    tps = tokens / seconds if seconds > 0 else None
    mfu = (flops / seconds / max(peaks)) if (seconds > 0 and peaks) else None
    memory = [t["peak_memory_bytes"] for t in trained.values() if t.get("peak_memory_bytes")]
    return {
        "tokens": tokens, "train_seconds": round(seconds, 3), "tokens_per_s": tps, "mfu": mfu,
        "peak_memory_bytes": max(memory) if memory else None, "phases": trained,
    }  # fmt: skip


# ---------------------------------------------------------------------------------------------------------------
# intermediate phase


def ensure_intermediate(
    spec: RunSpec,
    runs_dir: Path,
    device: Any,
    log: Log,
    rank: int = 0,
    world: int = 1,
    stop_after_step: int | None = None,
    notes: list[str] | None = None,
) -> tuple[str, dict]:
    """The intermediate checkpoint of this lineage: trained now unless a finished one exists; (path, stats).

    Model selection uses the first ``max_dev_examples`` English dev examples of each task (paper: 500).
    """
    from replication.models import MultiTaskModel, load_encoder, load_tokenizer
    from replication.training import train

    phase = spec.intermediate
    assert phase is not None
    pdir = runs_dir / phase.id
    finished = _finished_intermediate(pdir, rank)
    if finished is not None:
        log(f"intermediate {phase.spec.name} ({phase.id}): finished earlier, reused")
        return finished
    log(f"intermediate {phase.spec.name} ({phase.id}): training on {', '.join(phase.task_hyperparameters)}")
    tokenizer = load_tokenizer(spec.base_model)
    tasks, heads, dev_sets = _intermediate_training_data(
        spec, phase, runs_dir / "features", tokenizer, log, notes
    )
    model = MultiTaskModel(load_encoder(spec.base_model), heads, seed=spec.seed)
    result = train(
        model, tasks, phase.hyperparameters, seed=spec.seed, tokenizer=tokenizer, checkpoint_dir=pdir / "checkpoint",
        device=device, evaluate=_mean_dev_score(dev_sets, tokenizer, device) if dev_sets else None,
        size_cap=phase.spec.size_cap, log=log, rank=rank, world=world, stop_after_step=stop_after_step,
    )  # fmt: skip
    stats = {
        "id": phase.id, "name": phase.spec.name, "tasks": list(phase.spec.tasks),
        "mlm": None if phase.spec.mlm is None else {"corpus": phase.spec.mlm.corpus, "alpha": phase.spec.mlm.alpha},
        "steps": result.steps, "best_step": result.best_step, "best_dev": result.best_score,
        "evaluations": result.evaluations, "stopped_early": result.stopped_early,
        "throughput": result.throughput(),
        "sampling": _sampling(tasks, phase.spec.size_cap),
    }  # fmt: skip
    if rank == 0:
        _save_intermediate(pdir, model, tokenizer, stats)
    barrier(world)
    return str(pdir / "model"), stats


def _finished_intermediate(pdir: Path, rank: int) -> tuple[str, dict] | None:
    """(model path, stats) of an intermediate phase that finished earlier, None if it did not."""
    done, model_dir = pdir / "phase.json", pdir / "model"
    if not (done.is_file() and model_dir.is_dir()):
        return None
    stats = json.loads(done.read_text(encoding="utf-8"))
    if rank == 0:
        shutil.rmtree(pdir / "checkpoint", ignore_errors=True)  # left over by a kill right after finishing
    return str(model_dir), stats


def _intermediate_training_data(
    spec: RunSpec,
    phase: IntermediatePhase,
    features_dir: Path,
    tokenizer: Any,
    log: Log,
    notes: list[str] | None,
) -> tuple[list, list, list]:
    """Training data and heads of every intermediate task (the MLM corpus last), and the English dev sets that
    model selection scores: (tasks, heads, dev_sets)."""
    from replication.models import HeadSpec
    from replication.tasks.registry import get_task
    from replication.training import TaskData

    tasks, heads, dev_sets = [], [], []
    for name in phase.spec.tasks:
        t = get_task(name)
        hp = phase.task_hyperparameters[name]
        train_ex = _try_load(name, "train", phase.language, spec, required=True)
        train_ex = subsample(train_ex, phase.data_fraction, hp.max_train_examples)
        label_ids = _label_ids(t, train_ex)
        feats = _featurize(t, train_ex, tokenizer, hp, True, label_ids, features_dir, "train", phase.language)
        tasks.append(TaskData(name, str(t.format), feats, hp.batch_size, size=len(train_ex)))
        heads.append(HeadSpec(name, str(t.format), _num_labels(t, label_ids)))
        dev_ex = _limit(
            _try_load(name, "dev", "en", spec, purpose="select", log=log, notes=notes), hp.max_dev_examples
        )
        if dev_ex:
            dev_sets.append((t, dev_ex, hp, label_ids))
    mlm = phase.spec.mlm
    if mlm is not None:
        hp = phase.task_hyperparameters[mlm.corpus]
        feats, n = mlm_features(spec, phase, tokenizer, hp)
        tasks.append(TaskData(mlm.corpus, str(Format.MLM), feats, hp.batch_size, size=mlm.n_examples or n))
        heads.append(HeadSpec(mlm.corpus, str(Format.MLM)))
    return tasks, heads, dev_sets


def _mean_dev_score(dev_sets: list, tokenizer: Any, device: Any) -> Callable[[Any], float]:
    """Model selection of a multi-task phase: the mean over tasks of each task's dev selection score."""

    def evaluate(m: Any) -> float:
        scores = []
        for t, ex, hp, label_ids in dev_sets:
            _, metrics = predict(m, t, ex, tokenizer, hp, device, "en", label_ids)
            scores.append(selection_score(t, metrics))
        return float(sum(scores) / len(scores))

    return evaluate


def _save_intermediate(pdir: Path, model: Any, tokenizer: Any, stats: dict) -> None:
    """Rank 0: the encoder and tokenizer into ``model/`` (atomically, by rename), then ``phase.json``, which marks
    the phase finished; the resumable checkpoint goes."""
    tmp, model_dir = pdir / ".model.tmp", pdir / "model"
    shutil.rmtree(tmp, ignore_errors=True)
    model.encoder.save_pretrained(str(tmp))
    tokenizer.save_pretrained(str(tmp))
    shutil.rmtree(model_dir, ignore_errors=True)
    os.replace(tmp, model_dir)
    _write_json(pdir / "phase.json", stats)
    shutil.rmtree(pdir / "checkpoint", ignore_errors=True)


def _sampling(tasks: list, size_cap: int) -> dict[str, float]:
    from replication.training import sampling_weights

    return {t.name: round(float(p), 6) for t, p in zip(tasks, sampling_weights(tasks, size_cap), strict=True)}


def mlm_features(
    spec: RunSpec, phase: IntermediatePhase, tokenizer: Any, hp: Hyperparameters
) -> tuple[list, int]:
    """MLM examples drawn over language corpora with probability proportional to (n_l / N)^alpha (XLM's sampling).

    Returns the features and the pool size (``n_examples`` when the plan sets it, else the corpus size).
    """
    import numpy as np

    from replication.models import featurize_text
    from replication.tasks.registry import get_task

    mlm = phase.spec.mlm
    assert mlm is not None
    langs = list(mlm.languages or get_task(mlm.corpus).languages)
    corpora = {lang: load_examples(mlm.corpus, "train", lang, spec) for lang in langs}
    corpora = {k: v for k, v in corpora.items() if v}
    if not corpora:
        raise ReplicationError(f"MLM corpus {mlm.corpus!r} has no text for {', '.join(langs)}")
    langs = sorted(corpora)
    sizes = np.array([len(corpora[lang]) for lang in langs], dtype=np.float64)
    probs = alpha_sampling(sizes, mlm.alpha)
    total = int(mlm.n_examples or sizes.sum())
    if hp.max_train_examples:
        total = min(total, hp.max_train_examples)
    total = max(1, math.ceil(total * phase.data_fraction))
    rng = np.random.default_rng([spec.seed, 4242])
    counts = rng.multinomial(total, probs)
    chosen = []
    for lang, c in zip(langs, counts.tolist(), strict=True):
        pool = corpora[lang]
        idx = rng.integers(0, len(pool), size=c) if c > len(pool) else rng.permutation(len(pool))[:c]
        chosen.extend(pool[i] for i in idx.tolist())
    return featurize_text(chosen, tokenizer, hp.max_seq_length), total


def alpha_sampling(sizes: Sequence[float], alpha: float) -> Any:
    """p_l proportional to q_l^alpha with q_l = n_l / sum(n): alpha < 1 up-samples small languages."""
    import numpy as np

    q = np.asarray(sizes, dtype=np.float64)
    q = q / q.sum()
    p = q**alpha
    return p / p.sum()


def subsample(examples: list, fraction: float, cap: int | None) -> list:
    """A fixed (seed-independent) subset: the first ceil(fraction x n) after a shuffle with seed 0, then the cap."""
    import numpy as np

    n = len(examples)
    if fraction < 1.0 and n:
        keep = max(1, math.ceil(fraction * n))
        order = np.random.default_rng(0).permutation(n)[:keep]
        examples = [examples[i] for i in sorted(order.tolist())]
    if cap is not None:
        examples = examples[:cap]
    return examples


# ---------------------------------------------------------------------------------------------------------------
# target phase


def run_target(
    spec: RunSpec,
    task: Any,
    encoder_path: str,
    out_dir: Path,
    device: Any,
    log: Log,
    rank: int = 0,
    world: int = 1,
    stop_after_step: int | None = None,
    notes: list[str] | None = None,
) -> dict[str, Any]:
    """Fine-tune on English training data with English dev selection, then evaluate every language's test split."""
    from replication.models import HeadSpec, MultiTaskModel, load_encoder, load_tokenizer
    from replication.training import TaskData, train

    _require_english_training(task)
    hp = spec.hyperparameters
    tokenizer = load_tokenizer(encoder_path)
    train_ex = _english_train_examples(task, spec)
    label_ids = _label_ids(task, train_ex)
    feats = _featurize(
        task, train_ex, tokenizer, hp, True, label_ids, out_dir.parent / "features", "train", "en"
    )
    dev_ex = _try_load(task.name, "dev", "en", spec, purpose="select", log=log, notes=notes)
    dev_ex = _limit(dev_ex, hp.max_dev_examples or spec.evaluation.max_examples)
    model = MultiTaskModel(load_encoder(encoder_path), [HeadSpec(task.name, str(task.format),
                           _num_labels(task, label_ids))], seed=spec.seed)  # fmt: skip
    log(f"target {task.name} ({spec.id}): {len(train_ex)} English training examples, {len(feats)} features")
    dev_metrics: dict[str, float] = {}

    def evaluate(m: Any) -> float:
        _, metrics = predict(m, task, dev_ex, tokenizer, hp, device, "en", label_ids)
        dev_metrics.clear()
        dev_metrics.update(metrics)
        return selection_score(task, metrics)

    result = train(
        model, [TaskData(task.name, str(task.format), feats, hp.batch_size)], hp, seed=spec.seed,
        tokenizer=tokenizer, checkpoint_dir=out_dir / "checkpoint", device=device,
        evaluate=evaluate if dev_ex else None, log=log, rank=rank, world=world,
        stop_after_step=stop_after_step,
    )  # fmt: skip
    metrics, predictions = _evaluate_languages(spec, task, model, tokenizer, device, label_ids, log, notes)
    dev, phase = _target_stats(result)
    return {"metrics": metrics, "dev": dev, "retrieval": None, "predictions": predictions, "phase": phase}


def _require_english_training(task: Any) -> None:
    """Zero-shot transfer: the registry must declare the target task's training data English."""
    if task.train_language != "en":
        raise ReplicationError(
            f"{task.name}: target training data must be English (zero-shot transfer), registry says "
            f"{task.train_language!r}"
        )


def _english_train_examples(task: Any, spec: RunSpec) -> list:
    """The target task's English training examples (capped at ``max_train_examples``); raises when there are
    none or when they name another language."""
    hp = spec.hyperparameters
    train_ex = subsample(_try_load(task.name, "train", "en", spec, required=True), 1.0, hp.max_train_examples)
    _assert_english(task.name, train_ex)
    if not train_ex:
        raise ReplicationError(f"{task.name}: no English training examples")
    return train_ex


def _evaluate_languages(
    spec: RunSpec,
    task: Any,
    model: Any,
    tokenizer: Any,
    device: Any,
    label_ids: dict[str, int] | None,
    log: Log,
    notes: list[str] | None,
) -> tuple[dict[str, dict[str, float]], list[dict]]:
    """(metrics per language, predictions tagged with their language) on the test split of every evaluated
    language the task has; a language without test data is skipped (and noted)."""
    hp = spec.hyperparameters
    languages = spec.evaluation.languages or task.languages
    metrics: dict[str, dict[str, float]] = {}
    predictions: list[dict] = []
    for lang in languages:
        if lang not in task.languages:
            continue
        test_ex = _limit(
            _try_load(task.name, "test", lang, spec, log=log, notes=notes), spec.evaluation.max_examples
        )
        if not test_ex:
            continue
        preds, m = predict(model, task, test_ex, tokenizer, hp, device, lang, label_ids)
        metrics[lang] = m
        predictions.extend({"language": lang, **p} for p in preds)
        log(f"target {task.name} [{lang}]: {_fmt(m)}")
    return metrics, predictions


def _target_stats(result: Any) -> tuple[dict[str, Any] | None, dict[str, Any]]:
    """(English dev selection, or None without dev evaluations; the phase's steps, early stop, resume and
    throughput) of a training result."""
    dev = None
    if result.best_step is not None:
        dev = {"language": "en", "best_step": result.best_step, "score": result.best_score,
               "evaluations": result.evaluations}  # fmt: skip
    phase = {"steps": result.steps, "best_step": result.best_step, "stopped_early": result.stopped_early,
             "resumed_from": result.resumed_from, "throughput": result.throughput()}  # fmt: skip
    return dev, phase


def _assert_english(task: str, examples: list) -> None:
    """Zero-shot means English training data only: refuse ids that name another language (the TyDiQA trap)."""
    from replication.tasks.registry import TYDIQA_ID_PREFIX

    others = tuple(p for lang, p in TYDIQA_ID_PREFIX.items() if lang != "en")
    bad = [e.id for e in examples if str(e.id).lower().startswith(others)]
    if bad:
        raise ReplicationError(
            f"{task}: {len(bad)} training examples are not English (e.g. {bad[0]!r}); target training must be "
            "English only: fix the data (see the TyDiQA trap in docs/PAPER.md)"
        )


def _fmt(metrics: dict) -> str:
    return ", ".join(f"{k} {v:.2f}" for k, v in metrics.items() if isinstance(v, int | float) and k != "n")


# ---------------------------------------------------------------------------------------------------------------
# prediction and metrics


def predict(
    model: Any, task: Any, examples: list, tokenizer: Any, hp: Hyperparameters, device: Any, lang: str,
    label_ids: dict[str, int] | None = None,
) -> tuple[list[dict], dict[str, float]]:  # fmt: skip
    """Predictions (one dict per example) and the task's official metrics on one language."""
    from replication import metrics as M

    fmt = task.format
    feats = _featurize(task, examples, tokenizer, hp, False, label_ids)
    outputs = _forward_all(model, task.name, feats, tokenizer, hp, device)
    if fmt in (Format.PAIR_CLASSIFICATION, Format.MULTIPLE_CHOICE):
        pred = [int(o["logits"].argmax()) for o in outputs]
        gold = [int(e.label) for e in examples]
        names = task.labels if (task.labels and fmt == Format.PAIR_CLASSIFICATION) else None
        preds = [{"id": e.id, "prediction": names[p] if names else p, "gold": names[g] if names else g}
                 for e, p, g in zip(examples, pred, gold, strict=True)]  # fmt: skip
        return preds, {"accuracy": M.accuracy(pred, gold), "n": len(gold)}
    if fmt == Format.TOKEN_TAGGING:
        inverse = {i: t for t, i in (label_ids or {}).items()}
        fallback = "O" if "O" in (label_ids or {}) else inverse.get(0, "O")
        pred_tags, gold_tags, preds = [], [], []
        for e, f, o in zip(examples, feats, outputs, strict=True):
            tags = [fallback] * len(e.tokens)
            best = o["logits"].argmax(-1).tolist()
            for pos, w in f["first_subwords"]:
                if w < len(tags):
                    tags[w] = inverse[best[pos]]
            pred_tags.append(tags)
            gold_tags.append(list(e.tags))
            preds.append({"id": e.id, "prediction": tags, "gold": list(e.tags)})
        if "f1" in task.metrics:
            return preds, {**M.seqeval_f1(pred_tags, gold_tags), "n": len(examples)}
        return preds, {"accuracy": M.token_accuracy(pred_tags, gold_tags), "n": len(examples)}
    if fmt == Format.EXTRACTIVE_QA:
        qa_feats = [
            M.QAFeature(f["example_id"], f["offsets"], o["start_logits"], o["end_logits"])
            for f, o in zip(feats, outputs, strict=True)
        ]
        answers, _ = M.extract_spans(
            {e.id: e.context for e in examples}, qa_feats, version_2=task.unanswerable
        )
        golds = {e.id: list(e.answers) for e in examples}
        norm_lang = lang if task.language_normalization else None
        scores = M.qa_scores(answers, golds, lang=norm_lang)
        preds = [{"id": e.id, "prediction": answers.get(e.id, ""), "gold": list(e.answers)} for e in examples]
        return preds, scores
    raise ReplicationError(f"{task.name}: cannot predict format {fmt}")


def selection_score(task: Any, metrics: dict[str, Any]) -> float:
    """The dev number model selection maximises: the mean of the task's score metrics."""
    values = [float(metrics[m]) for m in task.metrics if m in metrics]
    if not values:
        values = [float(metrics.get("accuracy", metrics.get("f1", 0.0)))]
    return sum(values) / len(values)


def _forward_all(
    model: Any, task: str, feats: list[dict], tokenizer: Any, hp: Hyperparameters, device: Any
) -> list:
    """Run the model over features in length-sorted batches; outputs (numpy) in the features' order."""
    from contextlib import nullcontext

    import torch

    from replication.models import collate, feature_tokens
    from replication.training import attention_backends

    model.eval()
    order = sorted(range(len(feats)), key=lambda i: -feature_tokens(feats[i]))
    out: list[Any] = [None] * len(feats)
    autocast = torch.autocast("cuda", dtype=torch.bfloat16) if device.type == "cuda" else nullcontext()
    with torch.no_grad(), autocast, attention_backends(device):
        for s in range(0, len(order), hp.eval_batch_size):
            idx = order[s : s + hp.eval_batch_size]
            batch = collate([{"input_ids": feats[i]["input_ids"]} for i in idx], tokenizer.pad_token_id)
            batch = {k: v.to(device) for k, v in batch.items()}
            res = model(task, batch)
            for j, i in enumerate(idx):
                if "logits" in res:
                    n = len(feats[i]["input_ids"]) if not isinstance(feats[i]["input_ids"][0], list) else None
                    logits = res["logits"][j].float().cpu().numpy()
                    out[i] = {"logits": logits[:n] if (n is not None and logits.ndim == 2) else logits}
                else:
                    n = len(feats[i]["input_ids"])
                    out[i] = {"start_logits": res["start_logits"][j, :n].float().cpu().numpy(),
                              "end_logits": res["end_logits"][j, :n].float().cpu().numpy()}  # fmt: skip
    model.train()
    return out


FEATURES_VERSION = 2  # bump when featurisation changes: it is part of every feature-cache key


def _featurize(task: Any, examples: list, tokenizer: Any, hp: Hyperparameters, training: bool,
               label_ids: dict[str, int] | None, cache_dir: Path | None = None,
               split: str = "", lang: str = "") -> list[dict]:  # fmt: skip
    """Features of examples; with ``cache_dir`` (training data from replication.data) through the feature cache."""
    from replication.models import featurize

    def build() -> list[dict]:
        return featurize(task.format, examples, tokenizer, hp, training, label_ids)

    if cache_dir is None or _memory_source(task.name) is not None or not examples:
        return build()
    from replication import data

    settings = {"v": FEATURES_VERSION, "max_seq_length": hp.max_seq_length, "doc_stride": hp.doc_stride,
                "max_query_length": hp.max_query_length, "training": training, "labels": label_ids}  # fmt: skip
    key = data.feature_cache_key(data.tokenizer_fingerprint(tokenizer), task, split, lang, settings,
                                 data.examples_fingerprint(examples))  # fmt: skip
    feats, _ = data.cached_features(cache_dir, key, build)
    return feats


def _label_ids(task: Any, examples: list) -> dict[str, int] | None:
    if task.format != Format.TOKEN_TAGGING:
        return None
    labels = task.labels or tuple(sorted({t for e in examples for t in e.tags}))
    return {t: i for i, t in enumerate(labels)}


def _num_labels(task: Any, label_ids: dict[str, int] | None) -> int:
    if task.format == Format.TOKEN_TAGGING:
        return len(label_ids or {})
    if task.format == Format.PAIR_CLASSIFICATION:
        return len(task.labels or ()) or 2
    if task.format == Format.MULTIPLE_CHOICE:
        return task.num_choices or 0
    return 0


def _try_load(
    task: str,
    split: str,
    lang: str,
    spec: RunSpec,
    *,
    purpose: str | None = None,
    required: bool = False,
    log: Log | None = None,
    notes: list[str] | None = None,
) -> list:
    """One split that may be absent. A *required* split (training data) that is absent is a ReplicationError
    saying what to provide; an optional one (dev, a language's test split) gives [] and a note in ``notes`` (the
    run record keeps them). Bad data (a corrupt file, a non-English training set) always raises."""
    try:
        return load_examples(task, split, lang, spec, purpose=purpose)
    except MissingData as exc:
        if required:
            raise ReplicationError(
                f"{task}: the {split} split ({lang}) is required and missing: {exc}"
            ) from None
        _skipped(task, split, lang, exc, log, notes)
        return []


def _skipped(
    task: str, split: str, lang: str, exc: Exception, log: Log | None, notes: list[str] | None
) -> None:
    note = f"{task} {split} [{lang}]: not available, skipped ({exc})"
    if notes is not None:
        notes.append(note)
    if log is not None:
        log(note)


def _limit(examples: list, n: int | None) -> list:
    return examples if n is None else examples[:n]


# ---------------------------------------------------------------------------------------------------------------
# retrieval (no training)


def run_retrieval(
    spec: RunSpec, task: Any, encoder_path: str, device: Any, log: Log, notes: list[str] | None = None
) -> dict[str, Any]:
    """Embed with hidden_states[layer] of the intermediate (or base) encoder; Tatoeba accuracy or BUCC F1."""
    from replication import metrics as M
    from replication.models import load_encoder, load_tokenizer

    layer, pooling = spec.retrieval.layer, spec.retrieval.pooling
    tokenizer = load_tokenizer(encoder_path)
    encoder = load_encoder(encoder_path).to(device).eval()
    hp = spec.hyperparameters

    def emb(examples: list) -> Any:
        return embed(encoder, tokenizer, [e.text for e in examples], hp, device, layer, pooling)

    languages = [lang for lang in (spec.evaluation.languages or task.languages) if lang in task.languages]
    metrics: dict[str, dict] = {}
    predictions: list[dict] = []
    bucc = "f1" in task.metrics
    for lang in languages:
        if lang == "en":  # English is the pivot every other language is matched against
            continue
        if bucc:
            # the threshold is tuned on this language's dev pairs (XTREME's protocol), not model selection
            sides = {s: _sides(spec, task.name, s, lang, log, notes) for s in ("dev", "test")}
            if not sides["test"][0] or not sides["dev"][0]:
                continue
            packed = {split: bucc_split(src, tgt, emb(src), emb(tgt)) for split, (src, tgt) in sides.items()}
            m = M.bucc_evaluate(packed["dev"], packed["test"], layer=layer, pooling=pooling)
            test = packed["test"]
            mined = M.bucc_mine(*test[:4], src_texts=test[5], tgt_texts=test[6])
            gold_of = {e.id: e.gold_id for e in sides["test"][0]}
            predictions.extend(
                {"language": lang, "id": s, "prediction": t, "score": sc, "gold": gold_of.get(s)}
                for (s, t), sc in mined.items() if sc >= m["threshold"]
            )  # fmt: skip
        else:
            src, tgt = _sides(spec, task.name, "test", lang, log, notes)
            src = _limit([e for e in src if e.gold_id is not None], spec.evaluation.max_examples)
            if not src:
                continue
            by_id = {e.id: e for e in tgt}
            missing = [e.gold_id for e in src if e.gold_id not in by_id]
            if missing:
                raise ReplicationError(
                    f"{task.name} [{lang}]: gold English sentence {missing[0]!r} is missing"
                )
            aligned = [by_id[e.gold_id] for e in src]
            xs, ys = emb(src), emb(aligned)
            m = M.tatoeba_accuracy(xs, ys, layer=layer, pooling=pooling)
            predictions.extend(tatoeba_predictions(lang, src, aligned, xs, ys))
        metrics[lang] = m
        log(f"retrieval {task.name} [{lang}]: {_fmt(m)} (layer {layer}, {pooling} pooling)")
    return {"metrics": metrics, "dev": None, "predictions": predictions,
            "retrieval": {"layer": layer, "pooling": pooling, "encoder": encoder_path}}  # fmt: skip


def bucc_split(src: list, tgt: list, xs: Any, ys: Any) -> tuple:
    """One BUCC split as `metrics.bucc_evaluate` takes it, texts included so that duplicate sentences are handled
    as XTREME does: (src_emb, tgt_emb, src_ids, tgt_ids, gold_pairs, src_texts, tgt_texts)."""
    gold = [(e.id, e.gold_id) for e in src if e.gold_id is not None]
    return (
        xs,
        ys,
        [e.id for e in src],
        [e.id for e in tgt],
        gold,
        [e.text for e in src],
        [e.text for e in tgt],
    )


def tatoeba_predictions(lang: str, src: list, aligned: list, xs: Any, ys: Any) -> list[dict]:
    """Prediction rows in the metric's direction (XTREME's): each English sentence ``query`` retrieves its nearest
    sentence in ``lang`` (``prediction``); ``gold`` is its own translation (``id``)."""
    from replication.metrics import tatoeba_nearest

    nearest = tatoeba_nearest(xs, ys).tolist()
    return [{"language": lang, "id": e.id, "query": q.id, "prediction": src[j].id, "gold": e.id}
            for e, q, j in zip(src, aligned, nearest, strict=True)]  # fmt: skip


def _sides(spec: RunSpec, task: str, split: str, lang: str, log: Log | None = None,
           notes: list[str] | None = None) -> tuple[list, list]:  # fmt: skip
    """(source sentences in ``lang`` with gold ids, English candidates) of one split; ([], []) with a note when
    the split is not there for this language."""
    if _memory_source(task) is None:
        from replication import data

        try:
            got = data.load_retrieval(task, split, lang, data_dir=spec.data_dir,
                                      revision=spec.data_revisions.get(task))  # fmt: skip
        except MissingData as exc:
            _skipped(task, split, lang, exc, log, notes)
            return [], []
        return list(got.source), list(got.target)
    src = _try_load(task, split, lang, spec, log=log, notes=notes)
    return (src, _try_load(task, split, "en", spec, log=log, notes=notes)) if src else ([], [])


def embed(encoder: Any, tokenizer: Any, texts: list[str], hp: Hyperparameters, device: Any, layer: int,
          pooling: str) -> Any:  # fmt: skip
    """(n, hidden) numpy sentence embeddings from hidden_states[layer], mask-aware pooling."""
    from contextlib import nullcontext

    import numpy as np
    import torch

    from replication.models import collate, mean_pooled
    from replication.training import attention_backends

    enc = tokenizer(texts, truncation=True, max_length=hp.max_seq_length)
    feats = [{"input_ids": ids} for ids in enc["input_ids"]]
    order = sorted(range(len(feats)), key=lambda i: -len(feats[i]["input_ids"]))
    out = np.zeros((len(feats), encoder.config.hidden_size), dtype=np.float32)
    autocast = torch.autocast("cuda", dtype=torch.bfloat16) if device.type == "cuda" else nullcontext()
    with torch.no_grad(), autocast, attention_backends(device):
        for s in range(0, len(order), hp.eval_batch_size):
            idx = order[s : s + hp.eval_batch_size]
            batch = collate([feats[i] for i in idx], tokenizer.pad_token_id)
            batch = {k: v.to(device) for k, v in batch.items()}
            res = encoder(**batch, output_hidden_states=True, return_dict=True)
            pooled = mean_pooled(res.hidden_states, batch["attention_mask"], layer, pooling)
            out[idx] = pooled.float().cpu().numpy()
    return out


# ---------------------------------------------------------------------------------------------------------------
# files and hooks


def write_jsonl(path: Path, rows: list[dict]) -> None:
    from replication.files import atomic_write_text

    atomic_write_text(path, "".join(json.dumps(r, ensure_ascii=False, default=_default) + "\n" for r in rows))


def _write_json(path: Path, obj: Any) -> None:
    from replication.files import atomic_write_text

    atomic_write_text(path, json.dumps(obj, indent=2, sort_keys=True, default=_default))


def _default(v: Any) -> Any:
    if hasattr(v, "item"):
        return v.item()
    if hasattr(v, "tolist"):
        return v.tolist()
    raise TypeError(type(v).__name__)


__all__ = ["execute", "register_examples", "load_examples", "ensure_intermediate", "run_target", "run_retrieval",
           "predict", "embed", "alpha_sampling", "subsample"]  # fmt: skip
