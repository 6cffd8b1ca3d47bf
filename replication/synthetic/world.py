"""A seeded synthetic world: an English-like language and fake languages in families, with disjoint vocabularies.

Why: the replication harness must show a real zero-shot cross-lingual transfer effect on a CPU in minutes. Real
XLM-R learns aligned representations from monolingual MLM over many languages without parallel data; this world
reproduces that setting in miniature. Every language expresses the same meanings drawn from the same distribution
(a small lexicon with semantic attributes and a grammar of clauses with modifiers), so a small MLM trained on all of
them at once can align them through shared structure alone.

- English (``en``) uses real English words in subject-verb-object order.
- A fake language is a bijective relabelling of the English lexicon into invented word forms written in its own
  script (Greek, Cyrillic, Armenian, ... letters), so no two languages share a word or even a character: the only
  shared tokens are a tokenizer's special tokens. Languages of one family derive their forms from one family
  proto-lexicon by sound changes (similar morphemes, as in a real family), then write them in different scripts.
- Family ``A`` keeps English word order; family ``B`` is the control with inverted order (each clause is read
  backwards: object-verb-subject, nouns before their adjectives), so it shares meanings but not structure.

A meaning is a list of `Clause` objects; `Language.render` turns it into `Token` objects (form, POS tag, role),
from which tasks read labels and spans. Labels come from meanings, never from surface forms, so the same meaning
rendered in two languages always has the same label.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

# ---------------------------------------------------------------------------------------------------------------
# Lexicon: English words with semantic attributes.

NOUNS: dict[str, tuple[str, ...]] = {
    "person": ("man", "woman", "boy", "girl", "king", "farmer"),
    "animal": ("dog", "cat", "bird", "horse", "cow", "fox"),
    "food": ("bread", "apple", "cake", "rice", "egg", "soup"),
    "object": ("stone", "book", "ball", "cup", "box", "key"),
    "place": ("house", "river", "garden", "forest", "city", "hill"),
}
ANIMATE = ("person", "animal")
# Adjectives by dimension; two-valued dimensions are antonym pairs. Which nouns a dimension applies to.
ADJECTIVES: dict[str, tuple[str, ...]] = {
    "size": ("big", "small"),
    "age": ("old", "young"),
    "color": ("red", "blue", "green", "white"),
    "mood": ("happy", "sad"),
}
ADJ_APPLIES: dict[str, tuple[str, ...]] = {
    "size": ("person", "animal", "food", "object", "place"),
    "age": ("person", "animal", "place"),
    "color": ("animal", "food", "object"),
    "mood": ("person", "animal"),
}
ADJ_ORDER = ("size", "age", "mood", "color")  # English prenominal order: "the big old happy red dog"
# Transitive verbs: allowed agent categories -> allowed patient categories (selectional preferences).
TRANSITIVE: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "eats": (ANIMATE, ("food",)),
    "chases": (ANIMATE, ANIMATE),
    "carries": (ANIMATE, ("food", "object")),
    "sees": (ANIMATE, ("person", "animal", "food", "object")),
    "likes": (ANIMATE, ("person", "animal", "food", "object")),
    "finds": (ANIMATE, ("animal", "food", "object")),
}
INTRANSITIVE: tuple[str, ...] = ("sleeps", "runs", "sings", "waits")
ADVERBS: tuple[str, ...] = ("quickly", "slowly", "often")
PREPOSITIONS: tuple[str, ...] = ("in", "near")
DETERMINERS: tuple[str, ...] = ("the", "a")
FUNCTION_WORDS: dict[str, str] = {
    # word -> POS tag (Universal Dependencies tags, as UD-POS uses)
    "the": "DET", "a": "DET", "is": "AUX", "and": "CCONJ", "who": "PRON", "what": "PRON", "where": "PRON",
    ".": "PUNCT", "?": "PUNCT",
}  # fmt: skip


def _lexicon() -> dict[str, str]:
    """Every English word -> its POS tag, in a fixed order (the order fixes the relabelling)."""
    lex: dict[str, str] = {}
    for words in NOUNS.values():
        lex.update({w: "NOUN" for w in words})
    for words in ADJECTIVES.values():
        lex.update({w: "ADJ" for w in words})
    lex.update({w: "VERB" for w in (*TRANSITIVE, *INTRANSITIVE)})
    lex.update({w: "ADV" for w in ADVERBS})
    lex.update({w: "ADP" for w in PREPOSITIONS})
    lex.update(FUNCTION_WORDS)
    return lex


LEXICON: dict[str, str] = _lexicon()
CATEGORY: dict[str, str] = {w: c for c, ws in NOUNS.items() for w in ws}
DIMENSION: dict[str, str] = {w: d for d, ws in ADJECTIVES.items() for w in ws}
POS_TAGS: tuple[str, ...] = tuple(sorted(set(LEXICON.values())))

# ---------------------------------------------------------------------------------------------------------------
# Meanings


@dataclass(frozen=True)
class NounPhrase:
    noun: str
    adjectives: tuple[str, ...] = ()  # in English order
    definite: bool = True

    @property
    def category(self) -> str:
        return CATEGORY[self.noun]

    def attribute(self, dimension: str) -> str | None:
        return next((a for a in self.adjectives if DIMENSION[a] == dimension), None)


@dataclass(frozen=True)
class Clause:
    """One proposition. kind: "act" (subject verb [object] [adverb] [in place]), "copula" (subject is adjective),
    or a question ("ask_subject", "ask_object", "ask_place") whose answer is left out of the rendering."""

    subject: NounPhrase
    verb: str = ""
    object: NounPhrase | None = None
    adverb: str | None = None
    place: tuple[str, NounPhrase] | None = None  # (preposition, place noun phrase)
    predicate: str | None = None  # copula clauses: the adjective
    kind: str = "act"


@dataclass(frozen=True)
class Token:
    form: str
    tag: str  # UD POS tag of the English word it relabels
    role: str  # "subject", "verb", "object", "adverb", "prep", "place", "predicate", "wh", "conj", "punct"
    clause: int  # index of the clause inside the rendered meaning


# ---------------------------------------------------------------------------------------------------------------
# Languages

# Latin letters the proto-forms use, and per-script letter tables they are written with (>= 19 letters each).
_CONSONANTS = "ptkbdgmnslrvz"
_VOWELS = "aeiou"
_SCRIPTS: dict[str, str] = {
    "greek": "αβγδεζηθικλμνξοπρστυφχψω",
    "cyrillic": "абвгдежзиклмнопрстуфхцчшщыэюя",
    "armenian": "աբգդեզէըթժիլխծկհձղճմյնշոչպջռսվտրցւփքօֆ",
    "georgian": "აბგდევზთიკლმნოპჟრსტუფქღყშჩცძწჭხჯჰ",
    "cherokee": "ᎠᎡᎢᎣᎤᎥᎦᎧᎨᎩᎪᎫᎬᎭᎮᎯᎰᎱᎲᎳᎴᎵᎶᎷᎸᎹᎺᎻᎼᎽᎾᎿᏀᏁᏂ",
    "runic": "ᚠᚢᚦᚨᚱᚲᚷᚹᚺᚾᛁᛃᛇᛈᛉᛊᛏᛒᛖᛗᛚᛜᛞᛟ",
    "ethiopic": "ሀለሐመሠረሰቀበተኀነአከወዐዘየደገጠጰጸፀፈፐ",
    "coptic": "ⲁⲃⲅⲇⲉⲍⲏⲑⲓⲕⲗⲙⲛⲝⲟⲡⲣⲥⲧⲩⲫⲭⲯⲱ",
}
SCRIPT_ORDER: tuple[str, ...] = tuple(_SCRIPTS)
ORDERS = ("svo", "inverted")


@dataclass(frozen=True)
class Language:
    """A language of the world: English itself or a fake relabelling of it."""

    code: str
    family: str
    order: str  # "svo" or "inverted"
    script: str  # "latin" for English
    forms: dict[str, str] = field(hash=False, compare=False)  # English word -> this language's word

    @property
    def vocabulary(self) -> frozenset[str]:
        return frozenset(self.forms.values())

    def render(self, meaning: list[Clause]) -> list[Token]:
        """The tokens of a meaning in this language (clauses joined with "and", one final mark)."""
        out: list[Token] = []
        for i, clause in enumerate(meaning):
            if i:
                out.append(Token(self.forms["and"], "CCONJ", "conj", i))
            words = _clause_words(clause)
            if self.order == "inverted":
                words = words[::-1]
            out.extend(Token(self.forms[w], LEXICON[w], role, i) for w, role in words)
        mark = "?" if meaning and meaning[-1].kind.startswith("ask_") else "."
        out.append(Token(self.forms[mark], "PUNCT", "punct", len(meaning) - 1))
        return out

    def text(self, meaning: list[Clause]) -> str:
        return " ".join(t.form for t in self.render(meaning))


def _np_words(np: NounPhrase, role: str) -> list[tuple[str, str]]:
    return [("the" if np.definite else "a", role), *((a, role) for a in np.adjectives), (np.noun, role)]


def _clause_words(c: Clause) -> list[tuple[str, str]]:
    """English word order of one clause as (word, role) pairs."""
    if c.kind == "copula":
        return [*_np_words(c.subject, "subject"), ("is", "verb"), (c.predicate or "", "predicate")]
    if c.kind == "ask_subject":
        assert c.object is not None
        return [("who", "wh"), (c.verb, "verb"), *_np_words(c.object, "object")]
    if c.kind == "ask_object":
        return [*_np_words(c.subject, "subject"), (c.verb, "verb"), ("what", "wh")]
    if c.kind == "ask_place":
        words = [*_np_words(c.subject, "subject"), (c.verb, "verb")]
        if c.object is not None:
            words += _np_words(c.object, "object")
        return [*words, ("where", "wh")]
    words = _np_words(c.subject, "subject")
    if c.adverb:
        words.append((c.adverb, "adverb"))
    words.append((c.verb, "verb"))
    if c.object is not None:
        words += _np_words(c.object, "object")
    if c.place is not None:
        prep, place = c.place
        words += [(prep, "prep"), *_np_words(place, "place")]
    return words


def _proto_forms(rng: random.Random, n: int) -> list[str]:
    """n distinct proto word forms (1-3 CV(C) syllables) from one family's phonotactics."""
    onsets = rng.sample(_CONSONANTS, 9)
    codas = rng.sample(_CONSONANTS, 3) + ["", "", ""]
    seen: set[str] = set()
    out: list[str] = []
    while len(out) < n:
        syllables = rng.choice((1, 2, 2, 2, 3))
        form = "".join(rng.choice(onsets) + rng.choice(_VOWELS) for _ in range(syllables)) + rng.choice(codas)
        if form not in seen and len(form) >= 2:
            seen.add(form)
            out.append(form)
    return out


def _sound_change(rng: random.Random, forms: list[str]) -> list[str]:
    """A daughter language: swap two consonants and shift one vowel everywhere (keeps forms distinct)."""
    a, b = rng.sample(_CONSONANTS, 2)
    v1, v2 = rng.sample(_VOWELS, 2)
    table = str.maketrans({a: b, b: a, v1: v2, v2: v1})
    changed = [f.translate(table) for f in forms]
    return changed if len(set(changed)) == len(changed) else list(forms)


def _write(form: str, table: dict[str, str]) -> str:
    return "".join(table[ch] for ch in form)


@dataclass
class World:
    seed: int
    languages: dict[str, Language]  # code -> Language, English first

    @property
    def english(self) -> Language:
        return self.languages["en"]

    @property
    def families(self) -> dict[str, tuple[str, ...]]:
        """Family name -> language codes (English forms its own family, "English")."""
        out: dict[str, list[str]] = {}
        for lang in self.languages.values():
            out.setdefault(lang.family, []).append(lang.code)
        return {k: tuple(v) for k, v in out.items()}

    def family_of(self, code: str) -> str:
        return self.languages[code].family

    @property
    def fake_languages(self) -> tuple[str, ...]:
        return tuple(c for c in self.languages if c != "en")

    def languages_with_order(self, order: str) -> tuple[str, ...]:
        return tuple(c for c, lang in self.languages.items() if c != "en" and lang.order == order)

    def describe(self) -> dict:
        """Plain summary (recorded with every demo run)."""
        return {
            "seed": self.seed,
            "lexicon_size": len(LEXICON),
            "languages": {
                c: {"family": lang.family, "order": lang.order, "script": lang.script}
                for c, lang in self.languages.items()
            },
        }


DEFAULT_FAMILIES: dict[str, tuple[str, int]] = {"A": ("svo", 2), "B": ("inverted", 2)}


def build_world(seed: int = 0, families: dict[str, tuple[str, int]] | None = None) -> World:
    """The world of one seed: English plus, per family name, (word order, number of languages) fake languages.

    Language codes are the family letter(s) lower-cased plus a number: "a1", "a2", "b1", ...
    """
    families = DEFAULT_FAMILIES if families is None else families
    n_fake = sum(n for _, n in families.values())
    if n_fake > len(_SCRIPTS):
        raise ValueError(f"at most {len(_SCRIPTS)} fake languages (one script each), asked for {n_fake}")
    rng = random.Random(f"assay-world-{seed}")
    words = list(LEXICON)
    languages = {"en": Language("en", "English", "svo", "latin", {w: w for w in words})}
    scripts = list(SCRIPT_ORDER)
    rng.shuffle(scripts)
    for family, (order, n) in families.items():
        if order not in ORDERS:
            raise ValueError(f"family {family!r}: order must be one of {ORDERS}, got {order!r}")
        proto = _proto_forms(rng, len(words))
        for k in range(1, n + 1):
            code = f"{family.lower()}{k}"
            script = scripts.pop(0)
            letters = _SCRIPTS[script]
            table = dict(
                zip(_CONSONANTS + _VOWELS, rng.sample(letters, len(_CONSONANTS + _VOWELS)), strict=True)
            )
            forms = [_write(f, table) for f in _sound_change(rng, proto)]
            languages[code] = Language(code, family, order, script, dict(zip(words, forms, strict=True)))
    return World(seed, languages)


# ---------------------------------------------------------------------------------------------------------------
# Sampling meanings (the one distribution every language shares)


class MeaningSampler:
    """Draws noun phrases and clauses that respect selectional preferences."""

    def __init__(self, rng: random.Random):
        self.rng = rng

    def noun(self, categories: tuple[str, ...]) -> str:
        return self.rng.choice(NOUNS[self.rng.choice(categories)])

    def noun_phrase(
        self, categories: tuple[str, ...], max_adjectives: int = 2, noun: str | None = None
    ) -> NounPhrase:
        noun = noun or self.noun(categories)
        dims = [d for d in ADJ_ORDER if CATEGORY[noun] in ADJ_APPLIES[d]]
        k = self.rng.choice([n for n in (0, 0, 1, 1, 2) if n <= min(max_adjectives, len(dims))])
        chosen = sorted(self.rng.sample(dims, k), key=ADJ_ORDER.index)
        return NounPhrase(
            noun, tuple(self.rng.choice(ADJECTIVES[d]) for d in chosen), self.rng.random() < 0.7
        )

    def act(self, transitive: bool | None = None, max_adjectives: int = 2) -> Clause:
        rng = self.rng
        if transitive is None:
            transitive = rng.random() < 0.8
        if transitive:
            verb = rng.choice(list(TRANSITIVE))
            agents, patients = TRANSITIVE[verb]
            subject = self.noun_phrase(agents, max_adjectives)
            obj = self.noun_phrase(patients, max_adjectives)
            while obj.noun == subject.noun:
                obj = self.noun_phrase(patients, max_adjectives)
        else:
            verb = rng.choice(INTRANSITIVE)
            subject, obj = self.noun_phrase(ANIMATE, max_adjectives), None
        adverb = rng.choice(ADVERBS) if rng.random() < 0.25 else None
        place = None
        if rng.random() < 0.35:
            place = (rng.choice(PREPOSITIONS), self.noun_phrase(("place",), 1))
        return Clause(subject, verb, obj, adverb, place)

    def copula(self) -> Clause:
        subject = self.noun_phrase(tuple(NOUNS), 1)
        dims = [d for d in ADJECTIVES if subject.category in ADJ_APPLIES[d]]
        return Clause(
            subject, "is", predicate=self.rng.choice(ADJECTIVES[self.rng.choice(dims)]), kind="copula"
        )

    def question(self) -> Clause:
        """A who / what / where question about an action."""
        c = self.act(transitive=True)
        kinds = ["ask_subject", "ask_object"] + (["ask_place"] if c.place is not None else [])
        return Clause(c.subject, c.verb, c.object, kind=self.rng.choice(kinds))

    def sentence(self) -> list[Clause]:
        """A corpus sentence: one or two clauses, mostly actions, some copulas, some questions."""
        if self.rng.random() < 0.1:
            return [self.question()]
        n = 1 if self.rng.random() < 0.75 else 2
        return [self.copula() if self.rng.random() < 0.15 else self.act() for _ in range(n)]


def corpus(
    world: World, n_sentences: int, seed: int, languages: tuple[str, ...] | None = None
) -> list[tuple[str, str]]:
    """A monolingual-per-line MLM corpus: (language, text) pairs, meanings drawn independently per line.

    No line has a translation elsewhere in the corpus (as in XLM-R's CommonCrawl data, there is no parallel text);
    languages take turns so each gets n_sentences / len(languages) lines.
    """
    langs = languages or tuple(world.languages)
    rng = random.Random(f"assay-corpus-{world.seed}-{seed}")
    sampler = MeaningSampler(rng)
    out = []
    for i in range(n_sentences):
        lang = world.languages[langs[i % len(langs)]]
        out.append((lang.code, lang.text(sampler.sentence())))
    return out
