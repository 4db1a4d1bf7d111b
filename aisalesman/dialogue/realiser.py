"""The template realiser: dialogue acts in, salesman text out.

Templates are the data file ``data/templates.yaml``; placeholders are filled only from the
CRM view and the product knowledge base, so realised text never states a false fact unless
an agent asks for it on purpose (an over-limit discount).
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from functools import lru_cache
from importlib import resources
from typing import Any

import yaml

from aisalesman.core.product import Feature, Plan
from aisalesman.core.scenario import SalesmanView
from aisalesman.core.types import ObjectionType, SalesAct

__all__ = ["TemplateRealiser", "default_plan", "feature_for_needs", "headline_feature", "plan_for_feature", "templates"]


@lru_cache(maxsize=1)
def templates() -> dict[str, Any]:
    """The parsed template file."""
    return yaml.safe_load(resources.files(__package__).joinpath("data/templates.yaml").read_text("utf-8"))


def default_plan(view: SalesmanView) -> Plan:
    """The plan a salesman recommends by default: the middle one."""
    plans = view.product.plans
    return plans[len(plans) // 2]


def headline_feature(plan: Plan, view: SalesmanView) -> Feature:
    """The feature that distinguishes ``plan`` from the plan below it."""
    plans = view.product.plans
    idx = plans.index(plan)
    below = set(plans[idx - 1].features) if idx else set()
    key = next((f for f in plan.features if f not in below), plan.features[0])
    return view.product.feature_by_key[key]


def plan_for_feature(view: SalesmanView, feature_key: str) -> Plan:
    """The cheapest plan that includes ``feature_key``."""
    return next(p for p in view.product.plans if feature_key in p.features)


def feature_for_needs(view: SalesmanView, needs: list[str]) -> tuple[Feature, Plan] | None:
    """The first feature serving one of ``needs`` (in order) and the cheapest plan with it."""
    for need in needs:
        match = next((f for f in view.product.features if need in f.serves_needs), None)
        if match is not None:
            return match, plan_for_feature(view, match.key)
    return None


def _cap(s: str) -> str:
    return s[:1].upper() + s[1:]


class TemplateRealiser:
    """Turns acts into text for one call (placeholders bound to its view).

    Args:
        view: The salesman's view of the scenario.
        rng: The generator that picks among template variants.
    """

    def __init__(self, view: SalesmanView, rng: random.Random) -> None:
        self.view = view
        self.rng = rng
        self._t = templates()
        p = view.product
        crm = view.crm
        self._base = {
            "name": crm.name.split()[0],
            "business_name": crm.business_name,
            "salesman": view.salesman_name,
            "company": p.company,
            "product": p.name,
            "category": p.category,
            "discount_scope": p.discount_scope,
            "cancellation": self._cancellation_text(),
        }

    def _cancellation_text(self) -> str:
        t = self.view.product.terms
        term = f"a {t.contract_months}-month minimum term, and you can " if t.contract_months else "you can "
        return term + t.cancellation[0].lower() + t.cancellation[1:]

    def money(self, amount: float) -> str:
        sym = self.view.product.currency_symbol
        return f"{sym}{amount:,.0f}" if amount >= 1000 else self.view.product.price_text(round(amount, 2))

    def realise(
        self,
        acts: Sequence[SalesAct],
        *,
        objection: ObjectionType | None = None,
        plan: Plan | None = None,
        feature: Feature | None = None,
        pct: int | None = None,
    ) -> str:
        """One utterance performing ``acts`` in order.

        Args:
            objection: For ``HANDLE_OBJECTION``, the objection to answer (generic if None).
            plan: The plan to mention (the default plan if None).
            feature: The feature to pitch (the plan's headline feature if None).
            pct: For ``OFFER_DISCOUNT``, the percentage (the product's maximum if None).
        """
        plan = plan or default_plan(self.view)
        feature = feature or headline_feature(plan, self.view)
        fields = self._fields(plan, feature, pct)
        return " ".join(self._one(act, objection, fields) for act in acts)

    def fields(self, plan: Plan | None = None, feature: Feature | None = None, pct: int | None = None) -> dict[str, Any]:
        """Every placeholder value this call can fill: names, product, plan, price, discount, CRM metrics.

        Only values from the CRM view and the knowledge base appear; a metric the CRM lacks
        is absent rather than guessed.
        """
        plan = plan or default_plan(self.view)
        feature = feature or headline_feature(plan, self.view)
        return {**self._fields(plan, feature, pct), **self._metric_fields(self.view.crm.metrics)}

    def _fields(self, plan: Plan, feature: Feature, pct: int | None) -> dict[str, Any]:
        p = self.view.product
        pct = int(p.max_discount_pct) if pct is None else pct
        steps = self.rng.sample(list(p.operational_steps), k=min(2, len(p.operational_steps)))
        evidence = self.rng.choice(p.evidence)
        return {
            **self._base,
            "plan": plan.name,
            "price": p.price_text(plan.price),
            "period": plan.billing_period if plan.billing_period != "one-off" else "purchase",
            "feature_name": feature.name,
            "feature_pitch": feature.pitch,
            "evidence": evidence,
            "evidence_cap": _cap(evidence),
            "step": steps[0],
            "step2": steps[-1],
            "pct": pct,
            "new_price": p.price_text(round(plan.price * (1 - pct / 100), 2)),
        }

    def _one(self, act: SalesAct, objection: ObjectionType | None, fields: dict[str, Any]) -> str:
        if act is SalesAct.BUSINESS_ANALYSIS:
            return self._analysis()
        if act is SalesAct.HANDLE_OBJECTION:
            options = self._t["handle_objection"]["generic" if objection is None else str(objection)]
        else:
            options = self._t["acts"][str(act)]
        return self.rng.choice(options).format(**fields)

    def _analysis(self) -> str:
        metrics = self.view.crm.metrics
        wanted = set(self.view.product.analysis_metrics) | {"monthly_revenue"}
        for entry in self._t["business_analysis"]:
            if all(m in metrics and m in wanted for m in entry["requires"]):
                return entry["text"].format(**self._base, **self._metric_fields(metrics))
        # No usable metric: fall back to the generic need question, which never invents numbers.
        return self.rng.choice(self._t["acts"]["ask_need"]).format(**self._base)

    def _metric_fields(self, m: dict[str, float]) -> dict[str, str]:
        out = {}
        if "monthly_orders" in m:
            out["monthly_orders"] = f"{m['monthly_orders']:,.0f}"
        if "avg_ticket" in m:
            out["avg_ticket"] = self.money(m["avg_ticket"])
            if "monthly_orders" in m:
                out["uplift"] = self.money(m["monthly_orders"] * m["avg_ticket"] * 0.1)
        if "monthly_revenue" in m:
            out["monthly_revenue"] = self.money(m["monthly_revenue"])
            out["daily_revenue"] = self.money(m["monthly_revenue"] / 30)
        return out
