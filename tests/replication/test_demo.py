"""`assay demo`: the synthetic replication end to end (quick by default; the transfer claims in a slow test)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from replication.synthetic.demo import BASES, INTERMEDIATE, TARGETS, DemoConfig, run_demo


@pytest.fixture(scope="module")
def quick_demo(tmp_path_factory: pytest.TempPathFactory):
    out = tmp_path_factory.mktemp("demo")
    return out, run_demo(out, DemoConfig.quick())


def test_quick_demo_writes_run_results_and_tables(quick_demo):
    out, result = quick_demo
    paths = [Path(p) for p in result.results]
    assert paths and all(p.is_file() for p in paths)
    records = [json.loads(p.read_text()) for p in paths]
    assert {r["schema"] for r in records} == {"assay.run/1"}
    main = [r for r in records if r["plan"] == "synthetic-demo"]
    assert {r["target"] for r in main} == set(TARGETS)
    assert {r["intermediate"] for r in main} == {"none", INTERMEDIATE}
    for r in main:
        langs = set(r["metrics"])
        assert {"a1", "a2", "b1", "b2"} <= langs  # zero-shot on every fake language
        assert r["lineage"][0]["phase"] == "base"
    controls = [r for r in records if r["plan"] == "synthetic-controls"]
    assert {Path(r["base_model"]).name for r in controls} == {"mlm-en", "random"}
    assert len({Path(r["base_model"]).parent for r in records}) == 1  # one fingerprinted folder of encoders
    # the tables a real run prints, plus the family and controls tables
    for heading in ("syn-pos: per language", "Zero-shot scores by language family", "Controls (baseline runs)",
                    "Intermediate-task deltas vs baseline by family", "Checks:"):  # fmt: skip
        assert heading in result.tables, heading
    assert set(result.scores) == set(BASES)
    summary = json.loads((out / "demo.json").read_text())
    assert summary["checks"]["targets"] == ["syn-retrieval", "syn-xnli"]
    assert summary["world"]["languages"]["b1"]["order"] == "inverted"


def test_quick_demo_resumes_without_redoing_work(quick_demo):
    out, first = quick_demo
    stamps = {p: Path(p).stat().st_mtime_ns for p in first.results}
    models = {p: p.stat().st_mtime_ns for p in (out / "models").rglob("*.safetensors")}
    again = run_demo(out, DemoConfig.quick())
    assert again.results == first.results
    assert {p: Path(p).stat().st_mtime_ns for p in again.results} == stamps  # finished runs are not redone
    assert {p: p.stat().st_mtime_ns for p in (out / "models").rglob("*.safetensors")} == models
    assert again.checks == first.checks


def test_cli_demo_quick_json(quick_demo, assay, home):
    out, _ = quick_demo
    res = assay("demo", "--quick", "--seeds", "1", "--out", str(out), "--json")
    assert res.code == 0, res.err
    payload = json.loads(res.out)
    assert payload["checks"]["targets"] and "tables" not in payload
    res = assay("replicate", "demo", "--quick", "--seeds", "1", "--out", str(out))
    assert res.code == 0, res.err
    assert "Controls (baseline runs)" in res.out and "reproduce: assay demo --seeds 1 --quick" in res.out


def test_cli_demo_rejects_a_file_as_out(tmp_path, assay, home):
    f = tmp_path / "file"
    f.write_text("x")
    res = assay("demo", "--quick", "--out", str(f))
    assert res.code == 2 and "not a folder" in res.err


@pytest.mark.slow
def test_transfer_effect_over_three_seeds(tmp_path):
    """Zero-shot transfer is real: same-order languages clearly above chance, controls near it, inversion worse."""
    result = run_demo(tmp_path, DemoConfig(seeds=(1, 2, 3)))
    chk = result.checks
    assert chk["same_order_above_chance"], chk
    assert chk["controls_near_chance"], chk
    assert chk["inverted_transfers_worse"], chk
