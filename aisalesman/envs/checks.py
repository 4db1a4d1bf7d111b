"""Argument checks shared by the environments: seeds, counts, option names, short value reprs.

Every check raises one of our errors (:mod:`aisalesman.core.errors`) whose message names
the argument and shows the offending value.
"""

from __future__ import annotations

import difflib
import inspect
import math
import reprlib
from collections.abc import Iterable, Mapping
from enum import Enum
from typing import Any

import numpy as np

from aisalesman.core.errors import ConfigError

__all__ = [
    "check_choice", "check_count", "check_members", "check_number", "check_options", "check_seed", "init_options", "show",
]

_REPR = reprlib.Repr()
_REPR.maxstring = 80
_REPR.maxother = 80


def show(value: Any) -> str:
    """A short ``repr`` of ``value`` for error messages (long strings are cut in the middle)."""
    return _REPR.repr(value)


def _is_integer(value: Any) -> bool:
    """An ``int`` or numpy integer (0-d integer arrays included), but not a bool."""
    if isinstance(value, (bool, np.bool_)):
        return False
    if isinstance(value, np.ndarray):
        return value.shape == () and np.issubdtype(value.dtype, np.integer)
    return isinstance(value, (int, np.integer))


def check_seed(seed: Any) -> int | None:
    """``seed`` as a Python ``int`` (numpy integers accepted), or None.

    Raises:
        ConfigError: ``seed`` is not None and not a non-negative integer (a float, a
            string, a bool or a negative number), as Gymnasium requires.
    """
    if seed is None:
        return None
    if not _is_integer(seed) or int(seed) < 0:
        raise ConfigError(f"seed must be None or a non-negative integer (int or numpy integer), got {show(seed)}")
    return int(seed)


def check_count(name: str, value: Any, *, minimum: int) -> int:
    """``value`` as an ``int`` of at least ``minimum`` (numpy integers accepted); else a ConfigError."""
    if not _is_integer(value) or int(value) < minimum:
        raise ConfigError(f"{name} must be an integer >= {minimum}, got {show(value)}")
    return int(value)


def check_number(name: str, value: Any) -> float:
    """``value`` as a finite ``float`` (not a bool); else a ConfigError."""
    ok = isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, (bool, np.bool_))
    if not ok or not math.isfinite(float(value)):
        raise ConfigError(f"{name} must be a finite number, got {show(value)}")
    return float(value)


def check_choice(name: str, value: Any, choices: type[Enum]) -> Any:
    """``value`` as a member of the enum ``choices``; else a ConfigError listing them."""
    try:
        return choices(value)
    except ValueError:
        raise ConfigError(f"{name} must be one of {[str(c) for c in choices]}, got {show(value)}") from None


def check_members(name: str, values: Any, kind: type) -> list[Any]:
    """``values`` (any iterable but a string) as a non-empty list of ``kind`` objects; else a ConfigError."""
    if isinstance(values, (str, bytes)) or not isinstance(values, Iterable):
        raise ConfigError(f"{name} must be a list of {kind.__name__} objects, got {show(values)}")
    items = list(values)
    if not items:
        raise ConfigError(f"{name} must hold at least one {kind.__name__}, got {show(values)}")
    for item in items:
        if not isinstance(item, kind):
            raise ConfigError(f"{name} must hold only {kind.__name__} objects, got {show(item)} in {show(values)}")
    return items


def init_options(cls: type) -> frozenset[str]:
    """The keyword-only ``__init__`` arguments of ``cls`` and of its bases in this package."""
    names: set[str] = set()
    for klass in cls.__mro__:
        init = vars(klass).get("__init__")
        if init is None or not klass.__module__.startswith("aisalesman."):
            continue
        names.update(p.name for p in inspect.signature(init).parameters.values() if p.kind is p.KEYWORD_ONLY)
    return frozenset(names)


def check_options(env_id: str, given: Mapping[str, Any], accepted: Iterable[str]) -> None:
    """Raise a ConfigError naming the first argument in ``given`` that ``env_id`` does not take."""
    accepted = sorted(accepted)
    for name, value in given.items():
        if name in accepted:
            continue
        close = difflib.get_close_matches(name, accepted, n=1, cutoff=0.6)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        raise ConfigError(f"{env_id} does not take {name}={show(value)}{hint} (it takes: {', '.join(accepted)})")
