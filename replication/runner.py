"""Execute the runs of a plan: phases, lineage folders, skipping finished work, resuming interrupted work.

Layout under a runs folder (one folder per phase, named by its lineage hash)::

    RUNS/<intermediate id>/phase.json        intermediate phase finished (its stats); model/ holds the encoder
    RUNS/<intermediate id>/checkpoint/        resumable state while it trains (removed when it finishes)
    RUNS/<run id>/result.json                 the run finished: the result record (schema below)
    RUNS/<run id>/predictions.jsonl           one line per evaluated example: {"language", "id", "prediction", "gold"}
                                              (Tatoeba also "query": the English sentence that searched, as the metric)
    RUNS/<run id>/checkpoint/                 resumable state of the target phase

Result record (``result.json``, schema ``assay.run/1``; aggregates are computed only from these)::

    {"schema": "assay.run/1", "id": run id, "plan": name, "status": "done",
     "lineage": [{"phase": "base"|"intermediate"|"target", "id": hash}],
     "base_model": str, "intermediate": setting name ("none" for the baseline), "intermediate_tasks": [str],
     "target": task, "format": str, "seed": int, "data_fraction": float|null, "intermediate_language": str|null,
     "metrics": {language: {metric: value}},        # test split, every evaluated language
     "dev": {"language": "en", "metrics": {...}, "best_step": int}|null,   # model selection (English dev only)
     "retrieval": {"layer": int, "pooling": str}|null,
     "config": {... resolved RunSpec ...}, "seeds": {"seed": int},
     "task": {"name", "format", "metrics": [str], "languages": [str], "families": {language: family}},
     "notes": [str],                                # optional data that was absent and skipped
     "versions": {"python", "torch", "transformers", "assay", "seqeval", ...},
     "seqeval": str|null,                           # the seqeval that scored tagging (pinned: metrics.SEQEVAL_VERSION)
     "hardware": {"platform", "cpu_count", "torch_threads", "threads_requested", "gpus", "processes"},
     "wall_time_s": float, "throughput": {"tokens_per_s": float, "mfu": float|null, "tokens": int, "phases": {...}},
     "predictions": "predictions.jsonl", "finished_at": ISO time}

The record is the typed model replication.record.RunRecord; its JSON Schema is docs/schemas/run.schema.json
(``python -m reports.schemas`` regenerates it; tests validate written records against it).

Entry points: :func:`run_plan`, :func:`run_spec`, :func:`run_state`, :func:`load_result`, :func:`iter_results`,
:func:`in_progress`. Several GPUs: see replication.distributed (torchrun / accelerate launch).
"""

from __future__ import annotations

import json
import os
import platform
import shutil
import sys
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from replication.errors import ReplicationError
from replication.files import atomic_write_text
from replication.plan import Plan, RunSpec, expand, select
from replication.record import SCHEMA, RunRecord

RESULT_FILE = "result.json"
PHASE_FILE = "phase.json"
PREDICTIONS_FILE = "predictions.jsonl"

Log = Callable[[str], None]


def _quiet(_: str) -> None:
    pass


# ---------------------------------------------------------------------------------------------------------------
# paths and state


def phase_dir(runs_dir: str | Path, phase_id: str) -> Path:
    return Path(runs_dir) / phase_id


def result_path(runs_dir: str | Path, run_id: str) -> Path:
    return phase_dir(runs_dir, run_id) / RESULT_FILE


def run_state(spec: RunSpec, runs_dir: str | Path) -> str:
    """'done' (result written), 'partial' (some phase started or finished) or 'todo'."""
    if result_path(runs_dir, spec.id).is_file():
        return "done"
    own = phase_dir(runs_dir, spec.id)
    if own.is_dir() and any(own.iterdir()):
        return "partial"
    if spec.intermediate is not None and phase_dir(runs_dir, spec.intermediate.id).is_dir():
        if any(phase_dir(runs_dir, spec.intermediate.id).iterdir()):
            return "partial"
    return "todo"


def load_result(runs_dir: str | Path, run_id: str) -> dict[str, Any] | None:
    path = result_path(runs_dir, run_id)
    if not path.is_file():
        return None
    record = json.loads(path.read_text(encoding="utf-8"))
    record.setdefault("path", str(path))
    return record


def iter_results(runs_dir: str | Path) -> Iterator[dict[str, Any]]:
    """Every finished run's result record under a runs folder (sorted by id; unreadable files skipped)."""
    root = Path(runs_dir)
    if not root.is_dir():
        return
    for path in sorted(root.glob(f"*/{RESULT_FILE}")):
        try:
            record = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError):
            continue
        if isinstance(record, dict) and record.get("schema") == SCHEMA:
            record.setdefault("path", str(path))
            yield record


def in_progress(runs_dir: str | Path) -> list[str]:
    """Phase folders with a resumable checkpoint and no finished marker (interrupted or running now)."""
    root = Path(runs_dir)
    if not root.is_dir():
        return []
    out = []
    for ckpt in sorted(root.glob("*/checkpoint")):
        folder = ckpt.parent
        if not (folder / RESULT_FILE).is_file() and not (folder / PHASE_FILE).is_file():
            out.append(folder.name)
    return out


# ---------------------------------------------------------------------------------------------------------------
# running


def run_plan(
    plan: Plan,
    runs_dir: str | Path,
    only: str | None = None,
    limit: int | None = None,
    log: Log | None = None,
    device: str | None = None,
    on_result: Callable[[dict[str, Any]], None] | None = None,
    rank: int = 0,
    world: int = 1,
    threads: int | None = None,
    stop_after: Mapping[str, int] | None = None,
) -> list[dict[str, Any]]:
    """Run every selected run of a plan that is not done yet; return the result records of all selected runs.

    ``on_result`` is called with each record as soon as its run is finished (or found finished). Under data
    parallelism (see replication.distributed) every rank calls this with its ``rank`` and ``world``. ``threads``
    sets torch's intra-op CPU threads for these runs (None: torch's default) and is restored afterwards;
    ``stop_after`` is passed to `replication.phases.execute` (stop a phase after a step, as a kill would).
    """
    log = log or _quiet
    runs = select(expand(plan), only=only, limit=limit)
    with torch_threads(threads):
        return _run_all(runs, runs_dir, log, device, on_result, rank, world, threads, stop_after)


def _run_all(runs: list[RunSpec], runs_dir: str | Path, log: Log, device: str | None,
             on_result: Callable[[dict[str, Any]], None] | None, rank: int, world: int, threads: int | None,
             stop_after: Mapping[str, int] | None) -> list[dict[str, Any]]:  # fmt: skip
    results = []
    for i, spec in enumerate(runs, 1):
        state = run_state(spec, runs_dir)
        label = f"[{i}/{len(runs)}] {spec.id} {spec.intermediate_name} -> {spec.target} seed {spec.seed}"
        if state == "done":
            log(f"{label}: done, skipped")
            record = load_result(runs_dir, spec.id)
            results.append(record)
            if on_result is not None and record is not None:
                on_result(record)
            continue
        log(f"{label}: {'resuming' if state == 'partial' else 'starting'}")
        record = run_spec(
            spec,
            runs_dir,
            log=log,
            device=device,
            rank=rank,
            world=world,
            threads=threads,
            stop_after=stop_after,
        )
        m = record.get("metrics", {})
        log(f"{label}: finished in {record['wall_time_s']:.1f}s, {len(m)} language(s)")
        results.append(record)
        if on_result is not None:
            on_result(record)
    return results


def run_spec(
    spec: RunSpec,
    runs_dir: str | Path,
    log: Log | None = None,
    device: str | None = None,
    rank: int = 0,
    world: int = 1,
    threads: int | None = None,
    stop_after: Mapping[str, int] | None = None,
) -> dict:
    """Run one RunSpec to completion (intermediate phase if not done, target phase, evaluation) and write its result.

    Only rank 0 writes; with ``world`` > 1 every rank returns the same record after a barrier. ``threads`` and
    ``stop_after``: see `run_plan`.
    """
    from replication import phases
    from replication.distributed import barrier

    log = log or _quiet
    existing = load_result(runs_dir, spec.id)
    if existing is not None:
        existing.setdefault("path", str(result_path(runs_dir, spec.id)))
        return existing
    with torch_threads(threads):
        started = time.time()
        outcome = phases.execute(
            spec, Path(runs_dir), log=log, device=device, rank=rank, world=world, stop_after=stop_after
        )
        record = _record(spec, outcome, wall_time=time.time() - started)
    record["hardware"]["processes"] = world
    record["hardware"]["threads_requested"] = threads
    out = phase_dir(runs_dir, spec.id)
    if rank != 0:
        barrier(world)
        return record
    out.mkdir(parents=True, exist_ok=True)
    atomic_write_text(out / RESULT_FILE, json.dumps(record, indent=2, sort_keys=True, default=_json_default))
    ckpt = out / "checkpoint"
    if ckpt.is_dir():
        shutil.rmtree(ckpt, ignore_errors=True)
    record["path"] = str(out / RESULT_FILE)
    barrier(world)
    return record


def _record(spec: RunSpec, outcome: dict[str, Any], wall_time: float) -> dict[str, Any]:
    """The run's record, validated as a :class:`replication.record.RunRecord`, as a JSON-ready dict."""
    from replication.metrics import SEQEVAL_VERSION

    inter = spec.intermediate
    versions = library_versions()
    notes = list(outcome.get("notes", []))
    if versions.get("seqeval") not in (None, SEQEVAL_VERSION):
        notes.append(f"scored with seqeval {versions['seqeval']}, not the pinned {SEQEVAL_VERSION}: tagging F1 "
                     "may differ from runs scored with the pinned version")  # fmt: skip
    return RunRecord.model_validate(
        {
            "schema": SCHEMA,
            "id": spec.id,
            "plan": spec.plan,
            "status": "done",
            "lineage": [{"phase": p, "id": h} for p, h in spec.lineage],
            "base_model": spec.base_model,
            "intermediate": spec.intermediate_name,
            "intermediate_tasks": list(inter.spec.tasks) if inter else [],
            "intermediate_mlm": (inter.spec.mlm.corpus if inter and inter.spec.mlm else None),
            "target": spec.target,
            "format": spec.target_format,
            "seed": spec.seed,
            "data_fraction": inter.data_fraction if inter else None,
            "intermediate_language": inter.language if inter else None,
            "metrics": outcome["metrics"],
            "dev": outcome.get("dev"),
            "retrieval": outcome.get("retrieval"),
            "task": task_info(spec.target),
            "notes": notes,
            "config": spec.config(),
            "seeds": {"seed": spec.seed, "intermediate_seed": spec.seed if inter else None},
            "versions": versions,
            "seqeval": versions.get("seqeval"),
            "hardware": hardware(),
            "wall_time_s": round(wall_time, 3),
            "throughput": outcome.get("throughput", {}),
            "predictions": PREDICTIONS_FILE,
            "finished_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        }
    ).to_json()


# ---------------------------------------------------------------------------------------------------------------
# provenance


def task_info(name: str) -> dict[str, Any]:
    """What aggregation needs to know about the target task, kept in the record so that results can be read in a
    process where the task is not registered (the synthetic world's and tests' tasks)."""
    from replication.tasks.registry import family_of, get_task

    spec = get_task(name)

    def family(lang: str) -> str:
        try:
            return family_of(lang)
        except ReplicationError:
            return "unknown"

    return {
        "name": spec.name,
        "format": str(spec.format),
        "metrics": list(spec.metrics),
        "languages": list(spec.languages),
        "families": {lang: family(lang) for lang in spec.languages},
    }


@contextmanager
def torch_threads(n: int | None) -> Iterator[None]:
    """Use ``n`` intra-op CPU threads inside the block (None: leave torch's setting), then restore the old value.

    Tiny models on a busy shared CPU run much faster on one thread (the demo measured 92 ms per MLM step with 1
    thread, 1550 ms with 2 on 2 busy cores), so the demo asks for 1; real runs keep torch's default.
    """
    if n is None:
        yield
        return
    if n < 1:
        raise ReplicationError(f"threads must be >= 1, got {n}")
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(n)
    try:
        yield
    finally:
        torch.set_num_threads(before)


def library_versions() -> dict[str, str | None]:
    from importlib import metadata

    out: dict[str, str | None] = {"python": platform.python_version()}
    for name in (
        "assay",
        "torch",
        "transformers",
        "tokenizers",
        "datasets",
        "accelerate",
        "seqeval",
        "numpy",
    ):
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = None
    return out


def hardware() -> dict[str, Any]:
    info: dict[str, Any] = {
        "platform": platform.platform(),
        "machine": platform.machine(),
        "cpu_count": os.cpu_count(),
    }
    torch = sys.modules.get("torch")
    if torch is not None:
        info["torch_threads"] = torch.get_num_threads()
        if torch.cuda.is_available():
            info["gpus"] = [torch.cuda.get_device_name(i) for i in range(torch.cuda.device_count())]
    return info


def _json_default(value: Any) -> Any:
    if hasattr(value, "item"):
        return value.item()
    if isinstance(value, Path):
        return str(value)
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


__all__ = [
    "ReplicationError", "run_plan", "run_spec", "run_state", "load_result", "iter_results", "phase_dir",
    "result_path", "atomic_write_text", "torch_threads", "task_info", "RESULT_FILE", "PREDICTIONS_FILE", "SCHEMA",
]  # fmt: skip
