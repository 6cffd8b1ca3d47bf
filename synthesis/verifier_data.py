"""Training and evaluation pairs for the verifier: (claim, evidence, label) from the public sets and from real papers.

Labels are ``supported``, ``refuted``, ``not_enough_info`` or, for the two-label RTE sets, ``not_supported`` (trained
against p(refuted) + p(not_enough_info); no class is invented). Every pair carries its ``source`` (data set name)
and ``split``:

- ``train``: may be trained on (the cross-encoder takes most of it; a fixed share is held back as ``calib`` for
  fitting the combiner and its calibration on outputs the cross-encoder never trained on);
- ``dev``: never trained on; figures are reported on it. Sets that ship a dev split use it as it is. Sets that
  ship one file only are cut by a stable hash of the claim (or its group): 70% train, 30% dev (``HELD_OUT``).
  COVID-Fact: even lines train, odd lines dev (never trained on). RTE-covidfact overlaps COVID-Fact, so it is
  not trained on at all, and its dev pairs whose claim is in the even half are dropped.

Nothing here downloads anything; ``data_root`` is the folder that holds ``verification/`` and ``covidfact/``.
"""

from __future__ import annotations

import csv
import glob
import hashlib
import json
import os
import re
from dataclasses import asdict, dataclass
from pathlib import Path

from synthesis.errors import AssayError

LABELS = ("supported", "refuted", "not_enough_info")
TWO_WAY = "not_supported"
HELD_OUT = 0.30  # share of a one-file set kept for evaluation
CALIB_SHARE = 0.15  # share of the training groups kept back for the combiner and its calibration


@dataclass
class Pair:
    """One (claim, evidence) example with its gold label, origin and split."""

    claim: str
    evidence: str
    label: str
    source: str
    split: str
    group: str = ""

    def to_json(self) -> dict:
        return asdict(self)


def default_data_root() -> Path:
    """../shared/data beside the checkout, or $ASSAY_SHARED/data."""
    shared = os.environ.get("ASSAY_SHARED")
    base = Path(shared) if shared else Path(__file__).resolve().parents[2] / "shared"
    return base / "data"


def bucket(key: str) -> float:
    """A stable number in [0, 1) for a key: the basis of every hash split (no RNG, no order dependence)."""
    return int(hashlib.sha256(key.encode("utf-8")).hexdigest()[:12], 16) / 16**12


def hash_split(key: str, held_out: float = HELD_OUT) -> str:
    return "dev" if bucket("split:" + key) < held_out else "train"


def is_calib(pair: Pair) -> bool:
    """Training pairs kept back from the cross-encoder for the combiner (by group, so claims do not straddle)."""
    return pair.split == "train" and bucket("calib:" + (pair.group or pair.claim)) < CALIB_SHARE


_WS = re.compile(r"\s+")


def clean_text(text: str) -> str:
    return _WS.sub(" ", str(text)).strip()


def _pair(claim: str, evidence: str, label: str, source: str, split: str, group: str = "") -> Pair:
    return Pair(clean_text(claim), clean_text(evidence), label, source, split, group or clean_text(claim))


# ----------------------------------------------------------------------------------------------------------------
# One loader per public set


def load_covidfact(root: Path) -> list[Pair]:
    """COVID-Fact: even lines train, odd lines dev (the odd half is never trained on)."""
    out = []
    path = root / "covidfact" / "COVIDFACT_dataset.jsonl"
    with path.open(encoding="utf-8") as f:
        for i, line in enumerate(f):
            r = json.loads(line)
            label = "supported" if r["label"].upper().startswith("SUPPORT") else "refuted"
            out.append(
                _pair(
                    r["claim"],
                    " ".join(r.get("evidence") or []),
                    label,
                    "covidfact",
                    "train" if i % 2 == 0 else "dev",
                    group=f"covidfact-{i}",
                )
            )
    return out


def load_covidfact_rte_dev(root: Path, trained_claims: set[str]) -> list[Pair]:
    """RTE-covidfact dev pairs whose claim is not among the COVID-Fact lines trained on (an eval set only)."""
    out = []
    with (root / "verification" / "covidfact-rte" / "dev.tsv").open(encoding="utf-8") as f:
        for r in csv.DictReader(f, delimiter="\t", quoting=csv.QUOTE_NONE):
            claim = clean_text(r.get("Sentence2") or r.get("sentence2") or "")
            if not claim or claim in trained_claims:
                continue
            gold = (r.get("label") or r.get("entailment") or "").strip()
            label = "supported" if gold == "entailment" else TWO_WAY
            out.append(_pair(claim, r["sentence1"], label, "covidfact-rte", "dev"))
    return out


def load_scifact_rte(root: Path) -> list[Pair]:
    out = []
    with (root / "verification" / "scifact-rte" / "train.tsv").open(encoding="utf-8") as f:
        for r in csv.DictReader(f, delimiter="\t", quoting=csv.QUOTE_NONE):
            label = "supported" if r["entailment"].strip() == "entailment" else TWO_WAY
            claim = r["sentence2"]
            out.append(
                _pair(claim, r["sentence1"], label, "scifact-rte", hash_split("scifact:" + clean_text(claim)))
            )
    return out


def load_fever_rte(root: Path) -> list[Pair]:
    d = root / "verification" / "fever-rte"
    ev = (d / "dev.raw.input0").read_text(encoding="utf-8").splitlines()
    cl = (d / "dev.raw.input1").read_text(encoding="utf-8").splitlines()
    lab = (d / "dev.label").read_text(encoding="utf-8").splitlines()
    out = []
    for e, c, y in zip(ev, cl, lab, strict=True):
        label = "supported" if y.strip() == "entailment" else TWO_WAY
        out.append(_pair(c, e, label, "fever-rte", hash_split("fever:" + clean_text(c))))
    return out


_CC_LABEL = {"SUPPORT": "supported", "REFUTE": "refuted", "NOTENOUGHINFO": "not_enough_info"}


def load_check_covid(root: Path) -> list[Pair]:
    d = root / "verification" / "check-covid"
    corpus = {}
    with (d / "corpus.json").open(encoding="utf-8") as f:
        for line in f:
            if line.strip():
                r = json.loads(line)
                corpus[r["cord_id"]] = r["abstract"]
    out = []
    for split in ("train", "dev"):
        with (d / split / f"covidCheck_{split}_composed+extracted.json").open(encoding="utf-8") as f:
            for line in f:
                if not line.strip():
                    continue
                r = json.loads(line)
                abstract = corpus.get(r["cord_id"]) or []
                idx = sorted(
                    {e["sent_index"] for e in r.get("evidence_set") or [] if e["sent_index"] < len(abstract)}
                )
                if not idx:
                    continue
                evidence = " ".join(abstract[i] for i in idx)
                out.append(
                    _pair(
                        r["claim"],
                        evidence,
                        _CC_LABEL[r["label"]],
                        "check-covid",
                        split,
                        group=r["id"].rsplit("_", 1)[0],
                    )
                )
    return out


_HV_LABEL = {"supports": "supported", "refutes": "refuted", "neutral": "not_enough_info"}


def load_healthver(root: Path) -> list[Pair]:
    out = []
    with (root / "verification" / "healthver" / "healthver_dev.csv").open(encoding="utf-8") as f:
        for r in csv.DictReader(f):
            claim = r["claim"]
            out.append(
                _pair(
                    claim,
                    r["evidence"],
                    _HV_LABEL[r["label"].strip().lower()],
                    "healthver",
                    hash_split("healthver:" + clean_text(claim)),
                )
            )
    return out


_NLI_LABEL = {
    "e": "supported",
    "c": "refuted",
    "n": "not_enough_info",
    "entailment": "supported",
    "contradiction": "refuted",
    "neutral": "not_enough_info",
}


def load_anli(root: Path) -> list[Pair]:
    out = []
    for path in sorted(glob.glob(str(root / "verification" / "anli" / "ANLI_analysis_r*_dev.csv"))):
        with open(path, encoding="utf-8") as f:
            for r in csv.DictReader(f):
                out.append(
                    _pair(
                        r["statement"],
                        r["context"],
                        _NLI_LABEL[r["gold_label"].strip()],
                        "anli",
                        hash_split("anli:" + r["uid"]),
                        group=r["uid"],
                    )
                )
    return out


def load_sick(root: Path) -> list[Pair]:
    out = []
    with (root / "verification" / "sick" / "SICK.txt").open(encoding="utf-8") as f:
        for r in csv.DictReader(f, delimiter="\t", quoting=csv.QUOTE_NONE):
            a, b = r["sentence_A"], r["sentence_B"]
            out.append(
                _pair(
                    b,
                    a,
                    _NLI_LABEL[r["entailment_judgment"].strip().lower()],
                    "sick",
                    hash_split("sick:" + r["pair_ID"]),
                    group="sick-" + r["pair_ID"],
                )
            )
    return out


_CF_LABEL = {"SUPPORTS": "supported", "REFUTES": "refuted", "NOT_ENOUGH_INFO": "not_enough_info"}


def load_climate_fever(root: Path) -> list[Pair]:
    out = []
    with (root / "verification" / "climate-fever" / "climate-fever.jsonl").open(encoding="utf-8") as f:
        for line in f:
            r = json.loads(line)
            split = hash_split("climate:" + str(r["claim_id"]))
            for e in r["evidences"]:
                out.append(
                    _pair(
                        r["claim"],
                        e["evidence"],
                        _CF_LABEL[e["evidence_label"]],
                        "climate-fever",
                        split,
                        group="climate-" + str(r["claim_id"]),
                    )
                )
    return out


_VC_LABEL = {"supports": "supported", "refutes": "refuted", "not enough info": "not_enough_info"}


def load_vitaminc(root: Path) -> list[Pair]:
    out = []
    for path in sorted(glob.glob(str(root / "verification" / "vitaminc-sample" / "train_*.jsonl"))):
        with open(path, encoding="utf-8") as f:
            for line in f:
                r = json.loads(line)
                out.append(
                    _pair(
                        r["claim"],
                        r["evidence"],
                        _VC_LABEL[r["label"].strip().lower()],
                        "vitaminc",
                        hash_split("vitaminc:" + r["id"]),
                        group=r["id"],
                    )
                )
    return out


def _overlap_sentences(claim: str, sentences: list[str], k: int = 3) -> list[int]:
    words = set(re.findall(r"[a-z0-9]{3,}", claim.lower()))
    scored = sorted(
        range(len(sentences)),
        key=lambda i: -len(words & set(re.findall(r"[a-z0-9]{3,}", sentences[i].lower()))),
    )
    return sorted(scored[:k])


def load_wice(root: Path) -> list[Pair]:
    """WiCE: supported with its supporting sentences; partially / not supported are not enough info against the
    sentences that support part of it (or, if none, the three sentences sharing most words with the claim)."""
    out = []
    with (root / "verification" / "wice" / "claim_dev.jsonl").open(encoding="utf-8") as f:
        for n, line in enumerate(f):
            r = json.loads(line)
            sents = r["evidence"]
            idx = sorted(
                {i for group in r.get("supporting_sentences") or [] for i in group if i < len(sents)}
            )
            if not idx:
                idx = _overlap_sentences(r["claim"], sents)
            idx = idx[:6]
            label = "supported" if r["label"] == "supported" else "not_enough_info"
            out.append(
                _pair(
                    r["claim"],
                    " ".join(sents[i] for i in idx),
                    label,
                    "wice",
                    hash_split("wice:" + clean_text(r["claim"])),
                    group=f"wice-{n}",
                )
            )
    return out


def load_sem_tab_facts(root: Path) -> list[Pair]:
    """SEM-TAB-FACTS: each statement against its table linearised as text (caption, then a line per row), train and
    dev splits as published (:mod:`synthesis.semtabfacts` reads the XML)."""
    from synthesis.semtabfacts import iter_semtabfacts

    folder = root / "verification" / "sem-tab-facts"
    out = []
    for split in ("train", "dev"):
        try:
            rows = list(iter_semtabfacts(split, folder))
        except AssayError:  # the set is not there
            return []
        for r in rows:
            out.append(
                _pair(r.statement, r.evidence, r.label, "sem-tab-facts", split, group=f"stf-{r.document}")
            )
    return out


LOADERS = {
    "covidfact": load_covidfact,
    "scifact-rte": load_scifact_rte,
    "fever-rte": load_fever_rte,
    "check-covid": load_check_covid,
    "healthver": load_healthver,
    "anli": load_anli,
    "sick": load_sick,
    "climate-fever": load_climate_fever,
    "vitaminc": load_vitaminc,
    "wice": load_wice,
    "sem-tab-facts": load_sem_tab_facts,
}

# The files each set is read from (hashed into the model card).
FILES = {
    "covidfact": ["covidfact/COVIDFACT_dataset.jsonl"],
    "covidfact-rte": ["verification/covidfact-rte/dev.tsv"],
    "scifact-rte": ["verification/scifact-rte/train.tsv"],
    "fever-rte": [
        "verification/fever-rte/dev.raw.input0",
        "verification/fever-rte/dev.raw.input1",
        "verification/fever-rte/dev.label",
    ],
    "check-covid": [
        "verification/check-covid/corpus.json",
        "verification/check-covid/train/covidCheck_train_composed+extracted.json",
        "verification/check-covid/dev/covidCheck_dev_composed+extracted.json",
    ],
    "healthver": ["verification/healthver/healthver_dev.csv"],
    "anli": [f"verification/anli/ANLI_analysis_r{i}_dev.csv" for i in (1, 2, 3)],
    "sick": ["verification/sick/SICK.txt"],
    "climate-fever": ["verification/climate-fever/climate-fever.jsonl"],
    "vitaminc": [f"verification/vitaminc-sample/train_{i}.jsonl" for i in range(5)],
    "wice": ["verification/wice/claim_dev.jsonl"],
    "sem-tab-facts": [
        "verification/sem-tab-facts/train_manual_v1.3.2.zip",
        "verification/sem-tab-facts/dev_v1.1.zip",
    ],
}

# How each set's dev figures are obtained (for reports and the model card).
DEV_SOURCE = {
    "covidfact": "odd lines of COVIDFACT_dataset.jsonl (never trained on)",
    "covidfact-rte": "dev.tsv, minus claims among the COVID-Fact even lines trained on",
    "check-covid": "dev split as published",
    "sem-tab-facts": "dev split as published",
}


def dev_source(name: str) -> str:
    return DEV_SOURCE.get(name, "one published file: a 30% hash split by claim, never trained on")


def file_hashes(root: Path, names: list[str] | None = None) -> dict[str, str]:
    """sha256 of every data file the named sets read."""
    out = {}
    for name in names or list(FILES):
        for rel in FILES.get(name, []):
            p = root / rel
            if p.is_file():
                out[rel] = hashlib.sha256(p.read_bytes()).hexdigest()
    return out


def load_public(root: Path | None = None, names: list[str] | None = None) -> list[Pair]:
    """Every pair of the named public sets (all by default), with RTE-covidfact dev as an extra eval set."""
    root = Path(root or default_data_root())
    out: list[Pair] = []
    for name in names or list(LOADERS):
        if name == "covidfact-rte":
            continue
        out.extend(LOADERS[name](root))
    if names is None or "covidfact-rte" in names:
        trained = {
            p.claim
            for p in (out if names is None or "covidfact" in (names or []) else load_covidfact(root))
            if p.source == "covidfact" and p.split == "train"
        }
        out.extend(load_covidfact_rte_dev(root, trained))
    return out


def write_pairs(path: Path, pairs: list[Pair], meta: dict | None = None) -> None:
    """Pairs as gzip JSONL; the first line is the metadata (files and hashes), so a copy trains the same."""
    import gzip

    with gzip.open(path, "wt", encoding="utf-8") as f:
        f.write(json.dumps({"meta": meta or {}}) + "\n")
        for p in pairs:
            f.write(json.dumps(p.to_json(), ensure_ascii=False) + "\n")


def read_pairs(path: Path) -> tuple[list[Pair], dict]:
    import gzip

    pairs, meta = [], {}
    with gzip.open(path, "rt", encoding="utf-8") as f:
        for n, line in enumerate(f):
            obj = json.loads(line)
            if n == 0 and "meta" in obj:
                meta = obj["meta"]
                continue
            pairs.append(Pair(**obj))
    return pairs, meta
