"""A scenario: one persona, one product, the salesman's goal and the call's limits."""

from __future__ import annotations

from dataclasses import dataclass

from aisalesman.core.errors import ConfigError
from aisalesman.core.persona import CRMView, Persona
from aisalesman.core.product import Product
from aisalesman.core.types import Goal

__all__ = ["Scenario", "SalesmanView"]


@dataclass(frozen=True)
class SalesmanView:
    """What the salesman may see: the CRM record, the product and the goal."""

    crm: CRMView
    product: Product
    goal: Goal
    max_turns: int
    salesman_name: str


@dataclass(frozen=True)
class Scenario:
    """Persona + product + goal + limits.

    Args:
        max_turns: Utterances by both sides together before the call is truncated.
    """

    persona: Persona
    product: Product
    goal: Goal = Goal.SALE
    max_turns: int = 40
    salesman_name: str = "Jordan"

    def __post_init__(self) -> None:
        if not isinstance(self.max_turns, int) or self.max_turns < 2:
            raise ConfigError(f"max_turns must be an integer >= 2, got {self.max_turns!r}")
        object.__setattr__(self, "goal", Goal(self.goal))

    @property
    def id(self) -> str:
        return f"{self.product.key}/{self.persona.id}/{self.goal}"

    def salesman_view(self) -> SalesmanView:
        return SalesmanView(self.persona.crm, self.product, self.goal, self.max_turns, self.salesman_name)
