"""Run batch items: each in its own ``assay`` process, on a local pool of workers or as Ray tasks.

An item's outputs are written into a hidden partial folder and renamed into ``<out>/<item id>/`` only when the item
succeeded, with an ``item.json`` that lists its outputs and their sha256. A finished item is never redone: a rerun
of the same manifest (after an interruption, say) skips every item whose folder exists, and the outputs of an
interrupted-then-resumed batch are byte-identical to those of an uninterrupted one, because every item runs with the
batch's fixed ``SOURCE_DATE_EPOCH`` (the time stamps in outputs). A failing item never stops the others; its reason
goes to ``<out>/_failed/<id>.log`` and the summary.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import asdict, dataclass, field
from pathlib import Path

from reports.batch.manifest import BatchItem
from reports.files import write_atomic

ITEM_FILE = "item.json"
BATCH_FILE = "batch.json"
FAILED_DIR = "_failed"


@dataclass
class Outcome:
    """What became of one item in this batch run."""

    id: str
    label: str
    kind: str
    status: str  # done (ran now), skipped (finished earlier), failed
    seconds: float = 0.0
    outputs: list[str] = field(default_factory=list)
    reason: str | None = None


def command(item: BatchItem, dest: Path, global_args: list[str]) -> list[str]:
    """The ``assay`` command line that computes one item into ``dest`` (JSON always, for --regenerate)."""
    formats = ",".join(dict.fromkeys((*item.formats, "json")))
    base = [sys.executable, "-m", "reports.cli", *global_args]
    if item.kind == "audit":
        cmd = [*base, "audit", str(item.report), "--format", formats, "--out", str(dest)]
        cmd += ["--paper", item.paper] if item.paper else []
        cmd += ["--question", item.question] if item.question else []
    else:
        cmd = [*base, "report", str(item.paper), "--question", str(item.question), "--format", formats,
               "--out", str(dest)]  # fmt: skip
        cmd += ["--template", item.template] if item.template else []
    cmd += ["--runs", item.runs] if item.runs else []
    return cmd


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def run_item(
    item_data: dict, out: str, global_args: list[str], env: dict[str, str], timeout: float | None
) -> dict:
    """Compute one item (in a worker thread or a Ray task) and return its :class:`Outcome` as a dict."""
    item = BatchItem(**item_data)
    out_dir = Path(out)
    final = out_dir / item.id
    if final.is_dir():
        return asdict(Outcome(item.id, item.label(), item.kind, "skipped", outputs=_listed(final)))
    partial = out_dir / f".{item.id}.partial-{uuid.uuid4().hex[:8]}"
    partial.mkdir(parents=True)
    t0 = time.perf_counter()
    try:
        proc = subprocess.run(command(item, partial, global_args), env={**os.environ, **env}, capture_output=True,
                              text=True, timeout=timeout, stdin=subprocess.DEVNULL)  # fmt: skip
        code, stderr = proc.returncode, proc.stderr
    except subprocess.TimeoutExpired as exc:
        code, stderr = -1, f"{exc.stderr or ''}\nerror: timed out after {timeout:.0f} s"
    seconds = round(time.perf_counter() - t0, 2)
    if code != 0:
        shutil.rmtree(partial, ignore_errors=True)
        reason = _reason(stderr, code)
        write_atomic(out_dir / FAILED_DIR / f"{item.id}.log", f"{' '.join(command(item, final, global_args))}\n"
                     f"exit {code}\n{stderr[-20000:]}")  # fmt: skip
        return asdict(Outcome(item.id, item.label(), item.kind, "failed", seconds, reason=reason))
    outputs = sorted(p.name for p in partial.iterdir() if p.is_file() and not p.name.startswith("."))
    record = {"item": item.model_dump(exclude={"line"}), "id": item.id,
              "outputs": {name: _sha256(partial / name) for name in outputs}}  # fmt: skip
    write_atomic(partial / ITEM_FILE, json.dumps(record, indent=2, sort_keys=True) + "\n")
    try:
        partial.rename(final)  # the item appears whole or not at all
    except (
        OSError
    ):  # finished meanwhile by another process (an orphan of an interrupted batch): keep that one
        shutil.rmtree(partial, ignore_errors=True)
        return asdict(Outcome(item.id, item.label(), item.kind, "skipped", outputs=_listed(final)))
    (out_dir / FAILED_DIR / f"{item.id}.log").unlink(missing_ok=True)
    return asdict(Outcome(item.id, item.label(), item.kind, "done", seconds, outputs=outputs))


def _listed(final: Path) -> list[str]:
    try:
        return sorted(json.loads((final / ITEM_FILE).read_text())["outputs"])
    except (OSError, ValueError, KeyError):
        return []


def _reason(stderr: str, code: int) -> str:
    """The one line that says why: the CLI's 'error: ...' line, else the last line of the output."""
    lines = [ln.strip() for ln in stderr.splitlines() if ln.strip()]
    errors = [ln for ln in lines if ln.startswith("error:")]
    line = errors[-1] if errors else (lines[-1] if lines else f"exit code {code}")
    return line.removeprefix("error:").strip()[:300]


def batch_epoch(out: Path) -> str:
    """The batch's fixed time stamp (SOURCE_DATE_EPOCH), chosen at its first run and kept for every resume."""
    path = out / BATCH_FILE
    if path.is_file():
        return str(json.loads(path.read_text())["source_date_epoch"])
    epoch = str(int(time.time()))
    write_atomic(path, json.dumps({"source_date_epoch": epoch}) + "\n")
    return epoch


def clean_partials(out: Path) -> int:
    """Remove partial folders an interrupted batch left behind; return how many."""
    n = 0
    for p in out.glob(".*.partial-*"):
        shutil.rmtree(p, ignore_errors=True)
        n += 1
    return n


def run_local(items: list[BatchItem], out: Path, global_args: list[str], env: dict[str, str], workers: int,
              timeout: float | None, on_outcome: Callable[[dict], None]) -> list[dict]:  # fmt: skip
    """Items on ``workers`` concurrent ``assay`` processes (a thread each waits on its process)."""
    results = []
    with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
        futures = [
            pool.submit(run_item, it.model_dump(), str(out), global_args, env, timeout) for it in items
        ]
        for fut in as_completed(futures):
            outcome = fut.result()
            on_outcome(outcome)
            results.append(outcome)
    return results


def run_ray(items: list[BatchItem], out: Path, global_args: list[str], env: dict[str, str], address: str | None,
            timeout: float | None, on_outcome: Callable[[dict], None]) -> list[dict]:  # fmt: skip
    """One Ray task per item (retried if its worker dies); ``out`` must be a folder every worker can reach."""
    try:
        import ray
    except ImportError:
        from synthesis.errors import AssayError

        raise AssayError("--executor ray needs Ray: pip install 'assay[cluster]'") from None
    ray.init(address=address, ignore_reinit_error=True, log_to_driver=False, include_dashboard=False)
    task = ray.remote(num_cpus=1, max_retries=3)(run_item)
    pending = [task.remote(it.model_dump(), str(out), global_args, env, timeout) for it in items]
    results = []
    while pending:
        ready, pending = ray.wait(pending, num_returns=1)
        outcome = ray.get(ready[0])
        on_outcome(outcome)
        results.append(outcome)
    return results


def order(items: Iterable[BatchItem], results: list[dict]) -> list[dict]:
    """Outcomes in manifest order."""
    by_id = {r["id"]: r for r in results}
    return [by_id[it.id] for it in items if it.id in by_id]
