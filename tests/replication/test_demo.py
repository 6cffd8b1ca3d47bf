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
from replication.synthetic.truth import DEMO_CLAIMS, PLANTED
from replication.synthetic.world import build_world


@pytest.fixture(scope="module")
def quick_demo(tmp_path_factory: pytest.TempPathFactory):
    import socket

    def no_network(*args, **kwargs):  # noqa: ANN002, ANN003, ANN202
        raise AssertionError(f"the demo tried to open a network connection: {args}")

    out = tmp_path_factory.mktemp("demo") / "assay-demo"  # the CLI's default folder name, to test the default
    with (
        pytest.MonkeyPatch.context() as mp
    ):  # offline by construction: any connection attempt fails the fixture
        mp.setattr(socket.socket, "connect", no_network)
        mp.setattr(socket, "create_connection", no_network)
        result = run_demo(out, DemoConfig.quick())
    yield out, result
    unregister_world(
        build_world(DemoConfig.quick().world_seed)
    )  # other test modules see the shipped registry


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
    unrelated = [r for r in records if r["plan"] == "synthetic-unrelated"]
    assert {(r["intermediate"], r["target"]) for r in unrelated} == {("syn-nli", "syn-qa")}
    size = [r for r in records if r["plan"] == "synthetic-size"]
    assert {Path(r["base_model"]).name for r in size} == {"mlm-small"}
    assert len({Path(r["base_model"]).parent for r in records}) == 1  # one fingerprinted folder of encoders
    # the tables a real run prints, plus the family and controls tables, the legend and the planted truth
    for heading in ("syn-pos: per language", "Zero-shot scores by language family", "Controls (baseline runs)",
                    "Intermediate-task deltas vs baseline by family", "Checks:", "smoke test of the pipeline",
                    "What the names mean", "Planted truth"):  # fmt: skip
        assert heading in result.tables, heading
    assert "syn-pos: per language" not in result.summary and "Planted truth" in result.summary
    assert (out / "tables.txt").read_text() == result.tables + "\n"
    assert [p["key"] for p in result.planted] == [e.key for e in PLANTED]
    assert all(p["n"] == 1 for p in result.planted)  # quick: one seed, every effect measured
    assert [c["id"] for c in result.claims] == [
        i for i, _, _ in DEMO_CLAIMS
    ] and "Claims about" in result.summary
    fixed = {c["id"]: c["verdict"] for c in result.claims if c["id"] in ("w6", "w7", "w8", "w9")}
    assert fixed == {"w6": "reproduced", "w7": "not reproduced", "w8": "not testable here", "w9": "unmapped"}
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
    # piped (not a terminal): one progress line per stage and per run, no per-step chatter, and where things are
    assert "stage 1/5" in res.err and "stage 5/5" in res.err and "done, skipped" in res.err
    assert "step " not in res.err and "English dev" not in res.err
    assert "Planted truth" in res.out and "tables.txt" in res.out and str(out) in res.err


def test_fake_language_families_in_the_aggregate_tables(quick_demo):
    """Issue 5 (7): the fake languages are registered in their families, so the per-family table names them."""
    _, result = quick_demo
    fams = {f for s in result.aggregate["settings"] for f in s["families"]}
    assert fams == {"A (same order)", "B (inverted)", "Indo-European"}  # English keeps its XTREME family
    family_table = result.tables.split("Per language family, all tasks")[1].split("\n\n")[0]
    assert (
        "A (same order)" in family_table and "B (inverted)" in family_table and "unknown" not in family_table
    )


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
    assert {r["plan"] for r in runs} == {
        "synthetic-demo",
        "synthetic-controls",
        "synthetic-unrelated",
        "synthetic-size",
    }
    assert len(runs) == len(result.results) and n_rows > 0


def test_cli_demo_rejects_a_file_as_out(tmp_path, assay, home):
    f = tmp_path / "file"
    f.write_text("x")
    res = assay("demo", "--quick", "--out", str(f))
    assert res.code == 2 and "not a folder" in res.err


@pytest.mark.slow
def test_transfer_effect_and_planted_truth_over_three_seeds(tmp_path):
    """Zero-shot transfer is real (same-order languages clearly above chance, controls near it, inversion worse),
    and every planted effect of the world is recovered in sign in each of three seeds."""
    result = run_demo(tmp_path, DemoConfig(seeds=(1, 2, 3)))
    chk = result.checks
    assert chk["same_order_above_chance"], chk
    assert chk["controls_near_chance"], chk
    assert chk["inverted_transfers_worse"], chk
    for effect in result.planted:
        assert effect["n"] == 3 and effect["recovered"], effect
    for (
        claim
    ) in result.claims:  # true, false, untestable and unmappable claims: each gets the verdict it should
        assert claim["verdict"] == claim["expected"], claim


def test_cli_demo_default_folder_is_visible_and_resumes(quick_demo, assay, home, monkeypatch):
    """Issue 10: outputs go to ./assay-demo by default (not a hidden user folder), where a finished demo resumes."""
    out, result = quick_demo
    monkeypatch.chdir(out.parent)
    res = assay("demo", "--quick", "--seeds", "1")
    assert res.code == 0, res.err
    assert f"outputs in {out}" in res.err and "finished in" not in res.err  # nothing redone


def test_bind_synthetic_claims_against_the_demo_runs(quick_demo, assay, home, tmp_path):
    """Claims written about the synthetic tasks: true ones reproduced, false ones not, the rest said why."""
    out, result = quick_demo
    qa = result.scores["mlm-all"]
    fam = "A (same order)"
    delta = sum(qa[INTERMEDIATE]["syn-qa"][fam][s] - qa["none"]["syn-qa"][fam][s] for s in ("1",))
    claims = [
        f"Intermediate training on syn-squad improves syn-qa by {delta:.1f} points on family A.",
        f"Intermediate training on syn-squad improves syn-qa by {delta + 40:.1f} points on family A.",
        "syn-qa has 150 training examples.",
        "syn-qa has 600 training examples.",
        "Intermediate training on SQuAD improves XQuAD by 3.5 points for XLM-R Large.",
        "The encoders were pretrained for 800 steps.",
    ]
    path = tmp_path / "claims.jsonl"
    path.write_text("".join(json.dumps({"id": f"s{i}", "text": t}) + "\n" for i, t in enumerate(claims)))
    res = assay("replicate", "bind", str(path), "--runs", str(out), "--json")
    assert res.code == 0, res.err
    got = {b["id"]: b for b in json.loads(res.out)}
    assert got["s0"]["verdict"] == "reproduced" and got["s0"]["measured"]["n"] == 1
    assert got["s1"]["verdict"] in ("not reproduced", "direction only")
    assert got["s2"]["verdict"] == "reproduced" and got["s3"]["verdict"] == "not reproduced"
    assert got["s4"]["verdict"] == "not testable here" and "xlm-roberta-large" in got["s4"]["reason"]
    assert got["s5"]["verdict"] == "unmapped" and got["s5"]["query"] is None
    assert all(b["query_words"] for b in got.values() if b["verdict"] != "unmapped")
    text = assay("replicate", "bind", str(path), "--runs", str(out))
    assert text.code == 0 and "query: delta of syn-squad vs baseline on syn-qa" in text.out


def test_bind_paper_claims_against_synthetic_runs_are_not_testable(quick_demo, assay, home, tmp_path):
    """The gold claims of 2005.13013 against the synthetic runs: nothing reproduced, each one says why."""
    out, _ = quick_demo
    gold = Path(__file__).parents[1] / "data" / "claims_gold.jsonl"
    paper = [json.loads(line) for line in gold.read_text().splitlines() if '"2005.13013v1"' in line]
    path = tmp_path / "gold.jsonl"
    path.write_text("".join(json.dumps(c) + "\n" for c in paper))
    res = assay("replicate", "bind", str(path), "--runs", str(out), "--json")
    assert res.code == 0, res.err
    got = {b["id"]: b for b in json.loads(res.out)}
    assert {b["verdict"] for b in got.values()} <= {"not testable here", "unmapped"}
    assert all(b["reason"] for b in got.values())
    assert got["gold-01"]["verdict"] == "not testable here" and got["gold-01"]["query"]["intermediate"] == [
        "squad_v1.1"
    ]
    assert "not present" in got["gold-06"]["reason"]  # ANLI+ is not here to count
    assert "xlm-roberta-large" in got["gold-04"]["reason"]
    empty = tmp_path / "no-runs"
    empty.mkdir()
    res = assay("replicate", "bind", str(path), "--runs", str(empty), "--json")
    assert res.code == 0 and "no run yet" in json.loads(res.out)[0]["reason"]


def test_recover_reads_planted_effects_from_scores():
    """truth.recover on hand-made scores: right signs recovered; a gain beyond the seed spread is not "no help"."""
    from replication.synthetic.truth import ALL, INVERTED, SAME_ORDER, ZERO_SHOT, recover

    def cell(vals):
        return {str(s): v for s, v in zip((1, 2, 3), vals, strict=True)}

    targets = ("syn-xnli", "syn-mc", "syn-qa", "syn-pos", "syn-retrieval")
    scores = {
        "mlm-all": {
            "none": {t: {ZERO_SHOT: cell([50, 50, 50]), SAME_ORDER: cell([60, 60, 60]), INVERTED: cell([40, 41, 42]),
                         ALL: cell([50, 50, 50])} for t in targets},
            "syn-squad": {"syn-qa": {ALL: cell([55, 56, 57])}},
            "syn-nli": {"syn-qa": {ALL: cell([49, 50, 51])}},  # -1, 0, +1: no gain beyond the spread
        },
        "mlm-small": {"none": {t: {ZERO_SHOT: cell([45, 44, 43])} for t in targets}},
    }  # fmt: skip
    scores["mlm-all"]["none"]["syn-retrieval"][SAME_ORDER] = {"1": 30.0}  # seedless: counts at every seed
    got = {r["key"]: r for r in recover(scores)}
    assert got["related_helps"]["recovered"] and got["related_helps"]["mean"] == 6
    assert (
        got["unrelated_does_not_help"]["recovered"] and got["unrelated_does_not_help"]["seeds_agreeing"] == 2
    )
    assert (
        got["same_order_transfers_better"]["recovered"]
        and got["bigger_encoder_transfers_better"]["recovered"]
    )
    assert got["bigger_encoder_transfers_better"]["n"] == 3
    scores["mlm-all"]["syn-nli"]["syn-qa"][ALL] = cell([53, 54, 55])  # +3..+5: it helps, so "no help" fails
    assert {r["key"]: r["recovered"] for r in recover(scores)}["unrelated_does_not_help"] is False
    scores["mlm-all"]["syn-squad"]["syn-qa"][ALL] = cell([51, 49, 52])  # one seed below zero: not recovered
    assert {r["key"]: r["recovered"] for r in recover(scores)}["related_helps"] is False
    del scores["mlm-small"]
    assert {r["key"]: r["recovered"] for r in recover(scores)}["bigger_encoder_transfers_better"] is None


def test_audit_shows_rerun_verdicts_beside_textual_ones(quick_demo, assay, home, tmp_path):
    """`assay audit REPORT --runs DIR`: a report with a right and a planted wrong numeric claim about the synthetic
    runs gets a rerun verdict per claim (offline: the paper is not resolved, the reruns still bind)."""
    out, result = quick_demo
    qa = result.scores["mlm-all"]
    delta = qa[INTERMEDIATE]["syn-qa"]["A (same order)"]["1"] - qa["none"]["syn-qa"]["A (same order)"]["1"]
    clean = (Path(__file__).parents[1] / "data" / "reports" / "clean.txt").read_text()
    head, _, rest = clean.partition("Claim\tVerified\tConfidence\n")
    table = "".join(
        f"{t}\t✓\t0.9\n"
        for t in (
            f"Intermediate training on syn-squad improves syn-qa by {delta:.1f} points on family A.",
            f"Intermediate training on syn-squad improves syn-qa by {delta - 50:.1f} points on family A.",
            "syn-qa has 150 training examples.",
        )
    )
    report = tmp_path / "report.txt"
    report.write_text(
        head + "Claim\tVerified\tConfidence\n" + table + "\nReferences" + rest.split("References", 1)[1]
    )
    res = assay("audit", str(report), "--runs", str(out), "--json")
    assert res.code == 0, res.err
    reruns = [c["rerun"] for c in json.loads(res.out)["claims"]]
    assert [r["verdict"] for r in reruns] == ["reproduced", "not reproduced", "reproduced"]
    assert reruns[0]["query_words"] and reruns[0]["runs"]
    res = assay("audit", str(report), "--runs", str(out))
    assert res.code == 0 and "Reruns:" in res.out and "not reproduced" in res.out


def test_cli_demo_writes_its_report_answered_from_the_runs(quick_demo, assay, home):
    """report.md: the question the world answers, each answer measured from the runs, the claims checked."""
    out, result = quick_demo
    res = assay("demo", "--quick", "--seeds", "1", "--out", str(out))
    assert res.code == 0, res.err
    assert "report.md" in res.out
    text = (out / "report.md").read_text(encoding="utf-8")
    assert (
        "**Question.**" in text
        and "## Answers, measured" in text
        and "## Claims checked against the runs" in text
    )
    measured = [r for r in result.planted if r["recovered"] is not None]
    assert text.count("points over") == len(measured)
    for r in measured:
        assert r["statement"] in text and f"{r['mean']:+.1f}" in text
    ok = sum(c["verdict"] == c["expected"] for c in result.claims)
    assert f"{ok}/{len(result.claims)} verdicts" in text
    assert all(c["text"] in text for c in result.claims)
