"""Tables: the cell parser, grids to tables, pdfplumber extraction (a generated PDF and the real corpus), the cell
check of numeric claims, and the SEM-TAB-FACTS loader."""

from __future__ import annotations

import io
import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from synthesis.table_check import check_claim, header_mentioned
from synthesis.tables import parse_cell, split_pair, table_from_grid

# ------------------------------------------------------------------------------------------- parse_cell


def _fmt(value: float, decimals: int, thousands: bool) -> str:
    return f"{abs(value):,.{decimals}f}" if thousands else f"{abs(value):.{decimals}f}"


@given(
    value=st.floats(min_value=0, max_value=1e7, allow_nan=False),
    decimals=st.integers(0, 4),
    sign=st.sampled_from(["", "+", "-", "- ", "+ ", "\u2212", "\u2013"]),
    thousands=st.booleans(),
    percent=st.booleans(),
    mark=st.sampled_from(["", "*", "\u2020", "\u2021"]),
)
def test_parse_cell_reads_back_any_printed_number(value, decimals, sign, thousands, percent, mark) -> None:
    printed = sign + _fmt(value, decimals, thousands) + ("%" if percent else "") + mark
    v = parse_cell(printed)
    expect = float(_fmt(value, decimals, False)) * (-1 if sign.strip() in ("-", "\u2212", "\u2013") else 1)
    assert v.kind == "number", printed
    assert v.value == pytest.approx(expect) or (expect == 0 and v.value == 0)
    assert v.decimals == decimals
    assert v.signed == bool(sign.strip())
    assert v.percent == percent


@given(
    a=st.floats(0, 1000, allow_nan=False),
    b=st.floats(0, 1000, allow_nan=False),
    d=st.integers(0, 3),
    signs=st.tuples(st.sampled_from(["", "+ ", "- "]), st.sampled_from(["", "+ ", "- "])),
)
def test_pairs_and_spreads(a: float, b: float, d: int, signs: tuple[str, str]) -> None:
    pa, pb = f"{signs[0]}{a:.{d}f}", f"{signs[1]}{b:.{d}f}"
    v = parse_cell(f"{pa} / {pb}")
    assert v.kind == "pair" and len(v.values) == 2
    assert v.values[0] == pytest.approx(float(pa.replace(" ", "")))
    assert v.values[1] == pytest.approx(float(pb.replace(" ", "")))
    assert split_pair(f"{pa} / {pb}") == [pa, pb]
    spread = parse_cell(f"{a:.{d}f} \u00b1 {b:.{d}f}")
    assert spread.kind == "number" and spread.spread == pytest.approx(float(f"{b:.{d}f}"))


@settings(max_examples=300)
@given(st.text(max_size=40))
def test_parse_cell_never_raises_and_values_are_finite(text: str) -> None:
    v = parse_cell(text)
    assert v.kind in ("number", "pair", "range", "empty", "text")
    assert all(math.isfinite(x) for x in v.values)
    if v.kind == "text":
        assert v.value is None and not v.values


@pytest.mark.parametrize(
    ("text", "kind", "values"),
    [
        ("N/A", "empty", ()),
        ("\u2013", "empty", ()),
        ("", "empty", ()),
        ("47\u201320,436", "range", (47, 20436)),
        ("Misc.", "text", ()),
        ("ANLI+", "text", ()),
        ("XLM-R", "text", ()),
        ("90.1 / -", "pair", (90.1,)),
        ("80.1 (0.3)", "number", (80.1,)),
        ("1,104,934", "number", (1104934,)),
        ("2e-5", "number", (2e-5,)),
    ],
)
def test_parse_cell_examples(text: str, kind: str, values: tuple) -> None:
    v = parse_cell(text)
    assert v.kind == kind
    assert v.values == pytest.approx(values)


# ------------------------------------------------------------------------------------------- grids


def test_grid_headers_sections_and_citation() -> None:
    grid = [
        ["Model", "XNLI", "PAWS-X"],
        ["Baselines", "", ""],
        ["XLM-R", "80.1", "86.5"],
        ["Ours", "80.4 \u00b1 0.2", "87.7"],
    ]
    t = table_from_grid(grid, label="Table 9", caption="Accuracy.")
    assert t.columns[1:] == [("XNLI",), ("PAWS-X",)]
    assert t.rows == [("Baselines", "XLM-R"), ("Baselines", "Ours")]
    cell = next(c for c in t.cells if c.row == 1 and c.col == 1)
    assert cell.value.value == 80.4 and cell.value.spread == 0.2
    assert t.citation(cell) == "Table 9, row Ours (Baselines), column XNLI: 80.4 \u00b1 0.2"
    assert "Ours (Baselines) | XNLI: 80.4 \u00b1 0.2 | PAWS-X: 87.7" in t.linearise()


def test_header_rows_are_inferred_from_where_values_start() -> None:
    grid = [
        ["", "Manufacturing", "Productivity"],
        ["", "(billions)", "(per worker)"],
        ["1995", "1340", "159"],
    ]
    t = table_from_grid(grid)
    assert t.columns[1] == ("Manufacturing", "(billions)")
    assert [c.text for c in t.cells] == ["1340", "159"]


@given(st.lists(st.lists(st.text(max_size=8), min_size=1, max_size=5), min_size=1, max_size=6))
def test_any_grid_gives_a_consistent_table(grid: list[list[str]]) -> None:
    t = table_from_grid(grid)
    for c in t.cells:
        assert 0 <= c.row < len(t.rows) and 0 < c.col < len(t.columns)
        assert c.text and c.row_headers == t.rows[c.row] and c.col_headers == t.columns[c.col]
        t.citation(c)


@given(
    header=st.from_regex(r"[A-Z][A-Za-z0-9\-]{1,12}", fullmatch=True),
    before=st.sampled_from(["", "We find that ", "On the test set, "]),
    after=st.sampled_from([" improves by 2.0.", " is best", ""]),
)
def test_a_header_written_in_a_claim_is_mentioned(header: str, before: str, after: str) -> None:
    assert header_mentioned(header, before + header + after)


def test_header_mentions_do_not_leak() -> None:
    assert not header_mentioned("No MLM", "SQuAD with MLM improves XNLI")
    assert header_mentioned("With MLM", "SQuAD with MLM improves XNLI")
    assert header_mentioned("XLM-R (Hu et al., 2020)", "XLM-R scores 79.2 on XNLI")
    assert header_mentioned("Avg.", "the average improvement is 8.3")
    assert not header_mentioned("QQP", "SQuAD improves XNLI")


# ------------------------------------------------------------------------------------------- a generated PDF


def _table_pdf() -> bytes:
    """A booktabs-style table with a caption below it, and a paragraph of prose above."""
    from reportlab.lib.pagesizes import letter
    from reportlab.pdfgen import canvas

    buf = io.BytesIO()
    c = canvas.Canvas(buf, pagesize=letter)
    c.setFont("Helvetica", 10)
    c.drawString(72, 740, "We report results of three systems on two tasks in the table below, as usual.")
    xs = [72, 200, 280]
    y = 700
    c.line(72, y, 340, y)
    for x, h in zip(xs, ["System", "Task A", "Task B"], strict=True):
        c.drawString(x, y - 12, h)
    c.line(72, y - 16, 340, y - 16)
    rows = [["Baseline", "71.5", "- 0.8"], ["Ours", "74.2", "+ 1.3"], ["Human", "92.8", "\u2013"]]
    for i, row in enumerate(rows):
        for x, v in zip(xs, row, strict=True):
            c.setFont("Helvetica-Bold" if v == "74.2" else "Helvetica", 10)
            c.drawString(x, y - 30 - 13 * i, v)
    c.line(72, y - 72, 340, y - 72)
    c.setFont("Helvetica", 10)
    c.drawString(72, y - 88, "Table 3: Results of the systems (Task B is a difference to the baseline).")
    c.showPage()
    c.save()
    return buf.getvalue()


def test_extracts_a_generated_booktabs_table() -> None:
    from synthesis.table_extract import extract_tables

    text = (
        "We report results of three systems on two tasks in the table below, as usual.\nSystem Task A Task B\n"
        "Baseline 71.5 - 0.8\nOurs 74.2 + 1.3\nHuman 92.8 \u2013\n"
        "Table 3: Results of the systems (Task B is a difference to the baseline)."
    )
    (t,) = extract_tables(_table_pdf(), [text])
    assert t.label == "Table 3" and t.page == 1 and t.method == "rules"
    assert [t.column_name(j) for j in range(3)] == ["System", "Task A", "Task B"]
    assert [t.row_name(r) for r in range(3)] == ["Baseline", "Ours", "Human"]
    cell = {(t.row_name(c.row), t.column_name(c.col)): c for c in t.cells}
    assert cell[("Ours", "Task A")].bold and not cell[("Baseline", "Task A")].bold
    assert cell[("Baseline", "Task B")].value.value == -0.8 and cell[("Baseline", "Task B")].value.signed
    assert cell[("Human", "Task B")].value.kind == "empty"
    for c in t.cells:  # every cell is found again verbatim in the page text
        assert c.char_start is not None and text[c.char_start : c.char_end] == c.text
    assert check_claim("Ours reaches 74.2 on Task A", [t]).status == "match"
    assert check_claim("Ours reaches 75.2 on Task A", [t]).status == "mismatch"
    assert check_claim("Baseline hurts Task B by 0.8", [t]).status == "match"
    assert check_claim("Baseline improves Task B by 0.8", [t]).status == "mismatch"


def test_pages_without_a_caption_are_not_parsed() -> None:
    from synthesis.table_extract import caption_pages

    pages = [
        "Some text.\nTable 1 shows it.",
        "Table 2: Results.\n1 2 3",
        "TABLE 3. Sizes",
        "as in Table 4: no",
    ]
    assert caption_pages(pages) == [2, 3]


# ------------------------------------------------------------------------------------------- the real paper


@pytest.fixture(scope="module")
def paper_tables(paper_pdf):
    from synthesis.ingest import parse_pdf

    parsed = parse_pdf(paper_pdf.read_bytes())
    assert parsed.tables_error is None
    return parsed.tables, parsed.pages


def _table(tables, label):
    return next(t for t in tables if t.label == label)


def test_table_2_of_2005_13013_has_its_headers(paper_tables) -> None:
    tables, pages = paper_tables
    assert [t.label for t in tables] == ["Table 1", "Table 2", "Table 3", "Table 4"]
    t = _table(tables, "Table 2")
    assert t.page == 5
    names = [t.column_name(j) for j in range(1, len(t.columns))]
    assert names == [
        "XNLI acc.",
        "PAWS-X acc.",
        "POS F1",
        "NER F1",
        "XQuAD F1",
        "XQuAD EM",
        "MLQA F1",
        "MLQA EM",
        "TyDiQA F1",
        "TyDiQA EM",
        "BUCC F1",
        "Tatoeba acc.",
        "Avg.",
    ]
    assert t.columns[1] == ("Target tasks", "XNLI", "acc.", "15")
    rows = [t.row_name(r) for r in range(len(t.rows))]
    assert rows[:4] == ["XLM-R", "ANLI+ (No MLM)", "QQP (No MLM)", "SQuAD (No MLM)"]
    assert "SQuAD (With MLM)" in rows and "Human (XTREME Benchmark Scores\u2020)" in rows
    by = {(t.row_name(c.row), t.column_name(c.col)): c for c in t.cells}
    assert by[("SQuAD (No MLM)", "XNLI acc.")].value.value == -1.4
    assert by[("SQuAD (With MLM)", "XNLI acc.")].value.value == -4.1
    xquad = by[("SQuAD (No MLM)", "XQuAD F1")]
    assert xquad.value.value == 1.1 and xquad.bold and xquad.underline
    assert by[("SQuAD (No MLM)", "XQuAD EM")].value.value == 1.3
    assert not by[("SQuAD (No MLM)", "XNLI acc.")].bold
    assert by[("Human (XTREME Benchmark Scores\u2020)", "NER F1")].value.kind == "empty"
    assert (
        t.citation(by[("SQuAD (No MLM)", "XNLI acc.")])
        == "Table 2, row SQuAD (No MLM), column XNLI acc.: - 1.4"
    )
    for c in t.cells:
        assert c.char_start is not None
        assert pages[4][c.char_start : c.char_end].replace(" ", "") == c.text.replace(" ", "")


def test_table_1_sections_and_text_columns(paper_tables) -> None:
    tables, _ = paper_tables
    t = _table(tables, "Table 1")
    assert [t.column_name(j) for j in range(len(t.columns))] == [
        "Name",
        "|Train|",
        "|Dev|",
        "|Test|",
        "Task",
        "Genre/Source",
    ]
    assert t.rows[0] == ("Intermediate tasks", "ANLI+")
    assert t.rows[-1] == ("Target tasks (XTREME Benchmark)", "Tatoeba")
    by = {(t.rows[c.row][-1], t.column_name(c.col)): c for c in t.cells}
    assert by[("ANLI+", "|Train|")].value.value == 1104934
    assert by[("POS", "|Test|")].value.kind == "range"
    assert by[("CCG", "Genre/Source")].text == "Wall Street Journal"


@pytest.mark.parametrize(
    ("claim", "status", "citation"),
    [
        ("SQuAD improves XNLI by 1.2", "mismatch", "Table 2, row SQuAD (No MLM), column XNLI acc.: - 1.4"),
        (
            "Without MLM, SQuAD hurts XNLI by 1.4",
            "match",
            "Table 2, row SQuAD (No MLM), column XNLI acc.: - 1.4",
        ),
        (
            "SQuAD with MLM lowers XNLI by 4.1 points",
            "match",
            "Table 2, row SQuAD (With MLM), column XNLI acc.: - 4.1",
        ),
        ("SQuAD improves XQuAD EM by 1.3", "match", "Table 2, row SQuAD (No MLM), column XQuAD EM: + 1.3"),
        ("XLM-R achieves 80.1 on XNLI", "match", "Table 2, row XLM-R, column XNLI acc.: 80.1"),
        (
            "Our best models reach 74.2 on average",
            "match",
            "Table 2, row Our Best Models\u2021 (XTREME Benchmark Scores\u2020), column Avg.: 74.2",
        ),
        (
            "ANLI+ has 1,104,934 training examples",
            "match",
            "Table 1, row ANLI+ (Intermediate tasks), column |Train|: 1,104,934",
        ),
        ("CCG is trained for 15 epochs", "match", "Table 3, row CCG, column # Epochs: 15"),
        ("Intermediate-task training helps zero-shot transfer", "not_found", ""),
    ],
)
def test_cell_check_on_the_real_tables(paper_tables, claim: str, status: str, citation: str) -> None:
    r = check_claim(claim, paper_tables[0])
    assert r.status == status, r.reason
    assert r.citation == citation


# ------------------------------------------------------------------------------------------- SEM-TAB-FACTS


@pytest.fixture(scope="module")
def semtab_dir(shared_dir):
    d = shared_dir / "data" / "verification" / "sem-tab-facts"
    if not (d / "dev_v1.1.zip").is_file():
        pytest.skip(f"SEM-TAB-FACTS not found in {d}")
    return d


def test_semtabfacts_dev_loads_with_mapped_labels(semtab_dir) -> None:
    from collections import Counter

    from synthesis.semtabfacts import load_semtabfacts

    dev = load_semtabfacts("dev", semtab_dir)
    assert len(dev) == 556
    assert Counter(s.label for s in dev) == {"supported": 250, "refuted": 213, "not_enough_info": 93}
    s = next(s for s in dev if s.statement.startswith("N2-Cu has value of 1.949"))
    assert s.label == "supported" and s.table.label == "Table 1"
    assert check_claim(s.statement, [s.table]).status == "match"
    wrong = next(s for s in dev if s.statement.startswith("P1-Cu-P2 has 195.1"))
    assert wrong.label == "refuted" and check_claim(wrong.statement, [wrong.table]).status == "mismatch"
    assert all(s.evidence and s.table.cells for s in dev)
    assert any(s.relevant for s in dev)
    assert len({s.id for s in dev}) == len(dev)


def test_semtabfacts_unknown_split_is_an_error(tmp_path) -> None:
    from synthesis.errors import AssayError
    from synthesis.semtabfacts import load_semtabfacts

    with pytest.raises(AssayError, match="unknown SEM-TAB-FACTS split"):
        load_semtabfacts("test", tmp_path)
    with pytest.raises(AssayError, match="not found"):
        load_semtabfacts("dev", tmp_path)
