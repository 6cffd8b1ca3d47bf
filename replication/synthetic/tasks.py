"""Tasks of every format over the synthetic world, labelled from meanings so labels never depend on the language.

Each task draws language-independent items (meanings plus a label) from a seeded sampler and renders them into any
language of the world as the `replication.tasks.formats` example types. Test sets are the same items rendered in
every language (like XNLI, whose test sets are translations of one another); training and dev data are English.

- ``syn-nli`` (intermediate) and ``syn-xnli`` (target): pair classification, entailment / neutral / contradiction
  of "the N is ADJ" against a clause, from adjective dimensions and antonyms. The intermediate task has more data.
- ``syn-squad`` (intermediate): extractive QA like ``syn-qa`` with twenty times its English training data: it shares
  the target's skill (who / what / where spans) and, by construction, helps where the target's own data is scarce.
- ``syn-mc``: multiple choice, which of four clauses about an entity is plausible (selectional preferences).
- ``syn-qa``: extractive QA over two clauses: who did it, to what, where; the answer is a noun phrase span. Its
  English training set is deliberately scarce (150 items), so a related intermediate task has something to add.
- ``syn-pos``: token tagging with the grammar's UD POS tags.
- ``syn-retrieval``: Tatoeba-like, each sentence of a language paired with its English translation.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass

from replication.synthetic.world import (
    ADJ_APPLIES,
    ADJECTIVES,
    CATEGORY,
    DIMENSION,
    NOUNS,
    TRANSITIVE,
    Clause,
    Language,
    MeaningSampler,
    NounPhrase,
    Token,
    World,
)
from replication.tasks.formats import (
    ChoiceExample,
    Example,
    Format,
    PairExample,
    QAExample,
    RetrievalExample,
    TaggingExample,
)

NLI_LABELS = ("entailment", "neutral", "contradiction")
SPLITS = ("train", "dev", "test")


@dataclass(frozen=True)
class Item:
    """One language-independent example: the meanings a task renders and its label."""

    id: str
    parts: tuple[
        tuple[Clause, ...], ...
    ]  # meanings (premise/hypothesis, context/choices, context/question, ...)
    label: int = -1  # class / correct choice; -1 where the format has none (QA, tagging, retrieval)


# ---------------------------------------------------------------------------------------------------------------
# Samplers: one item from a random generator.


def _nli_item(s: MeaningSampler, id_: str) -> Item:
    rng = s.rng
    while True:  # the hypothesis is about the subject, which carries at least one adjective
        premise = s.act(transitive=rng.random() < 0.3)
        if premise.subject.adjectives:
            break
    np = premise.subject
    label = rng.randrange(3)
    if label == 0:  # entailment: the phrase carries the adjective
        predicate = rng.choice(np.adjectives)
    elif label == 2:  # contradiction: another value of a dimension the phrase fixes
        dim = DIMENSION[rng.choice(np.adjectives)]
        predicate = rng.choice([a for a in ADJECTIVES[dim] if a not in np.adjectives])
    else:  # neutral: a dimension the phrase leaves open
        fixed = {DIMENSION[a] for a in np.adjectives}
        open_dims = [d for d in ADJECTIVES if np.category in ADJ_APPLIES[d] and d not in fixed]
        if not open_dims:
            return _nli_item(s, id_)
        predicate = rng.choice(ADJECTIVES[rng.choice(open_dims)])
    hypothesis = Clause(NounPhrase(np.noun), "is", predicate=predicate, kind="copula")
    return Item(id_, ((premise,), (hypothesis,)), label)


def plausible(c: Clause) -> bool:
    """Whether an action respects its verb's selectional preferences (the multiple-choice label)."""
    agents, patients = TRANSITIVE[c.verb]
    return c.subject.category in agents and c.object is not None and c.object.category in patients


def _mc_item(s: MeaningSampler, id_: str, n_choices: int = 4) -> Item:
    rng = s.rng
    topic = s.noun(("person", "animal", "food", "object"))
    adjectives = [a for d, ws in ADJECTIVES.items() if CATEGORY[topic] in ADJ_APPLIES[d] for a in ws]
    context = Clause(s.noun_phrase((CATEGORY[topic],), 1, noun=topic), "is", predicate=rng.choice(adjectives),
                     kind="copula")  # fmt: skip
    label = rng.randrange(n_choices)
    choices: list[Clause] = []
    while len(choices) < n_choices:
        want = len(choices) == label
        verb = rng.choice(list(TRANSITIVE))
        other = s.noun_phrase(tuple(NOUNS), 1)
        if other.noun == topic:
            continue
        topic_np = NounPhrase(topic, (), True)
        pair = (topic_np, other) if rng.random() < 0.5 else (other, topic_np)
        clause = Clause(pair[0], verb, pair[1])
        if plausible(clause) == want:
            choices.append(clause)
    return Item(id_, ((context,), *((c,) for c in choices)), label)


def _qa_item(s: MeaningSampler, id_: str) -> Item:
    rng = s.rng
    first = s.act(transitive=True)
    second = s.act(transitive=True)
    while second.verb == first.verb or second.subject.noun == first.subject.noun:
        second = s.act(transitive=True)
    context = [first, second]
    asked = rng.randrange(2)
    c = context[asked]
    kinds = ["ask_subject", "ask_object"] + (["ask_place"] if c.place is not None else [])
    kind = rng.choice(kinds)
    question = Clause(c.subject, c.verb, c.object, kind=kind)
    if kind == "ask_subject":
        question = Clause(NounPhrase(c.subject.noun), c.verb, c.object, kind=kind)
    label = {"ask_subject": 0, "ask_object": 1, "ask_place": 2}[kind]
    return Item(id_, (tuple(context), (question,)), label * 2 + asked)  # which role of which clause


def _pos_item(s: MeaningSampler, id_: str) -> Item:
    return Item(id_, (tuple(s.sentence()),))


def _retrieval_item(s: MeaningSampler, id_: str) -> Item:
    return Item(id_, ((s.act(),),))


# ---------------------------------------------------------------------------------------------------------------
# Renderers: one item in one language -> formats example.


def _text(lang: Language, meaning: tuple[Clause, ...]) -> str:
    return lang.text(list(meaning))


def _render_pair(item: Item, lang: Language) -> PairExample:
    return PairExample(
        f"{item.id}-{lang.code}", _text(lang, item.parts[0]), _text(lang, item.parts[1]), item.label
    )


def _render_mc(item: Item, lang: Language) -> ChoiceExample:
    return ChoiceExample(
        f"{item.id}-{lang.code}",
        _text(lang, item.parts[0]),
        "",
        [_text(lang, p) for p in item.parts[1:]],
        item.label,
    )


def answer_span(tokens: list[Token], clause: int, role: str) -> tuple[int, int]:
    """Character span (start, end) in the joined text of the content words of one role of one clause."""
    starts, pos = [], 0
    for t in tokens:
        starts.append(pos)
        pos += len(t.form) + 1
    idx = [i for i, t in enumerate(tokens) if t.clause == clause and t.role == role and t.tag != "DET"]
    lo, hi = min(idx), max(idx)
    assert hi - lo + 1 == len(idx), "answer words must be contiguous"
    return starts[lo], starts[hi] + len(tokens[hi].form)


def _render_qa(item: Item, lang: Language) -> QAExample:
    context = list(item.parts[0])
    tokens = lang.render(context)
    text = " ".join(t.form for t in tokens)
    role = ("subject", "object", "place")[item.label // 2]
    start, end = answer_span(tokens, item.label % 2, role)
    return QAExample(f"{item.id}-{lang.code}", text, _text(lang, item.parts[1]), [text[start:end]], [start])


def _render_pos(item: Item, lang: Language) -> TaggingExample:
    tokens = lang.render(list(item.parts[0]))
    return TaggingExample(f"{item.id}-{lang.code}", [t.form for t in tokens], [t.tag for t in tokens])


def _render_retrieval(item: Item, lang: Language) -> RetrievalExample:
    gold = None if lang.code == "en" else f"{item.id}-en"
    return RetrievalExample(f"{item.id}-{lang.code}", _text(lang, item.parts[0]), gold)


# ---------------------------------------------------------------------------------------------------------------
# Task table


@dataclass(frozen=True)
class SyntheticTask:
    name: str
    format: Format
    role: str  # "intermediate" (English only) or "target"
    sizes: dict[str, int]  # split -> number of items
    sample: Callable[[MeaningSampler, str], Item]
    render: Callable[[Item, Language], Example]
    labels: tuple[str, ...] | None = None
    num_choices: int | None = None
    metrics: tuple[str, ...] = ("accuracy",)
    description: str = ""


SYNTHETIC_TASKS: dict[str, SyntheticTask] = {
    t.name: t
    for t in (
        SyntheticTask("syn-nli", Format.PAIR_CLASSIFICATION, "intermediate", {"train": 4000, "dev": 300},
                      _nli_item, _render_pair, NLI_LABELS,
                      description="English NLI over adjective attributes: shares no skill with the QA target"),
        SyntheticTask("syn-squad", Format.EXTRACTIVE_QA, "intermediate", {"train": 3000, "dev": 200},
                      _qa_item, _render_qa, metrics=("f1", "exact_match"),
                      description="English extractive QA with more data (the intermediate task, like SQuAD)"),
        SyntheticTask("syn-xnli", Format.PAIR_CLASSIFICATION, "target", {"train": 400, "dev": 200, "test": 300},
                      _nli_item, _render_pair, NLI_LABELS,
                      description="NLI target with a small English training set (like XNLI)"),
        SyntheticTask("syn-mc", Format.MULTIPLE_CHOICE, "target", {"train": 600, "dev": 200, "test": 300},
                      _mc_item, _render_mc, num_choices=4,
                      description="which of four clauses is plausible (selectional preferences)"),
        SyntheticTask("syn-qa", Format.EXTRACTIVE_QA, "target", {"train": 150, "dev": 200, "test": 300},
                      _qa_item, _render_qa, metrics=("f1", "exact_match"),
                      description="who / what / where over two clauses; scarce English training data (150)"),
        SyntheticTask("syn-pos", Format.TOKEN_TAGGING, "target", {"train": 400, "dev": 200, "test": 300},
                      _pos_item, _render_pos, metrics=("f1",),
                      description="UD POS tags of the grammar (seqeval chunk F1, as UD-POS in XTREME)"),
        SyntheticTask("syn-retrieval", Format.RETRIEVAL, "target", {"test": 200},
                      _retrieval_item, _render_retrieval,
                      description="Tatoeba-like: nearest English neighbour by cosine of mean-pooled states"),
    )
}  # fmt: skip


def items(task: str, split: str, seed: int = 0, n: int | None = None) -> list[Item]:
    """The language-independent items of one split (deterministic in task, split and seed)."""
    spec = SYNTHETIC_TASKS[task]
    if split not in spec.sizes:
        raise KeyError(f"{task} has no {split} split (it has {', '.join(spec.sizes)})")
    sampler = MeaningSampler(random.Random(f"assay-task-{task}-{split}-{seed}"))
    count = spec.sizes[split] if n is None else n
    return [spec.sample(sampler, f"{task}-{split}-{i}") for i in range(count)]


def examples(world: World, task: str, split: str, lang: str = "en", n: int | None = None) -> list[Example]:
    """A split of a task rendered in one language. Training and dev data exist in English only."""
    if split != "test" and lang != "en":
        raise ValueError(f"{task}: {split} data is English only (zero-shot transfer), asked for {lang!r}")
    spec = SYNTHETIC_TASKS[task]
    language = world.languages[lang]
    return [spec.render(item, language) for item in items(task, split, world.seed, n)]


def chance(task: str) -> float | None:
    """Score of a uniform guess on the 0-1 scale where one is defined (classification, choice, retrieval).

    None for QA and tagging: there a model that ignores the words still scores well above zero from positions
    alone, so the reference for those tasks is the controls, not a number.
    """
    spec = SYNTHETIC_TASKS[task]
    if spec.labels:
        return 1 / len(spec.labels)
    if spec.num_choices:
        return 1 / spec.num_choices
    if spec.format == Format.RETRIEVAL:
        return 1 / spec.sizes["test"]
    return None
