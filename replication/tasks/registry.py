"""The task registry: every intermediate task of both paper versions and the nine XTREME target tasks.

Each task is a `TaskSpec` with its format, label set, metric(s), languages, the language its training data must be
in, and where to load it from (hub dataset ids with config and split names, or local files in the original format,
see `replication.data`). Names resolve case- and punctuation-insensitively (``"SQuAD"``, ``"squad-v1.1"``,
``"anli+"``); an unknown name raises `ReplicationError` with a "did you mean".

Hub revisions: ``HubSource.revision`` is ``None`` where no commit has been verified on this machine (no network);
pin one per dataset in the plan (``data.revisions``) or with ``revision=`` when loading; the loader records the
revision it actually used in every result.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import asdict, dataclass, field

from replication.errors import ReplicationError
from replication.tasks.formats import Format

ROLES = ("intermediate", "target", "synthetic")

# The 40 XTREME languages by family, as docs/PAPER.md lists them. The two isolates stay separate groups so that a
# per-family aggregate never averages Basque with Korean as if they were related.
LANGUAGE_FAMILIES: dict[str, tuple[str, ...]] = {
    "Indo-European": ("af", "bg", "bn", "de", "el", "en", "es", "fa", "fr", "hi", "it", "mr", "nl", "pt", "ru", "ur"),
    "Afro-Asiatic": ("ar", "he"),
    "Austro-Asiatic": ("vi",),
    "Austronesian": ("id", "jv", "ms", "tl"),
    "Dravidian": ("ml", "ta", "te"),
    "Japonic": ("ja",),
    "Kartvelian": ("ka",),
    "Kra-Dai": ("th",),
    "Niger-Congo": ("sw", "yo"),
    "Sino-Tibetan": ("my", "zh"),
    "Turkic": ("kk", "tr"),
    "Uralic": ("et", "fi", "hu"),
    "Isolate (Basque)": ("eu",),
    "Isolate (Korean)": ("ko",),
}
_FAMILY_OF = {lang: fam for fam, langs in LANGUAGE_FAMILIES.items() for lang in langs}
XTREME_LANGUAGES: tuple[str, ...] = tuple(sorted(_FAMILY_OF))


_EXTRA_FAMILY_OF: dict[str, str] = {}


def family_of(lang: str) -> str:
    """The language family of an XTREME language code (``"de"`` -> ``"Indo-European"``) or a registered one."""
    fam = _FAMILY_OF.get(lang) or _EXTRA_FAMILY_OF.get(lang)
    if fam is None:
        raise ReplicationError(
            f"unknown language {lang!r}: expected one of the 40 XTREME language codes ({', '.join(XTREME_LANGUAGES)})"
            " or a language registered with register_languages"
        )
    return fam


def register_languages(family: str, langs: list[str] | tuple[str, ...]) -> None:
    """Add non-XTREME languages to a family (the synthetic world's fake languages), for per-family tables."""
    for lang in langs:
        if lang in _FAMILY_OF and _FAMILY_OF[lang] != family:
            raise ReplicationError(f"{lang!r} is the XTREME language of family {_FAMILY_OF[lang]!r}, not {family!r}")
        if lang not in _FAMILY_OF:
            _EXTRA_FAMILY_OF[lang] = family


def unregister_languages(langs: list[str] | tuple[str, ...]) -> None:
    """Forget languages added with `register_languages` (XTREME languages stay)."""
    for lang in langs:
        _EXTRA_FAMILY_OF.pop(lang, None)


@dataclass(frozen=True)
class HubSource:
    """One hub dataset: ``datasets.load_dataset(dataset, configs[lang], revision=revision, split=splits[split])``.

    ``configs`` maps a language code (or ``"*"`` for every language) to the hub config name; ``splits`` maps our
    split names (train, dev, test) to the hub's. ``revision`` is a commit to pin (None: not verified, see module doc).
    """

    dataset: str
    configs: dict[str, str] = field(default_factory=dict)
    splits: dict[str, str] = field(default_factory=lambda: {"train": "train", "dev": "validation", "test": "test"})
    revision: str | None = None
    note: str = ""

    def config_for(self, lang: str) -> str | None:
        """The hub config of one language (templates like ``"PAN-X.{lang}"`` filled in), None if it has none."""
        cfg = self.configs.get(lang, self.configs.get("*"))
        return cfg.format(lang=lang) if cfg is not None else None


@dataclass(frozen=True)
class TaskSpec:
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
    train_task: str | None = None  # English training data comes from another task (XNLI <- MNLI, XQuAD <- SQuAD)
    dev_task: str | None = None  # English dev data for model selection comes from another task
    hub: tuple[HubSource, ...] = ()  # several sources are concatenated (ANLI+)
    local_format: str = ""  # the original file format replication.data reads (see its docstring)
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

    def to_dict(self) -> dict:
        """Plain, JSON-able form (used in cache keys and run configs)."""
        d = asdict(self)
        d["format"] = str(self.format)
        d["paper_versions"] = sorted(self.paper_versions)
        return d


def _key(name: str) -> str:
    """Case- and punctuation-insensitive lookup key; keeps '+' (ANLI vs ANLI+) and digits (SQuAD 1.1 vs 2.0)."""
    s = name.lower().replace("+", "plus")
    return re.sub(r"[^a-z0-9]", "", s)


_TASKS: dict[str, TaskSpec] = {}
_INDEX: dict[str, str] = {}


def register_task(spec: TaskSpec, *, replace: bool = False) -> TaskSpec:
    """Add a task (the synthetic world registers its tasks here). A clash with another task's name is an error."""
    keys = {_key(spec.name), *(_key(a) for a in spec.aliases)}
    for k in keys:
        owner = _INDEX.get(k)
        if owner is not None and owner != spec.name and not replace:
            raise ReplicationError(f"task name or alias {k!r} of {spec.name!r} is already used by {owner!r}")
    if spec.name in _TASKS and not replace:
        raise ReplicationError(f"task {spec.name!r} is already registered (pass replace=True to redefine it)")
    if spec.name in _TASKS:
        old = _TASKS[spec.name]
        for k in {_key(old.name), *(_key(a) for a in old.aliases)}:
            _INDEX.pop(k, None)
    _TASKS[spec.name] = spec
    for k in keys:
        _INDEX[k] = spec.name
    return spec


def unregister_task(name: str) -> None:
    """Remove a registered task and its aliases (tests, and the synthetic world when it is done); no-op if absent."""
    spec = _TASKS.pop(name, None)
    if spec is not None:
        for k in {_key(spec.name), *(_key(a) for a in spec.aliases)}:
            if _INDEX.get(k) == name:
                _INDEX.pop(k)


def get_task(name: str) -> TaskSpec:
    """Resolve a task name or alias; unknown names raise ReplicationError with the closest matches."""
    hit = _INDEX.get(_key(name))
    if hit is not None:
        return _TASKS[hit]
    names = sorted(_TASKS)
    by_key = {_key(n): n for n in names} | {k: v for k, v in _INDEX.items()}
    close = difflib.get_close_matches(_key(name), list(by_key), n=3, cutoff=0.5)
    suggestions = list(dict.fromkeys(by_key[c] for c in close))
    hint = f"; did you mean {' or '.join(repr(s) for s in suggestions)}?" if suggestions else ""
    raise ReplicationError(f"unknown task {name!r}{hint} (known tasks: {', '.join(names)})")


def list_tasks(role: str | None = None, *, paper_version: str | None = None) -> list[TaskSpec]:
    """Registered tasks in registration order, optionally only one role and/or one paper version."""
    if role is not None and role not in ROLES:
        raise ReplicationError(f"role must be one of {', '.join(ROLES)}, got {role!r}")
    out = [t for t in _TASKS.values() if role is None or t.role == role]
    if paper_version is not None:
        out = [t for t in out if paper_version in t.paper_versions]
    return out


# ---------------------------------------------------------------------------------------------------------------
# Label sets

NLI_LABELS = ("entailment", "neutral", "contradiction")  # index order of GLUE/MNLI, SNLI, ANLI and XNLI on the hub
UPOS_TAGS = (
    "ADJ", "ADP", "ADV", "AUX", "CCONJ", "DET", "INTJ", "NOUN", "NUM",
    "PART", "PRON", "PROPN", "PUNCT", "SCONJ", "SYM", "VERB", "X",
)  # fmt: skip
PANX_TAGS = ("O", "B-PER", "I-PER", "B-ORG", "I-ORG", "B-LOC", "I-LOC")  # index order of the hub's PAN-X/WikiAnn

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
TATOEBA_LANGS = tuple(lang for lang in XTREME_LANGUAGES if lang not in ("en", "ms", "my", "yo"))  # 36, each with en

# Hub config-name spellings used by google/xtreme.
_UDPOS_NAMES = {
    "af": "Afrikaans", "ar": "Arabic", "bg": "Bulgarian", "de": "German", "el": "Greek", "en": "English",
    "es": "Spanish", "et": "Estonian", "eu": "Basque", "fa": "Persian", "fi": "Finnish", "fr": "French",
    "he": "Hebrew", "hi": "Hindi", "hu": "Hungarian", "id": "Indonesian", "it": "Italian", "ja": "Japanese",
    "kk": "Kazakh", "ko": "Korean", "mr": "Marathi", "nl": "Dutch", "pt": "Portuguese", "ru": "Russian",
    "ta": "Tamil", "te": "Telugu", "th": "Thai", "tl": "Tagalog", "tr": "Turkish", "ur": "Urdu",
    "vi": "Vietnamese", "yo": "Yoruba", "zh": "Chinese",
}  # fmt: skip
# Tatoeba's three-letter file codes of XTREME's 36 languages (also the local file names, see replication.data).
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

_EN = ("en",)


def _builtin() -> list[TaskSpec]:
    glue = "nyu-mll/glue"
    return [
        # ---- intermediate tasks -------------------------------------------------------------------------------
        TaskSpec(
            name="anli_plus", aliases=("anli+", "anli plus"), role="intermediate",
            format=Format.PAIR_CLASSIFICATION, labels=NLI_LABELS, metrics=("accuracy",), languages=_EN,
            hub=(
                HubSource("facebook/anli", splits={"train": "train_r1+train_r2+train_r3",
                                                   "dev": "dev_r1+dev_r2+dev_r3", "test": "test_r1+test_r2+test_r3"}),
                HubSource(glue, {"*": "mnli"}, {"train": "train", "dev": "validation_matched"}),
                HubSource("stanfordnlp/snli", note="label -1 (no gold label) dropped"),
            ),
            local_format="nli_jsonl",
            notes="ANLI rounds 1-3 + MNLI + SNLI training sets concatenated; dev = ANLI dev rounds 1-3 (paper, sec. 3).",
        ),
        TaskSpec(
            name="mnli", aliases=("multinli",), role="intermediate", format=Format.PAIR_CLASSIFICATION,
            labels=NLI_LABELS, metrics=("accuracy",), languages=_EN,
            hub=(HubSource(glue, {"*": "mnli"}, {"train": "train", "dev": "validation_matched"}),),
            local_format="nli_jsonl", paper_versions=frozenset({"final"}),
            notes="Final version only (named among the best intermediate tasks there); also XNLI's English training set.",
        ),
        TaskSpec(
            name="qqp", aliases=("quora question pairs",), role="intermediate", format=Format.PAIR_CLASSIFICATION,
            labels=("not_duplicate", "duplicate"), metrics=("accuracy",), languages=_EN,
            hub=(HubSource(glue, {"*": "qqp"}, {"train": "train", "dev": "validation"}),),
            local_format="qqp_tsv",
        ),
        TaskSpec(
            name="squad_v1.1", aliases=("squad", "squad1", "squad v1", "squad1.1", "squad_v1"), role="intermediate",
            format=Format.EXTRACTIVE_QA, metrics=("f1", "exact_match"), languages=_EN,
            hub=(HubSource("rajpurkar/squad", splits={"train": "train", "dev": "validation"}),),
            local_format="squad_json", notes="Also the English training set of XQuAD and MLQA.",
        ),
        TaskSpec(
            name="squad_v2.0", aliases=("squad2", "squad v2", "squad2.0", "squad_v2"), role="intermediate",
            format=Format.EXTRACTIVE_QA, metrics=("f1", "exact_match"), languages=_EN,
            hub=(HubSource("rajpurkar/squad_v2", splits={"train": "train", "dev": "validation"}),),
            local_format="squad_json", paper_versions=frozenset({"final"}),
            notes="Final version (most likely): unanswerable questions, null-score post-processing.",
        ),
        TaskSpec(
            name="hellaswag", role="intermediate", format=Format.MULTIPLE_CHOICE, num_choices=4,
            metrics=("accuracy",), languages=_EN,
            hub=(HubSource("Rowan/hellaswag", splits={"train": "train", "dev": "validation"}),),
            local_format="hellaswag_jsonl",
        ),
        TaskSpec(
            name="cosmos_qa", aliases=("cosmosqa", "cosmos"), role="intermediate", format=Format.MULTIPLE_CHOICE,
            num_choices=4, metrics=("accuracy",), languages=_EN,
            hub=(HubSource("allenai/cosmos_qa", splits={"train": "train", "dev": "validation"}),),
            local_format="cosmosqa_jsonl",
        ),
        TaskSpec(
            name="commonsense_qa", aliases=("commonsenseqa", "csqa"), role="intermediate",
            format=Format.MULTIPLE_CHOICE, num_choices=5, metrics=("accuracy",), languages=_EN,
            hub=(HubSource("tau/commonsense_qa", splits={"train": "train", "dev": "validation"}),),
            local_format="csqa_jsonl",
        ),
        TaskSpec(
            name="ccg", aliases=("ccgbank", "ccg supertagging"), role="intermediate", format=Format.TOKEN_TAGGING,
            labels=None, metrics=("accuracy",), languages=_EN, local_format="conll",
            notes="CCGbank is LDC-licensed: local files only ('word<TAB>supertag', blank line between sentences). "
            "Tag the first sub-word of each word; metric is token accuracy.",
        ),
        TaskSpec(
            name="wiki_mlm", aliases=("mlm", "xtreme_wiki_mlm", "multilingual mlm"), role="intermediate",
            format=Format.MLM, metrics=("loss",), languages=XTREME_LANGUAGES, train_language="multi",
            splits=("train",), local_format="text",
            notes="Multilingual MLM corpus: Wikipedia (dumps of 2020-04-14) over the 40 XTREME languages, 2 million "
            "sentences sampled with alpha = 0.3 (v1 p. 4). Local files only: one sentence per line per language.",
        ),
        # ---- XTREME target tasks ------------------------------------------------------------------------------
        TaskSpec(
            name="xnli", role="target", format=Format.PAIR_CLASSIFICATION, labels=NLI_LABELS,
            metrics=("accuracy",), languages=XNLI_LANGS,
            hub=(HubSource("facebook/xnli", {"*": "{lang}"}),),
            local_format="xnli_tsv", splits=("dev", "test"), train_task="mnli", notes="English training data = MNLI train (the hub's xnli/en train split).",
        ),
        TaskSpec(
            name="pawsx", aliases=("paws-x", "paws x"), role="target", format=Format.PAIR_CLASSIFICATION,
            labels=("not_paraphrase", "paraphrase"), metrics=("accuracy",), languages=PAWSX_LANGS,
            hub=(HubSource("google-research-datasets/paws-x", {"*": "{lang}"}),), local_format="pawsx_tsv",
            splits=("train", "dev", "test"),
        ),
        TaskSpec(
            name="udpos", aliases=("ud-pos", "pos", "ud pos"), role="target", format=Format.TOKEN_TAGGING,
            labels=UPOS_TAGS, metrics=("f1",), languages=UDPOS_LANGS,
            hub=(HubSource("google/xtreme", {lang: f"udpos.{n}" for lang, n in _UDPOS_NAMES.items()}),),
            local_format="conllu", splits=("train", "dev", "test"),
            notes="UD v2.5. F1 is seqeval chunk F1 on the raw tags (runs of one tag merge), not token accuracy.",
        ),
        TaskSpec(
            name="panx", aliases=("pan-x", "ner", "wikiann"), role="target", format=Format.TOKEN_TAGGING,
            labels=PANX_TAGS, metrics=("f1",), languages=XTREME_LANGUAGES,
            hub=(HubSource("google/xtreme", {"*": "PAN-X.{lang}"}),), local_format="panx",
            splits=("train", "dev", "test"),
        ),
        TaskSpec(
            name="xquad", role="target", format=Format.EXTRACTIVE_QA, metrics=("f1", "exact_match"),
            languages=XQUAD_LANGS,
            hub=(HubSource("google/xquad", {"*": "xquad.{lang}"}, {"test": "validation"}),), local_format="squad_json",
            splits=("test",), train_task="squad_v1.1", dev_task="squad_v1.1",
            notes="English training data = SQuAD v1.1; SQuAD v1.1 normalisation for every language (as XTREME).",
        ),
        TaskSpec(
            name="mlqa", role="target", format=Format.EXTRACTIVE_QA, metrics=("f1", "exact_match"),
            languages=MLQA_LANGS,
            hub=(HubSource("facebook/mlqa", {"*": "mlqa.{lang}.{lang}"}, {"dev": "validation", "test": "test"}),),
            local_format="squad_json", splits=("dev", "test"), train_task="squad_v1.1",
            notes="English training data = SQuAD v1.1; MLQA's per-language normalisation.",
        ),
        TaskSpec(
            name="tydiqa", aliases=("tydiqa-goldp", "tydi qa", "tydiqa goldp"), role="target",
            format=Format.EXTRACTIVE_QA, metrics=("f1", "exact_match"), languages=TYDIQA_LANGS,
            hub=(HubSource("google-research-datasets/tydiqa", {"*": "secondary_task"},
                           {"train": "train", "test": "validation"},
                           note="one multilingual file per split: rows are filtered by id prefix"),),
            local_format="squad_json", splits=("train", "test"),
            notes="No dev split: model selection is not possible on TyDiQA itself. Trap: some downloaders write the multilingual training set as 'English'. Train on English only "
            "(about 3.7k questions); the loader filters by id prefix and asserts it.",
        ),
        TaskSpec(
            name="bucc2018", aliases=("bucc", "bucc18"), role="target", format=Format.RETRIEVAL,
            metrics=("f1",), languages=BUCC_LANGS, has_training=False,
            hub=(HubSource("google/xtreme", {"*": "bucc18.{lang}"}, {"dev": "validation", "test": "test"},
                           note="gold pairs only, no distractors: F1 is not comparable; use the original files"),),
            local_format="bucc", splits=("dev", "test"),
            notes="Margin-scored mining (ratio margin, k=4, as XTREME); threshold tuned on dev, applied to test. "
            "XTREME's BUCC 'test' is BUCC's training set.",
        ),
        TaskSpec(
            name="tatoeba", role="target", format=Format.RETRIEVAL, metrics=("accuracy",), languages=TATOEBA_LANGS,
            has_training=False,
            hub=(HubSource("google/xtreme", {lang: f"tatoeba.{c}" for lang, c in TATOEBA_CODES.items()},
                           {"test": "validation"}),),
            local_format="tatoeba", splits=("test",),
            notes="Cosine nearest neighbour from each language to English over mean-pooled hidden_states[14].",
        ),
    ]  # fmt: skip


INTERMEDIATE_V1 = ("anli_plus", "qqp", "squad_v1.1", "hellaswag", "ccg", "cosmos_qa", "commonsense_qa")
XTREME_TASKS = ("xnli", "pawsx", "udpos", "panx", "xquad", "mlqa", "tydiqa", "bucc2018", "tatoeba")

for _spec in _builtin():
    register_task(_spec)
