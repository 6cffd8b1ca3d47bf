"""The claims a paper makes: whole, self-contained, atomic, typed, anchored to a page span, numbers parsed.

Candidates come from the abstract, the contribution list of the introduction, the results and discussion
sections, table and figure captions, and the conclusions. Each candidate sentence is kept whole (the span is the
full sentence of the stored page text) and then:

- made self-contained: "we"/"our" become "the authors"/"the authors'", discourse openers ("Finally,", "Here,")
  and "we show that" are dropped, and a subject "it" is resolved to the sentence's first named entity when the
  sentence names one before it;
- made atomic: parallel lists ("A, B and C improve by x, y and z points") become one claim per item, "neither A
  nor B verb ..." becomes "A does not verb ..." and "B does not verb ...", and clauses joined by ";" are separate;
- typed: numeric_result, dataset_statistic, hyperparameter_or_method, comparison or background.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from typing import Any, Literal

from pydantic import ConfigDict, Field, StrictInt, StrictStr

from synthesis.claim_context import (
    antecedent_start,
    describes_the_paper,
    is_garbled,
    needs_antecedent,
    strip_openers,
)
from synthesis.claim_dedup import duplicate_groups
from synthesis.claim_kinds import KINDS, claim_kind
from synthesis.claim_setup import colon_head, is_setup_section, is_setup_sentence
from synthesis.claim_tables import table_facts
from synthesis.entities import clean, entities, is_entity_token, tokens
from synthesis.numbers import comparable, parse_numbers
from synthesis.papers import get_pages, get_paper, get_passages
from synthesis.retrieval import ends_sentence, split_sentences
from synthesis.store import Store, read_tables
from synthesis.verdicts import ClaimInput

CLAIM_TYPES = ("numeric_result", "dataset_statistic", "hyperparameter_or_method", "comparison", "background")
_SECTION_OK = re.compile(
    r"abstract|intro|contribution|result|discussion|conclu|summary|finding|analysis|"
    r"experiment|evaluation|ablation",
    re.IGNORECASE,
)
_CLAIM_VERB = re.compile(
    r"\b(show|shows|shown|find|finds|found|achiev\w*|improv\w*|outperform\w*|underperform\w*|yield\w*|obtain\w*|"
    r"demonstrat\w*|"
    r"lead|leads|led|perform\w*|reach\w*|set|sets|setting|reduc\w*|increas\w*|decreas\w*|benefit\w*|hurt\w*|"
    r"see|sees|exhibit\w*|offer\w*|bolster\w*|gain\w*|surpass\w*|beat\w*|drop\w*|degrad\w*|help\w*|"
    r"suggest\w*|indicat\w*|reveal\w*|observe\w*|is|are|was|were|has|have|provide\w*|consist\w*|contain\w*|"
    r"use|uses|used|train\w*)\b",
    re.IGNORECASE,
)
_STRONG_VERB = re.compile(
    r"\b(show|find|found|achiev|improv|outperform|underperform|yield|obtain|demonstrat|lead|leads|perform(?!ance)|reach|reduc|"
    r"increas|decreas|benefit|hurt|exhibit|offer|bolster|gain|surpass|drop|degrad|help|better|worse|best|"
    r"state of the art|state-of-the-art)",
    re.IGNORECASE,
)
_OPENERS = re.compile(
    r"^(?:However|Finally|Here|In addition|Additionally|Overall|Concretely|In particular|Moreover|"
    r"Furthermore|In summary|To summarize|In short|Thus|Therefore|Hence|Specifically|Importantly|"
    r"Notably|In this work|In this paper|On the other hand)\s*,\s*",
    re.IGNORECASE,
)
# A run-in heading before the sentence ("XLM-R + Intermediate-Task Training + MLM We consider ...", "Results As
# shown in ..."), and a heading that repeats the name the sentence starts with ("HellaSwag HellaSwag (Zellers ...")
_RUN_IN = re.compile(
    r"^(?:(?:[A-Z][\w+\-]*|\+|&|and|of|for|the|with|in|on|vs\.)\s){1,8}?(?=(?:As|At|In|We|The|Our|"
    r"For|To|On|This|These|Among|Overall|Incorporating|Using|When|Although|While)\s)"
)
_REPEATED_HEADING = re.compile(r"^((?:[A-Z][\w+\-]*\s){1,3})(?=\1)")
_WE_THAT = re.compile(
    r"^(?:the authors|we)\s+(?:also\s+)?(?:show|find|found|observe|demonstrate|note|see|report|"
    r"conclude|argue|confirm)\s+that\s+",
    re.IGNORECASE,
)
_VERBS_AFTER_NOR = (
    "offer",
    "improve",
    "yield",
    "lead",
    "help",
    "bolster",
    "hurt",
    "outperform",
    "provide",
    "show",
    "achieve",
    "benefit",
    "increase",
    "reduce",
    "change",
    "affect",
    "matter",
    "work",
    "give",
    "bring",
    "produce",
    "boost",
    "degrade",
)
_ADVERBS = (
    r"(?:(?:meaningfully|significantly|substantially|consistently|noticeably|reliably|strongly|much|"
    r"really|further|greatly)\s+)?"
)


class ClaimRecord(ClaimInput):
    """One line of the claims.jsonl that ``assay claims`` writes (:meth:`Claim.to_json`): the contract's ``id``,
    ``text``, ``paper``, ``page``, ``span`` (what ``assay verify`` reads, :class:`synthesis.verdicts.ClaimInput`) with
    the claim's provenance and kind. Every such line is also a valid ClaimInput."""

    model_config = ConfigDict(extra="forbid")

    paper: StrictStr = Field(min_length=1)
    version: str | None
    page: StrictInt = Field(ge=1)
    span: tuple[StrictInt, StrictInt]
    kind: Literal[KINDS]  # type: ignore[valid-type]
    type: str
    numbers: list[dict[str, Any]]
    source_text: str
    section: str | None
    origin: str = Field(description="abstract | contribution | results | caption | conclusion | setup | table | "
                                    "sentence")  # fmt: skip
    refs: list[str] = Field(description="tables, figures, sections the source sentence pointed to")
    also_stated: list[dict[str, Any]] = Field(
        description="near-duplicates dropped for this one: id, page, span"
    )
    joined: int = Field(
        ge=0, description="sentences before it joined into the claim so that it reads on its own"
    )
    self_contained: bool
    notes: list[str]


@dataclass
class Claim:
    """One claim of a paper with its provenance."""

    id: str
    text: str
    paper: str
    page: int
    span: tuple[int, int]
    type: str
    numbers: list[dict]
    source_text: str
    section: str | None = None
    origin: str = "sentence"  # abstract | contribution | results | caption | conclusion | setup | table
    version: str | None = None
    notes: list[str] = field(default_factory=list)
    kind: str = "finding"  # one of claim_kinds.KINDS
    refs: list[str] = field(default_factory=list)  # tables, figures, sections the source sentence pointed to
    also_stated: list[dict] = field(
        default_factory=list
    )  # near-duplicates dropped for this one: id, page, span
    own_text: str = (
        ""  # the claim without a joined antecedent sentence (what its kind and duplicates are read on)
    )
    joined: int = 0  # sentences before it joined into the claim so that it reads on its own
    self_contained: bool = True  # False: it points back at something neither it nor a joined sentence says

    def to_json(self) -> dict:
        """The claims.jsonl line (the contract: :class:`ClaimRecord`)."""
        return {
            "id": self.id,
            "text": self.text,
            "paper": self.paper,
            "version": self.version,
            "page": self.page,
            "span": list(self.span),
            "kind": self.kind,
            "type": self.type,
            "numbers": self.numbers,
            "source_text": self.source_text,
            "section": self.section,
            "origin": self.origin,
            "refs": self.refs,
            "also_stated": self.also_stated,
            "joined": self.joined,
            "self_contained": self.self_contained,
            "notes": self.notes,
        }


# ----------------------------------------------------------------------------------------------------------------
# Rewriting one sentence


def _cap(s: str) -> str:
    return s[:1].upper() + s[1:] if s else s


def decontextualize(sentence: str) -> str:
    """A sentence that reads on its own: whole words, no first person, no discourse opener."""
    s = clean(sentence)
    s = re.sub(r"^[•\-\u2022\u25cf*]\s*", "", s)
    s = re.sub(r"^[\u2020\u2021\u00a7\u00b6*]+\s*:?\s*", "", s)  # a table footnote's mark: "†: Tasks ..."
    s = re.sub(r"\s*\[\d+(?:[,\u2013-]\s*\d+)*\]", "", s)  # numeric citations [3], [4-6]
    s = _FOOTNOTE_MARK.sub("", s)  # "held-out test sets.7 We" -> "held-out test sets. We"
    s = strip_heading(s)
    s = _OPENERS.sub("", s)
    s = _WE_THAT.sub("", s)
    s = re.sub(r"\bour\b", "the authors'", s)
    s = re.sub(r"\bOur\b", "The authors'", s)
    s = re.sub(r"\bwe\b", "the authors", s)
    s = re.sub(r"\bWe\b", "The authors", s)
    s = re.sub(r"\bus\b", "the authors", s)
    s = re.sub(r"\bours\b", "the authors' own", s)
    s = _resolve_it(s)
    s = _cap(s.strip())
    if s and s[-1] not in ".!?":
        s += "."
    return s


def strip_heading(sentence: str) -> str:
    """The sentence without a run-in heading glued before it by the PDF's text layer."""
    return _RUN_IN.sub("", _REPEATED_HEADING.sub("", sentence))


_FOOTNOTE_MARK = re.compile(r"(?<=[A-Za-z)][.!?])\d{1,2}(?=\s|$)")


def _resolve_it(s: str) -> str:
    """Replace a subject 'it' with the first named entity that precedes it in the same sentence."""
    m = re.search(
        r"(?<=[,;]\s)it(?=\s+(?:also\s+)?(?:leads|is|has|performs|yields|achieves|improves|does|shows|"
        r"outperforms|reduces|increases|obtains|gives|helps|hurts|sees)\b)",
        s,
    )
    if not m:
        return s
    before = s[: m.start()]
    toks = tokens(before)
    first = next(
        (t for i, t in enumerate(toks) if is_entity_token(t, i == 0) and sum(c.isupper() for c in t) >= 2),
        None,
    )
    return s[: m.start()] + first + s[m.end() :] if first else s


_LIST_ITEM = r"[A-Z][\w+\-]*(?:\s[A-Z][\w+\-]*)?"
_ENTITY_LIST = re.compile(rf"(?P<items>{_LIST_ITEM}(?:,\s{_LIST_ITEM})*,?\s(?:and|or)\s{_LIST_ITEM})")
_NUMBER_LIST = re.compile(
    r"(?P<items>[+\-]?\d[\d.,]*%?(?:,\s[+\-]?\d[\d.,]*%?)*,?\s(?:and|or)\s[+\-]?\d[\d.,]*%?)"
)


def _items(text: str) -> list[str]:
    return [x.strip() for x in re.split(r",\s(?:and|or)\s|,\s|\s(?:and|or)\s", text) if x.strip()]


_NAME = r"[A-Z][\w+\-]*(?:\s[A-Z][\w+\-]*)?"
_WHERE_ITEM = re.compile(rf"^(?:and\s+|or\s+)?(?P<ent>{_NAME}),\s+where\s+(?P<rest>.+?)[.;]?$")
_EXCEPT_WHERE = re.compile(
    rf",?\s+except(?:\s+for|\s+on|\s+in)?:?\s+(?P<ent>{_NAME}),\s+where\s+(?P<rest>.+?)[.;]?$"
)
_FRAGMENT = re.compile(rf"^(?:and\s+|or\s+|but\s+)?{_NAME},\s+(?:where|which|who|whose)\b|^(?:and|or|but)\b")


def is_fragment(text: str) -> bool:
    """A list item or clause that cannot stand as a claim ("TyDiQA, where our implementation outperforms ...")."""
    return bool(_FRAGMENT.match(text.strip()))


def _where_claim(ent: str, rest: str) -> str:
    """ "TyDiQA, where X outperforms Y" -> "On TyDiQA, X outperforms Y." (a whole, self-contained claim)."""
    rest = rest.strip().rstrip(".;")
    return f"On {ent}, {rest}."


def _split_except_list(parts: list[str]) -> list[str] | None:
    """ "A holds, except for: B, where x; and C, where y" -> "A holds, except for B and C", "On B, x", "On C, y"."""
    m = _EXCEPT_WHERE.search(parts[0])
    items = [_WHERE_ITEM.match(p) for p in parts[1:]]
    if not m or not all(items):
        return None
    ents = [m.group("ent")] + [x.group("ent") for x in items if x]
    head = (
        parts[0][: m.start()].rstrip(",")
        + ", except for "
        + (", ".join(ents[:-1]) + " and " + ents[-1] if len(ents) > 1 else ents[0])
        + "."
    )
    return [_cap(head), _where_claim(m.group("ent"), m.group("rest"))] + [
        _where_claim(x.group("ent"), x.group("rest")) for x in items if x
    ]


def _split_outside_parens(sentence: str) -> list[str]:
    """Clauses joined by "; " at parenthesis depth 0 ("(see Webb, 2000; Webb and Zheng, 2004)" stays whole)."""
    parts, depth, last = [], 0, 0
    for m in re.finditer(r"[()]|;\s+", sentence):
        tok = m.group(0)
        if tok == "(":
            depth += 1
        elif tok == ")":
            depth = max(0, depth - 1)
        elif depth == 0:
            parts.append(sentence[last : m.start()])
            last = m.end()
    return parts + [sentence[last:]]


def split_atomic(sentence: str) -> list[str]:
    """One claim per fact: parallel lists, 'neither ... nor', and ';'-joined clauses are split; list items that
    are not sentences ("and B, where ...") are rebuilt into whole claims ("On B, ...")."""
    parts = [p.strip() for p in _split_outside_parens(sentence) if p.strip()]
    if len(parts) > 1:
        return _split_clauses(parts)
    out = _split_neither_nor(sentence) or _per_item_split(sentence)
    if out:
        return out
    out = _split_parallel_lists(sentence)
    return [sentence] if out is None else out


def _split_clauses(parts: list[str]) -> list[str]:
    """The claims of ';'-joined clauses: an "except for A where ...; B where ..." list rebuilt, else each clause
    made a sentence of its own (its leading conjunction dropped, 'it' resolved from the first) and split further."""
    rebuilt = _split_except_list(parts)
    if rebuilt:
        return rebuilt
    out = []
    for i, p in enumerate(parts):
        w = _WHERE_ITEM.match(p)
        if i > 0 and w:
            out.append(_where_claim(w.group("ent"), w.group("rest")))
            continue
        p = _cap(re.sub(r"^(?:and|but|while|whereas)\s+", "", p))
        if i > 0:
            p = _resolve_it_with(p, parts[0])
        out.extend(split_atomic(p if p.endswith((".", "!", "?")) else p + "."))
    return out


def _split_neither_nor(sentence: str) -> list[str] | None:
    """ "Neither A nor B verb ..." as "A does not verb ..." and "B does not verb ..."; None when it has no such
    construction."""
    nn = re.search(
        r"\b[Nn]either\s+(?P<a>.+?)\s+nor\s+(?P<b>.+?)\s+(?P<adv>"
        + _ADVERBS
        + r")(?P<v>led|"
        + "|".join(_VERBS_AFTER_NOR)
        + r")(?P<suf>s|es|ed|d)?\b(?P<rest>.*)$",
        sentence,
    )
    if not nn:
        return None
    head = sentence[: nn.start()]
    past = nn.group("v") == "led" or nn.group("suf") in ("ed", "d")
    verb = "lead" if nn.group("v") == "led" else nn.group("v")
    aux = "did not" if past else "does not"
    out = []
    for subj in (nn.group("a"), nn.group("b")):
        out.append(_cap(f"{head}{subj} {aux} {nn.group('adv')}{verb}{nn.group('rest')}".strip()))
    return out


def _split_parallel_lists(sentence: str) -> list[str] | None:
    """ "A, B and C improve by x, y and z points, respectively" as one claim per (entity, number) pair; None when
    no entity list and number list of the same length (2 or more) are found."""
    ents = list(_ENTITY_LIST.finditer(sentence))
    nums = list(_NUMBER_LIST.finditer(sentence))
    for em in ents:
        e_items = _items(em.group("items"))
        for nm in nums:
            n_items = _items(nm.group("items"))
            if len(e_items) == len(n_items) >= 2:
                out = []
                for e, n in zip(e_items, n_items, strict=True):
                    if nm.start() > em.end():
                        s = (
                            sentence[: em.start()]
                            + e
                            + sentence[em.end() : nm.start()]
                            + n
                            + sentence[nm.end() :]
                        )
                    elif em.start() > nm.end():
                        s = (
                            sentence[: nm.start()]
                            + n
                            + sentence[nm.end() : em.start()]
                            + e
                            + sentence[em.end() :]
                        )
                    else:
                        continue
                    s = re.sub(r",?\s*respectively", "", s)
                    out.append(_singular_verb(s, em.start() + len(e)))
                return out
    return None


_PLURAL_TO_SINGULAR = {"are": "is", "have": "has", "do": "does", "were": "was"}


def _singular_verb(s: str, at: int) -> str:
    """After a list became one item, make the verb that follows agree ("SQuAD improves")."""
    m = re.match(r"(\s+)([a-z]+)\b", s[at:])
    if not m:
        return s
    verb = m.group(2)
    if verb in _PLURAL_TO_SINGULAR:
        new = _PLURAL_TO_SINGULAR[verb]
    elif verb in (
        "improve",
        "yield",
        "lead",
        "show",
        "achieve",
        "outperform",
        "perform",
        "help",
        "hurt",
        "benefit",
        "see",
        "obtain",
        "reach",
        "gain",
        "exhibit",
        "offer",
        "reduce",
        "increase",
        "decrease",
        "score",
    ):
        new = verb + "s"
    else:
        return s
    return s[:at] + m.group(1) + new + s[at + m.end() :]


_ITEM = r"[+\-]?\d[\d.,]*\s?(?:%|points?|F1|EM|accuracy)?\s+(?:for|on|in)\s+(?:F1\s+|EM\s+)?[A-Z][\w+\-]*"
_ITEM_LIST = re.compile(rf"(?P<items>{_ITEM}(?:,\s(?:and\s)?{_ITEM})+|{_ITEM}\s(?:and)\s{_ITEM})")


def _per_item_split(sentence: str) -> list[str] | None:
    """'gains of 0.6 F1 for XQuAD, 0.7 F1 for MLQA, and 5.7 for TyDiQA' -> one sentence per item."""
    m = _ITEM_LIST.search(sentence)
    if not m:
        return None
    items = re.findall(_ITEM, m.group("items"))
    if len(items) < 2:
        return None
    # "5.7 for F1 TyDiQA" (as 2005.13013 p.6 prints it) reads "5.7 F1 for TyDiQA", like its neighbours
    items = [re.sub(r"^([+\-]?\d[\d.,]*)\s+(for|on|in)\s+(F1|EM)\s+", r"\1 \3 \2 ", it) for it in items]
    return [sentence[: m.start()] + it + sentence[m.end() :] for it in items]


def _resolve_it_with(part: str, context: str) -> str:
    if not re.match(r"^(?:[^,]*,\s)?[Ii]t\b", part):
        return part
    toks = tokens(context)
    first = next(
        (t for i, t in enumerate(toks) if is_entity_token(t, i == 0) and sum(c.isupper() for c in t) >= 2),
        None,
    )
    if not first:
        return part
    return re.sub(r"\b[Ii]t\b", first, part, count=1)


def claim_type(text: str) -> str:
    """numeric_result, dataset_statistic, hyperparameter_or_method, comparison or background."""
    low = text.lower()
    nums = comparable(parse_numbers(text))
    if re.search(
        r"learning rate|batch size|warm-?up|epochs?\b|dropout|weight decay|optimi[sz]er|adam|"
        r"hyperparameter|early stopping|\bseeds?\b|max(?:imum)? (?:sequence )?length",
        low,
    ):
        return "hyperparameter_or_method"
    if (
        nums
        and re.search(
            r"\b(?:examples?|sentences?|questions?|documents?|tokens?|training set|dev(?:elopment)? "
            r"set|test set|instances?|pairs?|languages?|dataset|corpus|samples?|size|images?|words?)\b",
            low,
        )
        and not re.search(r"improv|gain|point|accuracy|f1|score|outperform|%", low)
    ):
        return "dataset_statistic"
    if nums and (
        re.search(
            r"improv|gain|point|accuracy|f1|\bem\b|score|bleu|outperform|achiev|obtain|%|drop|"
            r"increase|decrease|reduc|error|state of the art|state-of-the-art|result",
            low,
        )
    ):
        return "numeric_result"
    if re.search(
        r"better|worse|outperform|underperform|best|improv|higher|lower|more than|less than|compared|than\b|"
        r"surpass|gain|benefit|hurt|negative transfer|positive transfer|state of the art|"
        r"state-of-the-art|bolster|no significant",
        low,
    ):
        return "comparison"
    if re.search(
        r"\bthe authors (?:use|train|fine-tune|follow|propose|perform|experiment|adopt|sample|select|"
        r"evaluate|treat|construct|include)",
        low,
    ):
        return "hyperparameter_or_method"
    return "background"


def _origin(kind: str, section: str | None) -> str | None:
    if kind == "abstract" or (section and re.search(r"abstract", section, re.I)):
        return "abstract"
    if kind == "caption":
        return "caption"
    if not section:
        return None
    if re.search(r"intro", section, re.I):
        return "contribution"
    if re.search(r"conclu|summary", section, re.I):
        return "conclusion"
    if _SECTION_OK.search(section):
        return "results"
    return None


def _claimlike(sentence: str, origin: str) -> bool:
    s = clean(sentence)
    words = s.split()
    if not 6 <= len(words) <= 90 or s.endswith("?") or re.search(r"https?://|@\w", s):
        return False
    if origin in ("abstract", "conclusion"):
        return bool(_CLAIM_VERB.search(s))
    if origin == "contribution":
        return bool(_STRONG_VERB.search(s)) and (
            s.lstrip().startswith(("•", "\u2022", "-"))
            or re.search(r"\b(?:we|our)\b", s, re.I) is not None
            or bool(entities(s))
        )
    if origin == "caption":  # a caption that states a finding, not one that says what the table holds
        body = re.sub(r"^\s*(?:Table|Figure|Fig\.)\s*\d+\s*[:.]\s*", "", s)
        return bool(_STRONG_VERB.search(body)) and not re.match(
            r"(?:Results|Overview|Comparison|Performance|"
            r"Evolution|Examples?)\b",
            body,
        )
    return bool(_STRONG_VERB.search(s)) and (bool(entities(s)) or bool(comparable(parse_numbers(s))))


_TERMINAL = (".", "!", "?", ".)", '."', ".\u201d", ":")


def _whole_sentences(passages: list, pages: list[str], *, skip_abstract: bool) -> list:
    """(passage, (start, end)) with sentences that a column or block break cut in two joined again (same page
    only); fragments that cannot be completed on their page are dropped, so no claim is ever cut."""
    out = []
    usable = [
        p
        for p in passages
        if 0 < p.page_no <= len(pages)
        and pages[p.page_no - 1][p.char_start : p.char_end] == p.text
        and not (p.kind == "abstract" and skip_abstract)
    ]
    i = 0
    while i < len(usable):
        p = usable[i]
        start, end = p.char_start, p.char_end
        j = i
        while (
            not ends_sentence(pages[p.page_no - 1][start:end])
            and j + 1 < len(usable)
            and usable[j + 1].page_no == p.page_no
            and usable[j + 1].kind == p.kind
            and usable[j + 1].char_start >= end
            and j - i < 3
        ):
            j += 1
            end = usable[j].char_end
        text = pages[p.page_no - 1][start:end].strip()
        complete = ends_sentence(text)
        starts_ok = (
            bool(text)
            and not text[0].islower()
            and not text[0].isdigit()
            and text.count(")") <= text.count("(")
        )  # "Webb and Zheng, 2004, for ...)." is the tail of a sentence
        if complete and starts_ok:
            out.append((p, (start, end)))
        i = j + 1
    return out


_NOT_QUANTITIES = (
    "reference",
    "citation",
    "year",
)  # Table 2, (Hu et al., 2020), 2019: not what a claim measures
# "This is consistent with ...", "This may explain why ...": the authors commenting on the sentence before
_COMMENTARY = re.compile(
    r"^(?:This|That|These|Those)\s+(?:(?:is|are|was|were|seems?|appears?)\s+(?:also\s+)?"
    r"(?:consistent|in line|in agreement|similar|reminiscent|likely|because|due|probably|"
    r"perhaps|possibly)|(?:may|might|could|would|can)\s+(?:also\s+)?(?:explain|be|suggest|"
    r"indicate|reflect)|(?:suggests?|indicates?|explains?|reflects?|echoes|mirrors|agrees?|"
    r"confirms?|supports?|corroborates?)\b)"
)
_SUBJECT_VERB = re.compile(
    r"\s(?:shows?|is|are|was|were|has|have|had|leads?|led|yields?|improves?|achieves?|performs?|reduces?|"
    r"increases?|decreases?|does|did|helps?|hurts?|tends?|gives?|obtains?|outperforms?|underperforms?|provides?|"
    r"offers?|brings?|results?|can|may|might|will|would|could|should|seems?|appears?)\b"
)
_PRONOUN_START = re.compile(
    r"^It\s+(?=(?:also\s+|further\s+|still\s+)?[a-z]+s\b|(?:is|was|has|does|did|can|may|might"
    r"|could|will|would|should)\b)"
)


def _previous_sentence(pages: list[str], page_no: int, start: int) -> str:
    """The sentence before offset ``start`` of a page (continuing onto the previous page when needed)."""
    before = pages[page_no - 1][max(0, start - 800) : start]
    if page_no > 1 and len(split_sentences(before.strip())) < 2 and start < 800:
        before = pages[page_no - 2][-800:] + " " + before  # the sentence may begin on the page before
    before = before.rstrip()
    spans = split_sentences(before) if before else []
    return before[spans[-1][0] : spans[-1][1]] if spans else ""


def resolve_leading_pronoun(sentence: str, previous: str) -> tuple[str, str | None]:
    """ "It reduces negative transfer" after "Incorporating MLM during intermediate-task training shows no clear
    trend." -> "Incorporating MLM during intermediate-task training reduces negative transfer". Only when the
    sentence before has a plain subject (a noun phrase before its first verb, no pronoun, no 'we'); returns the
    sentence and the subject used (None when left as it was)."""
    if not previous or not _PRONOUN_START.match(sentence):
        return sentence, None
    prev = decontextualize(previous)
    m = _SUBJECT_VERB.search(prev)
    if not m:
        return sentence, None
    subject = prev[: m.start()].strip()
    words = subject.split()
    if (
        not 1 <= len(words) <= 10
        or re.search(r"[,;:()]", subject)
        or re.match(r"(?:It|They|This|These|Those|The authors|He|She|There|Here|One)\b", subject)
    ):
        return sentence, None
    return subject + sentence[2:], subject


def _claim_id(paper: str, page: int, start: int, end: int, k: int) -> str:
    h = hashlib.sha256(f"{paper}|{page}|{start}|{end}".encode()).hexdigest()[:8]
    return f"{paper}:p{page}:{h}" + (f".{k}" if k else "")


_FOOTNOTE_AFTER_END = re.compile(r"[A-Za-z)][.!?](\d{1,2})$")
_GLUED = re.compile(r"(?<=[a-z0-9])\.(?=[A-Z][a-z]{2,}\s)")  # "than ETd.Only on Bank-32nh": a lost space


def sentence_spans(page: str, start: int, end: int, *, split: bool) -> list[tuple[int, int]]:
    """Whole sentences of ``page[start:end]``: split where asked, also at a period that lost its space, and
    rejoined where a split fell inside parentheses ("(see Webb, 2000; Webb and Zheng, 2004, for ...)")."""
    spans = split_sentences(page[start:end], start) if split else [(start, end)]
    out: list[tuple[int, int]] = []
    for a, b in spans:
        cuts = [a] + [a + m.end() for m in _GLUED.finditer(page[a:b])] + [b]
        out.extend((x, y) for x, y in zip(cuts, cuts[1:], strict=False) if page[x:y].strip())
    joined: list[tuple[int, int]] = []
    i = 0
    while i < len(out):
        a, b = out[i]
        while page[a:b].count("(") > page[a:b].count(")") and i + 1 < len(out):
            i += 1
            b = out[i][1]
        text = page[a:b].rstrip()
        b = a + len(text)
        mark = _FOOTNOTE_AFTER_END.search(text)
        if mark:  # "a full parse.1": the span ends at the period, the footnote mark is not the claim's
            b -= len(mark.group(1))
        if text.count("(") == text.count(")"):
            joined.append((a, b))
        i += 1
    return joined


def _rewrite(sentence: str) -> str:
    """A verbatim sentence as claim text: openers out, no first person."""
    return decontextualize(strip_openers(strip_heading(clean(sentence)))[0])


def _join_antecedent(page: str, start: int, end: int) -> tuple[int, str] | None:
    """(new span start, rewritten antecedent text) for the claim at ``page[start:end]`` that points back, or None."""
    a = antecedent_start(page, start, end, _rewrite)
    if a is None:
        return None
    parts = [_rewrite(page[x:y]) for x, y in split_sentences(page[a:start], a)]
    return a, " ".join(p for p in parts if p)


def _candidates(store: Store, paper) -> list[tuple]:  # noqa: ANN001 - papers.Paper
    """(passage, start, end, origin) of every sentence that may state a claim, in reading order."""
    pages = get_pages(store, paper.id)
    passages = get_passages(store, paper.id)
    has_abstract_sentences = any(
        p.kind == "sentence" and _origin(p.kind, p.section) == "abstract" for p in passages
    )
    out = []
    in_intro_list = False
    for p, (start0, end0) in _whole_sentences(passages, pages, skip_abstract=has_abstract_sentences):
        origin = _origin(p.kind, p.section)
        setup_section = p.kind == "sentence" and is_setup_section(p.section)
        if origin is None and not setup_section:
            continue
        page = pages[p.page_no - 1]
        split = p.kind in ("abstract", "caption") or end0 - start0 > 600
        for start, end in sentence_spans(page, start0, end0, split=split):
            sentence = page[start:end]
            if not ends_sentence(sentence):
                continue  # never a cut claim
            if origin == "contribution":
                # The contribution list: bullets, or sentences after "We find:" / "Our contributions".
                if re.search(
                    r"\b(?:we find|our contributions|we show|we make the following)\b\s*:?\s*$",
                    clean(sentence),
                    re.I,
                ):
                    in_intro_list = True
                    continue
                bullet = clean(sentence).startswith(("•", "\u2022", "- "))
                if not (
                    bullet
                    or in_intro_list
                    or re.search(r"\b(?:we (?:show|find|demonstrate)|our results)\b", clean(sentence), re.I)
                ):
                    continue
            if origin is not None and _claimlike(sentence, origin):
                out.append((p, start, end, origin))
            elif (
                setup_section
                and origin in (None, "results")
                and is_setup_sentence(colon_head(sentence) or strip_heading(clean(sentence)))
            ):
                out.append((p, start, end, "setup"))
    return out


def extract_claims(store: Store, paper_id: str) -> list[Claim]:
    """The claims of one stored paper, in reading order: findings, hedges, future work, setup and background, each
    with its kind, near-duplicates folded into the most complete statement (``also_stated``)."""
    paper = _stored_paper(store, paper_id)
    pages = get_pages(store, paper.id)
    claims: list[Claim] = []
    seen_text: set[str] = set()
    for p, start, end, origin in _candidates(store, paper):
        page = pages[p.page_no - 1]
        statement = _candidate_statement(page[start:end], origin)
        if statement is None:
            continue
        text, refs = statement
        atoms = _atomize(pages, p.page_no, start, end, text)
        claims.extend(_atom_claims(paper, p, page, origin, refs, end, atoms, seen_text))
    return fold_duplicates(claims) + _table_claims(paper, pages, read_tables(store, paper.id))


def _stored_paper(store: Store, paper_id: str):  # noqa: ANN202 - papers.Paper
    """The stored paper by id, or by whatever else :func:`synthesis.papers.resolve_paper` accepts."""
    paper = get_paper(store, paper_id)
    if paper is None:
        from synthesis.papers import resolve_paper

        paper = resolve_paper(store, paper_id)
    return paper


def _candidate_statement(sentence: str, origin: str | None) -> tuple[str, list[str]] | None:
    """A candidate sentence cleaned into a statement (caption label, heading and openers dropped; a setup
    sentence cut to its colon head) with the refs its openers pointed to; None when it is no claim."""
    if is_garbled(sentence):
        return None
    text = (
        re.sub(r"^\s*(?:Table|Figure|Fig\.)\s*\d+\s*[:.]\s*", "", sentence)
        if origin == "caption"
        else sentence
    )
    text, refs = strip_openers(strip_heading(clean(text)))
    if not text or describes_the_paper(text):
        return None
    if origin == "setup":
        text = colon_head(text) or text
    return text, refs


@dataclass
class _Atoms:
    """One candidate statement made self-contained and split into atomic claims: the claim texts (``parts``),
    each one's own words without a joined antecedent (``own``), where the span starts, how many sentences before
    it were joined, whether it reads on its own, and the notes on what was done to it."""

    span_start: int
    parts: list[str]
    own: list[str]
    joined: int
    whole: bool
    notes: list[str]


def _atomize(pages: list[str], page_no: int, start: int, end: int, text: str) -> _Atoms:
    """The statement at ``start:end`` of page ``page_no`` decontextualized, its leading pronoun resolved, joined
    with the sentence(s) before it when it refers to them, else split into atomic claims."""
    page = pages[page_no - 1]
    base = decontextualize(text)
    previous = _previous_sentence(pages, page_no, start)
    base, resolved = resolve_leading_pronoun(base, previous)
    notes = [f"'It' resolved from the sentence before: {resolved}"] if resolved else []
    span_start, parts, n_joined, whole = start, None, 0, True
    if needs_antecedent(base):
        joined = _join_antecedent(page, start, end)
        if joined:
            span_start, antecedent = joined
            parts = [antecedent + " " + base]
            n_joined = len(split_sentences(page[span_start:start]))
            notes.append("joined with the sentence(s) before it, to which it refers")
        else:
            whole = False
            notes.append(
                "refers to something it does not say; read it with the sentence before"
                + (f": {decontextualize(previous)}" if previous else "")
            )
    own = [base] if parts else None
    if parts is None:
        parts = split_atomic(base) if base else []
        own = parts
    if len(parts) > 1:
        notes.append("split from a sentence stating several facts")
    return _Atoms(span_start, parts, own, n_joined, whole, notes)


def _atom_claims(
    paper,  # noqa: ANN001 - papers.Paper
    p,  # noqa: ANN001 - the candidate's passage
    page: str,
    origin: str | None,
    refs: list[str],
    end: int,
    atoms: _Atoms,
    seen_text: set[str],
) -> list[Claim]:
    """One typed Claim per atom not yet seen (``seen_text`` is updated), too short, or a fragment."""
    out: list[Claim] = []
    parts, span_start = atoms.parts, atoms.span_start
    for k, (atom, own_atom) in enumerate(zip(parts, atoms.own, strict=True)):
        atom, own_atom = decontextualize(atom), decontextualize(own_atom)
        key = atom.lower()
        if len(own_atom.split()) < 4 or key in seen_text or is_fragment(own_atom):
            continue
        seen_text.add(key)
        type_ = "background" if _COMMENTARY.match(own_atom) else claim_type(own_atom)
        out.append(
            Claim(
                id=_claim_id(paper.id, p.page_no, span_start, end, k + 1 if len(parts) > 1 else 0),
                text=atom,
                paper=paper.id,
                version=paper.version,
                page=p.page_no,
                span=(span_start, end),
                type=type_,
                numbers=[q.to_json() for q in parse_numbers(atom) if q.kind not in _NOT_QUANTITIES],
                source_text=page[span_start:end],
                section=p.section,
                origin=origin,
                notes=list(atoms.notes),
                kind=claim_kind(own_atom, origin=origin, type_=type_),
                refs=refs,
                own_text=own_atom,
                joined=atoms.joined,
                self_contained=atoms.whole,
            )
        )
    return out


def _table_claims(paper, pages: list[str], tables: list) -> list[Claim]:  # noqa: ANN001 - papers.Paper
    """One table_fact claim per numeric cell of the stored tables (none when the tables were not extracted)."""
    out = []
    for f in table_facts(tables, pages):
        a, b = f.span
        out.append(
            Claim(
                id=_claim_id(paper.id, f.page, a, b, 0),
                text=f.text,
                paper=paper.id,
                version=paper.version,
                page=f.page,
                span=(a, b),
                type=claim_type(f.text),
                numbers=[q.to_json() for q in parse_numbers(f.text) if q.kind not in _NOT_QUANTITIES],
                source_text=pages[f.page - 1][a:b],
                section=None,
                origin="table",
                kind="table_fact",
                refs=[f.label],
                own_text=f.text,
                notes=[
                    f"{f.label}, row {f.row}, column {f.column}: {f.value}"
                    + (" (marked best)" if f.marked else "")
                ],
            )
        )
    return out


def fold_duplicates(claims: list[Claim]) -> list[Claim]:
    """Claims with each near-duplicate (same kind, see :mod:`synthesis.claim_dedup`) folded into the most complete
    statement of it, which lists where else it is stated; reading order is kept."""
    drop: set[int] = set()
    for j, joined in enumerate(
        claims
    ):  # a sentence joined into the claim after it, of the same kind, is said there
        for i, c in enumerate(claims):
            if (
                joined.joined
                and i != j
                and i not in drop
                and not c.joined
                and c.kind == joined.kind
                and c.page == joined.page
                and joined.span[0] <= c.span[0] < c.span[1] <= joined.span[1]
            ):
                joined.also_stated.append({"id": c.id, "page": c.page, "span": list(c.span), "text": c.text})
                drop.add(i)
    for kind in KINDS:
        if kind == "table_fact":
            continue  # each cell is its own row and column: two cells are never the same claim
        idx = [i for i, c in enumerate(claims) if c.kind == kind and i not in drop]
        reps = duplicate_groups([claims[i].own_text or claims[i].text for i in idx])
        for pos, r in enumerate(reps):
            if r == pos:
                continue
            kept, dup = claims[idx[r]], claims[idx[pos]]
            kept.also_stated.append(
                {"id": dup.id, "page": dup.page, "span": list(dup.span), "text": dup.text}
            )
            kept.refs = list(dict.fromkeys(kept.refs + dup.refs))
            drop.add(idx[pos])
    return [c for i, c in enumerate(claims) if i not in drop]
