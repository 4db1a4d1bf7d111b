"""What the salesman observes in a text call: the structured view agents act on and envs build."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from aisalesman.core.scenario import SalesmanView
from aisalesman.core.transcript import Turn

if TYPE_CHECKING:
    from aisalesman.dialogue.reading import Reader

__all__ = ["SalesObservation"]


@dataclass(frozen=True, slots=True)
class SalesObservation:
    """What the salesman sees: the CRM view, the product, the goal and the call so far.

    ``turns`` carry what the environment recognised in each utterance (acts, objection
    raised, claims), so agents need not parse text themselves. ``reader`` is the reader the
    environment reads with; an agent that reads text itself (the adaptive agent listening
    for needs, DOGA checking an outline's claims) uses it, so that it hears what the
    environment hears. None outside an environment: the agent then uses
    :func:`~aisalesman.dialogue.configured.env_reader`'s default.
    """

    view: SalesmanView
    turns: tuple[Turn, ...]
    reader: Reader | None = field(default=None, compare=False, repr=False)

    @property
    def last_customer_turn(self) -> Turn | None:
        return self.turns[-1] if self.turns and self.turns[-1].speaker == "customer" else None
