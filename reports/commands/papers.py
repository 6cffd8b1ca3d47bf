"""`assay ingest`, `assay papers`, `assay show`: put local PDFs into the store and look at what it holds."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from reports.context import state
from synthesis.errors import AssayError

if TYPE_CHECKING:
    from synthesis.papers import Paper
    from synthesis.store import Store


def register(app: typer.Typer) -> None:
    """Add this area's commands to the root app."""
    app.command("ingest")(ingest)
    app.command("papers")(papers)
    app.command("show")(show)


def ingest(
    ctx: typer.Context,
    files: Annotated[
        list[Path], typer.Argument(help="PDF files to ingest.", show_default=False, metavar="FILE.pdf...")
    ],
    arxiv_id: str = typer.Option(
        None, "--arxiv-id", help="arXiv id (with version, e.g. 2005.13013v1); one file only."
    ),
    title: str = typer.Option(
        None, "--title", help="Title to store instead of the one read from page 1; one file only."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object per paper."),
) -> None:
    """Read local PDFs into the store: pages, sections, sentences with page offsets, references."""
    from synthesis.ingest import ingest_pdf

    if len(files) > 1 and (arxiv_id or title):
        raise AssayError("--arxiv-id and --title apply to one file; ingest the files one at a time")
    st = state(ctx)
    settings, store = st.settings, st.store
    results = []
    progress = _progress(len(files))
    try:
        for path in files:
            if progress:
                progress.update(progress.task_ids[0], description=f"reading {path.name}")
            res = ingest_pdf(store, settings, path, arxiv_id=arxiv_id, title=title)
            results.append(res)
            if progress:
                progress.advance(progress.task_ids[0])
            if as_json:
                typer.echo(
                    json.dumps(
                        {
                            "id": res.paper_id,
                            "created": res.created,
                            "pages": res.n_pages,
                            "title": res.title,
                            "file": str(path),
                        }
                    )
                )
            else:
                note = "" if res.created else "  (already stored)"
                if not res.created and arxiv_id and res.paper_id != _wanted_id(arxiv_id):
                    note = f"  (already stored as {res.paper_id}; the same PDF is not stored twice, --arxiv-id ignored)"
                typer.echo(f"{res.paper_id}\t{res.n_pages} pages\t{res.title}{note}")
    finally:
        if progress:
            progress.stop()


def _wanted_id(arxiv_id: str) -> str | None:
    """The paper id that ``--arxiv-id`` asks for (None when it names no version)."""
    from synthesis.ingest import paper_id_for

    paper_id = paper_id_for(arxiv_id, None, "")[0]
    return None if paper_id.startswith("sha256:") else paper_id


def _progress(total: int):  # noqa: ANN202
    """A rich progress bar on stderr, only when stderr is a terminal."""
    if not sys.stderr.isatty():
        return None
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    progress = Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        console=Console(stderr=True),
        transient=True,
    )
    progress.add_task("ingesting", total=total)
    progress.start()
    return progress


def papers(
    ctx: typer.Context,
    as_json: bool = typer.Option(False, "--json", help="Print the list as JSON."),
) -> None:
    """List the stored papers."""
    from synthesis.papers import list_papers
    from synthesis.store_papers import sentence_counts

    store = state(ctx).store
    rows = list_papers(store)
    counts = sentence_counts(store)
    if as_json:
        typer.echo(
            json.dumps(
                [
                    {
                        "id": p.id,
                        "arxiv_id": p.arxiv_id,
                        "version": p.version,
                        "title": p.title,
                        "authors": p.authors,
                        "published": p.published,
                        "pages": p.n_pages,
                        "sentences": counts.get(p.id, 0),
                        "source": p.source,
                        "pdf_sha256": p.pdf_sha256,
                    }
                    for p in rows
                ],
                indent=2,
            )
        )
        return
    if not rows:
        typer.echo("no papers stored; add one with `assay ingest FILE.pdf` or `assay fetch ARXIV_ID`")
        return
    from rich.console import Console
    from rich.table import Table

    table = Table(show_edge=False, header_style="bold")
    for col in ("id", "pages", "sentences", "title", "authors"):
        table.add_column(col, overflow="fold", no_wrap=col == "id")
    for p in rows:
        authors = ", ".join(p.authors[:3]) + (" et al." if len(p.authors) > 3 else "")
        table.add_row(short_id(p.id), str(p.n_pages), str(counts.get(p.id, 0)), p.title, authors)
    Console(width=max(100, Console().width)).print(table)
    if any(short_id(p.id) != p.id for p in rows):
        typer.echo(
            "sha256 ids are shortened: any unique prefix works in other commands; `assay papers --json` "
            "gives them in full"
        )


def short_id(paper_id: str) -> str:
    """A paper id short enough for a table column: ``sha256:`` ids keep 12 hex digits (still a unique prefix that
    every command accepts); arXiv ids are kept whole."""
    return paper_id[: len("sha256:") + 12] if paper_id.startswith("sha256:") else paper_id


def show(
    ctx: typer.Context,
    paper: str = typer.Argument(..., help="Paper id, arXiv id, sha256 prefix or title."),
    page: int = typer.Option(None, "--page", help="Print the stored text of this page (1-based)."),
    sections: bool = typer.Option(False, "--sections", help="List the section headings."),
    references: bool = typer.Option(False, "--references", help="List the parsed references."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Show one stored paper: metadata, a page's text, its sections or its references."""
    from synthesis.papers import resolve_paper

    store = state(ctx).store
    p = resolve_paper(store, paper)
    if page is not None:
        _show_page(store, p, page, as_json)
    elif sections:
        _show_sections(store, p, as_json)
    elif references:
        _show_references(store, p, as_json)
    else:
        _show_metadata(store, p, as_json)


def _show_page(store: Store, p: Paper, page: int, as_json: bool) -> None:
    """`assay show --page N`: the stored text of one page."""
    from synthesis.papers import get_pages

    pages = get_pages(store, p.id)
    if not 1 <= page <= len(pages):
        raise AssayError(f"{p.id} has pages 1 to {len(pages)}; --page {page} is out of range")
    if as_json:
        typer.echo(json.dumps({"id": p.id, "page": page, "text": pages[page - 1]}))
    else:
        typer.echo(pages[page - 1])


def _show_sections(store: Store, p: Paper, as_json: bool) -> None:
    """`assay show --sections`: the section headings with their pages."""
    from dataclasses import asdict

    from synthesis.papers import get_sections

    secs = get_sections(store, p.id)
    if as_json:
        typer.echo(json.dumps([asdict(s) for s in secs], indent=2))
        return
    for s in secs:
        label = f"{s.number} {s.title}" if s.number else s.title
        typer.echo(f"p.{s.page_no:<4}{label}")


def _show_references(store: Store, p: Paper, as_json: bool) -> None:
    """`assay show --references`: the parsed bibliography."""
    from dataclasses import asdict

    from synthesis.papers import get_references

    refs = get_references(store, p.id)
    if as_json:
        typer.echo(json.dumps([asdict(r) for r in refs], indent=2))
        return
    for r in refs:
        who = r.authors[0] + (" et al." if len(r.authors) > 1 else "") if r.authors else "?"
        extra = f"  arXiv:{r.arxiv_id}" if r.arxiv_id else (f"  doi:{r.doi}" if r.doi else "")
        typer.echo(f"[{r.idx + 1}] {who} ({r.year or 'n.d.'}). {r.title or r.raw[:100]}{extra}")


def _show_metadata(store: Store, p: Paper, as_json: bool) -> None:
    """`assay show`: the paper's metadata, counts and abstract."""
    from dataclasses import asdict

    from synthesis.store_papers import sentence_count

    n_sent = sentence_count(store, p.id)
    data = asdict(p)
    data["pages"] = p.n_pages  # the key `assay papers --json` uses
    data["sentences"] = n_sent
    if as_json:
        typer.echo(json.dumps(data, indent=2))
        return
    typer.echo(f"{p.id}  {p.title}")
    if p.authors:
        typer.echo(f"authors:   {', '.join(p.authors)}")
    for label, value in (
        ("arXiv", f"{p.arxiv_id}{p.version or ''}" if p.arxiv_id else None),
        ("doi", p.doi),
        ("published", p.published),
        ("updated", p.updated),
    ):
        if value:
            typer.echo(f"{label + ':':<11}{value}")
    typer.echo(
        f"pages:     {p.n_pages}   sentences: {n_sent}   source: {p.source}   sha256: {p.pdf_sha256[:16]}"
    )
    if p.abstract:
        typer.echo("")
        typer.echo(p.abstract)
