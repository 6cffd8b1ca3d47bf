"""Data parallelism over several processes (GPUs, or CPU processes with gloo): launch, set up, run a plan.

Launch a plan on every GPU of a machine with either launcher (both set RANK, WORLD_SIZE, LOCAL_RANK, MASTER_*)::

    torchrun --nproc_per_node 8 -m replication.distributed PLAN.yaml --runs-dir RUNS
    accelerate launch --num_processes 8 -m replication.distributed PLAN.yaml --runs-dir RUNS

Every process runs the same runs in the same order; each takes its share of every global batch (rank r takes
examples r, r + world, ...) and DistributedDataParallel averages the gradients, so the global batch size and the
optimisation match a single process. Only rank 0 writes checkpoints, the intermediate model and result files;
the others wait at barriers. NCCL on CUDA, gloo on CPU.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Context:
    rank: int
    world: int
    local_rank: int
    backend: str | None

    @property
    def is_main(self) -> bool:
        return self.rank == 0


def setup(backend: str | None = None) -> Context:
    """Join the process group described by the launcher's environment (a single process needs none)."""
    import torch
    import torch.distributed as dist

    world = int(os.environ.get("WORLD_SIZE", "1"))
    rank = int(os.environ.get("RANK", "0"))
    local_rank = int(os.environ.get("LOCAL_RANK", "0"))
    if world <= 1:
        return Context(0, 1, 0, None)
    backend = backend or ("nccl" if torch.cuda.is_available() else "gloo")
    if backend == "nccl":
        torch.cuda.set_device(local_rank)
    if not dist.is_initialized():
        dist.init_process_group(backend=backend, rank=rank, world_size=world)
    return Context(rank, world, local_rank, backend)


def barrier(world: int) -> None:
    """Wait until every rank of the process group gets here (no-op for a single process)."""
    if world > 1:
        import torch.distributed as dist

        dist.barrier()


def teardown() -> None:
    import torch.distributed as dist

    if dist.is_initialized():
        dist.barrier()
        dist.destroy_process_group()


def spawn(
    fn: Callable[..., Any],
    world: int,
    *args: Any,
    port: int | None = None,
    backend: str = "gloo",
    threads: int | None = 1,
) -> None:
    """Run ``fn(rank, world, *args)`` in ``world`` fresh processes joined in one process group (tests, CPU).

    ``threads``: torch CPU threads per process (default 1, so that the processes do not oversubscribe the cores;
    None: torch's default)."""
    import socket

    import torch.multiprocessing as mp

    if port is None:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
    mp.spawn(_entry, args=(world, port, backend, fn, args, threads), nprocs=world, join=True)


def _entry(rank: int, world: int, port: int, backend: str, fn: Callable[..., Any], args: tuple,
           threads: int | None) -> None:  # fmt: skip
    import torch
    import torch.distributed as dist

    os.environ.update({"MASTER_ADDR": "127.0.0.1", "MASTER_PORT": str(port), "RANK": str(rank),
                       "WORLD_SIZE": str(world), "LOCAL_RANK": str(rank)})  # fmt: skip
    if threads is not None:
        torch.set_num_threads(threads)
    dist.init_process_group(backend=backend, rank=rank, world_size=world)
    try:
        fn(rank, world, *args)
    except BaseException:
        if dist.is_initialized():
            dist.destroy_process_group()
        raise
    teardown()  # all ranks reach the barrier before any closes its connections (gloo aborts otherwise, at times)
    # Leave without running the interpreter's and C++ static destructors: gloo's background threads can still be
    # joinable there, and std::terminate then aborts a rank whose work is done ("terminate called without an active
    # exception", seen once in a full test run).
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)


def main(argv: list[str] | None = None) -> int:
    """Run a plan under torchrun/accelerate: every process executes the same runs, data-parallel."""
    from replication.errors import ReplicationError
    from replication.plan import load_plan
    from replication.runner import run_plan

    parser = argparse.ArgumentParser(
        prog="python -m replication.distributed", description=__doc__.splitlines()[0]
    )
    parser.add_argument("plan")
    parser.add_argument("--runs-dir", required=True)
    parser.add_argument("--only")
    parser.add_argument("--limit", type=int)
    parser.add_argument("--backend", choices=("nccl", "gloo"))
    parser.add_argument("--threads", type=int, help="torch CPU threads per process (default: torch's own)")
    args = parser.parse_args(argv)
    ctx = setup(args.backend)
    try:
        plan = load_plan(args.plan)

        def log(msg: str) -> None:
            if ctx.is_main:
                print(msg, file=sys.stderr, flush=True)

        run_plan(
            plan,
            args.runs_dir,
            only=args.only,
            limit=args.limit,
            log=log,
            rank=ctx.rank,
            world=ctx.world,
            threads=args.threads,
        )
    except ReplicationError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    finally:
        teardown()
    return 0


if __name__ == "__main__":
    sys.exit(main())
