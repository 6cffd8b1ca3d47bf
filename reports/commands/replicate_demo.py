"""`assay replicate demo` and `assay demo`: the whole replication on the synthetic world, on a CPU, in minutes.

Offline and self-contained: it generates the world, trains its tokenizer, pretrains a tiny XLM-R-shaped encoder
(a smaller one and two control encoders), runs the paper's phases with the harness's runner, and prints what a new
user needs: what the names mean, scores by language family, the controls, and whether each effect planted in the
world was recovered. Every table (the same ones a real run prints) goes to ``<out>/tables.txt``. Outputs go to a
visible folder, ``./assay-demo`` by default. Progress: every message on a terminal, one line per stage and per run
when piped. Results are resumable: run it again with the same ``--out`` and finished work is reused.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer

from replication.errors import ReplicationError
from reports.context import state


def register(group: typer.Typer, app: typer.Typer) -> None:
    group.command("demo")(demo_cmd)
    app.command("demo")(demo_cmd)


def demo_cmd(
    ctx: typer.Context,
    seeds: Annotated[int, typer.Option("--seeds", min=1, max=20, help="Fine-tuning seeds (1..N).")] = 3,
    out: Annotated[
        str, typer.Option("--out", help="Output folder (created; reused to resume).")
    ] = "assay-demo",
    quick: Annotated[
        bool, typer.Option("--quick", help="Tiny sizes: a smoke run in well under a minute.")
    ] = False,
    threads: Annotated[
        int, typer.Option("--threads", min=1, help="torch CPU threads (1: fastest for these tiny models).")
    ] = 1,
    as_json: Annotated[bool, typer.Option("--json", help="Print the demo summary as JSON.")] = False,
    device: Annotated[
        str, typer.Option("--device", help="Where to train: cpu, cuda or cuda:N (use its own --out).")
    ] = "cpu",
) -> None:
    """Run the synthetic demo: pretraining, intermediate and target phases, zero-shot evaluation, controls, and a
    report (report.md) answering its question from the runs, with claims checked against them."""
    from dataclasses import asdict

    from replication.synthetic.demo import DemoConfig, run_demo

    out_dir = _out_folder(out)
    seed_list = tuple(range(1, seeds + 1))
    cfg = DemoConfig.quick(seed_list) if quick else DemoConfig(seeds=seed_list)
    tty = sys.stderr.isatty()

    def log(msg: str) -> None:
        if not as_json and progress_line(msg, tty):
            typer.echo(msg, err=True)

    if not as_json:
        typer.echo(
            f"assay demo: outputs in {out_dir}" + ("" if quick else " (a few minutes on 2 cores)"), err=True
        )

    _check_device(device)
    result = run_demo(out_dir, cfg, log=log, threads=threads, device=device)
    _index(ctx, result.results)
    write_demo_report(out_dir, result.planted, result.claims, quick=quick)
    if as_json:
        payload = asdict(result)
        payload.pop("tables", None)
        typer.echo(json.dumps(payload, indent=2, sort_keys=True, default=str))
        return
    typer.echo(result.summary)
    _print_where(result, out_dir, seeds=seeds, quick=quick, device=device)


def _out_folder(out: str) -> Path:
    """The --out folder as an absolute path; an existing file there is an error."""
    out_dir = Path(out).expanduser().absolute()
    if out_dir.exists() and not out_dir.is_dir():
        raise ReplicationError(f"--out {out_dir} exists and is not a folder: give a folder path")
    return out_dir


def _print_where(result, out_dir: Path, *, seeds: int, quick: bool, device: str) -> None:  # noqa: ANN001
    """After the summary: where the outputs are, the time each stage took, and the commands to go on with."""
    timing = ", ".join(f"{k.removesuffix('_s')} {v:.0f}s" for k, v in result.timings.items())
    typer.echo(f"\nWhere things are (in {out_dir}):")
    typer.echo(f"  runs/         {len(result.results)} run result(s), one result.json each")
    typer.echo("  tables.txt    every table, per language and per task, as a real run prints them")
    typer.echo(
        "  report.md     the questions the world answers, answered from the runs; claims checked against them"
    )
    typer.echo("  demo.json     the summary as data (scores, checks, planted effects, timings)")
    typer.echo(f"time: {timing}")
    typer.echo(f"tables again: assay replicate results --runs-dir {out_dir}")
    typer.echo(f"claims against these runs: assay replicate bind CLAIMS.jsonl --runs {out_dir}")
    flags = (" --quick" if quick else "") + (f" --device {device}" if device != "cpu" else "")
    typer.echo(f"reproduce: assay demo --seeds {seeds}{flags} --out {out_dir}")


QUESTION = (
    "Does English intermediate-task training help zero-shot cross-lingual transfer in this world, for which "
    "targets, and does it depend on the language family and on the encoder's size?"
)


def demo_report(planted: list[dict], claims: list[dict], *, quick: bool = False) -> str:
    """The demo's research report (Markdown): the question its world was built to answer, each answer measured from
    the runs (difference, standard error, seeds) beside what was planted, and a set of claims (true, false,
    untestable) checked against the same runs. Every number comes from ``runs/*/result.json``."""
    lines = ["# A report from the synthetic world, answered by re-runs", "",
             "All numbers below come from the runs in `runs/` (one `result.json` each) on the synthetic world that "
             "`assay demo` builds, not from any paper: they answer questions about that world only.", "",
             f"**Question.** {QUESTION}", "", "## Answers, measured", ""]  # fmt: skip
    for r in planted:
        if r["recovered"] is None:
            lines.append(f"- {r['statement']}: not measured (no run covers it).")
            continue
        se = f" ± {r['standard_error']:.1f} s.e." if r["standard_error"] is not None else ""
        held = "as planted" if r["recovered"] else "NOT as planted"
        rule = (f"{r['seeds_agreeing']}/{r['n']} seeds above 0" if r["expect"] == "positive"
                else "planted: no gain beyond 2 standard errors")  # fmt: skip
        lines.append(f"- {r['statement']}: {held}. Measured {r['treatment']} minus {r['control']}: "
                     f"{r['mean']:+.1f}{se} points over {r['n']} seed(s) ({rule}).")  # fmt: skip
    ok = sum(c["verdict"] == c["expected"] for c in claims)
    lines += ["", "## Claims checked against the runs", "",
              f"A report with true, planted-wrong and untestable numeric claims, bound to the runs "
              f"(`assay replicate bind`): {ok}/{len(claims)} verdicts are the ones the world's truth implies.", "",
              "| claim | verdict | expected | why |", "|---|---|---|---|"]  # fmt: skip
    for c in claims:
        why = (c.get("reason") or "").replace("|", "\\|")
        lines.append(f"| {c['text']} | {c['verdict']} | {c['expected']} | {why} |")
    if quick:
        lines += [
            "",
            "_--quick is a smoke test: its models are too small to show transfer; run `assay demo`._",
        ]
    return "\n".join(lines) + "\n"


def write_demo_report(out_dir: Path, planted: list[dict], claims: list[dict], *, quick: bool = False) -> Path:
    from replication.files import atomic_write_text

    path = out_dir / "report.md"
    atomic_write_text(path, demo_report(planted, claims, quick=quick))
    return path


def progress_line(msg: str, tty: bool) -> bool:
    """Whether a log message is shown: all but training steps on a terminal; when piped, one line per stage and
    per finished run (no per-language or per-step chatter)."""
    if msg.startswith("step "):
        return False
    if tty:
        return True
    return msg.startswith(("stage ", "pretrain", "tokenizer", "[")) and not msg.endswith(
        (": starting", ": resuming")
    )


def _check_device(device: str) -> None:
    """A user error, not a traceback, for a device that is misspelt or not present."""
    import re

    if not re.fullmatch(r"cpu|cuda(:\d+)?", device):
        raise ReplicationError(f"--device {device!r}: use cpu, cuda or cuda:N")
    if device.startswith("cuda"):
        import torch

        index = int(device.partition(":")[2] or 0)
        if not torch.cuda.is_available() or index >= torch.cuda.device_count():
            raise ReplicationError(f"--device {device}: no such CUDA device here; use --device cpu")


def _index(ctx: typer.Context, result_paths: list[str]) -> int:
    """Index the demo's runs into the store's runs/results tables, as `assay replicate run` does."""
    from reports.commands.replicate_plans import index_results

    records = []
    for p in result_paths:
        record = json.loads(Path(p).read_text(encoding="utf-8"))
        record.setdefault("path", p)
        records.append(record)
    return index_results(state(ctx).store, records)
