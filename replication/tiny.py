"""Small, real, local artifacts: a tokenizer trained on given texts and a tiny XLM-R-shaped model.

Tests, the synthetic world and CPU smoke runs use these instead of hub downloads. The tokenizer is a Unigram model
(trained, or whole words for small closed lexicons) with a Metaspace pre-tokenizer (the shape of XLM-R's SentencePiece), XLM-R's special tokens and its templates
(``<s> A </s>`` and ``<s> A </s></s> B </s>``), saved as a ``PreTrainedTokenizerFast`` folder; the model is an
``XLMRobertaForMaskedLM`` with random weights saved with ``save_pretrained`` next to it, so one folder loads with
both ``AutoTokenizer`` and ``AutoModel`` by local path.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable
from pathlib import Path
from typing import Any

SPECIAL_TOKENS = ("<s>", "<pad>", "</s>", "<unk>", "<mask>")  # ids 0..4; XLM-R order for the first four
META = "\u2581"  # SentencePiece's word-start marker


def build_tokenizer(
    texts: Iterable[str], vocab_size: int | None, out_dir: str | Path, *, whole_words: bool = False
) -> Any:
    """A Unigram tokenizer for ``texts``, saved as an XLM-R-style fast tokenizer in ``out_dir``; returns it loaded.

    Two ways to get the pieces:

    - default: the `tokenizers` UnigramTrainer (``vocab_size`` is an upper bound; a tiny corpus may give fewer);
    - ``whole_words=True``: every word type is a piece scored by its log frequency, every character a low-scored
      fallback (no <unk> for unseen words), ``vocab_size`` ignored. Use it for small closed lexicons such as the
      synthetic world's: the UnigramTrainer seeds its pieces from the *distinct* words of the corpus, so on a few
      hundred word types it drops whole words and splits even "the" into letters (measured: "the" -> "▁ t h e",
      29 pieces per sentence), whereas SentencePiece's EM on such a corpus converges to whole-word pieces with their
      relative frequencies, which is what this estimates directly.
    """
    from tokenizers import Tokenizer, models, trainers

    texts = [t for t in texts if t and t.strip()]
    if not texts:
        raise ValueError("build_tokenizer needs at least one non-empty text")
    if whole_words:
        tok = Tokenizer(models.Unigram(_whole_word_pieces(texts), unk_id=SPECIAL_TOKENS.index("<unk>")))
        _xlmr_shape(tok)
    else:
        if vocab_size is None:
            raise ValueError("build_tokenizer needs a vocab_size unless whole_words=True")
        tok = Tokenizer(models.Unigram())
        _xlmr_shape(tok)
        trainer = trainers.UnigramTrainer(
            vocab_size=max(vocab_size, len(SPECIAL_TOKENS) + 1),
            special_tokens=list(SPECIAL_TOKENS),
            unk_token="<unk>",
            shrinking_factor=0.75,
            max_piece_length=16,
        )
        tok.train_from_iterator(texts, trainer=trainer)
    return _save_fast(tok, out_dir)


def _whole_word_pieces(texts: list[str]) -> list[tuple[str, float]]:
    words: Counter[str] = Counter()
    chars: Counter[str] = Counter()
    for text in texts:
        for w in text.split():
            words[META + w] += 1
            chars.update(w)
    total = sum(words.values())
    pieces: list[tuple[str, float]] = [(t, 0.0) for t in SPECIAL_TOKENS]
    pieces += [(w, math.log(c / total)) for w, c in sorted(words.items(), key=lambda kv: (-kv[1], kv[0]))]
    floor = math.log(1 / total) - 10.0  # characters only when no whole word matches
    have = {p for p, _ in pieces}
    pieces += [(p, floor) for p in [META, *sorted(chars)] if p not in have]
    return pieces


def _xlmr_shape(tok: Any) -> None:
    """XLM-R's SentencePiece shape: NFKC, Metaspace pre-tokenizer and decoder."""
    from tokenizers import decoders, normalizers, pre_tokenizers

    tok.normalizer = normalizers.NFKC()
    tok.pre_tokenizer = pre_tokenizers.Metaspace(replacement=META, prepend_scheme="always")
    tok.decoder = decoders.Metaspace(replacement=META, prepend_scheme="always")


def _save_fast(tok: Any, out_dir: str | Path) -> Any:
    """XLM-R's templates and special tokens on a trained ``tokenizers.Tokenizer``; saved and returned as a fast
    tokenizer."""
    from tokenizers import processors
    from transformers import PreTrainedTokenizerFast

    bos, eos = tok.token_to_id("<s>"), tok.token_to_id("</s>")
    tok.post_processor = processors.TemplateProcessing(
        single="<s> $A </s>",
        pair="<s> $A </s> </s> $B </s>",
        special_tokens=[("<s>", bos), ("</s>", eos)],
    )
    fast = PreTrainedTokenizerFast(
        tokenizer_object=tok,
        bos_token="<s>",
        eos_token="</s>",
        sep_token="</s>",
        cls_token="<s>",
        unk_token="<unk>",
        pad_token="<pad>",
        mask_token="<mask>",
        model_max_length=512,
    )
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    fast.save_pretrained(str(out))
    return fast


def build_tiny_model(
    tokenizer: Any,
    out_dir: str | Path,
    hidden: int = 32,
    layers: int = 2,
    heads: int = 2,
    intermediate: int | None = None,
    max_length: int = 128,
    seed: int = 0,
) -> Path:
    """Save a randomly initialised XLM-R-shaped masked LM (and the tokenizer) to ``out_dir``; return the folder.

    ``max_length`` is the longest input in tokens (XLM-R adds 2 position slots for its padding offset).
    """
    import torch
    from transformers import XLMRobertaConfig, XLMRobertaForMaskedLM

    config = XLMRobertaConfig(
        vocab_size=len(tokenizer),
        hidden_size=hidden,
        num_hidden_layers=layers,
        num_attention_heads=heads,
        intermediate_size=intermediate or 4 * hidden,
        max_position_embeddings=max_length + 2,
        pad_token_id=tokenizer.pad_token_id,
        bos_token_id=tokenizer.bos_token_id,
        eos_token_id=tokenizer.eos_token_id,
        type_vocab_size=1,
    )
    state = torch.random.get_rng_state()
    torch.manual_seed(seed)
    try:
        model = XLMRobertaForMaskedLM(config)
    finally:
        torch.random.set_rng_state(state)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(str(out))
    tokenizer.save_pretrained(str(out))
    return out


SAMPLE_TEXTS = (
    "the big dog chases the small cat in the garden",
    "a young woman reads an old book by the river",
    "the farmer carries bread and apples to the city",
    "who finds the red ball near the house ?",
    "birds sing while the happy children play outside",
    "the king likes soup , the queen likes cake",
)


def build_tiny(
    out_dir: str | Path, texts: Iterable[str] = SAMPLE_TEXTS, vocab_size: int = 120, **model: Any
) -> Path:
    """Tokenizer and tiny model in one folder, for tests and smoke runs."""
    tok = build_tokenizer(list(texts), vocab_size, out_dir)
    return build_tiny_model(tok, out_dir, **model)
