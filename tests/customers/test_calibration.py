"""The built-in customer's calibration targets, on the shipped test split (4 trials per persona).

Targets: random <= 5 %; scripted converts a minority (15-40 %); adaptive beats scripted with
non-overlapping Wilson intervals; hostile < 5 % for every agent; hot > 50 % for scripted.
"""

import pytest

from aisalesman.core.config import BenchmarkConfig
from aisalesman.evaluation.benchmark import run_benchmark


@pytest.fixture(scope="module")
def rows(tmp_path_factory):
    out = tmp_path_factory.mktemp("calibration")
    cfg = BenchmarkConfig(personas="test", products="bistro-boost", trials=4, seed=0, workers=2, out=str(out))
    return {r["agent"]: r for r in run_benchmark(cfg).rows}


def test_random_talk_almost_never_converts(rows):
    assert rows["random"]["conversion_rate"] <= 0.05


def test_scripted_converts_a_minority(rows):
    assert 0.15 <= rows["scripted"]["conversion_rate"] <= 0.40


def test_adaptive_beats_scripted_with_non_overlapping_intervals(rows):
    assert rows["adaptive"]["ci_low"] > rows["scripted"]["ci_high"]


def test_hostile_rarely_buys_and_hot_usually_does(rows):
    for row in rows.values():
        assert row["by_segment"]["hostile"]["conversion_rate"] < 0.05
    assert rows["scripted"]["by_segment"]["hot"]["conversion_rate"] > 0.5


def test_conversion_falls_from_hot_to_hostile(rows):
    rates = [rows["adaptive"]["by_segment"][s]["conversion_rate"] for s in ("hot", "warm", "neutral", "cold", "hostile")]
    assert rates == sorted(rates, reverse=True) and rates[0] > rates[-1]
