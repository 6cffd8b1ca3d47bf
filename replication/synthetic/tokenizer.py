"""The synthetic world's tokenizer: an XLM-R-shaped Unigram model estimated on the world's MLM corpus.

Why not `replication.tiny.build_tokenizer`: the `tokenizers` UnigramTrainer seeds its pieces from the *distinct*
words of a corpus, so on a world of a few hundred word types it drops whole words and splits even "the" into
letters (measured: "the" -> "▁ t h e", 29 pieces per sentence). SentencePiece's EM on such a corpus converges to
whole-word pieces with their relative frequencies, which is what this module estimates directly: every word type
of the corpus is a piece (with the Metaspace "▁" prefix) scored by its log frequency, and every character is a
low-scored fallback piece, so unseen words still encode without <unk>. The result has XLM-R's special tokens,
templates and Metaspace pre-tokenizer (the same shape as `replication.tiny.build_tokenizer`) and is saved as a
``PreTrainedTokenizerFast`` folder.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from replication.tiny import SPECIAL_TOKENS

META = "\u2581"


def train_unigram(texts: Iterable[str], out_dir: str | Path, min_count: int = 1) -> Any:
    """Estimate a whole-word Unigram tokenizer on ``texts`` and save it to ``out_dir``; return it loaded."""
    from tokenizers import Tokenizer, decoders, models, normalizers, pre_tokenizers, processors
    from transformers import PreTrainedTokenizerFast

    words: Counter[str] = Counter()
    chars: Counter[str] = Counter()
    for text in texts:
        for w in text.split():
            words[META + w] += 1
            chars.update(w)
    if not words:
        raise ValueError("train_unigram needs at least one non-empty text")
    total = sum(words.values())
    pieces: list[tuple[str, float]] = [(t, 0.0) for t in SPECIAL_TOKENS]
    pieces += [(w, math.log(c / total)) for w, c in sorted(words.items(), key=lambda kv: (-kv[1], kv[0]))
               if c >= min_count]  # fmt: skip
    floor = math.log(1 / total) - 10.0  # characters only when no whole word matches
    have = {p for p, _ in pieces}
    pieces += [(p, floor) for p in [META, *sorted(chars)] if p not in have]
    tok = Tokenizer(models.Unigram(pieces, unk_id=SPECIAL_TOKENS.index("<unk>")))
    tok.normalizer = normalizers.NFKC()
    tok.pre_tokenizer = pre_tokenizers.Metaspace(replacement=META, prepend_scheme="always")
    tok.decoder = decoders.Metaspace(replacement=META, prepend_scheme="always")
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
