"""Ingestion into the store: the corpus papers with their provenance, deduplication, ids, bad input that changes
nothing, and interruption at any moment leaving either the whole paper or nothing."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from synthesis import papers as P
from synthesis.errors import AssayError
from synthesis.ingest import ingest_pdf, paper_id_for
from synthesis.settings import load_settings
from synthesis.store import Store

REPO = Path(__file__).resolve().parents[2]
TABLES = (
    "papers",
    "pages",
    "sections",
    "passages",
    "refs",
    "paper_tables",
    "table_cells",
    "table_extractions",
)
ABBREVIATIONS = ("et al.", "Fig.", "Eq.", "cf.", "i.e.", "e.g.", "Tab.", "Sec.", "vs.")


def snapshot(home: Path) -> tuple[dict[str, int], list[str]]:
    """Row counts of the paper tables and the files in the PDF cache."""
    counts = {}
    if (home / "assay.sqlite3").exists():
        with Store(home / "assay.sqlite3") as store:
            counts = {t: store.one(f"SELECT COUNT(*) AS n FROM {t}")["n"] for t in TABLES}
    cache = home / "pdfs"
    files = sorted(str(p.relative_to(cache)) for p in cache.rglob("*")) if cache.exists() else []
    return counts, files


@pytest.fixture()
def store_and_settings(home: Path):
    settings = load_settings(home, offline=True)
    store = Store(settings.db_path)
    yield store, settings
    store.close()


# ------------------------------------------------------------------------------------------- the corpus


def test_all_corpus_papers_ingested(corpus_store, corpus_index) -> None:
    stored = {p.title: p for p in P.list_papers(corpus_store)}
    assert len(stored) == len(corpus_index["papers"])
    for entry in corpus_index["papers"]:
        paper = stored[entry["title"]]
        assert paper.n_pages == entry["pages"]
        assert len(P.get_pages(corpus_store, paper.id)) == entry["pages"]
        assert paper.abstract and len(P.get_passages(corpus_store, paper.id, ("sentence",))) > 100
    assert stored[corpus_index["papers"][0]["title"]].id == "2005.13013v1"


def test_tables_are_stored_at_ingest(corpus_store) -> None:
    from synthesis.store import read_tables, tables_extracted

    assert tables_extracted(corpus_store, "2005.13013v1")
    tables = read_tables(corpus_store, "2005.13013v1")
    assert [t.label for t in tables] == ["Table 1", "Table 2", "Table 3", "Table 4"]
    t2 = tables[1]
    assert (
        len(t2.cells)
        == corpus_store.one(
            "SELECT COUNT(*) AS n FROM table_cells WHERE paper_id = '2005.13013v1' AND table_idx = 1"
        )["n"]
    )
    row = corpus_store.one("SELECT * FROM table_extractions WHERE paper_id = '2005.13013v1'")
    assert row["n_tables"] == 4 and row["error"] is None and row["extractor"].startswith("pdfplumber ")


def test_tables_of_papers_ingested_before_tables_are_extracted_lazily(
    store_and_settings, small_paper: bytes, home: Path
) -> None:
    from synthesis.ingest import ensure_tables
    from synthesis.store import tables_extracted

    store, settings = store_and_settings
    pid = ingest_pdf(store, settings, small_paper).paper_id
    with store.transaction() as conn:  # as if ingested before migration 0002
        conn.execute("DELETE FROM table_extractions WHERE paper_id = ?", (pid,))
    assert not tables_extracted(store, pid)
    assert ensure_tables(store, settings, pid) == []
    assert (
        store.one("SELECT n_tables, error FROM table_extractions WHERE paper_id = ?", (pid,))["error"] is None
    )
    # Without the PDF in the cache, the extraction is recorded empty with the reason.
    with store.transaction() as conn:
        conn.execute("DELETE FROM table_extractions WHERE paper_id = ?", (pid,))
    for f in (home / "pdfs").rglob("*.pdf"):
        f.unlink()
    assert ensure_tables(store, settings, pid) == []
    assert (
        "not in the cache"
        in store.one("SELECT error FROM table_extractions WHERE paper_id = ?", (pid,))["error"]
    )
    with pytest.raises(AssayError):
        ensure_tables(store, settings, "no-such-paper")


def test_front_matter_abstract_and_sentences_of_every_corpus_paper(corpus_store, corpus_index) -> None:
    stored = {p.title: p for p in P.list_papers(corpus_store)}
    for entry in corpus_index["papers"]:
        paper = stored[entry["title"]]
        assert paper.meta["extracted_title"] == entry["title"]  # read from page 1, not only given
        assert paper.meta["extracted_authors"] == entry["authors"]
        abstracts = P.get_passages(corpus_store, paper.id, ("abstract",))
        assert len(abstracts) == 1 and "\n" not in abstracts[0].text and len(abstracts[0].text) > 400
        for s in P.get_passages(corpus_store, paper.id, ("sentence",)):
            assert not s.text.endswith(ABBREVIATIONS), (entry["file"], s.text)
            assert s.section != "References"


def test_every_passage_is_traceable_to_its_page(corpus_store) -> None:
    n = 0
    for paper in P.list_papers(corpus_store):
        pages = P.get_pages(corpus_store, paper.id)
        for x in P.get_passages(corpus_store, paper.id):
            assert 1 <= x.page_no <= len(pages)
            assert pages[x.page_no - 1][x.char_start : x.char_end] == x.text, (paper.id, x)
            assert x.text == x.text.strip() and x.text
            n += 1
    assert n > 1000


def test_2005_13013_title_and_authors_read_from_page_one(
    store_and_settings, paper_pdf: Path, corpus_index
) -> None:
    store, settings = store_and_settings
    res = ingest_pdf(store, settings, paper_pdf)  # no title, no arXiv id: everything from the PDF
    entry = corpus_index["papers"][0]
    assert res.created and res.n_pages == 11
    assert res.paper_id.startswith("sha256:")
    assert res.title == entry["title"]
    assert P.get_paper(store, res.paper_id).authors == entry["authors"]


def test_2005_13013_sections(corpus_store) -> None:
    secs = [(s.number, s.title) for s in P.get_sections(corpus_store, "2005.13013v1")]
    expected = [
        (None, "Abstract"),
        ("1", "Introduction"),
        ("2", "Approach"),
        ("2.1", "Intermediate Tasks"),
        ("2.2", "Target Tasks"),
        ("2.3", "Multilingual Masked Language Modeling"),
        ("3", "Experiments and Results"),
        ("3.1", "Models"),
        ("3.2", "Results"),
        ("4", "Related work"),
        ("5", "Conclusion and Future work"),
        (None, "Acknowledgments"),
        (None, "References"),
        ("A", "Implementation details"),
        ("A.1", "Intermediate Tasks"),
        ("A.2", "Target Tasks / XTREME Benchmark"),
        ("A.3", "Software"),
    ]
    assert secs == expected
    pages = P.get_pages(corpus_store, "2005.13013v1")
    for s in P.get_sections(corpus_store, "2005.13013v1"):
        assert pages[s.page_no - 1][s.char_start :].startswith(
            f"{s.number} {s.title}" if s.number else s.title
        )


def test_2005_13013_abstract_is_one_clean_passage(corpus_store) -> None:
    abstracts = P.get_passages(corpus_store, "2005.13013v1", ("abstract",))
    assert len(abstracts) == 1
    a = abstracts[0].text
    assert a.startswith("Intermediate-task training has been shown to substantially improve")
    assert a.endswith("training offer significant improvements.")
    assert "average improvement of 8.4 points" in a
    assert "- " not in a and "\n" not in a
    assert "6.1 point improvement over XLM-R Large" in a
    assert P.get_paper(corpus_store, "2005.13013v1").abstract == a


def test_2005_13013_sentences(corpus_store) -> None:
    sents = P.get_passages(corpus_store, "2005.13013v1", ("sentence",))
    texts = [s.text for s in sents]
    for t in texts:
        assert not t.endswith(ABBREVIATIONS), t
    assert any("(Conneau et al., 2019)" in t for t in texts)
    intro = [s for s in sents if s.section == "Introduction"]
    assert intro and intro[0].text.startswith("Zero-shot cross-lingual transfer involves training")
    assert any(s.section == "A.2" or s.section == "Target Tasks / XTREME Benchmark" for s in sents)
    assert all(s.section is not None for s in sents if s.page_no > 1)
    captions = P.get_passages(corpus_store, "2005.13013v1", ("caption",))
    assert any(c.text.startswith("Table 3: Intermediate-task training configuration") for c in captions)
    assert any(c.text.startswith("Figure 1:") for c in captions)


def test_sentence_across_page_break_is_two_passages(store_and_settings, small_paper: bytes) -> None:
    store, settings = store_and_settings
    res = ingest_pdf(store, settings, small_paper)
    sents = P.get_passages(store, res.paper_id, ("sentence",))
    last_p1 = [s for s in sents if s.page_no == 1][-1]
    first_p2 = [s for s in sents if s.page_no == 2][0]
    assert last_p1.text.endswith("in much more detail")
    assert first_p2.text == "than before."
    assert last_p1.section == first_p2.section == "Introduction"
    assert P.get_paper(store, res.paper_id).meta["continued_sentences"] == [[last_p1.idx, first_p2.idx]]
    assert P.get_paper(store, res.paper_id).title == "A Small Test Paper About Averages"
    assert P.get_paper(store, res.paper_id).authors == ["Ada Lovelace", "Alan Turing", "Grace Hopper"]
    assert "Preprint under review" not in P.get_pages(store, res.paper_id)[1]


def test_sentence_runs_on_past_a_footnote_and_a_caption() -> None:
    from synthesis.ingest import parse_raw
    from synthesis.pdftext import RawDocument

    width_line = "This paragraph is written in prose lines that fill the whole"
    page1 = [
        "1 Introduction",
        width_line,
        "column and the last sentence on this page runs on to the",
        "3Footnotes sit at the foot of the column and end here.",
        "12",
    ]
    page2 = [
        "Table 1: A caption set at the top of the next page.",
        "next page where it ends. A new sentence follows.",
    ]
    parsed = parse_raw(RawDocument(["\n".join(page1), "\n".join(page2)]))
    texts = [(x.page_no, x.kind, x.text) for x in parsed.passages]
    assert (1, "sentence", "column and the last sentence on this page runs on to the") not in texts
    assert any(t.endswith("runs on to the") and p == 1 for p, _, t in texts)
    assert (2, "sentence", "next page where it ends.") in texts
    [group] = parsed.continued  # the two pieces are recorded as one sentence
    assert " ".join(parsed.passages[i].text for i in group).endswith(
        "runs on to the next page where it ends."
    )
    assert (1, "sentence", "3Footnotes sit at the foot of the column and end here.") in texts
    assert (2, "caption", "Table 1: A caption set at the top of the next page.") in texts
    assert "12" not in parsed.pages[0].split()  # the page number is gone


def test_sentence_runs_on_over_a_page_break_into_a_number() -> None:
    # 2005.13013v1 p.6-7: "We improve over XLM-R by" + "6.1 points on average ..." is one sentence; a numbered
    # list item ("7. super glue wsc", hyperllama p.12) on the next page does not continue the page before.
    from synthesis.ingest import parse_raw
    from synthesis.pdftext import RawDocument

    width_line = "This paragraph is written in prose lines that fill the whole"
    page1 = ["1 Conclusion", width_line, "column and in the end we improve over the baseline by"]
    for opening, joined in (
        ("6.1 points on average. A new sentence follows.", True),
        ("7. super glue wsc fixed prompt", False),
    ):
        parsed = parse_raw(RawDocument(["\n".join(page1), opening]))
        groups = [" ".join(parsed.passages[i].text for i in g) for g in parsed.continued]
        if joined:
            assert len(groups) == 1 and groups[0].endswith(
                "we improve over the baseline by 6.1 points on average."
            )
        else:
            assert groups == []


def test_sentence_runs_on_past_the_authors_address_block() -> None:
    # extratrees.pdf p.1 ends with names and an address under the text; p.2 continues the text, not the address
    from synthesis.ingest import parse_raw
    from synthesis.pdftext import RawDocument

    page1 = [
        "1 Introduction",
        "This paragraph is written in prose lines that fill the whole",
        "column and the last sentence on this page runs on even if later it was",
        "Editor: Johannes Fuernkranz",
        "P. Geurts \u00b7 D. Ernst \u00b7 L. Wehenkel",
        "Department of Electrical Engineering and Computer Science, University of Liege, B-4000 Belgium",
        "e-mail: P.Geurts@ulg.ac.be",
    ]
    parsed = parse_raw(
        RawDocument(["\n".join(page1), "shown in a later experiment. A new sentence follows."])
    )
    [group] = parsed.continued
    assert " ".join(parsed.passages[i].text for i in group).endswith(
        "even if later it was shown in a later experiment."
    )


# ------------------------------------------------------------------------------------------- ids, duplicates


def test_ids_are_normalised_and_validated() -> None:
    sha = "a" * 64
    assert paper_id_for("2005.13013v1", None, sha) == ("2005.13013v1", "2005.13013", "v1")
    assert paper_id_for("2005.13013", "v1", sha) == ("2005.13013v1", "2005.13013", "v1")
    assert paper_id_for("arXiv:2005.13013", "1", sha) == ("2005.13013v1", "2005.13013", "v1")
    assert paper_id_for("2005.13013", None, sha) == (f"sha256:{sha}", "2005.13013", None)
    assert paper_id_for(None, None, sha) == (f"sha256:{sha}", None, None)
    for bad in ("../etc/passwd", "2005.13", "hello", "2005.13013v1; DROP TABLE papers"):
        with pytest.raises(AssayError, match="not an arXiv id"):
            paper_id_for(bad, None, sha)
    with pytest.raises(AssayError, match="disagree"):
        paper_id_for("2005.13013v1", "v2", sha)
    with pytest.raises(AssayError):
        paper_id_for("2005.13013", "latest", sha)


def test_same_file_twice_and_same_bytes_under_another_id(
    store_and_settings, small_paper: bytes, home: Path
) -> None:
    store, settings = store_and_settings
    first = ingest_pdf(store, settings, small_paper, arxiv_id="2101.00001v2")
    assert first.created and first.paper_id == "2101.00001v2"
    before = snapshot(home)
    again = ingest_pdf(store, settings, small_paper, arxiv_id="2101.00001", version="v2")
    other = ingest_pdf(store, settings, small_paper, arxiv_id="2202.00002v1")
    plain = ingest_pdf(store, settings, small_paper)
    for r in (again, other, plain):
        assert not r.created and r.paper_id == "2101.00001v2" and r.n_pages == 2
    assert snapshot(home) == before


def test_other_bytes_under_a_stored_id_is_an_error(
    store_and_settings, pdfs, small_paper: bytes, home: Path
) -> None:
    store, settings = store_and_settings
    ingest_pdf(store, settings, small_paper, arxiv_id="2101.00001v1")
    before = snapshot(home)
    other = pdfs.text_pdf(
        [["A different paper with different words in it.", "And a second line of text here."]]
    )
    with pytest.raises(AssayError, match="already stored from a different PDF"):
        ingest_pdf(store, settings, other, arxiv_id="2101.00001v1")
    assert snapshot(home) == before


def test_given_metadata_wins(store_and_settings, small_paper: bytes) -> None:
    store, settings = store_and_settings
    meta = {
        "authors": ["X Y"],
        "published": "2020-05-26",
        "updated": "2020-06-01",
        "abstract": "Given abstract.",
        "doi": "10.1/xyz",
        "comment": "11 pages",
    }
    res = ingest_pdf(
        store, settings, small_paper, arxiv_id="2005.13013v1", title="Given Title", metadata=meta
    )
    p = P.get_paper(store, res.paper_id)
    assert (p.title, p.authors, p.published, p.updated, p.abstract, p.doi) == (
        "Given Title",
        ["X Y"],
        "2020-05-26",
        "2020-06-01",
        "Given abstract.",
        "10.1/xyz",
    )
    assert p.arxiv_id == "2005.13013" and p.version == "v1"
    assert (
        p.meta["comment"] == "11 pages" and p.meta["extracted_title"] == "A Small Test Paper About Averages"
    )
    assert (settings.pdf_cache / p.pdf_sha256[:2] / f"{p.pdf_sha256}.pdf").read_bytes() == small_paper


# ------------------------------------------------------------------------------------------- bad input


def _bad_inputs(pdfs, small_paper: bytes, tmp: Path) -> dict[str, object]:
    (tmp / "notes.pdf").write_text("just some notes, not a PDF\n")
    (tmp / "enc.pdf").write_bytes(pdfs.encrypted_pdf(small_paper))
    (tmp / "cut.pdf").write_bytes(pdfs.truncated(small_paper))
    (tmp / "scan.pdf").write_bytes(pdfs.scanned_pdf())
    return {
        "not a PDF": tmp / "notes.pdf",
        "encrypted": tmp / "enc.pdf",
        "truncated or corrupt": tmp / "cut.pdf",
        "no extractable text": tmp / "scan.pdf",
        "no such file": tmp / "missing.pdf",
    }


def test_bad_input_changes_nothing(
    store_and_settings, pdfs, small_paper: bytes, tmp_path: Path, home: Path
) -> None:
    store, settings = store_and_settings
    ingest_pdf(store, settings, small_paper)
    before = snapshot(home)
    for message, path in _bad_inputs(pdfs, small_paper, tmp_path).items():
        with pytest.raises(AssayError, match=message) as err:
            ingest_pdf(store, settings, path)
        assert "\n" not in str(err.value)
        assert snapshot(home) == before, message
    small = load_settings(home, offline=True, max_pdf_bytes=1000)
    with pytest.raises(AssayError, match="over the limit"):
        ingest_pdf(store, small, small_paper + b" ")
    assert snapshot(home) == before


# ------------------------------------------------------------------------------------------- interruption


def _run_cli(home: Path, pdf: Path) -> subprocess.Popen:
    env = dict(os.environ, PYTHONPATH=str(REPO))
    return subprocess.Popen(
        [sys.executable, "-m", "reports.cli", "--home", str(home), "ingest", str(pdf)],
        cwd=REPO,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )


def _check_whole_or_nothing(home: Path, full: dict[str, int]) -> str:
    counts, files = snapshot(home)
    assert not [f for f in files if Path(f).name.startswith(".part-")], files
    if not counts or counts["papers"] == 0:
        assert not counts or all(v == 0 for v in counts.values()), counts
        return "nothing"
    assert counts == full
    assert [f for f in files if f.endswith(".pdf")], "a stored paper has its PDF in the cache"
    return "whole"


def _kill_at(
    tmp_path: Path, pdf: Path, full: dict[str, int], sig: int, delay: float, tag: str, recover: bool = False
) -> str:
    home = tmp_path / f"h-{tag}"
    proc = _run_cli(home, pdf)
    time.sleep(delay)
    proc.send_signal(sig)
    proc.communicate(timeout=120)
    state = _check_after_sweep(home, full)
    if recover:  # ingesting again after the interruption completes the paper (or finds it complete)
        settings = load_settings(home, offline=True)
        with Store(settings.db_path) as store:
            res = ingest_pdf(store, settings, pdf)
        assert res.created == (state == "nothing")
        assert _check_whole_or_nothing(home, full) == "whole"
    return state


def _check_after_sweep(home: Path, full: dict[str, int]) -> str:
    from synthesis import pdfcache

    pdfcache.sweep_stale_partials(home / "pdfs")  # what every ingest does first
    return _check_whole_or_nothing(home, full)


@pytest.fixture(scope="module")
def full_run(tmp_path_factory: pytest.TempPathFactory, paper_pdf: Path) -> tuple[dict[str, int], float]:
    """Row counts after a complete `assay ingest` of the paper, and how long that took."""
    home = tmp_path_factory.mktemp("full")
    t0 = time.monotonic()
    proc = _run_cli(home, paper_pdf)
    out, err = proc.communicate(timeout=300)
    took = time.monotonic() - t0
    assert proc.returncode == 0, err.decode()
    counts, _ = snapshot(home)
    assert counts["papers"] == 1
    return counts, took


def _paper_counts(store: Store, paper_id: str) -> dict[str, int]:
    counts = {"papers": 1}
    for t in TABLES[1:]:
        counts[t] = store.one(f"SELECT COUNT(*) AS n FROM {t} WHERE paper_id = ?", (paper_id,))["n"]
    return counts


@pytest.mark.parametrize(("sig", "delay"), [(signal.SIGKILL, 3.0), (signal.SIGINT, 4.5)])
def test_interrupted_ingest_leaves_whole_paper_or_nothing(
    corpus_store, tmp_path: Path, paper_pdf: Path, sig, delay
):
    full = _paper_counts(corpus_store, "2005.13013v1")
    _kill_at(tmp_path, paper_pdf, full, sig, delay, "x", recover=True)


@pytest.mark.slow
def test_interrupted_ingest_at_many_moments(full_run, tmp_path: Path, paper_pdf: Path) -> None:
    full, took = full_run
    seen = set()
    for i, fraction in enumerate((0.1, 0.3, 0.5, 0.7, 0.8, 0.9, 0.95, 1.0, 1.1)):
        for sig in (signal.SIGKILL, signal.SIGINT):
            seen.add(_kill_at(tmp_path, paper_pdf, full, sig, took * fraction, f"{i}-{int(sig)}"))
    assert "nothing" in seen


def test_sweep_keeps_live_writers_and_removes_dead_ones(tmp_path: Path) -> None:
    from synthesis import pdfcache

    cache = tmp_path / "pdfs"
    live = pdfcache.temp_file(cache)  # ours: this process is alive
    dead = cache / ".part-999999999-abc.pdf"
    dead.write_bytes(b"partial")
    assert pdfcache.sweep_stale_partials(cache) == 1
    assert live.exists() and not dead.exists()


# ------------------------------------------------------------------------------------------- property: offsets

_LINES = st.sampled_from(
    [
        "Abstract",
        "References",
        "1 Introduction",
        "2.1 Results and More",
        "A Appendix Details",
        "We study how the model performs on av-",
        "erage across many tasks and multi-",
        "task training helps.",
        "Results in Fig. 2 agree with Smith et al. (2020) and e.g. earlier work by Jones.",
        "Table 1: Results on the dev set.",
        "Figure 2. A caption that wraps onto",
        "3A footnote set in the column.",
        "4https://github.com/some/",
        "repo",
        "12",
        "XLM-",
        "R works here.",
        "Mikel Artetxe, Gorka Labaka, and Eneko Agirre. 2020.",
        "Translation Artifacts.",
        "\u00ef\u00ac\u0081 odd bytes \ufb01ne\u00b4e",
        "short",
        "",
        "  ",
        "a b c d e f g h i j k l m n o p q r s t u v w x y z.",
    ]
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(st.lists(_LINES, max_size=14), min_size=1, max_size=4),
    st.lists(st.tuples(st.floats(0, 30), st.text(max_size=20)), max_size=6),
)
def test_every_passage_offset_holds_on_random_pages(pages: list[list[str]], runs) -> None:
    from synthesis.ingest import parse_raw
    from synthesis.pdftext import RawDocument

    parsed = parse_raw(RawDocument(["\n".join(p) for p in pages], first_page_runs=tuple(runs)))
    assert len(parsed.pages) == len(pages)
    for x in parsed.passages:
        assert parsed.pages[x.page_no - 1][x.char_start : x.char_end] == x.text
        assert x.text and x.text == x.text.strip()
    for s in parsed.sections:
        assert 0 <= s.char_start < len(parsed.pages[s.page_no - 1])
    kinds = [x.kind for x in parsed.passages]
    assert kinds.count("abstract") <= 1
