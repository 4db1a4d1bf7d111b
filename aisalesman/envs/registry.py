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
``import aisalesman``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import gymnasium

from aisalesman.core.persona import Persona
from aisalesman.core.product import Product
from aisalesman.core.registry import Registry
from aisalesman.customers.base import Customer

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

    if isinstance(personas, str):
        personas = load_personas(personas)
    if isinstance(products, str):
        products = load_products(products)
    return ScenarioPool(personas, products, goal=goal, max_turns=max_turns)


def _aec(cls_path: str) -> Callable[..., Any]:
    def factory(*, personas=None, products=None, goal: str = "sale", max_turns: int = 40, **kwargs: Any):
        module, _, attr = cls_path.partition(":")
        cls = getattr(__import__(module, fromlist=[attr]), attr)
        return cls(_pool(personas, products, goal, max_turns), **kwargs)

    return factory


def _gym(aec_id: str, **defaults: Any) -> Callable[..., Any]:
    def factory(*, customer: Customer | None = None, **kwargs: Any):
        from aisalesman.envs.single_agent import SalesmanEnv

        return SalesmanEnv(envs.get(aec_id).factory(**{**defaults, **kwargs}), customer)

    return factory


def _register(spec: EnvSpec) -> None:
    envs.register(spec.id, spec)
    if spec.kind == "gym" and spec.id not in gymnasium.registry:
        gymnasium.register(id=spec.id, entry_point=spec.factory, disable_env_checker=False)


_register(EnvSpec("aisalesman/telesales-v0", "aec", _aec("aisalesman.envs.telesales:TeleSalesEnv"),
                  "text-level sales call with salesman and customer agents"))
_register(EnvSpec("aisalesman/telesales-acts-v0", "aec", _aec("aisalesman.envs.act_level:TeleSalesActEnv"),
                  "act-level sales call: discrete acts with legal-act masks, numeric observations"))
_register(EnvSpec("aisalesman/telesales-salesman-v0", "gym", _gym("aisalesman/telesales-v0"),
                  "text-level call for the salesman alone; the customer is embedded"))
_register(EnvSpec("aisalesman/telesales-acts-salesman-v0", "gym", _gym("aisalesman/telesales-acts-v0", illegal_action="penalise"),
                  "act-level call for the salesman alone; the customer is embedded"))


def make_env(env_id: str, *, parallel: bool = False, **kwargs: Any) -> Any:
    """Build a registered environment.

    Args:
        env_id: A registered id, e.g. ``"aisalesman/telesales-v0"``.
        parallel: For PettingZoo (``aec``) envs, return the parallel view.
        **kwargs: ``personas`` (split name, file or list), ``products`` (names, files or
            list), ``goal``, ``max_turns``, ``max_utterance_chars``, ``rewards``,
            ``reward_model``, ``render_mode``; ``customer`` for Gymnasium envs.
    """
    from aisalesman.core.errors import ConfigError

    spec = envs.get(env_id)
    env = spec.factory(**kwargs)
    if parallel:
        if spec.kind != "aec":
            raise ConfigError(f"{env_id} is a single-agent Gymnasium env; it has no parallel view")
        from aisalesman.envs.telesales import TeleSalesParallelEnv

        return TeleSalesParallelEnv(env)
    return env
