"""Tiny toy tasks of every format for the harness's tests: registered in the task registry with in-memory data.

Each language is English with its words rewritten (``xx``: reversed words), so zero-shot evaluation runs on a real
second language without any download. Labels come from the content, so a model can learn them.
"""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from replication.tasks.formats import (
    ChoiceExample,
    Format,
    PairExample,
    QAExample,
    RetrievalExample,
    TaggingExample,
    TextExample,
)

NOUNS = ["dog", "cat", "bird", "horse", "fox", "cow"]
ADJS = ["big", "small", "red", "blue", "old", "young"]
VERBS = ["sees", "likes", "finds", "chases"]
LANGS = ("en", "xx")
PREFIX = "toy-"


def _word(w: str, lang: str) -> str:
    return w if lang == "en" else w[::-1]


def _sentence(rng: random.Random) -> list[tuple[str, str]]:
    a, b = rng.sample(NOUNS, 2)
    return [
        ("the", "DET"),
        (rng.choice(ADJS), "ADJ"),
        (a, "NOUN"),
        (rng.choice(VERBS), "VERB"),
        ("the", "DET"),
        (b, "NOUN"),
    ]


def _render(words: list[tuple[str, str]], lang: str) -> list[str]:
    return [_word(w, lang) for w, _ in words]


def examples(task: str, split: str, lang: str, n: int | None = None) -> list:
    sizes = {"train": 48, "dev": 16, "test": 16}
    if split not in sizes:
        raise KeyError(split)
    if (
        split != "test" and lang != "en" and task not in ("toy-mlm", "toy-ret")
    ):  # retrieval dev: BUCC thresholds
        raise ValueError("toy training and dev data are English only")
    rng = random.Random(f"{task}-{split}")
    out = []
    for i in range(n or sizes[split]):
        words = _sentence(rng)
        toks = _render(words, lang)
        eid = f"{task}-{split}-{i}-{lang}"
        if task == "toy-pair":
            label = rng.randrange(2)
            other = (
                words[2][0]
                if label
                else rng.choice([x for x in NOUNS if x not in (words[2][0], words[5][0])])
            )
            out.append(PairExample(eid, " ".join(toks), _word(other, lang), label))
        elif task == "toy-mc":
            label = rng.randrange(3)
            choices = [rng.choice([x for x in NOUNS if x != words[2][0]]) for _ in range(3)]
            choices[label] = words[2][0]
            out.append(
                ChoiceExample(
                    eid, " ".join(toks), _word("who", lang), [_word(c, lang) for c in choices], label
                )
            )
        elif task == "toy-tag":
            out.append(TaggingExample(eid, toks, [t for _, t in words]))
        elif task == "toy-qa":
            context = " ".join(toks)
            start = len(" ".join(toks[:2])) + 1
            out.append(QAExample(eid, context, _word("who", lang) + " " + toks[3] + " ?", [toks[2]], [start]))
        elif task == "toy-ret":
            out.append(
                RetrievalExample(
                    f"{task}-{split}-{i}-{lang}",
                    " ".join(toks),
                    None if lang == "en" else f"{task}-{split}-{i}-en",
                )
            )
        elif task == "toy-mlm":
            out.append(TextExample(eid, " ".join(toks)))
    return out


FORMATS = {
    "toy-pair": Format.PAIR_CLASSIFICATION,
    "toy-mc": Format.MULTIPLE_CHOICE,
    "toy-tag": Format.TOKEN_TAGGING,
    "toy-qa": Format.EXTRACTIVE_QA,
    "toy-ret": Format.RETRIEVAL,
    "toy-mlm": Format.MLM,
}


def register() -> None:
    """Register the toy tasks (idempotent) and serve their examples from memory."""
    from replication.phases import register_examples
    from replication.tasks.registry import TaskSpec, register_task

    for name, fmt in FORMATS.items():
        metrics = {"toy-tag": ("f1",), "toy-qa": ("f1", "exact_match")}.get(name, ("accuracy",))
        labels = {"toy-pair": ("no", "yes"), "toy-tag": ("ADJ", "DET", "NOUN", "VERB")}.get(name)
        register_task(
            TaskSpec(
                name=name,
                role="synthetic",
                format=fmt,
                metrics=metrics,
                languages=LANGS,
                labels=labels,
                num_choices=3 if name == "toy-mc" else None,
                has_training=fmt not in (Format.RETRIEVAL,),
            ),
            replace=True,
        )
        register_examples(name, lambda split, lang, _n=name: examples(_n, split, lang))


def all_texts() -> list[str]:
    texts = []
    for task in FORMATS:
        for lang in LANGS:
            for e in examples(task, "test", lang):
                texts.append(
                    getattr(e, "text", None)
                    or getattr(e, "text_a", None)
                    or getattr(e, "context", None)
                    or " ".join(e.tokens)
                )
    return texts + NOUNS + ADJS + VERBS + [w[::-1] for w in NOUNS + ADJS + VERBS + ["who", "the"]]


def build_model(out_dir: Path) -> Path:
    from replication.tiny import build_tiny_model, build_tokenizer

    tok = build_tokenizer(all_texts(), 200, out_dir)
    return build_tiny_model(tok, out_dir, hidden=32, layers=2, heads=2, max_length=64)


def unregister() -> None:
    """Remove the toy tasks again so that other tests see the registry as shipped."""
    from replication.phases import unregister_examples
    from replication.tasks.registry import unregister_task

    for name in FORMATS:
        unregister_task(name)
        unregister_examples(name)


def plan_dict(model: Path | str, **overrides) -> dict:
    """A small plan over the toy tasks (seconds per run on one CPU core)."""
    plan = {
        "name": "toy",
        "base_model": str(model),
        "seeds": [1],
        "intermediate": ["none", "toy-pair"],
        "targets": ["toy-tag"],
        "hyperparameters": {
            "batch_size": 8,
            "epochs": 1,
            "learning_rate": 1e-3,
            "max_seq_length": 48,
            "checkpoint_every": 2,
            "eval_batch_size": 16,
        },
        "retrieval": {"layer": 1},
    }
    plan.update(overrides)
    return plan


@pytest.fixture(scope="module", autouse=True)
def one_thread():
    """Tiny models run fastest on one thread, and the CI machine's cores are shared: use one, then restore."""
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.fixture(scope="module")
def toy(tmp_path_factory):
    """The toy tasks registered for one test module, and the path of a tiny model over their vocabulary."""
    register()
    path = build_model(tmp_path_factory.mktemp("toy"))
    yield path
    unregister()
