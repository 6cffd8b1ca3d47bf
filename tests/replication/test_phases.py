"""The phases' contracts (issue 5): English-only dev data for model selection with ``purpose="select"``, the
``max_dev_examples`` cap, optional vs required splits, BUCC duplicates, the Tatoeba search direction of the
predictions file, the explicit ``stop_after`` hook and the ``threads`` option."""

from __future__ import annotations

import json

import numpy as np
import pytest

pytest.importorskip("torch")

import toy_tasks  # noqa: E402
from toy_tasks import one_thread  # noqa: E402, F401

toy = toy_tasks.toy  # the module-scoped fixture: toy tasks registered, a tiny model path

from replication import metrics as M  # noqa: E402
from replication import phases  # noqa: E402
from replication.errors import MissingData, ReplicationError  # noqa: E402
from replication.plan import expand, parse_plan  # noqa: E402
from replication.runner import run_plan  # noqa: E402
from replication.tasks.formats import RetrievalExample  # noqa: E402


def _spec(toy, **overrides):
    return expand(parse_plan(toy_tasks.plan_dict(toy, **overrides)))[0]


# ---------------------------------------------------------------------------------------------------------------
# 1 and 6: model selection loads English dev data with purpose="select", capped at max_dev_examples


def test_model_selection_dev_loads_are_english_select_and_capped(toy, tmp_path, monkeypatch):
    calls: list[tuple] = []
    dev_sizes: list[int] = []
    load, predict = phases.load_examples, phases.predict

    def spy_load(task, split, language, spec, purpose=None):
        calls.append((task, split, language, purpose))
        return load(task, split, language, spec, purpose=purpose)

    def spy_predict(model, task, examples, *args, **kwargs):
        if examples and "-dev-" in examples[0].id:  # toy ids: task-split-i-lang
            dev_sizes.append(len(examples))
        return predict(model, task, examples, *args, **kwargs)

    monkeypatch.setattr(phases, "load_examples", spy_load)
    monkeypatch.setattr(phases, "predict", spy_predict)
    hp = {**toy_tasks.plan_dict(toy)["hyperparameters"], "max_steps": 2, "eval_every": 2}
    plan = parse_plan(toy_tasks.plan_dict(toy, intermediate=["toy-pair"], targets=["toy-tag"], hyperparameters=hp,
                                          tasks={"toy-pair": {"max_dev_examples": 5},
                                                 "toy-tag": {"max_dev_examples": 7}}))  # fmt: skip
    (rec,) = run_plan(plan, tmp_path)
    dev_calls = [c for c in calls if c[1] == "dev"]
    assert {c[0] for c in dev_calls} == {"toy-pair", "toy-tag"}
    assert all(c[2] == "en" and c[3] == "select" for c in dev_calls), dev_calls
    assert dev_sizes and set(dev_sizes) == {5, 7}  # intermediate dev capped at 5, target dev at 7
    assert rec["dev"]["language"] == "en" and rec["notes"] == []


def test_select_purpose_refuses_non_english_even_for_registered_sources(toy):
    spec = _spec(toy)
    with pytest.raises(ReplicationError, match="English dev data only"):
        phases.load_examples("toy-pair", "dev", "xx", spec, purpose="select")
    with pytest.raises(ReplicationError, match="English dev data only"):
        phases.load_examples("toy-pair", "test", "en", spec, purpose="select")
    assert phases.load_examples("toy-pair", "dev", "en", spec, purpose="select")


# ---------------------------------------------------------------------------------------------------------------
# 4: optional splits are skipped with a note, required ones are a clear error, bad data still raises


def test_optional_split_skipped_with_a_note_required_split_an_error(toy, tmp_path, monkeypatch):
    monkeypatch.setenv("ASSAY_OFFLINE", "1")
    spec = _spec(toy, targets=["pawsx"], intermediate=["none"], data={"dir": str(tmp_path)})
    notes: list[str] = []
    # data.load_split raises MissingData (a ReplicationError) for absent local files offline
    assert phases._try_load("pawsx", "test", "de", spec, notes=notes) == []
    assert len(notes) == 1 and "pawsx test [de]" in notes[0] and "pawsx" in notes[0]
    with pytest.raises(ReplicationError, match="required and missing"):
        phases._try_load("pawsx", "train", "en", spec, required=True)
    # a registered source that lacks a split (KeyError) reads the same way
    assert phases._try_load("toy-pair", "nope", "en", spec, notes=notes) == [] and len(notes) == 2
    # a corrupt file is not "missing": it raises
    bad = tmp_path / "pawsx" / "de" / "test_2k.tsv"
    bad.parent.mkdir(parents=True)
    bad.write_text("no header here\n")
    with pytest.raises(ReplicationError) as info:
        phases._try_load("pawsx", "test", "de", spec, notes=notes)
    assert not isinstance(info.value, MissingData)


def test_run_records_notes_for_languages_without_test_data(toy, tmp_path, monkeypatch):
    def source(split, lang):
        if split == "test" and lang == "xx":
            raise KeyError("no xx test here")
        return toy_tasks.examples("toy-pair", split, lang)

    monkeypatch.setitem(phases._SOURCES, "toy-pair", source)
    hp = {**toy_tasks.plan_dict(toy)["hyperparameters"], "max_steps": 1}
    (rec,) = run_plan(parse_plan(toy_tasks.plan_dict(toy, intermediate=["none"], targets=["toy-pair"],
                                                     hyperparameters=hp)), tmp_path)  # fmt: skip
    assert set(rec["metrics"]) == {"en"}
    assert len(rec["notes"]) == 1 and "toy-pair test [xx]" in rec["notes"][0]


# ---------------------------------------------------------------------------------------------------------------
# 2: BUCC passes the texts so that duplicate sentences are handled as XTREME does


def test_bucc_split_carries_texts_and_duplicates_are_never_mined(toy, monkeypatch):
    from replication.tasks.formats import Format
    from replication.tasks.registry import TaskSpec, register_task, unregister_task

    def source(split, lang):
        base = toy_tasks.examples("toy-ret", split, lang)
        if lang == "en":
            return base
        # the first two source sentences share one text: XTREME maps a repeated text to no id
        dup = RetrievalExample(base[1].id, base[0].text, base[1].gold_id)
        return [base[0], dup, *base[2:]]

    register_task(TaskSpec(name="toy-bucc", role="synthetic", format=Format.RETRIEVAL, metrics=("f1",),
                           languages=("en", "xx"), has_training=False), replace=True)  # fmt: skip
    phases.register_examples("toy-bucc", source)
    seen: list[tuple] = []
    evaluate = M.bucc_evaluate

    def spy(dev, test, **kw):
        seen.append((dev, test))
        return evaluate(dev, test, **kw)

    monkeypatch.setattr(M, "bucc_evaluate", spy)
    try:
        spec = _spec(toy, intermediate=["none"], targets=["toy-bucc"])
        import torch

        out = phases.run_retrieval(
            spec, phases_task("toy-bucc"), str(toy), torch.device("cpu"), lambda _: None
        )
    finally:
        unregister_task("toy-bucc")
        phases.unregister_examples("toy-bucc")
    ((dev, test),) = seen
    assert len(dev) == 7 and len(test) == 7
    src_texts = test[5]
    assert src_texts[0] == src_texts[1]  # the duplicate reached the metric with its text
    mined_sources = {p["id"] for p in out["predictions"]}
    assert not mined_sources & {test[2][0], test[2][1]}  # a repeated sentence is never a candidate
    assert set(out["metrics"]) == {"xx"} and "threshold" in out["metrics"]["xx"]


def phases_task(name):
    from replication.tasks.registry import get_task

    return get_task(name)


# ---------------------------------------------------------------------------------------------------------------
# 3: the Tatoeba predictions file searches in the metric's direction (English queries)


def test_tatoeba_predictions_agree_with_the_metric_where_directions_differ():
    # source x1 is a hub: from the other language x1 -> y0 (wrong, 50%); from English both are right (100%)
    xs = np.array([[1.0, 0.0], [0.8, 0.6]])
    ys = np.array([[1.0, 0.0], [0.0, 1.0]])
    src = [RetrievalExample("xx-0", "a", "en-0"), RetrievalExample("xx-1", "b", "en-1")]
    aligned = [RetrievalExample("en-0", "A"), RetrievalExample("en-1", "B")]
    from_source = (M._unit(xs) @ M._unit(ys).T).argmax(axis=1)
    assert (from_source == np.arange(2)).mean() == 0.5  # the two directions really differ here
    metric = M.tatoeba_accuracy(xs, ys)
    rows = phases.tatoeba_predictions("xx", src, aligned, xs, ys)
    assert [r["query"] for r in rows] == ["en-0", "en-1"]
    accuracy = 100.0 * sum(r["prediction"] == r["gold"] for r in rows) / len(rows)
    assert accuracy == metric["accuracy"] == 100.0


def test_tatoeba_predictions_file_matches_the_metric_in_a_run(toy, tmp_path):
    (rec,) = run_plan(
        parse_plan(toy_tasks.plan_dict(toy, intermediate=["none"], targets=["toy-ret"])), tmp_path
    )
    rows = [
        json.loads(line) for line in (tmp_path / rec["id"] / "predictions.jsonl").read_text().splitlines()
    ]
    right = sum(r["prediction"] == r["gold"] for r in rows)
    assert rows and 100.0 * right / len(rows) == pytest.approx(rec["metrics"]["xx"]["accuracy"])


# ---------------------------------------------------------------------------------------------------------------
# 9: threads is an explicit option, recorded with the run and restored afterwards


def test_threads_option_recorded_and_restored(toy, tmp_path):
    import torch

    before = torch.get_num_threads()
    hp = {**toy_tasks.plan_dict(toy)["hyperparameters"], "max_steps": 1}
    plan = parse_plan(
        toy_tasks.plan_dict(toy, intermediate=["none"], targets=["toy-pair"], hyperparameters=hp)
    )
    target = 2 if before == 1 else 1
    (rec,) = run_plan(plan, tmp_path, threads=target)
    assert rec["hardware"]["torch_threads"] == target and rec["hardware"]["threads_requested"] == target
    assert torch.get_num_threads() == before
    with pytest.raises(ReplicationError, match="threads"):
        run_plan(plan, tmp_path / "other", threads=0)
