"""Regressions of the paraphrase set and the table cell check in the verifier:

- a claim's number is "written in" a passage only as a whole number ("9.1" is not in "69.1"), so a misstated
  number in a paraphrase is a conflict, not a match;
- "with no training data" says what "without training data" does (no negation conflict between them);
- a passage the cross-encoder reads as "the same statement" but that gives another number or name is reported by
  :func:`passage_conflicts` (the model is blind to both);
- a contradiction is read from one sentence, never from a window whose neighbour happens to negate something;
- a numeric claim the text leaves unsettled is decided by the table cell it names, quoted as "Table 2, row ...,
  column ...: value"; the text, where it settles a claim, is not overturned by a cell.
"""

from __future__ import annotations

import pytest

from synthesis.papers import get_pages
from synthesis.retrieval import inline_units
from synthesis.semtabfacts import TableStatement, cell_check_rates
from synthesis.settings import load_settings
from synthesis.tables import table_from_grid
from synthesis.verifier.decide import decide
from synthesis.verifier.reading import negates, read
from synthesis.verifier.rules import compare, passage_conflicts, written_in
from synthesis.verifier.table_cells import table_rates
from synthesis.verify import verify_claims


@pytest.mark.parametrize(
    ("number", "text", "written"),
    [
        ("9.1", "an average score of 69.1 across tasks", False),
        ("9.1", "a mean gain of 9.1 points", True),
        ("9.1", "the gain is 9.1.", True),
        ("600", "1,600 sentences", False),
        ("6", "16 tasks", False),
        ("6", "tasks 6, 7 and 8", True),
        ("1.2", "1.25 points", False),
        ("2 million", "2-million sentences", True),
        ("1,000", "1,000 steps", True),
    ],
)
def test_a_number_is_written_only_as_a_whole_number(number, text, written):
    assert written_in(number, text) is written


def test_a_number_inside_another_is_a_conflict_not_a_match():
    """Regression: "9.1 points" was taken as written in a sentence with "69.1", so the misstated gain was no
    conflict."""
    claim = read("The best models attain a mean gain of 9.1 points over the baseline of 69.1.")
    unit = inline_units(["The best models attain a mean gain of 6.1 points over the baseline of 69.1."])[0]
    chk = compare(claim, unit, {})
    assert [q.text for q in chk.nums_unmatched] == ["9.1"]
    assert chk.num_conflict


def test_a_count_does_not_round_to_a_measure():
    """Regression: "9.1 points" matched "the 9 XTREME tasks" up to rounding, so a misstated gain went unnoticed."""
    claim = read("Our best models on XTREME give a mean gain of 9.1 points.")
    unit = inline_units(
        ["Our best models show gains in 8 out of the 9 XTREME tasks, a 6.1 point improvement over 68.1."]
    )[0]
    chk = compare(claim, unit, {})
    assert [q.text for q in chk.nums_unmatched] == ["9.1"] and chk.num_conflict
    assert passage_conflicts(claim, unit) == (["9.1"], [])


def test_with_no_is_without():
    a = read("BUCC and Tatoeba, the two sentence retrieval tasks without training data, benefit universally.")
    b = read("BUCC and Tatoeba, the two sentence retrieval tasks with no training data, benefit universally.")
    shared = a.wordset & b.wordset
    assert bool(negates(a, shared)) == bool(negates(b, shared))
    src = inline_units([b.text])
    assert decide(a.text, src, None).label == "supported"


def test_passage_conflicts_name_the_changed_number_and_name():
    unit = inline_units(
        ["Evaluating our best models on XTREME yields an average improvement of 6.1 points."]
    )[0]
    assert passage_conflicts(read("Our best models on XTREME give a mean gain of 9.1 points."), unit) == (
        ["9.1"],
        [],
    )
    assert passage_conflicts(read("Our best models on XTREME give a mean gain of 6.1 points."), unit) == (
        [],
        [],
    )
    unit = inline_units(["We use SQuAD version 1.1."])[0]
    assert passage_conflicts(read("The authors use version 1.1 of HellaSwag."), unit) == ([], ["hellaswag"])
    # Two of the claim's names missing: the passage is about something else, not a swap.
    unit = inline_units(["Image classification models are evaluated on CIFAR-10 with ResNet backbones."])[0]
    assert passage_conflicts(read("HyperLlama was evaluated on the ImageNet benchmark."), unit) == ([], [])


def test_cell_check_rates_are_smoothed_precisions():
    t = table_from_grid(
        [["Model", "Acc"], ["A", "80.1"], ["B", "75.0"]], label="Table 1", caption="Accuracy.", page=1
    )
    st = [
        TableStatement("1", "A has an accuracy of 80.1.", t, "supported", "", "doc"),
        TableStatement("2", "B has an accuracy of 75.0.", t, "supported", "", "doc"),
        TableStatement("3", "A has an accuracy of 70.0.", t, "refuted", "", "doc"),
        TableStatement("4", "B has an accuracy of 81.0.", t, "supported", "", "doc"),
    ]
    r = cell_check_rates(st)
    assert r["match_counts"] == {"decided": 2, "right": 2} and r["match"] == pytest.approx(3 / 4)
    assert r["mismatch_counts"] == {"decided": 2, "right": 1} and r["mismatch"] == pytest.approx(2 / 4)
    assert table_rates({"table": r}) == {"match": r["match"], "mismatch": r["mismatch"]}
    assert table_rates(None) == {}


# ------------------------------------------------------------------------------------------ against the paper


@pytest.fixture(scope="module", params=["rules", "model"])
def settings(request, tmp_path_factory):
    """The rules alone and the shipped model: the table cell decides the same way in both."""
    home = tmp_path_factory.mktemp("h")
    if request.param == "rules":
        return load_settings(home, offline=True, embedding_model="none", verifier_model="none")
    from synthesis.crossencoder import shipped_model_dir

    if shipped_model_dir() is None:
        pytest.skip("the shipped verifier model is not installed")
    return load_settings(home, offline=True, embedding_model="none")


def _verify(store, settings, texts: dict[str, str]) -> dict[str, dict]:
    claims = [{"id": k, "text": t} for k, t in texts.items()]
    return {v["id"]: v for v in verify_claims(store, settings, claims, ["2005.13013v1"])}


def test_the_table_cell_a_claim_names_decides_what_the_text_leaves_open(corpus_store, settings):
    v = _verify(
        corpus_store,
        settings,
        {
            "right": "Intermediate training on QQP without MLM lowers NER F1 by 6.9 points.",
            "wrong": "Intermediate training on QQP without MLM lowers NER F1 by 4.9 points.",
            "rows": "QQP has 463,846 training examples.",
            "hours": "Intermediate-task training on SQuAD takes 12 hours on a single V100 GPU.",
            "abstract": "Using SQuAD for intermediate training achieves the best results across target tasks, "
            "with an average improvement of 8.4 points on development sets.",
        },
    )
    right, wrong, rows, hours, abstract = (v[k] for k in ("right", "wrong", "rows", "hours", "abstract"))
    assert right["label"] == "supported" and wrong["label"] == "refuted", (right["reasons"], wrong["reasons"])
    assert rows["label"] == "refuted", rows["reasons"]  # Table 1 gives QQP 363,846 training examples
    cell = right["evidence"][0]
    assert cell["kind"] == "table-cell" and cell["table"] == "Table 2"
    assert cell["quote"].startswith("Table 2, row QQP") and "column NER F1: - 6.9" in cell["quote"]
    assert right["table_check"]["status"] == "match" and 0.5 < right["confidence"] < 1.0
    assert "the table cell the claim names decides it" in right["reasons"][0]
    pages = get_pages(corpus_store, "2005.13013v1")
    assert pages[cell["page"] - 1][cell["char_start"] : cell["char_end"]] == cell["cell_text"]
    assert wrong["table_check"]["status"] == "mismatch" and rows["table_check"]["status"] == "mismatch"
    assert "363,846" in rows["table_check"]["citation"]
    # "12 hours" is no misstated count of training examples: the |Train| column is not a rival value.
    assert "table_check" not in hours and hours["label"] == "not_enough_info", hours["reasons"]
    # The abstract says 8.4 where Table 2 prints + 8.3: the text settles the claim; the cell is only reported.
    assert abstract["label"] == "supported", abstract["reasons"]
    assert all(e.get("kind") != "table-cell" for e in abstract["evidence"])


def test_fit_combiner_without_sem_tab_facts_keeps_no_rates(tmp_path, monkeypatch):
    """Regression: a missing SEM-TAB-FACTS folder raised (AssayError) instead of leaving the rates out."""
    from synthesis.fit_combiner import _table_rates

    monkeypatch.setenv("ASSAY_SHARED", str(tmp_path / "no-shared"))
    assert _table_rates() is None
