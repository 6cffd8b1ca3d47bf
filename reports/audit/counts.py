"""Recompute what a report's stated counts can be recomputed from (its own claims table and reference list)."""

from __future__ import annotations

from dataclasses import dataclass, field

from reports.audit.model import Finding, ParsedReport


@dataclass
class CountCheck:
    name: str
    stated: list[dict] = field(default_factory=list)  # [{"value", "section", "text"}]
    recomputed: float | None = None
    recomputed_from: str | None = None
    status: str = "ok"  # "ok" | "mismatch" | "not recomputable" | "not stated"
    note: str = ""


def _fmt(v: float) -> str:
    return str(int(v)) if float(v).is_integer() else f"{v:g}"


def check_counts(rep: ParsedReport) -> tuple[list[CountCheck], list[Finding]]:
    """One CountCheck per count the report states (plus the claims table's own size), and the findings."""
    by_name = _stated_counts(rep)
    recompute = {
        "claims_extracted": (len(rep.claims), "rows of the claims table"),
        "claims_verified": (
            sum(1 for c in rep.claims if c.mark == "✓"),
            "claims marked ✓ in the claims table",
        ),
    }
    findings: list[Finding] = []
    for name, check in by_name.items():
        finding = _check_count(rep, name, check, recompute)
        if finding is not None:
            findings.append(finding)
    finding = _verified_exceeds_extracted(by_name)
    if finding is not None:
        findings.append(finding)
    return list(by_name.values()), findings


def _stated_counts(rep: ParsedReport) -> dict[str, CountCheck]:
    """The report's stated counts grouped by name, in the order first stated."""
    by_name: dict[str, CountCheck] = {}
    for c in rep.counts:
        check = by_name.setdefault(c.name, CountCheck(c.name))
        check.stated.append({"value": c.value, "scale": c.scale, "section": c.section, "text": c.text})
    return by_name


def _check_count(
    rep: ParsedReport, name: str, check: CountCheck, recompute: dict[str, tuple[int, str]]
) -> Finding | None:
    """Fill in ``check`` (recomputed value, status, note) and return its finding, if any."""
    values = sorted({s["value"] for s in check.stated})
    target = f"count {name}"
    if len(values) > 1:
        check.status = "mismatch"
        check.note = "stated inconsistently: " + " vs ".join(
            f"{s['text']!r} ({s['section']})" for s in check.stated
        )
        return Finding.make("count_mismatch", target, f"{name.replace('_', ' ')} {check.note}")
    stated = values[0]
    if name in recompute and "claims" in rep.section_text:
        check.recomputed, check.recomputed_from = recompute[name]
        if check.recomputed != stated:
            check.status = "mismatch"
            check.note = (
                f"the report says {_fmt(stated)} but lists {_fmt(check.recomputed)} {check.recomputed_from}"
            )
            return Finding.make("count_mismatch", target, check.note)
    elif name == "papers_retrieved":
        return _check_papers_retrieved(rep, check, stated, target)
    elif name == "quality_score":
        check.status = "not recomputable"
        scale = check.stated[0]["scale"]
        check.note = (
            f"quality score {_fmt(stated)}{'/' + _fmt(scale) if scale else ''} is opaque: the report "
            "gives no rubric or per-item scores it could be recomputed from"
        )
        return Finding.make("count_unverifiable", target, check.note)
    return None


def _check_papers_retrieved(
    rep: ParsedReport, check: CountCheck, stated: float, target: str
) -> Finding | None:
    """Papers said retrieved against the references listed: more listed is a mismatch, fewer is unverifiable."""
    n_refs = len(rep.references)
    check.recomputed, check.recomputed_from = float(n_refs), "references listed"
    if n_refs > stated:
        check.status = "mismatch"
        check.note = f"{_fmt(stated)} papers said retrieved but {n_refs} references are listed"
        return Finding.make("count_mismatch", target, check.note)
    if n_refs < stated:
        check.status = "not recomputable"
        check.note = (
            f"{_fmt(stated)} papers said retrieved; only {n_refs} appear in the references, so the"
            " rest cannot be checked"
        )
        return Finding.make("count_unverifiable", target, check.note)
    return None


def _verified_exceeds_extracted(by_name: dict[str, CountCheck]) -> Finding | None:
    """More claims said verified than said extracted."""
    if "claims_verified" not in by_name or "claims_extracted" not in by_name:
        return None
    v, e = by_name["claims_verified"].stated[0]["value"], by_name["claims_extracted"].stated[0]["value"]
    if v > e:
        return Finding.make(
            "count_mismatch",
            "count claims_verified",
            f"{_fmt(v)} claims said verified out of {_fmt(e)} extracted",
        )
    return None
