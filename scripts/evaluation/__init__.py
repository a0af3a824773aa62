"""Evaluation of the assistant on the independent sets of tests/eval (see docs/evaluation.md).

- :mod:`.sets`: loading the sets and the training data, label and vocabulary checks, near-duplicates;
- :mod:`.scoring`: danger and NLU figures (one home for the report and the gates);
- :mod:`.conversations`: the multi-turn conversations over REST and their expectations;
- :mod:`.ratchet`: the committed minimum figures that `make test` gates on.
"""
