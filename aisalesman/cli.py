"""The ``aisalesman`` command.

User errors (a bad file, an unknown name, an invalid value) print one line,
``error: ...``, and exit with status 2; there is no traceback.
"""

from __future__ import annotations

import json
import logging
import os
import sys
from pathlib import Path
from typing import Optional

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

from aisalesman.core.errors import AISalesmanError, ConfigError, UnknownNameError

app = typer.Typer(add_completion=False, no_args_is_help=True, pretty_exceptions_enable=False,
                  help="AI-Salesman: simulate, benchmark and train LLM-driven telemarketing agents.")
personas_app = typer.Typer(no_args_is_help=True, help="Persona banks: generate populations to edit and reuse.")
app.add_typer(personas_app, name="personas")
corpus_app = typer.Typer(no_args_is_help=True, help="Dialogue corpora: generate synthetic ones, summarise any.")
app.add_typer(corpus_app, name="corpus")

out = Console()
if not out.is_terminal:  # files and pipes get full-width tables
    out = Console(width=140)
err = Console(stderr=True)

_OVERRIDES = typer.Argument(None, help="config overrides as key=value (e.g. agent_config.random.false_claim_prob=0.2)",
                            show_default=False)


_CUSTOMER_MODE = typer.Option(None, help="LLM customer: free or anchored [default: anchored]")
_CUSTOMER_BACKEND = typer.Option(None, help="LLM customer backend: openai, transformers, scripted")
_CUSTOMER_MODEL = typer.Option(None, help="LLM customer model name, path or hub id")
_CUSTOMER_BASE_URL = typer.Option(None, help="LLM customer server URL (OpenAI-compatible)")
_SALESMAN_BACKEND = typer.Option(None, help="LLM salesman (agent 'llm') backend")
_SALESMAN_MODEL = typer.Option(None, help="LLM salesman model name, path or hub id")
_SALESMAN_BASE_URL = typer.Option(None, help="LLM salesman server URL (OpenAI-compatible)")


def _check_out(out_file: Path, suffix: str, what: str, overwrite: bool) -> None:
    """An output file must have ``suffix`` and must not exist unless ``overwrite``."""
    if out_file.suffix != suffix:
        raise ConfigError(f"--out: {what}; use a {suffix} name, got {out_file}")
    if out_file.exists() and not overwrite:
        raise ConfigError(f"--out: {out_file} exists; pass --overwrite to replace it")


def _llm_values(customer_backend, customer_model, customer_base_url, salesman_backend, salesman_model,
                salesman_base_url, cache=None, cache_mode=None) -> dict:
    """Nested ``customer_llm`` / ``salesman_llm`` config values from the command-line flags."""
    values = {}
    for role, backend, model, url in (("customer", customer_backend, customer_model, customer_base_url),
                                      ("salesman", salesman_backend, salesman_model, salesman_base_url)):
        llm = {k: v for k, v in {"backend": backend, "model": model, "base_url": url, "cache": cache,
                                 "cache_mode": cache_mode}.items() if v is not None}
        if llm:
            values[f"{role}_llm"] = llm
    return values


def _read_agent_config(path: Path) -> dict:
    """``{agent name: {argument: value}}`` from a YAML or JSON file, checked for shape."""
    from aisalesman.core.errors import DataFileError
    from aisalesman.core.files import read_structured

    data = read_structured(path)
    if not isinstance(data, dict):
        raise DataFileError(path, f"an agent config must map agent names to arguments, got {type(data).__name__}")
    for name, args in data.items():
        if not isinstance(args, dict):
            raise DataFileError(path, f"agent {name!r}: arguments must be a mapping, got {type(args).__name__}")
    return data


@app.command()
def benchmark(
    overrides: Optional[list[str]] = _OVERRIDES,
    config: Optional[Path] = typer.Option(None, "--config", help="YAML config file (BenchmarkConfig fields)"),
    agents: Optional[str] = typer.Option(None, help="comma-separated agent names [default: random,scripted,adaptive]"),
    personas: Optional[str] = typer.Option(None, help="persona split (train/dev/test) or file [default: test]"),
    products: Optional[str] = typer.Option(None, help="product names or files, comma-separated, or 'all'"),
    trials: Optional[int] = typer.Option(None, help="episodes per agent x persona x product [default: 4]"),
    seed: Optional[int] = typer.Option(None, help="run seed [default: 0]"),
    workers: Optional[int] = typer.Option(None, help="worker processes [default: 1]"),
    out_dir: Optional[str] = typer.Option(None, "--out", help="output directory [default: runs/benchmark]"),
    goal: Optional[str] = typer.Option(None, help="sale or appointment"),
    max_turns: Optional[int] = typer.Option(None, help="utterances before truncation [default: 40]"),
    customer: Optional[str] = typer.Option(None, help="registered customer: persona, llm, ... [default: persona]"),
    agent_config: Optional[Path] = typer.Option(None, "--agent-config",
                                                help="YAML/JSON file: agent name -> constructor arguments"),
    concurrency: Optional[int] = typer.Option(None, help="calls in flight at once (LLM runs) [default: 1]"),
    customer_mode: Optional[str] = _CUSTOMER_MODE,
    customer_backend: Optional[str] = _CUSTOMER_BACKEND,
    customer_model: Optional[str] = _CUSTOMER_MODEL,
    customer_base_url: Optional[str] = _CUSTOMER_BASE_URL,
    salesman_backend: Optional[str] = _SALESMAN_BACKEND,
    salesman_model: Optional[str] = _SALESMAN_MODEL,
    salesman_base_url: Optional[str] = _SALESMAN_BASE_URL,
    llm_cache: Optional[str] = typer.Option(None, help="completion cache file for every LLM (opt-in)"),
    cache_mode: Optional[str] = typer.Option(None, help="read_write, or replay (answers only from the cache)"),
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
              "concurrency": concurrency, "customer_mode": customer_mode}
    values.update(_llm_values(customer_backend, customer_model, customer_base_url, salesman_backend, salesman_model,
                              salesman_base_url, llm_cache, cache_mode))
    if agents is not None:
        values["agents"] = [a.strip() for a in agents.split(",") if a.strip()]
    if agent_config is not None:
        values["agent_config"] = _read_agent_config(agent_config)
    cfg = load_config(BenchmarkConfig, path=config, overrides=overrides, values=values)
    with Progress(TextColumn("[bold]benchmark"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(),
                  console=err, disable=quiet, transient=True) as bar:
        task = bar.add_task("episodes", total=None)
        result = run_benchmark(cfg, resume=resume, overwrite=overwrite,
                               progress=lambda done, total: bar.update(task, completed=done, total=total))
    out.print(leaderboard_table(result.rows))
    out.print(segment_table(result.rows))
    out.print(fidelity_table(result.rows))
    for role, st in result.llm_stats.items():
        out.print(f"{role} model {st['model']}: {st['calls']} calls, {st['retries']} retries, {st['failures']} failures, "
                  f"{st['cache_hits']} cache hits, {st['prompt_tokens']}+{st['completion_tokens']} tokens")
    out.print(f"wrote {result.out}/transcripts.jsonl, leaderboard.json, config.yaml, timings.json "
              f"({result.episodes_run} episodes in {result.timings['seconds']:.1f} s)")


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
    customer_mode: Optional[str] = _CUSTOMER_MODE,
    customer_backend: Optional[str] = _CUSTOMER_BACKEND,
    customer_model: Optional[str] = _CUSTOMER_MODEL,
    customer_base_url: Optional[str] = _CUSTOMER_BASE_URL,
    salesman_backend: Optional[str] = _SALESMAN_BACKEND,
    salesman_model: Optional[str] = _SALESMAN_MODEL,
    salesman_base_url: Optional[str] = _SALESMAN_BASE_URL,
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
    from aisalesman.evaluation.benchmark import episode_settings

    cfg = load_config(BenchmarkConfig, values={"agents": [agent], "customer": customer, "customer_mode": customer_mode,
                                               **_llm_values(customer_backend, customer_model, customer_base_url,
                                                             salesman_backend, salesman_model, salesman_base_url)})
    agent_kwargs, customer_kwargs, models = episode_settings(cfg)
    for m in models.values():
        if m is not None:
            m.preflight()
    transcript = run_episode(EpisodeSpec(0, agent, p, prod, 0, seed, Goal(goal), max_turns, customer,
                                         agent_kwargs[agent], customer_kwargs=customer_kwargs), models)
    if as_json:
        out.print(transcript_to_json(transcript), markup=False, highlight=False, soft_wrap=True)
        return
    out.print(f"[bold]{agent}[/] calls [bold]{p.crm.name}[/] of {p.crm.business_name} "
              f"({p.segment} persona {p.id}) about {prod.name}; seed {seed}")
    for turn in transcript.turns:
        colour = "cyan" if turn.speaker == "salesman" else "yellow"
        flags = " [red](false claim)[/]" if turn.false_claims else ""
        out.print(f"[{colour}]{turn.speaker:>8}[/]: {turn.text} [dim]{', '.join(turn.acts)}[/]{flags}",
                  highlight=False)
    out.print(f"[bold]outcome:[/] {transcript.outcome} ({transcript.termination_reason}); "
              f"reward {sum(transcript.reward_components.values()):+.2f}")


@personas_app.command("generate")
def personas_generate(
    n: int = typer.Option(100, "--n", help="how many personas"),
    seed: int = typer.Option(0, help="generator seed"),
    out_file: Path = typer.Option(..., "--out", help="output file (.jsonl, .yaml or .json)"),
    id_prefix: str = typer.Option("p", help="persona ids are PREFIX0000, PREFIX0001, ..."),
) -> None:
    """Write a seeded persona population that you can edit and pass back with --personas."""
    from aisalesman.core.errors import ConfigError
    from aisalesman.customers.generator import generate_personas
    from aisalesman.data import write_personas

    if out_file.suffix not in {".jsonl", ".yaml", ".yml", ".json"}:
        raise ConfigError(f"--out: use a .jsonl, .yaml or .json file, got {str(out_file)!r}")
    people = generate_personas(n, seed=seed, id_prefix=id_prefix)
    write_personas(people, out_file)
    counts: dict[str, int] = {}
    for p in people:
        counts[str(p.segment)] = counts.get(str(p.segment), 0) + 1
    out.print(f"wrote {len(people)} personas to {out_file} ({', '.join(f'{k} {v}' for k, v in counts.items())})")


@corpus_app.command("generate")
def corpus_generate(
    n: int = typer.Option(..., "--n", help="how many dialogues"),
    label_noise: float = typer.Option(0.0, help="chance that an observed label is flipped from the truth"),
    annotators: int = typer.Option(1, help="noisy labels per dialogue (one per annotator)"),
    seed: int = typer.Option(0, help="generator seed"),
    personas: str = typer.Option("train", help="persona split or file (never use the test split for training)"),
    products: str = typer.Option("all", help="product names or files, comma-separated, or 'all'"),
    mix: str = typer.Option("", help="salesmen and their shares, e.g. 'random=0.5,flawed=0.3,adaptive=0.2' "
                                     "(default: scripted=0.3,adaptive=0.3,random=0.2,flawed=0.2)"),
    out_file: Path = typer.Option(..., "--out", help="output file (.jsonl)"),
    overwrite: bool = typer.Option(False, "--overwrite", help="replace an existing file"),
) -> None:
    """Write a synthetic corpus: our customers against a mix of salesmen, with noisy outcome labels."""
    from aisalesman.data.corpus import corpus_stats, generate_corpus, read_corpus_jsonl, write_corpus

    shares = _parse_mix(mix) if mix else None
    _check_out(out_file, ".jsonl", "corpus files are JSONL", overwrite)
    count = write_corpus(generate_corpus(n, label_noise=label_noise, seed=seed, annotators=annotators,
                                         personas=personas, products=products, mix=shares), out_file)
    stats = corpus_stats(read_corpus_jsonl(out_file))
    out.print(f"wrote {count} dialogues to {out_file}: true success {stats['true_success_rate']:.1%}, "
              f"observed labels {stats['label_rate']:.1%}, label accuracy {stats['label_accuracy']:.1%}")


def _parse_mix(text: str) -> dict[str, float]:
    shares = {}
    for part in filter(None, (p.strip() for p in text.split(","))):
        name, eq, value = part.partition("=")
        try:
            shares[name.strip()] = float(value)
        except ValueError:
            raise ConfigError(f"--mix: expected name=share, got {part!r}") from None
        if not eq or not name.strip():
            raise ConfigError(f"--mix: expected name=share, got {part!r}")
    return shares


@corpus_app.command("stats")
def corpus_stats_command(
    path: Path = typer.Argument(..., help="a corpus file"),
    as_json: bool = typer.Option(False, "--json", help="print the summary as JSON"),
) -> None:
    """Summarise a corpus: sizes, turns, label and true-success rates, by agent and segment.

    Reads our JSONL format and, through schema discovery, TeleSalesCorpus-shaped JSON files;
    for the latter it also reports what it could not map.
    """
    from aisalesman.data.corpus import corpus_stats
    from aisalesman.data.telesales import load_corpus

    dialogues, load_report = load_corpus(path)
    stats = corpus_stats(dialogues)
    if as_json:
        if load_report is not None:
            stats["load_report"] = load_report.to_dict()
        out.print(json.dumps(stats, indent=2, sort_keys=True), markup=False, highlight=False, soft_wrap=True)
        return
    if load_report is not None:
        for line in load_report.lines():
            out.print(line, markup=False, highlight=False)
    table = Table(title=f"Corpus {path}", title_justify="left")
    table.add_column("")
    table.add_column("value", justify="right")
    for key in ("dialogues", "turns", "mean_turns", "salesman_turns", "customer_turns", "labelled", "label_rate",
                "true_success_known", "true_success_rate", "label_accuracy"):
        value = stats[key]
        table.add_row(key.replace("_", " "), "-" if value is None else f"{value:.1%}" if "rate" in key or "accuracy" in key
                      else str(value))
    out.print(table)
    for title, key in (("by agent", "by_agent"), ("by segment", "by_segment")):
        if stats[key]:
            t = Table(title=title, title_justify="left")
            for col in ("", "dialogues", "label rate", "true success"):
                t.add_column(col, justify="left" if not col else "right")
            for name, row in stats[key].items():
                t.add_row(name, str(row["dialogues"]), *("-" if row[k] is None else f"{row[k]:.1%}"
                                                         for k in ("label_rate", "true_success_rate")))
            out.print(t)


@app.command("build-library")
def build_library_command(
    corpus: Path = typer.Option(..., "--corpus", help="a corpus: our JSONL format or a TeleSalesCorpus-shaped JSON file"),
    out_file: Path = typer.Option(..., "--out", help="the library file to write (.json)"),
    weights: Optional[Path] = typer.Option(None, help="dialogue success weights (JSON id -> probability, or JSONL "
                                                      "records with id and weight); default: the raw labels"),
    intents_from: Optional[Path] = typer.Option(None, help="a labelled corpus to train the intent classifier on, for "
                                                           "corpora whose turns carry no intents or acts"),
    distance: float = typer.Option(0.35, help="cosine distance threshold for clustering outlines"),
    embedding: str = typer.Option("tfidf", help="tfidf or sentence-transformers:<model>"),
    prior: str = typer.Option("1,1", help="Beta prior a,b of each entry's success rate"),
    keep_false_claims: bool = typer.Option(False, "--keep-false-claims", help="keep turns the corpus marks as false"),
    overwrite: bool = typer.Option(False, "--overwrite", help="replace an existing file"),
) -> None:
    """Mine a script library (outlines per intent with posterior success) from a corpus, for DOGA."""
    from aisalesman.agents.intents import TfidfIntentClassifier, labelled_turns
    from aisalesman.agents.library import build_library, read_weights
    from aisalesman.core.errors import ConfigError
    from aisalesman.data.telesales import load_corpus

    _check_out(out_file, ".json", "libraries are JSON", overwrite)
    try:
        a, b = (float(x) for x in prior.split(","))
    except ValueError:
        raise ConfigError(f"--prior: expected two numbers 'a,b', got {prior!r}") from None
    dialogues, _ = load_corpus(corpus)
    classifier = None
    if intents_from is not None:
        classifier = TfidfIntentClassifier.from_examples(labelled_turns(load_corpus(intents_from)[0]))
    library = build_library(dialogues, weights=read_weights(weights) if weights else None, prior=(a, b),
                            distance=distance, embedding=embedding, exclude_false_claims=not keep_false_claims,
                            classifier=classifier, source=corpus.name)
    library.save(out_file)
    counts: dict[str, int] = {}
    for e in library.entries:
        counts[e.intent] = counts.get(e.intent, 0) + 1
    out.print(f"wrote {len(library.entries)} entries from {library.meta['turns']} turns of "
              f"{library.meta['dialogues_used']} dialogues to {out_file} ({library.meta['weights']})")
    out.print("entries by intent: " + ", ".join(f"{k} {v}" for k, v in counts.items()), markup=False)


@app.command()
def train(
    overrides: Optional[list[str]] = _OVERRIDES,
    config: Optional[Path] = typer.Option(None, "--config", help="YAML config file (TrainConfig fields), e.g. "
                                                               "configs/train/bayes_ppo.yaml"),
    out_dir: Optional[str] = typer.Option(None, "--out", help="run directory [default: runs/train]"),
    resume: bool = typer.Option(False, "--resume", help="continue the run in --out from its latest checkpoint"),
    overwrite: bool = typer.Option(False, "--overwrite", help="replace the run already in --out"),
    quiet: bool = typer.Option(False, "--quiet", help="no progress display"),
) -> None:
    """Train a salesman policy on the act-level env with RLlib: ppo, bc_ppo or bayes_ppo.

    ray.address=auto (or host:port) joins a Ray cluster; env_runners.num_env_runners=N samples in N actors.
    """
    from aisalesman.core.config import load_config
    from aisalesman.training.config import TrainConfig
    from aisalesman.training.train import train as run_training

    cfg = load_config(TrainConfig, path=config, overrides=overrides, values={"out": out_dir})
    with Progress(TextColumn("[bold]train"), BarColumn(), MofNCompleteColumn(), TextColumn("{task.description}"),
                  TimeRemainingColumn(), console=err, disable=quiet, transient=True) as bar:
        task = bar.add_task("", total=cfg.env_steps)

        def show(row: dict) -> None:
            ev = row.get("eval_conversion")
            bar.update(task, completed=min(row["env_steps"], cfg.env_steps),
                       description=f"iter {row['iteration']} return {row['episode_return_mean'] or 0:.3f}"
                                   + (f" test conversion {ev:.1%}" if ev is not None else ""))

        result = run_training(cfg, resume=resume, overwrite=overwrite, progress=show,
                              log=lambda msg: err.print(msg, markup=False, highlight=False))
    last = result.last_row
    summary = f"{result.iterations} iterations, {result.env_steps} env steps"
    if last.get("eval_conversion") is not None:
        summary += f"; test conversion {last['eval_conversion']:.1%} greedy"
        if last.get("eval_sampled_conversion") is not None:
            summary += f", {last['eval_sampled_conversion']:.1%} sampling"
        summary += f" over {cfg.eval.episodes} calls"
    out.print(summary, markup=False, highlight=False)
    out.print(f"wrote {result.out}/metrics.jsonl, tb/, checkpoints/ and final/ "
              f"(benchmark it: aisalesman benchmark --agents rllib:{result.final_checkpoint})",
              markup=False, highlight=False)


@app.command("fit-bayes")
def fit_bayes_command(
    corpus: Path = typer.Option(..., "--corpus", help="a labelled corpus: our JSONL format or TeleSalesCorpus-shaped"),
    out_file: Path = typer.Option(..., "--out", help="the posterior file to write (.json)"),
    method: str = typer.Option("nuts", help="nuts (r-hat and ESS reported) or svi (faster; ELBO convergence reported)"),
    channels: str = typer.Option("annotator", help="annotator (one noise channel per label column) or shared"),
    samples: int = typer.Option(500, help="posterior draws per chain"),
    warmup: int = typer.Option(500, help="NUTS warm-up steps per chain"),
    chains: int = typer.Option(2, help="NUTS chains (2 or more for r-hat)"),
    svi_steps: int = typer.Option(3000, help="SVI optimisation steps"),
    seed: int = typer.Option(0, help="sampler seed"),
    overwrite: bool = typer.Option(False, "--overwrite", help="replace an existing file"),
) -> None:
    """Fit the noisy-outcome model: per-dialogue success posteriors, act values per context, noise rates."""
    from aisalesman.data.telesales import load_corpus
    from aisalesman.training.bayes import BayesConfig, fit_posterior

    _check_out(out_file, ".json", "posterior files are JSON", overwrite)
    cfg = BayesConfig(method=method, channels=channels, num_samples=samples, num_warmup=warmup, num_chains=chains,
                      svi_steps=svi_steps, seed=seed)
    dialogues, _ = load_corpus(corpus)
    posterior = fit_posterior(dialogues, cfg, source=str(corpus), progress=out.is_terminal)
    posterior.save(out_file)
    for line in posterior_lines(posterior):
        out.print(line, markup=False, highlight=False)
    out.print(f"wrote {out_file}", markup=False, highlight=False)


def posterior_lines(posterior) -> list[str]:
    """A short human summary of a fitted posterior."""
    d, e = posterior.diagnostics, posterior.evaluation
    lines = [f"{e['dialogues']} dialogues; observed label rate {e['raw_label_rate']:.1%}, "
             f"posterior success rate {e['posterior_success_rate']:.1%}"]
    for name, ch in posterior.noise.items():
        parts = [f"{r} {ch[r]['mean']:.3f} (90% HPDI {ch[r]['hpdi90'][0]:.3f}-{ch[r]['hpdi90'][1]:.3f})"
                 for r in ("fpr", "fnr")]
        lines.append(f"noise {name}: " + ", ".join(parts))
    if d["method"] == "nuts":
        rh = "n/a (one chain)" if d["max_r_hat"] is None else f"{d['max_r_hat']:.3f}"
        lines.append(f"NUTS: max r-hat {rh}, min ESS {d['min_ess']:.0f}, divergences {d['divergences']}")
    else:
        lines.append(f"SVI: final loss {d['final_loss']:.1f}, relative change over the last 10% of steps "
                     f"{d['relative_change_last_10pct']:.2e}")
    if "auc_posterior" in e:
        lines.append(f"true success known: AUC of posterior weights {e['auc_posterior']:.3f}, "
                     f"of raw labels {e['auc_raw_labels']:.3f}")
    return lines


@corpus_app.command("import")
def corpus_import(
    path: Path = typer.Argument(..., help="a TeleSalesCorpus-shaped JSON (or JSON lines) file"),
    out_file: Path = typer.Option(..., "--out", help="output file in our corpus format (.jsonl)"),
    overwrite: bool = typer.Option(False, "--overwrite", help="replace an existing file"),
) -> None:
    """Convert a corpus of undocumented schema into our JSONL format, reporting what was not mapped."""
    from aisalesman.data.corpus import write_corpus
    from aisalesman.data.telesales import load_telesales_corpus

    _check_out(out_file, ".jsonl", "corpus files are JSONL", overwrite)
    dialogues, load_report = load_telesales_corpus(path)
    for line in load_report.lines():
        out.print(line, markup=False, highlight=False)
    out.print(f"wrote {write_corpus(dialogues, out_file)} dialogues to {out_file}")


@app.command()
def report(
    run_dir: Path = typer.Argument(..., help="a benchmark output directory (holding leaderboard.json)"),
    fmt: str = typer.Option("table", "--format", help="table, markdown or json"),
) -> None:
    """Print a finished benchmark's leaderboard and segment breakdown."""
    import json

    from aisalesman.core.errors import ConfigError, DataFileError
    from aisalesman.evaluation.report import fidelity_table, leaderboard_markdown, leaderboard_table, segment_table

    if fmt not in ("table", "markdown", "json"):
        raise ConfigError(f"--format: must be table, markdown or json, got {fmt!r}")
    path = run_dir / "leaderboard.json"
    if not path.is_file():
        raise DataFileError(path, "no such file (is this a benchmark output directory?)")
    try:
        rows = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as e:
        raise DataFileError(path, f"not valid JSON: {e.msg}") from e
    if fmt == "json":
        out.print(json.dumps(rows, indent=2), markup=False, highlight=False)
    elif fmt == "markdown":
        out.print(leaderboard_markdown(rows), markup=False, highlight=False, end="")
    else:
        out.print(leaderboard_table(rows))
        out.print(segment_table(rows))
        out.print(fidelity_table(rows))


@app.command()
def serve(
    host: str = typer.Option("127.0.0.1", help="address to bind (127.0.0.1 keeps it on this machine)"),
    port: int = typer.Option(8089, help="port"),
    personas: str = typer.Option("test", help="persona split or file whose personas become models"),
    products: str = typer.Option("all", help="products callers may choose with customer/<id>@<product>"),
    default_product: Optional[str] = typer.Option(None, help="product for plain customer/<id> [default: first]"),
    seed: int = typer.Option(0, help="server seed (requests may pass their own)"),
    goal: str = typer.Option("sale", help="sale or appointment"),
    max_turns: int = typer.Option(40, help="utterances before truncation"),
    api_key_env: Optional[str] = typer.Option(None, help="require 'Authorization: Bearer $VAR' with this variable's value"),
    customer: str = typer.Option("persona", help="registered customer: persona or llm"),
    customer_mode: Optional[str] = _CUSTOMER_MODE,
    customer_backend: Optional[str] = _CUSTOMER_BACKEND,
    customer_model: Optional[str] = _CUSTOMER_MODEL,
    customer_base_url: Optional[str] = _CUSTOMER_BASE_URL,
) -> None:
    """Serve simulated customers as OpenAI-compatible chat models (customer/<persona_id>)."""
    from aisalesman.core.errors import ConfigError
    from aisalesman.core.types import Goal
    from aisalesman.data import load_personas, load_products
    from aisalesman.serve import CustomerService
    from aisalesman.serve import serve as run_server

    if goal not in {g.value for g in Goal}:
        raise ConfigError(f"goal: must be one of {[g.value for g in Goal]}, got {goal!r}")
    if not 0 <= port <= 65535:
        raise ConfigError(f"port: must be in 0..65535, got {port}")
    if max_turns < 2:
        raise ConfigError(f"max_turns: must be >= 2, got {max_turns}")
    if api_key_env and not os.environ.get(api_key_env):
        raise ConfigError(f"api_key_env: environment variable {api_key_env} is not set or empty")
    from aisalesman.core.config import BenchmarkConfig, load_config
    from aisalesman.evaluation.benchmark import episode_settings

    cfg = load_config(BenchmarkConfig, values={"customer": customer, "customer_mode": customer_mode,
                                               **_llm_values(customer_backend, customer_model, customer_base_url,
                                                             None, None, None)})
    _, customer_kwargs, models = episode_settings(cfg)
    if models["customer"] is not None:
        models["customer"].preflight()
    service = CustomerService(load_personas(personas), load_products(products), default_product=default_product,
                              customer=customer, customer_kwargs=customer_kwargs, chat_model=models["customer"],
                              seed=seed, goal=goal, max_turns=max_turns)
    err.print(f"serving {len(service.personas)} {customer} customers (customer/<persona_id>) on http://{host}:{port}/v1"
              + (" with bearer-token auth" if api_key_env else ""), highlight=False)
    run_server(service, host=host, port=port, api_key_env=api_key_env)


@app.command("list")
def list_components() -> None:
    """List registered environments, agents, customers, products and persona splits."""
    import aisalesman.envs  # noqa: F401  (registers the envs)
    from aisalesman.agents.base import agents as agent_registry
    from aisalesman.core.llm import chat_models
    from aisalesman.customers.base import customers as customer_registry
    from aisalesman.data import PERSONA_SPLITS, builtin_product_names
    from aisalesman.envs.registry import envs

    for title, names in (("envs", envs.names()), ("agents", agent_registry.names()), ("LLM backends", chat_models.names()),
                         ("customers", customer_registry.names()), ("products", builtin_product_names()),
                         ("persona splits", list(PERSONA_SPLITS))):
        out.print(f"[bold]{title}:[/] {', '.join(names)}")


def main(argv: Optional[list[str]] = None) -> int:
    """Entry point; returns the exit status (2 for user errors)."""
    import aisalesman  # noqa: F401  (registers built-in components and plug-ins)

    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    command = typer.main.get_command(app)
    try:
        # Standalone mode: typer reports its own usage errors (exit 2) and help (exit 0).
        command.main(args=argv, prog_name="aisalesman", standalone_mode=True)
    except SystemExit as e:
        return e.code if isinstance(e.code, int) else (0 if e.code is None else 1)
    except AISalesmanError as e:
        message = " ".join(str(e).split("\n"))
        err.print(f"error: {message}", markup=False, highlight=False, soft_wrap=True)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
