"""Bibliography parsing: split the References section's lines into entries and read authors, year, title, arXiv id
and DOI from each.

Handles the three layouts of the corpus: ACL ("First Last, and First Last. 2020. Title. Venue."), Springer
("Last, F. (1996b). Title. Venue.") and ICML ("Last, F., and Last, F. Title. Venue, 2023."), plus numbered
entries ("[12] ..." / "12. ..."). Nothing here raises on odd input: unparsed parts come back as None.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from synthesis.pdftext import broken_range

_NAME = r"[A-Z\u00c0-\u017f][\w'\u2019\u00b4`\-]*\.?"
# "Mikel Artetxe, ..." / "Samuel R. Bowman, ..." / "Yann LeCun. 2010." / "Ronan Le Bras, ..."
_FIRST = r"[A-Z\u00c0-\u017f][a-z\u00e0-\u017f'\u2019\u00b4`\-]+"
_ACL_START = re.compile(
    rf"^{_FIRST}\s+(?:[A-Z]\.\s*)*(?:{_NAME}\s+){{0,2}}{_NAME}(?:,|\s+and\s|\.\s+(?:19|20)\d\d)"
)
# "Breiman, L." / "Ivison, H.," / "Le Bras, R." / "van der Maaten, L."
_LAST_FIRST_START = re.compile(
    rf"^(?:(?:van|von|de|der|den|da|di|le|la)\s+)*{_NAME}(?:\s+{_NAME})?,\s+(?:[A-Z]\.|[A-Z][a-z]+[,.\s])"
)
_NUMBERED_START = re.compile(r"^(?:\[(\d{1,3})\]|(\d{1,3})\.)\s+\S")
_ENDS_ENTRY = re.compile(r"(?:[.)]|\d|https?://\S+)$")
_YEAR = r"(?:19|20)\d\d[a-z]?"
_ACL_RE = re.compile(rf"^(?P<authors>.+?)\.\s+(?P<year>{_YEAR})\.\s+(?P<rest>.+)$")
_SPRINGER_RE = re.compile(rf"^(?P<authors>.+?)\s*\((?P<year>{_YEAR})\)[.,:]?\s+(?P<rest>.+)$")
_ICML_AUTHORS_RE = re.compile(
    r"^(?P<authors>(?:(?:and\s+)?(?:[a-z]+\s+)*[A-Z\u00c0-\u017f][^,.()]{0,40},\s+(?:[A-Z]\.(?:\s?-?[A-Z]\.)*)(?:,\s+|\s+))+)"
    r"(?P<rest>[A-Z0-9\"'\u201c].+)$"
)
_ARXIV_RE = re.compile(r"(?:arXiv[:\s]*|arxiv\.org/(?:abs|pdf)/)(\d{4}\.\d{4,5})(?:v\d+)?", re.IGNORECASE)
_DOI_RE = re.compile(r"\b(10\.\d{4,9}/[^\s\"<>]+)")
_TITLE_END_RE = re.compile(r"(?<![A-Z])(?<!\bet al)(?<!\bvs)[.?!](?:\s|$)")


_AND_RE = re.compile(r"^(?:and|&)\s+")


@dataclass(frozen=True)
class ParsedReference:
    raw: str
    title: str | None
    authors: list[str] = field(default_factory=list)
    year: int | None = None
    arxiv_id: str | None = None
    doi: str | None = None


def split_entries(lines: list[str]) -> list[str]:
    """Group bibliography lines into one string per entry."""
    lines = [x.strip() for x in lines if x.strip()]
    if not lines:
        return []
    numbered = sum(bool(_NUMBERED_START.match(x)) for x in lines) >= max(3, len(lines) // 6)
    entries: list[list[str]] = []
    for line in lines:
        if not entries:
            entries.append([line])
            continue
        prev = entries[-1][-1]
        if numbered:
            start = bool(_NUMBERED_START.match(line))
        else:
            start = bool(_ENDS_ENTRY.search(prev)) and bool(
                _ACL_START.match(line) or _LAST_FIRST_START.match(line)
            )
        if start:
            entries.append([line])
        else:
            entries[-1].append(line)
    return [_join(e) for e in entries]


def _join(lines: list[str]) -> str:
    out = lines[0]
    for line in lines[1:]:
        # cleaning already rejoined hyphenated words; an URL broken after "/" or "-" continues without a space
        glue = "" if re.search(r"(?:https?://\S*|[/_])$", out) or broken_range(out, line) else " "
        out = out + glue + line
    return re.sub(r"\s+", " ", out).strip()


def _authors(text: str) -> list[str]:
    text = re.sub(r"\bet al\.?", "", text).strip(" ,")
    if not text:
        return []
    if re.search(r",\s+(?:[A-Z]\.\s?)+(?:,|$|\s+and\b)", text + ","):
        # "Last, F. F., Last, F., and Last, F."
        parts = re.findall(r"((?:[a-z]+\s+)*[^,]+?),\s+((?:[A-Z]\.\s?-?)+)(?=,|$|\s+and\b|\s*&)", text)
        names = [f"{first.strip()} {_AND_RE.sub('', last.strip())}".strip() for last, first in parts]
        return [n for n in names if n]
    pieces = re.split(r",\s*(?:and\s+)?|\s+and\s+|\s*&\s*", text)
    return [p.strip() for p in pieces if p.strip() and len(p.split()) <= 6]


def _title(rest: str) -> str | None:
    m = _TITLE_END_RE.search(rest)
    title = rest[: m.start() + (1 if rest[m.start()] == "?" else 0)] if m else rest
    title = re.sub(rf",\s*{_YEAR}\s*$", "", title).strip(" ,.;:\"'\u201c\u201d")
    if len(title.split()) < 2 or len(title) > 400:
        return None
    return title


def parse_reference(raw: str) -> ParsedReference:
    """Authors, year, title, arXiv id and DOI of one bibliography entry (None / [] for what cannot be read)."""
    text = re.sub(r"^(?:\[\d{1,3}\]|\d{1,3}\.)\s+", "", raw.strip())
    arxiv = _ARXIV_RE.search(text)
    doi = _DOI_RE.search(text)
    doi_value = doi.group(1).rstrip(".,;)") if doi else None
    authors: list[str] = []
    year = None
    title = None
    m = _SPRINGER_RE.match(text) or _ACL_RE.match(text)
    if m and len(m.group("authors")) < 4000:
        authors = _authors(m.group("authors"))
        year = int(m.group("year")[:4])
        title = _title(m.group("rest"))
    else:
        m = _ICML_AUTHORS_RE.match(text)
        if m:
            authors = _authors(m.group("authors"))
            rest = m.group("rest")
            title = _title(rest)
            years = re.findall(rf"\b({_YEAR})\b", rest)
            year = int(years[-1][:4]) if years else None
        else:
            years = re.findall(rf"\b({_YEAR})\b", text)
            year = int(years[0][:4]) if years else None
    return ParsedReference(
        raw=raw,
        title=title,
        authors=authors,
        year=year,
        arxiv_id=arxiv.group(1) if arxiv else None,
        doi=doi_value,
    )


def parse_references(lines: list[str]) -> list[ParsedReference]:
    """Every entry of a bibliography given as its cleaned lines."""
    return [parse_reference(e) for e in split_entries(lines) if len(e) >= 15]
