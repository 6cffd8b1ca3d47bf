"""The task registry: coverage of both paper versions and XTREME, lookup, "did you mean", families."""

from __future__ import annotations

import pytest

from replication.errors import ReplicationError
from replication.tasks import (
    INTERMEDIATE_V1,
    LANGUAGE_FAMILIES,
    XTREME_LANGUAGES,
    XTREME_TASKS,
    Format,
    TaskSpec,
    family_of,
    get_task,
    list_tasks,
    register_task,
    registry,
)


def test_every_intermediate_task_of_both_versions():
    v1 = {t.name for t in list_tasks("intermediate", paper_version="v1") if t.format != Format.MLM}
    final = {t.name for t in list_tasks("intermediate", paper_version="final") if t.format != Format.MLM}
    assert get_task("mlm").name == "wiki_mlm" and len(get_task("mlm").languages) == 40
    assert (
        v1
        == set(INTERMEDIATE_V1)
        == {"anli_plus", "qqp", "squad_v1.1", "hellaswag", "ccg", "cosmos_qa", "commonsense_qa"}
    )
    assert final - v1 == {"mnli", "squad_v2.0"}


def test_nine_xtreme_targets_with_formats_metrics_and_languages():
    targets = {t.name: t for t in list_tasks("target")}
    assert set(targets) == set(XTREME_TASKS)
    assert targets["xnli"].format == Format.PAIR_CLASSIFICATION and targets["xnli"].metrics == ("accuracy",)
    assert len(targets["xnli"].languages) == 15
    assert targets["udpos"].format == Format.TOKEN_TAGGING and targets["udpos"].metrics == ("f1",)
    assert len(targets["udpos"].languages) == 33 and len(targets["udpos"].labels) == 17
    assert set(targets["panx"].languages) == set(XTREME_LANGUAGES)
    for qa in ("xquad", "mlqa", "tydiqa"):
        assert targets[qa].is_qa and targets[qa].metrics == ("f1", "exact_match")
    assert targets["tydiqa"].languages == ("ar", "bn", "en", "fi", "id", "ko", "ru", "sw", "te")
    assert targets["bucc2018"].languages == ("de", "fr", "ru", "zh") and not targets["bucc2018"].has_training
    assert len(targets["tatoeba"].languages) == 36 and "en" not in targets["tatoeba"].languages
    for t in targets.values():
        assert t.train_language == "en"
        assert set(t.languages) <= set(XTREME_LANGUAGES)


def test_choice_counts_and_labels():
    assert get_task("hellaswag").num_choices == 4
    assert get_task("cosmos qa").num_choices == 4
    assert get_task("CSQA").num_choices == 5
    assert get_task("qqp").labels == ("not_duplicate", "duplicate")
    assert get_task("anli+").labels == ("entailment", "neutral", "contradiction")


@pytest.mark.parametrize(
    "name,expected",
    [
        ("SQuAD", "squad_v1.1"),
        ("squad-v1.1", "squad_v1.1"),
        ("SQuAD 2.0", "squad_v2.0"),
        ("ANLI+", "anli_plus"),
        ("PAWS-X", "pawsx"),
        ("UD-POS", "udpos"),
        ("NER", "panx"),
        ("TyDiQA-GoldP", "tydiqa"),
        ("BUCC", "bucc2018"),
        ("CommonsenseQA", "commonsense_qa"),
    ],
)
def test_lookup_is_case_and_punctuation_insensitive(name, expected):
    assert get_task(name).name == expected


def test_unknown_name_says_did_you_mean():
    with pytest.raises(ReplicationError, match="did you mean 'hellaswag'"):
        get_task("hellaswg")
    with pytest.raises(ReplicationError, match="unknown task 'zzzz'"):
        get_task("zzzz")


def test_anli_is_not_anli_plus():
    with pytest.raises(ReplicationError, match="anli_plus"):
        get_task("anli")


def test_families_exactly_as_the_paper_lists():
    assert sum(len(v) for v in LANGUAGE_FAMILIES.values()) == 40 == len(XTREME_LANGUAGES)
    assert LANGUAGE_FAMILIES["Indo-European"] == (
        "af",
        "bg",
        "bn",
        "de",
        "el",
        "en",
        "es",
        "fa",
        "fr",
        "hi",
        "it",
        "mr",
        "nl",
        "pt",
        "ru",
        "ur",
    )
    assert family_of("de") == "Indo-European" and family_of("sw") == "Niger-Congo"
    assert family_of("my") == "Sino-Tibetan" and family_of("eu") != family_of("ko")
    with pytest.raises(ReplicationError, match="unknown language"):
        family_of("xx")


def test_hub_configs_fill_in_language():
    assert get_task("panx").hub[0].config_for("de") == "PAN-X.de"
    assert get_task("udpos").hub[0].config_for("de") == "udpos.German"
    assert get_task("tatoeba").hub[0].config_for("zh") == "tatoeba.cmn"
    assert get_task("mlqa").hub[0].config_for("hi") == "mlqa.hi.hi"


def test_register_task_and_clashes(monkeypatch):
    monkeypatch.setattr(registry, "_TASKS", dict(registry._TASKS))
    monkeypatch.setattr(registry, "_INDEX", dict(registry._INDEX))
    spec = TaskSpec(
        name="synthetic_nli",
        aliases=("syn-nli",),
        role="synthetic",
        format=Format.PAIR_CLASSIFICATION,
        metrics=("accuracy",),
        languages=("en", "xa"),
    )
    register_task(spec)
    assert get_task("SYN NLI") is spec
    assert spec in list_tasks("synthetic")
    with pytest.raises(ReplicationError, match="already"):
        register_task(
            TaskSpec(
                name="other",
                aliases=("squad",),
                role="synthetic",
                format=Format.EXTRACTIVE_QA,
                metrics=("f1",),
                languages=("en",),
            )
        )
    with pytest.raises(ReplicationError, match="role"):
        TaskSpec(name="bad", role="nope", format=Format.MLM, metrics=("x",), languages=("en",))


def test_to_dict_is_json_able():
    import json

    d = get_task("xnli").to_dict()
    assert json.loads(json.dumps(d))["format"] == "pair_classification"
