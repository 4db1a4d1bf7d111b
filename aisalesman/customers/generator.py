"""A seeded generator of persona populations, from hot to hostile.

The population model (segment parameter ranges, mix, names, business types) is the data
file ``data/population.yaml``; the shipped train/dev/test splits were made by
:func:`generate_personas` with the seeds recorded in ``aisalesman/data/personas/README``.
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from functools import lru_cache
from importlib import resources
from typing import Any

import yaml

from aisalesman.core.errors import ConfigError
from aisalesman.core.persona import BigFive, CRMView, HiddenProfile, Objection, Persona
from aisalesman.core.seeding import make_rng
from aisalesman.core.types import ObjectionType, Segment

__all__ = ["generate_personas", "population_model", "segment_quotas"]

_STYLES = ("terse", "chatty", "formal", "blunt")
_DECISIONS = ("analytical", "impulsive", "cautious", "consensus")


@lru_cache(maxsize=1)
def population_model() -> dict[str, Any]:
    """The parsed population model (read once)."""
    text = resources.files(__package__).joinpath("data/population.yaml").read_text("utf-8")
    return yaml.safe_load(text)


def segment_quotas(n: int, mix: Mapping[str, float]) -> list[Segment]:
    """Exactly ``n`` segments in the proportions of ``mix`` (largest-remainder rounding)."""
    total = sum(mix.values())
    if total <= 0 or any(v < 0 for v in mix.values()):
        raise ConfigError(f"segment mix must have non-negative shares summing above 0, got {dict(mix)}")
    exact = {Segment(k): n * v / total for k, v in mix.items()}
    counts = {k: int(v) for k, v in exact.items()}
    for k in sorted(exact, key=lambda s: exact[s] - counts[s], reverse=True)[: n - sum(counts.values())]:
        counts[k] += 1
    return [s for s in Segment for _ in range(counts.get(s, 0))]


def _u(rng: random.Random, lo_hi: list[float]) -> float:
    return round(rng.uniform(lo_hi[0], lo_hi[1]), 3)


def _crm(rng: random.Random, model: dict[str, Any]) -> CRMView:
    btype = rng.choice(sorted(model["business_types"]))
    spec = model["business_types"][btype]
    first, surname = rng.choice(model["first_names"]), rng.choice(model["surnames"])
    orders = int(rng.uniform(*spec["orders"]))
    ticket = round(rng.uniform(*spec["ticket"]), 2)
    metrics = {
        "monthly_orders": float(orders),
        "avg_ticket": ticket,
        "monthly_revenue": round(orders * ticket, -1),
        "online_rating": round(rng.uniform(3.4, 4.9), 1),
        "repeat_rate": round(rng.uniform(0.15, 0.6), 2),
    }
    return CRMView(
        name=f"{first} {surname}",
        business_name=rng.choice(spec["names"]).format(s=surname),
        business_type=btype,
        employees=rng.randint(2, 25),
        region=rng.choice(model["regions"]),
        metrics=metrics,
    )


def _hidden(rng: random.Random, model: dict[str, Any], segment: Segment, revenue: float) -> HiddenProfile:
    p = model["segments"][segment.value]
    groups = model["need_groups"]
    needs = tuple(rng.choice(groups[g]) for g in ("growth", "operations", "risk"))
    pains = tuple(rng.choice(model["pain_points"][g]) for g in ("growth", "operations", "risk"))
    weights = model["objection_weights"]
    types = list(weights)
    k = rng.randint(*p["n_objections"])
    chosen: list[str] = []
    while len(chosen) < k:
        t = rng.choices(types, weights=[weights[t] for t in types])[0]
        if t not in chosen:
            chosen.append(t)
    objections = tuple(Objection(type=ObjectionType(t), strength=_u(rng, p["strength"])) for t in chosen)
    secret = "already pays a competitor for this" if "competitor" in chosen else None
    return HiddenProfile(
        segment=segment,
        needs=needs,
        pain_points=pains,
        budget=round(revenue * rng.uniform(0.004, 0.02), -1),
        objections=objections,
        big_five=BigFive(
            openness=_u(rng, [0.1, 0.9]),
            conscientiousness=_u(rng, [0.1, 0.9]),
            extraversion=_u(rng, [0.1, 0.9]),
            agreeableness=_u(rng, p["agreeableness"]),
            neuroticism=_u(rng, [0.1, 0.9]),
        ),
        communication_style=rng.choice(_STYLES),
        decision_style=rng.choice(_DECISIONS),
        patience=rng.randint(*p["patience"]),
        initial_interest=_u(rng, p["interest"]),
        initial_trust=_u(rng, p["trust"]),
        purchase_threshold=_u(rng, p["threshold"]),
        scepticism=_u(rng, p["scepticism"]),
        dnc_prone=rng.random() < p["dnc_prone"],
        secret=secret,
    )


def generate_personas(
    n: int, *, seed: int, mix: Mapping[str, float] | None = None, id_prefix: str = "p"
) -> list[Persona]:
    """``n`` personas with segments in the proportions of ``mix``, reproducible from ``seed``.

    Args:
        n: How many personas (>= 1).
        seed: The run seed; persona ``i`` draws from a generator derived from (seed, i).
        mix: Segment shares; the population model's default mix if omitted.
        id_prefix: Persona ids are ``f"{id_prefix}{i:04d}"``.
    """
    if not isinstance(n, int) or n < 1:
        raise ConfigError(f"n must be a positive integer, got {n!r}")
    model = population_model()
    segments = segment_quotas(n, mix or model["mix"])
    make_rng(seed, "persona-order").shuffle(segments)
    out = []
    for i, segment in enumerate(segments):
        rng = make_rng(seed, "persona", i)
        crm = _crm(rng, model)
        hidden = _hidden(rng, model, segment, crm.metrics["monthly_revenue"])
        out.append(Persona(id=f"{id_prefix}{i:04d}", crm=crm, hidden=hidden))
    return out
