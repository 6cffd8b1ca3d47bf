"""The nine XTREME target tasks, one declaration each.

Local files go under ``<data_dir>/<task>/`` with the original file names (see each task's ``layout``).
"""

from __future__ import annotations

from replication.tasks import readers as r
from replication.tasks.formats import Format
from replication.tasks.intermediate import NLI_LABELS
from replication.tasks.languages import XTREME_LANGUAGES
from replication.tasks.spec import HubSource, LocalFiles, TaskSpec, layout

UPOS_TAGS = (
    "ADJ", "ADP", "ADV", "AUX", "CCONJ", "DET", "INTJ", "NOUN", "NUM",
    "PART", "PRON", "PROPN", "PUNCT", "SCONJ", "SYM", "VERB", "X",
)  # fmt: skip
PANX_TAGS = (
    "O",
    "B-PER",
    "I-PER",
    "B-ORG",
    "I-ORG",
    "B-LOC",
    "I-LOC",
)  # index order of the hub's PAN-X/WikiAnn

# Languages of the target tasks (docs/PAPER.md; XTREME).
XNLI_LANGS = ("ar", "bg", "de", "el", "en", "es", "fr", "hi", "ru", "sw", "th", "tr", "ur", "vi", "zh")
PAWSX_LANGS = ("de", "en", "es", "fr", "ja", "ko", "zh")
UDPOS_LANGS = (
    "af", "ar", "bg", "de", "el", "en", "es", "et", "eu", "fa", "fi", "fr", "he", "hi", "hu", "id", "it",
    "ja", "kk", "ko", "mr", "nl", "pt", "ru", "ta", "te", "th", "tl", "tr", "ur", "vi", "yo", "zh",
)  # fmt: skip
XQUAD_LANGS = ("ar", "de", "el", "en", "es", "hi", "ru", "th", "tr", "vi", "zh")
MLQA_LANGS = ("ar", "de", "en", "es", "hi", "vi", "zh")
TYDIQA_LANGS = ("ar", "bn", "en", "fi", "id", "ko", "ru", "sw", "te")
BUCC_LANGS = ("de", "fr", "ru", "zh")  # each paired with en
TATOEBA_LANGS = tuple(
    lang for lang in XTREME_LANGUAGES if lang not in ("en", "ms", "my", "yo")
)  # 36, each with en

# Hub config-name spellings used by google/xtreme.
_UDPOS_NAMES = {
    "af": "Afrikaans", "ar": "Arabic", "bg": "Bulgarian", "de": "German", "el": "Greek", "en": "English",
    "es": "Spanish", "et": "Estonian", "eu": "Basque", "fa": "Persian", "fi": "Finnish", "fr": "French",
    "he": "Hebrew", "hi": "Hindi", "hu": "Hungarian", "id": "Indonesian", "it": "Italian", "ja": "Japanese",
    "kk": "Kazakh", "ko": "Korean", "mr": "Marathi", "nl": "Dutch", "pt": "Portuguese", "ru": "Russian",
    "ta": "Tamil", "te": "Telugu", "th": "Thai", "tl": "Tagalog", "tr": "Turkish", "ur": "Urdu",
    "vi": "Vietnamese", "yo": "Yoruba", "zh": "Chinese",
}  # fmt: skip
# Tatoeba's three-letter file codes of XTREME's 36 languages (also the local file names).
TATOEBA_CODES = {
    "af": "afr", "ar": "ara", "bg": "bul", "bn": "ben", "de": "deu", "el": "ell", "es": "spa", "et": "est",
    "eu": "eus", "fa": "pes", "fi": "fin", "fr": "fra", "he": "heb", "hi": "hin", "hu": "hun", "id": "ind",
    "it": "ita", "ja": "jpn", "jv": "jav", "ka": "kat", "kk": "kaz", "ko": "kor", "ml": "mal", "mr": "mar",
    "nl": "nld", "pt": "por", "ru": "rus", "sw": "swh", "ta": "tam", "te": "tel", "th": "tha", "tl": "tgl",
    "tr": "tur", "ur": "urd", "vi": "vie", "zh": "cmn",
}  # fmt: skip
# TyDiQA-GoldP example ids start with the language name: the filter that keeps English training data English.
TYDIQA_ID_PREFIX = {
    "ar": "arabic", "bn": "bengali", "en": "english", "fi": "finnish", "id": "indonesian",
    "ko": "korean", "ru": "russian", "sw": "swahili", "te": "telugu",
}  # fmt: skip


def _pawsx_files(split: str, lang: str) -> list[list[str]]:
    """PAWS-X: English trains on ``train.tsv``, other languages have only the machine-translated training set."""
    name = {"train": "train" if lang == "en" else "translated_train", "dev": "dev_2k", "test": "test_2k"}[
        split
    ]
    return [[f"pawsx/{lang}/{name}.tsv"], [f"pawsx/x-final/{lang}/{name}.tsv"]]


def _tatoeba_files(split: str, lang: str) -> list[list[str]]:
    """Tatoeba's aligned pair of files, named by the language's three-letter code."""
    c = TATOEBA_CODES.get(lang, lang)
    return [[f"tatoeba/tatoeba.{c}-eng.{c}", f"tatoeba/tatoeba.{c}-eng.eng"]] if split == "test" else []


XNLI = TaskSpec(
    name="xnli", role="target", format=Format.PAIR_CLASSIFICATION, labels=NLI_LABELS,
    metrics=("accuracy",), languages=XNLI_LANGS, splits=("dev", "test"), train_task="mnli",
    local=LocalFiles("xnli_tsv",
                     layout("xnli/XNLI-1.0/xnli.{split}.tsv", "xnli/xnli.{split}.tsv",
                            splits={"dev": "dev", "test": "test"}),
                     r.each_file(r.parse_xnli_tsv, with_language=True)),
    hub=(HubSource("facebook/xnli", {"*": "{lang}"}, rows=r.pair_rows),),
    notes="English training data = MNLI train (the hub's xnli/en train split).",
)  # fmt: skip

PAWSX = TaskSpec(
    name="pawsx", aliases=("paws-x", "paws x"), role="target", format=Format.PAIR_CLASSIFICATION,
    labels=("not_paraphrase", "paraphrase"), metrics=("accuracy",), languages=PAWSX_LANGS,
    splits=("train", "dev", "test"),
    local=LocalFiles("pawsx_tsv", _pawsx_files, r.each_file(r.parse_pawsx_tsv)),
    hub=(HubSource("google-research-datasets/paws-x", {"*": "{lang}"}, rows=r.pair_rows),),
)  # fmt: skip

UDPOS = TaskSpec(
    name="udpos", aliases=("ud-pos", "pos", "ud pos"), role="target", format=Format.TOKEN_TAGGING,
    labels=UPOS_TAGS, metrics=("f1",), languages=UDPOS_LANGS, splits=("train", "dev", "test"),
    local=LocalFiles("conllu",
                     layout("udpos/ud-treebanks-v2.5/UD_*/{lang}_*-ud-{split}.conllu",
                            "udpos/{lang}/*-ud-{split}.conllu"),
                     r.each_file(r.parse_conllu)),
    hub=(HubSource("google/xtreme", {lang: f"udpos.{n}" for lang, n in _UDPOS_NAMES.items()}, rows=r.tagging_rows),),
    notes="UD v2.5. F1 is seqeval chunk F1 on the raw tags (runs of one tag merge), not token accuracy.",
)  # fmt: skip

PANX = TaskSpec(
    name="panx", aliases=("pan-x", "ner", "wikiann"), role="target", format=Format.TOKEN_TAGGING,
    labels=PANX_TAGS, metrics=("f1",), languages=XTREME_LANGUAGES, splits=("train", "dev", "test"),
    local=LocalFiles("panx", layout("panx/{lang}/{split}", "panx/panx_dataset/{lang}/{split}"),
                     r.each_file(r.parse_conll, with_language=True)),
    hub=(HubSource("google/xtreme", {"*": "PAN-X.{lang}"}, rows=r.tagging_rows),),
)  # fmt: skip

XQUAD = TaskSpec(
    name="xquad", role="target", format=Format.EXTRACTIVE_QA, metrics=("f1", "exact_match"),
    languages=XQUAD_LANGS, splits=("test",), train_task="squad_v1.1", dev_task="squad_v1.1",
    local=LocalFiles("squad_json", layout("xquad/xquad.{lang}.json", splits={"test": "test"}), r.squad_files()),
    hub=(HubSource("google/xquad", {"*": "xquad.{lang}"}, {"test": "validation"}, rows=r.qa_rows()),),
    notes="English training data = SQuAD v1.1; SQuAD v1.1 normalisation for every language (as XTREME).",
)  # fmt: skip

MLQA = TaskSpec(
    name="mlqa", role="target", format=Format.EXTRACTIVE_QA, metrics=("f1", "exact_match"),
    languages=MLQA_LANGS, splits=("dev", "test"), train_task="squad_v1.1", language_normalization=True,
    local=LocalFiles("squad_json",
                     layout("mlqa/MLQA_V1/{split}/{split}-context-{lang}-question-{lang}.json",
                            "mlqa/{split}-context-{lang}-question-{lang}.json"),
                     r.squad_files()),
    hub=(HubSource("facebook/mlqa", {"*": "mlqa.{lang}.{lang}"}, {"dev": "validation", "test": "test"},
                   rows=r.qa_rows()),),
    notes="English training data = SQuAD v1.1; MLQA's per-language normalisation.",
)  # fmt: skip

TYDIQA = TaskSpec(
    name="tydiqa", aliases=("tydiqa-goldp", "tydi qa", "tydiqa goldp"), role="target",
    format=Format.EXTRACTIVE_QA, metrics=("f1", "exact_match"), languages=TYDIQA_LANGS, splits=("train", "test"),
    train_id_prefix=f"{TYDIQA_ID_PREFIX['en']}-",
    local=LocalFiles("squad_json",
                     layout("tydiqa/tydiqa-goldp-v1.1-{split}.json",
                            splits={"train": "train", "dev": "dev", "test": "dev"}),
                     r.squad_files(TYDIQA_ID_PREFIX)),
    hub=(HubSource("google-research-datasets/tydiqa", {"*": "secondary_task"}, {"train": "train", "test": "validation"},
                   note="one multilingual file per split: rows are filtered by id prefix",
                   rows=r.qa_rows(TYDIQA_ID_PREFIX)),),
    notes="No dev split: model selection is not possible on TyDiQA itself. Trap: some downloaders write the "
    "multilingual training set as 'English'. Train on English only (about 3.7k questions); the loader filters by "
    "id prefix and asserts it.",
)  # fmt: skip

BUCC2018 = TaskSpec(
    name="bucc2018", aliases=("bucc", "bucc18"), role="target", format=Format.RETRIEVAL,
    metrics=("f1",), languages=BUCC_LANGS, has_training=False, splits=("dev", "test"),
    # XTREME's BUCC "test" is BUCC 2018's training set; its dev is BUCC's sample
    local=LocalFiles("bucc",
                     layout(("bucc2018/{lang}-en/{lang}-en.{split}.{lang}", "bucc2018/{lang}-en/{lang}-en.{split}.en",
                             "bucc2018/{lang}-en/{lang}-en.{split}.gold"),
                            splits={"dev": "sample", "test": "training"}),
                     r.bucc_files),
    hub=(HubSource("google/xtreme", {"*": "bucc18.{lang}"}, {"dev": "validation", "test": "test"},
                   note="gold pairs only, no distractors: F1 is not comparable; use the original files",
                   unusable="BUCC 2018 on the hub (google/xtreme bucc18.*) has only the gold pairs, no distractor "
                   "sentences, so its F1 is not the benchmark's"),),
    notes="Margin-scored mining (ratio margin, k=4, as XTREME); threshold tuned on dev, applied to test. "
    "XTREME's BUCC 'test' is BUCC's training set.",
)  # fmt: skip

TATOEBA = TaskSpec(
    name="tatoeba", role="target", format=Format.RETRIEVAL, metrics=("accuracy",), languages=TATOEBA_LANGS,
    has_training=False, splits=("test",),
    local=LocalFiles("tatoeba", _tatoeba_files, r.tatoeba_files),
    hub=(HubSource("google/xtreme", {lang: f"tatoeba.{c}" for lang, c in TATOEBA_CODES.items()},
                   {"test": "validation"}, rows=r.tatoeba_rows),),
    notes="Cosine nearest neighbour from each language to English over mean-pooled hidden_states[14].",
)  # fmt: skip

TASKS = (XNLI, PAWSX, UDPOS, PANX, XQUAD, MLQA, TYDIQA, BUCC2018, TATOEBA)
XTREME_TASKS = tuple(t.name for t in TASKS)
