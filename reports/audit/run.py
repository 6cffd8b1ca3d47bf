"""Audit one report: parse it, resolve the paper it examines, re-verify its claims, check its references, counts
and question, and assemble the canonical audit JSON (the only input of the templates)."""

from __future__ import annotations

import hashlib
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from reports.audit import claims_check
from reports.audit.counts import check_counts
from reports.audit.model import SCHEMA, SEVERITIES, Audit, AuditClaim, Finding, ParsedReport, ReportClaim
from reports.audit.parser import parse_report, read_report
from reports.audit.question import check_question
from reports.audit.references import check_references
from synthesis.errors import AssayError, NetworkError, NetworkForbidden
from synthesis.papers import Paper, get_pages, resolve_paper
from synthesis.store import Store


def _now() -> str:
    """UTC now, or the fixed SOURCE_DATE_EPOCH when set (reproducible outputs: a batch sets it for every item)."""
    import os

    epoch = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    when = datetime.fromtimestamp(int(epoch), UTC) if epoch.isdigit() else datetime.now(UTC)
    return when.strftime("%Y-%m-%dT%H:%M:%SZ")


def tool_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("assay")
    except PackageNotFoundError:
        return "unknown"


def resolve_examined_paper(
    store: Store,
    settings,
    rep: ParsedReport,
    paper_ref: str | None,  # noqa: ANN001
) -> tuple[Paper | None, dict]:
    """The paper the report examines: ``--paper`` when given, else the stated title in the store, else arXiv."""
    if paper_ref:
        paper = resolve_paper(store, paper_ref)
        return paper, {"by": "--paper", "query": paper_ref, "note": ""}
    title = rep.paper_title
    if not title:
        return None, {"by": None, "query": None, "note": "the report does not say which paper it examines"}
    try:
        return resolve_paper(store, title), {"by": "store title", "query": title, "note": ""}
    except AssayError:
        pass
    try:
        from synthesis.sources.arxiv import ArxivSource
    except ImportError:
        return None, {"by": None, "query": title, "note": "not in the store and no arXiv client is available"}
    try:
        record = ArxivSource(settings, store).find_by_title(title)
    except NetworkForbidden:
        return None, {
            "by": None,
            "query": title,
            "note": "not in the store, and arXiv title search not checked (offline); use --paper",
        }
    except NetworkError as exc:
        return None, {"by": None, "query": title, "note": f"not in the store, and arXiv search failed: {exc}"}
    if record is None:
        return None, {"by": None, "query": title, "note": "no paper with this title in the store or on arXiv"}
    try:
        from synthesis.sources.fetch import fetch

        result = fetch(store, settings, [f"{record.arxiv_id}{record.version or ''}"])[0]
        paper = resolve_paper(store, result.paper_id)
    except (AssayError, ImportError, IndexError) as exc:
        return None, {
            "by": "arXiv title search",
            "query": title,
            "note": (
                f"found on arXiv as {record.arxiv_id}{record.version or ''} but its PDF could not be "
                f"fetched ({exc}); run `assay fetch {record.arxiv_id}` and audit again"
            ),
        }
    return paper, {"by": "arXiv title search", "query": title, "note": f"fetched {paper.id} from arXiv"}


def audit_report(
    store: Store,
    settings,  # noqa: ANN001
    path: Path,
    *,
    paper_ref: str | None = None,
    question: str | None = None,
    runs: Path | None = None,
) -> dict:
    """The canonical audit JSON of one report (AssayError for unreadable input); with ``runs``, every claim also
    carries its rerun verdict (reports.audit.reruns)."""
    started = _now()
    text, data, fmt = read_report(path)
    rep = parse_report(text)
    findings = _parse_findings(rep)
    if question:
        rep.question = question

    paper, resolution = resolve_examined_paper(store, settings, rep, paper_ref)
    pages = get_pages(store, paper.id) if paper else []
    if paper is None:
        findings.append(_unresolved_finding(rep, resolution))
    cited_versions = _cited_versions(rep, paper)

    claims, claim_findings = _audit_claims(store, settings, rep, paper, pages, cited_versions)
    findings += claim_findings
    if runs is not None:
        _attach_reruns(claims, rep, runs)
    findings += _abstract_findings(rep, pages)
    ref_checks, count_checks, q_check, check_findings = _check_rest(store, settings, rep, paper)
    findings += check_findings

    headlines = _headlines(findings)  # before the sort below: ties keep the order findings were made in
    order = {s: i for i, s in enumerate(SEVERITIES)}
    findings.sort(key=lambda f: order[f.severity])
    audit = Audit.model_validate(
        {
            "schema": SCHEMA,
            "tool": {"name": "assay", "version": tool_version()},
            "input": _input_json(path, data, fmt, rep),
            "settings_hash": settings.hash(),
            "offline": bool(settings.offline),
            "started_at": started,
            "finished_at": _now(),
            "report": _report_json(rep),
            "paper": _paper_json(paper, resolution, cited_versions),
            "summary": _summary_json(findings, headlines, claims),
            "findings": [asdict(f) for f in findings],
            "claims": claims,
            "references": [asdict(r) for r in ref_checks],
            "counts": [asdict(c) for c in count_checks],
            "question": asdict(q_check),
            "parse_problems": [asdict(p) for p in rep.problems],
        }
    )
    return audit.to_json()


def _check_rest(store: Store, settings, rep: ParsedReport, paper: Paper | None) -> tuple:  # noqa: ANN001
    """The report's references, counts and question checked: (references, counts, question, findings)."""
    ref_checks, findings = check_references(store, settings, rep.references, paper, rep.question)
    count_checks, count_findings = check_counts(rep)
    q_check, q_findings = check_question(rep)
    return ref_checks, count_checks, q_check, findings + count_findings + q_findings


def _parse_findings(rep: ParsedReport) -> list[Finding]:
    """One parse_problem finding per problem the parser met."""
    findings = []
    for prob in rep.problems:
        where = f"line {prob.line}" if prob.line else prob.part
        findings.append(
            Finding.make("parse_problem", where, prob.message + (f": {prob.text!r}" if prob.text else ""))
        )
    return findings


def _unresolved_finding(rep: ParsedReport, resolution: dict) -> Finding:
    return Finding.make(
        "paper_unresolved",
        "paper",
        f"{rep.paper_title or 'unknown paper'}: {resolution['note']}; claims were not re-verified",
    )


def _cited_versions(rep: ParsedReport, paper: Paper | None) -> list[str]:
    """Versions of the examined paper the report cites other than the one the evidence comes from."""
    return sorted(
        {
            r.version
            for r in rep.references
            if paper and r.arxiv_id == paper.arxiv_id and r.version and r.version != paper.version
        }
    )


def _attach_reruns(claims: list[AuditClaim], rep: ParsedReport, runs: Path) -> None:
    """Every claim's rerun verdict from the runs folder, set on its audit claim."""
    from reports.audit.reruns import rerun_claims

    bound = rerun_claims([{"id": f"claim-{c.index}", "text": c.text} for c in rep.claims], runs)
    for claim, rerun in zip(claims, bound, strict=True):
        claim.rerun = rerun


def _abstract_findings(rep: ParsedReport, pages: list[str]) -> list[Finding]:
    """A truncated_text finding when the abstract is cut off."""
    if not rep.abstract:
        return []
    t = claims_check.detect_truncation(rep.abstract, claims_check.paper_vocabulary(pages), cut_length=None)
    if not t.truncated:
        return []
    return [Finding.make("truncated_text", "abstract", f"the abstract is cut off: it {t.reason}")]


def _input_json(path: Path, data: bytes, fmt: str, rep: ParsedReport) -> dict:
    return {
        "file": path.name,
        "sha256": hashlib.sha256(data).hexdigest(),
        "bytes": len(data),
        "format": fmt,
        "layout": rep.layout,
    }


def _report_json(rep: ParsedReport) -> dict:
    return {
        "title": rep.title,
        "author": rep.author,
        "date": rep.date,
        "date_raw": rep.date_raw,
        "abstract": rep.abstract,
        "paper_title": rep.paper_title,
        "question": rep.question,
        "sections": rep.sections,
        "n_claims": len(rep.claims),
        "n_references": len(rep.references),
    }


def _summary_json(findings: list[Finding], headlines: list[dict], claims: list[AuditClaim]) -> dict:
    """Findings counted by severity and kind, the headlines, and the claims counted by verdict."""
    by_kind: dict[str, int] = {}
    for f in findings:
        by_kind[f.kind] = by_kind.get(f.kind, 0) + 1
    return {
        "n_findings": len(findings),
        "by_severity": {s: sum(1 for f in findings if f.severity == s) for s in SEVERITIES},
        "by_kind": by_kind,
        "flagged": bool(findings),
        "headlines": headlines,
        "claims": {
            "total": len(claims),
            "truncated": sum(1 for c in claims if c.truncated),
            "mark_contradicted": sum(1 for c in claims if c.mark_contradicted),
            "supported": sum(1 for c in claims if c.label == "supported"),
            "refuted": sum(1 for c in claims if c.label == "refuted"),
            "not_enough_info": sum(1 for c in claims if c.label == "not_enough_info"),
            "not_verified": sum(1 for c in claims if c.label is None),
        },
    }


_HEADLINE = {  # kind: (one, many)
    "mark_contradicted": ("mark the evidence contradicts", "marks the evidence contradicts"),
    "possible_other_version": (
        "claim whose numbers may come from another version of the paper",
        "claims whose numbers may come from another version of the paper",
    ),
    "truncated_claim": ("claim cut off mid-word or mid-sentence", "claims cut off mid-word or mid-sentence"),
    "mark_unsupported": (
        "claim marked ✓ without evidence in the paper",
        "claims marked ✓ without evidence in the paper",
    ),
    "confidence_off": (
        "confidence off (inconsistent with the mark or far from ours)",
        "confidences off (inconsistent with the mark or far from ours)",
    ),
    "count_mismatch": ("count that does not add up", "counts that do not add up"),
    "count_unverifiable": ("count that cannot be recomputed", "counts that cannot be recomputed"),
    "reference_not_found": ("reference that does not exist", "references that do not exist"),
    "reference_unrelated": (
        "reference unrelated to the paper and the question",
        "references unrelated to the paper and the question",
    ),
    "reference_outdated_version": (
        "reference citing an outdated version",
        "references citing an outdated version",
    ),
    "reference_unchecked": ("reference not checked", "references not checked"),
    "unanswered_question": ("research question never answered", "research questions never answered"),
    "paper_unresolved": ("paper examined not found", "papers examined not found"),
    "paper_version_mismatch": (
        "citation of another version than the evidence comes from",
        "citations of another version than the evidence comes from",
    ),
    "truncated_text": ("cut-off text outside the claims", "cut-off texts outside the claims"),
    "parse_problem": (
        "part of the report that could not be parsed",
        "parts of the report that could not be parsed",
    ),
}


def _headlines(findings: list[Finding]) -> list[dict]:
    """One line per kind of finding, most severe first: what, how many, and which items."""
    order = {s: i for i, s in enumerate(SEVERITIES)}
    groups: dict[str, list[Finding]] = {}
    for f in findings:
        groups.setdefault(f.kind, []).append(f)
    out = []
    for kind, items in groups.items():
        severity = min((f.severity for f in items), key=order.__getitem__)
        targets = [f.target for f in items]
        numbers = [t.split()[-1] for t in targets if t.startswith(("claim ", "reference "))]
        if numbers and len(numbers) == len(targets):
            noun = targets[0].split()[0] + ("s" if len(numbers) > 1 else "")
            where = f"{noun} {', '.join(numbers)}"
        else:
            where = ", ".join(dict.fromkeys(targets))
        out.append(
            {
                "kind": kind,
                "severity": severity,
                "count": len(items),
                "text": _HEADLINE.get(kind, (kind.replace("_", " "),) * 2)[len(items) > 1],
                "where": where,
            }
        )
    out.sort(key=lambda h: (order[h["severity"]], -h["count"]))
    return out


def _paper_json(paper: Paper | None, resolution: dict, cited_versions: list[str]) -> dict:
    if paper is None:
        return {
            "id": None,
            "arxiv_id": None,
            "version": None,
            "title": None,
            "resolved_by": resolution["by"],
            "note": resolution["note"],
            "cited_versions": [],
        }
    note = resolution["note"]
    if cited_versions:
        note = (
            f"the evidence comes from {paper.version or 'the stored PDF'}; the report cites "
            f"{', '.join(cited_versions)} of this paper"
        )
    elif paper.version:
        note = note or f"the evidence comes from {paper.version}"
    return {
        "id": paper.id,
        "arxiv_id": paper.arxiv_id,
        "version": paper.version,
        "title": paper.title,
        "authors": paper.authors,
        "published": paper.published,
        "pdf_sha256": paper.pdf_sha256,
        "resolved_by": resolution["by"],
        "note": note,
        "cited_versions": cited_versions,
    }


@dataclass
class ClaimReview:
    """The audit's policy applied to one claim: our verdict after it, and what it found."""

    label: str | None
    confidence: float | None
    verifier_label: str | None  # the verifier's label before the policy
    p_holds: float | None
    evidence: list[dict]
    reasons: list[str]
    missing: list[str]  # numbers the claim quotes that the paper never states
    miscounted: list[str]  # counts in the claim that the paper contradicts
    contradicted: bool  # the report's mark says the opposite of our verdict
    confidence_off: bool
    findings: list[Finding] = field(default_factory=list)


def _audit_claims(
    store: Store,
    settings,
    rep: ParsedReport,
    paper: Paper | None,
    pages: list[str],  # noqa: ANN001
    cited_versions: list[str],
) -> tuple[list[AuditClaim], list[Finding]]:
    """Every claim of the report verified (its uncut fragment), reviewed by the policy, as audit JSON."""
    vocab = claims_check.paper_vocabulary(pages)
    truncs = [claims_check.detect_truncation(c.text, vocab) for c in rep.claims]
    verdicts, verifier_note = _verify_fragments(store, settings, rep.claims, truncs, paper)
    numbers = claims_check.PaperNumbers.from_pages(pages) if pages else None
    out: list[AuditClaim] = []
    findings: list[Finding] = []
    for c, t in zip(rep.claims, truncs, strict=True):
        review = review_claim(
            c, t, verdicts.get(f"claim-{c.index}"), verifier_note, paper, pages, numbers, cited_versions
        )
        findings += review.findings
        out.append(_claim_json(c, t, review))
    return out, findings


def _verify_fragments(
    store: Store,
    settings,
    claims: list[ReportClaim],
    truncs: list,
    paper: Paper | None,  # noqa: ANN001
) -> tuple[dict[str, dict], str]:
    """The verifier's verdicts by claim id (what each fragment asserts), or why there are none."""
    to_verify = [
        {"id": f"claim-{c.index}", "text": t.fragment}
        for c, t in zip(claims, truncs, strict=True)
        if t.fragment.strip()
    ]
    if paper is not None and to_verify:
        try:
            return {v["id"]: v for v in claims_check.verify(store, settings, to_verify, [paper.id])}, ""
        except ImportError:
            return {}, "not verified: the verifier (synthesis.verify) is not installed"
    if paper is None:
        return {}, "not verified: the examined paper could not be resolved"
    return {}, ""


def review_claim(
    c: ReportClaim,
    t,
    v: dict | None,
    verifier_note: str,
    paper: Paper | None,
    pages: list[str],  # noqa: ANN001
    numbers,
    cited_versions: list[str],  # noqa: ANN001
) -> ClaimReview:
    """The policy: numbers the examined version lacks make a verdict not_enough_info; the report's mark and
    confidence are compared with our verdict. Every finding names the claim."""
    target = f"claim {c.index}"
    findings: list[Finding] = []
    label, conf = (v["label"], float(v["confidence"])) if v else (None, None)
    reasons = list(v.get("reasons", [])) if v else ([verifier_note] if verifier_note else [])
    evidence = list(v.get("evidence", [])) if v else []
    if t.truncated:
        findings.append(
            Finding.make(
                "truncated_claim",
                target,
                f"cut off: {t.reason}; verified what the fragment asserts: {t.fragment!r}",
            )
        )
    missing = claims_check.missing_numbers(t.fragment, numbers) if numbers else []
    miscounted = claims_check.count_conflicts(t.fragment, pages) if pages else []
    verifier_label = label
    number_conflict = bool(v and label == "refuted" and (v.get("signals") or {}).get("conflict_number"))
    if missing or miscounted or (number_conflict and cited_versions):
        msg, label, conf = _other_version(missing, miscounted, label, conf, paper, cited_versions)
        reasons.append(msg)
        findings.append(Finding.make("possible_other_version", target, msg))
    contradicted = (c.mark == "✓" and label == "refuted") or (c.mark == "×" and label == "supported")
    mark_finding = _mark_finding(c, label, conf, contradicted, target)
    if mark_finding is not None:
        findings.append(mark_finding)
    ours = claims_check.p_holds(label, conf)
    off_reasons = _confidence_off_reasons(c, ours)
    if off_reasons:
        findings.append(Finding.make("confidence_off", target, "; ".join(off_reasons)))
    return ClaimReview(
        label=label,
        confidence=conf,
        verifier_label=verifier_label,
        p_holds=ours,
        evidence=evidence,
        reasons=reasons,
        missing=missing,
        miscounted=miscounted,
        contradicted=contradicted,
        confidence_off=bool(off_reasons),
        findings=findings,
    )


def _other_version(
    missing: list[str],
    miscounted: list[str],
    label: str | None,
    conf: float | None,
    paper: Paper | None,
    cited_versions: list[str],
) -> tuple[str, str | None, float | None]:
    """Why the claim's numbers may come from another version of the paper, and the verdict after that: evidence
    from one version cannot confirm numbers it lacks, nor refute numbers of the version cited."""
    which = f"{paper.version} of the paper" if paper and paper.version else "the examined PDF"
    parts = []
    if missing:
        parts.append(f"quotes {', '.join(missing)}, which {which} never states")
    parts += miscounted
    if not parts:
        parts.append(f"{which} gives other numbers than the claim")
    msg = "; ".join(parts)
    msg += "; the claim may come from another version of the paper"
    if cited_versions:
        msg += f" (the report cites {', '.join(cited_versions)})"
    if label == "supported" or (label == "refuted" and cited_versions):
        msg += f"; verdict changed from {label} to not_enough_info"
        label = "not_enough_info"
        conf = min(conf if conf is not None else 0.5, 0.6)
    return msg, label, conf


def _mark_finding(
    c: ReportClaim, label: str | None, conf: float | None, contradicted: bool, target: str
) -> Finding | None:
    """The report's mark against our verdict: contradicted, or ✓ where the paper gives not enough evidence."""
    if contradicted:
        return Finding.make(
            "mark_contradicted",
            target,
            f"marked {c.mark} but the evidence says {label} (our confidence {conf:.2f})",
        )
    if c.mark == "✓" and label == "not_enough_info":
        return Finding.make(
            "mark_unsupported",
            target,
            f"marked ✓ but the paper gives not enough evidence for it (our confidence in that {conf:.2f})",
        )
    return None


def _confidence_off_reasons(c: ReportClaim, ours: float | None) -> list[str]:
    """Why the report's confidence is off: below 0.5 on a ✓, or far from our probability that the claim holds."""
    theirs = (
        None
        if c.confidence is None or c.mark is None
        else (c.confidence if c.mark == "✓" else 1.0 - c.confidence)
    )
    reasons = []
    if c.mark == "✓" and c.confidence is not None and c.confidence < 0.5:
        reasons.append(
            f"marked ✓ with confidence {c.confidence:.2f}: the report's own confidence says the "
            "claim is more likely wrong than right"
        )
    if ours is not None and theirs is not None and abs(ours - theirs) >= claims_check.CONFIDENCE_GAP:
        reasons.append(f"the report's confidence in the claim ({theirs:.2f}) is far from ours ({ours:.2f})")
    return reasons


def _claim_json(c: ReportClaim, t, review: ClaimReview) -> AuditClaim:  # noqa: ANN001
    """One claim of the audit JSON: the report's claim and marks beside our reviewed verdict."""
    return AuditClaim.model_validate(
        {
            "index": c.index,
            "text": c.text,
            "truncated": t.truncated,
            "truncation": t.kind,
            "truncation_reason": t.reason if t.truncated else None,
            "verified_text": t.fragment,
            "reported_mark": c.mark,
            "reported_mark_raw": c.mark_raw,
            "reported_confidence": c.confidence,
            "reported_confidence_raw": c.confidence_raw,
            "label": review.label,
            "confidence": None if review.confidence is None else round(review.confidence, 4),
            "verifier_label": review.verifier_label,
            "p_holds": None if review.p_holds is None else round(review.p_holds, 4),
            "evidence": review.evidence,
            "reasons": review.reasons,
            "numbers_not_in_paper": review.missing,
            "count_conflicts": review.miscounted,
            "mark_contradicted": review.contradicted,
            "confidence_off": review.confidence_off,
            "line": c.line,
        }
    )
