"""The benchmark: run the episodes, write transcripts, leaderboard, resolved config and timings.

Output directory layout:

``run.json``
    The run's manifest: its status (``running`` until the leaderboard is written, then
    ``complete``), the files it wrote (see :mod:`aisalesman.core.rundir`) and, under
    ``info.reader``, the reader that read every utterance.
``transcripts.jsonl``
    One episode per line, in a fixed order, appended as episodes finish (append-only; a
    crashed run resumes with ``resume=True`` without losing or duplicating an episode).
``leaderboard.json``
    One object per agent (see :func:`aisalesman.evaluation.metrics.leaderboard`).
``config.yaml``
    The resolved configuration (``reader`` resolved to a name: the project default,
    :data:`~aisalesman.dialogue.DEFAULT_ENV_READER`, when the config leaves it unset).
``timings.json``
    Wall-clock figures, kept apart so the other files are byte-identical across runs.
``llm_stats.json``
    Per-backend counters when LLMs are used: calls, retries, failures by error type,
    tokens, cache hits and misses (also timing-dependent, so kept apart).
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aisalesman.agents.base import agents as agent_registry
from aisalesman.agents.base import make_agent
from aisalesman.core.config import BenchmarkConfig, LLMConfig, to_yaml
from aisalesman.core.errors import ConfigError, UnknownNameError
from aisalesman.core.llm import ChatModel, make_chat_model
from aisalesman.core.rundir import RunDir
from aisalesman.customers.base import customers as customer_registry
from aisalesman.customers.base import make_customer
from aisalesman.data import load_personas, load_products
from aisalesman.dialogue.configured import check_reader_name, default_reader_name, env_reader
from aisalesman.evaluation.metrics import leaderboard
from aisalesman.evaluation.runner import arun_episodes, completed_episode_ids, episode_specs, run_episodes

__all__ = ["BenchmarkResult", "episode_settings", "resolve_config", "run_benchmark"]


@dataclass(frozen=True)
class BenchmarkResult:
    out: Path
    rows: list[dict[str, Any]]
    episodes_run: int
    timings: dict[str, float]
    llm_stats: dict[str, Any] = field(default_factory=dict)
    reader: str = ""  # the name of the reader that read every utterance


def _check_names(cfg: BenchmarkConfig) -> None:
    for name in cfg.agents:
        if not agent_registry.has(name):
            raise UnknownNameError(agent_registry.unknown_message(name))
    if not customer_registry.has(cfg.customer):
        raise UnknownNameError(customer_registry.unknown_message(cfg.customer))
    unknown = sorted(set(cfg.agent_config) - set(cfg.agents))
    if unknown:
        raise ConfigError(f"agent_config: names {unknown} are not among the agents {cfg.agents}")
    if cfg.reader is not None:
        check_reader_name(cfg.reader)


def resolve_config(cfg: BenchmarkConfig) -> BenchmarkConfig:
    """``cfg`` checked, with ``reader`` set to a name (the project default when it was unset)."""
    _check_names(cfg)
    return cfg if cfg.reader is not None else dataclasses.replace(cfg, reader=default_reader_name())


def _uses_model(registry, name: str) -> bool:
    return registry.uses_chat_model(name)


def _llm_kwargs(llm: LLMConfig) -> dict[str, Any]:
    return {"temperature": llm.temperature, "top_p": llm.top_p, "max_tokens": llm.max_tokens}


def _roles_with_models(cfg: BenchmarkConfig) -> set[str]:
    """The roles (``customer``, ``salesman``) played by something that uses an LLM."""
    roles = set()
    if _uses_model(customer_registry, cfg.customer):
        roles.add("customer")
    if any(_uses_model(agent_registry, a) for a in cfg.agents):
        roles.add("salesman")
    return roles


def _models(cfg: BenchmarkConfig) -> dict[str, ChatModel | None]:
    """The shared chat model of each role that needs one (built once for the whole run)."""
    roles = _roles_with_models(cfg)
    return {role: make_chat_model(getattr(cfg, f"{role}_llm")) if role in roles else None
            for role in ("customer", "salesman")}


def _kwargs(cfg: BenchmarkConfig) -> tuple[dict[str, dict[str, Any]], dict[str, Any]]:
    """Constructor arguments per agent, and for the customer, LLM sampling settings included."""
    customer_kwargs = dict(cfg.customer_config)
    if _uses_model(customer_registry, cfg.customer):
        customer_kwargs = {"mode": cfg.customer_mode, **_llm_kwargs(cfg.customer_llm), **customer_kwargs}
    agent_kwargs = {a: ({**_llm_kwargs(cfg.salesman_llm), **cfg.agent_config.get(a, {})}
                        if _uses_model(agent_registry, a) else dict(cfg.agent_config.get(a, {})))
                    for a in cfg.agents}
    return agent_kwargs, customer_kwargs


def episode_settings(cfg: BenchmarkConfig) -> tuple[dict[str, dict[str, Any]], dict[str, Any], dict[str, ChatModel | None]]:
    """Agent and customer constructor arguments and the shared chat models for ``cfg`` (for one-off runs).

    Pass ``cfg`` through :func:`resolve_config` first to check and name its reader.
    """
    _check_names(cfg)
    agent_kwargs, customer_kwargs = _kwargs(cfg)
    return agent_kwargs, customer_kwargs, _models(cfg)


def _model_stats(models: dict[str, ChatModel | None]) -> dict[str, Any]:
    out = {}
    for role, m in models.items():
        if m is not None:
            out[role] = {"model": m.name, **m.stats_dict()}
    return out


OUTPUTS = ("transcripts.jsonl", "leaderboard.json", "timings.json", "llm_stats.json")
DERIVED = ("leaderboard.json", "timings.json", "llm_stats.json")


def run_benchmark(
    cfg: BenchmarkConfig,
    *,
    resume: bool = False,
    overwrite: bool = False,
    progress: Callable[[int, int], None] | None = None,
) -> BenchmarkResult:
    """Run ``cfg``; ``progress(done, total)`` is called after each episode.

    An output directory that already holds a run is an error unless ``resume`` (continue
    it: only missing episodes run) or ``overwrite`` (replace it). Every input is checked
    before anything is written (see :mod:`aisalesman.core.rundir` for the rules).
    """
    cfg = resolve_config(cfg)
    personas = load_personas(cfg.personas)
    products = load_products(cfg.products)
    agent_kwargs, customer_kwargs = _kwargs(cfg)
    specs = episode_specs(cfg.agents, personas, products, trials=cfg.trials, seed=cfg.seed, goal=cfg.goal,
                          max_turns=cfg.max_turns, customer=cfg.customer, agent_kwargs=agent_kwargs,
                          customer_kwargs=customer_kwargs, reader=cfg.reader)
    uses_llm = bool(_roles_with_models(cfg))
    if uses_llm and cfg.workers > 1:
        raise ConfigError(f"workers: runs with LLMs use one process and --concurrency N; got workers={cfg.workers}")
    config_text = to_yaml(cfg)
    run = RunDir.open(cfg.out, kind="benchmark", outputs=OUTPUTS, derived=DERIVED, config_text=config_text,
                      resume=resume, overwrite=overwrite, info={"reader": cfg.reader})
    transcripts = run.path / "transcripts.jsonl"
    done_ids = _done_ids(run, specs)
    todo = specs[len(done_ids):]
    models = _models(cfg) if todo else {}
    for m in models.values():
        if m is not None:
            m.preflight()  # an unreachable server fails here, before anything is written
    if todo:  # so do constructor arguments an agent or the customer does not take
        for a in cfg.agents:
            make_agent(a, chat_model=models["salesman"], **agent_kwargs[a])
        make_customer(cfg.customer, chat_model=models["customer"], **customer_kwargs)
        env_reader(cfg.reader)  # built once here, before any worker process forks, and any failure is here
    run.begin(config_text)
    start = time.perf_counter()
    with run.appender("transcripts.jsonl") as fh:

        def write(i: int, line: str) -> None:
            fh.write(line + "\n")
            fh.flush()
            if progress:
                progress(i, len(specs))

        _play(cfg, todo, models, first=len(done_ids) + 1, write=write, uses_llm=uses_llm)
    elapsed = time.perf_counter() - start
    result = _summarise(run, cfg, transcripts, new_from=len(done_ids), elapsed=elapsed, models=models)
    run.finish()
    return result


def _done_ids(run: RunDir, specs: list) -> list[str]:
    """The episodes a resumed run already holds (they must be this run's first episodes, in order)."""
    if not run.resuming:
        return []
    transcripts = run.path / "transcripts.jsonl"
    done_ids = completed_episode_ids(transcripts)
    if done_ids != [s.episode_id for s in specs[: len(done_ids)]]:
        raise ConfigError(f"--resume: {transcripts} does not match this run's episode order; cannot resume it")
    return done_ids


def _play(cfg: BenchmarkConfig, todo: list, models: dict[str, ChatModel | None], *, first: int,
          write: Callable[[int, str], None], uses_llm: bool) -> None:
    if uses_llm or cfg.concurrency > 1:
        async def consume() -> None:
            i = first
            async for line in arun_episodes(todo, concurrency=cfg.concurrency, models=models):
                write(i, line)
                i += 1

        asyncio.run(consume())
    else:
        for i, line in enumerate(run_episodes(todo, workers=cfg.workers), first):
            write(i, line)


def _summarise(run: RunDir, cfg: BenchmarkConfig, transcripts: Path, *, new_from: int, elapsed: float,
               models: dict[str, ChatModel | None]) -> BenchmarkResult:
    """Write the leaderboard, timings and LLM counters from the finished transcripts (streamed)."""
    counts = {"records": 0, "new_turns": 0}

    def records():
        with transcripts.open(encoding="utf-8") as fh:
            for line in fh:
                record = json.loads(line)
                if counts["records"] >= new_from:
                    counts["new_turns"] += len(record["turns"])
                counts["records"] += 1
                yield record

    rows = leaderboard(records(), k=cfg.trials)
    run.write("leaderboard.json", json.dumps(rows, indent=2, sort_keys=True) + "\n")
    new, turns = counts["records"] - new_from, counts["new_turns"]
    timings = {"seconds": round(elapsed, 3), "episodes": new, "workers": cfg.workers,
               "episodes_per_s": round(new / elapsed, 2) if elapsed else 0.0,
               "turns_per_s": round(turns / elapsed, 1) if elapsed else 0.0}
    run.write("timings.json", json.dumps(timings, indent=2) + "\n")
    llm_stats = _model_stats(models)
    if llm_stats:
        run.write("llm_stats.json", json.dumps(llm_stats, indent=2, sort_keys=True) + "\n")
    return BenchmarkResult(run.path, rows, new, timings, llm_stats, cfg.reader)
