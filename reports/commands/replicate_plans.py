"""`assay replicate plan | run | status | results`: validate a plan, execute its runs, show where they stand.

Runs live in a runs folder (default: ``<home>/runs``), one folder per lineage hash; finished runs are indexed into
the store's ``runs``/``results`` tables after each run (and again by ``status``/``results``), so the store is a
view of the result files, never a second source of truth.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from replication.errors import ReplicationError
from reports.context import state

RUNS_DIR_HELP = "Runs folder (default: <home>/runs)."
_NOT_SCORES = {"n", "layer", "threshold"}  # numbers in a metrics block that are not scores


def register(group: typer.Typer, app: typer.Typer) -> None:
    group.command("plan")(plan_cmd)
    group.command("run")(run_cmd)
    group.command("status")(status_cmd)
    group.command("results")(results_cmd)


def _runs_dir(ctx: typer.Context, runs_dir: str | None) -> Path:
    return Path(runs_dir).expanduser() if runs_dir else state(ctx).settings.home / "runs"


def _results_dir(folder: Path) -> Path:
    """The folder holding ``<run id>/result.json``: ``folder`` itself, or its ``runs/`` (the demo's ``--out``)."""
    from replication.runner import RESULT_FILE

    if not any(folder.glob(f"*/{RESULT_FILE}")) and (folder / "runs").is_dir():
        return folder / "runs"
    return folder


def _rows(runs: list, runs_dir: Path) -> list[dict[str, Any]]:
    from replication.runner import run_state

    return [
        {
            "id": r.id,
            "intermediate_id": r.intermediate.id if r.intermediate else None,
            "base_model": r.base_model,
            "intermediate": r.intermediate_name,
            "target": r.target,
            "seed": r.seed,
            "data_fraction": r.intermediate.data_fraction if r.intermediate else None,
            "intermediate_language": r.intermediate.language if r.intermediate else None,
            "state": run_state(r, runs_dir),
        }
        for r in runs
    ]


def _table(rows: list[dict[str, Any]], title: str) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title=title)
    for col in ("id", "base_model", "intermediate", "target", "seed", "fraction", "lang", "state"):
        table.add_column(col)
    for r in rows:
        table.add_row(
            r["id"], r["base_model"], r["intermediate"], r["target"], str(r["seed"]),
            "" if r["data_fraction"] is None else f"{r['data_fraction']:g}", r["intermediate_language"] or "",
            r["state"],
        )  # fmt: skip
    Console(width=160).print(table)


def _summary(rows: list[dict[str, Any]]) -> str:
    counts = {s: sum(r["state"] == s for r in rows) for s in ("done", "partial", "todo")}
    inter = {r["intermediate_id"] for r in rows if r["intermediate_id"]}
    return (f"{len(rows)} run(s): {counts['done']} done, {counts['partial']} partial, {counts['todo']} to do; "
            f"{len(inter)} intermediate checkpoint(s)")  # fmt: skip


def plan_cmd(
    ctx: typer.Context,
    file: Annotated[Path, typer.Argument(help="Plan YAML file.")],
    runs_dir: Annotated[str | None, typer.Option("--runs-dir", help=RUNS_DIR_HELP)] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
) -> None:
    """Validate a plan and list its runs with their lineage hashes and done/partial/todo state."""
    from replication.plan import expand, load_plan

    plan = load_plan(file)
    rows = _rows(expand(plan), _runs_dir(ctx, runs_dir))
    if as_json:
        typer.echo(json.dumps({"plan": plan.name, "source": plan.source, "runs": rows}, indent=2))
        return
    _table(rows, f"plan {plan.name}" + (f" ({plan.source})" if plan.source else ""))
    typer.echo(_summary(rows))


def run_cmd(
    ctx: typer.Context,
    file: Annotated[Path, typer.Argument(help="Plan YAML file.")],
    runs_dir: Annotated[str | None, typer.Option("--runs-dir", help=RUNS_DIR_HELP)] = None,
    only: Annotated[
        str | None,
        typer.Option("--only", help="Only runs whose lineage hash (or intermediate hash) starts so."),
    ] = None,
    limit: Annotated[
        int | None, typer.Option("--limit", min=0, help="At most N runs (in plan order).")
    ] = None,
    device: Annotated[
        str | None, typer.Option("--device", help="torch device (default: cuda when available, else cpu).")
    ] = None,
    threads: Annotated[
        int | None,
        typer.Option(
            "--threads",
            min=1,
            help="torch CPU threads (default: torch's own; 1 is fastest for tiny models on a busy CPU).",
        ),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the result records as JSON.")] = False,
    executor: Annotated[
        str, typer.Option("--executor", help="local (one run after another here) or ray (a task per run).")
    ] = "local",
    address: Annotated[
        str | None, typer.Option("--address", help="Ray cluster address (default: start Ray here).")
    ] = None,
    gpus_per_run: Annotated[
        float | None,
        typer.Option(
            "--gpus-per-run",
            min=0,
            help="With ray: GPUs each run asks for (default: 1 if the cluster has GPUs).",
        ),
    ] = None,
) -> None:
    """Execute the plan's runs: finished runs are skipped, interrupted ones resume from their checkpoints."""
    records, folder = _execute_plan(
        ctx, file, runs_dir, only=only, limit=limit, device=device, threads=threads, executor=executor,
        address=address, gpus_per_run=gpus_per_run,
    )  # fmt: skip
    if as_json:
        typer.echo(json.dumps(records, indent=2))
        return
    typer.echo(f"{len(records)} run(s) finished under {folder}")


def _execute_plan(
    ctx: typer.Context,
    file: Path,
    runs_dir: str | None,
    *,
    only: str | None,
    limit: int | None,
    device: str | None,
    threads: int | None,
    executor: str,
    address: str | None,
    gpus_per_run: float | None,
) -> tuple[list[dict], Path]:
    """Run the plan here or on Ray, each result indexed into the store: the result records and the runs folder."""
    from replication.plan import load_plan
    from replication.runner import run_plan

    if executor not in ("local", "ray"):
        raise ReplicationError(f"--executor {executor!r}: use local or ray")

    plan = load_plan(file)
    folder = _runs_dir(ctx, runs_dir)
    st = state(ctx)

    def log(msg: str) -> None:
        typer.echo(msg, err=True)

    def on_result(record: dict) -> None:
        index_results(st.store, [record], plan=plan.name)

    if executor == "ray":  # results are indexed from the run JSONs the workers wrote, never typed in
        from replication.cluster import run_plan_ray

        records = run_plan_ray(plan, folder, address=address, gpus_per_run=gpus_per_run, only=only, limit=limit,
                               log=log)  # fmt: skip
        index_results(st.store, records, plan=plan.name)
    else:
        records = run_plan(
            plan, folder, only=only, limit=limit, log=log, device=device, on_result=on_result, threads=threads
        )
    return records, folder


def status_cmd(
    ctx: typer.Context,
    file: Annotated[
        Path | None, typer.Argument(help="Plan YAML file (default: every run in the runs folder).")
    ] = None,
    runs_dir: Annotated[str | None, typer.Option("--runs-dir", help=RUNS_DIR_HELP)] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
) -> None:
    """Where runs stand: per run of a plan, or every finished run found in the runs folder."""
    from replication.plan import expand, load_plan
    from replication.runner import in_progress, iter_results

    folder = _runs_dir(ctx, runs_dir)
    if file is None:
        folder = _results_dir(folder)
    if file is not None:
        plan = load_plan(file)
        rows = _rows(expand(plan), folder)
        if as_json:
            typer.echo(json.dumps({"plan": plan.name, "runs": rows}, indent=2))
            return
        _table(rows, f"plan {plan.name}")
        typer.echo(_summary(rows))
        return
    records = list(iter_results(folder))
    index_results(state(ctx).store, records)
    rows = [
        {"id": r["id"], "plan": r.get("plan"), "base_model": r.get("base_model"),
         "intermediate": r.get("intermediate"), "target": r.get("target"),
         "seed": r.get("seed"), "wall_time_s": r.get("wall_time_s"),
         "tokens_per_s": (r.get("throughput") or {}).get("tokens_per_s")}
        for r in records
    ]  # fmt: skip
    partial = in_progress(folder)
    if as_json:
        typer.echo(json.dumps({"runs_dir": str(folder), "finished": rows, "in_progress": partial}, indent=2))
        return
    typer.echo(
        f"{len(rows)} finished run(s) under {folder}; {len(partial)} phase(s) with a resumable checkpoint"
    )
    for phase_id in partial:
        typer.echo(f"  {phase_id}  checkpoint (interrupted or running)")
    for r in rows:
        tps = "" if r["tokens_per_s"] is None else f" {r['tokens_per_s']:.0f} tok/s"
        wall = "" if r["wall_time_s"] is None else f"  {r['wall_time_s']:.1f}s"
        typer.echo(f"  {r['id']}  {r['plan']}  {_model_name(r['base_model'])}: {r['intermediate']} -> {r['target']}"
                   f"  seed {r['seed']}{wall}{tps}")  # fmt: skip


def _model_name(base_model: str | None) -> str:
    """A base model as a reader tells runs apart: a hub name as is, a local folder by its last part (the demo's
    encoders are folders named mlm-all, mlm-en, random; without it two control runs read as duplicates)."""
    if not base_model:
        return "?"
    return Path(base_model).name if "/" in base_model and Path(base_model).is_absolute() else base_model


def results_cmd(
    ctx: typer.Context,
    runs_dir: Annotated[str | None, typer.Option("--runs-dir", help=RUNS_DIR_HELP)] = None,
    plan: Annotated[str | None, typer.Option("--plan", help="Only the runs of this plan (by name).")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
) -> None:
    """Deltas against the baseline per task, language, family and the benchmark average, from the result files."""
    from replication import aggregate
    from replication.runner import iter_results

    folder = _results_dir(_runs_dir(ctx, runs_dir))
    records = list(iter_results(folder))
    index_results(state(ctx).store, records)
    if not records:
        raise ReplicationError(f"no finished runs under {folder}: run `assay replicate run PLAN` first")
    agg = aggregate.aggregate(records, plan=plan)
    if as_json:
        typer.echo(json.dumps(agg, indent=2, default=str))
        return
    if sys.stdout.isatty():
        from rich.console import Console

        console = Console()
        for table in aggregate.rich_tables(agg):
            console.print(table)
    else:
        typer.echo(aggregate.format_tables(agg), nl=False)


def index_results(store: Any, records: list[dict], plan: str | None = None) -> int:
    """Upsert finished runs and their per-language scores into the store's runs/results tables."""
    from replication.aggregate import store_rows
    from synthesis.store_runs import upsert_run

    n = 0
    with store.transaction() as conn:
        for r in records:
            if not r:
                continue
            upsert_run(
                conn,
                r["id"],
                r.get("plan") or plan,
                r.get("status", "done"),
                r.get("path"),
                {k: v for k, v in r.items() if k not in ("metrics",)},
                [row for row in store_rows(r) if row[3] not in _NOT_SCORES],
            )
            n += 1
    return n
