"""Retrieval units beyond one sentence: adjacent-sentence windows (also across a page break) and table cells, each
quotable verbatim piece by piece; the default units stay what the verifier has always read."""

from __future__ import annotations

from synthesis.papers import get_pages
from synthesis.retrieval import BM25, inline_units, paper_units


def _all_quotes_verbatim(store, paper_id: str, units) -> None:
    pages = get_pages(store, paper_id)
    for u in units:
        for q in u.quotes():
            assert pages[q.page - 1][q.start : q.end] == q.text, (u.kind, u.text[:80])


def test_default_units_have_no_windows_or_cells(corpus_store) -> None:
    units = paper_units(corpus_store, "2005.13013v1")
    assert {u.kind for u in units} <= {"sentence", "abstract", "caption", "table-row"}
    assert all(u.quotes() == [u] and not u.parts for u in units)


def test_windows_and_cells_quote_verbatim_with_their_own_pages(corpus_store) -> None:
    units = paper_units(corpus_store, "2005.13013v1", windows=True, cells=True)
    kinds = {u.kind for u in units}
    assert {"window", "cell"} <= kinds
    assert len({u.key for u in units}) == len(units)
    _all_quotes_verbatim(corpus_store, "2005.13013v1", units)
    windows = [u for u in units if u.kind == "window"]
    across = [u for u in windows if u.crosses_page]
    assert across and all(u.parts[1].page == u.parts[0].page + 1 for u in across)
    pages = get_pages(corpus_store, "2005.13013v1")
    for u in windows:
        assert len(u.parts) == 2 and u.page == u.parts[0].page and u.start == u.parts[0].start
        if not u.crosses_page and u.end == u.parts[1].end:
            assert pages[u.page - 1][u.start : u.end] == u.text
        else:
            assert u.text == u.parts[0].text + " " + u.parts[1].text


def test_a_claim_over_two_sentences_finds_the_window(corpus_store) -> None:
    units = paper_units(corpus_store, "2005.13013v1", windows=True)
    windows = [u for u in units if u.kind == "window" and not u.crosses_page]
    w = windows[len(windows) // 2]
    a, b = w.parts
    # A claim made of the content of both sentences ranks the window above either sentence alone.
    claim_words = a.words[:6] + b.words[:6]
    bm25 = BM25(units)
    top = [units[i] for i, _ in bm25.top(claim_words, 3)]
    assert any(u.kind == "window" and u.parts == (a, b) for u in top)


def test_cell_units_cite_table_row_and_column(corpus_store) -> None:
    cells = [u for u in paper_units(corpus_store, "2005.13013v1", cells=True) if u.kind == "cell"]
    squad = next(
        u
        for u in cells
        if u.cell.row_headers == ("No MLM", "SQuAD") and u.table.column_name(u.cell.col) == "XNLI acc."
    )
    assert squad.text == "Table 2, row SQuAD (No MLM), column XNLI acc.: - 1.4"
    assert squad.page == 5 and squad.cell.value.value == -1.4 and squad.cell.bbox is not None
    assert squad.quotes()[0].text == "- 1.4" and squad.context.startswith("Table 2:")
    assert "#1.4" in squad.words and "squad" in squad.words


def test_inline_windows_join_consecutive_sentences() -> None:
    units = inline_units(["First part of the claim.", "", "Second part.", "Third part here."], windows=True)
    inline = [u for u in units if u.kind == "inline"]
    windows = [u for u in units if u.kind == "window"]
    assert [u.start for u in inline] == [0, 2, 3]
    assert [(w.parts[0].start, w.parts[1].start) for w in windows] == [(2, 3)]
    assert windows[0].text == "Second part. Third part here."
    assert inline_units(["a b c", "d e f"]) == inline_units(["a b c", "d e f"], windows=False)
