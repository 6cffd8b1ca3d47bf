"""The JSON Schemas of the contracts, exported from their typed models into docs/schemas/.

    python -m reports.schemas            # rewrite docs/schemas/*.schema.json
    python -m reports.schemas --check    # exit 1 when a file differs from its model (what a test also checks)
    python -m reports.schemas DIR        # write them elsewhere

One file per contract (DESIGN.md, "Data contracts"):

- ``plan.schema.json``: a replication plan file (replication.plan.PlanFile)
- ``claim.schema.json``: one line of claims.jsonl as ``assay verify`` reads it and ``assay claims`` writes it
  (synthesis.verdicts.ClaimInput)
- ``verdict.schema.json``: one line of verdicts.jsonl (synthesis.verdicts.Verdict)
- ``audit.schema.json``: the canonical audit JSON (reports.audit.model.Audit)
- ``report.schema.json``: the canonical report JSON (reports.report.model.Report)
- ``run.schema.json``: a run record, result.json (replication.record.RunRecord)
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

DRAFT = "https://json-schema.org/draft/2020-12/schema"
DEFAULT_DIR = Path(__file__).resolve().parents[1] / "docs" / "schemas"


def _with_draft(schema: dict[str, Any]) -> dict[str, Any]:
    return {"$schema": DRAFT, **{k: v for k, v in schema.items() if k != "$schema"}}


def _plan() -> dict[str, Any]:
    from replication.plan import plan_json_schema

    return plan_json_schema()


def _claim() -> dict[str, Any]:
    from synthesis.verdicts import ClaimInput

    return _with_draft(ClaimInput.model_json_schema(by_alias=True))


def _verdict() -> dict[str, Any]:
    from synthesis.verdicts import Verdict

    return _with_draft(Verdict.model_json_schema(by_alias=True))


def _audit() -> dict[str, Any]:
    from reports.audit.model import Audit

    return Audit.model_json_schema(by_alias=True)


def _report() -> dict[str, Any]:
    from reports.report.model import json_schema

    return json_schema()


def _run() -> dict[str, Any]:
    from replication.record import json_schema

    return json_schema()


SCHEMAS: dict[str, Callable[[], dict[str, Any]]] = {
    "plan": _plan,
    "claim": _claim,
    "verdict": _verdict,
    "audit": _audit,
    "report": _report,
    "run": _run,
}
"""Contract name -> its JSON Schema; the file is docs/schemas/<name>.schema.json."""


def schema(name: str) -> dict[str, Any]:
    """The JSON Schema of one contract, from its model."""
    return SCHEMAS[name]()


def render(name: str) -> str:
    """The exact text of ``<name>.schema.json``."""
    return json.dumps(schema(name), indent=2, ensure_ascii=False) + "\n"


def write_all(folder: Path = DEFAULT_DIR) -> list[Path]:
    """Write every schema file into ``folder``; the paths written."""
    folder.mkdir(parents=True, exist_ok=True)
    out = []
    for name in SCHEMAS:
        path = folder / f"{name}.schema.json"
        path.write_text(render(name), encoding="utf-8")
        out.append(path)
    return out


def stale(folder: Path = DEFAULT_DIR) -> list[str]:
    """Names of the schema files in ``folder`` that are missing or differ from what the models export."""
    out = []
    for name in SCHEMAS:
        path = folder / f"{name}.schema.json"
        if not path.is_file() or json.loads(path.read_text(encoding="utf-8")) != schema(name):
            out.append(path.name)
    return out


def main(argv: list[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    check = "--check" in args
    args = [a for a in args if a != "--check"]
    folder = Path(args[0]) if args else DEFAULT_DIR
    if check:
        bad = stale(folder)
        for name in bad:
            print(f"{folder / name}: differs from its model; run: python -m reports.schemas", file=sys.stderr)
        return 1 if bad else 0
    for path in write_all(folder):
        print(path)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
