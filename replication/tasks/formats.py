"""Task formats and the in-memory example types every loader produces and every head consumes.

This is the contract between data loading (original formats, hub datasets, the synthetic world), models and heads,
and evaluation. Extend only by adding fields with defaults.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class Format(StrEnum):
    PAIR_CLASSIFICATION = "pair_classification"  # NLI, paraphrase: (text_a, text_b) -> label
    MULTIPLE_CHOICE = "multiple_choice"  # context + question -> one of N choices
    EXTRACTIVE_QA = "extractive_qa"  # SQuAD-style span extraction
    TOKEN_TAGGING = "token_tagging"  # POS, NER, CCG: one tag per word (first sub-word)
    RETRIEVAL = "retrieval"  # BUCC, Tatoeba: no training, embed and match
    MLM = "mlm"  # masked language modelling as an extra intermediate task


@dataclass
class PairExample:
    id: str
    text_a: str
    text_b: str
    label: int


@dataclass
class ChoiceExample:
    id: str
    context: str
    question: str
    choices: list[str]
    label: int


@dataclass
class QAExample:
    id: str
    context: str
    question: str
    answers: list[str]  # gold answer texts (empty list = unanswerable, SQuAD v2)
    answer_starts: list[int] = field(default_factory=list)  # character offsets into context


@dataclass
class TaggingExample:
    id: str
    tokens: list[str]
    tags: list[str]


@dataclass
class RetrievalExample:
    """One source sentence with its gold target id (None for distractors without a pair, as in BUCC)."""

    id: str
    text: str
    gold_id: str | None = None


@dataclass
class TextExample:
    """Raw text for MLM."""

    id: str
    text: str


@dataclass
class RetrievalData:
    """Both sides of a retrieval split: sentences in ``lang`` (gold_id set where paired) and English sentences."""

    source: list[RetrievalExample]
    target: list[RetrievalExample]

    @property
    def gold(self) -> list[tuple[str, str]]:
        return [(e.id, e.gold_id) for e in self.source if e.gold_id is not None]

    def __iter__(self):  # ``src, tgt = load_retrieval(...)``
        return iter((self.source, self.target))


Example = PairExample | ChoiceExample | QAExample | TaggingExample | RetrievalExample | TextExample
