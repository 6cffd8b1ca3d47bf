"""Single-word swaps: a claim that replaces one content word or short phrase of an otherwise matching source
sentence is refuted; paraphrases (synonyms, inflections, spelling variants, reordered clauses, "we" vs "the
authors") stay supported."""

from __future__ import annotations

import pytest

from synthesis.entities import antonyms, stem, synonyms
from synthesis.retrieval import inline_units
from synthesis.verifier.decide import decide
from synthesis.verifier.swaps import find_swap

SOURCE = (
    "QQP significantly improves sentence retrieval tasks performance but has broadly negative transfer to "
    "the remaining target tasks."
)


def label(claim: str, *evidence: str) -> tuple[str, list[str]]:
    d = decide(claim, inline_units(list(evidence)), None)
    return d.label, d.reasons


@pytest.mark.parametrize(
    ("claim", "source", "claim_span", "unit_span"),
    [
        # a lowercase phrase naming the wrong task group (holdout-06)
        (
            "QQP significantly improves question answering tasks performance but has broadly negative transfer to the "
            "remaining target tasks.",
            SOURCE,
            "question answering",
            "sentence retrieval",
        ),
        # a plain substitution of the population
        (
            "The booster reduces hospital admissions in vaccinated adults during the winter season.",
            "The booster reduces hospital admissions in vaccinated children during the winter season.",
            "adults",
            "children",
        ),
        # the salient part of a hyphenated name
        (
            "Measuring chs-cov-2 neutralizing antibody activity using pseudotyped viruses in cell culture",
            "Measuring SARS-CoV-2 neutralizing antibody activity using pseudotyped viruses in cell culture",
            "chs",
            "SARS",
        ),
    ],
)
def test_swapped_word_or_phrase_is_refuted(claim, source, claim_span, unit_span):
    swap = find_swap(claim, source)
    assert swap is not None and swap.claim_span == claim_span and swap.unit_span == unit_span
    lab, reasons = label(claim, source)
    assert lab == "refuted"
    # the reason names both sides (the entity check words it for names, the swap check for other words)
    assert any(claim_span in r and unit_span in r for r in reasons), reasons


def test_antonym_swap_is_refuted_and_most_salient():
    claim = "The new drug increases viral clearance in hospitalised patients with severe disease."
    source = "The new drug decreases viral clearance in hospitalised patients with severe disease."
    swap = find_swap(claim, source)
    assert swap is not None and swap.antonym and swap.salience == 1.0
    assert label(claim, source)[0] == "refuted"
    plain = find_swap(
        "The new drug increases viral clearance in hospitalised patients with severe disease.",
        "The new drug increases viral clearance in hospitalised adults with severe disease.",
    )
    assert plain is not None and not plain.antonym and plain.salience < 1.0


@pytest.mark.parametrize(
    "claim",
    [
        SOURCE,  # verbatim
        "QQP significantly boosts sentence retrieval tasks performance but has broadly negative transfer to the "
        "remaining target tasks.",  # synonym verb
        "QQP significantly improved sentence retrieval task performance but had broadly negative transfer to the "
        "remaining target tasks.",  # inflections
    ],
)
def test_paraphrases_of_the_source_stay_supported(claim):
    assert find_swap(claim, SOURCE) is None
    assert label(claim, SOURCE)[0] == "supported"


@pytest.mark.parametrize(
    ("claim", "source"),
    [
        (
            "The authors use a gradient boosting classifier to rank candidate passages for each question.",
            "We employ a gradient boosting classifier to rank candidate passages for each question.",
        ),
        (
            "Selecting the best intermediate task model for each target task yields a 6.1 point improvement over the "
            "baseline.",
            "Selecting the best intermediate task model for each target task, we obtain a 6.1 point improvement over the "
            "baseline.",
        ),
        (
            "We analyze the modelling choices of the encoder on the development data of every language.",
            "We analyse the modeling choices of the encoder on the development data of every language.",
        ),
        (
            "HyperLlama models still underperform fine-tuned language models with full attention over few-shot examples.",
            "However, they still underperform fine-tuned language models with full attention over few-shot examples.",
        ),
        (
            "On the test set, the ensemble reaches higher accuracy than any single tree of the forest.",
            "The ensemble reaches higher accuracy than any single tree of the forest on the test set.",
        ),  # reordered
    ],
)
def test_paraphrase_pairs_are_not_swaps(claim, source):
    assert find_swap(claim, source) is None


def test_loose_or_unanchored_replacements_are_not_swaps():
    # one word for three, with little aligned around it: a rewrite, not a swap
    assert (
        find_swap(
            "Saliva antigen testing is better than the swab test for children",
            "Saliva antigen testing makes screening feasible unlike the swab test for children",
        )
        is None
    )
    # a changed number is left to the number check (rounding, units)
    assert (
        find_swap(
            "The model reaches 81.2 accuracy on the English development set of XNLI.",
            "The model reaches 81.9 accuracy on the English development set of XNLI.",
        )
        is None
    )
    # too little aligned text on either side
    assert find_swap("Masks reduce spread", "Masks increase comfort") is None


def test_swap_vocabulary_tables():
    assert synonyms(stem("uses"), stem("employs")) and synonyms(stem("yields"), stem("obtain"))
    assert not synonyms(stem("increases"), stem("decreases"))
    for a, b in [("increases", "decreases"), ("more", "less"), ("higher", "lower"), ("positive", "negative")]:
        assert antonyms(stem(a), stem(b)) and antonyms(stem(b), stem(a))
    assert not antonyms(stem("uses"), stem("employs"))


class _FakeEmbedder:
    """Embeds by a fixed table: lets the test say which spans the model reads as the same meaning."""

    def __init__(self, same: set[frozenset[str]]):
        self.same = same

    def encode(self, texts):
        import numpy as np

        out = np.zeros((len(texts), 2), dtype=np.float32)
        for i in range(0, len(texts), 2):
            pair = frozenset(texts[i : i + 2])
            out[i] = [1, 0]
            out[i + 1] = [1, 0] if pair in self.same else [0, 1]
        return out


def test_embeddings_can_veto_a_paraphrase_swap_but_never_an_antonym():
    claim = "Convalescent plasma may protect against severe disease in older hospitalised patients."
    source = "Convalescent plasma may prevent severe disease in older hospitalised patients."
    units = inline_units([source])
    assert decide(claim, units, None).label == "refuted"
    same = _FakeEmbedder({frozenset({"protect against", "prevent"})})
    assert decide(claim, units, None, embedder=same).label == "supported"
    anti_claim = "Convalescent plasma may increase severe disease in older hospitalised patients."
    anti_src = "Convalescent plasma may decrease severe disease in older hospitalised patients."
    veto_all = _FakeEmbedder({frozenset({"increase", "decrease"})})
    assert decide(anti_claim, inline_units([anti_src]), None, embedder=veto_all).label == "refuted"


def test_a_looser_sentence_without_the_contested_word_does_not_outweigh_the_swap():
    claim = "Recurrent deletions in the viral spike glycoprotein drive antibody production in patients."
    evidence = [
        "Natural deletions in the viral spike glycoprotein drive antibody escape in patients.",
        "Deletions in the spike glycoprotein of the virus drive antibody responses in many patients.",
    ]
    lab, reasons = label(claim, *evidence)
    assert lab == "refuted", reasons
    # the same looser sentence alone, with no swapped sentence beside it, is judged on its own
    assert find_swap(claim, evidence[1]) is None


def test_a_title_running_into_its_author_list_is_compared_next_to_the_anchor():
    claim = "Natural deletions in the viral spike glycoprotein drive antibody production."
    unit = (
        "Natural deletions in the viral spike glycoprotein drive antibody escape Kevin R. McCarthy, Linda J. "
        "Rennick, Sham Nambulli, William G. Bain"
    )
    swap = find_swap(claim, unit)
    assert swap is not None and (swap.claim_span, swap.unit_span) == ("production", "escape")


def test_wrong_task_group_is_refuted_against_the_paper(corpus_store, tmp_path):
    """holdout-06: the paper says QQP helps sentence retrieval; a claim naming question answering was supported."""
    from synthesis.settings import load_settings
    from synthesis.verify import verify_claims

    settings = load_settings(tmp_path, offline=True, embedding_model="none", verifier_model="none")
    claims = [
        {"id": "swap", "text": SOURCE.replace("sentence retrieval", "question answering")},
        {"id": "true", "text": SOURCE},
    ]
    out = {
        v["id"]: v
        for v in verify_claims(corpus_store, settings, claims, ["2005.13013v1"], use_embeddings=False)
    }
    assert out["true"]["label"] == "supported"
    v = out["swap"]
    assert v["label"] == "refuted", v["reasons"]
    assert any('"question answering"' in r and '"sentence retrieval"' in r for r in v["reasons"])
    assert "sentence retrieval" in v["evidence"][0]["quote"]


@pytest.mark.parametrize(
    ("claim_verb", "source_verb"),
    [
        ("lead", "led"),
        ("find", "found"),
        ("show", "showed"),
        ("see", "saw"),
        ("take", "took"),
        ("give", "gave"),
        ("hold", "held"),
        ("bring", "brought"),
        ("grow", "grew"),
        ("rise", "rose"),
        ("choose", "chose"),
        ("write", "wrote"),
        ("begin", "began"),
        ("fall", "fell"),
        ("make", "made"),
    ],
)
def test_irregular_inflection_is_not_a_swap(claim_verb, source_verb):
    """An irregular past form is the same word: the claim in the present tense is not refuted by its past tense."""
    claim = (
        f"Careful curriculum pretraining will {claim_verb} stronger multilingual retrieval quality overall."
    )
    source = f"Careful curriculum pretraining {source_verb} stronger multilingual retrieval quality overall."
    assert find_swap(claim, source) is None
    assert label(claim, source)[0] != "refuted"


def test_irregular_forms_do_not_merge_different_verbs():
    from synthesis.entities import same_lemma

    assert same_lemma("led", "leads") and same_lemma("found", "finding") and same_lemma("were", "is")
    assert not same_lemma("rose", "fell") and not same_lemma("led", "found")
    # an antonym in the past tense is still a swap of meaning
    assert (
        find_swap(
            "Average prices of the cheapest listed items rise sharply during every winter season.",
            "Average prices of the cheapest listed items fall sharply during every winter season.",
        )
        is not None
    )


def test_did_not_lead_agrees_with_neither_nor_led():
    """The paper's own conclusion (2005.13013v1 p.7): "did not lead" and "neither ... nor ... led" are both
    negative, and "lead"/"led" is one verb."""
    source = (
        "However, we found that neither incorporating multilingual MLM into the intermediate-task training phase "
        "nor multi-task training led to improved transfer performance."
    )
    claim = "Multi-task training did not lead to improved transfer performance."
    assert find_swap(claim, source) is None
    assert label(claim, source)[0] == "supported"
    # a claim of the opposite polarity is refuted by the same sentence
    assert label("Multi-task training led to improved transfer performance.", source)[0] == "refuted"
