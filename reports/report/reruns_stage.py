"""The ``reruns`` stage of `assay report --runs DIR`: the report's numeric claims of the examined paper bound to the
run results of DIR by replication.bind (through reports.audit.reruns.rerun_claims, as `assay audit --runs` does).

The stage key holds the claims stage's key and a fingerprint of the runs folder (its path and the content hash of
every ``result.json`` under it), so a rerun resumes and a changed --runs recomputes only this stage. The textual
verdicts are joined to the bindings at assembly (they come from the verify stage).
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path
from typing import Any

from synthesis.errors import AssayError

_DIGIT = re.compile(r"\d")


def numeric(claims: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The claims that state a number (``{"id", "text"}``), in order."""
    return [{"id": c["id"], "text": c["text"]} for c in claims if _DIGIT.search(c["text"])]


def fingerprint(runs: Path) -> dict[str, Any]:
    """The runs folder's identity for the stage key: resolved path and sha256 of every result.json under it."""
    if not runs.is_dir():
        raise AssayError(f"--runs {runs}: not a folder; give a runs folder (or the demo's output folder)")
    files = sorted(runs.rglob("result.json"))
    digest = hashlib.sha256()
    for f in files:
        try:
            data = f.read_bytes()
        except OSError as exc:
            raise AssayError(f"--runs {runs}: cannot read {f}: {exc.strerror or exc}") from exc
        digest.update(str(f.relative_to(runs)).encode("utf-8") + b"\0" + hashlib.sha256(data).digest())
    return {"path": str(runs.resolve()), "n_results": len(files), "sha256": digest.hexdigest()}


def reruns_stage(claims: dict, runs: Path) -> dict:
    """``{"n_runs", "bindings"}``: one replication.bind binding (as a dict) per numeric claim of the paper."""
    from replication.errors import ReplicationError
    from reports.audit.reruns import rerun_claims

    wanted = numeric(claims["paper"])
    try:
        bindings = rerun_claims(wanted, runs)
    except ReplicationError as exc:
        raise AssayError(f"--runs {runs}: {exc}") from exc
    return {"n_runs": sum(1 for _ in runs.rglob("result.json")), "bindings": bindings}


def _run(r: dict) -> dict:
    seed = r.get("seed")
    return {
        "id": str(r.get("id")),
        "model": str(r.get("model")),
        "intermediate": r.get("intermediate"),
        "target": r.get("target"),
        "seed": seed if isinstance(seed, int) and not isinstance(seed, bool) else None,
        "hardware": str(r["hardware"]) if r.get("hardware") else None,
    }


def rerun_rows(stage: dict, rows: list[dict]) -> list[dict]:
    """The report's rerun rows: each binding beside its claim's textual verdict (claims not in ``rows`` dropped)."""
    by_id = {r["id"]: r for r in rows}
    out = []
    for b in stage["bindings"]:
        row = by_id.get(b["id"])
        if row is None:
            continue
        q = b.get("query") or {}
        m = b.get("measured")
        out.append(
            {
                "id": b["id"],
                "text": row["text"],
                "label": row["label"],
                "mark": row["mark"],
                "verdict": b["verdict"],
                "reason": b["reason"],
                "query_words": b.get("query_words") or "",
                "kind": q.get("kind"),
                "claimed": q.get("claimed"),
                "measured": None
                if not m
                else {
                    "mean": m["mean"],
                    "sd": m.get("sd"),
                    "n": m.get("n") or 1,
                    "tolerance": m.get("tolerance"),
                    "per_seed": m.get("per_seed") or {},
                },
                "runs": [_run(r) for r in b.get("runs") or []],
            }
        )
    return out
