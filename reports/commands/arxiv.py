"""`assay fetch` and `assay search`: papers from arXiv into the store, and arXiv searches as a table."""

from __future__ import annotations

import contextlib
import json
import sys
from collections.abc import Iterator
from typing import Annotated

import typer

from reports.context import state


def _authors(names: list[str], limit: int = 3) -> str:
    return ", ".join(names[:limit]) + (" et al." if len(names) > limit else "")


@contextlib.contextmanager
def _download_progress() -> Iterator[tuple[object, object] | None]:
    """A rich progress bar on stderr when it is a terminal; None otherwise."""
    if not sys.stderr.isatty():
        yield None
        return
    from rich.console import Console
    from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TransferSpeedColumn

    bar = Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        DownloadColumn(),
        TransferSpeedColumn(),
        console=Console(stderr=True),
        transient=True,
    )
    tasks: dict[str, object] = {}

    def on_progress(record, done: int, total: int | None) -> None:  # noqa: ANN001
        key = record.versioned_id
        if key not in tasks:
            tasks[key] = bar.add_task(f"arXiv {key}", total=total)
        bar.update(tasks[key], completed=done, total=total)

    with bar:
        yield on_progress, bar


def register(app: typer.Typer) -> None:
    """Add `fetch` and `search` to the root app."""
    app.command("fetch")(fetch_command)
    app.command("search")(search_command)


def fetch_command(
    ctx: typer.Context,
    ids: Annotated[list[str], typer.Argument(metavar="ARXIV_ID...", help="arXiv ids, e.g. 2005.13013v2.")],
    as_json: bool = typer.Option(False, "--json", help="Print the results as JSON."),
) -> None:
    """Download papers from arXiv and ingest them (papers already stored are left as they are)."""
    from synthesis.sources.fetch import fetch

    app_state = state(ctx)
    with _download_progress() as bar:
        results = fetch(app_state.store, app_state.settings, ids, progress=bar[0] if bar else None)
    # the same keys as `assay ingest --json` and `assay papers --json`
    rows = [
        {"id": r.paper_id, "created": bool(r.created), "pages": r.n_pages, "title": r.title} for r in results
    ]
    if as_json:
        typer.echo(json.dumps(rows, indent=2, ensure_ascii=False))
        return
    for row in rows:
        if row["created"]:
            typer.echo(f"fetched {row['id']} ({row['pages']} pages): {row['title']}")
        else:
            typer.echo(f"already stored {row['id']}: {row['title']}")


def search_command(
    ctx: typer.Context,
    query: str = typer.Argument(
        ..., help="Words, or an arXiv query such as 'ti:\"zero-shot\" AND au:phang'."
    ),
    max_results: int = typer.Option(10, "--max", min=1, max=1000, help="How many results at most."),
    as_json: bool = typer.Option(False, "--json", help="Print the results as JSON."),
) -> None:
    """Search arXiv and list the matching papers (id and version, date, title, authors)."""
    from synthesis.sources.arxiv import ArxivSource

    app_state = state(ctx)
    records = ArxivSource(app_state.settings, app_state.store).search(query, max_results=max_results)
    if as_json:
        typer.echo(json.dumps([r.to_dict() for r in records], indent=2, ensure_ascii=False))
        return
    if not records:
        typer.echo(f"no arXiv paper matches {query!r}", err=True)
        return
    _print_records(records)


def _print_records(records: list) -> None:
    """The search results as a table: id and version, date, title, authors."""
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    table = Table(show_header=True, header_style="bold")
    table.add_column("id", no_wrap=True)
    table.add_column("date", no_wrap=True)
    table.add_column("title")
    table.add_column("authors")
    for r in records:
        table.add_row(*(Text(x) for x in (r.versioned_id, r.published, r.title, _authors(r.authors))))
    Console(width=None if sys.stdout.isatty() else 160).print(table)
