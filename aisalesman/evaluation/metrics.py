"""Outcome metrics: conversion with Wilson intervals, pass^k, and the per-agent leaderboard."""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from typing import Any

from aisalesman.core.types import CustomerAct, Goal, Outcome, TerminationReason
from aisalesman.dialogue.acts import DECISION_PRECEDENCE

__all__ = ["capability_turns", "converted", "leaderboard", "objection_outcomes", "pass_hat_k", "wilson_interval"]

# the call-ending acts other than acceptance: an objection followed by one was not resolved
_UNRESOLVED_ACTS = {str(a) for a in DECISION_PRECEDENCE if a is not CustomerAct.ACCEPT}


def wilson_interval(successes: int, n: int, *, z: float = 1.959964) -> tuple[float, float]:
    """The Wilson score interval for a binomial proportion (95 % by default)."""
    if n <= 0:
        return (0.0, 1.0)
    if not 0 <= successes <= n:
        raise ValueError(f"successes must be in [0, {n}], got {successes}")
    p = successes / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    return (max(0.0, centre - half), min(1.0, centre + half))


def pass_hat_k(results: Mapping[str, list[bool]], k: int) -> float | None:
    """pass^k: the chance that all of k trials of a persona succeed, averaged over personas.

    Uses the unbiased estimator C(c, k) / C(n, k) per persona (c successes in n >= k trials);
    None when no persona has k trials (e.g. every call ended in an infrastructure error).
    """
    if k < 1:
        raise ValueError(f"k must be >= 1, got {k}")
    scores = []
    for trials in results.values():
        n, c = len(trials), sum(trials)
        if n >= k:
            scores.append(math.comb(c, k) / math.comb(n, k))
    return sum(scores) / len(scores) if scores else None


def converted(record: Mapping[str, Any]) -> bool:
    """Whether an episode reached its goal (an appointment counts only for appointment goals)."""
    if record["outcome"] == Outcome.SALE:
        return True
    return record["goal"] == Goal.APPOINTMENT and record["outcome"] == Outcome.APPOINTMENT


def objection_outcomes(record: Mapping[str, Any]) -> tuple[int, int]:
    """``(objections answered, objections resolved)`` in one transcript record.

    An objection is a customer turn raising one that the salesman then answers (any next
    salesman turn). It is resolved when the customer's next turn neither raises the same
    objection again nor rejects, hangs up or asks not to be called; a call that ends
    before the customer speaks again leaves it unresolved.
    """
    turns = record["turns"]
    answered = resolved = 0
    for i, t in enumerate(turns):
        if t.get("speaker") != "customer" or not t.get("objection") or i + 1 >= len(turns):
            continue
        answered += 1
        nxt = turns[i + 2] if i + 2 < len(turns) else None
        if nxt is not None and nxt.get("objection") != t["objection"] and not _UNRESOLVED_ACTS & set(nxt.get("acts", ())):
            resolved += 1
    return answered, resolved


def capability_turns(records: Iterable[Mapping[str, Any]]) -> dict[str, int]:
    """How many salesman turns exercised each capability (``none`` for turns outside the stage machine)."""
    counts: Counter = Counter(t.get("capability") or "none" for r in records for t in r["turns"]
                              if t.get("speaker") == "salesman")
    return dict(sorted(counts.items()))


def _rate(k: int, n: int) -> float | None:
    """``k / n``, or None (JSON null) when there is nothing to divide by: undefined, not zero."""
    return round(k / n, 6) if n else None


def _segment_rows(records: list[Mapping[str, Any]]) -> dict[str, dict[str, Any]]:
    by_seg: dict[str, list[bool]] = defaultdict(list)
    for r in records:
        by_seg[r["segment"]].append(converted(r))
    out = {}
    for seg, flags in sorted(by_seg.items()):
        lo, hi = wilson_interval(sum(flags), len(flags))
        out[seg] = {"episodes": len(flags), "conversions": sum(flags), "conversion_rate": _rate(sum(flags), len(flags)),
                    "ci_low": round(lo, 6), "ci_high": round(hi, 6)}
    return out


def _fidelity(records: list[Mapping[str, Any]]) -> dict[str, Any]:
    """Customer-simulator fidelity over the calls (see :mod:`aisalesman.evaluation.fidelity`)."""
    fid = [r["stats"]["fidelity"] for r in records if "fidelity" in r.get("stats", {})]
    turns = sum(f["customer_turns"] for f in fid)
    kinds: Counter = Counter()
    for f in fid:
        kinds.update(f["drift"])
    return {"customer_turns": turns,
            "role_inversion_rate": _rate(sum(f["role_inversions"] for f in fid), turns),
            "persona_drift_rate": _rate(sum(f["drift_turns"] for f in fid), turns),
            "calls_with_role_inversion": sum(1 for f in fid if f["role_inversions"]),
            "calls_with_drift": sum(1 for f in fid if f["drift_turns"]),
            "drift": dict(sorted(kinds.items()))}


def _llm_usage(records: list[Mapping[str, Any]], conversions: int) -> dict[str, Any] | None:
    """LLM calls, tokens and cost over the calls (both roles), and per conversion."""
    usages = [u for r in records for u in r.get("stats", {}).get("llm", {}).values()]
    if not usages:
        return None
    total = {k: sum(u.get(k, 0) for u in usages) for k in ("llm_calls", "prompt_tokens", "completion_tokens", "cost")}
    total["repairs"] = sum(u.get("repairs", 0) for u in usages)
    tokens = total["prompt_tokens"] + total["completion_tokens"]
    total["cost"] = round(total["cost"], 6)
    total["tokens_per_conversion"] = round(tokens / conversions, 1) if conversions else None
    total["cost_per_conversion"] = round(total["cost"] / conversions, 6) if conversions else None
    return total


def _round(x: float | None, digits: int = 6) -> float | None:
    return None if x is None else round(x, digits)


def per_persona_wins(records: list[Mapping[str, Any]], wins: list[bool]) -> dict[str, list[bool]]:
    """Success flags grouped by scenario (product and persona), for pass^k."""
    out: dict[str, list[bool]] = defaultdict(list)
    for r, w in zip(records, wins, strict=True):
        out[f"{r['product']}/{r['persona_id']}"].append(w)
    return out


def _agent_row(agent: str, records: list[Mapping[str, Any]], k: int) -> dict[str, Any]:
    infra = [r for r in records if r["termination_reason"] == TerminationReason.INFRA_ERROR]
    scored = [r for r in records if r["termination_reason"] != TerminationReason.INFRA_ERROR]
    wins = [converted(r) for r in scored]
    n, c = len(scored), sum(wins)
    lo, hi = wilson_interval(c, n) if n else (None, None)
    pass_k = pass_hat_k(per_persona_wins(scored, wins), k)
    reasons = Counter(r["termination_reason"] for r in scored)
    salesman_turns = sum(r["stats"]["salesman_turns"] for r in scored)
    false_turns = sum(r["stats"]["false_claim_turns"] for r in scored)
    close_turns = [r["n_turns"] for r, w in zip(scored, wins, strict=True) if w]
    answered, resolved = sum(r["objections"][0] for r in scored), sum(r["objections"][1] for r in scored)
    obj_lo, obj_hi = wilson_interval(resolved, answered) if answered else (None, None)
    return {
        "agent": agent,
        "episodes": len(records),
        "conversions": c,
        "conversion_rate": _rate(c, n),
        "ci_low": _round(lo),
        "ci_high": _round(hi),
        "pass_hat_k": _round(pass_k),
        "k": k,
        "hang_up_rate": _rate(reasons[TerminationReason.HUNG_UP], n),
        "dnc_requests": sum(1 for r in scored if r["stats"]["dnc_requested"]),
        "dnc_violations": reasons[TerminationReason.DNC_VIOLATED],
        "false_claim_rate": _rate(false_turns, salesman_turns),
        "infra_errors": len(infra),
        "mean_turns": round(sum(r["n_turns"] for r in scored) / n, 4) if n else None,
        "turns_to_close": round(sum(close_turns) / len(close_turns), 4) if close_turns else None,
        "mean_reward": round(sum(sum(r["reward_components"].values()) for r in scored) / n, 6) if n else None,
        "objections": answered,
        "objection_resolution_rate": _rate(resolved, answered),
        "objection_ci_low": _round(obj_lo),
        "objection_ci_high": _round(obj_hi),
        "capability_turns": dict(sorted(sum((r["capabilities"] for r in scored), Counter()).items())),
        "termination_reasons": dict(sorted(reasons.items())),
        "by_segment": _segment_rows(scored),
        "fidelity": _fidelity(scored),
        **({"llm": usage} if (usage := _llm_usage(records, c)) else {}),
    }


def _summary(record: Mapping[str, Any]) -> dict[str, Any]:
    """A record without its turns, plus what the leaderboard needs from them (memory stays small)."""
    out = {k: v for k, v in record.items() if k != "turns"}
    out["n_turns"] = len(record["turns"])
    out["objections"] = objection_outcomes(record)
    out["capabilities"] = Counter(capability_turns([record]))
    return out


def leaderboard(records: Iterable[Mapping[str, Any]], *, k: int) -> list[dict[str, Any]]:
    """One row per agent (in first-seen order) from transcript records (dicts).

    ``records`` may be a stream: each is reduced to a small summary as it is read.
    """
    by_agent: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for r in records:
        by_agent[r["agent"]].append(_summary(r))
    return [_agent_row(agent, recs, k) for agent, recs in by_agent.items()]
