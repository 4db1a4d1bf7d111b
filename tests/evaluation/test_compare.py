"""Objection-resolution counting and the paired scenario bootstrap."""

from __future__ import annotations

import pytest

from aisalesman.evaluation.compare import compare_agents, comparison_markdown
from aisalesman.evaluation.metrics import capability_turns, objection_outcomes


def turn(speaker, objection=None, acts=(), capability=None):
    d = {"speaker": speaker, "acts": list(acts)}
    if objection:
        d["objection"] = objection
    if capability:
        d["capability"] = capability
    return d


def test_objection_outcomes() -> None:
    turns = [turn("salesman", capability="opening"), turn("customer", "price"), turn("salesman"),
             turn("customer"),                                    # resolved
             turn("salesman"), turn("customer", "trust"), turn("salesman"),
             turn("customer", "trust"),                           # raised again: not resolved
             turn("salesman"), turn("customer", "timing"), turn("salesman"),
             turn("customer", acts=["hang_up"]),                  # hung up: not resolved
             ]
    assert objection_outcomes({"turns": turns}) == (4, 2)  # the repeated trust objection, then timing instead
    ended = [turn("salesman"), turn("customer", "price"), turn("salesman")]  # the call ended first
    assert objection_outcomes({"turns": ended}) == (1, 0)
    assert objection_outcomes({"turns": [turn("salesman"), turn("customer", "price", ["reject"])]}) == (0, 0)
    assert capability_turns([{"turns": turns}]) == {"none": 5, "opening": 1}


def record(agent, persona, won, trial=0):
    return {"agent": agent, "product": "p", "persona_id": persona, "termination_reason": "sale" if won else "rejected",
            "outcome": "sale" if won else "no_conversion", "goal": "sale", "trial": trial,
            "turns": [turn("salesman")], "stats": {"false_claim_turns": 0, "salesman_turns": 1}}


def test_paired_bootstrap() -> None:
    recs = [record("a", f"x{i}", i % 4 == 0) for i in range(40)] + [record("b", f"x{i}", i % 2 == 0) for i in range(40)]
    out = compare_agents(recs, [("a", "b")], resamples=500)
    assert out["scenarios"] == 40
    assert out["agents"]["a"]["conversion"].value == 0.25 and out["agents"]["b"]["conversion"].value == 0.5
    d = out["differences"]["b - a"]["conversion"]
    assert d.value == 0.25 and 0 < d.low < 0.25 < d.high
    assert repr(compare_agents(recs, [("a", "b")], resamples=500)) == repr(out)  # seeded (NaN where no objections)
    table = comparison_markdown(out, [("a", "b")])
    assert "| *difference* | +25.0% [" in table
    with pytest.raises(ValueError):
        compare_agents(recs, [("c", "d")])
