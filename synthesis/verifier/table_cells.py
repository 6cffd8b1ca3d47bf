"""The table cell a claim names, as evidence and as a decider: a numeric claim is checked against the cell its row
and column headers name (:func:`synthesis.table_check.check_claim`), quoted as a reader cites it ("Table 2, row
SQuAD, column XNLI: 1.2"), and decides the verdict where the text does not, at the rate the check is right on
SEM-TAB-FACTS (measured by ``python -m synthesis.fit_combiner``, kept in the combiner's parameters).
"""

from __future__ import annotations

from synthesis.table_check import CellCheck
from synthesis.verifier.thresholds import LABELS


def table_rates(params: dict | None) -> dict[str, float]:
    """How often a named cell that equals (``match``) or differs from (``mismatch``) the claim's number is right."""
    t = (params or {}).get("table") or {}
    return {k: float(t[k]) for k in ("match", "mismatch") if isinstance(t.get(k), int | float)}


def default_table_rates() -> dict[str, float]:
    """The rates shipped with the combiner (also in lexical-only mode, where the combiner itself is not used)."""
    from synthesis.combiner import default_params

    return table_rates(default_params())


def cell_evidence(cc: CellCheck, paper: str, version: str | None, sha: str | None) -> dict:
    """The evidence entry of the deciding cell: ``quote`` is its citation; ``char_start``/``char_end`` locate the
    printed value on the page when it was found there (``cell_text`` is that verbatim value)."""
    assert cc.table is not None and cc.cell is not None
    return {
        "paper": paper,
        "version": version,
        "page": cc.table.page or None,
        "quote": cc.citation,
        "score": 1.0,
        "kind": "table-cell",
        "table": cc.table.label,
        "row": cc.table.row_name(cc.cell.row),
        "column": cc.table.column_name(cc.cell.col),
        "cell_text": cc.cell.text,
        "char_start": cc.cell.char_start,
        "char_end": cc.cell.char_end,
        "pdf_sha256": sha,
    }


def decide_by_table(result: dict, cc: CellCheck, rates: dict[str, float], evidence: dict | None) -> None:
    """Record the cell check on a verdict and let it decide where it should.

    A named cell decides a claim the text leaves unsettled. A cell that holds exactly the claimed number also
    overturns a text reading of "refuted" (a cell named by row and column and equal to the claim is seldom chance,
    while a sentence about other tasks is often misread as a conflict). A cell that differs overturns a text
    reading of "supported" unless a sentence states the claim almost word for word: a paraphrase read as support
    is where a number gets credited to the wrong system ("the XLM-R baseline attains 74.2"), while text and tables
    round and average differently ("8.4" in an abstract, "+ 8.3" in its table). Otherwise the cell is reported in
    the reasons."""
    if cc.status not in ("match", "mismatch"):
        return
    result["table_check"] = {
        "status": cc.status,
        "citation": cc.citation,
        "claimed": cc.claimed,
        "found": cc.found,
        "reason": cc.reason,
    }
    label = "supported" if cc.status == "match" else "refuted"
    rate = rates.get(cc.status)
    prior = result["label"]
    verbatim = (result.get("signals") or {}).get("near_verbatim", 0.0) > 0.5
    decides = (
        prior == "not_enough_info"
        or (cc.status == "match" and prior == "refuted")
        or (cc.status == "mismatch" and prior == "supported" and not verbatim)
    )
    if not decides or rate is None:
        agree = "agrees" if prior == label else "disagrees; the text decides"
        result["reasons"].append(f"the table {agree}: {cc.reason}")
        return
    result["label"], result["confidence"] = label, round(rate, 4)
    if "probabilities" in result:
        rest = (1.0 - rate) / 2
        result["probabilities"] = {lab: round(rate if lab == label else rest, 4) for lab in LABELS}
    unsettled = "leaves it unsettled" if prior == "not_enough_info" else f"reads it as {prior}"
    result["reasons"] = [
        f"the table cell the claim names decides it: {cc.reason} (a named cell decides at the rate measured on "
        f"SEM-TAB-FACTS: {rate:.2f})",
        f"the text alone {unsettled}: " + "; ".join(result["reasons"][:2]),
    ]
    result["evidence"] = ([evidence] if evidence else []) + result["evidence"][:2]
