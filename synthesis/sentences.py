"""Sentence boundaries in cleaned paper text, as character spans.

spaCy's blank English tokenizer with our own boundary rules (a pipeline component), because scientific text is full
of abbreviations that end in a period ("et al.", "Fig.", "Eq.", "cf.", "i.e.", "e.g.", "Tab.", "Sec.", "vs.") and a
plain sentencizer splits after every one of them. A newline in the text is always a boundary: the page builder puts
one wherever a block ends (heading, caption, paragraph end), so sentences never run across blocks.

spaCy is imported lazily and the pipeline is built once per process.
"""

from __future__ import annotations

import functools
import re

# Abbreviations after which a period does not end a sentence (compared lower-case, without the trailing period).
ABBREVIATIONS = frozenset(
    {
        "al",
        "fig",
        "figs",
        "eq",
        "eqs",
        "cf",
        "i.e",
        "e.g",
        "tab",
        "tabs",
        "sec",
        "secs",
        "vs",
        "viz",
        "resp",
        "approx",
        "ref",
        "refs",
        "no",
        "nos",
        "ch",
        "app",
        "appx",
        "alg",
        "thm",
        "def",
        "lem",
        "prop",
        "cor",
        "dr",
        "mr",
        "mrs",
        "ms",
        "prof",
        "st",
        "etc",
        "ca",
        "incl",
        "esp",
        "w.r.t",
        "i.i.d",
        "et",
        "pp",
        "vol",
        "ed",
        "eds",
        "jr",
        "sr",
        "u.s",
        "dept",
        "univ",
        "table",
        "figure",
        "equation",
        "section",
    }
)
# These end a sentence when the next word is capitalised (they often close one); the rest never do.
_WEAK = frozenset({"etc", "al", "resp", "table", "figure", "equation", "section", "no"})
# Closing marks that belong to the sentence they follow.
_CLOSERS = frozenset({")", "]", "}", '"', "'", "\u201d", "\u2019", "\u00bb"})
_ENDERS = frozenset({".", "!", "?", "\u2026"})
# Sentence starters that make "et al." / "etc." a real sentence end when they follow it.
_STARTERS = frozenset(
    {
        "we",
        "the",
        "this",
        "these",
        "that",
        "those",
        "in",
        "our",
        "it",
        "they",
        "however",
        "a",
        "an",
        "for",
        "to",
        "on",
        "as",
        "although",
        "while",
        "finally",
        "moreover",
        "furthermore",
        "thus",
        "here",
        "there",
        "such",
        "both",
        "each",
        "all",
        "most",
        "many",
        "unlike",
        "similarly",
        "also",
        "then",
    }
)


_FOOTNOTE_END = re.compile(r"^[A-Za-z][A-Za-z\-]*[a-z)]\.\d{1,2}$")


@functools.cache
def nlp():  # noqa: ANN201 - spacy types would force the import
    """The shared pipeline: blank English tokenizer plus the ``assay_sentences`` boundary component."""
    import spacy
    from spacy.language import Language

    if not Language.has_factory("assay_sentences"):
        Language.component("assay_sentences")(_set_boundaries)
    pipeline = spacy.blank("en")
    pipeline.add_pipe("assay_sentences")
    pipeline.max_length = 20_000_000
    return pipeline


def _is_abbrev(tok) -> bool:  # noqa: ANN001
    """True when ``tok`` (the word before a period, or a word with its period attached) is an abbreviation."""
    word = tok.text.lower().rstrip(".")
    if word in ABBREVIATIONS:
        return True
    # An initial ("Samuel R. Bowman") or a dotted acronym ("U.S.").
    return bool(re.fullmatch(r"[A-Z]|(?:[A-Za-z]\.)+[A-Za-z]?", tok.text.rstrip(".")))


def _set_boundaries(doc):  # noqa: ANN001, ANN202
    """spaCy component: decide ``is_sent_start`` for every token from periods, abbreviations and newlines."""
    n = len(doc)
    if n == 0:
        return doc
    starts = [False] * n
    starts[0] = True
    i = 0
    while i < n:
        tok = doc[i]
        if tok.is_space and "\n" in tok.text:
            j = i + 1
            while j < n and doc[j].is_space:
                j += 1
            if j < n:
                starts[j] = True
            i = j
            continue
        ends_here, abbrev, weak = _ends_sentence(doc, i)
        if not ends_here:
            i += 1
            continue
        i, starts_next = _after_end(doc, i, abbrev, weak)
        if starts_next:
            starts[i] = True
    _write_starts(doc, starts)
    return doc


def _ends_sentence(doc, i: int) -> tuple[bool, bool, bool]:  # noqa: ANN001
    """Whether token ``i`` may end a sentence, whether it ends an abbreviation, and whether that abbreviation is
    a weak one (one that often ends a sentence: "etc.", "et al.")."""
    tok = doc[i]
    text = tok.text
    ends_here = text in _ENDERS or (len(text) > 1 and text[-1] in "!?" and not text[:-1].isalpha())
    abbrev = False
    weak = False
    if text == "." and i > 0 and not doc[i - 1].is_space and doc[i - 1].idx + len(doc[i - 1].text) == tok.idx:
        prev = doc[i - 1]
        abbrev = _is_abbrev(prev)
        weak = prev.text.lower() in _WEAK
    elif len(text) > 1 and text.endswith(".") and not text[:-1].replace(".", "").isdigit():
        # spaCy keeps some abbreviations whole ("e.g.", "vs.", "R.")
        ends_here = True
        abbrev = _is_abbrev(tok)
        weak = text.lower().rstrip(".") in _WEAK
    if not ends_here and _FOOTNOTE_END.match(text) and text.split(".")[0].lower() not in ABBREVIATIONS:
        # "the test sets.3 For all": a footnote mark after the period; the sentence ends with it
        ends_here = True
    return ends_here, abbrev, weak


def _after_end(doc, i: int, abbrev: bool, weak: bool) -> tuple[int, bool]:  # noqa: ANN001
    """After a possible end at token ``i``: the index of the next token past closing marks and spaces (a newline
    is left for the caller), and whether a sentence starts there."""
    n = len(doc)
    j = i + 1
    while j < n and not doc[j - 1].whitespace_ and (doc[j].text in _CLOSERS or doc[j].text in _ENDERS):
        j += 1
    k = j
    while k < n and doc[k].is_space and "\n" not in doc[k].text:
        k += 1
    if k >= n or (doc[k].is_space and "\n" in doc[k].text):
        return k, False
    nxt = doc[k].text
    first = nxt[0]
    if not doc[k - 1].whitespace_ and not doc[k - 1].is_space and first.isalnum():
        # no space after the period ("arXiv:2004.04721.Done" or "1.5"): not a boundary
        return k, False
    if first.islower() or first in ",;:)]}%":
        return k, False
    if abbrev:
        split = weak and nxt[:1].isupper() and nxt.lower() in _STARTERS
        if not split:
            return k, False
    return k, True


def _write_starts(doc, starts: list[bool]) -> None:  # noqa: ANN001
    """Set every token's ``is_sent_start`` in one bulk write: setting them one by one rescans the doc each time
    (quadratic)."""
    import numpy
    from spacy.attrs import SENT_START

    values = numpy.array([1 if s else -1 for s in starts], dtype="int64").astype("uint64").reshape(-1, 1)
    doc.from_array([SENT_START], values)


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) character spans of the sentences of ``text``, stripped of surrounding whitespace.

    Spans never overlap, never contain a newline boundary, and cover every non-space character of ``text``.
    """
    if not text.strip():
        return []
    return _spans(nlp()(text), text)


def _spans(doc, text: str) -> list[tuple[int, int]]:  # noqa: ANN001
    out = []
    for sent in doc.sents:
        start, end = sent.start_char, sent.end_char
        while start < end and text[start].isspace():
            start += 1
        while end > start and text[end - 1].isspace():
            end -= 1
        if end > start:
            out.append((start, end))
    return out


def sentences(text: str) -> list[str]:
    """The sentences of ``text`` as strings (convenience for callers that do not need offsets)."""
    return [text[a:b] for a, b in sentence_spans(text)]
