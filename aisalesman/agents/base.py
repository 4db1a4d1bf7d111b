"""The salesman protocol, the turn an agent returns, and the agent registry."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

from aisalesman.core.registry import Registry
from aisalesman.core.scenario import SalesmanView
from aisalesman.core.transcript import Turn
from aisalesman.core.types import SalesAct

__all__ = ["AgentTurn", "SalesAgent", "SalesObservation", "agents", "make_agent", "register", "rllib_agent"]


@dataclass(frozen=True, slots=True)
class SalesObservation:
    """What the salesman sees: the CRM view, the product, the goal and the call so far.

    ``turns`` carry what the environment recognised in each utterance (acts, objection
    raised, claims), so agents need not parse text themselves.
    """

    view: SalesmanView
    turns: tuple[Turn, ...]

    @property
    def last_customer_turn(self) -> Turn | None:
        return self.turns[-1] if self.turns and self.turns[-1].speaker == "customer" else None


@dataclass(frozen=True, slots=True)
class AgentTurn:
    """An agent's move: the utterance plus, optionally, the acts it meant and metadata."""

    text: str
    acts: tuple[SalesAct, ...] = ()
    intent: str | None = None
    meta: dict[str, Any] | None = None


@runtime_checkable
class SalesAgent(Protocol):
    """A salesman: reset per call with its view and a seed, then act on each observation."""

    def reset(self, view: SalesmanView, *, seed: int) -> None: ...

    def act(self, observation: SalesObservation) -> AgentTurn: ...


agents: Registry[Any] = Registry("agent", entry_point_group="aisalesman.agents")
register = agents.register


def make_agent(name: str, *, chat_model: Any = None, **kwargs: Any) -> SalesAgent:
    """Build a registered agent by name, passing ``kwargs`` to its constructor.

    ``chat_model`` is the shared LLM backend, passed to agents that use one
    (see :meth:`aisalesman.core.registry.Registry.create`).
    """
    return agents.create(name, chat_model=chat_model, **kwargs)


def rllib_agent(checkpoint: str = "", **kwargs: Any) -> SalesAgent:
    """The ``rllib`` agent (``rllib:<checkpoint>``): a policy trained by ``aisalesman train``.

    The checkpoint and the ``train`` extra (Ray, torch) are checked first, so that a typo or
    a missing extra is a one-line error rather than an ImportError from deep inside RLlib.
    See :class:`aisalesman.training.policy_agent.RLlibAgent` for the arguments.
    """
    from aisalesman.core.errors import ConfigError, DataFileError
    from aisalesman.core.extras import require_extra

    if not checkpoint:
        raise ConfigError("rllib needs a checkpoint: use rllib:<run>/final")
    if not Path(checkpoint).is_dir():
        raise DataFileError(checkpoint, "no such checkpoint directory (use rllib:<run>/final)")
    require_extra("train", "ray", "torch", feature="the rllib agent")
    from aisalesman.training.policy_agent import RLlibAgent

    return RLlibAgent(checkpoint, **kwargs)


rllib_agent.name_argument = "checkpoint"  # type: ignore[attr-defined]  (rllib:<checkpoint>)
