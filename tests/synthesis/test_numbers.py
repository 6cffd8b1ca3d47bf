"""Numbers in scientific prose: exact values, units, what they measure; property tests on hostile input."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from synthesis.numbers import comparable, parse_numbers, values_match


def one(text: str):
    qs = comparable(parse_numbers(text))
    assert len(qs) == 1, qs
    return qs[0]


def test_abstract_squad_result_points_and_measure():
    q = one(
        "Using SQuAD for intermediate training achieves the best results across target tasks, with an average "
        "improvement of 8.4 points on development sets."
    )
    assert q.value == 8.4 and q.text == "8.4" and q.unit == "points" and q.measures == "average improvement"


def test_point_improvement_written_after_the_number():
    q = one("we obtain a 6.1 point improvement over XLM-R Large")
    assert (q.value, q.unit, q.measures) == (6.1, "points", "improvement")


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("ANLI+ has 1,104,934 training examples", 1104934.0),
        ("QQP 363,846", 363846.0),
        ("lr 3e-6", 3e-6),
        ("a learning rate of 1e-5", 1e-5),
        ("5E-06", 5e-6),
        ("3 × 10−6", 3e-6),
        ("3x10^-6", 3e-6),
        ("2.5e+3 steps", 2500.0),
        ("2 million sentences", 2e6),
        ("a 550m-parameter model", 550e6),
        ("−0.5 on XNLI", -0.5),
        ("ANLI+ - 0.8 + 0.4", -0.8),
    ],
)
def test_exact_values(text, value):
    q = comparable(parse_numbers(text))[0]
    assert q.value == pytest.approx(value, rel=1e-12)


def test_learning_rate_measure_and_percent_unit():
    lr = one("We use a learning rate of 3e-6 for all runs")
    assert lr.measures == "learning rate" and lr.value == 3e-6
    acc = one("an accuracy of 85.3% on the test set")
    assert acc.unit == "%" and acc.measures == "accuracy"


def test_counts_and_what_they_count():
    qs = comparable(
        parse_numbers(
            "Using a set of 7 intermediate language understanding tasks, we evaluate on 9 target tasks"
        )
    )
    assert [(q.value, q.kind) for q in qs] == [(7.0, "count"), (9.0, "count")]
    assert qs[0].measures == "intermediate language understanding tasks"
    assert one("seven different intermediate tasks").value == 7.0


def test_years_citations_and_names_are_not_measurements():
    qs = parse_numbers("(Hu et al., 2020) use SQuAD version 1.1, see Section 3 and GPT-3; Llama-2 models")
    assert all(q.kind != "measure" for q in qs), qs
    assert comparable(qs) == []


def test_compound_number_words_are_not_counts():
    assert comparable(parse_numbers("zero-shot cross-lingual transfer, a one-to-one map")) == []
    assert comparable(parse_numbers("One might find it surprising")) == []


def test_rounding_comparison():
    assert values_match(8.4, 1, 8.43, 2)
    assert not values_match(8.4, 1, 8.5, 1)
    assert not values_match(8.4, 1, 9.4, 1)
    assert values_match(74.2, 1, 74.2, 1)


# ----------------------------------------------------------------------------------------------------- properties


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=300))
def test_never_crashes_and_spans_are_verbatim(text):
    for q in parse_numbers(text):
        a, b = q.span
        assert 0 <= a < b <= len(text)
        assert text[a:b] == q.text
        assert math.isfinite(q.value)


@settings(max_examples=200, deadline=None)
@given(st.integers(min_value=1000, max_value=10**12))
def test_thousands_separators_parse_exactly(n):
    text = f"The corpus has {n:,} examples."
    q = one(text)
    assert q.value == float(n) and q.text == f"{n:,}"


@settings(max_examples=200, deadline=None)
@given(
    st.integers(min_value=1, max_value=9),
    st.integers(min_value=1, max_value=12),
    st.sampled_from(["e-", "E-", "e−"]),
)
def test_scientific_notation_parses_exactly(mantissa, exp, sep):
    q = one(f"a learning rate of {mantissa}{sep}{exp} is used")
    assert q.value == pytest.approx(mantissa * 10.0**-exp, rel=1e-12)
    assert q.measures == "learning rate"


@settings(max_examples=200, deadline=None)
@given(st.decimals(min_value=0, max_value=1000, places=2, allow_nan=False, allow_infinity=False))
def test_decimals_round_trip(d):
    text = f"an average improvement of {d} points"
    q = one(text)
    assert q.value == pytest.approx(float(d)) and q.unit == "points"
    assert values_match(q.value, q.decimals, float(d), 2)


def test_a_count_out_of_a_total_measures_what_the_total_counts():
    # 2005.13013 p.6: gave ('8', None, 'out') and ('9', 'XTREME tasks relative') before
    qs = parse_numbers("our best models show gains in 8 out of the 9 XTREME tasks relative to both baselines")
    eight, nine = qs
    assert (eight.value, eight.kind, eight.measures, eight.of_total) == (8, "count", "XTREME tasks", 9)
    assert (nine.value, nine.measures) == (9, "XTREME tasks")
    three = parse_numbers("three of the four tasks improve")[0]
    assert (three.value, three.of_total, three.measures) == (3, 4, "tasks")


def test_citation_years_and_table_references_are_not_quantities():
    qs = parse_numbers(
        "as reported by Hu et al. (2020) in Table 2 and Figure 1 (Hu et al., 2020); see Appendix 3"
    )
    assert [q.kind for q in qs] == ["citation", "reference", "reference", "citation", "reference"]
    assert comparable(qs) == []
