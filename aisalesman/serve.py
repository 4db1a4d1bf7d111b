"""``aisalesman serve``: simulated customers behind an OpenAI-compatible chat API.

Other training frameworks (verl, TRL, tau2-style harnesses) reach our customers with any
OpenAI client. Each persona is a model, ``customer/<persona_id>`` (with the server's
default product) or ``customer/<persona_id>@<product>``. The salesman's side of the call
comes in as ``user`` messages, the customer's earlier replies as ``assistant`` messages
(system messages are ignored); the reply is the customer's next utterance.

The server keeps no session state: every request replays the call from its first turn
with the same seed (the request's ``seed``, or one derived from the server seed, persona
and product), so the customer's hidden state is rebuilt exactly. The built-in customer
regenerates its earlier replies (cheap, and checked against the client's); an LLM
customer takes the client's ``assistant`` messages as what it said and calls its model
only for the new reply (its anchored state, if any, is advanced without the model). The rules are those of
the environment (:class:`~aisalesman.envs.call.SalesCall`), the utterances are read by the
server's reader (``--reader``; the project default otherwise), which the customer hears the
salesman through too, and the response carries them in an extra top-level field ``aisalesman``::

    {"decision": "continue" | "accept" | "reject" | "hang_up" | "do_not_call" | null,
     "act": customer act, "objection": objection type or null, "turn": index of the reply,
     "done": bool, "termination_reason": str or null, "outcome": str or null,
     "reward_components": {...salesman reward so far...}, "history_mismatch": bool}

``decision`` is null when the call ended on the salesman's last turn (a goodbye, or a
do-not-call violation); ``history_mismatch`` is true when the client's ``assistant``
messages differ from the replies the customer gave under this seed.
"""


import hashlib
import hmac
import os
import socket
import time
from collections.abc import Callable, Sequence
from typing import Any

from aisalesman.core.errors import ConfigError, InvalidActionError, LLMError
from aisalesman.core.persona import Persona
from aisalesman.core.product import Product
from aisalesman.core.scenario import Scenario
from aisalesman.core.seeding import derive_seed
from aisalesman.core.types import CustomerDecision, Goal, Role
from aisalesman.customers.base import CustomerObservation, make_customer
from aisalesman.dialogue.acts import ACT_DECISION, decision_act
from aisalesman.dialogue.configured import env_reader
from aisalesman.dialogue.reading import Reader
from aisalesman.envs.call import SalesCall

__all__ = ["bind_socket", "create_app", "serve"]


class _APIError(Exception):
    def __init__(self, status: int, message: str, code: str, kind: str = "invalid_request_error") -> None:
        super().__init__(message)
        self.status, self.message, self.code, self.kind = status, message, code, kind


def _decision_of(call: SalesCall) -> str | None:
    turn = call.turns[-1]
    if "decision" in turn.meta:
        return turn.meta["decision"]
    act = decision_act(turn.acts)
    return "continue" if act is None else str(ACT_DECISION[act])


class CustomerService:
    """The logic behind the endpoints, usable without HTTP (and tested that way too)."""

    def __init__(self, personas: Sequence[Persona], products: Sequence[Product], *, default_product: str | None = None,
                 customer: str = "persona", customer_kwargs: dict[str, Any] | None = None, chat_model: Any = None,
                 seed: int = 0, goal: str = "sale", max_turns: int = 40, reader: str | Reader | None = None) -> None:
        if not personas or not products:
            raise ConfigError("serve needs at least one persona and one product")
        self.personas = {p.id: p for p in personas}
        self.products = {p.key: p for p in products}
        self.default_product = default_product or products[0].key
        if self.default_product not in self.products:
            raise ConfigError(f"default product {self.default_product!r} is not among {sorted(self.products)}")
        self.customer = customer
        self.customer_kwargs = dict(customer_kwargs or {})
        self.chat_model = chat_model
        self.reader = env_reader(reader)
        self._new_customer()  # fail at start-up on an unknown or unusable customer
        self.seed = seed
        self.goal = Goal(goal)
        self.max_turns = max_turns

    def _new_customer(self):
        return make_customer(self.customer, chat_model=self.chat_model, **self.customer_kwargs)

    def model_ids(self) -> list[str]:
        return [f"customer/{pid}" for pid in self.personas]

    def _scenario(self, model: str) -> Scenario:
        if not model.startswith("customer/"):
            raise _APIError(404, f"model {model!r} is not a customer; use customer/<persona_id>[@<product>]",
                            "model_not_found")
        pid, _, product = model[len("customer/"):].partition("@")
        product = product or self.default_product
        if pid not in self.personas:
            raise _APIError(404, f"unknown persona {pid!r} in model {model!r}", "model_not_found")
        if product not in self.products:
            raise _APIError(404, f"unknown product {product!r} in model {model!r} (known: {', '.join(sorted(self.products))})",
                            "model_not_found")
        return Scenario(self.personas[pid], self.products[product], self.goal, self.max_turns)

    async def areply(self, model: str, messages: Sequence[dict[str, Any]], seed: int | None = None) -> dict[str, Any]:
        """The customer's next utterance and the call's state, for one chat request."""
        scenario = self._scenario(model)
        talk = [m for m in messages if m.get("role") != "system"]
        for i, m in enumerate(talk):
            want = "user" if i % 2 == 0 else "assistant"
            if m.get("role") != want or not isinstance(m.get("content"), str):
                raise _APIError(400, f"messages must alternate user (salesman) and assistant (customer) turns, "
                                     f"starting and ending with user; message {i} is {m.get('role')!r}", "invalid_messages")
        if not talk or len(talk) % 2 == 0:
            raise _APIError(400, "the last message must be the salesman's (role user)", "invalid_messages")
        if seed is None:
            seed = derive_seed(self.seed, scenario.persona.id, scenario.product.key)
        customer = self._new_customer()
        customer.reset(scenario, seed=seed)
        takes_history = hasattr(customer, "advance")
        call = SalesCall(scenario, reader=self.reader)
        mismatch = False
        reply = None
        for i in range(0, len(talk), 2):
            if call.done:
                raise _APIError(400, f"the call already ended at turn {len(call.turns) - 1} ({call.reason}); "
                                     "start a new conversation", "call_ended")
            try:
                call.speak(Role.SALESMAN, talk[i]["content"])
            except InvalidActionError as err:
                raise _APIError(400, f"message {i}: {err}", "invalid_utterance") from err
            if call.done:
                reply = None
                continue
            obs = CustomerObservation(scenario, tuple(call.turns), self.reader)
            said = talk[i + 1]["content"] if i + 1 < len(talk) else None
            if said is not None and takes_history:
                customer.advance(obs)
                self._speak(call, said, CustomerDecision.CONTINUE, None)
                continue
            arespond = getattr(customer, "arespond", None)
            try:
                reply = await arespond(obs) if arespond is not None else customer.respond(obs)
            except LLMError as err:
                raise _APIError(502, f"the customer's model failed: {err}", "upstream_error", "server_error") from err
            self._speak(call, reply.text, reply.decision, reply.meta)
            if said is not None:
                mismatch |= said != reply.text
        last_is_customer = reply is not None and call.turns[-1].speaker == Role.CUSTOMER
        turn = call.turns[-1]
        return {
            "content": turn.text if last_is_customer else "",
            "aisalesman": {
                "decision": _decision_of(call) if last_is_customer else None,
                "act": str(reply.act) if last_is_customer else None,
                "objection": str(turn.objection) if last_is_customer and turn.objection else None,
                "turn": turn.index,
                "done": call.done,
                "termination_reason": str(call.reason) if call.done else None,
                "outcome": str(call.outcome) if call.done else None,
                "reward_components": {k: round(v, 6) for k, v in call.components.items()},
                "history_mismatch": mismatch,
                "seed": seed,
            },
        }

    @staticmethod
    def _speak(call: SalesCall, text: str, decision: CustomerDecision | None, meta: dict[str, Any] | None) -> None:
        try:
            call.speak(Role.CUSTOMER, text, decision=decision, meta=meta)
        except InvalidActionError as err:
            raise _APIError(400, f"customer turn {len(call.turns)}: {err}", "invalid_utterance") from err


def create_app(service: CustomerService, *, api_key: str | None = None):
    """The FastAPI application; ``api_key`` set means every request needs ``Authorization: Bearer <key>``."""
    from fastapi import FastAPI, Request
    from fastapi.exceptions import RequestValidationError
    from fastapi.responses import JSONResponse
    from pydantic import BaseModel, ConfigDict

    class ChatMessage(BaseModel):
        model_config = ConfigDict(extra="allow")
        role: str
        content: str | None = None

    class ChatBody(BaseModel):
        model_config = ConfigDict(extra="allow")  # temperature, max_tokens, ... are accepted and ignored
        model: str
        messages: list[ChatMessage]
        seed: int | None = None

    app = FastAPI(title="AI-Salesman customers", version="1")

    def error(status: int, message: str, code: str, kind: str = "invalid_request_error") -> JSONResponse:
        return JSONResponse({"error": {"message": message, "type": kind, "code": code, "param": None}}, status_code=status)

    @app.exception_handler(_APIError)
    async def _api_error(_request: Request, err: _APIError):
        return error(err.status, err.message, err.code, err.kind)

    @app.exception_handler(RequestValidationError)
    async def _invalid(_request: Request, err: RequestValidationError):
        first = err.errors()[0] if err.errors() else {"loc": (), "msg": "invalid request"}
        where = ".".join(str(x) for x in first.get("loc", ()) if x != "body")
        return error(400, f"{where}: {first.get('msg')}" if where else str(first.get("msg")), "invalid_request")

    @app.middleware("http")
    async def _auth(request: Request, call_next):
        if api_key is not None:
            header = request.headers.get("authorization", "")
            token = header[7:] if header.lower().startswith("bearer ") else ""
            if not hmac.compare_digest(token.encode(), api_key.encode()):
                return error(401, "missing or wrong bearer token", "invalid_api_key", "authentication_error")
        return await call_next(request)

    @app.get("/v1/models")
    async def models():
        return {"object": "list", "data": [{"id": m, "object": "model", "created": 0, "owned_by": "aisalesman"}
                                           for m in service.model_ids()]}

    @app.post("/v1/chat/completions")
    async def chat(body: ChatBody):
        messages = [{"role": m.role, "content": m.content} for m in body.messages]
        result = await service.areply(body.model, messages, body.seed)
        digest = hashlib.blake2b(repr((body.model, messages, result["aisalesman"]["seed"])).encode(), digest_size=12)
        text = result["content"]
        prompt_words = sum(len((m["content"] or "").split()) for m in messages)
        return {
            "id": f"chatcmpl-{digest.hexdigest()}",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": body.model,
            "choices": [{"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": "stop",
                         "logprobs": None}],
            "usage": {"prompt_tokens": prompt_words, "completion_tokens": len(text.split()),
                      "total_tokens": prompt_words + len(text.split())},
            "aisalesman": result["aisalesman"],
        }

    return app


def bind_socket(host: str, port: int) -> socket.socket:
    """A TCP socket listening on ``host:port``; an unresolvable host or a busy port is a :class:`ConfigError`.

    Binding here, before uvicorn starts, turns uvicorn's multi-line failure (exit 3) into our
    one-line error, and the socket is handed to uvicorn, so no other process can take the
    port in between.
    """
    if isinstance(port, bool) or not isinstance(port, int) or not 0 <= port <= 65535:
        raise ConfigError(f"port: must be in 0..65535, got {port!r}")
    try:
        family, kind, proto, _, address = socket.getaddrinfo(host or None, port, type=socket.SOCK_STREAM,
                                                             flags=socket.AI_PASSIVE)[0]
    except (OSError, UnicodeError) as err:  # socket.gaierror is an OSError
        raise ConfigError(f"host: cannot resolve {host!r}: {getattr(err, 'strerror', None) or err}") from err
    sock = socket.socket(family, kind, proto)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn does; a listener still blocks it
        sock.bind(address)
        sock.listen(2048)
    except OSError as err:
        sock.close()
        raise ConfigError(f"cannot listen on {host}:{port}: {err.strerror or err}") from err
    return sock


def serve(service: CustomerService, *, host: str = "127.0.0.1", port: int = 8089, api_key_env: str | None = None,
          log_level: str = "warning", announce: Callable[[str], None] | None = None) -> None:
    """Run the server until interrupted; the extra, the key and the address are checked first.

    ``announce`` is called with the base URL (``http://host:port/v1``, the real port when
    ``port`` is 0) once the address is bound, before requests are served.
    """
    from aisalesman.core.extras import require_extra

    require_extra("llm", "fastapi", "uvicorn", feature="serve")
    api_key = None
    if api_key_env:
        api_key = os.environ.get(api_key_env)
        if not api_key:
            raise ConfigError(f"api_key_env: environment variable {api_key_env} is not set or empty")
    sock = bind_socket(host, port)
    try:
        import uvicorn

        bound = sock.getsockname()[1]
        config = uvicorn.Config(create_app(service, api_key=api_key), host=host, port=bound, log_level=log_level)
        if announce is not None:
            announce(f"http://{host}:{bound}/v1")
        uvicorn.Server(config).run(sockets=[sock])
    finally:
        sock.close()
