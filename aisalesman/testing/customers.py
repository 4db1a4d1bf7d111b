"""``check_customer``: the conformance check every simulated customer should pass.

Use it in your plug-in's tests::

    from aisalesman.testing import check_customer
    check_customer("my-customer", chat_model=ScriptedChatModel(), mood="grumpy")

It plays a few calls against a built-in salesman and raises :class:`CustomerCheckError`
naming the first rule broken:

* the factory builds an object with ``reset(scenario, *, seed)`` and ``respond(observation)``;
* every reply is a :class:`~aisalesman.customers.base.CustomerReply` whose text is a
  non-empty string within the utterance limit, whose act is a :class:`CustomerAct`, whose
  objection is an :class:`ObjectionType` or None, whose decision is a
  :class:`CustomerDecision` or None and whose meta is None or a JSON-serialisable dict;
* the same seeds give the same calls (fresh customers, twice);
* ``reset`` clears state: one instance replays a call identically after another call;
* the customer leaves Python's and NumPy's global random state alone.

An :class:`~aisalesman.core.errors.LLMError` from the customer (a model it could not get a
usable answer from) is reported as a broken rule: with a deterministic backend such as
:class:`~aisalesman.core.llm.scripted.ScriptedChatModel` every turn must succeed.
"""

from __future__ import annotations

import json
import random
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from aisalesman.core.errors import LLMError
from aisalesman.core.persona import Persona
from aisalesman.core.product import Product
from aisalesman.core.scenario import Scenario
from aisalesman.core.seeding import derive_seed
from aisalesman.core.types import CustomerAct, CustomerDecision, ObjectionType
from aisalesman.customers.base import CustomerReply, make_customer

__all__ = ["CustomerCheckError", "check_customer"]


class CustomerCheckError(AssertionError):
    """A customer broke one of the rules :func:`check_customer` checks."""


def _check_reply(label: str, reply: Any, limit: int) -> None:
    if not isinstance(reply, CustomerReply):
        raise CustomerCheckError(f"{label}: respond() returned {type(reply).__name__}, not a CustomerReply")
    if not isinstance(reply.text, str) or not reply.text.strip():
        raise CustomerCheckError(f"{label}: a reply's text is empty or not a string: {reply.text!r}")
    if len(reply.text) > limit:
        raise CustomerCheckError(f"{label}: a reply has {len(reply.text)} characters, more than {limit}")
    checks = (("act", CustomerAct, False), ("objection", ObjectionType, True), ("decision", CustomerDecision, True))
    for field, kind, optional in checks:
        value = getattr(reply, field)
        if not (isinstance(value, kind) or (optional and value is None)):
            allowed = f"a {kind.__name__}" + (" or None" if optional else "")
            raise CustomerCheckError(f"{label}: a reply's {field} must be {allowed}, got {value!r}")
    if reply.kind is not None and not isinstance(reply.kind, str):
        raise CustomerCheckError(f"{label}: a reply's kind must be a string or None, got {reply.kind!r}")
    if reply.meta is not None:
        if not isinstance(reply.meta, dict):
            raise CustomerCheckError(f"{label}: a reply's meta must be a dict or None, got {type(reply.meta).__name__}")
        try:
            json.dumps(reply.meta)
        except (TypeError, ValueError) as err:
            raise CustomerCheckError(f"{label}: a reply's meta is not JSON-serialisable ({err})") from err


def _play(label: str, customer: Any, agent: str, persona: Persona, product: Product, seed: int,
          limit: int) -> list[str]:
    """One call of ``customer`` against the built-in salesman ``agent``; every turn, both sides."""
    from aisalesman.agents.base import make_agent
    from aisalesman.envs.telesales import ScenarioPool, TeleSalesEnv

    scenario = Scenario(persona, product)
    env = TeleSalesEnv(ScenarioPool([persona], [product]), max_utterance_chars=limit)
    env.reset(seed=seed, options={"scenario": scenario})
    salesman = make_agent(agent)
    salesman.reset(scenario.salesman_view(), seed=derive_seed(seed, "salesman"))
    customer.reset(scenario, seed=derive_seed(seed, "customer"))
    lines = []
    while not env.call.done:
        if env.agent_selection == "salesman":
            env.step(salesman.act(env.salesman_observation()).text)
            continue
        try:
            reply = customer.respond(env.customer_observation())
        except LLMError as err:
            raise CustomerCheckError(f"{label}: respond() failed: {type(err).__name__}: {err}") from err
        _check_reply(label, reply, limit)
        lines.append(json.dumps([reply.text, str(reply.act), reply.decision and str(reply.decision), reply.meta]))
        env.step_customer_reply(reply)
    return [f"{t.speaker}: {t.text}" for t in env.call.turns] + lines


def _first_difference(a: Sequence[str], b: Sequence[str]) -> int:
    return next((j for j, (x, y) in enumerate(zip(a, b, strict=False)) if x != y), min(len(a), len(b)))


def _check_global_rng(label: str, py_state: Any, np_state: Any) -> None:
    if random.getstate() != py_state:
        raise CustomerCheckError(f"{label}: uses Python's global random state; own a random.Random(seed) instead")
    after = np.random.get_state()
    if after[0] != np_state[0] or not np.array_equal(after[1], np_state[1]) or after[2:] != np_state[2:]:
        raise CustomerCheckError(f"{label}: uses NumPy's global random state; own a np.random.Generator instead")


def check_customer(customer: str | Callable[..., Any], *, personas: Sequence[Persona] | None = None,
                   product: Product | None = None, calls: int = 4, seed: int = 0, chat_model: Any = None,
                   agent: str = "scripted", max_utterance_chars: int = 600, **kwargs: Any) -> None:
    """Check a customer (a registered name, or a factory) built with ``kwargs``.

    Customers that use an LLM get ``chat_model`` (a deterministic backend, such as
    :class:`~aisalesman.core.llm.scripted.ScriptedChatModel`, for the determinism rule).
    The calls are played against the registered agent ``agent``.

    Raises:
        CustomerCheckError: naming the first rule broken.
    """
    from aisalesman.data import load_personas, load_product

    pool = list(personas) if personas is not None else load_personas("dev")
    if len(pool) < 2:
        raise ValueError("check_customer needs at least two personas")
    product = product or load_product("bistro-boost")
    chosen = [pool[(i * 7) % len(pool)] for i in range(max(2, calls))]
    label = f"customer {customer!r}" if isinstance(customer, str) else f"customer {getattr(customer, '__name__', customer)!r}"

    def fresh():
        c = make_customer(customer, chat_model=chat_model, **kwargs) if isinstance(customer, str) else customer(**kwargs)
        for method in ("reset", "respond"):
            if not callable(getattr(c, method, None)):
                raise CustomerCheckError(f"{label}: {type(c).__name__} has no {method}() method")
        return c

    def play(c, i):
        return _play(label, c, agent, chosen[i], product, seed + i, max_utterance_chars)

    py_state, np_state = random.getstate(), np.random.get_state()
    first = [play(fresh(), i) for i in range(len(chosen))]
    again = [play(fresh(), i) for i in range(len(chosen))]
    for i, (a, b) in enumerate(zip(first, again, strict=True)):
        if a != b:
            raise CustomerCheckError(f"{label}: not deterministic: call {i} with the same seeds differs at line "
                                     f"{_first_difference(a, b)}")
    one = fresh()
    play(one, 1)
    if play(one, 0) != first[0]:
        raise CustomerCheckError(f"{label}: reset() does not clear state: a call replayed after another differs")
    _check_global_rng(label, py_state, np_state)
