"""LLM backends behind one :class:`ChatModel` protocol (DESIGN §4).

Backends are registered by name (``openai``, ``transformers``, ``scripted``; plug-ins via
the ``aisalesman.backends`` entry-point group) and built from an :class:`LLMConfig` with
:func:`make_chat_model`. Heavy dependencies (``openai``, ``torch``) load on first use.
"""

from __future__ import annotations

import dataclasses
import inspect
from typing import Any

from aisalesman.core.config import LLMConfig
from aisalesman.core.errors import ConfigError, UnknownNameError
from aisalesman.core.llm.base import (
    BackendStats,
    BaseChatModel,
    ChatModel,
    ChatRequest,
    Completion,
    Message,
    SamplingParams,
    chat_models,
)
from aisalesman.core.llm.cache import CachedChatModel, CacheMissError, cache_key
from aisalesman.core.llm.untrusted import clip, redact

__all__ = [
    "BACKEND_SETTINGS",
    "BackendStats",
    "BaseChatModel",
    "CacheMissError",
    "CachedChatModel",
    "ChatModel",
    "ChatRequest",
    "Completion",
    "LLMConfig",
    "Message",
    "SamplingParams",
    "backend_settings",
    "cache_key",
    "chat_models",
    "clip",
    "make_chat_model",
    "redact",
    "sampling_params",
]

chat_models.register("openai", "aisalesman.core.llm.openai_backend:OpenAIChatModel")
chat_models.register("transformers", "aisalesman.core.llm.transformers_backend:TransformersChatModel")
chat_models.register("scripted", "aisalesman.core.llm.scripted:ScriptedChatModel")


#: The :class:`LLMConfig` settings a backend takes as keywords, if its factory declares them
#: (the sampling settings and the cache are handled here, for every backend).
BACKEND_SETTINGS = ("base_url", "api_key_env", "concurrency", "timeout", "max_retries", "device", "dtype",
                    "max_batch", "price_prompt", "price_completion")
_DEFAULTS = {f.name: f.default for f in dataclasses.fields(LLMConfig)}


def _keywords(factory: Any) -> frozenset[str] | None:
    """The keywords ``factory`` declares; None if it takes any (``**kwargs``) or cannot be inspected."""
    try:
        sig = inspect.signature(factory)
    except (TypeError, ValueError):
        return None
    params = sig.parameters.values()
    if any(p.kind is p.VAR_KEYWORD for p in params):
        return None
    return frozenset(p.name for p in params if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY))


def backend_settings(cfg: LLMConfig, factory: Any) -> dict[str, Any]:
    """The settings of ``cfg`` that the backend ``factory`` declares.

    A setting it does not declare is dropped when it has its default value, and is a
    :class:`ConfigError` naming the setting and the backend otherwise (``device=cuda``
    with ``openai``), unless the backend is a declared stand-in for any other
    (``stand_in = True``, as the scripted backend is).
    """
    declared = _keywords(factory)
    if declared is None:
        return {name: getattr(cfg, name) for name in BACKEND_SETTINGS}
    stand_in = bool(getattr(factory, "stand_in", False))
    settings = {}
    for name in BACKEND_SETTINGS:
        value = getattr(cfg, name)
        if name in declared:
            settings[name] = value
        elif value != _DEFAULTS[name] and not stand_in:
            takes = ", ".join(n for n in BACKEND_SETTINGS if n in declared) or "none of them"
            raise ConfigError(f"{name}={value!r}: backend {cfg.backend!r} has no {name} setting "
                              f"(its settings: {takes})")
    return settings


def make_chat_model(cfg: LLMConfig, **extra: Any) -> ChatModel:
    """The backend ``cfg`` names, wrapped in a cache when ``cfg.cache`` is set.

    The backend gets ``cfg.model`` and the settings it declares (:func:`backend_settings`);
    ``extra`` keywords go to it as they are.
    """
    if cfg.backend not in chat_models:
        raise UnknownNameError(chat_models.unknown_message(cfg.backend))
    factory = chat_models.get(cfg.backend)
    settings = backend_settings(cfg, factory)
    try:
        model = factory(cfg.model, **settings, **extra)
    except ImportError as err:
        raise ConfigError(f"backend {cfg.backend!r} needs extra packages: pip install 'aisalesman[llm]' ({err})") from err
    if cfg.cache:
        model = CachedChatModel(model, cfg.cache, mode=cfg.cache_mode)
    return model


def sampling_params(cfg: LLMConfig, *, seed: int | None = None, stop: tuple[str, ...] = ()) -> SamplingParams:
    return SamplingParams(temperature=cfg.temperature, top_p=cfg.top_p, max_tokens=cfg.max_tokens, stop=stop, seed=seed)
