"""Reading utterances: what a salesman or customer turn does, in one protocol every role uses.

A :class:`Reader` turns text into structure:

- a salesman utterance into a :class:`SalesReading`: its acts (multi-label), the objection
  types it answers, the customer needs it mentions; and, against one product, its claims
  (:meth:`Reader.claims`: slot, value, span, verdict);
- a customer utterance into a :class:`CustomerReading`: its acts, the objection it raises, its
  decision (accept / reject / hang up / do-not-call, or none) and the needs it mentions.

Readers are registered in :data:`readers` and chosen by name (``--reader`` on the command
line, ``reader:`` in configs); :func:`make_reader` builds one, once per process and spec.
The environment, the customers, the metrics, DOGA and the corpus importer all read through
the configured reader; nothing else parses utterances.

Every reader batches (``read_*_batch``), caches per text, and is deterministic: the same text
always reads the same way in a process and across processes.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol, TypeVar, runtime_checkable

from aisalesman.core.product import Product
from aisalesman.core.registry import Registry
from aisalesman.core.transcript import Claim
from aisalesman.core.types import CustomerAct, CustomerDecision, ObjectionType, SalesAct
from aisalesman.dialogue.acts import decision_act, sort_customer_acts, sort_sales_acts

__all__ = [
    "CustomerReading",
    "Reader",
    "ReaderBase",
    "SalesReading",
    "TextCache",
    "make_reader",
    "readers",
]

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


@dataclass(frozen=True, slots=True)
class SalesReading:
    """What a salesman utterance does: acts, objection types answered, needs mentioned."""

    acts: tuple[SalesAct, ...]
    answers: frozenset[ObjectionType] = frozenset()
    needs: tuple[str, ...] = ()

    @classmethod
    def of(cls, acts, answers=(), needs=()) -> SalesReading:
        """A reading with acts in the canonical order (answers only on objection handling)."""
        acts = sort_sales_acts(SalesAct(a) for a in acts)
        answers = frozenset(ObjectionType(a) for a in answers) if SalesAct.HANDLE_OBJECTION in acts else frozenset()
        return cls(acts, answers, tuple(dict.fromkeys(needs)))


@dataclass(frozen=True, slots=True)
class CustomerReading:
    """What a customer utterance does: acts, the objection raised, needs mentioned."""

    acts: tuple[CustomerAct, ...]
    objection: ObjectionType | None = None
    needs: tuple[str, ...] = field(default=())

    @classmethod
    def of(cls, acts, objection=None, needs=()) -> CustomerReading:
        """A reading in canonical form: an objection implies ``raise_objection``, no act is small talk."""
        acts = {CustomerAct(a) for a in acts}
        objection = ObjectionType(objection) if objection is not None else None
        if objection is not None:
            acts.add(CustomerAct.RAISE_OBJECTION)
        elif CustomerAct.RAISE_OBJECTION in acts:
            acts.discard(CustomerAct.RAISE_OBJECTION)  # an objection of no known type is not one we can answer
        if not acts:
            acts.add(CustomerAct.SMALL_TALK)
        return cls(sort_customer_acts(acts), objection, tuple(dict.fromkeys(needs)))

    @property
    def decision(self) -> CustomerAct | None:
        """The call-ending act with the highest precedence, if any."""
        return decision_act(self.acts)

    @property
    def decision_name(self) -> str:
        """``accept``, ``reject``, ``hang_up``, ``do_not_call`` or ``none``."""
        act = self.decision
        if act is None:
            return "none"
        return next(d.value for d in CustomerDecision if d.act == act)


class TextCache:
    """A thread-safe bounded LRU map from a key (a text) to its reading."""

    def __init__(self, maxsize: int = 65536) -> None:
        self.maxsize = maxsize
        self._data: OrderedDict[Any, Any] = OrderedDict()
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def get(self, key: Any) -> Any:
        with self._lock:
            try:
                value = self._data[key]
            except KeyError:
                self.misses += 1
                return None
            self._data.move_to_end(key)
            self.hits += 1
            return value

    def put(self, key: Any, value: Any) -> None:
        with self._lock:
            self._data[key] = value
            self._data.move_to_end(key)
            while len(self._data) > self.maxsize:
                self._data.popitem(last=False)

    def __len__(self) -> int:
        return len(self._data)

    def clear(self) -> None:
        with self._lock:
            self._data.clear()


@runtime_checkable
class Reader(Protocol):
    """Reads salesman and customer utterances, and checks a salesman's claims against a product."""

    name: str

    def read_salesman(self, text: str) -> SalesReading: ...

    def read_customer(self, text: str) -> CustomerReading: ...

    def read_salesman_batch(self, texts: Sequence[str]) -> list[SalesReading]: ...

    def read_customer_batch(self, texts: Sequence[str]) -> list[CustomerReading]: ...

    def claims(self, text: str, product: Product, *, plan: str | None = None) -> tuple[Claim, ...]: ...


class ReaderBase:
    """Caching and batching around two batch methods a subclass provides.

    Subclasses implement ``_salesman(texts)`` and ``_customer(texts)`` (lists of new texts,
    never cached ones) and ``claims``. Single reads go through the batch path, so a reader
    that is only ever called one text at a time still reads exactly as in a batch.
    """

    name = "base"

    def __init__(self, *, cache_size: int = 65536) -> None:
        self._sales_cache = TextCache(cache_size)
        self._customer_cache = TextCache(cache_size)

    # subclasses --------------------------------------------------------------------------
    def _salesman(self, texts: list[str]) -> list[SalesReading]:
        raise NotImplementedError

    def _customer(self, texts: list[str]) -> list[CustomerReading]:
        raise NotImplementedError

    def claims(self, text: str, product: Product, *, plan: str | None = None) -> tuple[Claim, ...]:
        raise NotImplementedError

    # the protocol ------------------------------------------------------------------------
    def read_salesman(self, text: str) -> SalesReading:
        hit = self._sales_cache.get(text)
        return hit if hit is not None else self.read_salesman_batch([text])[0]

    def read_customer(self, text: str) -> CustomerReading:
        hit = self._customer_cache.get(text)
        return hit if hit is not None else self.read_customer_batch([text])[0]

    def read_salesman_batch(self, texts: Sequence[str]) -> list[SalesReading]:
        return _cached_batch(self._sales_cache, texts, self._salesman)

    def read_customer_batch(self, texts: Sequence[str]) -> list[CustomerReading]:
        return _cached_batch(self._customer_cache, texts, self._customer)

    def mentioned_needs(self, text: str) -> tuple[str, ...]:
        """Persona need keys a customer utterance mentions."""
        return self.read_customer(text).needs

    def stats(self) -> dict[str, int]:
        """Cache hits and misses (per role), for reports and benchmarks."""
        return {"salesman_hits": self._sales_cache.hits, "salesman_misses": self._sales_cache.misses,
                "customer_hits": self._customer_cache.hits, "customer_misses": self._customer_cache.misses}

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name!r}>"


def _cached_batch(cache: TextCache, texts: Sequence[str], read: Callable[[list[str]], list[V]]) -> list[V]:
    out: list[V | None] = [cache.get(t) for t in texts]
    todo = list(dict.fromkeys(t for t, r in zip(texts, out, strict=True) if r is None))
    if todo:
        fresh = dict(zip(todo, read(todo), strict=True))
        for t, r in fresh.items():
            cache.put(t, r)
        out = [r if r is not None else fresh[t] for t, r in zip(texts, out, strict=True)]
    return out  # type: ignore[return-value]


#: Every reader, by name: ``lexicon`` (cue phrases), ``learned`` (the default: sentence
#: embeddings and classifiers trained on the shipped reading set, on the fast ``static``
#: encoder), ``learned-tuned`` and ``learned-minilm`` (the same on the fine-tuned and the
#: published MiniLM) and ``llm`` (a chat model).
readers: Registry[Callable[..., Reader]] = Registry("reader", entry_point_group="aisalesman.readers")
readers.register("lexicon", "aisalesman.dialogue.readers.lexicon:LexiconReader")
readers.register("learned", "aisalesman.dialogue.readers.learned:LearnedReader")
readers.register("learned-tuned", "aisalesman.dialogue.readers.learned:tuned_reader")
readers.register("learned-minilm", "aisalesman.dialogue.readers.learned:minilm_reader")
readers.register("llm", "aisalesman.dialogue.readers.llm:LLMReader")

DEFAULT_READER = "learned"
_instances: dict[Any, Reader] = {}
_instances_lock = threading.Lock()


def make_reader(name: str | Reader | None = None, **options: Any) -> Reader:
    """The reader called ``name`` (default ``learned``), built once per process and options.

    A :class:`Reader` instance is returned as it is. ``options`` go to the reader's
    constructor (for ``llm``: ``chat_model=``); readers built with a chat model are not shared.
    """
    if name is not None and not isinstance(name, str):
        return name
    name = name or DEFAULT_READER
    factory = readers.get(name)
    if options.get("chat_model") is not None:
        return factory(**options)
    key = (name, tuple(sorted(options.items())))
    with _instances_lock:
        reader = _instances.get(key)
        if reader is None:
            reader = _instances[key] = factory(**options)
    return reader
