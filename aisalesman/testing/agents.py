"""``check_agent``: the conformance check every salesman agent should pass.

Use it in your plug-in's tests::

    from aisalesman.testing import check_agent
    check_agent("my-agent", temperature=0.2)

It plays a few calls against the built-in customer and raises :class:`AgentCheckError`
naming the first rule broken:

* the factory builds an object with ``reset(view, *, seed)`` and ``act(observation)``;
* every turn is an :class:`~aisalesman.agents.base.AgentTurn` whose text is a non-empty
  string within the utterance limit, whose acts are :class:`SalesAct` members, whose
  intent is a string or None and whose meta is JSON-serialisable;
* the same seeds give the same calls (fresh agents, twice);
* ``reset`` clears state: one instance replays a call identically after another call;
* the agent leaves Python's and NumPy's global random state alone.
"""

from __future__ import annotations

import json
import random
from collections.abc import Sequence
from typing import Any

import numpy as np

from aisalesman.agents.base import AgentTurn, make_agent
from aisalesman.core.persona import Persona
from aisalesman.core.product import Product
from aisalesman.core.scenario import Scenario
from aisalesman.core.seeding import derive_seed
from aisalesman.core.types import SalesAct
from aisalesman.customers.base import make_customer
from aisalesman.envs.telesales import ScenarioPool, TeleSalesEnv

__all__ = ["AgentCheckError", "check_agent"]


class AgentCheckError(AssertionError):
    """An agent broke one of the rules :func:`check_agent` checks."""


def _check_turn(name: str, move: Any, limit: int) -> None:
    if not isinstance(move, AgentTurn):
        raise AgentCheckError(f"agent {name!r}: act() returned {type(move).__name__}, not an AgentTurn")
    if not isinstance(move.text, str) or not move.text.strip():
        raise AgentCheckError(f"agent {name!r}: an utterance is empty or not a string: {move.text!r}")
    if len(move.text) > limit:
        raise AgentCheckError(f"agent {name!r}: an utterance has {len(move.text)} characters, more than {limit}")
    bad = [a for a in move.acts if not isinstance(a, SalesAct)]
    if bad:
        raise AgentCheckError(f"agent {name!r}: acts must be SalesAct members, got {bad!r}")
    if move.intent is not None and not isinstance(move.intent, str):
        raise AgentCheckError(f"agent {name!r}: intent must be a string or None, got {move.intent!r}")
    if move.meta is not None:
        try:
            json.dumps(move.meta)
        except (TypeError, ValueError) as err:
            raise AgentCheckError(f"agent {name!r}: meta is not JSON-serialisable ({err})") from err


def _play(name: str, agent: Any, persona: Persona, product: Product, seed: int, limit: int) -> list[str]:
    """One call of ``agent`` against the built-in customer; the utterances, both sides."""
    scenario = Scenario(persona, product)
    env = TeleSalesEnv(ScenarioPool([persona], [product]), max_utterance_chars=limit)
    env.reset(seed=seed, options={"scenario": scenario})
    customer = make_customer("persona")
    agent.reset(scenario.salesman_view(), seed=derive_seed(seed, "salesman"))
    customer.reset(scenario, seed=derive_seed(seed, "customer"))
    while not env.call.done:
        if env.agent_selection == "salesman":
            move = agent.act(env.salesman_observation())
            _check_turn(name, move, limit)
            env.step(move.text)
        else:
            env.play_customer(customer)
    return [f"{t.speaker}: {t.text}" for t in env.call.turns]


def check_agent(name: str, *, personas: Sequence[Persona] | None = None, product: Product | None = None,
                calls: int = 4, seed: int = 0, chat_model: Any = None, max_utterance_chars: int = 600,
                **kwargs: Any) -> None:
    """Check the registered agent ``name`` (built with ``kwargs``); raise :class:`AgentCheckError` if it fails.

    Agents that use an LLM get ``chat_model`` (a deterministic backend, such as
    :class:`~aisalesman.core.llm.scripted.ScriptedChatModel`, for the determinism rule).
    """
    from aisalesman.data import load_personas, load_product

    pool = list(personas) if personas is not None else load_personas("dev")
    if len(pool) < 2:
        raise ValueError("check_agent needs at least two personas")
    product = product or load_product("bistro-boost")
    chosen = [pool[(i * 7) % len(pool)] for i in range(max(2, calls))]

    def fresh():
        agent = make_agent(name, chat_model=chat_model, **kwargs)
        for method in ("reset", "act"):
            if not callable(getattr(agent, method, None)):
                raise AgentCheckError(f"agent {name!r}: {type(agent).__name__} has no {method}() method")
        return agent

    py_state, np_state = random.getstate(), np.random.get_state()
    first = [_play(name, fresh(), p, product, seed + i, max_utterance_chars) for i, p in enumerate(chosen)]
    again = [_play(name, fresh(), p, product, seed + i, max_utterance_chars) for i, p in enumerate(chosen)]
    for i, (a, b) in enumerate(zip(first, again, strict=True)):
        if a != b:
            turn = next((j for j, (x, y) in enumerate(zip(a, b, strict=False)) if x != y), min(len(a), len(b)))
            raise AgentCheckError(f"agent {name!r}: not deterministic: call {i} with the same seeds differs at turn {turn}")
    agent = fresh()
    _play(name, agent, chosen[1], product, seed + 1, max_utterance_chars)
    if _play(name, agent, chosen[0], product, seed, max_utterance_chars) != first[0]:
        raise AgentCheckError(f"agent {name!r}: reset() does not clear state: a call replayed after another differs")
    if random.getstate() != py_state:
        raise AgentCheckError(f"agent {name!r}: uses Python's global random state; own a random.Random(seed) instead")
    after = np.random.get_state()
    if after[0] != np_state[0] or not np.array_equal(after[1], np_state[1]) or after[2:] != np_state[2:]:
        raise AgentCheckError(f"agent {name!r}: uses NumPy's global random state; own a np.random.Generator instead")
