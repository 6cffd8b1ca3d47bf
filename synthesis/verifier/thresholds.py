"""Every threshold of the rules in one place, each with what it means. Changing one changes the rules' features
and verdicts: refit the combiner (``python -m synthesis.fit_combiner``) after any change."""

LABELS = ("supported", "refuted", "not_enough_info")

MAX_CLAIM_CHARS = 1000  # longer text is not one claim; it is checked on its first sentences and flagged
T_SUPPORT = 0.62  # coverage of the claim's content needed to call a clean match support
T_SUPPORT_EMB = 0.45  # ... when the embedding similarity is also high
T_EMB = 0.80
T_REFUTE = 0.55  # coverage of the rest of the claim needed before a conflict refutes it
TOP_K = 8
MODEL_TOP_K = (
    4  # candidate units the cross-encoder reads per claim (each also with its neighbouring sentence)
)
SWAP_MAX = 3  # longest replaced span, in content tokens, on either side
SWAP_ANCHOR = 2  # matching tokens needed on each side of the replacement (3 when it sits at one end)
SWAP_MATCH = 0.7  # share of the rest of the claim's tokens that must align with the sentence
SWAP_CONTEXT = 5  # aligned words around the swap that make a close match on their own ...
SWAP_CLOSE = 0.8  # ... or else the share of the rest of the claim that must align
SWAP_EMB_SAME = 0.75  # embedding similarity of the two spans above which a replacement is a paraphrase
NEAR_VERBATIM = (
    0.85  # share of the claim's content tokens found, in order, in a sentence (and the one before)
)
