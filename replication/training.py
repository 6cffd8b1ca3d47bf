"""The training loop of one phase: one or several tasks, resumable, deterministic for a fixed seed.

- Batches: per task, a seeded permutation per epoch cut into length-grouped batches (sorted inside mega-batches of
  ``GROUP`` batches, then the batch order shuffled), each padded only to its own longest sequence.
- Multi-task: every micro-batch draws its task with probability proportional to min(n_examples, K) (the paper's
  K = 2^17); the whole draw sequence is a function of the seed, so a resumed run sees the same batches.
- AdamW (fused, on CUDA and CPU) without decay on biases and LayerNorm, linear warm-up and decay computed from the step,
  gradient accumulation, bf16 autocast on CUDA, gradient clipping, dropout reseeded from (seed, step).
- Model selection on English dev every ``eval_every`` steps (default: once per epoch) with early stopping; the best
  weights are what the phase returns.
- Checkpoints every ``checkpoint_every`` steps and at the end: model, optimizer, step, best-so-far state, RNG
  states as tensors, counters as plain data, written atomically and read with ``torch.load(weights_only=True)``;
  the best dev weights go to their own file when they improve. The schedule, the batch order and dropout are
  functions of (seed, step), so a resumed phase ends with exactly the weights of an uninterrupted one.
- Throughput: non-padding tokens per second and MFU = achieved FLOP/s / peak, with 6 x non-embedding parameters
  + 12 x layers x hidden x sequence length FLOPs per token, and the peak from a measured matmul on the device.

Data parallelism: pass ``rank``/``world`` (see replication.distributed); each rank takes its share of every global
batch and gradients are averaged, so the global batch and the result do not depend on the number of processes.
"""

from __future__ import annotations

import hashlib
import math
import time
from collections.abc import Callable
from contextlib import nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from replication.distributed import barrier
from replication.models import MultiTaskModel, collate, feature_tokens, mask_tokens
from replication.plan import SIZE_CAP, Hyperparameters
from replication.tasks.formats import Format

GROUP = 50  # batches per length-sorted mega-batch
CHECKPOINT = "checkpoint.pt"
BEST = "best.pt"


@dataclass
class TaskData:
    """One task's training features inside a phase."""

    name: str
    format: str
    features: list[dict]
    batch_size: int
    size: int | None = None  # sampling size (examples); None: len(features)

    @property
    def n(self) -> int:
        return self.size if self.size is not None else len(self.features)


@dataclass
class TrainResult:
    steps: int
    best_step: int | None
    best_score: float | None
    evaluations: list[dict] = field(default_factory=list)
    tokens: int = 0
    train_seconds: float = 0.0
    tokens_per_s: float = 0.0
    flops_per_token: float = 0.0
    mfu: float | None = None
    peak_flops: float | None = None
    peak_source: str | None = None
    peak_memory_bytes: int | None = None  # CUDA only: the most memory the phase held on the device
    stopped_early: bool = False
    resumed_from: int | None = None

    def throughput(self) -> dict[str, Any]:
        return {
            "tokens": self.tokens, "train_seconds": round(self.train_seconds, 3),
            "tokens_per_s": round(self.tokens_per_s, 2), "flops_per_token": self.flops_per_token,
            "mfu": self.mfu, "peak_flops": self.peak_flops, "peak_source": self.peak_source,
            "peak_memory_bytes": self.peak_memory_bytes,
        }  # fmt: skip


class StopTraining(Exception):
    """Raised by a test hook to simulate an interruption after a given step."""


# ---------------------------------------------------------------------------------------------------------------
# batch order


def _task_seed(seed: int, task: str, epoch: int) -> list[int]:
    h = int.from_bytes(hashlib.sha256(task.encode()).digest()[:4], "little")
    return [seed, h, epoch]


def epoch_batches(task: TaskData, seed: int, epoch: int) -> list[list[int]]:
    """Index lists of one epoch of one task: seeded shuffle, length-sorted mega-batches, shuffled batch order."""
    rng = np.random.default_rng(_task_seed(seed, task.name, epoch))
    order = rng.permutation(len(task.features)).tolist()
    bs = task.batch_size
    batches: list[list[int]] = []
    mega = bs * GROUP
    for start in range(0, len(order), mega):
        chunk = order[start : start + mega]
        chunk.sort(key=lambda i: -feature_tokens(task.features[i]))
        batches.extend(chunk[j : j + bs] for j in range(0, len(chunk), bs))
    perm = rng.permutation(len(batches)).tolist()
    return [batches[i] for i in perm]


def sampling_weights(tasks: list[TaskData], size_cap: int = SIZE_CAP) -> np.ndarray:
    """Probability of each task per batch: proportional to min(n_examples, K)."""
    w = np.array([min(t.n, size_cap) for t in tasks], dtype=np.float64)
    if w.sum() <= 0:
        raise ValueError("every task of the phase is empty")
    return w / w.sum()


def task_schedule(tasks: list[TaskData], n_micro: int, seed: int, size_cap: int = SIZE_CAP) -> np.ndarray:
    """The task index of every micro-batch of the phase (a pure function of the seed)."""
    if len(tasks) == 1:
        return np.zeros(n_micro, dtype=np.int64)
    rng = np.random.default_rng([seed, 7919])
    return rng.choice(len(tasks), size=n_micro, p=sampling_weights(tasks, size_cap))


def total_steps(tasks: list[TaskData], hp: Hyperparameters, size_cap: int = SIZE_CAP) -> tuple[int, int]:
    """(optimizer steps of the phase, optimizer steps per epoch)."""
    per_epoch_batches = sum(math.ceil(min(t.n, size_cap) / t.batch_size) for t in tasks)
    per_epoch = max(1, math.ceil(per_epoch_batches / hp.grad_accum_steps))
    if hp.max_steps is not None:
        return hp.max_steps, per_epoch
    return max(1, math.ceil(hp.epochs * per_epoch)), per_epoch


class BatchStream:
    """Deterministic micro-batches: which task and which example indices for micro-batch number m."""

    def __init__(self, tasks: list[TaskData], n_micro: int, seed: int, size_cap: int):
        self.tasks, self.seed = tasks, seed
        self.schedule = task_schedule(tasks, n_micro, seed, size_cap)
        self._epochs: dict[tuple[int, int], list[list[int]]] = {}

    def position(self, m: int) -> list[int]:
        """How many batches each task has given before micro-batch m (the sampler position)."""
        counts = np.bincount(self.schedule[:m], minlength=len(self.tasks))
        return counts.tolist()

    def batch(self, task_index: int, k: int) -> list[int]:
        """The k-th batch the task gives (epochs roll over)."""
        task = self.tasks[task_index]
        n_batches = math.ceil(len(task.features) / task.batch_size)
        epoch, j = divmod(k, n_batches)
        key = (task_index, epoch)
        if key not in self._epochs:
            self._epochs = {kk: v for kk, v in self._epochs.items() if kk[0] != task_index}
            self._epochs[key] = epoch_batches(task, self.seed, epoch)
        return self._epochs[key][j]


# ---------------------------------------------------------------------------------------------------------------
# optimisation


def make_optimizer(model: nn.Module, hp: Hyperparameters, device: torch.device) -> torch.optim.Optimizer:
    decay, no_decay = [], []
    for name, p in model.named_parameters():
        if not p.requires_grad:
            continue
        (no_decay if p.ndim < 2 or "norm" in name.lower() or name.endswith(".bias") else decay).append(p)
    groups = [{"params": decay, "weight_decay": hp.weight_decay}, {"params": no_decay, "weight_decay": 0.0}]
    kwargs: dict[str, Any] = {"lr": hp.learning_rate, "betas": (0.9, 0.999), "eps": 1e-8}
    if device.type == "cuda" or (device.type == "cpu" and _torch_at_least(2, 4)):
        kwargs["fused"] = (
            True  # one kernel for all parameters (about 5x faster than the per-tensor loop on CPU)
        )
    return torch.optim.AdamW(groups, **kwargs)


def _torch_at_least(major: int, minor: int) -> bool:
    parts = torch.__version__.split("+")[0].split(".")
    return (int(parts[0]), int(parts[1])) >= (major, minor)


def lr_factor(step: int, total: int, warmup_ratio: float) -> float:
    """Linear warm-up over warmup_ratio x total steps, then linear decay to 0 (transformers' linear schedule)."""
    warm = int(round(warmup_ratio * total))
    if step < warm:
        return (step + 1) / max(1, warm)
    return max(0.0, (total - step) / max(1, total - warm))


# ---------------------------------------------------------------------------------------------------------------
# FLOPs and peak


def flops_per_token(config: Any, seq_len: float, mlm: bool = False) -> float:
    """Training FLOPs per token: 6 x non-embedding parameters + attention (12 x layers x hidden x seq_len)."""
    h, layers = config.hidden_size, config.num_hidden_layers
    ffn = getattr(config, "intermediate_size", 4 * h)
    per_layer = 4 * h * h + 2 * h * ffn  # attention projections + feed-forward (weights only)
    flops = 6.0 * layers * per_layer + 12.0 * layers * h * seq_len
    if mlm:
        flops += 6.0 * h * config.vocab_size + 6.0 * h * h
    return flops


_PEAK: dict[str, tuple[float, str]] = {}


def measured_peak_flops(device: torch.device) -> tuple[float, str]:
    """FLOP/s of a large matmul on the device: bf16 on CUDA, fp32 on CPU (measured once per process).

    The ceiling is the best of several timed blocks after a warm-up, so that clock ramp-up and a busy neighbour do
    not lower it (a lower ceiling would flatter every MFU computed against it).
    """
    key = str(device)
    if key in _PEAK:
        return _PEAK[key]
    if device.type == "cuda":
        n, dtype, reps, blocks, warm = 8192, torch.bfloat16, 10, 5, 5
    else:
        n, dtype, reps, blocks, warm = 1024, torch.float32, 5, 1, 2
    a = torch.randn(n, n, device=device, dtype=dtype)
    b = torch.randn(n, n, device=device, dtype=dtype)
    for _ in range(warm):
        a @ b
    _sync(device)
    best = float("inf")
    for _ in range(blocks):
        t0 = time.perf_counter()
        for _ in range(reps):
            a @ b
        _sync(device)
        best = min(best, time.perf_counter() - t0)
    peak = 2.0 * n**3 * reps / best
    what = f"best of {blocks} x {reps}" if blocks > 1 else f"{reps}"
    _PEAK[key] = (
        peak,
        f"measured {str(dtype).replace('torch.', '')} {n}x{n} matmul on {device.type} ({what})",
    )
    return _PEAK[key]


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


# ---------------------------------------------------------------------------------------------------------------
# checkpoints


def save_atomic(obj: Any, path: Path) -> None:
    """torch.save through :func:`replication.files.atomic_open`: the old checkpoint or the whole new one."""
    from replication.files import atomic_open

    with atomic_open(path, "wb") as fh:
        torch.save(obj, fh)


def load_checkpoint(path: Path) -> dict | None:
    if not path.is_file():
        return None
    return torch.load(path, map_location="cpu", weights_only=True)


def _rng_state() -> dict[str, Any]:
    state = {"torch": torch.random.get_rng_state()}
    if torch.cuda.is_available():
        state["cuda"] = torch.stack([s for s in torch.cuda.get_rng_state_all()])
    return state


def _set_rng_state(state: dict[str, Any]) -> None:
    torch.random.set_rng_state(state["torch"])
    if "cuda" in state and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(list(state["cuda"]))


def _cpu_state(model: nn.Module) -> dict[str, torch.Tensor]:
    return {k: v.detach().to("cpu", copy=True) for k, v in model.state_dict().items()}


# ---------------------------------------------------------------------------------------------------------------
# the loop


Evaluate = Callable[[MultiTaskModel], float]
Log = Callable[[str], None]


@dataclass
class _Progress:
    """What a phase has done so far: what a checkpoint saves and a resumed phase restores."""

    step: int = 0
    bad_evals: int = 0
    best_state: dict[str, torch.Tensor] | None = None
    tokens: int = 0  # this process's share of the counts below (the result carries those of earlier sessions)
    seconds: float = 0.0
    seq_lens: list[float] = field(default_factory=list)
    recent: list[torch.Tensor] = field(default_factory=list)  # losses since the last log line, on the device


def train(
    model: MultiTaskModel,
    tasks: list[TaskData],
    hp: Hyperparameters,
    *,
    seed: int,
    tokenizer: Any,
    checkpoint_dir: Path | None,
    device: torch.device,
    evaluate: Evaluate | None = None,
    size_cap: int = SIZE_CAP,
    log: Log | None = None,
    rank: int = 0,
    world: int = 1,
    stop_after_step: int | None = None,
    compile: bool = False,
) -> TrainResult:
    """Train ``model`` in place on ``tasks``; on return it holds the best weights on English dev (or the last).

    ``compile`` compiles the encoder's layers with ``torch.compile`` (:func:`compile_layers`): it pays off on a
    GPU for long phases; the first steps then include the compilation.
    Over 60 lines only by its fifteen-parameter signature: the body is the loop, one screen top to bottom.
    """
    log_losses = log is not None  # reading a loss value is a host sync: only when someone reads the log
    log = log or (lambda _: None)
    tasks = [t for t in tasks if t.features]
    if not tasks:
        raise ValueError("no training features in this phase")
    steps, per_epoch = total_steps(tasks, hp, size_cap)
    eval_every = hp.eval_every or per_epoch
    stream = BatchStream(tasks, steps * hp.grad_accum_steps, seed, size_cap)
    optimizer, ddp = _prepare(model, tasks, hp, device, world, compile)
    ckpt_path, best_path = _checkpoint_paths(checkpoint_dir)
    result = TrainResult(steps=steps, best_step=None, best_score=None)
    progress = _resume(ckpt_path, best_path, model, optimizer, result, log)
    given = stream.position(
        progress.step * hp.grad_accum_steps
    )  # batches each task has given (sampler position)
    model.train()
    t_mark = time.perf_counter()
    while progress.step < steps:
        step = progress.step
        gen = _seed_step(seed, step)
        _set_lr(optimizer, hp.learning_rate * lr_factor(step, steps, hp.warmup_ratio))
        for micro in range(hp.grad_accum_steps):
            ti, indices = _next_batch(stream, given, step * hp.grad_accum_steps + micro, rank, world)
            last = micro == hp.grad_accum_steps - 1
            _forward_backward(
                ddp, tasks[ti], indices, tokenizer, hp, gen, device, world, last, progress, log_losses
            )
        _apply_gradients(model, optimizer, hp.max_grad_norm)
        progress.step = step = step + 1
        due_eval = evaluate is not None and (step % eval_every == 0 or step == steps)
        due_ckpt = ckpt_path is not None and (step % hp.checkpoint_every == 0 or step == steps)
        due_log = log_losses and (step % 10 == 0 or step == steps)
        pause = due_log or due_eval or due_ckpt or step == steps
        if pause:  # time only optimisation: stop the clock for logging, evaluation and checkpoints
            _sync(device)
            progress.seconds += time.perf_counter() - t_mark
            if progress.recent and due_log:
                _log_loss(log, progress, step, steps)
        stop = due_eval and _select(model, evaluate, hp, result, progress, best_path, rank, world, log)
        if ckpt_path is not None and (due_ckpt or stop):
            _save_checkpoint(ckpt_path, model, optimizer, result, progress, steps, rank, world)
        if stop_after_step is not None and stop_after_step <= step < steps and not stop:
            raise StopTraining(step)
        if stop:
            break
        if pause:
            t_mark = time.perf_counter()
    return _finish(model, tasks, hp, device, world, result, progress)


def _checkpoint_paths(checkpoint_dir: Path | None) -> tuple[Path | None, Path | None]:
    """Where the resumable checkpoint and the best weights go (none without a checkpoint folder)."""
    if checkpoint_dir is None:
        return None, None
    return checkpoint_dir / CHECKPOINT, checkpoint_dir / BEST


def _seed_step(seed: int, step: int) -> torch.Generator:
    """Seed dropout from (seed, step) only, and return the step's generator (for MLM masking)."""
    torch.manual_seed(seed * 1_000_003 + step)
    return torch.Generator().manual_seed(seed * 1_000_033 + step)


def _set_lr(optimizer: torch.optim.Optimizer, lr: float) -> None:
    for group in optimizer.param_groups:
        group["lr"] = lr


def _next_batch(
    stream: BatchStream, given: list[int], index: int, rank: int, world: int
) -> tuple[int, list[int]]:
    """The task of micro-batch ``index`` in the schedule and this rank's share of its examples (advancing that
    task's sampler position in ``given``)."""
    ti = int(stream.schedule[index])
    global_batch = stream.batch(ti, given[ti])
    given[ti] += 1
    return ti, global_batch[rank::world] or global_batch[:1]  # never leave a rank without work


def _apply_gradients(model: nn.Module, optimizer: torch.optim.Optimizer, max_grad_norm: float) -> None:
    """Clip the accumulated gradients (when ``max_grad_norm`` > 0), step, and clear them."""
    if max_grad_norm > 0:
        nn.utils.clip_grad_norm_(model.parameters(), max_grad_norm)
    optimizer.step()
    optimizer.zero_grad(set_to_none=True)


def _log_loss(log: Log, progress: _Progress, step: int, steps: int) -> None:
    """Log the mean loss of the steps since the last log line."""
    log(f"step {step}/{steps} loss {float(torch.stack(progress.recent).mean()):.4f}")
    progress.recent.clear()


def _prepare(
    model: MultiTaskModel, tasks: list[TaskData], hp: Hyperparameters, device: torch.device, world: int,
    compile: bool,
) -> tuple[torch.optim.Optimizer, nn.Module]:  # fmt: skip
    """Model on the device, optimizer, the DDP wrapper when several processes train, compiled layers if asked."""
    model.to(device)
    if device.type == "cuda":
        torch.backends.cuda.matmul.allow_tf32 = True  # the fp32 parts outside autocast (optimizer, losses)
        torch.cuda.reset_peak_memory_stats(device)
    optimizer = make_optimizer(model, hp, device)
    ddp = _wrap(model, world, device, multi=len(tasks) > 1)
    if compile:
        compile_layers(model)
    return optimizer, ddp


def _resume(
    ckpt_path: Path | None, best_path: Path | None, model: MultiTaskModel, optimizer: torch.optim.Optimizer,
    result: TrainResult, log: Log,
) -> _Progress:  # fmt: skip
    """Restore model, optimizer, RNG, counters and best-so-far from the checkpoint, if there is one."""
    progress = _Progress()
    state = load_checkpoint(ckpt_path) if ckpt_path is not None else None
    if state is None:
        return progress
    model.load_state_dict(state["model"])
    optimizer.load_state_dict(state["optimizer"])
    _set_rng_state(state["rng"])
    meta = state["meta"]
    progress.step, progress.bad_evals = int(state["step"]), int(meta["bad_evals"])
    result.best_step, result.best_score = meta["best_step"], meta["best_score"]
    result.evaluations = list(meta["evaluations"])
    result.tokens, result.train_seconds = int(meta["tokens"]), float(meta["train_seconds"])
    result.resumed_from = progress.step
    if result.best_step is not None and best_path is not None and best_path.is_file():
        progress.best_state = torch.load(best_path, map_location="cpu", weights_only=True)
    log(f"resumed at step {progress.step}/{result.steps}")
    if meta.get("stopped_early"):
        result.stopped_early = True
        progress.step = result.steps
    return progress


def _forward_backward(
    ddp: nn.Module, task: TaskData, indices: list[int], tokenizer: Any, hp: Hyperparameters,
    gen: torch.Generator, device: torch.device, world: int, last_micro: bool, progress: _Progress,
    keep_loss: bool,
) -> None:  # fmt: skip
    """One micro-batch: collate (padded to its longest, a multiple of 8 on CUDA), mask for MLM, move, loss, backward."""
    batch = collate(
        [task.features[i] for i in indices], tokenizer.pad_token_id, 8 if device.type == "cuda" else 1
    )
    if task.format == Format.MLM:
        batch = mask_tokens(batch, tokenizer, hp.mlm_probability, gen)
    progress.tokens += int(batch["attention_mask"].sum()) * world  # counted on the CPU copy: no sync
    progress.seq_lens.append(float(batch["input_ids"].shape[-1]))
    batch = to_device(batch, device)
    no_sync = ddp.no_sync() if (world > 1 and not last_micro) else nullcontext()
    autocast = torch.autocast("cuda", dtype=torch.bfloat16) if device.type == "cuda" else nullcontext()
    with no_sync, autocast, attention_backends(device):
        loss = ddp(task.name, batch)["loss"] / hp.grad_accum_steps
    loss.backward()
    if keep_loss:
        progress.recent.append(loss.detach() * hp.grad_accum_steps)


def _select(
    model: MultiTaskModel, evaluate: Evaluate, hp: Hyperparameters, result: TrainResult, progress: _Progress,
    best_path: Path | None, rank: int, world: int, log: Log,
) -> bool:  # fmt: skip
    """Score English dev, keep the best weights (in memory and in ``best.pt``); True when early stopping is due."""
    step = progress.step
    score = _agree(float(evaluate(model)), world)
    model.train()
    result.evaluations.append({"step": step, "score": score})
    if result.best_score is None or score > result.best_score:
        result.best_score, result.best_step, progress.bad_evals = score, step, 0
        progress.best_state = _cpu_state(model)
        if best_path is not None and rank == 0:
            save_atomic(progress.best_state, best_path)
    else:
        progress.bad_evals += 1
    log(f"step {step}: English dev {score:.2f} (best {result.best_score:.2f} at step {result.best_step})")
    if hp.early_stopping_patience is not None and progress.bad_evals >= hp.early_stopping_patience:
        log(f"early stopping at step {step}: no dev improvement in {progress.bad_evals} evaluations")
        result.stopped_early = True
        return True
    return False


def _save_checkpoint(
    path: Path, model: MultiTaskModel, optimizer: torch.optim.Optimizer, result: TrainResult, progress: _Progress,
    steps: int, rank: int, world: int,
) -> None:  # fmt: skip
    """Model, optimizer, RNG and counters as plain tensors and data, written atomically by rank 0."""
    barrier(world)
    if rank == 0:
        meta = {
            "best_step": result.best_step, "best_score": result.best_score, "evaluations": result.evaluations,
            "tokens": result.tokens + progress.tokens, "train_seconds": result.train_seconds + progress.seconds,
            "bad_evals": progress.bad_evals, "stopped_early": result.stopped_early, "steps": steps,
        }  # fmt: skip
        state = {"model": model.state_dict(), "optimizer": optimizer.state_dict(), "rng": _rng_state(),
                 "step": progress.step, "meta": meta}  # fmt: skip
        save_atomic(state, path)
    barrier(world)


def _finish(
    model: MultiTaskModel, tasks: list[TaskData], hp: Hyperparameters, device: torch.device, world: int,
    result: TrainResult, progress: _Progress,
) -> TrainResult:  # fmt: skip
    """Load the best weights; throughput, FLOPs per token, MFU against the measured peak, peak device memory."""
    result.train_seconds += progress.seconds
    result.tokens += progress.tokens
    if device.type == "cuda":
        result.peak_memory_bytes = int(torch.cuda.max_memory_allocated(device))
    if progress.best_state is not None:
        model.load_state_dict(progress.best_state)
    result.tokens_per_s = result.tokens / result.train_seconds if result.train_seconds > 0 else 0.0
    mean_len = float(np.mean(progress.seq_lens)) if progress.seq_lens else float(hp.max_seq_length)
    mlm = any(t.format == Format.MLM for t in tasks)
    result.flops_per_token = flops_per_token(model.encoder.config, mean_len, mlm=mlm)
    if result.tokens_per_s > 0:
        peak, source = measured_peak_flops(device)
        result.peak_flops, result.peak_source = peak * world, f"{source} x {world} process(es)"
        result.mfu = result.tokens_per_s * result.flops_per_token / result.peak_flops
    return result


def compile_layers(model: nn.Module) -> int:
    """Compile the encoder's repeated layers in place (regional compilation), once per model; returns their count.

    The blocks of a transformer share one code path, so ``torch.compile`` builds one graph (dynamic in the sequence
    length) and reuses it for every layer: the element-wise work between matrix products (bias, GELU, dropout,
    residual adds, LayerNorm, autocast casts) is fused, and far fewer kernels are launched per step. Compiling the
    whole model instead took over three minutes for an XLM-R-Large shape on an H200 machine (measured); one layer
    takes a fraction of that. Parameter names and the state dict are unchanged.
    """
    blocks = max(
        (m for m in model.modules() if isinstance(m, nn.ModuleList) and len(m) > 1
         and len({type(x) for x in m}) == 1),
        key=len, default=None,
    )  # fmt: skip
    if blocks is None:
        return 0
    for layer in blocks:
        if getattr(layer, "_compiled_call_impl", None) is None:
            layer.compile(dynamic=True)
    return len(blocks)


def attention_backends(device: torch.device):  # noqa: ANN201
    """SDPA without the cuDNN backend on CUDA: with a padding mask and batch-dependent lengths its per-call host
    overhead (about 0.8 ms per layer and pass, measured on an H200 machine with torch 2.11) made the step CPU-bound;
    flash and memory-efficient attention have none of it."""
    if device.type != "cuda":
        return nullcontext()
    from torch.nn.attention import SDPBackend, sdpa_kernel

    return sdpa_kernel([SDPBackend.FLASH_ATTENTION, SDPBackend.EFFICIENT_ATTENTION, SDPBackend.MATH])


def to_device(batch: dict[str, torch.Tensor], device: torch.device) -> dict[str, torch.Tensor]:
    """Move a CPU batch to the device; on CUDA through pinned memory, so the copy is truly asynchronous."""
    if device.type != "cuda":
        return {k: v.to(device) for k, v in batch.items()}
    return {k: v.pin_memory().to(device, non_blocking=True) for k, v in batch.items()}


def _wrap(model: nn.Module, world: int, device: torch.device, multi: bool) -> nn.Module:
    if world <= 1:
        return model
    from torch.nn.parallel import DistributedDataParallel

    ids = [device.index] if device.type == "cuda" else None
    return DistributedDataParallel(model, device_ids=ids, find_unused_parameters=multi)


def _agree(value: float, world: int) -> float:
    """Rank 0's value on every rank, so that model selection and early stopping never diverge between ranks."""
    if world <= 1:
        return value
    import torch.distributed as dist

    t = torch.tensor([value], dtype=torch.float64)
    if dist.get_backend() == "nccl":
        t = t.cuda()
    dist.broadcast(t, src=0)
    return float(t.item())
