"""Regressions (issue 14, items 4 and 5): `assay verify` on hostile claims files.

Before: a UTF-16 or Latin-1 file and a line nested 100,000 brackets deep were tracebacks (UnicodeDecodeError,
RecursionError); a `text` of 123, null, a list or "" became an empty claim judged not_enough_info and was stored;
a `paper` that was an int, a list or unknown silently widened the check to every stored paper. Now each is one
line on stderr naming the file and the line, exit code 2, and nothing is written or stored.
"""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

TITLE = "Gadgets Improve Benchmark Accuracy"
SENTENCE = "We show that gadgets improve accuracy by 2.5 points on the benchmark."


def _paper_pdf() -> bytes:
    from reportlab.pdfgen import canvas

    buf = io.BytesIO()
    c = canvas.Canvas(buf)
    c.setFont("Helvetica-Bold", 16)
    c.drawString(72, 740, TITLE)
    c.setFont("Helvetica", 10)
    for i, line in enumerate(
        [
            SENTENCE,
            "The gadgets were trained on the training split and tested on the test split.",
            "Every result is the mean over five random seeds.",
        ]
    ):
        c.drawString(72, 700 - 14 * i, line)
    c.save()
    return buf.getvalue()


@pytest.fixture()
def vhome(home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, assay) -> Path:
    """A home holding one small paper; lexical retrieval and rules only (the verdict is not under test)."""
    monkeypatch.setenv("ASSAY_EMBEDDING_MODEL", "none")
    monkeypatch.setenv("ASSAY_VERIFIER_MODEL", "none")
    pdf = tmp_path / "gadgets.pdf"
    pdf.write_bytes(_paper_pdf())
    r = assay("ingest", str(pdf))
    assert r.code == 0, r.err
    return home


def _verdict_rows(home: Path) -> int:
    from synthesis.store import Store

    with Store(home / "assay.sqlite3") as store:
        return store.one("SELECT COUNT(*) AS n FROM verdicts")["n"]


def _one_line_error(r, *must: str) -> None:
    assert r.code == 2, (r.code, r.err)
    assert "Traceback" not in r.err
    lines = r.err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), r.err
    for m in must:
        assert m in lines[0], (m, lines[0])


GOOD = json.dumps({"id": "ok", "text": SENTENCE}) + "\n"

BAD_BYTES = {  # name: (file bytes, words the error must carry)
    "utf16-bom": ((GOOD + GOOD).encode("utf-16"), ("UTF-16", ":1:")),
    "utf16-no-bom": (GOOD.encode("utf-16-le"), ("UTF-16", ":1:")),
    "utf32": (GOOD.encode("utf-32"), ("UTF-32", ":1:")),
    "latin1": (
        (GOOD + json.dumps({"id": "x", "text": "caf\u00e9"}, ensure_ascii=False) + "\n").encode("latin-1"),
        ("UTF-8", ":2:", "line 2"),
    ),
    "invalid-utf8": (GOOD.encode() + b'{"id": "x", "text": "\xff\xfe broken"}\n', ("UTF-8", ":2:")),
    "deep-brackets": ((GOOD + "[" * 100_000 + "]" * 100_000 + "\n").encode(), ("nested too deeply", ":2:")),
    "deep-unclosed": ((GOOD + GOOD + '{"a":' * 100_000 + "\n").encode(), (":3:",)),
    "deep-field": (
        (GOOD + '{"id": "x", "text": "t", "extra": ' + "[" * 40 + "]" * 40 + "}\n").encode(),
        ("nested too deeply", ":2:"),
    ),
    "lone-surrogate": ((GOOD + '{"id": "x", "text": "a \\ud800 b"}\n').encode(), ("surrogate", ":2:")),
    "huge-number": ((GOOD + '{"id": "x", "text": "t", "n": ' + "9" * 5000 + "}\n").encode(), (":2:", "JSON")),
    "not-an-object": ((GOOD + "[1, 2]\n").encode(), (":2:", "object")),
}


@pytest.mark.parametrize("name", sorted(BAD_BYTES))
def test_undecodable_or_absurd_lines_are_one_line_exit_2(
    vhome: Path, tmp_path: Path, assay, name: str
) -> None:
    data, must = BAD_BYTES[name]
    f = tmp_path / f"{name}.jsonl"
    f.write_bytes(data)
    out = tmp_path / "verdicts.jsonl"
    r = assay("verify", "--claims", str(f), "--out", str(out))
    _one_line_error(r, str(f), *must)
    assert not out.exists()
    assert _verdict_rows(vhome) == 0


BAD_FIELDS = {  # name: (claim object, words the error must carry)
    "text-int": ({"id": "c", "text": 123}, ("'text' must be a string", "123")),
    "text-null": ({"id": "c", "text": None}, ("'text' must be a string", "null")),
    "text-list": ({"id": "c", "text": ["a claim"]}, ("'text' must be a string", "list")),
    "text-object": ({"id": "c", "text": {"a": 1}}, ("'text' must be a string",)),
    "text-empty": ({"id": "c", "text": ""}, ("'text' is empty",)),
    "text-blank": ({"id": "c", "text": " \t "}, ("'text' is blank",)),
    "text-huge": ({"id": "c", "text": "word " * 10_000}, ("'text'", "over the limit")),
    "claim-int": ({"id": "c", "claim": 5}, ("'text' must be a string",)),
    "no-text": ({"id": "c"}, ("no 'text' field",)),
    "paper-int": ({"id": "c", "text": SENTENCE, "paper": 2005}, ("'paper' must be a string", "2005")),
    "paper-list": ({"id": "c", "text": SENTENCE, "paper": ["x"]}, ("'paper' must be a string", "list")),
    "paper-empty": ({"id": "c", "text": SENTENCE, "paper": ""}, ("'paper' is empty",)),
    "paper-unknown": (
        {"id": "c", "text": SENTENCE, "paper": "no such paper at all"},
        ("'no such paper at all'", "unknown"),
    ),
    "paper-unknown-arxiv": (
        {"id": "c", "text": SENTENCE, "paper": "9999.99999"},
        ("'9999.99999'", "unknown"),
    ),
    "id-list": ({"id": ["c"], "text": SENTENCE}, ("'id' must be a string",)),
    "id-bool": ({"id": True, "text": SENTENCE}, ("'id' must be a string",)),
    "page-string": ({"id": "c", "text": SENTENCE, "page": "3"}, ("'page' must be an integer",)),
    "span-three": ({"id": "c", "text": SENTENCE, "span": [1, 2, 3]}, ("'span'",)),
    "evidence-string": (
        {"id": "c", "text": SENTENCE, "evidence": "a passage"},
        ("'evidence' must be a list",),
    ),
    "evidence-ints": ({"id": "c", "text": SENTENCE, "evidence": [1, 2]}, ("'evidence'[0] must be a string",)),
}


@pytest.mark.parametrize("name", sorted(BAD_FIELDS))
def test_wrong_types_are_exit_2_with_the_line_number(vhome: Path, tmp_path: Path, assay, name: str) -> None:
    obj, must = BAD_FIELDS[name]
    f = tmp_path / "claims.jsonl"
    f.write_text(GOOD + json.dumps(obj) + "\n" + GOOD.replace('"ok"', '"ok2"'))
    out = tmp_path / "verdicts.jsonl"
    r = assay("verify", "--claims", str(f), "--out", str(out))
    _one_line_error(r, f"{f}:2:", *must)
    assert not out.exists()
    assert _verdict_rows(vhome) == 0  # nothing judged, nothing stored


def test_valid_claims_still_verify(vhome: Path, tmp_path: Path, assay) -> None:
    """Numeric ids, the paper by title or id, `claim` for `text`, inline evidence and extra fields are accepted."""
    f = tmp_path / "claims.jsonl"
    rows = [
        {"id": 7, "text": SENTENCE, "paper": TITLE},
        {"claim": "Gadgets improve accuracy by 2.5 points.", "kind": "finding", "numbers": [{"value": 2.5}]},
        {
            "id": "inline",
            "text": "Gadgets help.",
            "paper": "not looked up: inline evidence",
            "evidence": [SENTENCE],
        },
        {"id": "long", "text": "word " * 1000, "page": 1, "span": [0, 10]},
    ]
    f.write_text(
        "\ufeff" + "".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8"
    )  # a UTF-8 BOM is fine
    r = assay("verify", "--claims", str(f), "--json")
    assert r.code == 0, r.err
    out = [json.loads(x) for x in r.out.splitlines()]
    assert [v["id"] for v in out] == ["7", "2", "inline", "long"]
    assert out[0]["label"] == "supported"
    assert _verdict_rows(vhome) == 4


def test_unknown_paper_is_not_looked_up_when_papers_are_given(vhome: Path, tmp_path: Path, assay) -> None:
    """--papers overrides each claim's own paper, so a stale `paper` field there is no error."""
    f = tmp_path / "claims.jsonl"
    f.write_text(json.dumps({"id": "c", "text": SENTENCE, "paper": "an old name"}) + "\n")
    r = assay("verify", "--claims", str(f), "--papers", TITLE, "--json")
    assert r.code == 0, r.err
    r = assay("verify", "--claims", str(f), "--papers", "no such paper at all", "--json")
    _one_line_error(r, "no such paper at all")


# ------------------------------------------------------------------------------------------- property-based

_HYP = settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | st.text(max_size=30),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=12,
)
_field_values = _json | st.sampled_from([SENTENCE, TITLE, "9999.99999", "", " ", "2005.13013v1", "\ud800"])
_claims = st.dictionaries(
    st.sampled_from(["id", "text", "claim", "paper", "page", "span", "evidence", "kind"]),
    _field_values,
    max_size=6,
)
_lines = st.lists(
    st.one_of(_claims.map(lambda d: json.dumps(d)), _json.map(json.dumps), st.text(max_size=40)),
    min_size=0,
    max_size=5,
)


def _run_verify(assay, f: Path):  # noqa: ANN202
    r = assay("verify", "--claims", str(f), "--json")
    assert r.code in (0, 2), (r.code, r.err)
    assert "Traceback" not in r.err
    if r.code == 2:
        assert len(r.err.strip().splitlines()) == 1 and r.err.startswith("error: "), r.err
    return r


@_HYP
@given(data=st.binary(max_size=300))
def test_random_bytes_never_a_traceback(vhome: Path, tmp_path: Path, assay, data: bytes) -> None:
    f = tmp_path / "random.jsonl"
    f.write_bytes(data)
    _run_verify(assay, f)


@_HYP
@given(lines=_lines)
def test_random_json_lines_never_a_traceback(vhome: Path, tmp_path: Path, assay, lines: list[str]) -> None:
    f = tmp_path / "random.jsonl"
    f.write_text("\n".join(lines) + "\n", encoding="utf-8", errors="surrogatepass")
    r = _run_verify(assay, f)
    if r.code == 0:
        assert all(
            isinstance(json.loads(x)["text"], str) and json.loads(x)["text"].strip()
            for x in r.out.splitlines()
        )
