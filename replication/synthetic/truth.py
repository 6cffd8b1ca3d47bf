"""The synthetic world's planted truth: the effects it is built to have, and whether a set of runs recovers them.

The world is a known-answer test of the harness (and of anything that reads its results): each effect below holds
by construction, so a harness that measures it with the wrong sign is broken, not unlucky.

- ``related_helps``: ``syn-squad`` (English QA, 3000 items) trains exactly the skill ``syn-qa`` tests (who / what /
  where spans, the same generator), and ``syn-qa`` has only 150 English training items; intermediate training on it
  raises ``syn-qa``'s zero-shot score.
- ``unrelated_does_not_help``: ``syn-nli`` (adjective entailment) shares no skill with ``syn-qa``: intermediate
  training on it does not raise ``syn-qa``'s zero-shot score.
- ``same_order_transfers_better``: family A keeps English word order, family B reads every clause backwards; with
  the same meanings and no shared words, the encoder aligns A with English better, so zero-shot scores are higher on
  A than on B.
- ``bigger_encoder_transfers_better``: the main encoder (2 layers x 64) and a smaller one (1 layer x 32) are
  pretrained identically on the same corpus; the bigger one transfers better to the fake languages.

An effect is measured per fine-tuning seed as the difference between two arms (each a mean of zero-shot scores over
targets and languages) and is *recovered* when the mean over seeds has the planted sign and every seed agrees.
Scores come in the demo's ``scores`` shape: base -> intermediate -> target -> group -> {seed: score}.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

ZERO_SHOT = "zero-shot"  # the group of every fake language (every language but English)
SAME_ORDER = "A (same order)"
INVERTED = "B (inverted)"


@dataclass(frozen=True)
class Arm:
    """One side of a comparison: the mean score of an encoder / intermediate setting over targets and a group."""

    base: str  # "mlm-all", "mlm-small", ...
    intermediate: str  # "none" for the baseline
    targets: tuple[str, ...]
    group: str  # ZERO_SHOT, SAME_ORDER, INVERTED or "en"

    def words(self) -> str:
        inter = "no intermediate task" if self.intermediate == "none" else f"intermediate {self.intermediate}"
        return f"{self.base}, {inter}, {'/'.join(self.targets)} on {self.group}"


@dataclass(frozen=True)
class PlantedEffect:
    key: str
    statement: str  # the planted truth, in words
    treatment: Arm
    control: Arm
    expect: str  # "positive": treatment > control; "not positive": treatment <= control


_QA = ("syn-qa",)
_TRANSFER = ("syn-xnli", "syn-mc", "syn-qa", "syn-pos", "syn-retrieval")
SIZE_TARGETS = ("syn-mc", "syn-pos", "syn-retrieval")

PLANTED: tuple[PlantedEffect, ...] = (
    PlantedEffect(
        "related_helps",
        "English QA as intermediate task (syn-squad) helps the QA target, whose own training data is scarce",
        Arm("mlm-all", "syn-squad", _QA, ZERO_SHOT), Arm("mlm-all", "none", _QA, ZERO_SHOT), "positive",
    ),
    PlantedEffect(
        "unrelated_does_not_help",
        "an unrelated intermediate task (adjective NLI, syn-nli) does not help the QA target",
        Arm("mlm-all", "syn-nli", _QA, ZERO_SHOT), Arm("mlm-all", "none", _QA, ZERO_SHOT), "not positive",
    ),
    PlantedEffect(
        "same_order_transfers_better",
        "zero-shot transfer is stronger to the same-order family (A) than to the inverted one (B)",
        Arm("mlm-all", "none", _TRANSFER, SAME_ORDER), Arm("mlm-all", "none", _TRANSFER, INVERTED), "positive",
    ),
    PlantedEffect(
        "bigger_encoder_transfers_better",
        "the bigger encoder (2 layers x 64) transfers better than the smaller one (1 layer x 32)",
        Arm("mlm-all", "none", SIZE_TARGETS, ZERO_SHOT), Arm("mlm-small", "none", SIZE_TARGETS, ZERO_SHOT),
        "positive",
    ),
)  # fmt: skip


def arm_by_seed(scores: dict[str, Any], arm: Arm) -> dict[str, float]:
    """seed -> mean over the arm's targets of the group's score at that seed.

    A target run once for all seeds (retrieval baselines have no training, hence no seed) counts at every seed.
    A seed counts only where every target has a value for it.
    """
    cells = [
        scores.get(arm.base, {}).get(arm.intermediate, {}).get(t, {}).get(arm.group) for t in arm.targets
    ]
    if not cells or any(not c for c in cells):
        return {}
    seeds = (
        set.union(*(set(c) for c in cells if len(c) > 1)) if any(len(c) > 1 for c in cells) else set(cells[0])
    )
    out = {}
    for seed in sorted(seeds):
        vals = [c[seed] if seed in c else (next(iter(c.values())) if len(c) == 1 else None) for c in cells]
        if all(v is not None for v in vals):
            out[seed] = sum(vals) / len(vals)  # type: ignore[arg-type]
    return out


def recover(scores: dict[str, Any], effects: tuple[PlantedEffect, ...] = PLANTED) -> list[dict[str, Any]]:
    """Per planted effect: per-seed differences (treatment - control), their mean, and whether it was recovered.

    ``recovered`` is None when the runs do not cover the effect (an arm has no common seed), else True when the
    mean and every seed have the planted sign.
    """
    out = []
    for e in effects:
        t, c = arm_by_seed(scores, e.treatment), arm_by_seed(scores, e.control)
        common = sorted(set(t) & set(c))
        diffs = {s: t[s] - c[s] for s in common}
        ok = (lambda d: d > 0) if e.expect == "positive" else (lambda d: d <= 0)
        mean = sum(diffs.values()) / len(diffs) if diffs else None
        agree = sum(ok(d) for d in diffs.values())
        out.append({
            "key": e.key, "statement": e.statement, "expect": e.expect,
            "treatment": e.treatment.words(), "control": e.control.words(),
            "differences": diffs, "mean": mean, "n": len(diffs), "seeds_agreeing": agree,
            "recovered": None if mean is None else bool(ok(mean) and agree == len(diffs)),
        })  # fmt: skip
    return out


def format_recovery(rows: list[dict[str, Any]]) -> str:
    """The planted truth and what the runs show, one line per effect (for the demo's summary)."""
    lines = ["Planted truth (built into the synthetic world) and what these runs measured:"]
    for r in rows:
        if r["recovered"] is None:
            verdict = "NOT MEASURED (the runs do not cover it)"
        else:
            sign = "> 0" if r["expect"] == "positive" else "<= 0"
            verdict = (
                f"{'recovered' if r['recovered'] else 'NOT recovered'}: difference {r['mean']:+.1f} points "
                f"(planted {sign}; {r['seeds_agreeing']}/{r['n']} seeds agree)"
            )
        lines.append(f"  - {r['statement']}: {verdict}")
    return "\n".join(lines)
