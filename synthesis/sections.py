"""Section headings in cleaned page lines: numbered ("3.1 Results", "2. Related Work", "2.2.2.2. Tree Bagging
(TB). When ..." run-in), appendix ("A Implementation details", "A.1 Intermediate Tasks") and the usual unnumbered
ones (Abstract, References, Acknowledgments, Appendix).

Numbers must increase through the document, which rejects footnotes and table rows that look like headings.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

UNNUMBERED = {
    "abstract": "Abstract",
    "references": "References",
    "bibliography": "References",
    "acknowledgments": "Acknowledgments",
    "acknowledgements": "Acknowledgments",
    "acknowledgment": "Acknowledgments",
    "acknowledgement": "Acknowledgments",
    "appendix": "Appendix",
    "appendices": "Appendix",
    "keywords": "Keywords",
    "conclusion": "Conclusion",
    "conclusions": "Conclusions",
    "introduction": "Introduction",
    "related work": "Related Work",
}
_NUMBERED_RE = re.compile(r"^(\d{1,2}(?:\.\d{1,2}){0,4})(\.?)\s+((?:\([A-Z][a-z]+\) )?[A-Z][^\n]*)$")
_APPENDIX_RE = re.compile(r"^([A-H](?:\.\d{1,2}){0,3})(\.?)\s+([A-Z][^\n]*)$")
_RUN_IN_RE = re.compile(r"^(.{2,80}?[a-z)])\.\s+([A-Z].*)$")
_RUN_IN_UNNUMBERED_RE = re.compile(r"^(Abstract|Keywords|Acknowledge?ments?)[.:]?\s+(\S.*)$", re.IGNORECASE)
_BAD_TITLE_CHARS = re.compile(r"[,;=<>@{}\[\]|+%$#]|\d{3,}|\s-$|-$| et al")


@dataclass(frozen=True)
class Heading:
    """A heading found on line ``line`` of page ``page`` (0-based); ``split`` > 0 when the heading is run in:
    the line's first ``split`` characters are the heading and the rest is body text."""

    page: int
    line: int
    number: str | None
    title: str
    split: int = 0
    n_lines: int = 1  # a long heading may wrap onto a second line

    @property
    def label(self) -> str:
        return f"{self.number} {self.title}" if self.number else self.title


_CONNECTORS = {
    "on",
    "for",
    "of",
    "and",
    "with",
    "in",
    "to",
    "the",
    "a",
    "an",
    "via",
    "from",
    "by",
    "or",
    "vs",
}


def _continues(title: str, nxt: str, width: float) -> bool:
    """True when ``nxt`` is the wrapped rest of heading ``title`` ("4.2 Multi-Task Fine-tuning on" + "Super-...")."""
    nxt = nxt.strip()
    words = nxt.split()
    if not words or len(words) > 6 or len(nxt) > 0.7 * width or not nxt[0].isupper():
        return False
    if (
        _NUMBERED_RE.match(nxt)
        or _APPENDIX_RE.match(nxt)
        or _TERMINAL_END.search(nxt)
        or not _good_title(nxt, width)
    ):
        return False
    if title.split()[-1].lower() in _CONNECTORS:
        return True
    return all(w[0].isupper() or w.lower() in _CONNECTORS or not w[0].isalpha() for w in words)


_TERMINAL_END = re.compile(r"[.!?:,;]$")


def _key(number: str) -> tuple[int, ...]:
    """Sort key for section numbers; appendix letters come after all numbers."""
    parts = number.split(".")
    first = parts[0]
    head = (1000 + ord(first) - ord("A"),) if first.isalpha() else (int(first),)
    return head + tuple(int(p) for p in parts[1:])


def _good_title(title: str, width: float) -> bool:
    words = title.split()
    if not words or len(words) > 12 or len(title) > min(90, max(40, 1.1 * width)):
        return False
    if _BAD_TITLE_CHARS.search(title) or title.endswith((".", ":")) or re.search(r"[a-z)]\.\s+[A-Z]", title):
        return False
    # mostly words, not numbers (table rows)
    letters = sum(c.isalpha() for c in title)
    return letters >= 0.6 * len(title.replace(" ", ""))


def _next_ok(prev: tuple[int, ...] | None, key: tuple[int, ...]) -> bool:
    """A heading number must follow the previous one: same prefix and one more, or a child, or a new top level."""
    if prev is None:
        return len(key) == 1 and key[0] <= 2 or key[0] >= 1000 and len(key) == 1
    if key <= prev:
        return False
    if key[0] != prev[0]:
        # a new top-level section: the next number, or a jump to the appendix
        if len(key) != 1:
            return False
        if key[0] >= 1000:
            return prev[0] < 1000 and key[0] == 1000 or key[0] in (prev[0] + 1, prev[0] + 2)
        return key[0] in (prev[0] + 1, prev[0] + 2)
    # same top level: next sibling or first child at some depth
    depth = 0
    while depth < min(len(key), len(prev)) and key[depth] == prev[depth]:
        depth += 1
    if depth == len(prev):  # child: 3 -> 3.1
        return len(key) == len(prev) + 1 and key[-1] == 1
    return len(key) == depth + 1 and key[depth] in (prev[depth] + 1, prev[depth] + 2)


def find_headings(pages: list[list[str]], widths: list[float] | None = None) -> list[Heading]:
    """Headings in document order."""
    out: list[Heading] = []
    prev: tuple[int, ...] | None = None
    seen_unnumbered: set[str] = set()
    in_refs = False
    for p, lines in enumerate(pages):
        width = widths[p] if widths else 60.0
        for i, line in enumerate(lines):
            low = line.strip().lower().rstrip(":")
            if low in UNNUMBERED and UNNUMBERED[low] not in seen_unnumbered and len(line) < 40:
                title = UNNUMBERED[low]
                seen_unnumbered.add(title)
                out.append(Heading(p, i, None, title))
                in_refs = title == "References"
                continue
            m = _RUN_IN_UNNUMBERED_RE.match(line)
            if m and UNNUMBERED[m.group(1).lower()] not in seen_unnumbered and p == 0:
                title = UNNUMBERED[m.group(1).lower()]
                seen_unnumbered.add(title)
                out.append(Heading(p, i, None, title, split=m.start(2)))
                continue
            m = _NUMBERED_RE.match(line) or _APPENDIX_RE.match(line)
            if not m:
                continue
            number, dot, title = m.group(1), m.group(2), m.group(3).strip()
            cont = False
            split = 0
            # run-in heading: "2.2.2.2. Tree Bagging (TB). When talking about ..."
            r = _RUN_IN_RE.match(title)
            if r and _good_title(r.group(1), width):
                split = m.start(3) + len(r.group(1)) + 1
                title = r.group(1)
            elif not _good_title(title, width):
                continue
            elif i + 1 < len(lines) and _continues(title, lines[i + 1], width):
                title = f"{title} {lines[i + 1].strip()}"
                cont = True
            if number[0].isalpha() and (
                not in_refs and not any(h.title in ("References", "Appendix") for h in out)
            ):
                # appendix letters only after the references (or an Appendix heading)
                if not any(h.number and h.number[0].isdigit() for h in out):
                    continue
                if not any(
                    h.title in ("References", "Acknowledgments", "Conclusion", "Conclusions") for h in out
                ):
                    continue
            if number[0].isalpha() and len(number) == 1 and not dot and len(title.split()) < 2:
                continue
            key = _key(number)
            if not _next_ok(prev, key):
                continue
            prev = key
            in_refs = False
            out.append(Heading(p, i, number, title, split, 2 if cont else 1))
    return out
