"""Trained act-level policies as agents: ``rllib:<checkpoint>`` and DOGA's ``intent_policy``.

The policy sees what it saw in training: :class:`~aisalesman.envs.act_level.SalesmanActState`
rebuilt from the call's transcript. Its act is realised as text by the same templates as in
the act-level env, so ``aisalesman benchmark --agents rllib:runs/train/bayes_ppo/final``
scores the trained policy in text calls.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from typing import Any

import numpy as np

from aisalesman.agents.base import AgentTurn, SalesObservation
from aisalesman.agents.realiser import TemplateRealiser, default_plan, feature_for_needs
from aisalesman.core.errors import ConfigError
from aisalesman.core.scenario import SalesmanView
from aisalesman.core.transcript import Turn
from aisalesman.core.types import ObjectionType, SalesAct

__all__ = ["ActPolicy", "RLlibAgent"]


class ActPolicy:
    """A trained salesman module, queried with a call's view and transcript."""

    def __init__(self, checkpoint: str) -> None:
        from aisalesman.training.rllib import load_salesman_module

        self.checkpoint = str(checkpoint)
        self.module = load_salesman_module(checkpoint)

    def state(self, view: SalesmanView, turns: Sequence[Turn]):
        from aisalesman.envs.act_level import SalesmanActState

        return SalesmanActState.from_turns(view, turns)

    def probabilities(self, view: SalesmanView, turns: Sequence[Turn], state: Any = None) -> np.ndarray:
        """The policy's distribution over the 13 acts (illegal acts have probability 0).

        ``state``: the tracker for ``turns`` when the caller already has it.
        """
        import torch

        state = state if state is not None else self.state(view, turns)
        logits = self.module.act_logits(state.observation(len(turns)))
        return torch.softmax(logits, dim=-1).numpy().astype(np.float64)

    def choose(self, view: SalesmanView, turns: Sequence[Turn], *, rng: random.Random | None = None,
               state: Any = None) -> tuple[int, float]:
        """The most likely act (or, with ``rng``, a draw from the policy) and its probability."""
        p = self.probabilities(view, turns, state)
        idx = int(np.argmax(p)) if rng is None else rng.choices(range(len(p)), weights=p.tolist())[0]
        return idx, float(p[idx])


class RLlibAgent:
    """A policy trained by ``aisalesman train`` (registered as ``rllib``; ``rllib:<checkpoint>``).

    Args:
        checkpoint: ``<run>/final``, a ``<run>/checkpoints/iter_N`` directory, or a module directory.
        sample: Draw acts from the policy (with the call's seed) instead of taking the most likely.
    """

    name_argument = "checkpoint"

    def __init__(self, checkpoint: str = "", *, sample: bool = False) -> None:
        if not checkpoint:
            raise ConfigError("rllib needs a checkpoint: use rllib:<run>/final")
        self.policy = ActPolicy(checkpoint)
        self.sample = bool(sample)

    def reset(self, view: SalesmanView, *, seed: int) -> None:
        self.view = view
        self.rng = random.Random(seed)
        self.realiser = TemplateRealiser(view, self.rng)
        self.plan, self.feature = default_plan(view), None

    def act(self, observation: SalesObservation) -> AgentTurn:
        from aisalesman.envs.act_level import SALES_ACTS

        turns = observation.turns
        state = self.policy.state(self.view, turns)
        idx, prob = self.policy.choose(self.view, turns, rng=self.rng if self.sample else None, state=state)
        act = SALES_ACTS[idx]
        if self.feature is None:
            found = feature_for_needs(self.view, state.needs)
            if found is not None:
                self.feature, self.plan = found
        kw: dict[str, Any] = {}
        if act is SalesAct.HANDLE_OBJECTION and state.open is not None:
            kw["objection"] = ObjectionType(state.open)
        text = self.realiser.realise((act,), plan=self.plan, feature=self.feature, **kw)
        return AgentTurn(text, (act,), str(act), {"policy": {"act": str(act), "probability": round(prob, 4)}})
