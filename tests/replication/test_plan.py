"""Plans: validation with errors that name the field, grid expansion, lineage hashes."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from replication.errors import ReplicationError
from replication.plan import SIZE_CAP, expand, lineage_hash, load_plan, parse_plan, select

BASE = {"name": "t", "targets": ["xnli", "bucc2018"], "intermediate": ["none", "anli_plus"], "seeds": [1, 2]}


def write(tmp_path: Path, data: dict | str) -> Path:
    p = tmp_path / "plan.yaml"
    p.write_text(data if isinstance(data, str) else yaml.safe_dump(data), encoding="utf-8")
    return p


def test_load_and_expand_grid(tmp_path):
    plan = load_plan(
        write(
            tmp_path,
            {**BASE, "base_model": ["xlm-roberta-base", "xlm-roberta-large"], "data": {"dir": "data"}},
        )
    )
    assert plan.base_models == ("xlm-roberta-base", "xlm-roberta-large")
    assert plan.data_dir == str((tmp_path / "data").resolve())
    runs = expand(plan)
    # per base model: baseline xnli x 2 seeds + baseline bucc once (no training, seed-free) + anli 2 x 2
    assert len(runs) == 2 * (2 + 1 + 4)
    assert len({r.id for r in runs}) == len(runs)
    anli = [r for r in runs if r.intermediate is not None]
    # runs of one (base, seed) share the intermediate checkpoint; seeds and bases do not
    by_key = {(r.base_model, r.seed): r.intermediate.id for r in anli}
    assert all(r.intermediate.id == by_key[(r.base_model, r.seed)] for r in anli)
    assert len(set(by_key.values())) == 4
    bucc = [r for r in runs if r.target == "bucc2018"]
    assert all(r.is_retrieval and r.retrieval.layer == 14 and r.retrieval.pooling == "mean" for r in bucc)
    r = anli[0]
    assert [p for p, _ in r.lineage] == ["base", "intermediate", "target"]
    assert r.config()["target"] == r.target


def test_hashes_are_stable_and_sensitive():
    a = expand(parse_plan(BASE))
    b = expand(parse_plan(dict(BASE)))
    assert [r.id for r in a] == [r.id for r in b]
    c = expand(parse_plan({**BASE, "hyperparameters": {"learning_rate": 2e-5}}))
    assert {r.id for r in a}.isdisjoint({r.id for r in c if not r.is_retrieval or r.intermediate})
    # a target-only change keeps the intermediate checkpoint
    d = expand(parse_plan({**BASE, "tasks": {"xnli": {"batch_size": 4}}}))
    inter_a = {r.intermediate.id for r in a if r.intermediate}
    inter_d = {r.intermediate.id for r in d if r.intermediate}
    assert inter_a == inter_d
    assert {r.id for r in a if r.target == "xnli"}.isdisjoint({r.id for r in d if r.target == "xnli"})
    assert lineage_hash(None, {"x": 1}) != lineage_hash("p", {"x": 1})


def test_aliases_resolve_to_names():
    plan = parse_plan({**BASE, "targets": ["PAWS-X", "bucc"], "intermediate": ["anli+", ["qqp", "SQuAD"]]})
    assert plan.targets == ("pawsx", "bucc2018")
    assert plan.intermediate[0].tasks == ("anli_plus",) and plan.intermediate[0].name == "anli_plus"
    assert plan.intermediate[1].tasks == ("qqp", "squad_v1.1")


def test_multitask_with_mlm_and_phase_hyperparameters():
    raw = {
        **BASE,
        "intermediate": [
            {
                "name": "multi",
                "tasks": ["anli_plus", "qqp"],
                "size_cap": 1000,
                "hyperparameters": {"max_steps": 50},
            }
        ],
    }
    plan = parse_plan(raw)
    spec = plan.intermediate[0]
    assert spec.size_cap == 1000 and spec.hyperparameters == {"max_steps": 50}
    run = next(r for r in expand(plan) if r.intermediate)
    assert run.intermediate.hyperparameters.max_steps == 50
    assert set(run.intermediate.task_hyperparameters) == {"anli_plus", "qqp"}
    assert parse_plan(BASE).intermediate[1].size_cap == SIZE_CAP == 131072


@pytest.mark.parametrize(
    ("change", "needle"),
    [
        ({"name": "bad name!"}, "name:"),
        ({"targets": ["xnlii"]}, "targets: unknown task 'xnlii'; did you mean 'xnli'"),
        ({"seeds": [1, 1]}, "seeds: has duplicate values"),
        ({"seeds": ["a"]}, "seeds: 'a' is not a non-negative integer"),
        ({"data_fraction": 1.5}, "data_fraction: 1.5 must be a number in (0, 1]"),
        (
            {"hyperparameters": {"learnig_rate": 1e-5}},
            "hyperparameters.learnig_rate: unknown field (did you mean 'learning_rate'?)",
        ),
        ({"hyperparameters": {"batch_size": 0}}, "hyperparameters.batch_size: 0 must be a positive integer"),
        (
            {"hyperparameters": {"learning_rate": "fast"}},
            "hyperparameters.learning_rate: 'fast' must be a (finite)",
        ),
        (
            {"hyperparameters": {"warmup_ratio": float("nan")}},
            "hyperparameters.warmup_ratio: nan must be a (finite)",
        ),
        ({"hyperparameters": {"epochs": "inf"}}, "hyperparameters.epochs: inf must be a (finite)"),
        ({"tasks": {"xnli": {"epochs": -1}}}, "tasks.xnli.epochs: -1 must be positive"),
        ({"retrieval": {"pooling": "max"}}, "retrieval.pooling: 'max' must be one of mean, cls"),
        ({"intermediate": [{"tasks": ["anli_plus"], "size_cap": 0}]}, "intermediate[0].size_cap"),
        (
            {"intermediate": [{"tasks": ["anli_plus"], "mlm": {"alpha": 0.3}}]},
            "intermediate[0].mlm: give at least 'corpus'",
        ),
        ({"intermediate": ["bucc2018"]}, "cannot be an intermediate task"),
        (
            {"intermediate": [{"tasks": ["qqp"], "mlm": {"corpus": "qqp"}}]},
            "mlm.corpus: qqp is not an MLM corpus",
        ),
        ({"targets": None}, "targets: list the target tasks"),
        ({"evaluation": {"max_examples": 0}}, "evaluation.max_examples"),
        ({"data": {"revisions": {"xnli": 3}}}, "data.revisions"),
        ({"extra": 1}, "extra: unknown field"),
    ],
)
def test_errors_name_the_field(change, needle):
    with pytest.raises(ReplicationError) as err:
        parse_plan({**BASE, **change}, where="p.yaml")
    assert needle in str(err.value)
    assert str(err.value).startswith("p.yaml: ")


def test_file_errors(tmp_path):
    with pytest.raises(ReplicationError, match="plan file not found"):
        load_plan(tmp_path / "missing.yaml")
    with pytest.raises(ReplicationError, match="not valid YAML"):
        load_plan(write(tmp_path, "name: [unclosed"))
    with pytest.raises(ReplicationError, match="a plan is a mapping"):
        load_plan(write(tmp_path, "- just\n- a list\n"))


def test_yaml_scientific_notation_without_dot(tmp_path):
    # YAML 1.1 reads 1e-5 as a string; the plan accepts it as the number it means
    plan = load_plan(write(tmp_path, "name: t\ntargets: [xnli]\nhyperparameters: {learning_rate: 1e-5}\n"))
    assert plan.hyperparameters.learning_rate == 1e-5


def test_select_by_hash_prefix_and_limit():
    runs = expand(parse_plan(BASE))
    one = select(runs, only=runs[3].id[:8])
    assert [r.id for r in one] == [runs[3].id]
    inter = next(r for r in runs if r.intermediate)
    assert all(
        r.intermediate and r.intermediate.id == inter.intermediate.id
        for r in select(runs, only=inter.intermediate.id)
    )
    assert len(select(runs, limit=2)) == 2
    with pytest.raises(ReplicationError, match="no run of the plan"):
        select(runs, only="zzzz")


def test_cli_plan_table_and_json(assay, home, tmp_path):
    path = write(tmp_path, BASE)
    res = assay("replicate", "plan", str(path), "--json")
    assert res.code == 0, res.err
    import json

    data = json.loads(res.out)
    assert data["plan"] == "t" and len(data["runs"]) == len(expand(load_plan(path)))
    assert {r["state"] for r in data["runs"]} == {"todo"}
    res = assay("replicate", "plan", str(path))
    assert res.code == 0 and "to do" in res.out
    bad = write(tmp_path, {**BASE, "targets": ["nope"]})
    res = assay("replicate", "plan", str(bad))
    assert res.code == 2 and res.err.startswith("error: ") and "targets: unknown task 'nope'" in res.err


_scalars = st.none() | st.booleans() | st.integers(-5, 10) | st.floats(allow_nan=True) | st.text(max_size=12)
_values = st.recursive(_scalars, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(
    st.sampled_from(["name", "tasks", "mlm", "corpus", "alpha", "batch_size", "layer", "x"]), inner, max_size=3),
    max_leaves=8)  # fmt: skip
_keys = st.sampled_from(
    [
        "name",
        "targets",
        "seeds",
        "base_model",
        "data_fraction",
        "intermediate_language",
        "intermediate",
        "hyperparameters",
        "tasks",
        "retrieval",
        "evaluation",
        "data",
        "bogus",
    ]
)


@settings(max_examples=200, deadline=None)
@given(st.dictionaries(_keys, _values, max_size=6) | _values)
def test_hostile_plans_fail_only_with_replication_errors(raw):
    try:
        plan = parse_plan(raw)
    except ReplicationError as exc:
        assert str(exc).startswith("plan: ")
        return
    expand(plan)  # whatever validates must also expand


@settings(max_examples=300, deadline=None)
@given(_keys, _values, _keys, _values)
def test_one_hostile_field_in_a_valid_plan(k1, v1, k2, v2):
    raw = {**BASE, k1: v1, k2: v2}
    try:
        plan = parse_plan(raw)
    except ReplicationError as exc:
        assert str(exc).startswith("plan: ")
        return
    assert expand(plan)
