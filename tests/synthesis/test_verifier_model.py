"""The shipped verifier model in the loop: paraphrases the rules miss are supported, swapped names and numbers stay
refuted, quotes stay verbatim (also when evidence spans two sentences), verdicts keep their typed contract."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from synthesis.crossencoder import shipped_model_dir
from synthesis.evaluation import read_jsonl
from synthesis.papers import get_pages
from synthesis.settings import load_settings
from synthesis.verdicts import Verdict
from synthesis.verify import verify_claims

DATA = Path(__file__).resolve().parents[1] / "data"

pytestmark = pytest.mark.skipif(
    shipped_model_dir() is None, reason="the shipped verifier model is not installed"
)
pytest.importorskip("transformers")


def test_inline_paraphrase_supported_and_number_swap_refuted(tmp_path):
    """Fast, in the default suite: the shipped model reads a paraphrase the rules call a swap."""
    s = load_settings(tmp_path, offline=True, embedding_model="none")
    ev = [
        "Evaluating our best performing models for each target task on the XTREME benchmark yields an average "
        "improvement of 6.1 points, setting the state of the art as of writing."
    ]
    claims = [
        {
            "id": "p",
            "text": "The authors' top models for each target task give a mean gain of 6.1 points on XTREME.",
            "evidence": ev,
        },
        {
            "id": "n",
            "text": "The authors' top models for each target task give a mean gain of 16.1 points on XTREME.",
            "evidence": ev,
        },
        {
            "id": "e",
            "text": "The authors' top models for each target task give a mean gain of 6.1 points on GLUE.",
            "evidence": ev,
        },
    ]
    v = {x["id"]: x for x in verify_claims(None, s, claims, [])}
    assert v["p"]["label"] == "supported", v["p"]["reasons"]
    assert v["n"]["label"] != "supported" and v["e"]["label"] != "supported"
    for x in v.values():
        Verdict.model_validate(x)
        assert x["evidence"][0]["quote"] == ev[0]


@pytest.fixture(scope="module")
def paraphrase_run(corpus_store, tmp_path_factory):
    gold = read_jsonl(DATA / "claims_paraphrase.jsonl")
    home = tmp_path_factory.mktemp("model-home")
    claims = [{"id": g["id"], "text": g["text"]} for g in gold]
    model = load_settings(home, offline=True, embedding_model="none")
    rules = load_settings(home, offline=True, embedding_model="none", verifier_model="none")
    new = verify_claims(corpus_store, model, claims, ["2005.13013v1"])
    old = verify_claims(corpus_store, rules, claims, ["2005.13013v1"])
    return gold, new, old


@pytest.mark.slow
def test_paraphrases_the_rules_miss_are_now_supported(paraphrase_run):
    gold, new, old = paraphrase_run
    para = [i for i, g in enumerate(gold) if g["label"] == "supported"]
    assert len(para) >= 10
    new_ok = [i for i in para if new[i]["label"] == "supported"]
    old_ok = [i for i in para if old[i]["label"] == "supported"]
    missed_by_rules = [i for i in para if old[i]["label"] != "supported"]
    assert len(missed_by_rules) >= 5  # the set is one the rules get wrong
    assert len(new_ok) >= 8 and len(new_ok) > len(old_ok) + 2
    assert sum(new[i]["label"] == "supported" for i in missed_by_rules) >= 4


@pytest.mark.slow
def test_swapped_names_and_numbers_stay_refuted(paraphrase_run):
    gold, new, _ = paraphrase_run
    edits = [i for i, g in enumerate(gold) if g["label"] == "refuted"]
    assert len(edits) >= 6
    assert sum(new[i]["label"] == "refuted" for i in edits) >= len(edits) - 2
    for i in edits:
        if gold[i]["category"] == "number" and new[i]["label"] == "refuted":
            assert new[i]["confidence"] >= 0.5


@pytest.mark.slow
def test_model_verdicts_quote_verbatim_and_keep_the_contract(corpus_store, paraphrase_run):
    _, new, _ = paraphrase_run
    pages = get_pages(corpus_store, "2005.13013v1")
    two = 0
    for v in new:
        Verdict.model_validate(v)
        assert set(v["probabilities"]) == {"supported", "refuted", "not_enough_info"}
        assert v["confidence"] == pytest.approx(v["probabilities"][v["label"]], abs=1e-3)
        two += len({e["page"] for e in v["evidence"]}) == 1 and len(v["evidence"]) == 2
        for e in v["evidence"]:
            page = pages[e["page"] - 1]
            assert page[e["char_start"] : e["char_end"]] == e["quote"], e
        assert re.search(r"verifier model|no passage settles", v["reasons"][0])
    assert two >= 1  # some evidence is a window of two adjacent sentences, both quoted


def test_a_neighbours_negation_is_no_conflict(corpus_store, tmp_path):
    """Regressions of the paraphrase set, fast: the model read the window "CommonsenseQA and CosmosQA lead to
    slightly improved performance ... ANLI+ does not lead to improved performance" as contradicting a paraphrase of
    its first sentence (p=0.89), and "with no training data" as negating "without training data"."""
    s = load_settings(tmp_path, offline=True, embedding_model="none")
    claims = [
        {
            "id": "window",
            "text": "CommonsenseQA and CosmosQA give slightly better performance on the question-answering tasks.",
        },
        {
            "id": "with-no",
            "text": "BUCC and Tatoeba, the two sentence retrieval tasks without training data, benefit "
            "universally from intermediate-task training.",
        },
    ]
    v = {x["id"]: x for x in verify_claims(corpus_store, s, claims, ["2005.13013v1"])}
    for x in v.values():
        assert x["label"] == "supported", x["reasons"]
        assert "ce_ref_window" in x["signals"] and "ce_sup_clean" in x["signals"]
