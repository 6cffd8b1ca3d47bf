"""Encoders, heads and featurisation on a tiny local XLM-R-shaped model and a locally trained tokenizer."""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")

from toy_tasks import one_thread  # noqa: E402, F401

from replication.models import (  # noqa: E402
    IGNORE,
    HeadSpec,
    MultiTaskModel,
    collate,
    featurize,
    featurize_qa,
    featurize_tagging,
    load_encoder,
    load_tokenizer,
    mask_tokens,
    mean_pooled,
)
from replication.plan import Hyperparameters  # noqa: E402
from replication.tasks.formats import ChoiceExample, PairExample, QAExample, TaggingExample  # noqa: E402
from replication.tiny import build_tiny  # noqa: E402


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    path = build_tiny(tmp_path_factory.mktemp("tiny"), hidden=32, layers=2, heads=2, max_length=64)
    return load_tokenizer(str(path)), path


def test_encoder_loads_by_path_with_sdpa_and_no_pooler(tiny):
    tok, path = tiny
    enc = load_encoder(str(path))
    assert enc.config._attn_implementation == "sdpa"
    assert not any(n.startswith("pooler") for n, _ in enc.named_parameters())
    assert tok.pad_token_id == 1 and tok.mask_token_id == 4 and tok.cls_token_id == 0


def test_missing_model_is_a_clear_error(tmp_path):
    from replication.errors import ReplicationError

    with pytest.raises(ReplicationError, match="cannot load the tokenizer"):
        load_tokenizer(str(tmp_path / "nowhere"))


def test_tagging_labels_first_subword_only(tiny):
    tok, _ = tiny
    ex = TaggingExample("s1", ["the", "biggest", "dog", "chases"], ["DET", "ADJ", "NOUN", "VERB"])
    ids = {"DET": 0, "ADJ": 1, "NOUN": 2, "VERB": 3}
    (f,) = featurize_tagging([ex], tok, 64, ids)
    enc = tok(ex.tokens, is_split_into_words=True)
    word_ids = enc.word_ids()
    labelled = [i for i, lab in enumerate(f["labels"]) if lab != IGNORE]
    # exactly one label per word, on its first sub-word, in word order
    assert [word_ids[i] for i in labelled] == [0, 1, 2, 3]
    assert [f["labels"][i] for i in labelled] == [0, 1, 2, 3]
    assert all(word_ids[i - 1] != word_ids[i] for i in labelled)
    assert f["first_subwords"] == [(i, word_ids[i]) for i in labelled]


def test_qa_windows_cover_the_answer_with_offsets(tiny):
    tok, _ = tiny
    context = (
        " ".join(f"w{i} dog" for i in range(40))
        + " the red ball is here "
        + " ".join("cat" for _ in range(30))
    )
    answer = "red ball"
    ex = QAExample("q1", context, "where is the ball ?", [answer], [context.index(answer)])
    feats = featurize_qa([ex], tok, max_length=48, doc_stride=16, max_query_length=8, training=True)
    assert len(feats) > 2  # long context: several overlapping windows
    inside = [f for f in feats if f["start_positions"] > 0]
    assert inside, "some window must contain the answer"
    for f in inside:
        s, e = f["start_positions"], f["end_positions"]
        text = context[f["offsets"][s][0] : f["offsets"][e][1]]
        assert text.strip() == answer
    for f in feats:
        assert len(f["input_ids"]) <= 48
        assert f["offsets"][0] is None  # <s> is not context
        if f["start_positions"] == 0:
            assert f["end_positions"] == 0
    # doc_stride is the step between window starts (XTREME/BERT), not the overlap
    spans = [[o for o in f["offsets"] if o is not None] for f in feats]
    for a, b in zip(spans, spans[1:-1], strict=False):
        assert b[0] == a[16], "the next window starts doc_stride (16) context tokens later"


def test_long_query_is_truncated(tiny):
    tok, _ = tiny
    ex = QAExample("q", "the dog is red", " ".join(["who"] * 50), ["red"], [11])
    (f,) = featurize_qa([ex], tok, max_length=32, doc_stride=8, max_query_length=5, training=True)
    assert f["start_positions"] > 0


def test_every_format_trains_a_step(tiny):
    tok, path = tiny
    hp = Hyperparameters(max_seq_length=32)
    data = {
        "pair": (
            "pair_classification",
            [PairExample("a", "the dog", "a cat", 1), PairExample("b", "x", "y", 0)],
            2,
        ),
        "mc": (
            "multiple_choice",
            [ChoiceExample("c", "the dog eats", "what ?", ["bread", "stone", "cup"], 0)] * 2,
            3,
        ),
        "tag": ("token_tagging", [TaggingExample("t", ["the", "dog"], ["DET", "NOUN"])] * 2, 2),
        "qa": ("extractive_qa", [QAExample("q", "the dog is red", "who ?", ["dog"], [4])] * 2, 0),
    }
    heads = [HeadSpec(name, fmt, n) for name, (fmt, _, n) in data.items()] + [HeadSpec("mlm", "mlm")]
    model = MultiTaskModel(load_encoder(str(path)), heads, seed=0)
    for name, (fmt, examples, _) in data.items():
        feats = featurize(fmt, examples, tok, hp, True, {"DET": 0, "NOUN": 1})
        batch = collate(feats, tok.pad_token_id)
        out = model(name, batch)
        assert torch.isfinite(out["loss"]), name
        out["loss"].backward()
        if fmt == "multiple_choice":
            assert out["logits"].shape == (2, 3)
        if fmt == "extractive_qa":
            assert out["start_logits"].shape == batch["input_ids"].shape
    text = collate(
        featurize("mlm", [], tok, hp, True) or [{"input_ids": tok("the dog is red")["input_ids"]}],
        tok.pad_token_id,
    )
    masked = mask_tokens(text, tok, 0.5, torch.Generator().manual_seed(0))
    out = model("mlm", masked)
    assert out["logits"].shape[-1] == len(tok)
    # the MLM decoder is tied to the input embeddings, not a second copy
    assert sum(p.numel() for n, p in model.named_parameters() if "heads.mlm" in n) < len(tok) * 32


def test_heads_depend_on_seed_only(tiny):
    _, path = tiny
    enc = load_encoder(str(path))
    a = MultiTaskModel(enc, [HeadSpec("p", "pair_classification", 3)], seed=5)
    torch.rand(100)  # global RNG use in between must not matter
    b = MultiTaskModel(enc, [HeadSpec("p", "pair_classification", 3)], seed=5)
    c = MultiTaskModel(enc, [HeadSpec("p", "pair_classification", 3)], seed=6)
    wa, wb, wc = (m.heads["p"].out.weight for m in (a, b, c))
    assert torch.equal(wa, wb) and not torch.equal(wa, wc)


def test_collate_pads_dynamically_and_masks(tiny):
    tok, _ = tiny
    feats = [
        {"input_ids": [0, 5, 6, 2], "labels": [IGNORE, 1, 2, IGNORE]},
        {"input_ids": [0, 7, 2], "labels": [IGNORE, 3, IGNORE]},
    ]
    b = collate(feats, tok.pad_token_id)
    assert b["input_ids"].shape == (2, 4)  # the batch's longest, not a global maximum
    assert b["attention_mask"].tolist() == [[1, 1, 1, 1], [1, 1, 1, 0]]
    assert b["labels"][1].tolist() == [IGNORE, 3, IGNORE, IGNORE]
    assert collate(feats, tok.pad_token_id, pad_to_multiple=8)["input_ids"].shape == (2, 8)


def test_mask_tokens_never_masks_specials_or_padding(tiny):
    tok, _ = tiny
    feats = [
        {"input_ids": tok("the big dog chases the small cat")["input_ids"]},
        {"input_ids": tok("a")["input_ids"]},
    ]
    b = collate(feats, tok.pad_token_id)
    m = mask_tokens(b, tok, 1.0, torch.Generator().manual_seed(1))
    special = torch.isin(b["input_ids"], torch.tensor(tok.all_special_ids))
    assert (m["labels"][special] == IGNORE).all()
    assert (
        m["labels"][~special] == b["input_ids"][~special]
    ).all()  # probability 1: every real token is a target


def test_mean_pooling_ignores_padding_and_checks_layer():
    from replication.errors import ReplicationError

    h = [torch.zeros(2, 3, 4), torch.arange(24, dtype=torch.float).view(2, 3, 4)]
    mask = torch.tensor([[1, 1, 0], [1, 1, 1]])
    pooled = mean_pooled(h, mask, 1, "mean")
    assert torch.allclose(pooled[0], h[1][0, :2].mean(0))
    assert torch.allclose(pooled[1], h[1][1].mean(0))
    assert torch.equal(mean_pooled(h, mask, 1, "cls"), h[1][:, 0])
    with pytest.raises(ReplicationError, match="retrieval layer 14 does not exist"):
        mean_pooled(h, mask, 14, "mean")


@pytest.mark.gpu
def test_cuda_4d_padding_mask_gives_the_2d_mask_results(tmp_path):
    """attention_mask_for hands the encoder a ready 4-D mask on CUDA (no host sync in transformers' mask check);
    the hidden states of real tokens must equal those of the plain 2-D mask path."""
    import toy_tasks

    from replication.models import attention_mask_for, load_encoder, load_tokenizer

    path = toy_tasks.build_model(tmp_path)
    tok = load_tokenizer(str(path))
    enc = load_encoder(str(path)).cuda().eval()
    batch = tok(["a short one", "a rather longer sentence with more words in it"], padding=True,
                return_tensors="pt")  # fmt: skip
    ids, mask = batch["input_ids"].cuda(), batch["attention_mask"].cuda()
    assert attention_mask_for(mask).shape == (2, 1, 1, ids.shape[1])
    assert attention_mask_for(mask.cpu()).dim() == 2
    with torch.no_grad():
        plain = enc(input_ids=ids, attention_mask=mask).last_hidden_state
        ready = enc(input_ids=ids, attention_mask=attention_mask_for(mask)).last_hidden_state
    keep = mask.bool()
    assert torch.allclose(plain[keep], ready[keep], atol=1e-5)
