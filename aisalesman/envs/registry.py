"""Versioned environment ids and :func:`make_env`.

========================================  =====  ==========================================
id                                        kind   what
========================================  =====  ==========================================
``aisalesman/telesales-v0``               aec    text call, salesman and customer agents
``aisalesman/telesales-acts-v0``          aec    act-level call (discrete acts, masks)
``aisalesman/telesales-salesman-v0``      gym    text call, salesman only, customer embedded
``aisalesman/telesales-acts-salesman-v0`` gym    act-level call, salesman only
========================================  =====  ==========================================

The ``gym`` ids are also registered with Gymnasium, so ``gymnasium.make(id)`` works after
``import aisalesman`` (without Gymnasium's order-enforcing wrapper: the envs enforce
``reset()`` before ``step()`` themselves, with our own error).

Errors
    Arguments are validated when the env is built, by :func:`make_env` and
    ``gymnasium.make`` alike; each error names the argument and shows its value. An
    unknown id is an :class:`~aisalesman.core.errors.UnknownNameError`; an argument the
    id does not take (``max_turn=3``), ``parallel=True`` for a ``gym`` id and every
    invalid value (``max_turns=0``, ``goal="fame"``, ``render_mode="rgb"``, ...) is a
    :class:`~aisalesman.core.errors.ConfigError`; an unknown persona split, product,
    customer or reader name is an ``UnknownNameError``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import gymnasium

from aisalesman.core.errors import ConfigError, UnknownNameError
from aisalesman.core.persona import Persona
from aisalesman.core.product import Product
from aisalesman.core.registry import Registry
from aisalesman.customers.base import Customer
from aisalesman.envs.checks import check_options, init_options, show

__all__ = ["EnvSpec", "envs", "make_env"]


@dataclass(frozen=True)
class EnvSpec:
    id: str
    kind: str  # "aec" (PettingZoo, with a parallel view) or "gym" (Gymnasium single agent)
    factory: Callable[..., Any]
    description: str


envs: Registry[EnvSpec] = Registry("env")


def _pool(personas: str | Sequence[Persona] | None, products: str | Sequence[Product] | None, goal: str, max_turns: int):
    from aisalesman.data import load_personas, load_products
    from aisalesman.envs.telesales import ScenarioPool

    try:
        if isinstance(personas, str):
            personas = load_personas(personas)
        if isinstance(products, str):
            products = load_products(products)
    except UnknownNameError as err:  # say which argument held the name
        arg = "personas" if isinstance(personas, str) else "products"
        raise UnknownNameError(f"{arg}: {err}") from err
    return ScenarioPool(personas, products, goal=goal, max_turns=max_turns)


_POOL_OPTIONS = frozenset({"personas", "products", "goal", "max_turns"})


def _load(cls_path: str) -> type:
    module, _, attr = cls_path.partition(":")
    return getattr(__import__(module, fromlist=[attr]), attr)


def _aec(env_id: str, cls_path: str) -> Callable[..., Any]:
    """The factory of a PettingZoo env; ``factory.options()`` lists the arguments it takes."""

    def options() -> frozenset[str]:
        return _POOL_OPTIONS | init_options(_load(cls_path))

    def factory(*, personas=None, products=None, goal: str = "sale", max_turns: int = 40, **kwargs: Any):
        check_options(env_id, kwargs, options())
        return _load(cls_path)(_pool(personas, products, goal, max_turns), **kwargs)

    factory.options = options  # type: ignore[attr-defined]
    return factory


def _gym(env_id: str, aec_id: str, **defaults: Any) -> Callable[..., Any]:
    """The factory of a Gymnasium env over ``aec_id``'s env, with ``customer`` embedded."""

    def options() -> frozenset[str]:
        return envs.get(aec_id).factory.options() | {"customer"}

    def factory(*, customer: Customer | str | None = None, **kwargs: Any):
        from aisalesman.envs.single_agent import SalesmanEnv

        check_options(env_id, kwargs, options())
        return SalesmanEnv(envs.get(aec_id).factory(**{**defaults, **kwargs}), customer)

    factory.options = options  # type: ignore[attr-defined]
    return factory


def _register(spec: EnvSpec) -> None:
    envs.register(spec.id, spec)
    if spec.kind == "gym" and spec.id not in gymnasium.registry:
        gymnasium.register(id=spec.id, entry_point=spec.factory, disable_env_checker=False, order_enforce=False)


_TEXT, _ACTS = "aisalesman/telesales-v0", "aisalesman/telesales-acts-v0"
_register(EnvSpec(_TEXT, "aec", _aec(_TEXT, "aisalesman.envs.telesales:TeleSalesEnv"),
                  "text-level sales call with salesman and customer agents"))
_register(EnvSpec(_ACTS, "aec", _aec(_ACTS, "aisalesman.envs.act_level:TeleSalesActEnv"),
                  "act-level sales call: discrete acts with legal-act masks, numeric observations"))
_register(EnvSpec("aisalesman/telesales-salesman-v0", "gym", _gym("aisalesman/telesales-salesman-v0", _TEXT),
                  "text-level call for the salesman alone; the customer is embedded"))
_register(EnvSpec("aisalesman/telesales-acts-salesman-v0", "gym",
                  _gym("aisalesman/telesales-acts-salesman-v0", _ACTS, illegal_action="penalise"),
                  "act-level call for the salesman alone; the customer is embedded"))


def make_env(env_id: str, *, parallel: bool = False, **kwargs: Any) -> Any:
    """Build a registered environment.

    Args:
        env_id: A registered id, e.g. ``"aisalesman/telesales-v0"``.
        parallel: For PettingZoo (``aec``) envs, return the parallel view.
        **kwargs: ``personas`` (split name, file or list), ``products`` (names, files or
            list), ``goal``, ``max_turns``, ``max_utterance_chars``, ``rewards``,
            ``reward_model``, ``render_mode``, ``reader`` (a registered reader name or a
            ``Reader``; the project default if not given, see
            :data:`~aisalesman.dialogue.DEFAULT_ENV_READER`); ``illegal_action`` and ``illegal_penalty``
            for act-level envs; ``customer`` (a Customer or a registered name) for
            Gymnasium envs.

    Raises:
        UnknownNameError: ``env_id`` (or a persona split, product or customer name) is
            not registered.
        ConfigError: An argument the env does not take, or an invalid value.
    """
    if not isinstance(env_id, str):
        raise ConfigError(f"env_id must be a registered env id such as {_TEXT!r}, got {show(env_id)}")
    if not isinstance(parallel, bool):
        raise ConfigError(f"parallel must be True or False, got {show(parallel)}")
    spec = envs.get(env_id)
    if parallel and spec.kind != "aec":
        raise ConfigError(f"parallel=True: {env_id} is a single-agent Gymnasium env; it has no parallel view")
    env = spec.factory(**kwargs)
    if parallel:
        from aisalesman.envs.telesales import TeleSalesParallelEnv

        return TeleSalesParallelEnv(env)
    return env
