"""`assay replicate design`: a research question becomes a plan variant that validates, with a rationale per axis."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from replication.design import design, render_yaml
from replication.plan import expand, load_plan

Q000 = (
    "How does the effectiveness of intermediate-task training vary across different language families in the "
    "XTREME benchmark when scaling model size?"
)
Q003 = (
    "What is the impact of combining multiple English intermediate language-understanding tasks (e.g., syntactic "
    "and semantic tasks) on the robustness of cross-lingual transfer in the PAWS-X task compared to single-task "
    "intermediate training?"
)


def _sample_question(shared_dir: Path, prefix: str) -> str:
    path = next((shared_dir / "samples" / "reports").glob(f"{prefix}_*.txt"))
    m = re.search(r"Research question:\s*(.+?\?)", path.read_text(encoding="utf-8"), re.S)
    assert m, path
    return " ".join(m.group(1).split())


def test_sample_questions_are_the_ones_tested(shared_dir: Path) -> None:
    assert _sample_question(shared_dir, "000") == Q000
    assert _sample_question(shared_dir, "003") == Q003


def test_sample_000_plan_has_model_size_axis_and_family_aggregation(
    assay, home: Path, tmp_path: Path
) -> None:
    out = tmp_path / "q000.yaml"
    r = assay("replicate", "design", "--question", Q000, "--out", out, "--json")
    assert r.code == 0, r.err
    data = json.loads(r.out)
    assert {"model_size", "language_family"} <= set(data["facets"])
    axes = {a["field"]: a for a in data["axes"]}
    assert axes["base_model"]["value"] == ["xlm-roberta-base", "xlm-roberta-large"]
    assert "family" in axes["evaluation.languages"]["rationale"]
    files = [Path(p["file"]) for p in data["plans"]]
    assert files[0] == out and all(f.is_file() for f in files)
    models, targets = set(), set()
    for f in files:
        r = assay("replicate", "plan", f, "--json")  # the existing validator accepts every file
        assert r.code == 0, r.err
        plan = load_plan(f)
        assert plan.evaluation.languages is None
        models |= set(plan.base_models)
        targets |= set(plan.targets)
        for run in expand(plan):  # the retrieval layer exists in the model it embeds with
            if run.is_retrieval:
                assert (
                    run.retrieval.layer <= {"xlm-roberta-base": 12, "xlm-roberta-large": 24}[run.base_model]
                )
    assert models == {"xlm-roberta-base", "xlm-roberta-large"}
    assert {"xnli", "tatoeba", "bucc2018"} <= targets
    text = out.read_text(encoding="utf-8")
    assert text.startswith("# Plan designed by `assay replicate design`") and "base_model" in text


def test_sample_003_plan_single_vs_multi_task_on_pawsx(assay, home: Path, tmp_path: Path) -> None:
    out = tmp_path / "q003.yaml"
    r = assay("replicate", "design", "-q", Q003, "--out", out)
    assert r.code == 0, r.err
    assert "cannot vary" in r.out and "adversarial" in r.out
    assert assay("replicate", "plan", out).code == 0
    plan = load_plan(out)
    assert plan.targets == ("pawsx",)
    names = [s.name for s in plan.intermediate]
    assert "none" in names and "multi_task" in names and "ccg" in names and not any("mlm" in n for n in names)
    assert len(plan.seeds) >= 5


def test_unsupported_facet_is_said_plainly(assay, home: Path, tmp_path: Path) -> None:
    out = tmp_path / "mm.yaml"
    r = assay(
        "replicate",
        "design",
        "-q",
        "Does intermediate-task training help multimodal models with image inputs and human evaluation?",
        "--out",
        out,
        "--json",
    )
    assert r.code == 0, r.err
    cannot = " ".join(json.loads(r.out)["cannot_vary"])
    assert "multimodal" in cannot and "human evaluation" in cannot
    text = out.read_text(encoding="utf-8")
    assert "CANNOT vary" in text and "multimodal" in text
    assert assay("replicate", "plan", out).code == 0


def test_intermediate_language_is_not_faked(home: Path) -> None:
    d = design("Does machine-translated intermediate data beat English-only intermediate training?")
    assert any("English only" in c for c in d.cannot_vary)
    assert all(p.plan.get("intermediate_language", "en") == "en" for p in d.plans)


def test_data_fraction_and_named_intermediate_task(home: Path) -> None:
    d = design("How do gains from QQP on XNLI scale with the amount of intermediate data?")
    (p,) = d.plans
    assert p.plan["targets"] == ["xnli"]
    assert p.plan["data_fraction"] == [0.1, 0.25, 0.5, 1.0]
    assert p.plan["intermediate"] == ["none", "qqp"]


def test_deterministic(home: Path) -> None:
    a, b = design(Q000), design(Q000)
    assert [render_yaml(a, p) for p in a.plans] == [render_yaml(b, p) for p in b.plans]
    assert a.to_dict() == b.to_dict()


def test_from_plan_is_used(assay, home: Path, tmp_path: Path) -> None:
    src = tmp_path / "small.yaml"
    src.write_text("name: small\ntargets: [xnli]\nintermediate: [none, qqp]\n", encoding="utf-8")
    out = tmp_path / "o.yaml"
    r = assay("replicate", "design", "-q", "Does it depend on model size?", "--from", src, "--out", out)
    assert r.code == 0, r.err
    plan = load_plan(out)
    assert plan.name.startswith("small-design-") and plan.base_models == (
        "xlm-roberta-base",
        "xlm-roberta-large",
    )


@pytest.mark.parametrize(
    "args, needle",
    [
        (["-q", "   "], "question"),
        (["-q", "model size?", "--from", "{tmp}/missing.yaml"], "not found"),
        (["-q", "model size?", "--out", "{tmp}/no/such/dir/p.yaml"], "does not exist"),
        (["-q", "model size?", "--out", "{tmp}"], "folder"),
        (["-q", "model size?", "--out", "{tmp}/afile/p.yaml"], "does not exist"),
    ],
)
def test_bad_input_is_one_line_exit_2(
    assay, home: Path, tmp_path: Path, args: list[str], needle: str
) -> None:
    (tmp_path / "afile").write_text("x", encoding="utf-8")
    before = sorted(p.name for p in tmp_path.rglob("*"))
    r = assay("replicate", "design", *[a.format(tmp=tmp_path) for a in args])
    assert r.code == 2
    lines = r.err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error:") and needle in lines[0], r.err
    assert sorted(p.name for p in tmp_path.rglob("*")) == before  # nothing written, no temp files left


def test_failed_write_leaves_nothing(home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import os

    from replication.errors import ReplicationError
    from reports.commands import replicate_design

    real = os.replace
    calls = []

    def flaky(src, dst):  # the first rename fails (disk full): no plan file and no temp file is left
        calls.append(dst)
        if len(calls) == 1:
            raise OSError(28, "No space left on device")
        return real(src, dst)

    monkeypatch.setattr(replicate_design.os, "replace", flaky)
    with pytest.raises(ReplicationError):
        replicate_design.write_all([(tmp_path / "a.yaml", "a"), (tmp_path / "b.yaml", "b")])
    assert list(tmp_path.iterdir()) == []
