"""A local OpenAI-compatible stub server with a fixed delay and injected faults.

Its answers come from a responder (by default
:func:`aisalesman.core.llm.scripted.default_responder`, which plays a customer when asked
for the customer's JSON decision). ``faults`` makes some requests fail on purpose:

``500``         HTTP 500
``429``         HTTP 429 with ``Retry-After``
``hang``        no answer for ``hang_s`` seconds (past the client's timeout)
``malformed``   a 200 whose body is not JSON
``empty``       a 200 with no choices
``truncated``   the answer cut in half, ``finish_reason: length``
``garbled``     a 200 with a usable answer but token counts that are not numbers
``drip``        a 200 whose body trickles in: headers at once, then one byte every
                ``drip_s`` seconds for ``hang_s`` seconds, then the answer (each read is
                quick, so only a deadline on the whole request ends it early)
``echo``        HTTP ``echo_status`` whose error message quotes the request's key, headers
                and body back, as careless servers and proxies do

Which requests fail is drawn from a generator seeded by ``seed`` and the request's
number, with probability ``fault_rate``; or, for exact tests, ``schedule[n - 1]`` names
the fault of request ``n`` (``None`` or ``"ok"`` for a normal answer). ``state`` counts
what was served and keeps the last ``Authorization`` header.
"""


import asyncio
import json
import random
import threading
from collections import Counter
from collections.abc import Callable, Sequence

from aisalesman.core.llm.base import ChatRequest, SamplingParams
from aisalesman.core.llm.scripted import default_responder

__all__ = ["FAULTS", "StubState", "stub_openai_app"]

FAULTS = ("500", "429", "hang", "malformed", "empty", "truncated", "garbled", "drip", "echo")


class StubState:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.requests = 0
        self.served: Counter = Counter()
        self.last_authorization: str | None = None


def stub_openai_app(*, responder: Callable[[ChatRequest], str] = default_responder, delay: float = 0.0,
                    faults: Sequence[str] = (), fault_rate: float = 0.0, seed: int = 0, hang_s: float = 30.0,
                    retry_after: float = 0.05, model: str = "stub", state: StubState | None = None,
                    schedule: Sequence[str | None] = (), drip_s: float = 0.2, echo_status: int = 400):
    """A FastAPI app answering ``/v1/chat/completions`` and ``/v1/models`` (see module docstring)."""
    from fastapi import FastAPI, Request
    from fastapi.responses import JSONResponse, Response, StreamingResponse

    unknown = sorted((set(faults) | set(schedule)) - set(FAULTS) - {None, "ok"})
    if unknown:
        raise ValueError(f"unknown faults {unknown}; known: {FAULTS}")
    st = state or StubState()
    app = FastAPI()
    app.state.stub = st

    @app.get("/v1/models")
    async def models():
        return {"object": "list", "data": [{"id": model, "object": "model", "created": 0, "owned_by": "stub"}]}

    @app.post("/v1/chat/completions")
    async def chat(request: Request):
        body = await request.json()
        with st.lock:
            st.requests += 1
            n = st.requests
            st.last_authorization = request.headers.get("authorization")
        rng = random.Random(seed * 1_000_003 + n)
        fault = rng.choice(list(faults)) if faults and rng.random() < fault_rate else None
        if n <= len(schedule):
            fault = None if schedule[n - 1] in (None, "ok") else schedule[n - 1]
        if delay:
            await asyncio.sleep(delay)
        with st.lock:
            st.served[fault or "ok"] += 1
        if fault == "500":
            return JSONResponse({"error": {"message": "injected failure", "type": "server_error"}}, status_code=500)
        if fault == "429":
            return JSONResponse({"error": {"message": "slow down", "type": "rate_limit"}}, status_code=429,
                                headers={"retry-after": str(retry_after)})
        if fault == "echo":
            return _echo(request, body, echo_status)
        if fault == "hang":
            await asyncio.sleep(hang_s)
        if fault == "malformed":
            return Response(b'{"id": "x", "choices": [{"message": ', media_type="application/json")
        answer = _answer(body, responder, n, fault, model)
        if fault == "drip":
            return StreamingResponse(_drip(json.dumps(answer).encode(), drip_s, hang_s), media_type="application/json")
        return answer

    return app


def _answer(body: dict, responder: Callable[[ChatRequest], str], n: int, fault: str | None, model: str) -> dict:
    """The completion for request ``n`` (with the ``truncated``, ``empty`` or ``garbled`` fault, if drawn)."""
    msgs = tuple({"role": m["role"], "content": m.get("content") or ""} for m in body["messages"])
    params = SamplingParams(max_tokens=int(body.get("max_tokens") or 256), seed=body.get("seed"))
    text = responder(ChatRequest(msgs, params))
    finish = "stop"
    if fault == "truncated":
        text, finish = text[: len(text) // 2], "length"
    choices = [] if fault == "empty" else [
        {"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": finish}]
    prompt = sum(len(m["content"].split()) for m in msgs)
    usage = {"prompt_tokens": prompt, "completion_tokens": len(text.split()), "total_tokens": prompt + len(text.split())}
    if fault == "garbled":
        usage = {"prompt_tokens": "lots", "completion_tokens": -3, "total_tokens": None}
    return {"id": f"stub-{n}", "object": "chat.completion", "created": 0, "model": body.get("model", model),
            "choices": choices, "usage": usage}


async def _drip(body: bytes, every: float, total: float):
    """One byte of leading whitespace (valid JSON) every ``every`` seconds for ``total`` seconds, then ``body``."""
    loop = asyncio.get_running_loop()
    end = loop.time() + total
    while loop.time() < end:
        yield b" "
        await asyncio.sleep(every)
    yield body


def _echo(request, body, status: int):
    from fastapi.responses import JSONResponse

    headers = dict(request.headers)
    key = (headers.get("authorization") or "").removeprefix("Bearer ")
    message = f"invalid api key {key!r}; you sent headers {headers} and body {json.dumps(body)}"
    return JSONResponse({"error": {"message": message, "type": "invalid_request_error"}}, status_code=status)
