"""The verifier's parts: reading a sentence (:mod:`.reading`), finding swaps (:mod:`.swaps`), the rules as named
checks and features (:mod:`.rules`), the rules' decision (:mod:`.decide`) and their thresholds in one place
(:mod:`.thresholds`). The learned decision over them is :mod:`synthesis.combiner`; :mod:`synthesis.verify` runs it
all over stored papers."""
