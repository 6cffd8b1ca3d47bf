"""Typed claims in and verdicts out. Verdicts: what ``assay verify`` writes to verdicts.jsonl (DESIGN.md contract: id, text, label, confidence,
evidence [paper, version, page, quote, score], reasons), validated before it leaves the verifier.

Extra fields the verifier adds (signals, probabilities, numbers_checked, retrieval, notes, papers) are kept as they
are; the contract fields are checked for type and range, so a verdict that breaks the contract fails loudly here
instead of in a reader downstream.

Claims: :class:`ClaimInput` is one line of the claims file ``assay verify`` reads (synthesis.claim_input reads and
validates the file with it).
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, StrictInt, StrictStr, field_validator

Label = Literal["supported", "refuted", "not_enough_info"]


class Evidence(BaseModel):
    """One quoted passage: verbatim text of a stored page (page 0 / paper "inline" for evidence given inline)."""

    model_config = ConfigDict(extra="allow")

    paper: str
    version: str | None = None
    page: int | None = None
    quote: str
    score: float


class Verdict(BaseModel):
    """One claim's verdict; ``confidence`` is the calibrated probability that ``label`` is right."""

    model_config = ConfigDict(extra="allow")

    id: str
    text: str
    label: Label
    confidence: float = Field(ge=0.0, le=1.0)
    evidence: list[Evidence] = Field(default_factory=list)
    reasons: list[str] = Field(default_factory=list)
    probabilities: dict[Label, float] | None = None

    def to_json(self) -> dict:
        """The verdicts.jsonl object (fields in contract order, extras after; ``probabilities`` only when set)."""
        out = self.model_dump(exclude={"probabilities"} if self.probabilities is None else set())
        return out


# ---------------------------------------------------------------------------------------------------- claims in

MAX_CLAIM_TEXT_CHARS = 20_000  # the verifier reads the first sentences of anything over 1,000 and says so
MAX_ID_CHARS = 512
MAX_PAPER_CHARS = 1_000
MAX_EVIDENCE_ITEMS = 1_000


class ClaimInput(BaseModel):
    """One line of claims.jsonl as `assay verify` accepts it (DESIGN.md contract: ``{"id": str, "text": str}``,
    optional ``paper``, ``page``, ``span``; ``evidence`` a list of inline passages). Types are strict: a ``text``
    of 123, null or a list, or a ``paper`` that is not a string, is an error rather than an empty claim or a check
    against every paper. Other fields (what `assay claims` writes: kind, type, numbers ...) are kept."""

    model_config = ConfigDict(extra="allow")

    id: StrictStr = Field(min_length=1, max_length=MAX_ID_CHARS)
    text: StrictStr = Field(min_length=1, max_length=MAX_CLAIM_TEXT_CHARS)
    paper: StrictStr | None = Field(default=None, min_length=1, max_length=MAX_PAPER_CHARS)
    page: StrictInt | None = Field(default=None, ge=0)
    span: tuple[StrictInt, StrictInt] | None = None
    evidence: list[StrictStr] | None = Field(default=None, max_length=MAX_EVIDENCE_ITEMS)

    @field_validator("id", mode="before")
    @classmethod
    def _numeric_id(cls, v: object) -> object:
        """Numeric ids (``"id": 7``) are common in hand-written files: they become "7"; other types stay errors."""
        return str(v) if isinstance(v, int) and not isinstance(v, bool) else v

    @field_validator("text", "paper")
    @classmethod
    def _not_blank(cls, v: str | None) -> str | None:
        if v is not None and not v.strip():
            raise ValueError("is blank")
        return v
