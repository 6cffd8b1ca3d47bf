"""Bind claims to run results: each numeric claim about the experiments becomes a query, measured over the runs.

A claim is plain text; the runs are plain result records (``replication.aggregate.load_results``). The binder maps
the text to a `Query` (intermediate task(s), target task or the benchmark average, metric, absolute score or delta
against the baseline, languages or family, model) from the names the runs and the task registry know, measures it
per fine-tuning seed and gives a verdict:

- ``reproduced``: the measured mean is within the tolerance of the claimed value; the tolerance is twice the
  standard deviation between seeds (at least the claim's rounding), shown with n; a claim of direction only
  ("improves", "does not improve") holds when the mean is beyond (or within) two standard errors of zero;
- ``direction only``: a delta of the same sign beyond the tolerance, but a different size;
- ``not reproduced``: another sign, a value outside the tolerance, or no effect beyond the seed spread;
- ``not testable here``: the query is clear but nothing here measures it (no run yet, another model, another data
  version, data not present), with the reason;
- ``unmapped``: the text does not say what to measure (no task, several numbers, no measured quantity); nothing is
  guessed.

Dataset-statistic claims ("QQP has 363,846 training examples") are checked by a ``count`` function the caller
passes (it counts loaded data, or returns None where the data is not present).
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

REPRODUCED, DIRECTION_ONLY, NOT_REPRODUCED = "reproduced", "direction only", "not reproduced"
NOT_TESTABLE, UNMAPPED = "not testable here", "unmapped"
VERDICTS = (REPRODUCED, DIRECTION_ONLY, NOT_REPRODUCED, NOT_TESTABLE, UNMAPPED)
AVERAGE = "average"  # the benchmark average: unweighted mean of the target tasks' scores
BEST = "best"  # the best intermediate task per target (highest mean score)

Count = Callable[[str, str], int | None]  # (task, split) -> number of loaded examples, None if not present

_NUMBER = re.compile(
    r"(?<![\w.^-])[-+−]?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?(?:\s*(?:million|billion|k)\b)?%?"
)
_AVERAGE = re.compile(
    r"\b(?:on average|average (?:score|improvement|gain|of)|averaged?\b.*\btasks|across "
    r"(?:all )?(?:the )?target tasks|benchmark average|xtreme benchmark|over all targets)\b",
    re.I,
)
_DELTA = re.compile(
    r"\b(improv\w*|gains?|boosts?|increases?|raises?|helps?|benefits?|better|higher|outperform\w*"
    r"|decreases?|drops?|hurts?|lowers?|worse|degrad\w*|delta|over (?:the )?baseline)\b",
    re.I,
)
_NEGATIVE = re.compile(r"\b(decreases?|drops?|hurts?|lowers?|worse|degrad\w*)\b", re.I)
_NEGATION = re.compile(r"\b(?:not|no|never|nor|fails? to|does ?n[o']t|do ?n[o']t)\b", re.I)
_ABSOLUTE = re.compile(r"\b(scores?|accuracy|f1|exact match|attains?|achieves?|reach(?:es)?)\b", re.I)
_COUNT = re.compile(
    r"\b(?:training|train|dev(?:elopment)?|test) (?:examples|items|questions|sentences|pairs)\b", re.I
)
_DEV = re.compile(r"\bdev(?:elopment)?(?: sets?| data| splits?)\b", re.I)
_INTERMEDIATE = re.compile(r"\bintermediate\b", re.I)
_MODELS = {  # claim wording -> a string the runs' base_model must contain
    r"xlm-?r(?:oberta)?[ -]large": "xlm-roberta-large",
    r"xlm-?r(?:oberta)?[ -]base": "xlm-roberta-base",
}


@dataclass(frozen=True)
class Query:
    """What a claim asks of the runs, as plain data."""

    kind: str  # "score" (absolute), "delta" (vs baseline), "direction" (sign of a delta) or "count"
    claimed: float | None  # None for a direction claim
    intermediate: tuple[str, ...] = ()  # () for the baseline; (BEST,) for the best per target
    targets: tuple[str, ...] = ()  # (AVERAGE,) for the benchmark average
    metric: str | None = None  # None: the task's own score (QA: mean of F1 and exact match)
    family: str | None = None  # a language family label of the runs; None: every language of the task
    model: str | None = None  # a string the base model must contain; None: whatever the runs use (if one)
    split: str = "test"  # "test" for scores; the counted split for counts
    sign: int = 0  # direction claims: +1 improves, -1 does not improve / hurts
    decimals: int = 0

    def words(self) -> str:
        """The query in words, shown beside its verdict."""
        if self.kind == "count":
            return f"count the {self.split} examples of {self.targets[0]}"
        what = "the benchmark average" if self.targets == (AVERAGE,) else " and ".join(self.targets)
        inter = ("the best intermediate task per target" if self.intermediate == (BEST,)
                 else "+".join(self.intermediate) or "no intermediate task")  # fmt: skip
        langs = f"languages of family {self.family}" if self.family else "all languages of the task"
        metric = self.metric or "task score"
        model = f", model {self.model}" if self.model else ""
        if self.kind == "score":
            return f"{metric} of {what} after {inter}, mean over {langs}{model}, {self.split} set"
        verb = {1: "improves", -1: "does not improve", 0: "changes"}[self.sign]
        head = (
            f"{inter} {verb} {what}"
            if self.kind == "direction"
            else f"delta of {inter} vs baseline on {what}"
        )
        return f"{head} ({metric}, mean over {langs}{model}, {self.split} set)"


@dataclass
class Binding:
    id: str
    text: str
    verdict: str
    reason: str
    query: Query | None = None
    measured: dict[str, Any] | None = None  # mean, sd, n, per_seed, tolerance
    runs: list[dict[str, Any]] = field(
        default_factory=list
    )  # id, model, seed, hardware of the runs behind it

    @property
    def query_words(self) -> str:
        return self.query.words() if self.query else ""

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["query_words"] = self.query_words
        return d


# ---------------------------------------------------------------------------------------------------------------
# Vocabulary: the task, family and model names a claim may use


@dataclass
class Vocabulary:
    """Names the binder recognises, from the task registry and the run records."""

    tasks: dict[str, str]  # lower-cased alias -> canonical task name
    intermediates: set[str]
    targets: set[str]
    families: dict[str, str]  # lower-cased alias -> family label

    @classmethod
    def build(cls, records: Sequence[Mapping[str, Any]], registry: Iterable[Any] = ()) -> Vocabulary:
        tasks: dict[str, str] = {}
        inter: set[str] = set()
        targ: set[str] = set()
        for spec in registry:  # replication.tasks.registry.TaskSpec
            for alias in (spec.name, *spec.aliases):
                tasks.setdefault(alias.lower(), spec.name)
            (inter if spec.role == "intermediate" else targ if spec.role == "target" else set()).add(
                spec.name
            )
        for r in records:
            for t in r.get("intermediate_tasks") or []:
                tasks.setdefault(t.lower(), t)
                inter.add(t)
            tasks.setdefault(r["target"].lower(), r["target"])
            targ.add(r["target"])
        fams: dict[str, str] = {}
        for r in records:
            for label in ((r.get("task") or {}).get("families") or {}).values():
                head = label.split(" (")[0]
                fams.setdefault(label.lower(), label)
                fams.setdefault(f"family {head}".lower(), label)
                fams.setdefault(f"{head} family".lower(), label)
                if "(" in label:
                    inside = label.split("(", 1)[1].rstrip(")")
                    for form in (inside, inside.replace(" ", "-")):
                        fams.setdefault(f"{form} family".lower(), label)
                        fams.setdefault(f"{form} languages".lower(), label)
        return cls(tasks, inter, targ, fams)

    def find_tasks(self, text: str) -> tuple[list[str], str]:
        """Canonical names of the tasks the text mentions, in order, and the text with those mentions blanked."""
        found: list[tuple[int, str]] = []
        spans: list[tuple[int, int]] = []
        for alias in sorted(self.tasks, key=len, reverse=True):
            pattern = rf"(?<![\w-]){re.escape(alias)}(?![\w-])"
            for m in re.finditer(pattern, text, re.I):
                if any(a < m.end() and m.start() < b for a, b in spans):
                    continue
                spans.append((m.start(), m.end()))
                found.append((m.start(), self.tasks[alias]))
        blanked = list(text)
        for a, b in spans:
            blanked[a:b] = " " * (b - a)
        names = list(dict.fromkeys(n for _, n in sorted(found)))
        return names, "".join(blanked)

    def find_family(self, text: str) -> str | None:
        low = text.lower()
        hits = {
            label
            for alias, label in self.families.items()
            if re.search(rf"(?<![\w-]){re.escape(alias)}\b", low)
        }
        return hits.pop() if len(hits) == 1 else None


# ---------------------------------------------------------------------------------------------------------------
# Text -> query


def _number(token: str) -> tuple[float, int]:
    t = token.replace("−", "-").replace(",", "").rstrip("%").strip()
    scale = 1.0
    for word, mult in (("million", 1e6), ("billion", 1e9), ("k", 1e3)):
        if t.endswith(word):
            t, scale = t[: -len(word)].strip(), mult
    decimals = len(t.split(".")[1]) if "." in t else 0
    return float(t) * scale, decimals


def parse_claim(text: str, vocab: Vocabulary) -> Query | str:
    """The query a claim asks, or the reason it cannot be mapped (a string)."""
    tasks, rest = vocab.find_tasks(text)
    for pattern in _MODELS:
        rest = re.sub(pattern, " ", rest, flags=re.I)
    numbers = [m.group(0) for m in _NUMBER.finditer(rest)]
    if _COUNT.search(text):
        return _count_query(text, tasks, numbers)
    inter = [t for t in tasks if t in vocab.intermediates and t not in vocab.targets]
    targ = [t for t in tasks if t in vocab.targets]
    if re.search(
        r"\bbest(?:[- ]performing)? (?:intermediate[- ]task )?models?\b|\bbest intermediate", text, re.I
    ):
        inter = [BEST]
    if _AVERAGE.search(text) and not targ:
        targ = [AVERAGE]
    scope = {  # what the claim restricts its measurement to
        "metric": next((name for word, name in (("exact match", "exact_match"), ("f1", "f1"),
                                                ("accuracy", "accuracy"))
                        if re.search(rf"\b{word}\b", text, re.I)), None),
        "family": vocab.find_family(text),
        "model": next((m for p, m in _MODELS.items() if re.search(p, text, re.I)), None),
        "split": "dev" if _DEV.search(text) else "test",
    }  # fmt: skip
    delta = bool(_DELTA.search(rest))
    if not numbers:
        return _direction_query(text, delta, inter, targ, scope)
    return _value_query(text, rest, numbers, delta, inter, targ, scope)


def _count_query(text: str, tasks: list[str], numbers: list[str]) -> Query | str:
    """A dataset statistic: one task, one number, and the split counted."""
    if len(tasks) != 1 or len(numbers) != 1:
        return "a dataset statistic, but not one task and one number"
    value, _ = _number(numbers[0])
    split = next(s for s, w in (("dev", "dev"), ("test", "test"), ("train", "train")) if re.search(
        rf"\b{w}\w*\s+(?:examples|items|questions|sentences|pairs)", text, re.I))  # fmt: skip
    return Query("count", value, targets=(tasks[0],), split=split)


def _direction_query(text: str, delta: bool, inter: list[str], targ: list[str], scope: dict) -> Query | str:
    """A claim without a number: that an intermediate task helps (or does not help) a target."""
    if not delta:
        return "no number and no direction to measure"
    if not inter:
        return "names no intermediate task (which one to measure is not said)"
    if not targ:
        return "names no target task or benchmark average"
    negated = bool(_NEGATION.search(text)) != bool(_NEGATIVE.search(text))
    return Query("direction", None, tuple(inter), tuple(targ), **scope, sign=-1 if negated else 1)


def _value_query(
    text: str, rest: str, numbers: list[str], delta: bool, inter: list[str], targ: list[str], scope: dict
) -> Query | str:
    """A claim with one number on one target: a delta against the baseline or an absolute score."""
    if len(numbers) > 1:
        return f"several numbers ({', '.join(numbers)}): which one is measured is not clear"
    if numbers[0].endswith(("million", "billion", "k")) or not (delta or _ABSOLUTE.search(text)):
        return "a number but no measured quantity (score, improvement, examples)"
    value, decimals = _number(numbers[0])
    if not targ:
        return "names no target task or benchmark average"
    if len(targ) > 1:
        return f"several targets ({', '.join(targ)}) for one number"
    if delta:
        if not inter:
            return "names no intermediate task (which one to measure is not said)"
        if _NEGATIVE.search(rest):
            value = -abs(value)
        return Query("delta", value, tuple(inter), tuple(targ), **scope, decimals=decimals)
    if _ABSOLUTE.search(text):
        return Query("score", value, tuple(inter), tuple(targ), **scope, decimals=decimals)
    return "a number but no measured quantity (score, improvement, examples)"


# ---------------------------------------------------------------------------------------------------------------
# Query -> measurement


def _lang_score(m: Mapping[str, Any], names: Sequence[str]) -> float | None:
    vals = [m.get(k) for k in names]
    if not vals or any(not isinstance(v, int | float) or isinstance(v, bool) for v in vals):
        return None
    return sum(vals) / len(vals)


def _task_score(record: Mapping[str, Any], q: Query) -> float | None:
    """Mean over the query's languages of the record's score for the query's metric (0-100)."""
    metrics = [q.metric] if q.metric else list((record.get("task") or {}).get("metrics") or [])
    fams = (record.get("task") or {}).get("families") or {}
    vals = []
    for lang, m in record["metrics"].items():
        if q.family and fams.get(lang) != q.family:
            continue
        v = _lang_score(m, metrics)
        if v is not None:
            vals.append(v)
    return sum(vals) / len(vals) if vals else None


def _by_seed(records: Sequence[Mapping[str, Any]], q: Query) -> dict[int, float]:
    """seed -> score of one setting on one target; a run without seed (retrieval baseline) counts for every seed."""
    return {r["seed"]: s for r in records if (s := _task_score(r, q)) is not None}


def _stats(per_seed: Mapping[int, float]) -> dict[str, Any]:
    vals = list(per_seed.values())
    n = len(vals)
    mean = sum(vals) / n
    sd = math.sqrt(sum((v - mean) ** 2 for v in vals) / (n - 1)) if n > 1 else None
    return {"mean": mean, "sd": sd, "n": n, "per_seed": {str(k): v for k, v in sorted(per_seed.items())}}


def _combine(cells: list[dict[int, float]]) -> dict[int, float]:
    """Mean over cells per seed; a one-seed cell (seedless) counts at every seed; only seeds all cells have."""
    multi = [set(c) for c in cells if len(c) > 1]
    seeds = set.intersection(*multi) if multi else set(cells[0]) if cells else set()
    out = {}
    for s in seeds:
        vals = [c.get(s, next(iter(c.values())) if len(c) == 1 else None) for c in cells]
        if all(v is not None for v in vals):
            out[s] = sum(vals) / len(vals)  # type: ignore[arg-type]
    return out


def _difference(a: dict[int, float], b: dict[int, float]) -> dict[int, float]:
    """Per-seed a - b; a one-seed side (a seedless run) pairs with every seed of the other."""
    if len(a) == 1 and len(b) != 1:
        a = dict.fromkeys(b, next(iter(a.values())))
    elif len(b) == 1 and len(a) != 1:
        b = dict.fromkeys(a, next(iter(b.values())))
    return {s: a[s] - b[s] for s in sorted(set(a) & set(b))}


class _Unmeasured(Exception):
    """Why a query cannot be measured on the records (the message is the reason shown)."""


def measure(q: Query, records: Sequence[Mapping[str, Any]]) -> tuple[dict[int, float], list[Mapping], str]:
    """Per-seed values of the query over the records, the records used, and why it is empty when it is."""
    try:
        base, treated = _select_runs(q, records)
        cells, used = [], []
        for t in _query_targets(q, base, treated):
            v, rs = _measure_target(q, t, base, treated)
            cells.append(v)
            used += rs
    except _Unmeasured as why:
        return {}, [], str(why)
    return _combine(cells), used, ""


def _select_runs(q: Query, records: Sequence[Mapping[str, Any]]) -> tuple[list[Mapping], list[Mapping]]:
    """The baseline runs and the treated runs (with the query's intermediate task, or any) of the one model the
    query fits."""
    if not records:
        raise _Unmeasured("no run yet (the runs folder has no finished run)")
    pool = [r for r in records if q.model is None or q.model in str(r["base_model"]).lower()]
    if q.model and not pool:
        models = sorted({Path(str(r["base_model"])).name for r in records})
        raise _Unmeasured(
            f"other model: the claim is about {q.model}, the runs use {', '.join(models) or 'none'}"
        )
    if q.split != "test":
        raise _Unmeasured(f"the claim is about {q.split} sets; the runs' scores are on test sets")
    inter_needed = q.intermediate if q.intermediate not in ((), (BEST,)) else None
    if inter_needed:
        pool = [r for r in pool if r["intermediate"] == "+".join(q.intermediate)
                or tuple(r.get("intermediate_tasks") or ()) == tuple(q.intermediate)]  # fmt: skip
        if not pool:
            raise _Unmeasured(f"no run yet with intermediate task {'+'.join(q.intermediate)}")
    models = sorted({str(r["base_model"]) for r in pool})
    if len(models) > 1:
        raise _Unmeasured(f"runs of several models fit ({', '.join(models)}); the claim names none")
    model_runs = [r for r in records if models and r["base_model"] == models[0]]
    base = [r for r in model_runs if r["intermediate"] == "none"]
    treated = pool if inter_needed else [r for r in model_runs if r["intermediate"] != "none"]
    return base, treated


def _query_targets(q: Query, base: list[Mapping], treated: list[Mapping]) -> list[str]:
    """The targets the query names (each must have runs), or for an average every target with runs."""
    targets = sorted({r["target"] for r in (base if q.kind == "score" and not q.intermediate else treated)})
    if q.targets != (AVERAGE,):
        missing = [t for t in q.targets if t not in targets]
        if missing:
            raise _Unmeasured(f"no run yet on {', '.join(missing)} with this setting")
        targets = list(q.targets)
    if not targets:
        raise _Unmeasured("no run yet for this setting")
    return targets


def _measure_target(
    q: Query, t: str, base: list[Mapping], treated: list[Mapping]
) -> tuple[dict[int, float], list[Mapping]]:
    """Per-seed values of the query on target ``t`` (against the baseline for a delta or direction), and the
    records used."""
    b = _by_seed([r for r in base if r["target"] == t], q)
    if q.intermediate == (BEST,):
        rs, v = _best_intermediate(q, t, treated)
    elif q.intermediate:
        rs = [r for r in treated if r["target"] == t]
        v = _by_seed(rs, q)
    else:
        rs, v = [r for r in base if r["target"] == t], b
    if q.kind in ("delta", "direction"):
        if not b:
            raise _Unmeasured(f"no baseline run on {t}")
        v = _difference(v, b)
        rs = rs + [r for r in base if r["target"] == t]
    if not v:
        raise _Unmeasured(f"no scores on {t} for these languages")
    return v, rs


def _best_intermediate(q: Query, t: str, treated: list[Mapping]) -> tuple[list[Mapping], dict[int, float]]:
    """The runs and per-seed values of the intermediate setting with the highest mean on ``t``."""
    options = {}
    for name in sorted({r["intermediate"] for r in treated if r["target"] == t}):
        v = _by_seed([r for r in treated if r["target"] == t and r["intermediate"] == name], q)
        if v:
            options[name] = v
    if not options:
        raise _Unmeasured(f"no intermediate-task run on {t}")
    name = max(options, key=lambda k: sum(options[k].values()) / len(options[k]))
    return [r for r in treated if r["target"] == t and r["intermediate"] == name], options[name]


def judge(q: Query, per_seed: Mapping[int, float]) -> tuple[str, str, dict[str, Any]]:
    """Verdict, reason and measurement summary for a score, delta or direction query."""
    st = _stats(per_seed)
    rounding = 0.5 * 10 ** (-q.decimals)
    tol = max(2 * st["sd"], rounding) if st["sd"] is not None else rounding
    st["tolerance"] = tol
    spread = f"± {st['sd']:.2f} sd" if st["sd"] is not None else "spread unknown"
    got = f"measured {st['mean']:+.2f} ({spread}, n={st['n']} seed(s); tolerance ±{tol:.2f})"
    if q.kind == "direction":  # is there an effect: the mean against two standard errors of the mean
        se2 = 2 * st["sd"] / math.sqrt(st["n"]) if st["sd"] is not None else rounding
        st["tolerance"] = se2
        got = (
            f"measured {st['mean']:+.2f} ({spread}, n={st['n']} seed(s); no effect within ±{se2:.2f}, 2 s.e.)"
        )
        if abs(st["mean"]) <= se2:
            ok = q.sign < 0
            return (REPRODUCED if ok else NOT_REPRODUCED), f"{got}: no effect beyond the seed spread", st
        same = (st["mean"] > 0) == (q.sign > 0)
        return (REPRODUCED if same else NOT_REPRODUCED), f"{got}: {'as' if same else 'against'} the claim", st
    claimed = q.claimed or 0.0
    opposite = q.kind == "delta" and abs(st["mean"]) > rounding and (st["mean"] > 0) != (claimed > 0)
    if abs(st["mean"] - claimed) <= tol and not opposite:
        return REPRODUCED, f"claimed {claimed:g}, {got}", st
    if opposite:
        return NOT_REPRODUCED, f"claimed {claimed:+g}, {got}: the opposite sign", st
    if q.kind == "delta" and abs(st["mean"]) > tol and (st["mean"] > 0) == (claimed > 0):
        return DIRECTION_ONLY, f"claimed {claimed:+g}, {got}: same sign, different size", st
    return NOT_REPRODUCED, f"claimed {claimed:g}, {got}", st


def _run_info(records: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    seen, out = set(), []
    for r in records:
        if r["id"] in seen:
            continue
        seen.add(r["id"])
        hw = r.get("hardware") or {}
        out.append({"id": r["id"], "model": r["base_model"], "intermediate": r["intermediate"], "target": r["target"],
                    "seed": r["seed"], "hardware": hw.get("device") or hw.get("cpu") or hw.get("platform")})  # fmt: skip
    return out


def bind(
    claims: Sequence[Mapping[str, Any]],
    records: Sequence[Mapping[str, Any]],
    *,
    registry: Iterable[Any] = (),
    count: Count | None = None,
) -> list[Binding]:
    """One `Binding` per claim (``{"id", "text"}``), in order."""
    vocab = Vocabulary.build(records, registry)
    out = []
    for i, c in enumerate(claims):
        cid, text = str(c.get("id") or i + 1), str(c["text"])
        q = parse_claim(text, vocab)
        if isinstance(q, str):
            out.append(Binding(cid, text, UNMAPPED, q))
            continue
        if q.kind == "count":
            n = count(q.targets[0], q.split) if count else None
            if n is None:
                out.append(
                    Binding(
                        cid, text, NOT_TESTABLE, f"the {q.targets[0]} data is not present here to count", q
                    )
                )
                continue
            ok = n == q.claimed
            reason = f"claimed {q.claimed:,.0f}, counted {n:,} loaded {q.split} examples"
            out.append(
                Binding(cid, text, REPRODUCED if ok else NOT_REPRODUCED, reason, q, {"mean": n, "n": 1})
            )
            continue
        per_seed, used, why = measure(q, records)
        if not per_seed:
            out.append(Binding(cid, text, NOT_TESTABLE, why or "no run covers it", q))
            continue
        verdict, reason, st = judge(q, per_seed)
        out.append(Binding(cid, text, verdict, reason, q, st, _run_info(used)))
    return out
