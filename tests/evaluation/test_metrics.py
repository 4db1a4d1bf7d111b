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
