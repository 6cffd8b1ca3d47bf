"""The intermediate tasks of both paper versions (v1 and final), one declaration each.

Local files go under ``<data_dir>/<task>/`` with the original file names (see each task's ``layout``).
"""

from __future__ import annotations

from replication.tasks import readers as r
from replication.tasks.formats import Format
from replication.tasks.languages import XTREME_LANGUAGES
from replication.tasks.spec import HubSource, LocalFiles, TaskSpec, layout

NLI_LABELS = (
    "entailment",
    "neutral",
    "contradiction",
)  # index order of GLUE/MNLI, SNLI, ANLI and XNLI on the hub

_EN = ("en",)
_GLUE = "nyu-mll/glue"
_TRAIN_DEV = {"train": "train", "dev": "dev"}


def _anli_plus_files(split: str, lang: str) -> list[list[str]]:
    """Training reads ANLI rounds 1-3, MultiNLI and SNLI together; dev and test are ANLI's rounds 1-3."""
    if split == "train":
        return [["anli_plus/anli_v1.0/R*/train.jsonl", "anli_plus/multinli_1.0_train.jsonl",
                 "anli_plus/snli_1.0_train.jsonl"]]  # fmt: skip
    return [[f"anli_plus/anli_v1.0/R*/{split}.jsonl"]]


ANLI_PLUS = TaskSpec(
    name="anli_plus", aliases=("anli+", "anli plus"), role="intermediate",
    format=Format.PAIR_CLASSIFICATION, labels=NLI_LABELS, metrics=("accuracy",), languages=_EN,
    local=LocalFiles("nli_jsonl", _anli_plus_files, r.each_file(r.parse_nli_jsonl)),
    hub=(
        HubSource("facebook/anli", splits={"train": "train_r1+train_r2+train_r3",
                                           "dev": "dev_r1+dev_r2+dev_r3", "test": "test_r1+test_r2+test_r3"},
                  rows=r.pair_rows),
        HubSource(_GLUE, {"*": "mnli"}, {"train": "train", "dev": "validation_matched"}, rows=r.pair_rows),
        HubSource("stanfordnlp/snli", note="label -1 (no gold label) dropped", rows=r.pair_rows),
    ),
    notes="ANLI rounds 1-3 + MNLI + SNLI training sets concatenated; dev = ANLI dev rounds 1-3 (paper, sec. 3).",
)  # fmt: skip

MNLI = TaskSpec(
    name="mnli", aliases=("multinli",), role="intermediate", format=Format.PAIR_CLASSIFICATION,
    labels=NLI_LABELS, metrics=("accuracy",), languages=_EN,
    local=LocalFiles(
        "nli_jsonl",
        layout("mnli/multinli_1.0_{split}.jsonl", "mnli/multinli_1.0/multinli_1.0_{split}.jsonl",
               splits={"train": "train", "dev": "dev_matched", "test": "dev_matched"}),
        r.each_file(r.parse_nli_jsonl),
    ),
    hub=(HubSource(_GLUE, {"*": "mnli"}, {"train": "train", "dev": "validation_matched"}, rows=r.pair_rows),),
    paper_versions=frozenset({"final"}),
    notes="Final version only (named among the best intermediate tasks there); also XNLI's English training set.",
)  # fmt: skip

QQP = TaskSpec(
    name="qqp", aliases=("quora question pairs",), role="intermediate", format=Format.PAIR_CLASSIFICATION,
    labels=("not_duplicate", "duplicate"), metrics=("accuracy",), languages=_EN,
    local=LocalFiles("qqp_tsv", layout("qqp/{split}.tsv", "qqp/QQP/{split}.tsv", splits=_TRAIN_DEV),
                     r.each_file(r.parse_qqp_tsv)),
    hub=(HubSource(_GLUE, {"*": "qqp"}, {"train": "train", "dev": "validation"}, rows=r.pair_rows),),
)  # fmt: skip

SQUAD_V1 = TaskSpec(
    name="squad_v1.1", aliases=("squad", "squad1", "squad v1", "squad1.1", "squad_v1"), role="intermediate",
    format=Format.EXTRACTIVE_QA, metrics=("f1", "exact_match"), languages=_EN,
    local=LocalFiles("squad_json", layout("squad_v1.1/{split}-v1.1.json", splits=_TRAIN_DEV), r.squad_files()),
    hub=(HubSource("rajpurkar/squad", splits={"train": "train", "dev": "validation"}, rows=r.qa_rows()),),
    notes="Also the English training set of XQuAD and MLQA.",
)  # fmt: skip

SQUAD_V2 = TaskSpec(
    name="squad_v2.0", aliases=("squad2", "squad v2", "squad2.0", "squad_v2"), role="intermediate",
    format=Format.EXTRACTIVE_QA, metrics=("f1", "exact_match"), languages=_EN, unanswerable=True,
    local=LocalFiles("squad_json", layout("squad_v2.0/{split}-v2.0.json", splits=_TRAIN_DEV), r.squad_files()),
    hub=(HubSource("rajpurkar/squad_v2", splits={"train": "train", "dev": "validation"}, rows=r.qa_rows()),),
    paper_versions=frozenset({"final"}),
    notes="Final version (most likely): unanswerable questions, null-score post-processing.",
)  # fmt: skip

HELLASWAG = TaskSpec(
    name="hellaswag", role="intermediate", format=Format.MULTIPLE_CHOICE, num_choices=4,
    metrics=("accuracy",), languages=_EN,
    local=LocalFiles("hellaswag_jsonl",
                     layout("hellaswag/hellaswag_{split}.jsonl",
                            splits={"train": "train", "dev": "val", "test": "test"}),
                     r.each_file(r.parse_hellaswag_jsonl)),
    hub=(HubSource("Rowan/hellaswag", splits={"train": "train", "dev": "validation"}, rows=r.hellaswag_rows),),
)  # fmt: skip

COSMOS_QA = TaskSpec(
    name="cosmos_qa", aliases=("cosmosqa", "cosmos"), role="intermediate", format=Format.MULTIPLE_CHOICE,
    num_choices=4, metrics=("accuracy",), languages=_EN,
    local=LocalFiles("cosmosqa_jsonl",
                     layout("cosmos_qa/{split}.jsonl", splits={"train": "train", "dev": "valid", "test": "test"}),
                     r.each_file(r.parse_cosmosqa_jsonl)),
    hub=(HubSource("allenai/cosmos_qa", splits={"train": "train", "dev": "validation"}, rows=r.cosmosqa_rows),),
)  # fmt: skip

COMMONSENSE_QA = TaskSpec(
    name="commonsense_qa", aliases=("commonsenseqa", "csqa"), role="intermediate",
    format=Format.MULTIPLE_CHOICE, num_choices=5, metrics=("accuracy",), languages=_EN,
    local=LocalFiles("csqa_jsonl", layout("commonsense_qa/{split}_rand_split.jsonl"),
                     r.each_file(r.parse_csqa_jsonl)),
    hub=(HubSource("tau/commonsense_qa", splits={"train": "train", "dev": "validation"}, rows=r.csqa_rows),),
)  # fmt: skip

CCG = TaskSpec(
    name="ccg", aliases=("ccgbank", "ccg supertagging"), role="intermediate", format=Format.TOKEN_TAGGING,
    labels=None, metrics=("accuracy",), languages=_EN,
    local=LocalFiles("conll", layout("ccg/ccg.{split}.tsv", "ccg/{split}.tsv"), r.each_file(r.parse_conll)),
    notes="CCGbank is LDC-licensed: local files only ('word<TAB>supertag', blank line between sentences). "
    "Tag the first sub-word of each word; metric is token accuracy.",
)  # fmt: skip

WIKI_MLM = TaskSpec(
    name="wiki_mlm", aliases=("mlm", "xtreme_wiki_mlm", "multilingual mlm"), role="intermediate",
    format=Format.MLM, metrics=("loss",), languages=XTREME_LANGUAGES, train_language="multi", splits=("train",),
    local=LocalFiles("text", layout("wiki_mlm/{lang}.txt", splits={"train": "train"}),
                     r.each_file(r.parse_text_lines, with_language=True)),
    notes="Multilingual MLM corpus: Wikipedia (dumps of 2020-04-14) over the 40 XTREME languages, 2 million "
    "sentences sampled with alpha = 0.3 (v1 p. 4). Local files only: one sentence per line per language.",
)  # fmt: skip

TASKS = (ANLI_PLUS, MNLI, QQP, SQUAD_V1, SQUAD_V2, HELLASWAG, COSMOS_QA, COMMONSENSE_QA, CCG, WIKI_MLM)
INTERMEDIATE_V1 = ("anli_plus", "qqp", "squad_v1.1", "hellaswag", "ccg", "cosmos_qa", "commonsense_qa")
