"""Claims a researcher would keep (issue 8): kinds, self-contained text, near-duplicates folded, setup and table
facts. Unit tests on the parts, the real paper 2005.13013v1 end to end, and property tests on hostile text."""

from __future__ import annotations

import re
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from synthesis.claim_context import describes_the_paper, is_garbled, needs_antecedent, strip_openers
from synthesis.claim_dedup import duplicate_groups
from synthesis.claim_kinds import DEFAULT_KINDS, KINDS, claim_kind, parse_kinds
from synthesis.claim_setup import colon_head, is_setup_sentence
from synthesis.claim_tables import table_facts
from synthesis.claims import extract_claims, sentence_spans
from synthesis.entities import clean
from synthesis.papers import get_pages
from synthesis.retrieval import ends_sentence
from synthesis.tables import Table, table_from_grid

# ---------------------------------------------------------------------------------------------------- the parts


def test_openers_go_and_table_references_stay_as_context():
    assert strip_openers("As shown in Table 2, no single task helps everywhere.") == (
        "No single task helps everywhere.",
        ["Table 2"],
    )
    assert strip_openers("However, as seen in Fig. 3, X rises.") == ("X rises.", ["Figure 3"])
    assert strip_openers("Interestingly, SQuAD helps TyDiQA (see Table 8, Appendix D).") == (
        "SQuAD helps TyDiQA.",
        ["Table 8"],
    )
    assert strip_openers("One might find it surprising that SQuAD helps XQuAD.")[0] == "SQuAD helps XQuAD."
    assert strip_openers("SQuAD helps XQuAD.") == ("SQuAD helps XQuAD.", [])  # nothing else is touched


@pytest.mark.parametrize(
    "text",
    [
        "This may explain why SQuAD helps.",
        "These results suggest a trend.",
        "Such cases appear to be hard.",
        "It reduces negative transfer.",
        "They still underperform full attention.",
        "The first one provides good accuracy.",
        "We evaluate the robustness of this parameter.",
        "The authors find additional evidence for this in X.",
    ],
)
def test_anaphora_is_detected(text):
    assert needs_antecedent(text)


@pytest.mark.parametrize(
    "text",
    [
        "This paper proposes a new method for trees.",
        "SQuAD helps TyDiQA by 5.6 points.",
        "It is possible to exploit problem symmetries.",
        "Methods such as bagging reduce variance.",
    ],
)
def test_plain_sentences_need_no_antecedent(text):
    assert not needs_antecedent(text)


def test_kinds():
    assert (
        claim_kind("This may explain why an additional phase of SQuAD training can improve performance.")
        == "hedge"
    )
    assert claim_kind("An obvious next avenue for future work is multilingual training.") == "future_work"
    assert claim_kind("A theoretical analysis of the effect of K is still missing.") == "future_work"
    assert claim_kind("This is consistent with Nie et al. (2019), who showed X.") == "background"
    assert claim_kind("The authors use a learning rate of 1e-5.") == "setup"
    assert claim_kind("The authors investigate whether X improves Y.") == "setup"
    assert claim_kind("SQuAD improves TyDiQA by 5.6 points.") == "finding"
    assert claim_kind("The authors use SQuAD, which improves TyDiQA.", origin="setup") == "finding"
    assert claim_kind("anything", origin="table") == "table_fact"
    assert (
        claim_kind("Evaluation picks the more likely answer option.") == "finding"
    )  # "more likely" is no hedge


def test_parse_kinds():
    assert parse_kinds(None) == DEFAULT_KINDS == ("finding", "setup", "table_fact")
    assert parse_kinds("hedge, future-work") == ("hedge", "future_work")
    assert parse_kinds("all") == KINDS
    with pytest.raises(ValueError, match="unknown claim kind 'bogus'.*finding"):
        parse_kinds("finding,bogus")


def test_near_duplicates_fold_into_the_most_complete():
    texts = [
        "Multi-task training does not offer significant improvements.",
        "Continuing multilingual MLM training does not meaningfully bolster transfer performance.",
        "Multi-task training did not lead to improved transfer performance.",
        "Continuing multilingual MLM training during intermediate-task training does not offer improvements.",
        "SQuAD improves TyDiQA by 5.6 points.",
        "SQuAD improves TyDiQA by 7.4 points.",  # another number: another claim
        "SQuAD does not improve TyDiQA.",
    ]  # negated: another claim
    reps = duplicate_groups(texts)
    assert reps[0] == reps[2] in (0, 2)  # same claim, kept once
    assert reps[1] == reps[3] == 3  # the longer MLM claim represents both
    assert reps[0] != reps[1]  # multi-task never absorbs MLM
    assert reps[4:] == [4, 5, 6]


def test_setup_sentences():
    assert is_setup_sentence("We use a learning rate of 1e-5 without MLM, and 5e-6 with MLM.")
    assert is_setup_sentence("In total, we use 2 million sentences sampled across all languages.")
    assert is_setup_sentence("Models are trained on 8 V100 GPUs for 3 days.")
    assert not is_setup_sentence("Target tasks are described in Section 2.2.")
    assert not is_setup_sentence(
        "ANLI+ - 0.8 + 0.4 - 0.9 - 0.8 - 0.6 / - 0.1 +20.1 +49.8 + 7.7 QQP - 1.4 - 2.1"
    )
    head = colon_head(
        "We use the 9 target tasks from XTREME, which span 40 languages: " + "The X dataset; " * 20
    )
    assert head == "We use the 9 target tasks from XTREME, which span 40 languages."


def test_papers_descriptions_and_garbled_text_are_not_claims():
    assert describes_the_paper(
        "At the bottom of Table 2, we show results obtained by XLM-R.".split(", ", 1)[1]
    )
    assert describes_the_paper(
        "The five following columns give the results obtained by the reference methods."
    )
    assert not describes_the_paper("SQuAD gives the best results across target tasks.")
    assert is_garbled(
        "HyperLlama meaningfully underperforms models with full access and attention 6We perform it."
    )
    assert is_garbled(
        "the authors fine-tune θ based on the following objective: arg min θ 1 N X {(x,y)} L y."
    )
    assert not is_garbled("SQuAD improves TyDiQA by 5.6 points.")


def test_sentence_spans_rejoin_parentheses_and_split_lost_spaces():
    page = "It could be combined (see Webb, 2000. Webb and Zheng, 2004, for more). LR is worse than ETd.Only on Bank it wins."
    spans = [page[a:b] for a, b in sentence_spans(page, 0, len(page), split=True)]
    assert spans[0] == "It could be combined (see Webb, 2000. Webb and Zheng, 2004, for more)."
    assert spans[1:] == ["LR is worse than ETd.", "Only on Bank it wins."]


def test_table_facts_quote_the_cell_verbatim():
    page = "Table 3: Training configuration.\nTask Batch size # Epochs\nANLI+ 24 2\nCCG 24 15\n"
    table = table_from_grid(
        [["Task", "Batch size", "# Epochs"], ["ANLI+", "24", "2"], ["CCG", "24", "15"]],
        label="Table 3",
        caption="Table 3: Training configuration.",
        page=1,
        n_header_rows=1,
    )
    anchored = []
    for c in table.cells:  # where the cells are printed on the page
        start = page.index(
            f"{c.row_name} {c.text}" if c.col == 1 else f" {c.text}\n", page.index(c.row_name)
        ) + (len(c.row_name) + 1 if c.col == 1 else 1)
        anchored.append(
            type(c)(
                c.row,
                c.col,
                c.text,
                c.row_headers,
                c.col_headers,
                c.value,
                char_start=start,
                char_end=start + len(c.text),
            )
        )
    table = Table(table.label, table.caption, 1, table.rows, table.columns, anchored)
    facts = table_facts([table], [page])
    assert [f.text for f in facts][:2] == [
        "In Table 3 (Training configuration), ANLI+ has Batch size 24.",
        "In Table 3 (Training configuration), ANLI+ has number of Epochs 2.",
    ]
    for f in facts:
        assert page[f.span[0] : f.span[1]] == f.value
    wrong = Table(
        table.label,
        table.caption,
        1,
        table.rows,
        table.columns,
        [
            type(c)(c.row, c.col, c.text, c.row_headers, c.col_headers, c.value, char_start=0, char_end=2)
            for c in anchored
        ],
    )
    assert table_facts([wrong], [page]) == []  # offsets that do not hold the cell's text: no claim


# ---------------------------------------------------------------------------------------------------- the real paper


@pytest.fixture(scope="module")
def claims(corpus_store):
    return extract_claims(corpus_store, "2005.13013v1")


def test_listed_claims_read_on_their_own(claims):
    listed = [c for c in claims if c.kind in DEFAULT_KINDS and c.kind != "table_fact"]
    for c in listed:
        assert not re.match(r"(?:As shown|At the bottom|This|These|Such|It|They)\b", c.text), c.text
        assert c.self_contained, c.text
    no_single = next(
        c for c in claims if c.text.startswith("No single intermediate task yields positive transfer")
    )
    assert no_single.refs == ["Table 2"]


def test_hedges_and_future_work_are_typed_apart(claims):
    kinds = {c.kind for c in claims if "next avenue of investigation for future work" in c.text}
    assert kinds == {"future_work"}
    hedge = next(c for c in claims if "This may explain why" in c.text)
    assert hedge.kind == "hedge" and hedge.joined == 1


def test_headline_results_are_stated_once(claims):
    listed = [c for c in claims if c.kind == "finding"]
    multi = [
        c for c in listed if re.match(r"Multi-task (?:intermediate-task )?training (?:does|did) not", c.text)
    ]
    assert len(multi) == 1 and len(multi[0].also_stated) == 2, [c.text for c in multi]
    assert sum("6.1 point" in c.text and "8 out of" not in c.text for c in listed) == 1
    assert duplicate_groups([c.own_text for c in listed]) == list(range(len(listed)))  # none left


def test_setup_facts(claims):
    setup = [c.text for c in claims if c.kind == "setup"]
    for needle in (
        "learning rate of 1e-5",
        "2 million sentences",
        "pretrained XLM-R Large model",
        "SQuAD version 1.1",
        "9 target tasks from the XTREME benchmark",
        "13th self-attention layer",
        "warmup of 10%",
    ):
        assert any(needle in t for t in setup), needle


def test_table_facts_of_the_paper(corpus_store, claims):
    pages = get_pages(corpus_store, "2005.13013v1")
    facts = [c for c in claims if c.kind == "table_fact"]
    assert len(facts) > 100
    texts = [c.text for c in facts]
    assert "In Table 3 (Intermediate-task training configuration), ANLI+ has Batch size 24." in texts
    assert any(re.match(r"In Table 2 \(.*\), SQuAD \(No MLM\) has TyDiQA F1 \+5\.6\.$", t) for t in texts)
    for c in facts:
        assert pages[c.page - 1][c.span[0] : c.span[1]] == c.source_text and c.refs == [
            c.text.split(" (")[0][3:]
        ]


def test_spans_are_verbatim_and_whole(corpus_store, claims):
    pages = get_pages(corpus_store, "2005.13013v1")
    for c in claims:
        assert pages[c.page - 1][c.span[0] : c.span[1]] == c.source_text
        if c.kind != "table_fact":
            assert ends_sentence(c.source_text), c.source_text
            assert c.text.endswith((".", "!", "?")), c.text


# ---------------------------------------------------------------------------------------------------- hostile text

_WORDS = [
    "SQuAD",
    "improves",
    "TyDiQA",
    "by",
    "5.6",
    "points",
    "This",
    "these",
    "results",
    "It",
    "we",
    "our",
    "may",
    "suggest",
    "future",
    "work",
    "(Nie",
    "et",
    "al.,",
    "2019)",
    "learning",
    "rate",
    "of",
    "1e-5",
    "Table",
    "2",
    "As",
    "shown",
    "in",
    "Table 2,",
    "use",
    "the",
    "model",
    "µ",
    "θ",
    "{x}",
    "ETd.Only",
    "neither",
    "nor",
    "and",
    "respectively",
    ";",
    "–",
    "-",
    "\u00a0",
    "fi",
    "Interestingly,",
]
_sentence = st.lists(st.sampled_from(_WORDS), min_size=1, max_size=25).map(
    lambda ws: " ".join(ws)[:1].upper() + " ".join(ws)[1:] + "."
)
_page = st.lists(_sentence, min_size=1, max_size=8).map(" ".join)


@st.composite
def _paper(draw):
    pages = draw(st.lists(_page, min_size=1, max_size=3))
    headings = ["Abstract\n", "1 Introduction\n", "3 Experimental Setup\n", "4 Results\n", "5 Conclusion\n"]
    return [
        draw(st.sampled_from(headings)) + p + "\n" + draw(st.sampled_from(headings)) + draw(_page)
        for p in pages
    ]


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_paper())
def test_claims_of_hostile_text_are_whole_and_verbatim(pages):
    from synthesis.ingest import parse_raw, write_rows
    from synthesis.pdftext import RawDocument
    from synthesis.store import Store

    parsed = parse_raw(RawDocument(pages=pages))
    with tempfile.TemporaryDirectory() as d, Store(Path(d) / "assay.sqlite3") as store:
        with store.transaction() as conn:
            write_rows(
                conn,
                (
                    "sha256:x",
                    None,
                    None,
                    None,
                    "T",
                    "[]",
                    None,
                    None,
                    "",
                    "x",
                    len(parsed.pages),
                    "local",
                    "{}",
                ),
                parsed,
            )
        stored = get_pages(store, "sha256:x")
        for c in extract_claims(store, "sha256:x"):
            assert c.text.strip() and c.text.endswith((".", "!", "?")), c.text
            assert c.kind in KINDS
            assert stored[c.page - 1][c.span[0] : c.span[1]] == c.source_text
            source_words = set(re.findall(r"\w+", clean(c.source_text)))
            last = re.findall(r"\w+", c.own_text)
            assert not last or last[-1] in source_words or last[-1] in ("authors",), (c.text, c.source_text)
