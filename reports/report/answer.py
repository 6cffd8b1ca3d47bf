"""Stage 5: the extractive answer. Each facet gets its verbatim quotes and status; the answer paragraph is made of
those quotes (with paper and page) and plain connectives, and what the papers do not answer is said as a gap, with
the experiment that would answer it."""

from __future__ import annotations

from reports.report.evidence import FacetEvidence

QUOTES_IN_PARAGRAPH = 2


def experiment_for(fe: FacetEvidence, dimension: str | None) -> str | None:
    """The experiment that would answer a facet the papers leave open (None when it is answered)."""
    if fe.status == "answered":
        return None
    f = fe.facet
    what = " ".join(w for w in f.label.split() if w.lower() not in ("scaling", "varying", "different"))
    per = f" and compare the effect per {dimension}" if dimension and f.role != "dimension" else ""
    if f.role == "dimension":
        return (
            f"Group the per-language results (the paper's own, or reruns with `assay replicate`) by {what} and "
            "compare the effect of the intervention between the groups."
        )
    if f.role == "condition":
        return (
            f"Repeat the paper's experiments at two or more settings of {what}, all else fixed (a grid for "
            f"`assay replicate`){per}."
        )
    if f.role == "outcome":
        return (
            f"Measure {what} itself (e.g. the spread of scores across languages and seeds) under each condition "
            f"the question compares, all else fixed{per}."
        )
    if f.role == "comparison":
        return (
            f"Run {what} beside the subject of the question on the same tasks and seeds, all else fixed{per}."
        )
    return f"An experiment that varies {what} directly, all else fixed{per}."


def facet_json(fe: FacetEvidence, quote, dimension: str | None) -> dict:  # noqa: ANN001
    """A facet of the report; ``quote(sentence, score)`` makes the Quote JSON (it knows the reference numbers)."""
    f = fe.facet
    return {
        "id": f.id,
        "label": f.label,
        "role": f.role,
        "phrase": f.phrase,
        "status": fe.status,
        "status_reason": fe.reason,
        "evidence": [quote(s, sc) for s, sc in fe.quotes],
        "experiment": experiment_for(fe, dimension),
    }


def overall(statuses: list[str]) -> str:
    if statuses and all(s == "answered" for s in statuses):
        return "answered"
    if any(s != "not answered" for s in statuses):
        return "partly answered"
    return "not answered"


def compose(facets: list[dict]) -> dict:
    """The answer: a paragraph of quotes and connectives, and the plain list of what is not answered."""
    segments: list[dict] = []
    unanswered: list[str] = []
    for f in facets:
        label = f["label"]
        if f["status"] == "not answered":
            segments.append(
                {
                    "kind": "gap",
                    "text": f"On {label}, the papers used say nothing: {f['status_reason']}.",
                    "facet": f["id"],
                }
            )
            unanswered.append(
                f"{label}: not answered ({f['status_reason']})."
                + (f" Experiment that would answer it: {f['experiment']}" if f["experiment"] else "")
            )
            continue
        lead = "On" if f["status"] == "answered" else "Partly, on"
        segments.append({"kind": "connective", "text": f"{lead} {label}:", "facet": f["id"]})
        for i, q in enumerate(f["evidence"][:QUOTES_IN_PARAGRAPH]):
            if i:
                segments.append({"kind": "connective", "text": "and", "facet": f["id"]})
            segments.append(
                {
                    "kind": "quote",
                    "text": q["quote"],
                    "paper": q["paper"],
                    "ref": q["ref"],
                    "page": q["page"],
                    "facet": f["id"],
                }
            )
        if f["status"] == "partly answered":
            unanswered.append(
                f"{label}: partly answered ({f['status_reason']})."
                + (f" Experiment that would answer it: {f['experiment']}" if f["experiment"] else "")
            )
    return {"status": overall([f["status"] for f in facets]), "paragraph": segments, "unanswered": unanswered}
