"""LLM backends behind one :class:`ChatModel` protocol (DESIGN §4).

Backends are registered by name (``openai``, ``transformers``, ``scripted``; plug-ins via
the ``aisalesman.backends`` entry-point group) and built from an :class:`LLMConfig` with
:func:`make_chat_model`. Heavy dependencies (``openai``, ``torch``) load on first use.
"""

from __future__ import annotations

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

__all__ = [
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
    "cache_key",
    "chat_models",
    "make_chat_model",
    "sampling_params",
]

chat_models.register("openai", "aisalesman.core.llm.openai_backend:OpenAIChatModel")
chat_models.register("transformers", "aisalesman.core.llm.transformers_backend:TransformersChatModel")
chat_models.register("scripted", "aisalesman.core.llm.scripted:ScriptedChatModel")


def make_chat_model(cfg: LLMConfig, **extra: Any) -> ChatModel:
    """The backend ``cfg`` names, wrapped in a cache when ``cfg.cache`` is set."""
    if cfg.backend not in chat_models:
        raise UnknownNameError(chat_models.unknown_message(cfg.backend))
    factory = chat_models.get(cfg.backend)
    try:
        model = factory(cfg.model, base_url=cfg.base_url, api_key_env=cfg.api_key_env, concurrency=cfg.concurrency,
                        timeout=cfg.timeout, max_retries=cfg.max_retries, device=cfg.device, dtype=cfg.dtype,
                        max_batch=cfg.max_batch, price_prompt=cfg.price_prompt, price_completion=cfg.price_completion,
                        **extra)
    except ImportError as err:
        raise ConfigError(f"backend {cfg.backend!r} needs extra packages: pip install 'aisalesman[llm]' ({err})") from err
    if cfg.cache:
        model = CachedChatModel(model, cfg.cache, mode=cfg.cache_mode)
    return model


def sampling_params(cfg: LLMConfig, *, seed: int | None = None, stop: tuple[str, ...] = ()) -> SamplingParams:
    return SamplingParams(temperature=cfg.temperature, top_p=cfg.top_p, max_tokens=cfg.max_tokens, stop=stop, seed=seed)
