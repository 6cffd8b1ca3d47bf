"""Encoders, task heads and featurisation: turn examples of every format into tensors and logits.

- :func:`load_encoder` loads any transformers encoder by hub name or local path with SDPA attention.
- One head class per format (pair classification, multiple choice, span, tagging, MLM); :class:`MultiTaskModel`
  holds one shared encoder and a fresh head per task, so heads are re-initialised whenever a phase starts.
- ``featurize_*`` turn examples into feature dicts of plain lists (input ids and labels; QA windows keep their
  offset mappings for span post-processing); :func:`collate` pads a batch to its own longest sequence.

This module imports torch at module level: import it only inside functions of anything the CLI loads.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import torch
from torch import nn

from replication.errors import ReplicationError
from replication.tasks.formats import (
    ChoiceExample,
    Format,
    PairExample,
    QAExample,
    TaggingExample,
    TextExample,
)

IGNORE = -100


# ---------------------------------------------------------------------------------------------------------------
# loading


def load_tokenizer(name_or_path: str) -> Any:
    from transformers import AutoTokenizer

    try:
        return AutoTokenizer.from_pretrained(name_or_path)
    except (OSError, ValueError) as exc:
        raise ReplicationError(
            f"cannot load the tokenizer of {name_or_path!r} ({str(exc).splitlines()[0][:200]}); "
            "give a hub name (needs the network or a filled HF cache) or a local model folder"
        ) from None


def load_encoder(name_or_path: str, dtype: torch.dtype | None = None) -> nn.Module:
    """A transformers encoder (no task head, no pooler) with SDPA attention, by hub name or local path."""
    from transformers import AutoModel
    from transformers.utils import logging as hf_logging

    verbosity = hf_logging.get_verbosity()
    hf_logging.set_verbosity_error()  # the "unexpected lm_head weights" load report is expected, not news
    try:
        kwargs: dict[str, Any] = {"attn_implementation": "sdpa"}
        if dtype is not None:
            kwargs["dtype"] = dtype
        try:
            return AutoModel.from_pretrained(name_or_path, add_pooling_layer=False, **kwargs)
        except TypeError:
            return AutoModel.from_pretrained(name_or_path, **kwargs)
    except (OSError, ValueError) as exc:
        raise ReplicationError(
            f"cannot load the encoder {name_or_path!r} ({str(exc).splitlines()[0][:200]}); "
            "give a hub name (needs the network or a filled HF cache) or a local model folder"
        ) from None
    finally:
        hf_logging.set_verbosity(verbosity)


def hidden_size(encoder: nn.Module) -> int:
    return int(encoder.config.hidden_size)


# ---------------------------------------------------------------------------------------------------------------
# heads


def _init(module: nn.Module, std: float = 0.02) -> None:
    for m in module.modules():
        if isinstance(m, nn.Linear):
            nn.init.normal_(m.weight, std=std)
            if m.bias is not None:
                nn.init.zeros_(m.bias)
        elif isinstance(m, nn.LayerNorm):
            nn.init.ones_(m.weight)
            nn.init.zeros_(m.bias)


class PairClassificationHead(nn.Module):
    """RoBERTa's classification head on the first token (<s>): dense, tanh, projection."""

    def __init__(self, hidden: int, num_labels: int, dropout: float = 0.1):
        super().__init__()
        self.dropout = nn.Dropout(dropout)
        self.dense = nn.Linear(hidden, hidden)
        self.out = nn.Linear(hidden, num_labels)
        _init(self)

    def forward(self, states: torch.Tensor) -> torch.Tensor:
        x = self.dropout(states[:, 0])
        x = torch.tanh(self.dense(x))
        return self.out(self.dropout(x))


class MultipleChoiceHead(nn.Module):
    """One score per (context, question + choice) sequence from its first token; logits are (batch, choices)."""

    def __init__(self, hidden: int, dropout: float = 0.1):
        super().__init__()
        self.dropout = nn.Dropout(dropout)
        self.dense = nn.Linear(hidden, hidden)
        self.out = nn.Linear(hidden, 1)
        _init(self)

    def forward(self, states: torch.Tensor, num_choices: int) -> torch.Tensor:
        x = torch.tanh(self.dense(self.dropout(states[:, 0])))
        return self.out(self.dropout(x)).view(-1, num_choices)


class SpanHead(nn.Module):
    """Start and end logits for every token (extractive QA)."""

    def __init__(self, hidden: int):
        super().__init__()
        self.out = nn.Linear(hidden, 2)
        _init(self)

    def forward(self, states: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        start, end = self.out(states).unbind(dim=-1)
        return start, end


class TaggingHead(nn.Module):
    """Label logits for every token; training labels only the first sub-word of each word."""

    def __init__(self, hidden: int, num_labels: int, dropout: float = 0.1):
        super().__init__()
        self.dropout = nn.Dropout(dropout)
        self.out = nn.Linear(hidden, num_labels)
        _init(self)

    def forward(self, states: torch.Tensor) -> torch.Tensor:
        return self.out(self.dropout(states))


class MLMHead(nn.Module):
    """XLM-R's LM head (dense, GELU, LayerNorm, decoder tied to the input embeddings)."""

    def __init__(self, hidden: int, embeddings: nn.Embedding, eps: float = 1e-5):
        super().__init__()
        self.dense = nn.Linear(hidden, hidden)
        self.norm = nn.LayerNorm(hidden, eps=eps)
        self.bias = nn.Parameter(torch.zeros(embeddings.num_embeddings))
        _init(self)
        self._embeddings = [embeddings]  # a list, so the tied weight is not registered twice

    def forward(self, states: torch.Tensor) -> torch.Tensor:
        x = self.norm(nn.functional.gelu(self.dense(states)))
        return nn.functional.linear(x, self._embeddings[0].weight, self.bias)


@dataclass(frozen=True)
class HeadSpec:
    """What a task needs from the model: its format and label count (choices for multiple choice)."""

    task: str
    format: str
    num_labels: int = 0


class MultiTaskModel(nn.Module):
    """A shared encoder with one freshly initialised head per task."""

    def __init__(self, encoder: nn.Module, heads: Sequence[HeadSpec], seed: int = 0):
        super().__init__()
        self.encoder = encoder
        self.specs = {h.task: h for h in heads}
        hidden = hidden_size(encoder)
        modules: dict[str, nn.Module] = {}
        state = torch.random.get_rng_state()
        torch.manual_seed(seed)  # the heads' initialisation depends on the seed only, not on what ran before
        try:
            for h in heads:
                modules[_key(h.task)] = _make_head(h, hidden, encoder)
        finally:
            torch.random.set_rng_state(state)
        self.heads = nn.ModuleDict(modules)

    def encode(self, batch: dict[str, torch.Tensor], output_hidden_states: bool = False) -> Any:
        return self.encoder(
            input_ids=batch["input_ids"],
            attention_mask=attention_mask_for(batch["attention_mask"]),
            output_hidden_states=output_hidden_states,
            return_dict=True,
        )

    def forward(self, task: str, batch: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
        """Logits (and the loss when the batch has labels) of one task on one batch."""
        spec = self.specs[task]
        head = self.heads[_key(task)]
        fmt = spec.format
        if fmt == Format.MULTIPLE_CHOICE:
            b, c, n = batch["input_ids"].shape
            flat = {k: batch[k].view(b * c, n) for k in ("input_ids", "attention_mask")}
            states = self.encode(flat).last_hidden_state
            logits = head(states, c)
        else:
            states = self.encode(batch).last_hidden_state
            logits = head(states)
        out: dict[str, torch.Tensor] = {}
        if fmt == Format.EXTRACTIVE_QA:
            out["start_logits"], out["end_logits"] = logits
            if "start_positions" in batch:
                ce = nn.functional.cross_entropy
                start, end = logits
                out["loss"] = (
                    ce(start.float(), batch["start_positions"]) + ce(end.float(), batch["end_positions"])
                ) / 2
            return out
        out["logits"] = logits
        if "labels" in batch:
            flat_logits = logits.float().reshape(-1, logits.shape[-1])
            out["loss"] = nn.functional.cross_entropy(
                flat_logits, batch["labels"].reshape(-1), ignore_index=IGNORE
            )
        return out


def attention_mask_for(mask: torch.Tensor) -> torch.Tensor:
    """The padding mask as the encoder should get it: on CUDA, already 4-D (batch, 1, 1, keys; True = attend).

    transformers turns a 2-D mask into a 4-D one itself, but first asks ``mask.all()`` to drop masks without padding,
    which on a GPU is a host sync in every forward pass: the CPU then waits for the GPU instead of queueing the next
    kernels. A 4-D mask is passed through as is, and SDPA broadcasts it over heads and queries. On the CPU the 2-D
    mask goes in unchanged, so CPU results stay bit-identical to the plain transformers path.
    """
    if mask.is_cuda and mask.dim() == 2:
        return mask.bool()[:, None, None, :]
    return mask


def _key(task: str) -> str:
    return task.replace(".", "_")  # ModuleDict keys cannot contain dots


def _make_head(h: HeadSpec, hidden: int, encoder: nn.Module) -> nn.Module:
    fmt = h.format
    if fmt == Format.PAIR_CLASSIFICATION:
        return PairClassificationHead(hidden, h.num_labels)
    if fmt == Format.MULTIPLE_CHOICE:
        return MultipleChoiceHead(hidden)
    if fmt == Format.EXTRACTIVE_QA:
        return SpanHead(hidden)
    if fmt == Format.TOKEN_TAGGING:
        return TaggingHead(hidden, h.num_labels)
    if fmt == Format.MLM:
        return MLMHead(
            hidden, encoder.get_input_embeddings(), eps=getattr(encoder.config, "layer_norm_eps", 1e-5)
        )
    raise ReplicationError(f"task {h.task!r}: format {fmt} has no trainable head")


# ---------------------------------------------------------------------------------------------------------------
# featurisation: examples -> feature dicts of plain lists


def featurize_pairs(examples: Sequence[PairExample], tokenizer: Any, max_length: int) -> list[dict]:
    if not examples:
        return []
    enc = tokenizer(
        [e.text_a for e in examples], [e.text_b for e in examples], truncation=True, max_length=max_length
    )
    return [
        {"input_ids": ids, "labels": int(e.label), "example_id": e.id}
        for ids, e in zip(enc["input_ids"], examples, strict=True)
    ]


def featurize_choices(examples: Sequence[ChoiceExample], tokenizer: Any, max_length: int) -> list[dict]:
    feats = []
    for e in examples:
        first = [e.context] * len(e.choices)
        second = [f"{e.question} {c}".strip() for c in e.choices]
        enc = tokenizer(first, second, truncation="only_first", max_length=max_length)
        if not all(len(ids) <= max_length for ids in enc["input_ids"]):  # the choice alone is too long
            enc = tokenizer(first, second, truncation=True, max_length=max_length)
        feats.append({"input_ids": enc["input_ids"], "labels": int(e.label), "example_id": e.id})
    return feats


def featurize_tagging(
    examples: Sequence[TaggingExample], tokenizer: Any, max_length: int, label_ids: dict[str, int]
) -> list[dict]:
    """Label the first sub-word of each word; ``n_words`` and ``word_index`` let predictions map back to words."""
    if not examples:
        return []
    enc = tokenizer([list(e.tokens) for e in examples], is_split_into_words=True, truncation=True,
                    max_length=max_length)  # fmt: skip
    feats = []
    for i, e in enumerate(examples):
        word_ids = enc.word_ids(i)
        labels, first = [], []
        prev = None
        for pos, w in enumerate(word_ids):
            if w is None or w == prev:
                labels.append(IGNORE)
            else:
                tag = e.tags[w] if w < len(e.tags) else None
                labels.append(label_ids.get(tag, IGNORE) if tag is not None else IGNORE)
                first.append((pos, w))
            prev = w
        feats.append({
            "input_ids": enc["input_ids"][i], "labels": labels, "example_id": e.id,
            "first_subwords": first, "n_words": len(e.tokens),
        })  # fmt: skip
    return feats


def featurize_qa(
    examples: Sequence[QAExample],
    tokenizer: Any,
    max_length: int,
    doc_stride: int,
    max_query_length: int,
    training: bool,
) -> list[dict]:
    """Doc-stride windows over each context (question first, then a context window), as XTREME/BERT make them.

    ``doc_stride`` is the step in tokens between the starts of neighbouring windows (BERT's and XTREME's meaning;
    transformers' tokenizer ``stride`` is the overlap, max_length - doc_stride - query - specials). Each window
    keeps ``offsets`` (character spans into the context; None for non-context tokens) and, for training, the
    start/end token of the first gold answer (0 = <s> when the answer is not inside the window).
    """
    if not examples:
        return []
    specials = tokenizer.num_special_tokens_to_add(pair=True)
    feats = []
    for e in examples:
        question = _truncate_query(e.question, tokenizer, max_query_length)
        q_len = len(tokenizer(question, add_special_tokens=False)["input_ids"])
        room = max(1, max_length - q_len - specials)  # context tokens per window
        overlap = min(max(0, room - doc_stride), room - 1)
        enc = tokenizer(
            question,
            e.context,
            truncation="only_second",
            max_length=max_length,
            stride=overlap,
            return_overflowing_tokens=True,
            return_offsets_mapping=True,
        )
        for i in range(len(enc["input_ids"])):
            seq_ids = enc.sequence_ids(i)
            offsets = [
                tuple(o) if s == 1 else None for o, s in zip(enc["offset_mapping"][i], seq_ids, strict=True)
            ]
            feat: dict[str, Any] = {"input_ids": enc["input_ids"][i], "example_id": e.id, "offsets": offsets}
            if training:
                feat["start_positions"], feat["end_positions"] = _answer_tokens(e, offsets)
            feats.append(feat)
    return feats


def _answer_tokens(e: QAExample, offsets: list) -> tuple[int, int]:
    """Start and end token of the first gold answer inside this window, (0, 0) when it is not inside."""
    if not (e.answers and e.answer_starts):
        return 0, 0
    a0 = e.answer_starts[0]
    a1 = a0 + len(e.answers[0])
    ctx = [j for j, o in enumerate(offsets) if o is not None]
    if not ctx or offsets[ctx[0]][0] > a0 or offsets[ctx[-1]][1] < a1:
        return 0, 0
    start = next(j for j in ctx if offsets[j][1] > a0)
    end = next(j for j in reversed(ctx) if offsets[j][0] < a1)
    return start, end


def _truncate_query(question: str, tokenizer: Any, max_query_length: int) -> str:
    enc = tokenizer(question, add_special_tokens=False, return_offsets_mapping=True)
    if len(enc["input_ids"]) <= max_query_length:
        return question
    return question[: enc["offset_mapping"][max_query_length - 1][1]]


def featurize_text(examples: Sequence[TextExample], tokenizer: Any, max_length: int) -> list[dict]:
    if not examples:
        return []
    enc = tokenizer([e.text for e in examples], truncation=True, max_length=max_length)
    return [{"input_ids": ids, "example_id": e.id} for ids, e in zip(enc["input_ids"], examples, strict=True)]


def featurize(
    fmt: str,
    examples: Sequence[Any],
    tokenizer: Any,
    hp: Any,
    training: bool,
    label_ids: dict[str, int] | None = None,
) -> list[dict]:
    """Features for one task's examples with the phase's hyperparameters (max_seq_length, doc_stride, ...)."""
    if fmt == Format.PAIR_CLASSIFICATION:
        return featurize_pairs(examples, tokenizer, hp.max_seq_length)
    if fmt == Format.MULTIPLE_CHOICE:
        return featurize_choices(examples, tokenizer, hp.max_seq_length)
    if fmt == Format.TOKEN_TAGGING:
        return featurize_tagging(examples, tokenizer, hp.max_seq_length, label_ids or {})
    if fmt == Format.EXTRACTIVE_QA:
        return featurize_qa(
            examples, tokenizer, hp.max_seq_length, hp.doc_stride, hp.max_query_length, training
        )
    if fmt in (Format.MLM, Format.RETRIEVAL):
        return featurize_text(examples, tokenizer, hp.max_seq_length)
    raise ReplicationError(f"no featurisation for format {fmt}")


def feature_length(feature: dict) -> int:
    ids = feature["input_ids"]
    return max(len(x) for x in ids) if ids and isinstance(ids[0], list) else len(ids)


def feature_tokens(feature: dict) -> int:
    ids = feature["input_ids"]
    return sum(len(x) for x in ids) if ids and isinstance(ids[0], list) else len(ids)


# ---------------------------------------------------------------------------------------------------------------
# batching


def collate(features: Sequence[dict], pad_id: int, pad_to_multiple: int = 1) -> dict[str, torch.Tensor]:
    """Pad a batch to its longest sequence (rounded up to ``pad_to_multiple``); labels padded with -100."""
    longest = max(feature_length(f) for f in features)
    longest = int(math.ceil(longest / pad_to_multiple) * pad_to_multiple)
    choice = isinstance(features[0]["input_ids"][0], list)
    rows = [f["input_ids"] for f in features]
    if choice:
        n_choices = max(len(r) for r in rows)
        if any(len(r) != n_choices for r in rows):
            raise ReplicationError("multiple-choice examples in one batch have different numbers of choices")
        ids = torch.full((len(rows), n_choices, longest), pad_id, dtype=torch.long)
        for i, r in enumerate(rows):
            for j, seq in enumerate(r):
                ids[i, j, : len(seq)] = torch.tensor(seq, dtype=torch.long)
    else:
        ids = torch.full((len(rows), longest), pad_id, dtype=torch.long)
        for i, seq in enumerate(rows):
            ids[i, : len(seq)] = torch.tensor(seq, dtype=torch.long)
    mask = torch.zeros_like(ids)  # from lengths, not from ids == pad (the pad id may occur as a real token)
    for i, r in enumerate(rows):
        if choice:
            for j, seq in enumerate(r):
                mask[i, j, : len(seq)] = 1
        else:
            mask[i, : len(r)] = 1
    batch = {"input_ids": ids, "attention_mask": mask}
    first = features[0]
    if "labels" in first:
        if isinstance(first["labels"], list):
            labels = torch.full((len(rows), longest), IGNORE, dtype=torch.long)
            for i, f in enumerate(features):
                labels[i, : len(f["labels"])] = torch.tensor(f["labels"], dtype=torch.long)
            batch["labels"] = labels
        else:
            batch["labels"] = torch.tensor([f["labels"] for f in features], dtype=torch.long)
    if "start_positions" in first:
        batch["start_positions"] = torch.tensor([f["start_positions"] for f in features], dtype=torch.long)
        batch["end_positions"] = torch.tensor([f["end_positions"] for f in features], dtype=torch.long)
    return batch


def mask_tokens(
    batch: dict[str, torch.Tensor], tokenizer: Any, probability: float, generator: torch.Generator
) -> dict[str, torch.Tensor]:
    """BERT masking (80% <mask>, 10% random, 10% kept) of non-special, non-pad tokens; labels elsewhere -100."""
    ids = batch["input_ids"].clone()
    special = torch.zeros_like(ids, dtype=torch.bool)
    for sid in set(tokenizer.all_special_ids):
        special |= ids == sid
    candidates = (~special) & batch["attention_mask"].bool()
    chosen = (torch.rand(ids.shape, generator=generator) < probability) & candidates
    labels = torch.where(chosen, ids, torch.full_like(ids, IGNORE))
    roll = torch.rand(ids.shape, generator=generator)
    ids[chosen & (roll < 0.8)] = tokenizer.mask_token_id
    random_ids = torch.randint(len(tokenizer), ids.shape, generator=generator)
    swap = chosen & (roll >= 0.8) & (roll < 0.9)
    ids[swap] = random_ids[swap]
    return {"input_ids": ids, "attention_mask": batch["attention_mask"], "labels": labels}


def mean_pooled(
    hidden_states: Sequence[torch.Tensor], mask: torch.Tensor, layer: int, pooling: str
) -> torch.Tensor:
    """Sentence embeddings from ``hidden_states[layer]`` (0 = embeddings): mask-aware mean or the first token."""
    if not -len(hidden_states) <= layer < len(hidden_states):
        raise ReplicationError(
            f"retrieval layer {layer} does not exist: the model has hidden_states[0..{len(hidden_states) - 1}]"
        )
    h = hidden_states[layer].float()
    if pooling == "cls":
        return h[:, 0]
    m = mask.unsqueeze(-1).to(h.dtype)
    return (h * m).sum(1) / m.sum(1).clamp(min=1.0)
