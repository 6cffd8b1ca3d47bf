"""Verify claims against the stored text of papers: supported, refuted or not_enough_info, with a calibrated
confidence, verbatim page-anchored evidence and reasons in words.

Pipeline per claim: retrieve candidate units (BM25, plus sentence embeddings when a model loads), compare the claim
with each candidate on what decides scientific claims (content coverage, numbers up to rounding, named entities,
negation, direction of change, scope), pick the label by rules a reader can follow, and turn the decision features
into a probability with the calibration in force (:mod:`synthesis.calibration`).
"""

from __future__ import annotations

import sys

import numpy as np

from synthesis.entities import language_of
from synthesis.errors import AssayError
from synthesis.evaluation import normalize_label, score
from synthesis.retrieval import BM25, Unit, inline_units, paper_units
from synthesis.store_papers import pdf_sha_of
from synthesis.verifier.decide import decide
from synthesis.verifier.reading import original_entity, read
from synthesis.verifier.rules import Check, Decision, passage_conflicts
from synthesis.verifier.table_cells import cell_evidence, decide_by_table, default_table_rates, table_rates
from synthesis.verifier.thresholds import LABELS, MAX_CLAIM_CHARS, MODEL_TOP_K


def _evidence(decision: Decision, limit: int = 3) -> list[dict]:
    chosen: list[Check] = []
    if decision.best is not None:
        chosen.append(decision.best)
    for c in decision.checks:
        if len(chosen) >= limit:
            break
        if c is not decision.best and c.cov >= 0.3 and c.unit.key not in {x.unit.key for x in chosen}:
            chosen.append(c)
    return [
        {
            "paper": c.unit.paper,
            "version": c.unit.version,
            "page": c.unit.page,
            "quote": c.unit.text,
            "score": round(c.cov, 4),
            "char_start": c.unit.start,
            "char_end": c.unit.end,
        }
        for c in chosen
    ]


def _where_units(group: list[Unit]) -> str:
    u = group[0]
    if u.page:
        return f"page {u.page}" + (" (two adjacent sentences)" if len(group) > 1 else "")
    return "the evidence" if u.start < 0 or u.kind == "inline-all" else f"evidence #{u.start + 1}"


def _model_features(
    d: Decision, groups: list[list[Unit]], probs: np.ndarray, i_sup: int, i_ref: int, rivals: list[tuple]
) -> dict:
    """The rule features of the decision with the cross-encoder's readings added: the strongest support and
    conflict, the least 'not enough info', the reading of the passage retrieval ranked first, the rules' label, and
    how strongly the model reads as 'the same statement' a passage that gives one of the claim's numbers or names
    differently (``rivals``: per group, the numbers and names it gives otherwise), which the model alone misses."""
    from synthesis.combiner import ce_features

    feats = dict(d.features)
    first = d.checks[0].unit.key  # the passage retrieval ranked first, alone and in its windows
    top = [i for i, g in enumerate(groups) if any(u.key == first for u in g)] or [0]
    top_alone = [i for i in top if len(groups[i]) == 1] or top
    windows = [i for i, g in enumerate(groups) if len(g) > 1]
    feats.update(
        ce_features(
            float(probs[i_sup, 0]),
            float(probs[i_ref, 1]),
            float(probs[:, 2].min()),
            float(probs[top, 0].max()),
            float(probs[top_alone, 1].max()),
        )
    )
    # A window's reading of conflict stays a separate signal: a negation in the neighbouring sentence often makes
    # the model read a conflict the claim does not have.
    feats["ce_ref_window"] = max((float(probs[i, 1]) for i in windows), default=0.0)
    feats["ce_sup_clean"] = max(
        (float(probs[i, 0]) for i, (n, e) in enumerate(rivals) if not (n or e)), default=0.0
    )
    feats["ce_num_conflict"] = max((float(probs[i, 0]) for i, (n, _) in enumerate(rivals) if n), default=0.0)
    feats["ce_ent_conflict"] = max((float(probs[i, 0]) for i, (_, e) in enumerate(rivals) if e), default=0.0)
    feats["rule_supported"] = 1.0 if d.label == "supported" else 0.0
    feats["rule_refuted"] = 1.0 if d.label == "refuted" else 0.0
    return feats


def _group_rivals(
    claim,
    groups: list[list[Unit]],
    readings: dict,  # noqa: ANN001
) -> list[tuple[list[str], list[str]]]:
    """Per group of units the model reads as one passage: the claim's numbers and names it gives differently. Each
    passage is read once per verifier (``readings``, keyed like the rules' own cache), not once per claim."""
    if claim is None:
        return [([], []) for _ in groups]
    out = []
    for g in groups:
        if len(g) == 1:
            unit, key = g[0], g[0].key
        else:
            unit, key = inline_units([" ".join(u.text for u in g)])[0], tuple(u.key for u in g)
        if key not in readings:
            readings[key] = read(unit.text)
        out.append(passage_conflicts(claim, unit, readings[key]))
    return out


def _model_reasons(
    d: Decision, label: str, group: list[Unit], probs: np.ndarray, pick: int, i_sup: int, i_ref: int
) -> list[str]:
    """The reasons for the model's label: how it reads the picked evidence first, then the rules' reasons (or,
    when the rules disagree, what they alone would say)."""
    rules_label = d.label
    where = _where_units(group)
    verb = {"supported": "supports", "refuted": "contradicts", "not_enough_info": "does not settle"}[label]
    lead = (
        f"the verifier model reads {where} as it {verb} the claim (p(supported)={probs[pick, 0]:.2f}, "
        f"p(refuted)={probs[pick, 1]:.2f}, p(not enough info)={probs[pick, 2]:.2f})"
    )
    if label == "not_enough_info":
        lead = (
            f"no passage settles the claim: the closest reading ({where}) gives p(supported)="
            f"{probs[i_sup, 0]:.2f}, the strongest conflict p(refuted)={probs[i_ref, 1]:.2f}"
        )
    if rules_label == label:
        reasons = [lead] + d.reasons
    else:
        reasons = [
            lead,
            f"the rules alone would say {rules_label.replace('_', ' ')}: " + "; ".join(d.reasons),
        ]
    if len(group) > 1:
        reasons.append("the evidence spans two adjacent sentences; both are quoted")
    return reasons


def _group_evidence(group: list[Unit], model_score: float) -> list[dict]:
    """The evidence entries of the units the model read together, each quoted verbatim with the model's score."""
    return [
        {
            "paper": u.paper,
            "version": u.version,
            "page": u.page,
            "quote": u.text,
            "score": round(model_score, 4),
            "char_start": u.start,
            "char_end": u.end,
        }
        for u in group
    ]


def _precheck(text: str) -> tuple[str | None, str | None]:
    """(text to verify, reason for not_enough_info) for degenerate claims."""
    if not isinstance(text, str) or not text.strip():
        return None, "the claim is empty; nothing to verify"
    if language_of(text) == "other":
        return None, "the claim is not in English; the verifier compares English text (translate it first)"
    return text, None


class Verifier:
    """Holds the per-paper units, lexical index, optional models and the calibration for many claims."""

    def __init__(
        self,
        store,
        settings,
        *,
        use_embeddings: bool | None = None,
        quiet: bool = False,  # noqa: ANN001
        calibration: dict | None = None,
        use_model: bool | None = None,
        combiner: dict | None = None,
    ):
        from synthesis.calibration import load_calibration

        self.store = store
        self.settings = settings
        self.notes: list[str] = []
        self.embedder = None
        self.scorer = None
        self.combiner = None
        if use_model is None or use_model:
            from synthesis.combiner import default_params
            from synthesis.crossencoder import load_scorer

            self.scorer, msg = load_scorer(settings)
            if msg:
                self.notes.append(msg)
            self.combiner = combiner if combiner is not None else default_params()
        else:
            self.notes.append("verifier model off; the rules alone decide (lexical-only mode)")
        if use_embeddings is None or use_embeddings:
            from synthesis.embeddings import load_embedder

            self.embedder, msg = load_embedder(store, settings, quiet=quiet)
            if msg:
                self.notes.append(msg)
        else:
            self.notes.append("embeddings off (--no-embeddings); lexical retrieval only")
        from synthesis.nli import load_nli

        self.nli, msg = load_nli(settings, quiet=quiet)
        if msg:
            self.notes.append(msg)
        self.calibration = calibration or load_calibration(store)
        self._units: dict[tuple[str, ...], tuple[list[Unit], BM25, np.ndarray | None]] = {}
        self._readings: dict = {}
        self._claim_vecs: dict[str, np.ndarray] = {}
        self._shas: dict[str, str | None] = {}
        self._neighbours: dict[tuple, tuple[Unit | None, Unit | None]] = {}
        self._tables: dict[tuple[str, ...], list] = {}
        self.table_rates = table_rates(self.combiner) if self.combiner is not None else default_table_rates()

    def _sha(self, paper_id: str) -> str | None:
        """The PDF hash the evidence was read from (pins the quote to one exact file, not just an arXiv id)."""
        if paper_id not in self._shas:
            self._shas[paper_id] = pdf_sha_of(self.store, paper_id) if self.store else None
        return self._shas[paper_id]

    def prime(self, texts: list[str]) -> None:
        """Embed many claim texts in one batch (much faster than one at a time)."""
        if self.embedder is None:
            return
        todo = sorted(
            {t[:MAX_CLAIM_CHARS] for t in texts if isinstance(t, str) and t.strip()} - set(self._claim_vecs)
        )
        if todo:
            for t, v in zip(todo, self.embedder.encode(todo), strict=True):
                self._claim_vecs[t] = v

    def _claim_vec(self, text: str) -> np.ndarray:
        v = self._claim_vecs.get(text[:MAX_CLAIM_CHARS])
        return v if v is not None else self.embedder.encode([text])[0]

    def index(self, paper_ids: list[str]) -> tuple[list[Unit], BM25, np.ndarray | None]:
        key = tuple(sorted(set(paper_ids)))
        if key not in self._units:
            units: list[Unit] = []
            for pid in key:
                units.extend(paper_units(self.store, pid))
            units = [u for u in units if language_of(u.text) != "other"]
            vecs = self.embedder.encode([u.text for u in units]) if (self.embedder and units) else None
            self._units[key] = (units, BM25(units), vecs)
            self._neighbours.update(
                {
                    u.key: (units[i - 1] if i else None, units[i + 1] if i + 1 < len(units) else None)
                    for i, u in enumerate(units)
                }
            )
        return self._units[key]

    def verify_one(self, claim: dict, paper_ids: list[str]) -> dict:
        """The verdict of one claim: against its inline ``evidence`` list when it carries one, else against the
        stored text of ``paper_ids``."""
        raw = claim.get("text")
        text, why = _precheck(raw if isinstance(raw, str) else "")
        result = {
            "id": str(claim.get("id", "")),
            "text": raw if isinstance(raw, str) else "",
            "label": "not_enough_info",
            "confidence": 0.0,
            "evidence": [],
            "reasons": [],
            "papers": list(paper_ids),
        }
        if why:
            return self._undecided(result, why)
        assert text is not None
        extra: list[str] = []
        if len(text) > MAX_CLAIM_CHARS:
            extra.append(
                f"the claim is {len(text):,} characters long, which is not one atomic claim: split it into "
                "single statements (as `assay claims` does) and verify those"
            )
            text = text[:MAX_CLAIM_CHARS].rsplit(" ", 1)[0]
        inline = "evidence" in claim
        if inline and isinstance(claim["evidence"], list):
            d = self._decide_inline(text, [e for e in claim["evidence"] if isinstance(e, str)], result)
        else:
            d = self._decide_stored(text, paper_ids, result)
        if d is None:  # nothing to check the claim against: the result says why
            return result
        result = self._assemble(result, text, d, extra, inline)
        if not inline and not extra and self.store is not None:
            self._check_tables(result, text, paper_ids)
        return result

    def _check_tables(self, result: dict, text: str, paper_ids: list[str]) -> None:
        """The claim's numbers against the table cells of the papers it names (:func:`decide_by_table`)."""
        from synthesis.papers import get_paper
        from synthesis.store import read_tables
        from synthesis.table_check import check_claim

        key = tuple(sorted(set(paper_ids)))
        if key not in self._tables:
            self._tables[key] = [(pid, t) for pid in key for t in read_tables(self.store, pid)]
        tables = self._tables[key]
        if not tables:
            return
        cc = check_claim(text, [t for _, t in tables], strict=True)
        if cc.status not in ("match", "mismatch") or cc.table is None:
            return
        paper = next((pid for pid, t in tables if t is cc.table), key[0])
        meta = get_paper(self.store, paper)
        decide_by_table(
            result,
            cc,
            self.table_rates,
            cell_evidence(cc, paper, getattr(meta, "version", None), self._sha(paper)),
        )

    def _undecided(self, result: dict, reason: str) -> dict:
        """``result`` as a not_enough_info verdict for ``reason``, with the calibrated confidence of that label."""
        result["reasons"] = [reason]
        result["confidence"] = self.calibration_prob("not_enough_info", None)
        return result

    def _decide_inline(self, text: str, evidence: list[str], result: dict) -> Decision | None:
        """The rules' decision against evidence sentences the claim carries; None (and ``result`` filled in) when
        the list is empty."""
        units = inline_units(evidence)
        units = [u for u in units if language_of(u.text) != "other"] or units
        if not units:
            self._undecided(result, "the claim carries an empty evidence list")
            return None
        if len(units) > 1:  # the evidence as a whole, for claims that draw on several sentences
            joined = " ".join(u.text for u in units)
            whole = inline_units([joined])[0]
            whole.start, whole.kind = -1, "inline-all"
            units.append(whole)
        sims = None
        if self.embedder is not None:
            vecs = self.embedder.encode([u.text for u in units])
            sims = vecs @ self._claim_vec(text)
        return decide(text, units, None, embed_sims=sims, nli=self.nli, embedder=self.embedder)

    def _decide_stored(self, text: str, paper_ids: list[str], result: dict) -> Decision | None:
        """The rules' decision against the stored text of the papers; None (and ``result`` filled in) when there
        is no paper or no text to check against."""
        if not paper_ids:
            result["reasons"] = ["no paper to verify against: give --papers or a `paper` field"]
            return None
        units, bm25, vecs = self.index(paper_ids)
        if not units:
            self._undecided(
                result,
                f"the paper(s) {', '.join(paper_ids)} have no stored text (scanned or empty "
                "PDF?); nothing to check the claim against",
            )
            return None
        sims = None
        if vecs is not None and self.embedder is not None:
            sims = vecs @ self._claim_vec(text)
        return decide(
            text, units, bm25, embed_sims=sims, nli=self.nli, readings=self._readings, embedder=self.embedder
        )

    def _assemble(self, result: dict, text: str, d: Decision, extra: list[str], inline: bool) -> dict:
        """Fill ``result`` from the decision: label and confidence (the model's when it reads the candidates),
        evidence, reasons, signals and the numbers checked. ``extra`` holds the reasons a too-long claim is not
        decided."""
        result["label"] = d.label
        result["confidence"] = round(self.calibration_prob(d.label, d.features), 4)
        model_evidence = None
        if self.scorer is not None and d.checks:
            model_evidence = self._model_decision(text, d, result, "inline" if inline else "retrieval")
        elif self.scorer is None:
            d.reasons.append("decided by the rules alone (lexical-only mode: no verifier model)")
        if extra:  # too long to be one claim: say what its beginning gave, decide nothing
            d.reasons = [
                f"its first {MAX_CLAIM_CHARS:,} characters alone would be {d.label}: " + "; ".join(d.reasons)
            ]
            result["label"] = "not_enough_info"
            result["confidence"] = self.calibration_prob("not_enough_info", None)
        chosen = model_evidence if model_evidence is not None else _evidence(d)
        result["evidence"] = (
            [dict(e, pdf_sha256=self._sha(e["paper"])) for e in chosen]
            if not inline
            else [
                {
                    "paper": "inline",
                    "version": None,
                    "page": None,
                    "quote": c["quote"],
                    "score": c["score"],
                    "index": c["char_start"],
                }
                for c in chosen
            ]
        )
        result["reasons"] = extra + d.reasons
        result["signals"] = {k: round(v, 4) for k, v in d.features.items()}
        if d.best is not None and d.best.nli is not None:
            result["signals"]["nli"] = dict(
                zip(
                    ("entailment", "contradiction", "neutral"), (round(x, 4) for x in d.best.nli), strict=True
                )
            )
        if d.best is not None:
            result["numbers_checked"] = [
                {"claim": q.text, "value": q.value, "unit": q.unit, "source": r.text, "match": True}
                for q, r in d.best.nums_matched
            ] + [
                {"claim": q.text, "value": q.value, "unit": q.unit, "source": None, "match": False}
                for q in d.best.nums_unmatched
            ]
        if self.embedder is None:
            result["retrieval"] = "lexical"
        else:
            result["retrieval"] = "lexical+embeddings"
        return result

    def _candidates(self, d: Decision) -> list[list[Unit]]:
        """Evidence the model reads: the best few units, and each with its neighbouring sentence (a window), so a
        claim drawn from two adjacent sentences can be supported by both."""
        top = list(d.checks[:MODEL_TOP_K])
        if d.best is not None and d.best not in top:
            top.append(d.best)
        out: list[list[Unit]] = []
        seen: set[tuple] = set()
        for c in top:
            u = c.unit
            groups = [[u]]
            before, after = self._neighbours.get(u.key, (None, None))
            for n in (before, after):
                if (
                    n is not None
                    and n.page == u.page
                    and u.kind in ("sentence", "abstract")
                    and n.kind == u.kind
                ):
                    groups.append([n, u] if n is before else [u, n])
            for g in groups:
                k = tuple(x.key for x in g)
                if k not in seen:
                    seen.add(k)
                    out.append(g)
        return out

    def _model_decision(self, text: str, d: Decision, result: dict, mode: str = "retrieval") -> list[dict]:
        """The cross-encoder reads each candidate; the combiner turns its probabilities and the rule features into
        the label and a calibrated confidence. Returns the evidence entries (verbatim units) for the verdict."""
        groups = self._candidates(d)
        probs = self.scorer.probs([(text, " ".join(u.text for u in g)) for g in groups])
        i_sup = int(np.argmax(probs[:, 0]))
        # A contradiction is read from one sentence: two adjacent sentences join a fact spread over both, but a
        # negation in the neighbour ("ANLI+ does not lead to ...") is not a conflict with the claim.
        singles = [i for i, g in enumerate(groups) if len(g) == 1] or list(range(len(groups)))
        i_ref = max(singles, key=lambda i: probs[i, 1])
        rivals = _group_rivals(d.claim, groups, self._readings)
        feats = _model_features(d, groups, probs, i_sup, i_ref, rivals)
        p = self._label_probabilities(feats, mode)
        k = int(np.argmax(p))
        label = LABELS[k]
        result["label"] = label
        result["confidence"] = round(float(p[k]), 4)
        result["probabilities"] = {lab: round(float(x), 4) for lab, x in zip(LABELS, p, strict=True)}
        pick = i_sup if label == "supported" else (i_ref if label == "refuted" else i_sup)
        rival = max((i for i, (n, e) in enumerate(rivals) if n or e), key=lambda i: probs[i, 0], default=None)
        by_rival = label == "refuted" and rival is not None and probs[rival, 0] > probs[i_ref, 1]
        if by_rival:
            pick = rival  # the passage that states the claim with another number or name refutes it
        group = groups[pick]
        d.reasons = _model_reasons(d, label, group, probs, pick, i_sup, i_ref)
        if by_rival:
            n, e = rivals[pick]
            what = " and ".join(
                [f"another value where the claim says {x}" for x in n]
                + [f"another name where the claim says {original_entity(text, x)}" for x in e]
            )
            d.reasons[0] = (
                f"{_where_units(group)} gives {what} (the verifier model reads it as stating the claim, "
                f"p(supported)={probs[pick, 0]:.2f}, and is blind to such a change)"
            )
        d.features = feats
        if label == "not_enough_info":
            return _evidence(d)
        return _group_evidence(group, float(probs[pick, k]))

    def _label_probabilities(self, feats: dict, mode: str) -> np.ndarray:
        """p(supported), p(refuted), p(not enough info) from the combiner, or (none shipped) the cross-encoder's
        reading of the best evidence, uncalibrated."""
        from synthesis.combiner import predict

        if self.combiner:
            return predict(self.combiner, feats, mode)
        p = np.array([feats["ce_sup"], feats["ce_ref"], feats["ce_nei"]])
        return p / p.sum()

    def calibration_prob(self, label: str, features: dict | None) -> float:
        from synthesis.calibration import probability

        return probability(self.calibration, label, features, has_emb=self.embedder is not None)


def verify_claims(
    store,
    settings,
    claims: list[dict],
    paper_ids: list[str],
    *,  # noqa: ANN001
    use_embeddings: bool | None = None,
    progress: bool = False,
    use_model: bool | None = None,
) -> list[dict]:
    """Verify each claim against the given papers (or its own ``paper`` field, or every stored paper).

    Returns verdicts.jsonl objects: id, text, label, confidence, evidence [{paper, version, page, quote, score}],
    reasons, plus signals, numbers_checked and retrieval.
    """
    from synthesis.papers import list_papers, resolve_paper
    from synthesis.verdicts import Verdict

    verifier = Verifier(store, settings, use_embeddings=use_embeddings, quiet=True, use_model=use_model)
    resolved = [resolve_paper(store, p).id for p in paper_ids] if paper_ids else []
    all_ids: list[str] | None = None
    out = []
    iterator = claims
    verifier.prime([c.get("text") for c in claims if isinstance(c, dict)])
    bar = None
    if progress and sys.stderr.isatty() and len(claims) > 20:
        from rich.progress import Progress

        bar = Progress(transient=True)
        bar.start()
        task = bar.add_task("verifying", total=len(claims))
    try:
        for claim in iterator:
            ids = resolved
            inline = isinstance(claim, dict) and isinstance(claim.get("evidence"), list)
            if not ids and not inline and store is not None:
                own = claim.get("paper") if isinstance(claim, dict) else None
                if own:
                    try:
                        ids = [resolve_paper(store, str(own)).id]
                    except Exception:  # noqa: BLE001 - unknown paper: fall back to all stored papers
                        ids = []
                if not ids:
                    if all_ids is None:
                        all_ids = [p.id for p in list_papers(store)]
                    ids = all_ids
            if not isinstance(claim, dict):
                claim = {"id": "", "text": None}
            v = verifier.verify_one(claim, ids)
            if verifier.notes:
                v.setdefault("notes", list(verifier.notes))
            out.append(Verdict.model_validate(v).to_json())
            if bar is not None:
                bar.advance(task)
    finally:
        if bar is not None:
            bar.stop()
    return out


def evaluate(
    store,
    settings,
    gold: list[dict],
    *,
    papers: list[str] | None = None,  # noqa: ANN001
    use_embeddings: bool | None = None,
    progress: bool = False,
) -> tuple[dict, list[dict]]:
    """Verify gold claims (with inline ``evidence`` when given, else against their papers) and score them."""
    if not gold:
        raise AssayError("the gold file has no claims")
    for n, g in enumerate(gold, 1):
        if "label" not in g or "text" not in g and "claim" not in g:
            raise AssayError(f"gold line {n} needs 'label' and 'text' (or 'claim')")
    claims = []
    for n, g in enumerate(gold, 1):
        c = {"id": str(g.get("id", n)), "text": g.get("text", g.get("claim", ""))}
        if "evidence" in g:
            c["evidence"] = g["evidence"]
        if g.get("paper"):
            c["paper"] = g["paper"]
        claims.append(c)
    verdicts = verify_claims(
        store, settings, claims, papers or [], use_embeddings=use_embeddings, progress=progress
    )
    labels = [normalize_label(g["label"]) for g in gold]
    two_way = all("evidence" in g for g in gold) and "not_enough_info" not in labels
    return score(labels, verdicts, two_way=two_way), verdicts
