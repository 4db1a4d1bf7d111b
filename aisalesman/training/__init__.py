"""Training: Bayesian-supervised RL on RLlib and text-level GRPO (our reconstruction).

Not part of the foundation release: the numpyro noisy-outcome model, the RLlib adapter and
GRPO arrive with their own issue. RL researchers can already train on the act-level
environments (``aisalesman/telesales-acts-v0`` and the Gymnasium
``aisalesman/telesales-acts-salesman-v0``) with any library.
"""

__all__: list[str] = []
