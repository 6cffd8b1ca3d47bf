"""Parse a machine-written research report (plain text, Markdown, or the text of a PDF) into a ParsedReport.

The layout is the one of the sample reports: a title, an author line, a date, then sections (Abstract,
Introduction with "This paper examines: ... Research question: ...", Methodology, Results, Limitations, Extracted
Claims as a Claim/Verified/Confidence table, References as a list of arXiv URLs). Headings may be Markdown (``#``)
or plain, numbered or not; table cells may be separated by tabs, pipes or runs of spaces; sections may be missing.
Whatever cannot be parsed becomes a ParseProblem with its line number, never silently dropped.
"""

from __future__ import annotations

import math
import re
from datetime import datetime
from pathlib import Path

from reports.audit.model import ParsedReport, ParseProblem, ReportClaim, ReportReference, StatedCount
from synthesis.errors import AssayError

MAX_REPORT_BYTES = 5 * 1024 * 1024

CHECK_MARKS = {"✓", "✔", "☑", "✅", "yes", "y", "true", "verified", "supported"}
CROSS_MARKS = {"×", "✗", "✘", "❌", "x", "no", "n", "false", "unverified", "refuted", "not verified"}

# Section names we know, mapped to a canonical key. Unknown numbered headings are kept under their own name.
KNOWN_SECTIONS = {
    "abstract": "abstract",
    "introduction": "introduction",
    "methodology": "methodology",
    "methods": "methodology",
    "method": "methodology",
    "results": "results",
    "limitations": "limitations",
    "extracted claims": "claims",
    "claims": "claims",
    "claims table": "claims",
    "references": "references",
    "bibliography": "references",
    "sources": "references",
    "conclusion": "conclusion",
    "conclusions": "conclusion",
    "discussion": "discussion",
    "answer": "answer",
    "findings": "findings",
    "summary": "summary",
}

_MD_HEADING = re.compile(r"^(#{1,6}) +([^\t|]*?)[ #]*$")
_NUMBERED = re.compile(r"^(?:\d+(?:\.\d+)*\.?|[IVX]+\.)\s+(.+)$")
_URL = re.compile(r"https?://[^\s<>()\[\]\"']+", re.IGNORECASE)
_ARXIV_URL = re.compile(
    r"arxiv\.org/(?:abs|pdf)/((?:\d{4}\.\d{4,5})|(?:[a-z\-]+(?:\.[A-Z]{2})?/\d{7}))(v\d+)?", re.IGNORECASE
)
_ARXIV_BARE = re.compile(r"\barXiv:\s*(\d{4}\.\d{4,5})(v\d+)?", re.IGNORECASE)
_DOI = re.compile(r"\b(10\.\d{4,9}/[^\s<>\"']+[^\s<>\"'.,;])")
_DATE_FORMATS = ("%B %d, %Y", "%b %d, %Y", "%d %B %Y", "%Y-%m-%d", "%B %Y", "%d/%m/%Y")
_NUMBER = r"(\d+(?:\.\d+)?)"
_COUNT_PATTERNS = (
    (
        "papers_retrieved",
        re.compile(rf"\b{_NUMBER}\s+(?:papers|sources|documents)\s+(?:were\s+)?retrieved", re.I),
    ),
    ("papers_retrieved", re.compile(rf"yielded\s+{_NUMBER}\s+(?:papers|sources|documents)", re.I)),
    ("papers_retrieved", re.compile(rf"retrieved\s+{_NUMBER}\s+(?:papers|sources|documents)", re.I)),
    ("claims_extracted", re.compile(rf"\b{_NUMBER}\s+claims\s+(?:were\s+)?extracted", re.I)),
    ("claims_extracted", re.compile(rf"extracted\s+{_NUMBER}\s+claims", re.I)),
    (
        "claims_verified",
        re.compile(rf"\b{_NUMBER}\s+(?:claims\s+)?(?:were\s+)?(?:independently\s+)?verified", re.I),
    ),
    (
        "quality_score",
        re.compile(rf"quality\s+(?:review\s+)?score(?:\s+of|:)?\s*{_NUMBER}\s*(?:/\s*{_NUMBER})?", re.I),
    ),
)


def read_report(path: Path) -> tuple[str, bytes, str]:
    """The report's text, raw bytes and format ("pdf", "markdown" or "text"); AssayError for unreadable input."""
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise AssayError(f"cannot read report {path}: {exc.strerror or exc}") from exc
    if not path.is_file():
        raise AssayError(f"report {path} is not a file")
    if size > MAX_REPORT_BYTES:
        raise AssayError(
            f"report {path} is {size / 1e6:.1f} MB, over the {MAX_REPORT_BYTES / 1e6:.0f} MB limit for a report;"
            " give the report itself, not a bundle"
        )
    data = path.read_bytes()
    if not data.strip():
        raise AssayError(f"report {path} is empty; give a report in text, Markdown or PDF form")
    if data.startswith(b"%PDF-"):
        return _pdf_text(path, data), data, "pdf"
    if b"\x00" in data[:8192]:
        raise AssayError(f"report {path} is a binary file, not a text, Markdown or PDF report")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise AssayError(
            f"report {path} is not UTF-8 text (bad byte at offset {exc.start}); save it as UTF-8 or give the PDF"
        ) from exc
    if not text.strip():
        raise AssayError(
            f"report {path} is empty (only whitespace); give a report in text, Markdown or PDF form"
        )
    controls = sum(1 for c in text[:65536] if ord(c) < 32 and c not in "\t\n\r\f")
    if controls > max(8, len(text[:65536]) // 100):
        raise AssayError(f"report {path} looks binary ({controls} control characters), not a text report")
    fmt = (
        "markdown"
        if path.suffix.lower() in (".md", ".markdown") or re.search(r"^#{1,6} ", text, re.M)
        else "text"
    )
    return text, data, fmt


def _pdf_text(path: Path, data: bytes) -> str:
    import io

    try:
        from pypdf import PdfReader
        from pypdf.errors import PyPdfError

        from synthesis.pdftext import quiet_pdf_libraries

        with quiet_pdf_libraries():  # our one-line error only, never pypdf's log lines beside it
            reader = PdfReader(io.BytesIO(data))
            if reader.is_encrypted:
                raise AssayError(f"report {path} is an encrypted PDF; decrypt it first")
            text = "\n".join((page.extract_text() or "") for page in reader.pages)
    except AssayError:
        raise
    except (PyPdfError, ValueError, KeyError, TypeError, OSError) as exc:
        raise AssayError(f"report {path} is a corrupt PDF ({type(exc).__name__}); re-export it") from exc
    if not text.strip():
        raise AssayError(f"report {path} is a PDF without extractable text (scanned?); give the text instead")
    return text


def parse_report(text: str) -> ParsedReport:
    """Parse report text; never raises on odd content (problems are recorded on the result)."""
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\ufeff", "")
    rep = ParsedReport()
    if re.search(r"^#{1,6}\s", text, re.M):
        rep.layout = "markdown"
    preamble, sections = _split_sections(rep, text.split("\n"))
    _parse_preamble(rep, preamble)
    rep.sections = [name for name, _, _ in sections]
    seen = _parse_sections(rep, sections)
    if not sections and not rep.claims:
        # No headings at all: maybe a bare claims table or a bare reference list.
        _parse_claims(rep, preamble[1:] if rep.title else preamble, quiet=True)
    _note_missing(rep, seen)
    return rep


_Lines = list[tuple[int, str]]


def _split_sections(rep: ParsedReport, lines: list[str]) -> tuple[_Lines, list[tuple[str, str, _Lines]]]:
    """The preamble's (line number, text) and the (heading, key, body lines) sections; the first level-1 heading
    before any section is the report's title."""
    preamble: _Lines = []
    sections: list[tuple[str, str, _Lines]] = []
    for no, raw in enumerate(lines, start=1):
        line = raw.rstrip()
        heading = _heading(line, title_seen=bool(rep.title))
        if heading is not None:
            level, name = heading
            if level == 1 and not rep.title and not sections:
                rep.title = name
                continue
            key = _section_key(name)
            sections.append((name, key, []))
            continue
        if sections:
            sections[-1][2].append((no, line))
        else:
            preamble.append((no, line))
    return preamble, sections


def _parse_sections(rep: ParsedReport, sections: list[tuple[str, str, _Lines]]) -> set[str]:
    """Read each section by its key (a repeated section is a problem); return the keys seen."""
    seen: set[str] = set()
    for name, key, body in sections:
        if key in seen:
            rep.problems.append(
                ParseProblem(body[0][0] if body else None, key, f"section {name!r} appears twice")
            )
        seen.add(key)
        prose = "\n".join(t for _, t in body).strip()
        rep.section_text[key] = (rep.section_text.get(key, "") + "\n" + prose).strip()
        if key == "abstract":
            rep.abstract = _join(body)
        elif key == "introduction":
            _parse_intro(rep, _join(body))
        elif key == "claims":
            _parse_claims(rep, body)
        elif key == "references":
            _parse_references(rep, body)
        if key in ("methodology", "results", "introduction", "abstract", "summary"):
            _parse_counts(rep, key, _join(body))
    return seen


def _note_missing(rep: ParsedReport, seen: set[str]) -> None:
    """A problem for each part the report lacks: claims, references, title, paper examined, question."""
    for key, label in (("claims", "the claims table"), ("references", "the references")):
        if key not in seen:
            rep.problems.append(ParseProblem(None, key, f"no section with {label} was found"))
    if not rep.title:
        rep.problems.append(ParseProblem(None, "title", "no title was found"))
    if rep.paper_title is None:
        rep.problems.append(
            ParseProblem(
                None, "introduction", "the paper examined is not stated ('This paper examines: ...')"
            )
        )
    if rep.question is None:
        rep.problems.append(ParseProblem(None, "introduction", "the research question is not stated"))


def _heading(line: str, *, title_seen: bool) -> tuple[int, str] | None:
    m = _MD_HEADING.match(line)
    if m and m.group(2).strip():
        return len(m.group(1)), m.group(2).strip()
    stripped = line.strip()
    if (
        not stripped
        or len(stripped) > 60
        or "\t" in line
        or "|" in line
        or stripped.startswith(("-", "*", "<"))
    ):
        return None
    if stripped.lower().strip(" :") in KNOWN_SECTIONS and not stripped.endswith("."):
        return 2, stripped.strip(" :")
    n = _NUMBERED.match(stripped)
    if n and title_seen is not None and not stripped.endswith((".", ",", ";")) and n.group(1)[:1].isupper():
        name = n.group(1).strip()
        if len(name.split()) <= 6 and not re.search(r"\d", name):
            return 2, name
    return None


def _section_key(name: str) -> str:
    bare = name.lower().strip(" :")
    n = _NUMBERED.match(bare)
    if n:
        bare = n.group(1).strip(" :")
    return KNOWN_SECTIONS.get(bare, bare)


def _join(body: list[tuple[int, str]]) -> str:
    return " ".join(t.strip() for _, t in body if t.strip())


def _parse_preamble(rep: ParsedReport, preamble: list[tuple[int, str]]) -> None:
    rest = [(no, t.strip()) for no, t in preamble if t.strip()]
    if not rep.title and rest:
        rep.title = rest.pop(0)[1]
    for no, t in rest:
        date = _parse_date(t)
        if date and rep.date is None:
            rep.date, rep.date_raw = date, t
        elif rep.author is None and len(t) <= 80:
            rep.author = t
        else:
            rep.problems.append(
                ParseProblem(no, "preamble", "unrecognised line before the first section", t[:200])
            )


def _parse_date(text: str) -> str | None:
    cleaned = re.sub(r"(\d)(st|nd|rd|th)\b", r"\1", text.strip())
    for fmt in _DATE_FORMATS:
        try:
            return datetime.strptime(cleaned, fmt).date().isoformat()
        except ValueError:
            continue
    return None


def _parse_intro(rep: ParsedReport, text: str) -> None:
    m = re.search(
        r"(?:paper|study|article)\s+examine[sd]?\s*:\s*(.+?)(?=\s*Research question\s*:|$)", text, re.I | re.S
    )
    if m:
        rep.paper_title = m.group(1).strip().rstrip(".").strip() or None
    q = re.search(r"Research question\s*:\s*(.+)$", text, re.I | re.S)
    if q:
        question = q.group(1).strip()
        question = re.sub(r"\?\s*\.$", "?", question).strip()
        rep.question = question or None


def _parse_counts(rep: ParsedReport, section: str, text: str) -> None:
    for name, pattern in _COUNT_PATTERNS:
        for m in pattern.finditer(text):
            if name == "papers_retrieved" and any(
                c.name == name and c.section == section and c.value == float(m.group(1)) for c in rep.counts
            ):
                continue
            scale = float(m.group(2)) if name == "quality_score" and m.group(2) else None
            rep.counts.append(StatedCount(name, float(m.group(1)), scale, section, m.group(0)))


def _split_row(line: str) -> list[str]:
    s = line.strip()
    if "\t" in s:
        return [c.strip() for c in s.split("\t")]
    if s.startswith("|") or s.count("|") >= 2:
        return [c.strip() for c in s.strip("|").split("|")]
    return [c.strip() for c in re.split(r"\s{2,}", s)]


def _mark(cell: str) -> str | None:
    c = cell.strip().lower()
    if c in CHECK_MARKS:
        return "✓"
    if c in CROSS_MARKS:
        return "×"
    return None


def _confidence(cell: str) -> tuple[float | None, str | None]:
    """(value, problem): the value is None with a problem when the cell is not a probability."""
    c = cell.strip()
    percent = c.endswith("%")
    try:
        value = float(c.rstrip("%").strip())
    except ValueError:
        return None, f"confidence {c[:40]!r} is not a number"
    if percent:
        value /= 100
    if not math.isfinite(value):
        return None, f"confidence {c[:40]!r} is not finite"
    if not 0.0 <= value <= 1.0:
        return None, f"confidence {c[:40]!r} is outside [0, 1]"
    return value, None


_TRAILING_ROW = re.compile(r"^(?P<claim>.+?)\s+(?P<mark>[✓✔☑✅×✗✘❌])\s+(?P<conf>[-+0-9.eE%]+)\s*$")


_HEADER_WORDS = (
    "claim",
    "statement",
    "text",
    "verified",
    "mark",
    "status",
    "supported",
    "verdict",
    "confidence",
    "score",
    "probability",
)
_NUMERIC_CELL = re.compile(r"[-+]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?%?|[-+]?(?:inf|infinity|nan)", re.I)


def _rows(body: list[tuple[int, str]]) -> list[tuple[int, str, list[str]]]:
    """(line, raw, cells) per table row. Cells a PDF export stacked on lines of their own (claim, then mark, then
    confidence) are joined back into one row; a lone text line after a claim without mark continues that claim."""
    rows: list[tuple[int, str, list[str]]] = []
    for no, line in body:
        if not line.strip() or re.fullmatch(r"\s*\|?[\s:|\-]+\|?\s*", line) and "-" in line:
            continue
        cells = _split_row(line)
        if len(cells) == 1 and (m := _TRAILING_ROW.match(line.strip())):
            cells = [m.group("claim"), m.group("mark"), m.group("conf")]
        if len(cells) == 1 and rows:
            last_no, last_raw, last = rows[-1]
            cell = cells[0]
            header_part = cell.lower() in _HEADER_WORDS and all(c.lower() in _HEADER_WORDS for c in last)
            fills_mark = len(last) == 1 and _mark(cell) is not None
            fills_conf = len(last) == 2 and _mark(last[1]) is not None and _NUMERIC_CELL.fullmatch(cell)
            continues = len(last) == 1 and not _mark(cell) and not _NUMERIC_CELL.fullmatch(cell)
            if header_part or fills_mark or fills_conf or continues:
                rows[-1] = (
                    last_no,
                    last_raw + "\n" + line,
                    last + [cell] if not continues else [last[0] + " " + cell],
                )
                continue
        rows.append((no, line, cells))
    return rows


def _parse_claims(rep: ParsedReport, body: list[tuple[int, str]], *, quiet: bool = False) -> None:
    header: list[str] | None = None
    cols = {"claim": 0, "mark": 1, "confidence": 2}
    for no, line, cells in _rows(body):
        lowered = [c.lower() for c in cells]
        if header is None and any(c.startswith("claim") for c in lowered) and len(cells) >= 2:
            header = lowered
            cols = {}
            for i, c in enumerate(lowered):
                if c.startswith("claim") or c in ("statement", "text"):
                    cols["claim"] = i
                elif c in ("verified", "mark", "status", "supported", "verdict", "✓"):
                    cols["mark"] = i
                elif c.startswith("conf") or c in ("score", "probability"):
                    cols["confidence"] = i
            missing = [k for k in ("claim", "mark", "confidence") if k not in cols]
            if missing:
                rep.problems.append(
                    ParseProblem(
                        no, "claims", f"the claims table has no {' or '.join(missing)} column", line[:200]
                    )
                )
            continue
        if len(cells) == 1:
            if not quiet:
                rep.problems.append(
                    ParseProblem(no, "claims", "a claims table row without columns", line[:200])
                )
            continue
        _add_claim(rep, no, line, cells, cols, len(header) if header else 3)


def _add_claim(
    rep: ParsedReport, no: int, line: str, cells: list[str], cols: dict[str, int], expected: int
) -> None:
    def cell(name: str) -> str | None:
        i = cols.get(name)
        return cells[i] if i is not None and i < len(cells) else None

    if len(cells) != expected:
        # Salvage by content: the mark and the number are recognisable, the claim is the longest remaining cell.
        mark_i = next((i for i, c in enumerate(cells) if _mark(c)), None)
        conf_i = next((i for i, c in enumerate(cells) if i != mark_i and _NUMERIC_CELL.fullmatch(c)), None)
        rest = [c for i, c in enumerate(cells) if i not in (mark_i, conf_i)]
        missing = [n for n, i in (("mark", mark_i), ("confidence", conf_i)) if i is None]
        rep.problems.append(
            ParseProblem(
                no,
                "claims",
                f"row has {len(cells)} columns where the table has {expected}"
                + (f"; missing {' and '.join(missing)}" if missing else ""),
                line[:200],
            )
        )
        text = max(rest, key=len) if rest else ""
        mark_raw = cells[mark_i] if mark_i is not None else ""
        conf_raw = cells[conf_i] if conf_i is not None else ""
    else:
        text, mark_raw, conf_raw = cell("claim") or "", cell("mark") or "", cell("confidence") or ""
    index = len(rep.claims) + 1
    mark = _mark(mark_raw) if mark_raw else None
    if mark_raw and mark is None:
        rep.problems.append(
            ParseProblem(no, "claims", f"claim {index}: mark {mark_raw[:20]!r} is neither ✓ nor ×")
        )
    confidence = None
    if conf_raw:
        confidence, problem = _confidence(conf_raw)
        if problem:
            rep.problems.append(ParseProblem(no, "claims", f"claim {index}: {problem}", line[:200]))
    if not text.strip():
        rep.problems.append(ParseProblem(no, "claims", f"claim {index} has no text", line[:200]))
    rep.claims.append(ReportClaim(index, text.strip(), mark, mark_raw, confidence, conf_raw, no))


def _parse_references(rep: ParsedReport, body: list[tuple[int, str]]) -> None:
    for no, line in body:
        s = line.strip()
        if not s:
            continue
        item = re.sub(r"^(?:[-*•]|\[\d+\]|\d+[.)])\s*", "", s).strip()
        if not item:
            rep.problems.append(ParseProblem(no, "references", "an empty reference item", s))
            continue
        ref = ReportReference(index=len(rep.references) + 1, raw=item, line=no)
        url = _URL.search(item)
        if url:
            ref.url = url.group(0).rstrip(".,;>")
        if m := (_ARXIV_URL.search(item) or _ARXIV_BARE.search(item)):
            ref.arxiv_id, ref.version = m.group(1), (m.group(2) or None)
        if (d := _DOI.search(item)) and not ref.arxiv_id:
            ref.doi = d.group(1).rstrip(".")
        title = _URL.sub("", item)
        title = re.sub(r"\bdoi:\s*\S+|\barXiv:\s*\S+|<>|[<>]", " ", title, flags=re.I)
        title = re.sub(r"\s+", " ", title).strip(" .,;-")
        if len(re.sub(r"[^A-Za-z]", "", title)) >= 4:
            ref.title = title
        if not (ref.arxiv_id or ref.doi or ref.title or ref.url):
            rep.problems.append(
                ParseProblem(no, "references", "reference with neither an identifier nor a title", s)
            )
            continue
        rep.references.append(ref)
