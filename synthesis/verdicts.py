"""Typed verdicts: what ``assay verify`` writes to verdicts.jsonl (DESIGN.md contract: id, text, label, confidence,
evidence [paper, version, page, quote, score], reasons), validated before it leaves the verifier.

Extra fields the verifier adds (signals, probabilities, numbers_checked, retrieval, notes, papers) are kept as they
are; the contract fields are checked for type and range, so a verdict that breaks the contract fails loudly here
instead of in a reader downstream.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

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
