"""`assay audit REPORT...`: check a machine-written report claim by claim (see reports/audit/)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated

import typer

from reports.context import state
from reports.files import recover, unique_stems, write_set
from reports.sanitize import clean_text, for_message, json_text, parse_format_list
from synthesis.errors import AssayError

FORMATS = ("txt", "md", "html", "json")


JOURNAL_TAG = "assay-audit"
_OUTPUT = re.compile(r"^.+\.audit\.(?:" + "|".join(FORMATS) + r")$")


def _formats(value: str) -> list[str]:
    return parse_format_list(value, FORMATS)


def output_name(stem: str, fmt: str) -> str:
    return f"{stem}.audit.{fmt}"


def is_output_name(name: str) -> bool:
    """Whether ``name`` is one of the files `assay audit --out` writes (``<stem>.audit.<format>``)."""
    return bool(_OUTPUT.match(name))


def render_audit(audit: dict, fmt: str) -> str:
    """One output form of a canonical audit (json is the canonical JSON itself, C1/bidi characters escaped).

    Text forms are cleaned of escape sequences and control characters (reports/sanitize.py), so they are safe to
    print on a terminal; Markdown also carries no script links or remote images."""
    if fmt == "json":
        return json_text(audit) + "\n"
    from reports.render import render

    return render(f"audit.{fmt}.j2", audit)


def register(app: typer.Typer) -> None:
    """Add `assay audit` to the root app."""
    app.command("audit")(audit_cmd)


def audit_cmd(
    ctx: typer.Context,
    reports: Annotated[
        list[Path],
        typer.Argument(metavar="REPORT...", help="Report files (.txt, .md or .pdf) in the sample layout."),
    ],
    paper: str = typer.Option(None, "--paper", help="The paper examined (id, arXiv id or title)."),
    question: str = typer.Option(None, "--question", help="The research question; overrides the report's."),
    fmt: str = typer.Option("txt", "--format", help="Output forms, comma-separated: txt,md,html,json."),
    out: Annotated[
        Path | None,
        typer.Option(
            "--out",
            help="Folder to write <report>.audit.<format> files into, all at once when every audit is done "
            "(a report's other formats from an earlier run there are removed; two reports "
            "with one name get their extension or folder added).",
        ),
    ] = None,
    as_json: bool = typer.Option(False, "--json", help="Print the canonical audit JSON."),
    strict: bool = typer.Option(False, "--strict", help="Exit 1 when anything is flagged."),
    runs: Annotated[
        Path | None,
        typer.Option("--runs", help="Runs folder: each claim's rerun verdict beside the textual one."),
    ] = None,
) -> None:
    """Audit machine-written reports: re-verify claims, check marks, confidences, references and counts."""
    from reports.audit.run import audit_report

    formats = _formats(fmt)
    if out is None and not as_json and len(formats) > 1:
        raise AssayError(
            f"--format {for_message(fmt)} asks for {len(formats)} forms but only one can go to the "
            "terminal; add --out DIR to write them all, or give one format"
        )
    st = state(ctx)
    for p in reports:
        if not p.exists():
            raise AssayError(f"report {for_message(p)} does not exist")
    stems = unique_stems(reports)  # before any work: two reports never share an output name
    if out is not None:
        _prepare_out(out)
    audits = []
    for p in reports:
        audits.append(audit_report(st.store, st.settings, p, paper_ref=paper, question=question, runs=runs))
    if out is not None:
        _write_audits(out, stems, audits, formats, reports)
    if as_json:
        payload = audits[0] if len(audits) == 1 else audits
        typer.echo(json_text(payload))
    elif out is None:
        _show_audits(audits, formats, runs)
    else:
        _list_written(out, stems, audits)
    if strict and any(a["summary"]["flagged"] for a in audits):
        raise typer.Exit(1)


def _prepare_out(out: Path) -> None:
    """Create the output folder and tidy what a killed run left there: finish its set or drop its temps."""
    if out.exists() and not out.is_dir():
        raise AssayError(f"--out {for_message(out)} is a file; give a folder")
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise AssayError(f"cannot create output folder {for_message(out)}: {exc.strerror}") from exc
    recover(out, JOURNAL_TAG, is_output_name)


def _write_audits(
    out: Path, stems: list[str], audits: list[dict], formats: list[str], reports: list[Path]
) -> None:
    """Every file of every report, rendered in memory, then written as one set (other formats of these reports
    from an earlier run removed)."""
    files = {
        output_name(stem, f): render_audit(a, f)
        for stem, a in zip(stems, audits, strict=True)
        for f in formats
    }
    stale = [output_name(stem, f) for stem in stems for f in FORMATS if f not in formats]
    write_set(out, files, tag=JOURNAL_TAG, remove=stale, inputs=reports)


def _show_audits(audits: list[dict], formats: list[str], runs: Path | None) -> None:
    """Print each audit on the terminal in the first text form asked for (txt or md), with its reruns if any."""
    shown = next((f for f in formats if f in ("txt", "md")), formats[0])
    for a in audits:
        typer.echo(render_audit(a, shown), nl=False)
        if runs is not None:
            from reports.audit.reruns import format_reruns

            typer.echo(clean_text(format_reruns(a)), nl=False)


def _list_written(out: Path, stems: list[str], audits: list[dict]) -> None:
    """One line per report: its findings by severity and where its audit files went."""
    for stem, a in zip(stems, audits, strict=True):
        s = a["summary"]
        typer.echo(
            clean_text(
                f"{a['input']['file']}: {s['n_findings']} findings "
                f"({s['by_severity']['error']} error, {s['by_severity']['warning']} warning) "
                f"-> {out / output_name(stem, '*')}"
            )
        )
