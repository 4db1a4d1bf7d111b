"""The training run behind ``aisalesman train``: supervision data, the RLlib loop, checkpoints, metrics.

A run directory holds ``run.json`` (its manifest and status, see
:mod:`aisalesman.core.rundir`), ``config.yaml``, the supervision it used (``corpus.jsonl`` when
generated, ``posterior.json`` when fitted), ``metrics.jsonl`` (one line per iteration),
TensorBoard event files under ``tb/``, checkpoints under ``checkpoints/iter_NNNNNN`` and
``final/`` (an RLlib algorithm checkpoint; ``aisalesman benchmark --agents rllib:<run>/final``).
"""

from __future__ import annotations

import json
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from aisalesman.core.config import to_yaml
from aisalesman.core.errors import AISalesmanError, ConfigError, DataFileError
from aisalesman.core.rundir import RunDir
from aisalesman.core.seeding import derive_seed
from aisalesman.training.cluster import ray_init
from aisalesman.training.config import TrainConfig

__all__ = ["TrainResult", "evaluate_policy", "greedy", "prepare_supervision", "sampled", "train"]


@dataclass
class TrainResult:
    out: Path
    iterations: int
    env_steps: int
    final_checkpoint: Path
    last_row: dict[str, Any]


def prepare_supervision(cfg: TrainConfig, run: RunDir, log: Callable[[str], None] = print, *,
                        given: tuple[Any, Any] = (None, None)):
    """Corpus -> weights -> BC arrays (and posterior act values for shaping), as the method needs.

    ``given``: the user's corpus and posterior (read by :func:`read_supervision` before the
    run started); what is not given is generated into the run directory (or reused on resume).
    """
    from aisalesman.training.data import bc_dataset, raw_label_weights

    need_corpus, need_posterior = _supervision_needed(cfg)
    if not need_corpus:
        return None, None, {}
    dialogues = given[0] if given[0] is not None else _corpus(cfg, run, log)
    posterior = None
    if need_posterior:
        posterior = given[1] if given[1] is not None else _posterior(cfg, dialogues, run, log)
    info: dict[str, Any] = {"corpus_dialogues": len(dialogues)}
    bc = None
    if cfg.method != "ppo":
        weights = posterior.weight_map() if cfg.method == "bayes_ppo" else raw_label_weights(dialogues)
        data = bc_dataset(dialogues, weights, max_turns=cfg.env.max_turns, reader=cfg.reader)
        bc = data.arrays()
        info.update(bc_turns=int(len(data.action)), bc_skipped=data.skipped, bc_mean_weight=float(data.weight.mean()))
        log(f"behaviour cloning on {len(data.action)} turns of {data.dialogues} dialogues "
            f"(mean weight {data.weight.mean():.3f}; left out {data.skipped or 'none'})")
    act_values = posterior.act_value_matrix() if posterior is not None and cfg.shaping_scale > 0 else None
    return bc, act_values, info


def _supervision_needed(cfg: TrainConfig) -> tuple[bool, bool]:
    """Whether the method uses the corpus, and the posterior (BC weights or shaping)."""
    need_posterior = cfg.method == "bayes_ppo" or cfg.shaping_scale > 0
    return cfg.method != "ppo" or need_posterior, need_posterior


def read_supervision(cfg: TrainConfig) -> tuple[Any, Any]:
    """The corpus and posterior files the config names and its method uses (None otherwise), read and checked.

    A TeleSalesCorpus-shaped corpus file is labelled by the run's reader on the way in.
    """
    from aisalesman.data.telesales import label_dialogues, load_corpus
    from aisalesman.training.bayes import Posterior

    need_corpus, need_posterior = _supervision_needed(cfg)
    if not need_corpus:
        return None, None
    dialogues = None
    if cfg.corpus.path:
        dialogues, imported = load_corpus(cfg.corpus.path)
        if imported is not None:  # not our format: its turns carry no acts yet
            dialogues = label_dialogues(dialogues, cfg.reader)
    posterior = Posterior.load(cfg.posterior.path) if cfg.posterior.path and need_posterior else None
    return dialogues, posterior


def _corpus(cfg: TrainConfig, run: RunDir, log: Callable[[str], None]):
    from aisalesman.data.corpus import read_corpus_jsonl, write_corpus
    from aisalesman.evaluation.corpus_gen import generate_corpus

    path = run.claim("corpus.jsonl")
    if not path.exists():
        c = cfg.corpus
        log(f"generating a {c.n}-dialogue corpus (label noise {c.label_noise}, {c.annotators} annotator(s)) ...")
        write_corpus(generate_corpus(c.n, label_noise=c.label_noise, annotators=c.annotators, seed=c.seed,
                                     max_turns=cfg.env.max_turns, reader=cfg.reader), path)
    return read_corpus_jsonl(path)


def _posterior(cfg: TrainConfig, dialogues, run: RunDir, log: Callable[[str], None]):
    from aisalesman.training.bayes import BayesConfig, Posterior, fit_posterior

    path = run.claim("posterior.json")
    if path.exists():
        return Posterior.load(path)
    p = cfg.posterior
    log(f"fitting the noisy-outcome posterior ({p.method}) ...")
    posterior = fit_posterior(dialogues, BayesConfig(method=p.method, channels=p.channels, num_samples=p.samples,
                                                     num_warmup=p.warmup, num_chains=p.chains, svi_steps=p.svi_steps,
                                                     seed=cfg.seed), source=str(cfg.corpus.path or run.path / "corpus.jsonl"))
    posterior.save(path)
    return posterior


def evaluate_policy(act: Callable[[dict[str, np.ndarray]], int], *, personas: str = "test", products: str = "all",
                    episodes: int = 200, seed: int = 12345, max_turns: int = 40,
                    reader: str | None = None) -> dict[str, float]:
    """Run ``act`` (observation dict -> act index) for ``episodes`` calls against the persona customer.

    The scenarios and customers depend only on ``seed``, so every policy meets the same calls;
    ``reader`` (a registered name; the project default if None) reads the utterances.
    """
    from aisalesman.training.rllib import MODULE_ID, SalesmanMultiAgentEnv

    env = SalesmanMultiAgentEnv({"personas": personas, "products": products, "max_turns": max_turns, "seed": seed,
                                 "reader": reader})
    sales, returns, turns = 0, 0.0, 0
    for i in range(episodes):
        obs, _ = env.reset(seed=seed + i)
        done = False
        while not done:
            obs, rew, term, trunc, info = env.step({MODULE_ID: act(obs[MODULE_ID])})
            returns += rew[MODULE_ID]
            done = term["__all__"] or trunc["__all__"]
        sales += info[MODULE_ID]["outcome"] == "sale"
        turns += info[MODULE_ID]["turns"]
    return {"conversion": sales / episodes, "return_mean": returns / episodes, "turns_mean": turns / episodes}


def greedy(module) -> Callable[[dict[str, np.ndarray]], int]:
    """The module's most likely legal act."""

    def act(obs: dict[str, np.ndarray]) -> int:
        return int(module.act_logits(obs).argmax())

    return act


def sampled(module, seed: int) -> Callable[[dict[str, np.ndarray]], int]:
    """Acts drawn from the module's policy (what PPO trains), by a generator seeded with ``seed``."""
    import torch

    rng = np.random.default_rng(seed)

    def act(obs: dict[str, np.ndarray]) -> int:
        p = torch.softmax(module.act_logits(obs).double(), dim=-1).numpy()
        return int(rng.choice(p.shape[0], p=p / p.sum()))

    return act


def _evaluate(module, cfg: TrainConfig) -> dict[str, float]:
    """``eval_*``: the greedy policy; ``eval_sampled_*`` (when ``eval.sampled``): the sampling policy."""
    kw = {"personas": cfg.eval.personas, "products": cfg.eval.products, "episodes": cfg.eval.episodes,
          "seed": cfg.eval.seed, "max_turns": cfg.env.max_turns, "reader": cfg.reader}
    row = {f"eval_{k}": v for k, v in evaluate_policy(greedy(module), **kw).items()}
    if cfg.eval.sampled:
        ev = evaluate_policy(sampled(module, derive_seed(cfg.eval.seed, "eval-sampling")), **kw)
        row.update({f"eval_sampled_{k}": v for k, v in ev.items()})
    return row


def _latest_checkpoint(out: Path) -> Path | None:
    found = sorted((out / "checkpoints").glob("iter_*"))
    return found[-1] if found else None


def _row(result: dict[str, Any], iteration: int) -> dict[str, Any]:
    er, lr = result.get("env_runners", {}), result.get("learners", {}).get("salesman", {})
    steps = result.get("num_env_steps_sampled_lifetime", er.get("num_env_steps_sampled_lifetime", 0))
    row = {"iteration": iteration, "env_steps": int(steps),
           "episode_return_mean": er.get("episode_return_mean"), "episode_len_mean": er.get("episode_len_mean"),
           "train_conversion": er.get("conversion"), "episodes": er.get("num_episodes_lifetime")}
    for key in ("policy_loss", "vf_loss", "entropy", "bc_loss", "bc_lambda"):
        if key in lr:
            row[key] = float(lr[key])
    return {k: (float(v) if isinstance(v, (np.floating, np.integer)) else v) for k, v in row.items()}


#: What a training run writes into its directory (besides config.yaml and run.json).
OUTPUTS = ("corpus.jsonl", "posterior.json", "metrics.jsonl", "tb", "checkpoints", "final", "crashes.log")


def _validate_rllib(cfg: TrainConfig) -> None:
    """RLlib's own checks (e.g. batch size vs fragment length), before anything is written."""
    from aisalesman.training.rllib import build_algorithm_config

    try:
        build_algorithm_config(cfg).validate()
    except ValueError as e:
        raise ConfigError(f"RLlib rejected the config: {str(e).splitlines()[0]}") from e


def _build(cfg: TrainConfig, bc, act_values, checkpoint: Path | None, log: Callable[[str], None]):
    from aisalesman.training.rllib import build_algorithm_config

    if checkpoint is not None:
        from ray.rllib.algorithms.algorithm import Algorithm

        algo = Algorithm.from_checkpoint(str(checkpoint.resolve()))
        log(f"resumed from {checkpoint}")
        return algo
    try:
        return build_algorithm_config(cfg, bc_data=bc, act_values=act_values).build_algo()
    except AISalesmanError:
        raise
    except ValueError as e:  # RLlib's own validation
        raise ConfigError(f"RLlib rejected the config: {str(e).splitlines()[0]}") from e


def _kept_rows(run: RunDir, iteration: int) -> list[dict[str, Any]]:
    """On resume: the metrics rows up to the checkpoint's iteration (later ones are redone)."""
    path = run.path / "metrics.jsonl"
    if not path.exists():
        return []
    lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
    rows = []
    for lineno, line in enumerate(lines, 1):
        try:
            row = json.loads(line)
        except ValueError:
            if lineno == len(lines):
                break  # a torn last line from a crash
            raise DataFileError(path, f"line {lineno} is not a metrics record; cannot resume") from None
        if isinstance(row, dict) and isinstance(row.get("iteration"), int) and row["iteration"] <= iteration:
            rows.append(row)
    return rows


def train(cfg: TrainConfig, *, resume: bool = False, overwrite: bool = False,
          progress: Callable[[dict[str, Any]], None] | None = None, log: Callable[[str], None] = print) -> TrainResult:
    """Train (or, with ``resume``, continue) the salesman policy of ``cfg`` until ``cfg.env_steps``.

    Every input is checked before anything is written; ``overwrite`` removes only what the
    previous run in ``cfg.out`` recorded as its own (see :mod:`aisalesman.core.rundir`).
    ``resume`` continues from the latest checkpoint (from the start if there is none yet).
    """
    from aisalesman.training.rllib import MODULE_ID

    config_text = to_yaml(cfg)
    run = RunDir.open(cfg.out, kind="train", outputs=OUTPUTS, config_text=config_text, resume=resume,
                      overwrite=overwrite, info={"reader": cfg.reader})
    given = read_supervision(cfg)
    _validate_rllib(cfg)
    checkpoint = _latest_checkpoint(run.path) if run.resuming else None
    log(ray_init(cfg))  # checks ray.address too; before JAX starts threads: Ray forks its helper processes
    run.begin(config_text)
    if cfg.env_runners.crash_prob:
        run.claim("crashes.log")
    bc, act_values, info = prepare_supervision(cfg, run, log, given=given)
    algo = _build(cfg, bc, act_values, checkpoint, log)
    kept = _kept_rows(run, int(algo.iteration)) if checkpoint is not None else []
    run.write("metrics.jsonl", "".join(json.dumps(r, sort_keys=True) + "\n" for r in kept))
    from tensorboardX import SummaryWriter

    writer = SummaryWriter(str(run.claim("tb")))
    iteration, steps, row = int(algo.iteration), (kept[-1]["env_steps"] if kept else 0), {}
    try:
        with run.appender("metrics.jsonl") as fh:
            while steps < cfg.env_steps:
                row = _iteration(algo, cfg, MODULE_ID, info=info)
                iteration, steps = row["iteration"], row["env_steps"]
                fh.write(json.dumps(row, sort_keys=True) + "\n")
                fh.flush()
                for k, v in row.items():
                    if isinstance(v, (int, float)) and k not in ("iteration", "env_steps"):
                        writer.add_scalar(k, v, steps)
                if iteration % cfg.checkpoint_every == 0:
                    algo.save_to_path(str((run.claim("checkpoints") / f"iter_{iteration:06d}").resolve()))
                if progress is not None:
                    progress(row)
        final = run.claim("final")
        if final.exists():
            shutil.rmtree(final)
        algo.save_to_path(str(final.resolve()))
    finally:
        writer.close()
        algo.stop()
    run.finish()
    return TrainResult(run.path, iteration, steps, final, row)


def _iteration(algo, cfg: TrainConfig, module_id: str, *, info: dict[str, Any]) -> dict[str, Any]:
    """One ``algo.train()`` and its metrics row (with an evaluation when due)."""
    t0 = time.perf_counter()
    result = algo.train()
    iteration = int(algo.iteration)
    row = _row(result, iteration)
    row["seconds"] = round(time.perf_counter() - t0, 3)
    group = getattr(algo, "env_runner_group", None)
    if group is not None and cfg.env_runners.num_env_runners:
        row["env_runner_restarts"] = int(group.num_remote_worker_restarts())
    if iteration % cfg.eval.every == 0 or row["env_steps"] >= cfg.env_steps:
        row.update(_evaluate(algo.get_module(module_id), cfg))
    if iteration == 1 and info:
        row["supervision"] = info
    return row
