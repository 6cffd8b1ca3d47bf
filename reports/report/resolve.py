"""Stage 1: PAPER (an arXiv id, a stored id or title, or a local PDF) to a stored paper, ingesting or fetching it."""

from __future__ import annotations

import hashlib
from pathlib import Path

from synthesis.errors import AssayError
from synthesis.papers import ARXIV_ID, Paper, get_paper, resolve_paper


def local_pdf(spec: str) -> Path | None:
    """The local file PAPER names, if it names one."""
    p = Path(spec).expanduser()
    return p if p.suffix.lower() == ".pdf" or p.is_file() else None


def spec_inputs(spec: str) -> dict:
    """What the resolution depends on: the spec, and for a local file its bytes' hash."""
    pdf = local_pdf(spec)
    if pdf is None:
        return {"spec": spec.strip()}
    if not pdf.is_file():
        raise AssayError(f"PDF {pdf} does not exist; give an existing file, a stored paper or an arXiv id")
    return {"spec": str(pdf.resolve()), "sha256": hashlib.sha256(pdf.read_bytes()).hexdigest()}


def resolve(store, settings, spec: str) -> dict:  # noqa: ANN001
    """``{"id", "resolved_by"}`` of the paper PAPER names; AssayError (nothing written) when it names none."""
    if not spec or not spec.strip():
        raise AssayError("empty PAPER; give an arXiv id (e.g. 2005.13013), a stored paper or a local PDF")
    pdf = local_pdf(spec)
    if pdf is not None:
        from synthesis.ingest import ingest_pdf

        result = ingest_pdf(store, settings, pdf)
        return {"id": result.paper_id, "resolved_by": "ingested" if result.created else "store"}
    try:
        return {"id": resolve_paper(store, spec).id, "resolved_by": "store"}
    except AssayError:
        if not ARXIV_ID.match(spec.strip()):
            raise
    if settings.offline:
        raise AssayError(
            f"arXiv paper {spec} is not in the store and offline mode forbids fetching it; "
            f"run `assay fetch {spec}` online first, or drop --offline"
        )
    from synthesis.sources.fetch import fetch

    result = fetch(store, settings, [spec.strip()])[0]
    return {"id": result.paper_id, "resolved_by": "fetched"}


def stored(store, paper_id: str) -> Paper:  # noqa: ANN001
    paper = get_paper(store, paper_id)
    if paper is None:
        raise AssayError(f"paper {paper_id} left the store; rerun to resolve it again")
    return paper
