"""Products: the knowledge base of what a salesman may truthfully say.

A product file (YAML) lists plans with prices and billing periods, features, terms, the
maximum discount, evidence statements and known *non*-features: things customers often
assume but that are false. Every fact has a stable key so claims can be checked against it.
"""

from __future__ import annotations

from functools import cached_property
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

__all__ = ["Feature", "NonFeature", "Plan", "Product", "Terms"]

_KEY = r"^[a-z0-9][a-z0-9_\-]*$"


class _Frozen(BaseModel):
    # allow_inf_nan=False: a budget of Infinity or a NaN metric would reach the spoken text
    model_config = ConfigDict(frozen=True, extra="forbid", allow_inf_nan=False)


class Feature(_Frozen):
    """A true feature. ``aliases`` are the phrases that count as mentioning it."""

    key: str = Field(pattern=_KEY)
    name: str = Field(min_length=1)
    aliases: tuple[str, ...] = ()
    serves_needs: tuple[str, ...] = Field(default=(), description="persona need keys it meets")
    pitch: str = Field(min_length=1, description="one sentence saying what it does for the customer")


class NonFeature(_Frozen):
    """Something the product does *not* do; claiming it is a false claim.

    ``aliases`` are short phrases that name it outright; ``paraphrases`` are whole sentences
    in which a salesman might wrongly assert it, worded in many ways, so that a claim checker
    can recognise it by meaning rather than by wording.
    """

    key: str = Field(pattern=_KEY)
    claim: str = Field(min_length=1, description="the false statement, as a salesman might say it")
    aliases: tuple[str, ...] = Field(min_length=1)
    paraphrases: tuple[str, ...] = Field(
        default=(), description="other ways a salesman might wrongly assert it (whole sentences)"
    )

    @field_validator("aliases", "paraphrases")
    @classmethod
    def _no_blank(cls, items: tuple[str, ...]) -> tuple[str, ...]:
        blank = [i for i, text in enumerate(items) if not text.strip()]
        if blank:
            raise ValueError(f"blank phrasing at positions {blank}")
        return items


class Plan(_Frozen):
    key: str = Field(pattern=_KEY)
    name: str = Field(min_length=1)
    price: float = Field(gt=0)
    billing_period: Literal["month", "year", "one-off"]
    features: tuple[str, ...] = Field(min_length=1)


class Terms(_Frozen):
    contract_months: int = Field(ge=0, description="0 means no minimum term")
    cancel_anytime: bool
    cancellation: str = Field(min_length=1)
    trial_days: int = Field(ge=0)
    setup_fee: float = Field(ge=0, default=0.0)


class Product(_Frozen):
    """A product and its knowledge base (validated when loaded)."""

    key: str = Field(pattern=_KEY)
    name: str = Field(min_length=1)
    company: str = Field(min_length=1)
    category: str = Field(min_length=1)
    currency_symbol: str = Field(min_length=1, max_length=3)
    description: str = Field(min_length=1)
    plans: tuple[Plan, ...] = Field(min_length=1)
    features: tuple[Feature, ...] = Field(min_length=1)
    non_features: tuple[NonFeature, ...] = ()
    terms: Terms
    max_discount_pct: float = Field(ge=0, le=90)
    discount_scope: str = Field(min_length=1, description="what a discount applies to")
    evidence: tuple[str, ...] = Field(min_length=1, description="true social proof statements")
    operational_steps: tuple[str, ...] = Field(min_length=1, description="how to get started")
    analysis_metrics: tuple[str, ...] = Field(
        default=(), description="CRM metrics that business analysis can draw on"
    )

    @field_validator("plans", "features", "non_features")
    @classmethod
    def _unique_keys(cls, items: tuple) -> tuple:
        keys = [i.key for i in items]
        dup = {k for k in keys if keys.count(k) > 1}
        if dup:
            raise ValueError(f"duplicate keys {sorted(dup)}")
        return items

    @model_validator(mode="after")
    def _plan_features_exist(self) -> Product:
        known = {f.key for f in self.features}
        for plan in self.plans:
            missing = [f for f in plan.features if f not in known]
            if missing:
                raise ValueError(f"plan {plan.key!r} lists unknown features {missing}")
        return self

    @cached_property
    def feature_by_key(self) -> dict[str, Feature]:
        return {f.key: f for f in self.features}

    @cached_property
    def valid_prices(self) -> frozenset[float]:
        """Every price a salesman may truthfully quote: list prices, discounted within limits."""
        prices = set()
        for plan in self.plans:
            prices.add(round(plan.price, 2))
            for pct in range(0, int(self.max_discount_pct) + 1):
                prices.add(round(plan.price * (1 - pct / 100), 2))
        return frozenset(prices)

    def price_text(self, amount: float) -> str:
        """``$49`` or ``$49.50``: the format the templates and claim checker share."""
        body = f"{amount:.0f}" if float(amount).is_integer() else f"{amount:.2f}"
        return f"{self.currency_symbol}{body}"
