"""Runs as Ray tasks: waves per intermediate lineage (no phase trained twice), results equal to the local runner's,
finished runs never redone, on Ray started in-process and on a real local cluster (`ray start --head` on 127.0.0.1)
where a worker killed mid-run is retried and the grid completes. Needs the optional `cluster` extra (Ray); skipped
without it."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import pytest

pytest.importorskip("torch")

import toy_tasks  # noqa: E402
from toy_tasks import one_thread  # noqa: E402, F401

toy = toy_tasks.toy
REPO = Path(__file__).resolve().parents[2]

from replication.cluster import waves  # noqa: E402
from replication.plan import expand, parse_plan  # noqa: E402


def test_waves_put_one_run_per_intermediate_lineage_first(toy) -> None:  # noqa: ANN001
    plan = parse_plan(toy_tasks.plan_dict(toy, targets=["toy-tag", "toy-ret"], seeds=[1, 2]))
    runs = expand(plan)
    first, rest = waves(runs)
    inter = {r.id: next((h for p, h in r.lineage if p == "intermediate"), None) for r in runs}
    firsts = [inter[r.id] for r in first if inter[r.id]]
    assert len(firsts) == len(set(firsts)) == len({h for h in inter.values() if h})
    assert all(inter[r.id] in firsts for r in rest) and len(first) + len(rest) == len(runs)


@pytest.mark.slow
def test_ray_runs_match_the_local_runner(toy, tmp_path) -> None:  # noqa: ANN001
    ray = pytest.importorskip("ray")
    from replication.cluster import run_plan_ray
    from replication.runner import run_plan

    plan = parse_plan(toy_tasks.plan_dict(toy, targets=["toy-tag"], seeds=[1, 2]))
    local = run_plan(plan, tmp_path / "local", device="cpu")
    try:
        here = str(Path(__file__).resolve().parent)  # workers import toy_tasks from here
        ray.init(
            num_cpus=2,
            include_dashboard=False,
            log_to_driver=False,
            runtime_env={
                "env_vars": {"PYTHONPATH": os.pathsep.join([here, os.environ.get("PYTHONPATH", "")])}
            },
        )
        remote = run_plan_ray(plan, tmp_path / "ray", setup=toy_tasks.register)
        assert [r["id"] for r in remote] == [r["id"] for r in local]
        for a, b in zip(local, remote, strict=True):
            for lang, m in a["metrics"].items():
                assert b["metrics"][lang] == pytest.approx(m, abs=1e-6)
        mtimes = {p: p.stat().st_mtime_ns for p in (tmp_path / "ray").glob("*/result.json")}
        run_plan_ray(plan, tmp_path / "ray", setup=toy_tasks.register)  # finished runs are never redone
        assert {p: p.stat().st_mtime_ns for p in (tmp_path / "ray").glob("*/result.json")} == mtimes
    finally:
        ray.shutdown()


def test_replicate_run_executor_is_checked(assay, tmp_path) -> None:  # noqa: ANN001
    plan = REPO / "replication" / "plans" / "paper_v1.yaml"
    r = assay(
        "--home", tmp_path, "replicate", "run", plan, "--executor", "slurm", "--runs-dir", tmp_path / "runs"
    )
    assert r.code == 2 and "use local or ray" in r.err and "Traceback" not in r.err


# ----------------------------------------------------------------------------------------------------------------
# a real local Ray cluster: `ray start --head --node-ip-address 127.0.0.1`, the runs connected to it with --address


def _free_ports(n: int) -> list[int]:
    socks = [socket.socket() for _ in range(n)]
    try:
        for s in socks:
            s.bind(("127.0.0.1", 0))
        return [s.getsockname()[1] for s in socks]
    finally:
        for s in socks:
            s.close()


def _descendants(pid: int) -> list:
    import psutil
    import ray  # noqa: F401  (puts Ray's bundled psutil on the path)

    try:
        return psutil.Process(pid).children(recursive=True)
    except psutil.NoSuchProcess:
        return []


@pytest.fixture(scope="module")
def ray_cluster():
    """`ray start --head --block` on 127.0.0.1 with two CPUs, free ports and a temp folder of its own (so that no
    other `ray.init()` on this machine finds it); workers import toy_tasks. Yields the address for --address.

    Stopped by signalling the processes this fixture started (the `ray start` session and everything below it),
    never with `ray stop --force`, which would end every Ray instance on a shared machine."""
    pytest.importorskip("ray")
    temp = tempfile.mkdtemp(prefix="rayc-", dir="/tmp")  # short: Ray's socket paths must fit in 107 bytes
    port, agent, agent_grpc, env_agent, metrics, obj, node = _free_ports(7)
    here = str(Path(__file__).resolve().parent)
    env = {**os.environ, "OMP_NUM_THREADS": "1", "RAY_USAGE_STATS_ENABLED": "0",
           "RAY_AUTH_MODE": "disabled",  # Ray 2.5x turns token auth on for `ray start`; the driver here has none
           "PYTHONPATH": os.pathsep.join([here, str(REPO), os.environ.get("PYTHONPATH", "")])}  # fmt: skip
    env.pop("RAY_ADDRESS", None)
    cmd = [str(Path(sys.executable).parent / "ray"), "start", "--head", "--block", "--node-ip-address", "127.0.0.1",
           "--port", str(port), "--num-cpus", "2", "--num-gpus", "0", "--include-dashboard", "false",
           "--disable-usage-stats", "--temp-dir", temp,
           "--dashboard-agent-listen-port", str(agent), "--dashboard-agent-grpc-port", str(agent_grpc),
           "--runtime-env-agent-port", str(env_agent), "--metrics-export-port", str(metrics),
           "--object-manager-port", str(obj), "--node-manager-port", str(node)]  # fmt: skip
    log = open(Path(temp) / "ray-start.log", "w")  # noqa: SIM115
    proc = subprocess.Popen(cmd, env=env, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                            start_new_session=True)  # fmt: skip
    try:
        deadline = time.time() + 120
        while not (Path(temp) / "ray_current_cluster").is_file():  # written once the head node is up
            if proc.poll() is not None or time.time() > deadline:
                pytest.fail(f"ray start failed:\n{(Path(temp) / 'ray-start.log').read_text()[-3000:]}")
            time.sleep(0.2)
        yield f"127.0.0.1:{port}"
    finally:
        started = _descendants(proc.pid)
        for sig in (signal.SIGTERM, signal.SIGKILL):  # the `ray start` session, then whatever outlived it
            try:
                os.killpg(proc.pid, sig)
            except ProcessLookupError:
                pass
            for p in started:
                try:
                    p.send_signal(sig)
                except Exception:  # noqa: BLE001  (gone meanwhile)
                    pass
            deadline = time.time() + 5
            while time.time() < deadline and (proc.poll() is None or any(p.is_running() for p in started)):
                time.sleep(0.2)
        proc.wait()
        log.close()
        shutil.rmtree(temp, ignore_errors=True)


def _grid(toy) -> object:  # noqa: ANN001
    """Four runs (two seeds, no intermediate task and toy-pair, toy-tag target), checkpointed every step, long
    enough (several seconds each) to be killed mid-run."""
    hp = {**toy_tasks.plan_dict(toy)["hyperparameters"], "epochs": 3, "checkpoint_every": 1}
    return parse_plan(toy_tasks.plan_dict(toy, targets=["toy-tag"], seeds=[1, 2], hyperparameters=hp))


@pytest.fixture(scope="module")
def local_grid(toy, tmp_path_factory) -> list[dict]:  # noqa: ANN001
    from replication.runner import run_plan

    return run_plan(_grid(toy), tmp_path_factory.mktemp("local"), device="cpu")


def _same_results(local: list[dict], remote: list[dict]) -> None:
    assert [r["id"] for r in remote] == [r["id"] for r in local]
    for a, b in zip(local, remote, strict=True):
        assert b["status"] == "done" and b["metrics"] == a["metrics"], b["id"]


@pytest.mark.slow
def test_real_ray_cluster_matches_the_local_executor(toy, ray_cluster, local_grid, tmp_path) -> None:  # noqa: ANN001
    import ray

    from replication.cluster import run_plan_ray

    try:
        remote = run_plan_ray(_grid(toy), tmp_path / "ray", address=ray_cluster, setup=toy_tasks.register)
        # the runs went to that cluster (Ray names a node started on 127.0.0.1 by this machine's own address)
        assert ray.get_runtime_context().gcs_address.rsplit(":", 1)[1] == ray_cluster.rsplit(":", 1)[1]
        nodes = [n for n in ray.nodes() if n["Alive"]]
        assert len(nodes) == 1 and ray.cluster_resources()["CPU"] == 2
    finally:
        ray.shutdown()
    _same_results(local_grid, remote)


@pytest.mark.slow
def test_a_worker_killed_mid_run_is_retried(toy, ray_cluster, local_grid, tmp_path) -> None:  # noqa: ANN001
    """SIGKILL the Ray worker process of a run that is training (its checkpoint exists, no run has finished): Ray
    retries the task, the run resumes from its checkpoint, and the grid ends with the local executor's results."""
    import ray

    from replication.cluster import run_plan_ray

    runs, marks = tmp_path / "ray", tmp_path / "marks"
    marks.mkdir()

    def setup() -> None:  # runs in the worker before each run: note which process took a run
        toy_tasks.register()
        (Path(str(marks)) / f"{os.getpid()}-{time.time_ns()}").touch()

    killed: list[int] = []

    def killer() -> None:
        deadline = time.time() + 240
        while time.time() < deadline:
            busy = sorted(marks.iterdir(), key=lambda p: int(p.name.split("-")[1]))
            training = list(runs.glob("*/checkpoint/checkpoint.pt")) and not list(runs.glob("*/result.json"))
            if busy and training:
                pid = int(busy[0].name.split("-")[0])  # took a run, and no run has finished: it is training
                os.kill(pid, signal.SIGKILL)
                killed.append(pid)
                return
            time.sleep(0.02)

    thread = threading.Thread(target=killer, daemon=True)
    thread.start()
    try:
        remote = run_plan_ray(_grid(toy), runs, address=ray_cluster, setup=setup)
    finally:
        thread.join(timeout=5)
        ray.shutdown()
    assert killed, "no worker was killed: the runs finished before any checkpoint was seen"
    executions = [int(p.name.split("-")[0]) for p in marks.iterdir()]
    assert len(executions) >= len(local_grid) + 1  # the killed run was run again, on another worker
    assert killed[0] in executions and executions.count(killed[0]) == 1
    with pytest.raises(ProcessLookupError):
        os.kill(killed[0], 0)
    assert not list(runs.glob("*/checkpoint"))  # every run finished and tidied its checkpoint
    _same_results(local_grid, remote)
