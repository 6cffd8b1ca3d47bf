"""Making a claim read on its own: discourse openers out, table and figure references kept as source context,
sentence-initial anaphora ("This may explain ...", "These results ...", "Such cases ...") resolved by joining the
sentence it points back to, and sentences that describe the paper rather than claim something recognised.

Nothing here invents words: an antecedent is joined verbatim from the same paragraph of the same page (so the
claim's span still covers verbatim page text), and an opener is only ever removed, with the table or figure it
named kept in ``refs``.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from synthesis.entities import clean, entities
from synthesis.retrieval import split_sentences

# "As shown in Table 2,", "At the bottom of Table 2,", "In Figure 3,", "From Table 8,": the reference is source
# context, not part of what is claimed.
_REF = r"(?:Table|Tab\.|Figure|Fig\.|Section|Sec\.|Appendix)\s*[A-Z]?\d+[a-z]?"
_REF_OPENER = re.compile(
    rf"^(?:As\s+(?:can\s+be\s+|is\s+|are\s+)?(?:shown|seen|reported|illustrated|listed|summari[sz]ed|presented|"
    rf"observed)\s+in|As\s+(?:Table|Figure|Fig\.)\s*\d+\s+shows|At\s+the\s+(?:bottom|top)\s+of|In|From|According\s+"
    rf"to|Following)\s+(?P<ref>{_REF})(?:\s*\((?:top|bottom|left|right)\))?\s*,\s*",
    re.IGNORECASE,
)
_REF_LEAD = re.compile(rf"^(?P<ref>{_REF})\s+(?:shows|show|reports|indicates|demonstrates)\s+that\s+")
_REF_PAREN = re.compile(rf"\s*\((?:see\s+)?(?P<ref>{_REF})(?:,\s*(?:{_REF}|[^()]{{0,20}}))?\)")
# Openers that only connect to what came before ("Interestingly,", "In addition,"); they carry no content.
_DISCOURSE = re.compile(
    r"^(?:Interestingly|Surprisingly|Unsurprisingly|Notably|Importantly|Indeed|Nevertheless|Nonetheless|Actually|"
    r"Also|In addition|Additionally|Moreover|Furthermore|However|Finally|Lastly|First of all|Firstly|Secondly|"
    r"Similarly|Likewise|Conversely|In contrast|By contrast|On the other hand|As expected|Of course|In particular|"
    r"Overall|In summary|In short|To summarize|Thus|Therefore|Hence|Consequently|As a result|Here|Concretely|"
    r"Specifically|To this end)\s*,\s*|^(?:Notice|Note) that\s+"
)
_EVALUATIVE_FRAME = re.compile(
    r"^One (?:might|may|would|could) find it (?:surprising|unexpected|interesting|"
    r"counter-?intuitive) that\s+",
    re.IGNORECASE,
)

# A sentence whose reading depends on the sentence before: a demonstrative subject or object ("This", "These
# results", "this parameter", "Such cases", "The first one", "Both methods"), not "this paper" or "this work".
_OWN_WORK = r"(?:paper|work|article|study|draft|section|chapter|appendix|thesis|report)\b"
_ANAPHOR = re.compile(
    rf"^(?:This|That|These|Those)\b(?!\s+{_OWN_WORK})|^Such\s+\w+|^(?:The\s+)?(?:first|second|third|former|latter)"
    rf"(?:\s+one)?\b(?=\s+(?:\w+\s+){{0,2}}(?:is|are|was|were|provides?|has|have|gives?|performs?|leads?|yields?)\b)"
    rf"|^Both\s+(?:methods|approaches|models|variants|tasks|algorithms|settings|techniques)\b"
    rf"|\b(?:this|these|those)\s+(?!{_OWN_WORK})[a-z]|\b(?:this|these|those)\b(?=\s*[,.;])|\bsuch\s+(?!as\b)[a-z]|\b(?:evidence|reason)\s+for\s+this\b"
    rf"|^It\b(?!\s+(?:is|was|would\s+be|seems|appears)\s+(?:\w+\s+)?(?:to|that)\b)|^They\b"
)
# "Examples in the dataset ...", "the resulting algorithm": a definite description of something the sentence does not
# name; only anaphora when the sentence names nothing at all.
_DEFINITE = re.compile(
    r"\bthe (?:resulting |above |same |former |latter )?(?:dataset|corpus|model|method|algorithm|"
    r"approach|task|variant|framework)\b",
    re.IGNORECASE,
)
MAX_JOINED = 2  # antecedent sentences joined at most; a longer chain is left unresolved and said so
MAX_JOINED_WORDS = 90  # a joined claim longer than this is no longer one claim: left unjoined, with a note

# Sentences about the paper or its tables, not claims about the world: "the authors show results obtained by",
# "The five following columns give the results", "A bias/variance analysis ... is also provided".
_DESCRIBES = re.compile(
    r"^(?:[^,]{0,80},\s+)?(?:the authors|we)\s+(?:have\s+)?(?:seen above|show results|report results|present results|"
    r"provide (?:in|here|below|above|the)|list|summari[sz]e (?:the|our) results)\b|"
    r"\b(?:columns?|rows?)(?:\s+of\s+(?:Table|Figure)\s*\d+)?\s+(?:give|gives|show|shows|list|lists|report|reports|"
    r"present|presents|contain|contains|provide|provides)\s+the\b|^(?:[A-Z][^,]{0,100}?)\b(?:is|are)\s+(?:also\s+)?(?:provided|given|presented|described|discussed)"
    r"(?:\s+as\s+well|\s+below|\s+above|\s+in\b|\.)|\bgives? (?:an|some) indications? of\b|"
    r"\b(?:can be found|are described|is described|are listed|are shown|is shown|are collected|"
    r"are reported) in (?:Section|Appendix|Table|Figure|the Appendix)\b|^This (?:section|chapter|appendix) "
    r"(?:analy[sz]es|discusses|describes|presents|introduces|reports|shows)\b",
    re.IGNORECASE,
)
# PDF artefacts that make a sentence unreadable: a footnote's text run into it ("attention 6We perform"), or an
# equation's symbols read as words ("arg min θ 1 N X {(x,y)} L y, M (θ.").
_FOOTNOTE_RUN_IN = re.compile(r"\s\d{1,2}(?:We|The|Our|In|This|For|It|See|All|Code|Available)\b")
_MATH = re.compile(r"[{}\u02c6\u2211\u220f\u222b]|\barg\s?(?:min|max)\b|\(\d+\)\s+[A-Z]")
MAX_SYMBOL_SHARE = 0.2  # share of one-character tokens (θ, N, X, ,) above which a "sentence" is an equation


def strip_openers(sentence: str) -> tuple[str, list[str]]:
    """The sentence without discourse openers and table/figure references, and the references it named.

    "As shown in Table 2, no single task ..." -> ("No single task ...", ["Table 2"]). Removes nothing else.
    """
    s, refs = sentence.strip(), []
    for _ in range(3):  # "However, as shown in Table 2, ..." has two openers
        before = s
        m = _REF_OPENER.match(s) or _REF_LEAD.match(s)
        if m:
            refs.append(_norm_ref(m.group("ref")))
            s = s[m.end() :]
        s = _DISCOURSE.sub("", s)
        s = _EVALUATIVE_FRAME.sub("", s)
        s = s[:1].upper() + s[1:]
        if s == before:
            break
    for m in _REF_PAREN.finditer(s):
        refs.append(_norm_ref(m.group("ref")))
    s = _REF_PAREN.sub("", s)
    return s, list(dict.fromkeys(refs))


def _norm_ref(ref: str) -> str:
    ref = re.sub(r"^Tab\.", "Table", ref)
    ref = re.sub(r"^Fig\.", "Figure", ref)
    ref = re.sub(r"^Sec\.", "Section", ref)
    return re.sub(r"\s+", " ", re.sub(r"^([A-Za-z]+)(\d)", r"\1 \2", ref)).strip()


def needs_antecedent(text: str) -> bool:
    """True when the claim points back at something it does not say ("This may explain why ...")."""
    text = clean(text)
    return bool(_ANAPHOR.search(text)) or (bool(_DEFINITE.search(text)) and not entities(text))


def describes_the_paper(text: str) -> bool:
    """True for sentences that say what a table, column or section holds rather than claim a result."""
    return bool(_DESCRIBES.search(clean(text)))


def is_garbled(text: str) -> bool:
    """True when a PDF artefact runs through the sentence (a footnote's text, an equation read as words)."""
    s = clean(text)
    toks = s.split()
    single = sum(
        1 for t in toks if len(t.strip(".,;:()")) == 1 and t.strip(".,;:()").lower() not in ("a", "i")
    )
    return bool(_FOOTNOTE_RUN_IN.search(s) or _MATH.search(s)) or (
        bool(toks) and single / len(toks) > MAX_SYMBOL_SHARE
    )


def paragraph_before(page: str, start: int) -> list[tuple[int, int]]:
    """Sentence spans (page offsets) of the same paragraph before ``start``, nearest last. A paragraph ends at a
    line break in the stored page text."""
    para_start = page.rfind("\n", 0, start) + 1
    if not page[para_start:start].strip():
        return []
    return split_sentences(page[para_start:start], para_start)


def antecedent_start(page: str, start: int, end: int, text_of: Callable[[str], str]) -> int | None:
    """The page offset from which to join the claim at ``page[start:end]`` so that it reads on its own, or None.

    Joins the sentence before in the same paragraph; when that sentence itself points back, one more (at most
    MAX_JOINED). ``text_of`` gives the rewritten text of a verbatim sentence, to test it for anaphora.
    """
    spans = paragraph_before(page, start)
    own_words = len(page[start:end].split())
    for k in range(1, min(MAX_JOINED, len(spans)) + 1):
        s, e = spans[-k]
        if own_words + len(page[s:start].split()) > MAX_JOINED_WORDS:
            return None
        if not needs_antecedent(text_of(page[s:e])):
            return s
    return None
