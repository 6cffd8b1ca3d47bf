"""The run record (``result.json``, schema ``assay.run/1``) as a typed model.

`replication.runner` builds a :class:`RunRecord` for every finished run and writes its JSON; aggregates are computed
only from these. The JSON Schema (docs/schemas/run.schema.json) is exported from this model by ``python -m
reports.schemas``. Parts that the phases measure (metrics, dev selection, throughput) or that echo other contracts
(the resolved configuration) are typed as far as every task format agrees; the rest of their content is kept as is.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

SCHEMA = "assay.run/1"
SEED_MAX = 2**32 - 1


class _Closed(BaseModel):
    model_config = ConfigDict(extra="forbid")


class LineageStep(_Closed):
    phase: Literal["base", "intermediate", "target"]
    id: str


class TaskInfo(_Closed):
    """What aggregation needs to know about the target task (readable where the task is not registered)."""

    name: str
    format: str
    metrics: list[str]
    languages: list[str]
    families: dict[str, str]


class Seeds(_Closed):
    seed: int
    intermediate_seed: int | None = None


class Versions(BaseModel):
    """Library versions (None: not installed); any library may be added beside the required ones."""

    model_config = ConfigDict(extra="allow")
    __pydantic_extra__: dict[str, str | None]

    python: str
    seqeval: str | None


class Hardware(BaseModel):
    """Where the run ran: platform, CPUs, torch threads, GPUs, processes (data parallelism)."""

    model_config = ConfigDict(extra="allow")

    platform: str
    cpu_count: int | None


class RunRecord(_Closed):
    """One finished run of a replication plan (RUNS/<run id>/result.json), written by replication/runner.py;
    aggregates are computed only from these. See the runner's module docstring."""

    model_config = ConfigDict(
        title="Run record", json_schema_extra={"$schema": "https://json-schema.org/draft/2020-12/schema"}
    )

    schema_: Literal["assay.run/1"] = Field(alias="schema")
    id: str = Field(pattern=r"^[0-9a-f]{16}$")
    plan: str
    status: Literal["done"]
    lineage: list[LineageStep] = Field(min_length=2)
    base_model: str
    intermediate: str = Field(description="setting name; 'none' for the baseline")
    intermediate_tasks: list[str]
    intermediate_mlm: str | None = None
    target: str
    format: str
    seed: int = Field(ge=0, le=SEED_MAX)
    data_fraction: float | None
    intermediate_language: str | None
    metrics: dict[str, dict[str, Any]] = Field(description="test split: {language: {metric: value}}")
    dev: dict[str, Any] | None = Field(
        description="model selection on English dev data: language, metrics, best_step"
    )
    retrieval: dict[str, Any] | None = Field(description="retrieval tasks: layer, pooling, the encoder used")
    task: TaskInfo
    notes: list[str]
    config: dict[str, Any] = Field(description="the resolved RunSpec")
    seeds: Seeds
    versions: Versions
    seqeval: str | None = Field(description="the seqeval version that scored tagging tasks; pinned to "
                                            "replication.metrics.SEQEVAL_VERSION (1.2.2)")  # fmt: skip
    hardware: Hardware
    wall_time_s: float = Field(ge=0)
    throughput: dict[str, Any] = Field(description="tokens_per_s, mfu, tokens, per-phase figures")
    predictions: str
    finished_at: str = Field(pattern=r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")
    path: str | None = Field(default=None, description="added when a record is read back, not written")

    def to_json(self) -> dict[str, Any]:
        """The record as written (plain JSON types; ``path`` only when it was set)."""
        return self.model_dump(by_alias=True, exclude_unset=True)


def json_schema() -> dict[str, Any]:
    return RunRecord.model_json_schema(by_alias=True)
