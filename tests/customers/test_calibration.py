"""The built-in customer's calibration targets, on the shipped test split (4 trials per persona).

Targets: random <= 5 %; scripted converts a minority (15-40 %); adaptive beats scripted with
non-overlapping Wilson intervals; hostile < 5 % for every agent; hot > 50 % for scripted.
"""

from pathlib import Path

import pytest

from aisalesman.core.config import BenchmarkConfig, load_config
from aisalesman.evaluation.benchmark import run_benchmark
from aisalesman.evaluation.report import leaderboard_markdown


@pytest.fixture(scope="module")
def result(tmp_path_factory):
    """The demo's benchmark: the Makefile's `make demo` arguments on the default config."""
    out = tmp_path_factory.mktemp("calibration")
    cfg = load_config(BenchmarkConfig, values={"personas": "test", "trials": 4, "workers": 2, "out": str(out)})
    return run_benchmark(cfg)


@pytest.fixture(scope="module")
def rows(result):
    return {r["agent"]: r for r in result.rows}


def test_readme_tables_are_the_measured_ones(result):
    readme = (Path(__file__).parents[2] / "README.md").read_text(encoding="utf-8")
    assert leaderboard_markdown(result.rows) in readme


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
