"""Readers of a task's data: parsers of the ORIGINAL file formats, and converters of hub dataset rows.

A task declaration (`replication.tasks.spec.TaskSpec`) names the readers its data needs: ``LocalFiles.read`` gets
the files that matched its layout, ``HubSource.rows`` gets the rows of one hub dataset. Each parser raises
ReplicationError naming the file and line on bad input.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from replication.errors import ReplicationError
from replication.tasks.formats import (
    ChoiceExample,
    Example,
    PairExample,
    QAExample,
    RetrievalData,
    RetrievalExample,
    TaggingExample,
    TextExample,
)

NLI_LABEL_IDS = {"entailment": 0, "neutral": 1, "contradiction": 2, "e": 0, "n": 1, "c": 2}

FileGroups = list[list[Path]]  # the files that matched each glob of one layout alternative, in order
FileReader = Callable[[FileGroups, str], "list[Example] | RetrievalData"]  # (files, language) -> examples
LabelNames = Callable[[str], "list[str] | None"]  # a hub column's class-label names, None if it has none
RowsReader = Callable[[Any, str, LabelNames], "list[Example] | RetrievalData"]  # (rows, language, names)


# ---------------------------------------------------------------------------------------------------------------
# Parsers of the original file formats


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
                if (
                    not isinstance(qa, dict)
                    or not isinstance(qa.get("id"), str | int)
                    or "question" not in qa
                ):
                    raise _bad(path, "a question without 'id' and 'question'")
                qid = str(qa["id"])
                if id_prefix is not None and not qid.startswith(id_prefix):
                    continue
                answers = [] if qa.get("is_impossible") else qa.get("answers", [])
                if not isinstance(answers, list) or not all(
                    isinstance(a, dict)
                    and isinstance(a.get("text"), str)
                    and isinstance(a.get("answer_start", -1), int)
                    for a in answers
                ):
                    raise _bad(
                        path, f"question {qid}: 'answers' must be a list of {{'text', 'answer_start'}}"
                    )
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
        raise _bad(
            path, f"TSV header lacks column(s) {', '.join(missing)} (has: {', '.join(header[:12])})", 1
        )
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
        out.append(
            PairExample(
                f"{lang}-{pair_id}", row[idx["sentence1"]], row[idx["sentence2"]], NLI_LABEL_IDS[label]
            )
        )
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


def _sentences(
    path: str | Path, parse_line: Callable[[str, int], tuple[str, str] | None]
) -> list[TaggingExample]:
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
            token = token[len(prefix) :]
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
        out.append(
            ChoiceExample(
                str(obj.get("ind", n)), _field(obj, "ctx", path, n), "", [str(e) for e in endings], label
            )
        )
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
        out.append(
            ChoiceExample(
                str(obj.get("id", n)),
                _field(obj, "context", path, n),
                _field(obj, "question", path, n),
                choices,
                label,
            )
        )
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
        out.append(
            ChoiceExample(
                str(obj.get("id", n)),
                "",
                _field(q, "stem", path, n),
                [str(c["text"]) for c in choices],
                labels.index(key),
            )
        )
    return out


def parse_text_lines(path: str | Path, lang: str = "") -> list[TextExample]:
    """Raw text for MLM: one sentence (or document) per non-empty line."""
    stem = f"{lang}-" if lang else ""
    return [
        TextExample(f"{stem}{n}", line.strip())
        for n, line in enumerate(_read_text(path).splitlines(), 1)
        if line.strip()
    ]


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
        raise _bad(
            gold_path or src_path,
            f"{len(dangling)} gold pair(s) name sentences not in the files, e.g. {dangling[0]}",
        )
    return RetrievalData(src, tgt)


def parse_tatoeba(src_path: str | Path, en_path: str | Path) -> RetrievalData:
    """Tatoeba (XTREME): two aligned files, one sentence per line; line i of one translates line i of the other."""
    src_lines = _read_text(src_path).splitlines()
    en_lines = _read_text(en_path).splitlines()
    if len(src_lines) != len(en_lines):
        raise _bad(
            src_path, f"{len(src_lines)} lines but {en_path} has {len(en_lines)}: files are not aligned"
        )
    src = [RetrievalExample(f"src-{i}", s, f"en-{i}") for i, s in enumerate(src_lines)]
    tgt = [RetrievalExample(f"en-{i}", s) for i, s in enumerate(en_lines)]
    return RetrievalData(src, tgt)


# ---------------------------------------------------------------------------------------------------------------
# File readers for `LocalFiles.read`: from the matched files of one layout alternative to examples


def each_file(parse: Callable[[Path], list], *, with_language: bool = False) -> FileReader:
    """A reader that parses every matched file with ``parse(path)`` (``parse(path, lang)`` with ``with_language``)
    and concatenates the examples in order."""

    def read(groups: FileGroups, lang: str) -> list[Example]:
        out: list[Example] = []
        for path in (p for g in groups for p in g):
            out.extend(parse(path, lang) if with_language else parse(path))
        return out

    return read


def squad_files(id_prefix: Mapping[str, str] | None = None) -> FileReader:
    """SQuAD-style JSON files; with ``id_prefix`` (language -> id prefix) only the asked language's questions."""

    def read(groups: FileGroups, lang: str) -> list[Example]:
        prefix = id_prefix.get(lang) if id_prefix is not None else None
        return each_file(lambda p: parse_squad_json(p, id_prefix=f"{prefix}-" if prefix else None))(
            groups, lang
        )

    return read


def bucc_files(groups: FileGroups, lang: str) -> RetrievalData:
    """The three BUCC files of a layout alternative: source sentences, English sentences, gold pairs."""
    return parse_bucc(groups[0][0], groups[1][0], groups[2][0])


def tatoeba_files(groups: FileGroups, lang: str) -> RetrievalData:
    """The two aligned Tatoeba files of a layout alternative: the language's side, then English."""
    return parse_tatoeba(groups[0][0], groups[1][0])


# ---------------------------------------------------------------------------------------------------------------
# Hub rows readers for `HubSource.rows`: from the rows of one hub dataset split to examples


def qa_rows(id_prefix: Mapping[str, str] | None = None) -> RowsReader:
    """SQuAD-style rows (id, context, question, answers{text, answer_start}); with ``id_prefix`` (language -> id
    prefix, TyDiQA's multilingual split) only the asked language's rows."""

    def read(rows: Any, lang: str, names: LabelNames) -> list[Example]:
        prefix = f"{id_prefix[lang]}-" if id_prefix is not None else None
        out: list[Example] = []
        for r in rows:
            if prefix and not str(r["id"]).startswith(prefix):
                continue
            out.append(
                QAExample(
                    str(r["id"]),
                    r["context"],
                    r["question"],
                    list(r["answers"]["text"]),
                    [int(x) for x in r["answers"]["answer_start"]],
                )
            )
        return out

    return read


def pair_rows(rows: Any, lang: str, names: LabelNames) -> list[Example]:
    """Sentence-pair rows (premise/hypothesis, question1/question2 or sentence1/sentence2, label); label -1 (no gold
    label, SNLI and GLUE) dropped."""
    out: list[Example] = []
    for i, r in enumerate(rows):
        if int(r["label"]) < 0:
            continue
        a = r.get("premise", r.get("question1", r.get("sentence1")))
        b = r.get("hypothesis", r.get("question2", r.get("sentence2")))
        out.append(PairExample(str(r.get("uid", r.get("id", r.get("idx", i)))), a, b, int(r["label"])))
    return out


def tagging_rows(rows: Any, lang: str, names: LabelNames) -> list[Example]:
    """Token rows with ``pos_tags`` or ``ner_tags`` (class-label ids become their names)."""
    col = "pos_tags" if "pos_tags" in rows.column_names else "ner_tags"
    tag_names = names(col)
    out: list[Example] = []
    for i, r in enumerate(rows):
        tags = [tag_names[x] if tag_names and isinstance(x, int) else str(x) for x in r[col]]
        out.append(TaggingExample(f"{lang}-{i}", list(r["tokens"]), tags))
    return out


def hellaswag_rows(rows: Any, lang: str, names: LabelNames) -> list[Example]:
    return [
        ChoiceExample(str(r["ind"]), r["ctx"], "", list(r["endings"]), int(r["label"]))
        for r in rows
        if r["label"] not in ("", None)
    ]


def cosmosqa_rows(rows: Any, lang: str, names: LabelNames) -> list[Example]:
    return [
        ChoiceExample(
            r["id"], r["context"], r["question"], [r[f"answer{i}"] for i in range(4)], int(r["label"])
        )
        for r in rows
    ]


def csqa_rows(rows: Any, lang: str, names: LabelNames) -> list[Example]:
    out: list[Example] = []
    for r in rows:
        if not r["answerKey"]:
            continue
        labels = list(r["choices"]["label"])
        out.append(
            ChoiceExample(
                r["id"], "", r["question"], list(r["choices"]["text"]), labels.index(r["answerKey"])
            )
        )
    return out


def tatoeba_rows(rows: Any, lang: str, names: LabelNames) -> RetrievalData:
    src = [RetrievalExample(f"src-{i}", r["source_sentence"], f"en-{i}") for i, r in enumerate(rows)]
    tgt = [RetrievalExample(f"en-{i}", r["target_sentence"]) for i, r in enumerate(rows)]
    return RetrievalData(src, tgt)
