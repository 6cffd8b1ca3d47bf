"""`assay demo`: the synthetic replication end to end (quick by default; the transfer claims in a slow test)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from replication.synthetic.demo import (
    BASES,
    INTERMEDIATE,
    TARGETS,
    DemoConfig,
    register_world,
    run_demo,
    unregister_world,
)
from replication.synthetic.world import build_world


@pytest.fixture(scope="module")
def quick_demo(tmp_path_factory: pytest.TempPathFactory):
    out = tmp_path_factory.mktemp("demo")
    yield out, run_demo(out, DemoConfig.quick())
    unregister_world(build_world(DemoConfig.quick().world_seed))  # other test modules see the shipped registry


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
                    "Intermediate-task deltas vs baseline by family", "Checks:", "smoke test of the pipeline"):  # fmt: skip
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
    res = assay("demo", "--quick", "--seeds", "1", "--out", str(out), "--json", "--threads", "1")
    assert res.code == 0, res.err
    payload = json.loads(res.out)
    assert payload["checks"]["targets"] and "tables" not in payload
    res = assay("replicate", "demo", "--quick", "--seeds", "1", "--out", str(out))
    assert res.code == 0, res.err
    assert "Controls (baseline runs)" in res.out and "reproduce: assay demo --seeds 1 --quick" in res.out


def test_fake_language_families_in_the_aggregate_tables(quick_demo):
    """Issue 5 (7): the fake languages are registered in their families, so the per-family table names them."""
    _, result = quick_demo
    fams = {f for s in result.aggregate["settings"] for f in s["families"]}
    assert fams == {"A (same order)", "B (inverted)", "Indo-European"}  # English keeps its XTREME family
    family_table = result.tables.split("Per language family, all tasks")[1].split("\n\n")[0]
    assert "A (same order)" in family_table and "B (inverted)" in family_table and "unknown" not in family_table


def test_runs_record_threads_and_task_info(quick_demo):
    """Issue 5 (9, 5): one thread for the demo, recorded per run with the task's metrics, languages, families."""
    _, result = quick_demo
    rec = json.loads(Path(result.results[0]).read_text())
    assert rec["hardware"]["torch_threads"] == 1 and rec["hardware"]["threads_requested"] == 1
    assert rec["task"]["families"]["a1"] == "A (same order)" and rec["task"]["metrics"]
    assert result.config["threads"] == 1


def test_cli_results_over_the_demo_folder_in_a_fresh_process(quick_demo, assay, home):
    """Issue 5 (5, 10): `replicate results --runs-dir <demo out>` works where the synthetic tasks are unknown, and
    the demo's runs are in the store."""
    from replication.errors import ReplicationError
    from replication.tasks.registry import get_task

    out, result = quick_demo
    world = build_world(DemoConfig.quick().world_seed)
    unregister_world(world)  # as in a new process: nothing synthetic is registered
    try:
        with pytest.raises(ReplicationError):
            get_task("syn-pos")
        for folder in (out, out / "runs"):
            res = assay("replicate", "results", "--runs-dir", str(folder), "--json")
            assert res.code == 0, res.err
            agg = json.loads(res.out)
            assert agg["n_results"] == len(result.results)
            main = next(s for s in agg["settings"] if s["key"]["intermediate"] == INTERMEDIATE)
            assert set(main["families"]) == {"A (same order)", "B (inverted)", "Indo-European"}
            assert main["average"]["delta"] is not None
        res = assay("replicate", "results", "--runs-dir", str(out))
        assert res.code == 0 and "syn-pos: per language" in res.out, res.err
    finally:
        register_world(world, DemoConfig.quick())
    res = assay("demo", "--quick", "--seeds", "1", "--out", str(out))
    assert res.code == 0, res.err
    from synthesis.store import Store

    with Store(home / "assay.sqlite3") as store:
        runs = store.query("SELECT id, plan FROM runs")
        n_rows = store.one("SELECT count(*) AS n FROM results")["n"]
    assert {r["plan"] for r in runs} == {"synthetic-demo", "synthetic-controls"}
    assert len(runs) == len(result.results) and n_rows > 0


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
