"""A Gymnasium single-agent view for the salesman, with a customer policy embedded.

Each ``step`` takes the salesman's action, then lets the embedded customer reply; the
reward is the salesman's reward over both utterances. Registered with Gymnasium as
``aisalesman/telesales-salesman-v0`` (text) and ``aisalesman/telesales-acts-salesman-v0``
(act level), with the built-in persona customer by default.

Errors
    ``step`` before ``reset()``, or after the episode terminated or was truncated, raises
    :class:`~aisalesman.core.errors.EnvStateError` (a Gymnasium env has no dead-agent
    steps); the ids are registered with Gymnasium without its order-enforcing wrapper, so
    ``gymnasium.make`` envs raise the same error. A seed must be ``None`` or a non-negative
    ``int`` or numpy integer (else ``ConfigError``); an action outside ``action_space`` is
    an ``InvalidActionError``; a ``customer`` that is neither a
    :class:`~aisalesman.customers.base.Customer` nor a registered customer name is a
    ``ConfigError`` (an unknown name an ``UnknownNameError``); so is a ``reader`` that is
    neither a reader name nor a ``Reader``.

Reading
    The embedded customer reads the salesman through the env's reader (its observations
    carry it). ``reader``, when given, replaces the wrapped env's reader.
"""

from __future__ import annotations

from typing import Any

import gymnasium as gym

from aisalesman.core.errors import ConfigError, EnvStateError
from aisalesman.core.seeding import derive_seed
from aisalesman.core.types import InfoKey
from aisalesman.customers.base import Customer, make_customer
from aisalesman.dialogue.configured import env_reader
from aisalesman.dialogue.reading import Reader
from aisalesman.envs.checks import check_seed, show
from aisalesman.envs.telesales import TeleSalesEnv

__all__ = ["SalesmanEnv"]


def _customer(customer: Any) -> Customer:
    """The embedded customer: ``customer`` itself, the one it names, or the ``persona`` default."""
    if customer is None or isinstance(customer, str):
        return make_customer("persona" if customer is None else customer)
    if not isinstance(customer, Customer):
        raise ConfigError(f"customer must be a Customer (with reset() and respond()) or a registered "
                          f"customer name, got {show(customer)}")
    return customer


class SalesmanEnv(gym.Env):
    """The salesman's side of a two-agent sales env, the customer played by ``customer``.

    Args:
        env: The AEC environment (text or act level).
        customer: The embedded customer, or a registered customer name; the built-in
            ``persona`` customer if None. It is reset every episode with a seed derived
            from the episode seed.
        reader: What reads the utterances, replacing the env's own reader; None keeps the
            env's (which is the project default unless the env was given one).
    """

    def __init__(self, env: TeleSalesEnv, customer: Customer | str | None = None, *,
                 reader: str | Reader | None = None) -> None:
        if not isinstance(env, TeleSalesEnv):
            raise ConfigError(f"env must be a TeleSalesEnv, got {show(env)}")
        if reader is not None:
            env.reader = env_reader(reader)
        self.env = env
        self.customer = _customer(customer)
        self.observation_space = env.observation_space("salesman")
        self.action_space = env.action_space("salesman")
        self.metadata = dict(env.metadata)
        self.render_mode = env.render_mode

    def reset(self, *, seed: int | None = None, options: dict[str, Any] | None = None):
        seed = check_seed(seed)
        super().reset(seed=seed)
        self.env.reset(seed=seed, options=options)
        self.customer.reset(self.env.scenario, seed=derive_seed(self.env.episode_seed, "customer"))
        info = {"scenario": self.env.scenario.id, "episode_seed": self.env.episode_seed}
        return self.env.observe("salesman"), info

    def step(self, action: Any):
        env = self.env
        call = env._started("step")
        if call.done:
            raise EnvStateError(f"step() called after the episode ended ({call.reason}); call reset()")
        env.step(action)
        reward = float(env.rewards["salesman"])
        if not env.call.done:
            env.play_customer(self.customer)
            reward += float(env.rewards["salesman"])
        call = env.call
        info = dict(env.infos.get("salesman", {}))
        info.setdefault(InfoKey.REWARD_COMPONENTS.value, dict(call.components))
        if call.done:
            info[InfoKey.TERMINATION_REASON.value] = str(call.reason)
            info[InfoKey.OUTCOME.value] = str(call.outcome)
        return env.observe("salesman"), reward, call.terminated, call.truncated, info

    @property
    def reader(self) -> Reader:
        """The reader of the wrapped env (and so of the embedded customer)."""
        return self.env.reader

    def render(self):
        return self.env.render()

    def close(self) -> None:
        self.env.close()
