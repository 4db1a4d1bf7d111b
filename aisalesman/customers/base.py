"""The customer protocol and the customer registry."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from aisalesman.core.registry import Registry
from aisalesman.core.scenario import Scenario
from aisalesman.core.transcript import Turn
from aisalesman.core.types import CustomerAct, CustomerDecision, ObjectionType

if TYPE_CHECKING:
    from aisalesman.dialogue.reading import Reader

__all__ = ["AsyncCustomer", "Customer", "CustomerObservation", "CustomerReply", "customers", "make_customer"]


@dataclass(frozen=True, slots=True)
class CustomerObservation:
    """What a customer sees: its scenario (persona, product) and the call so far.

    ``reader`` is the reader the environment reads with; a customer that reads the
    salesman's text itself (the persona customer, the anchored LLM customer's hidden state)
    uses it, so that it hears what the environment hears. None outside an environment: the
    customer then uses :func:`~aisalesman.dialogue.configured.env_reader`'s default.
    """

    scenario: Scenario
    turns: tuple[Turn, ...]
    reader: Reader | None = field(default=None, compare=False, repr=False)

    @property
    def last_salesman_turn(self) -> Turn | None:
        return self.turns[-1] if self.turns else None


@dataclass(frozen=True, slots=True)
class CustomerReply:
    """A customer utterance plus the act the simulator meant (for logging and act-level envs).

    ``kind`` is the :class:`~aisalesman.dialogue.acts.CustomerMove` value the simulator meant
    (the act-level environment's customer action), if it speaks in moves.

    ``decision``, when set, is authoritative: the environment ends (or continues) the call
    by it instead of reading the decision from the text. LLM customers set it from their
    structured output; the built-in customer sets it to the decision its move makes
    (``continue`` for most), so that a reader's mistake on its own template text ("Go on."
    read as an acceptance) never ends a call it did not end.
    """

    text: str
    act: CustomerAct
    objection: ObjectionType | None = None
    kind: str | None = None
    meta: dict[str, Any] | None = None
    decision: CustomerDecision | None = None


@runtime_checkable
class Customer(Protocol):
    """A simulated customer: reset per call with a seed, then reply to each salesman turn."""

    def reset(self, scenario: Scenario, *, seed: int) -> None: ...

    def respond(self, observation: CustomerObservation) -> CustomerReply: ...


class AsyncCustomer(Customer, Protocol):
    """A customer whose reply may wait on a model; runners with many calls in flight await it."""

    async def arespond(self, observation: CustomerObservation) -> CustomerReply: ...


customers: Registry[Any] = Registry("customer", entry_point_group="aisalesman.customers")


def make_customer(name: str, *, chat_model: Any = None, **kwargs: Any) -> Customer:
    """Build a registered customer by name (``persona`` is the built-in default).

    ``chat_model`` is the shared LLM backend, passed to customers that use one
    (see :meth:`aisalesman.core.registry.Registry.create`).
    """
    return customers.create(name, chat_model=chat_model, **kwargs)
