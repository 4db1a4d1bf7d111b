"""``build-library``, ``fit-bayes`` and ``train``."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from aisalesman.cli._app import OVERRIDES, READER, app, check_out, err, out


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
    from aisalesman.agents.library import build_library
    from aisalesman.data.telesales import load_corpus
    from aisalesman.training.bayes import read_weights

    check_out(out_file, "library", overwrite)
    a, b = _parse_prior(prior)
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


def _parse_prior(text: str) -> tuple[float, float]:
    """``a,b``: two finite positive numbers (a Beta prior)."""
    import math

    from aisalesman.core.errors import ConfigError

    try:
        a, b = (float(x) for x in text.split(","))
    except ValueError:
        raise ConfigError(f"--prior: expected two numbers 'a,b', got {text!r}") from None
    if not all(math.isfinite(v) and v > 0 for v in (a, b)):
        raise ConfigError(f"--prior: a and b must be finite numbers > 0, got {text!r}")
    return a, b


@app.command()
def train(
    overrides: Optional[list[str]] = OVERRIDES,
    config: Optional[Path] = typer.Option(None, "--config", help="YAML config file (TrainConfig fields), e.g. "
                                                               "configs/train/bayes_ppo.yaml"),
    out_dir: Optional[str] = typer.Option(None, "--out", help="run directory [default: runs/train]"),
    resume: bool = typer.Option(False, "--resume", help="continue the run in --out from its latest checkpoint"),
    overwrite: bool = typer.Option(False, "--overwrite", help="replace the run already in --out"),
    quiet: bool = typer.Option(False, "--quiet", help="no progress display"),
    reader: Optional[str] = READER,
) -> None:
    """Train a salesman policy on the act-level env with RLlib: ppo, bc_ppo or bayes_ppo.

    ray.address=auto (or host:port) joins a Ray cluster; env_runners.num_env_runners=N samples in N actors.
    """
    from aisalesman.core.config import load_config
    from aisalesman.training.config import TrainConfig
    from aisalesman.training.train import train as run_training

    cfg = load_config(TrainConfig, path=config, overrides=overrides, values={"out": out_dir, "reader": reader})
    from aisalesman.core.extras import require_extra

    require_extra("train", "ray", "torch", "tensorboardX", feature="train")
    with Progress(TextColumn("[bold]train"), BarColumn(), MofNCompleteColumn(), TextColumn("{task.description}"),
                  TimeRemainingColumn(), console=err, disable=quiet or not err.is_terminal, transient=True) as bar:
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
    samples: int = typer.Option(500, help="posterior draws per chain (at most 100,000)"),
    warmup: int = typer.Option(500, help="NUTS warm-up steps per chain (at most 100,000)"),
    chains: int = typer.Option(2, help="NUTS chains, 2 or more for r-hat (at most 64)"),
    svi_steps: int = typer.Option(3000, help="SVI optimisation steps (at most 1,000,000)"),
    seed: int = typer.Option(0, help="sampler seed"),
    overwrite: bool = typer.Option(False, "--overwrite", help="replace an existing file"),
) -> None:
    """Fit the noisy-outcome model: per-dialogue success posteriors, act values per context, noise rates."""
    from aisalesman.data.telesales import load_corpus
    from aisalesman.training.bayes import BayesConfig, fit_posterior

    check_out(out_file, "posterior", overwrite)
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

