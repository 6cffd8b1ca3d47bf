"""`assay report PAPER --question ...` (a research report from verified, cited evidence) and `assay render
REPORT.json` (re-render a saved report without recomputing anything). See reports/report/."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from reports.context import state
from synthesis.errors import AssayError

JOURNAL_TAG = "assay-report"


def _write(out: Path, stem: str, rendered: dict[str, bytes], inputs: tuple[Path, ...] = ()) -> list[Path]:
    """Write every rendered format into ``out`` (created) as one set: all to temps, then all renamed (reports/files.py);
    leftovers of a killed run are tidied first. No output may overwrite an input (``assay render x.json --out .``)."""
    from reports.files import recover, write_set

    names = {f"{stem}.{fmt}" for fmt in rendered}
    recover(out, JOURNAL_TAG, lambda name: name in names)
    return write_set(
        out, {f"{stem}.{fmt}": data for fmt, data in rendered.items()}, tag=JOURNAL_TAG, inputs=inputs
    )


def _emit(
    rendered: dict[str, bytes],
    out: Path | None,
    stem: str,
    as_json: bool,
    report: dict,
    inputs: tuple[Path, ...] = (),
) -> None:
    from reports.sanitize import clean_text, json_text

    if out is not None:
        for p in _write(out, stem, rendered, inputs):
            typer.echo(clean_text(str(p)), err=as_json)
    if as_json:
        typer.echo(json_text(report))
    elif out is None:
        fmt = next(iter(rendered))
        if fmt == "pdf":
            raise AssayError("--format pdf writes a file; add --out DIR")
        sys.stdout.write(rendered[fmt].decode("utf-8"))


def _check_out(out: Path | None, formats: list[str], as_json: bool) -> None:
    if out is None and not as_json and len(formats) > 1:
        raise AssayError(
            f"{len(formats)} formats asked for but only one can go to the terminal; add --out DIR"
        )
    if out is None and not as_json and formats == ["pdf"]:
        raise AssayError("--format pdf writes a file; add --out DIR")


def register(app: typer.Typer) -> None:
    """Add `assay report` and `assay render` to the root app."""
    app.command("report")(report_cmd)
    app.command("render")(render_cmd)


def report_cmd(
    ctx: typer.Context,
    paper: Annotated[
        str,
        typer.Argument(
            metavar="PAPER", help="arXiv id (fetched or stored), stored id or title, or a local PDF."
        ),
    ],
    question: str = typer.Option(..., "--question", "-q", help="The research question the report answers."),
    related: int = typer.Option(3, "--related", help="How many related papers to take (0-20)."),
    runs: Annotated[
        Path | None,
        typer.Option(
            "--runs",
            help="Runs folder (result.json files, e.g. `assay demo` output): the paper's numeric claims are bound to "
            "the runs and shown with their rerun verdict beside the textual one.",
        ),
    ] = None,
    fmt: str = typer.Option("txt", "--format", help="Output forms, comma-separated: txt,md,html,pdf,json."),
    out: Annotated[
        Path | None, typer.Option("--out", help="Folder to write report.<format> files into.")
    ] = None,
    template: Annotated[
        Path | None,
        typer.Option("--template", help="A Jinja2 template to use instead of templates/report.<format>.j2."),
    ] = None,
    date: str = typer.Option(
        None, "--date", help="Report date YYYY-MM-DD (default: SOURCE_DATE_EPOCH, else today)."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print the canonical report JSON."),
    timings: bool = typer.Option(False, "--timings", help="Print each stage's status and seconds on stderr."),
) -> None:
    """Write a research report on PAPER that answers --question from verified, cited evidence."""
    from reports.report.pipeline import build, check_question
    from reports.report.render import parse_formats, render_all

    formats = parse_formats(fmt)
    check_question(question)
    _check_out(out, formats, as_json)
    _check_template(template)
    st = state(ctx)
    rep, stages = build(st.store, st.settings, paper, question, related_n=related, runs=runs, date=date)
    rendered = render_all(rep, formats, template)  # all in memory before anything is written
    if timings:
        _print_timings(stages)
    _emit(rendered, out, "report", as_json, rep)


def _check_template(template: Path | None) -> None:
    if template is not None and not template.is_file():
        raise AssayError(
            f"template {template} does not exist; give a Jinja2 file (see templates/report.*.j2)"
        )


def _print_timings(stages) -> None:  # noqa: ANN001
    """Each stage's status and seconds on stderr."""
    for s in stages.log:
        typer.echo(f"stage {s.name:9} {s.status:8} {s.seconds:7.3f} s {s.note}", err=True)


def render_cmd(
    report_json: Annotated[
        Path, typer.Argument(metavar="REPORT.json", help="A report.json written by `assay report`.")
    ],
    fmt: str = typer.Option("txt", "--format", help="Output forms, comma-separated: txt,md,html,pdf,json."),
    out: Annotated[
        Path | None, typer.Option("--out", help="Folder to write <name>.<format> files into.")
    ] = None,
    template: Annotated[
        Path | None,
        typer.Option("--template", help="A Jinja2 template to use instead of the shipped one."),
    ] = None,
) -> None:
    """Re-render a saved report in other formats or templates, recomputing nothing."""
    from reports.report.render import load_report, parse_formats, render_all

    formats = parse_formats(fmt)
    _check_out(out, formats, False)
    rep = load_report(report_json)
    rendered = render_all(rep, formats, template)
    _emit(rendered, out, report_json.stem, False, rep, inputs=(report_json,))
