"""Turns per second of our text env against a trivial two-agent PettingZoo text env.

Ours: full episodes of ``aisalesman/telesales-v0`` with the built-in persona customer and
the scripted salesman, over the test split, stepped through the AEC API (agent_iter/last/
step). Reference: a two-agent AEC env that only echoes fixed strings, run for the same
number of turns in the same process. Single process, so "one core".

The last line printed is one JSON object: ours_turns_per_s, reference_turns_per_s, ratio.
The first pass over the episodes is reported separately as the cold-cache rate (every text
read for the first time in the process); the timed runs after it are warm.
Usage: python benchmarks/env_throughput.py [--episodes N] [--repeats R] [--reader NAME]
"""

from __future__ import annotations

import argparse
import json
import os
import time

os.environ.setdefault("HF_HUB_OFFLINE", "1")

from gymnasium.spaces import Discrete, Text  # noqa: E402
from pettingzoo import AECEnv  # noqa: E402

from aisalesman import make_agent, make_customer, make_env  # noqa: E402
from aisalesman.core.scenario import Scenario  # noqa: E402
from aisalesman.core.seeding import derive_seed  # noqa: E402
from aisalesman.data import load_personas, load_product  # noqa: E402


class EchoTextEnv(AECEnv):
    """The reference: two agents alternate fixed utterances for a fixed number of turns."""

    metadata = {"name": "echo_text_v0"}

    def __init__(self, turns_per_episode: int) -> None:
        super().__init__()
        self.turns_per_episode = turns_per_episode
        self.possible_agents = ["a", "b"]
        self._obs = {a: Text(200) for a in self.possible_agents}
        self._act = {a: Text(200) for a in self.possible_agents}
        self._turn_space = Discrete(turns_per_episode + 1)

    def observation_space(self, agent):
        return self._obs[agent]

    def action_space(self, agent):
        return self._act[agent]

    def reset(self, seed=None, options=None):
        self.agents = self.possible_agents[:]
        self.rewards = dict.fromkeys(self.agents, 0.0)
        self._cumulative_rewards = dict.fromkeys(self.agents, 0.0)
        self.terminations = dict.fromkeys(self.agents, False)
        self.truncations = dict.fromkeys(self.agents, False)
        self.infos = {a: {} for a in self.agents}
        self.agent_selection = "a"
        self.last_text = ""
        self.turn = 0

    def observe(self, agent):
        return self.last_text

    def step(self, action):
        if self.terminations[self.agent_selection]:
            self._was_dead_step(action)
            return
        self.last_text = action
        self.turn += 1
        if self.turn >= self.turns_per_episode:
            self.terminations = dict.fromkeys(self.agents, True)
        self.agent_selection = "b" if self.agent_selection == "a" else "a"
        self._accumulate_rewards()


def run_ours(episodes: int, reader: str | None = None) -> tuple[int, float]:
    personas, product = load_personas("test"), load_product("bistro-boost")
    env = make_env("aisalesman/telesales-v0", personas="test", products="bistro-boost", reader=reader)
    agent, customer = make_agent("scripted"), make_customer("persona")
    turns = 0
    start = time.perf_counter()
    for i in range(episodes):
        scenario = Scenario(personas[i % len(personas)], product)
        env.reset(seed=i, options={"scenario": scenario})
        agent.reset(scenario.salesman_view(), seed=derive_seed(i, "salesman"))
        customer.reset(scenario, seed=derive_seed(i, "customer"))
        for name in env.agent_iter():
            _obs, _rew, term, trunc, _info = env.last()
            if term or trunc:
                env.step(None)
            elif name == "salesman":
                env.step(agent.act(env.salesman_observation()).text)
            else:
                env.step(env.customer_action(customer))
        turns += len(env.call.turns)
    return turns, time.perf_counter() - start


def run_reference(total_turns: int, per_episode: int) -> tuple[int, float]:
    env = EchoTextEnv(per_episode)
    turns = 0
    start = time.perf_counter()
    while turns < total_turns:
        env.reset()
        for name in env.agent_iter():
            _obs, _rew, term, trunc, _info = env.last()
            env.step(None if term or trunc else ("Hello from a." if name == "a" else "Hello from b."))
        turns += env.turn
    return turns, time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--episodes", type=int, default=2000)
    parser.add_argument("--repeats", type=int, default=3, help="best of R timed runs")
    parser.add_argument("--reader", default=None, help="reader the env uses [default: the env default]")
    args = parser.parse_args()
    from aisalesman.dialogue.reading import make_reader

    reader = make_reader(args.reader) if args.reader else None  # built (model loaded) before timing
    cold = run_ours(args.episodes, reader)  # the first pass reads every new text: the cold-cache figure
    print(f"cold caches: {cold[0]} turns in {cold[1]:.3f} s ({cold[0] / cold[1]:.1f} turns/s)")
    ours = max((run_ours(args.episodes, reader) for _ in range(args.repeats)), key=lambda r: r[0] / r[1])
    per_episode = max(2, round(ours[0] / args.episodes))
    ref = max((run_reference(ours[0], per_episode) for _ in range(args.repeats)), key=lambda r: r[0] / r[1])
    ours_tps, ref_tps = ours[0] / ours[1], ref[0] / ref[1]
    print(f"ours: {ours[0]} turns in {ours[1]:.3f} s over {args.episodes} episodes ({per_episode} turns/episode)")
    print(f"reference: {ref[0]} turns in {ref[1]:.3f} s")
    print(json.dumps({"ours_turns_per_s": round(ours_tps, 1), "reference_turns_per_s": round(ref_tps, 1),
                      "ratio": round(ours_tps / ref_tps, 4), "ours_cold_turns_per_s": round(cold[0] / cold[1], 1),
                      "reader": getattr(reader, "name", None) or "default"}))


if __name__ == "__main__":
    main()
