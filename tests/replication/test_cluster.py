"""Runs as Ray tasks: waves per intermediate lineage (no phase trained twice), results equal to the local runner's,
finished runs never redone. Needs the optional `cluster` extra (Ray); skipped without it."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

pytest.importorskip("torch")

import toy_tasks  # noqa: E402
from toy_tasks import one_thread  # noqa: E402, F401

toy = toy_tasks.toy
REPO = Path(__file__).resolve().parents[2]

from replication.cluster import waves  # noqa: E402
from replication.plan import expand, parse_plan  # noqa: E402


def test_waves_put_one_run_per_intermediate_lineage_first(toy) -> None:  # noqa: ANN001
    plan = parse_plan(toy_tasks.plan_dict(toy, targets=["toy-tag", "toy-ret"], seeds=[1, 2]))
    runs = expand(plan)
    first, rest = waves(runs)
    inter = {r.id: next((h for p, h in r.lineage if p == "intermediate"), None) for r in runs}
    firsts = [inter[r.id] for r in first if inter[r.id]]
    assert len(firsts) == len(set(firsts)) == len({h for h in inter.values() if h})
    assert all(inter[r.id] in firsts for r in rest) and len(first) + len(rest) == len(runs)


@pytest.mark.slow
def test_ray_runs_match_the_local_runner(toy, tmp_path) -> None:  # noqa: ANN001
    ray = pytest.importorskip("ray")
    from replication.cluster import run_plan_ray
    from replication.runner import run_plan

    plan = parse_plan(toy_tasks.plan_dict(toy, targets=["toy-tag"], seeds=[1, 2]))
    local = run_plan(plan, tmp_path / "local", device="cpu")
    try:
        here = str(Path(__file__).resolve().parent)  # workers import toy_tasks from here
        ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False,
                 runtime_env={"env_vars": {"PYTHONPATH": os.pathsep.join([here, os.environ.get("PYTHONPATH", "")])}})
        remote = run_plan_ray(plan, tmp_path / "ray", setup=toy_tasks.register)
        assert [r["id"] for r in remote] == [r["id"] for r in local]
        for a, b in zip(local, remote, strict=True):
            for lang, m in a["metrics"].items():
                assert b["metrics"][lang] == pytest.approx(m, abs=1e-6)
        mtimes = {p: p.stat().st_mtime_ns for p in (tmp_path / "ray").glob("*/result.json")}
        run_plan_ray(plan, tmp_path / "ray", setup=toy_tasks.register)  # finished runs are never redone
        assert {p: p.stat().st_mtime_ns for p in (tmp_path / "ray").glob("*/result.json")} == mtimes
    finally:
        ray.shutdown()


def test_replicate_run_executor_is_checked(assay, tmp_path) -> None:  # noqa: ANN001
    plan = REPO / "replication" / "plans" / "paper_v1.yaml"
    r = assay("--home", tmp_path, "replicate", "run", plan, "--executor", "slurm", "--runs-dir", tmp_path / "runs")
    assert r.code == 2 and "use local or ray" in r.err and "Traceback" not in r.err
