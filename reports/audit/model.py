"""The parsed report and the canonical audit JSON, as plain dataclasses.

The parser fills :class:`ParsedReport`; the checks add :class:`Finding` objects; :func:`reports.audit.run.audit_report`
assembles everything into one JSON-ready dict (``asdict``) that every template renders from without recomputing.
"""

from __future__ import annotations

from dataclasses import dataclass, field

SEVERITIES = ("error", "warning", "info")

# Every kind of finding the audit can raise, with its default severity.
FINDING_KINDS = {
    "parse_problem": "warning",
    "truncated_claim": "warning",
    "truncated_text": "info",
    "mark_contradicted": "error",
    "mark_unsupported": "warning",
    "confidence_off": "warning",
    "possible_other_version": "warning",
    "paper_unresolved": "error",
    "paper_version_mismatch": "info",
    "reference_not_found": "error",
    "reference_unrelated": "warning",
    "reference_outdated_version": "info",
    "reference_unchecked": "info",
    "count_mismatch": "error",
    "count_unverifiable": "info",
    "unanswered_question": "warning",
}


@dataclass
class ParseProblem:
    """Something in the report that could not be parsed; kept with its line so nothing is dropped silently."""

    line: int | None
    part: str
    message: str
    text: str = ""


@dataclass
class ReportClaim:
    index: int
    text: str
    mark: str | None  # "✓", "×" or None when missing/unreadable
    mark_raw: str
    confidence: float | None
    confidence_raw: str
    line: int


@dataclass
class ReportReference:
    index: int
    raw: str
    line: int
    url: str | None = None
    arxiv_id: str | None = None
    version: str | None = None
    doi: str | None = None
    title: str | None = None


@dataclass
class StatedCount:
    """A number the report asserts about itself, e.g. "10 claims extracted"."""

    name: str  # papers_retrieved | claims_extracted | claims_verified | quality_score
    value: float
    scale: float | None
    section: str
    text: str


@dataclass
class ParsedReport:
    title: str | None = None
    author: str | None = None
    date: str | None = None
    date_raw: str | None = None
    abstract: str | None = None
    paper_title: str | None = None
    question: str | None = None
    sections: list[str] = field(default_factory=list)
    section_text: dict[str, str] = field(default_factory=dict)
    counts: list[StatedCount] = field(default_factory=list)
    claims: list[ReportClaim] = field(default_factory=list)
    references: list[ReportReference] = field(default_factory=list)
    problems: list[ParseProblem] = field(default_factory=list)
    layout: str = "plain"  # "markdown" | "plain"


@dataclass
class Finding:
    kind: str
    severity: str
    target: str  # "claim 3", "reference 2", "count claims_extracted", "report", "paper"
    message: str

    @classmethod
    def make(cls, kind: str, target: str, message: str, severity: str | None = None) -> Finding:
        return cls(kind, severity or FINDING_KINDS[kind], target, message)
