"""The synthetic world: disjoint vocabularies, families, inverted order, language-independent labels, formats."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from replication.synthetic.tasks import SYNTHETIC_TASKS, answer_span, examples, items, plausible
from replication.synthetic.world import LEXICON, POS_TAGS, MeaningSampler, build_world, corpus
from replication.tasks.formats import (
    ChoiceExample,
    Format,
    PairExample,
    QAExample,
    RetrievalExample,
    TaggingExample,
)

WORLD = build_world(0)
seeds = st.integers(min_value=0, max_value=10_000)


def test_languages_and_families():
    w = WORLD
    assert w.families == {"English": ("en",), "A": ("a1", "a2"), "B": ("b1", "b2")}
    assert w.languages_with_order("svo") == ("a1", "a2")
    assert w.languages_with_order("inverted") == ("b1", "b2")
    assert len({lang.script for lang in w.languages.values()}) == len(w.languages)


@given(seeds)
@settings(max_examples=15, deadline=None)
def test_vocabularies_are_disjoint_bijections(seed):
    w = build_world(seed)
    for lang in w.languages.values():
        assert set(lang.forms) == set(LEXICON)
        assert len(lang.vocabulary) == len(LEXICON)  # bijective
    for a, b in itertools.combinations(w.languages.values(), 2):
        assert not (a.vocabulary & b.vocabulary), (a.code, b.code)
        chars_a, chars_b = set("".join(a.vocabulary)), set("".join(b.vocabulary))
        assert not (chars_a & chars_b), (
            a.code,
            b.code,
        )  # not even a shared letter: no shared sub-word either


def test_family_members_share_form_rules():
    """Languages of one family derive from one proto-lexicon: their word lengths agree far more than across."""
    w = build_world(3)

    def agreement(x, y):
        fx, fy = w.languages[x].forms, w.languages[y].forms
        return sum(len(fx[k]) == len(fy[k]) for k in LEXICON) / len(LEXICON)

    assert agreement("a1", "a2") == 1.0 and agreement("b1", "b2") == 1.0
    assert agreement("a1", "b1") < 0.8


@given(seeds)
@settings(max_examples=25, deadline=None)
def test_inverted_order_is_really_inverted(seed):
    sampler = MeaningSampler(__import__("random").Random(seed))
    meaning = sampler.sentence()
    w = WORLD
    same, inv, en = w.languages["a1"], w.languages["b1"], w.english
    en_tokens, same_tokens, inv_tokens = en.render(meaning), same.render(meaning), inv.render(meaning)
    back = {v: k for k, v in inv.forms.items()}
    back_same = {v: k for k, v in same.forms.items()}
    assert [back_same[t.form] for t in same_tokens] == [t.form for t in en_tokens]
    for clause in range(len(meaning)):
        en_words = [t.form for t in en_tokens if t.clause == clause and t.role not in ("conj", "punct")]
        inv_words = [
            back[t.form] for t in inv_tokens if t.clause == clause and t.role not in ("conj", "punct")
        ]
        assert inv_words == en_words[::-1]
    assert [t.tag for t in inv_tokens][-1] == "PUNCT"


@pytest.mark.parametrize("task", sorted(SYNTHETIC_TASKS))
def test_labels_do_not_depend_on_the_language(task):
    spec = SYNTHETIC_TASKS[task]
    split = "test" if "test" in spec.sizes else "train"
    langs = WORLD.languages if split == "test" else ("en",)
    rendered = {lang: examples(WORLD, task, split, lang, n=40) for lang in langs}
    for lang, exs in rendered.items():
        for a, b in zip(rendered["en"], exs, strict=True):
            assert a.id.rsplit("-", 1)[0] == b.id.rsplit("-", 1)[0]
            if isinstance(a, PairExample | ChoiceExample):
                assert a.label == b.label
            if isinstance(a, TaggingExample):
                if WORLD.languages[lang].order == "svo":
                    assert a.tags == b.tags
                else:
                    assert sorted(a.tags) == sorted(b.tags) and a.tags[-1] == b.tags[-1] == "PUNCT"
            if isinstance(a, QAExample):
                en_words = a.answers[0].split()
                back = {v: k for k, v in WORLD.languages[lang].forms.items()}
                got = [back[w] for w in b.answers[0].split()]
                assert got == (en_words if WORLD.languages[lang].order == "svo" else en_words[::-1])


def test_every_format_is_present_and_well_formed():
    formats = {t.format for t in SYNTHETIC_TASKS.values()}
    assert formats == {Format.PAIR_CLASSIFICATION, Format.MULTIPLE_CHOICE, Format.EXTRACTIVE_QA,
                       Format.TOKEN_TAGGING, Format.RETRIEVAL}  # fmt: skip
    for lang in WORLD.languages:
        for ex in examples(WORLD, "syn-qa", "test", lang, n=50):
            assert ex.context[ex.answer_starts[0] :].startswith(ex.answers[0])
        for ex in examples(WORLD, "syn-pos", "test", lang, n=50):
            assert len(ex.tokens) == len(ex.tags) and set(ex.tags) <= set(POS_TAGS)
        for ex in examples(WORLD, "syn-mc", "test", lang, n=20):
            assert len(ex.choices) == 4 and 0 <= ex.label < 4
    src = examples(WORLD, "syn-retrieval", "test", "a1", n=10)
    tgt = {e.id for e in examples(WORLD, "syn-retrieval", "test", "en", n=10)}
    assert all(isinstance(e, RetrievalExample) and e.gold_id in tgt for e in src)


def test_labels_follow_the_semantics():
    for item in items("syn-mc", "train", n=100):
        choices = [p[0] for p in item.parts[1:]]
        assert [plausible(c) for c in choices].count(True) == 1 and plausible(choices[item.label])
    labels = [i.label for i in items("syn-nli", "train", n=600)]
    assert {labels.count(k) for k in range(3)} and min(labels.count(k) for k in range(3)) > 150  # balanced


def test_entailment_and_contradiction_read_the_premise():
    from replication.synthetic.world import ADJECTIVES, DIMENSION

    for item in items("syn-xnli", "train", n=200):
        premise, hyp = item.parts[0][0], item.parts[1][0]
        phrase = premise.subject
        assert phrase.noun == hyp.subject.noun
        if item.label == 0:
            assert hyp.predicate in phrase.adjectives
        elif item.label == 2:
            assert hyp.predicate not in phrase.adjectives
            assert any(DIMENSION[a] == DIMENSION[hyp.predicate] for a in phrase.adjectives)
            assert hyp.predicate in ADJECTIVES[DIMENSION[hyp.predicate]]


def test_training_data_is_english_only():
    with pytest.raises(ValueError, match="English only"):
        examples(WORLD, "syn-xnli", "train", "a1")


@given(seeds)
@settings(max_examples=10, deadline=None)
def test_deterministic_by_seed(seed):
    assert build_world(seed).languages["b2"].forms == build_world(seed).languages["b2"].forms
    w = build_world(seed)
    assert corpus(w, 20, seed) == corpus(w, 20, seed)
    assert examples(w, "syn-qa", "test", "a2", n=5) == examples(w, "syn-qa", "test", "a2", n=5)
    assert build_world(seed).languages["a1"].forms != build_world(seed + 1).languages["a1"].forms


def test_corpus_covers_every_language_without_parallel_lines():
    lines = corpus(WORLD, 500, seed=0)
    assert {lang for lang, _ in lines} == set(WORLD.languages)
    en = [t for lang, t in lines if lang == "en"]
    a1_back = {v: k for k, v in WORLD.languages["a1"].forms.items()}
    a1_as_en = {" ".join(a1_back[w] for w in t.split()) for lang, t in lines if lang == "a1"}
    assert len(set(en) & a1_as_en) < 0.2 * len(en)  # independent draws, not translations


def test_answer_span_rejects_nothing_contiguous():
    ex = examples(WORLD, "syn-qa", "test", "b1", n=1)[0]
    assert ex.answers[0] in ex.context
    tokens = WORLD.languages["b1"].render(list(items("syn-qa", "test", n=1)[0].parts[0]))
    start, end = answer_span(tokens, 0, "subject")
    assert end > start


def test_world_tokenizer_keeps_words_whole_and_languages_disjoint(tmp_path):
    from replication.tiny import build_tokenizer

    lines = [t for _, t in corpus(WORLD, 5000, seed=0)]
    tok = build_tokenizer(lines, None, tmp_path / "tok", whole_words=True)
    vocab_of = {}
    for code, lang in WORLD.languages.items():
        text = " ".join(sorted(lang.vocabulary))
        pieces = tok.tokenize(text)
        assert len(pieces) == len(lang.vocabulary)  # one piece per word
        vocab_of[code] = set(pieces)
    for a, b in itertools.combinations(vocab_of.values(), 2):
        assert not (a & b)
    ids = tok("the dog", "the cat")["input_ids"]
    assert ids[0] == tok.cls_token_id and ids.count(tok.sep_token_id) == 3
    assert tok.tokenize("zzq") and "<unk>" not in tok.tokenize("qqq")  # unseen words fall back to characters


def test_one_tokenizer_builder_both_modes_share_the_xlmr_shape(tmp_path):
    """The trained and the whole-word tokenizer differ only in their pieces: same specials, templates, decoding."""
    from replication.tiny import SPECIAL_TOKENS, build_tokenizer

    lines = [t for _, t in corpus(WORLD, 400, seed=0, languages=("en",))]
    trained = build_tokenizer(lines, 300, tmp_path / "trained")
    whole = build_tokenizer(lines, None, tmp_path / "whole", whole_words=True)
    for tok in (trained, whole):
        assert tok.convert_ids_to_tokens(list(range(len(SPECIAL_TOKENS)))) == list(SPECIAL_TOKENS)
        enc = tok("the dog", "the cat")["input_ids"]
        assert enc[0] == tok.cls_token_id and enc.count(tok.sep_token_id) == 3
        assert tok.decode(tok("the dog")["input_ids"], skip_special_tokens=True) == "the dog"
    sentence = lines[0]
    assert len(whole.tokenize(sentence)) == len(sentence.split())  # whole words
    assert len(trained.tokenize(sentence)) > len(sentence.split())  # the trainer's letter-level pieces
    with pytest.raises(ValueError):
        build_tokenizer(lines, None, tmp_path / "x")


def test_planted_truth_is_built_into_the_tasks():
    """Issue 10: the planted effects name real tasks and encoders, and the world builds them in: the related
    intermediate task samples the QA target's own items with far more data, the unrelated one shares no format."""
    from replication.synthetic.demo import BASES, TARGETS
    from replication.synthetic.tasks import SYNTHETIC_TASKS
    from replication.synthetic.truth import PLANTED

    for effect in PLANTED:
        for arm in (effect.treatment, effect.control):
            assert arm.base in BASES and set(arm.targets) <= set(TARGETS), effect
            assert arm.intermediate == "none" or SYNTHETIC_TASKS[arm.intermediate].role == "intermediate"
    squad, qa, nli = SYNTHETIC_TASKS["syn-squad"], SYNTHETIC_TASKS["syn-qa"], SYNTHETIC_TASKS["syn-nli"]
    assert squad.sample is qa.sample and squad.render is qa.render  # the same skill, by construction
    assert squad.sizes["train"] >= 10 * qa.sizes["train"]  # the target's own data is scarce
    assert nli.format != qa.format and nli.sample is not qa.sample  # the unrelated task shares neither
