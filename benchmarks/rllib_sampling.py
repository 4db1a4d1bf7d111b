"""RLlib env steps per second: our act-level env against a trivial env with the same spaces.

Ours: :class:`~aisalesman.training.rllib.SalesmanMultiAgentEnv` (the act-level call with the
embedded persona customer) sampled by RLlib's multi-agent env runner with the salesman
module, exactly as ``aisalesman train`` samples it. Reference: a ``MultiAgentEnv`` with the
same observation and action spaces, a fixed episode length equal to our mean episode length,
and no logic (it returns a constant observation with a full action mask). Both are sampled
in the same process, by the same config (``num_env_runners=0``, the same
``rollout_fragment_length``), in alternating rounds; the best round of each counts.

The last line printed is one JSON object: ours_env_steps_per_s, reference_env_steps_per_s, ratio.
Usage: python benchmarks/rllib_sampling.py [--steps N] [--repeats R]
"""

from __future__ import annotations

import argparse
import json
import time

import numpy as np
from ray.rllib.env.multi_agent_env import MultiAgentEnv
from ray.tune.registry import register_env

from aisalesman.core.config import load_config
from aisalesman.training.config import TrainConfig
from aisalesman.training.rllib import ENV_NAME, MODULE_ID, SalesmanMultiAgentEnv, build_algorithm_config


class ConstantEnv(MultiAgentEnv):
    """The reference: the salesman's spaces, ``length`` steps per episode, nothing else."""

    def __init__(self, config=None) -> None:
        super().__init__()
        template = SalesmanMultiAgentEnv({})
        self.agents = self.possible_agents = [MODULE_ID]
        self.observation_spaces = dict(template.observation_spaces)
        self.action_spaces = dict(template.action_spaces)
        space = self.observation_spaces[MODULE_ID]
        self._obs = {"observation": np.zeros(space["observation"].shape, dtype=np.float32),
                     "action_mask": np.ones(space["action_mask"].shape, dtype=np.int8)}
        self.length = int((config or {}).get("length", 7))

    def reset(self, *, seed=None, options=None):
        self.t = 0
        return {MODULE_ID: self._obs}, {}

    def step(self, action_dict):
        self.t += 1
        done = self.t >= self.length
        return ({MODULE_ID: self._obs}, {MODULE_ID: 0.0}, {MODULE_ID: done, "__all__": done},
                {MODULE_ID: False, "__all__": False}, {})


def mean_length(episodes: int = 300) -> float:
    env = SalesmanMultiAgentEnv({})
    rng = np.random.default_rng(0)
    steps = 0
    for i in range(episodes):
        obs, _ = env.reset(seed=i)
        done = False
        while not done:
            legal = np.flatnonzero(obs[MODULE_ID]["action_mask"])
            obs, _, term, trunc, _ = env.step({MODULE_ID: int(rng.choice(legal))})
            done = term["__all__"] or trunc["__all__"]
            steps += 1
    return steps / episodes


def build(env_name: str, env_config: dict, fragment: int):
    cfg = load_config(TrainConfig, overrides=["method=ppo", f"env_runners.rollout_fragment_length={fragment}"])
    config = build_algorithm_config(cfg)
    config.environment(env_name, env_config=env_config, disable_env_checking=True)
    return config.build_algo()


def rate(algo, steps: int) -> float:
    runner = algo.env_runner_group.local_env_runner
    runner.sample(num_timesteps=200, random_actions=False)  # warm up
    t0 = time.perf_counter()
    done = 0
    while done < steps:
        episodes = runner.sample(num_timesteps=min(1000, steps - done), random_actions=False)
        done += sum(len(e) for e in episodes)
    return done / (time.perf_counter() - t0)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--steps", type=int, default=4000, help="env steps per round")
    ap.add_argument("--repeats", type=int, default=3, help="rounds (alternating ours and reference)")
    ap.add_argument("--fragment", type=int, default=100, help="rollout_fragment_length")
    args = ap.parse_args()
    import ray

    from aisalesman.training.cluster import ray_init

    ray_init(load_config(TrainConfig, overrides=["ray.num_cpus=2"]))  # a local Ray on loopback, as training uses
    length = mean_length()
    register_env("aisalesman-constant-ref", lambda cfg: ConstantEnv(cfg))
    ours = build(ENV_NAME, {"personas": "train", "products": "all", "max_turns": 40, "seed": 0}, args.fragment)
    ref = build("aisalesman-constant-ref", {"length": max(1, round(length))}, args.fragment)
    best_ours = best_ref = 0.0
    for _ in range(args.repeats):
        best_ours = max(best_ours, rate(ours, args.steps))
        best_ref = max(best_ref, rate(ref, args.steps))
    ours.stop()
    ref.stop()
    ray.shutdown()
    print(f"mean episode length (random legal policy): {length:.2f} salesman steps")
    print(f"ours: {best_ours:,.0f} env steps/s; reference: {best_ref:,.0f} env steps/s")
    print(json.dumps({"ours_env_steps_per_s": round(best_ours, 1), "reference_env_steps_per_s": round(best_ref, 1),
                      "ratio": round(best_ours / best_ref, 3)}))


if __name__ == "__main__":
    main()
