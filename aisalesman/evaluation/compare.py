"""Comparing agents on the same scenarios: per-agent rates and paired differences with intervals.

Used to measure what a wrapper (DOGA) does to the agent it wraps. Each rate is computed
over a benchmark's transcript records; its interval, and the interval of a difference
between two agents, come from a bootstrap that resamples *scenarios* (product x persona),
so that the trials of one persona, and the two agents' calls on it, stay together.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from aisalesman.core.types import TerminationReason
from aisalesman.evaluation.metrics import converted, objection_outcomes

__all__ = ["METRICS", "Estimate", "compare_agents", "comparison_markdown"]


def _conversion(r: Mapping[str, Any]) -> tuple[float, float]:
    return float(converted(r)), 1.0


def _objections(r: Mapping[str, Any]) -> tuple[float, float]:
    answered, resolved = objection_outcomes(r)
    return float(resolved), float(answered)


def _false_claims(r: Mapping[str, Any]) -> tuple[float, float]:
    return float(r["stats"]["false_claim_turns"]), float(r["stats"]["salesman_turns"])


# name -> (numerator, denominator) of one record; a rate is sum(num) / sum(den)
METRICS: dict[str, Callable[[Mapping[str, Any]], tuple[float, float]]] = {
    "conversion": _conversion,
    "objection_resolution": _objections,
    "false_claim_rate": _false_claims,
}


@dataclass(frozen=True)
class Estimate:
    value: float
    low: float
    high: float
    n: float  # the denominator: calls, objections or salesman turns


def _table(records: Iterable[Mapping[str, Any]], agents: Sequence[str]) -> tuple[list[str], np.ndarray]:
    """Scenario keys and an array [agent, metric, scenario, (num, den)]."""
    sums: dict[tuple[str, str], dict[str, list[float]]] = defaultdict(lambda: defaultdict(lambda: [0.0, 0.0]))
    for r in records:
        if r["agent"] not in agents or r["termination_reason"] == TerminationReason.INFRA_ERROR:
            continue
        key = f"{r['product']}/{r['persona_id']}"
        for m, fn in METRICS.items():
            num, den = fn(r)
            cell = sums[(r["agent"], m)][key]
            cell[0] += num
            cell[1] += den
    keys = sorted({k for cells in sums.values() for k in cells})
    arr = np.zeros((len(agents), len(METRICS), len(keys), 2))
    for a, agent in enumerate(agents):
        for m, metric in enumerate(METRICS):
            cells = sums.get((agent, metric), {})
            for s, key in enumerate(keys):
                arr[a, m, s] = cells.get(key, (0.0, 0.0))
    return keys, arr


def _rates(arr: np.ndarray) -> np.ndarray:
    """Rates over the scenario axis (second to last); NaN where the denominator is 0."""
    num, den = arr[..., 0].sum(-1), arr[..., 1].sum(-1)
    return np.divide(num, den, out=np.full_like(num, np.nan), where=den > 0)


def compare_agents(records: Iterable[Mapping[str, Any]], pairs: Sequence[tuple[str, str]], *,
                   resamples: int = 2000, seed: int = 0, level: float = 0.95) -> dict[str, Any]:
    """Rates for every agent in ``pairs`` and the difference ``b - a`` for each pair ``(a, b)``.

    Returns ``{"agents": {agent: {metric: Estimate}}, "differences": {"b - a": {metric: Estimate}},
    "scenarios": n}``; intervals are percentile intervals of a scenario bootstrap.
    """
    agents = list(dict.fromkeys(a for pair in pairs for a in pair))
    keys, arr = _table(records, agents)
    if not keys:
        raise ValueError("no scored calls for the agents to compare")
    rng = np.random.default_rng(seed)
    idx = rng.integers(0, len(keys), size=(resamples, len(keys)))
    boot = np.stack([_rates(arr[:, :, i]) for i in idx])  # [resample, agent, metric]
    point = _rates(arr)
    lo_q, hi_q = (1 - level) / 2 * 100, (1 + level) / 2 * 100
    den = arr[..., 1].sum(-1)

    def est(p: float, samples: np.ndarray, n: float) -> Estimate:
        ok = samples[~np.isnan(samples)]
        lo, hi = (np.percentile(ok, [lo_q, hi_q]) if ok.size else (np.nan, np.nan))
        return Estimate(round(float(p), 6), round(float(lo), 6), round(float(hi), 6), float(n))

    out: dict[str, Any] = {"agents": {}, "differences": {}, "scenarios": len(keys)}
    for a, agent in enumerate(agents):
        out["agents"][agent] = {m: est(point[a, i], boot[:, a, i], den[a, i]) for i, m in enumerate(METRICS)}
    for base, wrapped in pairs:
        a, b = agents.index(base), agents.index(wrapped)
        out["differences"][f"{wrapped} - {base}"] = {
            m: est(point[b, i] - point[a, i], boot[:, b, i] - boot[:, a, i], min(den[a, i], den[b, i]))
            for i, m in enumerate(METRICS)}
    return out


def _pct(e: Estimate, signed: bool = False) -> str:
    if np.isnan(e.value):
        return "-"
    sign = "+" if signed and e.value > 0 else ""
    return f"{sign}{e.value * 100:.1f}% [{e.low * 100:.1f}, {e.high * 100:.1f}]"


def comparison_markdown(result: Mapping[str, Any], pairs: Sequence[tuple[str, str]]) -> str:
    """One Markdown row per agent, then one per difference; 95 % intervals in brackets."""
    head = "| agent | conversion | objections resolved | false-claim turns |\n|---|---|---|---|"
    rows = []
    for base, wrapped in pairs:
        for agent in (base, wrapped):
            e = result["agents"][agent]
            rows.append(f"| {agent} | {_pct(e['conversion'])} | {_pct(e['objection_resolution'])} "
                        f"(n={int(e['objection_resolution'].n)}) | {_pct(e['false_claim_rate'])} |")
        d = result["differences"][f"{wrapped} - {base}"]
        rows.append(f"| *difference* | {_pct(d['conversion'], True)} | {_pct(d['objection_resolution'], True)} | "
                    f"{_pct(d['false_claim_rate'], True)} |")
    return "\n".join([head, *rows])
