"""The contracts (plan, claims, verdicts, audit, report, run record) against their JSON Schemas in docs/schemas: the
files are what `python -m reports.schemas` exports from the typed models, and what the commands write validates
against them (claims from `assay claims`, verdicts from `assay verify`, the audit from `assay audit`, a report from
`assay report`, a run record from a tiny run, the shipped plans)."""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

import jsonschema
import pytest
import yaml

REPO = Path(__file__).resolve().parents[1]
SCHEMAS = REPO / "docs" / "schemas"
NAMES = ("plan", "claim", "verdict", "audit", "report", "run")
SAMPLE_003 = "003_e33cde30560dc40f.txt"
FAST = {"ASSAY_OFFLINE": "1", "ASSAY_EMBEDDING_MODEL": "none", "ASSAY_VERIFIER_MODEL": "none",
        "SOURCE_DATE_EPOCH": "1780000000"}  # fmt: skip


def _schema(name: str) -> dict:
    return json.loads((SCHEMAS / f"{name}.schema.json").read_text(encoding="utf-8"))


def _valid(instance: object, name: str) -> None:
    jsonschema.Draft202012Validator(_schema(name)).validate(instance)


def _invalid(instance: object, name: str) -> None:
    with pytest.raises(jsonschema.ValidationError):
        _valid(instance, name)


def _lines(path: Path) -> list[dict]:
    return [json.loads(x) for x in path.read_text(encoding="utf-8").splitlines() if x.strip()]


# ---- the files are the models' export ------------------------------------------------------------------------------


@pytest.mark.parametrize("name", NAMES)
def test_schema_file_is_what_the_exporter_writes(name: str) -> None:
    from reports.schemas import render, schema

    path = SCHEMAS / f"{name}.schema.json"
    assert path.is_file(), "run: python -m reports.schemas"
    assert path.read_text(encoding="utf-8") == render(name), "run: python -m reports.schemas"
    jsonschema.Draft202012Validator.check_schema(schema(name))


def test_exporter_writes_every_file_and_check_finds_stale_ones(tmp_path: Path) -> None:
    from reports.schemas import main, stale

    assert stale(SCHEMAS) == []
    assert main([str(tmp_path)]) == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(f"{n}.schema.json" for n in NAMES)
    assert main(["--check", str(tmp_path)]) == 0
    (tmp_path / "plan.schema.json").write_text("{}", encoding="utf-8")
    (tmp_path / "run.schema.json").unlink()
    assert stale(tmp_path) == ["plan.schema.json", "run.schema.json"]
    assert main(["--check", str(tmp_path)]) == 1


# ---- plans -------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path", sorted((REPO / "replication" / "plans").glob("*.yaml")), ids=lambda p: p.name
)
def test_shipped_plans_validate(path: Path) -> None:
    from replication.plan import PlanFile, load_plan

    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    _valid(raw, "plan")
    PlanFile.model_validate(raw)
    assert load_plan(path).name == raw["name"]


def test_plan_schema_refuses_what_the_plan_checks_refuse() -> None:
    base = {"name": "t", "targets": ["xnli"]}
    _valid({**base, "seeds": 3, "intermediate": ["none", "anli_plus", ["qqp", "anli_plus"],
                                                 {"tasks": ["qqp"], "mlm": "wiki_mlm"}]}, "plan")  # fmt: skip
    _valid({**base, "hyperparameters": {"learning_rate": "1e-5"}}, "plan")  # YAML reads 1e-5 as a string
    for bad in ({"targets": ["xnli"]}, {**base, "seedz": [1]}, {**base, "seeds": [-1]},
                {**base, "hyperparameters": {"batch_size": 0}}, {**base, "retrieval": {"pooling": "max"}},
                {**base, "name": "bad name!"}):  # fmt: skip
        _invalid(bad, "plan")


# ---- run records ---------------------------------------------------------------------------------------------------


def test_run_record_of_a_tiny_run(tmp_path: Path) -> None:
    pytest.importorskip("torch")
    sys.path.insert(0, str(REPO / "tests" / "replication"))
    try:
        import toy_tasks
    finally:
        sys.path.remove(str(REPO / "tests" / "replication"))
    import torch

    from replication.plan import parse_plan
    from replication.record import RunRecord
    from replication.runner import run_plan

    toy_tasks.register()
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        (tmp_path / "model").mkdir()
        model = toy_tasks.build_model(tmp_path / "model")
        plan = parse_plan(toy_tasks.plan_dict(model, intermediate=["none"]))
        run_plan(plan, tmp_path / "runs")
    finally:
        torch.set_num_threads(before)
        toy_tasks.unregister()
    records = [json.loads(p.read_text(encoding="utf-8")) for p in (tmp_path / "runs").glob("*/result.json")]
    assert len(records) == 1
    record = records[0]
    _valid(record, "run")
    assert RunRecord.model_validate(record).to_json() == record
    _invalid({**record, "seed": -1}, "run")
    _invalid({k: v for k, v in record.items() if k != "lineage"}, "run")


# ---- claims, verdicts, audit, report on the real corpus -------------------------------------------------------------


@pytest.fixture(scope="session")
def samples_dir(shared_dir: Path) -> Path:
    return shared_dir / "samples" / "reports"


@pytest.fixture()
def corpus_copy(tmp_path: Path, corpus_home: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A writable copy of the session's ingested corpus home, offline and fast (no embedding or verifier model)."""
    h = tmp_path / "home"
    shutil.copytree(corpus_home, h)
    monkeypatch.setenv("ASSAY_HOME", str(h))
    for k, v in FAST.items():
        monkeypatch.setenv(k, v)
    return h


def test_claims_and_verdicts_from_the_cli(assay, corpus_copy: Path, tmp_path: Path) -> None:  # noqa: ANN001
    from synthesis.claims import ClaimRecord
    from synthesis.verdicts import ClaimInput, Verdict

    claims = tmp_path / "claims.jsonl"
    kinds = "finding,hedge,future_work,setup,table_fact,background"
    r = assay("claims", "2005.13013v1", "--kind", kinds, "--out", str(claims))
    assert r.code == 0, r.err
    rows = _lines(claims)
    assert rows
    for row in rows:
        _valid(row, "claim")
        ClaimInput.model_validate(row)
        ClaimRecord.model_validate(row)
    with pytest.raises(ValueError):
        ClaimRecord.model_validate({**rows[0], "kind": "opinion"})
    rows = [r for r in rows if r["kind"] == "finding"]
    _invalid({"id": "x"}, "claim")
    _invalid({"id": "x", "text": 123}, "claim")

    few = tmp_path / "few.jsonl"
    few.write_text("".join(json.dumps(row) + "\n" for row in rows[:4]), encoding="utf-8")
    verdicts = tmp_path / "verdicts.jsonl"
    r = assay("verify", "--claims", str(few), "--out", str(verdicts))
    assert r.code == 0, r.err
    out = _lines(verdicts)
    assert len(out) == 4
    for v in out:
        _valid(v, "verdict")
        Verdict.model_validate(v)
    _invalid({**out[0], "label": "maybe"}, "verdict")
    _invalid({**out[0], "confidence": 1.5}, "verdict")


def test_audit_json_from_the_cli(assay, corpus_copy: Path, samples_dir: Path) -> None:  # noqa: ANN001
    from reports.audit.model import Audit

    r = assay("audit", "--json", str(samples_dir / SAMPLE_003))
    assert r.code == 0, r.err
    audit = json.loads(r.out)
    _valid(audit, "audit")
    assert Audit.model_validate(audit).to_json() == audit
    assert audit["claims"] and audit["findings"]
    _invalid({**audit, "schema": "assay.audit/2"}, "audit")
    _invalid({**audit, "findings": [{**audit["findings"][0], "severity": "fatal"}]}, "audit")


def test_report_json_from_the_cli(assay, corpus_copy: Path, tmp_path: Path) -> None:  # noqa: ANN001
    from reports.report.model import Report

    out = tmp_path / "out"
    question = ("How does the effectiveness of intermediate-task training vary across different language families "
                "in the XTREME benchmark when scaling model size?")  # fmt: skip
    r = assay("report", "2005.13013v1", "--question", question, "--format", "json", "--out", str(out))
    assert r.code == 0, r.err
    report = json.loads((out / "report.json").read_text(encoding="utf-8"))
    _valid(report, "report")
    Report.model_validate(report)
    _invalid({k: v for k, v in report.items() if k != "answer"}, "report")
