"""Load a task's split for one language as `replication.tasks.formats` examples, and cache featurised data.

Sources, in order, as the task's declaration (`replication.tasks.spec.TaskSpec`) says:
1. Local files in the ORIGINAL formats under a data folder (``data_dir``, from the plan's ``data.dir``), laid out as
   the declaration's ``local.files`` says (``expected_files()``; ``<data_dir>/<task>/<original file name>``) and read
   by its ``local.read`` parser (`replication.tasks.readers`): SQuAD-style JSON (SQuAD, XQuAD, MLQA, TyDiQA-GoldP),
   MultiNLI/SNLI/ANLI JSONL, XNLI and PAWS-X and QQP TSV, CoNLL-U (UD-POS), PAN-X ``lang:token<TAB>tag``,
   ``token<TAB>tag`` (CCG), HellaSwag/Cosmos QA/CommonsenseQA JSONL, BUCC 2018 ``id<TAB>sentence`` + gold pairs,
   Tatoeba aligned text files.
2. The declaration's hub sources, through ``datasets.load_dataset(id, config, revision=..., split=...)`` (parquet
   repos; no loading scripts), each source's rows read by its ``rows`` reader, unless offline. Offline with no local
   files is a ReplicationError that lists the files to provide.

Guards: a target task's training data is English only (asked for another language, or training ids without the
declared ``train_id_prefix``, e.g. TyDiQA rows whose ids name another language, is a ReplicationError: the TyDiQA
trap), and model-selection dev data is English only.

The tokenised-data cache (`cached_features`) stores featurised examples in Arrow IPC files named by a sha256 of
the tokenizer (name + vocabulary hash), the task spec, split, language, featurisation settings and the examples
themselves; files are written atomically.
"""

from __future__ import annotations

import glob
import hashlib
import json
import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any

from replication.errors import MissingData, ReplicationError
from replication.files import atomic_open
from replication.tasks.formats import Example, Format, RetrievalData
from replication.tasks.readers import (  # noqa: F401 - the parsers' public home was this module
    NLI_LABEL_IDS,
    parse_bucc,
    parse_conll,
    parse_conllu,
    parse_cosmosqa_jsonl,
    parse_csqa_jsonl,
    parse_hellaswag_jsonl,
    parse_nli_jsonl,
    parse_pawsx_tsv,
    parse_qqp_tsv,
    parse_squad_json,
    parse_tatoeba,
    parse_text_lines,
    parse_xnli_tsv,
)
from replication.tasks.registry import TaskSpec, get_task
from replication.tasks.spec import SPLITS

# ---------------------------------------------------------------------------------------------------------------
# Local files: where the task's declaration says they go (<data_dir>/<task>/<name>), read by its declared parser.
# Each alternative is a list of globs; every glob must match at least one file, and all matched files are read
# together (in sorted order).


def expected_files(task: str | TaskSpec, split: str, lang: str = "en") -> list[list[str]]:
    """Alternatives of relative file globs (under the data folder) that hold ``task``/``split``/``lang``."""
    spec = task if isinstance(task, TaskSpec) else get_task(task)
    return spec.expected_files(split, lang)


def _find_local(data_dir: str | Path, alternatives: list[list[str]]) -> list[list[Path]] | None:
    for alt in alternatives:
        groups = []
        for pattern in alt:
            hits = sorted(glob.glob(os.path.join(glob.escape(str(data_dir)), pattern)))
            if not hits:
                break
            groups.append([Path(h) for h in hits])
        else:
            return groups
    return None


def _parse_local(spec: TaskSpec, lang: str, groups: list[list[Path]]) -> list[Example] | RetrievalData:
    if spec.local is None:
        raise ReplicationError(f"no local loader for task {spec.name!r}")
    return spec.local.read(groups, lang)


# ---------------------------------------------------------------------------------------------------------------
# The hub: each declared source's rows read by its declared reader


def _load_hub(spec: TaskSpec, split: str, lang: str, revision: str | None) -> list[Example] | RetrievalData:
    refused = next((s for s in spec.hub if s.unusable), None)
    if refused is not None:
        raise ReplicationError(
            f"{refused.unusable}; put the original {spec.name} files where `expected_files` says "
            f"({_describe(expected_files(spec, split, lang))}) under the data folder"
        )
    if not spec.hub:
        raise MissingData(
            f"task {spec.name!r} is not on the hub; provide local files "
            f"({_describe(expected_files(spec, split, lang))}) under the data folder"
        )
    import datasets  # lazy: heavy

    out: list = []
    used = [s for s in spec.hub if split in s.splits]
    if not used:
        raise MissingData(f"task {spec.name!r} has no {split!r} split on the hub")
    for src in used:
        config = src.config_for(lang) if src.configs else None
        if src.configs and config is None:
            raise MissingData(f"task {spec.name!r} has no hub config for language {lang!r}")
        rev = revision or src.revision
        try:
            rows = datasets.load_dataset(src.dataset, config, revision=rev, split=src.splits[split])
        except Exception as exc:  # noqa: BLE001 - any hub failure becomes a one-line user error
            raise ReplicationError(
                f"cannot load {src.dataset} (config {config}, split {src.splits[split]}, revision {rev or 'main'}): "
                f"{str(exc).splitlines()[0][:300]}; check the network, or provide local files "
                f"({_describe(expected_files(spec, split, lang))})"
            ) from None

        def names(col: str, rows: Any = rows) -> list[str] | None:
            feat = rows.features.get(col)
            inner = getattr(feat, "feature", None)
            return list(inner.names) if inner is not None and hasattr(inner, "names") else None

        if src.rows is None:
            raise ReplicationError(f"task {spec.name!r}: no reader declared for the rows of {src.dataset}")
        got = src.rows(rows, lang, names)
        if isinstance(got, RetrievalData):
            return got
        out.extend(got)
    return out


def _describe(alternatives: list[list[str]]) -> str:
    if not alternatives:
        return "no local format known for this split"
    return " or ".join(" + ".join(alt) for alt in alternatives)


# ---------------------------------------------------------------------------------------------------------------
# Public entry points


def _offline_default() -> bool:
    truthy = ("1", "true", "yes", "on")
    return any(
        os.environ.get(v, "").lower() in truthy
        for v in ("ASSAY_OFFLINE", "HF_DATASETS_OFFLINE", "HF_HUB_OFFLINE")
    )


def _resolve_source(spec: TaskSpec, split: str) -> tuple[TaskSpec, str]:
    """Where a split really comes from: XNLI's English train is MNLI's, XQuAD's train and dev are SQuAD v1.1's."""
    if split not in SPLITS:
        raise ReplicationError(f"unknown split {split!r}: expected one of {', '.join(SPLITS)}")
    if split == "train" and spec.train_task and "train" not in spec.splits:
        return get_task(spec.train_task), split
    if split == "dev" and spec.dev_task and "dev" not in spec.splits:
        return get_task(spec.dev_task), split
    if split not in spec.splits:
        raise MissingData(f"task {spec.name!r} has no {split!r} split (it has: {', '.join(spec.splits)})")
    return spec, split


def _check_language(spec: TaskSpec, split: str, lang: str, purpose: str | None) -> None:
    if spec.role == "target" and split == "train" and lang != spec.train_language:
        raise ReplicationError(
            f"{spec.name}: training data of target tasks is {spec.train_language!r} only (zero-shot transfer); "
            f"asked for {lang!r}"
        )
    if purpose == "select" and lang != "en":
        raise ReplicationError(f"{spec.name}: model selection uses English dev data only; asked for {lang!r}")
    if spec.role == "intermediate" and lang != "en" and spec.languages == ("en",):
        raise ReplicationError(f"{spec.name} is English only; asked for {lang!r}")
    if lang not in spec.languages and not (split in ("train", "dev") and lang == spec.train_language):
        raise MissingData(f"{spec.name} has no language {lang!r} (it has: {', '.join(spec.languages)})")


def assert_english_training(task: str | TaskSpec, examples: Sequence[Example]) -> None:
    """Fail if training examples of a target task are visibly not English (TyDiQA ids name their language)."""
    spec = task if isinstance(task, TaskSpec) else get_task(task)
    if spec.train_id_prefix is not None:
        foreign = [e.id for e in examples if not str(e.id).startswith(spec.train_id_prefix)]
        if foreign:
            raise ReplicationError(
                f"{spec.name}: {len(foreign)} of {len(examples)} training examples are not English "
                f"(e.g. {foreign[0]}): "
                "this training file is the multilingual one; XTREME's zero-shot setting trains on English only"
            )


def load_split(
    task: str | TaskSpec,
    split: str,
    lang: str = "en",
    *,
    data_dir: str | Path | None = None,
    offline: bool | None = None,
    revision: str | None = None,
    limit: int | None = None,
    purpose: str | None = None,
) -> list[Example]:
    """Examples of one task, split ("train", "dev", "test") and language.

    Local files under ``data_dir`` win; otherwise the hub (``revision`` pins the commit) unless ``offline``
    (default: ASSAY_OFFLINE / HF_DATASETS_OFFLINE / HF_HUB_OFFLINE). ``limit`` keeps the first N examples.
    ``purpose="select"`` marks model-selection data (must be English). Retrieval tasks: see `load_retrieval`.
    """
    spec = task if isinstance(task, TaskSpec) else get_task(task)
    if spec.format == Format.RETRIEVAL:
        raise ReplicationError(
            f"{spec.name} is a retrieval task: use load_retrieval (both sides of the pairs)"
        )
    _check_language(spec, split, lang, purpose)
    source, split = _resolve_source(spec, split)
    got = _load_any(source, split, lang, data_dir, offline, revision)
    assert isinstance(got, list)
    if split == "train" and spec.role == "target":
        assert_english_training(source, got)
    if limit is not None:
        if limit < 0:
            raise ReplicationError("limit must be >= 0")
        got = got[:limit]
    return got


load_examples = load_split  # the name replication.phases calls


def load_retrieval(
    task: str | TaskSpec,
    split: str,
    lang: str,
    *,
    data_dir: str | Path | None = None,
    offline: bool | None = None,
    revision: str | None = None,
    limit: int | None = None,
) -> RetrievalData:
    """Both sides of a BUCC or Tatoeba split for ``lang`` paired with English. ``limit`` caps each side."""
    spec = task if isinstance(task, TaskSpec) else get_task(task)
    if spec.format != Format.RETRIEVAL:
        raise ReplicationError(f"{spec.name} is not a retrieval task: use load_split")
    if lang not in spec.languages:
        raise MissingData(f"{spec.name} has no language {lang!r} (it has: {', '.join(spec.languages)})")
    if split not in spec.splits:
        raise MissingData(f"task {spec.name!r} has no {split!r} split (it has: {', '.join(spec.splits)})")
    got = _load_any(spec, split, lang, data_dir, offline, revision)
    assert isinstance(got, RetrievalData)
    if limit is not None:
        keep_tgt = {e.gold_id for e in got.source[:limit] if e.gold_id}
        tgt = [e for e in got.target if e.id in keep_tgt] + [e for e in got.target if e.id not in keep_tgt]
        got = RetrievalData(got.source[:limit], tgt[: max(limit, len(keep_tgt))])
    return got


def _load_any(
    spec: TaskSpec,
    split: str,
    lang: str,
    data_dir: str | Path | None,
    offline: bool | None,
    revision: str | None,
) -> list[Example] | RetrievalData:
    alternatives = expected_files(spec, split, lang)
    if data_dir is not None and alternatives:
        groups = _find_local(data_dir, alternatives)
        if groups is not None:
            return _parse_local(spec, lang, groups)
    if offline if offline is not None else _offline_default():
        where = str(data_dir) if data_dir is not None else "<data dir> (the plan's data.dir)"
        raise MissingData(
            f"offline and no local files for {spec.name} {split} ({lang}): put {_describe(alternatives)} "
            f"under {where}, or go online to load {spec.hub[0].dataset if spec.hub else 'it'} from the hub"
        )
    return _load_hub(spec, split, lang, revision)


# ---------------------------------------------------------------------------------------------------------------
# Tokenised-data cache


def tokenizer_fingerprint(tokenizer: Any) -> str:
    """Name + sha256 of the tokenizer's serialisation (fast tokenizers; minus the truncation/padding state that
    each call changes) or of its sorted vocabulary."""
    h = hashlib.sha256()
    backend = getattr(tokenizer, "backend_tokenizer", None)
    if backend is not None:
        state = json.loads(backend.to_str())
        for transient in (
            "truncation",
            "padding",
        ):  # set by every call with truncation=/stride=: not identity
            state.pop(transient, None)
        h.update(json.dumps(state, sort_keys=True, ensure_ascii=False).encode())
    else:
        vocab = tokenizer.get_vocab()
        h.update(json.dumps(sorted(vocab.items()), ensure_ascii=False).encode())
    name = getattr(tokenizer, "name_or_path", type(tokenizer).__name__)
    return f"{Path(str(name)).name}:{h.hexdigest()[:16]}"


def examples_fingerprint(examples: Sequence[Any]) -> str:
    h = hashlib.sha256()
    for e in examples:
        h.update(json.dumps(asdict(e), sort_keys=True, ensure_ascii=False).encode())
        h.update(b"\n")
    return h.hexdigest()


def feature_cache_key(
    tokenizer: str,
    task: str | TaskSpec,
    split: str,
    lang: str,
    settings: Mapping[str, Any],
    examples: str,
) -> str:
    """sha256 over (tokenizer fingerprint, task spec, split, language, featurisation settings, examples hash)."""
    spec = task if isinstance(task, TaskSpec) else get_task(task)
    material = {
        "v": 1,
        "tokenizer": tokenizer,
        "task": spec.to_dict(),
        "split": split,
        "lang": lang,
        "settings": dict(settings),
        "examples": examples,
    }
    return hashlib.sha256(json.dumps(material, sort_keys=True, default=str).encode()).hexdigest()


def cached_features(
    cache_dir: str | Path,
    key: str,
    build: Callable[[], list[dict]],
) -> tuple[list[dict], bool]:
    """Features for ``key`` from the cache, or ``build()`` them and store them. Returns (features, was_cached).

    Stored as an Arrow IPC file (no pickle); tuples come back as lists. The write goes to a temp file in the same
    folder and is renamed into place, so a kill never leaves a half-written entry.
    """
    import pyarrow as pa

    if not all(c in "0123456789abcdef" for c in key) or len(key) != 64:
        raise ReplicationError(f"cache key must be a sha256 hex digest, got {key!r}")
    folder = Path(cache_dir)
    path = folder / key[:2] / f"{key}.arrow"
    if path.is_file():
        try:
            with pa.memory_map(str(path)) as source:
                table = pa.ipc.open_file(source).read_all()
            return table.to_pylist(), True
        except (pa.ArrowInvalid, OSError):
            path.unlink(missing_ok=True)  # corrupt entry: rebuild
    features = build()
    table = pa.Table.from_pylist(features) if features else pa.table({})
    with atomic_open(path, "wb") as fh, pa.ipc.new_file(fh, table.schema) as writer:
        writer.write_table(table)
    return features, False


FEATURISATION_FIELDS = ("max_seq_length", "doc_stride", "max_query_length")


def featurize_cached(
    task: str | TaskSpec,
    examples: Sequence[Example],
    tokenizer: Any,
    hp: Any,
    training: bool,
    label_ids: Mapping[str, int] | None = None,
    *,
    cache_dir: str | Path | None,
    split: str = "",
    lang: str = "",
) -> list[dict]:
    """`replication.models.featurize` through the cache: the key covers the tokenizer (name + vocabulary hash),
    the task spec, split, language, the featurisation settings of ``hp`` (lengths, doc stride), training mode,
    label ids, the examples, and the featurisation code itself. ``cache_dir=None`` featurises without caching."""
    from replication import models

    spec = task if isinstance(task, TaskSpec) else get_task(task)

    def build() -> list[dict]:
        return models.featurize(
            spec.format, list(examples), tokenizer, hp, training, dict(label_ids or {}) or None
        )

    if cache_dir is None:
        return build()
    code = hashlib.sha256(Path(models.__file__).read_bytes()).hexdigest()[:16]
    settings = {f: getattr(hp, f, None) for f in FEATURISATION_FIELDS}
    settings.update({"training": training, "label_ids": dict(label_ids or {}), "featurize_code": code})
    key = feature_cache_key(
        tokenizer_fingerprint(tokenizer), spec, split, lang, settings, examples_fingerprint(examples)
    )
    return cached_features(cache_dir, key, build)[0]
