"""The rules' decision for one claim against candidate passages (:func:`decide`): retrieval of candidates,
checks, the rules' label with its reasons in words, and the features for the combiner."""

from __future__ import annotations

import numpy as np

from synthesis.entities import stem
from synthesis.retrieval import BM25, Unit, number_tokens
from synthesis.verifier.reading import Reading, original_entity, read, squash
from synthesis.verifier.rules import (
    Check,
    Decision,
    compare,
    decision_features,
    fmt_nums,
    near_verbatim,
    rivals,
    sizes_named_elsewhere,
    swap_kind,
    verbatim_share,
    veto_paraphrase_swaps,
    where_found,
)
from synthesis.verifier.thresholds import T_EMB, T_REFUTE, T_SUPPORT, T_SUPPORT_EMB, TOP_K


def decide(
    claim_text: str,
    units: list[Unit],
    bm25: BM25 | None,
    *,
    embed_sims: np.ndarray | None = None,
    nli=None,
    readings: dict | None = None,
    embedder=None,
) -> Decision:  # noqa: ANN001
    """Label one claim against candidate units (all of them are scored when ``bm25`` is None). With an
    ``embedder``, a swapped phrase whose replacement means nearly the same (span similarity >= SWAP_EMB_SAME) is
    read as a paraphrase, not a swap."""
    claim = read(claim_text)
    claim.optional_ents = sizes_named_elsewhere(claim_text, claim, units)
    if len(claim.wordset) + len(claim.numbers) < 2:
        return Decision(
            "not_enough_info",
            None,
            [],
            [f"the claim has too little content to check ({len(claim.wordset)} distinct content word(s))"],
            decision_features(None, None, None, claim, embed_sims is not None),
            claim,
        )
    weights = {w: max(0.5, min(bm25.weight(w), 8.0)) for w in claim.wordset} if bm25 else {}
    cand = _candidates(claim, units, bm25, embed_sims)
    checks = [_check(claim, units[i], weights, readings, embed_sims, i) for i in sorted(cand)]
    if nli is not None and checks:
        _score_nli(checks, claim_text, nli)
    if embedder is not None:
        veto_paraphrase_swaps(checks, embedder)
    has_emb = embed_sims is not None
    checks.sort(key=lambda c: -(c.cov + 0.5 * c.emb))
    top = checks[0] if checks else None

    supporting, conflicting = _supporting(claim, checks, has_emb), _conflicting(claim, checks)
    best_s = max(supporting, key=lambda c: c.support, default=None)
    best_c = max(conflicting, key=lambda c: c.rest_cov, default=None)
    # A sentence that states the claim almost word for word, with numbers, names, polarity and direction agreeing,
    # settles it: a less closely matching sentence that seems to disagree does not override it.
    verbatim = [c for c in supporting if near_verbatim(claim, c)]
    if verbatim:
        best_s = max(verbatim, key=lambda c: (verbatim_share(claim, c), c.support))
    overrides = bool(verbatim) and (
        best_c is None or verbatim_share(claim, best_s) > verbatim_share(claim, best_c)
    )
    if best_s and (best_c is None or best_s.support >= best_c.cov or overrides):
        label, best = "supported", best_s
        reasons = _supported_reasons(claim_text, claim, best, has_emb)
    elif best_c:
        label, best = "refuted", best_c
        reasons = _refuted_reasons(claim_text, claim, best)
    else:
        label, best = "not_enough_info", top
        reasons = _unsettled_reasons(claim_text, top, checks)
    feats = decision_features(best_s, best_c, top, claim, has_emb)
    feats["near_verbatim"] = (
        1.0 if verbatim else 0.0
    )  # a sentence states it word for word, nothing conflicting
    return Decision(label, best, checks, reasons, feats, claim)


def _candidates(
    claim: Reading, units: list[Unit], bm25: BM25 | None, embed_sims: np.ndarray | None
) -> set[int]:
    """Indices of the units worth checking: BM25 top-k (on all the claim's words, then on its names and numbers
    alone), the table rows naming every entity of a numeric claim, plus embedding top-k; every unit without BM25."""
    if bm25 is not None:
        nums = number_tokens(claim.text)
        cand = {i for i, _ in bm25.top(claim.words + nums, TOP_K)}
        names = [stem(e) for e in claim.ents] + nums  # the rare tokens alone find table rows
        if names:
            cand |= {i for i, _ in bm25.top(names + [w for w in claim.words if w in names], TOP_K // 2)}
        if claim.numbers and claim.ents:
            # Table rows naming every entity of a numeric claim: where its number should be.
            for i, u in enumerate(units):
                if u.kind == "table-row":
                    sq = squash(u.text)
                    if all(e in sq for e in claim.ents):
                        cand.add(i)
    else:
        cand = set(range(len(units)))
    if embed_sims is not None and len(embed_sims):
        cand |= {int(i) for i in np.argsort(-embed_sims)[:TOP_K]}
    return cand


def _check(
    claim: Reading,
    unit: Unit,
    weights: dict[str, float],
    readings: dict | None,
    embed_sims: np.ndarray | None,
    i: int,
) -> Check:
    """The rules' check of the claim against unit ``i``, reading the unit once per ``readings`` cache, with its
    embedding similarity when there is one."""
    urd = readings.get(unit.key) if readings is not None else None
    if urd is None:
        urd = read(unit.text)
        if readings is not None:
            readings[unit.key] = urd
    c = compare(claim, unit, weights, urd)
    if embed_sims is not None and len(embed_sims):
        c.emb = float(embed_sims[i])
    return c


def _score_nli(checks: list[Check], claim_text: str, nli) -> None:  # noqa: ANN001
    """Set the NLI model's (entail, contradict, neutral) probabilities on the four best-matching checks."""
    ranked = sorted(checks, key=lambda c: -(c.cov + c.emb))[:4]
    probs = nli.probs([(c.unit.text, claim_text) for c in ranked])
    for c, p in zip(ranked, probs, strict=True):
        c.nli = (float(p[0]), float(p[1]), float(p[2]))


def _supporting(claim: Reading, checks: list[Check], has_emb: bool) -> list[Check]:
    """The checks whose unit states the claim: clean, covering it (or a table row with its entities and numbers),
    and stating every word a swap elsewhere disputes; or clean and near-verbatim."""
    # A sentence that matches the claim but for a swapped word outweighs a looser match that does not state the
    # contested word at all (the same sentence inside "the evidence taken together", or a sentence that only
    # shares the rest of the claim): support must cover what the swap disputes.
    contested = [c.swap.claim_words for c in checks if "swap" in c.conflicts and c.rest_cov >= T_REFUTE]

    def supports(c: Check) -> bool:
        if not c.clean:
            return False
        if any(not (words <= c.reading.wordset) for words in contested):
            return False
        if c.support >= T_SUPPORT or (has_emb and c.cov >= T_SUPPORT_EMB and c.emb >= T_EMB):
            return True
        # A table row: every entity and every number of the claim, little else in words.
        return c.unit.kind == "table-row" and bool(c.nums_matched) and bool(claim.ents) and c.cov >= 0.3

    return [
        c for c in checks if supports(c) or (c.clean and c.support >= T_SUPPORT and near_verbatim(claim, c))
    ]


def _conflicting(claim: Reading, checks: list[Check]) -> list[Check]:
    """The checks whose unit is about the same thing but disagrees (a table row with a rival number needs less of
    the rest of the claim)."""
    return [
        c
        for c in checks
        if c.conflicts
        and (
            c.rest_cov >= T_REFUTE
            or (c.unit.kind == "table-row" and c.num_conflict and claim.ents and c.rest_cov >= 0.35)
        )
    ]


def _supported_reasons(claim_text: str, claim: Reading, best: Check, has_emb: bool) -> list[str]:
    """Why the claim is supported by ``best``: where, how much it covers, the numbers and entities agreeing."""
    reasons = [
        f"{where_found(best)} states the claim's content ({best.cov:.0%} of its content words, "
        f"weighted by rarity{f', embedding similarity {best.emb:.2f}' if has_emb else ''})"
    ]
    if best.nums_matched:
        reasons.append(
            "every number agrees up to rounding: "
            + "; ".join(f"{q.text} = {r.text}" for q, r in best.nums_matched)
        )
    if claim.ents:
        reasons.append(
            "the entities it names appear in the evidence: "
            + ", ".join(original_entity(claim_text, e) for e in sorted(claim.ents))
        )
    return reasons


def _refuted_reasons(claim_text: str, claim: Reading, best: Check) -> list[str]:
    """Why the claim is refuted by ``best``: where, how much of the rest matches, and each conflict in words."""
    reasons = [
        f"{where_found(best)} is about the same thing ({best.rest_cov:.0%} of the rest of the claim "
        "matches) but disagrees:"
    ]
    if best.num_conflict:
        reasons.append(
            f"the claim says {fmt_nums(best.nums_unmatched)} but the source says "
            f"{fmt_nums([r for r in best.reading.numbers if any(rivals(q, r) for q in best.nums_unmatched)][:6])}"
            " (no value within rounding)"
        )
    if best.ent_conflict:
        reasons.append(
            f"the claim names {', '.join(original_entity(claim_text, e) for e in best.ents_missing)} "
            f"where the source names {', '.join(original_entity(best.unit.text, e) for e in best.ents_extra[:4])}"
        )
    if best.neg_conflict:
        reasons.append(
            "one of them negates what the other asserts (about: " + ", ".join(best.neg_conflict) + ")"
        )
    if best.dir_conflict:
        reasons.append(
            "the direction differs: "
            + (
                "the claim says it goes up/helps, the source says down/hurts"
                if claim.up
                else "the claim says it goes down/hurts, the source says up/helps"
            )
        )
    if "swap" in best.conflicts and best.swap is not None:
        kind = {"antonym": "its opposite", "named": "another name"}.get(swap_kind(best) or "", "another word")
        reasons.append(
            f'the claim says "{best.swap.claim_span}" where the otherwise matching source says '
            f'"{best.swap.unit_span}" ({kind})'
        )
    if best.scope_conflict:
        reasons.append("the claim is universal (all/every/consistently) but the source only says it for some")
    if best.nli_conflict:
        reasons.append(f"the NLI model reads the source as contradicting the claim (p={best.nli[1]:.2f})")
    return reasons


def _unsettled_reasons(claim_text: str, top: Check | None, checks: list[Check]) -> list[str]:
    """Why there is not enough information: how close the closest passage came, and what it lacks."""
    if top is None:
        return ["no passage of the chosen papers shares words with the claim"]
    reasons = [
        f"no passage states the claim: the closest ({where_found(top)}) covers {top.cov:.0%} of its "
        "content words"
    ]
    if top.nums_unmatched:
        reasons.append(f"the claim's {fmt_nums(top.nums_unmatched)} appear in none of the closest passages")
    if top.ents_missing:
        reasons.append(
            "the closest passage does not name "
            + ", ".join(original_entity(claim_text, e) for e in top.ents_missing)
        )
    if any(c.scope_missing for c in checks[:3]):
        reasons.append(
            "the claim is about every case (all/every/each/always) but no passage that states "
            "it says so for all of them"
        )
    return reasons
