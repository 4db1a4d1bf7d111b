"""Optional extras: a feature whose packages are not installed is a one-line error naming the extra.

``pip install 'aisalesman[train]'`` (Ray/RLlib), ``[bayes]`` (JAX, NumPyro) and ``[llm]``
(OpenAI client, FastAPI, uvicorn, transformers) add what the core package leaves out.
"""

from __future__ import annotations

import importlib.util

from aisalesman.core.errors import AISalesmanError

__all__ = ["MissingExtraError", "installed", "require_extra"]


class MissingExtraError(AISalesmanError, ImportError):
    """A feature needs an optional extra that is not installed."""


def installed(module: str) -> bool:
    """Whether ``module`` can be imported here (it is only looked up, not imported)."""
    try:
        return importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):  # a parent package missing, or a module without a spec
        return False


def require_extra(extra: str, *modules: str, feature: str) -> None:
    """Raise :class:`MissingExtraError` unless every top-level package in ``modules`` is importable.

    The check only looks the packages up (it imports none), so it is cheap enough to run
    before any work starts.
    """
    missing = [m for m in modules if not installed(m)]
    if missing:
        raise MissingExtraError(f"{feature} needs the '{extra}' extra ({', '.join(missing)} not installed): "
                                f"pip install 'aisalesman[{extra}]'")
