"""Question facets (reports/report/facets.py) and facet evidence matching: the two sample questions, and hostile
input for the parser (hypothesis)."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from reports.report.evidence import Sentence, facet_evidence
from reports.report.facets import parse_question, stem, words

Q000 = (
    "How does the effectiveness of intermediate-task training vary across different language families in the "
    "XTREME benchmark when scaling model size?"
)
Q003 = (
    "What is the impact of combining multiple English intermediate language-understanding tasks (e.g., syntactic "
    "and semantic tasks) on the robustness of cross-lingual transfer in the PAWS-X task compared to single-task "
    "intermediate training?"
)


def test_sample_000_facets() -> None:
    q = parse_question(Q000)
    assert [(f.label, f.role, f.phrase) for f in q.facets] == [
        ("effectiveness of intermediate-task training", "subject", ["intermediate", "task", "train"]),
        ("different language families", "dimension", ["language", "family"]),
        ("scaling model size", "condition", ["model", "size"]),
    ]
    assert q.scope == ["xtreme"]


def test_sample_003_facets() -> None:
    q = parse_question(Q003)
    assert [(f.role, f.label) for f in q.facets] == [
        ("subject", "impact of combining multiple English intermediate language-understanding tasks"),
        ("outcome", "robustness of cross-lingual transfer"),
        ("comparison", "single-task intermediate training"),
    ]
    assert q.scope == ["paws"]


def test_an_effect_verb_splits_subject_and_outcome() -> None:
    q = parse_question("Does dropout help small transformers?")
    assert [(f.role, f.phrase) for f in q.facets] == [
        ("subject", ["dropout"]),
        ("outcome", ["small", "transformer"]),
    ]
    q = parse_question("Dropout in small transformers")
    assert [(f.role, f.phrase) for f in q.facets] == [("subject", ["dropout", "small", "transformer"])]


def _sentence(text: str, page: int = 1) -> Sentence:
    return Sentence("p", page, 0, len(text), text, "Results", [stem(w) for w in words(text)])


def test_status_needs_the_facet_named_not_its_words_apart() -> None:
    q = parse_question(Q000)
    sents = [
        _sentence("Intermediate-task training improves XTREME results by 5 points."),
        _sentence("We find that intermediate-task training helps on 8 of 9 tasks."),
        _sentence(
            "We use a batch size of 32 for every model in our experiments."
        ),  # size and model, far apart
        _sentence("Results vary across the 40 languages of the benchmark."),
    ]
    got = {fe.facet.label: fe.status for fe in facet_evidence(q, sents)}
    assert got == {
        "effectiveness of intermediate-task training": "answered",
        "different language families": "partly answered",
        "scaling model size": "not answered",
    }
    sents.append(_sentence("Gains grow with model size: the large model gains 3 points more."))
    sents.append(_sentence("Larger model sizes help most on low-resource languages."))
    got = {fe.facet.label: fe.status for fe in facet_evidence(q, sents)}
    assert got["scaling model size"] == "answered"


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=300))
def test_parse_question_never_raises(text: str) -> None:
    q = parse_question(text)
    ids = [f.id for f in q.facets]
    assert len(ids) == len(set(ids))
    for f in q.facets:
        assert f.phrase and all(f.phrase)
        assert f.role in ("subject", "dimension", "condition", "comparison", "outcome")


@settings(max_examples=100, deadline=None)
@given(
    st.lists(
        st.sampled_from(
            [
                "how",
                "does",
                "the",
                "effect",
                "of",
                "X-ray",
                "training",
                "vary",
                "across",
                "when",
                "scaling",
                "compared",
                "to",
                "in",
                "the",
                "benchmark",
                "on",
                "(e.g.,",
                ")",
                "model",
                "size",
                "?",
                "languages",
                "impact",
            ]
        ),
        max_size=30,
    )
)
def test_parse_question_on_connective_soup(tokens: list[str]) -> None:
    q = parse_question(" ".join(tokens))
    for f in q.facets:
        assert set(f.phrase) <= {stem(w) for w in words(" ".join(tokens))}
