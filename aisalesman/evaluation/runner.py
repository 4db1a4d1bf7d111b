"""Running episodes and benchmarks: agents x personas x products x trials.

Every episode is independent and fully determined by its :class:`EpisodeSpec` (its seeds
are derived from the run seed and the episode's identity), so results do not depend on
the number of worker processes or on the order in which episodes finish. The customer's
seed does not depend on the agent: agents meet the same customers (common random numbers).
Every utterance is read by the spec's ``reader`` (a registered name; None is
:data:`~aisalesman.dialogue.DEFAULT_ENV_READER`): the env reads with it and hands it to the
agent and the customer in their observations, and the fidelity checks re-read with it.
"""

from __future__ import annotations

import asyncio
import json
import multiprocessing as mp
import os
import signal
from collections.abc import AsyncIterator, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aisalesman.agents.base import AgentTurn, make_agent
from aisalesman.core.errors import ConfigError, DataFileError, LLMError
from aisalesman.core.llm.base import ChatModel
from aisalesman.core.persona import Persona
from aisalesman.core.product import Product
from aisalesman.core.rundir import repair_torn_tail
from aisalesman.core.scenario import Scenario
from aisalesman.core.seeding import derive_seed
from aisalesman.core.transcript import Transcript, transcript_to_json
from aisalesman.core.types import Goal
from aisalesman.customers.base import make_customer
from aisalesman.dialogue.reading import Reader
from aisalesman.envs.call import RewardConfig
from aisalesman.envs.telesales import ScenarioPool, TeleSalesEnv
from aisalesman.evaluation.fidelity import fidelity_stats

__all__ = [
    "EpisodeSpec",
    "arun_episode",
    "arun_episodes",
    "completed_episode_ids",
    "episode_specs",
    "run_episode",
    "run_episodes",
]


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
    customer_kwargs: dict[str, Any] = field(default_factory=dict)
    reader: str | Reader | None = None  # a name, so that specs can go to worker processes

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
    customer_kwargs: dict[str, Any] | None = None,
    reader: str | None = None,
) -> list[EpisodeSpec]:
    """The benchmark's episodes in a fixed order: agent, product, persona, trial; all read by ``reader``."""
    if not isinstance(trials, int) or trials < 1:
        raise ConfigError(f"trials must be a positive integer, got {trials!r}")
    from aisalesman.core.config import check_episode_count

    check_episode_count(len(agents) * len(products) * len(personas) * trials)  # before a list of them is built
    kwargs = agent_kwargs or {}
    specs = []
    for agent in agents:
        for product in products:
            for persona in personas:
                for trial in range(trials):
                    specs.append(EpisodeSpec(
                        len(specs), agent, persona, product, trial, seed, Goal(goal), max_turns, customer,
                        dict(kwargs.get(agent, {})), rewards or RewardConfig(), dict(customer_kwargs or {}), reader,
                    ))
    return specs


def _setup(spec: EpisodeSpec, models: Mapping[str, ChatModel | None]):
    seeds = spec.seeds()
    scenario = Scenario(spec.persona, spec.product, spec.goal, spec.max_turns)
    env = TeleSalesEnv(ScenarioPool([spec.persona], [spec.product], goal=spec.goal, max_turns=spec.max_turns),
                       rewards=spec.rewards, reader=spec.reader)
    env.reset(seed=seeds["env"], options={"scenario": scenario})
    agent = make_agent(spec.agent, chat_model=models.get("salesman"), **spec.agent_kwargs)
    customer = make_customer(spec.customer, chat_model=models.get("customer"), **spec.customer_kwargs)
    agent.reset(scenario.salesman_view(), seed=seeds["salesman"])
    customer.reset(scenario, seed=seeds["customer"])
    return seeds, env, agent, customer


def _salesman_moved(env: TeleSalesEnv, move: AgentTurn) -> None:
    env.step_salesman_turn(move.text, intent=move.intent, meta=move.meta)


def run_episode(spec: EpisodeSpec, models: Mapping[str, ChatModel | None] | None = None) -> Transcript:
    """Play one call between the spec's agent and customer in ``aisalesman/telesales-v0``.

    ``models`` holds the shared chat models (``customer``, ``salesman``) for components that
    use one. A backend failure ends the call with the ``infra_error`` reason.
    """
    seeds, env, agent, customer = _setup(spec, models or {})
    call = env.call
    while not call.done:
        try:
            if env.agent_selection == "salesman":
                _salesman_moved(env, agent.act(env.salesman_observation()))
            else:
                env.step_customer_reply(customer.respond(env.customer_observation()))
        except LLMError as err:
            env.end_with_infra_error(f"{env.agent_selection}: {err}")
    return _transcript(spec, seeds, env, agent, customer)


async def arun_episode(spec: EpisodeSpec, models: Mapping[str, ChatModel | None] | None = None) -> Transcript:
    """:func:`run_episode` for an event loop: model calls are awaited, so many calls run at once."""
    seeds, env, agent, customer = _setup(spec, models or {})
    call = env.call
    aact = getattr(agent, "aact", None)
    arespond = getattr(customer, "arespond", None)
    while not call.done:
        try:
            if env.agent_selection == "salesman":
                obs = env.salesman_observation()
                _salesman_moved(env, await aact(obs) if aact else agent.act(obs))
            else:
                obs = env.customer_observation()
                env.step_customer_reply(await arespond(obs) if arespond else customer.respond(obs))
        except LLMError as err:
            env.end_with_infra_error(f"{env.agent_selection}: {err}")
    return _transcript(spec, seeds, env, agent, customer)


def _transcript(spec: EpisodeSpec, seeds: dict[str, int], env: TeleSalesEnv, agent: Any, customer: Any) -> Transcript:
    call = env.call
    salesman_turns = [t for t in call.turns if t.speaker == "salesman"]
    stats = {
        "salesman_turns": len(salesman_turns),
        "false_claim_turns": sum(1 for t in salesman_turns if t.false_claims),
        "false_claims": sum(len(t.false_claims) for t in salesman_turns),
        "dnc_requested": call.dnc_requested,
    }
    stats["fidelity"] = fidelity_stats(call.turns, spec.persona, reader=call.reader)
    usage = {role: dict(obj.usage) for role, obj in (("salesman", agent), ("customer", customer))
             if isinstance(getattr(obj, "usage", None), dict)}
    if usage:
        stats["llm"] = usage
    if call.infra_detail:
        stats["infra_error"] = call.infra_detail
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


def _worker_signals() -> None:
    """A pool worker dies on SIGTERM. Forked from the command line, it would inherit the handler
    that turns SIGTERM into KeyboardInterrupt; ``Pool.terminate`` (at the end of every run)
    then interrupted a worker waiting on the task queue's lock, and the other worker could wait
    for that lock for ever, so the run never exited."""
    signal.signal(signal.SIGTERM, signal.SIG_DFL)


def run_episodes(specs: Sequence[EpisodeSpec], *, workers: int = 1) -> Iterator[str]:
    """Yield each episode's JSON line, in ``specs`` order, using ``workers`` processes."""
    if not isinstance(workers, int) or workers < 1:
        raise ConfigError(f"workers must be a positive integer, got {workers!r}")
    if workers == 1 or len(specs) <= 1:
        for spec in specs:
            yield _run_to_json(spec)
        return
    chunk = max(1, min(16, len(specs) // (workers * 8)))
    with _mp_context().Pool(processes=min(workers, os.cpu_count() or workers), initializer=_worker_signals) as pool:
        yield from pool.imap(_run_to_json, specs, chunksize=chunk)


async def arun_episodes(specs: Sequence[EpisodeSpec], *, concurrency: int = 1,
                        models: Mapping[str, ChatModel | None] | None = None) -> AsyncIterator[str]:
    """Yield each episode's JSON line in ``specs`` order, with ``concurrency`` calls in flight.

    Calls are not stepped in lock-step rounds: each one proceeds as soon as its own model
    answer arrives, so a slow request holds up only its own call. The model calls that
    are waiting at the same moment reach the backend together (one batch for local
    transformers, concurrent requests for HTTP). Finished calls are buffered until every
    earlier one is out, so the output order never depends on timing.
    """
    if isinstance(concurrency, bool) or not isinstance(concurrency, int) or concurrency < 1:
        raise ConfigError(f"concurrency must be a positive integer, got {concurrency!r}")
    todo = iter(enumerate(specs))
    running: set[asyncio.Task] = set()
    ready: dict[int, str] = {}
    next_out = 0

    async def one(i: int, spec: EpisodeSpec) -> tuple[int, str]:
        return i, transcript_to_json(await arun_episode(spec, models))

    def launch() -> bool:
        item = next(todo, None)
        if item is None:
            return False
        running.add(asyncio.ensure_future(one(*item)))
        return True

    for _ in range(concurrency):
        if not launch():
            break
    try:
        while running:
            done, _ = await asyncio.wait(running, return_when=asyncio.FIRST_COMPLETED)
            for task in done:
                running.discard(task)
                i, line = task.result()
                ready[i] = line
                launch()
            while next_out in ready:
                yield ready.pop(next_out)
                next_out += 1
    finally:
        for task in running:
            task.cancel()
        if running:
            await asyncio.gather(*running, return_exceptions=True)


def completed_episode_ids(path: Path) -> list[str]:
    """Episode ids of the complete lines of a run's own transcripts file (for resuming).

    A partial last line (a crash mid-write) is cut off first so that appending continues
    cleanly; any other defect is an error naming the file and line.
    """
    if not path.exists():
        return []
    repair_torn_tail(path)
    ids = []
    with path.open("rb") as fh:
        for lineno, raw in enumerate(fh, 1):
            try:
                record = json.loads(raw.decode("utf-8"))
            except (UnicodeDecodeError, ValueError, RecursionError) as err:
                raise DataFileError(path, f"line {lineno} is not a transcript record ({type(err).__name__}); "
                                          "cannot resume") from err
            episode_id = record.get("episode_id") if isinstance(record, dict) else None
            if not isinstance(episode_id, str):
                raise DataFileError(path, f"line {lineno} is not a transcript record (no episode_id); cannot resume")
            ids.append(episode_id)
    return ids
