"""Stage artifacts: one JSON per stage and input key, written atomically, reused when the key matches.

Layout: ``<home>/reports/stages/<stage>/<key>.json`` holding ``{"stage", "key", "inputs", "data"}``. The key is a
hash of the stage's inputs (upstream keys, settings, tool version), so a changed setting changes only the keys of
the stages that read it; killing a run loses at most the stage in progress.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from reports.files import write_atomic


def key_of(inputs: dict[str, Any]) -> str:
    """A short stable hash of a stage's inputs."""
    blob = json.dumps(inputs, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()[:20]


@dataclass
class StageLog:
    name: str
    key: str
    status: str  # computed | reused | skipped
    seconds: float
    note: str = ""


@dataclass
class Stages:
    """Runs stages against an artifact folder and logs what each did."""

    root: Path
    log: list[StageLog] = field(default_factory=list)

    def path(self, stage: str, key: str) -> Path:
        return self.root / stage / f"{key}.json"

    def run(self, stage: str, inputs: dict[str, Any], compute: Callable[[], Any]) -> tuple[str, Any]:
        """The stage's data: loaded when an artifact with the same input key exists, else computed and saved."""
        key = key_of({"stage": stage, **inputs})
        path = self.path(stage, key)
        t0 = time.perf_counter()
        if path.is_file():
            try:
                saved = json.loads(path.read_text(encoding="utf-8"))
                if saved.get("key") == key:
                    self.log.append(StageLog(stage, key, "reused", time.perf_counter() - t0))
                    return key, saved["data"]
            except (OSError, ValueError):
                pass  # a damaged artifact is recomputed
        data = compute()
        write_atomic(
            path,
            json.dumps(
                {"stage": stage, "key": key, "inputs": inputs, "data": data},
                ensure_ascii=False,
                indent=1,
                default=str,
            ),
        )
        self.log.append(StageLog(stage, key, "computed", time.perf_counter() - t0))
        return key, data

    def skip(self, stage: str, note: str) -> None:
        self.log.append(StageLog(stage, "", "skipped", 0.0, note))
