"""Training (our reconstruction of the paper's training stage; its exact method was not available).

- :mod:`aisalesman.training.bayes`: the noisy-outcome model (numpyro): per-dialogue posterior
  success, act values per context and annotator noise rates (``aisalesman fit-bayes``).
- :mod:`aisalesman.training.rllib`: act-level Bayesian-supervised PPO on RLlib (the only module
  importing ``ray.rllib``): the env adapter, the masked module and the BC+PPO learner.
- :mod:`aisalesman.training.train`: the run behind ``aisalesman train`` (run directory,
  checkpoints, resume, metrics); :mod:`aisalesman.training.cluster`: a local Ray on loopback,
  or joining a cluster.

Text-level GRPO on an LLM salesman is not here yet. Submodules import their heavy dependencies
(``ray``, ``numpyro``, ``torch``) themselves, so importing this package needs none of them.
"""

__all__: list[str] = []
