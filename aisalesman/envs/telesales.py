"""``aisalesman/telesales-v0``: an outbound sales call as a two-agent PettingZoo environment.

Agents
    ``salesman`` and ``customer``. The salesman opens (an outbound call); turns alternate.

Actions
    An utterance: any Unicode string of at most ``max_utterance_chars`` characters
    (:class:`~aisalesman.envs.spaces.UnicodeText`). A non-string, an over-long string or a
    non-``None`` action after the call ended raises
    :class:`~aisalesman.core.errors.InvalidActionError`.

Observations
    A dict per agent: ``view`` (the salesman sees the CRM record and the product knowledge
    base; the customer sees its whole persona card and the product's name), ``transcript``
    (``"salesman: ...\\ncustomer: ...\\n"``), ``turn`` (utterances so far) and ``to_speak``
    (1 when this agent speaks next). Structured data (recognised acts, objections, claims)
    is in ``info["turn"]`` and in :meth:`TeleSalesEnv.salesman_observation`.

Rewards
    To the salesman, from :class:`~aisalesman.envs.call.RewardConfig`: outcome (sale,
    appointment), hang-up, do-not-call violation, false claims, turn cost and optional
    shaping, each accumulated separately in ``info["reward_components"]``. The customer's
    reward is 0.

Termination and truncation
    See :mod:`aisalesman.envs.call`: accept, reject, hang-up, salesman goodbye, and the turn
    after a do-not-call request end the call; ``max_turns`` utterances truncate it.

Seeding
    ``reset(seed=s)`` seeds the scenario draw; each later ``reset()`` draws the next episode
    seed from that generator. ``options={"scenario": Scenario}`` fixes the scenario.

Versions
    v0: first release.
"""

from __future__ import annotations

import json
import random
from collections.abc import Sequence
from typing import Any

from gymnasium.spaces import Dict, Discrete
from pettingzoo import AECEnv, ParallelEnv

from aisalesman.core.errors import ConfigError, InvalidActionError, LLMError
from aisalesman.core.persona import Persona
from aisalesman.core.product import Product
from aisalesman.core.scenario import Scenario
from aisalesman.core.types import CustomerDecision, Goal, InfoKey, Role
from aisalesman.customers.base import Customer, CustomerObservation, CustomerReply
from aisalesman.envs.call import RewardConfig, RewardModel, SalesCall
from aisalesman.envs.spaces import UnicodeText

__all__ = ["ScenarioPool", "TeleSalesEnv", "TeleSalesParallelEnv"]


class ScenarioPool:
    """Personas x products to draw scenarios from (defaults: train split, all built-in products)."""

    def __init__(
        self,
        personas: Sequence[Persona] | None = None,
        products: Sequence[Product] | None = None,
        *,
        goal: Goal | str = Goal.SALE,
        max_turns: int = 40,
    ) -> None:
        from aisalesman.data import builtin_product_names, load_personas, load_product

        self.personas = list(personas) if personas is not None else load_personas("train")
        self.products = list(products) if products is not None else [load_product(n) for n in builtin_product_names()]
        if not self.personas or not self.products:
            raise ConfigError("a scenario pool needs at least one persona and one product")
        self.goal = Goal(goal)
        self.max_turns = max_turns

    def sample(self, rng: random.Random) -> Scenario:
        persona = self.personas[rng.randrange(len(self.personas))]
        product = self.products[rng.randrange(len(self.products))]
        return Scenario(persona, product, self.goal, self.max_turns)


def _salesman_card(scenario: Scenario) -> str:
    return json.dumps(
        {"goal": str(scenario.goal), "customer": scenario.persona.crm.model_dump(mode="json"),
         "product": scenario.product.model_dump(mode="json")},
        ensure_ascii=False, sort_keys=True,
    )


def _customer_card(scenario: Scenario) -> str:
    return json.dumps(
        {"persona": scenario.persona.model_dump(mode="json"), "product": scenario.product.name,
         "caller_company": scenario.product.company},
        ensure_ascii=False, sort_keys=True,
    )


class TeleSalesEnv(AECEnv):
    """The text-level sales call (AEC). See the module docstring for the full contract.

    Args:
        pool: Where scenarios come from (a default :class:`ScenarioPool` if None).
        max_utterance_chars: Longest utterance accepted.
        rewards: Reward component values.
        reward_model: Optional per-turn shaping model.
        render_mode: ``"ansi"`` (return text) or ``"human"`` (print).
    """

    metadata = {"name": "telesales_v0", "render_modes": ["ansi", "human"], "is_parallelizable": True}
    VIEW_CHARS = 20000

    def __init__(
        self,
        pool: ScenarioPool | None = None,
        *,
        max_utterance_chars: int = 600,
        rewards: RewardConfig | None = None,
        reward_model: RewardModel | None = None,
        render_mode: str | None = None,
    ) -> None:
        super().__init__()
        if render_mode is not None and render_mode not in self.metadata["render_modes"]:
            raise ConfigError(f"render_mode must be one of {self.metadata['render_modes']}, got {render_mode!r}")
        self.pool = pool or ScenarioPool()
        self.max_utterance_chars = max_utterance_chars
        self.reward_config = rewards or RewardConfig()
        self.reward_model = reward_model
        self.render_mode = render_mode
        self.possible_agents = [str(Role.SALESMAN), str(Role.CUSTOMER)]
        self._action_spaces, self._observation_spaces = self._build_spaces()
        self._seeder: random.Random | None = None
        self.call: SalesCall | None = None

    def _build_spaces(self) -> tuple[dict[str, Any], dict[str, Any]]:
        """Action and observation spaces per agent, built once (PettingZoo needs the same objects)."""
        max_turns = self.pool.max_turns
        actions = {a: UnicodeText(self.max_utterance_chars) for a in self.possible_agents}
        observations = {
            a: Dict({
                "view": UnicodeText(self.VIEW_CHARS),
                "transcript": UnicodeText(max_turns * (self.max_utterance_chars + 12)),
                "turn": Discrete(max_turns + 1),
                "to_speak": Discrete(2),
            })
            for a in self.possible_agents
        }
        return actions, observations

    def observation_space(self, agent: str):
        return self._observation_spaces[agent]

    def action_space(self, agent: str):
        return self._action_spaces[agent]

    # ------------------------------------------------------------------ episode
    def reset(self, seed: int | None = None, options: dict[str, Any] | None = None) -> None:
        if seed is not None:
            self._seeder = random.Random(seed)
        elif self._seeder is None:
            self._seeder = random.Random()
        self.episode_seed = self._seeder.getrandbits(63)
        scenario = (options or {}).get("scenario") or self.pool.sample(random.Random(self.episode_seed))
        if not isinstance(scenario, Scenario):
            raise ConfigError(f"options['scenario'] must be a Scenario, got {type(scenario).__name__}")
        self.scenario = scenario
        self.call = SalesCall(scenario, self.max_utterance_chars, self.reward_config, self.reward_model)
        self._views: dict[str, str] = {}
        self._transcript = ""
        self.agents = self.possible_agents[:]
        self.rewards = dict.fromkeys(self.agents, 0.0)
        self._cumulative_rewards = dict.fromkeys(self.agents, 0.0)
        self.terminations = dict.fromkeys(self.agents, False)
        self.truncations = dict.fromkeys(self.agents, False)
        self.infos = {a: {} for a in self.agents}
        self.agent_selection = self.agents[0]

    def observe(self, agent: str) -> dict[str, Any]:
        call = self.call
        return {
            "view": self._views.get(agent) or self._view(agent),
            "transcript": self._transcript,
            "turn": len(call.turns),
            "to_speak": int(not call.done and call.next_role == agent),
        }

    def _view(self, agent: str) -> str:
        card = _salesman_card if agent == "salesman" else _customer_card
        self._views[agent] = text = card(self.scenario)
        return text

    def step(self, action: Any) -> None:
        self._step(action)

    def step_customer_reply(self, reply: CustomerReply) -> None:
        """Step the customer with a structured reply (its ``decision``, if set, is authoritative)."""
        if self.agent_selection != "customer":
            raise InvalidActionError(f"it is the {self.agent_selection}'s turn, not the customer's")
        self._step(reply.text, reply.decision, reply.meta)

    def step_salesman_turn(self, text: str, *, intent: str | None = None, meta: dict[str, Any] | None = None) -> None:
        """Step the salesman with an utterance plus the intent and metadata its agent declared.

        A declared ``intent`` replaces the one the environment would read from the text.
        """
        if self.agent_selection != "salesman":
            raise InvalidActionError(f"it is the {self.agent_selection}'s turn, not the salesman's")
        self._step(text, meta=meta, intent=intent)

    def _step(self, action: Any, decision: CustomerDecision | None = None, meta: dict[str, Any] | None = None,
              intent: str | None = None) -> None:
        agent = self.agent_selection
        if self.terminations[agent] or self.truncations[agent]:
            if action is not None:
                raise InvalidActionError(
                    f"the call has ended ({self.call.reason}); the only valid action for {agent} is None"
                )
            self._was_dead_step(action)
            return
        self._cumulative_rewards[agent] = 0.0
        text, extra, chosen = self._to_text(action)
        meta = meta if meta is not None else self._action_meta(agent)
        earned = self.call.speak(Role(agent), text, decision=decision, meta=meta, intent=intent or chosen)
        for key, value in extra.items():
            self.call.components[key] = self.call.components.get(key, 0.0) + value
            earned[key] = earned.get(key, 0.0) + value
        self._after_turn(sum(earned.values()))
        self.agent_selection = self.possible_agents[1 - self.possible_agents.index(agent)]
        self._accumulate_rewards()

    def _to_text(self, action: Any) -> tuple[str, dict[str, float], str | None]:
        """The utterance for ``action``, any extra salesman reward components, and its intent.

        Text envs take the action as is (the intent is read from the text); the act-level
        env realises acts as text and records the chosen act as the intent.
        """
        return action, {}, None

    def _action_meta(self, agent: str) -> dict[str, Any] | None:
        """Metadata to log with an utterance that came in as a plain action (none for text)."""
        return None

    def _after_turn(self, salesman_reward: float) -> None:
        call, turn = self.call, self.call.turns[-1]
        self._transcript += f"{turn.speaker}: {turn.text}\n"
        self.rewards = {"salesman": salesman_reward, "customer": 0.0}
        info = {InfoKey.TURN.value: turn, InfoKey.REWARD_COMPONENTS.value: dict(call.components)}
        if call.done:
            info[InfoKey.TERMINATION_REASON.value] = str(call.reason)
            info[InfoKey.OUTCOME.value] = str(call.outcome)
            for a in self.agents:
                self.terminations[a] = call.terminated
                self.truncations[a] = call.truncated
        for a in self.agents:
            self.infos[a] = info

    # --------------------------------------------------------- structured views
    def salesman_observation(self):
        """The structured observation the :class:`SalesAgent` protocol takes."""
        from aisalesman.agents.base import SalesObservation

        return SalesObservation(self.scenario.salesman_view(), tuple(self.call.turns))

    def customer_observation(self) -> CustomerObservation:
        return CustomerObservation(self.scenario, tuple(self.call.turns))

    def customer_action(self, customer: Customer) -> Any:
        """The action an embedded :class:`Customer` takes now (its reply text)."""
        return customer.respond(self.customer_observation()).text

    def play_customer(self, customer: Customer) -> None:
        """Let an embedded customer take its turn.

        Its structured decision, if it gives one, is honoured; a backend failure that
        outlived its retries ends the call with the ``infra_error`` reason.
        """
        try:
            self._play(customer)
        except LLMError as err:
            self.end_with_infra_error(f"customer: {err}")

    def _play(self, customer: Customer) -> None:
        self.step_customer_reply(customer.respond(self.customer_observation()))

    def end_with_infra_error(self, detail: str) -> None:
        """End the call now because a backend failed (no reward; counted apart in benchmarks)."""
        call = self.call
        call.end_with_infra_error(detail)
        info = {InfoKey.TERMINATION_REASON.value: str(call.reason), InfoKey.OUTCOME.value: str(call.outcome),
                InfoKey.REWARD_COMPONENTS.value: dict(call.components)}
        self.rewards = dict.fromkeys(self.agents, 0.0)
        for a in self.agents:
            self.terminations[a] = True
            self.infos[a] = info

    def render(self) -> str | None:
        if self.call is None:
            return None
        text = self._transcript + (f"[call ended: {self.call.reason}]\n" if self.call.done else "")
        if self.render_mode == "human":
            print(text, end="")
            return None
        return text

    def close(self) -> None:
        pass


class TeleSalesParallelEnv(ParallelEnv):
    """The parallel view of a turn-based AEC sales env.

    Both agents stay live for the whole call, and each ``step`` is one utterance by the
    agent whose observation has ``to_speak == 1``; the other agent's action is ignored
    (pass ``""`` or ``None``). Both agents terminate together.
    """

    def __init__(self, aec_env: TeleSalesEnv) -> None:
        self.aec_env = aec_env
        self.possible_agents = list(aec_env.possible_agents)
        self.metadata = dict(aec_env.metadata)
        self.render_mode = aec_env.render_mode
        self.agents: list[str] = []

    @property
    def unwrapped(self) -> TeleSalesEnv:
        return self.aec_env

    def observation_space(self, agent: str):
        return self.aec_env.observation_space(agent)

    def action_space(self, agent: str):
        return self.aec_env.action_space(agent)

    def reset(self, seed: int | None = None, options: dict[str, Any] | None = None):
        self.aec_env.reset(seed=seed, options=options)
        self.agents = list(self.aec_env.agents)
        return {a: self.aec_env.observe(a) for a in self.agents}, {a: {} for a in self.agents}

    def step(self, actions: dict[str, Any]):
        env = self.aec_env
        speaker = env.agent_selection
        if speaker not in actions:
            raise InvalidActionError(f"it is the {speaker}'s turn but actions has no {speaker!r} entry")
        env.step(actions[speaker])
        rewards = {a: float(env.rewards.get(a, 0.0)) for a in self.agents}
        terms = {a: bool(env.terminations[a]) for a in self.agents}
        truncs = {a: bool(env.truncations[a]) for a in self.agents}
        infos = {a: env.infos[a] for a in self.agents}
        obs = {a: env.observe(a) for a in self.agents}
        if any(terms.values()) or any(truncs.values()):
            self.agents = []
        return obs, rewards, terms, truncs, infos

    def render(self):
        return self.aec_env.render()

    def close(self) -> None:
        self.aec_env.close()
