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

Reading
    Every utterance is read by the env's ``reader`` (a registered name such as ``lexicon``
    or ``learned``, a :class:`~aisalesman.dialogue.reading.Reader`, or None for
    :data:`~aisalesman.dialogue.DEFAULT_ENV_READER`). The structured observations
    (:meth:`TeleSalesEnv.salesman_observation`, :meth:`TeleSalesEnv.customer_observation`)
    carry it, so the customers and agents that read text themselves (the persona customer,
    the anchored LLM customer, the adaptive agent, DOGA) hear what the env hears.

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
    seed from that generator. ``s`` is a non-negative ``int`` or numpy integer (the same
    number gives the same episode either way). ``options={"scenario": Scenario}`` fixes the
    scenario.

Errors
    Every misuse raises a subclass of :class:`~aisalesman.core.errors.AISalesmanError`
    whose message shows the offending value. Construction validates its arguments
    (``ConfigError``: a ``max_turns`` below 2, a non-positive ``max_utterance_chars``, an
    unknown ``goal`` or ``render_mode``, personas or products that are not
    ``Persona``/``Product`` objects, ``rewards`` that is not a ``RewardConfig``, a
    ``reader`` that is neither a name nor a ``Reader``); an unknown reader name is an
    ``UnknownNameError``.
    ``reset(seed=...)`` with a float, string, bool or negative seed, and ``reset(options=...)``
    with options that are not a dict or a ``scenario`` that is not a ``Scenario``, is a
    ``ConfigError`` (other option keys are ignored).
    ``step``, ``last``, ``observe`` and ``agent_iter`` before the first ``reset()``, and
    ``step``/``last`` once the call has ended and every agent has been removed, raise
    :class:`~aisalesman.core.errors.EnvStateError`; until then each ended agent may (and
    must) step ``None``, as PettingZoo requires. An action outside the agent's action
    space is an ``InvalidActionError``; ``observe``/``action_space`` of an unknown agent is
    an ``UnknownNameError``. The parallel view raises ``EnvStateError`` for ``step`` before
    ``reset()`` or after the call ended, and ``InvalidActionError`` for actions that are
    not a dict of agent to action (or name an unknown agent, or give the silent agent
    something other than ``None`` or an action in its space).

Versions
    v0: first release.
"""

from __future__ import annotations

import json
import random
from collections.abc import Iterable, Mapping
from typing import Any

from gymnasium.spaces import Dict, Discrete
from pettingzoo import AECEnv, ParallelEnv

from aisalesman.core.errors import ConfigError, EnvStateError, InvalidActionError, LLMError, UnknownNameError
from aisalesman.core.persona import Persona
from aisalesman.core.product import Product
from aisalesman.core.scenario import Scenario
from aisalesman.core.types import CustomerDecision, Goal, InfoKey, Role
from aisalesman.customers.base import Customer, CustomerObservation, CustomerReply
from aisalesman.dialogue.configured import env_reader
from aisalesman.dialogue.observation import SalesObservation
from aisalesman.dialogue.reading import Reader
from aisalesman.envs.call import RewardConfig, RewardModel, SalesCall
from aisalesman.envs.checks import check_choice, check_count, check_members, check_seed, show
from aisalesman.envs.spaces import UnicodeText

__all__ = ["ScenarioPool", "TeleSalesEnv", "TeleSalesParallelEnv"]


class ScenarioPool:
    """Personas x products to draw scenarios from (defaults: train split, all built-in products)."""

    def __init__(
        self,
        personas: Iterable[Persona] | None = None,
        products: Iterable[Product] | None = None,
        *,
        goal: Goal | str = Goal.SALE,
        max_turns: int = 40,
    ) -> None:
        from aisalesman.data import builtin_product_names, load_personas, load_product

        self.personas = check_members("personas", personas, Persona) if personas is not None else load_personas("train")
        self.products = (check_members("products", products, Product) if products is not None
                         else [load_product(n) for n in builtin_product_names()])
        self.goal = check_choice("goal", goal, Goal)
        self.max_turns = check_count("max_turns", max_turns, minimum=2)

    def sample(self, rng: random.Random) -> Scenario:
        persona = self.personas[rng.randrange(len(self.personas))]
        product = self.products[rng.randrange(len(self.products))]
        return Scenario(persona, product, self.goal, self.max_turns)


def _check_env_args(env: TeleSalesEnv, pool: Any, rewards: Any, reward_model: Any, render_mode: Any) -> None:
    """Validate :class:`TeleSalesEnv` arguments (a ConfigError naming the first bad one)."""
    if render_mode is not None and render_mode not in env.metadata["render_modes"]:
        raise ConfigError(f"render_mode must be one of {env.metadata['render_modes']}, got {show(render_mode)}")
    if pool is not None and not isinstance(pool, ScenarioPool):
        raise ConfigError(f"pool must be a ScenarioPool, got {show(pool)}")
    if rewards is not None and not isinstance(rewards, RewardConfig):
        raise ConfigError(f"rewards must be a RewardConfig, got {show(rewards)}")
    if reward_model is not None and not callable(getattr(reward_model, "score", None)):
        raise ConfigError(f"reward_model must have a score(turn, call) method, got {show(reward_model)}")


def _scenario_option(options: Any) -> Scenario | None:
    """The scenario ``reset(options=...)`` fixes, if any (other keys are ignored, as PettingZoo expects)."""
    if options is None:
        return None
    if not isinstance(options, Mapping):
        raise ConfigError(f"options must be a dict or None, got {show(options)}")
    scenario = options.get("scenario")
    if scenario is not None and not isinstance(scenario, Scenario):
        raise ConfigError(f"options['scenario'] must be a Scenario, got {show(scenario)}")
    return scenario


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
        reader: What reads every utterance (see the module docstring); None is the project
            default, :data:`~aisalesman.dialogue.DEFAULT_ENV_READER`.
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
        reader: str | Reader | None = None,
    ) -> None:
        super().__init__()
        _check_env_args(self, pool, rewards, reward_model, render_mode)
        self.reader = env_reader(reader)
        self.max_utterance_chars = check_count("max_utterance_chars", max_utterance_chars, minimum=1)
        self.pool = pool or ScenarioPool()
        self.reward_config = rewards or RewardConfig()
        self.reward_model = reward_model
        self.render_mode = render_mode
        self.possible_agents = [str(Role.SALESMAN), str(Role.CUSTOMER)]
        self._action_spaces, self._observation_spaces = self._build_spaces()
        self._seeder: random.Random | None = None
        self.call: SalesCall | None = None
        self.agents: list[str] = []

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
        return self._observation_spaces[self._known(agent)]

    def action_space(self, agent: str):
        return self._action_spaces[self._known(agent)]

    # ------------------------------------------------------------ state checks
    def _known(self, agent: Any) -> str:
        if agent not in self.possible_agents:
            raise UnknownNameError(f"unknown agent {show(agent)} (agents: {', '.join(self.possible_agents)})")
        return agent

    def _started(self, method: str) -> SalesCall:
        """The call in progress, or an EnvStateError if ``method`` was called before ``reset()``."""
        if self.call is None:
            raise EnvStateError(f"{method}() called before reset(); call reset() first")
        return self.call

    def _live(self, method: str) -> SalesCall:
        """Like :meth:`_started`, and an EnvStateError once every agent has been removed."""
        call = self._started(method)
        if not self.agents:
            raise EnvStateError(f"{method}() called after the call ended ({call.reason}) and every agent "
                                "was removed; call reset() to start a new call")
        return call

    # ------------------------------------------------------------------ episode
    def reset(self, seed: int | None = None, options: dict[str, Any] | None = None) -> None:
        seed, fixed = check_seed(seed), _scenario_option(options)
        if seed is not None:
            self._seeder = random.Random(seed)
        elif self._seeder is None:
            self._seeder = random.Random()
        self.episode_seed = self._seeder.getrandbits(63)
        self.scenario = scenario = fixed or self.pool.sample(random.Random(self.episode_seed))
        self.call = SalesCall(scenario, self.max_utterance_chars, self.reward_config, self.reward_model, self.reader)
        self._views: dict[str, str] = {}
        self._transcript = ""
        self.agents = self.possible_agents[:]
        self.rewards = dict.fromkeys(self.agents, 0.0)
        self._cumulative_rewards = dict.fromkeys(self.agents, 0.0)
        self.terminations = dict.fromkeys(self.agents, False)
        self.truncations = dict.fromkeys(self.agents, False)
        self.infos = {a: {} for a in self.agents}
        self.agent_selection = self.agents[0]

    def observe(self, agent: str) -> Any:
        self._started("observe")
        return self._observe(self._known(agent))

    def last(self, observe: bool = True) -> tuple[Any, float, bool, bool, dict[str, Any]]:
        self._live("last")
        return super().last(observe)

    def agent_iter(self, max_iter: int = 2**63):
        self._started("agent_iter")
        return super().agent_iter(max_iter)

    def _observe(self, agent: str) -> dict[str, Any]:
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
        self._live("step_customer_reply")
        if self.agent_selection != "customer":
            raise InvalidActionError(f"it is the {self.agent_selection}'s turn, not the customer's")
        self._step(reply.text, reply.decision, reply.meta)

    def step_salesman_turn(self, text: str, *, intent: str | None = None, meta: dict[str, Any] | None = None) -> None:
        """Step the salesman with an utterance plus the intent and metadata its agent declared.

        A declared ``intent`` replaces the one the environment would read from the text.
        """
        self._live("step_salesman_turn")
        if self.agent_selection != "salesman":
            raise InvalidActionError(f"it is the {self.agent_selection}'s turn, not the salesman's")
        self._step(text, meta=meta, intent=intent)

    def _step(self, action: Any, decision: CustomerDecision | None = None, meta: dict[str, Any] | None = None,
              intent: str | None = None) -> None:
        self._live("step")
        agent = self.agent_selection
        if self.terminations[agent] or self.truncations[agent]:
            if action is not None:
                raise InvalidActionError(
                    f"the call has ended ({self.call.reason}); the only valid action for {agent} is None, "
                    f"got {show(action)}"
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
    def salesman_observation(self) -> SalesObservation:
        """The structured observation the :class:`SalesAgent` protocol takes (with the env's reader)."""
        turns = tuple(self._started("salesman_observation").turns)
        return SalesObservation(self.scenario.salesman_view(), turns, self.call.reader)

    def customer_observation(self) -> CustomerObservation:
        """The structured observation the :class:`Customer` protocol takes (with the env's reader)."""
        turns = tuple(self._started("customer_observation").turns)
        return CustomerObservation(self.scenario, turns, self.call.reader)

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
        call = self._started("end_with_infra_error")
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
    (pass ``None`` or any action in its space). Both agents terminate together.

    ``reader``, when given, replaces the AEC env's reader (from the next ``reset()``);
    None keeps the one the AEC env was built with.
    """

    def __init__(self, aec_env: TeleSalesEnv, *, reader: str | Reader | None = None) -> None:
        if reader is not None:
            aec_env.reader = env_reader(reader)
        self.aec_env = aec_env
        self.possible_agents = list(aec_env.possible_agents)
        self.metadata = dict(aec_env.metadata)
        self.render_mode = aec_env.render_mode
        self.agents: list[str] = []

    @property
    def unwrapped(self) -> TeleSalesEnv:
        return self.aec_env

    @property
    def reader(self) -> Reader:
        """The reader of the AEC env this view steps."""
        return self.aec_env.reader

    def observation_space(self, agent: str):
        return self.aec_env.observation_space(agent)

    def action_space(self, agent: str):
        return self.aec_env.action_space(agent)

    def reset(self, seed: int | None = None, options: dict[str, Any] | None = None):
        self.aec_env.reset(seed=seed, options=options)
        self.agents = list(self.aec_env.agents)
        return {a: self.aec_env.observe(a) for a in self.agents}, {a: {} for a in self.agents}

    def _check_actions(self, actions: Any) -> str:
        """The speaker, after checking that ``actions`` is a valid dict of agent to action."""
        env = self.aec_env
        if env.call is None:
            raise EnvStateError("step() called before reset(); call reset() first")
        if not self.agents:
            raise EnvStateError(f"step() called after the call ended ({env.call.reason}); call reset()")
        if not isinstance(actions, Mapping):
            raise InvalidActionError(f"actions must be a dict of agent to action, got {show(actions)}")
        speaker = env.agent_selection
        if speaker not in actions:
            raise InvalidActionError(f"it is the {speaker}'s turn but actions has no {speaker!r} entry")
        for agent, action in actions.items():
            if agent not in self.agents:
                raise InvalidActionError(f"actions names an unknown agent {show(agent)} (agents: {self.agents})")
            if agent != speaker and action is not None and not self.action_space(agent).contains(action):
                raise InvalidActionError(f"{agent} action {show(action)} is not in its action space "
                                         f"{self.action_space(agent)} (pass None when it is not its turn)")
        return speaker

    def step(self, actions: dict[str, Any]):
        env = self.aec_env
        speaker = self._check_actions(actions)
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
