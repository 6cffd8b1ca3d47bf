"""Aggregation from hand-made result files: per-task, per-language and per-family deltas, the benchmark average."""

from __future__ import annotations

import json
import math

import pytest

from replication import aggregate as agg
from replication.errors import ReplicationError
from replication.tasks import XTREME_TASKS, get_task

_ids = iter(range(10_000))


def rec(target, seed, metrics, intermediate="none", plan="p", **extra):
    return {
        "schema": "assay.run/1",
        "id": f"run{next(_ids)}",
        "plan": plan,
        "base_model": "xlm-roberta-large",
        "intermediate": intermediate,
        "intermediate_tasks": [] if intermediate == "none" else [intermediate],
        "data_fraction": None if intermediate == "none" else 1.0,
        "intermediate_language": None if intermediate == "none" else "en",
        "target": target,
        "seed": seed,
        "metrics": metrics,
        **extra,
    }


def acc(**langs):
    return {lang: {"accuracy": v, "n": 100} for lang, v in langs.items()}


def pawsx_results():
    return [
        rec("pawsx", 1, acc(de=80, en=90, ja=70)),
        rec("pawsx", 2, acc(de=82, en=90, ja=72)),
        rec("pawsx", 1, acc(de=83, en=91, ja=75), "anli_plus"),
        rec("pawsx", 2, acc(de=83, en=89, ja=73), "anli_plus"),
    ]


def test_task_language_and_family_deltas_hand_computed():
    out = agg.aggregate(pawsx_results())
    base, anli = out["settings"]
    assert base["baseline"] and base["label"] == "baseline" and anli["label"] == "anli_plus"
    t = anli["tasks"]["pawsx"]
    # seed 1: de +3, en +1, ja +5 -> +3; seed 2: de +1, en -1, ja +1 -> +1/3
    assert t["delta"]["values"] == pytest.approx([3.0, 1 / 3])
    assert t["delta"]["mean"] == pytest.approx(5 / 3)
    assert t["delta"]["std"] == pytest.approx((3 - 1 / 3) / math.sqrt(2))
    assert t["delta"]["n"] == 2
    assert t["baseline"]["values"] == pytest.approx([80.0, 244 / 3])
    assert t["score"]["values"] == pytest.approx([83.0, 245 / 3])
    assert t["languages"]["de"]["delta"]["mean"] == pytest.approx(2.0)
    assert t["languages"]["de"]["delta"]["std"] == pytest.approx(math.sqrt(2))
    # families: de, en Indo-European (seed deltas 2 and 0), ja Japonic (5 and 1)
    assert t["families"]["Indo-European"]["delta"]["values"] == pytest.approx([2.0, 0.0])
    assert t["families"]["Japonic"]["delta"]["mean"] == pytest.approx(3.0)
    assert anli["families"]["Japonic"]["delta"]["mean"] == pytest.approx(3.0)
    assert set(t["missing_languages"]) == {"es", "fr", "ko", "zh"}
    # only PAWS-X: the XTREME average is partial, never silently complete
    assert anli["average"]["partial"] is True and "xnli" in anli["average"]["missing_tasks"]


def test_qa_task_score_is_mean_of_f1_and_em():
    rs = [
        rec("xquad", 1, {"en": {"f1": 80.0, "exact_match": 70.0}}),
        rec("xquad", 1, {"en": {"f1": 84.0, "exact_match": 72.0}}, "squad_v1.1"),
    ]
    t = agg.aggregate(rs)["settings"][1]["tasks"]["xquad"]
    assert t["delta"]["mean"] == pytest.approx(3.0) and t["delta"]["std"] is None
    assert t["score"]["mean"] == pytest.approx(78.0)


def _full(value_of, seed, intermediate="none"):
    out = []
    for name in XTREME_TASKS:
        spec = get_task(name)
        if spec.is_qa:
            f1, em = value_of(name, "f1"), value_of(name, "exact_match")
            metrics = {lang: {"f1": f1, "exact_match": em} for lang in spec.languages}
        else:
            metrics = {lang: {spec.metrics[0]: value_of(name, spec.metrics[0])} for lang in spec.languages}
        out.append(rec(name, seed, metrics, intermediate))
    return out


def test_benchmark_average_delta_from_full_results():
    gains = {"xnli": 1.0, "pawsx": 2.0, "udpos": -1.0, "panx": 0.5, "bucc2018": 4.0, "tatoeba": 6.0}

    def base_v(task, metric):
        return 50.0

    def inter_v(task, metric):
        if get_task(task).is_qa:
            return 54.0 if metric == "f1" else 52.0  # QA: (+4 + +2) / 2 = +3
        return 50.0 + gains[task]

    rs = _full(base_v, 1) + _full(inter_v, 1, "qqp")
    out = agg.aggregate(rs)
    qqp = out["settings"][1]
    expected = (1 + 2 - 1 + 0.5 + 3 + 3 + 3 + 4 + 6) / 9
    assert qqp["average"]["delta"]["mean"] == pytest.approx(expected)
    assert qqp["average"]["partial"] is False
    assert out["settings"][0]["average"]["score"]["mean"] == pytest.approx(50.0)
    assert out["benchmark"]["kind"] == "xtreme"
    text = agg.format_tables(out)
    assert f"{expected:+.2f} (n=1)" in text and "XTREME avg" in text
    assert "Per language family" in text and "Indo-European" in text


def test_unmatched_seed_and_missing_baseline():
    rs = pawsx_results() + [rec("pawsx", 3, acc(de=90, en=90, ja=90), "anli_plus")]
    t = agg.aggregate(rs)["settings"][1]["tasks"]["pawsx"]
    assert t["unmatched_seeds"] == [3] and t["delta"]["n"] == 2 and t["score"]["n"] == 3
    only = agg.aggregate([rec("pawsx", 1, acc(de=1), "qqp")])
    assert only["settings"][0]["tasks"]["pawsx"]["delta"] is None


def test_ambiguous_duplicates_need_a_plan_filter():
    rs = pawsx_results() + [rec("pawsx", 1, acc(de=0, en=0, ja=0), plan="other")]
    with pytest.raises(ReplicationError, match="plan"):
        agg.aggregate(rs)
    assert agg.aggregate(rs, plan="p")["n_results"] == 4
    with pytest.raises(ReplicationError, match="no results"):
        agg.aggregate(rs, plan="nope")


def test_load_results_from_runs_folder(tmp_path):
    for r in pawsx_results():
        d = tmp_path / r["id"]
        d.mkdir()
        (d / "result.json").write_text(json.dumps(r))
    loaded = agg.load_results(tmp_path)
    assert len(loaded) == 4
    assert agg.aggregate(loaded)["settings"][1]["tasks"]["pawsx"]["delta"]["mean"] == pytest.approx(5 / 3)
    bad = tmp_path / "zz" / "result.json"
    bad.parent.mkdir()
    bad.write_text('{"schema": "assay.run/1", "id": "x", "target": "pawsx", "seed": "one", "metrics": {}}')
    with pytest.raises(ReplicationError, match="'seed'"):
        agg.load_results(tmp_path)
    bad.write_text("{trunc")
    with pytest.raises(ReplicationError, match="unreadable"):
        agg.load_results(tmp_path)
    with pytest.raises(ReplicationError, match="no results"):
        agg.load_results(tmp_path / "missing")


def test_store_rows_numeric_only():
    r = rec("tatoeba", 1, {"de": {"accuracy": 91.5, "layer": 14, "pooling": "mean", "nan": float("nan")}})
    rows = agg.store_rows(r)
    assert (r["id"], "tatoeba", "de", "accuracy", 91.5) in rows
    assert {row[3] for row in rows} == {"accuracy", "layer"}


def test_rich_tables_render():
    from rich.console import Console

    console = Console(record=True, width=200)
    for t in agg.rich_tables(agg.aggregate(pawsx_results())):
        console.print(t)
    assert "+1.67 ± 1.89 (n=2)" in console.export_text()


def test_partial_average_uses_the_same_tasks_for_every_seed():
    rs = pawsx_results() + [
        rec("XQuAD", 1, {"en": {"f1": 80.0, "exact_match": 70.0}}),
        rec("xquad", 1, {"en": {"f1": 84.0, "exact_match": 72.0}}, "anli_plus"),
    ]
    out = agg.aggregate(rs)
    a = out["settings"][1]["average"]
    # xquad has seed 1 only: the average of both seeds covers PAWS-X alone, and says so
    assert a["n_tasks"] == 1 and a["partial"] and "xquad" in a["missing_tasks"]
    assert a["delta"]["values"] == pytest.approx([3.0, 1 / 3])
    assert "partial 1/9" in agg.format_tables(out)
    assert "xquad" in out["settings"][1]["tasks"]  # alias "XQuAD" merged into the canonical name


def test_seedless_retrieval_baseline_matches_every_seed():
    # the runner writes the retrieval baseline once (no training, no seed); every seed of a setting compares to it
    base = {"de": {"accuracy": 30.0}}
    rs = [
        rec("tatoeba", 1, base, format="retrieval"),
        rec("tatoeba", 1, {"de": {"accuracy": 70.0}}, "qqp", format="retrieval"),
        rec("tatoeba", 2, {"de": {"accuracy": 80.0}}, "qqp", format="retrieval"),
    ]
    s = agg.aggregate(rs)["settings"][1]
    assert s["tasks"]["tatoeba"]["delta"]["values"] == pytest.approx([40.0, 50.0])
    assert s["tasks"]["tatoeba"]["unmatched_seeds"] == []
    assert s["average"]["delta"]["values"] == pytest.approx([40.0, 50.0]) and s["average"]["partial"]


def test_run_row_for_the_store():
    r = rec("pawsx", 2, acc(de=1.0), "qqp", status="done")
    rid, plan, status, path, data = agg.run_row(r, "/runs/x/result.json")
    assert (rid, plan, status, path) == (r["id"], "p", "done", "/runs/x/result.json")
    assert json.loads(data)["intermediate"] == "qqp" and json.loads(data)["seed"] == 2


def test_rows_fit_the_store_schema(tmp_path):
    from synthesis.store import Store

    r = rec("xquad", 1, {"de": {"f1": 70.5, "exact_match": 55.0, "normalisation": "squad_v1.1"}})
    with Store(tmp_path / "a.db") as store:
        store.migrate()
        with store.transaction() as db:
            db.execute(
                "INSERT INTO runs (id, plan, status, result_path, data) VALUES (?, ?, ?, ?, ?)",
                agg.run_row(r, "x/result.json"),
            )
            db.executemany(
                "INSERT INTO results (run_id, task, language, metric, value) VALUES (?, ?, ?, ?, ?)",
                agg.store_rows(r),
            )
        got = {(row["metric"], row["value"]) for row in store.query("SELECT metric, value FROM results")}
    assert got == {("f1", 70.5), ("exact_match", 55.0)}


def test_unregistered_task_uses_the_task_info_recorded_with_the_run():
    """Issue 5 (5): results of tasks this process never registered (synthetic, toy) aggregate from the task block
    the runner writes into every record; families come from it too."""
    info = {"name": "syn-x", "format": "pair_classification", "metrics": ["accuracy"], "languages": ["en", "a1"],
            "families": {"en": "Indo-European", "a1": "A (same order)"}}  # fmt: skip
    with pytest.raises(ReplicationError):
        get_task("syn-x")
    records = [rec("syn-x", 1, acc(en=90, a1=60), task=info), rec("syn-x", 1, acc(en=92, a1=66), "syn-squad",
                                                                     task=info)]  # fmt: skip
    out = agg.aggregate(records)
    inter = out["settings"][1]
    assert inter["tasks"]["syn-x"]["delta"]["mean"] == pytest.approx(4.0)
    assert inter["families"]["A (same order)"]["delta"]["mean"] == pytest.approx(6.0)
    assert inter["average"]["delta"]["mean"] == pytest.approx(4.0) and not inter["average"]["partial"]
    assert "A (same order)" in agg.format_tables(out)
    # older records without the block: metrics inferred, families "unknown", still no crash
    bare = [{k: v for k, v in r.items() if k != "task"} for r in records]
    out = agg.aggregate(bare)
    assert out["settings"][1]["average"]["delta"]["mean"] == pytest.approx(4.0)
    assert set(out["settings"][1]["families"]) == {"Indo-European", "unknown"}


def test_baseline_average_includes_the_seedless_retrieval_baseline_for_every_seed():
    """Issue 5 (demo tables): the baseline's absolute average covered "4/5" tasks because its retrieval run exists
    for one seed only; it serves every seed, so the baseline and the setting average the same tasks."""
    info = {"metrics": ["accuracy"], "languages": ["a1"], "families": {"a1": "A"}}
    rs = [rec("syn-ret", 1, {"a1": {"accuracy": 10.0}}, format="retrieval", task=info)]
    for seed, (b, i) in {1: (40.0, 50.0), 2: (44.0, 46.0)}.items():
        rs += [
            rec("syn-cls", seed, {"a1": {"accuracy": b}}, task=info),
            rec("syn-cls", seed, {"a1": {"accuracy": i}}, "inter", task=info),
            rec("syn-ret", seed, {"a1": {"accuracy": 12.0}}, "inter", format="retrieval", task=info),
        ]
    base, inter = agg.aggregate(rs)["settings"]
    assert base["average"]["n_tasks"] == 2 and not base["average"]["partial"]
    assert base["average"]["score"]["values"] == pytest.approx([25.0, 27.0])
    assert (
        inter["average"]["delta"]["values"] == pytest.approx([6.0, 2.0]) and not inter["average"]["partial"]
    )
    # a non-baseline retrieval run of one seed is not reused for other seeds
    partial = [r for r in rs if not (r["target"] == "syn-ret" and r["seed"] == 2)]
    inter = agg.aggregate(partial)["settings"][1]
    assert inter["average"]["n_tasks"] == 1 and inter["average"]["partial"]
