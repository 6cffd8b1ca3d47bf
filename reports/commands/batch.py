"""`assay batch MANIFEST`: many reports or audits in parallel, resumably, with a summary and an audit dashboard."""

from __future__ import annotations

import json
import os
import sys
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
    from reports.batch import execute
    from reports.batch.dashboard import write_dashboard
    from reports.batch.manifest import read_manifest

    if executor not in ("local", "ray"):
        raise AssayError(f"--executor {executor!r}: use local or ray")
    if template is not None and not regenerate:
        raise AssayError(
            "--template applies to --regenerate; per-item templates go in the manifest's template field"
        )
    if template is not None and not template.is_file():
        raise AssayError(f"--template {template} does not exist")
    items = read_manifest(manifest)
    out = out or Path(f"{manifest.stem}-batch")
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise AssayError(f"cannot create batch folder {out}: {exc.strerror}") from exc
    if regenerate:
        from reports.batch.regenerate import regenerate as rerender

        written = rerender(out, template)
        dash = write_dashboard(out)
        typer.echo(
            f"re-rendered {len(written)} file(s) in {out}" + (f"; dashboard {dash[1]}" if dash else "")
        )
        return
    st = state(ctx)
    global_args = ["--home", str(st.settings.home)] + (["--offline"] if st.settings.offline else [])
    epoch = execute.batch_epoch(out)
    env = {"SOURCE_DATE_EPOCH": epoch, "PYTHONUNBUFFERED": "1", "TOKENIZERS_PARALLELISM": "false"}
    execute.clean_partials(out)
    n_workers = workers or min(4, os.cpu_count() or 1)
    done_before = sum((out / it.id).is_dir() for it in items)
    tty = sys.stderr.isatty()
    counter = {"n": 0}

    def progress(outcome: dict, bar=None, task=None) -> None:  # noqa: ANN001
        counter["n"] += 1
        if bar is not None:
            bar.update(task, advance=1, description=f"{outcome['status']}: {outcome['label'][:50]}")
        else:
            extra = f" ({outcome['reason']})" if outcome["reason"] else f" in {outcome['seconds']:.1f}s"
            typer.echo(
                f"[{counter['n']}/{len(items)}] {outcome['status']} {outcome['label']}{extra}", err=True
            )

    runner = (
        (lambda cb: execute.run_local(items, out, global_args, env, n_workers, timeout, cb))
        if executor == "local"
        else (lambda cb: execute.run_ray(items, out, global_args, env, address, timeout, cb))
    )
    if not tty:
        typer.echo(f"batch of {len(items)} item(s), {done_before} finished earlier, {n_workers} worker(s) -> {out}",
                   err=True)  # fmt: skip
        results = runner(progress)
    else:
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

        with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                      transient=True) as bar:  # fmt: skip
            task = bar.add_task("batch", total=len(items))
            results = runner(lambda o: progress(o, bar, task))
    outcomes = execute.order(items, results)
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
