"""The canonical report (``assay.report/1``): a typed model, validated before it is saved or rendered.

Every output format is a template over this JSON; its JSON Schema is exported to docs/schemas/report.schema.json
(``python -m reports.report.model`` rewrites it). Text taken from papers travels verbatim (quotes are substrings of
the stored page text) and is escaped only by the templates that need it (HTML).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

SCHEMA = "assay.report/1"
Label = Literal["supported", "refuted", "not_enough_info"]
Status = Literal["answered", "partly answered", "not answered"]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Quote(_Model):
    """A verbatim span of a stored page: ``pages[page - 1][char_start:char_end] == quote``."""

    paper: str
    ref: int = Field(description="Number of the paper in the references section.")
    page: int = Field(ge=1)
    quote: str = Field(min_length=1)
    char_start: int = Field(ge=0)
    char_end: int = Field(ge=0)
    score: float | None = Field(
        default=None, description="How well it matches what it is evidence for (0-1)."
    )
    cell: str | None = Field(
        default=None,
        description='For a table cell: the cell as a reader cites it ("Table 2, row SQuAD, column XNLI: - 1.4"); '
        "quote is then its printed value.",
    )


class PaperInfo(_Model):
    id: str
    arxiv_id: str | None
    version: str | None
    title: str
    authors: list[str]
    published: str | None
    abstract: str
    pdf_sha256: str
    n_pages: int
    url: str | None
    resolved_by: str = Field(description="How PAPER was found: store, fetched, ingested (local PDF).")


class Facet(_Model):
    """One part of the question, the evidence on it and whether the literature answers it."""

    id: str
    label: str = Field(description="The words of the question this facet stands for.")
    role: Literal["subject", "dimension", "condition", "comparison", "outcome"]
    phrase: list[str] = Field(description="The content words (stems) evidence must name, in order.")
    status: Status
    status_reason: str
    evidence: list[Quote]
    experiment: str | None = Field(
        default=None, description="The experiment that would answer it (not answered)."
    )


class Segment(_Model):
    """A piece of the answer paragraph: a quote with its source, a plain connective, or a stated gap."""

    kind: Literal["quote", "connective", "gap"]
    text: str
    paper: str | None = None
    ref: int | None = None
    page: int | None = None
    facet: str | None = None


class Answer(_Model):
    status: Status
    paragraph: list[Segment]
    unanswered: list[str] = Field(description="What the literature does not answer, said plainly.")


class ClaimRow(_Model):
    """A claim, whole as extracted, with the verifier's verdict and calibrated confidence as it gave them."""

    id: str
    text: str
    paper: str
    ref: int
    page: int
    kind: str
    type: str
    relevance: float = Field(description="Share of the question's key terms the claim names (0-1).")
    label: Label
    confidence: float = Field(ge=0, le=1, description="Calibrated probability that label is right.")
    mark: Literal["✓", "×", ""] = Field(description="✓ supported, × refuted, empty when undecided.")
    evidence: list[Quote]
    reasons: list[str]
    cross_check: Label | None = Field(
        default=None, description="Related paper's claim checked against the examined one."
    )


class Comparison(_Model):
    """Two papers reporting on the same quantity: a related claim verified against the examined paper."""

    claim: str
    paper: str
    ref: int
    verdict: Label
    status: Literal["agree", "conflict", "undecided"]
    evidence: list[Quote]


class Candidate(_Model):
    paper: str = Field(description="Store id or arXiv id of the candidate.")
    title: str
    score: float
    method: str
    rank: int
    fetched: bool
    used: bool
    reason: str


class Count(_Model):
    name: str
    value: int
    how: str


class QualityDimension(_Model):
    name: str
    value: float | None = Field(description="0-1, or None when nothing could be measured.")
    numerator: int
    denominator: int
    how: str


class Methodology(_Model):
    mode: Literal["online", "offline"]
    mode_note: str
    queries: list[str]
    candidates: list[Candidate]
    counts: list[Count]
    verifier: list[str] = Field(description="What the verifier said about itself (models, fallbacks).")


class Reference(_Model):
    """A paper the report uses, with why."""

    n: int
    paper: str
    role: Literal["examined", "related"]
    title: str
    authors: list[str]
    year: str | None
    arxiv_id: str | None
    version: str | None
    url: str | None
    pdf_sha256: str
    score: float | None = Field(description="Relevance to the question (None for the examined paper).")
    method: str
    why: str
    matched: list[Quote] = Field(description="The sentences of this paper the report cites (first few).")


class Bar(_Model):
    label: str
    values: dict[str, float]


class Figures(_Model):
    verdicts_by_kind: list[Bar]
    confidence: list[Bar] = Field(description="Claims per confidence bin, by label.")
    evidence_by_page: list[Bar] = Field(description="Quotes cited per paper and page.")
    per_language: list[Bar] = Field(
        description="Per-language or per-family results from reruns (empty without)."
    )


RerunVerdict = Literal["reproduced", "direction only", "not reproduced", "not testable here", "unmapped"]


class RerunRun(_Model):
    """One run behind a measured value (a result record of the runs folder)."""

    id: str
    model: str
    intermediate: str | None = None
    target: str | None = None
    seed: int | None = None
    hardware: str | None = Field(
        default=None, description="Device or CPU the run recorded (None if not recorded)."
    )


class RerunMeasure(_Model):
    mean: float = Field(
        description="Measured value: mean over fine-tuning seeds (a count for dataset statistics)."
    )
    sd: float | None = Field(
        default=None, description="Standard deviation between seeds (None with one seed)."
    )
    n: int = Field(ge=1, description="Number of seeds measured.")
    tolerance: float | None = Field(default=None, description="Half-width within which the claim holds.")
    per_seed: dict[str, float] = Field(default_factory=dict)


class RerunClaim(_Model):
    """A numeric claim of the examined paper bound to the runs (replication.bind), beside its textual verdict."""

    id: str = Field(description="The claim's id in ``claims``.")
    text: str
    label: Label = Field(description="The textual verdict (the verifier's label of the claim).")
    mark: str
    verdict: RerunVerdict = Field(description="The rerun verdict.")
    reason: str = Field(description="Why: the measurement against the claim, or why it is not testable here.")
    query_words: str = Field(description="What was measured, in words (empty when unmapped).")
    kind: str | None = Field(
        default=None, description="score, delta, direction or count (None when unmapped)."
    )
    claimed: float | None = Field(default=None, description="The claimed value (None for direction claims).")
    measured: RerunMeasure | None = None
    runs: list[RerunRun] = Field(default_factory=list)


class Reruns(_Model):
    status: Literal["skipped", "bound"]
    note: str
    runs_dir: str | None = Field(default=None, description="The --runs folder, as given.")
    n_runs: int = Field(default=0, ge=0, description="Finished run results found in it.")
    claims: list[RerunClaim] = Field(
        default_factory=list,
        description="The report's numeric claims of the examined paper, bound to the runs.",
    )


class Provenance(_Model):
    tool: str
    settings_hash: str
    stage_keys: dict[str, str]
    inputs: dict[str, str]


class Report(_Model):
    schema_: Literal["assay.report/1"] = Field(alias="schema", default=SCHEMA)
    title: str
    author: str
    date: str
    question: str = Field(min_length=1)
    abstract: str
    paper: PaperInfo
    facets: list[Facet]
    answer: Answer
    claims: list[ClaimRow]
    related_claims: list[ClaimRow]
    comparisons: list[Comparison]
    methodology: Methodology
    quality: list[QualityDimension]
    limitations: list[str]
    references: list[Reference]
    figures: Figures
    reruns: Reruns
    provenance: Provenance

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    def to_json(self) -> dict:
        return self.model_dump(by_alias=True, mode="json")


def json_schema() -> dict:
    return Report.model_json_schema(by_alias=True)


def write_schema(path: Path) -> None:
    path.write_text(json.dumps(json_schema(), indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


if __name__ == "__main__":  # python -m reports.report.model [PATH]
    write_schema(Path(sys.argv[1] if len(sys.argv) > 1 else "docs/schemas/report.schema.json"))
