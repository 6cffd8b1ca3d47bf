"""`assay batch MANIFEST`: many reports or audits in parallel, resumably, with a summary and an audit dashboard."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Annotated

import typer

from reports.context import state
from synthesis.errors import AssayError


def register(app: typer.Typer) -> None:
    """Add `assay batch` to the root app."""
    app.command("batch")(batch_cmd)


def batch_cmd(
    ctx: typer.Context,
    manifest: Annotated[
        Path, typer.Argument(help="CSV or YAML: kind, paper, question, report, formats, template, runs.")
    ],
    out: Annotated[
        Path | None, typer.Option("--out", help="Batch folder (default: ./<manifest name>-batch).")
    ] = None,
    workers: Annotated[
        int, typer.Option("--workers", min=0, help="Items at once (0: the CPU count, at most 4).")
    ] = 0,
    executor: Annotated[str, typer.Option("--executor", help="local (a process per item) or ray.")] = "local",
    address: Annotated[
        str | None, typer.Option("--address", help="Ray cluster address (default: start Ray here).")
    ] = None,
    regenerate: Annotated[
        bool, typer.Option("--regenerate", help="Re-render finished items from their JSON; compute nothing.")
    ] = False,
    template: Annotated[
        Path | None, typer.Option("--template", help="With --regenerate: one template file NAME.FORMAT.j2.")
    ] = None,
    timeout: Annotated[
        float | None, typer.Option("--timeout", help="Seconds one item may take (default: no limit).")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the summary as JSON.")] = False,
) -> None:
    """Run a manifest of reports and audits: finished items are never redone, a failing item never stops the
    others, and audits end with a dashboard (HTML and CSV). Exit 1 when any item failed."""
    from reports.batch.dashboard import write_dashboard
    from reports.batch.manifest import read_manifest

    _check_options(executor, template, regenerate)
    items = read_manifest(manifest)
    out = _batch_folder(out or Path(f"{manifest.stem}-batch"))
    if regenerate:
        _rerender(out, template)
        return
    outcomes = _run_items(items, out, state(ctx).settings, workers, executor, address, timeout)
    from reports.files import write_atomic

    write_atomic(out / "summary.json", json.dumps({"items": outcomes}, indent=2) + "\n")
    dash = write_dashboard(out)
    failed = [o for o in outcomes if o["status"] == "failed"]
    if as_json:
        typer.echo(
            json.dumps({"out": str(out), "items": outcomes, "dashboard": [str(p) for p in dash]}, indent=2)
        )
    else:
        _print_summary(outcomes, out, dash)
    if failed:
        raise typer.Exit(1)


def _check_options(executor: str, template: Path | None, regenerate: bool) -> None:
    if executor not in ("local", "ray"):
        raise AssayError(f"--executor {executor!r}: use local or ray")
    if template is not None and not regenerate:
        raise AssayError(
            "--template applies to --regenerate; per-item templates go in the manifest's template field"
        )
    if template is not None and not template.is_file():
        raise AssayError(f"--template {template} does not exist")


def _batch_folder(out: Path) -> Path:
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise AssayError(f"cannot create batch folder {out}: {exc.strerror}") from exc
    return out


def _rerender(out: Path, template: Path | None) -> None:
    """Re-render the finished items from their JSON (``template`` alone when given) and the dashboard."""
    from reports.batch.dashboard import write_dashboard
    from reports.batch.regenerate import regenerate as rerender

    written = rerender(out, template)
    dash = write_dashboard(out)
    typer.echo(f"re-rendered {len(written)} file(s) in {out}" + (f"; dashboard {dash[1]}" if dash else ""))


def _run_items(
    items: list,
    out: Path,
    settings,  # noqa: ANN001
    workers: int,
    executor: str,
    address: str | None,
    timeout: float | None,
) -> list[dict]:
    """Run the items not finished earlier, each in its own process (or Ray task), showing progress; every item's
    outcome in manifest order."""
    from reports.batch import execute

    global_args = ["--home", str(settings.home)] + (["--offline"] if settings.offline else [])
    epoch = execute.batch_epoch(out)
    env = {"SOURCE_DATE_EPOCH": epoch, "PYTHONUNBUFFERED": "1", "TOKENIZERS_PARALLELISM": "false"}
    execute.clean_partials(out)
    n_workers = workers or min(4, os.cpu_count() or 1)
    done_before = sum((out / it.id).is_dir() for it in items)
    runner = (
        (lambda cb: execute.run_local(items, out, global_args, env, n_workers, timeout, cb))
        if executor == "local"
        else (lambda cb: execute.run_ray(items, out, global_args, env, address, timeout, cb))
    )
    if not sys.stderr.isatty():
        typer.echo(f"batch of {len(items)} item(s), {done_before} finished earlier, {n_workers} worker(s) -> {out}",
                   err=True)  # fmt: skip
        results = runner(_progress_lines(len(items)))
    else:
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

        with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                      transient=True) as bar:  # fmt: skip
            task = bar.add_task("batch", total=len(items))
            results = runner(
                lambda o: bar.update(task, advance=1, description=f"{o['status']}: {o['label'][:50]}")
            )
    return execute.order(items, results)


def _progress_lines(total: int) -> Callable[[dict], None]:
    """A callback that prints one line per finished item to stderr: ``[n/total] status label (reason or time)``."""
    counter = {"n": 0}

    def progress(outcome: dict) -> None:
        counter["n"] += 1
        extra = f" ({outcome['reason']})" if outcome["reason"] else f" in {outcome['seconds']:.1f}s"
        typer.echo(f"[{counter['n']}/{total}] {outcome['status']} {outcome['label']}{extra}", err=True)

    return progress


def _print_summary(outcomes: list[dict], out: Path, dash: list[Path]) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"batch {out}", show_lines=False)
    for col in ("item", "status", "time", "outputs or reason"):
        table.add_column(col, overflow="fold")
    for o in outcomes:
        what = o["reason"] if o["status"] == "failed" else ", ".join(o["outputs"])
        style = {"failed": "red", "done": "green"}.get(o["status"], "")
        table.add_row(o["label"], f"[{style}]{o['status']}[/]" if style else o["status"],
                      f"{o['seconds']:.1f}s" if o["seconds"] else "-", what)  # fmt: skip
    console = Console(width=max(100, Console().width))
    console.print(table)
    counts = {s: sum(o["status"] == s for o in outcomes) for s in ("done", "skipped", "failed")}
    console.print(f"{counts['done']} done, {counts['skipped']} finished earlier, {counts['failed']} failed; "
                  f"outputs in {out}/<item>/" + (f"; dashboard {dash[1]}" if dash else ""))  # fmt: skip
