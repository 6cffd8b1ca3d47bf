"""The synthetic world's planted truth: the effects it is built to have, and whether a set of runs recovers them.

The world is a known-answer test of the harness (and of anything that reads its results): each effect below holds
by construction, so a harness that measures it with the wrong sign is broken, not unlucky.

- ``related_helps``: ``syn-squad`` (English QA, 3000 items) trains exactly the skill ``syn-qa`` tests (who / what /
  where spans, the same generator), and ``syn-qa`` has only 150 English training items; intermediate training on it
  raises ``syn-qa``'s score (the task score of the paper: the mean over all its languages).
- ``unrelated_does_not_help``: ``syn-nli`` (adjective entailment) shares no skill with ``syn-qa``: intermediate
  training on it does not raise ``syn-qa``'s score beyond the spread between seeds.
- ``same_order_transfers_better``: family A keeps English word order, family B reads every clause backwards; with
  the same meanings and no shared words, the encoder aligns A with English better, so zero-shot scores are higher on
  A than on B.
- ``bigger_encoder_transfers_better``: the main encoder (2 layers x 64) and a much smaller one (1 layer x 8) are
  pretrained identically on the same corpus; the bigger one transfers better to the fake languages on the
  fine-tuned targets. (Measured: a 1 x 32 or 1 x 64 encoder is about as good as 2 x 64 here, within the seed
  spread, so only a large gap in capacity is an effect the world guarantees.) Retrieval is left out: it reads a
  fixed layer (1), the middle of the bigger encoder but the output of the smaller one, so the two are not
  comparable.

An effect is measured per fine-tuning seed as the difference between two arms (each a mean of scores over targets
and languages). A "positive" effect is *recovered* when the mean over seeds and every single seed are above zero; a
"not positive" one (no help) when the mean is not above zero by more than two standard errors between seeds (a
difference near zero has no reliable sign per seed, so asking every seed for one would test the noise).
Scores come in the demo's ``scores`` shape: base -> intermediate -> target -> group -> {seed: score}.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

ZERO_SHOT = "zero-shot"  # the group of every fake language (every language but English)
ALL = "all"  # every language of the task, English included (the paper's task score)
SAME_ORDER = "A (same order)"
INVERTED = "B (inverted)"


@dataclass(frozen=True)
class Arm:
    """One side of a comparison: the mean score of an encoder / intermediate setting over targets and a group."""

    base: str  # "mlm-all", "mlm-small", ...
    intermediate: str  # "none" for the baseline
    targets: tuple[str, ...]
    group: str  # ALL, ZERO_SHOT, SAME_ORDER, INVERTED or "en"

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
SIZE_TARGETS = ("syn-mc", "syn-pos")

PLANTED: tuple[PlantedEffect, ...] = (
    PlantedEffect(
        "related_helps",
        "English QA as intermediate task (syn-squad) helps the QA target, whose own training data is scarce",
        Arm("mlm-all", "syn-squad", _QA, ALL), Arm("mlm-all", "none", _QA, ALL), "positive",
    ),
    PlantedEffect(
        "unrelated_does_not_help",
        "an unrelated intermediate task (adjective NLI, syn-nli) does not help the QA target",
        Arm("mlm-all", "syn-nli", _QA, ALL), Arm("mlm-all", "none", _QA, ALL), "not positive",
    ),
    PlantedEffect(
        "same_order_transfers_better",
        "zero-shot transfer is stronger to the same-order family (A) than to the inverted one (B)",
        Arm("mlm-all", "none", _TRANSFER, SAME_ORDER), Arm("mlm-all", "none", _TRANSFER, INVERTED), "positive",
    ),
    PlantedEffect(
        "bigger_encoder_transfers_better",
        "the bigger encoder (2 layers x 64) transfers better than a much smaller one (1 layer x 8)",
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
    """Per planted effect: per-seed differences (treatment - control), mean, standard error, and whether it was
    recovered (None when the runs do not cover the effect; the rule is in the module docstring)."""
    out = []
    for e in effects:
        t, c = arm_by_seed(scores, e.treatment), arm_by_seed(scores, e.control)
        diffs = {s: t[s] - c[s] for s in sorted(set(t) & set(c))}
        n = len(diffs)
        mean = sum(diffs.values()) / n if n else None
        se = None
        if n > 1 and mean is not None:
            se = (sum((d - mean) ** 2 for d in diffs.values()) / (n - 1) / n) ** 0.5
        if e.expect == "positive":
            agree = sum(d > 0 for d in diffs.values())
            ok = mean is not None and mean > 0 and agree == n
        else:
            agree = sum(d <= 0 for d in diffs.values())
            ok = mean is not None and mean <= 2 * (se or 0.0)
        out.append({
            "key": e.key, "statement": e.statement, "expect": e.expect,
            "treatment": e.treatment.words(), "control": e.control.words(),
            "differences": diffs, "mean": mean, "standard_error": se, "n": n, "seeds_agreeing": agree,
            "recovered": None if mean is None else bool(ok),
        })  # fmt: skip
    return out


def format_recovery(rows: list[dict[str, Any]]) -> str:
    """The planted truth and what the runs show, one line per effect (for the demo's summary)."""
    lines = ["Planted truth (built into the synthetic world) and what these runs measured:"]
    for r in rows:
        if r["recovered"] is None:
            verdict = "NOT MEASURED (the runs do not cover it)"
        else:
            se = f" ± {r['standard_error']:.1f} se" if r["standard_error"] is not None else ""
            if r["expect"] == "positive":
                rule = f"planted > 0; {r['seeds_agreeing']}/{r['n']} seeds above 0"
            else:
                rule = "planted: no gain beyond 2 standard errors"
            verdict = (
                f"{'recovered' if r['recovered'] else 'NOT recovered'}: difference {r['mean']:+.1f}{se} points "
                f"over {r['n']} seed(s) ({rule})"
            )
        lines.append(f"  - {r['statement']}: {verdict}")
    return "\n".join(lines)


# Claims about the synthetic world with the verdict the planted truth implies: true and false numeric claims, one a
# binder cannot test here and one it cannot map. The demo binds them to its runs (`replication.bind`); a verdict
# other than the expected one is a fault of the harness or the binder.
DEMO_CLAIMS: tuple[tuple[str, str, str], ...] = (
    ("w1", "Intermediate training on syn-squad improves syn-qa.", "reproduced"),
    ("w2", "Intermediate training on syn-nli does not improve syn-qa.", "reproduced"),
    ("w3", "Intermediate training on syn-nli improves syn-qa.", "not reproduced"),
    ("w4", "Intermediate training on syn-squad improves syn-qa by 30 points.", "direction only"),
    ("w5", "Intermediate training on syn-squad lowers syn-qa by 5 points.", "not reproduced"),
    ("w6", "syn-qa has 150 training examples.", "reproduced"),
    ("w7", "syn-squad has 30,000 training examples.", "not reproduced"),
    (
        "w8",
        "Intermediate training on SQuAD improves XQuAD by 3.5 points for XLM-R Large.",
        "not testable here",
    ),
    ("w9", "Intermediate-task training improves zero-shot transfer.", "unmapped"),
)


def format_claims(rows: list[dict[str, Any]]) -> str:
    """The demo's claims with their verdicts against the runs, and whether each is the expected one."""
    ok = sum(r["verdict"] == r["expected"] for r in rows)
    lines = [
        f"Claims about the synthetic world against these runs ({ok}/{len(rows)} verdicts as the truth implies):"
    ]
    for r in rows:
        mark = "ok" if r["verdict"] == r["expected"] else f"WRONG, expected {r['expected']}"
        lines.append(f"  [{mark}] {r['verdict']}: {r['text']}")
        lines.append(f"      {r['reason']}")
    return "\n".join(lines)
