"""Hand-computed cases for every metric: QA normalisation (SQuAD, MLQA per language), EM/F1, n-best extraction,
seqeval chunk F1 (merged runs), accuracy, BUCC mining and threshold sweep, Tatoeba, the benchmark average."""

from __future__ import annotations

import math
import string
from collections import Counter

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from replication import metrics as m
from replication.errors import ReplicationError
from replication.tasks import XTREME_TASKS, get_task

# ---- SQuAD v1.1 ---------------------------------------------------------------------------------------------


def test_squad_normalisation_lower_punct_articles_whitespace():
    assert m.normalize_squad("The  Quick, brown fox!") == "quick brown fox"
    assert m.normalize_squad("an apple a day") == "apple day"
    assert m.normalize_squad("theatre") == "theatre"  # articles only as whole words
    # SQuAD removes ASCII punctuation only: the guillemets stay.
    assert m.normalize_squad("«Hola»") == "«hola»"


def test_squad_f1_and_em_hand_computed():
    # pred tokens [cat, sat], gold [cat, sat, down]: P = 1, R = 2/3, F1 = 0.8
    assert m.qa_f1("the cat sat", "a cat sat down") == pytest.approx(0.8)
    assert m.qa_exact_match("The cat sat.", "cat sat") == 1.0
    assert m.qa_f1("dog", "cat") == 0.0


def test_qa_scores_max_over_golds_and_missing_prediction_scores_zero():
    golds = {"q1": ["Paris", "the city of Paris"], "q2": ["a cat sat down"], "q3": ["x"]}
    preds = {"q1": "city of Paris", "q2": "the cat sat"}  # q3 unanswered
    s = m.qa_scores(preds, golds)
    # q1: EM 1 with gold 2 ("city of paris"), q2: F1 0.8, EM 0; q3: 0.
    assert s["exact_match"] == pytest.approx(100 / 3)
    assert s["f1"] == pytest.approx(100 * (1 + 0.8 + 0) / 3)
    assert s["normalisation"] == "squad_v1.1"


def test_qa_scores_unanswerable_v2():
    s = m.qa_scores({"a": "", "b": "the", "c": "Paris"}, {"a": [], "b": [], "c": []})
    assert s["exact_match"] == pytest.approx(200 / 3)  # "the" normalises to empty: right, "Paris": wrong


def test_qa_scores_gold_that_normalises_to_nothing_is_scored_as_evaluate_v1_1():
    # evaluate-v1.1.py keeps every gold: "a" vs gold "The" is an exact match ("" == "") with F1 0 (no common
    # token); with a second gold "Paris" the EM is still the max over golds, 1. It is not an unanswerable question.
    s = m.qa_scores({"q": "a"}, {"q": ["The"]})
    assert (s["exact_match"], s["f1"]) == (100.0, 0.0)
    s = m.qa_scores({"q": "a", "r": "Paris"}, {"q": ["The", "Paris"], "r": ["the", "Paris"]})
    assert (s["exact_match"], s["f1"]) == (100.0, 50.0)


# ---- MLQA per language ---------------------------------------------------------------------------------------


def test_mlqa_english_like_squad_but_unicode_punctuation():
    assert m.normalize_mlqa("The  Quick, brown fox!", "en") == "quick brown fox"
    assert m.normalize_mlqa("«Hello» — world…", "en") == "hello world"


def test_mlqa_spanish_articles():
    assert m.normalize_mlqa("Los perros y una gata", "es") == "perros y gata"
    assert m.qa_exact_match("El perro", "perro", "es") == 1.0
    assert m.qa_exact_match("El perro", "perro") == 0.0  # SQuAD rules do not know Spanish articles
    assert m.qa_exact_match("¿«Hola»?", "hola", "es") == 1.0


def test_mlqa_german_articles():
    assert m.normalize_mlqa("Der Hund, die Katze und das Haus", "de") == "hund katze und haus"
    assert m.qa_f1("den großen Hund", "großen Hund", "de") == 1.0
    # squad: pred [den, großen, hund] gold [großen, hund]: P 2/3, R 1 -> F1 0.8
    assert m.qa_f1("den großen Hund", "großen Hund") == pytest.approx(0.8)


def test_mlqa_chinese_mixed_segmentation():
    assert m.normalize_mlqa("我爱北京 天安门。ok go", "zh") == "我 爱 北 京 天 安 门 ok go"
    # pred chars [北, 京, 大, 学], gold [北, 京]: P 1/2, R 1 -> F1 2/3; SQuAD rules see one token each -> 0
    assert m.qa_f1("北京大学", "北京", "zh") == pytest.approx(2 / 3)
    assert m.qa_f1("北京大学", "北京") == 0.0


def test_mlqa_arabic_definite_article_removed_everywhere():
    assert m.normalize_mlqa("الكتاب الجميل", "ar") == "كتاب جميل"
    assert m.qa_exact_match("الكتاب", "كتاب", "ar") == 1.0
    assert m.qa_exact_match("الكتاب", "كتاب") == 0.0


def test_mlqa_vietnamese_official_word_list_and_hindi_no_articles():
    assert m.normalize_mlqa("cái bàn của tôi", "vi") == "bàn tôi"
    assert m.normalize_mlqa("एक किताब", "hi") == "एक किताब"


def test_mlqa_scores_use_language_rules():
    s = m.qa_scores({"q": "El perro"}, {"q": ["perro"]}, lang="es")
    assert s["exact_match"] == 100.0 and s["normalisation"] == "mlqa:es"


def test_mlqa_unknown_language_is_an_error():
    with pytest.raises(ReplicationError, match="MLQA"):
        m.normalize_mlqa("x", "fr")


_text = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=40)


@settings(max_examples=150, deadline=None)
@given(_text, st.sampled_from([None, "en", "es", "de", "vi", "ar", "hi", "zh"]))
def test_normalisers_are_idempotent_and_clean(s, lang):
    norm = m.normalize_squad if lang is None else (lambda x: m.normalize_mlqa(x, lang))
    out = norm(s)
    assert norm(out) == out
    assert out == out.strip() and "  " not in out
    punct = set(string.punctuation) if lang is None else m.mlqa_punctuation()
    assert not (set(out) & punct)


@settings(max_examples=150, deadline=None)
@given(_text, _text, st.sampled_from([None, "en", "es", "de", "zh"]))
def test_f1_bounds_and_em_implies_full_f1(a, b, lang):
    f1 = m.qa_f1(a, b, lang)
    assert 0.0 <= f1 <= 1.0
    norm = m.normalize_squad(a) if lang is None else m.normalize_mlqa(a, lang)
    if m.qa_exact_match(a, b, lang) and norm:
        assert f1 == pytest.approx(1.0)


# ---- n-best span extraction -----------------------------------------------------------------------------------

CONTEXT = "Paris is the capital of France ."


def _offsets(words_from: int, n_question: int = 2) -> list[tuple[int, int] | None]:
    """[CLS] q q [SEP] then context words starting at word index words_from."""
    spans, pos = [], 0
    for w in CONTEXT.split(" "):
        spans.append((pos, pos + len(w)))
        pos += len(w) + 1
    return [None] * (n_question + 2) + spans[words_from:]


def test_extract_spans_picks_best_window_and_maps_offsets():
    # window 1: words 0..6 at token 4..10; window 2: words 3..6 at token 4..7
    f1_off, f2_off = _offsets(0), _offsets(3)
    s1 = np.full(len(f1_off), -5.0)
    e1 = np.full(len(f1_off), -5.0)
    s1[4], e1[4] = 2.0, 2.0  # "Paris" scores 4
    s2 = np.full(len(f2_off), -5.0)
    e2 = np.full(len(f2_off), -5.0)
    s2[6], e2[6] = 3.0, 3.0  # token 6 of window 2 = word 5 = "France", scores 6
    s2[1] = 50.0  # a question token: not a context token, never a start
    feats = [
        m.QAFeature("ex", f1_off, s1, e1),
        m.QAFeature("ex", f2_off, s2, e2),
    ]
    preds, nbest = m.extract_spans({"ex": CONTEXT}, feats, n_best=5)
    assert preds == {"ex": "France"}
    assert nbest["ex"][0]["score"] == pytest.approx(6.0)
    assert "Paris" in [c["text"] for c in nbest["ex"]]


def test_extract_spans_end_before_start_and_max_length_are_skipped():
    off = _offsets(0)
    s = np.full(len(off), -9.0)
    e = np.full(len(off), -9.0)
    s[8], e[5] = 5.0, 5.0  # best start after best end: invalid
    s[4], e[9] = 4.0, 3.5  # tokens 4..10 are the words "Paris is the capital of France ."
    s[7], e[7] = 0.0, 0.0  # "capital"
    preds, _ = m.extract_spans({"x": CONTEXT}, [m.QAFeature("x", off, s, e)], n_best=5, max_answer_length=30)
    # valid: (4,5) = 4+5 = 9 "Paris is", (8,9) = 5+3.5 = 8.5 "of France", (4,9) = 7.5; (8,5) is end < start
    assert preds["x"] == "Paris is"
    preds, _ = m.extract_spans({"x": CONTEXT}, [m.QAFeature("x", off, s, e)], n_best=5, max_answer_length=1)
    assert preds["x"] == "capital"


def test_extract_spans_v2_null_answer():
    off = _offsets(0)
    s = np.full(len(off), -9.0)
    e = np.full(len(off), -9.0)
    s[0], e[0] = 3.0, 3.0  # null score 6
    s[4], e[4] = 2.0, 2.0  # best span "Paris" 4
    feat = m.QAFeature("x", off, s, e)
    assert m.extract_spans({"x": CONTEXT}, [feat], version_2=True)[0]["x"] == ""
    # null - best = 2 > threshold 1 -> still null; threshold 2.5 -> the span
    assert (
        m.extract_spans({"x": CONTEXT}, [feat], version_2=True, null_score_diff_threshold=1.0)[0]["x"] == ""
    )
    assert (
        m.extract_spans({"x": CONTEXT}, [feat], version_2=True, null_score_diff_threshold=2.5)[0]["x"]
        == "Paris"
    )
    assert m.extract_spans({"x": CONTEXT}, [feat], version_2=False)[0]["x"] == "Paris"


# ---- tagging and classification -------------------------------------------------------------------------------


def test_seqeval_pos_runs_of_one_tag_merge_into_one_chunk():
    # gold chunks: NOUN(0-1), VERB(2); pred chunks: NOUN(0-2). No chunk matches: F1 = 0 while 2/3 tokens agree.
    r = m.seqeval_f1([["NOUN", "NOUN", "NOUN"]], [["NOUN", "NOUN", "VERB"]])
    assert r["f1"] == 0.0
    assert m.token_accuracy([["NOUN", "NOUN", "NOUN"]], [["NOUN", "NOUN", "VERB"]]) == pytest.approx(200 / 3)
    # gold: DET(0) NOUN(1-2) VERB(3) = 3 chunks; pred: DET(0) NOUN(1) ADJ(2) VERB(3) = 4 chunks; matched: DET, VERB
    r = m.seqeval_f1([["DET", "NOUN", "ADJ", "VERB"]], [["DET", "NOUN", "NOUN", "VERB"]])
    p, rc = 2 / 4, 2 / 3
    assert r["precision"] == pytest.approx(100 * p)
    assert r["recall"] == pytest.approx(100 * rc)
    assert r["f1"] == pytest.approx(100 * 2 * p * rc / (p + rc))


def test_seqeval_ner_iob_chunks():
    gold = [["B-PER", "I-PER", "O", "B-LOC"], ["B-ORG", "O"]]
    pred = [["B-PER", "I-PER", "O", "B-ORG"], ["B-ORG", "O"]]
    r = m.seqeval_f1(pred, gold)  # 3 gold chunks, 3 predicted, 2 right
    assert r["f1"] == pytest.approx(100 * 2 / 3)


def test_accuracy_and_length_mismatch():
    assert m.accuracy([0, 1, 2, 2], [0, 1, 1, 2]) == 75.0
    with pytest.raises(ReplicationError):
        m.accuracy([0], [0, 1])
    with pytest.raises(ReplicationError):
        m.token_accuracy([["A"]], [["A", "B"]])


# ---- retrieval -----------------------------------------------------------------------------------------------


def test_mean_pool_ignores_padding():
    hidden = np.array([[[1.0, 2.0], [3.0, 4.0], [100.0, 100.0]]])
    assert m.mean_pool(hidden, np.array([[1, 1, 0]])).tolist() == [[2.0, 3.0]]


def test_tatoeba_cosine_not_dot_product():
    src = np.array(
        [[1.0, 0.0], [10.0, 10.0], [0.0, 1.0]]
    )  # src[1] is huge: by dot product it would win often
    en = np.array([[1.0, 0.1], [1.0, 1.0], [1.0, 0.05]])
    r = m.tatoeba_accuracy(src, en)
    # English queries by cosine: en0 -> src0 (right), en1 -> src1 (right), en2 -> src0 (wrong: gold src2).
    # By dot product it would be en0 -> src1, en1 -> src1, en2 -> src1: 1/3.
    assert r["accuracy"] == pytest.approx(200 / 3)
    assert r["layer"] == 14 and r["pooling"] == "mean" and r["similarity"] == "cosine"
    with pytest.raises(ReplicationError, match="aligned"):
        m.tatoeba_accuracy(src, en[:2])


def test_margin_scores_hand_computed():
    x = np.array([[1.0, 0.0], [0.0, 1.0]])
    y = np.array([[1.0, 0.0], [0.6, 0.8]])
    # cos = [[1, .6], [0, .8]]; k=2: x means [.8, .4], y means [.5, .7]
    s = m.margin_scores(x, y, k=2)
    assert s[0, 0] == pytest.approx(1 / 0.65)
    assert s[0, 1] == pytest.approx(0.6 / 0.75)
    assert s[1, 1] == pytest.approx(0.8 / 0.55)
    mined = m.bucc_mine(x, y, ["s1", "s2"], ["t1", "t2"], k=2)
    assert mined == pytest.approx({("s1", "t1"): 1 / 0.65, ("s2", "t2"): 0.8 / 0.55})


def test_bucc_threshold_sweep_hand_computed():
    cands = {("a", "x"): 0.9, ("b", "y"): 0.8, ("c", "z"): 0.7, ("d", "w"): 0.6}
    gold = {("a", "x"), ("c", "z"), ("e", "v")}
    # running F1: 0.5 (th .85), 0.4, 2/3 (th midway .7/.6 = .65), 4/7 -> best 2/3 at .65
    assert m.bucc_optimize_threshold(cands, gold) == pytest.approx(0.65)
    test = {("p", "q"): 0.7, ("r", "s"): 0.66, ("t", "u"): 0.6}
    r = m.bucc_f1(test, {("p", "q"), ("t", "u")}, 0.65)  # mined p-q, r-s: P .5, R .5
    assert r == pytest.approx({"precision": 50.0, "recall": 50.0, "f1": 50.0})
    # best at the last candidate: threshold is its own score (no next score to go midway to)
    assert m.bucc_optimize_threshold({("a", "x"): 0.2, ("b", "y"): 0.1}, {("a", "x"), ("b", "y")}) == 0.1


def test_bucc_evaluate_threshold_from_dev_applied_to_test():
    rng = np.random.default_rng(0)
    base = rng.normal(size=(6, 8))
    # dev: 4 true pairs (near copies) + 2 distractor sources with unrelated targets
    src = base + 0.01 * rng.normal(size=base.shape)
    tgt = np.vstack([base[:4], rng.normal(size=(2, 8))])
    ids_s = [f"s{i}" for i in range(6)]
    ids_t = [f"t{i}" for i in range(6)]
    gold = [(f"s{i}", f"t{i}") for i in range(4)]
    r = m.bucc_evaluate((src, tgt, ids_s, ids_t, gold), (src, tgt, ids_s, ids_t, gold), k=2)
    assert r["f1"] == 100.0 and r["dev_f1"] == 100.0
    assert r["scoring"] == "ratio_margin_k2" and r["layer"] == 14 and r["pooling"] == "mean"


# ---- benchmark average ----------------------------------------------------------------------------------------


def _full_results() -> dict:
    """Every language of every task: non-QA tasks score 60 everywhere except English at 90; QA F1 70 / EM 50."""
    out = {}
    for name in XTREME_TASKS:
        spec = get_task(name)
        if spec.is_qa:
            out[name] = {lang: {"f1": 70.0, "exact_match": 50.0} for lang in spec.languages}
        else:
            out[name] = {lang: {spec.metrics[0]: 90.0 if lang == "en" else 60.0} for lang in spec.languages}
    return out


def test_benchmark_average_hand_computed():
    r = m.benchmark_average(_full_results())
    # xnli 15 langs incl. en: (14*60+90)/15 = 62; pawsx 7: (6*60+90)/7 = 450/7; udpos 33: (32*60+90)/33 = 2010/33
    # panx 40: (39*60+90)/40 = 60.75; QA tasks (xquad, mlqa, tydiqa): (70+50)/2 = 60; bucc, tatoeba (no en): 60
    expected_tasks = {
        "xnli": 62.0,
        "pawsx": 450 / 7,
        "udpos": 2010 / 33,
        "panx": 60.75,
        "xquad": 60.0,
        "mlqa": 60.0,
        "tydiqa": 60.0,
        "bucc2018": 60.0,
        "tatoeba": 60.0,
    }
    assert r["per_task"] == pytest.approx(expected_tasks)
    assert r["average"] == pytest.approx(sum(expected_tasks.values()) / 9)
    assert r["partial"] is False and r["n_tasks"] == 9


def test_benchmark_average_never_silently_partial():
    res = _full_results()
    del res["tatoeba"]
    with pytest.raises(ReplicationError, match="tatoeba"):
        m.benchmark_average(res)
    r = m.benchmark_average(res, allow_partial=True)
    assert r["partial"] is True and r["missing_tasks"] == ["tatoeba"] and r["n_tasks"] == 8
    res = _full_results()
    del res["mlqa"]["zh"]
    with pytest.raises(ReplicationError, match="mlqa lacks zh"):
        m.benchmark_average(res)


def test_benchmark_average_accepts_aliases():
    res = {("paws-x" if k == "pawsx" else k): v for k, v in _full_results().items()}
    assert m.benchmark_average(res)["n_tasks"] == 9


def test_bucc_mine_unifies_duplicate_sentences_like_xtreme():
    x = np.array([[1.0, 0.0], [0.0, 1.0], [0.0, 1.0]])  # "b" occurs twice on the source side
    y = np.array([[1.0, 0.1], [0.1, 1.0]])
    ids_s, ids_t = ["s1", "s2", "s3"], ["t1", "t2"]
    plain = m.bucc_mine(x, y, ids_s, ids_t, k=2)
    assert set(plain) == {("s1", "t1"), ("s2", "t2")}
    # with texts: "b" is embedded once, and as a repeated sentence it maps to no id (XTREME's read_sent2id)
    unified = m.bucc_mine(x, y, ids_s, ids_t, k=2, src_texts=["a", "b", "b"], tgt_texts=["A", "B"])
    assert set(unified) == {("s1", "t1")}


def test_bucc_candidates_are_the_k_nearest_only():
    # k=1: every sentence's only candidate is its cosine nearest neighbour; a mutual nearest pair scores 1
    x = np.array([[1.0, 0.0], [0.8, 0.6]])
    y = np.array([[1.0, 0.0], [0.0, 1.0]])
    mined = m.bucc_mine(x, y, ["s1", "s2"], ["t1", "t2"], k=1)
    # s1<->t1 mutual (score 1); s2's nearest is t1 (taken), t2's nearest is s2: cos .6 / ((.8 + .6) / 2) = 6/7
    assert mined == pytest.approx({("s1", "t1"): 1.0, ("s2", "t2"): 0.6 / 0.7})


def test_bucc_threshold_without_any_correct_candidate_is_zero_as_xtreme():
    assert m.bucc_optimize_threshold({("a", "x"): 0.9}, {("b", "y")}) == 0.0


# ---- the official code's behaviour on rare inputs (google-research/xtreme, third_party/utils_retrieve.py) --------
# Each case below differs between "the formulas" and what XTREME's code (with faiss) computes; the official code made
# the published numbers, so it is the reference.


def test_bucc_duplicate_sentence_is_embedded_as_its_last_occurrence_like_xtreme():
    # "a" occurs twice (so it maps to no id) but still takes part in mining, with its LAST embedding (0, 1):
    # text_load_unify + unique_embeddings. "a" then takes t1, and "b" (0.6, 0.8) falls back to t0.
    x = np.array([[1.0, 0.0], [0.6, 0.8], [0.0, 1.0]])
    y = np.array([[1.0, 0.0], [0.0, 1.0]])
    mined = m.bucc_mine(
        x, y, ["s0", "s1", "s2"], ["t0", "t1"], k=1, src_texts=["a", "b", "a"], tgt_texts=["A", "B"]
    )
    # t0's nearest is "b" (cos .6); means (k=1): b .8, t0 .6 -> margin .6 / .7
    assert mined == pytest.approx(
        {("s1", "t0"): 0.6 / 0.7}
    )  # with the first embedding it was {(s1, t1): 1.0}


def test_bucc_sentences_differing_in_whitespace_are_two_rows_but_no_id_like_xtreme():
    # XTREME keys unification on the raw line: "a" and "a " are two sentences to mine with; reading the candidates
    # back it strips them, finds "a" twice and drops both. Here "a " takes t1 away from "c".
    x = np.array([[1.0, 0.0], [0.0, 1.0], [0.6, 0.8]])
    y = np.array([[1.0, 0.0], [0.0, 1.0]])
    mined = m.bucc_mine(x, y, ["s0", "s1", "s2"], ["t0", "t1"], k=1, src_texts=["a", "a ", "c"],
                        tgt_texts=["X", "Y"])  # fmt: skip
    assert mined == {}  # unified on the stripped text it was {(s2, t1): 1.0}


def test_faiss_knn_orders_equal_scores_from_the_highest_index_and_keeps_by_arrival():
    sim = np.array([[0.5, 0.5, 0.9], [0.9, 0.5, 0.5], [0.5, 0.5, 0.5], [0.1, 0.7, 0.3]])
    vals, inds = m.faiss_knn(sim, 2)
    # row 0: 0.9 evicts the heap top, the lowest index of the equal 0.5s -> {1, 2}
    # row 1: the second 0.5 is not strictly better than the first -> {0, 1}
    # row 2: the first two arrive into empty slots -> {0, 1}, listed highest index first
    assert inds.tolist() == [[2, 1], [0, 1], [1, 0], [1, 2]]
    assert vals.tolist() == [[0.9, 0.5], [0.9, 0.5], [0.5, 0.5], [0.7, 0.3]]


def test_bucc_exactly_equal_candidates_go_to_the_highest_index_like_faiss():
    # two identical target embeddings: faiss lists t1 before t0, the first of equal margins wins -> t1
    x = np.array([[1.0, 0.0]])
    y = np.array([[1.0, 0.0], [1.0, 0.0]])
    assert m.bucc_mine(x, y, ["s0"], ["t0", "t1"], k=4) == {("s0", "t1"): 1.0}  # lowest index first gave t0


def test_tatoeba_zero_embedding_is_at_l2_distance_one_like_xtreme():
    # XTREME: faiss.normalize_L2 leaves a zero vector zero, then L2 search. A zero source is at distance 1 from
    # every unit query, so it beats a source with cosine below 0.5 (here 0.28), and a zero query finds a zero source.
    src = np.array([[7.0, 24.0], [0.0, 0.0]])
    en = np.array([[1.0, 0.0], [0.0, 1.0]])
    assert m.tatoeba_nearest(src, en).tolist() == [1, 0]  # by cosine: [0, 0]
    assert m.tatoeba_accuracy(src, en)["accuracy"] == 0.0
    src = np.array([[1.0, 0.0], [0.0, 0.0]])
    assert m.tatoeba_nearest(src, src).tolist() == [0, 1]  # by cosine the zero query took index 0
    assert m.tatoeba_accuracy(src, src)["accuracy"] == 100.0
    # exactly equal distances: the lowest index, as faiss's single-best search
    assert m.tatoeba_nearest(np.ones((2, 2)), np.ones((2, 2))).tolist() == [0, 0]


def test_seqeval_is_the_pinned_version():
    from importlib.metadata import version

    assert version("seqeval") == m.SEQEVAL_VERSION == "1.2.2"


# An independent, deliberately naive model of XTREME's pipeline (files of lines, a faiss-like heap, read-back by
# stripped text), to compare the vectorised metrics against on inputs full of ties, duplicates and zero vectors.


def _naive_unit(e):
    e = np.asarray(e, dtype=np.float64).copy()
    for r in e:
        n = math.sqrt(float((r * r).sum()))
        if n > 0:
            r /= n
    return e


def _naive_heap_knn(row, k):
    heap = [(-math.inf, -1)] * k
    for j, v in enumerate(row):
        top = min(heap)
        if v > top[0]:
            heap[heap.index(top)] = (float(v), j)
    return sorted(heap, reverse=True)


def _naive_bucc(xs, ys, sid, tid, stext, ttext, k):
    def side(emb, texts):
        index, last = {}, {}
        for n, t in enumerate(texts):
            index.setdefault(t, len(index))
            last[index[t]] = n
        return list(index), _naive_unit(np.asarray(emb)[[last[i] for i in range(len(index))]])

    ss, x = side(xs, stext)
    ts, y = side(ys, ttext)
    sim = x @ y.T
    fwd = [_naive_heap_knn(sim[i], min(k, len(ts))) for i in range(len(ss))]
    bwd = [_naive_heap_knn(sim[:, j], min(k, len(ss))) for j in range(len(ts))]
    fm = [sum(v for v, _ in r) / len(r) for r in fwd]
    bm = [sum(v for v, _ in r) / len(r) for r in bwd]
    fs = [np.array([np.float64(v) / ((fm[i] + bm[j]) / 2) for v, j in fwd[i]]) for i in range(len(ss))]
    bs = [np.array([np.float64(v) / ((bm[j] + fm[i]) / 2) for v, i in bwd[j]]) for j in range(len(ts))]
    pairs = [(i, fwd[i][int(fs[i].argmax())][1]) for i in range(len(ss))]
    pairs += [(bwd[j][int(bs[j].argmax())][1], j) for j in range(len(ts))]
    scores = np.array([r.max() for r in fs] + [r.max() for r in bs])
    lines, used_s, used_t = [], set(), set()
    for n in np.argsort(-scores):
        i, j = pairs[n]
        if i not in used_s and j not in used_t:
            used_s.add(i)
            used_t.add(j)
            if scores[n] > 0:
                lines.append((float(scores[n]), ss[i], ts[j]))

    def sent2id(texts, ids):
        seen = Counter(t.strip() for t in texts)
        return {t.strip(): i for t, i in zip(texts, ids, strict=True) if seen[t.strip()] == 1}

    sm, tm = sent2id(stext, sid), sent2id(ttext, tid)
    out: dict = {}
    for score, s, t in lines:
        if s.strip() in sm and t.strip() in tm:
            key = (sm[s.strip()], tm[t.strip()])
            out[key] = max(score, out.get(key, score))
    return out


def _naive_tatoeba(src, tgt):
    s, t = _naive_unit(src), _naive_unit(tgt)
    out = []
    for q in t:
        best, arg = math.inf, -1
        for j, c in enumerate(s):
            d = float(q.any()) + float(c.any()) - 2 * float(sum(a * b for a, b in zip(q, c, strict=True)))
            if d < best:
                best, arg = d, j
        out.append(arg)
    return out


def test_retrieval_metrics_equal_a_naive_model_of_xtreme_on_hostile_inputs():
    rng = np.random.default_rng(2005)
    pool = ["a", "a ", "b", " b", "c", "d", "e", "f"]
    with np.errstate(all="ignore"):  # zero vectors make 0/0 margins, as they do in XTREME
        for _ in range(1000):
            n, n_t, d = int(rng.integers(1, 7)), int(rng.integers(1, 7)), int(rng.integers(1, 4))
            xs = rng.integers(-2, 3, size=(n, d)).astype(float)
            ys = rng.integers(-2, 3, size=(n_t, d)).astype(float)
            st = [str(rng.choice(pool)) for _ in range(n)]
            tt = [str(rng.choice(pool)).upper() for _ in range(n_t)]
            si, ti = [f"s{i}" for i in range(n)], [f"t{j}" for j in range(n_t)]
            k = int(rng.integers(1, 5))
            assert m.bucc_mine(xs, ys, si, ti, k=k, src_texts=st, tgt_texts=tt) == _naive_bucc(
                xs, ys, si, ti, st, tt, k
            )
        for _ in range(1000):
            n, d = int(rng.integers(1, 6)), int(rng.integers(1, 4))
            s = rng.integers(-1, 2, size=(n, d)).astype(float)
            t = rng.integers(-1, 2, size=(n, d)).astype(float)
            assert m.tatoeba_nearest(s, t).tolist() == _naive_tatoeba(s, t)
