"""Setup facts: what a paper used and how, as a researcher notes it before reading the results. Datasets and their
sizes, model names, hyperparameters (learning rate, batch size, epochs, warmup, seeds), numbers of languages and
tasks, hardware and software.

A sentence is a setup fact when it sits in a section about the setup (or the experiments) and either says what the
authors did with something named or counted ("We use the pretrained XLM-R Large model ...", "In total, we use 2
million sentences ...") or sets a hyperparameter to a value. Pointers ("described in Section 2.1") and rows of
tables flattened into prose are not facts.
"""

from __future__ import annotations

import re

from synthesis.entities import clean, entities
from synthesis.numbers import comparable, parse_numbers

SETUP_SECTION = re.compile(
    r"set-?up|experiment|\bmodels?\b|datasets?|\bdata\b|\btasks?\b|training|implementation|hyper-?param|software|"
    r"hardware|parameter|protocol|compared algorithms|corpus|configuration|details|approach|method|language model"
    r"|masked language|benchmark|baseline|evaluation|appendix|score measures|pretraining|fine-?tuning",
    re.IGNORECASE,
)
_NOT_SETUP_SECTION = re.compile(
    r"related work|introduction|conclu|acknowledg|discussion|limitation|abstract|"
    r"references|bibliograph",
    re.IGNORECASE,
)
HYPERPARAMETER = re.compile(
    r"\blearning rates?\b|\bbatch sizes?\b|\bwarm-?up\b|\bepochs?\b|\bdropout\b|\bweight decay\b|\boptimi[sz]er\b|"
    r"\bAdamW?\b|\bseeds?\b|\b(?:max(?:imum)? )?sequence length\b|\bearly stopping\b|\bgradient (?:clipping|"
    r"accumulation)\b|\bsteps\b|\biterations\b|\bthreshold\b|\blayers?\b|\bparameters?\b|\bα\s*=|\blr\b|"
    r"\btemperature\b|\bbeam\b|\brank\b|\bk\s*=|\bK\s*=",
    re.IGNORECASE,
)
HARDWARE = re.compile(
    r"\b(?:GPUs?|TPUs?|CPUs?|cores?|V100|A100|H100|P100|RTX|TITAN|GB of (?:RAM|memory)|hours? on)\b"
)
SOFTWARE = re.compile(
    r"\b(?:PyTorch|TensorFlow|JAX|Transformers|scikit-learn|library|implementation in|"
    r"implemented (?:in|with|using))\b"
)
_ACTION = re.compile(
    r"\b(?:we|the authors|our)\b[^.;]{0,40}?\b(?:use|used|train|trained|fine-tune|fine-tuned|follow|followed|"
    r"construct|constructed|sample|sampled|choose|chose|select|selected|run|ran|experiment|experimented|"
    r"initiali[sz]e|extract|adopt|apply|applied|consider|considered|set|perform|performed|treat|include|"
    r"included|randomly|build|built|evaluate|evaluated|compute|computed|average|averaged|repeat|repeated|split|"
    r"generate|generated|collect|collected|tune|tuned|report|pretrain|pre-train|freeze|froze)\b"
    r"|\b(?:is|are|was|were)\s+(?:\w+ly\s+)?(?:set|fixed|chosen|selected|sampled|run|trained|averaged|repeated|"
    r"initiali[sz]ed|tuned|used|implemented|conducted|performed|computed|generated|collected|split|drawn|"
    r"obtained|fine-tuned|pretrained)\b|\bexperiments are\b|\bconsists? of\b|\b(?:contains?|comprises?) \d|"
    r"\b(?:do|does|did) not (?:include|have|contain)\b",
    re.IGNORECASE,
)
_POINTER = re.compile(
    r"\b(?:described|shown|detailed|listed|given|found|discussed) (?:in|below|above)\b|"
    r"\bsee (?:Section|Appendix|Table|Figure)\b|\bcan be found\b",
    re.IGNORECASE,
)
_SIZE = re.compile(
    r"\b\d[\d,.]*\s*(?:million|billion|thousand|[MBK]\b)?\s*(?:training |labeled |unlabeled )?"
    r"(?:examples?|sentences?|questions?|documents?|tokens?|instances?|pairs?|samples?|images?|"
    r"words?|languages?|tasks?|datasets?|classes|attributes?|objects?|problems?|trees?|runs?|"
    r"seeds?|splits?|folds?|parameters?|layers?)\b",
    re.IGNORECASE,
)
MAX_NUMERIC_SHARE = 0.3  # above this share of number tokens a "sentence" is a table row, not prose


def is_setup_section(section: str | None) -> bool:
    """A section that describes data, models, training or protocol (not the introduction or related work)."""
    return bool(section) and bool(SETUP_SECTION.search(section)) and not _NOT_SETUP_SECTION.search(section)


def is_setup_sentence(sentence: str) -> bool:
    """A sentence stating a setup fact (see the module docstring)."""
    s = clean(sentence)
    words = s.split()
    if not 5 <= len(words) <= 90 or s.endswith("?") or re.search(r"https?://|www\.|@\w", s):
        return False
    if sum(
        1 for w in words if re.fullmatch(r"[^A-Za-z]*\d[^A-Za-z]*|[\u2013\u2014\-/+]", w)
    ) > MAX_NUMERIC_SHARE * len(words):
        return False
    if _POINTER.search(re.sub(r"\([^()]*\)", "", s)):  # "(see Appendix)" points, the sentence still states
        return False
    numbers = [q for q in comparable(parse_numbers(s)) if q.kind not in ("reference", "citation", "year")]
    named = bool(entities(s))
    acts = bool(_ACTION.search(s))
    if HYPERPARAMETER.search(s) and numbers:
        return True
    if HARDWARE.search(s) and (numbers or acts):
        return True
    if _SIZE.search(s) and numbers:
        return acts or named
    if SOFTWARE.search(s) and acts:
        return True
    return acts and (named or bool(numbers))


def colon_head(sentence: str) -> str | None:
    """The statement before a long list: "We use the 9 target tasks ... languages: The Cross-lingual ..., ..."
    -> "We use the 9 target tasks ... languages." (None when the sentence has no such list)."""
    s = clean(sentence)
    m = re.search(r":\s+(?=[A-Z(])", s)
    if not m or len(s) - m.end() < 200:
        return None
    head = s[: m.start()].rstrip()
    if len(head.split()) < 5 or head.count("(") != head.count(")"):
        return None
    return head + "."
