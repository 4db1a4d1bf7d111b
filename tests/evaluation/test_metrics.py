import math

import pytest

from aisalesman.evaluation.metrics import pass_hat_k, wilson_interval


def test_wilson_interval_matches_known_values():
    lo, hi = wilson_interval(10, 100)
    assert lo == pytest.approx(0.0552, abs=1e-3) and hi == pytest.approx(0.1744, abs=1e-3)
    assert wilson_interval(0, 20)[0] == 0.0 and wilson_interval(20, 20)[1] == 1.0
    assert wilson_interval(0, 0) == (0.0, 1.0)
    with pytest.raises(ValueError):
        wilson_interval(5, 4)


def test_pass_hat_k_is_the_unbiased_estimator():
    results = {"a": [True, True, True, False], "b": [True, False, False, False]}
    assert pass_hat_k(results, 1) == pytest.approx((3 / 4 + 1 / 4) / 2)
    assert pass_hat_k(results, 2) == pytest.approx((math.comb(3, 2) / 6 + 0) / 2)
    assert pass_hat_k(results, 4) == 0.0
    assert pass_hat_k({"a": [True] * 4}, 4) == 1.0
    with pytest.raises(ValueError):
        pass_hat_k(results, 0)


def _record(agent, outcome, reason, persona="p1", segment="warm", trial=0):
    return {"agent": agent, "outcome": outcome, "termination_reason": reason, "goal": "sale", "product": "x",
            "persona_id": persona, "segment": segment, "trial": trial, "turns": [{}] * 6,
            "reward_components": {"outcome": 1.0 if outcome == "sale" else 0.0},
            "stats": {"salesman_turns": 3, "false_claim_turns": 1, "dnc_requested": False}}


def test_infrastructure_errors_are_counted_apart_never_as_failures():
    from aisalesman.evaluation.metrics import leaderboard

    records = [_record("a", "sale", "sale", trial=0), _record("a", "no_conversion", "infra_error", trial=1),
               _record("a", "no_conversion", "rejected", trial=2), _record("a", "no_conversion", "hung_up", trial=3)]
    (row,) = leaderboard(records, k=1)
    assert row["episodes"] == 4 and row["infra_errors"] == 1
    assert row["conversions"] == 1 and row["conversion_rate"] == 0.333333
    assert row["hang_up_rate"] == 0.333333 and row["false_claim_rate"] == 0.333333
    assert row["turns_to_close"] == 6 and row["termination_reasons"] == {"hung_up": 1, "rejected": 1, "sale": 1}


def test_an_agent_whose_every_call_failed_has_null_rates_not_zero():
    from aisalesman.evaluation.metrics import leaderboard
    from aisalesman.evaluation.report import leaderboard_markdown, leaderboard_table

    records = [_record("down", "no_conversion", "infra_error", trial=t) for t in range(3)]
    records += [_record("up", "no_conversion", "rejected", trial=t) for t in range(3)]
    down, up = leaderboard(records, k=3)
    assert down["episodes"] == 3 and down["infra_errors"] == 3 and down["conversions"] == 0
    for key in ("conversion_rate", "ci_low", "ci_high", "pass_hat_k", "hang_up_rate", "false_claim_rate",
                "mean_turns", "mean_reward", "objection_resolution_rate"):
        assert down[key] is None, key
    assert up["conversion_rate"] == 0.0 and up["pass_hat_k"] == 0.0  # a real zero stays zero
    table = leaderboard_markdown([down, up])
    assert "| down | 3 | - | - | - |" in table and "| up | 3 | 0.0% |" in table
    rendered = [r for r in leaderboard_table([down, up]).columns[0].cells]
    assert rendered == ["up", "down"]  # unscored agents sort last


def test_appointments_count_only_for_appointment_goals():
    from aisalesman.evaluation.metrics import converted

    appointment = _record("a", "appointment", "appointment")
    assert not converted(appointment)
    assert converted({**appointment, "goal": "appointment"})
