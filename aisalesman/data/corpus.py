"""Dialogue corpora: our JSONL format, its limits, and summaries.

A corpus is a list of :class:`CorpusDialogue`: turns (our :class:`Turn` type) plus what is
known of the outcome. Our JSONL format has one dialogue per line::

    {"id": "syn-000042", "source": "synthetic", "agent": "adaptive", "persona_id": "train-0012",
     "segment": "warm", "product": "bistro-boost", "seed": 123,
     "turns": [{"index": 0, "speaker": "salesman", "text": "...", "acts": ["greet"], ...}, ...],
     "termination_reason": "sale", "true_success": true, "labels": [true, false, true],
     "label": true, "label_noise": 0.2}

``true_success`` is what really happened (known for synthetic dialogues, null otherwise);
``labels`` are the observed outcome labels, one per annotator, each flipped from the truth
with probability ``label_noise``; ``label`` is their majority (ties count as failure).
Synthetic dialogues are generated where episodes are run (``evaluation/corpus_gen.py``);
this module only defines, reads, writes and summarises corpora.
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aisalesman.core.errors import DataFileError
from aisalesman.core.files import read_records
from aisalesman.core.rundir import atomic_writer, first_jsonl_record
from aisalesman.core.transcript import Claim, Turn
from aisalesman.core.types import Role

__all__ = ["MAX_ANNOTATORS", "MAX_DIALOGUES", "CorpusDialogue", "corpus_stats", "looks_like_corpus",
           "read_corpus_jsonl", "write_corpus"]

#: Most dialogues one corpus may have: about 5 KB each, a million is a 5 GB file and hours of
#: generation; far past what the Bayesian model or the script library need (thousands).
MAX_DIALOGUES = 1_000_000
#: Most noisy labels per dialogue (label studies use a handful of annotators).
MAX_ANNOTATORS = 100


@dataclass(frozen=True)
class CorpusDialogue:
    """One dialogue of a corpus, with whatever is known about its outcome."""

    id: str
    turns: tuple[Turn, ...]
    label: bool | None = None
    labels: tuple[bool, ...] = ()
    true_success: bool | None = None
    source: str = "synthetic"
    agent: str | None = None
    persona_id: str | None = None
    segment: str | None = None
    product: str | None = None
    seed: int | None = None
    termination_reason: str | None = None
    label_noise: float | None = None
    meta: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {"id": self.id, "source": self.source}
        for key in ("agent", "persona_id", "segment", "product", "seed"):
            if getattr(self, key) is not None:
                d[key] = getattr(self, key)
        d["turns"] = [t.to_dict() for t in self.turns]
        d["termination_reason"] = self.termination_reason
        d["true_success"] = self.true_success
        d["labels"] = list(self.labels)
        d["label"] = self.label
        if self.label_noise is not None:
            d["label_noise"] = self.label_noise
        if self.meta:
            d["meta"] = self.meta
        return d

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> CorpusDialogue:
        """A dialogue from one record of our JSONL format; a field of the wrong type is a TypeError naming it."""
        _check_record(d)
        turns = tuple(_turn(t, i) for i, t in enumerate(d["turns"]))
        return cls(
            id=str(d["id"]), turns=turns, label=d.get("label"), labels=tuple(d.get("labels") or ()),
            true_success=d.get("true_success"), source=d.get("source") or "synthetic", agent=d.get("agent"),
            persona_id=d.get("persona_id"), segment=d.get("segment"), product=d.get("product"), seed=d.get("seed"),
            termination_reason=d.get("termination_reason"), label_noise=d.get("label_noise"), meta=dict(d.get("meta") or {}),
        )


_TEXT_FIELDS = ("source", "agent", "persona_id", "segment", "product", "termination_reason")


def _expect(ok: bool, field: str, what: str, value: Any) -> None:
    if not ok:
        raise TypeError(f"{field} must be {what}, got {value!r}"[:200])


def _check_record(d: Any) -> None:
    """The types of a record's dialogue-level fields (``turns`` are checked one by one in :func:`_turn`)."""
    _expect(isinstance(d, Mapping), "a record", "an object", d)
    _expect("id" in d and isinstance(d["id"], (str, int)) and not isinstance(d["id"], bool), "id", "a string", d.get("id"))
    _expect(isinstance(d.get("turns"), list), "turns", "a list", d.get("turns"))
    for key in _TEXT_FIELDS:
        _expect(d.get(key) is None or isinstance(d[key], str), key, "a string or null", d.get(key))
    for key in ("label", "true_success"):
        _expect(d.get(key) is None or isinstance(d[key], bool), key, "true, false or null", d.get(key))
    labels = d.get("labels")
    _expect(labels is None or (isinstance(labels, list) and all(isinstance(x, bool) for x in labels)), "labels",
            "a list of true/false", labels)
    seed, noise = d.get("seed"), d.get("label_noise")
    _expect(seed is None or (isinstance(seed, int) and not isinstance(seed, bool)), "seed", "an integer or null", seed)
    _expect(noise is None or (isinstance(noise, (int, float)) and not isinstance(noise, bool) and 0 <= noise <= 1),
            "label_noise", "a number in [0, 1] or null", noise)
    _expect(d.get("meta") is None or isinstance(d["meta"], dict), "meta", "an object or null", d.get("meta"))


def _turn(t: Any, i: int) -> Turn:
    _expect(isinstance(t, Mapping), f"turn {i}", "an object", t)
    speaker = Role(t["speaker"])
    _expect(isinstance(t["text"], str), f"turn {i}: text", "a string", t["text"])
    index = t.get("index", i)
    _expect(isinstance(index, int) and not isinstance(index, bool), f"turn {i}: index", "an integer", index)
    acts, claims = t.get("acts") or [], t.get("claims") or []
    _expect(isinstance(acts, list) and all(isinstance(a, str) for a in acts), f"turn {i}: acts", "a list of strings", acts)
    _expect(isinstance(claims, list) and all(isinstance(c, dict) for c in claims), f"turn {i}: claims",
            "a list of objects", claims)
    for key in ("objection", "intent", "capability"):
        _expect(t.get(key) is None or isinstance(t[key], str), f"turn {i}: {key}", "a string or null", t.get(key))
    _expect(t.get("meta") is None or isinstance(t["meta"], dict), f"turn {i}: meta", "an object or null", t.get("meta"))
    return Turn(index, speaker, t["text"], tuple(acts), t.get("objection"), tuple(Claim(**c) for c in claims),
                t.get("intent"), dict(t.get("meta") or {}), t.get("capability"))


def write_corpus(dialogues: Iterable[CorpusDialogue], path: str | Path) -> int:
    """Write our JSONL format atomically (nothing is replaced unless every dialogue is written); return the count."""
    count = 0
    with atomic_writer(path) as fh:
        for d in dialogues:
            fh.write(json.dumps(d.to_dict(), ensure_ascii=False, sort_keys=True) + "\n")
            count += 1
    return count


def looks_like_corpus(path: str | Path) -> bool:
    """Whether ``path`` is a corpus in our JSONL format (its first record has an id and turns)."""
    first = first_jsonl_record(path)
    return isinstance(first, dict) and "id" in first and isinstance(first.get("turns"), list)


def read_corpus_jsonl(path: str | Path) -> list[CorpusDialogue]:
    """Read our JSONL format; a bad record is an error naming the file and the record."""
    out = []
    for i, record in enumerate(read_records(path), 1):
        try:
            out.append(CorpusDialogue.from_dict(record))
        except (KeyError, TypeError, ValueError) as err:
            raise DataFileError(path, f"record {i}: not a corpus dialogue ({type(err).__name__}: {err})") from err
    if not out:
        raise DataFileError(path, "the corpus is empty")
    return out


def _rate(k: int, n: int) -> float | None:
    return round(k / n, 4) if n else None


def corpus_stats(dialogues: Sequence[CorpusDialogue]) -> dict[str, Any]:
    """A summary: sizes, turns, label and true-success rates, label accuracy, by agent and segment."""
    n = len(dialogues)
    labelled = [d for d in dialogues if d.label is not None]
    known = [d for d in dialogues if d.true_success is not None]
    both = [d for d in labelled if d.true_success is not None]
    turns = [len(d.turns) for d in dialogues]
    speakers = Counter(t.speaker for d in dialogues for t in d.turns)

    def group(key: str) -> dict[str, Any]:
        by: dict[str, list[CorpusDialogue]] = defaultdict(list)
        for d in dialogues:
            value = getattr(d, key)
            if value is not None:
                by[value].append(d)
        return {k: {"dialogues": len(v), "label_rate": _rate(sum(1 for d in v if d.label), len(v)),
                    "true_success_rate": _rate(sum(1 for d in v if d.true_success), sum(d.true_success is not None
                                                                                        for d in v))}
                for k, v in sorted(by.items())}

    annotators = Counter(len(d.labels) for d in dialogues if d.labels)
    return {
        "dialogues": n,
        "turns": sum(turns),
        "mean_turns": round(sum(turns) / n, 2) if n else 0.0,
        "salesman_turns": speakers.get(Role.SALESMAN, 0),
        "customer_turns": speakers.get(Role.CUSTOMER, 0),
        "labelled": len(labelled),
        "label_rate": _rate(sum(1 for d in labelled if d.label), len(labelled)),
        "true_success_known": len(known),
        "true_success_rate": _rate(sum(1 for d in known if d.true_success), len(known)),
        "label_accuracy": _rate(sum(1 for d in both if d.label == d.true_success), len(both)),
        "annotators": dict(sorted(annotators.items())),
        "sources": dict(sorted(Counter(d.source for d in dialogues).items())),
        "by_agent": group("agent"),
        "by_segment": group("segment"),
    }
