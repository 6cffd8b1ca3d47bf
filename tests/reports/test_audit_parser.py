"""The report parser: the real samples, layout variations, hostile input, and property-based tests."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reports.audit.parser import MAX_REPORT_BYTES, parse_report, read_report
from synthesis.errors import AssayError

SAMPLE_000 = "000_0fa8aa2f6002a672.txt"
SAMPLE_003 = "003_e33cde30560dc40f.txt"
PAPER_TITLE = "English Intermediate-Task Training Improves Zero-Shot Cross-Lingual Transfer Too"


@pytest.fixture(scope="module")
def samples(shared_dir: Path) -> dict[str, str]:
    folder = shared_dir / "samples" / "reports"
    return {p.name: p.read_text(encoding="utf-8") for p in folder.glob("*.txt")}


def test_sample_000_markdown_every_part(samples: dict[str, str]) -> None:
    rep = parse_report(samples[SAMPLE_000])
    assert rep.layout == "markdown"
    assert rep.title.startswith("Variation in Intermediate-Task Training Effectiveness")
    assert rep.author == "Assignee Research"
    assert rep.date == "2026-07-07"
    assert rep.abstract.startswith("Intermediate-task training") and rep.abstract.endswith("retrieval tas")
    assert rep.paper_title == PAPER_TITLE
    assert rep.question.startswith("How does the effectiveness") and rep.question.endswith("model size?")
    stated = {(c.name, c.value, c.section) for c in rep.counts}
    assert ("papers_retrieved", 16, "methodology") in stated and ("papers_retrieved", 16, "results") in stated
    assert ("claims_extracted", 10, "results") in stated and ("claims_verified", 10, "results") in stated
    assert {(c.name, c.value, c.scale) for c in rep.counts if c.name == "quality_score"} == {
        ("quality_score", 9.2, 10)
    }
    assert len(rep.claims) == 10
    first = rep.claims[0]
    assert first.text.endswith("8.2, 7.5, and 7.0 point") and 118 <= len(first.text) <= 122
    assert (first.mark, first.confidence) == ("✓", 0.28)
    assert [c.confidence for c in rep.claims][-1] == 0.20
    assert [(r.arxiv_id, r.version) for r in rep.references] == [
        ("2505.18673", "v1"),
        ("2005.13013", "v2"),
        ("2212.01757", "v1"),
    ]
    assert rep.problems == []


def test_sample_003_plain_headings(samples: dict[str, str]) -> None:
    rep = parse_report(samples[SAMPLE_003])
    assert rep.layout == "plain"
    assert rep.title == "Impact of Multi-Task Intermediate Training on Cross-Lingual Robustness in PAWS-X"
    assert rep.date == "2026-06-21"
    assert rep.sections == [
        "Abstract",
        "Introduction",
        "Methodology",
        "Results",
        "Limitations",
        "Extracted Claims",
        "References",
    ]
    assert rep.paper_title == PAPER_TITLE
    assert "PAWS-X" in rep.question and rep.question.endswith("?")
    assert len(rep.claims) == 9 and all(c.mark == "✓" for c in rep.claims)
    assert rep.claims[7].confidence == 0.42
    # The blank line inside the reference list does not lose the third reference.
    assert [r.arxiv_id for r in rep.references] == ["2003.11080", "2201.11957", "2005.13013"]
    assert rep.problems == []


def test_spaces_instead_of_tabs_and_pipes(samples: dict[str, str]) -> None:
    spaced = samples[SAMPLE_003].replace("\t", "    ")
    rep = parse_report(spaced)
    assert len(rep.claims) == 9 and rep.claims[0].confidence == 0.27 and rep.problems == []
    piped = "\n".join(
        "| " + " | ".join(line.split("\t")) + " |" if "\t" in line else line
        for line in samples[SAMPLE_003].split("\n")
    )
    rep = parse_report(piped)
    assert len(rep.claims) == 9 and rep.claims[-1].confidence == 0.28 and rep.problems == []


def test_crlf_and_bom(samples: dict[str, str]) -> None:
    rep = parse_report("\ufeff" + samples[SAMPLE_000].replace("\n", "\r\n"))
    assert len(rep.claims) == 10 and rep.date == "2026-07-07" and rep.problems == []


def test_missing_sections_are_reported_not_dropped() -> None:
    rep = parse_report("A title\n\nSome Author\n\nAbstract\n\nJust an abstract.\n")
    messages = " | ".join(p.message for p in rep.problems)
    assert "claims table" in messages and "references" in messages
    assert "paper examined is not stated" in messages and "research question is not stated" in messages
    assert rep.abstract == "Just an abstract." and rep.claims == []


def test_table_with_missing_column_is_salvaged_and_reported() -> None:
    text = (
        "T\n\nExtracted Claims\n\nClaim\tVerified\tConfidence\n"
        "A complete claim about XLM-R.\t✓\t0.5\n"
        "A row without its confidence.\t×\n"
        "A row without its mark.\t0.7\n"
    )
    rep = parse_report(text)
    assert [(c.text, c.mark, c.confidence) for c in rep.claims] == [
        ("A complete claim about XLM-R.", "✓", 0.5),
        ("A row without its confidence.", "×", None),
        ("A row without its mark.", None, 0.7),
    ]
    problems = [p for p in rep.problems if p.part == "claims"]
    assert [p.line for p in problems] == [7, 8]
    assert "missing confidence" in problems[0].message and "missing mark" in problems[1].message


@pytest.mark.parametrize(
    ("cell", "why"),
    [
        ("12345", "outside [0, 1]"),
        ("1e999", "not finite"),
        ("-0.2", "outside [0, 1]"),
        ("high", "not a number"),
        ("nan", "not finite"),
    ],
)
def test_hostile_confidences(cell: str, why: str) -> None:
    rep = parse_report(f"T\n\nClaims\n\nClaim\tVerified\tConfidence\nX is y.\t✓\t{cell}\n")
    assert rep.claims[0].confidence is None and rep.claims[0].confidence_raw == cell
    assert any(why in p.message for p in rep.problems)


def test_percent_confidence_and_word_marks() -> None:
    rep = parse_report(
        "T\n\nClaims\n\nClaim | Verified | Confidence\nX is y. | yes | 85%\nZ is w. | no | 10%\n"
    )
    assert [(c.mark, c.confidence) for c in rep.claims] == [("✓", 0.85), ("×", 0.10)]


def test_unknown_mark_is_a_problem() -> None:
    rep = parse_report("T\n\nClaims\n\nClaim\tVerified\tConfidence\nX is y.\tmaybe\t0.5\n")
    assert rep.claims[0].mark is None and any("neither ✓ nor ×" in p.message for p in rep.problems)


def test_references_of_every_kind() -> None:
    rep = parse_report(
        "T\n\nReferences\n\n- <https://arxiv.org/pdf/2003.11080v5.pdf>\n* arXiv:1911.02116\n"
        "[3] Geurts et al. Extremely randomized trees. doi:10.1007/s10994-006-6226-1\n- \n- ###\n"
    )
    refs = rep.references
    assert [(r.arxiv_id, r.version) for r in refs] == [
        ("2003.11080", "v5"),
        ("1911.02116", None),
        (None, None),
    ]
    assert refs[2].doi == "10.1007/s10994-006-6226-1" and "Extremely randomized trees" in refs[2].title
    assert len([p for p in rep.problems if p.part == "references"]) == 2


# ---------------------------------------------------------------------------------------------------- read_report


def test_read_empty_binary_large_and_non_utf8(tmp_path: Path) -> None:
    cases = {
        "empty.txt": (b"", "is empty"),
        "blank.txt": (b" \n\n\t\n", "is empty"),
        "binary.txt": (bytes(range(256)) * 40, "binary file"),
        "latin1.txt": ("Caf\xe9 report\n".encode("latin-1"), "not UTF-8"),
        "big.txt": (b"x" * (MAX_REPORT_BYTES + 1), "MB limit"),
        "broken.pdf": (b"%PDF-1.4\n garbage that is not a pdf", "corrupt PDF"),
    }
    for name, (data, message) in cases.items():
        path = tmp_path / name
        path.write_bytes(data)
        with pytest.raises(AssayError, match=message):
            read_report(path)
    with pytest.raises(AssayError, match="cannot read"):
        read_report(tmp_path / "missing.txt")
    with pytest.raises(AssayError, match="not a file"):
        read_report(tmp_path)


def test_read_pdf_report(tmp_path: Path, shared_dir: Path, make_report_pdf) -> None:  # noqa: ANN001
    """A PDF of a sample report parses to the same claims (layout of pypdf's text)."""
    text = (shared_dir / "samples" / "reports" / SAMPLE_003).read_text(encoding="utf-8")
    pdf = tmp_path / "report.pdf"
    pdf.write_bytes(make_report_pdf(text))
    extracted, _, fmt = read_report(pdf)
    assert fmt == "pdf"
    rep = parse_report(extracted)
    assert rep.paper_title == PAPER_TITLE
    assert len(rep.claims) == 9 and all(c.mark == "✓" for c in rep.claims)
    assert [c.confidence for c in rep.claims][:3] == [0.27, 0.25, 0.30]
    assert rep.claims[0].text.startswith("Intermediate-task training on SQuAD, MNLI, and HellaSwag")
    assert [r.arxiv_id for r in rep.references] == ["2003.11080", "2201.11957", "2005.13013"]


# ---------------------------------------------------------------------------------------------------- properties

_cell = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\t\n\r|"), max_size=80
)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(max_size=3000))
def test_parser_never_raises_on_any_text(text: str) -> None:
    rep = parse_report(text)
    for c in rep.claims:
        assert c.confidence is None or 0.0 <= c.confidence <= 1.0
        assert c.mark in (None, "✓", "×")


@settings(max_examples=150, deadline=None)
@given(st.lists(st.tuples(_cell, st.sampled_from(["✓", "×"]), st.floats(0, 1)), min_size=1, max_size=12))
def test_table_round_trip(rows: list[tuple[str, str, float]]) -> None:
    """Every well-formed row comes back with its mark and confidence, in order; nothing is silently dropped."""
    lines = ["Title", "", "Extracted Claims", "", "Claim\tVerified\tConfidence"]
    lines += [f"{text}\t{mark}\t{conf!r}" for text, mark, conf in rows]
    rep = parse_report("\n".join(lines))
    assert len(rep.claims) == len(rows)
    for claim, (text, mark, conf) in zip(rep.claims, rows, strict=True):
        assert claim.mark == mark
        assert claim.confidence == pytest.approx(conf)
        assert claim.text == text.strip()
    flagged = {p.line for p in rep.problems if p.part == "claims"}
    assert all(claim.text or claim.line in flagged for claim in rep.claims)


@settings(max_examples=100, deadline=None)
@given(st.lists(st.text(max_size=120), max_size=20))
def test_every_table_line_is_a_claim_or_a_problem(lines: list[str]) -> None:
    body = [line.replace("\n", " ").replace("\r", " ") for line in lines]
    rep = parse_report("T\n\nClaims\n\nClaim\tVerified\tConfidence\n" + "\n".join(body))
    accounted = {c.line for c in rep.claims} | {p.line for p in rep.problems}
    for no, line in enumerate(body, start=6):
        stripped = line.strip()
        if stripped and "\t" in stripped and not set(stripped) <= set(" \t|:-"):
            assert no in accounted, (no, line)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.binary(max_size=4096))
def test_read_report_on_any_bytes_reads_or_says_why(tmp_path: Path, data: bytes) -> None:
    path = tmp_path / "any.txt"
    path.write_bytes(data)
    try:
        text, raw, fmt = read_report(path)
    except AssayError as exc:
        assert str(exc).startswith(f"report {path}") and "\n" not in str(exc)
    else:
        assert raw == data and fmt in ("text", "markdown", "pdf") and text.strip()
        parse_report(text)


def test_row_starting_with_hash_is_a_row_not_a_heading() -> None:
    """Regression (found by hypothesis): "#\\t✓\\t0.0" was read as a Markdown heading and the row was lost."""
    rep = parse_report("T\n\nClaims\n\nClaim\tVerified\tConfidence\n# 1 model wins.\t✓\t0.0\n#\t×\t1\n")
    assert [(c.text, c.mark, c.confidence) for c in rep.claims] == [
        ("# 1 model wins.", "✓", 0.0),
        ("#", "×", 1.0),
    ]


def test_unicode_only_whitespace_is_empty(tmp_path: Path) -> None:
    """Regression (found by hypothesis): b"\\x1c" passed the bytes check but is whitespace once decoded."""
    path = tmp_path / "fs.txt"
    path.write_bytes(b"\x1c\xe2\x80\x83\n")
    with pytest.raises(AssayError, match="is empty"):
        read_report(path)
