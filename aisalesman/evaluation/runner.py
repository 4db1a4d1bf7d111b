"""Running episodes and benchmarks: agents x personas x products x trials.

Every episode is independent and fully determined by its :class:`EpisodeSpec` (its seeds
are derived from the run seed and the episode's identity), so results do not depend on
the number of worker processes or on the order in which episodes finish. The customer's
seed does not depend on the agent: agents meet the same customers (common random numbers).
"""

from __future__ import annotations

import json
import multiprocessing as mp
import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from aisalesman.agents.base import make_agent
from aisalesman.core.errors import AISalesmanError, ConfigError
from aisalesman.core.persona import Persona
from aisalesman.core.product import Product
from aisalesman.core.scenario import Scenario
from aisalesman.core.seeding import derive_seed
from aisalesman.core.transcript import Transcript, transcript_to_json
from aisalesman.core.types import Goal
from aisalesman.customers.base import make_customer
from aisalesman.envs.call import RewardConfig
from aisalesman.envs.telesales import ScenarioPool, TeleSalesEnv

__all__ = ["EpisodeSpec", "completed_episode_ids", "episode_specs", "run_episode", "run_episodes"]


@dataclass(frozen=True)
class EpisodeSpec:
    """Everything that determines one episode."""

    index: int
    agent: str
    persona: Persona
    product: Product
    trial: int
    run_seed: int
    goal: Goal = Goal.SALE
    max_turns: int = 40
    customer: str = "persona"
    agent_kwargs: dict[str, Any] = field(default_factory=dict)
    rewards: RewardConfig = field(default_factory=RewardConfig)

    @property
    def episode_id(self) -> str:
        return f"{self.agent}/{self.product.key}/{self.persona.id}/{self.trial}"

    def seeds(self) -> dict[str, int]:
        scene = (self.product.key, self.persona.id, self.trial)
        return {
            "run": self.run_seed,
            "salesman": derive_seed(self.run_seed, self.agent, *scene, "salesman"),
            "customer": derive_seed(self.run_seed, *scene, "customer"),
            "env": derive_seed(self.run_seed, *scene, "env"),
        }


def episode_specs(
    agents: Sequence[str],
    personas: Sequence[Persona],
    products: Sequence[Product],
    *,
    trials: int,
    seed: int,
    goal: Goal | str = Goal.SALE,
    max_turns: int = 40,
    customer: str = "persona",
    agent_kwargs: dict[str, dict[str, Any]] | None = None,
    rewards: RewardConfig | None = None,
) -> list[EpisodeSpec]:
    """The benchmark's episodes in a fixed order: agent, product, persona, trial."""
    if not isinstance(trials, int) or trials < 1:
        raise ConfigError(f"trials must be a positive integer, got {trials!r}")
    kwargs = agent_kwargs or {}
    specs = []
    for agent in agents:
        for product in products:
            for persona in personas:
                for trial in range(trials):
                    specs.append(EpisodeSpec(
                        len(specs), agent, persona, product, trial, seed, Goal(goal), max_turns, customer,
                        dict(kwargs.get(agent, {})), rewards or RewardConfig(),
                    ))
    return specs


def run_episode(spec: EpisodeSpec) -> Transcript:
    """Play one call between the spec's agent and customer in ``aisalesman/telesales-v0``."""
    seeds = spec.seeds()
    scenario = Scenario(spec.persona, spec.product, spec.goal, spec.max_turns)
    env = TeleSalesEnv(ScenarioPool([spec.persona], [spec.product], goal=spec.goal, max_turns=spec.max_turns),
                       rewards=spec.rewards)
    env.reset(seed=seeds["env"], options={"scenario": scenario})
    agent = make_agent(spec.agent, **spec.agent_kwargs)
    customer = make_customer(spec.customer)
    agent.reset(scenario.salesman_view(), seed=seeds["salesman"])
    customer.reset(scenario, seed=seeds["customer"])
    call = env.call
    while not call.done:
        if env.agent_selection == "salesman":
            move = agent.act(env.salesman_observation())
            env.step(move.text)
            if move.intent is not None or move.meta:
                turn = call.turns[-1]
                call.turns[-1] = replace(turn, intent=move.intent, meta={**turn.meta, **(move.meta or {})})
        else:
            env.step(env.customer_action(customer))
    return _transcript(spec, seeds, env)


def _transcript(spec: EpisodeSpec, seeds: dict[str, int], env: TeleSalesEnv) -> Transcript:
    call = env.call
    salesman_turns = [t for t in call.turns if t.speaker == "salesman"]
    stats = {
        "salesman_turns": len(salesman_turns),
        "false_claim_turns": sum(1 for t in salesman_turns if t.false_claims),
        "false_claims": sum(len(t.false_claims) for t in salesman_turns),
        "dnc_requested": call.dnc_requested,
    }
    return Transcript(
        episode_id=spec.episode_id, agent=spec.agent, customer=spec.customer, persona_id=spec.persona.id,
        segment=str(spec.persona.segment), product=spec.product.key, goal=str(spec.goal), trial=spec.trial,
        seeds=seeds, turns=tuple(call.turns), outcome=str(call.outcome), termination_reason=str(call.reason),
        reward_components={k: round(v, 6) for k, v in call.components.items()}, stats=stats,
    )


def _run_to_json(spec: EpisodeSpec) -> str:
    return transcript_to_json(run_episode(spec))


def _mp_context():
    methods = mp.get_all_start_methods()
    return mp.get_context("fork" if "fork" in methods else "spawn")


def run_episodes(specs: Sequence[EpisodeSpec], *, workers: int = 1) -> Iterator[str]:
    """Yield each episode's JSON line, in ``specs`` order, using ``workers`` processes."""
    if not isinstance(workers, int) or workers < 1:
        raise ConfigError(f"workers must be a positive integer, got {workers!r}")
    if workers == 1 or len(specs) <= 1:
        for spec in specs:
            yield _run_to_json(spec)
        return
    chunk = max(1, min(16, len(specs) // (workers * 8)))
    with _mp_context().Pool(processes=min(workers, os.cpu_count() or workers)) as pool:
        yield from pool.imap(_run_to_json, specs, chunksize=chunk)


def completed_episode_ids(path: Path) -> list[str]:
    """Episode ids of the complete lines of an existing transcripts file (for resuming).

    A partial last line (a crash mid-write) is cut off so that appending continues cleanly.
    """
    if not path.exists():
        return []
    data = path.read_bytes()
    cut = data.rfind(b"\n") + 1
    if cut < len(data):
        with path.open("r+b") as fh:
            fh.truncate(cut)
    ids = []
    for lineno, line in enumerate(data[:cut].splitlines(), 1):
        try:
            ids.append(json.loads(line)["episode_id"])
        except (json.JSONDecodeError, KeyError) as err:
            raise AISalesmanError(f"{path}: line {lineno} is not a transcript record; cannot resume") from err
    return ids

