"""What a claim is about, in words a verifier can compare: content tokens, named entities, polarity and scope.

Everything here is plain-text heuristics that work on any language model-free machine: entities are the tokens
written like names (SQuAD, XLM-R, BUCC, TyDiQA-GoldP, COVID-19), polarity is negation parity plus direction words
(improves vs hurts), scope is universal vs partial quantifiers.
"""

from __future__ import annotations

import re
import unicodedata

STOPWORDS = frozenset(
    """a an the and or of in on to for with by at from as is are was were be been being this that these those it
    its their our we they he she i you them his her which who whom whose what when where while than then there
    here into onto over under about above below also very such can could may might would should will shall do
    does did has have had having both either each so just only more most other some any all same own s t
    authors author paper work study us one e.g i.e et al via using use used based between across per""".split()
)
# Number words are numbers, compared as numbers ("nine" = 9), not as content words
NUMBER_WORDS = frozenset("two three four five six seven eight nine ten eleven twelve".split())
NEGATIONS = frozenset(
    "not no never neither nor without cannot none nothing fail fails failed n't lack lacks".split()
)
_UP = (
    "improv better gain increas outperform benefit help boost higher superior surpass exceed raise best "
    "positive strong effective enhanc larger greater more stronger success advantag"
)
_DOWN = (
    "hurt worse decreas degrad reduc drop lower harm declin inferior underperform negative weak loss "
    "smaller fewer less poor deteriorat impair diminish"
)
UP_STEMS = tuple(_UP.split())
DOWN_STEMS = tuple(_DOWN.split())
UNIVERSAL = frozenset("all every each always universally consistently uniformly entire whole any".split())
PARTIAL = frozenset(
    "some most many several few certain partially sometimes often mostly majority almost nearly".split()
)

_TOKEN = re.compile(
    r"[A-Za-z\u00C0-\u024F\u0370-\u03FF\u0400-\u04FF][\w\u00C0-\u024F]*(?:[-+][\w]+)*\+?|\d+(?:[.,]\d+)*"
)
_HYPHEN_BREAK = re.compile(r"(\w)-\s*\n\s*(\w)")


def clean(text: str) -> str:
    """Undo PDF line breaks and ligatures so that 'perfor-\\nmance' and 'signiﬁcant' compare as words."""
    text = unicodedata.normalize("NFKC", text or "")
    text = _HYPHEN_BREAK.sub(r"\1\2", text)
    return re.sub(r"\s+", " ", text).strip()


def tokens(text: str) -> list[str]:
    """Word tokens of cleaned text, original case."""
    return _TOKEN.findall(clean(text))


def stem(word: str) -> str:
    """A crude English stemmer: enough to equate improve/improves/improved/improvement."""
    w = word.lower()
    if len(w) <= 3 or not w.isalpha():
        return w
    for suffix in (
        "ements",
        "ement",
        "ations",
        "ation",
        "ingly",
        "ings",
        "ing",
        "edly",
        "ies",
        "ied",
        "ed",
        "es",
        "ly",
        "s",
        "e",
    ):
        if w.endswith(suffix) and len(w) - len(suffix) >= 3:
            return w[: -len(suffix)]
    return w


def content_words(text: str) -> list[str]:
    """Stemmed, lower-cased content words (no stop words, no negations, no bare numbers)."""
    out = []
    for t in tokens(text):
        for part in t.split("-") if "-" in t else [t]:
            low = part.lower()
            if (
                not low
                or low in STOPWORDS
                or low in NEGATIONS
                or low in NUMBER_WORDS
                or re.fullmatch(r"[\d.,+]+", part)
            ):
                continue
            st = stem(low)
            if st in STOPWORDS:
                continue
            out.append(st)
    return out


def is_entity_token(tok: str, first: bool) -> bool:
    """Written like a name: inner capitals (SQuAD, XLM-R), all caps (BUCC), a digit mixed in (GPT-3), or a capital
    word that does not start the sentence."""
    if len(tok) < 2 and not tok.isupper():
        return False
    letters = [c for c in tok if c.isalpha()]
    if not letters:
        return False
    if any(c.isdigit() for c in tok) and any(c.isalpha() for c in tok):
        return True
    if sum(c.isupper() for c in tok) >= 2:
        return True
    if tok.endswith("+") or "-" in tok and any(c.isupper() for c in (tok[1:] if first else tok)):
        # "XLM-R", "PAWS-X"; a sentence-initial "Intermediate-task" is an ordinary word
        return True
    if tok[0].isupper() and not first and tok.lower() not in STOPWORDS:
        return True
    return False


_COMMON_CAPS = frozenset(
    "table figure section appendix we our the in this these for a an as on it however finally "
    "here using while among both when although".split()
)


def entities(text: str) -> set[str]:
    """Lower-cased names mentioned in the text (tasks, datasets, models, benchmarks, places, genes)."""
    out: set[str] = set()
    cleaned = clean(text)
    for sent_start, chunk in _sentence_chunks(cleaned):
        del sent_start
        toks = _TOKEN.findall(chunk)
        for i, tok in enumerate(toks):
            if tok.lower() in _COMMON_CAPS:
                continue
            if is_entity_token(tok, first=(i == 0)):
                out.add(_norm_entity(tok))
    return out


def _norm_entity(tok: str) -> str:
    return re.sub(r"[-_]", "", tok.lower())


def _sentence_chunks(text: str) -> list[tuple[int, str]]:
    parts, start = [], 0
    for m in re.finditer(r"[.!?:;]\s+(?=[A-Z(])|\n", text):
        parts.append((start, text[start : m.start() + 1]))
        start = m.end()
    parts.append((start, text[start:]))
    return parts


def negation_count(text: str) -> int:
    """How many negating words the text uses ("neither ... nor" counts once)."""
    low = clean(text).lower()
    words = re.findall(r"[a-z']+", low.replace("n't", " n't"))
    n = sum(1 for w in words if w in NEGATIONS and w != "nor")
    n += len(re.findall(r"\bno longer\b", low)) * 0
    return n


def direction(text: str) -> int:
    """+1 when the text says something goes up or helps, -1 when down or hurts, 0 when neither or both,
    with a negation flipping it ("does not improve" is -1)."""
    words = [w.lower() for w in tokens(text)]
    up = sum(1 for w in words if w.startswith(UP_STEMS))
    down = sum(1 for w in words if w.startswith(DOWN_STEMS))
    raw = (up > down) - (down > up)
    if negation_count(text) % 2 == 1:
        raw = -raw
    return raw


def scope(text: str) -> int:
    """+1 universal ("all tasks", "consistently"), -1 partial ("some tasks", "most"), 0 unmarked."""
    words = {w.lower() for w in tokens(text)}
    if re.search(r"\bno single\b|\bnot all\b|\bnot every\b", clean(text).lower()):
        return -1
    uni = bool(words & UNIVERSAL)
    par = bool(words & PARTIAL)
    return (uni and not par) - (par and not uni)


def language_of(text: str) -> str:
    """'en' when the text reads as English, else 'other' (script or stop-word evidence), '' when empty."""
    letters = [c for c in text if c.isalpha()]
    if not letters:
        return ""
    latin = sum(1 for c in letters if ord(c) < 0x250)
    if latin / len(letters) < 0.6:
        return "other"
    words = [w.lower() for w in re.findall(r"[^\W\d_]+", text)]
    if len(words) < 4:
        return "en"
    english = sum(1 for w in words if w in STOPWORDS)
    foreign = sum(1 for w in words if w in _FOREIGN_STOP)
    return "other" if foreign > english else "en"


_FOREIGN_STOP = frozenset(
    """der die das und ist nicht mit von den zu ein eine auf für les des est une pas dans pour sur avec que qui
    el los las por con una para del es se lo como più della che il gli sono não uma com para os que""".split()
)


# Words a paraphrase may exchange without changing what is claimed (compared as stems), and pairs of words whose
# exchange reverses it. Kept small and general: a swap detector must not read "uses" -> "employs" as a contradiction.
_SYNONYM_GROUPS = (
    "use employ adopt apply utilize utilise leverage rely",
    "show demonstrate find observe report reveal indicate suggest confirm establish",
    "we author",
    "method approach technique procedure strategy scheme",
    "result finding outcome",
    "improv boost enhanc increas rais gain benefit help better outperform surpass exceed bolster",
    "hurt reduc decreas degrad lower harm worsen impair diminish drop declin",
    "large big huge substantial considerable significant",
    "small little minor slight modest",
    "model network architecture system",
    "task problem",
    "data dataset corpus",
    "train fine-tun learn",
    "evaluat test assess measur benchmark",
    "patient subject participant individual case",
    "study trial analysis experiment investigation",
    "virus viral",
    "effect impact influence",
    "propos present introduc describ",
    "yield obtain achiev produc give lead attain reach deliver",
    "get receiv",
    "perform accuracy score",
    "significant substantial notabl marked consider",
)
SYNONYMS: dict[str, frozenset[str]] = {}
for _g in _SYNONYM_GROUPS:
    _ws = frozenset(_g.split())
    for _w in _ws:
        SYNONYMS[_w] = SYNONYMS.get(_w, frozenset()) | _ws

_ANTONYM_PAIRS = (
    ("increas", "decreas"),
    ("increas", "reduc"),
    ("rais", "lower"),
    ("higher", "lower"),
    ("more", "less"),
    ("more", "fewer"),
    ("positive", "negative"),
    ("improv", "worsen"),
    ("improv", "degrad"),
    ("improv", "hurt"),
    ("better", "worse"),
    ("best", "worst"),
    ("gain", "loss"),
    ("larger", "smaller"),
    ("greater", "smaller"),
    ("high", "low"),
    ("long", "short"),
    ("early", "late"),
    ("before", "after"),
    ("outperform", "underperform"),
    ("strong", "weak"),
    ("stronger", "weaker"),
    ("effective", "ineffective"),
    ("safe", "unsafe"),
    ("present", "absent"),
    ("maximum", "minimum"),
    ("upper", "lower"),
    ("success", "failure"),
    ("accept", "reject"),
    ("rise", "fall"),
    ("up", "down"),
    ("inhibit", "promot"),
    ("activat", "inhibit"),
    ("children", "adult"),
    ("male", "female"),
    ("men", "women"),
)


def _antonym_key(word: str) -> str:
    return stem(word.lower())


ANTONYMS: frozenset[frozenset[str]] = frozenset(
    frozenset({_antonym_key(a), _antonym_key(b)}) for a, b in _ANTONYM_PAIRS
)


def synonyms(a: str, b: str) -> bool:
    """Two stems a paraphrase may exchange (same group in the small table above)."""
    return any(b.startswith(x) or x.startswith(b) for x in SYNONYMS.get(a, ())) or any(
        a.startswith(x)
        for g in (SYNONYMS.get(k, frozenset()) for k in SYNONYMS if b.startswith(k))
        for x in g
    )


def antonyms(a: str, b: str) -> bool:
    """Two stems whose exchange reverses a claim (increase/decrease, more/less, higher/lower, positive/negative)."""
    return frozenset({a, b}) in ANTONYMS or any(
        a.startswith(x) and b.startswith(y) or a.startswith(y) and b.startswith(x)
        for x, y in (tuple(p) for p in ANTONYMS if len(p) == 2)
    )


# Irregular verb forms: "led" is "lead", "found" is "find". A swap detector that compares stems would otherwise read
# an inflection as another word ("did not lead" vs "nor ... led"). Each line: the base form, then its other forms.
_IRREGULAR = """
lead led leads leading; find found finds finding; show shown showed shows showing; see saw seen sees seeing;
take took taken takes taking; give gave given gives giving; make made makes making; hold held holds holding;
bring brought brings bringing; run ran runs running; grow grew grown grows growing; rise rose risen rises rising;
fall fell fallen falls falling; begin began begun begins beginning; choose chose chosen chooses choosing;
write wrote written writes writing; get got gotten gets getting; go went gone goes going; have has had having;
do does did done doing; be is are was were been being am; keep kept; leave left; feel felt; mean meant;
meet met; pay paid; say said; sell sold; send sent; spend spent; build built; teach taught; think thought;
buy bought; catch caught; seek sought; fight fought; know knew known; draw drew drawn; drive drove driven;
break broke broken; speak spoke spoken; wear wore worn; forget forgot forgotten; become became; come came;
lose lost; win won; tell told; understand understood; stand stood; hide hid hidden; shake shook shaken;
throw threw thrown; fly flew flown; eat ate eaten; beat beaten; bear bore borne; undergo underwent undergone;
outgrow outgrew outgrown; overtake overtook overtaken; withdraw withdrew withdrawn; arise arose arisen
"""
IRREGULAR: dict[str, str] = {}
for _line in _IRREGULAR.split(";"):
    _forms = _line.split()
    if _forms:
        for _f in _forms:
            IRREGULAR.setdefault(_f, _forms[0])
            IRREGULAR.setdefault(stem(_f), stem(_forms[0]))


def lemma(word: str) -> str:
    """The stem of a word's base form when it is an irregular verb form ("led" -> stem of "lead"), else its stem.
    Accepts a word or a stem."""
    w = word.lower()
    if w in IRREGULAR:
        return stem(IRREGULAR[w])
    s = stem(w)
    return IRREGULAR.get(s, s)


def same_lemma(a: str, b: str) -> bool:
    """Two words (or stems) that are forms of the same irregular verb, or share a stem."""
    return lemma(a) == lemma(b)
