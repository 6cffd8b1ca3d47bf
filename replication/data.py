"""Load a task's split for one language as `replication.tasks.formats` examples, and cache featurised data.

Sources, in order:
1. Local files in the ORIGINAL formats under a data folder (``data_dir``, from the plan's ``data.dir``), laid out as
   ``expected_files()`` says (``<data_dir>/<task>/<original file name>``): SQuAD-style JSON (SQuAD, XQuAD, MLQA,
   TyDiQA-GoldP), MultiNLI/SNLI/ANLI JSONL, XNLI and PAWS-X and QQP TSV, CoNLL-U (UD-POS), PAN-X ``lang:token<TAB>tag``,
   ``token<TAB>tag`` (CCG), HellaSwag/Cosmos QA/CommonsenseQA JSONL, BUCC 2018 ``id<TAB>sentence`` + gold pairs,
   Tatoeba aligned text files.
2. The hub, through ``datasets.load_dataset(id, config, revision=..., split=...)`` (parquet repos; no loading
   scripts), unless offline. Offline with no local files is a ReplicationError that lists the files to provide.

Guards: a target task's training data is English only (asked for another language, or TyDiQA rows whose ids name
another language, is a ReplicationError: the TyDiQA trap), and model-selection dev data is English only.

The tokenised-data cache (`cached_features`) stores featurised examples in Arrow IPC files named by a sha256 of
the tokenizer (name + vocabulary hash), the task spec, split, language, featurisation settings and the examples
themselves; files are written atomically.
"""

from __future__ import annotations

import csv
import glob
import hashlib
import io
import json
import os
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from replication.errors import MissingData, ReplicationError
from replication.files import atomic_open
from replication.tasks.formats import (
    ChoiceExample,
    Example,
    Format,
    PairExample,
    QAExample,
    RetrievalExample,
    TaggingExample,
    TextExample,
)
from replication.tasks.registry import TATOEBA_CODES, TYDIQA_ID_PREFIX, TaskSpec, get_task

SPLITS = ("train", "dev", "test")
NLI_LABEL_IDS = {"entailment": 0, "neutral": 1, "contradiction": 2, "e": 0, "n": 1, "c": 2}


@dataclass
class RetrievalData:
    """Both sides of a retrieval split: sentences in ``lang`` (gold_id set where paired) and English sentences."""

    source: list[RetrievalExample]
    target: list[RetrievalExample]

    @property
    def gold(self) -> list[tuple[str, str]]:
        return [(e.id, e.gold_id) for e in self.source if e.gold_id is not None]

    def __iter__(self):  # ``src, tgt = load_retrieval(...)``
        return iter((self.source, self.target))


# ---------------------------------------------------------------------------------------------------------------
# Parsers of the original file formats. Each raises ReplicationError naming the file and line on bad input.


def _bad(path: str | Path, what: str, line: int | None = None) -> ReplicationError:
    where = f"{path}:{line}" if line is not None else str(path)
    return ReplicationError(f"{where}: {what}")


def _read_text(path: str | Path) -> str:
    try:
        return Path(path).read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise _bad(path, "not UTF-8 text") from None
    except OSError as exc:
        raise _bad(path, f"cannot read ({exc.strerror})") from None


def _json_lines(path: str | Path) -> Iterable[tuple[int, dict]]:
    for n, line in enumerate(_read_text(path).splitlines(), 1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as exc:
            raise _bad(path, f"invalid JSON ({exc.msg})", n) from None
        if not isinstance(obj, dict):
            raise _bad(path, "expected one JSON object per line", n)
        yield n, obj


def _field(obj: Mapping, key: str, path: str | Path, line: int, kind: type | tuple = str) -> Any:
    if key not in obj:
        raise _bad(path, f"missing field {key!r}", line)
    value = obj[key]
    if not isinstance(value, kind):
        raise _bad(path, f"field {key!r} has the wrong type ({type(value).__name__})", line)
    return value


def parse_squad_json(path: str | Path, id_prefix: str | None = None) -> list[QAExample]:
    """SQuAD v1.1/v2.0 JSON ({"data": [{"paragraphs": [{"context", "qas": [...]}]}]}); XQuAD, MLQA, TyDiQA-GoldP too.

    ``id_prefix`` keeps only questions whose id starts with it (TyDiQA's multilingual files).
    """
    try:
        doc = json.loads(_read_text(path))
    except json.JSONDecodeError as exc:
        raise _bad(path, f"invalid JSON ({exc.msg} at line {exc.lineno})") from None
    if not isinstance(doc, dict) or not isinstance(doc.get("data"), list):
        raise _bad(path, 'not SQuAD-format JSON: expected {"data": [...]}')
    out: list[QAExample] = []
    for article in doc["data"]:
        if not isinstance(article, dict) or not isinstance(article.get("paragraphs"), list):
            raise _bad(path, "an article without a 'paragraphs' list")
        for para in article["paragraphs"]:
            if not isinstance(para, dict) or not isinstance(para.get("context"), str):
                raise _bad(path, "a paragraph without a 'context' string")
            for qa in para.get("qas", []):
                if not isinstance(qa, dict) or not isinstance(qa.get("id"), str | int) or "question" not in qa:
                    raise _bad(path, "a question without 'id' and 'question'")
                qid = str(qa["id"])
                if id_prefix is not None and not qid.startswith(id_prefix):
                    continue
                answers = [] if qa.get("is_impossible") else qa.get("answers", [])
                if not isinstance(answers, list) or not all(
                    isinstance(a, dict) and isinstance(a.get("text"), str)
                    and isinstance(a.get("answer_start", -1), int) for a in answers
                ):
                    raise _bad(path, f"question {qid}: 'answers' must be a list of {{'text', 'answer_start'}}")
                out.append(QAExample(
                    id=qid, context=para["context"], question=str(qa["question"]),
                    answers=[a["text"] for a in answers],
                    answer_starts=[int(a.get("answer_start", -1)) for a in answers],
                ))  # fmt: skip
    return out


def parse_nli_jsonl(path: str | Path) -> list[PairExample]:
    """MultiNLI / SNLI (sentence1, sentence2, gold_label; '-' = no gold label, dropped) or ANLI (premise or
    context, hypothesis, label e/n/c)."""
    out = []
    for n, obj in _json_lines(path):
        label = obj.get("gold_label", obj.get("label"))
        if label in ("-", None, "", -1):
            continue
        if isinstance(label, int) and label in (0, 1, 2):
            label_id = label
        elif isinstance(label, str) and label in NLI_LABEL_IDS:
            label_id = NLI_LABEL_IDS[label]
        else:
            raise _bad(path, f"unknown NLI label {label!r}", n)
        a_key = next((k for k in ("sentence1", "premise", "context") if k in obj), "sentence1")
        b_key = "sentence2" if "sentence2" in obj else "hypothesis"
        ex_id = str(obj.get("pairID", obj.get("uid", obj.get("id", f"{Path(path).name}:{n}"))))
        out.append(PairExample(ex_id, _field(obj, a_key, path, n), _field(obj, b_key, path, n), label_id))
    return out


def _tsv_rows(path: str | Path) -> list[list[str]]:
    reader = csv.reader(io.StringIO(_read_text(path)), delimiter="\t", quoting=csv.QUOTE_NONE)
    return [row for row in reader if row and any(c.strip() for c in row)]


def _header_index(path: str | Path, header: list[str], needed: Sequence[str]) -> dict[str, int]:
    missing = [c for c in needed if c not in header]
    if missing:
        raise _bad(path, f"TSV header lacks column(s) {', '.join(missing)} (has: {', '.join(header[:12])})", 1)
    return {c: header.index(c) for c in needed}


def parse_xnli_tsv(path: str | Path, lang: str) -> list[PairExample]:
    """XNLI-1.0 xnli.dev.tsv / xnli.test.tsv: every language in one file, a 'language' column selects."""
    rows = _tsv_rows(path)
    if not rows:
        return []
    idx = _header_index(path, rows[0], ("language", "gold_label", "sentence1", "sentence2"))
    out = []
    for n, row in enumerate(rows[1:], 2):
        if len(row) <= max(idx.values()):
            raise _bad(path, f"expected at least {max(idx.values()) + 1} columns, got {len(row)}", n)
        if row[idx["language"]] != lang:
            continue
        label = row[idx["gold_label"]]
        if label not in NLI_LABEL_IDS:
            raise _bad(path, f"unknown NLI label {label!r}", n)
        pair_id = row[rows[0].index("pairID")] if "pairID" in rows[0] else str(n)
        out.append(PairExample(f"{lang}-{pair_id}", row[idx["sentence1"]], row[idx["sentence2"]],
                               NLI_LABEL_IDS[label]))
    return out


def parse_pawsx_tsv(path: str | Path) -> list[PairExample]:
    """PAWS-X TSV (id, sentence1, sentence2, label), with or without the header line."""
    rows = _tsv_rows(path)
    if rows and rows[0][:1] == ["id"]:
        rows_iter = enumerate(rows[1:], 2)
    else:
        rows_iter = enumerate(rows, 1)
    out = []
    for n, row in rows_iter:
        if len(row) != 4:
            raise _bad(path, f"expected 4 columns (id, sentence1, sentence2, label), got {len(row)}", n)
        if row[3] not in ("0", "1"):
            raise _bad(path, f"label must be 0 or 1, got {row[3]!r}", n)
        out.append(PairExample(row[0], row[1], row[2], int(row[3])))
    return out


def parse_qqp_tsv(path: str | Path) -> list[PairExample]:
    """GLUE QQP TSV (id, qid1, qid2, question1, question2, is_duplicate); malformed rows are skipped as GLUE does."""
    rows = _tsv_rows(path)
    if not rows:
        return []
    idx = _header_index(path, rows[0], ("id", "question1", "question2", "is_duplicate"))
    out = []
    for row in rows[1:]:
        try:
            label = row[idx["is_duplicate"]]
            if label not in ("0", "1"):
                continue
            out.append(PairExample(row[idx["id"]], row[idx["question1"]], row[idx["question2"]], int(label)))
        except IndexError:
            continue
    return out


def _sentences(path: str | Path, parse_line: Callable[[str, int], tuple[str, str] | None]) -> list[TaggingExample]:
    out: list[TaggingExample] = []
    tokens: list[str] = []
    tags: list[str] = []
    for n, line in enumerate(_read_text(path).splitlines(), 1):
        if not line.strip():
            if tokens:
                out.append(TaggingExample(f"{Path(path).name}:{len(out)}", tokens, tags))
                tokens, tags = [], []
            continue
        parsed = parse_line(line, n)
        if parsed is None:
            continue
        tokens.append(parsed[0])
        tags.append(parsed[1])
    if tokens:
        out.append(TaggingExample(f"{Path(path).name}:{len(out)}", tokens, tags))
    return out


def parse_conll(path: str | Path, lang: str | None = None) -> list[TaggingExample]:
    """``token<TAB>tag`` per line, a blank line between sentences (PAN-X writes tokens as ``lang:token``; with
    ``lang`` that prefix is removed)."""
    prefix = f"{lang}:" if lang else None

    def line_fn(line: str, n: int) -> tuple[str, str]:
        parts = line.rstrip("\n").split("\t")
        if len(parts) < 2 or not parts[-1].strip():
            raise _bad(path, "expected 'token<TAB>tag'", n)
        token = parts[0]
        if prefix and token.startswith(prefix):
            token = token[len(prefix):]
        return token, parts[-1].strip()

    return _sentences(path, line_fn)


def parse_conllu(path: str | Path) -> list[TaggingExample]:
    """Universal Dependencies CoNLL-U: word lines (10 columns) give FORM and UPOS; comments, multi-word token
    ranges (1-2) and empty nodes (1.1) are skipped, as XTREME's preprocessing does."""

    def line_fn(line: str, n: int) -> tuple[str, str] | None:
        if line.startswith("#"):
            return None
        cols = line.split("\t")
        if len(cols) != 10:
            raise _bad(path, f"a CoNLL-U word line has 10 tab-separated columns, got {len(cols)}", n)
        if "-" in cols[0] or "." in cols[0]:
            return None
        return cols[1], cols[3]

    return _sentences(path, line_fn)


def parse_hellaswag_jsonl(path: str | Path) -> list[ChoiceExample]:
    out = []
    for n, obj in _json_lines(path):
        endings = _field(obj, "endings", path, n, list)
        label = obj.get("label")
        if label in (None, ""):
            continue  # the unlabelled test set
        try:
            label = int(label)
        except (TypeError, ValueError):
            raise _bad(path, f"label must be an integer, got {label!r}", n) from None
        if not 0 <= label < len(endings):
            raise _bad(path, f"label {label} out of range for {len(endings)} endings", n)
        out.append(ChoiceExample(str(obj.get("ind", n)), _field(obj, "ctx", path, n), "",
                                 [str(e) for e in endings], label))
    return out


def parse_cosmosqa_jsonl(path: str | Path) -> list[ChoiceExample]:
    out = []
    for n, obj in _json_lines(path):
        choices = [str(_field(obj, f"answer{i}", path, n)) for i in range(4)]
        label = obj.get("label")
        if label in (None, ""):
            continue
        try:
            label = int(label)
        except (TypeError, ValueError):
            raise _bad(path, f"label must be an integer, got {label!r}", n) from None
        if not 0 <= label < 4:
            raise _bad(path, f"label {label} out of range", n)
        out.append(ChoiceExample(str(obj.get("id", n)), _field(obj, "context", path, n),
                                 _field(obj, "question", path, n), choices, label))
    return out


def parse_csqa_jsonl(path: str | Path) -> list[ChoiceExample]:
    out = []
    for n, obj in _json_lines(path):
        q = _field(obj, "question", path, n, dict)
        choices = _field(q, "choices", path, n, list)
        if not all(isinstance(c, dict) and "label" in c and "text" in c for c in choices):
            raise _bad(path, "choices must be objects with 'label' and 'text'", n)
        key = obj.get("answerKey")
        if key in (None, ""):
            continue
        labels = [c["label"] for c in choices]
        if key not in labels:
            raise _bad(path, f"answerKey {key!r} is not one of the choice labels {labels}", n)
        out.append(ChoiceExample(str(obj.get("id", n)), "", _field(q, "stem", path, n),
                                 [str(c["text"]) for c in choices], labels.index(key)))
    return out


def parse_text_lines(path: str | Path, lang: str = "") -> list[TextExample]:
    """Raw text for MLM: one sentence (or document) per non-empty line."""
    stem = f"{lang}-" if lang else ""
    return [TextExample(f"{stem}{n}", line.strip()) for n, line in enumerate(_read_text(path).splitlines(), 1)
            if line.strip()]


def _id_sentence_file(path: str | Path) -> list[tuple[str, str]]:
    out = []
    for n, line in enumerate(_read_text(path).splitlines(), 1):
        if not line.strip():
            continue
        parts = line.split("\t", 1)
        if len(parts) != 2:
            raise _bad(path, "expected 'id<TAB>sentence'", n)
        out.append((parts[0], parts[1]))
    return out


def parse_bucc(src_path: str | Path, en_path: str | Path, gold_path: str | Path | None) -> RetrievalData:
    """BUCC 2018: ``id<TAB>sentence`` files per side and a gold file of ``src_id<TAB>en_id`` pairs."""
    gold: dict[str, str] = {}
    if gold_path is not None:
        for n, line in enumerate(_read_text(gold_path).splitlines(), 1):
            if not line.strip():
                continue
            parts = line.split("\t")
            if len(parts) != 2:
                raise _bad(gold_path, "expected 'source_id<TAB>english_id'", n)
            gold[parts[0]] = parts[1]
    src = [RetrievalExample(i, s, gold.get(i)) for i, s in _id_sentence_file(src_path)]
    tgt = [RetrievalExample(i, s) for i, s in _id_sentence_file(en_path)]
    known = {e.id for e in tgt}
    dangling = [p for p in gold.items() if p[1] not in known or p[0] not in {e.id for e in src}]
    if dangling:
        raise _bad(gold_path or src_path, f"{len(dangling)} gold pair(s) name sentences not in the files, "
                   f"e.g. {dangling[0]}")
    return RetrievalData(src, tgt)


def parse_tatoeba(src_path: str | Path, en_path: str | Path) -> RetrievalData:
    """Tatoeba (XTREME): two aligned files, one sentence per line; line i of one translates line i of the other."""
    src_lines = _read_text(src_path).splitlines()
    en_lines = _read_text(en_path).splitlines()
    if len(src_lines) != len(en_lines):
        raise _bad(src_path, f"{len(src_lines)} lines but {en_path} has {len(en_lines)}: files are not aligned")
    src = [RetrievalExample(f"src-{i}", s, f"en-{i}") for i, s in enumerate(src_lines)]
    tgt = [RetrievalExample(f"en-{i}", s) for i, s in enumerate(en_lines)]
    return RetrievalData(src, tgt)


# ---------------------------------------------------------------------------------------------------------------
# Where the original files go: <data_dir>/<task>/<name>. Each alternative is a list of globs; every glob must
# match at least one file, and all matched files are concatenated (in sorted order).

_BUCC_SPLIT = {"dev": "sample", "test": "training"}  # XTREME's BUCC "test" is BUCC 2018's training set


def expected_files(task: str | TaskSpec, split: str, lang: str = "en") -> list[list[str]]:
    """Alternatives of relative file globs (under the data folder) that hold ``task``/``split``/``lang``."""
    spec = task if isinstance(task, TaskSpec) else get_task(task)
    t, s = spec.name, split
    if t == "squad_v1.1":
        return [[f"{t}/{'train' if s == 'train' else 'dev'}-v1.1.json"]] if s in ("train", "dev") else []
    if t == "squad_v2.0":
        return [[f"{t}/{'train' if s == 'train' else 'dev'}-v2.0.json"]] if s in ("train", "dev") else []
    if t == "xquad":
        return [[f"xquad/xquad.{lang}.json"]] if s == "test" else []
    if t == "mlqa":
        return [[f"mlqa/MLQA_V1/{s}/{s}-context-{lang}-question-{lang}.json"],
                [f"mlqa/{s}-context-{lang}-question-{lang}.json"]]
    if t == "tydiqa":
        official = "train" if s == "train" else "dev"
        return [[f"tydiqa/tydiqa-goldp-v1.1-{official}.json"]]
    if t in ("mnli",):
        name = "train" if s == "train" else "dev_matched"
        return [[f"mnli/multinli_1.0_{name}.jsonl"], [f"mnli/multinli_1.0/multinli_1.0_{name}.jsonl"]]
    if t == "anli_plus":
        if s == "train":
            return [["anli_plus/anli_v1.0/R*/train.jsonl", "anli_plus/multinli_1.0_train.jsonl",
                     "anli_plus/snli_1.0_train.jsonl"]]
        return [[f"anli_plus/anli_v1.0/R*/{s}.jsonl"]]
    if t == "qqp":
        return [[f"qqp/{s}.tsv"], [f"qqp/QQP/{s}.tsv"]] if s in ("train", "dev") else []
    if t == "xnli":
        return [[f"xnli/XNLI-1.0/xnli.{s}.tsv"], [f"xnli/xnli.{s}.tsv"]] if s in ("dev", "test") else []
    if t == "pawsx":
        name = {"train": "train" if lang == "en" else "translated_train", "dev": "dev_2k", "test": "test_2k"}[s]
        return [[f"pawsx/{lang}/{name}.tsv"], [f"pawsx/x-final/{lang}/{name}.tsv"]]
    if t == "udpos":
        return [[f"udpos/ud-treebanks-v2.5/UD_*/{lang}_*-ud-{s}.conllu"], [f"udpos/{lang}/*-ud-{s}.conllu"]]
    if t == "panx":
        return [[f"panx/{lang}/{s}"], [f"panx/panx_dataset/{lang}/{s}"]]
    if t == "ccg":
        return [[f"ccg/ccg.{s}.tsv"], [f"ccg/{s}.tsv"]]
    if t == "hellaswag":
        return [[f"hellaswag/hellaswag_{'val' if s == 'dev' else s}.jsonl"]]
    if t == "cosmos_qa":
        return [[f"cosmos_qa/{'valid' if s == 'dev' else s}.jsonl"]]
    if t == "commonsense_qa":
        return [[f"commonsense_qa/{s}_rand_split.jsonl"]]
    if t == "wiki_mlm":
        return [[f"wiki_mlm/{lang}.txt"]] if s == "train" else []
    if t == "bucc2018":
        b = _BUCC_SPLIT.get(s)
        if b is None:
            return []
        stem = f"bucc2018/{lang}-en/{lang}-en.{b}"
        return [[f"{stem}.{lang}", f"{stem}.en", f"{stem}.gold"]]
    if t == "tatoeba":
        c = TATOEBA_CODES.get(lang, lang)
        return [[f"tatoeba/tatoeba.{c}-eng.{c}", f"tatoeba/tatoeba.{c}-eng.eng"]] if s == "test" else []
    return []


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


def _parse_local(spec: TaskSpec, split: str, lang: str, groups: list[list[Path]]) -> list[Example] | RetrievalData:
    files = [p for g in groups for p in g]
    t = spec.name
    if spec.format == Format.RETRIEVAL:
        if t == "bucc2018":
            return parse_bucc(groups[0][0], groups[1][0], groups[2][0])
        return parse_tatoeba(groups[0][0], groups[1][0])
    out: list[Example] = []
    for p in files:
        if spec.local_format == "squad_json":
            prefix = TYDIQA_ID_PREFIX.get(lang) if t == "tydiqa" else None
            out.extend(parse_squad_json(p, id_prefix=f"{prefix}-" if prefix else None))
        elif t == "qqp":
            out.extend(parse_qqp_tsv(p))
        elif t == "xnli":
            out.extend(parse_xnli_tsv(p, lang))
        elif t == "pawsx":
            out.extend(parse_pawsx_tsv(p))
        elif spec.local_format == "conllu":
            out.extend(parse_conllu(p))
        elif t == "panx":
            out.extend(parse_conll(p, lang))
        elif spec.local_format == "conll":
            out.extend(parse_conll(p))
        elif t == "hellaswag":
            out.extend(parse_hellaswag_jsonl(p))
        elif t == "cosmos_qa":
            out.extend(parse_cosmosqa_jsonl(p))
        elif t == "commonsense_qa":
            out.extend(parse_csqa_jsonl(p))
        elif spec.format == Format.PAIR_CLASSIFICATION:
            out.extend(parse_nli_jsonl(p))
        elif spec.format == Format.MLM:
            out.extend(parse_text_lines(p, lang))
        else:
            raise ReplicationError(f"no local loader for task {t!r}")
    return out


# ---------------------------------------------------------------------------------------------------------------
# Hub rows -> examples


def _hub_rows_to_examples(spec: TaskSpec, rows: Any, lang: str, names: Callable[[str], list[str] | None]) -> list:
    t = spec.name
    out: list = []
    if spec.format == Format.EXTRACTIVE_QA:
        prefix = f"{TYDIQA_ID_PREFIX[lang]}-" if t == "tydiqa" else None
        for r in rows:
            if prefix and not str(r["id"]).startswith(prefix):
                continue
            out.append(QAExample(str(r["id"]), r["context"], r["question"], list(r["answers"]["text"]),
                                 [int(x) for x in r["answers"]["answer_start"]]))
    elif spec.format == Format.PAIR_CLASSIFICATION:
        for i, r in enumerate(rows):
            if int(r["label"]) < 0:
                continue  # SNLI / GLUE rows without a gold label
            a = r.get("premise", r.get("question1", r.get("sentence1")))
            b = r.get("hypothesis", r.get("question2", r.get("sentence2")))
            out.append(PairExample(str(r.get("uid", r.get("id", r.get("idx", i)))), a, b, int(r["label"])))
    elif spec.format == Format.TOKEN_TAGGING:
        col = "pos_tags" if "pos_tags" in rows.column_names else "ner_tags"
        tag_names = names(col)
        for i, r in enumerate(rows):
            tags = [tag_names[x] if tag_names and isinstance(x, int) else str(x) for x in r[col]]
            out.append(TaggingExample(f"{lang}-{i}", list(r["tokens"]), tags))
    elif t == "hellaswag":
        for r in rows:
            if r["label"] in ("", None):
                continue
            out.append(ChoiceExample(str(r["ind"]), r["ctx"], "", list(r["endings"]), int(r["label"])))
    elif t == "cosmos_qa":
        for r in rows:
            out.append(ChoiceExample(r["id"], r["context"], r["question"], [r[f"answer{i}"] for i in range(4)],
                                     int(r["label"])))
    elif t == "commonsense_qa":
        for r in rows:
            if not r["answerKey"]:
                continue
            labels = list(r["choices"]["label"])
            out.append(ChoiceExample(r["id"], "", r["question"], list(r["choices"]["text"]),
                                     labels.index(r["answerKey"])))
    elif t == "tatoeba":
        src = [RetrievalExample(f"src-{i}", r["source_sentence"], f"en-{i}") for i, r in enumerate(rows)]
        tgt = [RetrievalExample(f"en-{i}", r["target_sentence"]) for i, r in enumerate(rows)]
        return RetrievalData(src, tgt)  # type: ignore[return-value]
    else:
        raise ReplicationError(f"no hub converter for task {t!r}")
    return out


def _load_hub(spec: TaskSpec, split: str, lang: str, revision: str | None) -> list[Example] | RetrievalData:
    if spec.name == "bucc2018":
        raise ReplicationError(
            "BUCC 2018 on the hub (google/xtreme bucc18.*) has only the gold pairs, no distractor sentences, so its "
            "F1 is not the benchmark's; put the original BUCC 2018 files where `expected_files` says "
            f"({expected_files(spec, split, lang)[0]}) under the data folder"
        )
    if not spec.hub:
        raise MissingData(f"task {spec.name!r} is not on the hub; provide local files "
                               f"({_describe(expected_files(spec, split, lang))}) under the data folder")
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

        got = _hub_rows_to_examples(spec, rows, lang, names)
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
    return any(os.environ.get(v, "").lower() in truthy for v in ("ASSAY_OFFLINE", "HF_DATASETS_OFFLINE",
                                                                  "HF_HUB_OFFLINE"))


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
    if spec.name == "tydiqa":
        foreign = [e.id for e in examples if not str(e.id).startswith("english-")]
        if foreign:
            raise ReplicationError(
                f"tydiqa: {len(foreign)} of {len(examples)} training examples are not English (e.g. {foreign[0]}): "
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
        raise ReplicationError(f"{spec.name} is a retrieval task: use load_retrieval (both sides of the pairs)")
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
        got = RetrievalData(got.source[:limit], tgt[:max(limit, len(keep_tgt))])
    return got


def _load_any(
    spec: TaskSpec, split: str, lang: str, data_dir: str | Path | None, offline: bool | None, revision: str | None
) -> list[Example] | RetrievalData:
    alternatives = expected_files(spec, split, lang)
    if data_dir is not None and alternatives:
        groups = _find_local(data_dir, alternatives)
        if groups is not None:
            return _parse_local(spec, split, lang, groups)
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
        for transient in ("truncation", "padding"):  # set by every call with truncation=/stride=: not identity
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
    material = {"v": 1, "tokenizer": tokenizer, "task": spec.to_dict(), "split": split, "lang": lang,
                "settings": dict(settings), "examples": examples}
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
        return models.featurize(spec.format, list(examples), tokenizer, hp, training, dict(label_ids or {}) or None)

    if cache_dir is None:
        return build()
    code = hashlib.sha256(Path(models.__file__).read_bytes()).hexdigest()[:16]
    settings = {f: getattr(hp, f, None) for f in FEATURISATION_FIELDS}
    settings.update({"training": training, "label_ids": dict(label_ids or {}), "featurize_code": code})
    key = feature_cache_key(tokenizer_fingerprint(tokenizer), spec, split, lang, settings,
                            examples_fingerprint(examples))
    return cached_features(cache_dir, key, build)[0]
