"""RLlib integration: the only module that imports ``ray.rllib``.

* :class:`SalesmanMultiAgentEnv`: the act-level call as an RLlib ``MultiAgentEnv`` whose one
  trained agent is ``salesman``; the built-in persona customer is embedded in the env (its
  dynamics need the whole persona and its running interest and trust, which no fixed
  policy over the customer's 33-number observation could reproduce). Optional
  potential-based shaping from the posterior's act values.
* :class:`SalesmanTorchModule`: policy and value MLPs on the observation vector, with
  illegal acts masked out of the logits.
* :class:`BayesPPOTorchLearner`: PPO plus ``lambda * E_corpus[-w(s, a) log pi(a | s)]``,
  lambda annealed on sampled env steps; ``w`` is the posterior success probability of the
  turn's dialogue (``bayes_ppo``) or its raw label (``bc_ppo``).
* :func:`build_algorithm_config`: our :class:`~aisalesman.training.config.TrainConfig` to a
  ``PPOConfig``.

**Our reconstruction.** The paper trains an LLM with GRPO under Bayesian supervision; its
exact objective was not available. The act-level BC+PPO loss here (a behaviour-cloning term on
corpus turns weighted by the posterior success of their call, its weight annealed, and
optional potential-based shaping from posterior act values) is our own act-level analogue of
that idea, not the paper's method.
"""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

import numpy as np
import torch
from ray.rllib.algorithms.ppo import PPOConfig
from ray.rllib.algorithms.ppo.torch.ppo_torch_learner import PPOTorchLearner
from ray.rllib.callbacks.callbacks import RLlibCallback
from ray.rllib.core.columns import Columns
from ray.rllib.core.rl_module.apis.value_function_api import ValueFunctionAPI
from ray.rllib.core.rl_module.multi_rl_module import MultiRLModuleSpec
from ray.rllib.core.rl_module.rl_module import RLModuleSpec
from ray.rllib.core.rl_module.torch.torch_rl_module import TorchRLModule
from ray.rllib.env.multi_agent_env import MultiAgentEnv
from ray.rllib.utils.metrics import NUM_ENV_STEPS_SAMPLED_LIFETIME
from ray.rllib.utils.schedules.scheduler import Scheduler
from torch import nn

from aisalesman.core.seeding import derive_seed
from aisalesman.core.types import Outcome

__all__ = [
    "ENV_NAME",
    "MODULE_ID",
    "BayesPPOTorchLearner",
    "SalesCallbacks",
    "SalesmanMultiAgentEnv",
    "SalesmanTorchModule",
    "bc_loss",
    "behaviour_clone",
    "build_algorithm_config",
    "register",
]

ENV_NAME = "aisalesman-acts-rllib-v0"
MODULE_ID = "salesman"
_MASKED = torch.finfo(torch.float32).min


class EnvCrash(RuntimeError):
    """Raised on purpose by ``crash_prob`` (tests of env-runner fault tolerance)."""


class SalesmanMultiAgentEnv(MultiAgentEnv):
    """The act-level sales call for RLlib (see the module docstring).

    ``config`` keys: ``personas`` (split or file, default ``train``), ``products``
    (default ``all``), ``max_turns`` (40), ``reader`` (a registered reader name; the project
    default if absent), ``seed`` (0; each env runner and vector index
    derives its own stream), ``act_values`` (a (contexts, acts) array) with
    ``shaping_scale`` and ``gamma`` for potential-based shaping, ``crash_prob`` (0; testing
    fault tolerance: the chance per step of an exception) and ``crash_log`` (a file that
    gets a line per crash).
    """

    def __init__(self, config: dict[str, Any] | None = None) -> None:
        super().__init__()
        from aisalesman.envs.registry import make_env

        # RLlib's EnvContext carries the runner and vector indices as attributes; read them before copying.
        worker = getattr(config, "worker_index", 0)
        vector = getattr(config, "vector_index", 0)
        config = dict(config or {})
        self._single = make_env("aisalesman/telesales-acts-salesman-v0", illegal_action="raise",
                                personas=config.get("personas", "train"), products=config.get("products", "all"),
                                max_turns=int(config.get("max_turns", 40)), reader=config.get("reader"))
        self._env = self._single.env
        self._seed = derive_seed(int(config.get("seed", 0)), "rllib-env", worker, vector)
        self._seeded = False
        self._crash = float(config.get("crash_prob", 0.0))
        # Crashes are not reproducible on purpose: a restarted runner must not crash at the same step.
        self._crash_rng = random.Random()
        self._crash_log = config.get("crash_log")
        values = config.get("act_values")
        self._values = None if values is None else np.asarray(values, dtype=np.float32)
        self._scale = float(config.get("shaping_scale", 0.0))
        self._gamma = float(config.get("gamma", 0.99))
        self.agents = self.possible_agents = [MODULE_ID]
        self.observation_spaces = {MODULE_ID: self._single.observation_space}
        self.action_spaces = {MODULE_ID: self._single.action_space}

    def reset(self, *, seed: int | None = None, options: dict[str, Any] | None = None):
        if seed is None and not self._seeded:
            seed = self._seed
        self._seeded = True
        obs, info = self._single.reset(seed=seed, options=options)
        self._potential = 0.0
        return {MODULE_ID: obs}, {MODULE_ID: info}

    def step(self, action_dict: dict[str, Any]):
        if self._crash and self._crash_rng.random() < self._crash:
            if self._crash_log:
                with open(self._crash_log, "a", encoding="utf-8") as fh:
                    fh.write("crash\n")
            raise EnvCrash("crash_prob: this env crashed on purpose")
        action = int(action_dict[MODULE_ID])
        context = self._context() if self._values is not None else None
        obs, reward, terminated, truncated, _ = self._single.step(action)
        call = self._env.call
        if self._values is not None:
            # Potential: scale * sum of the posterior act values of the salesman's moves so
            # far; 0 once the call is over (so shaping keeps the optimal policy, Ng et al. 1999).
            phi_next = 0.0 if call.done else self._potential + self._scale * float(self._values[context, action])
            reward += self._gamma * phi_next - self._potential
            self._potential = phi_next
        info: dict[str, Any] = {}
        if call.done:
            info = {"outcome": str(call.outcome), "reason": str(call.reason), "turns": len(call.turns)}
        return ({MODULE_ID: obs}, {MODULE_ID: reward}, {MODULE_ID: terminated, "__all__": terminated},
                {MODULE_ID: truncated, "__all__": truncated}, {MODULE_ID: info})

    def _context(self) -> int:
        from aisalesman.training.bayes import CONTEXTS, turn_context

        turns = self._env.call.turns
        last = turns[-1] if turns and turns[-1].speaker == "customer" else None
        return CONTEXTS.index(turn_context(last))


def register() -> None:
    """Register :class:`SalesmanMultiAgentEnv` with Ray Tune under :data:`ENV_NAME`."""
    from ray.tune.registry import register_env

    register_env(ENV_NAME, lambda cfg: SalesmanMultiAgentEnv(cfg))


class SalesmanTorchModule(TorchRLModule, ValueFunctionAPI):
    """Policy and value MLPs over the ``observation`` vector; ``action_mask`` zeroes illegal acts.

    ``model_config``: ``hidden`` (layer sizes, default ``[64, 64]``).
    """

    def setup(self) -> None:
        dim = int(self.observation_space["observation"].shape[0])
        hidden = list((self.model_config or {}).get("hidden", [64, 64]))
        self.pi = _mlp(dim, hidden, int(self.action_space.n))
        self.vf = _mlp(dim, hidden, 1)

    def _forward(self, batch: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
        obs = batch[Columns.OBS]
        logits = self.pi(obs["observation"])
        return {Columns.ACTION_DIST_INPUTS: torch.where(obs["action_mask"] > 0, logits, _MASKED)}

    def compute_values(self, batch: dict[str, Any], embeddings: Any = None) -> torch.Tensor:
        return self.vf(batch[Columns.OBS]["observation"]).squeeze(-1)

    def masked_logits(self, observation: torch.Tensor, action_mask: torch.Tensor) -> torch.Tensor:
        """Logits with illegal acts at the float32 minimum."""
        return self._forward({Columns.OBS: {"observation": observation, "action_mask": action_mask}})[
            Columns.ACTION_DIST_INPUTS]

    def act_logits(self, obs: dict[str, np.ndarray]) -> torch.Tensor:
        """Masked logits, without gradient, for one env observation (``observation``, ``action_mask``)."""
        with torch.no_grad():
            return self.masked_logits(torch.as_tensor(obs["observation"])[None],
                                      torch.as_tensor(obs["action_mask"])[None])[0]


def _mlp(n_in: int, hidden: list[int], n_out: int) -> nn.Sequential:
    layers: list[nn.Module] = []
    for h in hidden:
        layers += [nn.Linear(n_in, h), nn.Tanh()]
        n_in = h
    layers.append(nn.Linear(n_in, n_out))
    return nn.Sequential(*layers)


def bc_loss(module: SalesmanTorchModule, obs: torch.Tensor, mask: torch.Tensor, actions: torch.Tensor,
            weights: torch.Tensor) -> torch.Tensor:
    """Weighted behaviour cloning: the mean over corpus turns of ``-w * log pi(a | s)``."""
    logp = torch.log_softmax(module.masked_logits(obs, mask), dim=-1)
    return -(weights * logp.gather(-1, actions.long().unsqueeze(-1)).squeeze(-1)).mean()


def behaviour_clone(data: dict[str, np.ndarray], *, steps: int = 2000, batch_size: int = 256, lr: float = 1e-3,
                    hidden: list[int] | tuple[int, ...] = (64, 64), seed: int = 0) -> SalesmanTorchModule:
    """A salesman module fitted by weighted behaviour cloning alone (no RL): ``steps`` Adam steps
    on :func:`bc_loss` over minibatches of ``data`` (``obs``, ``mask``, ``action``, ``weight``).

    The ablation baseline for the BC term of :class:`BayesPPOTorchLearner`; deterministic in
    ``seed`` (initialisation and minibatches use their own generators).
    """
    tensors = {k: torch.as_tensor(np.asarray(data[k])) for k in ("obs", "mask", "action", "weight")}
    n = int(tensors["action"].shape[0])
    if n == 0:
        raise ValueError("behaviour_clone: no examples")
    env = SalesmanMultiAgentEnv({})
    obs_space, act_space = env.observation_spaces[MODULE_ID], env.action_spaces[MODULE_ID]
    if tuple(tensors["obs"].shape[1:]) != obs_space["observation"].shape or tensors["mask"].shape[1:] != (act_space.n,):
        raise ValueError(f"behaviour_clone: obs {tuple(tensors['obs'].shape)} / mask {tuple(tensors['mask'].shape)} "
                         "do not match the act-level env's spaces")
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(derive_seed(seed, "bc-init"))
        module = SalesmanTorchModule(observation_space=obs_space, action_space=act_space,
                                     model_config={"hidden": list(hidden)})
    opt = torch.optim.Adam(module.pi.parameters(), lr=lr)
    gen = torch.Generator().manual_seed(derive_seed(seed, "bc-batches"))
    weight = tensors["weight"].float()
    for _ in range(steps):
        idx = torch.randint(n, (min(batch_size, n),), generator=gen)
        loss = bc_loss(module, tensors["obs"][idx].float(), tensors["mask"][idx], tensors["action"][idx], weight[idx])
        opt.zero_grad()
        loss.backward()
        opt.step()
    module.eval()
    return module


class BayesPPOTorchLearner(PPOTorchLearner):
    """PPO plus weighted behaviour cloning on corpus turns (see the module docstring).

    ``learner_config_dict`` keys: ``bc_data`` (a dict of arrays ``obs``, ``mask``, ``action``,
    ``weight``; absent = pure PPO), ``bc_lambda`` (a number or a schedule
    ``[[env_steps, value], ...]``, interpolated linearly), ``bc_batch_size`` (256),
    ``bc_seed`` (0).
    """

    def build(self) -> None:
        super().build()
        cfg = self.config.learner_config_dict or {}
        data = cfg.get("bc_data")
        self._bc = None
        if data is not None and len(data["action"]):
            dev = self._device
            self._bc = {k: torch.as_tensor(np.asarray(data[k]), device=dev) for k in ("obs", "mask", "action", "weight")}
            self._bc["weight"] = self._bc["weight"].float()
        self._bc_lambda = Scheduler(cfg.get("bc_lambda", 0.0), framework="torch", device=self._device)
        self._bc_batch = int(cfg.get("bc_batch_size", 256))
        self._bc_gen = torch.Generator().manual_seed(int(cfg.get("bc_seed", 0)))

    def bc_lambda(self) -> float:
        return float(self._bc_lambda.get_current_value())

    def compute_loss_for_module(self, *, module_id: str, config: Any, batch: dict[str, Any],
                                fwd_out: dict[str, Any]) -> torch.Tensor:
        loss = super().compute_loss_for_module(module_id=module_id, config=config, batch=batch, fwd_out=fwd_out)
        lam = self.bc_lambda()
        if self._bc is None or module_id != MODULE_ID or lam == 0.0:
            return loss
        n = self._bc["action"].shape[0]
        idx = torch.randint(n, (min(self._bc_batch, n),), generator=self._bc_gen).to(self._bc["action"].device)
        term = bc_loss(self.module[module_id].unwrapped(), self._bc["obs"][idx], self._bc["mask"][idx],
                       self._bc["action"][idx], self._bc["weight"][idx])
        self.metrics.log_value((module_id, "bc_loss"), term.detach(), window=1)
        self.metrics.log_value((module_id, "bc_lambda"), lam, window=1)
        return loss + lam * term

    def after_gradient_based_update(self, *, timesteps: dict[str, Any]) -> None:
        super().after_gradient_based_update(timesteps=timesteps)
        self._bc_lambda.update(timestep=timesteps.get(NUM_ENV_STEPS_SAMPLED_LIFETIME, 0))


class SalesCallbacks(RLlibCallback):
    """Logs each finished call's conversion (sale) and length to RLlib's metrics."""

    def on_episode_end(self, *, episode: Any, metrics_logger: Any = None, **kwargs: Any) -> None:
        infos = episode.get_infos(-1)
        info = infos.get(MODULE_ID, {}) if isinstance(infos, dict) else {}
        if metrics_logger is not None and "outcome" in info:
            metrics_logger.log_value("conversion", float(info["outcome"] == str(Outcome.SALE)), window=200)
            metrics_logger.log_value("call_turns", float(info["turns"]), window=200)


def build_algorithm_config(cfg: Any, *, bc_data: dict[str, np.ndarray] | None = None,
                           act_values: np.ndarray | None = None) -> PPOConfig:
    """The RLlib ``PPOConfig`` for a :class:`~aisalesman.training.config.TrainConfig`.

    ``bc_data``: corpus turns for the behaviour-cloning term (``bc_ppo`` / ``bayes_ppo``);
    ``act_values``: posterior act values for shaping (when ``cfg.shaping_scale`` > 0).
    """
    register()
    env_config: dict[str, Any] = {"personas": cfg.env.personas, "products": cfg.env.products,
                                  "max_turns": cfg.env.max_turns, "seed": cfg.seed, "reader": cfg.reader,
                                  "crash_prob": cfg.env_runners.crash_prob}
    if cfg.env_runners.crash_prob:
        env_config["crash_log"] = str((Path(cfg.out) / "crashes.log").resolve())
    if act_values is not None and cfg.shaping_scale > 0:
        env_config.update(act_values=np.asarray(act_values).tolist(), shaping_scale=cfg.shaping_scale,
                          gamma=cfg.ppo.gamma)
    learner_cfg: dict[str, Any] = {"bc_lambda": 0.0}
    if cfg.method != "ppo":
        learner_cfg = {"bc_data": bc_data, "bc_lambda": _schedule(cfg.bc), "bc_batch_size": cfg.bc.batch_size,
                       "bc_seed": cfg.seed}
    p, er = cfg.ppo, cfg.env_runners
    spec = RLModuleSpec(module_class=SalesmanTorchModule, model_config={"hidden": list(p.hidden)})
    config = (
        PPOConfig()
        .environment(ENV_NAME, env_config=env_config, disable_env_checking=True)
        .env_runners(num_env_runners=er.num_env_runners, num_envs_per_env_runner=1,
                     rollout_fragment_length=er.rollout_fragment_length, sample_timeout_s=er.sample_timeout_s)
        .multi_agent(policies={MODULE_ID}, policy_mapping_fn=_to_salesman, policies_to_train=[MODULE_ID])
        .rl_module(rl_module_spec=MultiRLModuleSpec(rl_module_specs={MODULE_ID: spec}))
        .training(lr=p.lr, gamma=p.gamma, lambda_=p.gae_lambda, train_batch_size_per_learner=p.train_batch_size,
                  minibatch_size=p.minibatch_size, num_epochs=p.num_epochs, entropy_coeff=p.entropy_coeff,
                  clip_param=p.clip_param, vf_loss_coeff=p.vf_loss_coeff, vf_clip_param=p.vf_clip_param,
                  use_kl_loss=False)
        .learners(learner_class=BayesPPOTorchLearner, learner_config_dict=learner_cfg)
        .callbacks(SalesCallbacks)
        .fault_tolerance(restart_failed_env_runners=er.restart_failed, max_num_env_runner_restarts=er.max_restarts,
                         delay_between_env_runner_restarts_s=er.restart_delay_s,
                         restart_failed_sub_environments=er.restart_failed)
        .reporting(metrics_num_episodes_for_smoothing=100)
        .debugging(seed=cfg.seed, log_level="ERROR")
    )
    return config


def _to_salesman(agent_id: str, *args: Any, **kwargs: Any) -> str:
    return MODULE_ID


def _schedule(bc: Any) -> Any:
    """The BC weight: constant, or linear from ``lambda_start`` to ``lambda_end`` over ``anneal_steps``."""
    if not bc.anneal_steps:
        return float(bc.lambda_start)
    return [[0, float(bc.lambda_start)], [int(bc.anneal_steps), float(bc.lambda_end)]]


def load_salesman_module(path: str | Any) -> SalesmanTorchModule:
    """The trained salesman module of a checkpoint: an algorithm checkpoint (``<run>/final``,
    ``<run>/checkpoints/iter_N``) or the module's own directory. Cached per path."""
    from aisalesman.core.errors import DataFileError

    p = Path(path)
    for candidate in (p / "learner_group" / "learner" / "rl_module" / MODULE_ID, p):
        if (candidate / "class_and_ctor_args.pkl").exists() and any(candidate.glob("module_state.*")):
            return _load_module(str(candidate.resolve()))
    raise DataFileError(p, "not an RLlib checkpoint with a salesman module (expected learner_group/learner/"
                           f"rl_module/{MODULE_ID}/ inside, e.g. <run>/final)")


_MODULES: dict[str, SalesmanTorchModule] = {}


def _load_module(path: str) -> SalesmanTorchModule:
    if path not in _MODULES:
        import logging

        from ray.rllib.core.rl_module.rl_module import RLModule

        quiet = logging.getLogger("ray.rllib")
        level = quiet.level
        quiet.setLevel(logging.ERROR)  # RLlib warns about its own deprecated constructor path here
        try:
            module = RLModule.from_checkpoint(path)
        finally:
            quiet.setLevel(level)
        module.eval()
        _MODULES[path] = module
    return _MODULES[path]
