"""`assay claims`, `assay verify`, `assay calibrate` and `assay eval verify`: claims out of papers, verdicts with
evidence and calibrated confidence, and how good those verdicts are."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer

from reports.context import state
from reports.files import write_atomic


def _write_jsonl_atomic(path: Path, rows: list[dict]) -> None:
    """One JSON object per line, written atomically (never half-written)."""
    path = Path(path)
    write_atomic(path, "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows))


def _read_claims(path: Path, store=None, papers: list[str] | None = None) -> list[dict]:  # noqa: ANN001
    """The claims of a claims.jsonl file, validated (synthesis.claim_input): a bad encoding, line or field is one
    error naming the file and line. With a store and no --papers, a claim's unknown ``paper`` is an error too."""
    from synthesis.claim_input import check_papers, read_claims, strip_line_numbers

    rows = read_claims(path)
    if store is not None and not papers:
        from synthesis.papers import resolve_paper

        check_papers(path, rows, lambda ref: resolve_paper(store, ref))
    return strip_line_numbers(rows)


def _summary(verdicts: list[dict]) -> str:
    counts = {
        lab: sum(1 for v in verdicts if v["label"] == lab)
        for lab in ("supported", "refuted", "not_enough_info")
    }
    mean = sum(v["confidence"] for v in verdicts) / len(verdicts) if verdicts else 0.0
    return (
        f"{len(verdicts)} claims: {counts['supported']} supported, {counts['refuted']} refuted, "
        f"{counts['not_enough_info']} not enough info; mean confidence {mean:.2f}"
    )


def register(app: typer.Typer) -> None:
    """Add claims, verify, calibrate and the `eval` group to the root app."""
    app.command("claims")(claims_cmd)
    app.command("verify")(verify_cmd)
    app.command("calibrate")(calibrate_cmd)
    from reports.commands.verifier import train_verifier_cmd

    app.command("train-verifier")(train_verifier_cmd)
    eval_app = typer.Typer(help="Measure the verifier against labelled claims.", no_args_is_help=True)
    eval_app.command("verify")(eval_verify_cmd)
    app.add_typer(eval_app, name="eval")


def claims_cmd(
    ctx: typer.Context,
    paper: str = typer.Argument(..., help="Paper id, arXiv id, sha256 prefix or title."),
    as_json: bool = typer.Option(False, "--json", help="Print claims.jsonl lines."),
    out: Annotated[Path | None, typer.Option("--out", help="Write claims.jsonl here.")] = None,
    kind: str = typer.Option(
        "",
        "--kind",
        help="Kinds to list, comma-separated: finding, setup, table_fact, hedge, "
        "future_work, background, or 'all' (default: finding,setup,table_fact).",
    ),
) -> None:
    """The claims a paper makes: whole, self-contained, atomic, typed, with page, span and parsed numbers."""
    from synthesis.claim_kinds import parse_kinds
    from synthesis.claims import extract_claims
    from synthesis.errors import AssayError
    from synthesis.ingest import ensure_tables
    from synthesis.papers import get_pages, resolve_paper
    from synthesis.store_claims import save_claims

    try:
        kinds = parse_kinds(kind)
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint="--kind") from exc
    st = state(ctx)
    p = resolve_paper(st.store, paper)
    if not any(t.strip() for t in get_pages(st.store, p.id)):
        raise AssayError(
            f"paper {p.id} has no text (a scanned or empty PDF?); there are no claims to extract"
        )
    ensure_tables(st.store, st.settings, p.id)  # papers ingested before tables existed: their table facts
    every = [c.to_json() for c in extract_claims(st.store, p.id)]
    claims = [c for c in every if c["kind"] in kinds]
    left_out = sorted({c["kind"] for c in every if c["kind"] not in kinds})
    save_claims(st.store, claims)
    if out:
        _write_jsonl_atomic(out, claims)
    if as_json:
        for c in claims:
            typer.echo(json.dumps(c, ensure_ascii=False))
    elif not out or sys.stdout.isatty():
        for c in claims:
            nums = ", ".join(
                f"{q['text']}{' ' + q['unit'] if q['unit'] else ''}"
                for q in c["numbers"]
                if q["kind"] in ("measure", "count")
            )
            typer.echo(f"p{c['page']:<3} {c['kind']:<12} {c['text']}" + (f"  [{nums}]" if nums else ""))
    if out:
        typer.echo(f"{len(claims)} claims written to {out}", err=True)
    if left_out and not kind:
        counts = ", ".join(f"{sum(c['kind'] == k for c in every)} {k}" for k in left_out)
        typer.echo(f"not listed: {counts} (--kind all lists them)", err=True)


def verify_cmd(
    ctx: typer.Context,
    claims: Annotated[Path, typer.Option("--claims", help="claims.jsonl: one {id, text[, paper]} per line.")],
    papers: Annotated[
        list[str] | None,
        typer.Option(
            "--papers",
            help="Papers to check against; repeat for "
            "several (default: each claim's own paper, else all stored "
            "papers).",
        ),
    ] = None,
    out: Annotated[Path | None, typer.Option("--out", help="Write verdicts.jsonl here (atomically).")] = None,
    no_embeddings: bool = typer.Option(False, "--no-embeddings", help="Lexical retrieval only."),
    as_json: bool = typer.Option(False, "--json", help="Print verdicts.jsonl lines on stdout."),
) -> None:
    """Verify claims against the stored papers: label, calibrated confidence, verbatim evidence, reasons."""
    from reports.commands.papers import short_id
    from synthesis.store_claims import save_verdicts
    from synthesis.verify import verify_claims

    st = state(ctx)
    rows = _read_claims(claims, st.store, list(papers or []))
    verdicts = verify_claims(
        st.store,
        st.settings,
        rows,
        list(papers or []),
        use_embeddings=False if no_embeddings else None,
        progress=True,
    )
    if out:
        _write_jsonl_atomic(out, verdicts)
    settings_hash = st.settings.hash("embedding_model", "nli_model")
    save_verdicts(st.store, verdicts, settings_hash)  # the verdicts, with the settings that produced them
    if as_json:
        for v in verdicts:
            typer.echo(json.dumps(v, ensure_ascii=False))
    else:
        for v in verdicts:
            ev = v["evidence"][0] if v["evidence"] else None
            where = f"{short_id(ev['paper'])} p{ev['page']}" if ev else "-"
            text = v["text"] if len(v["text"]) <= 80 else v["text"][:79].rstrip() + "…"
            typer.echo(f"{v['label']:<16} {v['confidence']:.2f}  {where:<24} {v['id']}: {text}")
    notes = sorted({n for v in verdicts for n in v.get("notes", [])})
    for n in notes:
        typer.echo(f"note: {n}", err=True)
    typer.echo(_summary(verdicts) + (f"; written to {out}" if out else ""), err=True)


def calibrate_cmd(
    ctx: typer.Context,
    from_gold: Annotated[
        Path | None, typer.Option("--from", help="A labelled JSONL set to add to the generated data.")
    ] = None,
    papers: Annotated[
        list[str] | None,
        typer.Option("--papers", help="Papers to generate data from; repeat for several (default: all)."),
    ] = None,
    per_paper: int = typer.Option(60, "--per-paper", help="Source sentences sampled per paper."),
    no_embeddings: bool = typer.Option(False, "--no-embeddings", help="Fit the lexical mode only."),
    as_json: bool = typer.Option(False, "--json", help="Print the fitted calibration as JSON."),
) -> None:
    """Fit the confidence calibration on generated true/false variants of the stored papers' sentences.

    The fit is saved in the store; `assay verify`, `eval` and `audit` use it from then on.
    """
    from synthesis.calibrate import calibrate
    from synthesis.calibration import save_calibration
    from synthesis.errors import AssayError
    from synthesis.evaluation import read_jsonl
    from synthesis.papers import list_papers, resolve_paper

    st = state(ctx)
    ids = [resolve_paper(st.store, p).id for p in papers] if papers else [p.id for p in list_papers(st.store)]
    gold = read_jsonl(from_gold, what="labelled claim") if from_gold else None
    if not ids and not gold:
        raise AssayError(
            "no papers in the store to generate calibration data from and no --from set; "
            "`assay ingest` some papers or give a labelled JSONL file"
        )
    for n, g in enumerate(gold or [], 1):
        g.setdefault("text", g.get("claim"))  # COVID-Fact lines say "claim"
        g.setdefault("id", f"gold-{n}")
        if "label" not in g or not isinstance(g["text"], str):
            raise AssayError(f"{from_gold}: line {n} needs 'text' (or 'claim') and 'label'")
    params = calibrate(
        st.store, st.settings, ids, gold=gold, per_paper=per_paper, embeddings=not no_embeddings
    )
    save_calibration(st.store, params)
    if as_json:
        typer.echo(json.dumps(params["data"], indent=1))
    else:
        d = params["data"]
        typer.echo(
            f"calibrated on {d['generated_examples']} generated + {d['gold_examples']} labelled claims "
            f"from {len(ids)} paper(s), modes: {', '.join(d['modes'])}; saved in {st.settings.db_path}"
        )
        for k, v in d["accuracy_by_kind"].items():
            typer.echo(f"  rule accuracy {k:<28} {v:.2f}")


def eval_verify_cmd(
    ctx: typer.Context,
    gold_path: Annotated[
        Path, typer.Argument(metavar="GOLD.jsonl", help="Lines {id, text, label[, paper][, evidence]}.")
    ],
    papers: Annotated[
        list[str] | None,
        typer.Option("--papers", help="Papers to verify against; repeat for several (default: each line's)."),
    ] = None,
    plot: Annotated[
        Path | None, typer.Option("--plot", help="Write a reliability diagram (PNG) here.")
    ] = None,
    as_json: bool = typer.Option(False, "--json", help="Print the metrics as JSON."),
    no_embeddings: bool = typer.Option(False, "--no-embeddings", help="Lexical retrieval only."),
    covidfact: bool = typer.Option(
        False, "--covidfact", help="Read the file as COVID-Fact (claim, label, evidence)."
    ),
    limit: int = typer.Option(None, "--limit", help="Evaluate an evenly spread sample of this many lines."),
    out: Annotated[Path | None, typer.Option("--out", help="Write the verdicts here.")] = None,
) -> None:
    """Accuracy, macro-F1, Brier score, ECE (10 equal-width bins) and a reliability table."""
    from synthesis.verify import evaluate

    st = state(ctx)
    gold = _load_gold(gold_path, covidfact=covidfact, limit=limit)
    metrics, verdicts = evaluate(
        st.store,
        st.settings,
        gold,
        papers=list(papers or []),
        use_embeddings=False if no_embeddings else None,
        progress=True,
    )
    if out:
        _write_jsonl_atomic(out, verdicts)
    if plot:
        _write_plot(metrics, plot)
    if as_json:
        typer.echo(json.dumps(metrics, indent=1))
        return
    _print_metrics(metrics)
    if plot:
        typer.echo(f"reliability plot written to {plot}", err=True)


def _load_gold(gold_path: Path, *, covidfact: bool, limit: int | None) -> list[dict]:
    """The labelled claims: a COVID-Fact file or JSON lines, with ``limit`` an evenly spread sample."""
    from synthesis.evaluation import load_covidfact, read_jsonl

    if covidfact:
        return load_covidfact(gold_path, limit=limit)
    gold = read_jsonl(gold_path, what="labelled claim")
    if limit and limit < len(gold):  # evenly spread, as --help says (a file is often sorted by label)
        gold = [gold[i * len(gold) // limit] for i in range(limit)]
    return gold


def _write_plot(metrics: dict, plot: Path) -> None:
    """The reliability diagram as a PNG; a file that cannot be written is an AssayError."""
    from synthesis.evaluation import plot_reliability

    try:
        plot_reliability(metrics, plot)
    except OSError as exc:
        from synthesis.errors import AssayError

        raise AssayError(f"cannot write the plot {plot}: {exc.strerror or exc}") from exc


def _print_metrics(metrics: dict) -> None:
    """The metrics in text: headline scores, F1 per label, and the reliability table."""
    typer.echo(
        f"claims {metrics['n']}  accuracy {metrics['accuracy']:.3f}  macro-F1 {metrics['macro_f1']:.3f}  "
        f"Brier {metrics['brier']:.3f}  ECE {metrics['ece']:.3f}"
    )
    typer.echo("F1 per label: " + ", ".join(f"{k} {v:.3f}" for k, v in metrics["f1"].items()))
    if metrics["two_way"]:
        typer.echo(
            f"two-way gold: {metrics['nei_predictions']} not_enough_info predictions counted as refuted"
        )
    typer.echo("ECE: 10 equal-width confidence bins, sum over bins of (n_bin/n)*|accuracy - mean confidence|")
    typer.echo(f"{'bin':<9}{'count':>7}{'mean conf':>11}{'accuracy':>10}")
    for r in metrics["reliability"]:
        if r["count"]:
            typer.echo(f"{r['bin']:<9}{r['count']:>7}{r['mean_confidence']:>11.3f}{r['accuracy']:>10.3f}")
