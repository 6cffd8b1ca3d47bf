"""Data parallelism: two gloo processes on CPU train in lockstep and match a single process on the same global batch."""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")

import toy_tasks  # noqa: E402
from toy_tasks import one_thread  # noqa: E402, F401

from replication.distributed import spawn  # noqa: E402
from replication.models import HeadSpec, MultiTaskModel, featurize, load_encoder, load_tokenizer  # noqa: E402
from replication.plan import Hyperparameters  # noqa: E402
from replication.training import TaskData, train  # noqa: E402

HP = Hyperparameters(batch_size=8, max_steps=4, learning_rate=1e-3, max_seq_length=32, warmup_ratio=0.0)


def _setup(path):
    tok = load_tokenizer(path)
    tasks = []
    for name, fmt in (("toy-pair", "pair_classification"), ("toy-mc", "multiple_choice")):
        ex = toy_tasks.examples(name, "train", "en")
        tasks.append(TaskData(name, fmt, featurize(fmt, ex, tok, HP, True), HP.batch_size))
    heads = [HeadSpec("toy-pair", "pair_classification", 2), HeadSpec("toy-mc", "multiple_choice", 3)]
    model = MultiTaskModel(load_encoder(path), heads, seed=1)
    for m in model.modules():  # dropout makes ranks differ from one process by design; compare the maths only
        if isinstance(m, torch.nn.Dropout):
            m.p = 0.0
    return tok, tasks, model


def _plan_worker(rank, world, plan_path, runs_dir):
    from replication.distributed import main

    torch.set_num_threads(1)
    assert main([plan_path, "--runs-dir", runs_dir]) == 0


def _worker(rank, world, path, out_dir):
    import torch.distributed as dist

    torch.set_num_threads(1)
    tok, tasks, model = _setup(path)
    train(model, tasks, HP, seed=7, tokenizer=tok, checkpoint_dir=None, device=torch.device("cpu"),
          rank=rank, world=world)  # fmt: skip
    flat = torch.cat([p.detach().flatten() for p in model.parameters()])
    gathered = [torch.zeros_like(flat) for _ in range(world)]
    dist.all_gather(gathered, flat)
    if rank == 0:
        torch.save({"params": gathered}, f"{out_dir}/params.pt")


def test_two_gloo_processes_stay_in_sync_and_match_one_process(tmp_path):
    path = str(toy_tasks.build_model(tmp_path / "model"))
    spawn(_worker, 2, path, str(tmp_path))
    a, b = torch.load(tmp_path / "params.pt", weights_only=True)["params"]
    assert torch.equal(a, b), "parameters must be identical on every rank after every step"
    tok, tasks, model = _setup(path)
    before = torch.cat([p.detach().flatten() for p in model.parameters()])
    train(model, tasks, HP, seed=7, tokenizer=tok, checkpoint_dir=None, device=torch.device("cpu"))
    single = torch.cat([p.detach().flatten() for p in model.parameters()])
    assert not torch.equal(single, before)
    # each rank took half of every global batch and gradients were averaged: the same optimisation as one process
    # (up to float rounding: each half batch is padded to its own length, and Adam amplifies tiny differences)
    diff = (a - single).abs().max()
    moved = (single - before).abs().max()
    assert diff < 1e-4 and diff < 0.02 * moved, (diff, moved)


@pytest.mark.slow
def test_a_plan_under_two_processes_writes_one_result(tmp_path, monkeypatch):
    """What `torchrun --nproc_per_node 2 -m replication.distributed PLAN --runs-dir DIR` does, on real loaders."""
    import json

    import yaml
    from test_runner import _write_pawsx

    path = str(toy_tasks.build_model(tmp_path / "model"))
    _write_pawsx(tmp_path / "data")
    plan = toy_tasks.plan_dict(path, intermediate=["none"], targets=["pawsx"], data={"dir": str(tmp_path / "data")},
                               evaluation={"languages": ["en", "de"]})  # fmt: skip
    (tmp_path / "plan.yaml").write_text(yaml.safe_dump(plan))
    monkeypatch.setenv("ASSAY_OFFLINE", "1")
    spawn(_plan_worker, 2, str(tmp_path / "plan.yaml"), str(tmp_path / "runs"))
    (result,) = [json.loads(p.read_text()) for p in (tmp_path / "runs").glob("*/result.json")]
    assert result["hardware"]["processes"] == 2 and set(result["metrics"]) == {"en", "de"}
    assert (tmp_path / "runs" / result["id"] / "predictions.jsonl").is_file()
