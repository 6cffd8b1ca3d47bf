"""Title and authors from page 1: the title is the run of text in the largest font near the top; the authors are
the name-shaped runs that follow it, before affiliations, e-mail addresses and the abstract."""

from __future__ import annotations

import re
from dataclasses import dataclass

from synthesis.pdftext import normalize_chars

_JUNK_RE = re.compile(
    r"arxiv:|doi\b|https?://|©|\bvol\.|proceedings|preprint|published|received|accepted|journal|"
    r"copyright|conference|workshop|mach learn|springer|elsevier|licen[cs]e",
    re.IGNORECASE,
)
_AFFILIATION_RE = re.compile(
    r"universit|institut|department|dept\.|laborator|\blab\b|\binc\b|corporation|research|school|college|"
    r"cent(?:er|re)|google|microsoft|facebook|\bmeta\b|deepmind|openai|@|\babstract\b|correspondence|e-mail",
    re.IGNORECASE,
)
_NAME_RE = re.compile(
    r"^[A-Z][\w'\u2019.\-]*(?:\s+(?:[A-Z][\w'\u2019.\-]*|de|van|von|der|den|da|di|del|la|le))+$"
)
_SPLIT_RE = re.compile(
    r"\s*(?:,|;|\u00b7|\u2022|\band\b|&|\s{2,}|\d+(?:,\d+)*|[*\u2020\u2021\u00a7\u00b6\u2217])\s*"
)


@dataclass(frozen=True)
class FrontMatter:
    title: str
    authors: list[str]


def _clean(text: str) -> str:
    return re.sub(r"\s+", " ", normalize_chars(text)).strip()


def extract_front_matter(runs: tuple[tuple[float, str], ...] | list[tuple[float, str]]) -> FrontMatter:
    """Title and authors from the (font size, text) runs of page 1; empty values when nothing fits."""
    runs = [(size, text) for size, text in runs[:400] if size > 0]
    candidates = [
        (i, size)
        for i, (size, text) in enumerate(runs)
        if sum(c.isalpha() for c in text) >= 3 and not _JUNK_RE.search(text)
    ]
    if not candidates:
        return FrontMatter("", [])
    biggest = max(size for _, size in candidates)
    first = next(i for i, size in candidates if size == biggest)
    title_parts, j = [], first
    while j < len(runs) and abs(runs[j][0] - biggest) < 0.6:
        title_parts.append(runs[j][1])
        j += 1
    title = _clean(" ".join(title_parts))
    if len(title) > 300 or len(title.split()) < 2:
        title = title[:300] if len(title.split()) >= 2 else ""
    return FrontMatter(title, _authors(runs[j:]))


def _authors(runs: list[tuple[float, str]]) -> list[str]:
    """Names from the runs after the title: same-size runs, superscripts and separators skipped."""
    if not runs:
        return []
    sizes = [size for size, text in runs[:60] if sum(c.isalpha() for c in text) >= 3]
    if not sizes:
        return []
    author_size = sizes[0]
    names: list[str] = []
    for size, text in runs[:200]:
        if abs(size - author_size) >= 0.6:
            if size > author_size:
                break
            continue  # superscript marks and separators in a smaller font
        text = _clean(text)
        if not text:
            continue
        if _AFFILIATION_RE.search(text) or _JUNK_RE.search(text):
            break
        pieces = [p.strip(" .") for p in _SPLIT_RE.split(text)]
        pieces = [p for p in pieces if p]
        good = [p for p in pieces if _NAME_RE.match(p) and len(p.split()) <= 5]
        if pieces and not good:
            break
        for p in good:
            p = re.sub(r"\s+\d+$", "", p)
            if p not in names:
                names.append(p)
        if len(names) >= 40:
            break
    return names
