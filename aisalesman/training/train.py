"""The training run behind ``aisalesman train``: supervision data, the RLlib loop, checkpoints, metrics.

A run directory holds ``config.yaml``, the supervision it used (``corpus.jsonl`` when
generated, ``posterior.json`` when fitted), ``metrics.jsonl`` (one line per iteration),
TensorBoard event files under ``tb/``, checkpoints under ``checkpoints/iter_NNNNNN`` and
``final/`` (an RLlib algorithm checkpoint; ``aisalesman benchmark --agents rllib:<run>/final``).
"""

from __future__ import annotations

import json
import os
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from aisalesman.core.config import to_yaml
from aisalesman.core.errors import AISalesmanError, ConfigError
from aisalesman.core.seeding import derive_seed
from aisalesman.training.config import TrainConfig

__all__ = ["TrainResult", "evaluate_policy", "greedy", "prepare_supervision", "sampled", "train"]


@dataclass
class TrainResult:
    out: Path
    iterations: int
    env_steps: int
    final_checkpoint: Path
    last_row: dict[str, Any]


def prepare_supervision(cfg: TrainConfig, out: Path, log: Callable[[str], None] = print):
    """Corpus -> weights -> BC arrays (and posterior act values for shaping), as the method needs."""
    from aisalesman.training.data import bc_dataset, raw_label_weights

    need_posterior = cfg.method == "bayes_ppo" or (cfg.shaping_scale > 0)
    if cfg.method == "ppo" and not need_posterior:
        return None, None, {}
    dialogues = _corpus(cfg, out, log)
    posterior = _posterior(cfg, dialogues, out, log) if need_posterior else None
    info: dict[str, Any] = {"corpus_dialogues": len(dialogues)}
    bc = None
    if cfg.method != "ppo":
        weights = posterior.weight_map() if cfg.method == "bayes_ppo" else raw_label_weights(dialogues)
        data = bc_dataset(dialogues, weights, max_turns=cfg.env.max_turns)
        bc = data.arrays()
        info.update(bc_turns=int(len(data.action)), bc_skipped=data.skipped, bc_mean_weight=float(data.weight.mean()))
        log(f"behaviour cloning on {len(data.action)} turns of {data.dialogues} dialogues "
            f"(mean weight {data.weight.mean():.3f}; left out {data.skipped or 'none'})")
    act_values = posterior.act_value_matrix() if posterior is not None and cfg.shaping_scale > 0 else None
    return bc, act_values, info


def _corpus(cfg: TrainConfig, out: Path, log: Callable[[str], None]):
    from aisalesman.data.corpus import generate_corpus, read_corpus_jsonl, write_corpus
    from aisalesman.data.telesales import load_corpus

    if cfg.corpus.path:
        return load_corpus(cfg.corpus.path)[0]
    path = out / "corpus.jsonl"
    if not path.exists():
        c = cfg.corpus
        log(f"generating a {c.n}-dialogue corpus (label noise {c.label_noise}, {c.annotators} annotator(s)) ...")
        write_corpus(generate_corpus(c.n, label_noise=c.label_noise, annotators=c.annotators, seed=c.seed,
                                     max_turns=cfg.env.max_turns), path)
    return read_corpus_jsonl(path)


def _posterior(cfg: TrainConfig, dialogues, out: Path, log: Callable[[str], None]):
    from aisalesman.training.bayes import BayesConfig, Posterior, fit_posterior

    if cfg.posterior.path:
        return Posterior.load(cfg.posterior.path)
    path = out / "posterior.json"
    if path.exists():
        return Posterior.load(path)
    p = cfg.posterior
    log(f"fitting the noisy-outcome posterior ({p.method}) ...")
    posterior = fit_posterior(dialogues, BayesConfig(method=p.method, channels=p.channels, num_samples=p.samples,
                                                     num_warmup=p.warmup, num_chains=p.chains, svi_steps=p.svi_steps,
                                                     seed=cfg.seed), source=str(cfg.corpus.path or out / "corpus.jsonl"))
    posterior.save(path)
    return posterior


def evaluate_policy(act: Callable[[dict[str, np.ndarray]], int], *, personas: str = "test", products: str = "all",
                    episodes: int = 200, seed: int = 12345, max_turns: int = 40) -> dict[str, float]:
    """Run ``act`` (observation dict -> act index) for ``episodes`` calls against the persona customer.

    The scenarios and customers depend only on ``seed``, so every policy meets the same calls.
    """
    from aisalesman.training.rllib import MODULE_ID, SalesmanMultiAgentEnv

    env = SalesmanMultiAgentEnv({"personas": personas, "products": products, "max_turns": max_turns, "seed": seed})
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
          "seed": cfg.eval.seed, "max_turns": cfg.env.max_turns}
    row = {f"eval_{k}": v for k, v in evaluate_policy(greedy(module), **kw).items()}
    if cfg.eval.sampled:
        ev = evaluate_policy(sampled(module, derive_seed(cfg.eval.seed, "eval-sampling")), **kw)
        row.update({f"eval_sampled_{k}": v for k, v in ev.items()})
    return row


def _ray_init(cfg: TrainConfig) -> str:
    """Start a local Ray or join the cluster at ``ray.address``; describe what we got."""
    import ray

    address = cfg.ray.address
    if address and address != "auto":
        _check_reachable(address)
    if not ray.is_initialized():
        os.environ.setdefault("RAY_AUTH_MODE", "disabled")
        kwargs: dict[str, Any] = {"include_dashboard": False, "log_to_driver": False, "configure_logging": False}
        if address:
            try:
                ray.init(address=address, **kwargs)
            except ConnectionError as e:
                raise ConfigError(f"ray.address={address!r}: {str(e).splitlines()[0]}") from e
        else:
            # "local": a new Ray of our own even when a cluster was started on this machine
            ray.init(address="local", num_cpus=cfg.ray.num_cpus or os.cpu_count(), **kwargs)
    nodes = [n for n in ray.nodes() if n.get("Alive")]
    cpus = ray.cluster_resources().get("CPU", 0)
    return f"Ray at {ray.get_runtime_context().gcs_address}: {len(nodes)} node{'s' * (len(nodes) != 1)}, {cpus:g} CPUs"


def _check_reachable(address: str, timeout: float = 5.0) -> None:
    """Fail fast (Ray itself retries for minutes) when nothing answers at ``[ray://]host:port``."""
    import socket

    host, sep, port = address.split("://", 1)[-1].rpartition(":")
    if not sep or not host or not port.isdigit():
        raise ConfigError(f"ray.address: expected 'auto' or host:port, got {address!r}")
    try:
        socket.create_connection((host, int(port)), timeout=timeout).close()
    except OSError as e:
        raise ConfigError(f"ray.address={address!r}: no Ray cluster answers there ({e.strerror or e})") from e


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


def train(cfg: TrainConfig, *, resume: bool = False, overwrite: bool = False,
          progress: Callable[[dict[str, Any]], None] | None = None, log: Callable[[str], None] = print) -> TrainResult:
    """Train (or, with ``resume``, continue) the salesman policy of ``cfg`` until ``cfg.env_steps``."""
    from aisalesman.training.rllib import MODULE_ID, build_algorithm_config

    out = Path(cfg.out)
    if resume and overwrite:
        raise ConfigError("--resume and --overwrite exclude each other")
    checkpoint = None
    if resume:
        checkpoint = _latest_checkpoint(out)
        if checkpoint is None:
            raise ConfigError(f"--resume: {out} has no checkpoint to resume from")
        saved = (out / "config.yaml").read_text(encoding="utf-8") if (out / "config.yaml").exists() else None
        if saved is not None and saved != to_yaml(cfg):
            raise ConfigError(f"--resume: the config differs from the one saved in {out}/config.yaml")
    elif (out / "config.yaml").exists() or (out / "metrics.jsonl").exists():
        if not overwrite:
            raise ConfigError(f"--out: {out} already holds a run; pass --resume to continue it or --overwrite")
        shutil.rmtree(out)
    out.mkdir(parents=True, exist_ok=True)

    log(_ray_init(cfg))  # before JAX starts threads: Ray forks its helper processes
    bc, act_values, info = prepare_supervision(cfg, out, log)
    algo_config = build_algorithm_config(cfg, bc_data=bc, act_values=act_values)
    if checkpoint is not None:
        from ray.rllib.algorithms.algorithm import Algorithm

        algo = Algorithm.from_checkpoint(str(checkpoint.resolve()))
        log(f"resumed from {checkpoint}")
    else:
        try:
            algo = algo_config.build_algo()
        except AISalesmanError:
            raise
        except ValueError as e:  # RLlib's own validation (e.g. batch size vs fragment length)
            raise ConfigError(f"RLlib rejected the config: {str(e).splitlines()[0]}") from e
    # written once the algorithm exists: a config RLlib rejects leaves no run behind to block a retry
    (out / "config.yaml").write_text(to_yaml(cfg), encoding="utf-8")
    from tensorboardX import SummaryWriter

    writer = SummaryWriter(str(out / "tb"))
    metrics_path = out / "metrics.jsonl"
    iteration, steps, row = int(algo.iteration), 0, {}
    if checkpoint is not None and metrics_path.exists():
        rows = [json.loads(x) for x in metrics_path.read_text(encoding="utf-8").splitlines() if x.strip()]
        kept = [r for r in rows if r["iteration"] <= iteration]
        metrics_path.write_text("".join(json.dumps(r, sort_keys=True) + "\n" for r in kept), encoding="utf-8")
        steps = kept[-1]["env_steps"] if kept else 0
    try:
        with metrics_path.open("a", encoding="utf-8") as fh:
            while steps < cfg.env_steps:
                t0 = time.perf_counter()
                result = algo.train()
                iteration = int(algo.iteration)
                row = _row(result, iteration)
                steps = row["env_steps"]
                row["seconds"] = round(time.perf_counter() - t0, 3)
                group = getattr(algo, "env_runner_group", None)
                if group is not None and cfg.env_runners.num_env_runners:
                    row["env_runner_restarts"] = int(group.num_remote_worker_restarts())
                if iteration % cfg.eval.every == 0 or steps >= cfg.env_steps:
                    row.update(_evaluate(algo.get_module(MODULE_ID), cfg))
                if iteration == 1 and info:
                    row["supervision"] = info
                fh.write(json.dumps(row, sort_keys=True) + "\n")
                fh.flush()
                for k, v in row.items():
                    if isinstance(v, (int, float)) and k not in ("iteration", "env_steps"):
                        writer.add_scalar(k, v, steps)
                if iteration % cfg.checkpoint_every == 0:
                    algo.save_to_path(str((out / "checkpoints" / f"iter_{iteration:06d}").resolve()))
                if progress is not None:
                    progress(row)
        final = out / "final"
        if final.exists():
            shutil.rmtree(final)
        algo.save_to_path(str(final.resolve()))
    finally:
        writer.close()
        algo.stop()
    return TrainResult(out, iteration, steps, final, row)
