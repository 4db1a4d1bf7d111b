"""The ``llm`` reader: a chat model labels each utterance, as one JSON object it must get right.

Each utterance becomes one chat request: the role in the system message, the act list with a
one-line definition of each, the utterance, and the JSON object to answer with (the templates
``prompts/reader_salesman.md`` and ``prompts/reader_customer.md``; sections ``[system]``,
``[user]`` and ``[repair]``). The first JSON object in the reply is validated by a pydantic
model: unknown acts, objection types and needs are dropped, an unknown objection or decision
makes the reply invalid, and so does a reply with no known act. An invalid reply gets one
repair request (the problem in one line, "answer with only the JSON object"); a reply still
invalid, or a chat-model failure (:class:`~aisalesman.core.llm.LLMError`), is read by the
fallback reader instead and counted (:attr:`LLMReader.fallbacks`, :meth:`LLMReader.stats`).

A batch is one chat-model batch (all its texts at once), then one batch of repairs, then one
fallback batch. Requests depend only on the text, the role, the attempt and ``seed``, so a
deterministic backend (temperature 0, or a seeded one) reads every text the same way,
whatever batch it comes in; :class:`~aisalesman.dialogue.reading.ReaderBase` caches readings
per text. The reader is synchronous: do not call it from inside a running event loop.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, ValidationError, field_validator, model_validator

from aisalesman.core.errors import ConfigError, LLMError
from aisalesman.core.llm.base import ChatModel, ChatRequest, Completion, SamplingParams, run_sync
from aisalesman.core.llm.untrusted import clip
from aisalesman.core.product import Product
from aisalesman.core.prompts import PromptSet
from aisalesman.core.seeding import derive_seed
from aisalesman.core.transcript import Claim
from aisalesman.core.types import CustomerAct, ObjectionType, SalesAct
from aisalesman.dialogue.reading import CustomerReading, Reader, ReaderBase, SalesReading, make_reader, readers

__all__ = ["CustomerLabels", "LLMReader", "SalesLabels", "first_json_object"]

logger = logging.getLogger(__name__)

#: Characters of a reply searched for its JSON object (a longer reply is not a label).
MAX_REPLY_CHARS = 4000
#: ``{`` positions tried before giving up on a reply.
MAX_OBJECT_STARTS = 16
#: Characters of an utterance put in the prompt (the small model's context is short).
MAX_TEXT_CHARS = 1500
#: Characters of a bad reply quoted back in the repair request.
REPAIR_QUOTE_CHARS = 300

_DECISIONS = ("none", "accept", "reject", "hang_up", "do_not_call")
_DECISION_ACT = {"accept": CustomerAct.ACCEPT, "reject": CustomerAct.REJECT, "hang_up": CustomerAct.HANG_UP,
                 "do_not_call": CustomerAct.REQUEST_DNC}
_NONE_WORDS = frozenset({"", "none", "null", "no", "n/a", "continue"})
_SECTION = re.compile(r"^\[(system|user|repair)\]$", re.MULTILINE)


@lru_cache(maxsize=1)
def need_keys() -> tuple[str, ...]:
    """The persona need keys a reading may mention (those of ``data/lexicon.yaml``)."""
    raw = yaml.safe_load(resources.files("aisalesman.dialogue").joinpath("data/lexicon.yaml").read_text("utf-8"))
    return tuple(raw["needs"])


def _norm(value: str) -> str:
    return re.sub(r"[\s\-]+", "_", value.strip().lower())


def _known(value: Any, known: Sequence[str], field: str) -> list[str]:
    """The known names in ``value`` (a list of strings, or one string), in order, without repeats."""
    if value is None:
        return []
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list):
        raise ValueError(f"{field} must be a list of names")
    names = (_norm(v) for v in value if isinstance(v, str))
    return list(dict.fromkeys(n for n in names if n in known))


def _some_acts(v: Any, acts: type) -> list[str]:
    """The known acts in ``v``; none known is an error the repair message names."""
    known = _known(v, [str(a) for a in acts], "acts")
    if not known:
        raise ValueError("no known act (use the names in the list)")
    return known


class SalesLabels(BaseModel):
    """A salesman reading as the model must give it."""

    model_config = ConfigDict(extra="ignore")
    acts: list[str]
    answers: list[str] = []
    needs: list[str] = []

    @field_validator("acts", mode="before")
    @classmethod
    def _acts(cls, v: Any) -> list[str]:
        return _some_acts(v, SalesAct)

    @field_validator("answers", mode="before")
    @classmethod
    def _answers(cls, v: Any) -> list[str]:
        return _known(v, [str(o) for o in ObjectionType], "answers")

    @field_validator("needs", mode="before")
    @classmethod
    def _needs(cls, v: Any) -> list[str]:
        return _known(v, need_keys(), "needs")

    def reading(self) -> SalesReading:
        return SalesReading.of(self.acts, self.answers, self.needs)


class CustomerLabels(BaseModel):
    """A customer reading as the model must give it. The decision decides the call-ending acts."""

    model_config = ConfigDict(extra="ignore")
    acts: list[str]
    objection: str | None = None
    decision: str = "none"
    needs: list[str] = []

    @field_validator("acts", mode="before")
    @classmethod
    def _acts(cls, v: Any) -> list[str]:
        return _some_acts(v, CustomerAct)

    @field_validator("objection", mode="before")
    @classmethod
    def _objection(cls, v: Any) -> str | None:
        if v is None or (isinstance(v, str) and _norm(v) in _NONE_WORDS):
            return None
        if not isinstance(v, str) or _norm(v) not in {str(o) for o in ObjectionType}:
            raise ValueError(f"must be null or one of {', '.join(str(o) for o in ObjectionType)}")
        return _norm(v)

    @field_validator("decision", mode="before")
    @classmethod
    def _decision(cls, v: Any) -> str:
        if v is None or (isinstance(v, str) and _norm(v) in _NONE_WORDS):
            return "none"
        if isinstance(v, str) and _norm(v) in ("request_dnc", "dnc"):
            return "do_not_call"
        if not isinstance(v, str) or _norm(v) not in _DECISIONS:
            raise ValueError(f"must be one of {', '.join(_DECISIONS)}")
        return _norm(v)

    @field_validator("needs", mode="before")
    @classmethod
    def _needs(cls, v: Any) -> list[str]:
        return _known(v, need_keys(), "needs")

    @model_validator(mode="after")
    def _agree(self) -> CustomerLabels:
        decided = {str(a) for a in _DECISION_ACT.values()}
        acts = [a for a in self.acts if a not in decided]
        if self.decision != "none":
            acts.append(str(_DECISION_ACT[self.decision]))
        self.acts = acts
        return self

    def reading(self) -> CustomerReading:
        return CustomerReading.of(self.acts, self.objection, self.needs)


def first_json_object(text: str) -> dict[str, Any]:
    """The first JSON object in ``text`` (prose and code fences around it are skipped).

    Raises:
        ValueError: one line saying why there is none.
    """
    body = text[:MAX_REPLY_CHARS]
    decoder = json.JSONDecoder()
    problem = "no JSON object found"
    pos = body.find("{")
    for _ in range(MAX_OBJECT_STARTS):
        if pos < 0:
            break
        try:
            obj, _end = decoder.raw_decode(body, pos)
        except json.JSONDecodeError as err:
            problem = f"invalid JSON ({err.msg} at character {err.pos})"
            if err.pos >= len(body) - 1:
                problem += "; the answer looks cut off"
        except RecursionError:
            problem = "invalid JSON (nested too deeply)"
        else:
            if isinstance(obj, dict):
                return obj
        pos = body.find("{", pos + 1)
    raise ValueError(problem)


def parse_labels(text: str, model: type[SalesLabels] | type[CustomerLabels]) -> SalesLabels | CustomerLabels:
    """Validate a reply into ``model``; raise ValueError with the problem in one line."""
    data = first_json_object(text)
    try:
        return model.model_validate(data)
    except ValidationError as err:
        e = err.errors()[0]
        where = ".".join(map(str, e["loc"])) or "object"
        msg = " ".join(str(e["msg"]).split())
        raise ValueError(f"field {where}: {msg}") from err


@dataclass(frozen=True)
class _Role:
    name: str
    template: str
    labels: type[SalesLabels] | type[CustomerLabels]
    fallback: Callable[[Reader, list[str]], list[Any]]


_SALESMAN = _Role("salesman", "reader_salesman.md", SalesLabels, lambda r, t: r.read_salesman_batch(t))
_CUSTOMER = _Role("customer", "reader_customer.md", CustomerLabels, lambda r, t: r.read_customer_batch(t))


class LLMReader(ReaderBase):
    """Reads both roles with a chat model, falling back to another reader (see the module docstring).

    Args:
        chat_model: Any :class:`~aisalesman.core.llm.ChatModel` (required).
        fallback: The reader (a registered name, or a reader) for replies that stay invalid
            and for failed calls; it also checks claims.
        max_tokens, temperature: Sampling; ``seed`` seeds every request (with the text).
        prompt_dir: A folder whose ``reader_*.md`` files replace the shipped templates.
    """

    name = "llm"

    def __init__(self, chat_model: ChatModel | None = None, *, fallback: str | Reader = "learned",
                 max_tokens: int = 96, temperature: float = 0.0, seed: int = 0, prompt_dir: str | None = None,
                 cache_size: int = 65536) -> None:
        if chat_model is None:
            raise ConfigError("the llm reader needs a chat model: pass chat_model= (on the command line: "
                              "aisalesman reader eval --reader llm --backend ... --model ... --base-url ...)")
        if isinstance(fallback, str):
            if fallback == "llm":
                raise ConfigError("the llm reader cannot fall back to itself; choose fallback='learned' or 'lexicon'")
            readers.get(fallback)  # an unknown name fails here, not at the first bad reply
        elif not isinstance(fallback, Reader):
            raise ConfigError(f"fallback must be a reader name or a Reader, got {fallback!r}")
        if isinstance(seed, bool) or not isinstance(seed, int):
            raise ConfigError(f"seed must be an int, got {seed!r}")
        super().__init__(cache_size=cache_size)
        self.model = chat_model
        self.params = SamplingParams(temperature=temperature, max_tokens=max_tokens)
        self.seed = seed
        self.prompts = PromptSet("aisalesman.dialogue", prompt_dir)
        self._fallback_spec = fallback
        self._fallback: Reader | None = None
        self._lock = threading.Lock()
        self.calls = 0
        self.repairs = 0
        self.fallbacks = 0
        self.errors = 0

    @property
    def fallback(self) -> Reader:
        """The fallback reader, built on first use (the learned one loads an embedding model)."""
        with self._lock:
            if self._fallback is None:
                self._fallback = make_reader(self._fallback_spec)
            return self._fallback

    def claims(self, text: str, product: Product, *, plan: str | None = None) -> tuple[Claim, ...]:
        """The fallback reader's claims: verdicts come from the knowledge-base checker, never from the LLM."""
        return self.fallback.claims(text, product, plan=plan)

    def stats(self) -> dict[str, int]:
        """Cache counters plus ``llm_calls``, ``llm_repairs``, ``llm_fallbacks`` and ``llm_errors``."""
        return {**super().stats(), "llm_calls": self.calls, "llm_repairs": self.repairs,
                "llm_fallbacks": self.fallbacks, "llm_errors": self.errors}

    def _salesman(self, texts: list[str]) -> list[SalesReading]:
        return self._read(_SALESMAN, texts)

    def _customer(self, texts: list[str]) -> list[CustomerReading]:
        return self._read(_CUSTOMER, texts)

    # ------------------------------------------------------------------ prompting
    def _sections(self, role: _Role, text: str, problem: str = "") -> dict[str, str]:
        # The utterance goes in on one line, so it can never start a section of its own.
        one_line = " ".join(text.split())[:MAX_TEXT_CHARS].replace('"', "'")
        rendered = self.prompts.render(role.template, text=one_line, problem=problem, needs=", ".join(need_keys()))
        parts = _SECTION.split(rendered)
        return {parts[i]: parts[i + 1].strip() for i in range(1, len(parts) - 1, 2)}

    def _messages(self, role: _Role, text: str) -> list[dict[str, str]]:
        s = self._sections(role, text)
        return [{"role": "system", "content": s["system"]}, {"role": "user", "content": s["user"]}]

    def _repair(self, role: _Role, text: str, msgs: list[dict[str, str]], bad: str, problem: str) -> list[dict[str, str]]:
        repair = self._sections(role, text, " ".join(problem.split()))["repair"]
        return [*msgs, {"role": "assistant", "content": clip(bad, REPAIR_QUOTE_CHARS)},
                {"role": "user", "content": repair}]

    def _request(self, role: _Role, text: str, msgs: list[dict[str, str]], attempt: int) -> ChatRequest:
        p = self.params
        seed = derive_seed(self.seed, "reader", role.name, text, attempt)
        return ChatRequest(tuple(msgs), SamplingParams(p.temperature, p.top_p, p.max_tokens, (), seed))

    def _ask(self, requests: list[ChatRequest]) -> list[Completion | LLMError]:
        with self._lock:
            self.calls += len(requests)
        abatch = getattr(self.model, "abatch", None)
        coro = abatch(requests) if abatch is not None else _gather(self.model, requests)
        return run_sync(self.model, coro)

    # ------------------------------------------------------------------ reading
    def _parse(self, role: _Role, reply: Completion | LLMError) -> tuple[Any, str]:
        """(reading, "") or (None, the problem); a failed call is (None, "")."""
        if isinstance(reply, LLMError):
            with self._lock:
                self.errors += 1
            logger.warning("llm reader: the chat model failed (%s); using the fallback reader", reply)
            return None, ""
        try:
            return parse_labels(reply.text, role.labels).reading(), ""
        except ValueError as err:
            return None, str(err)

    def _read(self, role: _Role, texts: list[str]) -> list[Any]:
        msgs = [self._messages(role, t) for t in texts]
        replies = self._ask([self._request(role, t, m, 0) for t, m in zip(texts, msgs, strict=True)])
        out: list[Any] = [None] * len(texts)
        retry: list[tuple[int, list[dict[str, str]]]] = []
        for i, reply in enumerate(replies):
            out[i], problem = self._parse(role, reply)
            if problem:
                retry.append((i, self._repair(role, texts[i], msgs[i], reply.text, problem)))  # type: ignore[union-attr]
        if retry:
            with self._lock:
                self.repairs += len(retry)
            again = self._ask([self._request(role, texts[i], m, 1) for i, m in retry])
            for (i, _), reply in zip(retry, again, strict=True):
                out[i], problem = self._parse(role, reply)
                if problem:
                    logger.info("llm reader: reply still invalid after a repair (%s)", problem)
        missing = [i for i, r in enumerate(out) if r is None]
        if missing:
            with self._lock:
                self.fallbacks += len(missing)
            for i, reading in zip(missing, role.fallback(self.fallback, [texts[i] for i in missing]), strict=True):
                out[i] = reading
        return out


async def _gather(model: ChatModel, requests: Sequence[ChatRequest]) -> list[Completion | LLMError]:
    """``abatch`` for a chat model that has none: every request at once, failures in place."""
    results = await asyncio.gather(*(model.acomplete(r) for r in requests), return_exceptions=True)
    for r in results:
        if isinstance(r, BaseException) and not isinstance(r, LLMError):
            raise r
    return list(results)  # type: ignore[arg-type]
