"""`assay report` on the real corpus (2005.13013v1, offline, with Extra-Trees and HyperLlama in the store): the
answer per facet, verbatim quotes, the typed report and its schema, reuse of stage artifacts, re-rendering, our own
auditor, and one-line errors that leave nothing half-written."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest

Q000 = (
    "How does the effectiveness of intermediate-task training vary across different language families in the "
    "XTREME benchmark when scaling model size?"
)
Q003 = (
    "What is the impact of combining multiple English intermediate language-understanding tasks (e.g., syntactic "
    "and semantic tasks) on the robustness of cross-lingual transfer in the PAWS-X task compared to single-task "
    "intermediate training?"
)
REPO = Path(__file__).resolve().parents[2]
FAST = {
    "ASSAY_OFFLINE": "1",
    "ASSAY_EMBEDDING_MODEL": "none",
    "ASSAY_VERIFIER_MODEL": "none",
    "SOURCE_DATE_EPOCH": "1780000000",
}


@pytest.fixture(scope="module")
def report_home(corpus_home: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A writable copy of the session's corpus home (three PDFs stored)."""
    home = tmp_path_factory.mktemp("report_home") / "home"
    shutil.copytree(corpus_home, home)
    return home


@pytest.fixture()
def cli(assay, report_home: Path, monkeypatch: pytest.MonkeyPatch):  # noqa: ANN001
    for k, v in FAST.items():
        monkeypatch.setenv(k, v)

    def run(*args: str):  # noqa: ANN202
        return assay("--home", str(report_home), *args)

    return run


@pytest.fixture(scope="module")
def made(report_home: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The report of sample 000's question in every format (built once for the module)."""
    from reports.cli import main

    out = tmp_path_factory.mktemp("report_out")
    with pytest.MonkeyPatch.context() as mp:
        for k, v in FAST.items():
            mp.setenv(k, v)
        with pytest.raises(SystemExit) as exc:
            main(
                [
                    "--home",
                    str(report_home),
                    "report",
                    "2005.13013v1",
                    "--question",
                    Q000,
                    "--format",
                    "txt,md,html,pdf,json",
                    "--out",
                    str(out),
                ]
            )
    assert exc.value.code == 0
    return out


def _report(made: Path) -> dict:
    return json.loads((made / "report.json").read_text(encoding="utf-8"))


def test_facets_and_answer_of_sample_000(made: Path) -> None:
    rep = _report(made)
    status = {f["label"]: f["status"] for f in rep["facets"]}
    assert status == {
        "effectiveness of intermediate-task training": "answered",
        "different language families": "partly answered",
        "scaling model size": "not answered",
    }
    assert rep["answer"]["status"] == "partly answered"
    assert any("model size" in u and "not answered" in u for u in rep["answer"]["unanswered"])
    size = next(f for f in rep["facets"] if f["label"] == "scaling model size")
    assert size["evidence"] == [] and "model size" in size["experiment"]
    # Every piece of the answer is a quote with its source, a connective, or a stated gap.
    for s in rep["answer"]["paragraph"]:
        assert s["kind"] in ("quote", "connective", "gap")
        if s["kind"] == "quote":
            assert s["ref"] == 1 and s["page"] >= 1
        elif s["kind"] == "connective":
            assert len(s["text"].split()) <= 12
    # Only the examined paper is cited: Extra-Trees and HyperLlama are in the store but unrelated.
    assert [r["paper"] for r in rep["references"]] == ["2005.13013v1"]
    assert rep["references"][0]["pdf_sha256"] and rep["references"][0]["version"] == "v1"
    assert {c["title"] for c in rep["methodology"]["candidates"]} == {
        "Extremely randomized trees",
        "Investigating the Effectiveness of HyperTuning via Gisting",
    }
    assert not any(c["used"] for c in rep["methodology"]["candidates"])
    assert rep["methodology"]["mode"] == "offline" and "offline" in rep["limitations"][0].lower()
    assert rep["reruns"]["status"] == "skipped"


def test_claims_whole_with_calibrated_confidences(made: Path, corpus_store) -> None:  # noqa: ANN001
    from synthesis.claims import extract_claims

    rep = _report(made)
    whole = {c.id: c.text for c in extract_claims(corpus_store, "2005.13013v1")}
    assert rep["claims"]
    for c in rep["claims"]:
        assert whole[c["id"]] == c["text"]  # never shortened
        assert c["mark"] == (
            {"supported": "✓", "refuted": "×"}.get(c["label"], "") if c["confidence"] >= 0.5 else ""
        )
    counts = {c["name"]: c["value"] for c in rep["methodology"]["counts"]}
    assert counts["claims bearing on the question"] == len(rep["claims"])
    assert counts["supported"] == sum(c["label"] == "supported" for c in rep["claims"])
    assert counts["statements extracted from the paper"] == len(whole)


def _quotes(rep: dict) -> list[dict]:
    out = [q for f in rep["facets"] for q in f["evidence"]]
    out += [q for c in rep["claims"] + rep["related_claims"] for q in c["evidence"]]
    out += [q for r in rep["references"] for q in r["matched"]]
    return out


def test_every_quote_is_verbatim_on_its_page(made: Path, corpus_store) -> None:  # noqa: ANN001
    from synthesis.papers import get_pages

    rep = _report(made)
    quotes = _quotes(rep)
    assert len(quotes) >= 5
    for q in quotes:
        page = get_pages(corpus_store, q["paper"])[q["page"] - 1]
        assert page[q["char_start"] : q["char_end"]] == q["quote"]
    para = [s for s in rep["answer"]["paragraph"] if s["kind"] == "quote"]
    assert para
    for s in para:
        assert s["text"] in get_pages(corpus_store, s["paper"])[s["page"] - 1]


def test_report_validates_and_schema_is_exported(made: Path) -> None:
    from reports.report.model import Report, json_schema

    rep = _report(made)
    Report.model_validate(rep)
    bad = dict(rep, claims=[dict(rep["claims"][0], confidence=1.7)])
    with pytest.raises(ValueError):
        Report.model_validate(bad)
    exported = json.loads((REPO / "docs" / "schemas" / "report.schema.json").read_text(encoding="utf-8"))
    assert exported == json_schema(), "run: python -m reports.report.model docs/schemas/report.schema.json"


def test_formats_have_the_sample_layout(made: Path) -> None:
    txt = (made / "report.txt").read_text(encoding="utf-8")
    for heading in (
        "Abstract",
        "1 Introduction",
        "2 Methodology",
        "3 Results",
        "4 Answer",
        "5 Limitations",
        "6 Extracted Claims",
        "References",
    ):
        assert f"\n{heading}\n" in txt
    assert "This paper examines: English Intermediate-Task Training" in txt
    assert (made / "report.md").read_text(encoding="utf-8").startswith("# ")
    html = (made / "report.html").read_text(encoding="utf-8")
    assert html.count("<svg") >= 3 and "<link" not in html and "src=" not in html  # self-contained
    assert (made / "report.pdf").read_bytes().startswith(b"%PDF-")


def test_our_report_passes_our_auditor(made: Path, report_home: Path) -> None:
    from reports.audit.run import audit_report
    from synthesis.settings import load_settings
    from synthesis.store import Store

    settings = load_settings(report_home, offline=True, embedding_model="none", verifier_model="none")
    with Store(settings.db_path) as store:
        audit = audit_report(store, settings, made / "report.txt")
    assert audit["findings"] == [], audit["findings"]
    assert audit["question"]["answered"] is True
    assert audit["summary"]["claims"]["total"] == len(_report(made)["claims"])


def test_rerun_reuses_every_stage_and_gives_the_same_bytes(made: Path, cli, tmp_path: Path) -> None:  # noqa: ANN001
    res = cli(
        "report", "2005.13013v1", "-q", Q000, "--format", "json,txt,pdf", "--out", str(tmp_path), "--timings"
    )
    assert res.code == 0, res.err
    statuses = dict(re.findall(r"stage (\w+)\s+(\w+)", res.err))
    assert statuses == {
        "resolve": "reused",
        "related": "reused",
        "claims": "reused",
        "verify": "reused",
        "answer": "reused",
        "reruns": "skipped",
        "assemble": "computed",
    }
    assert (tmp_path / "report.json").read_bytes() == (made / "report.json").read_bytes()
    assert (tmp_path / "report.txt").read_bytes() == (made / "report.txt").read_bytes()
    assert (tmp_path / "report.pdf").read_bytes() == (made / "report.pdf").read_bytes()


def test_changed_template_rerenders_without_recomputing(made: Path, cli, tmp_path: Path) -> None:  # noqa: ANN001
    tpl = tmp_path / "mine.txt.j2"
    tpl.write_text(
        "{{ question }}|{% for f in facets %}{{ f.label }}={{ f.status }};{% endfor %}\n", encoding="utf-8"
    )
    res = cli("render", str(made / "report.json"), "--template", str(tpl), "--out", str(tmp_path / "r"))
    assert res.code == 0, res.err
    assert (tmp_path / "r" / "report.txt").read_text(encoding="utf-8") == (
        Q000
        + "|effectiveness of intermediate-task training=answered;different language families=partly answered;"
        "scaling model size=not answered;"
    )
    again = cli("report", "2005.13013v1", "-q", Q000, "--template", str(tpl), "--timings")
    assert again.code == 0 and again.out.startswith(Q000 + "|")
    assert "computed" not in {s for s in re.findall(r"stage (?!assemble)\w+\s+(\w+)", again.err)}


def test_html_escapes_what_comes_from_papers(made: Path) -> None:
    from reports.report.render import render

    rep = _report(made)
    evil = "<script>alert(1)</script>"
    rep["paper"]["title"] = f"Title {evil}"
    rep["facets"][0]["evidence"][0]["quote"] = f"quote {evil}"
    rep["references"][0]["title"] = evil
    html = render(rep, "html").decode("utf-8")
    assert "<script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert render(rep, "pdf").startswith(b"%PDF-")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["2005.13013v1", "-q", "  "], "empty --question"),
        (["9999.99999", "-q", Q000], "not in the store"),
        (["no such paper at all", "-q", Q000], "no paper matches"),
        (["2005.13013v1", "-q", Q000, "--template", "missing.txt.j2"], "does not exist"),
        (["2005.13013v1", "-q", Q000, "--format", "docx"], "unknown format"),
        (["2005.13013v1", "-q", Q000, "--related", "99"], "--related 99"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(cli, args: list[str], message: str) -> None:  # noqa: ANN001
    res = cli("report", *args)
    assert res.code == 2
    assert message in res.err and len(res.err.strip().splitlines()) == 1, res.err


def test_bad_template_and_unwritable_folder_write_nothing(made: Path, cli, tmp_path: Path) -> None:  # noqa: ANN001
    tpl = tmp_path / "bad.txt.j2"
    tpl.write_text("{% for x in %}\n", encoding="utf-8")
    out = tmp_path / "out"
    res = cli(
        "render", str(made / "report.json"), "--format", "txt,md", "--template", str(tpl), "--out", str(out)
    )
    assert res.code == 2 and "syntax error on line 1" in res.err and not out.exists()
    blocker = tmp_path / "file"
    blocker.write_text("x", encoding="utf-8")
    res = cli("render", str(made / "report.json"), "--format", "txt", "--out", str(blocker / "sub"))
    assert res.code == 2 and "cannot create output folder" in res.err
    res = cli("render", str(tmp_path / "bad.txt.j2"), "--format", "txt")
    assert res.code == 2 and "is not JSON" in res.err


def test_interrupted_run_resumes_from_saved_stages(
    report_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from reports.report import pipeline
    from synthesis.settings import load_settings
    from synthesis.store import Store

    settings = load_settings(report_home, offline=True, embedding_model="none", verifier_model="none")
    question = "Does multilingual MLM during intermediate-task training help cross-lingual transfer?"

    def killed(*a, **k):  # noqa: ANN002, ANN003, ANN202
        raise KeyboardInterrupt

    with Store(settings.db_path) as store:
        real = pipeline.verify_stage
        monkeypatch.setattr(pipeline, "verify_stage", killed)
        with pytest.raises(KeyboardInterrupt):
            pipeline.build(store, settings, "2005.13013v1", question)
        monkeypatch.setattr(pipeline, "verify_stage", real)
        _, stages = pipeline.build(store, settings, "2005.13013v1", question)
    assert {s.name: s.status for s in stages.log if s.name != "assemble"} == {
        "resolve": "reused",
        "related": "reused",
        "claims": "reused",
        "verify": "computed",
        "answer": "computed",
        "reruns": "skipped",
    }


def test_sample_003_report_cites_and_passes_the_audit(
    cli,
    report_home: Path,
    tmp_path: Path,  # noqa: ANN001
    corpus_store,
) -> None:  # noqa: ANN001
    from reports.audit.run import audit_report
    from synthesis.papers import get_pages
    from synthesis.settings import load_settings
    from synthesis.store import Store

    res = cli("report", "2005.13013v1", "-q", Q003, "--format", "txt,json", "--out", str(tmp_path))
    assert res.code == 0, res.err
    rep = json.loads((tmp_path / "report.json").read_text(encoding="utf-8"))
    status = {f["role"]: f["status"] for f in rep["facets"]}
    assert status["subject"] == "answered"  # multi-task intermediate training is what the paper compares
    assert status["outcome"] == "not answered"  # it never speaks of robustness
    assert [r["paper"] for r in rep["references"]] == ["2005.13013v1"]
    for q in _quotes(rep):
        assert (
            get_pages(corpus_store, q["paper"])[q["page"] - 1][q["char_start"] : q["char_end"]] == q["quote"]
        )
    settings = load_settings(report_home, offline=True, embedding_model="none", verifier_model="none")
    with Store(settings.db_path) as store:
        audit = audit_report(store, settings, tmp_path / "report.txt")
    assert audit["findings"] == [], audit["findings"]


def _related_pdf(path: Path) -> None:
    """A small related paper (reportlab) that reports on the question and on a quantity the examined paper states."""
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen import canvas

    lines = [
        "Abstract",
        "We study intermediate-task training of XLM-R Large across language families on the XTREME benchmark.",
        "1 Introduction",
        "Intermediate-task training helps zero-shot cross-lingual transfer for many target languages.",
        "2 Results",
        "Intermediate-task training of the XLM-R Large model gives an average XTREME score of 68.1 across "
        "language families.",
        "Intermediate-task training improves Romance language families by 3 points more than Bantu language families.",
    ]
    c = canvas.Canvas(str(path), pagesize=A4)
    c.setFont("Helvetica-Bold", 13)
    c.drawString(50, 800, "Intermediate-Task Training Across Language Families on XTREME")
    y = 770
    for line in lines:
        c.setFont("Helvetica", 8)
        c.drawString(50, y, line)
        y -= 18
    c.save()


def test_a_related_paper_in_the_store_is_cited_with_why(
    corpus_home: Path,
    tmp_path: Path,
    assay,  # noqa: ANN001
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from synthesis.ingest import ingest_pdf
    from synthesis.papers import get_pages
    from synthesis.settings import load_settings
    from synthesis.store import Store

    home = tmp_path / "home"
    shutil.copytree(corpus_home, home)
    pdf = tmp_path / "families.pdf"
    _related_pdf(pdf)
    settings = load_settings(home, offline=True, embedding_model="none", verifier_model="none")
    with Store(settings.db_path) as store:
        rid = ingest_pdf(
            store,
            settings,
            pdf,
            title="Intermediate-Task Training Across Language Families on XTREME",
            metadata={"authors": ["A. Tester"], "published": "2021-01-01"},
        ).paper_id
    for k, v in FAST.items():
        monkeypatch.setenv(k, v)
    res = assay("--home", str(home), "report", "2005.13013v1", "-q", Q000, "--format", "json")
    assert res.code == 0, res.err
    rep = json.loads(res.out)
    refs = {r["paper"]: r for r in rep["references"]}
    assert set(refs) == {"2005.13013v1", rid}  # Extra-Trees and HyperLlama still not cited
    rel = refs[rid]
    assert rel["role"] == "related" and rel["score"] >= 0.1 and rel["matched"] and "cited for" in rel["why"]
    fam = next(f for f in rep["facets"] if f["label"] == "different language families")
    assert fam["status"] == "answered" and {q["paper"] for q in fam["evidence"]} == {rid}
    assert any(s["kind"] == "quote" and s["paper"] == rid for s in rep["answer"]["paragraph"])
    assert rep["related_claims"] and all(c["paper"] == rid for c in rep["related_claims"])
    assert rep["comparisons"] and all(
        c["status"] in ("agree", "conflict", "undecided") for c in rep["comparisons"]
    )
    with Store(settings.db_path) as store:
        for q in _quotes(rep):
            assert get_pages(store, q["paper"])[q["page"] - 1][q["char_start"] : q["char_end"]] == q["quote"]
    size = next(f for f in rep["facets"] if f["label"] == "scaling model size")
    assert size["status"] == "not answered"


def test_a_table_cell_is_quoted_by_its_printed_value_and_cited_by_row_and_column() -> None:
    """A verdict decided by a table cell: the report's quote stays verbatim (the printed value, at the offsets it was
    read from) and carries the cell's citation; a value not at its offsets is dropped, never searched for."""
    from reports.report.model import Quote
    from reports.report.pipeline import _Citations

    page = "QQP (No MLM) - 1.4 - 2.1 - 5.6 - 6.9 + 0.4"
    start = page.index("- 6.9")
    cite = _Citations(ref_of={"p": 1}, pages_of={"p": [page]})
    cell = {
        "paper": "p",
        "page": 1,
        "quote": "Table 2, row QQP (No MLM), column NER F1: - 6.9",
        "kind": "table-cell",
        "cell_text": "- 6.9",
        "char_start": start,
        "char_end": start + 5,
        "score": 1.0,
    }
    (q,) = cite.evidence({"evidence": [cell]})
    assert q["quote"] == "- 6.9" and page[q["char_start"] : q["char_end"]] == "- 6.9"
    assert q["cell"] == "Table 2, row QQP (No MLM), column NER F1: - 6.9"
    Quote.model_validate(q)
    assert cite.evidence({"evidence": [dict(cell, char_start=0, char_end=5)]}) == []
