"""What kind of statement a claim is, as a researcher sorts them: a finding, a hedge, future work, the setup,
a fact read from a table, or background about cited work.

The kind decides what a reader sees first (`assay claims` lists findings, setup and table facts by default) and
keeps speculation ("This may explain ...") and plans ("future work should ...") from passing as results. Every
rule is a named pattern below; `claim_kind` only applies them in order of precedence.
"""

from __future__ import annotations

import re

KINDS = ("finding", "hedge", "future_work", "setup", "table_fact", "background")
DEFAULT_KINDS = ("finding", "setup", "table_fact")

# Plans and open questions: what the paper has not done.
FUTURE_WORK = re.compile(
    r"\bfuture (?:work|research|directions?|improvements?|studies)\b|\bnext (?:avenue|step)s?\b|"
    r"\bremains? (?:to be|an open|unclear|unexplored)\b|\bis still (?:needed|missing|open|lacking)\b|"
    r"\b(?:still )?(?:has|have) to be (?:carried out|explored|studied|investigated)\b|\bstill have to be\b|"
    r"\bwould be (?:interesting|worthwhile|useful|valuable) to\b|\bleave (?:\w+ )?(?:for|to) future\b|"
    r"\b(?:the authors|we) (?:plan|hope|intend) to\b|\bit is (?:also )?(?:very )?desirable to\b|\bopen question\b|"
    r"\bfurther (?:work|research|study|investigation) (?:is|are|will|would|could)\b",
    re.IGNORECASE,
)
# Speculation and tentative readings: may, might, could, suggest, appear to.
HEDGE = re.compile(
    r"\b(?:may|might|could|possibly|potentially|perhaps|presumably|plausibly|conceivably|(?<!more )(?<!less )likely|"
    r"unlikely|"
    r"suggests?|suggesting|suggested|hypothesi[sz]e[ds]?|speculate[ds]?|appears? to|seems? to)\b",
    re.IGNORECASE,
)
# Cited prior work as the subject or as the point of the sentence ("This is consistent with Nie et al. (2019)").
_CITATION = r"(?:[A-Z][\w\-]+(?: et al\.| and [A-Z][\w\-]+)?,? \(?(?:19|20)\d\d[a-z]?\)?)"
BACKGROUND = re.compile(
    rf"^(?:(?:This|That|These|Those) (?:is|are|was|were) (?:also )?(?:consistent|in line|in agreement) with|"
    rf"(?:Prior|Previous|Earlier|Related) (?:work|studies|research)|{_CITATION} (?:show|shows|showed|find|finds|"
    rf"found|report|reports|reported|demonstrate|demonstrated|propose|proposed|suggest|suggested)\b|"
    rf"Theoretical results from the literature)"
)
# What the authors did, used or set: methods, data, models, hyperparameters, counts.
SETUP = re.compile(
    r"^(?:[^,]{0,80},\s+)?(?:the authors|we)\s+(?:also\s+|first\s+|then\s+)?(?:investigate|study|studied|propose|"
    r"proposed|introduce|introduced|conduct|conducted|evaluate|evaluated|explore|explored|examine|examined|use|used|"
    r"train|trained|fine-tune|fine-tuned|follow|followed|construct|constructed|sample|sampled|choose|chose|select|"
    r"selected|run|ran|experiment|experimented|initiali[sz]e|extract|adopt|apply|applied|consider|considered|"
    r"set|perform|performed|treat|include|included|randomly|build|built|compare|compared|report the mean|"
    r"average|averaged|repeat|repeated|split)\b",
    re.IGNORECASE,
)
_SETUP_PASSIVE = re.compile(
    r"\b(?:is|are|was|were)\s+(?:\w+ly\s+)?(?:set|fixed|chosen|selected|sampled|run|trained|averaged|repeated|"
    r"initiali[sz]ed|tuned|used|implemented|conducted|performed)\s+(?:to|on|at|with|for|using|based|over|in|by)\b",
    re.IGNORECASE,
)
# What the study set out to do: "The authors investigate whether ...".
AIM = re.compile(
    r"^(?:[^,]{0,80},\s+)?(?:the authors|we)\s+(?:also\s+)?(?:investigate|study|examine|ask|explore|test)"
    r"\s+(?:whether|how|if|the (?:effect|impact|extent|role))\b",
    re.IGNORECASE,
)
# A result, not a description of the setup: the claim reports an outcome.
RESULT_VERB = re.compile(
    r"\b(?:improv\w*|outperform\w*|underperform\w*|gain\w*|benefit\w*|hurt\w*|degrad\w*|surpass\w*|beats?|"
    r"better|worse|best|state[- ]of[- ]the[- ]art|negative transfer|positive transfer|bolster\w*|yields? "
    r"(?:large|small|dramatic|moderate|significant|consistent)|reduc\w* (?:negative|positive)|no significant)\b",
    re.IGNORECASE,
)


def claim_kind(text: str, *, origin: str | None = None, type_: str | None = None) -> str:
    """The kind of one (self-contained) claim: future_work, background, hedge, setup or finding.

    table_fact is never guessed from text: only claims read from a table cell have it. Precedence: a plan is future
    work even when hedged; a sentence about cited work is background; speculation is a hedge; what the authors did
    without reporting an outcome is setup; the rest are findings.
    """
    if origin == "table":
        return "table_fact"
    if FUTURE_WORK.search(text):
        return "future_work"
    if BACKGROUND.search(text):
        return "background"
    if HEDGE.search(text):
        return "hedge"
    if AIM.search(text):
        return "setup"
    if origin == "setup" and not RESULT_VERB.search(text):
        return "setup"
    if (
        SETUP.search(text)
        or _SETUP_PASSIVE.search(text)
        or type_ in ("hyperparameter_or_method", "dataset_statistic")
    ) and not RESULT_VERB.search(text):
        return "setup"
    return "finding"


def parse_kinds(spec: str | None) -> tuple[str, ...]:
    """'finding,setup' -> ('finding', 'setup'); 'all' -> every kind; None or '' -> the default kinds.

    Raises ValueError naming the unknown kind and the known ones.
    """
    if not spec or not spec.strip():
        return DEFAULT_KINDS
    names = [k.strip().lower().replace("-", "_") for k in spec.split(",") if k.strip()]
    if names == ["all"]:
        return KINDS
    unknown = [k for k in names if k not in KINDS]
    if unknown:
        raise ValueError(f"unknown claim kind {unknown[0]!r}; known kinds: {', '.join(KINDS)} (or 'all')")
    return tuple(dict.fromkeys(names))
