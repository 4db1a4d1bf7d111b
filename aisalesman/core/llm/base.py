"""The chat-model protocol shared by every LLM backend.

A request is a list of chat messages plus sampling parameters (the seed included); a
completion carries the text, the finish reason and token counts. Backends implement one
coroutine, :meth:`BaseChatModel.acomplete`; many dialogues await it concurrently, and the
backend turns that into what suits it: concurrent HTTP requests under a limit, or one
batched forward pass (local transformers). Synchronous callers use :meth:`complete`.
"""

from __future__ import annotations

import asyncio
import threading
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

from aisalesman.core.errors import ConfigError, LLMError
from aisalesman.core.registry import Registry

__all__ = [
    "BackendStats",
    "BaseChatModel",
    "ChatModel",
    "ChatRequest",
    "Completion",
    "Message",
    "SamplingParams",
    "chat_models",
    "run_sync",
]

Message = Mapping[str, str]
_ROLES = frozenset({"system", "user", "assistant"})


@dataclass(frozen=True)
class SamplingParams:
    """How to sample. ``temperature`` 0 is greedy; ``seed`` makes sampling repeatable."""

    temperature: float = 0.0
    top_p: float = 1.0
    max_tokens: int = 256
    stop: tuple[str, ...] = ()
    seed: int | None = None
    logprobs: bool = False

    def __post_init__(self) -> None:
        if not 0.0 <= self.temperature <= 5.0:
            raise ConfigError(f"temperature must be in [0, 5], got {self.temperature!r}")
        if not 0.0 < self.top_p <= 1.0:
            raise ConfigError(f"top_p must be in (0, 1], got {self.top_p!r}")
        if isinstance(self.max_tokens, bool) or not isinstance(self.max_tokens, int) or self.max_tokens < 1:
            raise ConfigError(f"max_tokens must be a positive integer, got {self.max_tokens!r}")

    def to_dict(self) -> dict[str, Any]:
        return {"temperature": self.temperature, "top_p": self.top_p, "max_tokens": self.max_tokens,
                "stop": list(self.stop), "seed": self.seed, "logprobs": self.logprobs}


@dataclass(frozen=True)
class ChatRequest:
    """One chat completion to make."""

    messages: tuple[dict[str, str], ...]
    params: SamplingParams = field(default_factory=SamplingParams)

    def __post_init__(self) -> None:
        msgs = tuple(dict(m) for m in self.messages)
        for i, m in enumerate(msgs):
            if m.get("role") not in _ROLES or not isinstance(m.get("content"), str):
                raise ConfigError(f"message {i} must have a role in {sorted(_ROLES)} and a str content, got {m!r}")
        if not msgs:
            raise ConfigError("a chat request needs at least one message")
        object.__setattr__(self, "messages", msgs)


@dataclass(frozen=True)
class Completion:
    """A model's answer. ``finish_reason``: ``stop`` (end of text or a stop sequence) or ``length``."""

    text: str
    finish_reason: str = "stop"
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost: float = 0.0
    model: str = ""
    logprobs: tuple[float, ...] | None = None

    def to_dict(self) -> dict[str, Any]:
        d = {"text": self.text, "finish_reason": self.finish_reason, "prompt_tokens": self.prompt_tokens,
             "completion_tokens": self.completion_tokens, "cost": self.cost, "model": self.model}
        if self.logprobs is not None:
            d["logprobs"] = list(self.logprobs)
        return d

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Completion:
        lp = d.get("logprobs")
        return cls(d["text"], d.get("finish_reason", "stop"), int(d.get("prompt_tokens", 0)),
                   int(d.get("completion_tokens", 0)), float(d.get("cost", 0.0)), d.get("model", ""),
                   tuple(lp) if lp is not None else None)


@dataclass
class BackendStats:
    """Counters a backend keeps over its lifetime (thread-safe increments)."""

    calls: int = 0
    completions: int = 0
    retries: int = 0
    failures: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cache_hits: int = 0
    cache_misses: int = 0
    batches: int = 0
    errors: Counter = field(default_factory=Counter)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    def add(self, **counts: int) -> None:
        with self._lock:
            for k, v in counts.items():
                setattr(self, k, getattr(self, k) + v)

    def error(self, kind: str) -> None:
        with self._lock:
            self.errors[kind] += 1

    def to_dict(self) -> dict[str, Any]:
        d = {k: getattr(self, k) for k in ("calls", "completions", "retries", "failures", "prompt_tokens",
                                           "completion_tokens", "cache_hits", "cache_misses", "batches")}
        d["errors"] = dict(sorted(self.errors.items()))
        return d


@runtime_checkable
class ChatModel(Protocol):
    """A batch of chat requests in, completions out; sync and async."""

    name: str
    stats: BackendStats

    async def acomplete(self, request: ChatRequest) -> Completion: ...

    def complete(self, request: ChatRequest) -> Completion: ...


class BaseChatModel:
    """Shared plumbing: sync wrappers over :meth:`acomplete`, batches, and stats.

    Subclasses implement :meth:`acomplete` (raising :class:`LLMError` subclasses) and set
    ``name`` (the model identifier used in cache keys and transcripts).
    """

    name: str = "model"

    def __init__(self) -> None:
        self.stats = BackendStats()
        self._sync_loop: asyncio.AbstractEventLoop | None = None
        self._sync_lock = threading.Lock()

    async def acomplete(self, request: ChatRequest) -> Completion:
        raise NotImplementedError

    async def apreflight(self) -> None:
        """Check, before a run, that the backend can answer at all (raise :class:`LLMError` if not)."""

    def preflight(self) -> None:
        self.run_sync(self.apreflight())

    async def abatch(self, requests: Sequence[ChatRequest]) -> list[Completion | LLMError]:
        """All ``requests`` at once; a failed one gives its error in place of a completion."""
        results = await asyncio.gather(*(self.acomplete(r) for r in requests), return_exceptions=True)
        for r in results:
            if isinstance(r, BaseException) and not isinstance(r, LLMError):
                raise r
        return list(results)  # type: ignore[arg-type]

    def stats_dict(self) -> dict[str, Any]:
        """The counters to report for this model (wrappers merge their inner model's)."""
        return self.stats.to_dict()

    def run_sync(self, coro):
        """Run ``coro`` (which uses this model) to completion from synchronous code.

        One private event loop is kept for this, so clients bound to a loop are reused.
        """
        with self._sync_lock:
            if self._sync_loop is None or self._sync_loop.is_closed():
                self._sync_loop = asyncio.new_event_loop()
            return self._sync_loop.run_until_complete(coro)

    def complete(self, request: ChatRequest) -> Completion:
        return self.run_sync(self.acomplete(request))

    def batch(self, requests: Sequence[ChatRequest]) -> list[Completion | LLMError]:
        return self.run_sync(self.abatch(requests))

    def close(self) -> None:
        if self._sync_loop is not None and not self._sync_loop.is_closed():
            self._sync_loop.close()

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.name!r})"


def run_sync(model: ChatModel, coro):
    """Run a coroutine that awaits ``model`` from synchronous code (not inside a running loop)."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        pass
    else:
        coro.close()
        raise RuntimeError("a synchronous model call inside a running event loop; await the async method instead")
    runner = getattr(model, "run_sync", None)
    return runner(coro) if runner is not None else asyncio.run(coro)


#: Backends by name. A factory is called as ``factory(model, **settings)`` with the
#: :class:`~aisalesman.core.config.LLMConfig` settings it declares as keywords (see
#: :func:`~aisalesman.core.llm.backend_settings`); a setting it does not declare is an
#: error when the user changed it from its default. So declare exactly the settings you
#: use, and do not take ``**kwargs``: a factory that does is given every setting, and a
#: misspelt argument would pass it silently. Test a plug-in with
#: :func:`aisalesman.testing.check_chat_model`.
chat_models: Registry[Any] = Registry("LLM backend", entry_point_group="aisalesman.backends")
