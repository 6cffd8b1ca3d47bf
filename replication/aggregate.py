"""Aggregate run-result files into deltas against the baseline: per task, per language, per language family, and
the benchmark average as the paper computes it. Every number comes from the result files (or rows derived from
them); nothing is typed in.

Input: the runner's result records (``result.json``, schema ``assay.run/1``, see `replication.runner`). Used fields:
``id``, ``plan``, ``base_model``, ``intermediate`` (setting name, ``"none"`` = baseline), ``intermediate_tasks``,
``data_fraction``, ``intermediate_language``, ``target``, ``seed``, ``metrics`` ({language: {metric: value}}).

Matching: a run's baseline is the run with ``intermediate == "none"``, the same base model, target task and seed.
For each seed that has both, delta = run - baseline; tables show mean ± sample std over seeds and n.

- task score: the mean over its languages of its metric (QA: mean of F1 and EM), over the languages both runs have;
- family score: the same restricted to the languages of one family; "all tasks" family rows average the per-task
  family deltas of each seed;
- benchmark average: `replication.metrics.benchmark_average` over the nine XTREME tasks (or, for non-XTREME
  targets such as the synthetic world's, over the targets present), per seed; missing tasks make it ``partial``.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from replication.errors import ReplicationError
from replication.metrics import benchmark_average

SCHEMA = "assay.run/1"
BASELINE = "none"
ALL_TASKS = "all tasks"


@dataclass
class Stat:
    """Mean, sample standard deviation (None for one value) and count of per-seed values."""

    mean: float
    std: float | None
    n: int
    values: list[float] = field(default_factory=list)

    @classmethod
    def of(cls, values: Iterable[float]) -> Stat | None:
        vals = [float(v) for v in values]
        if not vals:
            return None
        mean = sum(vals) / len(vals)
        std = math.sqrt(sum((v - mean) ** 2 for v in vals) / (len(vals) - 1)) if len(vals) > 1 else None
        return cls(mean, std, len(vals), vals)

    def text(self, signed: bool = False) -> str:
        s = f"{self.mean:+.2f}" if signed else f"{self.mean:.2f}"
        s += f" ± {self.std:.2f}" if self.std is not None else ""
        return f"{s} (n={self.n})"


# ---------------------------------------------------------------------------------------------------------------
# Reading results


def validate_result(record: Any, where: str = "result") -> dict:
    """Check the fields aggregation needs; a ReplicationError names the file and the field."""
    if not isinstance(record, dict):
        raise ReplicationError(f"{where}: a result must be a JSON object")
    if record.get("schema", SCHEMA) != SCHEMA:
        raise ReplicationError(f"{where}: unknown result schema {record.get('schema')!r} (expected {SCHEMA})")
    for key, kind in (("id", str), ("target", str), ("seed", int), ("metrics", dict), ("base_model", str)):
        if not isinstance(record.get(key), kind) or isinstance(record.get(key), bool):
            raise ReplicationError(f"{where}: field {key!r} is missing or not a {kind.__name__}")
    if not isinstance(record.get("intermediate", BASELINE), str):
        raise ReplicationError(f"{where}: field 'intermediate' must be a setting name ('none' = baseline)")
    for lang, m in record["metrics"].items():
        if not isinstance(m, dict):
            raise ReplicationError(f"{where}: metrics[{lang!r}] must be an object of metric -> value")
    return record


def load_results(path: str | Path) -> list[dict]:
    """Every result record under a runs folder (``*/result.json``, recursively) or in one JSON file."""
    root = Path(path)
    if root.is_file():
        files = [root]
    elif root.is_dir():
        files = sorted(root.rglob("result.json"))
    else:
        raise ReplicationError(f"no results at {root}: give a runs folder or a result.json file")
    out = []
    for f in files:
        try:
            record = json.loads(f.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise ReplicationError(f"{f}: unreadable result file ({exc})") from None
        out.append(validate_result(record, str(f)))
    return out


def run_row(
    record: Mapping[str, Any], result_path: str | Path | None = None
) -> tuple[str, str | None, str, str | None, str]:
    """(id, plan, status, result_path, data) for the store's ``runs`` table; data is a small JSON summary."""
    summary = {
        k: record.get(k)
        for k in (
            "base_model",
            "intermediate",
            "intermediate_tasks",
            "target",
            "seed",
            "data_fraction",
            "intermediate_language",
            "wall_time_s",
            "retrieval",
        )
    }
    return (
        record["id"],
        record.get("plan"),
        record.get("status", "done"),
        str(result_path) if result_path is not None else None,
        json.dumps(summary, sort_keys=True),
    )


def store_rows(record: Mapping[str, Any]) -> list[tuple[str, str, str, str, float]]:
    """(run_id, task, language, metric, value) rows for the store's ``results`` table: numeric metrics only."""
    rows = []
    for lang, metrics in record["metrics"].items():
        for metric, value in metrics.items():
            if isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value):
                rows.append((record["id"], record["target"], lang, metric, float(value)))
    return rows


# ---------------------------------------------------------------------------------------------------------------
# Aggregation


def setting_key(record: Mapping[str, Any]) -> tuple:
    return (
        record["base_model"],
        record.get("intermediate", BASELINE),
        record.get("data_fraction"),
        record.get("intermediate_language"),
    )


def _label(key: tuple, many_models: bool) -> str:
    base, name, frac, lang = key
    label = "baseline" if name == BASELINE else name
    extras = []
    if frac not in (None, 1.0):
        extras.append(f"frac={frac:g}")
    if lang not in (None, "en"):
        extras.append(f"lang={lang}")
    if many_models:
        extras.append(Path(base).name)
    return f"{label} ({', '.join(extras)})" if extras else label


def _recorded(record: Mapping[str, Any] | None) -> Mapping[str, Any]:
    info = record.get("task") if record else None
    return info if isinstance(info, Mapping) else {}


def _spec_info(
    task: str, record: Mapping[str, Any] | None = None
) -> tuple[tuple[str, ...] | None, tuple[str, ...] | None]:
    """(score metrics, languages) of a task: from the registry, else from the task block the runner wrote into the
    result record (a fresh process reading synthetic or test runs), else (None, None)."""
    from replication.tasks.registry import get_task

    try:
        spec = get_task(task)
        return spec.metrics, spec.languages
    except ReplicationError:
        pass
    info = _recorded(record)
    metrics, langs = info.get("metrics"), info.get("languages")
    return (tuple(metrics) if metrics else None), (tuple(langs) if langs else None)


def _score_metrics(task: str, metrics: Mapping[str, Mapping[str, Any]],
                   record: Mapping[str, Any] | None = None) -> tuple[str, ...]:  # fmt: skip
    known, _ = _spec_info(task, record)
    if known:
        return known
    for candidate in (("f1", "exact_match"), ("accuracy",), ("f1",)):
        if all(all(c in m for c in candidate) for m in metrics.values()):
            return candidate
    raise ReplicationError(
        f"task {task!r} is not registered, its result files do not describe it, and its results have no "
        "accuracy/f1 metric: register the task (or re-run with this version, which records it) to aggregate it"
    )


def _task_info(target: str, by_seed: Mapping[int, Mapping]) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(score metrics, languages) for the benchmark average of one target, whether registered or not."""
    first = next(iter(by_seed.values()))
    metrics = _score_metrics(target, first["metrics"], first)
    _, langs = _spec_info(target, first)
    if langs is None:
        langs = tuple(sorted({lang for r in by_seed.values() for lang in r["metrics"]}))
    return metrics, langs


def _lang_score(m: Mapping[str, Any], metrics: Sequence[str]) -> float | None:
    vals = [m.get(k) for k in metrics]
    if any(not isinstance(v, int | float) or isinstance(v, bool) for v in vals):
        return None
    return sum(vals) / len(vals)


def _seedless(target: str, base_by_seed: Mapping[int, Mapping]) -> bool:
    """A retrieval baseline has no training and so no seed: the runner writes it once, for every seed."""
    if len(base_by_seed) != 1:
        return False
    record = next(iter(base_by_seed.values()))
    if record.get("format") is not None:
        return record["format"] == "retrieval"
    from replication.tasks.formats import Format
    from replication.tasks.registry import get_task

    try:
        return get_task(target).format == Format.RETRIEVAL
    except ReplicationError:
        return False


def _canonical(task: str) -> str:
    from replication.tasks.registry import get_task

    try:
        return get_task(task).name
    except ReplicationError:
        return task


def _family(lang: str, record: Mapping[str, Any] | None = None) -> str:
    """The registry's family of a language, else the one recorded with the run, else "unknown"."""
    from replication.tasks.registry import family_of

    try:
        return family_of(lang)
    except ReplicationError:
        families = _recorded(record).get("families")
        fam = families.get(lang) if isinstance(families, Mapping) else None
        return fam if isinstance(fam, str) and fam else "unknown"


def aggregate(results: Sequence[Mapping[str, Any]], *, plan: str | None = None) -> dict:
    """Deltas of every non-baseline setting against the baseline (see module docstring). JSON-able dict."""
    from replication.tasks.registry import XTREME_TASKS

    records = [r for r in results if plan is None or r.get("plan") == plan]
    if not records:
        raise ReplicationError("no results to aggregate" + (f" for plan {plan!r}" if plan else ""))
    # (setting, target, seed) -> record; duplicates of one cell with different run ids are ambiguous
    cells: dict[tuple, dict[str, dict[int, Mapping]]] = {}
    for r in records:
        by_seed = cells.setdefault(setting_key(r), {}).setdefault(_canonical(r["target"]), {})
        other = by_seed.get(r["seed"])
        if other is not None and other["id"] != r["id"]:
            raise ReplicationError(
                f"two different runs for {r['target']} seed {r['seed']} in setting {setting_key(r)[1]!r} "
                f"({other['id']}, {r['id']}); aggregate one plan at a time (plan=...)"
            )
        by_seed[r["seed"]] = r
    targets = sorted({_canonical(r["target"]) for r in records})
    xtreme = set(targets) <= set(XTREME_TASKS)
    bench_tasks = list(XTREME_TASKS) if xtreme else targets
    many_models = len({k[0] for k in cells}) > 1

    def baseline_cells(model: str) -> dict[str, dict[int, Mapping]]:
        return cells.get((model, BASELINE, None, None), {})

    settings_out = []
    for key in sorted(cells, key=lambda k: (k[0], k[1] != BASELINE, k[1], str(k[2]), str(k[3]))):
        base = baseline_cells(key[0])
        is_base = key[1] == BASELINE
        tasks_out: dict[str, Any] = {}
        per_seed_family: dict[str, dict[int, list[float]]] = {}
        for target, by_seed in sorted(cells[key].items()):
            tasks_out[target] = _task_block(
                target, by_seed, None if is_base else base.get(target, {}), per_seed_family
            )
        families = {
            fam: {"delta": asdict(Stat.of(sum(v) / len(v) for v in seeds.values()))}
            for fam, seeds in sorted(per_seed_family.items())
        }
        settings_out.append({
            "key": {"base_model": key[0], "intermediate": key[1], "data_fraction": key[2],
                    "intermediate_language": key[3]},
            "label": _label(key, many_models),
            "baseline": is_base,
            "intermediate_tasks": sorted({t for by in cells[key].values() for r in by.values()
                                          for t in r.get("intermediate_tasks", [])}),
            "tasks": tasks_out,
            "families": families,
            "average": _average_block(cells[key], None if is_base else base, bench_tasks),
        })  # fmt: skip
    return {
        "benchmark": {"kind": "xtreme" if xtreme else "targets", "tasks": bench_tasks},
        "n_results": len(records),
        "settings": settings_out,
    }


def _task_block(
    target: str,
    by_seed: Mapping[int, Mapping],
    base_by_seed: Mapping[int, Mapping] | None,
    per_seed_family: dict[str, dict[int, list[float]]],
) -> dict:
    """One target's scores, and (against ``base_by_seed``) its deltas per seed, language and family over the
    languages both runs scored; each seed's family deltas are also added to ``per_seed_family``."""
    first = next(iter(by_seed.values()))
    metrics = _score_metrics(target, first["metrics"], first)
    _, spec_langs = _spec_info(target, first)
    scores, base_scores, deltas = [], [], []
    lang_vals: dict[str, dict[str, list[float]]] = {}
    fam_deltas: dict[str, dict[int, float]] = {}
    unmatched = []
    missing_langs: set[str] = set()
    for seed, rec in sorted(by_seed.items()):
        mine = {
            lang: s
            for lang, m in rec["metrics"].items()
            if (s := _lang_score(m, metrics)) is not None and (spec_langs is None or lang in spec_langs)
        }
        if spec_langs is not None:
            missing_langs |= set(spec_langs) - set(mine)
        if mine:
            scores.append(sum(mine.values()) / len(mine))
        for lang, s in mine.items():
            lang_vals.setdefault(lang, {}).setdefault("score", []).append(s)
        if base_by_seed is None:
            continue
        theirs = _baseline_scores(target, seed, base_by_seed, metrics)
        common = sorted(set(mine) & set(theirs))
        if not common:
            unmatched.append(seed)
            continue
        base_scores.append(sum(theirs[lang] for lang in common) / len(common))
        deltas.append(sum(mine[lang] - theirs[lang] for lang in common) / len(common))
        for lang in common:
            lang_vals[lang].setdefault("baseline", []).append(theirs[lang])
            lang_vals[lang].setdefault("delta", []).append(mine[lang] - theirs[lang])
        for fam, d in _family_deltas(rec, mine, theirs, common).items():
            fam_deltas.setdefault(fam, {})[seed] = d
            per_seed_family.setdefault(fam, {}).setdefault(seed, []).append(d)
    return {
        "metrics": list(metrics),
        "score": _stat(scores),
        "baseline": _stat(base_scores),
        "delta": _stat(deltas),
        "seeds": sorted(by_seed),
        "unmatched_seeds": unmatched,
        "missing_languages": sorted(missing_langs),
        "languages": {lang: {k: _stat(v) for k, v in d.items()} for lang, d in sorted(lang_vals.items())},
        "families": {fam: {"delta": _stat(list(v.values()))} for fam, v in sorted(fam_deltas.items())},
    }


def _baseline_scores(
    target: str, seed: int, base_by_seed: Mapping[int, Mapping], metrics: Sequence[str]
) -> dict[str, float]:
    """The baseline's score per language for ``seed`` (its only run when the target's baseline is seedless); empty
    when there is no baseline run to compare with."""
    base = base_by_seed.get(seed)
    if base is None and _seedless(target, base_by_seed):
        base = next(iter(base_by_seed.values()))
    if base is None:
        return {}
    return {lang: s for lang, m in base["metrics"].items() if (s := _lang_score(m, metrics)) is not None}


def _family_deltas(
    rec: Mapping, mine: Mapping[str, float], theirs: Mapping[str, float], common: Sequence[str]
) -> dict[str, float]:
    """One seed's mean delta per language family over the languages both runs scored."""
    by_fam: dict[str, list[float]] = {}
    for lang in common:
        by_fam.setdefault(_family(lang, rec), []).append(mine[lang] - theirs[lang])
    return {fam: sum(vals) / len(vals) for fam, vals in by_fam.items()}


def _stat(vals: list[float] | None) -> dict | None:
    s = Stat.of(vals or [])
    return asdict(s) if s else None


def _average_block(
    mine: Mapping[str, Mapping[int, Mapping]],
    base: Mapping[str, Mapping[int, Mapping]] | None,
    bench_tasks: Sequence[str],
) -> dict:
    """Benchmark average per seed over the same task set for every seed (and the baseline): the tasks present
    for all of them. Any benchmark task outside that set makes the block ``partial`` and is listed."""
    seeds = sorted({s for by in mine.values() for s in by})

    def at(side: Mapping[str, Mapping[int, Mapping]], t: str, seed: int) -> Mapping | None:
        by = side.get(t, {})
        if seed in by:
            return by[seed]
        only = next(iter(by.values()), None)
        if only is not None and only.get("intermediate", BASELINE) == BASELINE and _seedless(t, by):
            return only  # a retrieval baseline has no training: one run serves every seed
        return None

    sides = [mine] if base is None else [mine, base]
    common = [
        t for t in bench_tasks if all(at(side, t, seed) is not None for side in sides for seed in seeds)
    ]
    # targets are stored under the names the runs used; benchmark tasks are canonical names
    missing = sorted(set(bench_tasks) - set(common))
    info = {t: _task_info(t, mine[t]) for t in common}
    out: dict[str, Any] = {
        "score": None,
        "baseline": None,
        "delta": None,
        "partial": bool(missing),
        "missing_tasks": missing,
        "n_tasks": len(common),
    }
    if not common or not seeds:
        return out
    values, base_values = [], []
    for seed in seeds:
        a = benchmark_average(
            {t: at(mine, t, seed)["metrics"] for t in common},
            tasks=common,
            allow_partial=True,
            task_info=info,
        )
        values.append(a["average"])
        out["partial"] |= a["partial"]
        if base is not None:
            b = benchmark_average(
                {t: at(base, t, seed)["metrics"] for t in common},
                tasks=common,
                allow_partial=True,
                task_info=info,
            )
            base_values.append(b["average"])
            out["partial"] |= b["partial"]
    out["score"] = asdict(Stat.of(values))
    if base is not None:
        out["baseline"] = asdict(Stat.of(base_values))
        out["delta"] = asdict(Stat.of(a - b for a, b in zip(values, base_values, strict=True)))
    return out


# ---------------------------------------------------------------------------------------------------------------
# Tables


def _cell(stat: Mapping | None, signed: bool) -> str:
    if not stat:
        return "-"
    s = Stat(stat["mean"], stat["std"], stat["n"])
    return s.text(signed)


def _table(title: str, header: list[str], rows: list[list[str]]) -> str:
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]

    def line(r: list) -> str:
        return "  ".join(
            str(c).ljust(w) if i == 0 else str(c).rjust(w)
            for i, (c, w) in enumerate(zip(r, widths, strict=True))
        )

    out = [title, line(header), "  ".join("-" * w for w in widths)]
    out.extend(line(r) for r in rows)
    return "\n".join(out)


def table_data(agg: Mapping[str, Any]) -> list[tuple[str, list[str], list[list[str]]]]:
    """(title, header, rows) of every table: per task (+ average), per language of each task, per family."""
    settings = agg["settings"]
    tasks = sorted({t for s in settings for t in s["tasks"]})
    avg_name = "XTREME avg" if agg["benchmark"]["kind"] == "xtreme" else "avg"
    tables = []
    header = ["setting", *tasks, avg_name]
    rows = []
    for s in settings:
        signed = not s["baseline"]
        key = "score" if s["baseline"] else "delta"
        row = [s["label"] + (" (absolute)" if s["baseline"] else "")]
        row += [_cell(s["tasks"].get(t, {}).get(key), signed) for t in tasks]
        a = s["average"]
        n_bench = len(agg["benchmark"]["tasks"])
        note = f" partial {a['n_tasks']}/{n_bench}" if a["partial"] and a.get(key) else ""
        row.append(_cell(a.get(key), signed) + note)
        rows.append(row)
    tables.append(
        (
            "Per task: baseline absolute, other settings delta vs baseline (mean ± std over seeds)",
            header,
            rows,
        )
    )
    others = [s for s in settings if not s["baseline"]]
    for t in tasks:
        langs = sorted({lang for s in settings for lang in s["tasks"].get(t, {}).get("languages", {})})
        base = next((s for s in settings if s["baseline"] and t in s["tasks"]), None)
        hdr = ["language", "baseline", *[s["label"] for s in others]]
        rws = []
        for lang in langs:
            b = base["tasks"][t]["languages"].get(lang, {}).get("score") if base else None
            rws.append(
                [
                    lang,
                    _cell(b, False),
                    *[
                        _cell(s["tasks"].get(t, {}).get("languages", {}).get(lang, {}).get("delta"), True)
                        for s in others
                    ],
                ]
            )
        tables.append((f"{t}: per language (delta vs baseline)", hdr, rws))
    fams = sorted({f for s in others for f in s["families"]})
    if others and fams:
        hdr = ["family", *[s["label"] for s in others]]
        rws = [[f, *[_cell(s["families"].get(f, {}).get("delta"), True) for s in others]] for f in fams]
        tables.append((f"Per language family, {ALL_TASKS} (delta vs baseline)", hdr, rws))
    return tables


def format_tables(agg: Mapping[str, Any]) -> str:
    """Plain-text tables (monospace), for terminals without rich and for files."""
    return "\n\n".join(_table(*t) for t in table_data(agg)) + "\n"


def rich_tables(agg: Mapping[str, Any]) -> list[Any]:
    """The same tables as rich.table.Table objects for the CLI."""
    from rich.table import Table

    out = []
    for title, header, rows in table_data(agg):
        table = Table(title=title)
        for i, h in enumerate(header):
            table.add_column(h, justify="left" if i == 0 else "right")
        for r in rows:
            table.add_row(*r)
        out.append(table)
    return out
