"""Replication runs as Ray tasks, for when one machine is not enough (``assay replicate run --executor ray``).

Every run of a plan becomes one Ray task that asks for the GPUs a run needs, reads and writes a runs folder that
every worker reaches (shared storage), and is retried when its worker dies; a retried run resumes from the
checkpoint its phase left in that folder, and finished runs are never redone (their result JSON exists). Runs that
share an intermediate phase would train it twice if started together, so the first run of each intermediate lineage
goes in a first wave and the others follow once it has finished. Results come back as the run JSONs themselves.
Ray is an optional extra (``pip install 'assay[cluster]'``); nothing else imports it.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from replication.errors import ReplicationError
from replication.plan import Plan, RunSpec, expand, select

Log = Callable[[str], None]


def waves(runs: list[RunSpec]) -> list[list[RunSpec]]:
    """Two waves: one run per intermediate lineage (and runs without one), then every other run."""
    first: list[RunSpec] = []
    rest: list[RunSpec] = []
    seen: set[str] = set()
    for spec in runs:
        inter = next((h for phase, h in spec.lineage if phase == "intermediate"), None)
        if inter is None or inter not in seen:
            first.append(spec)
            if inter is not None:
                seen.add(inter)
        else:
            rest.append(spec)
    return [w for w in (first, rest) if w]


def _run_one(spec: RunSpec, runs_dir: str, device: str | None, setup: Callable[[], Any] | None) -> dict:
    """Inside a Ray worker: prepare (e.g. register tasks), then run one spec to its result record."""
    from replication.runner import run_spec

    if setup is not None:
        setup()
    return run_spec(spec, runs_dir, device=device)


def run_plan_ray(
    plan: Plan,
    runs_dir: str | Path,
    *,
    address: str | None = None,
    gpus_per_run: float | None = None,
    only: str | None = None,
    limit: int | None = None,
    setup: Callable[[], Any] | None = None,
    log: Log | None = None,
    max_retries: int = 3,
) -> list[dict]:
    """Run a plan's pending runs on a Ray cluster (``address``; None starts Ray on this machine).

    ``gpus_per_run``: GPUs each run asks for (default: 1 when the cluster has GPUs, else 0, and the run trains on
    the CPU). ``setup`` runs in the worker before each run (a plan over tasks registered at run time, such as the
    synthetic world, registers them there). Returns the result records in plan order.
    """
    try:
        import ray
    except ImportError:
        raise ReplicationError("--executor ray needs Ray: pip install 'assay[cluster]'") from None
    log = log or (lambda _: None)
    runs_dir = str(Path(runs_dir).resolve())
    Path(runs_dir).mkdir(parents=True, exist_ok=True)
    runs = select(expand(plan), only=only, limit=limit)
    ray.init(address=address, ignore_reinit_error=True, log_to_driver=False, include_dashboard=False)
    if gpus_per_run is None:
        gpus_per_run = 1.0 if ray.cluster_resources().get("GPU", 0) >= 1 else 0.0
    device = None if gpus_per_run > 0 else "cpu"
    task = ray.remote(num_gpus=gpus_per_run, num_cpus=1, max_retries=max_retries)(_run_one)
    records: dict[str, dict] = {}
    for n, wave in enumerate(waves(runs), 1):
        log(f"wave {n}: {len(wave)} run(s) on Ray ({gpus_per_run:g} GPU each)")
        pending = {task.remote(spec, runs_dir, device, setup): spec for spec in wave}
        while pending:
            ready, _ = ray.wait(list(pending), num_returns=1)
            spec = pending.pop(ready[0])
            record = ray.get(ready[0])
            records[spec.id] = record
            log(f"{spec.id} {spec.intermediate_name} -> {spec.target} seed {spec.seed}: done")
    return [records[s.id] for s in runs]
