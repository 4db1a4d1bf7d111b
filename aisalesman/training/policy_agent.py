"""Trained act-level policies as agents: ``rllib:<checkpoint>`` and DOGA's ``intent_policy``.

The policy sees what it saw in training: :class:`~aisalesman.dialogue.state.SalesmanActState`
rebuilt from the call's transcript (customer turns read by the observation's reader, the
environment's). Its act is realised as text by the same templates as in
the act-level env, so ``aisalesman benchmark --agents rllib:runs/train/bayes_ppo/final``
scores the trained policy in text calls.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from aisalesman.agents.base import AgentTurn, SalesAgent, SalesObservation
from aisalesman.core.errors import ConfigError, DataFileError
from aisalesman.core.scenario import SalesmanView
from aisalesman.core.transcript import Turn
from aisalesman.core.types import ObjectionType, SalesAct
from aisalesman.dialogue.realiser import TemplateRealiser, default_plan, feature_for_needs
from aisalesman.dialogue.state import SALES_ACTS, SalesmanActState

__all__ = ["ActPolicy", "RLlibAgent", "rllib_agent"]


class ActPolicy:
    """A trained salesman module, queried with a call's view and transcript."""

    def __init__(self, checkpoint: str) -> None:
        from aisalesman.training.rllib import load_salesman_module

        self.checkpoint = str(checkpoint)
        self.module = load_salesman_module(checkpoint)

    def state(self, view: SalesmanView, turns: Sequence[Turn], *, reader: Any = None) -> SalesmanActState:
        """The act-level state after ``turns``, customer turns read by ``reader`` (the call's)."""
        return SalesmanActState.from_turns(view, turns, reader=reader)

    def probabilities(self, view: SalesmanView, turns: Sequence[Turn], state: Any = None, *,
                      reader: Any = None) -> np.ndarray:
        """The policy's distribution over the 13 acts (illegal acts have probability 0).

        ``state``: the tracker for ``turns`` when the caller already has it; else one is
        rebuilt with ``reader`` (the call's reader; the project default if None).
        """
        import torch

        state = state if state is not None else self.state(view, turns, reader=reader)
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
        turns = observation.turns
        state = self.policy.state(self.view, turns, reader=observation.reader)
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


def rllib_agent(checkpoint: str = "", **kwargs: Any) -> SalesAgent:
    """The ``rllib`` agent (``rllib:<checkpoint>``): a policy trained by ``aisalesman train``.

    The checkpoint and the ``train`` extra (Ray, torch) are checked first, so that a typo or
    a missing extra is a one-line error rather than an ImportError from deep inside RLlib.
    See :class:`RLlibAgent` for the arguments.
    """
    from aisalesman.core.extras import require_extra

    if not checkpoint:
        raise ConfigError("rllib needs a checkpoint: use rllib:<run>/final")
    if not Path(checkpoint).is_dir():
        raise DataFileError(checkpoint, "no such checkpoint directory (use rllib:<run>/final)")
    require_extra("train", "ray", "torch", feature="the rllib agent")
    return RLlibAgent(checkpoint, **kwargs)


rllib_agent.name_argument = "checkpoint"  # type: ignore[attr-defined]  (rllib:<checkpoint>)
