"""replication.bind: claims to queries over run records, verdicts judged against the spread between seeds."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from replication.bind import (
    DIRECTION_ONLY,
    NOT_REPRODUCED,
    NOT_TESTABLE,
    REPRODUCED,
    UNMAPPED,
    Query,
    Vocabulary,
    bind,
    parse_claim,
)
from replication.tasks.registry import list_tasks

FAMILIES = {"en": "Indo-European", "a1": "A (same order)", "a2": "A (same order)", "b1": "B (inverted)"}


def record(base: str, inter: str, target: str, seed: int, scores: dict[str, float], metric: str = "accuracy"):
    return {
        "id": f"{base}-{inter}-{target}-{seed}", "base_model": base, "intermediate": inter,
        "intermediate_tasks": [] if inter == "none" else [inter], "target": target, "seed": seed,
        "metrics": {lang: {metric: v} for lang, v in scores.items()},
        "task": {"metrics": [metric], "families": FAMILIES}, "config": {"data_version": "v-test"},
        "hardware": {"device": "cpu"},
    }  # fmt: skip


def runs() -> list[dict]:
    """syn-squad adds 10, 11, 12 points on syn-qa (every language); syn-nli takes 1 off; a seedless retrieval."""
    out = []
    for seed, gain in ((1, 10.0), (2, 11.0), (3, 12.0)):
        base = {"en": 80.0, "a1": 50.0, "a2": 50.0, "b1": 30.0}
        out.append(record("models/mlm-all", "none", "syn-qa", seed, base))
        out.append(
            record("models/mlm-all", "syn-squad", "syn-qa", seed, {k: v + gain for k, v in base.items()})
        )
        out.append(record("models/mlm-all", "syn-nli", "syn-qa", seed, {k: v - 1 for k, v in base.items()}))
        out.append(
            record("models/mlm-all", "syn-squad", "syn-retrieval", seed, {"a1": 40.0 + seed, "b1": 20.0})
        )
    out.append(record("models/mlm-all", "none", "syn-retrieval", 1, {"a1": 30.0, "b1": 20.0}))
    return out


def verdicts(*texts: str, count=None) -> list:  # noqa: ANN001
    claims = [{"id": str(i), "text": t} for i, t in enumerate(texts)]
    return bind(claims, runs(), registry=list_tasks(), count=count)


def test_delta_claims_reproduced_direction_only_and_not_reproduced():
    b = verdicts(
        "Intermediate training on syn-squad improves syn-qa by 11 points.",
        "Intermediate training on syn-squad improves syn-qa by 25 points.",
        "Intermediate training on syn-squad lowers syn-qa by 11 points.",
        "Intermediate training on syn-nli improves syn-qa by 3.0 points.",
    )
    assert [x.verdict for x in b] == [REPRODUCED, DIRECTION_ONLY, NOT_REPRODUCED, NOT_REPRODUCED]
    first = b[0]
    assert first.measured["n"] == 3 and abs(first.measured["mean"] - 11) < 1e-9
    assert abs(first.measured["tolerance"] - 2.0) < 1e-9  # twice the sd between seeds (1.0)
    assert "n=3" in first.reason and "syn-squad" in first.query_words and "delta" in first.query_words
    assert {r["seed"] for r in first.runs} == {1, 2, 3} and len(first.runs) == 6  # treated and baseline runs


def test_absolute_score_per_family_and_direction_claims():
    b = verdicts(
        "After syn-squad, syn-qa reaches an accuracy of 61 on family A.",
        "After syn-squad, syn-qa reaches an accuracy of 61 on the inverted family.",
        "syn-nli does not improve syn-qa.",
        "syn-squad improves syn-retrieval.",
    )
    assert b[0].verdict == REPRODUCED and b[0].query.family == "A (same order)"
    assert b[1].verdict == NOT_REPRODUCED and b[1].query.family == "B (inverted)"  # 30 + 11 = 41 there
    assert b[2].verdict == REPRODUCED and b[2].query.sign == -1
    assert (
        b[3].verdict == REPRODUCED
    )  # the seedless retrieval baseline pairs with every seed: +11, +12, +13 on a1
    assert b[3].measured["n"] == 3


def test_not_testable_says_why_and_unmapped_never_guesses():
    b = verdicts(
        "Intermediate training on SQuAD improves XNLI by 2.1 points with XLM-R Large.",
        "Using syn-squad gives an average improvement of 8.4 points on development sets.",
        "syn-qa has 150 training examples.",
        "Intermediate-task training yields large improvements on syn-qa.",
        "The model has 3 layers and 64 hidden units.",
        "syn-squad improves syn-qa by 3 points and syn-retrieval by 4 points.",
    )
    assert b[0].verdict == NOT_TESTABLE and "xlm-roberta-large" in b[0].reason
    assert b[1].verdict == NOT_TESTABLE and "dev" in b[1].reason
    assert b[2].verdict == NOT_TESTABLE and "not present" in b[2].reason
    assert [x.verdict for x in b[3:]] == [UNMAPPED] * 3
    assert "intermediate" in b[3].reason and "several numbers" in b[5].reason
    assert all(x.query is None for x in b[3:])


def test_count_claims_use_the_counting_function():
    def count(task: str, split: str) -> int | None:
        return {"syn-qa": 150}.get(task) if split == "train" else None

    b = verdicts("syn-qa has 150 training examples.", "syn-qa has 1,500 training examples.", count=count)
    assert [x.verdict for x in b] == [REPRODUCED, NOT_REPRODUCED]
    assert b[1].query == Query("count", 1500.0, targets=("syn-qa",), split="train")


def test_a_claim_over_several_models_is_not_guessed():
    recs = runs() + [record("models/mlm-small", "none", "syn-qa", 1, {"en": 70.0, "a1": 40.0})]
    out = bind([{"id": "1", "text": "Without intermediate training syn-qa scores 50 on family A."}], recs)
    assert out[0].verdict == NOT_TESTABLE and "several models" in out[0].reason


def test_real_task_names_resolve_through_the_registry():
    vocab = Vocabulary.build([], list_tasks())
    q = parse_claim("Using SQuAD as the intermediate task improves XQuAD by 3.5 points.", vocab)
    assert isinstance(q, Query) and q.intermediate == ("squad_v1.1",) and q.targets == ("xquad",)
    assert q.kind == "delta" and q.claimed == 3.5 and q.decimals == 1
    q = parse_claim("ANLI+ has 1,104,934 training examples.", vocab)
    assert isinstance(q, Query) and q.kind == "count" and q.claimed == 1104934 and q.targets == ("anli_plus",)


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=200))
def test_parse_claim_never_raises_on_hostile_text(text: str):
    vocab = Vocabulary.build(runs(), list_tasks())
    q = parse_claim(text, vocab)
    assert isinstance(q, Query | str)
    if isinstance(q, Query) and q.kind != "direction":
        assert q.claimed is not None


@settings(max_examples=100, deadline=None)
@given(st.floats(min_value=-99, max_value=99, allow_nan=False).map(lambda x: round(x, 1)))
def test_any_claimed_delta_is_parsed_back_exactly(value: float):
    vocab = Vocabulary.build(runs(), list_tasks())
    q = parse_claim(f"Intermediate training on syn-squad improves syn-qa by {value} points.", vocab)
    assert isinstance(q, Query) and q.claimed == value


def test_a_noisy_delta_of_the_opposite_sign_is_not_reproduced():
    """A wide seed spread does not turn a claimed gain into 'reproduced' when the runs measure a loss."""
    recs = []
    for seed, change in ((1, -20.0), (2, 0.0), (3, 5.0)):
        recs.append(record("m", "none", "syn-mc", seed, {"en": 50.0, "a1": 50.0}))
        recs.append(record("m", "syn-squad", "syn-mc", seed, {"en": 50.0 + change, "a1": 50.0 + change}))
    out = bind([{"id": "1", "text": "syn-squad improves syn-mc by 5 points."}], recs)
    assert out[0].verdict == NOT_REPRODUCED and "opposite sign" in out[0].reason
    assert out[0].measured["tolerance"] > 10  # within the tolerance, and still not reproduced
