"""The runner: phases and lineage folders, result files, skipping finished work, resuming interrupted work with
identical results (in-process, and after SIGKILL of a real process), the CLI and the store rows."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

pytest.importorskip("torch")

import toy_tasks  # noqa: E402
from toy_tasks import one_thread  # noqa: E402, F401

toy = toy_tasks.toy  # the module-scoped fixture: toy tasks registered, a tiny model path

from replication.plan import expand, parse_plan  # noqa: E402
from replication.runner import in_progress, iter_results, run_plan, run_state  # noqa: E402
from replication.training import StopTraining  # noqa: E402

HERE = Path(__file__).resolve().parent


def _metrics(records):
    return {r["id"]: r["metrics"] for r in records}


def test_plan_runs_skip_and_results(toy, tmp_path):
    plan = parse_plan(toy_tasks.plan_dict(toy, targets=["toy-tag", "toy-ret"]))
    runs = expand(plan)
    assert len(runs) == 4
    logs: list[str] = []
    records = run_plan(plan, tmp_path, log=logs.append)
    assert [r["id"] for r in records] == [r.id for r in runs]
    assert all(run_state(r, tmp_path) == "done" for r in runs)
    tag = next(r for r in records if r["target"] == "toy-tag" and r["intermediate"] == "toy-pair")
    assert set(tag["metrics"]) == {"en", "xx"} and "f1" in tag["metrics"]["xx"]
    assert tag["lineage"][1]["phase"] == "intermediate" and tag["lineage"][-1]["id"] == tag["id"]
    assert tag["versions"]["torch"] and tag["hardware"]["cpu_count"] and tag["wall_time_s"] > 0
    assert tag["seqeval"] == tag["versions"]["seqeval"] == "1.2.2"  # the pinned scorer of tagging F1
    import jsonschema

    schema = json.loads(
        (HERE.parents[1] / "docs" / "schemas" / "run.schema.json").read_text(encoding="utf-8")
    )
    for path in tmp_path.glob("*/result.json"):
        jsonschema.validate(json.loads(path.read_text(encoding="utf-8")), schema)
    assert tag["throughput"]["tokens_per_s"] > 0 and tag["throughput"]["mfu"] > 0
    assert set(tag["throughput"]["phases"]) == {"intermediate", "target"}
    assert tag["dev"]["language"] == "en" and tag["config"]["hyperparameters"]["batch_size"] == 8
    preds = (tmp_path / tag["id"] / tag["predictions"]).read_text().splitlines()
    assert len(preds) == 32 and {json.loads(p)["language"] for p in preds} == {"en", "xx"}
    ret = next(r for r in records if r["target"] == "toy-ret" and r["intermediate"] == "toy-pair")
    assert ret["retrieval"]["layer"] == 1 and ret["retrieval"]["pooling"] == "mean"
    assert ret["retrieval"]["encoder"].endswith(
        "model"
    )  # the intermediate checkpoint itself, no target training
    assert set(ret["metrics"]) == {"xx"} and ret["metrics"]["xx"]["layer"] == 1
    inter = tag["lineage"][1]["id"]
    assert (tmp_path / inter / "phase.json").is_file() and not (tmp_path / inter / "checkpoint").exists()
    assert sum("intermediate toy-pair" in m and "reused" in m for m in logs) == 1  # trained once, reused once
    # everything finished: a second run redoes nothing
    mtimes = {p: p.stat().st_mtime_ns for p in tmp_path.glob("*/result.json")}
    logs.clear()
    again = run_plan(plan, tmp_path, log=logs.append)
    assert _metrics(again) == _metrics(records)
    assert all("done, skipped" in m for m in logs) and len(logs) == 4
    assert mtimes == {p: p.stat().st_mtime_ns for p in tmp_path.glob("*/result.json")}
    assert sorted(r["id"] for r in iter_results(tmp_path)) == sorted(r.id for r in runs)


def test_interrupted_run_resumes_with_identical_results(toy, tmp_path):
    plan = parse_plan(toy_tasks.plan_dict(toy, intermediate=["toy-pair"], targets=["toy-pair"],
                                          hyperparameters={**toy_tasks.plan_dict(toy)["hyperparameters"],
                                                           "epochs": 2}))  # fmt: skip
    (spec,) = expand(plan)
    clean = run_plan(plan, tmp_path / "clean")
    runs_dir = tmp_path / "interrupted"
    # interrupted in the intermediate phase, then (after resuming it) in the target phase, then finished
    for stop in ({"intermediate": 3}, {"target": 3}, None):
        logs: list[str] = []
        if stop:
            with pytest.raises(StopTraining):
                run_plan(plan, runs_dir, log=logs.append, stop_after=stop)
            assert run_state(spec, runs_dir) == "partial"
            assert in_progress(runs_dir) == [spec.intermediate.id if "intermediate" in stop else spec.id]
        else:
            resumed = run_plan(plan, runs_dir, log=logs.append)
        if stop != {"intermediate": 3}:
            assert any("resumed at step 2/" in m for m in logs), logs  # the last checkpoint before step 3
    assert _metrics(resumed) == _metrics(clean)
    for phase in ("intermediate", "target"):
        assert (
            resumed[0]["throughput"]["phases"][phase]["tokens"]
            == clean[0]["throughput"]["phases"][phase]["tokens"]
        )
    a = (tmp_path / "clean" / spec.id / "predictions.jsonl").read_text()
    assert a == (runs_dir / spec.id / "predictions.jsonl").read_text()


def test_cli_run_status_results_and_store(toy, tmp_path, assay, home):
    plan_path = tmp_path / "plan.yaml"
    plan_path.write_text(yaml.safe_dump(toy_tasks.plan_dict(toy, targets=["toy-pair"])))
    runs = tmp_path / "runs"
    res = assay("replicate", "run", str(plan_path), "--runs-dir", str(runs), "--limit", "1", "--threads", "1")
    assert res.code == 0, res.err
    (first,) = iter_results(runs)
    assert first["hardware"]["threads_requested"] == 1 and first["hardware"]["torch_threads"] == 1
    assert "1 run(s) finished" in res.out
    res = assay("replicate", "status", str(plan_path), "--runs-dir", str(runs), "--json")
    states = [r["state"] for r in json.loads(res.out)["runs"]]
    assert states == ["done", "todo"]
    res = assay("replicate", "run", str(plan_path), "--runs-dir", str(runs))
    assert res.code == 0 and "done, skipped" in res.err
    res = assay("replicate", "status", "--runs-dir", str(runs), "--json")
    status = json.loads(res.out)
    assert len(status["finished"]) == 2 and status["in_progress"] == []
    res = assay("replicate", "results", "--runs-dir", str(runs), "--json")
    assert res.code == 0, res.err
    assert "toy-pair" in res.out
    from synthesis.store import Store

    with Store(home / "assay.sqlite3") as store:
        rows = store.query(
            "SELECT run_id, task, language, metric, value FROM results ORDER BY run_id, language"
        )
        runs_rows = store.query("SELECT id, plan, status FROM runs")
    assert {r["plan"] for r in runs_rows} == {"toy"} and len(runs_rows) == 2
    assert {(r["task"], r["language"], r["metric"]) for r in rows} == {
        ("toy-pair", "en", "accuracy"),
        ("toy-pair", "xx", "accuracy"),
    }
    results = {r["id"]: r for r in iter_results(runs)}
    for r in rows:
        assert results[r["run_id"]]["metrics"][r["language"]][r["metric"]] == r["value"]
    res = assay("replicate", "run", str(plan_path), "--runs-dir", str(runs), "--only", "zzzz")
    assert res.code == 2 and "no run of the plan" in res.err


def _write_pawsx(root: Path) -> None:
    """PAWS-X in its original TSV layout (id, sentence1, sentence2, label) for en (train/dev/test) and de (test)."""
    for lang, splits in (("en", ("train", "dev_2k", "test_2k")), ("de", ("test_2k",))):
        for split in splits:
            rows = ["id\tsentence1\tsentence2\tlabel"]
            for e in toy_tasks.examples("toy-pair", split.split("_")[0], "en" if lang == "en" else "xx"):
                rows.append(f"{e.id}\t{e.text_a}\t{e.text_b}\t{e.label}")
            path = root / "pawsx" / lang / f"{split}.tsv"
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text("\n".join(rows) + "\n", encoding="utf-8")


def test_real_loader_from_local_original_files_and_feature_cache(toy, tmp_path, monkeypatch):
    monkeypatch.setenv("ASSAY_OFFLINE", "1")
    _write_pawsx(tmp_path / "data")
    raw = toy_tasks.plan_dict(toy, intermediate=["none"], targets=["pawsx"], data={"dir": str(tmp_path / "data")},
                              evaluation={"languages": ["en", "de"]})  # fmt: skip
    (rec,) = run_plan(parse_plan(raw), tmp_path / "runs")
    assert set(rec["metrics"]) == {"en", "de"} and rec["metrics"]["de"]["n"] == 16
    assert rec["dev"]["language"] == "en"
    cached = sorted((tmp_path / "runs" / "features").rglob("*.arrow"))
    assert len(cached) == 1
    # another learning rate: a new run, the same tokenised training data from the cache
    raw["hyperparameters"] = {**raw["hyperparameters"], "learning_rate": 5e-4}
    (rec2,) = run_plan(parse_plan(raw), tmp_path / "runs")
    assert rec2["id"] != rec["id"]
    assert sorted((tmp_path / "runs" / "features").rglob("*.arrow")) == cached


KILL_SCRIPT = """
import sys
sys.path.insert(0, {here!r})
import toy_tasks
toy_tasks.register()
from replication.plan import parse_plan
from replication.runner import run_plan
plan = parse_plan({plan!r})
run_plan(plan, sys.argv[1], log=lambda m: print(m, file=sys.stderr, flush=True))
"""


@pytest.mark.slow
def test_sigkill_and_rerun_finishes_with_identical_results(toy, tmp_path):
    """Kill `run` with SIGKILL mid-training, run again: nothing finished is redone, results equal a clean run."""
    hp = {**toy_tasks.plan_dict(toy)["hyperparameters"], "epochs": 6, "checkpoint_every": 1}
    plan = toy_tasks.plan_dict(
        toy, intermediate=["none", "toy-pair"], targets=["toy-pair"], hyperparameters=hp
    )
    script = tmp_path / "run.py"
    script.write_text(KILL_SCRIPT.format(here=str(HERE), plan=plan))
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    clean = tmp_path / "clean"
    subprocess.run([sys.executable, str(script), str(clean)], check=True, env=env, capture_output=True)
    killed = tmp_path / "killed"
    proc = subprocess.Popen(
        [sys.executable, str(script), str(killed)], env=env, stderr=subprocess.PIPE, text=True
    )
    # wait until the baseline run has finished and the second run's intermediate phase has a checkpoint, then kill
    deadline = time.time() + 240
    while proc.poll() is None and time.time() < deadline:
        if list(killed.glob("*/result.json")) and list(killed.glob("*/checkpoint/checkpoint.pt")):
            break
        time.sleep(0.05)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    finished_before = {p.parent.name: p.stat().st_mtime_ns for p in killed.glob("*/result.json")}
    assert finished_before, "the baseline run should have finished before the kill"
    assert len(finished_before) < 2, "the kill came too late to interrupt anything"
    out = subprocess.run([sys.executable, str(script), str(killed)], check=True, env=env, capture_output=True,
                         text=True)  # fmt: skip
    assert "done, skipped" in out.stderr and "resumed at step" in out.stderr
    assert {p.parent.name: p.stat().st_mtime_ns for p in killed.glob("*/result.json")
            if p.parent.name in finished_before} == finished_before  # fmt: skip
    assert _metrics(iter_results(killed)) == _metrics(iter_results(clean))


def test_multitask_with_mlm_alpha_sampling(toy, tmp_path, monkeypatch):
    from replication import phases
    from replication.models import load_tokenizer
    from replication.tasks.formats import TextExample

    sizes = {"en": 900, "xx": 100}

    def corpus(split, lang):
        return [TextExample(f"{lang}-{i}", "the big dog sees the cat" if lang == "en" else "eht gib god")
                for i in range(sizes[lang])]  # fmt: skip

    monkeypatch.setitem(phases._SOURCES, "toy-mlm", corpus)
    inter = {"name": "multi", "tasks": ["toy-pair", "toy-tag"], "mlm": {"corpus": "toy-mlm", "alpha": 0.3},
             "size_cap": 64, "hyperparameters": {"max_steps": 4}}  # fmt: skip
    plan = parse_plan(toy_tasks.plan_dict(toy, intermediate=[inter], targets=["toy-ret"]))
    (spec,) = expand(plan)
    tok = load_tokenizer(str(toy))
    feats, n = phases.mlm_features(
        spec, spec.intermediate, tok, spec.intermediate.task_hyperparameters["toy-mlm"]
    )
    assert n == 1000 and len(feats) == 1000
    p_xx = phases.alpha_sampling([900, 100], 0.3)[1]  # about 0.34 instead of 0.1: small languages up-sampled
    share_xx = sum(f["example_id"].startswith("xx") for f in feats) / len(feats)
    assert abs(share_xx - p_xx) < 0.05 and share_xx > 0.25
    (rec,) = run_plan(plan, tmp_path)
    stats = json.loads((tmp_path / spec.intermediate.id / "phase.json").read_text())
    # sampling proportional to min(n, K) with K = size_cap = 64: 48 pair, 48 tag, min(1000, 64) MLM
    assert stats["sampling"] == pytest.approx(
        {"toy-pair": 48 / 160, "toy-tag": 48 / 160, "toy-mlm": 64 / 160}
    )
    assert stats["mlm"] == {"corpus": "toy-mlm", "alpha": 0.3} and stats["steps"] == 4
    assert rec["intermediate_mlm"] == "toy-mlm" and rec["retrieval"]["layer"] == 1
