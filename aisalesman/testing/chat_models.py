"""``check_chat_model``: the conformance check every LLM backend should pass.

Use it in your plug-in's tests, with what your backend needs to run offline::

    from aisalesman.testing import check_chat_model
    check_chat_model("my-backend", model="tiny", failing={"model": "no-such-model"})

It raises :class:`ChatModelCheckError` naming the first rule broken:

* the constructor rejects an unknown keyword (``TypeError`` or ``ConfigError``), so a
  misspelt setting cannot pass silently;
* the model has a non-empty string ``name``, a :class:`BackendStats` and ``complete`` /
  ``acomplete`` / ``batch`` methods;
* every answer is a :class:`Completion` with a str text, a ``finish_reason`` of ``stop`` or
  ``length``, integer token counts in ``[0, ...]`` (completion tokens at most
  ``max_tokens``) and a finite, non-negative cost;
* the same request and seed give the same text: greedy (temperature 0) always, seeded
  sampling when ``seeded_sampling`` is true;
* the stats count what was served: ``completions`` moves by one per answer and the token
  counters by the answers' token counts;
* ``batch`` returns one result per request, in order, each the answer ``complete`` gives;
* every error it raises is an :class:`LLMError` (with ``failing``: settings under which
  every request fails, such as an unreachable server, a request must raise one).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from aisalesman.core.errors import ConfigError, LLMError
from aisalesman.core.llm.base import BackendStats, ChatRequest, Completion, SamplingParams, chat_models

__all__ = ["ChatModelCheckError", "check_chat_model"]

_UNKNOWN = "conformance_check_no_such_setting"


class ChatModelCheckError(AssertionError):
    """A chat model broke one of the rules :func:`check_chat_model` checks."""


def _requests(seed: int, seeded_sampling: bool, max_tokens: int = 16) -> list[ChatRequest]:
    system = {"role": "system", "content": "You are a restaurant owner taking a sales call. Answer briefly."}
    lines = ["Hello, this is Sam. Do you have two minutes?", "Shall we get you started today?"]
    reqs = [ChatRequest((system, {"role": "user", "content": line}), SamplingParams(max_tokens=max_tokens, seed=seed + i))
            for i, line in enumerate(lines)]
    if seeded_sampling:
        reqs.append(ChatRequest((system, {"role": "user", "content": lines[0]}),
                                SamplingParams(temperature=0.8, max_tokens=max_tokens, seed=seed + 7)))
    return reqs


def _call(label: str, what: str, fn: Callable[[], Any]) -> Any:
    """``fn()``, with any failure reported as a broken rule (an LLMError too: plain requests must work)."""
    try:
        return fn()
    except ChatModelCheckError:
        raise
    except LLMError as err:
        raise ChatModelCheckError(f"{label}: {what} failed: {type(err).__name__}: {err}") from err
    except Exception as err:  # the rule under test: a backend's failures are LLMErrors
        raise ChatModelCheckError(f"{label}: {what} raised {type(err).__name__}, not an LLMError: {err}") from err


def _check_completion(label: str, c: Any, request: ChatRequest) -> None:
    if not isinstance(c, Completion):
        raise ChatModelCheckError(f"{label}: an answer is a {type(c).__name__}, not a Completion")
    if not isinstance(c.text, str):
        raise ChatModelCheckError(f"{label}: an answer's text is a {type(c.text).__name__}, not a str")
    if c.finish_reason not in ("stop", "length"):
        raise ChatModelCheckError(f"{label}: finish_reason must be 'stop' or 'length', got {c.finish_reason!r}")
    for field in ("prompt_tokens", "completion_tokens"):
        value = getattr(c, field)
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise ChatModelCheckError(f"{label}: {field} must be a non-negative int, got {value!r}")
    if c.completion_tokens > request.params.max_tokens:
        raise ChatModelCheckError(f"{label}: {c.completion_tokens} completion tokens, more than max_tokens "
                                  f"{request.params.max_tokens}")
    if not isinstance(c.cost, (int, float)) or not math.isfinite(c.cost) or c.cost < 0:
        raise ChatModelCheckError(f"{label}: cost must be a finite non-negative number, got {c.cost!r}")


def _check_shape(label: str, model: Any) -> None:
    if not isinstance(getattr(model, "name", None), str) or not model.name:
        raise ChatModelCheckError(f"{label}: the model needs a non-empty str name, got {getattr(model, 'name', None)!r}")
    if not isinstance(getattr(model, "stats", None), BackendStats):
        raise ChatModelCheckError(f"{label}: the model needs a BackendStats as .stats")
    for method in ("acomplete", "complete", "batch"):
        if not callable(getattr(model, method, None)):
            raise ChatModelCheckError(f"{label}: {type(model).__name__} has no {method}() method")


def _check_answers(label: str, model: Any, reqs: Sequence[ChatRequest]) -> None:
    before = model.stats.to_dict()
    first = [_call(label, "a request", lambda r=r: model.complete(r)) for r in reqs]
    for c, r in zip(first, reqs, strict=True):
        _check_completion(label, c, r)
    again = [_call(label, "a request", lambda r=r: model.complete(r)) for r in reqs]
    for i, (a, b) in enumerate(zip(first, again, strict=True)):
        if a.text != b.text:
            how = "greedy" if reqs[i].params.temperature == 0 else "seeded sampling"
            raise ChatModelCheckError(f"{label}: not deterministic: the same request ({how}) gave {a.text!r}, then {b.text!r}")
    after = model.stats.to_dict()
    answers = first + again
    expected = {"completions": len(answers), "prompt_tokens": sum(c.prompt_tokens for c in answers),
                "completion_tokens": sum(c.completion_tokens for c in answers)}
    for key, n in expected.items():
        if after[key] - before[key] != n:
            raise ChatModelCheckError(f"{label}: stats.{key} moved by {after[key] - before[key]} over {len(answers)} "
                                      f"answers, expected {n}")
    if after["calls"] - before["calls"] < len(answers):
        raise ChatModelCheckError(f"{label}: stats.calls moved by {after['calls'] - before['calls']}, "
                                  f"fewer than the {len(answers)} requests made")
    _check_batch(label, model, reqs, first)


def _check_batch(label: str, model: Any, reqs: Sequence[ChatRequest], singles: Sequence[Completion]) -> None:
    results = _call(label, "batch()", lambda: model.batch(list(reqs)))
    if not isinstance(results, list) or len(results) != len(reqs):
        n = len(results) if isinstance(results, list) else type(results).__name__
        raise ChatModelCheckError(f"{label}: batch() of {len(reqs)} requests returned {n} results")
    for i, (res, single) in enumerate(zip(results, singles, strict=True)):
        if isinstance(res, LLMError):
            raise ChatModelCheckError(f"{label}: batch() failed request {i}: {res}")
        _check_completion(label, res, reqs[i])
        if res.text != single.text:
            raise ChatModelCheckError(f"{label}: batch() answered request {i} with {res.text!r}, complete() with "
                                      f"{single.text!r}")


def _check_rejects_unknown(label: str, factory: Callable[..., Any], kwargs: Mapping[str, Any]) -> None:
    try:
        model = factory(**kwargs, **{_UNKNOWN: 1})
    except (TypeError, ConfigError):
        return
    close = getattr(model, "close", None)
    if callable(close):
        close()
    raise ChatModelCheckError(f"{label}: the constructor accepted an unknown keyword {_UNKNOWN!r} "
                              "(take no **kwargs, so that a misspelt setting is an error)")


def _check_failure(label: str, factory: Callable[..., Any], failing: Mapping[str, Any]) -> None:
    model = factory(**failing)
    try:
        model.complete(_requests(0, False)[0])
    except LLMError:
        return
    except Exception as err:  # the rule under test
        raise ChatModelCheckError(f"{label}: a failing request raised {type(err).__name__}, not an LLMError: "
                                  f"{err}") from err
    finally:
        getattr(model, "close", lambda: None)()
    raise ChatModelCheckError(f"{label}: a request with settings {dict(failing)} was expected to fail, but answered")


def check_chat_model(backend: str | Callable[..., Any], *, seed: int = 0, seeded_sampling: bool = True,
                     max_tokens: int = 16, failing: Mapping[str, Any] | None = None, **kwargs: Any) -> None:
    """Check a backend (a registered name or a factory) built with ``kwargs``.

    Args:
        backend: A name in :data:`~aisalesman.core.llm.chat_models`, or the factory itself.
        seed: Seeds of the requests made.
        max_tokens: The requests' token limit (small, so local models answer quickly).
        seeded_sampling: Also require that a sampled request (temperature 0.8) with a seed
            is repeatable; false for servers that do not honour seeds.
        failing: Constructor arguments under which every request fails (an unreachable
            server, say); the failure must be an :class:`LLMError`.

    Raises:
        ChatModelCheckError: naming the first rule broken.
    """
    factory = chat_models.get(backend) if isinstance(backend, str) else backend
    label = f"backend {backend!r}" if isinstance(backend, str) else f"backend {getattr(backend, '__name__', backend)!r}"
    _check_rejects_unknown(label, factory, kwargs)
    model = factory(**kwargs)
    try:
        _check_shape(label, model)
        _check_answers(label, model, _requests(seed, seeded_sampling, max_tokens))
    finally:
        close = getattr(model, "close", None)
        if callable(close):
            close()
    if failing is not None:
        _check_failure(label, factory, failing)
