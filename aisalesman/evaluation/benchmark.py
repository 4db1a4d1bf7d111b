"""The benchmark: run the episodes, write transcripts, leaderboard, resolved config and timings.

Output directory layout:

``transcripts.jsonl``
    One episode per line, in a fixed order, appended as episodes finish (append-only; a
    crashed run resumes with ``resume=True`` without losing or duplicating an episode).
``leaderboard.json``
    One object per agent (see :func:`aisalesman.evaluation.metrics.leaderboard`).
``config.yaml``
    The resolved configuration.
``timings.json``
    Wall-clock figures, kept apart so the other files are byte-identical across runs.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aisalesman.agents.base import agents as agent_registry
from aisalesman.core.config import BenchmarkConfig, to_yaml
from aisalesman.core.errors import ConfigError, UnknownNameError
from aisalesman.customers.base import customers as customer_registry
from aisalesman.data import load_personas, load_products
from aisalesman.evaluation.metrics import leaderboard
from aisalesman.evaluation.runner import completed_episode_ids, episode_specs, run_episodes

__all__ = ["BenchmarkResult", "run_benchmark"]


@dataclass(frozen=True)
class BenchmarkResult:
    out: Path
    rows: list[dict[str, Any]]
    episodes_run: int
    timings: dict[str, float]


def _write_atomic(path: Path, text: str) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(path)


def _check_names(cfg: BenchmarkConfig) -> None:
    for name in cfg.agents:
        if name not in agent_registry:
            raise UnknownNameError(agent_registry.unknown_message(name))
    if cfg.customer not in customer_registry:
        raise UnknownNameError(customer_registry.unknown_message(cfg.customer))
    unknown = sorted(set(cfg.agent_config) - set(cfg.agents))
    if unknown:
        raise ConfigError(f"agent_config: names {unknown} are not among the agents {cfg.agents}")


def run_benchmark(
    cfg: BenchmarkConfig,
    *,
    resume: bool = False,
    overwrite: bool = False,
    progress: Callable[[int, int], None] | None = None,
) -> BenchmarkResult:
    """Run ``cfg``; ``progress(done, total)`` is called after each episode.

    An output directory that already holds transcripts is an error unless ``resume``
    (continue it: only missing episodes run) or ``overwrite`` (start afresh).
    """
    _check_names(cfg)
    personas = load_personas(cfg.personas)
    products = load_products(cfg.products)
    specs = episode_specs(cfg.agents, personas, products, trials=cfg.trials, seed=cfg.seed, goal=cfg.goal,
                          max_turns=cfg.max_turns, customer=cfg.customer, agent_kwargs=cfg.agent_config)
    out = Path(cfg.out)
    if out.exists() and not out.is_dir():
        raise ConfigError(f"out: {out} exists and is not a directory")
    out.mkdir(parents=True, exist_ok=True)
    transcripts = out / "transcripts.jsonl"
    config_text = to_yaml(cfg)
    done_ids: list[str] = []
    if transcripts.exists() and transcripts.stat().st_size and not overwrite:
        if not resume:
            raise ConfigError(f"out: {out} already holds a run; pass --resume to continue it or --overwrite to replace it")
        previous = out / "config.yaml"
        if previous.exists() and previous.read_text(encoding="utf-8") != config_text:
            raise ConfigError(f"out: {out} holds a run with a different config; cannot resume it")
        done_ids = completed_episode_ids(transcripts)
    expected = [s.episode_id for s in specs[: len(done_ids)]]
    if done_ids != expected:
        raise ConfigError(f"out: {transcripts} does not match this run's episode order; cannot resume it")
    _write_atomic(out / "config.yaml", config_text)
    todo = specs[len(done_ids):]
    start = time.perf_counter()
    with transcripts.open("a" if done_ids else "w", encoding="utf-8") as fh:
        for i, line in enumerate(run_episodes(todo, workers=cfg.workers), len(done_ids) + 1):
            fh.write(line + "\n")
            fh.flush()
            if progress:
                progress(i, len(specs))
    elapsed = time.perf_counter() - start
    records = [json.loads(line) for line in transcripts.read_text(encoding="utf-8").splitlines()]
    rows = leaderboard(records, k=cfg.trials)
    _write_atomic(out / "leaderboard.json", json.dumps(rows, indent=2, sort_keys=True) + "\n")
    turns = sum(len(r["turns"]) for r in records[len(done_ids):])
    timings = {"seconds": round(elapsed, 3), "episodes": len(todo), "workers": cfg.workers,
               "episodes_per_s": round(len(todo) / elapsed, 2) if elapsed else 0.0,
               "turns_per_s": round(turns / elapsed, 1) if elapsed else 0.0}
    _write_atomic(out / "timings.json", json.dumps(timings, indent=2) + "\n")
    return BenchmarkResult(out, rows, len(todo), timings)
