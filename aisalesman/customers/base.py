"""The customer protocol and the customer registry."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

from aisalesman.core.registry import Registry
from aisalesman.core.scenario import Scenario
from aisalesman.core.transcript import Turn
from aisalesman.core.types import CustomerAct, ObjectionType

__all__ = ["Customer", "CustomerObservation", "CustomerReply", "customers", "make_customer"]


@dataclass(frozen=True, slots=True)
class CustomerObservation:
    """What a customer sees: its scenario (persona, product) and the call so far."""

    scenario: Scenario
    turns: tuple[Turn, ...]

    @property
    def last_salesman_turn(self) -> Turn | None:
        return self.turns[-1] if self.turns else None


@dataclass(frozen=True, slots=True)
class CustomerReply:
    """A customer utterance plus the act the simulator meant (for logging and act-level envs)."""

    text: str
    act: CustomerAct
    objection: ObjectionType | None = None
    kind: str | None = None
    meta: dict[str, Any] | None = None


@runtime_checkable
class Customer(Protocol):
    """A simulated customer: reset per call with a seed, then reply to each salesman turn."""

    def reset(self, scenario: Scenario, *, seed: int) -> None: ...

    def respond(self, observation: CustomerObservation) -> CustomerReply: ...


customers: Registry[Any] = Registry("customer", entry_point_group="aisalesman.customers")


def make_customer(name: str, **kwargs: Any) -> Customer:
    """Build a registered customer by name (``persona`` is the built-in default)."""
    return customers.get(name)(**kwargs)
