"""`assay replicate bind CLAIMS_OR_REPORT --runs DIR`: each numeric claim beside what the runs measured.

The claims come from a claims file (JSONL, ``{"id", "text"}`` per line) or from the claims table of a report (text,
Markdown or PDF, the layout `assay audit` reads). The query and verdict logic is `replication.bind`; this module
reads the inputs, supplies the counting of loaded data (the synthetic world's tasks; other datasets are not present
here) and prints one verdict per claim with its query in words.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer

from replication.errors import ReplicationError


def register(group: typer.Typer, app: typer.Typer) -> None:
    group.command("bind")(bind_cmd)


def read_claims(path: Path) -> list[dict[str, Any]]:
    """Claims from a JSONL claims file or from a report's claims table; a user error when there are none."""
    if not path.is_file():
        raise ReplicationError(f"{path}: no such file; give a claims .jsonl file or a report")
    if path.suffix.lower() == ".jsonl":
        claims = []
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if not line.strip():
                continue
            try:
                obj = json.loads(line)
            except json.JSONDecodeError as exc:
                raise ReplicationError(f"{path}:{n}: not JSON ({exc.msg})") from None
            if not isinstance(obj, dict) or not isinstance(obj.get("text"), str):
                raise ReplicationError(f'{path}:{n}: expected an object with a "text" string')
            claims.append({"id": str(obj.get("id") or n), "text": obj["text"]})
    else:
        from reports.audit.parser import parse_report, read_report

        text, _, _ = read_report(path)
        claims = [{"id": str(c.index), "text": c.text} for c in parse_report(text).claims]
    if not claims:
        raise ReplicationError(
            f"{path}: no claims found (a .jsonl claims file or a report with a claims table)"
        )
    return claims


def counter(records: list[dict[str, Any]]):  # noqa: ANN201
    """A `replication.bind.Count` over the data the runs loaded: synthetic tasks are generated and counted; other
    datasets are not present on this machine (None)."""
    from replication.synthetic.demo import count_examples

    versions = {(r.get("config") or {}).get("data_version") for r in records} - {None}

    def count(task: str, split: str) -> int | None:
        for version in sorted(versions):
            n = count_examples(task, split, version)
            if n is not None:
                return n
        return None

    return count


def bind_cmd(
    claims_or_report: Annotated[
        Path, typer.Argument(help="Claims .jsonl file or a report (text, Markdown, PDF).")
    ],
    runs: Annotated[Path, typer.Option("--runs", help="Runs folder (or the demo's --out folder).")],
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
) -> None:
    """Bind each numeric claim to the runs: reproduced, direction only, not reproduced, not testable, unmapped."""
    from replication.aggregate import load_results
    from replication.bind import bind
    from replication.tasks.registry import list_tasks

    claims = read_claims(claims_or_report)
    if not runs.is_dir():
        raise ReplicationError(
            f"--runs {runs}: not a folder; give the runs folder (or the demo's output folder)"
        )
    records = load_results(runs) if any(runs.rglob("result.json")) else []
    bindings = bind(claims, records, registry=list_tasks(), count=counter(records))
    if as_json:
        typer.echo(json.dumps([b.to_dict() for b in bindings], indent=2, default=str))
        return
    typer.echo(f"{len(claims)} claim(s) against {len(records)} run result(s) in {runs}\n")
    for b in bindings:
        typer.echo(f"[{b.id}] {b.verdict.upper()}: {b.text}")
        if b.query is not None:
            typer.echo(f"    query: {b.query_words}")
        typer.echo(
            f"    {'why' if b.verdict in ('unmapped', 'not testable here') else 'measured'}: {b.reason}"
        )
        if b.runs:
            models = sorted({str(r["model"]) for r in b.runs})
            seeds = sorted({r["seed"] for r in b.runs})
            typer.echo(f"    runs: {len(b.runs)} ({', '.join(models)}; seeds {', '.join(map(str, seeds))})")
    counts = {v: sum(b.verdict == v for b in bindings) for v in dict.fromkeys(b.verdict for b in bindings)}
    typer.echo("\n" + ", ".join(f"{n} {v}" for v, n in counts.items()))
