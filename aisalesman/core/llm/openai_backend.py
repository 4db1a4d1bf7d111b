"""OpenAI-compatible HTTP backend (registered as ``openai``): vLLM, SGLang, Ollama,
llama.cpp server and hosted APIs, through the official ``openai`` client with a ``base_url``.

Retries are ours (the client's own are switched off) so that every retry is counted in
:class:`BackendStats`: exponential backoff from ``backoff_base`` up to ``backoff_max``
seconds, or the server's ``Retry-After`` when it sends one. At most ``concurrency``
requests are in flight per event loop. The API key is read from the environment variable
named by ``api_key_env`` and is never logged, stored in the model's repr or written to a
transcript.
"""

from __future__ import annotations

import asyncio
import email.utils
import json
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
        timeout: Seconds before a request counts as hung.
        max_retries: Retries after the first attempt, for timeouts, connection errors,
            429, 5xx and malformed answers. 4xx errors are not retried.
        backoff_base, backoff_max: Exponential backoff bounds, in seconds.
        price_prompt, price_completion: Cost per 1,000 tokens, for cost reporting.
    """

    def __init__(self, model: str, *, base_url: str | None = None, api_key_env: str = "OPENAI_API_KEY",
                 concurrency: int = 32, timeout: float = 60.0, max_retries: int = 4, backoff_base: float = 0.5,
                 backoff_max: float = 30.0, price_prompt: float = 0.0, price_completion: float = 0.0,
                 **_ignored: Any) -> None:
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

    async def apreflight(self) -> None:
        """Fail fast on an unreachable server or a rejected key (servers without /models pass)."""
        import openai

        client, _ = self._client()
        where = self.base_url or "api.openai.com"
        try:
            await client.models.list()
        except openai.APITimeoutError as err:
            raise LLMTimeoutError(f"{where}: no answer to GET /models within {self.timeout:g} s") from err
        except openai.APIConnectionError as err:
            raise LLMConnectionError(f"{where}: cannot connect ({type(err.__cause__ or err).__name__})") from err
        except openai.AuthenticationError as err:
            raise LLMRequestError(f"{where}: HTTP 401: the key in ${self.api_key_env} was rejected") from err
        except openai.APIError:
            pass

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

    async def _once(self, client, request: ChatRequest) -> Completion:
        import openai

        p = request.params
        kwargs: dict[str, Any] = {"model": self.name, "messages": list(request.messages),
                                  "temperature": p.temperature, "top_p": p.top_p, "max_tokens": p.max_tokens}
        if p.stop:
            kwargs["stop"] = list(p.stop)
        if p.seed is not None:
            kwargs["seed"] = p.seed
        if p.logprobs:
            kwargs["logprobs"] = True
        where = f"{self.base_url or 'api.openai.com'} model {self.name!r}"
        try:
            # A plain POST through the client (its transport, timeouts and typed errors), with
            # the body and the answer handled here: the typed ``chat.completions.create`` path
            # spends about 5 ms of CPU per request transforming the messages, which caps
            # throughput at high concurrency; and servers that add or omit fields still parse.
            text_body = await client.post("/chat/completions", body=kwargs, cast_to=str)
            data = json.loads(text_body)
        except openai.APITimeoutError as err:
            raise LLMTimeoutError(f"{where}: no answer within {self.timeout:g} s") from err
        except openai.APIConnectionError as err:
            raise LLMConnectionError(f"{where}: cannot connect ({type(err.__cause__ or err).__name__})") from err
        except openai.RateLimitError as err:
            raise LLMRateLimitError(f"{where}: HTTP 429 rate limited",
                                    parse_retry_after(getattr(err.response, "headers", None))) from err
        except openai.APIStatusError as err:
            cls = LLMServerError if err.status_code >= 500 else LLMRequestError
            raise cls(f"{where}: HTTP {err.status_code}: {_short(err.message)}") from err
        except (openai.APIResponseValidationError, ValueError) as err:
            raise LLMBadResponseError(f"{where}: malformed response ({_short(str(err))})") from err
        choices = data.get("choices") if isinstance(data, dict) else None
        if not isinstance(choices, list) or not choices or not isinstance(choices[0], dict):
            raise LLMBadResponseError(f"{where}: the response has no choices")
        choice = choices[0]
        message = choice.get("message")
        text = message.get("content") if isinstance(message, dict) else None
        if not isinstance(text, str):
            raise LLMBadResponseError(f"{where}: the response's message has no text content")
        usage = data.get("usage") if isinstance(data.get("usage"), dict) else {}
        pt = int(usage.get("prompt_tokens") or 0)
        ct = int(usage.get("completion_tokens") or 0)
        logprobs = None
        lp = choice.get("logprobs")
        if p.logprobs and isinstance(lp, dict) and isinstance(lp.get("content"), list):
            logprobs = tuple(float(t["logprob"]) for t in lp["content"] if isinstance(t, dict) and "logprob" in t)
        self.stats.add(completions=1, prompt_tokens=pt, completion_tokens=ct)
        cost = (pt * self.price_prompt + ct * self.price_completion) / 1000.0
        finish = choice.get("finish_reason") or "stop"
        return Completion(text, "length" if finish == "length" else "stop", pt, ct, cost, self.name, logprobs)


def _short(text: str, limit: int = 160) -> str:
    line = " ".join(str(text).split())
    return line if len(line) <= limit else line[: limit - 1] + "…"
