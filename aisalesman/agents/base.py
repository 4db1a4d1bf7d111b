"""The salesman protocol, the turn an agent returns, and the agent registry."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

from aisalesman.core.registry import Registry
from aisalesman.core.scenario import SalesmanView
from aisalesman.core.types import SalesAct
from aisalesman.dialogue.observation import SalesObservation

__all__ = ["AgentTurn", "SalesAgent", "SalesObservation", "agents", "make_agent", "register"]


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
