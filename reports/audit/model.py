"""The parsed report (plain dataclasses) and the canonical audit JSON (a typed model, ``assay.audit/1``).

The parser fills :class:`ParsedReport`; the checks add :class:`Finding` objects; :func:`reports.audit.run.audit_report`
assembles everything into one :class:`Audit`, validated, whose JSON every template renders from without recomputing.
Its JSON Schema is docs/schemas/audit.schema.json (``python -m reports.schemas`` regenerates it).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from synthesis.verdicts import Evidence

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


# ---------------------------------------------------------------------------------------------------------------
# the canonical audit JSON

SCHEMA = "assay.audit/1"
Severity = Literal["error", "warning", "info"]
Kind = Literal[tuple(FINDING_KINDS)]  # type: ignore[valid-type]
Label = Literal["supported", "refuted", "not_enough_info"]
Number = int | float  # kept as given: a count stays an integer in the JSON


class _Closed(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ToolInfo(_Closed):
    name: str
    version: str


class InputInfo(_Closed):
    file: str
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$")
    bytes: int = Field(ge=0)
    format: str
    layout: str


class ReportInfo(_Closed):
    """What the parser read of the report."""

    title: str | None
    author: str | None
    date: str | None
    date_raw: str | None
    abstract: str | None
    paper_title: str | None
    question: str | None
    sections: list[str]
    n_claims: int = Field(ge=0)
    n_references: int = Field(ge=0)


class PaperJSON(_Closed):
    """The paper the report examines (ids null when it could not be resolved; the stored paper's details when it
    was)."""

    id: str | None
    arxiv_id: str | None
    version: str | None
    title: str | None
    authors: list[str] | None = None
    published: str | None = None
    pdf_sha256: str | None = None
    resolved_by: str | None
    note: str
    cited_versions: list[str]


class Headline(_Closed):
    """One line of the summary per kind of finding: what, how many, and which items."""

    kind: Kind
    severity: Severity
    count: int = Field(ge=1)
    text: str
    where: str


class ClaimCounts(_Closed):
    total: int = Field(ge=0)
    truncated: int = Field(ge=0)
    mark_contradicted: int = Field(ge=0)
    supported: int = Field(ge=0)
    refuted: int = Field(ge=0)
    not_enough_info: int = Field(ge=0)
    not_verified: int = Field(ge=0)


class Summary(_Closed):
    n_findings: int = Field(ge=0)
    by_severity: dict[Severity, int]
    by_kind: dict[Kind, int]
    flagged: bool
    headlines: list[Headline]
    claims: ClaimCounts


class FindingJSON(_Closed):
    kind: Kind
    severity: Severity
    target: str = Field(description='"claim 3", "reference 2", "count claims_extracted", "report", "paper"')
    message: str


class AuditClaim(_Closed):
    """One claim of the report with our verdict on what it (or its uncut fragment) asserts."""

    index: int
    text: str
    truncated: bool
    truncation: str | None
    truncation_reason: str | None
    verified_text: str
    reported_mark: Literal["✓", "×"] | None
    reported_mark_raw: str
    reported_confidence: Number | None
    reported_confidence_raw: str
    label: Label | None = Field(description="our verdict after the audit's policy (None: not verified)")
    confidence: Number | None = Field(ge=0, le=1)
    verifier_label: Label | None = Field(description="the verifier's own label, before the policy")
    p_holds: Number | None = Field(ge=0, le=1, description="our probability that the claim holds")
    evidence: list[Evidence]
    reasons: list[str]
    numbers_not_in_paper: list[str]
    count_conflicts: list[str]
    mark_contradicted: bool
    confidence_off: bool
    line: int
    rerun: dict[str, Any] | None = Field(
        default=None, description="audit --runs: the claim bound to run results"
    )


class ReferenceJSON(_Closed):
    index: int
    raw: str
    arxiv_id: str | None
    cited_version: str | None
    doi: str | None
    exists: bool | None = Field(description="None: not checked")
    status: str
    source: str | None
    title: str | None
    authors: list[str]
    date: str | None
    latest_version: str | None
    outdated: bool | None
    is_examined_paper: bool
    relevance: dict[str, Any] | None
    relevant: bool | None
    note: str


class CountJSON(_Closed):
    name: str
    stated: list[dict[str, Any]] = Field(description='[{"value", "scale", "section", "text"}]')
    recomputed: Number | None
    recomputed_from: str | None
    status: str
    note: str


class QuestionJSON(_Closed):
    text: str | None
    answered: bool | None
    where: str | None
    coverage: Number | None
    missing_terms: list[str]
    reason: str


class ParseProblemJSON(_Closed):
    line: int | None
    part: str
    message: str
    text: str


class Audit(_Closed):
    """The canonical audit of one report (``assay audit --json``): what was read, the paper it examines, every
    finding, every claim re-verified, references, counts and the research question."""

    model_config = ConfigDict(
        title="Audit", json_schema_extra={"$schema": "https://json-schema.org/draft/2020-12/schema"}
    )

    schema_: Literal["assay.audit/1"] = Field(alias="schema")
    tool: ToolInfo
    input: InputInfo
    settings_hash: str
    offline: bool
    started_at: str
    finished_at: str
    report: ReportInfo
    paper: PaperJSON
    summary: Summary
    findings: list[FindingJSON]
    claims: list[AuditClaim]
    references: list[ReferenceJSON]
    counts: list[CountJSON]
    question: QuestionJSON
    parse_problems: list[ParseProblemJSON]

    def to_json(self) -> dict[str, Any]:
        """The audit as JSON-ready dict (optional parts only when set: a claim's ``rerun``, a paper's details)."""
        return self.model_dump(by_alias=True, exclude_unset=True)
