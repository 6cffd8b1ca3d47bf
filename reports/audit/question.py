"""Is the report's research question answered anywhere, or only restated?"""

from __future__ import annotations

from dataclasses import dataclass

from reports.audit.model import Finding, ParsedReport
from reports.audit.relevance import content_terms

ANSWER_SECTIONS = ("answer", "conclusion", "discussion", "findings", "summary")
COVERAGE = 0.4


@dataclass
class QuestionCheck:
    text: str | None
    answered: bool | None
    where: str | None
    coverage: float | None
    missing_terms: list[str]
    reason: str


def check_question(rep: ParsedReport) -> tuple[QuestionCheck, list[Finding]]:
    """Answered when a conclusion-like section (or, failing that, the claims) covers the question's key terms."""
    if not rep.question:
        return QuestionCheck(None, None, None, None, [], "the report states no research question"), []
    q_terms = set(content_terms(rep.question))
    best: tuple[float, str | None, set[str]] = (0.0, None, q_terms)
    for key in ANSWER_SECTIONS:
        text = rep.section_text.get(key)
        if text:
            terms = set(content_terms(text))
            cov = len(q_terms & terms) / len(q_terms) if q_terms else 1.0
            if cov > best[0]:
                best = (cov, key, q_terms - terms)
    claims_terms = set(content_terms(" ".join(c.text for c in rep.claims)))
    claims_cov = len(q_terms & claims_terms) / len(q_terms) if q_terms else 1.0
    cov, where, missing = best
    if where and cov >= COVERAGE:
        return QuestionCheck(
            rep.question,
            True,
            where,
            round(cov, 2),
            sorted(missing),
            f"the {where} section addresses it ({cov:.0%} of its key terms)",
        ), []
    absent = sorted(q_terms - claims_terms)
    reason = (
        "no conclusion or answer section addresses the question"
        + (f" (best: {where}, {cov:.0%} of its key terms)" if where else "")
        + f"; the claims cover {claims_cov:.0%} of its key terms"
        + (f", never mentioning {', '.join(absent[:8])}" if absent else "")
    )
    finding = Finding.make(
        "unanswered_question", "report", f"the research question is restated but never answered: {reason}"
    )
    return QuestionCheck(rep.question, False, None, round(claims_cov, 2), absent, reason), [finding]
