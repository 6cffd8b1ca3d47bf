"""The shape of a task declaration: everything data loading, the training phases and the metrics need to know.

A task is ONE `TaskSpec` (see `replication.tasks.intermediate` and `replication.tasks.xtreme` for the paper's tasks,
and ``tests/replication/test_task_declaration.py`` for a task declared outside the package): its format, labels,
metrics, languages, splits, where its data comes from (its original files and the parser that reads them, hub
datasets and the reader of their rows, or examples held in memory), and the guards its data needs. Register it with
`replication.tasks.registry.register_task`; nothing else in the code needs to know it exists.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field, fields
from typing import Any

from replication.errors import ReplicationError
from replication.tasks.formats import Format
from replication.tasks.readers import FileReader, RowsReader

ROLES = ("intermediate", "target", "synthetic")
SPLITS = ("train", "dev", "test")

FileLayout = Callable[[str, str], list[list[str]]]  # (split, language) -> alternatives of relative globs
ExampleSource = Callable[[str, str], list]  # (split, language) -> examples held in memory


def layout(*alternatives: str | tuple[str, ...], splits: Mapping[str, str] | None = None) -> FileLayout:
    """A file layout from glob templates under the data folder.

    Each alternative is one glob or a tuple of globs that must all match (their files are read together).
    ``{split}`` is filled in with ``splits[split]`` (default: the split's own name; a split missing from ``splits``
    has no files) and ``{lang}`` with the language.
    """
    names = dict(splits) if splits is not None else {s: s for s in SPLITS}
    alts = [(a,) if isinstance(a, str) else tuple(a) for a in alternatives]

    def files(split: str, lang: str) -> list[list[str]]:
        if split not in names:
            return []
        return [[g.format(split=names[split], lang=lang) for g in alt] for alt in alts]

    return files


@dataclass(frozen=True)
class LocalFiles:
    """A task's files in their ORIGINAL format under the data folder: where they go and what reads them.

    ``files(split, lang)`` gives alternatives of relative globs (the first alternative whose globs all match wins);
    ``read(groups, lang)`` turns the matched files (one list per glob, sorted) into examples. ``format`` names the
    original format (recorded in run configs and cache keys).
    """

    format: str
    files: FileLayout
    read: FileReader


@dataclass(frozen=True)
class HubSource:
    """One hub dataset: ``datasets.load_dataset(dataset, configs[lang], revision=revision, split=splits[split])``.

    ``configs`` maps a language code (or ``"*"`` for every language) to the hub config name; ``splits`` maps our
    split names (train, dev, test) to the hub's. ``revision`` is a commit to pin (None: not verified, see
    `replication.tasks.registry`). ``rows(rows, lang, names)`` turns the loaded rows into examples.
    ``unusable``, when set, says why this dataset must not be used (loading the task from the hub is then an error
    that asks for the original files).
    """

    dataset: str
    configs: dict[str, str] = field(default_factory=dict)
    splits: dict[str, str] = field(
        default_factory=lambda: {"train": "train", "dev": "validation", "test": "test"}
    )
    revision: str | None = None
    note: str = ""
    rows: RowsReader | None = None
    unusable: str = ""

    def config_for(self, lang: str) -> str | None:
        """The hub config of one language (templates like ``"PAN-X.{lang}"`` filled in), None if it has none."""
        cfg = self.configs.get(lang, self.configs.get("*"))
        return cfg.format(lang=lang) if cfg is not None else None


@dataclass(frozen=True)
class TaskSpec:
    """One task, declared once."""

    name: str
    role: str  # "intermediate" | "target" | "synthetic"
    format: Format
    metrics: tuple[str, ...]  # score metrics; QA: ("f1", "exact_match"), the task score is their mean
    languages: tuple[str, ...]
    labels: tuple[str, ...] | None = None  # None: open label set read from the data (CCG supertags)
    num_choices: int | None = None
    aliases: tuple[str, ...] = ()
    train_language: str = "en"
    has_training: bool = True  # False for BUCC and Tatoeba: embed with the intermediate checkpoint directly
    splits: tuple[str, ...] = ("train", "dev")  # splits the task has itself (test sets of targets included)
    train_task: str | None = (
        None  # English training data comes from another task (XNLI <- MNLI, XQuAD <- SQuAD)
    )
    dev_task: str | None = None  # English dev data for model selection comes from another task
    # ---- where the data comes from: original files, the hub (several sources are concatenated: ANLI+), or memory
    local: LocalFiles | None = None
    hub: tuple[HubSource, ...] = ()
    examples: ExampleSource | None = (
        None  # in memory (synthetic world, tests): raises KeyError for what it lacks
    )
    # ---- guards and metric options
    train_id_prefix: str | None = None  # training example ids must start with this (TyDiQA: "english-")
    unanswerable: bool = False  # QA: questions may have no answer (SQuAD 2.0 null-score post-processing)
    language_normalization: bool = False  # QA: answers are normalised per language (MLQA), not as SQuAD v1.1
    paper_versions: frozenset[str] = frozenset({"v1", "final"})
    notes: str = ""

    def __post_init__(self) -> None:
        if self.role not in ROLES:
            raise ReplicationError(f"task {self.name!r}: role must be one of {ROLES}, got {self.role!r}")
        if not self.metrics:
            raise ReplicationError(f"task {self.name!r}: at least one metric is required")

    @property
    def is_qa(self) -> bool:
        return self.format == Format.EXTRACTIVE_QA

    @property
    def local_format(self) -> str:
        """The original file format replication.data reads ("" when the task has no local files)."""
        return self.local.format if self.local is not None else ""

    def expected_files(self, split: str, lang: str) -> list[list[str]]:
        """Alternatives of relative file globs (under the data folder) that hold this split in this language."""
        return self.local.files(split, lang) if self.local is not None else []

    def to_dict(self) -> dict:
        """Plain, JSON-able form (used in cache keys and run configs): the data, not the readers."""
        d: dict[str, Any] = {}
        for f in fields(self):
            value = getattr(self, f.name)
            if f.name in ("local", "examples"):
                continue
            if f.name == "hub":
                value = [{k: v for k, v in asdict(h).items() if not callable(v)} for h in value]
            d[f.name] = value
        d["format"] = str(self.format)
        d["local_format"] = self.local_format
        d["paper_versions"] = sorted(self.paper_versions)
        return d
