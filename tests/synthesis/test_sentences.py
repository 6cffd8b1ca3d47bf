"""Sentence boundaries: scientific abbreviations never end a sentence, newlines always do, spans are exact."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from synthesis.sentences import sentence_spans, sentences


@pytest.mark.parametrize(
    "text",
    [
        "This was shown by Phang et al. (2018) on many tasks.",
        "This was shown before (Phang et al., 2018; Wang et al., 2019a).",
        "The curve in Fig. 3 rises quickly.",
        "As Eq. 2 shows, the loss is convex.",
        "We follow prior work, cf. Smith (2020), closely.",
        "Some tasks, i.e. retrieval tasks, need no training.",
        "Many tasks, e.g. XNLI and PAWS-X, improve.",
        "The numbers in Tab. 4 are averages.",
        "The setup of Sec. 3 is standard.",
        "We compare SQuAD vs. QQP as intermediate tasks.",
        "Samuel R. Bowman supervised the work.",
        "An average improvement of 8.4 points on dev sets.",
        "See arXiv:2004.04721 for details.",
    ],
)
def test_abbreviations_do_not_split(text: str) -> None:
    assert sentences(text) == [text]


def test_real_boundaries_split() -> None:
    text = (
        "Intermediate training helps. It helps most on BUCC! Does it help on POS? Not much. "
        "This was shown by Phang et al. We then ask (see Eq. 2) whether it lasts. "
        '"Quoted sentences end too." The end.'
    )
    assert sentences(text) == [
        "Intermediate training helps.",
        "It helps most on BUCC!",
        "Does it help on POS?",
        "Not much.",
        "This was shown by Phang et al.",
        "We then ask (see Eq. 2) whether it lasts.",
        '"Quoted sentences end too."',
        "The end.",
    ]


def test_footnote_mark_after_the_period_ends_the_sentence() -> None:
    text = "They lack development sets.3 For all tasks we follow the protocol. We use version 2.5 here."
    assert sentences(text) == [
        "They lack development sets.3",
        "For all tasks we follow the protocol.",
        "We use version 2.5 here.",
    ]


def test_newline_is_a_boundary_and_offsets_are_exact() -> None:
    text = "  1 Introduction\nZero-shot transfer works. It is cheap\nTable 1: Results"
    spans = sentence_spans(text)
    assert [text[a:b] for a, b in spans] == [
        "1 Introduction",
        "Zero-shot transfer works.",
        "It is cheap",
        "Table 1: Results",
    ]


def test_empty_and_blank_text() -> None:
    assert sentence_spans("") == []
    assert sentence_spans(" \n\n  ") == []


_alphabet = st.sampled_from(
    list("abcXYZ .,;:!?()\"'\n-0123456789") + ["et al.", "Fig.", "e.g.", "i.e.", " ", "\u00e9"]
)


@settings(max_examples=150, deadline=None)
@given(st.lists(_alphabet, max_size=80).map("".join))
def test_spans_are_ordered_exact_and_cover_the_text(text: str) -> None:
    spans = sentence_spans(text)
    last = 0
    for a, b in spans:
        assert last <= a < b <= len(text)
        piece = text[a:b]
        assert piece == piece.strip() and piece
        assert "\n" not in piece
        last = b
    covered = "".join(text[a:b] for a, b in spans)
    assert "".join(covered.split()) == "".join(text.split())
