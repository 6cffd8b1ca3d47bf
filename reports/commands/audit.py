"""`assay audit REPORT...`: check a machine-written report claim by claim (see reports/audit/)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from reports.context import state
from reports.files import write_atomic
from synthesis.errors import AssayError

FORMATS = ("txt", "md", "html", "json")


def _formats(value: str) -> list[str]:
    out = [f.strip().lower().lstrip(".") for f in value.split(",") if f.strip()]
    bad = [f for f in out if f not in FORMATS]
    if bad or not out:
        raise AssayError(f"unknown format(s) {', '.join(bad) or '(none)'}; choose from {','.join(FORMATS)}")
    return list(dict.fromkeys(out))


def render_audit(audit: dict, fmt: str) -> str:
    """One output form of a canonical audit (json is the canonical JSON itself)."""
    if fmt == "json":
        return json.dumps(audit, indent=2, ensure_ascii=False) + "\n"
    from reports.render import render

    return render(f"audit.{fmt}.j2", audit)


def register(app: typer.Typer) -> None:
    """Add `assay audit` to the root app."""

    @app.command("audit")
    def audit(
        ctx: typer.Context,
        reports: Annotated[list[Path], typer.Argument(metavar="REPORT...", help="Report files (.txt, .md or .pdf) in the sample layout.")],
        paper: str = typer.Option(None, "--paper", help="The paper examined (id, arXiv id or title)."),
        question: str = typer.Option(None, "--question", help="The research question; overrides the report's."),
        fmt: str = typer.Option("txt", "--format", help="Output forms, comma-separated: txt,md,html,json."),
        out: Annotated[Path | None, typer.Option("--out", help="Folder to write <report>.audit.<format> files into.")] = None,
        as_json: bool = typer.Option(False, "--json", help="Print the canonical audit JSON."),
        strict: bool = typer.Option(False, "--strict", help="Exit 1 when anything is flagged."),
        runs: Annotated[Path | None, typer.Option("--runs", help="Runs folder: each claim's rerun verdict beside the textual one.")] = None,
    ) -> None:
        """Audit machine-written reports: re-verify claims, check marks, confidences, references and counts."""
        from reports.audit.run import audit_report

        formats = _formats(fmt)
        if out is None and not as_json and len(formats) > 1:
            raise AssayError(f"--format {fmt} asks for {len(formats)} forms but only one can go to the terminal; "
                             "add --out DIR to write them all, or give one format")
        st = state(ctx)
        for p in reports:
            if not p.exists():
                raise AssayError(f"report {p} does not exist")
        if out is not None:
            try:
                out.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise AssayError(f"cannot create output folder {out}: {exc.strerror}") from exc
        audits = []
        for p in reports:
            audit_json = audit_report(st.store, st.settings, p, paper_ref=paper, question=question, runs=runs)
            audits.append(audit_json)
            if out is not None:
                for f in formats:
                    write_atomic(out / f"{p.stem}.audit.{f}", render_audit(audit_json, f))
        if as_json:
            payload = audits[0] if len(audits) == 1 else audits
            typer.echo(json.dumps(payload, indent=2, ensure_ascii=False))
        elif out is None:
            shown = next((f for f in formats if f in ("txt", "md")), formats[0])
            for a in audits:
                typer.echo(render_audit(a, shown), nl=False)
                if runs is not None:
                    from reports.audit.reruns import format_reruns

                    typer.echo(format_reruns(a), nl=False)
        else:
            for a in audits:
                s = a["summary"]
                typer.echo(f"{a['input']['file']}: {s['n_findings']} findings "
                           f"({s['by_severity']['error']} error, {s['by_severity']['warning']} warning) -> {out}")
        if strict and any(a["summary"]["flagged"] for a in audits):
            raise typer.Exit(1)
