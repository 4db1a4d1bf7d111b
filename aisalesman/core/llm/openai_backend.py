"""OpenAI-compatible HTTP backend (registered as ``openai``): vLLM, SGLang, Ollama,
llama.cpp server and hosted APIs, through the official ``openai`` client with a ``base_url``.

Retries are ours (the client's own are switched off) so that every retry is counted in
:class:`BackendStats`: exponential backoff from ``backoff_base`` up to ``backoff_max``
seconds, or the server's ``Retry-After`` when it sends one. At most ``concurrency``
requests are in flight per event loop. The API key is read from the environment variable
named by ``api_key_env`` and is never logged, stored in the model's repr or written to a
transcript: every error text this backend makes passes through :func:`redact` first.

A server is untrusted. ``timeout`` is a deadline for a whole request (a server that sends
a byte now and then cannot hold a call), each retry getting a fresh one; every answer
body is validated (:mod:`~aisalesman.core.llm.openai_schema`), and any defect is an
:class:`LLMBadResponseError`, so a faulty server ends at most the call it was serving.
"""

from __future__ import annotations

import asyncio
import email.utils
import os
import random
import time
import weakref
from typing import Any

from aisalesman.core.errors import (
    ConfigError,
    LLMBadResponseError,
    LLMConnectionError,
    LLMError,
    LLMRateLimitError,
    LLMRequestError,
    LLMServerError,
    LLMTimeoutError,
)
from aisalesman.core.llm.base import BaseChatModel, ChatRequest, Completion
from aisalesman.core.llm.openai_schema import ResponseDefect, parse_completion_body
from aisalesman.core.llm.untrusted import redact

__all__ = ["OpenAIChatModel", "parse_retry_after"]


def parse_retry_after(headers: Any) -> float | None:
    """Seconds to wait from ``Retry-After`` / ``retry-after-ms`` headers (None if absent or bad)."""
    if headers is None:
        return None
    ms = headers.get("retry-after-ms")
    if ms is not None:
        try:
            return max(0.0, float(ms) / 1000.0)
        except ValueError:
            pass
    value = headers.get("retry-after")
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        return max(0.0, when.timestamp() - time.time())


class OpenAIChatModel(BaseChatModel):
    """A chat model behind an OpenAI-compatible ``/v1/chat/completions`` endpoint.

    Args:
        model: The model name the server knows.
        base_url: The server's ``.../v1`` URL (None: the client's default, OpenAI's API).
        api_key_env: Environment variable holding the key; servers that need none get
            ``"EMPTY"`` when it is unset.
        concurrency: Requests in flight at once (per event loop).
        timeout: Seconds a request may take, all of it (connecting, waiting, reading the
            answer); past that it counts as hung. Each retry gets its own deadline.
        max_retries: Retries after the first attempt, for timeouts, connection errors,
            429, 5xx and malformed answers. 4xx errors are not retried.
        backoff_base, backoff_max: Exponential backoff bounds, in seconds.
        price_prompt, price_completion: Cost per 1,000 tokens, for cost reporting.
    """

    def __init__(self, model: str, *, base_url: str | None = None, api_key_env: str = "OPENAI_API_KEY",
                 concurrency: int = 32, timeout: float = 60.0, max_retries: int = 4, backoff_base: float = 0.5,
                 backoff_max: float = 30.0, price_prompt: float = 0.0, price_completion: float = 0.0) -> None:
        super().__init__()
        if not model:
            raise ConfigError("model: the openai backend needs a model name (--customer-model / --salesman-model)")
        if isinstance(concurrency, bool) or not isinstance(concurrency, int) or concurrency < 1:
            raise ConfigError(f"concurrency must be a positive integer, got {concurrency!r}")
        if not timeout or timeout <= 0:
            raise ConfigError(f"timeout must be a positive number of seconds, got {timeout!r}")
        if isinstance(max_retries, bool) or not isinstance(max_retries, int) or max_retries < 0:
            raise ConfigError(f"max_retries must be a non-negative integer, got {max_retries!r}")
        self.name = model
        self.base_url = base_url
        self.api_key_env = api_key_env
        self.concurrency = concurrency
        self.timeout = float(timeout)
        self.max_retries = max_retries
        self.backoff_base = float(backoff_base)
        self.backoff_max = float(backoff_max)
        self.price_prompt = float(price_prompt)
        self.price_completion = float(price_completion)
        self._jitter = random.Random(0)  # affects only waiting times, never outputs
        self._per_loop: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()

    def __repr__(self) -> str:
        return f"OpenAIChatModel({self.name!r}, base_url={self.base_url!r})"

    def _client(self):
        import openai

        loop = asyncio.get_running_loop()
        state = self._per_loop.get(loop)
        if state is None:
            key = os.environ.get(self.api_key_env) or "EMPTY"
            client = openai.AsyncOpenAI(base_url=self.base_url, api_key=key, max_retries=0, timeout=self.timeout)
            state = self._per_loop[loop] = (client, asyncio.Semaphore(self.concurrency))
        return state

    def _error(self, cls: type[LLMError], message: str, *args: Any) -> LLMError:
        """A ``cls`` error whose text carries no API key, however much of the server's text it quotes."""
        secrets = (os.environ.get(self.api_key_env),) + tuple(c.api_key for c, _ in self._per_loop.values())
        return cls(_short(redact(message, secrets), 400), *args)

    def _where(self) -> str:
        return f"{self.base_url or 'api.openai.com'} model {self.name!r}"

    async def apreflight(self) -> None:
        """Fail fast on an unreachable server or a rejected key (servers without /models pass)."""
        import openai

        client, _ = self._client()
        where = self.base_url or "api.openai.com"
        try:
            await asyncio.wait_for(client.models.list(), self.timeout)
        except (asyncio.TimeoutError, openai.APITimeoutError) as err:
            raise self._error(LLMTimeoutError, f"{where}: no answer to GET /models within {self.timeout:g} s") from err
        except openai.APIConnectionError as err:
            raise self._error(LLMConnectionError, f"{where}: cannot connect ({type(err.__cause__ or err).__name__})") from err
        except openai.AuthenticationError:
            raise self._error(LLMRequestError, f"{where}: HTTP 401: the key in ${self.api_key_env} was rejected") from None
        except (openai.OpenAIError, ValueError):
            pass  # some servers have no usable /models; the first real request will tell

    async def acomplete(self, request: ChatRequest) -> Completion:
        client, gate = self._client()
        attempt = 0
        while True:
            self.stats.add(calls=1)
            try:
                async with gate:  # released while backing off
                    return await self._once(client, request)
            except LLMError as err:
                self.stats.error(type(err).__name__)
                if not err.retryable or attempt >= self.max_retries:
                    self.stats.add(failures=1)
                    raise
                delay = min(self.backoff_max, self.backoff_base * 2 ** attempt)
                delay *= 0.75 + 0.5 * self._jitter.random()
                if isinstance(err, LLMRateLimitError) and err.retry_after is not None:
                    delay = min(self.backoff_max, err.retry_after)
                attempt += 1
                self.stats.add(retries=1)
                await asyncio.sleep(delay)

    def _payload(self, request: ChatRequest) -> dict[str, Any]:
        p = request.params
        kwargs: dict[str, Any] = {"model": self.name, "messages": list(request.messages),
                                  "temperature": p.temperature, "top_p": p.top_p, "max_tokens": p.max_tokens}
        if p.stop:
            kwargs["stop"] = list(p.stop)
        if p.seed is not None:
            kwargs["seed"] = p.seed
        if p.logprobs:
            kwargs["logprobs"] = True
        return kwargs

    async def _once(self, client, request: ChatRequest) -> Completion:
        raw = await self._post(client, self._payload(request))
        try:
            body = parse_completion_body(raw)
        except ResponseDefect as err:
            raise self._error(LLMBadResponseError, f"{self._where()}: malformed response ({err})") from None
        pt, ct = body.tokens
        self.stats.add(completions=1, prompt_tokens=pt, completion_tokens=ct)
        cost = (pt * self.price_prompt + ct * self.price_completion) / 1000.0
        logprobs = body.logprobs if request.params.logprobs else None
        return Completion(body.text, body.finish_reason, pt, ct, cost, self.name, logprobs)

    async def _post(self, client, payload: dict[str, Any]) -> bytes:
        """POST the request under one deadline; the raw answer body, or a typed error."""
        import openai

        where = self._where()
        try:
            # A plain POST through the client (its transport and typed errors), with the body
            # and the answer handled here: the typed ``chat.completions.create`` path spends
            # about 5 ms of CPU per request transforming the messages, which caps throughput
            # at high concurrency. The client's own timeout is per read; ``wait_for`` bounds
            # the whole exchange, so a server dripping bytes cannot hold the call.
            return await asyncio.wait_for(client.post("/chat/completions", body=payload, cast_to=bytes), self.timeout)
        except (asyncio.TimeoutError, openai.APITimeoutError) as err:
            raise self._error(LLMTimeoutError, f"{where}: no complete answer within {self.timeout:g} s") from err
        except openai.APIConnectionError as err:
            raise self._error(LLMConnectionError, f"{where}: cannot connect ({type(err.__cause__ or err).__name__})") from err
        except openai.RateLimitError as err:
            raise self._error(LLMRateLimitError, f"{where}: HTTP 429 rate limited",
                              parse_retry_after(getattr(err.response, "headers", None))) from None
        except openai.APIStatusError as err:
            # The server's message may echo the request (headers included): it is redacted,
            # and the client's error, which holds it verbatim, is not chained.
            cls = LLMServerError if err.status_code >= 500 else LLMRequestError
            raise self._error(cls, f"{where}: HTTP {err.status_code}: {err.message}") from None
        except (openai.OpenAIError, ValueError, LookupError) as err:
            raise self._error(LLMBadResponseError, f"{where}: unreadable response ({type(err).__name__})") from None


def _short(text: str, limit: int = 160) -> str:
    line = " ".join(str(text).split())
    return line if len(line) <= limit else line[: limit - 1] + "…"
