"""PDF bytes to clean per-page text lines: safe loading (size, format, encryption, truncation, decompression
limits), pypdf extraction, and cleaning (ligatures, split accents, running headers and footers, page numbers,
hyphenation across line ends and page breaks).

Cleaning works on lines and keeps the page structure, so that every later offset points into the text we store.
"""

from __future__ import annotations

import contextlib
import io
import logging
import re
import statistics
import unicodedata
import warnings
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from synthesis.errors import AssayError

MAX_PAGES = 2000  # more than any paper; a guard against absurd page trees
MAX_CHARS_PER_PAGE = 200_000  # a page that decodes to more text than this is hostile or broken
CLEANING_VERSION = (
    "3"  # 2: glued sentences ("problem.The") split, page ranges ("93– 104") and table-wide pages fixed
)
# 3: "ANLI+does" gets its space; "Ty-" + "DiQA" closes to the document's own "TyDiQA"

LIGATURES = {
    "\ufb00": "ff",
    "\ufb01": "fi",
    "\ufb02": "fl",
    "\ufb03": "ffi",
    "\ufb04": "ffl",
    "\ufb05": "ft",
    "\ufb06": "st",
    "\u0132": "IJ",
    "\u0133": "ij",
}
# Spacing accents that TeX fonts emit before the letter they belong to ("Guzm´an" -> "Guzmán").
_SPACING_ACCENTS = {
    "\u00b4": "\u0301",  # acute
    "`": "\u0300",  # grave (only between letters, see below)
    "\u00a8": "\u0308",  # diaeresis
    "\u02c7": "\u030c",  # caron
    "\u02dc": "\u0303",  # tilde
    "\u02c6": "\u0302",  # circumflex
    "\u02d8": "\u0306",  # breve
    "\u02da": "\u030a",  # ring
}
_CHAR_MAP = {
    "\u00a0": " ",
    "\u2002": " ",
    "\u2003": " ",
    "\u2009": " ",
    "\u200a": " ",
    "\u202f": " ",
    "\u3000": " ",
    "\u00ad": "",
    "\u200b": "",
    "\u200c": "",
    "\u200d": "",
    "\ufeff": "",
    "\t": " ",
    "\r": "",
    "\u2010": "-",
    "\u2011": "-",
}
_ACCENT_RE = re.compile(
    r"([\u00b4\u00a8\u02c7\u02dc\u02c6\u02d8\u02da])\s?([A-Za-z\u0131])|(?<=[A-Za-z])`([A-Za-z])|([A-Za-z])\u00b8\s?"
)
_CONTROL_RE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
_SPACES_RE = re.compile(r" {2,}")
_WORD_RE = re.compile(r"[A-Za-z]+(?:-[A-Za-z]+)*")
_PAGE_NO_RE = re.compile(r"^(?:page\s+)?(?:\d{1,4}|[ivxlcdm]{1,6})(?:\s*(?:/|of)\s*\d{1,4})?$", re.IGNORECASE)
_HYPHEN_END_RE = re.compile(r"(?<![A-Za-z-])([A-Za-z][A-Za-z]*(?:-[A-Za-z]+)*)-$")
_UPPER_CONT_RE = re.compile(r"^(?:[A-Z][A-Za-z0-9]*|\d+[A-Za-z]*)[,.;:)\]]*(?=\s|$)")
_URL_LINE_RE = re.compile(r"(?:https?://|www\.)\S+$")
_FOOTNOTE_RE = re.compile(
    r"^(?:(?:\d{1,2}|[*\u2020\u2021\u00a7])(?:[A-Z][A-Za-z]|https?:|www\.)"
    r"|(?:Editor|Communicated by|e-mail|E-mail|Email|Correspondence|Corresponding author)\b)"
)
_CONT_START_RE = re.compile(r"^([a-z][a-z]*)([^\s]*)")
# Two sentences the PDF sets without a space ("problem.The term", "steps.For the"): pypdf sees no gap. Only before
# words that usually open a sentence, so identifiers ("nn.Module", "torch.Tensor") and URLs stay as they are.
_SENTENCE_OPENERS = (
    "The|This|These|That|Those|There|Then|Thus|Therefore|Hence|However|Here|We|Our|It|Its|In|On|For|To|As|At|"
    "By|With|When|While|Since|If|Finally|Moreover|Furthermore|Also|Although|Note|Each|All|Both|An|A|One|Such"
)
_GLUED_SENTENCE_RE = re.compile(rf"(?<![\w.@/:\\-])([a-z]{{2,}}[.?!])(?=(?:{_SENTENCE_OPENERS})\s)")
# A name ending in "+" glued to the next lower-case word ("ANLI+does not"): the PDF dropped the space.
_GLUED_PLUS_RE = re.compile(r"(?<![\w+])([A-Z][A-Z0-9\-]*[A-Z0-9]\+)(?=[a-z]{2,}\b)")


@dataclass(frozen=True)
class RawDocument:
    """What pypdf gave us: the text of each page, before cleaning."""

    pages: list[str]
    metadata_title: str | None = None
    metadata_author: str | None = None
    # (font size in points, text) of each text run on page 1, in reading order: front matter comes from these
    first_page_runs: tuple[tuple[float, str], ...] = ()


def read_pdf_bytes(pdf: Path | str | bytes, max_bytes: int) -> bytes:
    """The bytes of a PDF given as a path or bytes, refusing anything over ``max_bytes`` before reading it."""
    if isinstance(pdf, bytes | bytearray | memoryview):
        data = bytes(pdf)
        if len(data) > max_bytes:
            raise AssayError(f"PDF is {len(data):,} bytes, over the limit of {max_bytes:,} (max_pdf_bytes)")
        return data
    path = Path(pdf)
    try:
        if not path.exists():
            raise AssayError(f"{path}: no such file")
        if not path.is_file():
            raise AssayError(f"{path} is not a file; give a PDF file")
        size = path.stat().st_size
        if size > max_bytes:
            raise AssayError(
                f"{path} is {size:,} bytes, over the limit of {max_bytes:,} (raise max_pdf_bytes)"
            )
        with open(path, "rb") as fh:
            data = fh.read(max_bytes + 1)
    except OSError as exc:
        raise AssayError(f"cannot read {path}: {exc.strerror or exc}") from exc
    if len(data) > max_bytes:
        raise AssayError(f"{path} grew over the limit of {max_bytes:,} bytes while reading")
    return data


# PDF structure after the last %%EOF: the file goes on past its end marker with objects that were cut off (a
# download stopped inside an incremental update, or a linearized file cut after its first-page section).
_STRUCTURE_AFTER_EOF_RE = re.compile(rb"\bendobj\b|\bstartxref\b|\bxref\b|\bendstream\b")

# Loggers of the PDF libraries we read with: their robustness notes ("EOF marker not found", "Ignoring wrong
# pointing object") would be printed beside our own one-line error, so they are silenced around our reads.
PDF_LOGGERS = ("pypdf", "pdfminer", "pdfplumber")


@contextlib.contextmanager
def quiet_pdf_libraries() -> Iterator[None]:
    """Silence the PDF libraries' loggers and warnings for the duration (restored afterwards): what is wrong with
    a PDF is said once, by our own error."""
    saved = []
    for name in PDF_LOGGERS:  # their modules log to child loggers ("pypdf._reader"), which inherit this level
        log = logging.getLogger(name)
        saved.append((log, log.level))
        log.setLevel(logging.CRITICAL + 1)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            yield
    finally:
        for log, level in saved:
            log.setLevel(level)


def check_pdf_bytes(data: bytes, name: str = "input") -> None:
    """Cheap structural checks before parsing: a PDF header and a PDF end marker.

    Bytes after the last ``%%EOF`` (padding, a mail footer, a signature blob) are accepted as readers accept them;
    a file without any ``%%EOF``, or with PDF objects after its last one, was cut off.
    """
    if not data:
        raise AssayError(f"{name} is empty, not a PDF")
    if b"%PDF-" not in data[:1024]:
        raise AssayError(f"{name} is not a PDF (no %PDF- header); give a PDF file")
    end = data.rfind(b"%%EOF")
    if end < 0:
        raise AssayError(f"{name} is truncated or corrupt (no %%EOF end marker); download it again")
    if _STRUCTURE_AFTER_EOF_RE.search(data, end + 5):
        raise AssayError(
            f"{name} is truncated or corrupt (PDF objects after its last %%EOF end marker, "
            "without an end marker of their own); download it again"
        )


def extract_pages(data: bytes, name: str = "input", max_pages: int = MAX_PAGES) -> RawDocument:
    """Text of every page via pypdf, with clear errors for encrypted, corrupt, bomb-like or image-only PDFs."""
    check_pdf_bytes(data, name)
    with quiet_pdf_libraries():
        return _extract_pages(data, name, max_pages)


def _extract_pages(data: bytes, name: str, max_pages: int) -> RawDocument:
    import pypdf
    from pypdf.errors import DependencyError, FileNotDecryptedError, LimitReachedError

    # Decompression bombs: pypdf 7's Configuration caps every decoded stream (75 MB) and raises
    # LimitReachedError past it; the per-page text cap below bounds the rest.
    try:
        reader = pypdf.PdfReader(io.BytesIO(data), strict=False)
        if reader.is_encrypted:
            try:
                ok = reader.decrypt("")
            except (DependencyError, NotImplementedError) as exc:
                raise AssayError(f"{name} is encrypted ({exc}); give an unencrypted copy") from exc
            if not ok:
                raise AssayError(f"{name} is encrypted with a password; give an unencrypted copy")
        n = len(reader.pages)
        if n == 0:
            raise AssayError(f"{name} has no pages")
        if n > max_pages:
            raise AssayError(f"{name} claims {n} pages, over the limit of {max_pages}; refusing it")
        pages = []
        runs: list[tuple[float, str]] = []
        for i, page in enumerate(reader.pages):
            text = (
                page.extract_text(visitor_text=_run_collector(runs)) if i == 0 else page.extract_text()
            ) or ""
            if len(text) > MAX_CHARS_PER_PAGE:
                raise AssayError(
                    f"{name} page {i + 1} decodes to {len(text):,} characters; refusing a hostile PDF"
                )
            pages.append(text)
        info = None
        try:
            info = reader.metadata
        except Exception:  # noqa: BLE001 - metadata is optional and often broken
            info = None
        title = _meta_str(info, "title")
        author = _meta_str(info, "author")
    except AssayError:
        raise
    except FileNotDecryptedError as exc:
        raise AssayError(f"{name} is encrypted; give an unencrypted copy") from exc
    except LimitReachedError as exc:
        raise AssayError(
            f"{name} exceeds decompression limits ({exc}); refusing a possible zip bomb"
        ) from exc
    except Exception as exc:  # hostile input: any failure inside the parser means a corrupt PDF
        detail = " ".join(str(exc).split())[:120]
        raise AssayError(f"{name} is a corrupt PDF ({type(exc).__name__}: {detail})") from exc
    letters = sum(sum(c.isalpha() for c in p) for p in pages)
    if letters < max(40, 10 * len(pages)):
        raise AssayError(f"{name} has no extractable text (a scanned PDF?); run OCR on it first")
    return RawDocument(pages, title, author, tuple(runs))


def _run_collector(runs: list[tuple[float, str]]):  # noqa: ANN202
    """A pypdf text visitor that records each run's effective font size (font size times text and page scale)."""

    def visit(text, cm, tm, font_dict, font_size) -> None:  # noqa: ANN001
        if not text or not text.strip():
            return
        try:
            scale = (tm[2] ** 2 + tm[3] ** 2) ** 0.5 * (cm[2] ** 2 + cm[3] ** 2) ** 0.5
            size = round(float(font_size) * scale, 1)
        except (TypeError, ValueError, IndexError):
            size = 0.0
        runs.append((size, text))

    return visit


def _meta_str(info, key: str) -> str | None:  # noqa: ANN001
    if not info:
        return None
    try:
        value = getattr(info, key, None)
    except Exception:  # noqa: BLE001
        return None
    value = str(value).strip() if value else ""
    return value or None


# ---------------------------------------------------------------------------------------------------- cleaning


def normalize_chars(text: str) -> str:
    """Ligatures, split accents, odd spaces, soft hyphens, control characters, sentences glued by the PDF; NFC."""
    for src, dst in LIGATURES.items():
        if src in text:
            text = text.replace(src, dst)
    text = text.translate(str.maketrans(_CHAR_MAP))
    text = _ACCENT_RE.sub(_compose_accent, text)
    text = _CONTROL_RE.sub("", text)
    text = _GLUED_SENTENCE_RE.sub(r"\1 ", text)
    text = _GLUED_PLUS_RE.sub(r"\1 ", text)
    return unicodedata.normalize("NFC", text)


def _compose_accent(m: re.Match) -> str:
    if m.group(4):  # cedilla follows its letter: "C¸" -> "Ç"
        return unicodedata.normalize("NFC", m.group(4) + "\u0327")
    if m.group(3):
        return unicodedata.normalize("NFC", m.group(3) + _SPACING_ACCENTS["`"])
    letter = "i" if m.group(2) == "\u0131" else m.group(2)  # dotless i carries the accent in TeX fonts
    return unicodedata.normalize("NFC", letter + _SPACING_ACCENTS[m.group(1)])


def page_lines(text: str) -> list[str]:
    """Normalised, stripped, non-empty lines of one page's raw text."""
    out = []
    for line in normalize_chars(text).split("\n"):
        line = _SPACES_RE.sub(" ", line).strip()
        if line:
            out.append(line)
    return out


def _signature(line: str) -> str:
    """A line with digits blurred, to recognise running headers that carry page numbers."""
    return re.sub(r"\d+", "#", line.lower()).strip()


def remove_running_lines(pages: list[list[str]]) -> list[list[str]]:
    """Drop running headers and footers (lines repeated at the top or bottom of many pages) and page numbers.

    Page 1 keeps a long repeated top line (a running title equals the paper's title there).
    """
    n = len(pages)
    pages = [list(p) for p in pages]
    if n >= 2:
        top: Counter[str] = Counter()
        bottom: Counter[str] = Counter()
        for lines in pages:
            top.update({_signature(x) for x in lines[:2]})
            bottom.update({_signature(x) for x in lines[-2:]})
        need = n if n == 2 else max(3, int(0.4 * n + 0.5))
        heads = {s for s, c in top.items() if c >= need and len(s) < 200}
        foots = {s for s, c in bottom.items() if c >= need and len(s) < 200}
        for i, lines in enumerate(pages):
            for _ in range(2):
                # page 1 keeps a long repeated top line: there the running title is the paper's title
                if lines and _signature(lines[0]) in heads and (i > 0 or len(lines[0]) < 30):
                    lines.pop(0)
                if lines and _signature(lines[-1]) in foots:
                    lines.pop()
    for lines in pages:
        if lines and _PAGE_NO_RE.match(lines[-1]):
            lines.pop()
        if lines and _PAGE_NO_RE.match(lines[0]) and len(pages) > 1:
            lines.pop(0)
    return pages


def _vocabulary(pages: list[list[str]]) -> Counter[str]:
    """Word counts over the document, excluding the fragments around line-end hyphens."""
    vocab: Counter[str] = Counter()
    for lines in pages:
        prev_hyphen = False
        for line in lines:
            words = _WORD_RE.findall(line)
            if not words:
                prev_hyphen = False
                continue
            if prev_hyphen:
                words = words[1:]
            ends_hyphen = bool(_HYPHEN_END_RE.search(line))
            if ends_hyphen and words:
                last = words[-1]
                words = words[:-1]
                if "-" in last:  # "intermediate-task-" keeps its inner compound
                    words.append(last.rsplit("-", 1)[0])
            vocab.update(w.lower() for w in words)
            prev_hyphen = ends_hyphen
    return vocab


def keep_hyphen(head: str, tail: str, vocab: Counter[str]) -> bool:
    """Decide whether ``head-`` at a line end followed by ``tail`` is a real hyphen ("multi-task") or a break
    ("av-erage"). The document's own usage decides; without evidence, a compound of two known words keeps it."""
    head_word = head.rsplit("-", 1)[-1]
    joined = (head_word + tail).lower()
    hyphenated = (head_word + "-" + tail).lower()
    n_joined, n_hyph = vocab.get(joined, 0), vocab.get(hyphenated, 0)
    if n_joined or n_hyph:
        return n_hyph > n_joined
    if head_word.isupper() and len(head_word) > 1:  # "BERT-based"
        return True
    known = vocab.get(head_word.lower(), 0) > 0 and vocab.get(tail.lower(), 0) > 0
    return known and len(head_word) >= 3 and len(tail) >= 3


def _join_hyphen(
    lines: list[str],
    i: int,
    nxt_lines: list[str],
    j: int,
    vocab: Counter[str],
    need_evidence: bool = False,
    allow_upper: bool = True,
) -> bool:
    """Move the word continued on ``nxt_lines[j]`` up to the end of ``lines[i]``; True when done.

    With ``need_evidence`` (the continuation is not on the very next line) the joined or hyphenated word must
    occur elsewhere in the document.
    """
    m = _HYPHEN_END_RE.search(lines[i])
    if not m:
        return False
    head = lines[i][: m.end() - 1]
    head_word = m.group(1)
    nxt = nxt_lines[j]
    c = _CONT_START_RE.match(nxt)
    if c:
        tail, rest = c.group(1), c.group(2)
        if need_evidence:
            joined, hyph = (head_word + tail).lower(), (head_word + "-" + tail).lower()
            if not (vocab.get(joined) or vocab.get(hyph)):
                return False
        glue = "-" if keep_hyphen(head_word, tail, vocab) else ""
    else:
        # "XLM-" + "R", "Llama-" + "2", "TyDiQA-" + "GoldP": a compound, keep the hyphen and close the gap
        u = _UPPER_CONT_RE.match(nxt)
        if not u or need_evidence or not allow_upper or not any(ch.isupper() for ch in head_word):
            return False
        tail, rest = u.group(0), ""
        word = re.sub(r"[,.;:)\]]+$", "", tail)
        # "Ty-" + "DiQA": the document writes "TyDiQA" elsewhere, so the hyphen was a line-end break
        n_joined, n_hyph = (
            vocab.get((head_word + word).lower(), 0),
            vocab.get((head_word + "-" + word).lower(), 0),
        )
        glue = "" if n_joined > n_hyph else "-"
    moved = tail + rest
    lines[i] = head + glue + moved
    remainder = nxt[len(moved) :].lstrip()
    if remainder:
        nxt_lines[j] = remainder
    else:
        del nxt_lines[j]
    return True


def dehyphenate(pages: list[list[str]], vocab: Counter[str] | None = None) -> list[list[str]]:
    """Rejoin words broken across line ends, across footnotes set between two columns, and across page ends."""
    pages = [list(p) for p in pages]
    vocab = vocab if vocab is not None else _vocabulary(pages)
    for p, lines in enumerate(pages):
        i = 0
        while i < len(lines) - 1:
            if not _join_hyphen(lines, i, lines, i + 1, vocab):
                i += 1
            elif not (i + 1 < len(lines) and _HYPHEN_END_RE.search(lines[i])):
                i += 1
            # else: the moved word itself ended in a hyphen; try again with the new next line
        if lines and p + 1 < len(pages) and pages[p + 1]:
            nxt = pages[p + 1]
            if not _join_hyphen(lines, len(lines) - 1, nxt, 0, vocab, allow_upper=False):
                # the next page may open with a figure or table: look for the first line that continues
                for j in range(1, min(len(nxt), 80)):
                    if nxt[j][:1].islower() and _join_hyphen(
                        lines, len(lines) - 1, nxt, j, vocab, need_evidence=True
                    ):
                        break
    return pages


def move_footnotes(lines: list[str], vocab: Counter[str]) -> list[str]:
    """Move footnotes that pypdf set in the middle of a sentence (at the foot of a column) to the page end.

    A footnote block starts with a marker ("3UDPOS ...", "4https://...") right after a line that does not end a
    sentence, and ends where the interrupted sentence visibly resumes: the rest of a hyphenated word the
    document knows, or a lower-case line after a line that ends a sentence.
    """
    lines = list(lines)
    moved: list[str] = []
    i = 1
    while i < len(lines):
        if not (_FOOTNOTE_RE.match(lines[i]) and not _TERMINAL_RE.search(lines[i - 1])):
            i += 1
            continue
        head = _HYPHEN_END_RE.search(lines[i - 1])
        resume = None
        for j in range(i + 1, min(len(lines), i + 9)):
            c = _CONT_START_RE.match(lines[j])
            if not c:
                continue
            if head:
                word = head.group(1).rsplit("-", 1)[-1]
                if vocab.get((word + c.group(1)).lower()) or vocab.get((word + "-" + c.group(1)).lower()):
                    resume = j
                    break
            elif _TERMINAL_RE.search(lines[j - 1]) or _URL_LINE_RE.search(lines[j - 1]):
                resume = j
                break
        if resume is None:
            i += 1
            continue
        moved.extend(lines[i:resume])
        del lines[i:resume]
    return lines + moved


def clean_pages(raw_pages: list[str]) -> list[list[str]]:
    """Raw pypdf page texts to cleaned lines per page."""
    pages = [page_lines(t) for t in raw_pages]
    pages = remove_running_lines(pages)
    vocab = _vocabulary(pages)
    pages = [move_footnotes(p, vocab) for p in pages]
    return dehyphenate(pages, vocab)


# ---------------------------------------------------------------------------------------------------- assembling


def typical_width(lines: list[str]) -> float:
    """The usual length of a full prose line on this page (its column width in characters).

    Table rows ("ANLI+ - 0.8 + 0.4 - 0.9 ...") are not prose: lines whose tokens are mostly without letters do not
    count, or a page with a wide table would make every column line look short (and end a paragraph).
    """
    wordy = sorted(len(x) for x in lines if len(x.split()) >= 5 and _prose_like(x))
    if len(wordy) < 3:
        return float(max((len(x) for x in lines), default=60))
    return (
        float(statistics.quantiles(wordy, n=10)[5]) if len(wordy) >= 10 else float(statistics.median(wordy))
    )


def _prose_like(line: str) -> bool:
    tokens = line.split()
    return sum(any(c.isalpha() for c in t) for t in tokens) >= 0.6 * len(tokens)


_TERMINAL_RE = re.compile(r"[.!?:][\"'\u201d\u2019)\]]*$")
# a line ending like this never ends a paragraph (it may be short because a hyphenated word moved up)
_CONTINUES_RE = re.compile(
    r"(?:[,;(\[\u2013\u2014]|\b(?:of|the|a|an|and|or|to|in|on|for|with|by|as|at|from|that|is|are|was|were|we|our|"
    r"this|these|its|their|via|than|between|into|over|which|whether|both|each|such|not))$"
)
_FOOT_SPACED_RE = re.compile(r"^\d{1,2}\s[A-Z][a-z]+\s")
_URL_END_RE = re.compile(r"(?:https?://|www\.)\S*[/_\-.]$")
_BULLET_RE = re.compile(r"^(?:[\u2022\u25cf\u25aa\u2013\u2014*\-]\s|\(?[ivx]{1,4}\)\s|\(?\d{1,2}\)\s)")
_ABBREV_END_RE = re.compile(r"(?:\bet al|\be\.g|\bi\.e|\bcf|\bFig|\bEq|\bTab|\bSec|\bvs|\bFigs|\bEqs)\.$")


def soft_break(line: str, nxt: str, width: float) -> bool:
    """True when the break between two lines is a wrap inside one paragraph (joined with a space)."""
    if _BULLET_RE.match(nxt) or _FOOTNOTE_RE.match(nxt):
        return False
    n = len(line)
    terminal = bool(_TERMINAL_RE.search(line)) and not _ABBREV_END_RE.search(line)
    if terminal:
        # A sentence ends at the line end: break on a short line (paragraph end) or where the layout width
        # changes (a full-width caption followed by a column of text).
        if n < 0.8 * width:
            return False
        m = len(nxt)
        if n > 1.25 * width and m > 0.5 * width and abs(n - m) > 0.3 * max(n, m):
            return False
        return True
    if n >= 0.7 * width or _CONTINUES_RE.search(line):
        return True
    # A short line that does not end a sentence, continued in lower case (a wrap before an inline formula).
    return len(line.split()) >= 3 and nxt[:1].islower()


def broken_range(line: str, nxt: str) -> bool:
    """True when a number range is broken after its dash ("pages 93–" + "104"): joined without a space."""
    return line.endswith("\u2013") and line[-2:-1].isdigit() and nxt[:1].isdigit()


def join_lines(lines: list[str], hard: set[int], width: float | None = None) -> tuple[str, list[int]]:
    """Assemble one page's text from its lines; returns the text and the offset where each line starts.

    Line ``i`` is followed by a newline when ``i`` or ``i + 1`` is in ``hard`` (headings, captions) or the break
    is not a soft wrap; otherwise by a space.
    """
    width = width or typical_width(lines)
    parts: list[str] = []
    starts: list[int] = []
    pos = 0
    for i, line in enumerate(lines):
        starts.append(pos)
        parts.append(line)
        pos += len(line)
        if i + 1 < len(lines):
            soft = i not in hard and (i + 1) not in hard and soft_break(line, lines[i + 1], width)
            if soft and i + 1 >= len(lines) - 6 and _FOOT_SPACED_RE.match(lines[i + 1]):
                soft = False  # "2 See also (Geurts et al., 2005a) ...": a footnote at the page foot
            tight = _URL_END_RE.search(line) or broken_range(line, lines[i + 1])
            glue = ("" if tight else " ") if soft else "\n"
            parts.append(glue)
            pos += len(glue)
    return "".join(parts), starts
