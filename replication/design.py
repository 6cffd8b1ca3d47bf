"""Design a plan variant from a research question: map the question's facets to plan axes, with a rationale per axis.

`design(question, source)` reads the facets a question asks about (model size, language families, intermediate-data
language, single- vs multi-task training, amount of intermediate data, seeds/robustness, named tasks) and changes
only the axes of the source plan (default: the paper's grid, ``paper_v1``) that those facets need. Whatever the
harness cannot vary (other modalities, human evaluation, architectures it has no heads for, non-English
intermediate data it has no tasks for) is stated plainly in the result and in the plan's comments; nothing is faked.

The output is deterministic: the same question and source plan give the same plans, byte for byte.

One thing needs more than one plan: a plan has one ``retrieval.layer`` (BUCC/Tatoeba embed ``hidden_states[layer]``)
and the paper's layer 14 does not exist in a 12-layer base model. When the model-size axis meets retrieval targets,
the main plan keeps the trained targets over every model, and each model gets a retrieval plan with the layer at the
same relative depth. Intermediate checkpoints are shared between them (their lineage hash does not include the plan).
"""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from replication.errors import ReplicationError

MAX_QUESTION = 2000
"""Characters of a question (a research question is a sentence or two)."""

PAPER_LAYERS = 24  # XLM-R Large; the paper's retrieval layer 14 is read at this depth
MODEL_LAYERS = {"xlm-roberta-base": 12, "xlm-roberta-large": 24}
"""Transformer layers of the models the size axis uses (hidden_states has layers + 1 entries)."""
SIZE_AXIS = ("xlm-roberta-base", "xlm-roberta-large")
FRACTION_AXIS = (0.1, 0.25, 0.5, 1.0)
ROBUST_SEEDS = (1, 2, 3, 4, 5)


@dataclass(frozen=True)
class Axis:
    """One plan field the design set (or left as it is) and why."""

    field: str
    value: Any
    rationale: str


@dataclass(frozen=True)
class DesignedPlan:
    """One plan file of the design: a suffix for its file name ("" for the main plan) and its YAML mapping."""

    suffix: str
    plan: dict[str, Any]
    note: str = ""


@dataclass
class Design:
    question: str
    source: str
    facets: list[str] = field(default_factory=list)
    axes: list[Axis] = field(default_factory=list)
    cannot_vary: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    plans: list[DesignedPlan] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "question": self.question,
            "source": self.source,
            "facets": list(self.facets),
            "axes": [{"field": a.field, "value": a.value, "rationale": a.rationale} for a in self.axes],
            "cannot_vary": list(self.cannot_vary),
            "notes": list(self.notes),
            "plans": [
                {"suffix": p.suffix, "name": p.plan["name"], "note": p.note, "plan": p.plan}
                for p in self.plans
            ],
        }


# ---------------------------------------------------------------------------------------------------------------
# facets

_MODEL_SIZE = re.compile(
    r"model[- ]?(size|scale|scaling|capacity)|scal(e|es|ing) (up )?(the )?models?|(larger|smaller|bigger) models?"
    r"|base (vs\.?|versus|and|or|to) large|large (vs\.?|versus|and|or|to) base|number of parameters|parameter count"
    r"|xlm-?r(oberta)?[- ]base"
)
_FAMILY = re.compile(
    r"language famil|famil(y|ies) of languages|linguistic(ally)? (famil|divers)|typolog|across famil"
)
_TYPOLOGY = re.compile(r"typolog|word order|morpholog|script")
_INTER_LANG = re.compile(
    r"machine[- ]translat|translated|translate-train|non-english intermediate|multilingual intermediate"
    r"|intermediate[- ](data|task)s? in (other|non-english|multiple) languages|english[- ]only (versus|vs\.?|or|and)"
    r"|language of (the )?intermediate"
)
_MULTI_TASK = re.compile(
    r"multi-?task|multiple (english )?(intermediate )?(\w+ )?tasks|combin\w* (\w+ ){0,4}tasks"
    r"|single-?task|several (intermediate )?tasks|mixture of tasks"
)
_FRACTION = re.compile(
    r"amount of (intermediate |training |english )?(training )?data|data (size|amount|fraction)|fraction"
    r"|training[- ]set size|how much (intermediate )?data|data[- ]scarc|low[- ]resource (intermediate|setting|regime)"
    r"|fewer (training )?examples|subsets? of the training"
)
_ROBUST = re.compile(r"robust|stabilit|variance|spread|across seeds|random seeds?|reliab")
_MLM = re.compile(r"\bmlm\b|masked language model")
_LOW_RESOURCE_LANG = re.compile(r"low[- ]resource languages?")

# what the harness cannot vary: (pattern, plain statement)
UNSUPPORTED: tuple[tuple[re.Pattern[str], str], ...] = (
    (
        re.compile(r"multi-?modal|vision|visual|\bimages?\b|video"),
        "multimodal inputs (images, video): the harness trains text encoders on text tasks only; no plan field adds a "
        "modality",
    ),
    (
        re.compile(r"speech|audio|spoken|acoustic"),
        "speech/audio: the harness has no speech data, models or tasks; no plan field adds them",
    ),
    (
        re.compile(r"human (evaluation|judg|annotat|rating)|annotators?|user stud"),
        "human evaluation: the harness scores runs with the tasks' automatic metrics only",
    ),
    (
        re.compile(
            r"\bm?bert\b|multilingual bert|\bmt5\b|\bt5\b|\bgpt|\bllama|\bbloom|decoder|encoder-decoder|seq2seq"
            r"|other architectures|different architectures|llms?\b|large language models"
        ),
        "other architectures: the harness's heads sit on an XLM-R-style encoder; decoder or encoder-decoder models "
        "(GPT, mT5) are not supported, and other encoders (mBERT) are untested; the design varies XLM-R sizes only",
    ),
    (
        re.compile(r"pre-?train(ing)? (corpus|data|objective|from scratch)|from scratch"),
        "the pretraining itself (corpus, objective): the harness starts from a published checkpoint",
    ),
    (
        re.compile(r"adapters?\b|lora\b|prompt|in-context|few-shot"),
        "other fine-tuning methods (adapters, LoRA, prompting, few-shot): the harness fine-tunes the full encoder "
        "zero-shot",
    ),
)


def detect_facets(question: str) -> list[str]:
    """The facets a question asks about, in a fixed order."""
    q = question.lower()
    found = [
        ("model_size", _MODEL_SIZE), ("language_family", _FAMILY), ("intermediate_language", _INTER_LANG),
        ("multi_task", _MULTI_TASK), ("data_fraction", _FRACTION), ("robustness", _ROBUST), ("mlm", _MLM),
    ]  # fmt: skip
    return [name for name, pattern in found if pattern.search(q)]


def named_tasks(question: str) -> tuple[list[str], list[str]]:
    """(target tasks, intermediate tasks) named in the question by registry name or alias, in registry order."""
    from replication.tasks.registry import list_tasks

    q = " " + re.sub(r"[^a-z0-9+.]+", " ", question.lower()) + " "
    targets: list[str] = []
    inters: list[str] = []
    for spec in list_tasks():
        if (
            spec.role not in ("target", "intermediate")
            or str(getattr(spec.format, "value", spec.format)) == "mlm"
        ):
            continue
        for name in (spec.name, *spec.aliases):
            key = re.sub(r"[^a-z0-9+.]+", " ", name.lower()).strip()
            if key and re.search(rf"(?<![a-z0-9]){re.escape(key)}(?![a-z0-9]|\+)", q):
                (targets if spec.role == "target" else inters).append(spec.name)
                break
    return targets, inters


# ---------------------------------------------------------------------------------------------------------------
# design


def default_source() -> Path:
    from importlib import resources

    return Path(str(resources.files("replication.plans") / "paper_v1.yaml"))


def design(question: str, source: str | Path | None = None) -> Design:
    """The plan variant(s) a question needs; every problem is a one-line ReplicationError."""
    from replication.plan import parse_plan

    q = _check_question(question)
    path, raw, plan = _read_source(source)
    d = Design(question=q, source=path.name if source is None else str(path))
    d.facets = detect_facets(q)
    out: dict[str, Any] = copy.deepcopy(raw)
    out["targets"] = list(plan.targets)
    qlow = q.lower()

    inters = _design_targets(d, out, q)
    models = _design_models(d, out, plan)
    _design_languages(d, out, qlow)
    _design_intermediate(d, out, raw, inters, qlow)
    _design_intermediate_language(d, out, raw)
    _design_data_fraction(d, out)
    _design_seeds(d, out, plan)
    for pattern, statement in UNSUPPORTED:  # things the harness cannot vary at all
        if pattern.search(qlow):
            d.cannot_vary.append(statement)
    if not d.facets and not d.cannot_vary:
        d.notes.append("no facet of the question maps to a plan axis: the plan is the source grid unchanged")

    out["name"] = _name(plan.name, q)
    out["description"] = _description(d)
    _split_retrieval(d, out, models)
    for p in d.plans:  # every plan written must validate
        parse_plan(copy.deepcopy(p.plan), where=f"designed plan {p.plan['name']}")
    return d


def _check_question(question: str) -> str:
    """The question with its white space collapsed; empty or overlong is an error."""
    q = " ".join(str(question or "").split())
    if not q:
        raise ReplicationError("--question: give a research question (it is empty)")
    if len(q) > MAX_QUESTION:
        raise ReplicationError(
            f"--question: {len(q)} characters; a research question is at most {MAX_QUESTION}"
        )
    return q


def _read_source(source: str | Path | None) -> tuple[Path, dict[str, Any], Any]:
    """The source plan's path, its raw YAML mapping and the validated plan (names resolved)."""
    from replication.plan import MAX_PLAN_BYTES, parse_plan, read_yaml

    path = Path(source) if source is not None else default_source()
    try:
        if path.stat().st_size > MAX_PLAN_BYTES:
            raise ReplicationError(f"{path}: plan file too large (a plan is at most {MAX_PLAN_BYTES} bytes)")
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ReplicationError(f"--from: plan file not found: {path}") from None
    except IsADirectoryError:
        raise ReplicationError(f"--from: {path} is a folder, not a plan file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ReplicationError(f"--from: cannot read plan {path}: {type(exc).__name__}") from None
    raw = read_yaml(text, where=str(path))
    return path, raw, parse_plan(copy.deepcopy(raw), where=str(path))


def _design_targets(d: Design, out: dict[str, Any], q: str) -> list[str]:
    """Targets: the ones the question names, else the source plan's. Returns the intermediate tasks it names."""
    targets, inters = named_tasks(q)
    if targets:
        d.facets.append("target_tasks")
        out["targets"] = [t for t in targets]
        d.axes.append(Axis("targets", list(out["targets"]),
                           f"the question names {', '.join(targets)}: only "
                           + ("that target is" if len(targets) == 1 else "those targets are") + " evaluated"))  # fmt: skip
    else:
        d.axes.append(
            Axis(
                "targets",
                list(out["targets"]),
                f"no target task is named: the source plan's {len(out['targets'])} targets",
            )
        )
    if inters:
        d.facets.append("intermediate_tasks")
    return inters


def _design_models(d: Design, out: dict[str, Any], plan: Any) -> list[str]:
    """Base models: the XLM-R size pair when model size is asked about, else the source plan's. Returns them."""
    models = list(plan.base_models)
    if "model_size" not in d.facets:
        d.axes.append(
            Axis("base_model", models, "model size is not asked about: the source plan's base model")
        )
        return models
    models = [m for m in SIZE_AXIS]
    out["base_model"] = models
    d.axes.append(Axis("base_model", models,
                       "model size: XLM-R Base (270M parameters, 12 layers) and Large (550M, 24 layers), the "
                       "two public XLM-R sizes; every other axis is crossed with both, so each delta against the "
                       "baseline can be compared between sizes"))  # fmt: skip
    bigger = [m for m in plan.base_models if m not in SIZE_AXIS]
    if bigger:
        d.notes.append(
            f"the source plan's base model(s) {', '.join(bigger)} are replaced by the XLM-R size pair"
        )
    return models


def _design_languages(d: Design, out: dict[str, Any], qlow: str) -> None:
    """Language families: every language evaluated (results group them by family); low-resource languages noted."""
    evaluation = dict(out.get("evaluation") or {})
    if "language_family" in d.facets:
        if evaluation.get("languages") is not None:
            d.notes.append("evaluation.languages was restricted in the source plan; reset to every language")
        evaluation["languages"] = None
        out["evaluation"] = evaluation
        d.axes.append(
            Axis(
                "evaluation.languages",
                None,
                "language families: every language of every target is evaluated, and `assay replicate "
                "results` aggregates the deltas per language family (the registry's LANGUAGE_FAMILIES, "
                "14 groups over the 40 XTREME languages); no plan field is needed for the grouping",
            )
        )
        d.notes.append("family coverage of the targets: " + family_coverage(out["targets"]))
        if _TYPOLOGY.search(qlow):
            d.cannot_vary.append(
                "typological features (word order, morphology, script): results are grouped by "
                "genealogical family only; per-language tables are the closest the harness gives"
            )
    if _LOW_RESOURCE_LANG.search(qlow):
        d.notes.append(
            "low-resource languages are read from the per-language tables; the harness cannot change how "
            "much pretraining data a language had"
        )


def _design_intermediate(
    d: Design, out: dict[str, Any], raw: dict[str, Any], inters: list[str], qlow: str
) -> None:
    """Intermediate settings: the baseline and the named tasks' settings when the question names some, the single-
    vs multi-task grid when it asks about that, else the source plan's."""
    settings = list(raw.get("intermediate", ["none"]))
    want_mlm = "mlm" in d.facets
    if inters:
        keep = [s for s in settings if _tasks_of(s) and set(_tasks_of(s)) <= set(inters)
                and (want_mlm or not _has_mlm(s))]  # fmt: skip
        have = {tuple(_tasks_of(s)) for s in keep if not _has_mlm(s)}
        keep += [t for t in inters if (t,) not in have]
        settings = ["none", *keep]
        why = f"the question names the intermediate task(s) {', '.join(inters)}: the baseline and those settings"
    else:
        why = "the source plan's intermediate settings"
    if "multi_task" in d.facets:
        settings, why = _single_vs_multi(d, settings, inters, want_mlm, qlow)
    out["intermediate"] = settings
    d.axes.append(Axis("intermediate", [_setting_name(s) for s in settings], why))


def _single_vs_multi(
    d: Design, settings: list[Any], inters: list[str], want_mlm: bool, qlow: str
) -> tuple[list[Any], str]:
    """The settings with a multi-task mixture of the single tasks added when there is none (MLM co-training left
    out unless asked about), and the axis's rationale."""
    singles = [s for s in settings if len(_tasks_of(s)) == 1 and not _has_mlm(s)]
    multis = [s for s in settings if len(_tasks_of(s)) > 1 and not _has_mlm(s)]
    if not want_mlm:
        settings = [s for s in settings if not _has_mlm(s)]
    if not multis:
        tasks = [_tasks_of(s)[0] for s in singles if not _tasks_of(s)[0].startswith("squad")]
        if len(tasks) >= 2:
            settings.append({"name": "multi_task", "tasks": tasks, "size_cap": 131072,
                             "hyperparameters": {"epochs": 3}})  # fmt: skip
    if not any(len(_tasks_of(s)) == 1 for s in settings):
        d.cannot_vary.append(
            "single- vs multi-task: the source plan and the question leave fewer than two "
            "intermediate tasks, so there is no multi-task setting to compare"
        )
    why = ("single- vs multi-task: the baseline, each single intermediate task and the multi-task mixture (batches "
           "sampled proportionally to min(examples, 2^17), all tasks but SQuAD as in the paper)"
           + ("" if want_mlm else "; the MLM co-training variants are left out (the question does not ask "
              "about MLM)") + (f"; restricted to {', '.join(inters)}" if inters else ""))  # fmt: skip
    if re.search(r"syntactic|syntax", qlow):
        d.notes.append(
            "syntactic vs semantic: CCG supertagging (ccg) is the syntactic intermediate task; the "
            "others are semantic/commonsense; each single task is its own setting in the grid"
        )
    return settings, why


def _design_intermediate_language(d: Design, out: dict[str, Any], raw: dict[str, Any]) -> None:
    """Intermediate data is English only: say so, and keep the '+mlm' settings as the multilingual contrast."""
    if "intermediate_language" not in d.facets:
        return
    d.cannot_vary.append(
        "the language of the intermediate data (machine-translated or multilingual intermediate "
        "tasks): every intermediate task in the registry is English only, so intermediate_language "
        "stays 'en'; the closest contrast the harness runs is English tasks with and without "
        "multilingual MLM co-training (the '+mlm' settings)"
    )
    if not any(_has_mlm(s) for s in out["intermediate"]):
        out["intermediate"] = list(out["intermediate"]) + [
            s for s in raw.get("intermediate", []) if _has_mlm(s)
        ]
        d.axes[-1] = Axis(
            "intermediate",
            [_setting_name(s) for s in out["intermediate"]],
            d.axes[-1].rationale + "; the '+mlm' settings are kept as the multilingual contrast",
        )


def _design_data_fraction(d: Design, out: dict[str, Any]) -> None:
    if "data_fraction" in d.facets:
        out["data_fraction"] = list(FRACTION_AXIS)
        d.axes.append(Axis("data_fraction", list(FRACTION_AXIS),
                           "amount of intermediate data: 10%, 25%, 50% and all of each intermediate training set "
                           "(the baseline has no intermediate data and runs once)"))  # fmt: skip


def _design_seeds(d: Design, out: dict[str, Any], plan: Any) -> None:
    """Seeds: five when robustness is asked about (and the source has fewer), else the source plan's."""
    seeds = list(plan.seeds)
    if "robustness" in d.facets and len(seeds) < len(ROBUST_SEEDS):
        seeds = list(ROBUST_SEEDS)
        out["seeds"] = seeds
        d.axes.append(
            Axis(
                "seeds",
                seeds,
                "robustness is measured as the spread over seeds and over languages; five seeds, since "
                "seed spread on small targets (PAWS-X, TyDiQA) is of the order of the reported deltas",
            )
        )
    else:
        d.axes.append(Axis("seeds", seeds, "the source plan's seeds"))
    if "robustness" in d.facets:
        d.cannot_vary.append(
            "adversarial or perturbed inputs: the harness evaluates the tasks' own test sets; "
            "robustness here means stability across seeds and languages"
        )


def family_coverage(targets: list[str]) -> str:
    """Which families the targets' test languages cover, e.g. 'Indo-European 9 targets, Kartvelian 2 (...)'."""
    from replication.tasks.registry import LANGUAGE_FAMILIES, get_task

    parts = []
    for fam, langs in LANGUAGE_FAMILIES.items():
        covering = [t for t in targets if set(get_task(t).languages) & set(langs)]
        parts.append(f"{fam} {len(covering)}" + ("" if len(covering) in (0, len(targets)) else
                                                 f" ({', '.join(covering)})"))  # fmt: skip
    missing = [fam for fam, langs in LANGUAGE_FAMILIES.items()
               if not any(set(get_task(t).languages) & set(langs) for t in targets)]  # fmt: skip
    text = "; ".join(parts) + f" (of {len(targets)} targets)"
    if missing:
        text += f"; no target covers {', '.join(missing)}"
    return text


def _tasks_of(setting: Any) -> list[str]:
    if isinstance(setting, str):
        return [] if setting.lower() in ("none", "baseline") else [setting]
    if isinstance(setting, list):
        return [str(t) for t in setting]
    if isinstance(setting, dict):
        return [str(t) for t in setting.get("tasks") or []]
    return []


def _has_mlm(setting: Any) -> bool:
    return isinstance(setting, dict) and setting.get("mlm") is not None


def _setting_name(setting: Any) -> str:
    if isinstance(setting, dict):
        return str(
            setting.get("name") or "+".join(_tasks_of(setting) + (["mlm"] if _has_mlm(setting) else []))
        )
    if isinstance(setting, list):
        return "+".join(setting)
    return "none" if setting is None else str(setting)


def _name(base: str, question: str) -> str:
    import hashlib

    digest = hashlib.sha256(question.encode("utf-8")).hexdigest()[:8]
    return f"{base[:40]}-design-{digest}"


def _description(d: Design) -> str:
    lines = [f"Designed for the question: {d.question}"]
    lines += [f"{a.field}: {a.rationale}" for a in d.axes]
    lines += [f"CANNOT VARY: {c}" for c in d.cannot_vary]
    return "\n".join(lines)


def _split_retrieval(d: Design, out: dict[str, Any], models: list[str]) -> None:
    """One plan, or (when a model lacks the retrieval layer) the trained targets plus a retrieval plan per model."""
    from replication.plan import task_format

    layer = int((out.get("retrieval") or {}).get("layer", 14))
    retrieval = [t for t in out["targets"] if task_format(t) == "retrieval"]
    short = [m for m in models if m in MODEL_LAYERS and MODEL_LAYERS[m] < layer]
    if not retrieval or not short:
        d.plans.append(DesignedPlan("", out))
        return
    trained = [t for t in out["targets"] if t not in retrieval]
    note = (f"retrieval.layer is one value per plan and hidden_states[{layer}] does not exist in {', '.join(short)} "
            f"({', '.join(str(MODEL_LAYERS[m]) for m in short)} layers): {', '.join(retrieval)} run in one plan per "
            f"model, at the same relative depth ({layer} of {PAPER_LAYERS} layers)")  # fmt: skip
    d.notes.append(note)
    if trained:
        main = dict(out, targets=trained)
        main["description"] = out["description"] + f"\nNOTE: {note}"
        d.plans.append(DesignedPlan("", main, "trained targets, every model"))
    for m in models:
        n_layers = MODEL_LAYERS.get(m)
        if n_layers is None:
            d.cannot_vary.append(
                f"retrieval on {m}: its depth is unknown here, so no layer at the paper's relative "
                f"depth can be chosen; run it with a plan of its own"
            )
            continue
        m_layer = round(layer * n_layers / PAPER_LAYERS)
        plan = dict(out, name=f"{out['name']}-retrieval-{m.rsplit('/', 1)[-1]}"[:64], base_model=m,
                    targets=retrieval, retrieval=dict(out.get("retrieval") or {}, layer=m_layer))  # fmt: skip
        plan["description"] = out["description"] + f"\nNOTE: {note}; this plan: {m}, layer {m_layer}"
        d.plans.append(
            DesignedPlan(
                f"retrieval-{m.rsplit('/', 1)[-1]}",
                plan,
                f"{', '.join(retrieval)} on {m}, retrieval.layer {m_layer}",
            )
        )
    d.axes.append(Axis("retrieval.layer", {m: round(layer * MODEL_LAYERS[m] / PAPER_LAYERS) for m in models
                                           if m in MODEL_LAYERS}, note))  # fmt: skip


# ---------------------------------------------------------------------------------------------------------------
# rendering


def render_yaml(d: Design, p: DesignedPlan) -> str:
    """The plan as YAML with a comment header: the question, the rationale per axis, what cannot be varied."""
    import yaml

    def comment(text: str) -> list[str]:
        return ["# " + line if line else "#" for line in _wrap(text, 114)]

    head = comment(f"Plan designed by `assay replicate design` from {d.source} for the question:")
    head += comment(f"  {d.question}")
    if p.note:
        head += comment(f"This file: {p.note}.")
    head.append("#")
    head += comment("Axes and why:")
    for a in d.axes:
        head += comment(f"  - {a.field} = {_short(a.value)}: {a.rationale}")
    if d.cannot_vary:
        head.append("#")
        head += comment("What the harness CANNOT vary (stated, not faked):")
        for c in d.cannot_vary:
            head += comment(f"  - {c}")
    if d.notes:
        head.append("#")
        head += comment("Notes:")
        for n in d.notes:
            head += comment(f"  - {n}")
    order = ["name", "source", "description", "base_model", "seeds", "data_fraction", "intermediate_language",
             "data", "retrieval", "evaluation", "hyperparameters", "intermediate", "targets", "tasks"]  # fmt: skip
    ordered = {k: p.plan[k] for k in order if k in p.plan}
    ordered.update({k: v for k, v in p.plan.items() if k not in ordered})
    body = yaml.safe_dump(ordered, sort_keys=False, allow_unicode=True, width=118, default_flow_style=None)
    return "\n".join(head) + "\n" + body


def _short(value: Any) -> str:
    if isinstance(value, list):
        return "[" + ", ".join(str(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {v}" for k, v in value.items()) + "}"
    return "null" if value is None else str(value)


def _wrap(text: str, width: int) -> list[str]:
    import textwrap

    indent = " " * (len(text) - len(text.lstrip()) + (2 if text.lstrip().startswith("- ") else 0))
    return textwrap.wrap(text, width=width, subsequent_indent=indent, break_on_hyphens=False) or [""]


def render_text(d: Design) -> str:
    """A human summary: facets, axes with rationale, what cannot be varied, notes."""
    lines = [f"question: {d.question}", f"from: {d.source}",
             f"facets: {', '.join(d.facets) if d.facets else '(none recognised)'}", "axes:"]  # fmt: skip
    lines += [f"  {a.field} = {_short(a.value)}\n      {a.rationale}" for a in d.axes]
    if d.cannot_vary:
        lines.append("cannot vary:")
        lines += [f"  - {c}" for c in d.cannot_vary]
    if d.notes:
        lines.append("notes:")
        lines += [f"  - {n}" for n in d.notes]
    return "\n".join(lines) + "\n"
