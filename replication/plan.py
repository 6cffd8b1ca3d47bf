"""Experiment plans: a YAML grid, validated into dataclasses and expanded into runs named by their lineage.

A plan file looks like this (every field except ``name``, ``targets`` has a default)::

    name: paper_v1
    source: "arXiv 2005.13013v1, Appendix A (p. 11)"     # free text, kept with every result
    base_model: xlm-roberta-large          # hub name or local path; a list makes it a grid axis
    seeds: [1, 2, 3]
    data_fraction: 1.0                     # share of intermediate training data; a list is a grid axis
    intermediate_language: en              # language of intermediate data ("en", "mt", a code); list = axis
    data:                                  # where the loaders read from (all optional)
      dir: null                            # local data root in the original formats (relative to the plan file)
      version: null                        # enters the lineage hash: bump it when local data changes
      revisions: {xnli: <commit>}          # hub revisions to pin per task (enter the lineage hash)
    intermediate:                          # each entry is one intermediate setting (an axis)
      - none                               # the baseline: no intermediate phase
      - anli_plus                          # one task
      - {name: multi, tasks: [anli_plus, qqp], size_cap: 131072,
         mlm: {corpus: wiki_mlm, alpha: 0.3}, hyperparameters: {max_steps: 20000}}
    targets: [xnli, pawsx, bucc2018]
    hyperparameters: {learning_rate: 1.0e-5, batch_size: 32, epochs: 3}   # defaults for every phase
    tasks: {anli_plus: {batch_size: 4, epochs: 2}}                        # per-task overrides
    retrieval: {layer: 14, pooling: mean}  # BUCC / Tatoeba embed hidden_states[layer]
    evaluation: {languages: null, max_examples: null}

A plan file is read with bounds, so that a hostile file fails fast with one line (exit 2) instead of exhausting the
machine: at most ``MAX_PLAN_BYTES`` of text, ``MAX_NODES`` YAML nodes counted after expanding aliases (the nine
nested aliases of an "alias bomb" would expand to hundreds of millions), nesting at most ``MAX_DEPTH`` deep, no alias
inside the node it names, and at most ``MAX_RUNS`` runs in the grid. Seeds are integers in [0, 2**32), what numpy's
and torch's generators accept.

Every phase is identified by a hash of its lineage (base model -> intermediate phase -> target phase): the hash
of a phase covers its own resolved configuration and its parent's hash, so two runs share an intermediate
checkpoint exactly when everything that produced it is equal, and any change makes new work instead of reusing
stale work.
"""

from __future__ import annotations

import difflib
import functools
import hashlib
import json
import math
import re
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from replication.errors import ReplicationError

SIZE_CAP = 2**17
"""The paper's K: a task is sampled with probability proportional to min(n_examples, K)."""

MAX_PLAN_BYTES = 1 << 20
"""A plan file is a few kilobytes (the paper's grid: 8 KB); anything over 1 MiB is refused unread."""
MAX_NODES = 10_000
"""YAML nodes after expanding aliases (the paper's grid: about 400)."""
MAX_DEPTH = 32
"""Nesting depth of YAML collections (the paper's grid: 5)."""
MAX_RUNS = 100_000
"""Runs one grid may expand to (the paper's grid: a few hundred)."""
MAX_NAME = 1024
"""Characters of one name or path in a list (a model, a task, a language)."""
SEED_LIMIT = 2**32
"""Seeds are integers in [0, SEED_LIMIT): numpy's legacy seeding and many tools stop there, torch accepts it."""

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
POOLINGS = ("mean", "cls")


@dataclass(frozen=True)
class Hyperparameters:
    """Optimisation and featurisation settings of one phase (or one task inside a multi-task phase)."""

    learning_rate: float = 1e-5
    batch_size: int = 32
    epochs: float = 3.0
    max_steps: int | None = None  # overrides epochs when set
    warmup_ratio: float = 0.1
    weight_decay: float = 0.01
    max_grad_norm: float = 1.0
    grad_accum_steps: int = 1
    max_seq_length: int = 128
    doc_stride: int = 128  # QA: tokens between the starts of neighbouring context windows (BERT/XTREME)
    max_query_length: int = 64
    eval_every: int | None = None  # optimizer steps between dev evaluations; None = once per epoch
    early_stopping_patience: int | None = None  # evaluations without improvement before stopping
    checkpoint_every: int = 500  # optimizer steps between resumable checkpoints
    eval_batch_size: int = 64
    max_train_examples: int | None = None  # smoke runs: cap the training examples
    max_dev_examples: int | None = None  # model selection on the first N English dev examples (paper: 500)
    mlm_probability: float = 0.15


@dataclass(frozen=True)
class MLMSpec:
    """Multilingual MLM as one more intermediate task; its examples are drawn across languages with exponent alpha."""

    corpus: str  # a registered task of format mlm (TextExample per language)
    alpha: float = 0.3
    languages: tuple[str, ...] | None = None  # None: every language the corpus has
    n_examples: int | None = None  # size used for task sampling; None: the corpus size (capped at size_cap)


@dataclass(frozen=True)
class IntermediateSpec:
    """One intermediate setting: no task (baseline), one task, or several with size-capped proportional sampling."""

    name: str
    tasks: tuple[str, ...] = ()
    mlm: MLMSpec | None = None
    size_cap: int = SIZE_CAP
    hyperparameters: Mapping[str, Any] = field(default_factory=dict)  # phase-level overrides

    @property
    def is_baseline(self) -> bool:
        return not self.tasks and self.mlm is None


@dataclass(frozen=True)
class RetrievalSpec:
    layer: int = 14  # hidden_states index (0 = embeddings); the paper's "13th layer" is 14
    pooling: str = "mean"


@dataclass(frozen=True)
class EvaluationSpec:
    languages: tuple[str, ...] | None = None  # None: every language of the task
    max_examples: int | None = None  # per language; smoke runs only


@dataclass(frozen=True)
class Plan:
    name: str
    targets: tuple[str, ...]
    base_models: tuple[str, ...] = ("xlm-roberta-large",)
    seeds: tuple[int, ...] = (1,)
    data_fractions: tuple[float, ...] = (1.0,)
    intermediate_languages: tuple[str, ...] = ("en",)
    intermediate: tuple[IntermediateSpec, ...] = (IntermediateSpec(name="none"),)
    hyperparameters: Hyperparameters = field(default_factory=Hyperparameters)
    task_overrides: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    retrieval: RetrievalSpec = field(default_factory=RetrievalSpec)
    evaluation: EvaluationSpec = field(default_factory=EvaluationSpec)
    data_dir: str | None = None
    data_version: str | None = None
    data_revisions: Mapping[str, str] = field(default_factory=dict)
    source: str | None = None
    description: str | None = None
    path: str | None = None  # the file it was loaded from

    def task_hyperparameters(self, task: str, phase: Mapping[str, Any] | None = None) -> Hyperparameters:
        """Defaults, then the task's overrides, then the phase's overrides."""
        hp = replace(self.hyperparameters, **dict(self.task_overrides.get(task, {})))
        return replace(hp, **dict(phase or {}))


@dataclass(frozen=True)
class IntermediatePhase:
    """The resolved intermediate phase of a run (None for the baseline)."""

    spec: IntermediateSpec
    hyperparameters: Hyperparameters  # phase-level (steps, lr, warm-up) for multi-task; the task's own for one
    task_hyperparameters: Mapping[str, Hyperparameters]  # per task (batch size, lengths)
    data_fraction: float
    language: str
    id: str


@dataclass(frozen=True)
class RunSpec:
    """One cell of the grid: base model -> optional intermediate phase -> target task, with one seed."""

    plan: str
    base_model: str
    target: str
    target_format: str
    seed: int
    intermediate: IntermediatePhase | None
    hyperparameters: Hyperparameters  # target phase
    retrieval: RetrievalSpec
    evaluation: EvaluationSpec
    data_dir: str | None
    data_version: str | None
    data_revisions: Mapping[str, str]
    base_id: str
    id: str  # lineage hash of the whole run (the target phase)

    @property
    def lineage(self) -> list[tuple[str, str]]:
        """(phase, hash) from the base model to this run."""
        chain = [("base", self.base_id)]
        if self.intermediate is not None:
            chain.append(("intermediate", self.intermediate.id))
        chain.append(("target", self.id))
        return chain

    @property
    def parent_id(self) -> str:
        return self.intermediate.id if self.intermediate is not None else self.base_id

    @property
    def is_retrieval(self) -> bool:
        return self.target_format == "retrieval"

    @property
    def intermediate_name(self) -> str:
        return self.intermediate.spec.name if self.intermediate is not None else "none"

    def config(self) -> dict[str, Any]:
        """The resolved configuration as plain JSON (what every result file records)."""
        return _jsonable(asdict(self))


# ---------------------------------------------------------------------------------------------------------------
# loading and validation


def load_plan(path: str | Path) -> Plan:
    """Read and validate a plan file; every problem is a ReplicationError naming the file and the field."""
    p = Path(path)
    try:
        size = p.stat().st_size
        if size > MAX_PLAN_BYTES:
            raise ReplicationError(f"{p}: plan file too large ({size} bytes; a plan is at most {MAX_PLAN_BYTES})")
        text = p.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ReplicationError(f"plan file not found: {p}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ReplicationError(f"cannot read plan {p}: {_line(exc)}") from None
    raw = read_yaml(text, where=str(p))
    plan = parse_plan(raw, where=str(p))
    data_dir = plan.data_dir
    if data_dir is not None and not Path(data_dir).is_absolute():
        data_dir = str((p.parent / data_dir).resolve())
    return replace(plan, path=str(p.resolve()), data_dir=data_dir)


def read_yaml(text: str, where: str = "plan") -> Any:
    """Parse plan YAML (safe tags only) within the bounds above; any failure is a one-line ReplicationError."""
    import yaml

    if len(text) > MAX_PLAN_BYTES:
        raise ReplicationError(f"{where}: plan too large ({len(text)} characters; a plan is at most {MAX_PLAN_BYTES})")
    loader = _bounded_loader()(text)
    try:
        return loader.get_single_data()
    except _TooLarge as exc:
        raise ReplicationError(f"{where}: {exc}") from None
    except yaml.YAMLError as exc:
        raise ReplicationError(f"{where}: not valid YAML ({_line(exc)})") from None
    except (ValueError, TypeError, OverflowError, RecursionError) as exc:  # a bad date, a 5000-digit integer
        raise ReplicationError(f"{where}: not valid YAML ({_line(exc)})") from None
    finally:
        loader.dispose()


class _TooLarge(Exception):
    """The YAML exceeds a bound (nodes after alias expansion, depth, self-referencing alias)."""


@functools.cache
def _bounded_loader() -> type:
    import yaml

    class BoundedLoader(yaml.SafeLoader):
        """A SafeLoader that counts every node as often as aliases repeat it and stops at MAX_NODES or MAX_DEPTH.

        Counting happens while composing, before any Python object is built, so an alias bomb costs a few
        hundred nodes of work, not the hundreds of millions it would expand to.
        """

        def __init__(self, stream: str) -> None:
            super().__init__(stream)
            self._left = MAX_NODES
            self._depth = 0
            self._sizes: dict[int, int] = {}  # id(node) -> its size with aliases expanded

        def _spend(self, n: int) -> None:
            self._left -= n
            if self._left < 0:
                raise _TooLarge(f"plan too large: more than {MAX_NODES} YAML nodes once aliases are expanded"
                                " (nested aliases?); write the values out")  # fmt: skip

        def compose_node(self, parent: Any, index: Any) -> Any:
            if self.check_event(yaml.AliasEvent):
                event = self.peek_event()
                target = self.anchors.get(event.anchor)
                if target is not None:
                    size = self._sizes.get(id(target))
                    if size is None:
                        raise _TooLarge(f"YAML alias *{event.anchor} is used inside the node it names (a cycle)")
                    self._spend(size)
                return super().compose_node(parent, index)
            self._depth += 1
            if self._depth > MAX_DEPTH:
                raise _TooLarge(f"plan nested too deeply (more than {MAX_DEPTH} levels)")
            before = self._left
            try:
                node = super().compose_node(parent, index)
            finally:
                self._depth -= 1
            self._spend(1)
            self._sizes[id(node)] = before - self._left
            return node

    return BoundedLoader


def _line(exc: BaseException) -> str:
    """The first line of an exception's message, cut to a readable length."""
    text = str(exc).strip().splitlines()
    return _cut(text[0] if text else type(exc).__name__)


def _cut(text: str, limit: int = 100) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _show(value: Any) -> str:
    """A value for an error message: its repr on one line, cut to a readable length."""
    try:
        text = repr(value)
    except Exception:  # noqa: BLE001 - a repr that fails still gets a message
        text = f"<{type(value).__name__}>"
    return _cut(text, 80)


def parse_plan(raw: Any, where: str = "plan", check_tasks: bool = True) -> Plan:
    """Validate a plan already parsed from YAML/JSON."""
    if not isinstance(raw, dict):
        raise ReplicationError(f"{where}: a plan is a mapping with at least 'name' and 'targets'")
    known = {
        "name", "description", "source", "base_model", "seeds", "data_fraction", "intermediate_language",
        "data", "intermediate", "targets", "hyperparameters", "tasks", "retrieval", "evaluation",
    }  # fmt: skip
    _unknown(raw, known, where, "")
    name = raw.get("name")
    if not isinstance(name, str) or not _NAME.match(name):
        raise ReplicationError(f"{where}: name: give the plan a short name of letters, digits, '_', '-' or '.'")
    base_models = _str_axis(raw.get("base_model", "xlm-roberta-large"), where, "base_model")
    seeds = _axis(raw.get("seeds", [1]), where, "seeds")
    for s in seeds:
        if isinstance(s, bool) or not isinstance(s, int) or s < 0:
            raise ReplicationError(f"{where}: seeds: {_show(s)} is not a non-negative integer")
        if s >= SEED_LIMIT:
            raise ReplicationError(f"{where}: seeds: {_show(s)} is too large: a seed is an integer from 0 to "
                                   f"{SEED_LIMIT - 1} (2**32 - 1), what numpy and torch accept")  # fmt: skip
    _no_duplicates(seeds, where, "seeds")
    fractions = _axis(raw.get("data_fraction", 1.0), where, "data_fraction")
    for f in fractions:
        if isinstance(f, bool) or not isinstance(f, int | float) or not 0 < f <= 1:
            raise ReplicationError(f"{where}: data_fraction: {_show(f)} must be a number in (0, 1]")
    _no_duplicates([float(f) for f in fractions], where, "data_fraction")
    languages = _str_axis(raw.get("intermediate_language", "en"), where, "intermediate_language")
    hp = _hyperparameters(raw.get("hyperparameters") or {}, where, "hyperparameters")
    overrides_raw = raw.get("tasks") or {}
    if not isinstance(overrides_raw, dict):
        raise ReplicationError(f"{where}: tasks: a mapping of task name -> hyperparameter overrides")
    overrides: dict[str, dict[str, Any]] = {}
    for task, values in overrides_raw.items():
        _hyperparameters(values or {}, where, f"tasks.{_field(task)}")
        overrides[str(task)] = dict(values or {})
    targets_raw = raw.get("targets")
    if targets_raw is None:
        raise ReplicationError(f"{where}: targets: list the target tasks (e.g. [xnli, pawsx])")
    targets = _str_axis(targets_raw, where, "targets")
    inter_raw = raw.get("intermediate", ["none"])
    if not isinstance(inter_raw, list) or not inter_raw:
        inter_raw = [inter_raw]
    intermediate = tuple(_intermediate(item, where, f"intermediate[{i}]") for i, item in enumerate(inter_raw))
    names = [s.name for s in intermediate]
    dupes = sorted({n for n in names if names.count(n) > 1})
    if dupes:
        raise ReplicationError(f"{where}: intermediate: duplicate setting name(s) {', '.join(dupes)}; give each a name")
    retrieval = _retrieval(raw.get("retrieval") or {}, where)
    evaluation = _evaluation(raw.get("evaluation") or {}, where)
    for key in ("source", "description"):
        if raw.get(key) is not None and not isinstance(raw[key], str | int | float):
            raise ReplicationError(f"{where}: {key}: expected a string")
    data = raw.get("data") or {}
    if not isinstance(data, dict):
        raise ReplicationError(f"{where}: data: expected a mapping with dir, version, revisions")
    _unknown(data, {"dir", "version", "revisions"}, where, "data.")
    for key in ("dir", "version"):
        if data.get(key) is not None and not isinstance(data[key], str | int | float):
            raise ReplicationError(f"{where}: data.{key}: expected a string")
    revisions = data.get("revisions") or {}
    if not isinstance(revisions, dict) or not all(isinstance(v, str) for v in revisions.values()):
        raise ReplicationError(f"{where}: data.revisions: expected a mapping of task name -> hub commit")
    plan = Plan(
        name=name,
        targets=targets,
        base_models=base_models,
        seeds=tuple(int(s) for s in seeds),
        data_fractions=tuple(float(f) for f in fractions),
        intermediate_languages=languages,
        intermediate=intermediate,
        hyperparameters=hp,
        task_overrides=overrides,
        retrieval=retrieval,
        evaluation=evaluation,
        data_dir=_opt_str(data.get("dir")),
        data_version=_opt_str(data.get("version")),
        data_revisions={str(k): v for k, v in revisions.items()},
        source=_opt_str(raw.get("source")),
        description=_opt_str(raw.get("description")),
    )
    n_runs = math.prod(len(axis) for axis in (base_models, languages, fractions, intermediate, seeds, targets))
    if n_runs > MAX_RUNS:
        raise ReplicationError(f"{where}: the grid has {n_runs} runs (at most {MAX_RUNS}); split it into plans")
    if check_tasks:
        plan = _check_tasks(plan, where)
    return plan


def _check_tasks(plan: Plan, where: str) -> Plan:
    """Every named task exists in the registry with a format that fits where it is used; aliases become names."""
    targets = []
    for t in plan.targets:
        name, fmt = _resolve(t, where, "targets")
        if fmt == "mlm":
            raise ReplicationError(f"{where}: targets: {t} is an MLM corpus, not a target task")
        targets.append(name)
    inters = []
    for i, spec in enumerate(plan.intermediate):
        tasks = []
        for t in spec.tasks:
            name, fmt = _resolve(t, where, f"intermediate[{i}].tasks")
            if fmt in ("retrieval", "mlm"):
                raise ReplicationError(
                    f"{where}: intermediate[{i}].tasks: {t} has format {fmt} and cannot be an intermediate task"
                    + (" (put MLM corpora under 'mlm')" if fmt == "mlm" else "")
                )
            tasks.append(name)
        mlm = spec.mlm
        if mlm is not None:
            name, fmt = _resolve(mlm.corpus, where, f"intermediate[{i}].mlm.corpus")
            if fmt != "mlm":
                raise ReplicationError(f"{where}: intermediate[{i}].mlm.corpus: {mlm.corpus} is not an MLM corpus")
            mlm = replace(mlm, corpus=name)
        default = "+".join(spec.tasks + (("mlm",) if spec.mlm else ()))
        label = "+".join(tuple(tasks) + (("mlm",) if mlm else ())) if spec.name == default else spec.name
        inters.append(replace(spec, name=label, tasks=tuple(tasks), mlm=mlm))
    overrides = {_resolve(t, where, "tasks")[0]: v for t, v in plan.task_overrides.items()}
    revisions = {_resolve(t, where, "data.revisions")[0]: v for t, v in plan.data_revisions.items()}
    for key, items in (("targets", targets), ("intermediate", [s.name for s in inters])):
        if len(set(items)) != len(items):
            raise ReplicationError(f"{where}: {key}: names the same task twice (an alias and its name?)")
    return replace(
        plan, targets=tuple(targets), intermediate=tuple(inters), task_overrides=overrides, data_revisions=revisions
    )


def _resolve(name: str, where: str, field_name: str) -> tuple[str, str]:
    from replication.tasks.registry import get_task

    try:
        spec = get_task(name)
    except ReplicationError as exc:
        raise ReplicationError(f"{where}: {field_name}: {exc}") from None
    return spec.name, str(getattr(spec.format, "value", spec.format))


def task_format(name: str, where: str = "plan", field_name: str = "task") -> str:
    """The format of a registered task as a string; unknown names get a 'did you mean'."""
    return _resolve(name, where, field_name)[1]


def _intermediate(item: Any, where: str, path: str) -> IntermediateSpec:
    if item is None or (isinstance(item, str) and item.lower() in ("none", "baseline")):
        return IntermediateSpec(name="none")
    if isinstance(item, str):
        return IntermediateSpec(name=item, tasks=(item,))
    if isinstance(item, list):
        tasks = _str_axis(item, where, path)
        return IntermediateSpec(name="+".join(tasks), tasks=tasks)
    if not isinstance(item, dict):
        raise ReplicationError(f"{where}: {path}: expected 'none', a task name, a list of tasks or a mapping")
    _unknown(item, {"name", "tasks", "mlm", "size_cap", "hyperparameters"}, where, path + ".")
    tasks = _str_axis(item.get("tasks", []), where, path + ".tasks", allow_empty=True)
    mlm = None
    if item.get("mlm") is not None:
        m = item["mlm"]
        if isinstance(m, str):
            m = {"corpus": m}
        if not isinstance(m, dict) or not isinstance(m.get("corpus"), str):
            raise ReplicationError(f"{where}: {path}.mlm: give at least 'corpus' (a registered MLM corpus)")
        _unknown(m, {"corpus", "alpha", "languages", "n_examples"}, where, path + ".mlm.")
        alpha = m.get("alpha", 0.3)
        if isinstance(alpha, bool) or not isinstance(alpha, int | float) or not 0 < alpha <= 1:
            raise ReplicationError(f"{where}: {path}.mlm.alpha: {_show(alpha)} must be a number in (0, 1]")
        langs = m.get("languages")
        n = m.get("n_examples")
        if n is not None and (isinstance(n, bool) or not isinstance(n, int) or n < 1):
            raise ReplicationError(f"{where}: {path}.mlm.n_examples: {_show(n)} must be a positive integer")
        mlm = MLMSpec(
            corpus=m["corpus"],
            alpha=float(alpha),
            languages=None if langs is None else _str_axis(langs, where, path + ".mlm.languages"),
            n_examples=n,
        )
    cap = item.get("size_cap", SIZE_CAP)
    if isinstance(cap, bool) or not isinstance(cap, int) or cap < 1:
        raise ReplicationError(f"{where}: {path}.size_cap: {_show(cap)} must be a positive integer (the paper: 131072)")
    hp = item.get("hyperparameters") or {}
    _hyperparameters(hp, where, path + ".hyperparameters")
    default_name = "+".join(tasks + (("mlm",) if mlm else ())) or "none"
    name = item.get("name", default_name)
    if not isinstance(name, str) or not _NAME.match(name.replace("+", "_")):
        raise ReplicationError(f"{where}: {path}.name: {_show(name)} is not a usable name")
    return IntermediateSpec(name=name, tasks=tasks, mlm=mlm, size_cap=cap, hyperparameters=dict(hp))


_HP_FIELDS = {f.name: f for f in fields(Hyperparameters)}
_POSITIVE_INT = {"batch_size", "grad_accum_steps", "max_seq_length", "doc_stride", "max_query_length",
                 "checkpoint_every", "eval_batch_size"}  # fmt: skip
_OPTIONAL_INT = {"max_steps", "eval_every", "early_stopping_patience", "max_train_examples", "max_dev_examples"}


def _hyperparameters(raw: Any, where: str, path: str) -> Hyperparameters:
    if not isinstance(raw, dict):
        raise ReplicationError(f"{where}: {path}: expected a mapping of hyperparameters")
    _unknown(raw, set(_HP_FIELDS), where, path + ".")
    for key, value in raw.items():
        at = f"{where}: {path}.{key}"
        if key in _POSITIVE_INT:
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ReplicationError(f"{at}: {_show(value)} must be a positive integer")
        elif key in _OPTIONAL_INT:
            if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < 1):
                raise ReplicationError(f"{at}: {_show(value)} must be a positive integer or null")
        else:
            if isinstance(value, str):
                try:
                    value = float(value)  # YAML reads 1e-5 (no dot) as a string
                except ValueError:
                    pass
            if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
                raise ReplicationError(f"{at}: {_show(value)} must be a (finite) number")
            if value < 0 or (key in ("learning_rate", "epochs") and value == 0):
                raise ReplicationError(f"{at}: {_show(value)} must be positive")
            if key in ("warmup_ratio", "mlm_probability") and value >= 1:
                raise ReplicationError(f"{at}: {_show(value)} must be below 1")
            raw[key] = float(value)
    return Hyperparameters(**raw)


def _retrieval(raw: Any, where: str) -> RetrievalSpec:
    if not isinstance(raw, dict):
        raise ReplicationError(f"{where}: retrieval: expected a mapping with 'layer' and 'pooling'")
    _unknown(raw, {"layer", "pooling"}, where, "retrieval.")
    layer = raw.get("layer", 14)
    if isinstance(layer, bool) or not isinstance(layer, int):
        raise ReplicationError(f"{where}: retrieval.layer: {_show(layer)} must be an integer (hidden_states index)")
    pooling = raw.get("pooling", "mean")
    if pooling not in POOLINGS:
        raise ReplicationError(f"{where}: retrieval.pooling: {_show(pooling)} must be one of {', '.join(POOLINGS)}")
    return RetrievalSpec(layer=layer, pooling=pooling)


def _evaluation(raw: Any, where: str) -> EvaluationSpec:
    if not isinstance(raw, dict):
        raise ReplicationError(f"{where}: evaluation: expected a mapping")
    _unknown(raw, {"languages", "max_examples"}, where, "evaluation.")
    langs = raw.get("languages")
    n = raw.get("max_examples")
    if n is not None and (isinstance(n, bool) or not isinstance(n, int) or n < 1):
        raise ReplicationError(f"{where}: evaluation.max_examples: {_show(n)} must be a positive integer or null")
    return EvaluationSpec(
        languages=None if langs is None else _str_axis(langs, where, "evaluation.languages"), max_examples=n
    )


def _unknown(raw: dict, known: set[str], where: str, prefix: str) -> None:
    for key in raw:
        if key not in known:
            close = difflib.get_close_matches(str(key)[:MAX_NAME], sorted(known), n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else f" (known: {', '.join(sorted(known))})"
            raise ReplicationError(f"{where}: {prefix}{_field(key)}: unknown field{hint}")


def _field(key: Any) -> str:
    """A mapping key as a field name in a message: itself when it is a short printable string, else its repr."""
    return key if isinstance(key, str) and key.isprintable() and len(key) <= 80 else _show(key)


def _axis(value: Any, where: str, path: str) -> list:
    """A scalar or a list as a non-empty list; the caller checks the items' types, then `_no_duplicates`."""
    items = value if isinstance(value, list) else [value]
    if not items:
        raise ReplicationError(f"{where}: {path}: must not be empty")
    return items


def _no_duplicates(items: list, where: str, path: str) -> None:
    if len(set(items)) != len(items):
        raise ReplicationError(f"{where}: {path}: has duplicate values")


def _str_axis(value: Any, where: str, path: str, allow_empty: bool = False) -> tuple[str, ...]:
    items = value if isinstance(value, list) else [value]
    if not items and not allow_empty:
        raise ReplicationError(f"{where}: {path}: must not be empty")
    for i in items:
        if not isinstance(i, str) or not i.strip():
            raise ReplicationError(f"{where}: {path}: {_show(i)} is not a non-empty string")
        if len(i) > MAX_NAME:
            raise ReplicationError(f"{where}: {path}: {_show(i)} is too long (at most {MAX_NAME} characters)")
    if len(set(items)) != len(items):
        raise ReplicationError(f"{where}: {path}: has duplicate values")
    return tuple(items)


def _opt_str(value: Any) -> str | None:
    return None if value is None else str(value)


# ---------------------------------------------------------------------------------------------------------------
# expansion


def lineage_hash(parent: str | None, phase: Mapping[str, Any]) -> str:
    """16 hex digits of sha256 over the parent's hash and the phase's canonical JSON."""
    blob = json.dumps({"parent": parent, "phase": _jsonable(phase)}, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()[:16]


def expand(plan: Plan) -> list[RunSpec]:
    """Every run of the grid, in a stable order (base model, intermediate language, fraction, setting, seed, target).

    The baseline (intermediate 'none') does not depend on the data fraction or language, so it appears once per
    base model and seed.
    """
    runs: list[RunSpec] = []
    seen: set[str] = set()
    formats = {t: task_format(t) for t in plan.targets}
    for base in plan.base_models:
        base_id = lineage_hash(None, {"base_model": base})
        for language in plan.intermediate_languages:
            for fraction in plan.data_fractions:
                for inter in plan.intermediate:
                    for seed in plan.seeds:
                        phase = None
                        if not inter.is_baseline:
                            phase = _intermediate_phase(plan, inter, base_id, seed, fraction, language)
                        for target in plan.targets:
                            run = _run(plan, base, base_id, phase, target, formats[target], seed)
                            if run.id in seen:
                                continue
                            seen.add(run.id)
                            runs.append(run)
    return runs


def _intermediate_phase(
    plan: Plan, inter: IntermediateSpec, base_id: str, seed: int, fraction: float, language: str
) -> IntermediatePhase:
    per_task = {t: plan.task_hyperparameters(t) for t in inter.tasks}
    if len(inter.tasks) == 1 and inter.mlm is None:
        phase_hp = plan.task_hyperparameters(inter.tasks[0], inter.hyperparameters)
        per_task = {inter.tasks[0]: phase_hp}
    else:
        phase_hp = replace(plan.hyperparameters, **dict(inter.hyperparameters))
        if inter.mlm is not None:
            per_task[inter.mlm.corpus] = plan.task_hyperparameters(inter.mlm.corpus)
    config = {
        "kind": "intermediate",
        "tasks": list(inter.tasks),
        "mlm": None if inter.mlm is None else asdict(inter.mlm),
        "size_cap": inter.size_cap if (len(inter.tasks) > 1 or inter.mlm) else None,
        "hyperparameters": asdict(phase_hp),
        "task_hyperparameters": {t: asdict(h) for t, h in sorted(per_task.items())},
        "data_fraction": fraction,
        "language": language,
        "seed": seed,
        "data_version": plan.data_version,
        "revisions": {t: plan.data_revisions[t] for t in sorted(per_task) if t in plan.data_revisions},
    }
    return IntermediatePhase(
        spec=inter,
        hyperparameters=phase_hp,
        task_hyperparameters=per_task,
        data_fraction=fraction,
        language=language,
        id=lineage_hash(base_id, config),
    )


def _run(
    plan: Plan,
    base: str,
    base_id: str,
    phase: IntermediatePhase | None,
    target: str,
    fmt: str,
    seed: int,
) -> RunSpec:
    hp = plan.task_hyperparameters(target)
    parent = phase.id if phase is not None else base_id
    if fmt == "retrieval":
        config = {"kind": "retrieval", "target": target, "retrieval": asdict(plan.retrieval)}
    else:
        config = {"kind": "target", "target": target, "hyperparameters": asdict(hp), "seed": seed}
    config["evaluation"] = asdict(plan.evaluation)
    config["data_version"] = plan.data_version
    if target in plan.data_revisions:
        config["revision"] = plan.data_revisions[target]
    return RunSpec(
        plan=plan.name,
        base_model=base,
        target=target,
        target_format=fmt,
        seed=seed,
        intermediate=phase,
        hyperparameters=hp,
        retrieval=plan.retrieval,
        evaluation=plan.evaluation,
        data_dir=plan.data_dir,
        data_version=plan.data_version,
        data_revisions=dict(plan.data_revisions),
        base_id=base_id,
        id=lineage_hash(parent, config),
    )


def select(runs: list[RunSpec], only: str | None = None, limit: int | None = None) -> list[RunSpec]:
    """Runs whose id (or intermediate id) starts with ``only``, at most ``limit`` of them."""
    if only:
        runs = [
            r for r in runs
            if r.id.startswith(only) or (r.intermediate is not None and r.intermediate.id.startswith(only))
        ]  # fmt: skip
        if not runs:
            raise ReplicationError(f"no run of the plan has a lineage hash starting with {_show(only)}; see `replicate plan`")
    if limit is not None:
        runs = runs[: max(0, limit)]
    return runs


def _jsonable(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    return value
