"""`assay audit` end to end: output forms, files, exit codes, and clear one-line errors for hostile input."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

SAMPLE_000 = "000_0fa8aa2f6002a672.txt"
SAMPLE_003 = "003_e33cde30560dc40f.txt"


@pytest.fixture()
def cli(assay, corpus_home: Path, monkeypatch: pytest.MonkeyPatch):  # noqa: ANN001
    """The CLI on the session's corpus home, offline."""
    monkeypatch.setenv("ASSAY_OFFLINE", "1")

    def run(*args: str):  # noqa: ANN202
        return assay("--home", str(corpus_home), "audit", *args)

    return run


def test_sample_to_stdout_and_strict(cli, samples_dir: Path) -> None:  # noqa: ANN001
    res = cli(str(samples_dir / SAMPLE_000))
    assert res.code == 0, res.err
    assert res.out.startswith("AUDIT of 000_0fa8aa2f6002a672.txt")
    assert "truncated_claim (claim 3)" in res.out and "possible_other_version (claim 5)" in res.out
    assert "may come from another version of the paper" in res.out
    strict = cli("--strict", str(samples_dir / SAMPLE_000))
    assert strict.code == 1
    assert (
        strict.out.rsplit("\nassay ", 1)[0] == res.out.rsplit("\nassay ", 1)[0]
    )  # same audit; footer times differ
    md = cli("--format", "md", str(samples_dir / SAMPLE_003))
    assert md.code == 0 and md.out.startswith("# Audit of `003_e33cde30560dc40f.txt`")


def test_json_has_the_per_claim_contract(cli, samples_dir: Path) -> None:  # noqa: ANN001
    res = cli("--json", str(samples_dir / SAMPLE_003))
    assert res.code == 0, res.err
    audit = json.loads(res.out)
    assert len(audit["claims"]) == 9
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
        assert c["reported_mark"] == "✓"
    several = cli("--json", str(samples_dir / SAMPLE_000), str(samples_dir / SAMPLE_003))
    assert [a["input"]["file"] for a in json.loads(several.out)] == [SAMPLE_000, SAMPLE_003]


def test_out_writes_every_format_atomically(
    cli, samples_dir: Path, data_reports: Path, tmp_path: Path
) -> None:  # noqa: ANN001
    out = tmp_path / "audits"
    res = cli(
        "--format",
        "txt,md,html,json",
        "--out",
        str(out),
        str(samples_dir / SAMPLE_000),
        str(data_reports / "clean.txt"),
    )
    assert res.code == 0, res.err
    names = sorted(p.name for p in out.iterdir())
    assert names == sorted(
        f"{stem}.audit.{fmt}"
        for stem in ("000_0fa8aa2f6002a672", "clean")
        for fmt in ("txt", "md", "html", "json")
    )
    html = (out / "000_0fa8aa2f6002a672.audit.html").read_text(encoding="utf-8")
    assert html.startswith("<!DOCTYPE html>") and "<style>" in html
    assert "<link" not in html and "<script" not in html and "src=" not in html  # self-contained
    canonical = json.loads((out / "clean.audit.json").read_text(encoding="utf-8"))
    assert canonical["findings"] == []
    assert "0 findings" in res.out.splitlines()[1]


def test_strict_passes_a_clean_report_and_fails_planted_faults(cli, data_reports: Path) -> None:  # noqa: ANN001
    clean = cli("--strict", str(data_reports / "clean.txt"))
    assert clean.code == 0, clean.out
    assert "No findings." in clean.out
    faults = cli("--strict", str(data_reports / "faults.md"))
    assert faults.code == 1
    for expected in (
        "mark_contradicted (claim 1)",
        "mark_contradicted (claim 2)",
        "reference_unrelated (reference 2)",
        "count_mismatch (count claims_extracted)",
    ):
        assert expected in faults.out


def test_pdf_report(cli, samples_dir: Path, make_report_pdf, tmp_path: Path) -> None:  # noqa: ANN001
    pdf = tmp_path / "sample.pdf"
    pdf.write_bytes(make_report_pdf((samples_dir / SAMPLE_003).read_text(encoding="utf-8")))
    res = cli("--json", str(pdf))
    assert res.code == 0, res.err
    audit = json.loads(res.out)
    assert audit["input"]["format"] == "pdf" and audit["paper"]["id"] == "2005.13013v1"
    assert len(audit["claims"]) == 9 and sum(c["truncated"] for c in audit["claims"]) == 8


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("empty.txt", b"", "is empty"),
        ("binary.bin", bytes(range(256)) * 64, "binary"),
        ("huge.txt", b"Claim\t\xe2\x9c\x93\t0.5\n" * (10 * 1024 * 1024 // 14), "MB limit"),
        ("scan.pdf", b"%PDF-1.7\n%%EOF\n", "PDF"),
    ],
)
def test_hostile_input_gets_one_line_error(cli, tmp_path: Path, name: str, data: bytes, message: str) -> None:  # noqa: ANN001
    path = tmp_path / name
    path.write_bytes(data)
    res = cli(str(path))
    assert res.code == 2
    lines = res.err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and message in lines[0], res.err
    assert "Traceback" not in res.err


def test_hostile_table_is_reported_not_fatal(cli, tmp_path: Path) -> None:  # noqa: ANN001
    path = tmp_path / "odd.txt"
    path.write_text(
        "Odd\n\nExtracted Claims\n\nClaim\tVerified\tConfidence\nXLM-R is large.\t✓\t1e308\n"
        "A claim without its mark.\t0.5\n",
        encoding="utf-8",
    )
    res = cli("--json", str(path))
    assert res.code == 0, res.err
    audit = json.loads(res.out)
    problems = [f["message"] for f in audit["findings"] if f["kind"] == "parse_problem"]
    assert any("outside [0, 1]" in p for p in problems) and any("missing mark" in p for p in problems)
    assert (
        audit["claims"][0]["reported_confidence"] is None
        and audit["claims"][0]["reported_confidence_raw"] == "1e308"
    )


def test_usage_errors(cli, tmp_path: Path, data_reports: Path) -> None:  # noqa: ANN001
    missing = cli(str(tmp_path / "nope.txt"))
    assert missing.code == 2 and "does not exist" in missing.err
    bad = cli("--format", "txt,docx", str(data_reports / "clean.txt"))
    assert bad.code == 2 and "unknown format(s) docx" in bad.err
    unknown = cli("--paper", "1234.56789", str(data_reports / "clean.txt"))
    assert unknown.code == 2 and "not in the store" in unknown.err


def test_question_option_overrides_the_report(cli, samples_dir: Path) -> None:  # noqa: ANN001
    q = "Does English intermediate-task training help zero-shot transfer on XTREME?"
    res = cli("--json", "--question", q, str(samples_dir / SAMPLE_000))
    audit = json.loads(res.out)
    assert audit["report"]["question"] == q and audit["question"]["text"] == q


def test_several_formats_without_out_is_a_usage_error(cli, data_reports: Path) -> None:  # noqa: ANN001
    """Regression: --format txt,md without --out printed the txt and silently dropped the md."""
    res = cli("--format", "txt,md", str(data_reports / "clean.txt"))
    assert res.code == 2 and res.out == "" and "--out" in res.err and res.err.count("\n") == 1


def test_unwritable_out_folder_is_one_line(cli, data_reports: Path, tmp_path: Path) -> None:  # noqa: ANN001
    blocker = tmp_path / "file"
    blocker.write_text("x")
    res = cli("--out", str(blocker), str(data_reports / "clean.txt"))
    assert res.code == 2 and res.err.startswith("error: ") and res.err.count("\n") == 1
