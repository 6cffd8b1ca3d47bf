"""Experiment plans: a YAML grid, validated by a typed model (`PlanFile`, JSON Schema docs/schemas/plan.schema.json)
into dataclasses and expanded into runs named by their lineage.

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
from collections.abc import Callable, Iterable, Mapping
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Annotated, Any, ClassVar, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PrivateAttr,
    ValidationError,
    model_validator,
)
from pydantic_core import PydanticCustomError

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
    hyperparameters: (
        Hyperparameters  # phase-level (steps, lr, warm-up) for multi-task; the task's own for one
    )
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
            raise ReplicationError(
                f"{p}: plan file too large ({size} bytes; a plan is at most {MAX_PLAN_BYTES})"
            )
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
        raise ReplicationError(
            f"{where}: plan too large ({len(text)} characters; a plan is at most {MAX_PLAN_BYTES})"
        )
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
                        raise _TooLarge(
                            f"YAML alias *{event.anchor} is used inside the node it names (a cycle)"
                        )
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
    """Validate a plan already parsed from YAML/JSON (as a :class:`PlanFile`); every problem is one
    ReplicationError naming the field, with a 'did you mean' for unknown fields and task names."""
    if not isinstance(raw, dict):
        raise ReplicationError(f"{where}: a plan is a mapping with at least 'name' and 'targets'")
    try:
        plan = PlanFile.model_validate(raw).to_plan()
    except ValidationError as exc:
        raise _plan_error(exc, where) from None
    axes = (plan.base_models, plan.intermediate_languages, plan.data_fractions, plan.intermediate, plan.seeds,
            plan.targets)  # fmt: skip
    n_runs = math.prod(len(axis) for axis in axes)
    if n_runs > MAX_RUNS:
        raise ReplicationError(
            f"{where}: the grid has {n_runs} runs (at most {MAX_RUNS}); split it into plans"
        )
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
                raise ReplicationError(
                    f"{where}: intermediate[{i}].mlm.corpus: {mlm.corpus} is not an MLM corpus"
                )
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
        plan,
        targets=tuple(targets),
        intermediate=tuple(inters),
        task_overrides=overrides,
        data_revisions=revisions,
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


# ---------------------------------------------------------------------------------------------------------------
# the plan file as a typed model
#
# PlanFile is what a plan file may say (its JSON Schema: docs/schemas/plan.schema.json, `python -m reports.schemas`).
# Fields take the shorthands a person writes (a scalar for a one-value axis, 'none' for the baseline, 1e-5 that YAML
# reads as a string); each field's validator checks its value and raises one error whose message says what is
# wrong with the value, and `_plan_error` prefixes it with the file and the field's path. Fields are declared in the
# order the checks report them.


def _problem(message: str) -> PydanticCustomError:
    """A plan error at the validator's own location (the message is shown as is)."""
    return PydanticCustomError("plan", "{message}", {"message": message})


def _field_problem(key: Any, message: str) -> PydanticCustomError:
    """A plan error about ``key`` inside the mapping being validated (an unknown field, a computed name)."""
    return PydanticCustomError("plan_field", "{field}: {message}", {"field": _field(key), "message": message})


_MISSING = {
    "name": "give the plan a short name of letters, digits, '_', '-' or '.'",
    "targets": "list the target tasks (e.g. [xnli, pawsx])",
}


def _plan_error(exc: ValidationError, where: str) -> ReplicationError:
    """The first problem pydantic found, as the one-line message of the plan checks."""
    err = exc.errors(include_url=False)[0]
    path = "".join(f"[{p}]" if isinstance(p, int) else f".{_field(p)}" for p in err["loc"]).lstrip(".")
    ctx = err.get("ctx") or {}
    if err["type"] == "plan_field":
        field_name = ctx["field"]
        path = f"{path}.{field_name}" if path and not field_name.startswith("[") else path + field_name
        message = ctx["message"]
    elif err["type"] == "plan":
        message = ctx["message"]
    elif err["type"] == "missing" and path in _MISSING:
        message = _MISSING[path]
    else:  # a check the validators do not make themselves (not expected): pydantic's own words
        message = f"{_show(err.get('input'))}: {_cut(err['msg'])}"
    return ReplicationError(f"{where}: {path}: {message}" if path else f"{where}: {message}")


def _check_known(raw: dict, known: Iterable[str]) -> None:
    known = set(known)
    for key in raw:
        if key not in known:
            close = difflib.get_close_matches(str(key)[:MAX_NAME], sorted(known), n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else f" (known: {', '.join(sorted(known))})"
            raise _field_problem(key, f"unknown field{hint}")


def _field(key: Any) -> str:
    """A mapping key as a field name in a message: itself when it is a short printable string, else its repr."""
    return key if isinstance(key, str) and key.isprintable() and len(key) <= 80 else _show(key)


def _or_empty(value: Any) -> Any:
    """An absent or empty section (``retrieval:``, ``retrieval: null``) means its defaults."""
    return value or {}


def _items(value: Any) -> list:
    """A scalar or a list as a non-empty list (a scalar is a one-value axis)."""
    items = value if isinstance(value, list) else [value]
    if not items:
        raise _problem("must not be empty")
    return items


def _no_duplicates(items: list) -> None:
    if len(set(items)) != len(items):
        raise _problem("has duplicate values")


def _strings(value: Any, allow_empty: bool = False) -> tuple[str, ...]:
    """A scalar or a list of non-empty, distinct strings of at most MAX_NAME characters."""
    items = value if isinstance(value, list) else [value]
    if not items and not allow_empty:
        raise _problem("must not be empty")
    for i in items:
        if not isinstance(i, str) or not i.strip():
            raise _problem(f"{_show(i)} is not a non-empty string")
        if len(i) > MAX_NAME:
            raise _problem(f"{_show(i)} is too long (at most {MAX_NAME} characters)")
    _no_duplicates(items)
    return tuple(items)


def _optional_strings(value: Any) -> tuple[str, ...] | None:
    return None if value is None else _strings(value)


def _text(value: Any) -> str | None:
    """Free text; a number is accepted as its text."""
    if value is not None and not isinstance(value, str | int | float):
        raise _problem("expected a string")
    return None if value is None else str(value)


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _plan_name(value: Any) -> str:
    if not isinstance(value, str) or not _NAME.match(value):
        raise _problem(_MISSING["name"])
    return value


def _seeds(value: Any) -> tuple[int, ...]:
    seeds = _items(value)
    for s in seeds:
        if not _is_int(s) or s < 0:
            raise _problem(f"{_show(s)} is not a non-negative integer")
        if s >= SEED_LIMIT:
            raise _problem(f"{_show(s)} is too large: a seed is an integer from 0 to {SEED_LIMIT - 1} (2**32 - 1), "
                           "what numpy and torch accept")  # fmt: skip
    _no_duplicates(seeds)
    return tuple(int(s) for s in seeds)


def _fractions(value: Any) -> tuple[float, ...]:
    fractions = _items(value)
    for f in fractions:
        if isinstance(f, bool) or not isinstance(f, int | float) or not 0 < f <= 1:
            raise _problem(f"{_show(f)} must be a number in (0, 1]")
    _no_duplicates([float(f) for f in fractions])
    return tuple(float(f) for f in fractions)


def _targets(value: Any) -> tuple[str, ...]:
    if value is None:
        raise _problem(_MISSING["targets"])
    return _strings(value)


def _positive_int(value: Any) -> int:
    if not _is_int(value) or value < 1:
        raise _problem(f"{_show(value)} must be a positive integer")
    return value


def _positive_int_or_null(value: Any) -> int | None:
    if value is not None and (not _is_int(value) or value < 1):
        raise _problem(f"{_show(value)} must be a positive integer or null")
    return value


def _number(positive: bool = False, below_one: bool = False) -> Callable[[Any], float]:
    """A finite number >= 0 (> 0 when ``positive``, < 1 when ``below_one``); YAML's 1e-5 (a string) is read."""

    def check(value: Any) -> float:
        if isinstance(value, str):
            try:
                value = float(value)  # YAML reads 1e-5 (no dot) as a string
            except ValueError:
                pass
        if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
            raise _problem(f"{_show(value)} must be a (finite) number")
        if value < 0 or (positive and value == 0):
            raise _problem(f"{_show(value)} must be positive")
        if below_one and value >= 1:
            raise _problem(f"{_show(value)} must be below 1")
        return float(value)

    return check


_PositiveInt = Annotated[int, Field(ge=1), BeforeValidator(_positive_int)]
_OptionalInt = Annotated[int | None, Field(ge=1), BeforeValidator(_positive_int_or_null)]
_Rate = Annotated[
    float, Field(gt=0), BeforeValidator(_number(positive=True), json_schema_input_type=float | str)
]
_NonNegative = Annotated[float, Field(ge=0), BeforeValidator(_number(), json_schema_input_type=float | str)]
_Ratio = Annotated[
    float, Field(ge=0, lt=1), BeforeValidator(_number(below_one=True), json_schema_input_type=float | str)
]
_Seed = Annotated[int, Field(ge=0, lt=SEED_LIMIT)]
_Fraction = Annotated[float, Field(gt=0, le=1)]
_Name = Annotated[str, Field(min_length=1, max_length=MAX_NAME)]
_Names = Annotated[tuple[_Name, ...], BeforeValidator(_strings, json_schema_input_type=_Name | list[_Name])]
_OptionalNames = Annotated[
    tuple[_Name, ...] | None,
    BeforeValidator(_optional_strings, json_schema_input_type=_Name | list[_Name] | None),
]
_Text = Annotated[str | None, BeforeValidator(_text, json_schema_input_type=str | int | float | None)]


class _Section(BaseModel):
    """A mapping of the plan file: unknown keys are refused with a 'did you mean'."""

    model_config = ConfigDict(extra="forbid")
    _not_a_mapping: ClassVar[str] = "expected a mapping"

    @model_validator(mode="before")
    @classmethod
    def _known_fields(cls, raw: Any) -> Any:
        if not isinstance(raw, dict):
            raise _problem(cls._not_a_mapping)
        _check_known(raw, cls.model_fields)
        return raw


class HyperparameterFile(_Section):
    """Hyperparameters as a plan gives them: defaults for every phase, or one task's or phase's overrides (only the
    fields given override). See :class:`Hyperparameters`."""

    _not_a_mapping: ClassVar[str] = "expected a mapping of hyperparameters"

    learning_rate: _Rate = 1e-5
    batch_size: _PositiveInt = 32
    epochs: _Rate = 3.0
    max_steps: _OptionalInt = Field(default=None, description="overrides epochs when set")
    warmup_ratio: _Ratio = 0.1
    weight_decay: _NonNegative = 0.01
    max_grad_norm: _NonNegative = 1.0
    grad_accum_steps: _PositiveInt = 1
    max_seq_length: _PositiveInt = 128
    doc_stride: _PositiveInt = Field(
        default=128, description="QA: tokens between neighbouring context windows"
    )
    max_query_length: _PositiveInt = 64
    eval_every: _OptionalInt = Field(default=None, description="optimizer steps between dev evaluations; "
                                                               "null: once per epoch")  # fmt: skip
    early_stopping_patience: _OptionalInt = None
    checkpoint_every: _PositiveInt = 500
    eval_batch_size: _PositiveInt = 64
    max_train_examples: _OptionalInt = Field(
        default=None, description="smoke runs: cap the training examples"
    )
    max_dev_examples: _OptionalInt = Field(default=None, description="model selection on the first N English "
                                                                     "dev examples (paper: 500)")  # fmt: skip
    mlm_probability: _Ratio = 0.15

    _given: tuple[str, ...] = PrivateAttr(default=())

    @model_validator(mode="wrap")
    @classmethod
    def _remember_order(cls, raw: Any, handler: Callable[[Any], HyperparameterFile]) -> HyperparameterFile:
        model = handler(raw)
        if isinstance(raw, dict):
            model._given = tuple(raw)
        return model

    def overrides(self) -> dict[str, Any]:
        """The fields the plan gave, in the order it gave them."""
        return {k: getattr(self, k) for k in self._given}


def _mlm_shorthand(value: Any) -> Any:
    """``mlm: wiki_mlm`` is ``mlm: {corpus: wiki_mlm}``; a mapping needs at least a corpus."""
    if value is None:
        return None
    if isinstance(value, str):
        value = {"corpus": value}
    if not isinstance(value, dict) or not isinstance(value.get("corpus"), str):
        raise _problem("give at least 'corpus' (a registered MLM corpus)")
    return value


def _alpha(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 < value <= 1:
        raise _problem(f"{_show(value)} must be a number in (0, 1]")
    return float(value)


def _optional_positive_int(value: Any) -> int | None:
    if value is not None and (not _is_int(value) or value < 1):
        raise _problem(f"{_show(value)} must be a positive integer")
    return value


def _size_cap(value: Any) -> int:
    if not _is_int(value) or value < 1:
        raise _problem(f"{_show(value)} must be a positive integer (the paper: 131072)")
    return value


class MLMFile(_Section):
    """Multilingual MLM as one more intermediate task (see :class:`MLMSpec`)."""

    corpus: str = Field(description="a registered task of format mlm")
    alpha: Annotated[float, Field(gt=0, le=1), BeforeValidator(_alpha)] = 0.3
    n_examples: Annotated[int | None, Field(ge=1), BeforeValidator(_optional_positive_int)] = Field(
        default=None, description="size used for task sampling; null: the corpus size"
    )
    languages: _OptionalNames = Field(default=None, description="null: every language the corpus has")


class IntermediateFile(_Section):
    """One intermediate setting written as a mapping (see :class:`IntermediateSpec`); the name defaults to the
    tasks joined by '+'."""

    _not_a_mapping: ClassVar[str] = "expected 'none', a task name, a list of tasks or a mapping"
    _shorthand: bool = PrivateAttr(default=False)

    tasks: Annotated[
        tuple[str, ...],
        BeforeValidator(
            functools.partial(_strings, allow_empty=True), json_schema_input_type=_Name | list[_Name]
        ),
    ] = ()
    mlm: Annotated[
        MLMFile | None, BeforeValidator(_mlm_shorthand, json_schema_input_type=str | MLMFile | None)
    ] = None
    size_cap: Annotated[int, Field(ge=1), BeforeValidator(_size_cap)] = SIZE_CAP
    hyperparameters: Annotated[HyperparameterFile, BeforeValidator(_or_empty)] = Field(
        default_factory=HyperparameterFile, description="phase-level overrides"
    )
    name: Annotated[
        str | None,
        BeforeValidator(lambda v: v if isinstance(v, str) else _bad_name(v), json_schema_input_type=str),
    ] = Field(default=None, description="default: the tasks (and 'mlm') joined by '+'")

    @classmethod
    def shorthand(cls, name: str, tasks: tuple[str, ...] = ()) -> IntermediateFile:
        """'none', a task name or a list of tasks, already checked."""
        spec = cls.model_construct(name=name, tasks=tasks)
        spec._shorthand = True
        return spec

    @model_validator(mode="after")
    def _usable_name(self) -> IntermediateFile:
        if self._shorthand:
            return self
        default = "+".join(self.tasks + (("mlm",) if self.mlm else ())) or "none"
        name = default if self.name is None else self.name
        if not _NAME.match(name.replace("+", "_")):
            raise _field_problem("name", f"{_show(name)} is not a usable name")
        self.name = name
        return self

    def to_spec(self) -> IntermediateSpec:
        mlm = None
        if self.mlm is not None:
            m = self.mlm
            mlm = MLMSpec(corpus=m.corpus, alpha=m.alpha, languages=m.languages, n_examples=m.n_examples)
        return IntermediateSpec(
            name=str(self.name),
            tasks=self.tasks,
            mlm=mlm,
            size_cap=self.size_cap,
            hyperparameters=self.hyperparameters.overrides(),
        )


def _bad_name(value: Any) -> Any:
    raise _problem(f"{_show(value)} is not a usable name")


def _settings(value: Any) -> list:
    """The intermediate axis: a list of settings (a single setting is a one-item axis)."""
    return value if isinstance(value, list) and value else [value]


def _setting(item: Any) -> Any:
    """One intermediate setting: 'none' (or null, 'baseline'), a task name, a list of tasks or a mapping."""
    if item is None or (isinstance(item, str) and item.lower() in ("none", "baseline")):
        return IntermediateFile.shorthand("none")
    if isinstance(item, str):
        return IntermediateFile.shorthand(item, (item,))
    if isinstance(item, list):
        tasks = _strings(item)
        return IntermediateFile.shorthand("+".join(tasks), tasks)
    return item


def _distinct_settings(items: list[IntermediateFile]) -> list[IntermediateFile]:
    names = [s.name for s in items]
    dupes = sorted({str(n) for n in names if names.count(n) > 1})
    if dupes:
        raise _problem(f"duplicate setting name(s) {', '.join(dupes)}; give each a name")
    return items


def _task_overrides(value: Any) -> dict:
    value = value or {}
    if not isinstance(value, dict):
        raise _problem("a mapping of task name -> hyperparameter overrides")
    return {str(task): values or {} for task, values in value.items()}


class RetrievalFile(_Section):
    """BUCC / Tatoeba embed hidden_states[layer] (see :class:`RetrievalSpec`)."""

    _not_a_mapping: ClassVar[str] = "expected a mapping with 'layer' and 'pooling'"

    layer: Annotated[
        int,
        BeforeValidator(
            lambda v: v if _is_int(v) else _raise(f"{_show(v)} must be an integer (hidden_states index)")
        ),
    ] = Field(default=14, description="hidden_states index (0 = embeddings); the paper's '13th layer' is 14")
    pooling: Annotated[
        Literal["mean", "cls"],
        BeforeValidator(
            lambda v: v if v in POOLINGS else _raise(f"{_show(v)} must be one of {', '.join(POOLINGS)}")
        ),
    ] = "mean"


class EvaluationFile(_Section):
    max_examples: _OptionalInt = Field(default=None, description="per language; smoke runs only")
    languages: _OptionalNames = Field(default=None, description="null: every language of the task")


def _revisions(value: Any) -> dict[str, str]:
    value = value or {}
    if not isinstance(value, dict) or not all(isinstance(v, str) for v in value.values()):
        raise _problem("expected a mapping of task name -> hub commit")
    return {str(k): v for k, v in value.items()}


class DataFile(_Section):
    """Where the loaders read from."""

    _not_a_mapping: ClassVar[str] = "expected a mapping with dir, version, revisions"

    dir: _Text = Field(default=None, description="local data root in the original formats (relative to the plan "
                                                 "file)")  # fmt: skip
    version: _Text = Field(
        default=None, description="enters the lineage hash: bump it when local data changes"
    )
    revisions: Annotated[dict[str, str], BeforeValidator(_revisions)] = Field(
        default_factory=dict, description="hub revisions to pin per task (enter the lineage hash)"
    )


def _raise(message: str) -> Any:
    raise _problem(message)


class PlanFile(_Section):
    """A replication plan file (YAML): a grid of base models, intermediate settings, target tasks, seeds and
    hyperparameters; every list is an axis of the grid. See replication/plan.py."""

    model_config = ConfigDict(
        title="Replication plan",
        json_schema_extra={"$schema": "https://json-schema.org/draft/2020-12/schema"},
    )

    name: Annotated[str, BeforeValidator(_plan_name)] = Field(json_schema_extra={"pattern": _NAME.pattern})
    base_model: _Names = Field(default=("xlm-roberta-large",), description="hub name or local path; a list is an "
                                                                           "axis")  # fmt: skip
    seeds: Annotated[
        tuple[_Seed, ...], BeforeValidator(_seeds, json_schema_input_type=_Seed | list[_Seed])
    ] = Field(default=(1,), description="a list is an axis")
    data_fraction: Annotated[
        tuple[_Fraction, ...], BeforeValidator(_fractions, json_schema_input_type=_Fraction | list[_Fraction])
    ] = Field(default=(1.0,), description="share of intermediate training data; a list is an axis")
    intermediate_language: _Names = Field(
        default=("en",), description="language of intermediate data ('en', 'mt', a code); a list is an axis"
    )
    hyperparameters: Annotated[HyperparameterFile, BeforeValidator(_or_empty)] = Field(
        default_factory=HyperparameterFile, description="defaults for every phase"
    )
    tasks: Annotated[dict[str, HyperparameterFile], BeforeValidator(_task_overrides)] = Field(
        default_factory=dict, description="per-task hyperparameter overrides"
    )
    targets: Annotated[tuple[str, ...], BeforeValidator(_targets, json_schema_input_type=_Name | list[_Name])]
    intermediate: Annotated[
        list[Annotated[IntermediateFile, BeforeValidator(_setting)]], BeforeValidator(_settings, json_schema_input_type=list[
            str | list[str] | IntermediateFile | None] | str | IntermediateFile | None),
        AfterValidator(_distinct_settings),
    ] = Field(default=["none"], validate_default=True,
              description="each item one intermediate setting (an axis): 'none' (the baseline), a task, a list of "
                          "tasks, or a mapping")  # fmt: skip
    retrieval: Annotated[RetrievalFile, BeforeValidator(_or_empty)] = Field(default_factory=RetrievalFile)
    evaluation: Annotated[EvaluationFile, BeforeValidator(_or_empty)] = Field(default_factory=EvaluationFile)
    source: _Text = Field(default=None, description="free text, kept with every result")
    description: _Text = None
    data: Annotated[DataFile, BeforeValidator(_or_empty)] = Field(default_factory=DataFile)

    def to_plan(self) -> Plan:
        return Plan(
            name=self.name,
            targets=self.targets,
            base_models=self.base_model,
            seeds=self.seeds,
            data_fractions=self.data_fraction,
            intermediate_languages=self.intermediate_language,
            intermediate=tuple(s.to_spec() for s in self.intermediate),
            hyperparameters=Hyperparameters(**self.hyperparameters.overrides()),
            task_overrides={task: hp.overrides() for task, hp in self.tasks.items()},
            retrieval=RetrievalSpec(layer=self.retrieval.layer, pooling=self.retrieval.pooling),
            evaluation=EvaluationSpec(
                languages=self.evaluation.languages, max_examples=self.evaluation.max_examples
            ),
            data_dir=self.data.dir,
            data_version=self.data.version,
            data_revisions=self.data.revisions,
            source=self.source,
            description=self.description,
        )


def plan_json_schema() -> dict[str, Any]:
    """The JSON Schema of a plan file (docs/schemas/plan.schema.json)."""
    return PlanFile.model_json_schema(by_alias=True)


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
            raise ReplicationError(
                f"no run of the plan has a lineage hash starting with {_show(only)}; see `replicate plan`"
            )
    if limit is not None:
        runs = runs[: max(0, limit)]
    return runs


def _jsonable(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    return value
