"""The dashboard of a batch of audits: per audited report and overall, how often marks are contradicted, how many
claims are cut off, how the reports' confidences relate to our verdicts, and how relevant their references are."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from statistics import mean

from reports.files import write_atomic

COLUMNS = (
    "report", "paper", "claims", "truncated", "marks_contradicted", "marks_unsupported", "confidence_off",
    "supported", "refuted", "not_enough_info", "mean_conf_when_supported", "mean_conf_when_not",
    "references", "references_relevant", "references_unrelated", "references_unchecked", "warnings", "errors",
)  # fmt: skip


def _mean(values: list[float]) -> float | None:
    return round(mean(values), 3) if values else None


def audit_row(audit: dict) -> dict:
    """One audited report's line of the dashboard, from its canonical audit JSON."""
    claims = audit.get("claims") or []
    summary = audit.get("summary") or {}
    by_kind = summary.get("by_kind") or {}
    severity = summary.get("by_severity") or {}
    refs = audit.get("references") or []
    conf_ok = [c["reported_confidence"] for c in claims
               if c.get("reported_confidence") is not None and c.get("label") == "supported"]  # fmt: skip
    conf_not = [c["reported_confidence"] for c in claims
                if c.get("reported_confidence") is not None and c.get("label") in ("refuted", "not_enough_info")]  # fmt: skip
    return {
        "report": (audit.get("input") or {}).get("file"),
        "paper": (audit.get("paper") or {}).get("id"),
        "claims": len(claims),
        "truncated": sum(bool(c.get("truncated")) for c in claims),
        "marks_contradicted": sum(bool(c.get("mark_contradicted")) for c in claims),
        "marks_unsupported": by_kind.get("mark_unsupported", 0),
        "confidence_off": sum(bool(c.get("confidence_off")) for c in claims),
        "supported": sum(c.get("label") == "supported" for c in claims),
        "refuted": sum(c.get("label") == "refuted" for c in claims),
        "not_enough_info": sum(c.get("label") == "not_enough_info" for c in claims),
        "mean_conf_when_supported": _mean(conf_ok),
        "mean_conf_when_not": _mean(conf_not),
        "references": len(refs),
        "references_relevant": sum(r.get("relevant") is True for r in refs),
        "references_unrelated": sum(r.get("relevant") is False for r in refs),
        "references_unchecked": sum(r.get("relevant") is None for r in refs),
        "warnings": severity.get("warning", 0),
        "errors": severity.get("error", 0),
    }


def overall(rows: list[dict], audits: list[dict]) -> dict:
    """Totals and rates over every audited report."""
    tot = {
        k: sum(r[k] or 0 for r in rows) for k in COLUMNS if k not in ("report", "paper") and "mean" not in k
    }
    claims = [c for a in audits for c in (a.get("claims") or [])]
    conf_ok = [c["reported_confidence"] for c in claims
               if c.get("reported_confidence") is not None and c.get("label") == "supported"]  # fmt: skip
    conf_not = [c["reported_confidence"] for c in claims
                if c.get("reported_confidence") is not None and c.get("label") in ("refuted", "not_enough_info")]  # fmt: skip
    n = tot["claims"] or 0

    def rate(k: str, base: int) -> float | None:
        return round(tot[k] / base, 3) if base else None

    return {
        "reports": len(rows), **tot,
        "truncated_rate": rate("truncated", n), "marks_contradicted_rate": rate("marks_contradicted", n),
        "confidence_off_rate": rate("confidence_off", n),
        "mean_conf_when_supported": _mean(conf_ok), "mean_conf_when_not": _mean(conf_not),
        "references_unrelated_rate": rate("references_unrelated", tot["references"]),
    }  # fmt: skip


def find_audits(out: Path) -> list[dict]:
    """The canonical audit JSONs of every finished audit item under a batch folder, in a stable order."""
    audits = []
    for item in sorted(p for p in out.iterdir() if p.is_dir() and p.name.startswith("audit-")):
        for f in sorted(item.glob("*.audit.json")):
            audits.append(json.loads(f.read_text(encoding="utf-8")))
    return audits


def write_dashboard(out: Path) -> list[Path]:
    """``dashboard.csv`` and ``dashboard.html`` over the batch's audits; nothing when it has none."""
    audits = find_audits(out)
    if not audits:
        return []
    rows = [audit_row(a) for a in audits]
    total = overall(rows, audits)
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    from reports.render import render

    html = render("batch_dashboard.html.j2", {"rows": rows, "overall": total, "columns": COLUMNS})
    write_atomic(out / "dashboard.csv", buf.getvalue())
    write_atomic(out / "dashboard.html", html)
    write_atomic(out / "dashboard.json", json.dumps({"overall": total, "reports": rows}, indent=2) + "\n")
    return [out / "dashboard.csv", out / "dashboard.html", out / "dashboard.json"]
