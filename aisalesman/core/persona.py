"""Customer personas: a visible CRM part and a hidden part.

The salesman sees only :class:`CRMView`; the customer simulator plays the whole
:class:`Persona`. Persona files (YAML list, JSON list or JSONL) are validated by these
models, so a user can generate a bank, edit it and pass it back in.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from aisalesman.core.types import ObjectionType, Segment

__all__ = ["ID_CHARACTERS", "BigFive", "CRMView", "HiddenProfile", "Objection", "Persona"]

#: The characters a persona id may use (ids become file names and ``customer/<id>`` model names).
ID_CHARACTERS = r"A-Za-z0-9_\-."

_Unit = Field(ge=0.0, le=1.0)


class _Frozen(BaseModel):
    # allow_inf_nan=False: a budget of Infinity or a NaN metric would reach the spoken text
    model_config = ConfigDict(frozen=True, extra="forbid", allow_inf_nan=False)


class CRMView(_Frozen):
    """What a CRM would show the salesman before the call."""

    name: str = Field(min_length=1)
    business_name: str = Field(min_length=1)
    business_type: str = Field(min_length=1)
    employees: int = Field(ge=1)
    region: str = Field(min_length=1)
    metrics: dict[str, float] = Field(default_factory=dict)


class Objection(_Frozen):
    """A reservation the customer holds; ``strength`` 1 means it alone blocks a purchase."""

    type: ObjectionType
    strength: float = _Unit


class BigFive(_Frozen):
    openness: float = _Unit
    conscientiousness: float = _Unit
    extraversion: float = _Unit
    agreeableness: float = _Unit
    neuroticism: float = _Unit


class HiddenProfile(_Frozen):
    """What only the customer knows; it drives the simulator's decisions."""

    segment: Segment
    needs: tuple[str, ...] = Field(min_length=1)
    pain_points: tuple[str, ...] = ()
    budget: float = Field(ge=0, description="monthly budget for this kind of purchase")
    objections: tuple[Objection, ...] = ()
    big_five: BigFive
    communication_style: Literal["terse", "chatty", "formal", "blunt"]
    decision_style: Literal["analytical", "impulsive", "cautious", "consensus"]
    patience: int = Field(ge=1, le=60, description="turns of selling tolerated before hanging up")
    initial_interest: float = _Unit
    initial_trust: float = _Unit
    purchase_threshold: float = _Unit
    scepticism: float = _Unit
    dnc_prone: bool = Field(description="asks not to be called again when fed up")
    secret: str | None = Field(default=None, description="e.g. already uses a competitor")

    @field_validator("objections")
    @classmethod
    def _distinct_types(cls, items: tuple[Objection, ...]) -> tuple[Objection, ...]:
        types = [o.type for o in items]
        if len(set(types)) != len(types):
            raise ValueError("each objection type may appear once")
        return items


class Persona(_Frozen):
    id: str = Field(min_length=1, pattern=rf"^[{ID_CHARACTERS}]+$")
    crm: CRMView
    hidden: HiddenProfile

    @property
    def segment(self) -> Segment:
        return self.hidden.segment
