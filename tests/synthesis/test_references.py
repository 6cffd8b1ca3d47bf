"""Bibliography parsing on the three layouts of the corpus, the real bibliographies, and hostile input."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from synthesis.references import parse_reference, parse_references, split_entries


def test_acl_entry() -> None:
    r = parse_reference(
        "Mikel Artetxe, Gorka Labaka, and Eneko Agirre. 2020. Translation Artifacts in Cross-lingual Transfer "
        "Learning. arXiv e-prints, page arXiv:2004.04721."
    )
    assert r.title == "Translation Artifacts in Cross-lingual Transfer Learning"
    assert r.authors == ["Mikel Artetxe", "Gorka Labaka", "Eneko Agirre"]
    assert r.year == 2020
    assert r.arxiv_id == "2004.04721"


def test_acl_entry_with_question_mark_title() -> None:
    r = parse_reference(
        "Rowan Zellers, Ari Holtzman, Yonatan Bisk, Ali Farhadi, and Yejin Choi. 2019. HellaSwag: Can a machine "
        "really finish your sentence? In Proceedings of the 57th Annual Meeting of the ACL."
    )
    assert r.title == "HellaSwag: Can a machine really finish your sentence?"
    assert r.year == 2019 and len(r.authors) == 5


def test_springer_entry_with_doi() -> None:
    r = parse_reference(
        "Breiman, L. (1996b). Bagging predictors. Machine Learning, 24(2), 123-140. doi:10.1007/BF00058655."
    )
    assert r.title == "Bagging predictors"
    assert r.year == 1996
    assert r.authors == ["L. Breiman"]
    assert r.doi == "10.1007/BF00058655"


def test_icml_entry() -> None:
    r = parse_reference(
        "Mu, J., Li, X. L., and Goodman, N. Learning to compress prompts with gist tokens, 2023."
    )
    assert r.title == "Learning to compress prompts with gist tokens"
    assert r.authors == ["J. Mu", "X. L. Li", "N. Goodman"]
    assert r.year == 2023


def test_split_entries_acl_lines() -> None:
    lines = [
        "Mikel Artetxe, Gorka Labaka, and Eneko Agirre. 2020.",
        "Translation Artifacts in Cross-lingual Transfer",
        "Learning. arXiv e-prints, page arXiv:2004.04721.",
        "Samuel R. Bowman, Gabor Angeli, Christopher Potts,",
        "and Christopher D. Manning. 2015. A large anno-tated corpus.",
        "Yann LeCun. 2010. A single author paper. Venue.",
    ]
    entries = split_entries(lines)
    assert len(entries) == 3
    assert entries[0].startswith("Mikel Artetxe") and entries[0].endswith("arXiv:2004.04721.")
    assert entries[1].startswith("Samuel R. Bowman") and "Manning. 2015." in entries[1]
    assert entries[2].startswith("Yann LeCun")


def test_page_range_broken_over_lines_is_joined() -> None:
    lines = [
        "Rowan Zellers, Ari Holtzman, and Yejin Choi. 2019. HellaSwag: Can a machine really finish your",
        "sentence? In Proceedings of ACL, pages 4791\u2013",
        "4800, Florence, Italy.",
    ]
    [entry] = split_entries(lines)
    assert "pages 4791\u20134800, Florence" in entry


def test_numbered_entries() -> None:
    lines = [
        "[1] A. Author. A first title. 2001.",
        "continued here.",
        "[2] B. Author. Second title. 2002.",
        "[3] C. Author. Third title. 2003.",
    ]
    assert [e[:3] for e in split_entries(lines)] == ["[1]", "[2]", "[3]"]


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=300))
def test_parse_reference_never_raises(text: str) -> None:
    r = parse_reference(text)
    assert r.raw == text
    assert r.year is None or 1900 <= r.year <= 2099


@settings(max_examples=100, deadline=None)
@given(st.lists(st.text(alphabet=st.sampled_from(list("Ab. ,()12-9:")), max_size=40), max_size=20))
def test_split_entries_keeps_every_word(lines: list[str]) -> None:
    entries = split_entries(lines)
    assert "".join("".join(entries).split()) == "".join("".join(lines).split())


def test_corpus_bibliography_2005_13013(corpus_store) -> None:
    from synthesis.papers import get_references

    refs = get_references(corpus_store, "2005.13013v1")
    assert len(refs) >= 45
    with_title = [r for r in refs if r.title]
    assert len(with_title) / len(refs) >= 0.9, [r.raw[:80] for r in refs if not r.title]
    titles = {r.title for r in with_title}
    assert "Unsupervised cross-lingual representation learning at scale" in titles
    assert "XNLI: Evaluating cross-lingual sentence representations" in titles
    bert = [r for r in refs if r.title and r.title.startswith("BERT: Pre-training")]
    assert len(bert) == 2 and {r.year for r in bert} == {2019}
    assert any(r.arxiv_id == "1911.02116" for r in refs)
    assert all(r.year is None or 1950 <= r.year <= 2021 for r in refs)


def test_corpus_bibliographies_other_layouts(corpus_store, corpus_index) -> None:
    from synthesis.papers import get_references, list_papers

    by_title = {p.title: p for p in list_papers(corpus_store)}
    for entry in corpus_index["papers"]:
        refs = get_references(corpus_store, by_title[entry["title"]].id)
        assert len(refs) >= 20, entry["file"]
        assert sum(1 for r in refs if r.title) / len(refs) >= 0.8, entry["file"]


def test_parse_references_of_lines() -> None:
    refs = parse_references(["Yann LeCun. 2010. A single author paper. Venue.", "x"])
    assert len(refs) == 1 and refs[0].title == "A single author paper"
