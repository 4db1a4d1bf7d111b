"""Benchmarks, outcome metrics and reports."""

from aisalesman.evaluation.benchmark import BenchmarkResult, run_benchmark
from aisalesman.evaluation.metrics import converted, leaderboard, pass_hat_k, wilson_interval
from aisalesman.evaluation.runner import EpisodeSpec, episode_specs, run_episode, run_episodes

__all__ = [
    "BenchmarkResult",
    "EpisodeSpec",
    "converted",
    "episode_specs",
    "leaderboard",
    "pass_hat_k",
    "run_benchmark",
    "run_episode",
    "run_episodes",
    "wilson_interval",
]
