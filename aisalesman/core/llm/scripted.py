"""A deterministic chat model for tests and demos (registered as ``scripted``).

Its answer depends only on the request (messages and seed), never on call order, so it
gives the same transcripts however many dialogues are in flight. Give it ``replies`` (a
list cycled by the number of assistant turns so far), a ``responder`` callable, or use the
default responder, which plays a plausible customer when the system prompt asks for the
customer's JSON decision and a plain salesman otherwise.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Sequence

from aisalesman.core.llm.base import BaseChatModel, ChatRequest, Completion

__all__ = ["ScriptedChatModel", "default_responder"]

_CUSTOMER_LINES = {
    "continue": [
        "Hmm, go on, what exactly does it do for a place like mine?",
        "I'm listening, but I'm not convinced yet. What does it cost?",
        "We already have something similar, so why would I switch?",
        "Okay. How long would it take to set up?",
    ],
    "accept": ["Alright, that sounds fair. Let's do it, sign me up."],
    "reject": ["No thanks, it's not for us. Goodbye."],
}
_SALESMAN_LINES = [
    "Hello, this is Sam from the company. Do you have two minutes?",
    "What is the biggest challenge in your business right now?",
    "Our product helps with exactly that, and there is a free trial.",
    "Shall we get you started today?",
]


def _digest(*parts: object) -> int:
    text = "\x1f".join(map(str, parts))
    return int.from_bytes(hashlib.blake2b(text.encode("utf-8"), digest_size=8).digest(), "little")


def default_responder(request: ChatRequest) -> str:
    """A customer (JSON decision) or salesman line, a pure function of the request."""
    msgs = request.messages
    users = [m["content"] for m in msgs if m["role"] == "user"]
    system = " ".join(m["content"] for m in msgs if m["role"] == "system")
    h = _digest(request.params.seed, len(users), users[-1] if users else "")
    if '"decision"' in system:
        wants_close = bool(users) and any(w in users[-1].lower() for w in ("sign", "get you started", "shall we"))
        if wants_close:
            decision = "accept" if h % 3 == 0 else "reject"
        elif len(users) >= 6:
            decision = "reject"
        else:
            decision = "continue"
        lines = _CUSTOMER_LINES[decision]
        return json.dumps({"utterance": lines[h % len(lines)], "decision": decision})
    return _SALESMAN_LINES[min(len(users), len(_SALESMAN_LINES) - 1)]


class ScriptedChatModel(BaseChatModel):
    """Replies from a list, a callable, or :func:`default_responder`; counts tokens by words.

    It stands in for any other backend (``stand_in``): :func:`~aisalesman.core.llm.make_chat_model`
    drops the serving settings of an :class:`~aisalesman.core.config.LLMConfig` written for
    another backend (``base_url``, ``timeout``, ...) instead of rejecting them, so any
    config can be tried offline by switching its backend to ``scripted``. The constructor
    itself takes only the arguments below.
    """

    stand_in = True

    def __init__(self, model: str = "scripted", *, replies: Sequence[str] | None = None,
                 responder: Callable[[ChatRequest], str] | None = None) -> None:
        super().__init__()
        self.name = model or "scripted"
        self._replies = list(replies) if replies is not None else None
        self._responder = responder or default_responder
        self.last_request: ChatRequest | None = None

    def _text(self, request: ChatRequest) -> str:
        if self._replies:
            n = sum(1 for m in request.messages if m["role"] == "assistant")
            return self._replies[n % len(self._replies)]
        return self._responder(request)

    async def acomplete(self, request: ChatRequest) -> Completion:
        self.stats.add(calls=1)
        self.last_request = request
        text = self._text(request)
        finish = "stop"
        for stop in request.params.stop:
            cut = text.find(stop)
            if cut >= 0:
                text = text[:cut]
        words = text.split()
        if len(words) > request.params.max_tokens:
            text, finish = " ".join(words[: request.params.max_tokens]), "length"
        prompt = sum(len(m["content"].split()) for m in request.messages)
        completion_tokens = min(len(words), request.params.max_tokens)
        self.stats.add(completions=1, prompt_tokens=prompt, completion_tokens=completion_tokens)
        return Completion(text, finish, prompt, completion_tokens, 0.0, self.name)
