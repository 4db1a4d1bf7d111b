"""``benchmark``, ``simulate`` and ``report``."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from aisalesman.cli._app import (
    CUSTOMER_BACKEND,
    CUSTOMER_BASE_URL,
    CUSTOMER_MODE,
    CUSTOMER_MODEL,
    OVERRIDES,
    READER,
    SALESMAN_BACKEND,
    SALESMAN_BASE_URL,
    SALESMAN_MODEL,
    app,
    err,
    llm_values,
    out,
    read_agent_config,
)
from aisalesman.core.errors import UnknownNameError


@app.command()
def benchmark(
    overrides: Optional[list[str]] = OVERRIDES,
    config: Optional[Path] = typer.Option(None, "--config", help="YAML config file (BenchmarkConfig fields)"),
    agents: Optional[str] = typer.Option(None, help="comma-separated agent names [default: random,scripted,adaptive]"),
    personas: Optional[str] = typer.Option(None, help="persona split (train/dev/test) or file [default: test]"),
    products: Optional[str] = typer.Option(None, help="product names or files, comma-separated, or 'all'"),
    trials: Optional[int] = typer.Option(None, help="episodes per agent x persona x product, at most 10,000 (and at "
                                                    "most 1,000,000 episodes in all) [default: 4]"),
    seed: Optional[int] = typer.Option(None, help="run seed [default: 0]"),
    workers: Optional[int] = typer.Option(None, help="worker processes, at most 256 [default: 1]"),
    out_dir: Optional[str] = typer.Option(None, "--out", help="output directory [default: runs/benchmark]"),
    goal: Optional[str] = typer.Option(None, help="sale or appointment"),
    max_turns: Optional[int] = typer.Option(None, help="utterances before truncation [default: 40]"),
    customer: Optional[str] = typer.Option(None, help="registered customer: persona, llm, ... [default: persona]"),
    agent_config: Optional[Path] = typer.Option(None, "--agent-config",
                                                help="YAML/JSON file: agent name -> constructor arguments"),
    concurrency: Optional[int] = typer.Option(None, help="calls in flight at once (LLM runs), at most 4,096 "
                                                         "[default: 1]"),
    customer_mode: Optional[str] = CUSTOMER_MODE,
    customer_backend: Optional[str] = CUSTOMER_BACKEND,
    customer_model: Optional[str] = CUSTOMER_MODEL,
    customer_base_url: Optional[str] = CUSTOMER_BASE_URL,
    salesman_backend: Optional[str] = SALESMAN_BACKEND,
    salesman_model: Optional[str] = SALESMAN_MODEL,
    salesman_base_url: Optional[str] = SALESMAN_BASE_URL,
    llm_cache: Optional[str] = typer.Option(None, help="completion cache file for every LLM (opt-in)"),
    cache_mode: Optional[str] = typer.Option(None, help="read_write, or replay (answers only from the cache)"),
    reader: Optional[str] = READER,
    resume: bool = typer.Option(False, "--resume", help="continue the run already in --out"),
    overwrite: bool = typer.Option(False, "--overwrite", help="replace the run already in --out"),
    quiet: bool = typer.Option(False, "--quiet", help="no progress bar"),
) -> None:
    """Run every agent against every persona and product, and print the leaderboard."""
    from aisalesman.core.config import BenchmarkConfig, load_config
    from aisalesman.evaluation.benchmark import run_benchmark
    from aisalesman.evaluation.report import fidelity_table, leaderboard_table, segment_table

    values = {"personas": personas, "products": products, "trials": trials, "seed": seed, "workers": workers,
              "out": out_dir, "goal": goal, "max_turns": max_turns, "customer": customer,
              "concurrency": concurrency, "customer_mode": customer_mode, "reader": reader}
    values.update(llm_values(customer_backend, customer_model, customer_base_url, salesman_backend, salesman_model,
                              salesman_base_url, llm_cache, cache_mode))
    if agents is not None:
        values["agents"] = [a.strip() for a in agents.split(",") if a.strip()]
    if agent_config is not None:
        values["agent_config"] = read_agent_config(agent_config)
    cfg = load_config(BenchmarkConfig, path=config, overrides=overrides, values=values)
    with Progress(TextColumn("[bold]benchmark"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(),
                  console=err, disable=quiet or not err.is_terminal, transient=True) as bar:
        task = bar.add_task("episodes", total=None)
        result = run_benchmark(cfg, resume=resume, overwrite=overwrite,
                               progress=lambda done, total: bar.update(task, completed=done, total=total))
    out.print(leaderboard_table(result.rows))
    out.print(segment_table(result.rows))
    out.print(fidelity_table(result.rows))
    for role, st in result.llm_stats.items():
        out.print(f"{role} model {st['model']}: {st['calls']} calls, {st['retries']} retries, {st['failures']} failures, "
                  f"{st['cache_hits']} cache hits, {st['prompt_tokens']}+{st['completion_tokens']} tokens")
    out.print(f"wrote {result.out}/run.json, transcripts.jsonl, leaderboard.json, config.yaml, timings.json "
              f"({result.episodes_run} episodes in {result.timings['seconds']:.1f} s; read by {result.reader})")


def _find_persona(persona_id: str, source: Optional[str]):
    from aisalesman.data import PERSONA_SPLITS, load_personas

    pool = load_personas(source) if source else [p for s in PERSONA_SPLITS for p in load_personas(s)]
    by_id = {p.id: p for p in pool}
    if persona_id not in by_id:
        from aisalesman.core.registry import unknown_name_message

        raise UnknownNameError(unknown_name_message("persona", persona_id, by_id, list_known=False))
    return by_id[persona_id]


@app.command()
def simulate(
    agent: str = typer.Option("adaptive", help="registered agent name"),
    persona: str = typer.Option("test-0001", help="persona id (built-in splits, or in --personas)"),
    personas: Optional[str] = typer.Option(None, help="persona split or file to look the id up in"),
    product: str = typer.Option("bistro-boost", help="product name or file"),
    seed: int = typer.Option(0, help="run seed"),
    customer: str = typer.Option("persona", help="registered customer"),
    goal: str = typer.Option("sale", help="sale or appointment"),
    max_turns: int = typer.Option(40, help="utterances before truncation"),
    as_json: bool = typer.Option(False, "--json", help="print the transcript as one JSON line"),
    customer_mode: Optional[str] = CUSTOMER_MODE,
    customer_backend: Optional[str] = CUSTOMER_BACKEND,
    customer_model: Optional[str] = CUSTOMER_MODEL,
    customer_base_url: Optional[str] = CUSTOMER_BASE_URL,
    salesman_backend: Optional[str] = SALESMAN_BACKEND,
    salesman_model: Optional[str] = SALESMAN_MODEL,
    salesman_base_url: Optional[str] = SALESMAN_BASE_URL,
    reader: Optional[str] = READER,
) -> None:
    """Play one call and print it, coloured by speaker."""
    from aisalesman.agents.base import agents as agent_registry
    from aisalesman.core.errors import ConfigError
    from aisalesman.core.scenario import Scenario
    from aisalesman.core.transcript import transcript_to_json
    from aisalesman.core.types import Goal
    from aisalesman.data import load_product
    from aisalesman.evaluation.runner import EpisodeSpec, run_episode

    if not agent_registry.has(agent):
        raise UnknownNameError(agent_registry.unknown_message(agent))
    if goal not in {g.value for g in Goal}:
        raise ConfigError(f"goal: must be one of {[g.value for g in Goal]}, got {goal!r}")
    p = _find_persona(persona, personas)
    prod = load_product(product)
    Scenario(p, prod, Goal(goal), max_turns)  # validates the limits
    from aisalesman.core.config import BenchmarkConfig, load_config
    from aisalesman.evaluation.benchmark import episode_settings, resolve_config

    cfg = resolve_config(load_config(BenchmarkConfig, values={
        "agents": [agent], "customer": customer, "customer_mode": customer_mode, "reader": reader,
        **llm_values(customer_backend, customer_model, customer_base_url, salesman_backend, salesman_model,
                     salesman_base_url)}))
    agent_kwargs, customer_kwargs, models = episode_settings(cfg)
    for m in models.values():
        if m is not None:
            m.preflight()
    transcript = run_episode(EpisodeSpec(0, agent, p, prod, 0, seed, Goal(goal), max_turns, customer,
                                         agent_kwargs[agent], customer_kwargs=customer_kwargs, reader=cfg.reader),
                             models)
    if as_json:
        out.print(transcript_to_json(transcript), markup=False, highlight=False, soft_wrap=True)
        return
    out.print(f"[bold]{agent}[/] calls [bold]{p.crm.name}[/] of {p.crm.business_name} "
              f"({p.segment} persona {p.id}) about {prod.name}; seed {seed}; read by {cfg.reader}")
    for turn in transcript.turns:
        colour = "cyan" if turn.speaker == "salesman" else "yellow"
        flags = " [red](false claim)[/]" if turn.false_claims else ""
        out.print(f"[{colour}]{turn.speaker:>8}[/]: {turn.text} [dim]{', '.join(turn.acts)}[/]{flags}",
                  highlight=False)
    out.print(f"[bold]outcome:[/] {transcript.outcome} ({transcript.termination_reason}); "
              f"reward {sum(transcript.reward_components.values()):+.2f}")



@app.command()
def report(
    run_dir: Path = typer.Argument(..., help="a benchmark output directory (holding leaderboard.json)"),
    fmt: str = typer.Option("table", "--format", help="table, markdown or json"),
) -> None:
    """Print a finished benchmark's leaderboard and segment breakdown."""
    import json

    from aisalesman.core.errors import ConfigError, DataFileError
    from aisalesman.core.rundir import run_status
    from aisalesman.evaluation.report import (
        fidelity_table,
        leaderboard_markdown,
        leaderboard_table,
        read_leaderboard,
        segment_table,
    )

    if fmt not in ("table", "markdown", "json"):
        raise ConfigError(f"--format: must be table, markdown or json, got {fmt!r}")
    if not run_dir.is_dir():
        raise DataFileError(run_dir, "no such directory (give a benchmark output directory)")
    if run_status(run_dir) == "running":
        raise DataFileError(run_dir, "the run is incomplete (interrupted, or still going): it has no leaderboard "
                                     "yet; finish it with 'aisalesman benchmark ... --resume'")
    path = run_dir / "leaderboard.json"
    if not path.is_file():
        raise DataFileError(path, "no such file (is this a benchmark output directory?)")
    rows = read_leaderboard(path)
    if fmt == "json":
        out.print(json.dumps(rows, indent=2), markup=False, highlight=False)
    elif fmt == "markdown":
        out.print(leaderboard_markdown(rows), markup=False, highlight=False, end="")
    else:
        out.print(leaderboard_table(rows))
        out.print(segment_table(rows))
        out.print(fidelity_table(rows))

