"""Reruns in an audit: each claim of the report bound to the run results of a runs folder (`replication.bind`).

`audit_report(..., runs=DIR)` adds a ``rerun`` block to every claim (verdict, query in words, claimed and measured
value with spread and n, the runs behind it) beside the textual verdict, and `format_reruns` prints them.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from synthesis.errors import AssayError


def rerun_claims(claims: list[dict[str, Any]], runs: Path) -> list[dict[str, Any]]:
    """One binding (as a dict) per claim ``{"id", "text"}``, in order; AssayError for a missing runs folder."""
    from replication.aggregate import load_results
    from replication.bind import bind
    from replication.tasks.registry import list_tasks
    from reports.commands.replicate_bind import counter

    if not runs.is_dir():
        raise AssayError(f"--runs {runs}: not a folder; give a runs folder (or the demo's output folder)")
    records = load_results(runs) if any(runs.rglob("result.json")) else []
    return [b.to_dict() for b in bind(claims, records, registry=list_tasks(), count=counter(records))]


def format_reruns(audit: dict[str, Any]) -> str:
    """The rerun verdicts beside the textual ones, one block per claim (plain text)."""
    lines = ["", "Reruns: each claim against the runs (textual verdict | rerun verdict)"]
    for c in audit.get("claims", []):
        r = c.get("rerun")
        if not r:
            continue
        text = c.get("text") or ""
        lines.append(
            f"  claim {c.get('index')}: {c.get('label') or 'not verified'} | {r['verdict']}: {text[:100]}"
        )
        if r.get("query_words"):
            lines.append(f"      query: {r['query_words']}")
        lines.append(f"      {r['reason']}")
        if r.get("runs"):
            models = sorted({str(x["model"]) for x in r["runs"]})
            seeds = sorted({x["seed"] for x in r["runs"]})
            lines.append(
                f"      runs: {len(r['runs'])} ({', '.join(models)}; seeds {', '.join(map(str, seeds))})"
            )
    return "\n".join(lines) + "\n"
